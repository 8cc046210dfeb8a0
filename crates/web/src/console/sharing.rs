//! Sharing in the console: requests with their working-day deadlines (yellow when close, red when
//! past), one page per request with the actions the viewer may take at its stage, and grants
//! with revocation.

use super::first;
use crate::AppState;
use crate::context::IdPath;
use crate::context::Staff;
use crate::context::{CsrfForm, Ctx, repeated};
use crate::errors::{FormOutcome, catalog_form, catalog_page};
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use std::collections::HashMap;
use tongban_catalog::{
    Deadline, Decision, GrantFilter, GrantId, GrantTerms, GrantUse, Grantee, RefusedBy, RequestFilter,
    RequestId, RequestStatus, RequestView, Resolution, Review, Warning,
};
use tongban_kernel::{Page, Permission, msg};

struct RequestRow {
    id: String,
    resource: String,
    requester: String,
    provider: String,
    status: &'static str,
    due: String,
    warning: &'static str,
    warning_label: &'static str,
}

struct GrantRow {
    id: String,
    resource: String,
    grantee: String,
    fields: String,
    /// The fields given in clear text, by name (empty: every personal field stays masked).
    clear: String,
    /// Why clear text was allowed.
    clear_basis: String,
    /// What it may be used for, by name.
    uses: String,
    expires: String,
    revocable: bool,
}

#[derive(Template)]
#[template(path = "console/sharing.html")]
struct SharingPage {
    c: Chrome,
    requests: Vec<RequestRow>,
    grants: Vec<GrantRow>,
}

fn warning(t: crate::i18n::Tr, d: Option<&Deadline>) -> (&'static str, &'static str) {
    match d.and_then(|d| d.warning) {
        Some(Warning::Yellow) => ("warn-yellow", t.s("sharing.due_soon")),
        Some(Warning::Red) => ("warn-red", t.s("sharing.overdue")),
        None => ("", ""),
    }
}

fn grantee_label(g: &Grantee) -> String {
    match g {
        Grantee::Department { path, .. } => tongban_catalog::dept_code(path).to_string(),
        Grantee::ApiClient { id, .. } => id.clone(),
    }
}

/// Every department's name by path (names are public), in the page's language.
async fn department_names(
    state: &AppState,
    t: crate::i18n::Tr,
) -> Result<HashMap<String, String>, PageError> {
    Ok(state
        .identity
        .department_names()
        .await?
        .into_iter()
        .map(|(path, zh, en)| (path.as_str().to_string(), t.pick(&zh, &en).to_string()))
        .collect())
}

/// A grantee as people know it: its department's name, or the code when there is none.
fn grantee_name(departments: &HashMap<String, String>, g: &Grantee) -> String {
    match g {
        Grantee::Department { path, .. } => departments
            .get(path.as_str())
            .cloned()
            .unwrap_or_else(|| grantee_label(g)),
        other => grantee_label(other),
    }
}

/// A field's name in `resource`, or its code when the resource or field is unknown.
fn field_name(resource: Option<&tongban_catalog::Resource>, code: &str) -> String {
    resource
        .and_then(|r| r.fields.iter().find(|f| f.code == code))
        .map_or_else(|| code.to_string(), |f| f.name_zh.clone())
}

