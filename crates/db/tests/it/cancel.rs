//! A write dropped at any point — a request timed out, a client went away — leaves the database
//! writable: no transaction, and no write lock, outlives the dropped future.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;
use tongban_db::event::EventDraft;
use tongban_db::{Db, params};
use tongban_kernel::Principal;
use tongban_test_support::each_backend;

async fn write(db: Db, id: String) -> tongban_db::Result<()> {
    let actor = Principal::system("test");
    let mut tx = db.begin_write().await?;
    tx.execute(
        "INSERT INTO things (id, n) VALUES ($1, $2)",
        params![id.as_str(), 1i64],
    )
    .await?;
    tx.fetch_all("SELECT id FROM things", params![]).await?;
    tx.append_event(
        &actor,
        EventDraft {
            action: "test.thing.created",
            object_type: "thing",
            object_id: &id,
            object_dept: None,
            summary: format!("创建 {id} / created {id}"),
            detail: serde_json::json!({}),
        },
    )
    .await?;
    tx.commit().await
}

/// Polls `fut` at most `polls` times, letting other work run in between; then drops it.
async fn drop_after(
    mut fut: Pin<Box<dyn Future<Output = tongban_db::Result<()>> + Send>>,
    polls: usize,
) -> bool {
    for _ in 0..polls {
        let ready = std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx).is_ready())).await;
        if ready {
            return true;
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    false
}

#[tokio::test]
async fn a_write_cancelled_at_any_await_point_leaves_the_database_writable() {
    each_backend(&[], |db| async move {
        db.execute(
            "CREATE TABLE things (id TEXT PRIMARY KEY, n BIGINT NOT NULL)",
            params![],
        )
        .await
        .unwrap();
        let mut finished = 0;
        for polls in 0..60 {
            let fut = Box::pin(write(db.clone(), format!("cancelled-{polls}")));
            if drop_after(fut, polls).await {
                finished += 1;
            }
            // The next write goes through, well inside the 10 s busy timeout.
            tokio::time::timeout(
                Duration::from_secs(5),
                write(db.clone(), format!("after-{polls}")),
            )
            .await
            .unwrap_or_else(|_| panic!("a write after one dropped at poll {polls} waited on a lock"))
            .unwrap_or_else(|e| panic!("a write after one dropped at poll {polls} failed: {e}"));
        }
        assert!(
            finished > 0,
            "some writes were let finish, so every await point was crossed"
        );
        // Nothing half-written: each dropped write is either whole (row and event) or absent.
        let rows = db
            .fetch_all("SELECT id FROM things", params![])
            .await
            .unwrap()
            .len();
        let events = tongban_db::event::read_after(&db, 0, 1000).await.unwrap().len();
        assert_eq!(rows, events);
    })
    .await;
}
