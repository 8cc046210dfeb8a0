//! Events: the record every committed change leaves, appended in the change's own transaction.
//! Workers (ledger, search, deliveries) read them by cursor, at least once, in `seq` order.

use crate::{Db, Error, Result, Row, Tx, params};
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use tongban_kernel::{DeptPath, Millis, Principal};

static APPENDED: AtomicU64 = AtomicU64::new(0);

pub(crate) fn count_appended(n: u64) {
    APPENDED.fetch_add(n, Ordering::Relaxed);
}

/// Events committed by this process since it started (for `/metrics`).
pub fn appended_total() -> u64 {
    APPENDED.load(Ordering::Relaxed)
}

/// What a domain function says about its change. Never put secrets or clear personal data here:
/// events are shown to auditors and chained into the ledger for good.
#[derive(Debug, Clone)]
pub struct EventDraft<'a> {
    /// Dotted verb, crate first: `identity.account.created`.
    pub action: &'a str,
    /// Kind of object changed: `account`, `department`.
    pub object_type: &'a str,
    /// The object's id.
    pub object_id: &'a str,
    /// The department that owns the object, if any (for scoping who may see the event).
    pub object_dept: Option<&'a DeptPath>,
    /// One line for people, zh-CN first: `创建账号 zhang3 / created account zhang3`.
    pub summary: String,
    /// Structured detail as JSON (no secrets, personal data masked).
    pub detail: serde_json::Value,
}

/// A committed event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Position in the gapless, commit-ordered sequence, from 1.
    pub seq: i64,
    /// Its id (UUIDv7).
    pub id: String,
    /// When it was appended.
    pub at: Millis,
    /// `user`, `api_client`, `system`, `anonymous`.
    pub actor_kind: String,
    /// Account or client id, or `system:…`.
    pub actor_id: String,
    /// Login or client name.
    pub actor_name: String,
    /// The actor's department path.
    pub actor_dept: Option<String>,
    /// Dotted verb.
    pub action: String,
    /// Kind of object.
    pub object_type: String,
    /// The object's id.
    pub object_id: String,
    /// The object's department path.
    pub object_dept: Option<String>,
    /// One line for people.
    pub summary: String,
    /// JSON text.
    pub detail: String,
}

/// The columns of `events`, in [`Event`] order.
pub const COLUMNS: &str = "seq, id, at_ms, actor_kind, actor_id, actor_name, actor_dept, action, object_type, object_id, object_dept, summary, detail";

impl Event {
    /// Reads an event from a row selected with [`COLUMNS`].
    pub fn from_row(r: &Row) -> Result<Self> {
        Ok(Event {
            seq: r.get("seq")?,
            id: r.get("id")?,
            at: r.get("at_ms")?,
            actor_kind: r.get("actor_kind")?,
            actor_id: r.get("actor_id")?,
            actor_name: r.get("actor_name")?,
            actor_dept: r.get("actor_dept")?,
            action: r.get("action")?,
            object_type: r.get("object_type")?,
            object_id: r.get("object_id")?,
            object_dept: r.get("object_dept")?,
            summary: r.get("summary")?,
            detail: r.get("detail")?,
        })
    }
}

fn kind_code(p: &Principal) -> &'static str {
    match p.kind {
        tongban_kernel::PrincipalKind::User => "user",
        tongban_kernel::PrincipalKind::ApiClient => "api_client",
        tongban_kernel::PrincipalKind::System => "system",
        tongban_kernel::PrincipalKind::Anonymous => "anonymous",
    }
}

pub(crate) async fn append(tx: &mut Tx, actor: &Principal, d: EventDraft<'_>) -> Result<Event> {
    append_many(tx, vec![(actor, d)])
        .await?
        .pop()
        .ok_or_else(|| Error::Storage("no event appended".into()))
}

