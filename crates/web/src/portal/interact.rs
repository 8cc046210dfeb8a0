//! 政民互动 on the portal: the public board (published items and replies with personal data
//! removed, searchable and filtered, with each department's statistics as they stand), a form to
//! ask, complain, suggest, ask for help or praise, and "my items" with the timeline, the replies
//! and the rating (不满意 may reopen once).

use crate::AppState;
use crate::context::{CsrfForm, Ctx};
use crate::errors::interact_page;
use crate::page::{Chrome, PageError, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;
use tongban_interact::{
    BOARD_COUNT_CAP, BoardEntry, BoardFilter, Channel, ContactInput, ContactPreference, ItemId, ItemKind,
    LocationInput, NewItem, RatingInput, Satisfaction,
};
use tongban_kernel::Page;

const PAGE: u32 = 20;

struct StatRow {
    name: String,
    received: u64,
    replied: u64,
    on_time: String,
    days: String,
    satisfaction: String,
}

#[derive(Template)]
#[template(path = "portal/board.html")]
struct BoardPage {
    c: Chrome,
    q: String,
    kind: String,
    category: String,
    kinds: Vec<(&'static str, String)>,
    categories: Vec<(String, String)>,
    entries: Vec<(BoardEntry, String, String)>,
    /// The count shown: exact up to the cap, then "10000+".
    total: String,
    page: u64,
    pages: u64,
    stats: Vec<StatRow>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct BoardQuery {
    q: String,
    kind: String,
    category: String,
    page: u64,
}

fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |r| format!("{:.0}%", r * 100.0))
}

/// `GET /interact`: the public board and the statistics.
pub(super) async fn board(State(state): State<AppState>, ctx: Ctx, Query(q): Query<BoardQuery>) -> Response {
    let t = ctx.t();
    let filter = BoardFilter {
        kind: ItemKind::parse(&q.kind),
        category: Some(q.category.trim().to_string()).filter(|c| !c.is_empty()),
        text: Some(q.q.trim().to_string()).filter(|c| !c.is_empty()),
        ..BoardFilter::default()
    };
    let page = q.page.max(1);
    let listing = match state
        .interact
        .board(
            &filter,
            Page {
                limit: PAGE,
                offset: (page - 1) * u64::from(PAGE),
            },
        )
        .await
    {
        Ok(l) => l,
        Err(e) => return ctx.fail(interact_page(e)),
    };
    let zone = &state.settings.zone;
    let stats = state
        .interact
        .department_stats(None)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s.received > 0)
        .map(|s| StatRow {
            on_time: percent(s.on_time_rate()),
            days: s
                .average_reply_days()
                .map_or_else(|| "—".into(), |d| format!("{d:.1}")),
            satisfaction: percent(s.satisfaction_rate()),
            name: s.department_name,
            received: s.received,
            replied: s.replied,
        })
        .collect();
    render(&BoardPage {
        c: ctx.chrome(t.s("board.title")),
        kinds: ItemKind::ALL
            .iter()
            .map(|k| (k.code(), t.pick(k.name_zh(), k.name_en()).to_string()))
            .collect(),
        categories: state
            .interact
            .categories(false)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|c| (c.code, t.pick(&c.name_zh, &c.name_en).to_string()))
            .collect(),
        entries: listing
            .items
            .into_iter()
            .map(|e| {
                let kind = t.pick(e.kind.name_zh(), e.kind.name_en()).to_string();
                let when = e.submitted.date_in(zone).to_string();
                (e, kind, when)
            })
            .collect(),
        total: if listing.total > BOARD_COUNT_CAP {
            format!("{BOARD_COUNT_CAP}+")
        } else {
            listing.total.to_string()
        },
        page,
        pages: listing
            .total
            .min(BOARD_COUNT_CAP)
            .div_ceil(u64::from(PAGE))
            .max(1),
        q: q.q,
        kind: q.kind,
        category: q.category,
        stats,
    })
}

#[derive(Template)]
#[template(path = "portal/board_entry.html")]
struct EntryPage {
    c: Chrome,
    e: BoardEntry,
    kind: String,
    submitted: String,
    replied: String,
    satisfaction: String,
}

