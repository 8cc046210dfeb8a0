//! Submission: the same submission key gives the same case, case numbers are gapless per day
//! even under concurrency, a missing required field is named, personal values are encrypted at
//! rest and masked on output, and a running case keeps the workflow version it started on.

use crate::support::{ID, World, application, citizen, conflict, forbidden, invalid, staff, step};
use std::collections::BTreeSet;
use tongban_db::params;
use tongban_hall::{CaseStatus, MIGRATIONS, ReviewInput, SignMode, StepKind};
use tongban_kernel::Role;
use tongban_test_support::each_backend;

#[tokio::test]
async fn a_double_submission_returns_the_same_case() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let (item, _) = w.item_with("GA-TWICE", 10, w.plain_steps()).await;
        let zhang = citizen("zhang");
        let first = w.apply(&zhang, &item, "double-0001").await.case;
        let again = w.apply(&zhang, &item, "double-0001").await.case;
        assert_eq!(first.id, again.id);
        assert_eq!(first.number, again.number);
        assert_eq!(first.number, "2026-0302-000001");
        // Another key is another case, numbered next.
        let second = w.apply(&zhang, &item, "double-0002").await.case;
        assert_eq!(second.number, "2026-0302-000002");
        // The same key from another applicant is theirs alone.
        let li = w.apply(&citizen("li"), &item, "double-0001").await.case;
        assert_ne!(li.id, first.id);
        assert_eq!(w.events("hall.case.submitted").await.len(), 3);
        invalid(
            w.hall.submit_case(&zhang, application(&item, "short")).await,
            "submission_key",
        );
        invalid(
            w.hall
                .submit_case(&zhang, application(&item, "bad key with spaces"))
                .await,
            "submission_key",
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_submissions_get_gapless_distinct_numbers() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let (item, _) = w.item_with("GA-RUSH", 10, w.plain_steps()).await;
        let mut handles = Vec::new();
        for i in 0..8 {
            let hall = w.hall.clone();
            let new = application(&item, &format!("rush-key-{i:02}"));
            handles.push(tokio::spawn(async move {
                hall.submit_case(&citizen(&format!("c{i}")), new)
                    .await
                    .map(|v| v.case.number)
            }));
        }
        let mut numbers = BTreeSet::new();
        for h in handles {
            numbers.insert(h.await.unwrap().unwrap());
        }
        let expected: BTreeSet<String> = (1..=8).map(|n| format!("2026-0302-{n:06}")).collect();
        assert_eq!(numbers, expected);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_click_racing_itself_makes_one_case_and_burns_no_number() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let (item, _) = w.item_with("GA-CLICK", 10, w.plain_steps()).await;
        let zhang = citizen("zhang");
        let mut handles = Vec::new();
        for _ in 0..4 {
            let hall = w.hall.clone();
            let who = zhang.clone();
            let new = application(&item, "click-00001");
            handles.push(tokio::spawn(async move {
                hall.submit_case(&who, new).await.map(|v| v.case)
            }));
        }
        let mut ids = BTreeSet::new();
        for h in handles {
            let case = h.await.unwrap().unwrap();
            assert_eq!(case.number, "2026-0302-000001");
            ids.insert(case.id);
        }
        assert_eq!(ids.len(), 1);
        let next = w.apply(&zhang, &item, "click-00002").await.case;
        assert_eq!(next.number, "2026-0302-000002", "the losing attempts left no gap");
        assert_eq!(w.events("hall.case.submitted").await.len(), 2);
    })
    .await;
}

