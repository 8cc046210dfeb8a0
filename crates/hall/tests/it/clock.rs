//! The legal clock of a case: working days across a holiday and a make-up workday, stopped by a
//! 补正 request until the applicant supplements; 补正 once only and only within five working
//! days of submission.

use crate::support::{World, citizen, conflict, staff};
use jiff::civil::date;
use std::collections::BTreeMap;
use tongban_hall::{CaseStatus, InboxFilter, MIGRATIONS, SupplementAnswer, SupplementRequest, Urgency};
use tongban_kernel::{Page, Role};
use tongban_test_support::each_backend;

fn ask(missing: &[&str]) -> SupplementRequest {
    SupplementRequest {
        missing: missing.iter().map(|m| m.to_string()).collect(),
        note: "请一并补齐 / please supply all of it".into(),
    }
}

#[tokio::test]
async fn a_case_received_on_the_eve_of_national_day_counts_the_make_up_saturday_and_stops_for_supplement() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let (item, _) = w.item_with("GA-JZZ-1", 10, w.plain_steps()).await;
        w.set_today(date(2026, 9, 30));
        let zhang = citizen("zhang");
        let view = w.apply(&zhang, &item, "clock-000001").await;
        let case = &view.case;
        assert_eq!(case.number, "2026-0930-000001");
        // Promised 10: Oct 1–7 off; Thu 8, Fri 9, Sat 10 (调休上班), Mon 12 … Fri 16, Mon 19, Tue 20.
        assert_eq!(case.due, Some(date(2026, 10, 20)));
        // Statutory 20: … Wed 21 … Fri 30, Mon Nov 2, Tue Nov 3.
        assert_eq!(case.statutory_due, Some(date(2026, 11, 3)));

        // Fri Oct 9: two working days after receipt, the clerk lists everything missing.
        w.set_today(date(2026, 10, 9));
        let clerk = staff("ga-clerk", &w.police, Role::Clerk);
        let asked = w
            .hall
            .request_supplement(&clerk, &case.id, ask(&["居住证明", "近期免冠照片"]))
            .await
            .unwrap();
        assert_eq!(asked.case.status, CaseStatus::Supplementing);
        assert_eq!(asked.case.due, None, "no due day while the clock is stopped");
        assert!(asked.case.clock.is_paused());
        let inbox = InboxFilter {
            department: w.police.path.clone(),
            role: Role::Clerk,
            urgency: None,
            step_kind: None,
            item: None,
            mine_only: false,
        };
        assert_eq!(
            w.hall
                .inbox(&clerk, &inbox, Page::default())
                .await
                .unwrap()
                .counts
                .total,
            0
        );
        // The applicant sees exactly what is missing.
        let mine = w.hall.case(&zhang, &case.id).await.unwrap();
        assert_eq!(
            mine.case.supplement.as_ref().unwrap().missing,
            vec!["居住证明", "近期免冠照片"]
        );

        // Wed Oct 14 the applicant supplements: Oct 9, Sat 10, Mon 12, Tue 13 did not count.
        w.set_today(date(2026, 10, 14));
        let mut change = BTreeMap::new();
        change.insert("months".to_string(), "9".to_string());
        let back = w
            .hall
            .supplement_case(
                &zhang,
                &case.id,
                SupplementAnswer {
                    form: change,
                    note: "已补齐".into(),
                    files: BTreeMap::new(),
                },
            )
            .await
            .unwrap();
        assert_eq!(back.case.status, CaseStatus::Submitted);
        assert_eq!(
            back.case.due,
            Some(date(2026, 10, 26)),
            "four stopped working days added"
        );
        assert_eq!(back.case.statutory_due, Some(date(2026, 11, 9)));
        assert_eq!(
            back.case.form.iter().find(|v| v.code == "months").unwrap().value,
            "9"
        );
        // The acceptance step is open again, due at its own 2-day limit: Thu 15, Fri 16.
        let tasks = w.hall.inbox(&clerk, &inbox, Page::default()).await.unwrap();
        assert_eq!(tasks.counts.total, 1);
        assert_eq!(tasks.tasks[0].due, Some(date(2026, 10, 16)));
        assert_eq!(tasks.tasks[0].urgency, Urgency::DueSoon);

        // 补正 is asked once only.
        conflict(
            w.hall
                .request_supplement(&clerk, &case.id, ask(&["再补一项"]))
                .await,
            "supplement",
        );
        assert_eq!(w.events("hall.case.supplement_requested").await.len(), 1);
        assert_eq!(w.events("hall.case.supplemented").await.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn supplement_is_refused_after_five_working_days_and_must_list_something() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let (item, _) = w.item_with("GA-JZZ-2", 10, w.plain_steps()).await;
        let zhang = citizen("zhang");
        let case = w.apply(&zhang, &item, "late-000001").await.case; // Mon 2026-03-02
        let clerk = staff("ga-clerk", &w.police, Role::Clerk);
        crate::support::invalid(
            w.hall.request_supplement(&clerk, &case.id, ask(&[])).await,
            "missing",
        );
        crate::support::invalid(
            w.hall
                .request_supplement(&clerk, &case.id, ask(&["照片", " "]))
                .await,
            "missing[1]",
        );
        let other = w.apply(&citizen("li"), &item, "late-000002").await.case;
        // Tue 3, Wed 4, Thu 5, Fri 6, Mon 9, Tue 10: six working days.
        w.set_today(date(2026, 3, 10));
        conflict(
            w.hall.request_supplement(&clerk, &case.id, ask(&["照片"])).await,
            "supplement",
        );
        // Day five (Mon 9) was still allowed for another case submitted the same day.
        w.set_today(date(2026, 3, 9));
        let asked = w
            .hall
            .request_supplement(&clerk, &other.id, ask(&["照片"]))
            .await
            .unwrap();
        assert_eq!(asked.case.status, CaseStatus::Supplementing);
    })
    .await;
}

