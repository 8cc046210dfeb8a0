//! 一件事一次办 on the portal: a bundle's guide (its items, departments, what is asked and what
//! government already holds) and "my bundle", one timeline over every case the application
//! made. The application is [`super::apply`]'s journey over the union of the items' questions
//! and materials.

use crate::AppState;
use crate::case_text::{action_label, log_note, urgency_code};
use crate::context::Ctx;
use crate::context::Query;
use crate::context::User;
use crate::errors::hall_page;
use crate::markup::Named;
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render};
use askama::Template;
use axum::extract::{Path, State};
use tongban_hall::{BundleCaseId, MaterialSource, bundle_fields, bundle_materials};

#[derive(Template)]
#[template(path = "portal/bundle.html")]
struct GuidePage {
    c: Chrome,
    code: String,
    name: Named,
    life_event: Named,
    description: Named,
    /// (item code, name, department, promised days).
    items: Vec<(String, Named, String, u32)>,
    /// (material name, held by government).
    materials: Vec<(Named, bool)>,
    questions: usize,
    promised: u32,
}

/// `GET /bundles/{code}`: the bundle's guide.
pub(super) async fn guide(State(state): State<AppState>, ctx: Ctx, Path(code): Path<String>) -> PageResult {
    let bundle = match state.hall.bundle_by_code(&code).await {
        Ok(b) if b.active => b,
        Ok(_) => return Err(PageError::NotFound),
        Err(e) => return Err(hall_page(e)),
    };
    let items = state.hall.bundle_items(&bundle).await?;
    let (fields, _) = bundle_fields(&items);
    let t = ctx.t();
    let depts = crate::page::DeptNames::load(&state, t).await?;
    Ok(render(&GuidePage {
        c: ctx.chrome(&bundle.name),
        code: bundle.code.clone(),
        name: t.zh_text(&bundle.name),
        life_event: t.zh_text(&bundle.life_event),
        description: t.zh_text(&bundle.description),
        materials: bundle_materials(&items)
            .iter()
            .map(|m| {
                (
                    t.zh_text(&m.name),
                    matches!(m.source, MaterialSource::SharedField { .. }),
                )
            })
            .collect(),
        // File fields are asked on upload pages, not as questions.
        questions: fields
            .iter()
            .filter(|f| !matches!(f.kind, tongban_hall::FieldKind::File))
            .count(),
        promised: items.iter().map(|i| i.promised_days).max().unwrap_or_default(),
        items: items
            .iter()
            .map(|i| {
                (
                    i.code.clone(),
                    t.name(&i.name, &i.name_en),
                    depts.of(i.department.path.as_str(), &i.department.name_zh),
                    i.promised_days,
                )
            })
            .collect(),
    }))
}

struct CaseLine {
    id: String,
    number: String,
    item: Named,
    department: String,
    status: String,
    due: String,
    urgency: &'static str,
}

#[derive(Template)]
#[template(path = "portal/my_bundle.html")]
struct MinePage {
    c: Chrome,
    name: String,
    submitted: String,
    just_submitted: bool,
    cases: Vec<CaseLine>,
    /// Every case's entries, each said to be about its service.
    timeline: Vec<crate::page::TimelineEntry>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct MineQuery {
    submitted: Option<String>,
}

/// `GET /my/bundles/{id}`: every case of one bundle application on one timeline.
pub(super) async fn mine(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    Path(id): Path<String>,
    Query(q): Query<MineQuery>,
) -> PageResult {
    if tongban_kernel::id::check_uuid("id", &id).is_err() {
        return Err(PageError::NotFound);
    }
    let t = ctx.t();
    let v = state.hall.bundle_case(&user.principal, &BundleCaseId(id)).await?;
    let zone = &state.settings.zone;
    let names = crate::page::ItemNames::load(&state, t).await?;
    let depts = crate::page::DeptNames::load(&state, t).await?;
    let code_of: std::collections::HashMap<String, String> = v
        .cases
        .iter()
        .map(|c| (c.case.item_name.clone(), c.case.item_code.clone()))
        .collect();
    Ok(render(&MinePage {
        c: ctx.chrome(&v.bundle_name),
        name: v.bundle_name.clone(),
        submitted: v.submitted.display_in(zone),
        just_submitted: q.submitted.is_some(),
        cases: v
            .cases
            .iter()
            .map(|c| CaseLine {
                id: c.case.id.to_string(),
                number: c.case.number.clone(),
                item: names.of(&c.case.item_code, &c.case.item_name),
                department: depts.of(c.case.department.path.as_str(), &c.case.department.name_zh),
                status: names.status(&c.case.item_code, c.case.status),
                due: c.case.due.map(|d| d.to_string()).unwrap_or_default(),
                urgency: urgency_code(c.urgency),
            })
            .collect(),
        timeline: v
            .timeline
            .iter()
            .map(|(item, l)| {
                crate::page::TimelineEntry::new(
                    l.at.display_in(zone),
                    action_label(
                        &ctx,
                        &l.action,
                        code_of.get(item).is_some_and(|code| names.licensing(code)),
                    ),
                    log_note(&ctx, &depts, &l.action, &l.note),
                )
                .by(code_of
                    .get(item)
                    .map_or_else(|| item.clone(), |code| names.text_of(code, item)))
            })
            .collect(),
    }))
}