#[tokio::test]
async fn a_missing_required_field_is_named_and_bad_values_too() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let (item, _) = w.item_with("GA-FORM", 10, w.plain_steps()).await;
        let zhang = citizen("zhang");
        let mut new = application(&item, "form-00001");
        new.form.remove("id_number");
        match w.hall.submit_case(&zhang, new.clone()).await {
            Err(tongban_hall::Error::Invalid(i)) => {
                assert_eq!(i.field, "form.id_number");
                assert!(i.reason.to_string().contains("身份证号"), "{}", i.reason);
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
        new.form.insert("id_number".into(), "110105194912310021".into());
        invalid(w.hall.submit_case(&zhang, new.clone()).await, "form.id_number");
        new.form.insert("id_number".into(), ID.into());
        new.form.insert("reason".into(), "tourism".into());
        invalid(w.hall.submit_case(&zhang, new.clone()).await, "form.reason");
        new.form.insert("reason".into(), "work".into());
        new.form.insert("months".into(), "many".into());
        invalid(w.hall.submit_case(&zhang, new.clone()).await, "form.months");
        new.form.insert("months".into(), "3".into());
        new.form.insert("phone".into(), "call me".into());
        invalid(w.hall.submit_case(&zhang, new.clone()).await, "form.phone");
        new.form.remove("phone");
        new.form.insert("photo".into(), "../../etc/passwd".into());
        invalid(w.hall.submit_case(&zhang, new.clone()).await, "form.photo");
        new.form.remove("photo");
        new.form.insert("<script>".into(), "x".into());
        invalid(w.hall.submit_case(&zhang, new.clone()).await, "form.<script>");
        new.form.remove("<script>");
        new.form.insert("name".into(), "张".repeat(41));
        invalid(w.hall.submit_case(&zhang, new).await, "form.name");
        assert!(
            w.events("hall.case.submitted").await.is_empty(),
            "nothing was saved"
        );
    })
    .await;
}

#[tokio::test]
async fn personal_values_are_encrypted_at_rest_and_masked_on_output() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let (item, _) = w.item_with("GA-PII", 10, w.plain_steps()).await;
        let zhang = citizen("zhang");
        let case = w.apply(&zhang, &item, "pii-000001").await.case;
        let shown = |code: &str| case.form.iter().find(|v| v.code == code).unwrap().value.clone();
        assert_eq!(shown("id_number"), "1101*************X");
        assert_eq!(shown("phone"), "138****5678");
        assert!(shown("address").starts_with("浙江省杭州市*") && !shown("address").contains("文三路"));
        assert_eq!(shown("name"), "张三", "a non-personal field is shown as typed");
        let row =
            w.db.fetch_one(
                "SELECT form_sealed, form_masked FROM hall_cases WHERE id = $1",
                params![case.id.as_str()],
            )
            .await
            .unwrap();
        for column in ["form_sealed", "form_masked"] {
            let stored: String = row.get(column).unwrap();
            assert!(
                !stored.contains(ID) && !stored.contains("13812345678") && !stored.contains("文三路"),
                "{column}: {stored}"
            );
        }
        let events = tongban_db::event::read_after(&w.db, 0, 1000).await.unwrap();
        assert!(
            events
                .iter()
                .all(|e| !e.detail.contains(ID) && !e.summary.contains(ID))
        );
        // The handling clerk reads the clear values, which leaves an event.
        let clerk = staff("ga-clerk", &w.police, Role::Clerk);
        let clear = w.hall.case_form(&clerk, &case.id).await.unwrap();
        assert_eq!(clear["id_number"], ID);
        assert_eq!(w.events("hall.case.form_read").await.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_clerk_reveals_one_masked_value_with_a_reason_and_the_applicant_sees_it_was_read() {
    use tongban_hall::RevealReason;
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let (item, _) = w.item_with("GA-REVEAL", 10, w.plain_steps()).await;
        let zhang = citizen("zhang");
        let case = w.apply(&zhang, &item, "reveal-00001").await.case;
        let clerk = staff("ga-clerk", &w.police, Role::Clerk);
        let shown = w
            .hall
            .reveal_case_value(&clerk, &case.id, "id_number", RevealReason::IdentityCheck, "")
            .await
            .unwrap();
        assert_eq!(shown.value, ID);
        assert_eq!(shown.reason, RevealReason::IdentityCheck);
        // Recorded: the ledger names the field and the reason, never the value.
        let events = w.events("hall.case.value_revealed").await;
        assert_eq!(events.len(), 1);
        assert!(
            events[0].detail.contains("\"field\":\"id_number\"")
                && events[0].detail.contains("identity_check")
        );
        assert!(!events[0].detail.contains(ID) && !events[0].summary.contains(ID));
        // The applicant's timeline says who looked at what, and why.
        let mine = w.hall.case(&zhang, &case.id).await.unwrap();
        let entry = mine
            .log
            .iter()
            .find(|e| e.action == "value_revealed")
            .expect("in the timeline");
        assert!(entry.public && entry.note.contains("核对身份证件"), "{entry:?}");
        // "Other" needs a note; a value that is not masked, an empty one or an unknown field
        // is no reveal; the applicant and another bureau's staff may not.
        let refused = w
            .hall
            .reveal_case_value(&clerk, &case.id, "id_number", RevealReason::Other, " ")
            .await;
        assert!(
            matches!(&refused, Err(e) if e.field() == Some("note")),
            "{refused:?}"
        );
        for field in ["name", "no_such_field"] {
            let refused = w
                .hall
                .reveal_case_value(&clerk, &case.id, field, RevealReason::MaterialCheck, "")
                .await;
            assert!(
                matches!(&refused, Err(e) if e.field() == Some("field")),
                "{field}: {refused:?}"
            );
        }
        forbidden(
            w.hall
                .reveal_case_value(&zhang, &case.id, "id_number", RevealReason::Other, "看看")
                .await,
        );
        let outsider = staff("wj-clerk", &w.health, Role::Clerk);
        forbidden(
            w.hall
                .reveal_case_value(&outsider, &case.id, "phone", RevealReason::ContactApplicant, "")
                .await,
        );
        let other = w
            .hall
            .reveal_case_value(
                &clerk,
                &case.id,
                "phone",
                RevealReason::Other,
                "申请人留言要求回电",
            )
            .await
            .unwrap();
        assert_eq!(other.note, "申请人留言要求回电");
        let mine = w.hall.case(&zhang, &case.id).await.unwrap();
        assert!(
            mine.log
                .iter()
                .any(|e| e.note.contains("其他：申请人留言要求回电"))
        );
        assert_eq!(w.events("hall.case.value_revealed").await.len(), 2);
    })
    .await;
}

