//! The security admins' view (安全管理员): events with their chain links, filtered, paged and
//! exported as CSV; and the ledger's status for the console and `/metrics`.

use crate::{Error, Result};
use serde::Serialize;
use std::io::Write;
use tongban_db::sql::render;
use tongban_db::sql::sea_query::{
    Alias, Cond, Expr, Func, JoinType, Order, Query, SelectStatement, SimpleExpr,
};
use tongban_db::{Db, Event, Row, params};
use tongban_kernel::msg;
use tongban_kernel::{DeptPath, Millis, Page, Permission, Principal};

/// Longest filter text accepted.
const MAX_FILTER_CHARS: usize = 200;
/// Rows per read while exporting.
const EXPORT_BATCH: u64 = 2000;

/// Which entries to show. Empty strings count as "no filter".
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct EntryFilter {
    /// The actor's login or client name, exact or a prefix of it.
    pub actor: Option<String>,
    /// An account id: events it did *and* events done to it (a failed sign-in on it, a lock, a
    /// role change), so the attacked account finds the anonymous attempts on it.
    pub account: Option<String>,
    /// A prefix of the dotted action, e.g. `identity.` or `identity.account.created`.
    pub action: Option<String>,
    /// A department path (`/3301/GA/`): events whose actor or object lies in that subtree.
    pub department: Option<String>,
    /// Events at or after this moment.
    pub from: Option<Millis>,
    /// Events before this moment.
    pub to: Option<Millis>,
}

/// An event's place in the chain, once chained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainLink {
    /// SM3 of the event's canonical bytes, hex.
    pub event_hash: String,
    /// The chain hash after this event, hex.
    pub chain_hash: String,
    /// When it was chained.
    pub chained: Millis,
}

/// One event with its chain link (`None` while it waits to be chained).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LedgerEntry {
    /// The event.
    pub event: Event,
    /// Its link, once chained.
    pub link: Option<ChainLink>,
}

/// A page of entries, newest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryPage {
    /// The entries on this page.
    pub entries: Vec<LedgerEntry>,
    /// How many entries match the filter in all.
    pub total: u64,
}

/// Where the ledger stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LedgerStatus {
    /// The last committed event.
    pub last_event_seq: i64,
    /// The last chained event.
    pub head_seq: i64,
    /// Events waiting to be chained.
    pub lag: i64,
    /// The last signed checkpoint: its seq and when it was signed.
    pub last_checkpoint: Option<(i64, Millis)>,
}

/// Where the ledger stands (no permission needed: it shows counts only).
pub async fn status(db: &Db) -> Result<LedgerStatus> {
    let r = db
        .fetch_one(
            "SELECT (SELECT last_seq FROM event_counter WHERE id = 1) AS last_seq, \
             (SELECT MAX(seq) FROM ledger_entries) AS head",
            params![],
        )
        .await?;
    let last_event_seq = r.get::<Option<i64>>("last_seq")?.unwrap_or(0);
    let head_seq = r.get::<Option<i64>>("head")?.unwrap_or(0);
    let last_checkpoint = db
        .fetch_optional(
            "SELECT upto_seq, signed_ms FROM ledger_checkpoints ORDER BY upto_seq DESC LIMIT 1",
            params![],
        )
        .await?
        .map(|r| Ok::<_, tongban_db::Error>((r.get("upto_seq")?, r.get("signed_ms")?)))
        .transpose()?;
    Ok(LedgerStatus {
        last_event_seq,
        head_seq,
        lag: (last_event_seq - head_seq).max(0),
        last_checkpoint,
    })
}

