//! 共享用量 in the console: exchange calls and records returned per resource and calling
//! system over a period, for the resources a department provides and the systems it runs.

use crate::AppState;
use crate::context::Ctx;
use crate::context::Query;
use crate::context::Staff;
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render};
use askama::Template;
use axum::extract::State;
use jiff::civil::Date;
use serde::Deserialize;
use tongban_kernel::msg;

#[derive(Template)]
#[template(path = "console/usage.html")]
struct UsagePage {
    c: Chrome,
    from: String,
    to: String,
    rows: Vec<UsageRow>,
    calls: i64,
    records: i64,
}

/// One resource and calling system: the department named, not its path.
struct UsageRow {
    resource: String,
    caller: String,
    department: String,
    calls: i64,
    records: i64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Period {
    from: String,
    to: String,
}

fn day(field: &str, text: &str, default: Date) -> Result<Date, PageError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(default);
    }
    text.parse::<Date>()
        .map_err(|_| PageError::BadRequest(msg!("date-like-yyyy-mm-dd", field = field)))
}

pub(super) async fn usage(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(me): Staff,
    Query(p): Query<Period>,
) -> PageResult {
    let today = state.catalog.today();
    let month_ago = today.checked_sub(jiff::Span::new().days(30)).unwrap_or(today);
    let from = day("from", &p.from, month_ago)?;
    let to = day("to", &p.to, today)?;
    let usage = state.pool.exchange_usage(&me.principal, from, to).await?;
    let depts = crate::page::DeptNames::load(&state, ctx.t()).await?;
    let rows: Vec<UsageRow> = usage
        .into_iter()
        .map(|u| UsageRow {
            department: depts.of(&u.caller_path, &u.caller_path),
            resource: u.resource,
            caller: u.caller,
            calls: u.calls,
            records: u.records,
        })
        .collect();
    Ok(render(&UsagePage {
        c: ctx.chrome(ctx.t().s("usage.title")),
        from: from.to_string(),
        to: to.to_string(),
        calls: rows.iter().map(|r| r.calls).sum(),
        records: rows.iter().map(|r| r.records).sum(),
        rows,
    }))
}