#[tokio::test]
async fn a_running_case_keeps_its_workflow_version_after_an_edit() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let (item, v1) = w.item_with("GA-VERSION", 10, w.plain_steps()).await;
        assert_eq!(v1.version, 1);
        let zhang = citizen("zhang");
        let old = w.apply(&zhang, &item, "version-001").await.case;
        assert_eq!(old.workflow_version, 1);

        // The administrator drops the review step: version 2.
        let admin = staff("ga-admin", &w.police, Role::DeptAdmin);
        let v2 = w
            .hall
            .save_workflow(
                &admin,
                &item.id,
                vec![
                    step(StepKind::Accept, &[(&w.police, "clerk")], SignMode::All, None),
                    step(StepKind::Decide, &[(&w.police, "approver")], SignMode::All, None),
                    step(StepKind::Issue, &[(&w.police, "clerk")], SignMode::All, None),
                ],
            )
            .await
            .unwrap();
        assert_eq!(v2.version, 2);
        let new = w.apply(&zhang, &item, "version-002").await.case;
        assert_eq!(new.workflow_version, 2);

        let clerk = staff("ga-clerk", &w.police, Role::Clerk);
        let old_after = w.hall.accept_case(&clerk, &old.id, "").await.unwrap();
        assert_eq!(old_after.case.workflow_version, 1);
        let open = |v: &tongban_hall::CaseView| {
            v.tasks
                .iter()
                .find(|t| t.state == tongban_hall::TaskState::Open)
                .unwrap()
                .step_kind
        };
        assert_eq!(open(&old_after), StepKind::Review, "version 1 still reviews");
        let new_after = w.hall.accept_case(&clerk, &new.id, "").await.unwrap();
        assert_eq!(
            open(&new_after),
            StepKind::Decide,
            "version 2 goes straight to the decision"
        );
        let reviewer = staff("ga-reviewer", &w.police, Role::Reviewer);
        let reviewed = w
            .hall
            .review_case(
                &reviewer,
                &old.id,
                ReviewInput {
                    agree: true,
                    opinion: String::new(),
                },
            )
            .await
            .unwrap();
        assert_eq!(open(&reviewed), StepKind::Decide);
        assert_eq!(w.hall.workflow(&item.id, 1).await.unwrap().steps.len(), 4);

        // An inactive item takes no applications.
        let mut edit = crate::support::item_input("GA-VERSION", &w.police);
        edit.active = false;
        let current = w.hall.item(&item.id).await.unwrap();
        w.hall
            .update_item(&admin, &item.id, current.version, edit)
            .await
            .unwrap();
        conflict(
            w.hall
                .submit_case(&zhang, application(&item, "version-003"))
                .await,
            "item",
        );
        assert_eq!(old_after.case.status, CaseStatus::InProgress);
    })
    .await;
}

