//! Public participation in the console (意见征集与问卷): a department administrator publishes a
//! consultation or a survey from plain forms — a draft's sections separated by blank lines
//! (first line the heading), a survey's questions one per line as `题目 | 类型 | 选项；选项`
//! (`*` in front for a required one). Mistakes are named by line. Published ones are listed with
//! links to their public pages, where comments are moderated and results exported.

use crate::AppState;
use crate::context::Staff;
use crate::context::{CsrfForm, Ctx};
use crate::errors::interact_page;
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tongban_interact::{ConsultationInput, DeptRef, Question, QuestionKind, Section, SurveyInput};
use tongban_kernel::{Msg, Permission, Principal, msg};

#[derive(Template)]
#[template(path = "console/participation.html")]
struct ParticipationPage {
    c: Chrome,
    /// (href, title, department, dates).
    consultations: Vec<(String, String, String, String)>,
    surveys: Vec<(String, String, String, String)>,
    today: String,
    until: String,
}

/// The department the actor publishes for: the first where they manage participation.
async fn publisher(state: &AppState, actor: &Principal) -> Result<DeptRef, PageError> {
    let Some(scope) = actor
        .scopes_for(Permission::ManageParticipation)
        .into_iter()
        .next()
    else {
        return Err(PageError::Forbidden(msg!("department-admin-publishes")));
    };
    let d = super::visible_departments(state, actor)
        .await?
        .into_iter()
        .find(|d| d.path == scope)
        .ok_or(PageError::Forbidden(msg!("no-such-department")))?;
    Ok(DeptRef {
        id: d.id.to_string(),
        path: d.path,
        name_zh: d.name_zh,
    })
}

async fn page(state: &AppState, ctx: &Ctx, c: Option<Chrome>) -> PageResult {
    let t = ctx.t();
    let today = state.interact.today();
    let consultations = state
        .interact
        .consultations(50)
        .await?
        .into_iter()
        .map(|k| {
            (
                format!("/consultations/{}", k.id),
                k.title,
                k.department.name_zh,
                format!("{} — {}", k.opens_on, k.closes_on),
            )
        })
        .collect();
    let surveys = state
        .interact
        .surveys(50)
        .await?
        .into_iter()
        .map(|s| {
            (
                format!("/surveys/{}/results", s.id),
                s.title,
                s.department.name_zh,
                format!("{} — {}", s.opens_on, s.closes_on),
            )
        })
        .collect();
    Ok(render(&ParticipationPage {
        c: c.unwrap_or_else(|| ctx.chrome(t.s("participation.title"))),
        consultations,
        surveys,
        today: today.to_string(),
        until: today.saturating_add(jiff::Span::new().days(30)).to_string(),
    }))
}

/// `GET /console/participation`.
pub(super) async fn show(State(state): State<AppState>, ctx: Ctx, Staff(user): Staff) -> PageResult {
    publisher(&state, &user.principal).await?;
    page(&state, &ctx, None).await
}

/// The page again with `msg` against `field`, keeping what `form` held.
async fn refuse(
    state: &AppState,
    ctx: &Ctx,
    form: &impl Serialize,
    field: &str,
    msg: impl Into<tongban_kernel::Msg>,
) -> PageResult {
    let mut c = ctx.chrome(ctx.t().s("participation.title"));
    c.keep(form);
    c.add_error(field, msg);
    crate::page::refused(page(state, ctx, Some(c)).await)
}

fn date(text: &str) -> Result<Date, Msg> {
    text.trim().parse().map_err(|_| msg!("a-date-is-y-m-d"))
}

/// The sections of a draft: blocks separated by blank lines, the first line of each the heading.
pub(crate) fn parse_sections(text: &str) -> Result<Vec<Section>, Msg> {
    let mut out = Vec::new();
    for (n, block) in text.replace("\r\n", "\n").split("\n\n").enumerate() {
        let block = block.trim();
        if block.is_empty() {
            continue;
        }
        let (heading, body) = block.split_once('\n').unwrap_or((block, ""));
        if body.trim().is_empty() {
            return Err(msg!("block-heading-without-text", block = n + 1));
        }
        out.push(Section {
            heading: heading.trim().to_string(),
            text: body.trim().to_string(),
        });
    }
    Ok(out)
}

/// The questions of a survey, one per line: `[*]题目 | 类型 | 选项；选项`, where the type is
/// 单选 / 多选 / 评分 / 文本 (or single / multiple / rating / text).
pub(crate) fn parse_questions(text: &str) -> Result<Vec<Question>, Msg> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let at = n + 1;
        let mut parts = line.split('|').map(str::trim);
        let head = parts.next().unwrap_or_default();
        let (required, text) = match head.strip_prefix('*') {
            Some(rest) => (true, rest.trim()),
            None => (false, head),
        };
        let kind = parts.next().unwrap_or_default();
        let options: Vec<String> = parts
            .next()
            .unwrap_or_default()
            .split(['；', ';'])
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(str::to_string)
            .collect();
        let kind = match kind {
            "单选" | "single" => QuestionKind::Single { options },
            "多选" | "multiple" => QuestionKind::Multiple { options },
            "评分" | "rating" => QuestionKind::Rating,
            "文本" | "text" => QuestionKind::Text,
            other => {
                return Err(msg!("question-type-must-be", line = at, kind = other));
            }
        };
        out.push(Question {
            text: text.to_string(),
            kind,
            required,
        });
    }
    Ok(out)
}

