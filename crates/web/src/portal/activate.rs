//! 账号激活: the holder of an administrator account approved by a second administrator sets
//! their own password with the one-time activation code they were handed, then signs in and
//! sets up their own two-step verification. A wrong, used or expired code and an unknown name
//! get the same answer.

use crate::AppState;
use crate::context::{CsrfForm, Ctx};
use crate::errors::{FormOutcome, identity_form};
use crate::page::PageResult;
use crate::page::{Chrome, render};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_kernel::msg;

#[derive(Template)]
#[template(path = "portal/activate.html")]
struct ActivatePage {
    c: Chrome,
    username: String,
    /// The code as typed, kept when only the passwords need another try.
    code: String,
}

fn page(ctx: &Ctx, c: Option<Chrome>, username: String, code: String) -> Response {
    let failed = c.as_ref().is_some_and(|c| !c.errors.is_empty());
    let mut c = c.unwrap_or_else(|| ctx.chrome(ctx.t().s("activate.title")));
    c.narrow = true;
    let mut resp = render(&ActivatePage { c, username, code });
    if failed {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    resp
}

/// `GET /activate`.
pub(super) async fn show(ctx: Ctx) -> Response {
    page(&ctx, None, String::new(), String::new())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ActivateForm {
    username: String,
    code: String,
    password: String,
    password2: String,
}

/// `POST /activate`: `username`, `code`, `password`, `password2`.
pub(super) async fn activate(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<ActivateForm>,
) -> PageResult {
    let mut c = ctx.chrome(ctx.t().s("activate.title"));
    if f.username.trim().is_empty() {
        c.add_error("username", msg!("fill-in-your-user-name"));
    }
    if f.code.trim().is_empty() {
        c.add_error("code", msg!("enter-activation-code"));
    }
    if f.password.is_empty() {
        c.add_error("password", msg!("choose-a-new-password"));
    } else if f.password != f.password2 {
        c.add_error("password2", msg!("passwords-do-not-match"));
    }
    if !c.errors.is_empty() {
        return Ok(page(&ctx, Some(c), f.username, f.code));
    }
    match state.identity.activate(&f.username, &f.code, &f.password).await {
        Ok(()) => Ok(Redirect::to("/login?activated=1").into_response()),
        Err(e) => match identity_form(e, "code") {
            FormOutcome::Field(field, msg) => {
                c.add_error(&field, &msg);
                // A refused code is typed again; a refused password keeps the code.
                let code = if field == "code" { String::new() } else { f.code };
                Ok(page(&ctx, Some(c), f.username, code))
            }
            FormOutcome::Page(p) => Err(p),
        },
    }
}
