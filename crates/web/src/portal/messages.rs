//! "My messages" (我的消息): the in-app messages about one's cases and one's inquiries and
//! complaints, newest first, with unread ones marked; and the staff's messages in the console
//! (tasks reaching their roles, applicants' actions). Reading the page does not mark anything:
//! the "mark all read" button does.

use crate::AppState;
use crate::context::{CsrfForm, Ctx};
use crate::page::{Chrome, PageError, render};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use tongban_kernel::{Millis, Page, Principal};

/// One message as the pages show it.
pub(crate) struct MessageRow {
    pub(crate) at: Millis,
    pub(crate) when: String,
    pub(crate) text: String,
    /// The case it leads to (empty when there is no page for it).
    pub(crate) href: String,
    pub(crate) unread: bool,
    /// The role it was addressed to, for staff messages.
    pub(crate) to_role: String,
}

const SHOWN: u32 = 100;

/// The hall's messages for `who`, as rows linking to `case_base` + case id.
pub(crate) async fn hall_rows(
    state: &AppState,
    ctx: &Ctx,
    who: &Principal,
    case_base: &str,
) -> Result<Vec<MessageRow>, PageError> {
    let t = ctx.t();
    let list = state
        .hall
        .notifications(
            who,
            Page {
                limit: SHOWN,
                offset: 0,
            },
        )
        .await
        .map_err(super::services::hall_page)?;
    Ok(list
        .into_iter()
        .map(|n| MessageRow {
            at: n.created,
            when: n.created.display_in(&state.settings.zone),
            // Composed by the platform in both languages: the page's one.
            text: t.half(&n.message).to_string(),
            href: format!("{case_base}{}", n.case_id),
            unread: n.read.is_none() && n.role.is_none(),
            to_role: n
                .role
                .map(|r| t.pick(r.name_zh(), r.name_en()).to_string())
                .unwrap_or_default(),
        })
        .collect())
}

#[derive(Template)]
#[template(path = "portal/messages.html")]
struct MessagesPage {
    c: Chrome,
    rows: Vec<MessageRow>,
    unread: usize,
}

/// `GET /my/messages`.
pub(super) async fn messages(State(state): State<AppState>, ctx: Ctx) -> Response {
    let user = match ctx.require_user() {
        Ok(u) => u.clone(),
        Err(e) => return ctx.fail(e),
    };
    let mut rows = match hall_rows(&state, &ctx, &user.principal, "/my/cases/").await {
        Ok(r) => r,
        Err(e) => return ctx.fail(e),
    };
    if let Ok(list) = state
        .interact
        .notifications(
            &user.principal,
            false,
            Page {
                limit: SHOWN,
                offset: 0,
            },
        )
        .await
    {
        rows.extend(list.items.into_iter().map(|n| MessageRow {
            at: n.created,
            when: n.created.display_in(&state.settings.zone),
            // Composed by the platform in both languages: the page's one.
            text: ctx.t().half(&n.message).to_string(),
            // The interaction pages are not built yet: the message carries the item number.
            href: String::new(),
            unread: n.read.is_none(),
            to_role: String::new(),
        }));
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.at));
    rows.truncate(SHOWN as usize);
    let unread = rows.iter().filter(|r| r.unread).count();
    render(&MessagesPage {
        c: ctx.chrome(ctx.t().s("messages.title")),
        rows,
        unread,
    })
}

/// `POST /my/messages/read`: marks all the signed-in person's messages read.
pub(super) async fn mark_read(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(_form): CsrfForm<HashMap<String, String>>,
) -> Response {
    let user = match ctx.require_user() {
        Ok(u) => u.clone(),
        Err(e) => return ctx.fail(e),
    };
    if let Err(e) = state.hall.mark_notifications_read(&user.principal).await {
        return ctx.fail(super::services::hall_page(e));
    }
    // Interaction messages too; a principal the interaction module does not serve has none.
    let _ = state.interact.mark_all_read(&user.principal).await;
    Redirect::to("/my/messages").into_response()
}