/// A page of events with their chain links, newest first. Needs `read_ledger`; a grant scoped
/// to a subtree sees only events whose actor or object lies in it.
pub async fn list_entries(db: &Db, actor: &Principal, filter: &EntryFilter, page: Page) -> Result<EntryPage> {
    let scope = ledger_scope(actor)?;
    let page = Page::new(page.limit, page.offset);
    let base = filtered(filter, scope.as_deref())?;

    let mut count = base.clone();
    count.expr_as(Func::count(Expr::col(ecol("seq"))), Alias::new("n"));
    let (sql, values) = render(db.backend(), &count);
    let total: i64 = db.fetch_one(&sql, values).await?.get("n")?;

    let mut q = base;
    select_columns(&mut q);
    q.order_by(ecol("seq"), Order::Desc)
        .limit(u64::from(page.limit))
        .offset(page.offset);
    let (sql, values) = render(db.backend(), &q);
    let entries = db
        .fetch_all(&sql, values)
        .await?
        .iter()
        .map(entry_from_row)
        .collect::<Result<Vec<_>>>()?;
    Ok(EntryPage {
        entries,
        total: u64::try_from(total).unwrap_or(0),
    })
}

/// Writes every matching entry, newest first, as CSV with a bilingual header. Cells that a
/// spreadsheet would run as a formula are prefixed with `'`. Returns the rows written.
pub async fn export_csv(db: &Db, actor: &Principal, filter: &EntryFilter, mut w: impl Write) -> Result<u64> {
    let mut export = CsvExport::new(db, actor, filter)?;
    while let Some(chunk) = export.next_chunk().await? {
        w.write_all(&chunk).map_err(|e| Error::Export(e.to_string()))?;
    }
    w.flush().map_err(|e| Error::Export(e.to_string()))?;
    Ok(export.written())
}

/// The CSV of every matching entry (as [`export_csv`] writes it), made a batch at a time so that
/// a large ledger streams in bounded memory: the first chunk starts with the header, each read
/// takes at most 2,000 entries, and `None` ends it. Whether the actor may read the ledger is
/// decided when it is made, before anything is sent.
pub struct CsvExport {
    db: Db,
    base: tongban_db::sql::sea_query::SelectStatement,
    before: Option<i64>,
    header: bool,
    done: bool,
    written: u64,
}

impl CsvExport {
    pub fn new(db: &Db, actor: &Principal, filter: &EntryFilter) -> Result<CsvExport> {
        let scope = ledger_scope(actor)?;
        Ok(CsvExport {
            db: db.clone(),
            base: filtered(filter, scope.as_deref())?,
            before: None,
            header: true,
            done: false,
            written: 0,
        })
    }

    /// The next piece of the file, or `None` after the last.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>> {
        if self.done {
            return Ok(None);
        }
        let mut out = csv::Writer::from_writer(Vec::new());
        if std::mem::take(&mut self.header) {
            out.write_record(HEADER)?;
        }
        let mut q = self.base.clone();
        select_columns(&mut q);
        if let Some(b) = self.before {
            q.and_where(Expr::col(ecol("seq")).lt(b));
        }
        q.order_by(ecol("seq"), Order::Desc).limit(EXPORT_BATCH);
        let (sql, values) = render(self.db.backend(), &q);
        let rows = self.db.fetch_all(&sql, values).await?;
        for row in &rows {
            let e = entry_from_row(row)?;
            self.before = Some(e.event.seq);
            out.write_record(csv_record(&e).map(neutralise))?;
            self.written += 1;
        }
        self.done = (rows.len() as u64) < EXPORT_BATCH;
        out.into_inner()
            .map(Some)
            .map_err(|e| Error::Export(e.to_string()))
    }

    /// Entries written so far.
    pub fn written(&self) -> u64 {
        self.written
    }
}

const HEADER: [&str; 16] = [
    "序号 seq",
    "事件编号 event_id",
    "时间 time_utc",
    "操作者类型 actor_kind",
    "操作者编号 actor_id",
    "操作者 actor",
    "操作者部门 actor_dept",
    "操作 action",
    "对象类型 object_type",
    "对象编号 object_id",
    "对象部门 object_dept",
    "摘要 summary",
    "详情 detail",
    "事件哈希 event_hash",
    "链哈希 chain_hash",
    "入链时间 chained_utc",
];

