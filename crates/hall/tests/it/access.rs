//! Who sees and acts on a case: another department's staff cannot (Forbidden), staff of the
//! right department need the step's role, a citizen sees only their own cases (another's is
//! NotFound), and a forged or unknown case id is refused.

use crate::support::{World, citizen, forbidden, not_found, staff};
use tongban_hall::{CaseId, InboxFilter, MIGRATIONS, ReviewInput, StepKind};
use tongban_kernel::{Page, Role};
use tongban_test_support::each_backend;

#[tokio::test]
async fn another_departments_staff_can_neither_see_nor_act_on_a_case() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let (item, _) = w.item_with("GA-ACCESS", 10, w.plain_steps()).await;
        let case = w.apply(&citizen("zhang"), &item, "access-0001").await.case;
        let outsider = staff("wj-clerk", &w.health, Role::Clerk);
        forbidden(w.hall.case(&outsider, &case.id).await);
        forbidden(w.hall.accept_case(&outsider, &case.id, "").await);
        forbidden(w.hall.refuse_case(&outsider, &case.id, "不符合").await);
        forbidden(w.hall.add_note(&outsider, &case.id, "看看").await);
        forbidden(w.hall.case_form(&outsider, &case.id).await);
        // Nor list the other department's inbox.
        let theirs = InboxFilter {
            department: w.police.path.clone(),
            role: Role::Clerk,
            urgency: None,
            step_kind: None,
            item: None,
            mine_only: false,
        };
        forbidden(w.hall.inbox(&outsider, &theirs, Page::default()).await);
        // Their own inbox does not hold it.
        let own = InboxFilter {
            department: w.health.path.clone(),
            ..theirs.clone()
        };
        assert_eq!(
            w.hall
                .inbox(&outsider, &own, Page::default())
                .await
                .unwrap()
                .counts
                .total,
            0
        );

        // The right department without the step's role may look but not act.
        let reviewer = staff("ga-reviewer", &w.police, Role::Reviewer);
        assert_eq!(w.hall.case(&reviewer, &case.id).await.unwrap().case.id, case.id);
        forbidden(w.hall.accept_case(&reviewer, &case.id, "").await);
        // The clerk may; the next step's reviewer then sees it in their inbox.
        let clerk = staff("ga-clerk", &w.police, Role::Clerk);
        assert_eq!(
            w.hall
                .inbox(&clerk, &theirs, Page::default())
                .await
                .unwrap()
                .counts
                .total,
            1
        );
        w.hall.accept_case(&clerk, &case.id, "").await.unwrap();
        let review = InboxFilter {
            role: Role::Reviewer,
            step_kind: Some(StepKind::Review),
            ..theirs
        };
        let inbox = w.hall.inbox(&reviewer, &review, Page::default()).await.unwrap();
        assert_eq!(inbox.tasks.len(), 1);
        assert_eq!(inbox.tasks[0].case_number, case.number);
        forbidden(
            w.hall
                .review_case(
                    &outsider,
                    &case.id,
                    ReviewInput {
                        agree: true,
                        opinion: String::new(),
                    },
                )
                .await,
        );
        assert!(w.events("hall.case.accepted").await.len() == 1);
    })
    .await;
}

#[tokio::test]
async fn a_citizen_sees_only_their_own_cases() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let (item, _) = w.item_with("GA-MINE", 10, w.plain_steps()).await;
        let zhang = citizen("zhang");
        let li = citizen("li");
        let a = w.apply(&zhang, &item, "mine-00001").await.case;
        let b = w.apply(&li, &item, "mine-00002").await.case;
        let mine = w.hall.my_cases(&zhang, Page::default()).await.unwrap();
        assert_eq!(
            mine.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
            vec![a.id.clone()]
        );
        not_found(w.hall.case(&zhang, &b.id).await);
        not_found(w.hall.case_form(&zhang, &b.id).await);
        not_found(w.hall.withdraw_case(&zhang, &b.id, "").await);
        // The applicant sees no tasks and no internal notes.
        let clerk = staff("ga-clerk", &w.police, Role::Clerk);
        w.hall.add_note(&clerk, &a.id, "申请人曾来电咨询").await.unwrap();
        let view = w.hall.case(&zhang, &a.id).await.unwrap();
        assert!(view.tasks.is_empty());
        assert!(view.log.iter().all(|e| e.public && e.action != "note"));
        let staff_view = w.hall.case(&clerk, &a.id).await.unwrap();
        assert!(staff_view.log.iter().any(|e| e.action == "note" && !e.public));
        // A citizen cannot act as staff on their own case either.
        forbidden(w.hall.accept_case(&zhang, &a.id, "").await);
        // Staff accounts cannot apply.
        forbidden(
            w.hall
                .submit_case(&clerk, crate::support::application(&item, "staff-0001"))
                .await,
        );
    })
    .await;
}

#[tokio::test]
async fn a_forged_or_unknown_case_id_is_refused() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let err = CaseId::parse("case_id", "1' OR '1'='1").unwrap_err();
        assert_eq!(err.field, "case_id");
        let unknown = CaseId::new();
        let clerk = staff("ga-clerk", &w.police, Role::Clerk);
        not_found(w.hall.case(&clerk, &unknown).await);
        not_found(w.hall.accept_case(&clerk, &unknown, "").await);
        not_found(w.hall.case(&citizen("zhang"), &unknown).await);
    })
    .await;
}
