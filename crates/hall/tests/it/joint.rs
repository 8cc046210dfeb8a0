//! 会签 across departments: all must agree, any one (或签), or a ratio (2 of 3).

use crate::support::{World, citizen, conflict, forbidden, staff};
use tongban_hall::{CaseId, CaseView, MIGRATIONS, ReviewInput, SignMode, StepKind, TaskState};
use tongban_kernel::Role;
use tongban_test_support::each_backend;

fn yes() -> ReviewInput {
    ReviewInput {
        agree: true,
        opinion: "同意".into(),
    }
}

fn no() -> ReviewInput {
    ReviewInput {
        agree: false,
        opinion: "材料不符合条件".into(),
    }
}

/// A case of an item whose review is joint in `mode`, accepted and waiting for the reviews.
async fn at_joint_review(w: &World, code: &str, mode: SignMode) -> CaseId {
    let (item, wf) = w.item_with(code, 10, w.joint_steps(mode)).await;
    assert_eq!(wf.steps[1].assignees.len(), 3);
    let case = w
        .apply(&citizen("zhang"), &item, &format!("{code}-key01"))
        .await
        .case;
    let clerk = staff("ga-clerk", &w.police, Role::Clerk);
    let accepted = w.hall.accept_case(&clerk, &case.id, "材料齐全").await.unwrap();
    assert_eq!(accepted.case.step, 1);
    let open: Vec<_> = accepted
        .tasks
        .iter()
        .filter(|t| t.state == TaskState::Open)
        .collect();
    assert_eq!(open.len(), 3, "one task per department");
    case.id
}

fn step_kind(v: &CaseView) -> StepKind {
    v.tasks
        .iter()
        .find(|t| t.state == TaskState::Open)
        .map(|t| t.step_kind)
        .expect("an open task")
}

#[tokio::test]
async fn all_mode_needs_every_department_and_fails_on_one_refusal() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let id = at_joint_review(&w, "JOINT-ALL", SignMode::All).await;
        let ga = staff("ga-reviewer", &w.police, Role::Reviewer);
        let mz = staff("mz-reviewer", &w.civil, Role::Reviewer);
        let rs = staff("rs-reviewer", &w.labour, Role::Reviewer);
        assert_eq!(w.hall.review_case(&ga, &id, yes()).await.unwrap().case.step, 1);
        // The same department cannot sign twice.
        forbidden(w.hall.review_case(&ga, &id, yes()).await);
        assert_eq!(w.hall.review_case(&mz, &id, yes()).await.unwrap().case.step, 1);
        let done = w.hall.review_case(&rs, &id, yes()).await.unwrap();
        assert_eq!(done.case.step, 2);
        assert_eq!(step_kind(&done), StepKind::Decide);
        assert!(done.log.iter().any(|e| e.note.contains("3/3")), "{:?}", done.log);

        let id = at_joint_review(&w, "JOINT-ALL2", SignMode::All).await;
        crate::support::invalid(
            w.hall
                .review_case(
                    &mz,
                    &id,
                    ReviewInput {
                        agree: false,
                        opinion: " ".into(),
                    },
                )
                .await,
            "opinion",
        );
        let failed = w.hall.review_case(&mz, &id, no()).await.unwrap();
        assert_eq!(
            failed.case.step, 2,
            "one refusal decides an all-must-agree review"
        );
        assert!(failed.log.iter().any(|e| e.note.contains("会签未通过")));
        let cancelled = failed
            .tasks
            .iter()
            .filter(|t| t.step == 1 && t.state == TaskState::Cancelled)
            .count();
        assert_eq!(cancelled, 2);
        conflict(w.hall.review_case(&rs, &id, yes()).await, "status");
    })
    .await;
}

#[tokio::test]
async fn any_mode_completes_on_the_first_agreement() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let id = at_joint_review(&w, "JOINT-ANY", SignMode::Any).await;
        let ga = staff("ga-reviewer", &w.police, Role::Reviewer);
        let mz = staff("mz-reviewer", &w.civil, Role::Reviewer);
        let rs = staff("rs-reviewer", &w.labour, Role::Reviewer);
        assert_eq!(
            w.hall.review_case(&ga, &id, no()).await.unwrap().case.step,
            1,
            "one refusal of three decides nothing"
        );
        let done = w.hall.review_case(&rs, &id, yes()).await.unwrap();
        assert_eq!(done.case.step, 2);
        assert_eq!(step_kind(&done), StepKind::Decide);
        conflict(w.hall.review_case(&mz, &id, yes()).await, "status");
    })
    .await;
}

#[tokio::test]
async fn ratio_mode_completes_at_two_of_three() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let id = at_joint_review(&w, "JOINT-RATIO", SignMode::Ratio { required: 2 }).await;
        let ga = staff("ga-reviewer", &w.police, Role::Reviewer);
        let mz = staff("mz-reviewer", &w.civil, Role::Reviewer);
        let rs = staff("rs-reviewer", &w.labour, Role::Reviewer);
        assert_eq!(w.hall.review_case(&ga, &id, yes()).await.unwrap().case.step, 1);
        assert_eq!(
            w.hall.review_case(&mz, &id, no()).await.unwrap().case.step,
            1,
            "1 yes, 1 no: still open"
        );
        let done = w.hall.review_case(&rs, &id, yes()).await.unwrap();
        assert_eq!(done.case.step, 2);
        assert!(done.log.iter().any(|e| e.note.contains("2/3")), "{:?}", done.log);

        // Two refusals make two agreements impossible: the step ends failed.
        let id = at_joint_review(&w, "JOINT-RATIO2", SignMode::Ratio { required: 2 }).await;
        assert_eq!(w.hall.review_case(&ga, &id, no()).await.unwrap().case.step, 1);
        let failed = w.hall.review_case(&rs, &id, no()).await.unwrap();
        assert_eq!(failed.case.step, 2);
        assert!(failed.log.iter().any(|e| e.note.contains("会签未通过")));
        assert_eq!(w.events("hall.case.reviewed").await.len(), 5);
    })
    .await;
}
