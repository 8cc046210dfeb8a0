//! 政民互动 on the portal: the public board (published items and replies with personal data
//! removed, searchable and filtered, with each department's statistics as they stand), a form to
//! ask, complain, suggest, ask for help or praise, and "my items" with the timeline, the replies
//! and the rating (不满意 may reopen once).

use crate::AppState;
use crate::context::IdPath;
use crate::context::Query;
use crate::context::User;
use crate::context::{CsrfForm, Ctx};
use crate::errors::interact_page;
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render};
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use tongban_interact::{
    AttachmentId, BOARD_COUNT_CAP, BoardEntry, BoardFilter, Channel, ContactInput, ContactPreference, ItemId,
    ItemKind, LocationInput, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, NewItem, RatingInput, Satisfaction,
};
use tongban_kernel::{Msg, Page, msg};

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
pub(super) async fn board(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<BoardQuery>,
) -> PageResult {
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
        Err(e) => return Err(interact_page(e)),
    };
    let zone = &state.settings.zone;
    let stats = state
        .interact
        .department_stats(None)
        .await?
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
    Ok(render(&BoardPage {
        c: ctx.chrome(t.s("board.title")),
        kinds: ItemKind::ALL
            .iter()
            .map(|k| (k.code(), t.pick(k.name_zh(), k.name_en()).to_string()))
            .collect(),
        categories: state
            .interact
            .categories(false)
            .await?
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
    }))
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
pub(super) async fn entry(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<ItemId>) -> PageResult {
    let e = state.interact.board_entry(&id).await?;
    let t = ctx.t();
    let zone = &state.settings.zone;
    Ok(render(&EntryPage {
        c: ctx.chrome(&e.title),
        kind: t.pick(e.kind.name_zh(), e.kind.name_en()).to_string(),
        submitted: e.submitted.display_in(zone),
        replied: e.replied.map(|r| r.display_in(zone)).unwrap_or_default(),
        satisfaction: e
            .satisfaction
            .map(|s| t.pick(s.name_zh(), s.name_en()).to_string())
            .unwrap_or_default(),
        e,
    }))
}

