use crate::support::{World, citizen, forbidden, item, staff, system};
use jiff::civil::date;
use tongban_interact::{
    ClockFilter, EscalationLevel, EscalationSubject, ItemFilter, ItemKind, MIGRATIONS, RatingInput,
    Satisfaction,
};
use tongban_kernel::{ClockState, Page, Role};
use tongban_test_support::each_backend;

#[tokio::test]
async fn an_inquiry_received_on_the_eve_of_national_day_is_due_five_working_days_later() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        w.set_today(date(2026, 9, 30));
        let zhang = citizen("zhang");
        let inquiry = w
            .submit(
                &zhang,
                item(ItemKind::Inquiry, "household", "落户", "新生儿落户需要什么材料？"),
            )
            .await;
        // Oct 1–7 off; Thu 8, Fri 9, Sat 10 (调休上班), Mon 12, Tue 13.
        assert_eq!(inquiry.item.clock.statutory_days, 5);
        assert_eq!(inquiry.item.due_on, Some(date(2026, 10, 13)));
        assert_eq!(inquiry.item.warn_on, Some(date(2026, 10, 12)));
        let reading = inquiry.deadline.clone().unwrap();
        assert_eq!(reading.state, ClockState::OnTime);
        assert_eq!(reading.due, date(2026, 10, 13));

        let complaint = w
            .submit(
                &zhang,
                item(ItemKind::Complaint, "household", "投诉", "窗口人员态度差。"),
            )
            .await;
        assert_eq!(complaint.item.clock.statutory_days, 15);
        assert_eq!(complaint.item.due_on, Some(date(2026, 10, 27)));

        let clerk = staff("ga-clerk", &w.police, Role::Clerk);
        w.set_today(date(2026, 10, 7));
        let still = w.ix.get_item(&clerk, &inquiry.item.id).await.unwrap();
        assert_eq!(still.deadline.unwrap().used, 0, "the holiday does not count");
        w.set_today(date(2026, 10, 12));
        let yellow = w.ix.get_item(&clerk, &inquiry.item.id).await.unwrap();
        assert_eq!(yellow.deadline.unwrap().state, ClockState::DueSoon);
        w.set_today(date(2026, 10, 14));
        let red = w.ix.get_item(&clerk, &inquiry.item.id).await.unwrap();
        assert_eq!(red.deadline.unwrap().state, ClockState::Overdue);
        let overdue =
            w.ix.list_items(
                &clerk,
                &ItemFilter {
                    clock: Some(ClockFilter::Overdue),
                    ..Default::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(overdue.total, 1);
        assert_eq!(overdue.items[0].item.id, inquiry.item.id);
    })
    .await;
}

#[tokio::test]
async fn time_limits_are_configured_per_kind_and_category() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let sys = system();
        w.ix.set_time_limit(&sys, ItemKind::Complaint, None, 10)
            .await
            .unwrap();
        w.ix.set_time_limit(&sys, ItemKind::Complaint, Some("road_lighting"), 3)
            .await
            .unwrap();
        assert_eq!(
            w.ix.time_limit(ItemKind::Complaint, "road_lighting")
                .await
                .unwrap(),
            3
        );
        assert_eq!(
            w.ix.time_limit(ItemKind::Complaint, "household").await.unwrap(),
            10
        );
        assert_eq!(
            w.ix.time_limit(ItemKind::Inquiry, "road_lighting").await.unwrap(),
            5
        );
        assert_eq!(w.ix.time_limit(ItemKind::Suggestion, "other").await.unwrap(), 15);
        assert_eq!(w.ix.time_limit(ItemKind::HelpRequest, "other").await.unwrap(), 5);
        assert_eq!(w.ix.time_limits().await.unwrap().len(), 2);
        let view = w
            .submit(
                &citizen("li"),
                crate::support::street_light("路灯灭了", 30.2, 120.1, ""),
            )
            .await;
        assert_eq!(view.item.clock.statutory_days, 3);
        // Monday 2026-03-02 + 3 working days.
        assert_eq!(view.item.due_on, Some(date(2026, 3, 5)));
        assert_eq!(w.events("interact.limit.set").await.len(), 2);
    })
    .await;
}

