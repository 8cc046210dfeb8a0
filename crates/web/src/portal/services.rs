//! The citizen's side of the service hall (一网通办), GOV.UK style and without JavaScript: the
//! list of services by department and name, each service's guide (办事指南), the application one
//! question per page (the answers kept as a sealed draft in the hall between the pages, so every
//! page has its own address: each answer is posted, saved and redirected to the next page's
//! address, and Back, reload or a closed browser lose nothing), a check-your-answers page, submission with a per-application key (submitting twice gives the
//! same case), and "my cases" with the timeline, 补正 answers and withdrawal.

use crate::AppState;
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
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tongban_hall::{
    CaseId, CaseStatus, CaseView, FieldKind, FormField, NewCase, RatingInput, RatingLevel, ServiceItem,
    SupplementAnswer, Urgency,
};
use tongban_kernel::Page;

// ---------------------------------------------------------------------------------------------
// The list and the guide.

struct ItemRow {
    code: String,
    name: Named,
    department: String,
    kind: String,
    promised: u32,
    online: bool,
}

#[derive(Template)]
#[template(path = "portal/services.html")]
struct ServicesPage {
    c: Chrome,
    /// 一件事一次办 bundles: (code, name, life event, number of items).
    bundles: Vec<(String, Named, Named, usize)>,
    q: String,
    dept: String,
    topic: String,
    event: String,
    departments: Vec<(String, String)>,
    topics: Vec<(&'static str, String)>,
    events: Vec<(&'static str, String)>,
    rows: Vec<ItemRow>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ServicesQuery {
    q: String,
    dept: String,
    /// A topic code (按主题).
    topic: String,
    /// A life event code (按人生事件).
    event: String,
}

/// `GET /services`: every active service, searchable by name, browsed by department, topic
/// and life event.
pub(super) async fn services(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ServicesQuery>,
) -> PageResult {
    let t = ctx.t();
    let all = state.hall.items(None, false).await?;
    let depts = crate::page::DeptNames::load(&state, t).await?;
    let named = |d: &tongban_hall::DeptRef| depts.of(d.path.as_str(), &d.name_zh);
    let mut departments: Vec<(String, String)> = all
        .iter()
        .map(|i| (i.department.path.0.clone(), named(&i.department)))
        .collect();
    departments.sort();
    departments.dedup();
    let needle = q.q.trim();
    let rows = all
        .iter()
        .filter(|i| i.takes_applications())
        .filter(|i| q.dept.is_empty() || i.department.path.0 == q.dept)
        .filter(|i| q.topic.is_empty() || i.topics.iter().any(|t| t.code() == q.topic))
        .filter(|i| q.event.is_empty() || i.life_events.iter().any(|e| e.code() == q.event))
        .filter(|i| needle.is_empty() || matches(i, needle))
        .map(|i| ItemRow {
            code: i.code.clone(),
            name: t.name(&i.name, &i.name_en),
            department: named(&i.department),
            kind: t.pick(i.item_type.name_zh(), i.item_type.name_en()).to_string(),
            promised: i.promised_days,
            online: i.visits == 0,
        })
        .collect();
    let bundles = state
        .hall
        .bundles()
        .await?
        .into_iter()
        .filter(|b| needle.is_empty() || b.name.contains(needle) || b.life_event.contains(needle))
        .map(|b| {
            (
                b.code,
                t.zh_text(&b.name),
                t.zh_text(&b.life_event),
                b.items.len(),
            )
        })
        .collect();
    Ok(render(&ServicesPage {
        c: ctx.chrome(t.s("services.title")),
        bundles,
        q: q.q.clone(),
        dept: q.dept.clone(),
        topic: q.topic.clone(),
        event: q.event.clone(),
        departments,
        topics: tongban_hall::Topic::ALL
            .iter()
            .filter(|x| all.iter().any(|i| i.takes_applications() && i.topics.contains(x)))
            .map(|x| (x.code(), t.pick(x.name_zh(), x.name_en()).to_string()))
            .collect(),
        // Only the topics and life events some service answers: an empty choice leads nowhere.
        events: tongban_hall::LifeEvent::ALL
            .iter()
            .filter(|x| {
                all.iter()
                    .any(|i| i.takes_applications() && i.life_events.contains(x))
            })
            .map(|x| (x.code(), t.pick(x.name_zh(), x.name_en()).to_string()))
            .collect(),
        rows,
    }))
}

struct MaterialRow {
    name: String,
    required: bool,
    exempt: bool,
    source: String,
}

#[derive(Template)]
#[template(path = "portal/service.html")]
struct GuidePage {
    c: Chrome,
    i: ServiceItem,
    /// Its name in the page's language.
    name: Named,
    /// The handling department with its city, `示范市公安局`.
    department: String,
    kind: String,
    materials: Vec<MaterialRow>,
    fields: Vec<(String, bool)>,
    steps: Vec<(String, String)>,
    fees: Vec<(String, String, String)>,
    can_apply: bool,
    /// Topics and life events it is listed under: (query, label).
    browse: Vec<(String, String)>,
}

/// Whether a search for `needle` finds `item`: by code, Chinese name, or English name in any case.
fn matches(item: &ServiceItem, needle: &str) -> bool {
    item.name.contains(needle)
        || item.code.contains(needle)
        || item.name_en.to_lowercase().contains(&needle.to_lowercase())
}

pub(super) async fn item_by_code(state: &AppState, code: &str) -> Result<ServiceItem, PageError> {
    state.hall.item_by_code(code).await.map_err(hall_page)
}

/// `GET /services/{code}`: the guide (办事指南) in plain language.
pub(super) async fn guide(State(state): State<AppState>, ctx: Ctx, Path(code): Path<String>) -> PageResult {
    let t = ctx.t();
    let i = match item_by_code(&state, &code).await {
        Ok(i) if i.active => i,
        Ok(_) => return Err(PageError::NotFound),
        Err(e) => return Err(e),
    };
    let depts = crate::page::DeptNames::load(&state, t).await?;
    let steps = match state.hall.workflow(&i.id, i.workflow_version).await {
        Ok(wf) => wf
            .steps
            .iter()
            .map(|s| {
                let who: Vec<String> = s
                    .assignees
                    .iter()
                    .map(|a| depts.of(a.department.path.as_str(), &a.department.name_zh))
                    .collect();
                (crate::page::step_name(t, s), who.join(t.pick("、", ", ")))
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    let materials = i
        .materials
        .iter()
        .map(|m| MaterialRow {
            name: m.name.clone(),
            required: m.required,
            exempt: m.source.exempt(),
            source: match &m.source {
                tongban_hall::MaterialSource::Upload => String::new(),
                tongban_hall::MaterialSource::SharedField { .. } => {
                    t.s("services.held_by_government").to_string()
                }
                tongban_hall::MaterialSource::Licence { .. } => t.s("services.held_as_licence").to_string(),
            },
        })
        .collect();
    let fields = i.fields.iter().map(|f| (f.label.clone(), f.required)).collect();
    let fees = i
        .fees
        .iter()
        .map(|f| {
            let yuan = if f.amount_fen == 0 {
                t.s("services.free").to_string()
            } else {
                format!("¥{}.{:02}", f.amount_fen / 100, f.amount_fen % 100)
            };
            // A basis that only repeats the amount ("不收费") is not said twice.
            let basis = if f.basis.trim() == yuan {
                String::new()
            } else {
                f.basis.clone()
            };
            (f.name.clone(), yuan, basis)
        })
        .collect();
    let department = match state.identity.official_name(&i.department.path).await {
        Ok((zh, en)) => t.pick(&zh, &en).to_string(),
        Err(_) => i.department.name_zh.clone(),
    };
    Ok(render(&GuidePage {
        c: ctx.chrome(ctx.t().pick(&i.name, &i.name_en)),
        name: t.name(&i.name, &i.name_en),
        department,
        kind: t.pick(i.item_type.name_zh(), i.item_type.name_en()).to_string(),
        browse: i
            .topics
            .iter()
            .map(|x| {
                (
                    format!("topic={}", x.code()),
                    t.pick(x.name_zh(), x.name_en()).to_string(),
                )
            })
            .chain(i.life_events.iter().map(|x| {
                (
                    format!("event={}", x.code()),
                    t.pick(x.name_zh(), x.name_en()).to_string(),
                )
            }))
            .collect(),
        can_apply: i.takes_applications(),
        materials,
        fields,
        steps,
        fees,
        i,
    }))
}

// ---------------------------------------------------------------------------------------------
// The application, one question per page.

/// The questions asked one per page: every field but file fields, which are asked on upload
/// pages after them (see [`super::materials::to_provide`]).
pub(super) fn questions(i: &ServiceItem) -> Vec<&FormField> {
    i.fields
        .iter()
        .filter(|f| !matches!(f.kind, FieldKind::File))
        .collect()
}

struct Question {
    label: String,
    required: bool,
    input: &'static str,
    options: Vec<(String, String)>,
    value: String,
    hint: String,
    /// Where a prefilled value came from (empty when typed).
    source: String,
}

fn question(ctx: &Ctx, f: &FormField, value: &str, source: &str) -> Question {
    let t = ctx.t();
    let (input, options, hint) = match &f.kind {
        FieldKind::Text { max_chars } => (
            "text",
            Vec::new(),
            format!("{}{}{max_chars}", t.s("services.max_chars"), t.s("punct.space")),
        ),
        FieldKind::Number { .. } => ("number", Vec::new(), String::new()),
        FieldKind::Date | FieldKind::PastDate => ("date", Vec::new(), t.s("services.date_hint").to_string()),
        FieldKind::Choice { options } => (
            "choice",
            options
                .iter()
                .map(|o| (o.value.clone(), o.label.clone()))
                .collect(),
            String::new(),
        ),
        FieldKind::IdNumber => ("id", Vec::new(), t.s("services.id_hint").to_string()),
        FieldKind::Phone => ("tel", Vec::new(), String::new()),
        FieldKind::Address => ("address", Vec::new(), String::new()),
        FieldKind::File => ("text", Vec::new(), String::new()),
    };
    // Two hints read as two sentences: 最多字数：100。此项为个人信息，将加密保存。
    let personal = match (f.is_personal(), hint.is_empty()) {
        (false, _) => String::new(),
        (true, true) => t.s("services.personal_hint").to_string(),
        (true, false) => format!(
            "{}{}{}",
            t.s("punct.stop"),
            t.s("punct.space"),
            t.s("services.personal_hint")
        ),
    };
    Question {
        label: f.label.clone(),
        required: f.required,
        input,
        options,
        value: value.to_string(),
        hint: format!("{hint}{personal}").trim().to_string(),
        source: source.to_string(),
    }
}

#[derive(Template)]
#[template(path = "portal/apply.html")]
struct ApplyPage {
    c: Chrome,
    base: String,
    name: Named,
    key: String,
    step: usize,
    total: usize,
    q: Question,
}

#[derive(Template)]
#[template(path = "portal/check.html")]
struct CheckPage {
    c: Chrome,
    base: String,
    name: Named,
    key: String,
    /// (question number, label, answer, where a prefilled answer came from).
    rows: Vec<(usize, String, String, String)>,
    /// (step, material name, what was given).
    materials: Vec<(usize, String, String)>,
    exempt: Vec<String>,
    promised: u32,
}

/// An application in progress, kept sealed in the hall between the pages: its key, the page
/// reached, the answers so far, and the sources of prefilled answers (for display only:
/// submission looks them up again).
#[derive(Clone, Default, serde::Serialize, Deserialize)]
#[serde(default)]
pub(super) struct Draft {
    /// The application's submission key, the draft's name in the hall.
    #[serde(skip)]
    pub(super) key: String,
    pub(super) step: usize,
    pub(super) answers: BTreeMap<String, String>,
    pub(super) sources: BTreeMap<String, String>,
    /// Material answers by code (see [`super::materials::answer`]).
    pub(super) materials: BTreeMap<String, String>,
    /// Where the journey's pages post: `/services/{code}` or `/bundles/{code}` (from the
    /// route, never from the form).
    #[serde(skip)]
    pub(super) base: String,
    /// Came from 修改 on the check page: the next valid answer goes straight back there.
    pub(super) review: bool,
    /// Why the last answer posted was refused, shown on its page (step, field, message) until
    /// an answer is taken: a refused answer is redirected to its page like any other, so Back
    /// never lands on a posted form.
    pub(super) refused: Option<(usize, String, String)>,
}

/// What an application is for: one service item, or a bundle of them (一件事一次办), which the
/// journey treats as one item whose fields and materials are the union of its items'.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    Service,
    Bundle,
}

impl Target {
    pub(super) fn base(self, code: &str) -> String {
        match self {
            Target::Service => format!("/services/{code}"),
            Target::Bundle => format!("/bundles/{code}"),
        }
    }

    /// What government already holds for `applicant`'s answers to `i` (the item, or the bundle
    /// as one item).
    pub(super) async fn known(
        self,
        state: &AppState,
        applicant: &tongban_kernel::Principal,
        i: &ServiceItem,
    ) -> Result<BTreeMap<String, tongban_hall::KnownAnswer>, PageError> {
        Ok(match self {
            Target::Service => state.hall.known_answers(applicant, i).await,
            Target::Bundle => {
                let bundle = state.hall.bundle_by_code(&i.code).await?;
                state.hall.known_bundle_answers(applicant, &bundle).await?
            }
        })
    }

    /// The signed-in applicant and the item (or bundle) they apply for at `code`: what every
    /// page of an application starts from.
    pub(super) async fn applicant_and_item(
        self,
        state: &AppState,
        ctx: &Ctx,
        code: &str,
    ) -> Result<(tongban_identity::SignedIn, ServiceItem), PageError> {
        let user = ctx.require_user()?.clone();
        let i = self.load(state, code).await?;
        Ok((user, i))
    }

    /// The item (or the bundle as one item) taking applications at `code`.
    pub(super) async fn load(self, state: &AppState, code: &str) -> Result<ServiceItem, PageError> {
        match self {
            Target::Service => match item_by_code(state, code).await {
                Ok(i) if i.takes_applications() => Ok(i),
                Ok(_) => Err(PageError::NotFound),
                Err(e) => Err(e),
            },
            Target::Bundle => super::bundles::as_item(state, code).await,
        }
    }
}

impl Draft {
    /// The address of page `step` of this application.
    pub(super) fn page(&self, step: usize) -> String {
        format!("{}/apply/{}/{step}", self.base, self.key)
    }

    /// Keeps the draft in the hall (sealed) for the next page.
    pub(super) async fn save(
        &self,
        state: &AppState,
        applicant: &tongban_kernel::Principal,
    ) -> Result<(), PageError> {
        let body = serde_json::to_string(self).map_err(|e| PageError::Internal(e.to_string()))?;
        state
            .hall
            .save_draft(applicant, &self.key, &self.base, &body)
            .await
            .map_err(hall_page)
    }

    /// Saves the draft and sends the browser to page `step` (303: the next request is a GET).
    pub(super) async fn save_and_go(
        &self,
        state: &AppState,
        applicant: &tongban_kernel::Principal,
        step: usize,
    ) -> PageResult {
        self.save(state, applicant).await?;
        Ok(Redirect::to(&self.page(step)).into_response())
    }

    /// `applicant`'s draft `key` of the application at `base`; empty (a new draft under that
    /// key) when there is none any more, so a page posted after the draft expired starts over
    /// rather than failing.
    pub(super) async fn load(
        state: &AppState,
        applicant: &tongban_kernel::Principal,
        key: &str,
        base: String,
    ) -> Result<Draft, PageError> {
        let empty = || Draft {
            key: key.to_string(),
            base: base.clone(),
            ..Draft::default()
        };
        match state.hall.draft(applicant, key, &base).await {
            Ok(saved) => Ok(Draft::opened(saved, base)),
            Err(tongban_hall::Error::NotFound { .. }) => Ok(empty()),
            Err(e) => Err(hall_page(e)),
        }
    }

    /// Saves the draft with `msg` against `field` on page `step` and sends the browser there.
    pub(super) async fn refuse_at(
        mut self,
        state: &AppState,
        applicant: &tongban_kernel::Principal,
        step: usize,
        field: &str,
        msg: String,
    ) -> PageResult {
        self.refused = Some((step, field.to_string(), msg));
        self.save_and_go(state, applicant, step).await
    }

    /// A draft as the hall kept it (a body from an older layout reads as empty answers).
    fn opened(saved: tongban_hall::SavedDraft, base: String) -> Draft {
        let mut d: Draft = serde_json::from_str(&saved.body).unwrap_or_default();
        d.key = saved.key;
        d.base = base;
        d
    }
}

fn new_key() -> String {
    format!("web-{}", tongban_kernel::id::new_uuid_v7())
}

pub(super) fn ask(ctx: &Ctx, i: &ServiceItem, d: &Draft, step: usize, c: Chrome) -> PageResult {
    let qs = questions(i);
    let Some(f) = qs.get(step) else {
        return Err(PageError::NotFound);
    };
    let value = d.answers.get(&f.code).cloned().unwrap_or_default();
    let source = d.sources.get(&f.code).cloned().unwrap_or_default();
    Ok(render(&ApplyPage {
        c,
        base: d.base.clone(),
        name: ctx.t().name(&i.name, &i.name_en),
        key: d.key.clone(),
        step,
        total: qs.len(),
        q: question(ctx, f, &value, &source),
    }))
}

pub(super) fn check_page(ctx: &Ctx, i: &ServiceItem, d: &Draft) -> Response {
    check_page_with(ctx, i, d, ctx.chrome(ctx.t().s("services.check")))
}

fn check_page_with(ctx: &Ctx, i: &ServiceItem, d: &Draft, c: Chrome) -> Response {
    let rows = questions(i)
        .iter()
        .enumerate()
        .map(|(n, f)| {
            let v = d.answers.get(&f.code).cloned().unwrap_or_default();
            let source = d.sources.get(&f.code).cloned().unwrap_or_default();
            (n, f.label.clone(), f.shown_value(&v), source)
        })
        .collect();
    let asked = questions(i).len();
    let materials = super::materials::to_provide(i)
        .iter()
        .enumerate()
        .map(|(n, m)| {
            (
                asked + n,
                m.name.to_string(),
                super::materials::shown(ctx, d.materials.get(&m.key)),
            )
        })
        .collect();
    render(&CheckPage {
        c,
        base: d.base.clone(),
        name: ctx.t().name(&i.name, &i.name_en),
        key: d.key.clone(),
        rows,
        materials,
        exempt: i
            .materials
            .iter()
            .filter(|m| matches!(m.source, tongban_hall::MaterialSource::SharedField { .. }))
            .map(|m| m.name.clone())
            .collect(),
        promised: i.promised_days,
    })
}

/// `?new` starts a new application even when one is left unsubmitted.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct StartQuery {
    new: Option<String>,
}

/// `GET /services/{code}/apply`: a new application (or the one left unsubmitted, taken up
/// again), sent to its first page.
pub(super) async fn apply_start(
    state: State<AppState>,
    ctx: Ctx,
    code: Path<String>,
    q: Query<StartQuery>,
) -> PageResult {
    start(Target::Service, state, ctx, code, q).await
}

pub(super) async fn start(
    target: Target,
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<StartQuery>,
) -> PageResult {
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
pub(super) struct PageQuery {
    resumed: Option<String>,
}

/// `GET /services/{code}/apply/{key}/{step}`: one page of an application in progress — a
/// question, an upload, or the check page after them.
pub(super) async fn apply_page(
    state: State<AppState>,
    ctx: Ctx,
    at: Path<(String, String, usize)>,
    q: Query<PageQuery>,
) -> PageResult {
    page(Target::Service, state, ctx, at, q).await
}

pub(super) async fn page(
    target: Target,
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, key, step)): Path<(String, String, usize)>,
    Query(q): Query<PageQuery>,
) -> PageResult {
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
    let page = super::materials::page_at(&state, &ctx, &i, &d, step, c).await;
    if refused { crate::page::refused(page) } else { page }
}

/// The draft a posted page belongs to (by its `key`), with the page it was on (`step`).
pub(super) async fn posted_draft(
    state: &AppState,
    applicant: &tongban_kernel::Principal,
    (key, step): (&str, &str),
    base: String,
) -> Result<Draft, PageError> {
    let mut d = Draft::load(state, applicant, key, base).await?;
    d.step = step.parse().unwrap_or(0);
    d.refused = None;
    Ok(d)
}

/// One question's page as posted: the draft's `key` and the page's `step`, the answer `v`, and
/// the button — `go` = `next` or `back`, or on the check page `change` = the question to change.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct StepForm {
    key: String,
    step: String,
    v: String,
    go: String,
    change: Option<String>,
}

/// `POST /services/{code}/apply`: saves the answer to one question and moves on (or back, or
/// to the question a "change" link names).
pub(super) async fn apply_step(
    state: State<AppState>,
    ctx: Ctx,
    code: Path<String>,
    form: CsrfForm<StepForm>,
) -> PageResult {
    step(Target::Service, state, ctx, code, form).await
}

pub(super) async fn step(
    target: Target,
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(form): CsrfForm<StepForm>,
) -> PageResult {
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
        let msg = hall_field(&e).map_or_else(|| e.to_string(), |(_, m)| m);
        return d.refuse_at(&state, &user.principal, step, "v", msg).await;
    }
    // A change made from the check page goes back to it, not on through every later page.
    let next = if d.review {
        super::materials::check_step(&i)
    } else {
        step + 1
    };
    d.save_and_go(&state, &user.principal, next).await
}

/// The check page's submission: the draft's `key` (and `step`, the page it was on).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct SubmitForm {
    key: String,
    step: String,
}

