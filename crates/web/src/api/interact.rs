//! The interaction JSON API under `/api/v1/interact`: citizens submit items, list their own and
//! rate replies; staff work their inbox, reply (getting the quality checks' flags back) and
//! review replies to public items; anyone reads the public board and the per-department
//! statistics. Every rule lives in `tongban-interact`; this maps HTTP to it.

use super::{ApiResult, Caller};
use crate::AppState;
use crate::json::ApiJson;
use crate::problem::Problem;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use tongban_interact::{
    AttachmentId, BoardEntry, BoardFilter, Channel, ClockFilter, ContactInput, Error as IxError, ItemFilter,
    ItemId, ItemKind, ItemStatus, ItemView, Listing, LocationInput, NewItem, RatingInput, Reply, ReplyId,
    ReplyInput, ReviewDecision, Upload,
};
use tongban_kernel::{DeptPath, Page, msg};

/// An interaction error as a problem.
pub(crate) fn interact_problem(e: IxError) -> Problem {
    match e {
        IxError::NotFound { .. } => Problem::not_found(),
        IxError::Forbidden { why } => Problem::forbidden(&why),
        IxError::Invalid(inv) => Problem::invalid(&inv.field, &inv.reason),
        IxError::Conflict { field, reason } => {
            let mut p = Problem::new(StatusCode::CONFLICT, "conflict", format!("{field}: {reason}"));
            p.field = Some(field);
            p
        }
        IxError::RateLimited { why } => {
            let mut p = Problem::new(StatusCode::TOO_MANY_REQUESTS, "rate-limited", why.to_string());
            p.retry_after = Some(3600);
            p
        }
        e @ IxError::Calendar(_) => Problem::new(StatusCode::CONFLICT, "calendar", e.to_string()),
        e @ IxError::Storage(_) => {
            tracing::error!(error = %e, "interaction call failed");
            Problem::internal()
        }
    }
}

impl From<IxError> for Problem {
    fn from(e: IxError) -> Self {
        interact_problem(e)
    }
}

fn item_id(id: &str) -> Result<ItemId, Problem> {
    ItemId::parse("id", id).map_err(|_| Problem::not_found())
}

fn page(limit: Option<u32>, offset: Option<u64>) -> Result<Page, Problem> {
    super::page_of(limit, offset, 20, 500)
}

/// A code query parameter parsed with `parse`; empty counts as absent, as the document says.
/// A blank is not empty: the document's enum lists `""` and the codes, nothing else.
fn code<T>(
    field: &str,
    value: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, Problem> {
    match value.filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => parse(v)
            .map(Some)
            .ok_or_else(|| Problem::invalid(field, msg!("unknown-value"))),
    }
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty())
}

/// What a citizen sends to submit an item (the channel is the API).
#[derive(Deserialize)]
pub(crate) struct SubmitBody {
    kind: ItemKind,
    category: String,
    title: String,
    text: String,
    #[serde(default)]
    location: Option<LocationInput>,
    #[serde(default)]
    public: bool,
    #[serde(default)]
    contact: ContactInput,
    /// Up to three photos or PDFs, base64-encoded.
    #[serde(default)]
    attachments: Vec<AttachmentBody>,
}

/// One attachment in a JSON submission.
#[derive(Deserialize)]
pub(crate) struct AttachmentBody {
    #[serde(default)]
    file_name: String,
    /// The declared media type (must agree with the content when given).
    #[serde(default)]
    media_type: String,
    /// The content, standard base64.
    content_base64: String,
}

/// The decoded attachments; a bad encoding names `attachments[i].content_base64`.
fn uploads(list: Vec<AttachmentBody>) -> Result<Vec<Upload>, Problem> {
    use base64::Engine as _;
    list.into_iter()
        .enumerate()
        .map(|(i, a)| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(a.content_base64.trim())
                .map_err(|_| {
                    Problem::invalid(
                        &format!("attachments[{i}].content_base64"),
                        msg!("not-valid-base64"),
                    )
                })?;
            Ok(Upload {
                file_name: a.file_name,
                declared_type: a.media_type,
                bytes,
            })
        })
        .collect()
}

/// The scope a department system's token needs to file items on behalf of its channel (a
/// WeChat or hotline system): every grant says what it may be used for.
pub const SUBMIT_SCOPE: &str = "interact.submit";

/// `POST /api/v1/interact/items`.
pub(crate) async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<SubmitBody>,
) -> Result<(StatusCode, Json<ItemView>), Problem> {
    if caller.principal.kind == tongban_kernel::PrincipalKind::ApiClient
        && !caller.scopes.iter().any(|s| s == SUBMIT_SCOPE)
    {
        return Err(Problem::forbidden(msg!(
            "token-lacks-scope",
            scope = SUBMIT_SCOPE
        )));
    }
    let new = NewItem {
        kind: b.kind,
        category: b.category,
        title: b.title,
        text: b.text,
        location: b.location,
        public: b.public,
        contact: b.contact,
        channel: Channel::Api,
        source_key: None,
    };
    let files = uploads(b.attachments)?;
    Ok((
        StatusCode::CREATED,
        Json(
            state
                .interact
                .submit_with_attachments(&caller.principal, new, files)
                .await?,
        ),
    ))
}