fn csv_record(e: &LedgerEntry) -> [String; 16] {
    let ev = &e.event;
    let link = e.link.as_ref();
    [
        ev.seq.to_string(),
        ev.id.clone(),
        ev.at.rfc3339(),
        ev.actor_kind.clone(),
        ev.actor_id.clone(),
        ev.actor_name.clone(),
        ev.actor_dept.clone().unwrap_or_default(),
        ev.action.clone(),
        ev.object_type.clone(),
        ev.object_id.clone(),
        ev.object_dept.clone().unwrap_or_default(),
        ev.summary.clone(),
        ev.detail.clone(),
        link.map(|l| l.event_hash.clone()).unwrap_or_default(),
        link.map(|l| l.chain_hash.clone()).unwrap_or_default(),
        link.map(|l| l.chained.rfc3339()).unwrap_or_default(),
    ]
}

/// CSV injection: a cell a spreadsheet would evaluate (`=`, `+`, `-`, `@`, tab, CR) gets a
/// leading `'` so it is shown as text.
fn neutralise(mut cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        cell.insert(0, '\'');
    }
    cell
}

/// The subtrees the actor may read (`None`: everything), or Forbidden. A grant over a top
/// department of the tree (the city itself) is the platform's security administration: it also
/// covers the events that belong to no department — citizens' and businesses' sign-ins,
/// registrations and two-step set-up, anonymous attempts, the system's own work — so it sees
/// every event the verifier counts.
fn ledger_scope(actor: &Principal) -> Result<Option<Vec<DeptPath>>> {
    if actor.allows(Permission::ReadLedger, None) {
        return Ok(None);
    }
    let scopes = actor.scopes_for(Permission::ReadLedger);
    if scopes.iter().any(is_top_department) {
        return Ok(None);
    }
    if scopes.is_empty() {
        actor.require(Permission::ReadLedger, None)?;
        // Never reached (require refused above); an empty scope list must not mean "all".
        return Err(Error::Forbidden {
            why: msg!("not-permitted-read-ledger"),
        });
    }
    Ok(Some(scopes))
}

/// `/9901/`: a department with no parent.
fn is_top_department(path: &DeptPath) -> bool {
    path.as_str()
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .count()
        == 1
}

/// `e.<column>`: a column of the events table in these queries.
fn ecol(column: &str) -> (Alias, Alias) {
    (Alias::new("e"), Alias::new(column))
}

/// `SUBSTR(col, 1, len(prefix)) = prefix`: a case-sensitive prefix match that behaves the same
/// on both backends (LIKE is case-insensitive on SQLite) and needs no escaping of `%` or `_`.
/// Both backends count characters, not bytes.
fn starts_with(column: &str, prefix: &str) -> SimpleExpr {
    let chars = prefix.chars().count();
    Expr::expr(
        Func::cust(Alias::new("SUBSTR"))
            .arg(Expr::col(ecol(column)))
            .arg(Expr::cust("1"))
            .arg(Expr::cust(chars.to_string())),
    )
    .eq(prefix)
}

fn in_subtree(path: &str) -> Cond {
    Cond::any()
        .add(starts_with("actor_dept", path))
        .add(starts_with("object_dept", path))
}

fn clean(field: &str, v: &Option<String>) -> Result<Option<String>> {
    let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.chars().count() > MAX_FILTER_CHARS {
        return Err(Error::Invalid {
            field: field.into(),
            reason: msg!("most-max-filter-chars", max_filter_chars = MAX_FILTER_CHARS),
        });
    }
    if v.chars().any(char::is_control) {
        return Err(Error::Invalid {
            field: field.into(),
            reason: msg!("contains-control-characters"),
        });
    }
    Ok(Some(v.to_string()))
}

/// `/3301/GA` and `3301/GA/` both mean the subtree `/3301/GA/` (never `/3301/GAX/`).
fn dept_prefix(v: &str) -> String {
    let mut p = String::with_capacity(v.len() + 2);
    if !v.starts_with('/') {
        p.push('/');
    }
    p.push_str(v);
    if !p.ends_with('/') {
        p.push('/');
    }
    p
}

