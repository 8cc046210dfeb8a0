//! The staff side of the service hall: the inbox per department and role (soonest due first,
//! yellow and red marks, counts), the case page with the form (personal values masked), the
//! timeline with internal notes, and the actions of the step the member of staff holds —
//! accept, refuse, 补正 (everything missing at once), review, decide, issue — plus internal
//! notes. Every check is the hall's; a refused action comes back on the page with its reason.

use crate::AppState;
use crate::case_text::{action_label, log_note, urgency_code};
use crate::context::IdPath;
use crate::context::Query;
use crate::context::Staff;
use crate::context::{CsrfForm, Ctx};
use crate::errors::{hall_field, hall_page};
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render, urlencode};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::{Deserialize, Serialize};
use tongban_hall::{
    CaseId, CaseView, DecisionInput, ExtensionStatus, InboxFilter, Outcome, RevealReason, Revealed,
    ReviewInput, StepKind, SupplementRequest, TaskState, Urgency, pause_reason_names,
};
use tongban_kernel::{Arg, DeptPath, Page, PauseReason, Permission, Principal, Role, msg};

/// The (department, role) pairs a member of staff can open an inbox for.
fn desks(p: &Principal) -> Vec<(DeptPath, Role)> {
    let mut out: Vec<(DeptPath, Role)> = p
        .grants
        .iter()
        .filter(|g| g.role.handles_cases())
        .map(|g| (g.scope.clone(), g.role))
        .collect();
    out.dedup();
    out
}

struct Row {
    id: String,
    number: String,
    item: crate::markup::Named,
    step: String,
    due: String,
    urgency: &'static str,
    urgency_name: String,
}

