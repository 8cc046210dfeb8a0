//! 办件督查 in the console: for each subtree the leader or department administrator supervises,
//! the open, overdue (promised and statutory) and near-due counts, the overdue and near-due cases
//! soonest first, and the average handling time of the finished ones.

use crate::AppState;
use crate::case_text::urgency_code;
use crate::context::Ctx;
use crate::context::Staff;
use crate::errors::hall_page;
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render};
use askama::Template;
use axum::extract::State;
use tongban_hall::Supervision;
use tongban_kernel::{Page, msg};

struct Row {
    id: String,
    number: String,
    item: String,
    department: String,
    status: String,
    due: String,
    urgency: &'static str,
    urgency_name: String,
}

struct Scope {
    name: String,
    s: Supervision,
    average_days: String,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "console/supervise.html")]
struct SupervisePage {
    c: Chrome,
    scopes: Vec<Scope>,
}

/// `GET /console/supervise`.
pub(super) async fn supervise(State(state): State<AppState>, ctx: Ctx, Staff(user): Staff) -> PageResult {
    let t = ctx.t();
    let paths = super::rectify::supervised(&user.principal);
    if paths.is_empty() {
        return Err(PageError::Forbidden(msg!("supervising-needed")));
    }
    let mut scopes = Vec::new();
    for path in paths {
        let s = match state
            .hall
            .supervise(&user.principal, &path, Page { limit: 50, offset: 0 })
            .await
        {
            Ok(s) => s,
            Err(e) => return Err(hall_page(e)),
        };
        // A path ends with its department's code: `/9901/9901-GA/`.
        let code = path
            .0
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default();
        let name = match state.identity.department_by_code(&user.principal, code).await {
            Ok(d) => t.pick(&d.name_zh, &d.name_en).to_string(),
            Err(_) => path.0.clone(),
        };
        let rows = s
            .cases
            .iter()
            .map(|w| Row {
                id: w.id.to_string(),
                number: w.number.clone(),
                item: w.item_name.clone(),
                department: w.department.name_zh.clone(),
                status: t.pick(w.status.name_zh(), w.status.name_en()).to_string(),
                due: w.due.to_string(),
                urgency: urgency_code(w.urgency),
                urgency_name: super::cases::urgency_name(&ctx, w.urgency),
            })
            .collect();
        scopes.push(Scope {
            name,
            average_days: s
                .average_working_days
                .map_or_else(|| "—".to_string(), |d| format!("{d:.1}")),
            s,
            rows,
        });
    }
    Ok(render(&SupervisePage {
        c: ctx.chrome(t.s("supervise.title")),
        scopes,
    }))
}
