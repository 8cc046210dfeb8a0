//! 政民互动 configuration in the console (`manage_interaction_rules`): the categories citizens
//! choose from (also the Open311 service list) and the time limits per kind and category — both
//! city-wide — and the routing rules (分办规则) from category and district to a department, which
//! each department administrator sets for the departments they manage. Each change is one small
//! form; the interaction domain checks it and records it as an event.

use crate::AppState;
use crate::context::IdPath;
use crate::context::{CsrfForm, Ctx};
use crate::errors::interact_page;
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render};
use crate::portal::NoFields;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::{Deserialize, Serialize};
use tongban_interact::{ItemKind, NewCategory, NewRule, RuleId};
use tongban_kernel::{Permission, Principal, msg};

struct CategoryRow {
    code: String,
    name_zh: String,
    name_en: String,
    active: bool,
}

struct RuleRow {
    id: String,
    category: String,
    district: String,
    department: String,
    /// The viewer manages the department it names.
    removable: bool,
}

#[derive(Template)]
#[template(path = "console/interact_rules.html")]
struct RulesPage {
    c: Chrome,
    /// The viewer manages categories and time limits (city-wide).
    city_wide: bool,
    categories: Vec<CategoryRow>,
    /// (kind, category name or "all", days).
    limits: Vec<(String, String, u32)>,
    /// Defaults per kind: (kind name, days).
    defaults: Vec<(String, u32)>,
    rules: Vec<RuleRow>,
    kinds: Vec<(&'static str, String)>,
    /// Departments the viewer may route to: (code, name).
    departments: Vec<(String, String)>,
}

fn require_rules(ctx: &Ctx) -> Result<Principal, PageError> {
    let user = ctx.require_staff()?;
    if user
        .principal
        .allows_somewhere(Permission::ManageInteractionRules)
    {
        Ok(user.principal.clone())
    } else {
        Err(PageError::Forbidden(msg!("interaction-rule-rights-required")))
    }
}

async fn rules_page(state: &AppState, ctx: &Ctx, p: &Principal, c: Option<Chrome>) -> PageResult {
    let t = ctx.t();
    let categories = state.interact.categories(true).await?;
    let name_of = |code: &str| {
        categories.iter().find(|c| c.code == code).map_or_else(
            || code.to_string(),
            |c| t.pick(&c.name_zh, &c.name_en).to_string(),
        )
    };
    let limits = state
        .interact
        .time_limits()
        .await?
        .into_iter()
        .map(|l| {
            (
                t.pick(l.kind.name_zh(), l.kind.name_en()).to_string(),
                l.category
                    .as_deref()
                    .map_or_else(|| t.s("rules.every_category").to_string(), name_of),
                l.days,
            )
        })
        .collect();
    let rules = state
        .interact
        .list_rules(p)
        .await?
        .into_iter()
        .map(|r| RuleRow {
            id: r.id.to_string(),
            category: name_of(&r.category),
            district: r.district.unwrap_or_default(),
            removable: p.allows(Permission::ManageInteractionRules, Some(&r.department.path)),
            department: r.department.name_zh,
        })
        .collect();
    let departments = super::department_choices(
        state,
        |d| p.allows(Permission::ManageInteractionRules, Some(&d.path)),
        |d| d.code.clone(),
    )
    .await?;
    let failed = c.as_ref().is_some_and(|c| !c.errors.is_empty());
    let mut resp = render(&RulesPage {
        c: c.unwrap_or_else(|| ctx.chrome(t.s("rules.title"))),
        city_wide: p.allows(Permission::ManageInteractionRules, None),
        categories: categories
            .iter()
            .map(|c| CategoryRow {
                code: c.code.clone(),
                name_zh: c.name_zh.clone(),
                name_en: c.name_en.clone(),
                active: c.active,
            })
            .collect(),
        limits,
        defaults: ItemKind::ALL
            .iter()
            .map(|k| {
                (
                    t.pick(k.name_zh(), k.name_en()).to_string(),
                    k.default_limit_days(),
                )
            })
            .collect(),
        rules,
        kinds: ItemKind::ALL
            .iter()
            .map(|k| (k.code(), t.pick(k.name_zh(), k.name_en()).to_string()))
            .collect(),
        departments,
    });
    if failed {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

/// `GET /console/interact/rules`.
pub(super) async fn show(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let p = require_rules(&ctx)?;
    rules_page(&state, &ctx, &p, None).await
}

/// The page again on `c` (which keeps what the form held) with the domain's refusal against
/// `default_field` (or the field it names, prefixed by the form's own prefix so each small form
/// keeps its own inputs).
async fn refused(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    mut c: Chrome,
    (prefix, default_field): (&str, &str),
    e: tongban_interact::Error,
) -> PageResult {
    let (field, msg) = match &e {
        tongban_interact::Error::Invalid(i) => (format!("{prefix}{}", i.field), i.reason.clone()),
        tongban_interact::Error::Conflict { field, reason } => (format!("{prefix}{field}"), reason.clone()),
        tongban_interact::Error::NotFound { .. } => (default_field.to_string(), e.message()),
        _ => return Err(interact_page(e)),
    };
    let known = [
        "code",
        "name_zh",
        "name_en",
        "kind",
        "category",
        "days",
        "district",
        "department",
    ];
    let field = if known.iter().any(|k| field == format!("{prefix}{k}")) {
        field
    } else {
        default_field.to_string()
    };
    c.add_error(&field, &msg);
    rules_page(state, ctx, p, Some(c)).await
}

/// A category added (`mode` = `add`) or, from its row, changed (`mode` = `update`, with
/// `cat_active`, an unticked box sending nothing).
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub(super) struct CategoryForm {
    mode: String,
    cat_code: String,
    cat_name_zh: String,
    cat_name_en: String,
    cat_active: String,
}

/// `POST /console/interact/rules/categories`: `cat_code`, `cat_name_zh`, `cat_name_en`,
/// `cat_active`, and `mode` (`add` or `update`).
pub(super) async fn save_category(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<CategoryForm>,
) -> PageResult {
    let p = require_rules(&ctx)?;
    let update = form.mode == "update";
    let new = NewCategory {
        code: form.cat_code.clone(),
        name_zh: form.cat_name_zh.clone(),
        name_en: form.cat_name_en.clone(),
    };
    let result = if update {
        state
            .interact
            .update_category(&p, new, form.cat_active == "1")
            .await
    } else {
        state.interact.add_category(&p, new).await
    };
    let Err(e) = result else {
        return Ok(Redirect::to("/console/interact/rules#categories").into_response());
    };
    let mut c = ctx.chrome(ctx.t().s("rules.title"));
    // The row forms carry no inputs of their own to mark: name the add form's code.
    if !update {
        c.keep(&form);
    }
    refused(&state, &ctx, &p, c, ("cat_", "cat_code"), e).await
}

/// A time limit: `lim_category` empty for every category.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub(super) struct LimitForm {
    lim_kind: String,
    lim_category: String,
    lim_days: String,
}

/// `POST /console/interact/rules/limits`: `lim_kind`, `lim_category` (empty: every category),
/// `lim_days`.
pub(super) async fn save_limit(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<LimitForm>,
) -> PageResult {
    let p = require_rules(&ctx)?;
    let mut c = ctx.chrome(ctx.t().s("rules.title"));
    c.keep(&form);
    let Some(kind) = ItemKind::parse(&form.lim_kind) else {
        c.add_error("lim_kind", msg!("choose-the-kind"));
        return rules_page(&state, &ctx, &p, Some(c)).await;
    };
    let Ok(days) = form.lim_days.trim().parse::<u32>() else {
        c.add_error("lim_days", msg!("must-be-working-days"));
        return rules_page(&state, &ctx, &p, Some(c)).await;
    };
    let category = Some(form.lim_category.as_str()).filter(|c| !c.trim().is_empty());
    match state.interact.set_time_limit(&p, kind, category, days).await {
        Ok(_) => Ok(Redirect::to("/console/interact/rules#limits").into_response()),
        Err(e) => refused(&state, &ctx, &p, c, ("lim_", "lim_days"), e).await,
    }
}

/// A routing rule: `rule_district` empty for anywhere, `rule_department` a department's code.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub(super) struct RuleForm {
    rule_category: String,
    rule_district: String,
    rule_department: String,
}

/// `POST /console/interact/rules/routes`: `rule_category`, `rule_district` (empty: anywhere),
/// `rule_department` (code).
pub(super) async fn save_rule(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<RuleForm>,
) -> PageResult {
    let p = require_rules(&ctx)?;
    let mut c = ctx.chrome(ctx.t().s("rules.title"));
    c.keep(&form);
    let Some(department) = super::interact::department(&state, &form.rule_department).await else {
        c.add_error("rule_department", msg!("choose-the-department"));
        return rules_page(&state, &ctx, &p, Some(c)).await;
    };
    let rule = NewRule {
        category: form.rule_category.clone(),
        district: Some(form.rule_district.clone()).filter(|d| !d.trim().is_empty()),
        department,
    };
    match state.interact.set_rule(&p, rule).await {
        Ok(_) => Ok(Redirect::to("/console/interact/rules#rules").into_response()),
        Err(e) => refused(&state, &ctx, &p, c, ("rule_", "rule_category"), e).await,
    }
}

/// `POST /console/interact/rules/routes/{id}/remove`.
pub(super) async fn remove_rule(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<RuleId>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let p = require_rules(&ctx)?;
    match state.interact.remove_rule(&p, &id).await {
        Ok(()) => Ok(Redirect::to("/console/interact/rules#rules").into_response()),
        Err(e) => Err(interact_page(e)),
    }
}