#[derive(Template)]
#[template(path = "portal/interact_new.html")]
struct NewPage {
    c: Chrome,
    /// Nobody is signed in: only an anonymous suggestion may be sent.
    anonymous: bool,
    kinds: Vec<(&'static str, String)>,
    categories: Vec<(String, String)>,
    kind: String,
    category: String,
    title: String,
    text: String,
    address: String,
    public: bool,
    max_files: usize,
    max_mib: usize,
    /// Files were chosen but the form came back: they must be chosen again.
    reselect: bool,
}

async fn new_page(
    state: &AppState,
    ctx: &Ctx,
    c: Chrome,
    form: &HashMap<String, String>,
    reselect: bool,
) -> PageResult {
    let t = ctx.t();
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let anonymous = ctx.signed_in().is_none();
    Ok(render(&NewPage {
        c,
        anonymous,
        kinds: ItemKind::ALL
            .iter()
            .filter(|k| !anonymous || **k == ItemKind::Suggestion)
            .map(|k| (k.code(), t.pick(k.name_zh(), k.name_en()).to_string()))
            .collect(),
        categories: state
            .interact
            .categories(false)
            .await?
            .into_iter()
            .map(|c| (c.code, t.pick(&c.name_zh, &c.name_en).to_string()))
            .collect(),
        kind: if anonymous {
            ItemKind::Suggestion.code().to_string()
        } else {
            get("kind")
        },
        category: get("category"),
        title: get("title"),
        text: get("text"),
        address: get("address"),
        public: form.get("public").is_some_and(|v| v == "1"),
        max_files: MAX_ATTACHMENTS,
        max_mib: MAX_ATTACHMENT_BYTES >> 20,
        reselect,
    }))
}

/// `GET /interact/new`: the form; without signing in, for an anonymous suggestion only.
pub(super) async fn new_form(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let form = HashMap::from([("kind".to_string(), "inquiry".to_string())]);
    new_page(&state, &ctx, ctx.chrome(ctx.t().s("interact.new")), &form, false).await
}

#[derive(Template)]
#[template(path = "portal/interact_sent.html")]
struct SentPage {
    c: Chrome,
    number: String,
}

/// `POST /interact/new` (multipart): kind, category, title, text, address, public and up to
/// three attachments. A signed-in citizen files in their own name; anyone else may send a
/// suggestion anonymously, limited per address an hour.
pub(super) async fn submit(State(state): State<AppState>, ctx: Ctx, mut body: Multipart) -> PageResult {
    let mut posted = crate::multipart::read(&ctx, &mut body, &["attachments"], MAX_ATTACHMENT_BYTES).await?;
    let files = posted.take_files("attachments");
    let form = posted.fields;
    let reselect = !files.is_empty() || posted.too_big;
    let refuse = async |field: &str, msg: &tongban_kernel::Msg, status: StatusCode| {
        let mut c = ctx.chrome(ctx.t().s("interact.new"));
        c.add_error(field, msg);
        let mut resp = new_page(&state, &ctx, c, &form, reselect).await?;
        *resp.status_mut() = status;
        Ok(resp)
    };
    let t = ctx.t();
    if posted.too_big {
        let msg = format!("{} {} MB", t.s("material.too_big"), MAX_ATTACHMENT_BYTES >> 20);
        return refuse("attachments", &msg.into(), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    // Every missing answer is named at once (the domain checks each again when it files).
    let kind = ItemKind::parse(&get("kind"));
    let mut missing: Vec<(&str, Msg)> = Vec::new();
    if kind.is_none() {
        missing.push(("kind", t.s("interact.choose_kind").into()));
    }
    // No category is preselected: a wrong default sends the item to the wrong bureau.
    if get("category").trim().is_empty() {
        missing.push(("category", t.s("interact.choose_category").into()));
    }
    if get("title").trim().is_empty() {
        missing.push(("title", msg!("enter-a-title")));
    }
    if get("text").trim().is_empty() {
        missing.push(("text", msg!("describe-the-matter")));
    }
    let Some(kind) = kind.filter(|_| missing.is_empty()) else {
        let mut c = ctx.chrome(t.s("interact.new"));
        for (field, msg) in missing {
            c.add_error(field, msg);
        }
        let mut resp = new_page(&state, &ctx, c, &form, reselect).await?;
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(resp);
    };
    let signed_in = ctx.signed_in().is_some();
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
            preference: if signed_in {
                ContactPreference::InApp
            } else {
                ContactPreference::NoContact
            },
            ..ContactInput::default()
        },
        channel: Channel::Portal,
        // Anonymous suggestions are counted per client address (blind-indexed by the domain).
        source_key: (!signed_in).then(|| ctx.ip.clone().unwrap_or_else(|| "unknown".into())),
    };
    match state
        .interact
        .submit_with_attachments(&ctx.principal(), new, files)
        .await
    {
        Ok(v) if signed_in => {
            Ok(Redirect::to(&format!("/my/items/{}?submitted=1", v.item.id)).into_response())
        }
        Ok(v) => Ok(render(&SentPage {
            c: ctx.chrome(t.s("interact.submitted")),
            number: v.item.number,
        })),
        Err(e) => {
            let (field, msg, status) = match &e {
                tongban_interact::Error::Invalid(i) => (
                    i.field.clone(),
                    i.reason.clone(),
                    StatusCode::UNPROCESSABLE_ENTITY,
                ),
                tongban_interact::Error::Conflict { field, reason } => {
                    (field.clone(), reason.clone(), StatusCode::UNPROCESSABLE_ENTITY)
                }
                tongban_interact::Error::RateLimited { why } => {
                    ("text".to_string(), why.clone(), StatusCode::TOO_MANY_REQUESTS)
                }
                _ => return Err(interact_page(e)),
            };
            let field = field.strip_prefix("location.").unwrap_or(&field).to_string();
            refuse(&field, &msg, status).await
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
pub(super) async fn mine(State(state): State<AppState>, ctx: Ctx, User(user): User) -> PageResult {
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
        Err(e) => return Err(interact_page(e)),
    };
    let zone = &state.settings.zone;
    Ok(render(&MinePage {
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
    }))
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
    /// The due day is provisional (暂定).
    due_provisional: bool,
    just_submitted: bool,
    /// (when, what, note).
    timeline: Vec<crate::page::TimelineEntry>,
    /// (when, department, text).
    replies: Vec<(String, String, String)>,
    rating: String,
    can_rate: bool,
    levels: Vec<(&'static str, String)>,
    /// (id, name and size).
    attachments: Vec<(String, String)>,
}

/// A timeline entry's action in the page language (the code itself when unknown).
pub(crate) fn action_label(ctx: &Ctx, code: &str) -> String {
    let (zh, en) = match code {
        "submitted" => ("提交", "Submitted"),
        "routed" => ("分办", "Routed"),
        "dispatched" => ("人工分办", "Dispatched"),
        "transferred" => ("转办", "Transferred"),
        "returned" => ("退回", "Returned"),
        "assist_requested" => ("请求协办", "Assistance requested"),
        "assist_answered" => ("协办答复", "Assistance given"),
        "reply_submitted" => ("答复待审核", "Reply awaiting review"),
        "reply_sent_back" => ("答复退回修改", "Reply sent back"),
        "replied" => ("已答复", "Replied"),
        "merged" => ("合并到其他诉求", "Merged into another item"),
        "merged_from" => ("合并了重复诉求", "Duplicate merged in"),
        "withdrawn_from_public" => ("不予公开", "Withdrawn from public view"),
        "rated" => ("评价", "Rated"),
        "reopened" => ("重新办理", "Reopened"),
        "escalated" => ("督办", "Escalated"),
        "reminder" => ("临期提醒", "Due soon: reminded"),
        "overdue" => ("超期督办", "Overdue: escalated"),
        "due_recounted" => (
            "节假日安排公布，办理期限重新计算",
            "Due date recounted after the holiday schedule was announced",
        ),
        "rectification_due_recounted" => (
            "节假日安排公布，整改期限重新计算",
            "Rectification due date recounted after the holiday schedule was announced",
        ),
        other => return other.to_string(),
    };
    ctx.t().pick(zh, en).to_string()
}

/// An item's attachments as its pages list them: (id, name and size).
pub(crate) async fn attachment_rows(
    state: &AppState,
    actor: &tongban_kernel::Principal,
    id: &ItemId,
) -> Result<Vec<(String, String)>, PageError> {
    Ok(state
        .interact
        .attachments(actor, id)
        .await?
        .into_iter()
        .map(|a| {
            (
                a.id.to_string(),
                format!("{}（{} KiB）", a.file_name, a.size.div_ceil(1024)),
            )
        })
        .collect())
}

/// `GET /interact/files/{id}`: an attachment, for its submitter and the staff who may see its
/// item (the domain records staff reads). Always a download, never shown inline.
pub(super) async fn attachment_file(
    State(state): State<AppState>,
    User(user): User,
    Path(id): Path<String>,
) -> PageResult {
    if tongban_kernel::id::check_uuid("id", &id).is_err() {
        return Err(PageError::NotFound);
    }
    match state
        .interact
        .attachment(&user.principal, &AttachmentId(id))
        .await
    {
        Ok((a, body)) => Ok(crate::page::download(&a.media_type, &a.file_name, body.to_vec())),
        Err(e) => Err(interact_page(e)),
    }
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
) -> PageResult {
    let user = ctx.require_user()?.clone();
    let Ok(iid) = ItemId::parse("id", id) else {
        return Err(PageError::NotFound);
    };
    let v = state.interact.get_item(&user.principal, &iid).await?;
    let t = ctx.t();
    let zone = &state.settings.zone;
    let depts = crate::page::DeptNames::load(state, t).await?;
    let history = state.interact.history(&user.principal, &iid).await?;
    let replies = state.interact.replies(&user.principal, &iid).await?;
    let attachments = attachment_rows(state, &user.principal, &iid).await?;
    let i = v.item;
    let can_rate = i.rating.is_none() && matches!(i.status.code(), "replied");
    Ok(render(&ItemPage {
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
            .map(|d| depts.of(d.path.as_str(), &d.name_zh))
            .unwrap_or_default(),
        due: i.due_on.map(|d| d.to_string()).unwrap_or_default(),
        due_provisional: v.due_provisional,
        just_submitted,
        timeline: history
            .into_iter()
            .filter(|l| l.public)
            .map(|l| {
                crate::page::TimelineEntry::new(
                    l.at.display_in(zone),
                    action_label(ctx, &l.action),
                    depts.in_text(&l.note),
                )
            })
            .collect(),
        replies: replies
            .into_iter()
            .map(|r| {
                (
                    r.created.display_in(zone),
                    depts.in_text(&r.department_name),
                    r.text,
                )
            })
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
        attachments,
    }))
}

/// `GET /my/items/{id}`.
pub(super) async fn item(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<ItemQuery>,
) -> PageResult {
    item_page(&state, &ctx, &id, None, q.submitted.is_some()).await
}

/// The citizen's rating of a reply: `satisfaction` (none when no radio was chosen), a
/// `comment`, and `reopen` ticked (`1`) to reopen the item.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub(super) struct RateForm {
    satisfaction: String,
    comment: String,
    reopen: String,
}

/// `POST /my/items/{id}/rate`: satisfaction, comment, reopen.
pub(super) async fn rate(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    IdPath(iid): IdPath<ItemId>,
    CsrfForm(form): CsrfForm<RateForm>,
) -> PageResult {
    let Some(satisfaction) = Satisfaction::parse(&form.satisfaction) else {
        let msg = ctx.t().s("interact.choose_rating").to_string();
        return rate_error(&state, &ctx, iid.as_str(), &form, &msg).await;
    };
    let kept = RateForm {
        satisfaction: form.satisfaction.clone(),
        comment: form.comment.clone(),
        reopen: form.reopen.clone(),
    };
    let input = RatingInput {
        satisfaction,
        comment: form.comment,
        reopen: form.reopen == "1",
    };
    match state.interact.rate(&user.principal, &iid, input).await {
        Ok(_) => Ok(Redirect::to(&format!("/my/items/{iid}")).into_response()),
        Err(tongban_interact::Error::Invalid(i)) => {
            rate_error(&state, &ctx, iid.as_str(), &kept, &i.reason).await
        }
        Err(tongban_interact::Error::Conflict { reason, .. }) => {
            rate_error(&state, &ctx, iid.as_str(), &kept, &reason).await
        }
        Err(e) => Err(interact_page(e)),
    }
}

/// The item page again with a refused rating: the message, and what was chosen and written.
async fn rate_error(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    form: &RateForm,
    msg: impl Into<tongban_kernel::Msg>,
) -> PageResult {
    let mut c = ctx.chrome(ctx.t().s("interact.mine"));
    c.keep(form);
    c.add_error("satisfaction", msg);
    crate::page::refused(item_page(state, ctx, id, Some(c), false).await)
}