#[derive(Template)]
#[template(path = "console/cases.html")]
struct InboxPage {
    c: Chrome,
    desks: Vec<(String, String, bool)>,
    base: String,
    total: u64,
    due_soon: u64,
    overdue: u64,
    rows: Vec<Row>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct InboxQuery {
    dept: String,
    role: String,
    only: String,
}

pub(crate) fn urgency_name(ctx: &Ctx, u: Urgency) -> String {
    ctx.t().s(&format!("inbox.{}", urgency_code(u))).to_string()
}

/// `GET /console/cases`: the inbox of one desk (department and role).
pub(super) async fn inbox(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(user): Staff,
    Query(q): Query<InboxQuery>,
) -> PageResult {
    let t = ctx.t();
    let mine = desks(&user.principal);
    let chosen = mine
        .iter()
        .find(|(d, r)| d.0 == q.dept && r.code() == q.role)
        .or(mine.first())
        .cloned();
    let Some((dept, role)) = chosen else {
        return Err(PageError::Forbidden(msg!("no-case-handling-role")));
    };
    let filter = InboxFilter {
        department: dept.clone(),
        role,
        urgency: match q.only.as_str() {
            "due_soon" => Some(Urgency::DueSoon),
            "overdue" => Some(Urgency::Overdue),
            _ => None,
        },
        step_kind: None,
        item: None,
        mine_only: false,
    };
    let inbox = state
        .hall
        .inbox(&user.principal, &filter, Page::number(1, 100))
        .await?;
    let rows = inbox
        .tasks
        .iter()
        .map(|task| Row {
            id: task.case_id.to_string(),
            number: task.case_number.clone(),
            item: t.zh_text(&task.item_name),
            step: t
                .pick(task.step_kind.name_zh(), task.step_kind.name_en())
                .to_string(),
            due: task.due.map(|d| d.to_string()).unwrap_or_default(),
            urgency: urgency_code(task.urgency),
            urgency_name: urgency_name(&ctx, task.urgency),
        })
        .collect();
    let names = super::department_choices(&state, |_| true, |d| d.path.as_str().to_string()).await?;
    let official = crate::page::DeptNames::load(&state, t).await?;
    let desks = mine
        .iter()
        .map(|(d, r)| {
            // People see the department's name; its path is for the link.
            let recorded = names
                .iter()
                .find(|(path, _)| path == d.as_str())
                .map_or(d.as_str(), |(_, n)| n.as_str());
            let label = format!(
                "{} · {}",
                official.of(d.as_str(), recorded),
                t.pick(r.name_zh(), r.name_en())
            );
            let href = format!("/console/cases?dept={}&role={}", urlencode(d.as_str()), r.code());
            (href, label, *d == dept && *r == role)
        })
        .collect();
    Ok(render(&InboxPage {
        c: ctx.chrome(t.s("inbox.title")),
        desks,
        base: format!(
            "/console/cases?dept={}&role={}",
            urlencode(dept.as_str()),
            role.code()
        ),
        total: inbox.counts.total,
        due_soon: inbox.counts.due_soon,
        overdue: inbox.counts.overdue,
        rows,
    }))
}

#[derive(Template)]
#[template(path = "console/case.html")]
struct CasePage {
    c: Chrome,
    v: CaseView,
    /// When it was submitted, in local time.
    submitted: String,
    status: String,
    urgency: &'static str,
    timeline: Vec<crate::page::TimelineEntry>,
    tasks: Vec<(String, String, String, String, String)>,
    step: Option<StepKind>,
    materials: Vec<crate::portal::MaterialRow>,
    /// (path, name) of the departments a task can be transferred to.
    departments: Vec<(String, String)>,
    /// The extension as shown: (days, reason, status), if one was asked for.
    extension: Option<(u32, String, String)>,
    /// Whether the viewer may approve or reject the pending extension.
    can_decide_extension: bool,
    /// (code, name) of the reasons the clock may be stopped for.
    pause_reasons: Vec<(&'static str, String)>,
    /// Why the clock is stopped now, when a stop other than 补正 holds it.
    paused_for: Option<String>,
    /// An administrative licence (准予许可 / 不予许可) rather than another matter (不予办理).
    licensing: bool,
    /// The decision, named as the item's kind is decided (准予许可, 不予办理 …).
    outcome: String,
    /// (code, label) of the masked answers the viewer may reveal, and (code, name) of the
    /// reasons they may give.
    revealable: Vec<(String, String)>,
    reveal_reasons: Vec<(&'static str, String)>,
}

impl CasePage {
    /// Refused at acceptance: its 不予受理通知书 is printable.
    fn not_accepted(&self) -> bool {
        self.v.case.status == tongban_hall::CaseStatus::NotAccepted
    }
}

fn case_id(id: &str) -> Result<CaseId, PageError> {
    CaseId::parse("id", id).map_err(|_| PageError::NotFound)
}

async fn case_page(state: &AppState, ctx: &Ctx, id: &str, c: Option<Chrome>) -> PageResult {
    let user = ctx.require_staff()?.clone();
    let t = ctx.t();
    let case = case_id(id)?;
    let v = state.hall.case(&user.principal, &case).await?;
    let names = crate::page::ItemNames::load(state, t).await?;
    let depts = crate::page::DeptNames::load(state, t).await?;
    let licensing = names.licensing(&v.case.item_code);
    // The step the viewer can act on: an open task at the current step in a role they hold.
    let step = v
        .tasks
        .iter()
        .filter(|task| task.state == TaskState::Open && task.step == v.case.step)
        .find(|task| {
            user.principal
                .grants
                .iter()
                .any(|g| g.role == task.role && g.scope.contains(&task.department.path))
        })
        .map(|task| task.step_kind);
    let timeline = v
        .log
        .iter()
        .map(|e| crate::page::TimelineEntry {
            internal: !e.public,
            ..crate::page::TimelineEntry::new(
                e.at.display_in(&state.settings.zone),
                action_label(ctx, &e.action, licensing),
                log_note(ctx, &depts, &e.action, &e.note),
            )
            .by(e.actor_name.clone())
        })
        .collect();
    let tasks = v
        .tasks
        .iter()
        .map(|task| {
            (
                t.pick(task.step_kind.name_zh(), task.step_kind.name_en())
                    .to_string(),
                depts.of(task.department.path.as_str(), &task.department.name_zh),
                t.pick(task.state.name_zh(), task.state.name_en()).to_string(),
                match task.agreed {
                    Some(true) => t.s("case.agree").to_string(),
                    Some(false) => t.s("case.disagree").to_string(),
                    None => String::new(),
                },
                task.opinion.clone(),
            )
        })
        .collect();
    let departments = if step.is_some() {
        super::department_choices(state, |d| d.path != v.case.department.path, |d| d.path.0.clone()).await?
    } else {
        Vec::new()
    };
    let can_decide_extension = v.case.extension.as_ref().is_some_and(|e| {
        e.status == ExtensionStatus::Requested
            && e.requested_by != user.principal.id
            && user
                .principal
                .allows(Permission::SuperviseCases, Some(&v.case.department.path))
    });
    let extension = v.case.extension.as_ref().map(|e| {
        (
            e.days,
            e.reason.clone(),
            t.pick(e.status.name_zh(), e.status.name_en()).to_string(),
        )
    });
    let pause_reasons = [
        PauseReason::Consultation,
        PauseReason::Hearing,
        PauseReason::Testing,
    ]
    .into_iter()
    .map(|r| {
        let (zh, en) = pause_reason_names(r);
        (r.code(), t.pick(zh, en).to_string())
    })
    .collect();
    let paused_for = v
        .case
        .clock
        .pauses
        .last()
        .filter(|p| p.to.is_none() && p.reason != PauseReason::Supplement)
        .map(|p| {
            let (zh, en) = pause_reason_names(p.reason);
            t.pick(zh, en).to_string()
        });
    let revealable = v
        .case
        .form
        .iter()
        .filter(|f| f.personal && !f.value.is_empty())
        .map(|f| (f.code.clone(), f.label.clone()))
        .collect();
    let reveal_reasons = RevealReason::ALL
        .iter()
        .map(|r| (r.code(), t.pick(r.name_zh(), r.name_en()).to_string()))
        .collect();
    let failed = c.as_ref().is_some_and(|c| !c.errors.is_empty());
    let mut resp = render(&CasePage {
        revealable,
        reveal_reasons,
        submitted: v.case.submitted.display_in(&state.settings.zone),
        pause_reasons,
        paused_for,
        departments,
        extension,
        can_decide_extension,
        materials: crate::portal::material_rows(ctx, &v.materials),
        c: match c {
            Some(mut c) if c.title.is_empty() => {
                c.title = v.case.number.clone();
                c
            }
            Some(c) => c,
            None => ctx.chrome(&v.case.number),
        },
        status: names.status(&v.case.item_code, v.case.status),
        outcome: v
            .case
            .decision
            .as_ref()
            .map(|d| names.outcome(&v.case.item_code, d.outcome))
            .unwrap_or_default(),
        licensing,
        urgency: urgency_code(v.urgency),
        timeline,
        tasks,
        step,
        v,
    });
    if failed {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

/// What the case page's inputs ask for, to name an empty one.
fn missing_label(field: &str) -> Option<(&'static str, &'static str)> {
    Some(match field {
        "reason" => ("不予受理的理由", "the reason for not accepting"),
        "opinion" => ("审查意见", "the review opinion"),
        "reasons" => ("决定理由", "the reasons for the decision"),
        "legal_basis" => ("法律依据", "the legal basis"),
        "text" => ("备注内容", "the note"),
        "transfer_reason" => ("移交理由", "why it is transferred"),
        "delegate_note" => ("转办说明", "the note for the colleague"),
        "extension_reason" => ("延期理由", "why more time is needed"),
        "extension_note" => ("审批意见", "the note on the request"),
        "pause_note" => ("中止说明", "why the clock stops"),
        "resume_note" => ("恢复说明", "why the clock resumes"),
        _ => return None,
    })
}

/// What an action did, said on the page it returns to.
fn done_notice(t: crate::i18n::Tr, action: &str) -> Option<&'static str> {
    Some(t.pick(
        match action {
            "accept" => "已受理。",
            "refuse" => "已作出不予受理决定，已通知申请人。",
            "supplement" => "已通知申请人补正材料。",
            "agree" | "disagree" => "审查意见已提交。",
            "approve" | "deny" => "已作出决定，已通知申请人。",
            "issue" => "已办结。",
            "note" => "备注已添加。",
            "transfer" => "已移交。",
            "delegate" => "已转办。",
            "extend" => "延期申请已提交。",
            "pause" => "已中止计时。",
            "resume" => "已恢复计时。",
            "extension_approve" | "extension_reject" => "延期申请已处理。",
            _ => return None,
        },
        match action {
            "accept" => "Accepted.",
            "refuse" => "Not accepted; the applicant is told.",
            "supplement" => "The applicant is asked to supplement.",
            "agree" | "disagree" => "Your review opinion is recorded.",
            "approve" | "deny" => "Decided; the applicant is told.",
            "issue" => "Completed.",
            "note" => "Note added.",
            "transfer" => "Transferred.",
            "delegate" => "Handed to the colleague.",
            "extend" => "Extension requested.",
            "pause" => "The clock is stopped.",
            "resume" => "The clock runs again.",
            _ => "The extension request is decided.",
        },
    ))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct CaseQuery {
    /// The action just done.
    done: String,
}

/// `GET /console/cases/{id}[?done=ACTION]`.
pub(super) async fn case(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<CaseQuery>,
) -> PageResult {
    let c = done_notice(ctx.t(), &q.done).map(|n| {
        let mut c = ctx.chrome("");
        c.notice = Some(n.to_string());
        c
    });
    case_page(&state, &ctx, &id, c).await
}

/// An action on a case, as one of the case page's forms posts it: the `do` button names the
/// action; each form sends only its own inputs.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub(super) struct ActForm {
    #[serde(rename = "do")]
    action: String,
    note: String,
    reason: String,
    /// What is missing for 补正, one item a line.
    missing: String,
    opinion: String,
    reasons: String,
    legal_basis: String,
    /// An internal note.
    text: String,
    /// The department a case is transferred to.
    to: String,
    transfer_reason: String,
    /// The user name a case is delegated to.
    to_user: String,
    delegate_note: String,
    /// Working days asked for an extension.
    days: String,
    extension_reason: String,
    extension_note: String,
    pause_reason: String,
    pause_note: String,
    resume_note: String,
}

/// `POST /console/cases/{id}/act`: one action, named by the `do` button.
pub(super) async fn act(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(user): Staff,
    IdPath(case): IdPath<CaseId>,
    CsrfForm(f): CsrfForm<ActForm>,
) -> PageResult {
    let p = &user.principal;
    let h = &state.hall;
    let done = match f.action.as_str() {
        "accept" => h.accept_case(p, &case, &f.note).await,
        "refuse" => h.refuse_case(p, &case, &f.reason).await,
        "supplement" => {
            let request = SupplementRequest {
                missing: f
                    .missing
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(String::from)
                    .collect(),
                note: f.note.clone(),
            };
            h.request_supplement(p, &case, request).await
        }
        "agree" | "disagree" => {
            let review = ReviewInput {
                agree: f.action == "agree",
                opinion: f.opinion.clone(),
            };
            h.review_case(p, &case, review).await
        }
        "approve" | "deny" => {
            let decision = DecisionInput {
                outcome: if f.action == "approve" {
                    Outcome::Approve
                } else {
                    Outcome::Deny
                },
                reasons: f.reasons.clone(),
                legal_basis: f.legal_basis.clone(),
            };
            h.decide_case(p, &case, decision).await
        }
        "issue" => h.issue_case(p, &case, &f.note).await,
        "note" => h.add_note(p, &case, &f.text).await,
        "transfer" => h.transfer_case(p, &case, &f.to, &f.transfer_reason).await,
        "delegate" => match state.identity.principal_for_username(&f.to_user).await {
            Ok(to) => h.delegate_case(p, &case, &to, &f.delegate_note).await,
            Err(_) => Err(tongban_hall::Error::invalid("to_user", msg!("no-such-user"))),
        },
        "extend" => match f.days.trim().parse::<u32>() {
            Ok(days) => h.request_extension(p, &case, days, &f.extension_reason).await,
            Err(_) => Err(tongban_hall::Error::invalid(
                "days",
                msg!("give-number-of-working-days"),
            )),
        },
        "pause" => match PauseReason::parse(&f.pause_reason) {
            Some(reason) => h.pause_clock(p, &case, reason, &f.pause_note).await,
            None => Err(tongban_hall::Error::invalid(
                "pause_reason",
                msg!("choose-why-clock-stops"),
            )),
        },
        "resume" => h.resume_clock(p, &case, &f.resume_note).await,
        "extension_approve" | "extension_reject" => {
            h.decide_extension(p, &case, f.action == "extension_approve", &f.extension_note)
                .await
        }
        "" => Err(tongban_hall::Error::invalid("do", msg!("choose-what-to-do"))),
        _ => return Err(PageError::BadRequest(msg!("unknown-action"))),
    };
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/console/cases/{case}?done={}", f.action)).into_response()),
        Err(e) => match hall_field(&e) {
            Some((field, msg)) => {
                let mut c = ctx.chrome(ctx.t().s("inbox.title"));
                // Several forms share the page: a field named by the hall goes to the input of
                // the form that was sent.
                let field = match (f.action.as_str(), field.as_str()) {
                    ("transfer", "reason") => "transfer_reason".to_string(),
                    ("delegate", "note") => "delegate_note".to_string(),
                    ("extend", "reason") => "extension_reason".to_string(),
                    ("extension_approve" | "extension_reject", "note") => "extension_note".to_string(),
                    ("pause", "note") => "pause_note".to_string(),
                    ("pause", "reason") => "pause_reason".to_string(),
                    ("resume", "note") => "resume_note".to_string(),
                    _ => field,
                };
                // An empty answer names what is missing, not only that something is.
                let msg = match (
                    msg.is(&tongban_kernel::MESSAGES, "not-empty"),
                    missing_label(&field),
                ) {
                    (true, Some((zh, en))) => msg!("fill-in", what = Arg::name(zh, en)),
                    _ => msg,
                };
                c.add_error(&field, &msg);
                c.keep(&f);
                case_page(&state, &ctx, case.as_str(), Some(c)).await
            }
            None => Err(hall_page(e)),
        },
    }
}

/// The form that reveals one masked answer.
#[derive(Debug, Deserialize, Serialize)]
pub(super) struct RevealForm {
    #[serde(default)]
    reveal_field: String,
    #[serde(default)]
    reveal_reason: String,
    #[serde(default)]
    reveal_note: String,
}

#[derive(Template)]
#[template(path = "console/reveal.html")]
struct RevealPage {
    c: Chrome,
    case_id: String,
    number: String,
    shown: Revealed,
    reason: String,
}

/// `POST /console/cases/{id}/reveal`: one masked answer in clear, on a page the browser does not
/// keep; the look is recorded by the hall. A refusal goes back to the case page, on the field.
pub(super) async fn reveal(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(user): Staff,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<RevealForm>,
) -> PageResult {
    let case = case_id(&id)?;
    let t = ctx.t();
    let done = match RevealReason::parse(&f.reveal_reason) {
        Some(reason) => {
            state
                .hall
                .reveal_case_value(&user.principal, &case, &f.reveal_field, reason, &f.reveal_note)
                .await
        }
        None => Err(tongban_hall::Error::invalid("reason", msg!("choose-why-see-it"))),
    };
    match done {
        Ok(shown) => {
            let reason = match (shown.reason, shown.note.is_empty()) {
                (r, true) => t.pick(r.name_zh(), r.name_en()).to_string(),
                (r, false) => format!(
                    "{}{}{}",
                    t.pick(r.name_zh(), r.name_en()),
                    t.s("punct.colon"),
                    shown.note
                ),
            };
            let number = match state.hall.case(&user.principal, &case).await {
                Ok(v) => v.case.number,
                Err(e) => return Err(hall_page(e)),
            };
            let mut resp = render(&RevealPage {
                c: ctx.chrome(t.s("case.reveal")),
                case_id: id,
                number,
                shown,
                reason,
            });
            resp.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            Ok(resp)
        }
        Err(e) => match hall_field(&e) {
            Some((field, msg)) => {
                let mut c = ctx.chrome("");
                c.add_error(&format!("reveal_{field}"), &msg);
                c.keep(&f);
                case_page(&state, &ctx, &id, Some(c)).await
            }
            None => Err(hall_page(e)),
        },
    }
}
