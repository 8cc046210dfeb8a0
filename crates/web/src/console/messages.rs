//! The staff's messages (消息): tasks reaching the roles they hold in their departments and the
//! applicants' actions on their departments' cases, newest first, each linking to the case.

use crate::AppState;
use crate::context::Ctx;
use crate::page::{Chrome, render};
use crate::portal::{MessageRow, hall_rows};
use askama::Template;
use axum::extract::State;
use axum::response::Response;

#[derive(Template)]
#[template(path = "console/messages.html")]
struct MessagesPage {
    c: Chrome,
    rows: Vec<MessageRow>,
}

/// `GET /console/messages`.
pub(super) async fn messages(State(state): State<AppState>, ctx: Ctx) -> Response {
    let user = match ctx.require_staff() {
        Ok(u) => u.clone(),
        Err(e) => return ctx.fail(e),
    };
    match hall_rows(
        &state,
        &ctx,
        &user.principal,
        "/console/cases/",
        crate::portal::MESSAGES_SHOWN,
    )
    .await
    {
        Ok(rows) => render(&MessagesPage {
            c: ctx.chrome(ctx.t().s("messages.title")),
            rows,
        }),
        Err(e) => ctx.fail(e),
    }
}
