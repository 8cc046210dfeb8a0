//! 差评整改 in the console: the rectifications bad ratings opened in the supervisor's scope —
//! open ones first, soonest due, yellow and red — each closed with the measures taken and the
//! call-back record.

use crate::AppState;
use crate::case_text::urgency_code;
use crate::context::Staff;
use crate::context::{CsrfForm, Ctx};
use crate::errors::{hall_field, hall_page};
use crate::page::PageResult;
use crate::page::{Chrome, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use tongban_hall::{Rectification, RectificationClose, RectificationStatus};
use tongban_kernel::{DeptPath, Page, Permission, Principal, msg};

/// Each subtree `p` supervises, the widest first; narrower ones inside a wider one are left out
/// (they would only repeat its rows).
pub(super) fn supervised(p: &Principal) -> Vec<DeptPath> {
    let mut scopes: Vec<_> = p
        .grants
        .iter()
        .filter(|g| g.role.permissions().contains(&Permission::SuperviseCases))
        .map(|g| g.scope.clone())
        .collect();
    scopes.sort_by_key(|s| s.0.len());
    let mut kept: Vec<DeptPath> = Vec::new();
    for s in scopes {
        if !kept.iter().any(|k| k.contains(&s)) {
            kept.push(s);
        }
    }
    kept
}

struct Row {
    r: Rectification,
    level: String,
    status: String,
    urgency: &'static str,
    open: bool,
}

#[derive(Template)]
#[template(path = "console/rectifications.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
}

async fn list_page(state: &AppState, ctx: &Ctx, c: Option<Chrome>) -> PageResult {
    let user = ctx.require_staff()?.clone();
    let t = ctx.t();
    let kept = supervised(&user.principal);
    if kept.is_empty() {
        return Err(crate::page::PageError::Forbidden(msg!("supervising-needed")));
    }
    let mut rows = Vec::new();
    for scope in &kept {
        match state
            .hall
            .rectifications(
                &user.principal,
                scope,
                Page {
                    limit: 500,
                    offset: 0,
                },
            )
            .await
        {
            Ok(list) => rows.extend(list.into_iter().map(|r| Row {
                level: t.pick(r.level.name_zh(), r.level.name_en()).to_string(),
                status: t.pick(r.status.name_zh(), r.status.name_en()).to_string(),
                urgency: urgency_code(r.urgency),
                open: r.status == RectificationStatus::Open,
                r,
            })),
            Err(e) => return Err(hall_page(e)),
        }
    }
    let failed = c.as_ref().is_some_and(|c| !c.errors.is_empty());
    let mut c = c.unwrap_or_else(|| ctx.chrome(t.s("rect.title")));
    if ctx.here.contains("closed=1") {
        c.notice = Some(t.s("rect.closed_notice").to_string());
    }
    let mut resp = render(&ListPage { c, rows });
    if failed {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

/// `GET /console/rectifications`.
pub(super) async fn list(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    list_page(&state, &ctx, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct CloseForm {
    measures: String,
    callback: String,
    satisfied: Option<String>,
    version: i64,
}

/// `POST /console/rectifications/{id}/close`.
pub(super) async fn close(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(user): Staff,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<CloseForm>,
) -> PageResult {
    let close = RectificationClose {
        measures: f.measures,
        callback: f.callback,
        applicant_satisfied: f.satisfied.is_some(),
        version: f.version,
    };
    match state.hall.close_rectification(&user.principal, &id, close).await {
        Ok(_) => Ok(Redirect::to("/console/rectifications?closed=1").into_response()),
        Err(e) => match hall_field(&e) {
            Some((field, msg)) => {
                let mut c = ctx.chrome(ctx.t().s("rect.title"));
                c.add_error(&format!("{field}-{id}"), &msg);
                list_page(&state, &ctx, Some(c)).await
            }
            None => Err(hall_page(e)),
        },
    }
}