#[tokio::test]
async fn prefilled_values_keep_their_source_and_only_prefillable_fields_may_be_marked() {
    use tongban_hall::Prefilled;
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let (item, _) = w.item_with("GA-PREFILL", 10, w.plain_steps()).await;
        let zhang = citizen("zhang");
        let mark = |corrected| Prefilled {
            source: "示范市公安局 · GA-HUJI".into(),
            corrected,
        };

        // `name` names no prefill source: marking it is refused, naming it.
        let mut bad = application(&item, "prefill-0001");
        bad.prefilled.insert("name".into(), mark(false));
        invalid(w.hall.submit_case(&zhang, bad).await, "prefilled.name");
        let mut empty_source = application(&item, "prefill-0002");
        empty_source.prefilled.insert(
            "id_number".into(),
            Prefilled {
                source: " ".into(),
                corrected: false,
            },
        );
        invalid(
            w.hall.submit_case(&zhang, empty_source).await,
            "prefilled.id_number",
        );

        let mut new = application(&item, "prefill-0003");
        new.prefilled.insert("id_number".into(), mark(true));
        let case = w.hall.submit_case(&zhang, new).await.unwrap().case;
        let id = case.form.iter().find(|v| v.code == "id_number").unwrap();
        assert_eq!(id.prefilled, Some(mark(true)));
        assert!(
            case.form
                .iter()
                .filter(|v| v.code != "id_number")
                .all(|v| v.prefilled.is_none())
        );
        // Staff read the same mark from storage.
        let seen = w
            .hall
            .case(&staff("ga-clerk", &w.police, Role::Clerk), &case.id)
            .await
            .unwrap();
        assert!(seen.case.form.iter().any(|v| v.prefilled == Some(mark(true))));
    })
    .await;
}

#[tokio::test]
async fn the_services_applied_for_most_come_first() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let (a, _) = w.item_with("GA-AAA", 10, w.plain_steps()).await;
        let (b, _) = w.item_with("GA-BBB", 10, w.plain_steps()).await;
        // Ties go by code; one application puts B first.
        let codes =
            |items: Vec<tongban_hall::ServiceItem>| items.into_iter().map(|i| i.code).collect::<Vec<_>>();
        assert_eq!(
            codes(w.hall.popular_items(8).await.unwrap()),
            ["GA-AAA", "GA-BBB"]
        );
        w.apply(&citizen("zhang"), &b, "popular-0001").await;
        assert_eq!(
            codes(w.hall.popular_items(8).await.unwrap()),
            ["GA-BBB", "GA-AAA"]
        );
        assert_eq!(codes(w.hall.popular_items(1).await.unwrap()), ["GA-BBB"]);
        let _ = a;
    })
    .await;
}
