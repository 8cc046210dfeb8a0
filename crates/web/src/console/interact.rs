//! 政民互动 in the console: the department's inbox with yellow/red marks, and an item's page —
//! the text (contact masked), the timeline, the replies, a reply box whose quality check shows
//! its flags inline before anything is sent, transfer (转办) and return (退回), and for
//! reviewers the approval of replies that will be public.

use crate::AppState;
use crate::context::Query;
use crate::context::{CsrfForm, Ctx};
use crate::context::{IdPath, Staff};
use crate::errors::interact_page;
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use tongban_interact::{
    AssistId, AssistStatus, ClockFilter, DeptRef, ItemFilter, ItemId, ItemStatus, ReplyFlag, ReplyId,
    ReplyInput, ReplyStatus, ReviewDecision,
};
use tongban_kernel::{ClockState, Page, Permission, msg};

struct Row {
    id: String,
    number: String,
    kind: String,
    title: String,
    status: String,
    department: String,
    due: String,
    /// The due day is provisional (暂定).
    due_provisional: bool,
    urgency: &'static str,
}

#[derive(Template)]
#[template(path = "console/interact.html")]
struct InboxPage {
    c: Chrome,
    rows: Vec<Row>,
    total: u64,
    clock: String,
    status: String,
    statuses: Vec<(&'static str, String)>,
    /// The viewer configures categories or routing rules somewhere.
    can_rules: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct InboxQuery {
    clock: String,
    status: String,
}

fn urgency(state: Option<ClockState>) -> &'static str {
    match state {
        Some(ClockState::Overdue) => "overdue",
        Some(ClockState::DueSoon) => "due_soon",
        _ => "normal",
    }
}

/// `GET /console/interact`.
pub(super) async fn inbox(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(user): Staff,
    Query(q): Query<InboxQuery>,
) -> PageResult {
    let t = ctx.t();
    let filter = ItemFilter {
        status: ItemStatus::parse(&q.status),
        clock: match q.clock.as_str() {
            "due_soon" => Some(ClockFilter::DueSoon),
            "overdue" => Some(ClockFilter::Overdue),
            _ => None,
        },
        ..ItemFilter::default()
    };
    let list = match state
        .interact
        .list_items(&user.principal, &filter, Page { limit: 50, offset: 0 })
        .await
    {
        Ok(l) => l,
        Err(e) => return Err(interact_page(e)),
    };
    Ok(render(&InboxPage {
        c: ctx.chrome(t.s("board.title")),
        total: list.total,
        rows: list
            .items
            .into_iter()
            .map(|v| Row {
                urgency: urgency(v.deadline.as_ref().map(|d| d.state)),
                due: v.item.due_on.map(|d| d.to_string()).unwrap_or_default(),
                due_provisional: v.due_provisional,
                id: v.item.id.to_string(),
                number: v.item.number,
                kind: t.pick(v.item.kind.name_zh(), v.item.kind.name_en()).to_string(),
                title: v.item.title,
                status: t
                    .pick(v.item.status.name_zh(), v.item.status.name_en())
                    .to_string(),
                department: v.item.department.map(|d| d.name_zh).unwrap_or_default(),
            })
            .collect(),
        clock: q.clock,
        status: q.status,
        can_rules: user
            .principal
            .allows_somewhere(Permission::ManageInteractionRules),
        statuses: ItemStatus::ALL
            .iter()
            .map(|s| (s.code(), t.pick(s.name_zh(), s.name_en()).to_string()))
            .collect(),
    }))
}

struct ReplyRow {
    id: String,
    when: String,
    author: String,
    text: String,
    status: String,
    awaiting: bool,
    flags: Vec<String>,
}

#[derive(Template)]
#[template(path = "console/interact_item.html")]
struct ItemPage {
    c: Chrome,
    id: String,
    number: String,
    title: String,
    text: String,
    kind: String,
    category: String,
    status: String,
    department: String,
    due: String,
    /// The due day is provisional (暂定).
    due_provisional: bool,
    urgency: &'static str,
    contact: String,
    public: bool,
    timeline: Vec<crate::page::TimelineEntry>,
    replies: Vec<ReplyRow>,
    can_reply: bool,
    /// The handling department may withdraw a public item from public view in any state, closed
    /// ones included.
    can_withdraw: bool,
    can_review: bool,
    draft: String,
    /// Flags of the draft after "check": (rule reason, why, excerpt).
    flags: Vec<(String, String, String)>,
    checked: bool,
    departments: Vec<(String, String)>,
    /// Possible duplicates: (id, number, title, why).
    duplicates: Vec<(String, String, String, String)>,
    /// Requests for assistance: (id, department, note, status, answer, the viewer may answer).
    assists: Vec<(String, String, String, String, String, bool)>,
    /// (id, name and size).
    attachments: Vec<(String, String)>,
}

async fn item_page(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    c: Option<Chrome>,
    draft: String,
    flags: Option<Vec<ReplyFlag>>,
) -> PageResult {
    let user = ctx.require_staff()?.clone();
    let Ok(iid) = ItemId::parse("id", id) else {
        return Err(PageError::NotFound);
    };
    let v = state.interact.get_item(&user.principal, &iid).await?;
    let t = ctx.t();
    let zone = &state.settings.zone;
    let history = state.interact.history(&user.principal, &iid).await?;
    let replies = state.interact.replies(&user.principal, &iid).await?;
    let duplicates = state
        .interact
        .possible_duplicates(&user.principal, &iid)
        .await?
        .into_iter()
        .map(|d| {
            let why = match d.distance_m {
                Some(m) if d.nearby => format!("{m:.0} m · {:.0}%", d.text_similarity * 100.0),
                _ => format!("{:.0}%", d.text_similarity * 100.0),
            };
            (d.item.id.to_string(), d.item.number, d.item.title, why)
        })
        .collect();
    let assists = state
        .interact
        .assists(&user.principal, &iid)
        .await?
        .into_iter()
        .map(|a| {
            let open = a.status == AssistStatus::Open;
            let mine = open
                && user
                    .principal
                    .allows(Permission::HandleInteractions, Some(&a.department.path));
            (
                a.id.to_string(),
                a.department.name_zh,
                a.note,
                t.pick(a.status.name_zh(), a.status.name_en()).to_string(),
                a.answer,
                mine,
            )
        })
        .collect();
    let attachments = crate::portal::attachment_rows(state, &user.principal, &iid).await?;
    let i = v.item;
    let dept_path = i.department.as_ref().map(|d| d.path.clone());
    let can_review = user
        .principal
        .allows(Permission::ReviewInteractionReplies, dept_path.as_ref());
    let open = !matches!(i.status, ItemStatus::Closed | ItemStatus::Merged);
    // The org tree is public knowledge: anyone handling an item may send it anywhere.
    let departments =
        super::department_choices(state, |d| Some(&d.path) != dept_path.as_ref(), |d| d.code.clone()).await?;
    Ok(render(&ItemPage {
        c: c.unwrap_or_else(|| ctx.chrome(&i.title)),
        id: i.id.to_string(),
        number: i.number.clone(),
        title: i.title.clone(),
        text: i.text.clone(),
        kind: t.pick(i.kind.name_zh(), i.kind.name_en()).to_string(),
        category: i.category_name.clone(),
        status: t.pick(i.status.name_zh(), i.status.name_en()).to_string(),
        department: i
            .department
            .as_ref()
            .map(|d| d.name_zh.clone())
            .unwrap_or_default(),
        due: i.due_on.map(|d| d.to_string()).unwrap_or_default(),
        due_provisional: v.due_provisional,
        urgency: urgency(v.deadline.as_ref().map(|d| d.state)),
        // The preferred way by its name (never its code), then the masked details given.
        contact: [
            t.pick(i.contact.preference.name_zh(), i.contact.preference.name_en()),
            i.contact.name.as_str(),
            i.contact.phone.as_str(),
            i.contact.email.as_str(),
        ]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" · "),
        public: i.public,
        timeline: history
            .into_iter()
            .map(|l| crate::page::TimelineEntry {
                internal: !l.public,
                ..crate::page::TimelineEntry::new(
                    l.at.display_in(zone),
                    crate::portal::interact_action(ctx, &l.action),
                    l.note,
                )
                .by(l.actor_name)
            })
            .collect(),
        replies: replies
            .into_iter()
            .map(|r| ReplyRow {
                id: r.id.to_string(),
                when: r.created.display_in(zone),
                author: format!("{} · {}", r.department_name, r.author_name),
                awaiting: r.status == ReplyStatus::AwaitingReview,
                status: t.pick(r.status.name_zh(), r.status.name_en()).to_string(),
                flags: r
                    .flags
                    .iter()
                    .map(|f| format!("{}：{}", f.rule.reason(), f.reason))
                    .collect(),
                text: r.text,
            })
            .collect(),
        can_reply: open && i.department.is_some(),
        can_withdraw: dept_path
            .as_ref()
            .is_some_and(|d| user.principal.allows(Permission::HandleInteractions, Some(d))),
        can_review,
        checked: flags.is_some(),
        flags: flags
            .unwrap_or_default()
            .into_iter()
            .map(|f| (f.rule.reason().to_string(), f.reason, f.excerpt))
            .collect(),
        draft,
        departments,
        duplicates,
        assists,
        attachments,
    }))
}

