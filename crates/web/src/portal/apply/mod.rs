//! The application, one question per page (the answers kept as a sealed draft in the hall
//! between the pages, so every page has its own address: each answer is posted, saved and
//! redirected to the next page's address, and Back, reload or a closed browser lose nothing),
//! then one upload per page, a check-your-answers page, and submission with a per-application
//! key (submitting twice gives the same case). A bundle (一件事一次办) takes the same journey as
//! one item whose fields and materials are the union of its items'.
//!
//! The files go one way: `target` and `draft` know nothing of pages; `questions`, `uploads` and
//! `check` render one kind of page each; this module routes a step to its page and takes the
//! posts.

mod check;
mod draft;
mod questions;
mod target;
mod uploads;

pub(in crate::portal) use target::{ForBundle, ForService};
pub(in crate::portal) use uploads::material;

use crate::AppState;
use crate::context::Query;
use crate::context::{CsrfForm, Ctx};
use crate::errors::{hall_field, hall_page};
use crate::page::{Chrome, PageResult};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use draft::{Draft, new_key, posted_draft};
use questions::questions;
use serde::Deserialize;
use std::collections::BTreeMap;
use target::{Journey, Target};
use tongban_hall::{NewCase, ServiceItem};
use uploads::{check_step, step_of, to_provide};

/// `?new` starts a new application even when one is left unsubmitted.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(in crate::portal) struct StartQuery {
    new: Option<String>,
}

/// `GET /services/{code}/apply` or `/bundles/{code}/apply`:
/// a new application (or the one left unsubmitted, taken up again), sent to its first page.
pub(in crate::portal) async fn start<J: Journey>(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<StartQuery>,
) -> PageResult {
    let target = J::TARGET;
    let (user, i) = target.applicant_and_item(&state, &ctx, &code).await?;
    let base = target.base(&i.code);
    if q.new.is_none() {
        match state.hall.latest_draft(&user.principal, &base).await {
            Ok(Some(saved)) => {
                return Ok(Redirect::to(&format!("{base}/apply/{}/0?resumed=1", saved.key)).into_response());
            }
            Ok(None) => {}
            Err(e) => return Err(hall_page(e)),
        }
    }
    let known = target.known(&state, &user.principal, &i).await?;
    let draft = Draft {
        key: new_key(),
        step: 0,
        answers: known.iter().map(|(k, v)| (k.clone(), v.value.clone())).collect(),
        prefilled: known.iter().map(|(k, v)| (k.clone(), v.value.clone())).collect(),
        sources: known.into_iter().map(|(k, v)| (k, v.source)).collect(),
        materials: BTreeMap::new(),
        base,
        review: false,
        refused: None,
    };
    draft.save_and_go(&state, &user.principal, 0).await
}

/// `?resumed` says the application was taken up again where it was left.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(in crate::portal) struct PageQuery {
    resumed: Option<String>,
}

/// `GET /services/{code}/apply/{key}/{step}` or `/bundles/{code}/apply/{key}/{step}`:
/// one page of an application in progress — a question, an upload, or the check page after
/// them.
pub(in crate::portal) async fn page<J: Journey>(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, key, step)): Path<(String, String, usize)>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let target = J::TARGET;
    let (user, i) = target.applicant_and_item(&state, &ctx, &code).await?;
    let base = target.base(&i.code);
    let d = match state.hall.draft(&user.principal, &key, &base).await {
        Ok(saved) => Draft::opened(saved, base),
        // Submitted, expired or not this applicant's: start again.
        Err(tongban_hall::Error::NotFound { .. }) => {
            return Ok(Redirect::to(&format!("{base}/apply")).into_response());
        }
        Err(e) => return Err(hall_page(e)),
    };
    let mut c = ctx.chrome(ctx.t().pick(&i.name, &i.name_en));
    if q.resumed.is_some() {
        // The question page offers to start over beside this notice.
        c.notice = Some(ctx.t().s("services.resumed").to_string());
    }
    let refused = match &d.refused {
        Some((at, field, msg)) if *at == step => {
            c.add_error(field, msg);
            true
        }
        _ => false,
    };
    let page = page_at(&state, &ctx, &i, &d, step, c).await;
    if refused { crate::page::refused(page) } else { page }
}

/// The page for draft step `step`: a question, an upload, or the check page after both.
async fn page_at(
    state: &AppState,
    ctx: &Ctx,
    i: &ServiceItem,
    d: &Draft,
    step: usize,
    c: Chrome,
) -> PageResult {
    let asked = questions(i).len();
    if step < asked {
        return questions::ask(ctx, i, d, step, c);
    }
    let uploads = to_provide(i);
    match uploads.get(step - asked) {
        Some(slot) => uploads::page(state, ctx, i, d, step, slot, c).await,
        None if step == asked + uploads.len() => Ok(check::check_page(ctx, i, d)),
        // Past the check page (an old link, a typed address): the check page's own address.
        None => Ok(Redirect::to(&d.page(asked + uploads.len())).into_response()),
    }
}