pub(super) async fn sharing(State(state): State<AppState>, ctx: Ctx, Staff(me): Staff) -> PageResult {
    let t = ctx.t();
    // Names, not codes: departments (names are public) and each resource's fields.
    let departments = department_names(&state, t).await?;
    let requests = state
        .catalog
        .list_requests(&me.principal, &RequestFilter::default(), Page::new(200, 0))
        .await?;
    let grants = state
        .catalog
        .list_grants(&me.principal, &GrantFilter::default(), Page::new(200, 0))
        .await?;
    let requests = requests
        .items
        .iter()
        .map(|v| {
            let r = &v.request;
            let (warning, warning_label) = warning(t, v.deadline.as_ref());
            RequestRow {
                id: r.id.to_string(),
                resource: format!("{} {}", r.resource_code, r.resource_name_zh),
                requester: grantee_name(&departments, &r.requester),
                provider: r.provider.name_zh.clone(),
                status: t.pick(r.status.name_zh(), r.status.name_en()),
                due: v
                    .deadline
                    .as_ref()
                    .map(|d| d.reading.due.to_string())
                    .unwrap_or_default(),
                warning,
                warning_label,
            }
        })
        .collect();
    let today = state.catalog.today();
    let mut resources = HashMap::new();
    for g in &grants.items {
        if !resources.contains_key(&g.resource_code)
            && let Ok(r) = state.catalog.resource_by_code_cached(&g.resource_code).await
        {
            resources.insert(g.resource_code.clone(), r);
        }
    }
    let sep = t.pick("、", ", ");
    let grants = grants
        .items
        .iter()
        .map(|g| {
            let resource = resources.get(&g.resource_code);
            let name_of = |code: &String| field_name(resource, code);
            GrantRow {
                id: g.id.to_string(),
                resource: resource
                    .map(|r| r.name_zh.clone())
                    .unwrap_or_else(|| g.resource_code.clone()),
                grantee: grantee_name(&departments, &g.grantee),
                fields: g.fields.iter().map(name_of).collect::<Vec<_>>().join(sep),
                clear: g.clear_fields.iter().map(name_of).collect::<Vec<_>>().join(sep),
                clear_basis: t.half(&g.clear_basis).to_string(),
                uses: g
                    .uses
                    .iter()
                    .map(|u| t.pick(u.name_zh(), u.name_en()))
                    .collect::<Vec<_>>()
                    .join(sep),
                expires: g.expires_on.to_string(),
                revocable: g.is_effective(today)
                    && (me
                        .principal
                        .allows(Permission::ManageGrants, Some(&g.provider.path))
                        || me
                            .principal
                            .allows(Permission::ReviewSharing, Some(&g.provider.path))),
            }
        })
        .collect();
    Ok(render(&SharingPage {
        c: ctx.chrome(t.s("sharing.title")),
        requests,
        grants,
    }))
}

struct StepRow {
    stage: &'static str,
    started: String,
    due: String,
    finished: String,
    note: String,
}