/// `GET /console/interact/{id}`.
pub(super) async fn item(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    item_page(&state, &ctx, &id, None, String::new(), None).await
}

async fn refused(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    key: &str,
    e: tongban_interact::Error,
    draft: String,
) -> PageResult {
    let msg = match &e {
        tongban_interact::Error::Invalid(i) => i.reason.clone(),
        tongban_interact::Error::Conflict { reason, .. } => reason.clone(),
        _ => return Err(interact_page(e)),
    };
    let mut c = ctx.chrome(ctx.t().s("board.title"));
    c.add_error(key, &msg);
    crate::page::refused(item_page(state, ctx, id, Some(c), draft, None).await)
}

/// A reply: `go` = `check` shows its flags first, `send` sends it.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ReplyForm {
    text: String,
    go: String,
}

/// `POST /console/interact/{id}/reply`: `text`, `go` = check | send. Checking shows the flags
/// inline and keeps the text; sending checks again and records the flags with the reply.
pub(super) async fn reply(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(user): Staff,
    IdPath(iid): IdPath<ItemId>,
    CsrfForm(ReplyForm { text, go }): CsrfForm<ReplyForm>,
) -> PageResult {
    if go == "check" {
        return match state.interact.check_reply(&user.principal, &iid, &text).await {
            Ok(flags) => item_page(&state, &ctx, iid.as_str(), None, text, Some(flags)).await,
            Err(e) => refused(&state, &ctx, iid.as_str(), "text", e, text).await,
        };
    }
    match state
        .interact
        .reply(&user.principal, &iid, ReplyInput { text: text.clone() })
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/console/interact/{iid}")).into_response()),
        Err(e) => refused(&state, &ctx, iid.as_str(), "text", e, text).await,
    }
}