#[tokio::test]
async fn an_overdue_item_is_escalated_to_the_department_leader_once() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        w.set_today(date(2026, 9, 30));
        let view = w
            .submit(
                &citizen("zhang"),
                item(ItemKind::Inquiry, "household", "落户", "新生儿落户需要什么材料？"),
            )
            .await;
        let clerk = staff("ga-clerk", &w.police, Role::Clerk);
        let leader = staff("ga-leader", &w.police, Role::Leader);
        let sys = system();
        forbidden(w.ix.escalate_overdue(&clerk).await);

        w.set_today(date(2026, 10, 9));
        assert!(w.ix.escalate_overdue(&sys).await.unwrap().is_empty());
        w.set_today(date(2026, 10, 12));
        let reminded = w.ix.escalate_overdue(&sys).await.unwrap();
        assert_eq!(reminded.len(), 1);
        assert_eq!(reminded[0].level, EscalationLevel::Reminder);
        assert_eq!(reminded[0].due_on, date(2026, 10, 13));
        assert!(
            w.ix.escalate_overdue(&sys).await.unwrap().is_empty(),
            "once per round"
        );

        w.set_today(date(2026, 10, 14));
        let escalated = w.ix.escalate_overdue(&sys).await.unwrap();
        assert_eq!(escalated.len(), 1);
        assert_eq!(escalated[0].level, EscalationLevel::Overdue);
        assert_eq!(escalated[0].subject, EscalationSubject::Item);
        assert_eq!(escalated[0].item_id, view.item.id);
        assert!(w.ix.escalate_overdue(&sys).await.unwrap().is_empty());

        // The clerk sees the reminder; the leader sees the escalation too; others nothing.
        let for_clerk = w.ix.escalations(&clerk, true, Page::default()).await.unwrap();
        assert_eq!(for_clerk.total, 1);
        assert_eq!(for_clerk.items[0].level, EscalationLevel::Reminder);
        let for_leader = w.ix.escalations(&leader, true, Page::default()).await.unwrap();
        assert_eq!(for_leader.total, 2);
        let other_leader = staff("mz-leader", &w.civil, Role::Leader);
        assert_eq!(
            w.ix.escalations(&other_leader, true, Page::default())
                .await
                .unwrap()
                .total,
            0
        );
        forbidden(w.ix.acknowledge_escalation(&clerk, &escalated[0].id).await);
        let acked =
            w.ix.acknowledge_escalation(&leader, &escalated[0].id)
                .await
                .unwrap();
        assert_eq!(acked.acknowledged_by.as_deref(), Some(leader.id.as_str()));
        assert_eq!(
            w.ix.escalations(&leader, true, Page::default())
                .await
                .unwrap()
                .total,
            1
        );

        let stats = w.ix.department_stats(Some(&w.police.path)).await.unwrap();
        assert_eq!(stats.len(), 1);
        assert_eq!(stats[0].escalated, 1);
        assert_eq!(w.events("interact.escalation.raised").await.len(), 2);
        assert_eq!(w.events("interact.escalation.acknowledged").await.len(), 1);

        // Replying late is counted as late.
        w.answer(
            &view,
            "您好，办理新生儿落户请携带出生医学证明、父母户口簿，于工作日到派出所户籍窗口办理。",
        )
        .await;
        let stats = w.ix.department_stats(Some(&w.police.path)).await.unwrap();
        assert_eq!(stats[0].replied, 1);
        assert_eq!(stats[0].replied_on_time, 0);
        assert_eq!(stats[0].reply_days_total, 6);
        assert_eq!(stats[0].on_time_rate(), Some(0.0));
    })
    .await;
}

