//! Events: the record every committed change leaves, appended in the change's own transaction.
//! Workers (ledger, search, deliveries) read them by cursor, at least once, in `seq` order.

use crate::{Db, Error, Result, Row, Tx, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
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

/// A kind of event, as a type: what a crate says happened, with its detail as named fields.
/// Each crate declares the kinds it appends with [`event_kinds!`](crate::event_kinds) in its
/// `events.rs`; a producer appends one with [`EventDraft::of`], and a consumer reads the ones it
/// follows with [`Event::read`] (or a [`Feed`] that asks the store for those kinds only), so a
/// consumer learns what happened from the type, not from the producer's code.
///
/// The detail is the type's JSON, chained into the ledger for good: adding a field is
/// compatible when it is an `Option` or has `#[serde(default)]` (old events still read);
/// renaming or removing one is not.
pub trait EventKind: Serialize + DeserializeOwned {
    /// Dotted verb, crate first: `identity.account.created`.
    const ACTION: &'static str;
    /// Kind of object changed: `account`.
    const OBJECT: &'static str;
}

/// Declares a crate's event kinds: a struct each, with its action and object, and `KINDS`, the
/// list of every action the crate declares (for tests and for consumers that follow them all).
/// Opened with `prefix "<crate>.";`, it also adds the test that fails on an action outside the
/// prefix, one declared twice, or an untyped `EventDraft { .. }` left in the crate's `src`
/// (the crate needs `tongban-test-support` as a dev-dependency).
///
/// ```ignore
/// tongban_db::event_kinds! {
///     prefix "identity.";
///     /// An account was created.
///     AccountCreated = "identity.account.created" on "account" {
///         /// Login name.
///         username: String,
///     }
/// }
/// ```
#[macro_export]
macro_rules! event_kinds {
    (prefix $prefix:literal; $($kinds:tt)*) => {
        $crate::event_kinds! { $($kinds)* }

        #[cfg(test)]
        mod declared_kinds {
            #[test]
            fn every_event_is_a_declared_kind_of_this_crate() {
                let problems = tongban_test_support::event_kind_problems(
                    ::std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
                    $prefix,
                    super::KINDS,
                );
                assert!(problems.is_empty(), "{problems:#?}");
            }
        }
    };
    ($(
        $(#[$meta:meta])*
        $name:ident = $action:literal on $object:literal {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty ),* $(,)?
        }
    )*) => {
        $(
            $(#[$meta])*
            #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
            pub struct $name {
                $( $(#[$fmeta])* pub $field: $ty, )*
            }

            impl $crate::event::EventKind for $name {
                const ACTION: &'static str = $action;
                const OBJECT: &'static str = $object;
            }
        )*

        /// Every action this crate declares, in declaration order.
        pub const KINDS: &[&str] = &[$($action),*];
    };
}

/// A kind's detail together with what every event about one kind of object says (a case's
/// number, status and step), both flattened into one JSON object: a domain's event helper
/// adds `about` to whichever kind it appends, and a consumer reads
/// `event.read::<With<CaseFacts, CaseAccepted>>()`.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct With<C, D> {
    /// What every event about the object says.
    #[serde(flatten)]
    pub about: C,
    /// The kind's own detail.
    #[serde(flatten)]
    pub detail: D,
}

impl<C: Serialize + DeserializeOwned, D: EventKind> EventKind for With<C, D> {
    const ACTION: &'static str = D::ACTION;
    const OBJECT: &'static str = D::OBJECT;
}

impl<'a> EventDraft<'a> {
    /// The draft of an event of kind `K` about `object_id` (owned by `object_dept`), with a
    /// summary for people (a `Msg`'s both-language `Display`).
    pub fn of<K: EventKind>(
        detail: &K,
        object_id: &'a str,
        object_dept: Option<&'a DeptPath>,
        summary: impl std::fmt::Display,
    ) -> Self {
        EventDraft {
            action: K::ACTION,
            object_type: K::OBJECT,
            object_id,
            object_dept,
            summary: summary.to_string(),
            // A derived `Serialize` of named fields (text, numbers, lists, options) cannot fail;
            // a kind that could (a map with non-text keys) would record `null`, not stop a write.
            detail: serde_json::to_value(detail).unwrap_or_default(),
        }
    }
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

impl Event {
    /// Whether this event is of kind `K`.
    pub fn is<K: EventKind>(&self) -> bool {
        self.action == K::ACTION
    }

    /// This event's detail as kind `K`: `None` for an event of another kind, an error for one
    /// of this kind whose stored detail does not decode (a kind changed incompatibly).
    pub fn read<K: EventKind>(&self) -> Option<Result<K>> {
        self.is::<K>().then(|| {
            serde_json::from_str(&self.detail)
                .map_err(|e| crate::decode::decode_error("detail", format!("{}: {e}", K::ACTION)))
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

/// A consumer's way through the events by its own cursor: the kinds it follows (all when it
/// names none), read in batches after its saved position. The consumer handles a batch and
/// saves the batch's position with [`Batch::done`] in the transaction that writes what it did,
/// so every event is handled at least once and a failed batch is read again.
#[derive(Debug, Clone)]
pub struct Feed<'a> {
    db: &'a Db,
    cursor: &'a str,
    kinds: Vec<&'static str>,
    batch: u32,
    from_now: bool,
}

/// Events read by a [`Feed`], and the position they take it to.
#[derive(Debug, Clone)]
pub struct Batch {
    /// The events of the followed kinds, in order.
    pub events: Vec<Event>,
    /// The position reached: past every event read, and past the other kinds' events between.
    pub upto: i64,
    cursor: String,
}

impl<'a> Feed<'a> {
    /// The feed of the consumer whose cursor is named `cursor`, following every kind, 500 a batch.
    pub fn new(db: &'a Db, cursor: &'a str) -> Self {
        Feed {
            db,
            cursor,
            kinds: Vec::new(),
            batch: 500,
            from_now: false,
        }
    }

    /// Follows events of kind `K` (call once per kind).
    pub fn of<K: EventKind>(mut self) -> Self {
        self.kinds.push(K::ACTION);
        self
    }

    /// At most `n` events a batch (at least 1).
    pub fn batch(mut self, n: u32) -> Self {
        self.batch = n.max(1);
        self
    }

    /// A consumer that has never saved a position starts at the latest event, not the first
    /// (a notice does not tell of what happened before it was switched on).
    pub fn from_now(mut self) -> Self {
        self.from_now = true;
        self
    }

    /// The saved position (saving the present first, for a new `from_now` consumer).
    pub async fn position(&self) -> Result<i64> {
        match saved_cursor(self.db, self.cursor).await? {
            Some(at) => Ok(at),
            None if self.from_now => {
                let at = last_seq(self.db).await?;
                let mut tx = self.db.begin_write().await?;
                save_cursor(&mut tx, self.cursor, at).await?;
                tx.commit().await?;
                Ok(at)
            }
            None => Ok(0),
        }
    }

    /// The next batch after the saved position, `None` when the consumer is up to date. A
    /// batch may hold no events (only other kinds were appended): its [`Batch::done`] still
    /// moves the position on.
    pub async fn next(&self) -> Result<Option<Batch>> {
        let from = self.position().await?;
        self.after(from).await
    }

    /// The batch after position `from` (for a consumer that reads on before saving).
    pub async fn after(&self, from: i64) -> Result<Option<Batch>> {
        // Every event up to the committed counter is committed: appenders hold the counter's
        // row until they commit, so no event below it can still appear.
        let upto = last_seq(self.db).await?;
        if upto <= from {
            return Ok(None);
        }
        let mut params = params![from, upto, i64::from(self.batch)];
        let only = if self.kinds.is_empty() {
            String::new()
        } else {
            let marks: Vec<String> = (4..4 + self.kinds.len()).map(|i| format!("${i}")).collect();
            params.extend(self.kinds.iter().map(crate::ToValue::to_value));
            format!(" AND action IN ({})", marks.join(", "))
        };
        let events = self
            .db
            .fetch_all(
                &format!(
                    "SELECT {COLUMNS} FROM events WHERE seq > $1 AND seq <= $2{only} ORDER BY seq LIMIT $3"
                ),
                params,
            )
            .await?
            .iter()
            .map(Event::from_row)
            .collect::<Result<Vec<_>>>()?;
        let full = events.len() >= self.batch as usize;
        let upto = match events.last() {
            Some(last) if full => last.seq,
            _ => upto,
        };
        Ok(Some(Batch {
            events,
            upto,
            cursor: self.cursor.to_owned(),
        }))
    }
}

impl Batch {
    /// The batch's events of kind `K` with their details (an error for a detail that does not
    /// decode: the kind was changed incompatibly, and skipping would lose the event).
    pub fn read<K: EventKind>(&self) -> impl Iterator<Item = Result<(&Event, K)>> {
        self.events
            .iter()
            .filter_map(|e| e.read::<K>().map(|k| k.map(|k| (e, k))))
    }

    /// Saves the position this batch reached, inside the transaction that wrote what the
    /// consumer did with it.
    pub async fn done(&self, tx: &mut Tx) -> Result<()> {
        save_cursor(tx, &self.cursor, self.upto).await
    }
}
