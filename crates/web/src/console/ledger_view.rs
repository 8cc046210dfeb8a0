//! The ledger's admin view: filtered entries, the verification status, and CSV export. Only a
//! principal holding `read_ledger` (security admins) gets past the domain check.

use crate::AppState;
use crate::context::Ctx;
use crate::page::{Chrome, PageError, render, urlencode};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tongban_kernel::Page;
use tongban_kernel::time::parse_day_start;
use tongban_ledger::EntryFilter;

struct EntryRow {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    summary: String,
    chain: Option<String>,
}

#[derive(Template)]
#[template(path = "console/ledger.html")]
struct LedgerPage {
    c: Chrome,
    verified: bool,
    verify_summary: String,
    checked_at: String,
    checking: bool,
    filters: Vec<(&'static str, &'static str, &'static str, String)>,
    query: String,
    total: u64,
    entries: Vec<EntryRow>,
    prev: Option<String>,
    next: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct LedgerQuery {
    actor: String,
    action: String,
    department: String,
    from: String,
    to: String,
    page: u64,
}

impl LedgerQuery {
    fn filter(&self, zone: &jiff::tz::TimeZone) -> Result<EntryFilter, tongban_kernel::Invalid> {
        let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let day = |field: &str,
                   s: &str,
                   plus_day: bool|
         -> Result<Option<tongban_kernel::Millis>, tongban_kernel::Invalid> {
            if s.trim().is_empty() {
                return Ok(None);
            }
            let start = parse_day_start(field, s, zone)?;
            // `to` is inclusive of its whole day.
            Ok(Some(if plus_day {
                start.plus_ms(24 * 3600 * 1000 - 1)
            } else {
                start
            }))
        };
        Ok(EntryFilter {
            actor: text(&self.actor),
            action: text(&self.action),
            department: text(&self.department),
            from: day("from", &self.from, false)?,
            to: day("to", &self.to, true)?,
        })
    }

    fn query_string(&self) -> String {
        format!(
            "actor={}&action={}&department={}&from={}&to={}",
            urlencode(&self.actor),
            urlencode(&self.action),
            urlencode(&self.department),
            urlencode(&self.from),
            urlencode(&self.to)
        )
    }
}

fn ledger_error(e: tongban_ledger::Error) -> PageError {
    match e {
        tongban_ledger::Error::Forbidden { why } => PageError::Forbidden(why),
        tongban_ledger::Error::Invalid { field, reason } => {
            PageError::BadRequest(format!("{field}: {reason}"))
        }
        other => PageError::Internal(other.to_string()),
    }
}

pub(super) async fn ledger(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<LedgerQuery>,
) -> Response {
    let me = match ctx.require_staff() {
        Ok(u) => u.clone(),
        Err(e) => return ctx.fail(e),
    };
    let t = ctx.t();
    let zone = &state.settings.zone;
    let mut c = ctx.chrome(t.s("ledger.title"));
    let filter = match q.filter(zone) {
        Ok(f) => f,
        Err(inv) => {
            c.add_error(&inv.field, &inv.reason);
            EntryFilter::default()
        }
    };
    let page_no = q.page.max(1);
    let page = Page::number(page_no, 50);
    let list = match tongban_ledger::list_entries(&state.db, &me.principal, &filter, page).await {
        Ok(l) => l,
        Err(tongban_ledger::Error::Invalid { field, reason }) => {
            c.add_error(&field, &reason);
            tongban_ledger::EntryPage {
                entries: Vec::new(),
                total: 0,
            }
        }
        Err(e) => return ctx.fail(ledger_error(e)),
    };
    // The watch verifies in the background; only the very first view waits for a pass.
    let checked = match state.ledger_watch.latest() {
        Some(c) => c,
        None => match state.ledger_watch.check_now().await {
            Ok(c) => c,
            Err(e) => return ctx.fail(ledger_error(e)),
        },
    };
    let report = &checked.report;
    let qs = q.query_string();
    let entries = list
        .entries
        .into_iter()
        .map(|e| EntryRow {
            seq: e.event.seq,
            at: e.event.at.display_in(zone),
            actor: e.event.actor_name,
            action: e.event.action,
            summary: t.half(&e.event.summary).to_string(),
            chain: e.link.map(|l| l.chain_hash),
        })
        .collect();
    let filters = vec![
        ("actor", "field.actor", "text", q.actor.clone()),
        ("action", "field.action", "text", q.action.clone()),
        ("department", "field.department", "text", q.department.clone()),
        ("from", "field.from", "date", q.from.clone()),
        ("to", "field.to", "date", q.to.clone()),
    ];
    render(&LedgerPage {
        c,
        verified: report.ok,
        verify_summary: t.half(&report.summary()).to_string(),
        checked_at: checked.at.display_in(zone),
        checking: state.ledger_watch.running(),
        filters,
        query: qs.clone(),
        total: list.total,
        entries,
        prev: (page_no > 1).then(|| format!("/console/ledger?{qs}&page={}", page_no - 1)),
        next: (page.offset + u64::from(page.limit) < list.total)
            .then(|| format!("/console/ledger?{qs}&page={}", page_no + 1)),
    })
}

pub(super) async fn ledger_csv(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<LedgerQuery>,
) -> Response {
    let me = match ctx.require_staff() {
        Ok(u) => u.clone(),
        Err(e) => return ctx.fail(e),
    };
    let filter = match q.filter(&state.settings.zone) {
        Ok(f) => f,
        Err(inv) => return ctx.fail(PageError::BadRequest(inv.to_string())),
    };
    // A UTF-8 BOM so spreadsheet programs read the Chinese text correctly.
    let mut buf = vec![0xEF, 0xBB, 0xBF];
    if let Err(e) = tongban_ledger::export_csv(&state.db, &me.principal, &filter, &mut buf).await {
        return ctx.fail(ledger_error(e));
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"tongban-ledger.csv\"",
            ),
        ],
        buf,
    )
        .into_response()
}

#[derive(Deserialize, Default)]
pub(super) struct Empty {}

/// Asks for a fresh verification now and comes back to the ledger page.
pub(super) async fn verify_now(
    State(state): State<AppState>,
    ctx: Ctx,
    crate::context::CsrfForm(_): crate::context::CsrfForm<Empty>,
) -> Response {
    let me = match ctx.require_staff() {
        Ok(u) => u.clone(),
        Err(e) => return ctx.fail(e),
    };
    match state.ledger_watch.request(&me.principal) {
        Ok(()) => axum::response::Redirect::to("/console/ledger").into_response(),
        Err(e) => ctx.fail(ledger_error(e)),
    }
}
