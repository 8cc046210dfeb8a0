//! 角色审批 in the console: administrator roles (系统管理员, 安全管理员) given by a person wait
//! here for a second administrator. Approving shows the activation code once, for the approver
//! to hand to the holder, who sets their own password at `/activate` and their own two-step
//! verification at first sign-in.

use super::role_label;
use crate::AppState;
use crate::context::Query;
use crate::context::{CsrfForm, Ctx};
use crate::errors::identity_page;
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render};
use crate::portal::NoFields;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use tongban_kernel::{Principal, msg};

/// One waiting grant as the table shows it.
struct RequestRow {
    id: String,
    account_id: String,
    username: String,
    display_name: String,
    role: &'static str,
    scope: String,
    requested_by: String,
    requested: String,
    /// Whether this administrator may decide it (not their own request, not their own account).
    decidable: bool,
}

#[derive(Template)]
#[template(path = "console/approvals.html")]
struct ApprovalsPage {
    c: Chrome,
    rows: Vec<RequestRow>,
}

#[derive(Template)]
#[template(path = "console/approved.html")]
struct ApprovedPage {
    c: Chrome,
    username: String,
    /// `姓名（用户名）的安全管理员角色…`: the notice with the person and the role filled in.
    lead: String,
    code: String,
    expires: String,
}

/// The people who decide: a holder of an administrator role.
fn require(ctx: &Ctx) -> Result<Principal, PageError> {
    let user = ctx.require_staff()?;
    if tongban_identity::is_role_approver(&user.principal) {
        Ok(user.principal.clone())
    } else {
        Err(PageError::Forbidden(msg!("only-admin-approves-admin-roles")))
    }
}

/// What the last decision did, carried to the page it redirects to.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct DoneQuery {
    rejected: Option<String>,
}

/// `GET /console/approvals`.
pub(super) async fn show(State(state): State<AppState>, ctx: Ctx, Query(q): Query<DoneQuery>) -> PageResult {
    let me = require(&ctx)?;
    let t = ctx.t();
    let requests = state.identity.role_requests(&me, None).await?;
    let names = state.identity.department_names().await?;
    let rows = requests
        .into_iter()
        .map(|r| RequestRow {
            decidable: r.decidable_by(&me),
            scope: names.iter().find(|(path, ..)| *path == r.scope).map_or_else(
                || r.scope.as_str().to_string(),
                |(_, zh, en)| t.pick(zh, en).to_string(),
            ),
            role: role_label(t, r.role),
            requested: r.requested_ms.display_in(&state.settings.zone),
            id: r.id,
            account_id: r.account_id.to_string(),
            username: r.username,
            display_name: r.display_name,
            requested_by: r.requested_by,
        })
        .collect();
    let mut c = ctx.chrome(t.s("approvals.title"));
    if q.rejected.is_some() {
        c.notice = Some(t.s("approvals.rejected").to_string());
    }
    Ok(render(&ApprovalsPage { c, rows }))
}

/// `POST /console/approvals/{id}/approve`: the grant takes effect and the activation code is
/// shown this once (never stored in clear, never cached).
pub(super) async fn approve(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let me = require(&ctx)?;
    match state.identity.approve_role_request(&me, &id).await {
        Ok(done) => {
            let t = ctx.t();
            let lead = t
                .s("approvals.approved_lead")
                .replace("{name}", &done.display_name)
                .replace("{username}", &done.username)
                .replace("{role}", role_label(t, done.role));
            let mut resp = render(&ApprovedPage {
                c: ctx.chrome(t.s("approvals.approved_title")),
                lead,
                username: done.username,
                code: done.activation_code,
                expires: done.expires.display_in(&state.settings.zone),
            });
            resp.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            );
            Ok(resp)
        }
        Err(e) => Err(identity_page(e)),
    }
}

/// `POST /console/approvals/{id}/reject`.
pub(super) async fn reject(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let me = require(&ctx)?;
    match state.identity.reject_role_request(&me, &id).await {
        Ok(()) => Ok(Redirect::to("/console/approvals?rejected=1").into_response()),
        Err(e) => Err(identity_page(e)),
    }
}