/// `GET /interact/{id}`: one published item and its reply.
pub(super) async fn entry(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Response {
    let Ok(id) = ItemId::parse("id", &id) else {
        return ctx.fail(PageError::NotFound);
    };
    let e = match state.interact.board_entry(&id).await {
        Ok(e) => e,
        Err(e) => return ctx.fail(interact_page(e)),
    };
    let t = ctx.t();
    let zone = &state.settings.zone;
    render(&EntryPage {
        c: ctx.chrome(&e.title),
        kind: t.pick(e.kind.name_zh(), e.kind.name_en()).to_string(),
        submitted: e.submitted.display_in(zone),
        replied: e.replied.map(|r| r.display_in(zone)).unwrap_or_default(),
        satisfaction: e
            .satisfaction
            .map(|s| t.pick(s.name_zh(), s.name_en()).to_string())
            .unwrap_or_default(),
        e,
    })
}

#[derive(Template)]
#[template(path = "portal/interact_new.html")]
struct NewPage {
    c: Chrome,
    kinds: Vec<(&'static str, String)>,
    categories: Vec<(String, String)>,
    kind: String,
    category: String,
    title: String,
    text: String,
    address: String,
    public: bool,
}

async fn new_page(state: &AppState, ctx: &Ctx, c: Chrome, form: HashMap<String, String>) -> Response {
    let t = ctx.t();
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    render(&NewPage {
        c,
        kinds: ItemKind::ALL
            .iter()
            .map(|k| (k.code(), t.pick(k.name_zh(), k.name_en()).to_string()))
            .collect(),
        categories: state
            .interact
            .categories(false)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|c| (c.code, t.pick(&c.name_zh, &c.name_en).to_string()))
            .collect(),
        kind: get("kind"),
        category: get("category"),
        title: get("title"),
        text: get("text"),
        address: get("address"),
        public: form.get("public").is_some_and(|v| v == "1"),
    })
}

/// `GET /interact/new`.
pub(super) async fn new_form(State(state): State<AppState>, ctx: Ctx) -> Response {
    if let Err(e) = ctx.require_user() {
        return ctx.fail(e);
    }
    let form = HashMap::from([("kind".to_string(), "inquiry".to_string())]);
    new_page(&state, &ctx, ctx.chrome(ctx.t().s("interact.new")), form).await
}

/// `POST /interact/new`: kind, category, title, text, address, public.
pub(super) async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> Response {
    let user = match ctx.require_user() {
        Ok(u) => u.clone(),
        Err(e) => return ctx.fail(e),
    };
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let refuse = |field: &str, msg: String| {
        let mut c = ctx.chrome(ctx.t().s("interact.new"));
        c.add_error(field, &msg);
        (c, form.clone())
    };
    let Some(kind) = ItemKind::parse(&get("kind")) else {
        let (c, f) = refuse("kind", ctx.t().s("interact.choose_kind").to_string());
        let mut resp = new_page(&state, &ctx, c, f).await;
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return resp;
    };
    let address = get("address");
    let new = NewItem {
        kind,
        category: get("category"),
        title: get("title"),
        text: get("text"),
        location: (!address.trim().is_empty()).then(|| LocationInput {
            address,
            ..LocationInput::default()
        }),
        public: form.get("public").is_some_and(|v| v == "1"),
        contact: ContactInput {
            preference: ContactPreference::InApp,
            ..ContactInput::default()
        },
        channel: Channel::Portal,
        source_key: None,
    };
    match state.interact.submit(&user.principal, new).await {
        Ok(v) => Redirect::to(&format!("/my/items/{}?submitted=1", v.item.id)).into_response(),
        Err(e) => {
            let (field, msg) = match &e {
                tongban_interact::Error::Invalid(i) => (i.field.clone(), i.reason.clone()),
                tongban_interact::Error::Conflict { field, reason } => (field.clone(), reason.clone()),
                _ => return ctx.fail(interact_page(e)),
            };
            let field = field.strip_prefix("location.").unwrap_or(&field).to_string();
            let (c, f) = refuse(&field, msg);
            let mut resp = new_page(&state, &ctx, c, f).await;
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            resp
        }
    }
}

#[derive(Template)]
#[template(path = "portal/my_items.html")]
struct MinePage {
    c: Chrome,
    /// (id, number, kind, title, status, submitted).
    rows: Vec<(String, String, String, String, String, String)>,
}

/// `GET /my/items`.
pub(super) async fn mine(State(state): State<AppState>, ctx: Ctx) -> Response {
    let user = match ctx.require_user() {
        Ok(u) => u.clone(),
        Err(e) => return ctx.fail(e),
    };
    let t = ctx.t();
    let list = match state
        .interact
        .my_items(
            &user.principal,
            Page {
                limit: 100,
                offset: 0,
            },
        )
        .await
    {
        Ok(l) => l,
        Err(e) => return ctx.fail(interact_page(e)),
    };
    let zone = &state.settings.zone;
    render(&MinePage {
        c: ctx.chrome(t.s("interact.mine")),
        rows: list
            .items
            .into_iter()
            .map(|v| {
                let i = v.item;
                (
                    i.id.to_string(),
                    i.number,
                    t.pick(i.kind.name_zh(), i.kind.name_en()).to_string(),
                    i.title,
                    t.pick(i.status.name_zh(), i.status.name_en()).to_string(),
                    i.created.display_in(zone),
                )
            })
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "portal/my_item.html")]
struct ItemPage {
    c: Chrome,
    id: String,
    number: String,
    title: String,
    text: String,
    kind: String,
    status: String,
    department: String,
    due: String,
    just_submitted: bool,
    /// (when, what, note).
    timeline: Vec<(String, String, String)>,
    /// (when, department, text).
    replies: Vec<(String, String, String)>,
    rating: String,
    can_rate: bool,
    levels: Vec<(&'static str, String)>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ItemQuery {
    submitted: Option<String>,
}

async fn item_page(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    c: Option<Chrome>,
    just_submitted: bool,
) -> Response {
    let user = match ctx.require_user() {
        Ok(u) => u.clone(),
        Err(e) => return ctx.fail(e),
    };
    let Ok(iid) = ItemId::parse("id", id) else {
        return ctx.fail(PageError::NotFound);
    };
    let v = match state.interact.get_item(&user.principal, &iid).await {
        Ok(v) => v,
        Err(e) => return ctx.fail(interact_page(e)),
    };
    let t = ctx.t();
    let zone = &state.settings.zone;
    let history = state
        .interact
        .history(&user.principal, &iid)
        .await
        .unwrap_or_default();
    let replies = state
        .interact
        .replies(&user.principal, &iid)
        .await
        .unwrap_or_default();
    let i = v.item;
    let can_rate = i.rating.is_none() && matches!(i.status.code(), "replied");
    render(&ItemPage {
        c: c.unwrap_or_else(|| ctx.chrome(&i.title)),
        id: i.id.to_string(),
        number: i.number.clone(),
        title: i.title.clone(),
        text: i.text.clone(),
        kind: t.pick(i.kind.name_zh(), i.kind.name_en()).to_string(),
        status: t.pick(i.status.name_zh(), i.status.name_en()).to_string(),
        department: i
            .department
            .as_ref()
            .map(|d| d.name_zh.clone())
            .unwrap_or_default(),
        due: i.due_on.map(|d| d.to_string()).unwrap_or_default(),
        just_submitted,
        timeline: history
            .into_iter()
            .filter(|l| l.public)
            .map(|l| (l.at.display_in(zone), l.action, l.note))
            .collect(),
        replies: replies
            .into_iter()
            .map(|r| (r.created.display_in(zone), r.department_name, r.text))
            .collect(),
        rating: i
            .rating
            .as_ref()
            .map(|r| {
                t.pick(r.satisfaction.name_zh(), r.satisfaction.name_en())
                    .to_string()
            })
            .unwrap_or_default(),
        can_rate,
        levels: Satisfaction::ALL
            .iter()
            .map(|s| (s.code(), t.pick(s.name_zh(), s.name_en()).to_string()))
            .collect(),
    })
}

/// `GET /my/items/{id}`.
pub(super) async fn item(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<ItemQuery>,
) -> Response {
    item_page(&state, &ctx, &id, None, q.submitted.is_some()).await
}

/// `POST /my/items/{id}/rate`: satisfaction, comment, reopen.
pub(super) async fn rate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> Response {
    let user = match ctx.require_user() {
        Ok(u) => u.clone(),
        Err(e) => return ctx.fail(e),
    };
    let Ok(iid) = ItemId::parse("id", &id) else {
        return ctx.fail(PageError::NotFound);
    };
    let Some(satisfaction) = form.get("satisfaction").and_then(|s| Satisfaction::parse(s)) else {
        let msg = ctx.t().s("interact.choose_rating").to_string();
        return rate_error(&state, &ctx, &id, &msg).await;
    };
    let input = RatingInput {
        satisfaction,
        comment: form.get("comment").cloned().unwrap_or_default(),
        reopen: form.get("reopen").is_some_and(|v| v == "1"),
    };
    match state.interact.rate(&user.principal, &iid, input).await {
        Ok(_) => Redirect::to(&format!("/my/items/{iid}")).into_response(),
        Err(tongban_interact::Error::Invalid(i)) => rate_error(&state, &ctx, &id, &i.reason).await,
        Err(tongban_interact::Error::Conflict { reason, .. }) => rate_error(&state, &ctx, &id, &reason).await,
        Err(e) => ctx.fail(interact_page(e)),
    }
}

async fn rate_error(state: &AppState, ctx: &Ctx, id: &str, msg: &str) -> Response {
    let mut c = ctx.chrome(ctx.t().s("interact.mine"));
    c.add_error("satisfaction", msg);
    let mut resp = item_page(state, ctx, id, Some(c), false).await;
    *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    resp
}