/// `POST /services/{code}/submit`: submits the checked answers. A value the hall refuses sends
/// the applicant back to that question with the reason.
pub(super) async fn submit(
    state: State<AppState>,
    ctx: Ctx,
    code: Path<String>,
    form: CsrfForm<SubmitForm>,
) -> PageResult {
    submit_to(Target::Service, state, ctx, code, form).await
}

pub(super) async fn submit_to(
    target: Target,
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(form): CsrfForm<SubmitForm>,
) -> PageResult {
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
        .chain(super::materials::file_answers(&d))
        .collect();
    let prefilled = tongban_hall::prefill_marks(&known, &d.answers);
    let materials = super::materials::inputs(&d);
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
                let (step, input) = match (question, super::materials::step_of(&i, &field)) {
                    (Some(step), _) => (step, "v"),
                    (None, Some(step)) => (step, "file"),
                    // Not one page's doing (the key, the item): the check page with the reason.
                    (None, None) => (super::materials::check_step(&i), "submit"),
                };
                d.refuse_at(&state, &user.principal, step, input, msg).await
            }
            None => Err(hall_page(e)),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// My cases.

/// Most uploads one 补正 answer takes: one per entry the clerk listed (at most 50); the upload
/// routes' body limit bounds their total.
const SUPPLEMENT_FILES: usize = 50;