#[derive(Template)]
#[template(path = "console/request.html")]
struct RequestPage {
    c: Chrome,
    id: String,
    facts: Vec<(&'static str, String)>,
    steps: Vec<StepRow>,
    warning: &'static str,
    warning_label: &'static str,
    fields: Vec<(String, String, bool)>,
    /// (code, name, ticked) of what the grant may be used for.
    uses: Vec<(&'static str, &'static str, bool)>,
    can_review: bool,
    can_decide: bool,
    can_dispute: bool,
    can_resolve: bool,
    can_withdraw: bool,
}

async fn request_page(state: &AppState, ctx: &Ctx, id: &str, mut c: Chrome) -> PageResult {
    let me = ctx.require_staff()?.clone();
    let t = ctx.t();
    let Ok(id) = RequestId::parse("id", id) else {
        return Err(PageError::NotFound);
    };
    let v: RequestView = state.catalog.get_request(&me.principal, &id).await?;
    let r = &v.request;
    let cal = state.catalog.calendar();
    let mut steps = Vec::new();
    for (stage, step) in [
        ("sharing.stage_review", &r.review),
        ("sharing.stage_decision", &r.decision),
        ("sharing.stage_dispute", &r.dispute),
    ] {
        if let Some(s) = step {
            let due = s
                .clock
                .read(cal, state.catalog.today(), 1)
                .map(|x| x.due.to_string())
                .unwrap_or_default();
            steps.push(StepRow {
                stage: t.s(stage),
                started: s.clock.started.to_string(),
                due,
                finished: s.clock.finished.map(|d| d.to_string()).unwrap_or_default(),
                note: s.note.clone(),
            });
        }
    }
    let resource = state.catalog.resource_by_code_cached(&r.resource_code).await.ok();
    let field_name = |code: &String| field_name(resource.as_ref(), code);
    let requester = grantee_name(&department_names(state, t).await?, &r.requester);
    let mut facts = vec![
        (
            "sharing.resource",
            format!("{} {}", r.resource_code, r.resource_name_zh),
        ),
        ("sharing.requester", requester),
        ("catalog.provider", r.provider.name_zh.clone()),
        (
            "field.status",
            t.pick(r.status.name_zh(), r.status.name_en()).to_string(),
        ),
        (
            "sharing.fields",
            r.fields
                .iter()
                .map(field_name)
                .collect::<Vec<_>>()
                .join(t.pick("、", ", ")),
        ),
        ("sharing.purpose", r.purpose.clone()),
        ("sharing.scenario", r.scenario.clone()),
        ("catalog.legal_basis", r.legal_basis.clone()),
        ("sharing.valid_until", r.valid_until.to_string()),
        ("sharing.filed_on", r.filed_on.to_string()),
    ];
    if let Some(refusal) = &r.refusal {
        facts.push(("sharing.refusal", refusal.reasons.clone()));
    }
    if !r.dispute_reasons.is_empty() {
        facts.push(("sharing.dispute_reasons", r.dispute_reasons.clone()));
    }
    let (warning, warning_label) = warning(t, v.deadline.as_ref());
    let requester_path = r.requester.path();
    let is_requester = me
        .principal
        .department
        .as_ref()
        .is_some_and(|d| requester_path.contains(d))
        && me
            .principal
            .allows(Permission::RequestSharing, Some(requester_path));
    let both = |p: Permission| {
        me.principal.allows(p, Some(&r.provider.path)) && me.principal.allows(p, Some(requester_path))
    };
    let status = r.status;
    let failed = !c.errors.is_empty();
    c.title = t.s("sharing.request").to_string();
    // What the grant may be used for: ordinary sharing ticked, or what a refused form held.
    let uses = GrantUse::ALL
        .iter()
        .map(|u| {
            let on = match c.typed.get("use") {
                Some(ticked) => ticked.split(',').any(|x| x == u.code()),
                None => tongban_catalog::DEFAULT_USES.contains(u),
            };
            (u.code(), t.pick(u.name_zh(), u.name_en()), on)
        })
        .collect();
    let mut resp = render(&RequestPage {
        c,
        id: r.id.to_string(),
        facts,
        steps,
        warning,
        warning_label,
        fields: r
            .fields
            .iter()
            .map(|f| (f.clone(), field_name(f), true))
            .collect(),
        uses,
        can_review: status == RequestStatus::InReview && both(Permission::ReviewSharing),
        can_decide: status == RequestStatus::WithProvider
            && me
                .principal
                .allows(Permission::DecideSharing, Some(&r.provider.path)),
        can_dispute: status == RequestStatus::Refused
            && r.refusal.as_ref().is_some_and(|f| f.by == RefusedBy::Provider)
            && r.dispute.is_none()
            && is_requester,
        can_resolve: status == RequestStatus::Disputed && both(Permission::ReviewSharing),
        can_withdraw: status.is_open() && is_requester,
    });
    if failed {
        *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

/// The step just done, carried to the page it redirects to.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct DoneQuery {
    done: Option<String>,
}

/// `GET /console/sharing/{id}`; after a step (`?done=<action>`) it says what was done.
pub(super) async fn request(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<DoneQuery>,
) -> PageResult {
    let mut c = ctx.chrome("");
    let t = ctx.t();
    c.notice = q.done.and_then(|a| {
        let key = match a.as_str() {
            "approve" => "sharing.done_approve",
            "reject" => "sharing.done_reject",
            "grant" | "resolve_grant" => "sharing.done_grant",
            "refuse" | "uphold" => "sharing.done_refuse",
            "dispute" => "sharing.done_dispute",
            "withdraw" => "sharing.done_withdraw",
            _ => return None,
        };
        Some(t.s(key).to_string())
    });
    request_page(&state, &ctx, &id, c).await
}

/// A step on a request, as its form posts it (values trimmed): `field`, `clear` and `use`
/// repeat, once per ticked box.
#[derive(serde::Deserialize)]
#[serde(from = "Vec<(String, String)>")]
pub(super) struct StepForm {
    /// Which step: `approve`, `grant`, `refuse`, `withdraw` ….
    action: String,
    note: String,
    reasons: String,
    fields: Vec<String>,
    clear_fields: Vec<String>,
    clear_basis: String,
    uses: Vec<String>,
}

impl From<Vec<(String, String)>> for StepForm {
    fn from(body: Vec<(String, String)>) -> Self {
        let value = |k: &str| first(&body, k).trim().to_string();
        StepForm {
            action: value("action"),
            note: value("note"),
            reasons: value("reasons"),
            fields: repeated(&body, "field"),
            clear_fields: repeated(&body, "clear"),
            clear_basis: value("clear_basis"),
            uses: repeated(&body, "use"),
        }
    }
}

/// One endpoint for every step: the form's `action` says which.
pub(super) async fn act(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(me): Staff,
    IdPath(rid): IdPath<RequestId>,
    CsrfForm(form): CsrfForm<StepForm>,
) -> PageResult {
    let terms = || GrantTerms {
        fields: Some(form.fields.clone()).filter(|f| !f.is_empty()),
        clear_fields: form.clear_fields.clone(),
        clear_basis: form.clear_basis.clone(),
        uses: form.uses.iter().filter_map(|u| GrantUse::parse(u)).collect(),
        note: form.note.clone(),
        ..Default::default()
    };
    let p = &me.principal;
    let c = &state.catalog;
    let action = &form.action;
    let done = match action.as_str() {
        "approve" => {
            c.review(
                p,
                &rid,
                Review::Approve {
                    note: form.note.clone(),
                },
            )
            .await
        }
        "reject" => {
            c.review(
                p,
                &rid,
                Review::Reject {
                    reasons: form.reasons.clone(),
                },
            )
            .await
        }
        "grant" => c.decide(p, &rid, Decision::Grant(terms())).await,
        "refuse" => {
            c.decide(
                p,
                &rid,
                Decision::Refuse {
                    reasons: form.reasons.clone(),
                },
            )
            .await
        }
        "dispute" => c.dispute(p, &rid, &form.reasons).await,
        "resolve_grant" => c.resolve_dispute(p, &rid, Resolution::Grant(terms())).await,
        "uphold" => {
            c.resolve_dispute(
                p,
                &rid,
                Resolution::Uphold {
                    reasons: form.reasons.clone(),
                },
            )
            .await
        }
        "withdraw" => c.withdraw(p, &rid).await,
        _ => return Err(PageError::BadRequest(msg!("unknown-action-field"))),
    };
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/console/sharing/{rid}?done={action}")).into_response()),
        Err(e) => match catalog_form(e, "reasons") {
            FormOutcome::Field(field, msg) => {
                let mut chrome = ctx.chrome("");
                chrome.add_error(&field, &msg);
                // The uses ticked are kept (several values, joined).
                chrome.typed.insert("use".into(), form.uses.join(","));
                request_page(&state, &ctx, rid.as_str(), chrome).await
            }
            FormOutcome::Page(p) => Err(p),
        },
    }
}

/// Why a grant ends.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct RevokeForm {
    reason: String,
}

pub(super) async fn revoke(
    State(state): State<AppState>,
    Staff(me): Staff,
    IdPath(gid): IdPath<GrantId>,
    CsrfForm(form): CsrfForm<RevokeForm>,
) -> PageResult {
    match state
        .catalog
        .revoke_grant(&me.principal, &gid, form.reason.trim())
        .await
    {
        Ok(_) => Ok(Redirect::to("/console/sharing").into_response()),
        Err(e) => Err(catalog_page(e)),
    }
}
