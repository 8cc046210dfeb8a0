//! "My messages" (我的消息): the in-app messages about one's cases and one's inquiries and
//! complaints, newest first, with unread ones marked; and the staff's messages in the console
//! (tasks reaching their roles, applicants' actions). Reading the page does not mark anything:
//! the "mark all read" button does.

use crate::AppState;
use crate::context::User;
use crate::context::{CsrfForm, Ctx};
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
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

/// Messages the console's list shows.
pub(crate) const MESSAGES_SHOWN: u32 = 100;

/// Messages a page of 我的消息 shows.
const PER_PAGE: u32 = 20;

/// The hall's newest `limit` messages for `who`, as rows linking to `case_base` + case id.
pub(crate) async fn hall_rows(
    state: &AppState,
    ctx: &Ctx,
    who: &Principal,
    case_base: &str,
    limit: u32,
) -> Result<Vec<MessageRow>, PageError> {
    let t = ctx.t();
    let depts = crate::page::DeptNames::load(state, t).await?;
    let list = state
        .hall
        .notifications(who, Page { limit, offset: 0 })
        .await
        .map_err(crate::errors::hall_page)?;
    Ok(list
        .into_iter()
        .map(|n| MessageRow {
            at: n.created,
            when: n.created.display_in(&state.settings.zone),
            // Composed by the platform in both languages: the page's one.
            text: depts.in_text(t.half(&n.message)),
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
    unread: u64,
    prev: Option<String>,
    next: Option<String>,
}

/// `?page=N`, from 1 (anything else is the first page).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct PageQuery {
    page: String,
}

/// `GET /my/messages`.
/// `GET /my/messages?page=N`: 20 a page, newest first, over the case and interaction messages
/// together.
pub(super) async fn messages(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    axum::extract::Query(q): axum::extract::Query<PageQuery>,
) -> PageResult {
    let page = q.page.parse::<u32>().unwrap_or(1).clamp(1, 50);
    // The newest `page × 20 + 1` of each kind are enough to cut this page and see if more follow.
    let upto = page * PER_PAGE + 1;
    let mut rows = hall_rows(&state, &ctx, &user.principal, "/my/cases/", upto).await?;
    let depts = crate::page::DeptNames::load(&state, ctx.t()).await?;
    if let Ok(list) = state
        .interact
        .notifications(
            &user.principal,
            false,
            Page {
                limit: upto,
                offset: 0,
            },
        )
        .await
    {
        rows.extend(list.items.into_iter().map(|n| MessageRow {
            at: n.created,
            when: n.created.display_in(&state.settings.zone),
            // Composed by the platform in both languages: the page's one.
            text: depts.in_text(ctx.t().half(&n.message)),
            // The interaction pages are not built yet: the message carries the item number.
            href: String::new(),
            unread: n.read.is_none(),
            to_role: String::new(),
        }));
    }
    let (rows, more) = page_of(rows, page);
    let who = &user.principal;
    let unread = state.hall.unread_notifications(who).await? + state.interact.unread_count(who).await?;
    Ok(render(&MessagesPage {
        c: ctx.chrome(ctx.t().s("messages.title")),
        rows,
        unread,
        prev: (page > 1).then(|| format!("/my/messages?page={}", page - 1)),
        next: more.then(|| format!("/my/messages?page={}", page + 1)),
    }))
}

/// `POST /my/messages/read`: marks all the signed-in person's messages read.
pub(super) async fn mark_read(
    State(state): State<AppState>,
    User(user): User,
    CsrfForm(_): CsrfForm<super::NoFields>,
) -> PageResult {
    state.hall.mark_notifications_read(&user.principal).await?;
    // Interaction messages too; a principal the interaction module does not serve has none.
    let _ = state.interact.mark_all_read(&user.principal).await;
    Ok(Redirect::to("/my/messages").into_response())
}

/// Page `page` (from 1) of `rows`, newest first, and whether more follow.
fn page_of(mut rows: Vec<MessageRow>, page: u32) -> (Vec<MessageRow>, bool) {
    rows.sort_by_key(|r| std::cmp::Reverse(r.at));
    let more = rows.len() > (page * PER_PAGE) as usize;
    let rows = rows
        .into_iter()
        .skip((page.saturating_sub(1) * PER_PAGE) as usize)
        .take(PER_PAGE as usize)
        .collect();
    (rows, more)
}

#[cfg(test)]
mod tests {
    use super::{MessageRow, PER_PAGE, page_of};
    use tongban_kernel::Millis;

    fn rows(n: i64) -> Vec<MessageRow> {
        (0..n)
            .map(|i| MessageRow {
                at: Millis(i),
                when: String::new(),
                text: format!("m{i}"),
                href: String::new(),
                unread: false,
                to_role: String::new(),
            })
            .collect()
    }

    #[test]
    fn messages_come_twenty_a_page_newest_first() {
        let (first, more) = page_of(rows(45), 1);
        assert_eq!(first.len(), PER_PAGE as usize);
        assert_eq!(first[0].text, "m44");
        assert!(more);
        let (third, more) = page_of(rows(45), 3);
        assert_eq!(
            third.iter().map(|r| r.text.as_str()).collect::<Vec<_>>(),
            ["m4", "m3", "m2", "m1", "m0"]
        );
        assert!(!more);
        let (exact, more) = page_of(rows(40), 2);
        assert_eq!(exact.len(), 20);
        assert!(!more, "no empty page after the last");
    }
}