/// `FROM events e LEFT JOIN ledger_entries l ON l.seq = e.seq WHERE …`, no columns yet.
fn filtered(f: &EntryFilter, scope: Option<&[DeptPath]>) -> Result<SelectStatement> {
    let mut q = Query::select();
    q.from_as(Alias::new("events"), Alias::new("e")).join_as(
        JoinType::LeftJoin,
        Alias::new("ledger_entries"),
        Alias::new("l"),
        Expr::col((Alias::new("l"), Alias::new("seq"))).equals(ecol("seq")),
    );
    if let Some(actor) = clean("actor", &f.actor)? {
        q.and_where(starts_with("actor_name", &actor));
    }
    if let Some(account) = clean("account", &f.account)? {
        q.cond_where(
            Cond::any()
                .add(Expr::col(ecol("actor_id")).eq(account.as_str()))
                .add(
                    Cond::all()
                        .add(Expr::col(ecol("object_type")).eq("account"))
                        .add(Expr::col(ecol("object_id")).eq(account.as_str())),
                ),
        );
    }
    if let Some(action) = clean("action", &f.action)? {
        q.and_where(starts_with("action", &action));
    }
    if let Some(dept) = clean("department", &f.department)? {
        q.cond_where(in_subtree(&dept_prefix(&dept)));
    }
    if let (Some(from), Some(to)) = (f.from, f.to)
        && from > to
    {
        return Err(Error::Invalid {
            field: "from".into(),
            reason: msg!("from-after"),
        });
    }
    if let Some(from) = f.from {
        q.and_where(Expr::col(ecol("at_ms")).gte(from.0));
    }
    if let Some(to) = f.to {
        q.and_where(Expr::col(ecol("at_ms")).lt(to.0));
    }
    if let Some(scopes) = scope {
        let mut any = Cond::any();
        for s in scopes {
            any = any.add(in_subtree(s.as_str()));
        }
        q.cond_where(any);
    }
    Ok(q)
}

fn select_columns(q: &mut SelectStatement) {
    for c in [
        "seq",
        "id",
        "at_ms",
        "actor_kind",
        "actor_id",
        "actor_name",
        "actor_dept",
        "action",
        "object_type",
        "object_id",
        "object_dept",
        "summary",
        "detail",
    ] {
        q.column(ecol(c));
    }
    let l = || Alias::new("l");
    q.column((l(), Alias::new("event_hash")))
        .column((l(), Alias::new("chain_hash")))
        .expr_as(Expr::col((l(), Alias::new("at_ms"))), Alias::new("chained_ms"));
}

fn entry_from_row(r: &Row) -> Result<LedgerEntry> {
    let event = Event::from_row(r)?;
    let event_hash: Option<String> = r.get("event_hash")?;
    let chain_hash: Option<String> = r.get("chain_hash")?;
    let chained: Option<Millis> = r.get("chained_ms")?;
    let link = match (event_hash, chain_hash, chained) {
        (Some(event_hash), Some(chain_hash), Some(chained)) => Some(ChainLink {
            event_hash,
            chain_hash,
            chained,
        }),
        _ => None,
    };
    Ok(LedgerEntry { event, link })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        let n = |s: &str| neutralise(s.to_string());
        assert_eq!(n("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        for c in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(n(c).starts_with('\''), "{c:?}");
        }
        assert_eq!(n("创建账号"), "创建账号");
        assert_eq!(n(""), "");
    }

    #[test]
    fn department_filters_name_a_whole_subtree() {
        assert_eq!(dept_prefix("/3301/GA"), "/3301/GA/");
        assert_eq!(dept_prefix("3301/GA/"), "/3301/GA/");
        assert_eq!(dept_prefix("/"), "/");
    }

    #[test]
    fn oversized_or_control_filters_are_refused_naming_the_field() {
        let long = Some("x".repeat(201));
        assert!(matches!(clean("actor", &long), Err(Error::Invalid { field, .. }) if field == "actor"));
        assert!(clean("actor", &Some("a\u{0}b".into())).is_err());
        assert_eq!(clean("actor", &Some("  ".into())).unwrap(), None);
    }
}
