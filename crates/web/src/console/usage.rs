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

#[derive(Template)]
#[template(path = "console/usage.html")]
struct UsagePage {
    c: Chrome,
    from: String,
    to: String,
    rows: Vec<tongban_pool::Usage>,
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
    text.parse::<Date>().map_err(|_| {
        PageError::BadRequest(format!(
            "{field}: 日期格式应为 YYYY-MM-DD / a date like 2026-11-23"
        ))
    })
}

pub(super) async fn usage(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(me): Staff,
    Query(p): Query<Period>,
) -> PageResult {
    let today = state.catalog.today();
    let month_ago = today.checked_sub(jiff::Span::new().days(30)).unwrap_or(today);
    let (from, to) = match (day("from", &p.from, month_ago), day("to", &p.to, today)) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    let rows = match state.pool.exchange_usage(&me.principal, from, to).await {
        Ok(r) => r,
        Err(tongban_pool::Error::Forbidden { why }) => return Err(PageError::Forbidden(why)),
        Err(e) => return Err(PageError::Internal(e.to_string())),
    };
    Ok(render(&UsagePage {
        c: ctx.chrome(ctx.t().s("usage.title")),
        from: from.to_string(),
        to: to.to_string(),
        calls: rows.iter().map(|r| r.calls).sum(),
        records: rows.iter().map(|r| r.records).sum(),
        rows,
    }))
}