/// A consultation to publish: the draft's sections separated by blank lines; `c_pre` ticked
/// (`1`) holds comments for moderation before they show.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub(super) struct ConsultationForm {
    c_title: String,
    c_summary: String,
    c_sections: String,
    c_opens: String,
    c_closes: String,
    c_pre: String,
}

/// `POST /console/participation/consultations`.
pub(super) async fn new_consultation(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(user): Staff,
    CsrfForm(form): CsrfForm<ConsultationForm>,
) -> PageResult {
    let department = publisher(&state, &user.principal).await?;
    let sections = match parse_sections(&form.c_sections) {
        Ok(s) => s,
        Err(msg) => return refuse(&state, &ctx, &form, "c_sections", &msg).await,
    };
    let (opens_on, closes_on) = match (date(&form.c_opens), date(&form.c_closes)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(msg), _) => return refuse(&state, &ctx, &form, "c_opens", &msg).await,
        (_, Err(msg)) => return refuse(&state, &ctx, &form, "c_closes", &msg).await,
    };
    let input = ConsultationInput {
        department,
        title: form.c_title.clone(),
        summary: form.c_summary.clone(),
        sections,
        opens_on,
        closes_on,
        pre_moderation: form.c_pre == "1",
    };
    match state.interact.create_consultation(&user.principal, input).await {
        Ok(k) => Ok(Redirect::to(&format!("/consultations/{}", k.id)).into_response()),
        Err(e) => match field_of(&e, "c_") {
            Some((field, msg)) => refuse(&state, &ctx, &form, &field, &msg).await,
            None => Err(interact_page(e)),
        },
    }
}

/// A survey to publish: its questions one per line as `题目 | 类型 | 选项；选项`.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub(super) struct SurveyForm {
    s_title: String,
    s_intro: String,
    s_questions: String,
    s_opens: String,
    s_closes: String,
}

/// `POST /console/participation/surveys`.
pub(super) async fn new_survey(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(user): Staff,
    CsrfForm(form): CsrfForm<SurveyForm>,
) -> PageResult {
    let department = publisher(&state, &user.principal).await?;
    let questions = match parse_questions(&form.s_questions) {
        Ok(q) => q,
        Err(msg) => return refuse(&state, &ctx, &form, "s_questions", &msg).await,
    };
    let (opens_on, closes_on) = match (date(&form.s_opens), date(&form.s_closes)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(msg), _) => return refuse(&state, &ctx, &form, "s_opens", &msg).await,
        (_, Err(msg)) => return refuse(&state, &ctx, &form, "s_closes", &msg).await,
    };
    let input = SurveyInput {
        department,
        title: form.s_title.clone(),
        intro: form.s_intro.clone(),
        questions,
        opens_on,
        closes_on,
    };
    match state.interact.create_survey(&user.principal, input).await {
        Ok(s) => Ok(Redirect::to(&format!("/surveys/{}", s.id)).into_response()),
        Err(e) => match field_of(&e, "s_") {
            Some((field, msg)) => refuse(&state, &ctx, &form, &field, &msg).await,
            None => Err(interact_page(e)),
        },
    }
}

/// The form field (with its form's prefix) and message of a refusal: `questions[2].options` is
/// shown against the questions box, `closes_on` against the closing date.
fn field_of(e: &tongban_interact::Error, prefix: &str) -> Option<(String, tongban_kernel::Msg)> {
    let (field, msg) = match e {
        tongban_interact::Error::Invalid(i) => (i.field.clone(), i.reason.clone()),
        tongban_interact::Error::Conflict { field, reason } => (field.clone(), reason.clone()),
        _ => return None,
    };
    let base = field.split(['[', '.']).next().unwrap_or_default();
    let name = match base {
        "opens_on" => "opens",
        "closes_on" => "closes",
        other => other,
    };
    let msg = if field.contains('[') {
        format!("{field}: {msg}").into()
    } else {
        msg
    };
    Some((format!("{prefix}{name}"), msg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_and_sections_parse_and_mistakes_name_the_line() {
        let q = parse_questions("*总体满意度 | 评分\n\n用过哪些渠道 | 多选 | 网站；手机; 窗口\n建议 | text")
            .unwrap();
        assert_eq!(q.len(), 3);
        assert!(q[0].required && q[0].kind == QuestionKind::Rating);
        assert_eq!(
            q[1].kind,
            QuestionKind::Multiple {
                options: vec!["网站".into(), "手机".into(), "窗口".into()]
            }
        );
        assert!(!q[2].required);
        assert!(
            parse_questions("a | 判断")
                .unwrap_err()
                .to_string()
                .contains("第1行")
        );
        let s = parse_sections("第一条\n为了规范……\n\n第二条\n本条例适用于……").unwrap();
        assert_eq!((s.len(), s[1].heading.as_str()), (2, "第二条"));
        assert!(
            parse_sections("第一条\n正文\n\n只有标题")
                .unwrap_err()
                .to_string()
                .contains("第2段")
        );
    }
}