#[tokio::test]
async fn an_unsatisfied_rating_reopens_once_under_a_fifteen_day_rectification_clock() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let zhang = citizen("zhang");
        let view = w
            .submit(
                &zhang,
                item(
                    ItemKind::Complaint,
                    "social_aid",
                    "低保",
                    "低保申请三个月没有结果。",
                ),
            )
            .await;
        let id = view.item.id.clone();
        w.answer(
            &view,
            "您的低保申请已于3月1日审核通过，将于3月10日前发放，咨询电话0571-87654321。",
        )
        .await;
        forbidden(
            w.ix.rate(
                &citizen("li"),
                &id,
                RatingInput {
                    satisfaction: Satisfaction::Satisfied,
                    comment: String::new(),
                    reopen: false,
                },
            )
            .await,
        );
        // Monday 2026-03-02: 15 working days run to Monday 2026-03-23.
        let reopened =
            w.ix.rate(
                &zhang,
                &id,
                RatingInput {
                    satisfaction: Satisfaction::Unsatisfied,
                    comment: "还没有收到钱".into(),
                    reopen: true,
                },
            )
            .await
            .unwrap();
        assert_eq!(reopened.item.status, tongban_interact::ItemStatus::InProgress);
        assert_eq!(reopened.item.round, 1);
        assert_eq!(reopened.item.clock.statutory_days, 15);
        assert_eq!(reopened.item.due_on, Some(date(2026, 3, 23)));
        let clerk = staff("mz-clerk", &w.civil, Role::Clerk);
        let list = w.ix.rectifications(&clerk, None, Page::default()).await.unwrap();
        assert_eq!(list.total, 1);
        let entry = &list.items[0].rectification;
        assert_eq!(entry.reason, "还没有收到钱");
        assert_eq!(entry.due_on, Some(date(2026, 3, 23)));
        assert_eq!(entry.status, tongban_interact::RectificationStatus::Open);
        assert_eq!(
            w.ix.rectifications(&staff("ga-clerk", &w.police, Role::Clerk), None, Page::default())
                .await
                .unwrap()
                .total,
            0
        );

        w.set_today(date(2026, 3, 5));
        let again = w.ix.get_item(&clerk, &id).await.unwrap();
        w.answer(
            &again,
            "经核实，低保金已于3月5日发放至您的社保卡，咨询电话0571-87654321。",
        )
        .await;
        let done = w.ix.rectifications(&clerk, None, Page::default()).await.unwrap();
        assert_eq!(
            done.items[0].rectification.status,
            tongban_interact::RectificationStatus::Done
        );
        let twice =
            w.ix.rate(
                &zhang,
                &id,
                RatingInput {
                    satisfaction: Satisfaction::Unsatisfied,
                    comment: String::new(),
                    reopen: true,
                },
            )
            .await;
        crate::support::conflict(twice, "reopen");
        let closed =
            w.ix.rate(
                &zhang,
                &id,
                RatingInput {
                    satisfaction: Satisfaction::Basic,
                    comment: "好的".into(),
                    reopen: false,
                },
            )
            .await
            .unwrap();
        assert_eq!(closed.item.status, tongban_interact::ItemStatus::Closed);
        crate::support::conflict(
            w.ix.rate(
                &zhang,
                &id,
                RatingInput {
                    satisfaction: Satisfaction::Satisfied,
                    comment: String::new(),
                    reopen: false,
                },
            )
            .await,
            "status",
        );
        let stats = w.ix.department_stats(Some(&w.civil.path)).await.unwrap();
        assert_eq!(stats[0].unsatisfied, 1);
        assert_eq!(stats[0].basic, 1);
        assert_eq!(stats[0].rectifications, 1);
        assert_eq!(stats[0].replied, 2);
        assert_eq!(stats[0].satisfaction_rate(), Some(0.5));
        let events: Vec<String> =
            w.ix.notifications(&zhang, false, Page::default())
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|n| n.event)
                .collect();
        assert_eq!(events, ["closed", "replied", "reopened", "replied", "submitted"]);
    })
    .await;
}

#[tokio::test]
async fn an_overdue_rectification_is_escalated_too() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let zhang = citizen("zhang");
        let view = w
            .submit(
                &zhang,
                item(ItemKind::Complaint, "social_aid", "低保", "低保申请没有结果。"),
            )
            .await;
        w.answer(
            &view,
            "您的低保申请已审核通过，将于3月10日前发放，咨询电话0571-87654321。",
        )
        .await;
        w.ix.rate(
            &zhang,
            &view.item.id,
            RatingInput {
                satisfaction: Satisfaction::Unsatisfied,
                comment: "态度不好".into(),
                reopen: false,
            },
        )
        .await
        .unwrap();
        w.set_today(date(2026, 3, 24));
        let raised = w.ix.escalate_overdue(&system()).await.unwrap();
        assert_eq!(raised.len(), 1);
        assert_eq!(raised[0].subject, EscalationSubject::Rectification);
        assert!(w.ix.escalate_overdue(&system()).await.unwrap().is_empty());
        let clerk = staff("mz-clerk", &w.civil, Role::Clerk);
        let entry =
            w.ix.rectifications(&clerk, None, Page::default())
                .await
                .unwrap()
                .items[0]
                .rectification
                .clone();
        let done =
            w.ix.complete_rectification(&clerk, &entry.id, "已对窗口人员开展服务礼仪培训")
                .await
                .unwrap();
        assert_eq!(done.status, tongban_interact::RectificationStatus::Done);
        crate::support::conflict(
            w.ix.complete_rectification(&clerk, &entry.id, "again").await,
            "status",
        );
    })
    .await;
}

