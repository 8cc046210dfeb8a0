//! Handling a case: acceptance to issue, decisions with reasons and legal basis, the inbox with
//! its yellow and red marks, extension with approval, transfer, delegation, withdrawal, and the
//! supervisor's view of the department subtree.

use crate::support::{World, citizen, conflict, forbidden, invalid, staff};
use jiff::civil::date;
use tongban_hall::{
    CaseStatus, DecisionInput, ExtensionStatus, InboxFilter, MIGRATIONS, Outcome, ReviewInput, StepKind,
    TaskState, Urgency,
};
use tongban_kernel::{DeptPath, Page, PauseReason, Role};
use tongban_test_support::each_backend;

fn inbox_of(dept: &DeptPath, role: Role) -> InboxFilter {
    InboxFilter {
        department: dept.clone(),
        role,
        urgency: None,
        step_kind: None,
        item: None,
        mine_only: false,
    }
}

fn agree() -> ReviewInput {
    ReviewInput {
        agree: true,
        opinion: "符合条件".into(),
    }
}

#[tokio::test]
async fn a_case_runs_from_acceptance_to_issue_and_a_denial_needs_reasons_and_basis() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let (item, _) = w.item_with("GA-FULL", 10, w.plain_steps()).await;
        let zhang = citizen("zhang");
        let clerk = staff("ga-clerk", &w.police, Role::Clerk);
        let reviewer = staff("ga-reviewer", &w.police, Role::Reviewer);
        let approver = staff("ga-approver", &w.police, Role::Approver);
        let case = w.apply(&zhang, &item, "full-000001").await.case;
        // Steps run in order: no decision before acceptance.
        conflict(
            w.hall
                .decide_case(
                    &approver,
                    &case.id,
                    DecisionInput {
                        outcome: Outcome::Approve,
                        reasons: String::new(),
                        legal_basis: String::new(),
                    },
                )
                .await,
            "status",
        );
        w.set_today(date(2026, 3, 3));
        w.hall.accept_case(&clerk, &case.id, "材料齐全").await.unwrap();
        conflict(w.hall.accept_case(&clerk, &case.id, "").await, "status");
        w.set_today(date(2026, 3, 4));
        w.hall.review_case(&reviewer, &case.id, agree()).await.unwrap();
        w.set_today(date(2026, 3, 5));
        let approved = w
            .hall
            .decide_case(
                &approver,
                &case.id,
                DecisionInput {
                    outcome: Outcome::Approve,
                    reasons: String::new(),
                    legal_basis: String::new(),
                },
            )
            .await
            .unwrap();
        assert_eq!(approved.case.status, CaseStatus::Approved);
        let decision = approved.case.decision.clone().unwrap();
        assert_eq!(
            decision.legal_basis, item.legal_basis,
            "an approval cites the item's basis by default"
        );
        // The applicant cannot withdraw a decided case.
        conflict(w.hall.withdraw_case(&zhang, &case.id, "").await, "status");
        w.set_today(date(2026, 3, 6));
        let done = w.hall.issue_case(&clerk, &case.id, "证件已寄出").await.unwrap();
        assert_eq!(done.case.status, CaseStatus::Completed);
        assert!(done.case.finished.is_some());
        assert_eq!(done.case.clock.finished, Some(date(2026, 3, 6)));
        assert!(done.tasks.iter().all(|t| t.state != TaskState::Open));
        let mine = w.hall.case(&zhang, &case.id).await.unwrap();
        let actions: Vec<&str> = mine.log.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            vec!["submitted", "accepted", "approved", "completed"],
            "the review is internal"
        );
        let approval = mine.log.iter().find(|e| e.action == "approved").unwrap();
        assert_eq!(
            approval.note,
            format!("准予\n依据：{}", item.legal_basis),
            "a grant without remarks shows no empty remark"
        );
        // The letter: granted, under the item's basis, no remedies; only the case's readers.
        let letter = w.hall.decision_letter(&zhang, &case.id).await.unwrap();
        assert_eq!(letter.kind, tongban_hall::LetterKind::Granted);
        assert_eq!(letter.reference, format!("{}-JD", case.number));
        assert_eq!(letter.basis, item.legal_basis);
        assert!(!letter.states_remedies() && letter.reasons.is_empty());
        assert!(
            matches!(
                w.hall.decision_letter(&citizen("li"), &case.id).await,
                Err(tongban_hall::Error::NotFound { .. })
            ),
            "another citizen learns nothing, not even that the case exists"
        );

        // A denial must give reasons and the legal basis.
        let other = w.apply(&zhang, &item, "full-000002").await.case;
        w.hall.accept_case(&clerk, &other.id, "").await.unwrap();
        w.hall.review_case(&reviewer, &other.id, agree()).await.unwrap();
        let deny = |reasons: &str, basis: &str| DecisionInput {
            outcome: Outcome::Deny,
            reasons: reasons.into(),
            legal_basis: basis.into(),
        };
        invalid(
            w.hall.decide_case(&approver, &other.id, deny("", "第九条")).await,
            "reasons",
        );
        invalid(
            w.hall
                .decide_case(&approver, &other.id, deny("居住不满半年", ""))
                .await,
            "legal_basis",
        );
        forbidden(
            w.hall
                .decide_case(&reviewer, &other.id, deny("居住不满半年", "第九条"))
                .await,
        );
        let denied = w
            .hall
            .decide_case(
                &approver,
                &other.id,
                deny("居住不满半年", "《居住证暂行条例》第九条"),
            )
            .await
            .unwrap();
        assert_eq!(denied.case.status, CaseStatus::Denied);
        assert!(
            denied
                .log
                .iter()
                .any(|e| e.action == "denied" && e.note.contains("居住不满半年"))
        );
        let letter = w.hall.decision_letter(&approver, &other.id).await.unwrap();
        assert_eq!(letter.kind, tongban_hall::LetterKind::Refused);
        assert!(
            letter.states_remedies(),
            "a denial states the applicant's remedies"
        );
        assert_eq!(
            (letter.reasons.as_str(), letter.basis.as_str()),
            ("居住不满半年", "《居住证暂行条例》第九条")
        );
        assert_eq!(w.events("hall.case.decided").await.len(), 2);
        assert_eq!(w.events("hall.case.completed").await.len(), 1);

        // Refusing to accept needs a reason and ends the case.
        let third = w.apply(&zhang, &item, "full-000003").await.case;
        invalid(w.hall.refuse_case(&clerk, &third.id, " ").await, "reason");
        let refused = w
            .hall
            .refuse_case(&clerk, &third.id, "不属于本部门职权范围")
            .await
            .unwrap();
        assert_eq!(refused.case.status, CaseStatus::NotAccepted);
        let notice = w.hall.decision_letter(&zhang, &third.id).await.unwrap();
        assert_eq!(notice.kind, tongban_hall::LetterKind::NotAccepted);
        assert_eq!(notice.reference, format!("{}-BSL", third.number));
        assert_eq!(
            notice.basis, item.legal_basis,
            "not a licence: the item's own basis"
        );
        assert!(notice.states_remedies());
        // A case still being handled has no letter yet.
        let open = w.apply(&zhang, &item, "full-000004").await.case;
        assert!(matches!(
            w.hall.decision_letter(&zhang, &open.id).await,
            Err(tongban_hall::Error::NotFound { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn the_inbox_sorts_by_due_day_with_yellow_and_red_marks_and_counts() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        // Acceptance within 2 working days.
        let (quick, _) = w.item_with("GA-QUICK", 10, w.plain_steps()).await;
        // Acceptance without a step limit: due with the case (10 working days).
        let (slow, _) = w
            .item_with("GA-SLOW", 10, w.joint_steps(tongban_hall::SignMode::All))
            .await;
        let zhang = citizen("zhang");
        let late = w.apply(&zhang, &quick, "inbox-00001").await.case; // due Wed 3-04
        w.set_today(date(2026, 3, 5));
        let soon = w.apply(&zhang, &quick, "inbox-00002").await.case; // due Mon 3-09
        let calm = w.apply(&zhang, &slow, "inbox-00003").await.case; // due Thu 3-19
        let clerk = staff("ga-clerk", &w.police, Role::Clerk);
        let filter = inbox_of(&w.police.path, Role::Clerk);
        let inbox = w.hall.inbox(&clerk, &filter, Page::default()).await.unwrap();
        assert_eq!(inbox.counts.total, 3);
        assert_eq!(inbox.counts.overdue, 1);
        assert_eq!(inbox.counts.due_soon, 1);
        let order: Vec<_> = inbox
            .tasks
            .iter()
            .map(|t| (t.case_id.clone(), t.urgency, t.due))
            .collect();
        assert_eq!(
            order,
            vec![
                (late.id.clone(), Urgency::Overdue, Some(date(2026, 3, 4))),
                (soon.id.clone(), Urgency::DueSoon, Some(date(2026, 3, 9))),
                (calm.id.clone(), Urgency::Normal, Some(date(2026, 3, 19))),
            ]
        );
        let red = InboxFilter {
            urgency: Some(Urgency::Overdue),
            ..filter.clone()
        };
        let reds = w.hall.inbox(&clerk, &red, Page::default()).await.unwrap();
        assert_eq!((reds.total, reds.tasks.len()), (1, 1));
        assert_eq!(reds.tasks[0].case_id, late.id);
        let one_item = InboxFilter {
            item: Some(slow.id.clone()),
            ..filter.clone()
        };
        assert_eq!(
            w.hall
                .inbox(&clerk, &one_item, Page::default())
                .await
                .unwrap()
                .total,
            1
        );
        let paged = w.hall.inbox(&clerk, &filter, Page::new(1, 1)).await.unwrap();
        assert_eq!(paged.tasks[0].case_id, soon.id);
        assert_eq!(paged.total, 3);
        let reviews = InboxFilter {
            step_kind: Some(StepKind::Review),
            ..filter
        };
        assert_eq!(
            w.hall
                .inbox(&clerk, &reviews, Page::default())
                .await
                .unwrap()
                .total,
            0
        );
    })
    .await;
}

#[tokio::test]
async fn an_extension_needs_a_supervisors_approval_and_moves_the_due_day() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let (item, _) = w.item_with("GA-EXT", 10, w.plain_steps()).await;
        let case = w.apply(&citizen("zhang"), &item, "ext-0000001").await.case;
        assert_eq!(case.due, Some(date(2026, 3, 16)));
        let clerk = staff("ga-clerk", &w.police, Role::Clerk);
        let leader = staff("ga-leader", &w.police, Role::Leader);
        invalid(
            w.hall
                .request_extension(&clerk, &case.id, 0, "需要现场核查")
                .await,
            "days",
        );
        invalid(w.hall.request_extension(&clerk, &case.id, 5, "").await, "reason");
        let asked = w
            .hall
            .request_extension(&clerk, &case.id, 5, "需要现场核查")
            .await
            .unwrap();
        assert_eq!(
            asked.case.extension.as_ref().unwrap().status,
            ExtensionStatus::Requested
        );
        assert_eq!(
            asked.case.due,
            Some(date(2026, 3, 16)),
            "nothing moves before approval"
        );
        conflict(
            w.hall.request_extension(&clerk, &case.id, 3, "再延").await,
            "extension",
        );
        // The clerk cannot approve; another department's leader cannot either.
        forbidden(w.hall.decide_extension(&clerk, &case.id, true, "").await);
        forbidden(
            w.hall
                .decide_extension(&staff("mz-leader", &w.civil, Role::Leader), &case.id, true, "")
                .await,
        );
        let approved = w
            .hall
            .decide_extension(&leader, &case.id, true, "同意")
            .await
            .unwrap();
        assert_eq!(
            approved.case.extension.as_ref().unwrap().status,
            ExtensionStatus::Approved
        );
        assert_eq!(approved.case.clock.statutory_days, 25);
        assert_eq!(approved.case.due, Some(date(2026, 3, 23)));
        // Statutory 25: … Fri Apr 3, then 清明节 (Apr 4–6), Tue Apr 7.
        assert_eq!(approved.case.statutory_due, Some(date(2026, 4, 7)));
        conflict(
            w.hall.decide_extension(&leader, &case.id, true, "").await,
            "extension",
        );
        assert_eq!(w.events("hall.case.extension_decided").await.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn transfer_delegate_and_withdraw_are_recorded() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let (item, _) = w.item_with("GA-MOVE", 10, w.plain_steps()).await;
        let zhang = citizen("zhang");
        let case = w.apply(&zhang, &item, "move-000001").await.case;
        let clerk = staff("ga-clerk", &w.police, Role::Clerk);
        invalid(
            w.hall
                .transfer_case(&clerk, &case.id, "/3301/NOPE/", "误派")
                .await,
            "to",
        );
        invalid(
            w.hall
                .transfer_case(&clerk, &case.id, &w.police.path.0, "误派")
                .await,
            "to",
        );
        let moved = w
            .hall
            .transfer_case(&clerk, &case.id, &w.market.path.0, "属于市场监管局职责")
            .await
            .unwrap();
        assert_eq!(moved.case.department.path, w.market.path);
        // The old clerk can no longer act; the new department's clerk can.
        forbidden(w.hall.accept_case(&clerk, &case.id, "").await);
        let sc_clerk = staff("sc-clerk", &w.market, Role::Clerk);
        let sc_inbox = w
            .hall
            .inbox(&sc_clerk, &inbox_of(&w.market.path, Role::Clerk), Page::default())
            .await
            .unwrap();
        assert_eq!(sc_inbox.total, 1);

        // Delegation to a colleague holding the role; only they may act then.
        let colleague = staff("sc-clerk-2", &w.market, Role::Clerk);
        invalid(
            w.hall
                .delegate_case(&sc_clerk, &case.id, &staff("ga-x", &w.police, Role::Clerk), "")
                .await,
            "to",
        );
        w.hall
            .delegate_case(&sc_clerk, &case.id, &colleague, "请处理")
            .await
            .unwrap();
        let mine = InboxFilter {
            mine_only: true,
            ..inbox_of(&w.market.path, Role::Clerk)
        };
        assert_eq!(
            w.hall
                .inbox(&colleague, &mine, Page::default())
                .await
                .unwrap()
                .total,
            1
        );
        assert_eq!(
            w.hall
                .inbox(&sc_clerk, &mine, Page::default())
                .await
                .unwrap()
                .total,
            0
        );
        forbidden(w.hall.accept_case(&sc_clerk, &case.id, "").await);
        w.hall.accept_case(&colleague, &case.id, "").await.unwrap();

        // The applicant withdraws; nothing is left open.
        forbidden(w.hall.withdraw_case(&colleague, &case.id, "").await);
        let gone = w.hall.withdraw_case(&zhang, &case.id, "不再需要").await.unwrap();
        assert_eq!(gone.case.status, CaseStatus::Withdrawn);
        let staff_view = w.hall.case(&colleague, &case.id).await.unwrap();
        assert!(staff_view.tasks.iter().all(|t| t.state != TaskState::Open));
        for action in [
            "hall.case.transferred",
            "hall.case.delegated",
            "hall.case.withdrawn",
        ] {
            assert_eq!(w.events(action).await.len(), 1, "{action}");
        }
    })
    .await;
}

