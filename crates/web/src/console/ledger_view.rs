//! The ledger's admin view: filtered entries, the verification status, and CSV export. Only a
//! principal holding `read_ledger` (security admins) gets past the domain check.

use crate::AppState;
use crate::context::Ctx;
use crate::context::Query;
use crate::context::Staff;
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render, urlencode};
use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Deserialize;
use tongban_kernel::Page;
use tongban_kernel::time::parse_day_start;
use tongban_ledger::EntryFilter;

/// The 操作 choices: prefixes of the dotted actions, by what they are about.
const ACTION_GROUPS: &[(&str, &str, &str)] = &[
    ("identity.login.", "登录", "Sign-in"),
    ("identity.login.failed", "登录失败", "Failed sign-in"),
    ("identity.mfa.", "两步验证", "Two-step verification"),
    ("identity.account.", "账号", "Accounts"),
    ("identity.session.", "会话", "Sessions"),
    ("identity.client.", "接口客户端", "API clients"),
    ("identity.department.", "部门", "Departments"),
    ("catalog.", "资源目录与共享", "Catalogue and sharing"),
    ("pool.", "数据池与交换", "Data pool and exchange"),
    ("hall.", "政务服务", "Services and cases"),
    ("interact.", "政民互动", "Citizen interaction"),
    ("seal.", "电子证照与印章", "Licences and seals"),
    ("kernel.calendar.", "节假日安排", "Calendar"),
];

struct EntryRow {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    action_name: String,
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
    q: LedgerQuery,
    actions: Vec<(String, String)>,
    departments: Vec<(String, String)>,
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
    /// The filter, with 账号 resolved: a login name that is an account finds what it did and
    /// what was done to it; anything else (a client, `anonymous`) is matched as the actor's name.
    async fn resolved(
        &self,
        state: &AppState,
        me: &tongban_kernel::Principal,
    ) -> Result<EntryFilter, tongban_kernel::Invalid> {
        let mut f = self.filter(&state.settings.zone)?;
        if let Some(name) = f.actor.clone()
            && let Ok(Some(id)) = state.identity.account_id_for_ledger(me, &name).await
        {
            f.actor = None;
            f.account = Some(id.to_string());
        }
        Ok(f)
    }

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
            account: None,
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

/// The name of the most specific group an action belongs to (`""` when none does).
fn action_name(action: &str, t: crate::i18n::Tr) -> String {
    ACTION_GROUPS
        .iter()
        .filter(|(code, ..)| action.starts_with(code))
        .max_by_key(|(code, ..)| code.len())
        .map(|(_, zh, en)| t.pick(zh, en).to_string())
        .unwrap_or_default()
}

fn ledger_error(e: tongban_ledger::Error) -> PageError {
    match e {
        tongban_ledger::Error::Forbidden { why } => PageError::Forbidden(why),
        tongban_ledger::Error::Invalid { field, reason } => {
            PageError::BadRequest(format!("{field}: {reason}").into())
        }
        other => PageError::Internal(other.to_string()),
    }
}

pub(super) async fn ledger(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(me): Staff,
    Query(q): Query<LedgerQuery>,
) -> PageResult {
    let t = ctx.t();
    let zone = &state.settings.zone;
    let mut c = ctx.chrome(t.s("ledger.title"));
    let filter = match q.resolved(&state, &me.principal).await {
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
        Err(e) => return Err(ledger_error(e)),
    };
    // The watch verifies in the background; only the very first view waits for a pass.
    let checked = match state.ledger_watch.latest() {
        Some(c) => c,
        None => state.ledger_watch.check_now().await.map_err(ledger_error)?,
    };
    let report = &checked.report;
    let qs = q.query_string();
    let entries = list
        .entries
        .into_iter()
        .map(|e| EntryRow {
            seq: e.event.seq,
            at: e.event.at.display_in(zone),
            actor: match e.event.actor_kind.as_str() {
                "anonymous" => t.s("ledger.anonymous").to_string(),
                "system" => t.s("ledger.system").to_string(),
                _ => e.event.actor_name,
            },
            action_name: action_name(&e.event.action, t),
            action: e.event.action,
            summary: t.half(&e.event.summary).to_string(),
            chain: e.link.map(|l| l.chain_hash),
        })
        .collect();
    let mut actions: Vec<(String, String)> = ACTION_GROUPS
        .iter()
        .map(|(code, zh, en)| (code.to_string(), t.pick(zh, en).to_string()))
        .collect();
    if !q.action.trim().is_empty() && !actions.iter().any(|(code, _)| *code == q.action.trim()) {
        // A prefix given in the address (an export link, a bookmark) stays chosen.
        actions.push((q.action.trim().to_string(), q.action.trim().to_string()));
    }
    let mut departments: Vec<(String, String)> = super::visible_departments(&state, &me.principal)
        .await?
        .into_iter()
        .map(|d| {
            // Offices indented under their bureau, as on the department tree.
            let name = format!("{}{}", "　".repeat(d.depth()), t.pick(&d.name_zh, &d.name_en));
            (d.path.as_str().to_string(), name)
        })
        .collect();
    if !q.department.trim().is_empty() && !departments.iter().any(|(p, _)| *p == q.department.trim()) {
        departments.push((q.department.trim().to_string(), q.department.trim().to_string()));
    }
    Ok(render(&LedgerPage {
        c,
        verified: report.ok,
        verify_summary: t.half(&report.summary()).to_string(),
        checked_at: checked.at.display_in(zone),
        checking: state.ledger_watch.running(),
        q: q.clone(),
        actions,
        departments,
        query: qs.clone(),
        total: list.total,
        entries,
        prev: (page_no > 1).then(|| format!("/console/ledger?{qs}&page={}", page_no - 1)),
        next: (page.offset + u64::from(page.limit) < list.total)
            .then(|| format!("/console/ledger?{qs}&page={}", page_no + 1)),
    }))
}

pub(super) async fn ledger_csv(
    State(state): State<AppState>,
    Staff(me): Staff,
    Query(q): Query<LedgerQuery>,
) -> PageResult {
    let filter = q
        .resolved(&state, &me.principal)
        .await
        .map_err(|inv| PageError::BadRequest(inv.reason))?;
    // Refused before anything is sent; then the file streams a batch at a time, so a ledger of
    // millions of entries never sits in memory.
    let export = tongban_ledger::CsvExport::new(&state.db, &me.principal, &filter).map_err(ledger_error)?;
    // A UTF-8 BOM first, so spreadsheet programs read the Chinese text correctly.
    let bom = futures_util::stream::once(async { Ok(vec![0xEF, 0xBB, 0xBF]) });
    let rows = futures_util::stream::try_unfold(export, |mut export| async move {
        Ok::<_, tongban_ledger::Error>(export.next_chunk().await?.map(|chunk| (chunk, export)))
    });
    let body = axum::body::Body::from_stream(futures_util::StreamExt::chain(bom, rows));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"tongban-ledger.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

/// Asks for a fresh verification now and comes back to the ledger page.
pub(super) async fn verify_now(
    State(state): State<AppState>,
    Staff(me): Staff,
    crate::context::CsrfForm(_): crate::context::CsrfForm<crate::portal::NoFields>,
) -> PageResult {
    match state.ledger_watch.request(&me.principal) {
        Ok(()) => Ok(axum::response::Redirect::to("/console/ledger").into_response()),
        Err(e) => Err(ledger_error(e)),
    }
}