/// The department with `code`, read from the org tree as the directory reads it (the tree is
/// public knowledge: anyone handling an item may send it anywhere).
pub(super) async fn department(state: &AppState, code: &str) -> Option<DeptRef> {
    let d = state.identity.directory_entry(code).await.ok()?;
    Some(DeptRef {
        id: d.id.to_string(),
        path: d.path,
        name_zh: d.name_zh,
    })
}

/// Where an item goes (转办), and why.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct TransferForm {
    /// The department's code.
    department: String,
    reason: String,
}

/// `POST /console/interact/{id}/transfer`: `department` (code), `reason`.
pub(super) async fn transfer(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(user): Staff,
    IdPath(iid): IdPath<ItemId>,
    CsrfForm(form): CsrfForm<TransferForm>,
) -> PageResult {
    let Some(to) = department(&state, &form.department).await else {
        let e = tongban_interact::Error::invalid("department", msg!("choose-transfer-department"));
        return refused(&state, &ctx, iid.as_str(), "department", e, String::new()).await;
    };
    match state
        .interact
        .transfer(&user.principal, &iid, to, &form.reason)
        .await
    {
        Ok(_) => Ok(Redirect::to("/console/interact").into_response()),
        Err(e) => refused(&state, &ctx, iid.as_str(), "reason", e, String::new()).await,
    }
}

/// Why an item comes off the board (不予公开).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct WithdrawForm {
    withdraw_reason: String,
}

/// `POST /console/interact/{id}/withdraw`: `withdraw_reason` (不予公开: off the board and
/// the Open311 lists).
pub(super) async fn withdraw(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(user): Staff,
    IdPath(iid): IdPath<ItemId>,
    CsrfForm(form): CsrfForm<WithdrawForm>,
) -> PageResult {
    match state
        .interact
        .withdraw_from_public(&user.principal, &iid, &form.withdraw_reason)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/console/interact/{iid}")).into_response()),
        Err(e) => refused(&state, &ctx, iid.as_str(), "withdraw_reason", e, String::new()).await,
    }
}