#[tokio::test]
async fn the_supervisor_sees_overdue_and_near_due_cases_of_the_subtree_with_average_handling_time() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let (item, _) = w.item_with("GA-WATCH", 10, w.plain_steps()).await;
        let zhang = citizen("zhang");
        let clerk = staff("ga-clerk", &w.police, Role::Clerk);
        let reviewer = staff("ga-reviewer", &w.police, Role::Reviewer);
        let approver = staff("ga-approver", &w.police, Role::Approver);
        let old = w.apply(&zhang, &item, "watch-00001").await.case; // due Mon 3-16
        let done = w.apply(&zhang, &item, "watch-00002").await.case;
        w.hall.accept_case(&clerk, &done.id, "").await.unwrap();
        w.hall.review_case(&reviewer, &done.id, agree()).await.unwrap();
        w.hall
            .decide_case(
                &approver,
                &done.id,
                DecisionInput {
                    outcome: Outcome::Approve,
                    reasons: String::new(),
                    legal_basis: String::new(),
                },
            )
            .await
            .unwrap();
        w.set_today(date(2026, 3, 6));
        w.hall.issue_case(&clerk, &done.id, "").await.unwrap(); // 4 working days
        w.set_today(date(2026, 3, 9));
        let _near = w.apply(&zhang, &item, "watch-00003").await.case; // due Mon 3-23
        w.set_today(date(2026, 3, 17));
        let leader = staff("ga-leader", &w.police, Role::Leader);
        let view = w
            .hall
            .supervise(&leader, &w.police.path, Page::default())
            .await
            .unwrap();
        assert_eq!(view.open, 2);
        assert_eq!(view.overdue, 1);
        assert_eq!(view.statutory_overdue, 0, "past the promise, not yet the law");
        assert_eq!(view.due_soon, 0);
        assert_eq!(view.cases.len(), 1);
        assert_eq!(view.cases[0].id, old.id);
        assert_eq!(view.cases[0].urgency, Urgency::Overdue);
        assert_eq!(view.finished, 1);
        assert_eq!(view.average_working_days, Some(4.0));
        assert!(view.average_hours.is_some_and(|h| h > 0.0));
        w.set_today(date(2026, 3, 19)); // Thu: Fri 20, Mon 23 left
        let later = w
            .hall
            .supervise(&leader, &w.police.path, Page::default())
            .await
            .unwrap();
        assert_eq!((later.overdue, later.due_soon, later.cases.len()), (1, 1, 2));
        // Statutory 20 working days from Mon 3-02 end Mon 3-30.
        w.set_today(date(2026, 3, 31));
        let law = w
            .hall
            .supervise(&leader, &w.police.path, Page::default())
            .await
            .unwrap();
        assert_eq!((law.overdue, law.statutory_overdue), (2, 1));
        // A city-wide leader sees the same; another department's leader sees nothing of it.
        let city = tongban_kernel::Principal {
            grants: vec![tongban_kernel::RoleGrant {
                role: Role::Leader,
                scope: DeptPath("/3301/".into()),
            }],
            ..leader.clone()
        };
        assert_eq!(
            w.hall
                .supervise(&city, &DeptPath("/3301/".into()), Page::default())
                .await
                .unwrap()
                .open,
            2
        );
        let mz = staff("mz-leader", &w.civil, Role::Leader);
        forbidden(w.hall.supervise(&mz, &w.police.path, Page::default()).await);
        assert_eq!(
            w.hall
                .supervise(&mz, &w.civil.path, Page::default())
                .await
                .unwrap()
                .open,
            0
        );
        forbidden(w.hall.supervise(&clerk, &w.police.path, Page::default()).await);
    })
    .await;
}

