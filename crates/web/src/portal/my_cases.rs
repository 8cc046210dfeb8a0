//! 我的办件: the applicant's cases by state, and each case with its public timeline, remaining
//! working days, 补正 answers, decision, licence, rating and withdrawal.

use crate::AppState;
use crate::case_text::{action_label, log_note, urgency_code};
use crate::context::IdPath;
use crate::context::Query;
use crate::context::User;
use crate::context::{CsrfForm, Ctx};
use crate::errors::{hall_field, hall_page};
use crate::markup::Named;
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tongban_hall::{CaseId, CaseStatus, CaseView, FieldKind, RatingInput, RatingLevel, SupplementAnswer};
use tongban_kernel::Page;

/// Most uploads one 补正 answer takes: one per entry the clerk listed (at most 50); the upload
/// routes' body limit bounds their total.
const SUPPLEMENT_FILES: usize = 50;

struct CaseRow {
    id: String,
    number: String,
    item: Named,
    status: String,
    submitted: String,
    due: String,
    /// The due day is provisional (暂定): next year's holidays are not announced yet.
    provisional: bool,
    /// Open and past its due day (shown red, 已超期).
    overdue: bool,
}

/// Cases shown per page of 我的办件.
const MY_CASES_PER_PAGE: u32 = 20;

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct MyCasesQuery {
    /// `open` (default), `done` or `all`.
    tab: String,
    page: u64,
}

#[derive(Template)]
#[template(path = "portal/my_cases.html")]
struct MyCasesPage {
    c: Chrome,
    /// The status tabs: (href, label, count, current).
    tabs: Vec<(String, String, u64, bool)>,
    pager: crate::page::Pager,
    rows: Vec<CaseRow>,
    /// Bundle applications: (id, name, submitted).
    bundles: Vec<(String, String, String)>,
}

/// `GET /my/cases?tab=open|done|all&page=N`: the applicant's cases by state, 20 a page.
pub(super) async fn my_cases(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    Query(q): Query<MyCasesQuery>,
) -> PageResult {
    let t = ctx.t();
    let tab = match q.tab.as_str() {
        "done" | "all" => q.tab.as_str(),
        _ => "open",
    };
    let open = match tab {
        "done" => Some(false),
        "all" => None,
        _ => Some(true),
    };
    let mut page = Page::number(q.page.max(1), MY_CASES_PER_PAGE);
    let mut mine = state.hall.my_cases_page(&user.principal, open, page).await?;
    let in_tab = match open {
        Some(true) => mine.open,
        Some(false) => mine.finished,
        None => mine.open + mine.finished,
    };
    // A page past the end (an old link) shows the last one.
    let last = in_tab.div_ceil(u64::from(MY_CASES_PER_PAGE)).max(1);
    if page.current() > last {
        page = Page::number(last, MY_CASES_PER_PAGE);
        mine = state.hall.my_cases_page(&user.principal, open, page).await?;
    }
    let today = state.hall.today();
    let names = crate::page::ItemNames::load(&state, t).await?;
    let rows = mine
        .items
        .iter()
        .map(|k| CaseRow {
            id: k.id.to_string(),
            number: k.number.clone(),
            item: names.of(&k.item_code, &k.item_name),
            status: names.status(&k.item_code, k.status),
            submitted: k.submitted.display_in(&state.settings.zone),
            due: k
                .due
                .filter(|_| k.status.is_open())
                .map(|d| d.to_string())
                .unwrap_or_default(),
            provisional: k.due_provisional && k.status.is_open(),
            overdue: overdue(k, today),
        })
        .collect();
    let tabs = [
        ("open", t.s("cases.tab_open"), mine.open),
        ("done", t.s("cases.tab_done"), mine.finished),
        ("all", t.s("cases.tab_all"), mine.open + mine.finished),
    ]
    .into_iter()
    .map(|(code, label, n)| (format!("/my/cases?tab={code}"), label.to_string(), n, code == tab))
    .collect();
    let pager = crate::page::Pager::new(page, in_tab, |n| format!("/my/cases?tab={tab}&page={n}"));
    let bundles = state
        .hall
        .my_bundle_cases(&user.principal)
        .await?
        .into_iter()
        .map(|(id, name, at)| (id.to_string(), name, at.display_in(&state.settings.zone)))
        .collect();
    Ok(render(&MyCasesPage {
        c: ctx.chrome(t.s("cases.mine")),
        tabs,
        pager,
        rows,
        bundles,
    }))
}

