//! Applications in progress: a draft is its owner's alone, sealed at rest, replaced as the pages
//! are answered, bounded in size and number, dropped after 30 days and removed by the submission
//! it becomes.

use crate::support::{World, application, citizen, forbidden, invalid, staff};
use tongban_db::params;
use tongban_hall::{MAX_DRAFT_BYTES, MAX_DRAFTS, MIGRATIONS};
use tongban_kernel::Role;
use tongban_test_support::each_backend;

const TARGET: &str = "/services/GA-DRAFT";

/// Asserts the draft is reported as not existing.
fn gone<T: std::fmt::Debug>(r: Result<T, tongban_hall::Error>) {
    assert!(
        matches!(r, Err(tongban_hall::Error::NotFound { what: "draft" })),
        "{r:?}"
    );
}

#[tokio::test]
async fn a_draft_is_its_owners_alone_sealed_and_gone_once_submitted() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let (item, _) = w.item_with("GA-DRAFT", 10, w.plain_steps()).await;
        let zhang = citizen("zhang");
        let body = r#"{"answers":{"id_number":"330106199001011234"}}"#;
        w.hall
            .save_draft(&zhang, "draft-0001", TARGET, body)
            .await
            .unwrap();
        let saved = w.hall.draft(&zhang, "draft-0001", TARGET).await.unwrap();
        assert_eq!(saved.body, body);
        assert_eq!(saved.key, "draft-0001");

        // Sealed at rest: the ID number is not in the table.
        let raw: String =
            w.db.fetch_one(
                "SELECT body FROM hall_drafts WHERE id = $1",
                params!["draft-0001"],
            )
            .await
            .unwrap()
            .get("body")
            .unwrap();
        assert!(tongban_crypto::FieldCipher::is_encrypted(&raw) && !raw.contains("330106"));

        // A later page replaces the body.
        let later = r#"{"step":2,"answers":{"id_number":"330106199001011234","name":"张三"}}"#;
        w.hall
            .save_draft(&zhang, "draft-0001", TARGET, later)
            .await
            .unwrap();
        assert_eq!(
            w.hall.draft(&zhang, "draft-0001", TARGET).await.unwrap().body,
            later
        );
        assert_eq!(w.events("hall.draft.started").await.len(), 1);
        assert_eq!(w.events("hall.draft.saved").await.len(), 1);
        let event = &w.events("hall.draft.saved").await[0];
        assert!(!event.summary.contains("330106") && !event.detail.to_string().contains("330106"));

        // Nobody else reads it; the same key is another applicant's own draft.
        let li = citizen("li");
        gone(w.hall.draft(&li, "draft-0001", TARGET).await);
        w.hall.save_draft(&li, "draft-0001", TARGET, "{}").await.unwrap();
        assert_eq!(
            w.hall.draft(&zhang, "draft-0001", TARGET).await.unwrap().body,
            later
        );
        // The same key for another service is not this draft.
        gone(w.hall.draft(&zhang, "draft-0001", "/services/OTHER").await);
        gone(
            w.hall
                .save_draft(&zhang, "draft-0001", "/services/OTHER", "{}")
                .await,
        );
        // Staff do not apply; keys, targets and sizes are checked.
        let clerk = staff("ga-clerk", &w.police, Role::Clerk);
        forbidden(w.hall.save_draft(&clerk, "draft-0002", TARGET, "{}").await);
        invalid(
            w.hall.save_draft(&zhang, "bad key", TARGET, "{}").await,
            "submission_key",
        );
        invalid(w.hall.save_draft(&zhang, "draft-0003", "", "{}").await, "target");
        let huge = "x".repeat(MAX_DRAFT_BYTES + 1);
        invalid(
            w.hall.save_draft(&zhang, "draft-0003", TARGET, &huge).await,
            "draft",
        );

        // Taken up again: the latest of the owner's drafts for that service.
        let latest = w.hall.latest_draft(&zhang, TARGET).await.unwrap().unwrap();
        assert_eq!(latest.key, "draft-0001");

        // The submission under the draft's key removes it, and only the submitter's.
        w.hall
            .submit_case(&zhang, application(&item, "draft-0001"))
            .await
            .unwrap();
        gone(w.hall.draft(&zhang, "draft-0001", TARGET).await);
        assert!(w.hall.latest_draft(&zhang, TARGET).await.unwrap().is_none());
        assert_eq!(w.hall.draft(&li, "draft-0001", TARGET).await.unwrap().body, "{}");
    })
    .await;
}

#[tokio::test]
async fn drafts_are_capped_per_applicant_and_dropped_after_thirty_days() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let zhang = citizen("zhang");
        for n in 0..=MAX_DRAFTS {
            w.hall
                .save_draft(&zhang, &format!("draft-{n:04}"), TARGET, "{}")
                .await
                .unwrap();
            // Each a moment later than the last.
            w.now.fetch_add(1000, std::sync::atomic::Ordering::SeqCst);
        }
        // One more than the cap: the oldest went.
        gone(w.hall.draft(&zhang, "draft-0000", TARGET).await);
        w.hall.draft(&zhang, "draft-0001", TARGET).await.unwrap();
        let kept: i64 =
            w.db.fetch_one("SELECT COUNT(*) AS n FROM hall_drafts", params![])
                .await
                .unwrap()
                .get("n")
                .unwrap();
        assert_eq!(kept, MAX_DRAFTS as i64);
        // Thirty days untouched: gone.
        w.set_today(jiff::civil::date(2026, 4, 2));
        gone(w.hall.draft(&zhang, "draft-0001", TARGET).await);
        assert!(w.hall.latest_draft(&zhang, TARGET).await.unwrap().is_none());
    })
    .await;
}