/// Appends events in the order given: one step of the counter for all of them, then multi-row
/// inserts. The counter row's lock is held until commit, so appenders queue there: seq order is
/// commit order and a rolled-back transaction leaves no gap.
pub(crate) async fn append_many(
    tx: &mut Tx,
    drafts: Vec<(&Principal, EventDraft<'_>)>,
) -> Result<Vec<Event>> {
    if drafts.is_empty() {
        return Ok(Vec::new());
    }
    let n = i64::try_from(drafts.len()).map_err(|_| Error::Storage("too many events".into()))?;
    let last: i64 = tx
        .fetch_one(
            "UPDATE event_counter SET last_seq = last_seq + $1 WHERE id = 1 RETURNING last_seq",
            params![n],
        )
        .await?
        .get("last_seq")?;
    let at = Millis::now();
    let events: Vec<Event> = drafts
        .into_iter()
        .zip(last - n + 1..)
        .map(|((actor, d), seq)| Event {
            seq,
            id: tongban_kernel::id::new_uuid_v7(),
            at,
            actor_kind: kind_code(actor).into(),
            actor_id: actor.id.clone(),
            actor_name: actor.name.clone(),
            actor_dept: actor.department.as_ref().map(|d| d.0.clone()),
            action: d.action.into(),
            object_type: d.object_type.into(),
            object_id: d.object_id.into(),
            object_dept: d.object_dept.map(|p| p.0.clone()),
            summary: d.summary,
            detail: d.detail.to_string(),
        })
        .collect();
    // 13 values per row; 400 rows stay well inside both engines' parameter limits. SQLite gets
    // anonymous `?` marks, bound in order: a numbered mark is a named parameter there, and
    // binding N of them costs N² name lookups in the driver.
    let sqlite = tx.backend() == crate::Backend::Sqlite;
    for chunk in events.chunks(400) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|r| {
                let marks: Vec<String> = (1..=13)
                    .map(|c| {
                        if sqlite {
                            "?".to_owned()
                        } else {
                            format!("${}", r * 13 + c)
                        }
                    })
                    .collect();
                format!("({})", marks.join(", "))
            })
            .collect();
        let mut values = Vec::with_capacity(chunk.len() * 13);
        for e in chunk {
            values.extend(params![
                e.seq,
                e.id.clone(),
                e.at,
                e.actor_kind.clone(),
                e.actor_id.clone(),
                e.actor_name.clone(),
                e.actor_dept.clone(),
                e.action.clone(),
                e.object_type.clone(),
                e.object_id.clone(),
                e.object_dept.clone(),
                e.summary.clone(),
                e.detail.clone()
            ]);
        }
        tx.execute(
            &format!("INSERT INTO events ({COLUMNS}) VALUES {}", rows.join(", ")),
            values,
        )
        .await?;
    }
    Ok(events)
}

/// Up to `limit` events after `seq`, in order.
pub async fn read_after(db: &Db, seq: i64, limit: u32) -> Result<Vec<Event>> {
    db.fetch_all(
        &format!("SELECT {COLUMNS} FROM events WHERE seq > $1 ORDER BY seq LIMIT $2"),
        params![seq, i64::from(limit)],
    )
    .await?
    .iter()
    .map(Event::from_row)
    .collect()
}

/// The highest committed sequence number (0 when there are none).
pub async fn last_seq(db: &Db) -> Result<i64> {
    db.fetch_one("SELECT last_seq FROM event_counter WHERE id = 1", params![])
        .await?
        .get("last_seq")
}

/// A worker's saved position (0 when it has never run).
pub async fn cursor(db: &Db, worker: &str) -> Result<i64> {
    Ok(saved_cursor(db, worker).await?.unwrap_or(0))
}

/// A worker's saved position, `None` when it has never saved one (a saved 0 is a position:
/// the worker ran before any event).
pub async fn saved_cursor(db: &Db, worker: &str) -> Result<Option<i64>> {
    db.fetch_optional("SELECT seq FROM worker_cursors WHERE name = $1", params![worker])
        .await?
        .map(|r| r.get("seq"))
        .transpose()
}

/// Saves a worker's position inside the transaction that did its work, so work and position
/// commit together.
pub async fn save_cursor(tx: &mut Tx, worker: &str, seq: i64) -> Result<()> {
    tx.execute(
        "INSERT INTO worker_cursors (name, seq, updated_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, updated_ms = excluded.updated_ms",
        params![worker, seq, Millis::now()],
    )
    .await?;
    Ok(())
}