/// An answer the 补正 form offers to correct: (code, label, value, (value, label) of each
/// choice when it is a choice).
type Correctable = (String, String, String, Vec<(String, String)>);

#[derive(Template)]
#[template(path = "portal/my_case.html")]
struct MyCasePage {
    c: Chrome,
    v: CaseView,
    status: String,
    /// The decision, named as the item's kind is decided (准予许可, 不予办理 …).
    outcome: String,
    urgency: &'static str,
    timeline: Vec<crate::page::TimelineEntry>,
    /// The answers the applicant may correct: (code, label, value, the choices of a choice).
    supplement_fields: Vec<Correctable>,
    can_withdraw: bool,
    just_submitted: bool,
    /// The rating given, as (level, comment).
    rating: Option<(String, String)>,
    /// The five levels to choose from, best first, when the case can be rated now.
    levels: Vec<(&'static str, String)>,
    materials: Vec<super::MaterialRow>,
    /// The largest upload, for the 补正 form's hint.
    max_mib: usize,
    /// One upload per entry of the 补正 request: (input name, the entry).
    supplement_uploads: Vec<(String, String)>,
}

impl MyCasePage {
    /// Refused at acceptance: its 不予受理通知书 is printable.
    fn not_accepted(&self) -> bool {
        self.v.case.status == tongban_hall::CaseStatus::NotAccepted
    }
}

fn case_id(id: &str) -> Result<CaseId, PageError> {
    CaseId::parse("id", id).map_err(|_| PageError::NotFound)
}

async fn my_case_page(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    c: Option<Chrome>,
    just_submitted: bool,
) -> PageResult {
    let user = ctx.require_user()?.clone();
    let t = ctx.t();
    let names = crate::page::ItemNames::load(state, t).await?;
    let depts = crate::page::DeptNames::load(state, t).await?;
    let id = case_id(id)?;
    let v = state.hall.case(&user.principal, &id).await?;
    let timeline = v
        .log
        .iter()
        .filter(|e| e.public)
        .map(|e| {
            crate::page::TimelineEntry::new(
                e.at.display_in(&state.settings.zone),
                action_label(ctx, &e.action, names.licensing(&v.case.item_code)),
                log_note(ctx, &depts, &e.action, &e.note),
            )
        })
        .collect();
    let supplement_fields = if v.case.status == CaseStatus::Supplementing {
        let clear = state.hall.case_form(&user.principal, &id).await?;
        let typed = c.as_ref().map(|c| c.typed.clone()).unwrap_or_default();
        match state.hall.item(&v.case.item_id).await {
            Ok(item) => item
                .questions()
                .map(|f| {
                    let options = match &f.kind {
                        FieldKind::Choice { options } => options
                            .iter()
                            .map(|o| (o.value.clone(), o.label.clone()))
                            .collect(),
                        _ => Vec::new(),
                    };
                    // A personal answer is not written back into the page in clear: the
                    // field stays empty (empty keeps it) and says what it holds, masked.
                    let stored = v.case.form.iter().find(|x| x.code == f.code);
                    if f.personal
                        || stored.is_some_and(|x| x.personal)
                        || matches!(f.kind, FieldKind::IdNumber)
                    {
                        let now = stored.map(|x| x.value.clone()).unwrap_or_default();
                        let label = format!(
                            "{}{}{} {}{}",
                            f.label,
                            t.s("punct.open"),
                            now,
                            t.s("cases.keep_if_empty"),
                            t.s("punct.close")
                        );
                        return (f.code.clone(), label, String::new(), options);
                    }
                    // A refused answer shows again what was typed.
                    let value = typed
                        .get(&format!("f.{}", f.code))
                        .filter(|v| !v.is_empty())
                        .or_else(|| clear.get(&f.code))
                        .cloned()
                        .unwrap_or_default();
                    (f.code.clone(), f.label.clone(), value, options)
                })
                .collect(),
            Err(e) => return Err(hall_page(e)),
        }
    } else {
        Vec::new()
    };
    let rating = state.hall.rating(&user.principal, &id).await?;
    let finished = matches!(
        v.case.status,
        CaseStatus::Completed | CaseStatus::Denied | CaseStatus::NotAccepted
    );
    let levels = if finished && rating.is_none() {
        RatingLevel::ALL
            .iter()
            .map(|l| (l.code(), t.pick(l.name_zh(), l.name_en()).to_string()))
            .collect()
    } else {
        Vec::new()
    };
    let rating = rating.map(|r| {
        (
            t.pick(r.level.name_zh(), r.level.name_en()).to_string(),
            r.comment,
        )
    });
    let failed = c.as_ref().is_some_and(|c| !c.errors.is_empty());
    // Just submitted: the page's own 申请已提交 panel says it, with the number (no second notice).
    let title = names.of(&v.case.item_code, &v.case.item_name);
    let c = c.unwrap_or_else(|| ctx.chrome(title.text()));
    let supplement_uploads = v
        .case
        .supplement
        .iter()
        .flat_map(|s| s.missing.iter().take(SUPPLEMENT_FILES).enumerate())
        .map(|(n, m)| (format!("file.{n}"), m.clone()))
        .collect();
    let mut resp = render(&MyCasePage {
        supplement_uploads,
        max_mib: tongban_hall::MAX_UPLOAD_BYTES >> 20,
        materials: super::material_rows(ctx, &v.materials),
        c,
        status: names.status(&v.case.item_code, v.case.status),
        outcome: v
            .case
            .decision
            .as_ref()
            .map(|d| names.outcome(&v.case.item_code, d.outcome))
            .unwrap_or_default(),
        urgency: urgency_code(v.urgency),
        can_withdraw: matches!(
            v.case.status,
            CaseStatus::Submitted | CaseStatus::Supplementing | CaseStatus::InProgress
        ),
        timeline,
        supplement_fields,
        just_submitted,
        rating,
        levels,
        v,
    });
    if failed {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct CaseQuery {
    submitted: Option<String>,
    supplemented: Option<String>,
}

/// `GET /my/cases/{id}`: status, the public timeline, remaining working days, 补正, decision,
/// licence.
pub(super) async fn my_case(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<CaseQuery>,
) -> PageResult {
    let c = q.supplemented.is_some().then(|| {
        let mut c = ctx.chrome(ctx.t().s("cases.mine"));
        c.notice = Some(ctx.t().s("cases.supplemented").to_string());
        c
    });
    my_case_page(&state, &ctx, &id, c, q.submitted.is_some()).await
}

/// 好差评: the `level` picked (1–5; none when no radio was chosen) and a `comment`.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub(super) struct RateForm {
    level: String,
    comment: String,
}

/// `POST /my/cases/{id}/rate`: 好差评 of a finished case (a bad rating needs its reason).
pub(super) async fn rate(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    IdPath(case): IdPath<CaseId>,
    CsrfForm(form): CsrfForm<RateForm>,
) -> PageResult {
    // A refusal shows the page again with what was chosen and written.
    let mut c = ctx.chrome(ctx.t().s("cases.mine"));
    c.keep(&form);
    let Some(level) = RatingLevel::parse(&form.level) else {
        c.add_error("level", ctx.t().s("cases.rate_pick"));
        return my_case_page(&state, &ctx, case.as_str(), Some(c), false).await;
    };
    let rating = RatingInput {
        level,
        comment: form.comment,
    };
    match state.hall.rate_case(&user.principal, &case, rating).await {
        Ok(_) => Ok(Redirect::to(&format!("/my/cases/{case}")).into_response()),
        Err(e) => match hall_field(&e) {
            Some((field, msg)) if field == "comment" => {
                c.add_error("comment", &msg);
                my_case_page(&state, &ctx, case.as_str(), Some(c), false).await
            }
            _ => Err(hall_page(e)),
        },
    }
}

/// `POST /my/cases/{id}/supplement`: the applicant's 补正 answer (changed values and a note).
pub(super) async fn supplement(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    Path(id): Path<String>,
    mut form: axum::extract::Multipart,
) -> PageResult {
    let case = case_id(&id)?;
    let inputs: Vec<String> = (0..SUPPLEMENT_FILES).map(|n| format!("file.{n}")).collect();
    let names: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let mut posted = crate::multipart::read(&ctx, &mut form, &names, tongban_hall::MAX_UPLOAD_BYTES).await?;
    // A refusal shows the page again with what was typed (files must be chosen again).
    let typed = posted.fields.clone();
    let refuse = |field: &str, msg: &tongban_kernel::Msg| {
        let mut c = ctx.chrome(ctx.t().s("cases.mine"));
        c.typed = typed.clone();
        c.add_error(field, msg);
        c
    };
    if posted.too_big {
        let t = ctx.t();
        let msg = format!(
            "{} {} MiB",
            t.s("material.too_big"),
            tongban_hall::MAX_UPLOAD_BYTES >> 20
        );
        return my_case_page(&state, &ctx, &id, Some(refuse("files", &msg.into())), false).await;
    }
    // Each upload is stored (checked and encrypted) first; the answer then names them.
    let mut files = BTreeMap::new();
    for (n, input) in inputs.iter().enumerate() {
        let Some(upload) = posted.take_files(input).pop() else {
            continue;
        };
        match state.hall.upload_file(&user.principal, upload).await {
            Ok(f) => {
                files.insert(n, f.id);
            }
            Err(e) => {
                return match hall_field(&e) {
                    Some((_, msg)) => my_case_page(&state, &ctx, &id, Some(refuse(input, &msg)), false).await,
                    None => Err(hall_page(e)),
                };
            }
        }
    }
    let answer = SupplementAnswer {
        form: posted
            .fields
            .iter()
            // An empty answer keeps what the case holds (personal fields are shown empty).
            .filter(|(_, v)| !v.trim().is_empty())
            .filter_map(|(k, v)| {
                k.strip_prefix("f.")
                    .map(|k| (k.to_string(), v.trim().to_string()))
            })
            .collect(),
        note: posted.fields.get("note").cloned().unwrap_or_default(),
        files,
    };
    match state.hall.supplement_case(&user.principal, &case, answer).await {
        Ok(_) => Ok(Redirect::to(&format!("/my/cases/{id}?supplemented=1")).into_response()),
        Err(e) => match hall_field(&e) {
            Some((field, msg)) => {
                let field = match field.strip_prefix("form.") {
                    Some(f) => format!("f.{f}"),
                    None => field.replace("files.", "file."),
                };
                my_case_page(&state, &ctx, &id, Some(refuse(&field, &msg)), false).await
            }
            None => Err(hall_page(e)),
        },
    }
}

/// Why an application is withdrawn (may be empty).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct WithdrawForm {
    reason: String,
}

/// `POST /my/cases/{id}/withdraw`.
pub(super) async fn withdraw(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    IdPath(case): IdPath<CaseId>,
    CsrfForm(form): CsrfForm<WithdrawForm>,
) -> PageResult {
    match state
        .hall
        .withdraw_case(&user.principal, &case, &form.reason)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/my/cases/{case}")).into_response()),
        Err(e) => match hall_field(&e) {
            Some((field, msg)) => {
                let mut c = ctx.chrome(ctx.t().s("cases.mine"));
                c.add_error(&field, &msg);
                my_case_page(&state, &ctx, case.as_str(), Some(c), false).await
            }
            None => Err(hall_page(e)),
        },
    }
}

/// Open and past its due day on `today` (shown red, 已超期), on 我的办件 and the home page.
pub(super) fn overdue(k: &tongban_hall::Case, today: jiff::civil::Date) -> bool {
    k.status.is_open() && k.due.is_some_and(|d| d < today)
}
