//! Builders shared by the ledger tests: events written by real transactions, a ledger with a
//! fresh key, and assertions on verification reports.

use tongban_crypto::{SigningKey, VerifyingKey};
use tongban_db::{Db, Event, EventDraft, params};
use tongban_kernel::{DeptPath, Principal, PrincipalKind, Role, RoleGrant};
use tongban_ledger::{Ledger, LedgerConfig, ProblemKind, VerifyReport};

/// A staff member of `dept` holding `role` over `scope`.
pub fn staff(name: &str, dept: &str, role: Role, scope: &str) -> Principal {
    Principal {
        kind: PrincipalKind::User,
        id: format!("id-{name}"),
        name: name.into(),
        department: Some(DeptPath(dept.into())),
        grants: vec![RoleGrant {
            role,
            scope: DeptPath(scope.into()),
        }],
        purpose: None,
    }
}

/// Commits one event done by `actor` in its own write transaction.
pub async fn write_as(
    db: &Db,
    actor: &Principal,
    action: &str,
    object_dept: Option<&str>,
    summary: &str,
) -> Event {
    let dept = object_dept.map(|d| DeptPath(d.into()));
    let mut tx = db.begin_write().await.expect("test setup");
    let e = tx
        .append_event(
            actor,
            EventDraft {
                action,
                object_type: "thing",
                object_id: "obj-1",
                object_dept: dept.as_ref(),
                summary: summary.into(),
                detail: serde_json::json!({ "summary": summary }),
            },
        )
        .await
        .expect("test setup");
    tx.commit().await.expect("test setup");
    e
}

/// Commits `n` events by the system actor.
pub async fn write_events(db: &Db, n: usize) {
    let actor = Principal::system("test");
    for i in 0..n {
        write_as(
            db,
            &actor,
            "test.thing.changed",
            None,
            &format!("修改 {i} / changed {i}"),
        )
        .await;
    }
}

/// A ledger with a fresh key that checkpoints every `every` entries (never by time), and the key
/// that verifies it.
pub fn ledger(db: &Db, every: u32) -> (Ledger, VerifyingKey) {
    let key = SigningKey::generate();
    let vk = key.verifying_key();
    let l = Ledger::new(
        db.clone(),
        key,
        LedgerConfig {
            checkpoint_every: every,
            checkpoint_interval: std::time::Duration::from_secs(3600),
            batch: 4,
        },
    );
    (l, vk)
}

/// Ten events chained with a checkpoint every three (at 3, 6, 9).
pub async fn chained_ten(db: &Db) -> VerifyingKey {
    write_events(db, 10).await;
    let (l, vk) = ledger(db, 3);
    assert_eq!(l.catch_up().await.expect("test setup"), 10);
    vk
}

pub async fn exec(db: &Db, sql: &str) {
    db.execute(sql, params![]).await.expect("test setup");
}

pub async fn count(db: &Db, table: &str) -> i64 {
    db.fetch_one(&format!("SELECT COUNT(*) AS n FROM {table}"), params![])
        .await
        .expect("test setup")
        .get("n")
        .expect("test setup")
}

/// Asserts the report names `seq` with `kind`.
pub fn assert_problem(r: &VerifyReport, seq: i64, kind: ProblemKind) {
    assert!(!r.ok, "expected a problem, got {}", r.summary());
    let p = r.first_problem.as_ref().expect("test setup");
    assert_eq!((p.seq, p.kind), (seq, kind), "{}", r.summary());
    assert!(r.summary().contains(&format!("第 {seq} 条")), "{}", r.summary());
    assert_eq!(r.summary().matches(" / ").count(), 1, "{}", r.summary());
}
