//! 出站地址白名单 in the console: the security administrator sees which reserved address ranges
//! (内网、本机) each department's webhooks and scheduled pulls may reach, allows one with its
//! purpose, and takes one off. The pool keeps and enforces the list.

use crate::AppState;
use crate::context::Query;
use crate::context::{CsrfForm, Ctx};
use crate::errors::{FormOutcome, pool_form, pool_page};
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render};
use crate::portal::NoFields;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::{Deserialize, Serialize};
use tongban_kernel::egress;
use tongban_kernel::{DeptPath, Permission, Principal, msg};

/// One allowed range as the table shows it.
struct RuleRow {
    id: String,
    department: String,
    cidr: String,
    purpose: String,
    created_by: String,
    created: String,
}

#[derive(Template)]
#[template(path = "console/egress.html")]
struct EgressPage {
    c: Chrome,
    rules: Vec<RuleRow>,
    /// (path, name) of the departments the administrator may allow ranges for.
    departments: Vec<(String, String)>,
}

fn require(ctx: &Ctx) -> Result<Principal, PageError> {
    let user = ctx.require_staff()?;
    if user.principal.allows_somewhere(Permission::ManageEgress) {
        Ok(user.principal.clone())
    } else {
        Err(PageError::Forbidden(msg!("not-permitted-manage-allow-list")))
    }
}

async fn page(state: &AppState, ctx: &Ctx, c: Option<Chrome>) -> PageResult {
    let me = require(ctx)?;
    let t = ctx.t();
    let departments = super::visible_departments(state, &me).await?;
    let name_of = |path: &DeptPath| {
        departments.iter().find(|d| d.path == *path).map_or_else(
            || path.as_str().to_string(),
            |d| t.pick(&d.name_zh, &d.name_en).to_string(),
        )
    };
    let rules = match state.pool.egress_rules(&me).await {
        Ok(list) => list
            .into_iter()
            .map(|r| RuleRow {
                department: name_of(&r.department),
                created: r.created_ms.display_in(&state.settings.zone),
                id: r.id,
                cidr: r.cidr,
                purpose: r.purpose,
                created_by: r.created_by,
            })
            .collect(),
        Err(e) => return Err(pool_page(e)),
    };
    let choices = super::indented_choices(
        t,
        &departments,
        |d| me.allows(Permission::ManageEgress, Some(&d.path)),
        |d| d.path.as_str().to_string(),
    );
    let failed = c.as_ref().is_some_and(|c| !c.errors.is_empty());
    let mut resp = render(&EgressPage {
        c: c.unwrap_or_else(|| ctx.chrome(t.s("egress.title"))),
        rules,
        departments: choices,
    });
    if failed {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

/// What the last change did, carried to the page it redirects to.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct DoneQuery {
    added: Option<String>,
    removed: Option<String>,
}

/// `GET /console/egress[?added=1|removed=1]`.
pub(super) async fn show(State(state): State<AppState>, ctx: Ctx, Query(q): Query<DoneQuery>) -> PageResult {
    let t = ctx.t();
    let mut c = ctx.chrome(t.s("egress.title"));
    if q.added.is_some() {
        c.notice = Some(t.s("egress.added").to_string());
    } else if q.removed.is_some() {
        c.notice = Some(t.s("egress.removed").to_string());
    }
    page(&state, &ctx, Some(c)).await
}

/// Every mistake in the form at once (the pool checks again when it stores): a department,
/// an allowable range, a purpose.
fn check_form(c: &mut Chrome, department: &str, cidr: &str, purpose: &str) {
    if !department.starts_with('/') {
        c.add_error("department", msg!("choose-a-department"));
    }
    match cidr.parse::<egress::Cidr>() {
        Ok(range) => {
            if let Err(e) = egress::allowable(&range) {
                c.add_error("cidr", &e.0);
            }
        }
        Err(e) => c.add_error("cidr", &e.0),
    }
    if purpose.trim().is_empty() {
        c.add_error("purpose", msg!("say-what-it-is-for"));
    }
}

/// A range to allow.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub(super) struct RangeForm {
    /// The department's path.
    department: String,
    cidr: String,
    purpose: String,
}

/// `POST /console/egress`: `department` (path), `cidr`, `purpose`.
pub(super) async fn allow(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<RangeForm>,
) -> PageResult {
    let me = require(&ctx)?;
    let mut c = ctx.chrome(ctx.t().s("egress.title"));
    c.keep(&form);
    check_form(&mut c, &form.department, &form.cidr, &form.purpose);
    if !c.errors.is_empty() {
        return page(&state, &ctx, Some(c)).await;
    }
    let department = DeptPath(form.department);
    match state
        .pool
        .allow_egress(&me, &department, &form.cidr, &form.purpose)
        .await
    {
        Ok(_) => Ok(Redirect::to("/console/egress?added=1").into_response()),
        Err(e) => match pool_form(e, "cidr") {
            FormOutcome::Field(field, msg) => {
                c.add_error(&field, &msg);
                page(&state, &ctx, Some(c)).await
            }
            FormOutcome::Page(p) => Err(p),
        },
    }
}

/// `POST /console/egress/{id}/remove`.
pub(super) async fn remove(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let me = require(&ctx)?;
    match state.pool.remove_egress(&me, &id).await {
        Ok(()) => Ok(Redirect::to("/console/egress?removed=1").into_response()),
        Err(e) => Err(pool_page(e)),
    }
}
