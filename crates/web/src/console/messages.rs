//! The staff's messages (消息): tasks reaching the roles they hold in their departments and the
//! applicants' actions on their departments' cases, newest first, each linking to the case.

use crate::AppState;
use crate::context::Ctx;
use crate::context::Staff;
use crate::page::PageResult;
use crate::page::{Chrome, render};
use crate::portal::{MessageRow, hall_rows};
use askama::Template;
use axum::extract::State;

#[derive(Template)]
#[template(path = "console/messages.html")]
struct MessagesPage {
    c: Chrome,
    rows: Vec<MessageRow>,
}

/// `GET /console/messages`.
pub(super) async fn messages(State(state): State<AppState>, ctx: Ctx, Staff(user): Staff) -> PageResult {
    match hall_rows(
        &state,
        &ctx,
        &user.principal,
        "/console/cases/",
        crate::portal::MESSAGES_SHOWN,
    )
    .await
    {
        Ok(rows) => Ok(render(&MessagesPage {
            c: ctx.chrome(ctx.t().s("messages.title")),
            rows,
        })),
        Err(e) => Err(e),
    }
}