/// A December limit runs into a year whose holidays are not announced: the item and the
/// rectification get provisional dates (暂定), and entering the year recounts both, records the
/// move on the timeline and in events, and tells the citizen.
#[tokio::test]
async fn december_limits_are_provisional_and_recounted_when_next_year_is_entered() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        // Mon 2026-12-21, 15 working days: Dec 22–25 (4), 28–31 (8), Jan 1 off (元旦), Jan 4–8
        // (13), 11 (14), Tue Jan 12 (15).
        w.set_today(date(2026, 12, 21));
        let zhang = citizen("zhang");
        let view = w
            .submit(
                &zhang,
                item(ItemKind::Complaint, "social_aid", "低保", "低保申请三个月没有结果。"),
            )
            .await;
        assert_eq!(view.item.due_on, Some(date(2027, 1, 12)), "never a blank date");
        assert!(view.due_provisional, "2027 is not announced yet");
        let id = view.item.id.clone();
        w.answer(
            &view,
            "您的低保申请已于12月1日审核通过，将于12月30日前发放，咨询电话0571-87654321。",
        )
        .await;
        w.ix.rate(
            &zhang,
            &id,
            RatingInput {
                satisfaction: Satisfaction::Unsatisfied,
                comment: "还没有收到钱".into(),
                reopen: true,
            },
        )
        .await
        .unwrap();
        let clerk = staff("mz-clerk", &w.civil, Role::Clerk);
        let rect = w.ix.rectifications(&clerk, None, Page::default()).await.unwrap();
        assert_eq!(rect.items[0].rectification.due_on, Some(date(2027, 1, 12)));
        assert!(w.ix.get_item(&clerk, &id).await.unwrap().due_provisional);

        // 2027 is announced with Jan 1–4 off: both limits end a day later.
        w.ix.calendar()
            .merge_toml(
                "[2027]\nholidays = [{ name = \"元旦\", from = \"2027-01-01\", to = \"2027-01-04\" }]\nmakeup_workdays = []\n",
            )
            .unwrap();
        forbidden(w.ix.recount_due_days(&clerk, 2027).await);
        let admin = system();
        let recount = w.ix.recount_due_days(&admin, 2027).await.unwrap();
        assert_eq!((recount.checked, recount.moved), (2, 2));
        let after = w.ix.get_item(&zhang, &id).await.unwrap();
        assert_eq!(after.item.due_on, Some(date(2027, 1, 13)));
        assert!(!after.due_provisional);
        let rect = w.ix.rectifications(&clerk, None, Page::default()).await.unwrap();
        assert_eq!(rect.items[0].rectification.due_on, Some(date(2027, 1, 13)));
        let moved = w.events("interact.item.due_recounted").await;
        assert_eq!(moved.len(), 1);
        let detail: serde_json::Value = serde_json::from_str(&moved[0].detail).unwrap();
        assert_eq!((detail["old_due"].as_str(), detail["new_due"].as_str()), (Some("2027-01-12"), Some("2027-01-13")));
        assert_eq!(w.events("interact.rectification.due_recounted").await.len(), 1);
        let timeline = w.ix.history(&zhang, &id).await.unwrap();
        assert!(timeline.iter().any(|l| l.action == "due_recounted" && l.note.contains("2027-01-13")));
        let told = w.ix.notifications(&zhang, false, Page::default()).await.unwrap();
        assert!(told.items.iter().any(|n| n.event == "due_recounted" && n.message.contains("2027-01-13")), "{told:?}");
        // Counting again moves nothing.
        assert_eq!(w.ix.recount_due_days(&admin, 2027).await.unwrap().moved, 0);
    })
    .await;
}
