//! Surveys on the portal (问卷调查): the list, one survey's questions on one page (radio
//! buttons, checkboxes, a 1–5 scale, a text box — no script), one answer per account, and the
//! results as bar charts drawn on the server. Department staff also export every answer as CSV
//! or XLSX from the results page.

use crate::AppState;
use crate::context::User;
use crate::context::{CsrfForm, Ctx, repeated};
use crate::errors::interact_page;
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::BTreeMap;
use tongban_interact::{Answer, QuestionKind, Survey, SurveyId};

fn survey_id(id: &str) -> Result<SurveyId, PageError> {
    SurveyId::parse("id", id).map_err(|_| PageError::NotFound)
}

struct Row {
    id: String,
    title: String,
    department: String,
    dates: String,
    open: bool,
    responses: u64,
}

#[derive(Template)]
#[template(path = "portal/surveys.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
}

/// `GET /surveys`.
pub(super) async fn list(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let list = state.interact.surveys(100).await?;
    let today = state.interact.today();
    Ok(render(&ListPage {
        c: ctx.chrome(ctx.t().s("survey.title")),
        rows: list
            .into_iter()
            .map(|s| Row {
                open: s.open_on(today),
                id: s.id.to_string(),
                dates: format!("{} — {}", s.opens_on, s.closes_on),
                department: s.department.name_zh,
                title: s.title,
                responses: s.responses,
            })
            .collect(),
    }))
}

/// One question as the form shows it.
struct Asked {
    n: usize,
    text: String,
    required: bool,
    /// `single`, `multiple`, `rating` or `text`.
    kind: &'static str,
    /// (value, label, chosen).
    options: Vec<(usize, String, bool)>,
    /// The text given, for a text question shown again.
    value: String,
}

#[derive(Template)]
#[template(path = "portal/survey.html")]
struct SurveyPage {
    c: Chrome,
    s: Survey,
    open: bool,
    answered: bool,
    signed_in: bool,
    questions: Vec<Asked>,
}

/// The questions as the form shows them, with what was `chosen` before (after an error).
fn asked(s: &Survey, chosen: &BTreeMap<usize, Vec<String>>) -> Vec<Asked> {
    s.questions
        .iter()
        .enumerate()
        .map(|(n, q)| {
            let given = chosen.get(&n).cloned().unwrap_or_default();
            let mark = |pairs: Vec<(usize, String)>| -> Vec<(usize, String, bool)> {
                pairs
                    .into_iter()
                    .map(|(v, l)| {
                        let on = given.contains(&v.to_string());
                        (v, l, on)
                    })
                    .collect()
            };
            let (kind, options) = match &q.kind {
                QuestionKind::Single { options } => {
                    ("single", mark(options.iter().cloned().enumerate().collect()))
                }
                QuestionKind::Multiple { options } => {
                    ("multiple", mark(options.iter().cloned().enumerate().collect()))
                }
                QuestionKind::Rating => ("rating", mark((1..=5).map(|l| (l, l.to_string())).collect())),
                QuestionKind::Text => ("text", Vec::new()),
            };
            Asked {
                n,
                text: q.text.clone(),
                required: q.required,
                kind,
                options,
                value: if kind == "text" {
                    given.join("\n")
                } else {
                    String::new()
                },
            }
        })
        .collect()
}

async fn survey_page(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    c: Option<Chrome>,
    chosen: BTreeMap<usize, Vec<String>>,
) -> PageResult {
    let id = survey_id(id)?;
    let s = state.interact.survey(&id).await?;
    let user = ctx.require_user().ok().cloned();
    let answered = match &user {
        Some(u) => state.interact.has_answered(&u.principal, &id).await?,
        None => false,
    };
    let c = c.unwrap_or_else(|| ctx.chrome(&s.title));
    Ok(render(&SurveyPage {
        c,
        open: s.open_on(state.interact.today()),
        answered,
        signed_in: user.is_some(),
        questions: asked(&s, &chosen),
        s,
    }))
}

/// `GET /surveys/{id}`.
pub(super) async fn show(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    survey_page(&state, &ctx, &id, None, BTreeMap::new()).await
}

/// A survey's answers, named by question number (`q0`, `q1`, …) as many as the survey asks,
/// a checkbox question's name repeated once per box ticked.
#[derive(serde::Deserialize)]
#[serde(transparent)]
pub(super) struct SurveyAnswers(Vec<(String, String)>);

impl SurveyAnswers {
    /// What was given for question `n` (blank answers left out).
    fn to(&self, n: usize) -> Vec<String> {
        repeated(&self.0, &format!("q{n}"))
            .into_iter()
            .filter(|v| !v.trim().is_empty())
            .collect()
    }
}