#[tokio::test]
async fn a_december_case_gets_a_provisional_date_recounted_and_told_when_next_year_is_entered() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let (item, _) = w.item_with("GA-JZZ-9", 10, w.plain_steps()).await;
        // Mon 2026-12-21, promised 10 working days: Dec 22–24 (3), 25 (4), 28–31 (8), Jan 1 off
        // (元旦, statutory), Mon Jan 4 (9), Tue Jan 5 (10).
        w.set_today(date(2026, 12, 21));
        let zhang = citizen("zhang");
        let view = w.apply(&zhang, &item, "december-000001").await;
        assert_eq!(view.case.due, Some(date(2027, 1, 5)), "never a blank date");
        assert!(view.case.due_provisional, "2027 is not announced yet");
        let mine = w.hall.my_cases(&zhang, Page::default()).await.unwrap();
        assert!(mine[0].due_provisional);

        // Late yellow/red still work on the provisional date.
        w.set_today(date(2027, 1, 6));
        let late = w.hall.case(&zhang, &view.case.id).await.unwrap();
        assert_eq!(late.urgency, Urgency::Overdue);
        w.set_today(date(2026, 12, 22));

        // The year is announced with Jan 1–3 off and Mon Jan 4 as a bridging day.
        w.hall
            .calendar()
            .merge_toml(
                "[2027]\nholidays = [{ name = \"元旦\", from = \"2027-01-01\", to = \"2027-01-04\" }]\nmakeup_workdays = []\n",
            )
            .unwrap();
        let clerk = staff("ga-clerk", &w.police, Role::Clerk);
        assert!(w.hall.recount_due_days(&clerk, 2027).await.is_err(), "a clerk may not");
        let admin = tongban_kernel::Principal::system("calendar");
        let recount = w.hall.recount_due_days(&admin, 2027).await.unwrap();
        assert_eq!((recount.checked, recount.moved), (1, 1));
        let after = w.hall.case(&zhang, &view.case.id).await.unwrap();
        assert_eq!(after.case.due, Some(date(2027, 1, 6)));
        assert!(!after.case.due_provisional);
        let events = w.events("hall.case.due_recounted").await;
        assert_eq!(events.len(), 1);
        let detail: serde_json::Value = serde_json::from_str(&events[0].detail).unwrap();
        assert_eq!(detail["old_due"], "2027-01-05");
        assert_eq!(detail["new_due"], "2027-01-06");
        assert!(after.log.iter().any(|l| l.action == "due_recounted" && l.public));
        let told = w.hall.notifications(&zhang, Page::default()).await.unwrap();
        assert!(told.iter().any(|n| n.action == "hall.case.due_recounted" && n.message.contains("2027-01-06")));
        // Counting again moves nothing.
        assert_eq!(w.hall.recount_due_days(&admin, 2027).await.unwrap().moved, 0);
    })
    .await;
}
