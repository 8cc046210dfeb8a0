//! Typed event kinds and the feeds consumers follow them with.

use tongban_db::event::{self, EventDraft, EventKind, Feed};
use tongban_db::{Db, Error};
use tongban_kernel::Principal;
use tongban_test_support::each_backend;

mod kinds {
    tongban_db::event_kinds! {
        /// A thing was made.
        ThingMade = "test.thing.made" on "thing" {
            /// Its number.
            n: i64,
            /// Its label, when it has one.
            label: Option<String>,
        }
        /// A thing was dropped.
        ThingDropped = "test.thing.dropped" on "thing" {
            /// Why.
            why: String,
        }
    }
}
use kinds::{KINDS, ThingDropped, ThingMade};

async fn append(db: &Db, drafts: Vec<EventDraft<'static>>) {
    let actor = Principal::system("test");
    let mut tx = db.begin_write().await.unwrap();
    for d in drafts {
        tx.append_event(&actor, d).await.unwrap();
    }
    tx.commit().await.unwrap();
}

fn made(n: i64) -> EventDraft<'static> {
    EventDraft::of(
        &ThingMade { n, label: None },
        "t",
        None,
        format!("做 {n} / made {n}"),
    )
}

fn dropped() -> EventDraft<'static> {
    EventDraft::of(&ThingDropped { why: "worn".into() }, "t", None, "丢 / dropped")
}

#[test]
fn a_kind_names_its_action_and_object_and_the_crate_lists_them() {
    assert_eq!(ThingMade::ACTION, "test.thing.made");
    assert_eq!(ThingMade::OBJECT, "thing");
    assert_eq!(KINDS, ["test.thing.made", "test.thing.dropped"]);
    let d = made(3);
    assert_eq!((d.action, d.object_type), ("test.thing.made", "thing"));
    assert_eq!(d.detail, serde_json::json!({ "n": 3, "label": null }));
}

#[tokio::test]
async fn a_consumer_reads_its_kinds_typed_and_others_not_at_all() {
    each_backend(&[], |db| async move {
        append(&db, vec![made(1), dropped(), made(2)]).await;
        let all = event::read_after(&db, 0, 10).await.unwrap();
        assert_eq!(
            all[0].read::<ThingMade>().unwrap().unwrap(),
            ThingMade { n: 1, label: None }
        );
        assert!(
            all[1].read::<ThingMade>().is_none(),
            "another kind is not read as this one"
        );
        assert!(all[1].is::<ThingDropped>());

        let feed = Feed::new(&db, "test.made").of::<ThingMade>();
        let batch = feed.next().await.unwrap().unwrap();
        let ns: Vec<i64> = batch.read::<ThingMade>().map(|r| r.unwrap().1.n).collect();
        assert_eq!(ns, [1, 2]);
        assert_eq!(batch.upto, 3);
        assert!(
            batch.read::<ThingDropped>().next().is_none(),
            "not followed, not read"
        );
    })
    .await;
}

#[tokio::test]
async fn a_batch_is_read_again_until_its_position_commits_with_the_work() {
    each_backend(&[], |db| async move {
        append(&db, (1..=5).map(made).collect()).await;
        let feed = Feed::new(&db, "test.batches").of::<ThingMade>().batch(2);
        let first = feed.next().await.unwrap().unwrap();
        assert_eq!(
            (first.events.len(), first.upto),
            (2, 2),
            "a full batch stops at its last"
        );

        // Handling failed: the transaction rolls back, the same batch comes again.
        let mut tx = db.begin_write().await.unwrap();
        first.done(&mut tx).await.unwrap();
        drop(tx);
        assert_eq!(feed.next().await.unwrap().unwrap().upto, 2);

        let mut seen = Vec::new();
        while let Some(b) = feed.next().await.unwrap() {
            seen.extend(b.read::<ThingMade>().map(|r| r.unwrap().1.n));
            let mut tx = db.begin_write().await.unwrap();
            b.done(&mut tx).await.unwrap();
            tx.commit().await.unwrap();
        }
        assert_eq!(seen, [1, 2, 3, 4, 5], "each once, in order");
        assert_eq!(event::cursor(&db, "test.batches").await.unwrap(), 5);
    })
    .await;
}

#[tokio::test]
async fn other_kinds_move_the_position_on_and_a_new_consumer_may_start_now() {
    each_backend(&[], |db| async move {
        append(&db, vec![made(1), dropped(), dropped()]).await;
        let feed = Feed::new(&db, "test.skip").of::<ThingDropped>().batch(1);
        let b = feed.next().await.unwrap().unwrap();
        assert_eq!((b.events.len(), b.upto), (1, 2));

        let late = Feed::new(&db, "test.late").of::<ThingMade>().from_now();
        assert!(late.next().await.unwrap().is_none(), "the past is not read");
        append(&db, vec![made(9)]).await;
        let b = late.next().await.unwrap().unwrap();
        assert_eq!(
            b.read::<ThingMade>().map(|r| r.unwrap().1.n).collect::<Vec<_>>(),
            [9]
        );
    })
    .await;
}

#[test]
fn facts_about_the_object_flatten_beside_the_kinds_own() {
    #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    struct About {
        number: String,
    }
    let both = event::With {
        about: About { number: "N1".into() },
        detail: ThingDropped { why: "worn".into() },
    };
    let d = EventDraft::of(&both, "t", None, "丢 / dropped");
    assert_eq!(d.action, ThingDropped::ACTION);
    assert_eq!(d.detail, serde_json::json!({ "number": "N1", "why": "worn" }));
    let back: event::With<About, ThingDropped> = serde_json::from_value(d.detail).unwrap();
    assert_eq!(back, both);
}

#[tokio::test]
async fn a_detail_that_no_longer_fits_its_kind_is_an_error_not_a_skip() {
    each_backend(&[], |db| async move {
        let mut bad = made(1);
        bad.detail = serde_json::json!({ "n": "one" });
        append(&db, vec![bad]).await;
        let b = Feed::new(&db, "test.bad")
            .of::<ThingMade>()
            .next()
            .await
            .unwrap()
            .unwrap();
        let err = b.read::<ThingMade>().next().unwrap().unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
        assert!(err.to_string().contains("test.thing.made"), "{err}");
    })
    .await;
}