/// One question's page as posted: the draft's `key` and the page's `step`, the answer `v`, and
/// the button — `go` = `next` or `back`, or on the check page `change` = the question to change.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(in crate::portal) struct StepForm {
    key: String,
    step: String,
    v: String,
    go: String,
    change: Option<String>,
}

/// `POST /services/{code}/apply` or `/bundles/{code}/apply`:
/// saves the answer to one question and moves on (or back, or to the question a "change"
/// link names).
pub(in crate::portal) async fn step<J: Journey>(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(form): CsrfForm<StepForm>,
) -> PageResult {
    let target = J::TARGET;
    let (user, i) = target.applicant_and_item(&state, &ctx, &code).await?;
    let at = (form.key.as_str(), form.step.as_str());
    let mut d = posted_draft(&state, &user.principal, at, target.base(&i.code)).await?;
    let step = d.step;
    let qs = questions(&i);
    if let Some(to) = form.change.and_then(|s| s.parse::<usize>().ok()) {
        d.review = true;
        return d.save_and_go(&state, &user.principal, to).await;
    }
    let Some(f) = qs.get(step) else {
        return d.save_and_go(&state, &user.principal, step).await;
    };
    let value = form.v.trim().to_string();
    d.answers.insert(f.code.clone(), value.clone());
    if form.go == "back" {
        return d
            .save_and_go(&state, &user.principal, step.saturating_sub(1))
            .await;
    }
    // Each answer is checked on its own page, as the submission will check it; what was typed
    // is kept either way, and the page shows why it was refused.
    if let Err(e) = f.check_answer(&value) {
        let msg = hall_field(&e).map_or_else(|| e.message(), |(_, m)| m);
        return d.refuse_at(&state, &user.principal, step, "v", msg).await;
    }
    // A change made from the check page goes back to it, not on through every later page.
    let next = if d.review { check_step(&i) } else { step + 1 };
    d.save_and_go(&state, &user.principal, next).await
}

/// The check page's submission: the draft's `key` (and `step`, the page it was on).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(in crate::portal) struct SubmitForm {
    key: String,
    step: String,
}

/// `POST /services/{code}/submit` or `/bundles/{code}/submit`:
/// submits the checked answers. A value the hall refuses sends the applicant back to that
/// question with the reason.
pub(in crate::portal) async fn submit<J: Journey>(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(form): CsrfForm<SubmitForm>,
) -> PageResult {
    let target = J::TARGET;
    let (user, i) = target.applicant_and_item(&state, &ctx, &code).await?;
    let at = (form.key.as_str(), form.step.as_str());
    let d = posted_draft(&state, &user.principal, at, target.base(&i.code)).await?;
    // What was prefilled is looked up again here, never taken from the draft.
    let known = target.known(&state, &user.principal, &i).await?;
    let answers: BTreeMap<String, String> = d
        .answers
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.clone(), v.clone()))
        .chain(uploads::file_answers(&d))
        .collect();
    let prefilled = tongban_hall::prefill_marks(&known, &d.answers);
    let materials = uploads::inputs(&d);
    let done = match target {
        Target::Service => state
            .hall
            .submit_case(
                &user.principal,
                NewCase {
                    item: i.id.clone(),
                    form: answers,
                    submission_key: d.key.clone(),
                    prefilled,
                    materials,
                },
            )
            .await
            .map(|v| format!("/my/cases/{}?submitted=1", v.case.id)),
        Target::Bundle => state
            .hall
            .submit_bundle(
                &user.principal,
                tongban_hall::NewBundleCase {
                    bundle: i.code.clone(),
                    form: answers,
                    submission_key: d.key.clone(),
                    prefilled,
                    materials,
                },
            )
            .await
            .map(|v| format!("/my/bundles/{}?submitted=1", v.id)),
    };
    match done {
        Ok(to) => Ok(Redirect::to(&to).into_response()),
        // A refusal goes back to the page of the question or upload it names, shown there.
        Err(e) => match hall_field(&e) {
            Some((field, msg)) => {
                let code = field.strip_prefix("form.").unwrap_or(&field);
                let question = questions(&i).iter().position(|f| f.code == code);
                let (step, input) = match (question, step_of(&i, &field)) {
                    (Some(step), _) => (step, "v"),
                    (None, Some(step)) => (step, "file"),
                    // Not one page's doing (the key, the item): the check page with the reason.
                    (None, None) => (check_step(&i), "submit"),
                };
                d.refuse_at(&state, &user.principal, step, input, msg).await
            }
            None => Err(hall_page(e)),
        },
    }
}