/// Why an item goes back (退回).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ReturnForm {
    return_reason: String,
}

/// `POST /console/interact/{id}/return`: `return_reason` (退回: not this department's business).
pub(super) async fn give_back(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(user): Staff,
    IdPath(iid): IdPath<ItemId>,
    CsrfForm(form): CsrfForm<ReturnForm>,
) -> PageResult {
    match state
        .interact
        .return_item(&user.principal, &iid, &form.return_reason)
        .await
    {
        Ok(_) => Ok(Redirect::to("/console/interact").into_response()),
        Err(e) => refused(&state, &ctx, iid.as_str(), "return_reason", e, String::new()).await,
    }
}

/// A reviewer's decision on a reply: `decision` = `approve` (with `publish` ticked, `1`, to
/// publish it on the board) or `send_back` (with a `note`).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ReviewForm {
    decision: String,
    publish: String,
    note: String,
}

/// `POST /console/interact/{id}/replies/{reply}/review`: `decision` = approve | send_back,
/// `publish` (1 to publish on the board), `note`.
pub(super) async fn review(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(user): Staff,
    Path((id, reply)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<ReviewForm>,
) -> PageResult {
    let Ok(rid) = ReplyId::parse("reply", &reply) else {
        return Err(PageError::NotFound);
    };
    let decision = match form.decision.as_str() {
        "approve" => ReviewDecision::Approve {
            publish: form.publish == "1",
        },
        "send_back" => ReviewDecision::SendBack { note: form.note },
        _ => return Err(PageError::BadRequest("decision: approve | send_back".into())),
    };
    match state.interact.review_reply(&user.principal, &rid, decision).await {
        Ok(_) => Ok(Redirect::to(&format!("/console/interact/{id}")).into_response()),
        Err(e) => refused(&state, &ctx, &id, "note", e, String::new()).await,
    }
}

/// Help asked of another department (协办).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct AssistForm {
    /// The department's code.
    assist_department: String,
    assist_note: String,
}

/// `POST /console/interact/{id}/assist`: `assist_department` (code), `assist_note` — asks
/// another department to help (协办).
pub(super) async fn assist(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(user): Staff,
    IdPath(iid): IdPath<ItemId>,
    CsrfForm(form): CsrfForm<AssistForm>,
) -> PageResult {
    let Some(to) = department(&state, &form.assist_department).await else {
        let e = tongban_interact::Error::invalid("assist_department", msg!("choose-assisting-department"));
        return refused(&state, &ctx, iid.as_str(), "assist_department", e, String::new()).await;
    };
    match state
        .interact
        .request_assist(&user.principal, &iid, to, &form.assist_note)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/console/interact/{iid}")).into_response()),
        Err(e) => refused(&state, &ctx, iid.as_str(), "assist_note", e, String::new()).await,
    }
}

/// The assisting department's answer.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct AssistAnswerForm {
    assist_answer: String,
}

/// `POST /console/interact/{id}/assists/{assist}/answer`: `assist_answer` from the assisting
/// department.
pub(super) async fn answer_assist(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(user): Staff,
    Path((id, assist)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<AssistAnswerForm>,
) -> PageResult {
    let Ok(aid) = AssistId::parse("assist", &assist) else {
        return Err(PageError::NotFound);
    };
    match state
        .interact
        .answer_assist(&user.principal, &aid, &form.assist_answer)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/console/interact/{id}")).into_response()),
        Err(e) => refused(&state, &ctx, &id, "assist_answer", e, String::new()).await,
    }
}

/// The duplicate an item is merged into.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct MergeForm {
    /// The duplicate's id.
    into: String,
}

/// `POST /console/interact/{id}/merge`: `into` — merges this item into a duplicate, so one
/// reply answers both.
pub(super) async fn merge(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(user): Staff,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<MergeForm>,
) -> PageResult {
    let (Ok(iid), Ok(into)) = (ItemId::parse("id", &id), ItemId::parse("into", &form.into)) else {
        return Err(PageError::NotFound);
    };
    match state.interact.merge(&user.principal, &iid, &into, "").await {
        Ok(_) => Ok(Redirect::to(&format!("/console/interact/{into}")).into_response()),
        Err(e) => refused(&state, &ctx, &id, "into", e, String::new()).await,
    }
}
