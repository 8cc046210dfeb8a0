//! Consultations on the portal (意见征集): the list, a draft with its sections and the published
//! comments on each, a comment box per section while it is open, a report button on every
//! comment; the department's participation managers also see waiting comments with publish and
//! reject buttons, the groups of comments saying the same thing, and the feedback form; once
//! published, the feedback report (采纳情况) is shown under the draft.

use crate::AppState;
use crate::context::Query;
use crate::context::User;
use crate::context::{CsrfForm, Ctx};
use crate::errors::interact_page;
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use std::collections::HashMap;
use tongban_interact::{
    Adoption, CommentGroup, CommentId, CommentStatus, Consultation, ConsultationId, FeedbackEntry, Moderation,
};
use tongban_kernel::Permission;

fn consultation_id(id: &str) -> Result<ConsultationId, PageError> {
    ConsultationId::parse("id", id).map_err(|_| PageError::NotFound)
}

#[derive(Template)]
#[template(path = "portal/consultations.html")]
struct ListPage {
    c: Chrome,
    /// (id, title, department, dates, open, feedback published).
    rows: Vec<(String, String, String, String, bool, bool)>,
}

/// `GET /consultations`.
pub(super) async fn list(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let list = state.interact.consultations(100).await?;
    let today = state.interact.today();
    Ok(render(&ListPage {
        c: ctx.chrome(ctx.t().s("consult.title")),
        rows: list
            .into_iter()
            .map(|c| {
                (
                    c.id.to_string(),
                    c.title.clone(),
                    c.department.name_zh.clone(),
                    format!("{} — {}", c.opens_on, c.closes_on),
                    c.open_on(today),
                    c.feedback_published.is_some(),
                )
            })
            .collect(),
    }))
}

struct Shown {
    id: String,
    author: String,
    text: String,
    when: String,
    status: String,
    pending: bool,
}

struct SectionView {
    n: u32,
    heading: String,
    text: String,
    comments: Vec<Shown>,
}

#[derive(Template)]
#[template(path = "portal/consultation.html")]
struct DraftPage {
    c: Chrome,
    k: Consultation,
    open: bool,
    signed_in: bool,
    staff: bool,
    sections: Vec<SectionView>,
    groups: Vec<CommentGroup>,
    /// (group text, count, adoption, reason).
    feedback: Vec<(String, u64, String, String)>,
    adoptions: Vec<(&'static str, String)>,
}

async fn draft_page(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    c: Option<Chrome>,
    notice: Option<&str>,
) -> PageResult {
    let cid = consultation_id(id)?;
    let k = state.interact.consultation(&cid).await?;
    let t = ctx.t();
    let who = ctx.require_user().ok().map(|u| u.principal.clone());
    let staff = who
        .as_ref()
        .is_some_and(|p| p.allows(Permission::ManageParticipation, Some(&k.department.path)));
    let comments = state.interact.consultation_comments(who.as_ref(), &cid).await?;
    let zone = &state.settings.zone;
    let sections = k
        .sections
        .iter()
        .enumerate()
        .map(|(n, s)| SectionView {
            n: n as u32,
            heading: s.heading.clone(),
            text: s.text.clone(),
            comments: comments
                .iter()
                .filter(|c| c.section as usize == n && c.status != CommentStatus::Rejected)
                .map(|c| Shown {
                    id: c.id.to_string(),
                    author: c.author.clone(),
                    text: c.text.clone(),
                    when: c.created.display_in(zone),
                    status: t.pick(c.status.name_zh(), c.status.name_en()).to_string(),
                    pending: c.status == CommentStatus::Pending,
                })
                .collect(),
        })
        .collect();
    let groups = if staff {
        state.interact.comment_groups(&cid).await?
    } else {
        Vec::new()
    };
    let feedback = state
        .interact
        .feedback(&cid)
        .await?
        .into_iter()
        .map(|f| {
            let text = f
                .text
                .unwrap_or_else(|| t.s("consult.text_under_review").to_string());
            (
                text,
                f.count,
                t.pick(f.adoption.name_zh(), f.adoption.name_en()).to_string(),
                f.reason,
            )
        })
        .collect();
    Ok(render(&DraftPage {
        c: {
            let mut c = c.unwrap_or_else(|| ctx.chrome(&k.title));
            if let Some(n) = notice {
                c.notice = Some(t.s(n).to_string());
            }
            c
        },
        open: k.open_on(state.interact.today()),
        signed_in: who.is_some(),
        staff,
        sections,
        groups,
        feedback,
        adoptions: Adoption::ALL
            .iter()
            .map(|a| (a.code(), t.pick(a.name_zh(), a.name_en()).to_string()))
            .collect(),
        k,
    }))
}

/// What was just done, carried to the page it redirects to.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct DoneQuery {
    reported: Option<String>,
    moderated: Option<String>,
}