/// `GET /api/v1/interact/attachments/{id}`: an attachment's content, for the submitter and the
/// staff who may see its item.
pub(crate) async fn attachment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::response::Response, Problem> {
    tongban_kernel::id::check_uuid("id", &id).map_err(|_| Problem::not_found())?;
    let (a, body) = state
        .interact
        .attachment(&caller.principal, &AttachmentId(id))
        .await?;
    Ok(crate::page::download(&a.media_type, &a.file_name, body.to_vec()))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct PageQuery {
    limit: Option<u32>,
    offset: Option<u64>,
}

/// `GET /api/v1/interact/items/mine`.
pub(crate) async fn mine(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> ApiResult<Listing<ItemView>> {
    Ok(Json(
        state
            .interact
            .my_items(&caller.principal, page(q.limit, q.offset)?)
            .await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct InboxQuery {
    status: Option<String>,
    kind: Option<String>,
    category: Option<String>,
    department: Option<String>,
    clock: Option<String>,
    q: Option<String>,
    limit: Option<u32>,
    offset: Option<u64>,
}

/// `GET /api/v1/interact/inbox`: the items the caller's departments handle or assist with.
pub(crate) async fn inbox(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<InboxQuery>,
) -> ApiResult<Listing<ItemView>> {
    let filter = ItemFilter {
        status: code("status", q.status.as_deref(), ItemStatus::parse)?,
        kind: code("kind", q.kind.as_deref(), ItemKind::parse)?,
        category: non_empty(q.category),
        department: non_empty(q.department).map(DeptPath),
        clock: code("clock", q.clock.as_deref(), |c| match c {
            "due_soon" => Some(ClockFilter::DueSoon),
            "overdue" => Some(ClockFilter::Overdue),
            _ => None,
        })?,
        text: non_empty(q.q),
    };
    Ok(Json(
        state
            .interact
            .list_items(&caller.principal, &filter, page(q.limit, q.offset)?)
            .await?,
    ))
}

/// `GET /api/v1/interact/items/{id}`: the item with its timeline and replies.
pub(crate) async fn get_item(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Value> {
    let id = item_id(&id)?;
    let actor = &caller.principal;
    let view = state.interact.get_item(actor, &id).await?;
    let history = state.interact.history(actor, &id).await?;
    let replies = state.interact.replies(actor, &id).await?;
    let attachments = state.interact.attachments(actor, &id).await?;
    Ok(Json(
        json!({ "item": view, "history": history, "replies": replies, "attachments": attachments }),
    ))
}

/// `POST /api/v1/interact/items/{id}/replies`: the reply with the quality checks' flags.
pub(crate) async fn reply(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReplyInput>,
) -> Result<(StatusCode, Json<Reply>), Problem> {
    let id = item_id(&id)?;
    Ok((
        StatusCode::CREATED,
        Json(state.interact.reply(&caller.principal, &id, b).await?),
    ))
}

/// `POST /api/v1/interact/replies/{id}/review`.
pub(crate) async fn review(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReviewDecision>,
) -> ApiResult<Reply> {
    let id = ReplyId::parse("id", &id).map_err(|_| Problem::not_found())?;
    Ok(Json(
        state.interact.review_reply(&caller.principal, &id, b).await?,
    ))
}

/// `POST /api/v1/interact/items/{id}/rating`.
pub(crate) async fn rate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RatingInput>,
) -> ApiResult<ItemView> {
    let id = item_id(&id)?;
    Ok(Json(state.interact.rate(&caller.principal, &id, b).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct BoardQuery {
    kind: Option<String>,
    category: Option<String>,
    department: Option<String>,
    district: Option<String>,
    q: Option<String>,
    limit: Option<u32>,
    offset: Option<u64>,
}

/// `GET /api/v1/interact/board`: published items and replies, personal data removed.
pub(crate) async fn board(
    State(state): State<AppState>,
    Query(q): Query<BoardQuery>,
) -> ApiResult<Listing<BoardEntry>> {
    let filter = BoardFilter {
        kind: code("kind", q.kind.as_deref(), ItemKind::parse)?,
        category: non_empty(q.category),
        department: non_empty(q.department).map(DeptPath),
        district: non_empty(q.district),
        text: non_empty(q.q),
        from: None,
        to: None,
    };
    Ok(Json(
        state.interact.board(&filter, page(q.limit, q.offset)?).await?,
    ))
}

/// `GET /api/v1/interact/stats`: per-department counters with their rates.
pub(crate) async fn stats(State(state): State<AppState>) -> ApiResult<Value> {
    let rows = state.interact.department_stats(None).await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|s| {
            let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
            if let Some(o) = v.as_object_mut() {
                o.insert("on_time_rate".into(), json!(s.on_time_rate()));
                o.insert("average_reply_days".into(), json!(s.average_reply_days()));
                o.insert("satisfaction_rate".into(), json!(s.satisfaction_rate()));
            }
            v
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}