/// `POST /surveys/{id}`: the answers (`q0`, `q1` repeated for checkboxes, …).
pub(super) async fn answer(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<SurveyAnswers>,
) -> PageResult {
    let sid = survey_id(&id)?;
    let s = state.interact.survey(&sid).await?;
    let mut answers = BTreeMap::new();
    let mut chosen = BTreeMap::new();
    for (n, q) in s.questions.iter().enumerate() {
        let given = form.to(n);
        if given.is_empty() {
            continue;
        }
        chosen.insert(n, given.clone());
        let a = match q.kind {
            QuestionKind::Text => Answer::Text(given.join("\n")),
            _ => Answer::Choices(given.iter().filter_map(|v| v.parse().ok()).collect()),
        };
        answers.insert(n, a);
    }
    match state
        .interact
        .answer_survey(&user.principal, &sid, &answers)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/surveys/{id}/results?thanks=1")).into_response()),
        Err(e) => {
            let field = e.field().unwrap_or("survey").to_string();
            let msg = match &e {
                tongban_interact::Error::Invalid(i) => i.reason.clone(),
                tongban_interact::Error::Conflict { reason, .. } => reason.clone(),
                _ => return Err(interact_page(e)),
            };
            let mut c = ctx.chrome(&s.title);
            // `answers[2]` is shown against question 2's fieldset (`q2`).
            let key = field
                .strip_prefix("answers[")
                .and_then(|r| r.strip_suffix(']'))
                .map_or_else(|| "survey".to_string(), |n| format!("q{n}"));
            c.add_error(&key, &msg);
            crate::page::refused(survey_page(&state, &ctx, &id, Some(c), chosen).await)
        }
    }
}

struct Shown {
    text: String,
    /// What the figures mean when it is not obvious (several choices; answers in words).
    note: &'static str,
    answered: u64,
    average: String,
    chart: String,
    texts: Vec<String>,
}

#[derive(Template)]
#[template(path = "portal/survey_results.html")]
struct ResultsPage {
    c: Chrome,
    s: Survey,
    thanks: bool,
    staff: bool,
    questions: Vec<Shown>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct ResultsQuery {
    thanks: Option<String>,
}

/// `GET /surveys/{id}/results`: counts as bar charts; free text for the department's staff.
pub(super) async fn results(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<ResultsQuery>,
) -> PageResult {
    let sid = survey_id(&id)?;
    let who = ctx.require_user().ok().map(|u| u.principal.clone());
    let r = state.interact.survey_results(who.as_ref(), &sid).await?;
    let staff = who.as_ref().is_some_and(|p| {
        p.allows(
            tongban_kernel::Permission::HandleInteractions,
            Some(&r.survey.department.path),
        )
    });
    let t = ctx.t();
    let questions = r
        .questions
        .iter()
        .enumerate()
        .map(|(n, q)| Shown {
            note: match q.question.kind {
                tongban_interact::QuestionKind::Multiple { .. } => t.s("survey.multiple_note"),
                tongban_interact::QuestionKind::Rating => t.s("survey.rating_note"),
                tongban_interact::QuestionKind::Text if q.texts.is_empty() => t.s("survey.text_note"),
                _ => "",
            },
            text: q.question.text.clone(),
            answered: q.answered,
            average: q.average.map(|a| format!("{a:.2}")).unwrap_or_default(),
            chart: if q.counts.is_empty() {
                String::new()
            } else {
                crate::chart::bars(&format!("q{n}"), &q.question.text, &q.counts, q.answered)
            },
            texts: q.texts.clone(),
        })
        .collect();
    Ok(render(&ResultsPage {
        c: ctx.chrome(&r.survey.title),
        thanks: q.thanks.is_some(),
        staff,
        questions,
        s: r.survey,
    }))
}

/// `GET /surveys/{id}/export.csv` and `.xlsx`: every answer, for the department's staff.
pub(super) async fn export(
    State(state): State<AppState>,
    User(user): User,
    Path((id, ext)): Path<(String, String)>,
) -> PageResult {
    let sid = survey_id(&id)?;
    let (header, rows) = state.interact.survey_rows(&user.principal, &sid).await?;
    match ext.as_str() {
        "export.csv" => match tongban_pool::export::csv_bytes(&header, &rows, true) {
            Ok(bytes) => Ok(download(bytes, "text/csv; charset=utf-8", "survey.csv")),
            Err(e) => Err(PageError::Internal(e.to_string())),
        },
        "export.xlsx" => match tongban_pool::export::xlsx_bytes("survey", &header, &rows) {
            Ok(bytes) => Ok(download(
                bytes,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "survey.xlsx",
            )),
            Err(e) => Err(PageError::Internal(e.to_string())),
        },
        _ => Err(PageError::NotFound),
    }
}

fn download(bytes: Vec<u8>, media_type: &'static str, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, media_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}