/// `GET /consultations/{id}`.
/// `GET /consultations/{id}`; after a report (`?reported=1`) or a moderation (`?moderated=1`) it
/// says that it was received.
pub(super) async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let notice = if q.reported.is_some() {
        Some("consult.reported_notice")
    } else if q.moderated.is_some() {
        Some("consult.moderated_notice")
    } else {
        None
    };
    draft_page(&state, &ctx, &id, None, notice).await
}

/// A comment on one section of a draft (`section`, its number).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct CommentForm {
    section: String,
    text: String,
}

/// `POST /consultations/{id}/comment`: `section`, `text`.
pub(super) async fn comment(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<CommentForm>,
) -> PageResult {
    let cid = consultation_id(&id)?;
    let section: u32 = form.section.parse().unwrap_or(u32::MAX);
    match state
        .interact
        .comment(&user.principal, &cid, section, &form.text)
        .await
    {
        Ok(c) => Ok(Redirect::to(&format!("/consultations/{id}#comment-{}", c.id)).into_response()),
        Err(e) => form_error(&state, &ctx, &id, e, &format!("text-{section}")).await,
    }
}

async fn form_error(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    e: tongban_interact::Error,
    key: &str,
) -> PageResult {
    let msg = match &e {
        tongban_interact::Error::Invalid(i) => i.reason.clone(),
        tongban_interact::Error::Conflict { reason, .. } => reason.clone(),
        _ => return Err(interact_page(e)),
    };
    let mut c = ctx.chrome(ctx.t().s("consult.title"));
    c.add_error(key, &msg);
    crate::page::refused(draft_page(state, ctx, id, Some(c), None).await)
}

/// `POST /consultations/{id}/comments/{comment}/report`.
pub(super) async fn report(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    Path((id, comment)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<super::NoFields>,
) -> PageResult {
    let Ok(cid) = CommentId::parse("comment", &comment) else {
        return Err(PageError::NotFound);
    };
    // A report weighs by the account's age, which only identity knows.
    let created = match state
        .identity
        .get_user(&user.principal, &user.session.account_id)
        .await
    {
        Ok(me) => me.created,
        Err(e) => return Err(crate::errors::identity_page(e)),
    };
    match state
        .interact
        .report_comment(&user.principal, &cid, created)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/consultations/{id}?reported=1")).into_response()),
        Err(e) => form_error(&state, &ctx, &id, e, "consultation").await,
    }
}

/// A moderator's button: `decision` = `publish` or `reject`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ModerateForm {
    decision: String,
}

/// `POST /consultations/{id}/comments/{comment}/moderate`: `decision` = publish | reject.
pub(super) async fn moderate(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    Path((id, comment)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<ModerateForm>,
) -> PageResult {
    let Ok(cid) = CommentId::parse("comment", &comment) else {
        return Err(PageError::NotFound);
    };
    let decision = match form.decision.as_str() {
        "publish" => Moderation::Publish,
        "reject" => Moderation::Reject,
        _ => return Err(PageError::BadRequest("decision: publish | reject".into())),
    };
    match state
        .interact
        .moderate_comment(&user.principal, &cid, decision)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/consultations/{id}?moderated=1")).into_response()),
        Err(e) => form_error(&state, &ctx, &id, e, "consultation").await,
    }
}

/// The feedback form: `a.<group>` (adoption) and `r.<group>` (reason) for each group of
/// comments, named by the groups the comments fell into.
#[derive(Deserialize)]
#[serde(transparent)]
pub(super) struct FeedbackForm(HashMap<String, String>);

impl FeedbackForm {
    /// One entry per group given an adoption, by group.
    fn entries(&self) -> Vec<FeedbackEntry> {
        let mut entries: Vec<FeedbackEntry> = self
            .0
            .iter()
            .filter_map(|(k, v)| {
                let group = k.strip_prefix("a.")?;
                Some(FeedbackEntry {
                    group: CommentId(group.to_string()),
                    adoption: Adoption::parse(v)?,
                    reason: self.0.get(&format!("r.{group}")).cloned().unwrap_or_default(),
                })
            })
            .collect();
        entries.sort_by(|a, b| a.group.as_str().cmp(b.group.as_str()));
        entries
    }
}

/// `POST /consultations/{id}/feedback`: `a.<group>` (adoption) and `r.<group>` (reason) for
/// each group of comments.
pub(super) async fn feedback(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<FeedbackForm>,
) -> PageResult {
    let cid = consultation_id(&id)?;
    let entries = form.entries();
    match state
        .interact
        .publish_feedback(&user.principal, &cid, &entries)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/consultations/{id}#feedback")).into_response()),
        Err(e) => form_error(&state, &ctx, &id, e, "feedback").await,
    }
}