#[tokio::test]
async fn a_hearing_stops_the_clock_and_the_due_day_moves_by_the_days_stopped() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let (item, _) = w.item_with("GA-HEAR", 10, w.plain_steps()).await;
        let zhang = citizen("zhang");
        let case = w.apply(&zhang, &item, "hear-000001").await.case;
        assert_eq!(case.due, Some(date(2026, 3, 16)));
        let clerk = staff("ga-clerk", &w.police, Role::Clerk);
        let reviewer = staff("ga-reviewer", &w.police, Role::Reviewer);
        // Not before the case is accepted.
        conflict(
            w.hall
                .pause_clock(&clerk, &case.id, PauseReason::Hearing, "举行听证")
                .await,
            "status",
        );
        w.hall.accept_case(&clerk, &case.id, "").await.unwrap();
        w.set_today(date(2026, 3, 3));
        invalid(
            w.hall
                .pause_clock(&reviewer, &case.id, PauseReason::Supplement, "缺材料")
                .await,
            "reason",
        );
        invalid(
            w.hall
                .pause_clock(&reviewer, &case.id, PauseReason::Hearing, " ")
                .await,
            "note",
        );
        // Only the holder of an open task stops it.
        forbidden(
            w.hall
                .pause_clock(&clerk, &case.id, PauseReason::Hearing, "举行听证")
                .await,
        );
        conflict(w.hall.resume_clock(&reviewer, &case.id, "").await, "clock");
        let paused = w
            .hall
            .pause_clock(
                &reviewer,
                &case.id,
                PauseReason::Hearing,
                "涉及相邻权利人，依申请举行听证",
            )
            .await
            .unwrap();
        assert!(paused.case.clock.is_paused());
        conflict(
            w.hall
                .pause_clock(&reviewer, &case.id, PauseReason::Testing, "再检测")
                .await,
            "reason",
        );
        // A week later (five working days) the hearing is over.
        w.set_today(date(2026, 3, 10));
        let resumed = w
            .hall
            .resume_clock(&reviewer, &case.id, "听证已结束")
            .await
            .unwrap();
        assert!(!resumed.case.clock.is_paused());
        assert_eq!(resumed.case.due, Some(date(2026, 3, 23)));
        // The applicant sees why the clock stood still.
        let seen = w.hall.case(&zhang, &case.id).await.unwrap();
        assert!(
            seen.log
                .iter()
                .any(|e| e.public && e.action == "clock_paused" && e.note.contains("听证")),
            "{:?}",
            seen.log
        );
        assert_eq!(w.events("hall.case.clock_paused").await.len(), 1);
        assert_eq!(w.events("hall.case.clock_resumed").await.len(), 1);
    })
    .await;
}