pub(crate) fn urgency_code(u: Urgency) -> &'static str {
    match u {
        Urgency::Normal => "normal",
        Urgency::DueSoon => "due_soon",
        Urgency::Overdue => "overdue",
    }
}

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

/// A timeline entry's label; a decision on an item that is not an administrative licence is
/// named 准予办理 / 不予办理, not 准予许可 / 不予许可.
pub(crate) fn action_label(ctx: &Ctx, action: &str, licensing: bool) -> String {
    let action = match (action, licensing) {
        ("denied", false) => "refused",
        ("approved", false) => "agreed",
        (other, _) => other,
    };
    ctx.t()
        .lookup(&format!("case.action.{action}"))
        .map_or_else(|| action.to_string(), String::from)
}

/// A timeline note as shown: a look at personal data (`公民身份号码（核对身份证件）`) is
/// recorded in Chinese and read with the reason's English name on English pages, and
/// departments are named in the page's language; other words are as people wrote them.
pub(crate) fn log_note(ctx: &Ctx, depts: &crate::page::DeptNames, action: &str, note: &str) -> String {
    let note = depts.in_text(note);
    if action != "value_revealed" || !ctx.t().is_en() {
        return note;
    }
    let mut shown = note;
    for r in tongban_hall::RevealReason::ALL {
        shown = shown.replace(&format!("（{}", r.name_zh()), &format!(" ({}", r.name_en()));
    }
    shown.replace('）', ")").replacen('：', ": ", 1)
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
    log: Vec<(String, String, String)>,
    /// The answers the applicant may correct: (code, label, value, the choices of a choice).
    supplement_fields: Vec<Correctable>,
    can_withdraw: bool,
    just_submitted: bool,
    /// The rating given, as (level, comment).
    rating: Option<(String, String)>,
    /// The five levels to choose from, best first, when the case can be rated now.
    levels: Vec<(&'static str, String)>,
    materials: Vec<super::materials::MaterialRow>,
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
    let log = v
        .log
        .iter()
        .filter(|e| e.public)
        .map(|e| {
            (
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
            Ok(item) => questions(&item)
                .iter()
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
        materials: super::materials::material_rows(ctx, &v.materials),
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
        log,
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
    let refuse = |field: &str, msg: &str| {
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
        return my_case_page(&state, &ctx, &id, Some(refuse("files", &msg)), false).await;
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
