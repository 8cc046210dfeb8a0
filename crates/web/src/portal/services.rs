//! The citizen's side of the service hall (一网通办), GOV.UK style and without JavaScript: the
//! list of services by department, topic, life event and name, and each service's guide
//! (办事指南). The application is [`super::apply`]'s; the applicant's cases are
//! [`super::my_cases`]'s.

use crate::AppState;
use crate::context::Ctx;
use crate::context::Query;
use crate::errors::hall_page;
use crate::markup::Named;
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render};
use askama::Template;
use axum::extract::{Path, State};
use serde::Deserialize;
use tongban_hall::ServiceItem;

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
        // No workflow yet (not taking applications): no steps to show.
        Err(tongban_hall::Error::NotFound { .. }) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    // What the applicant hands in: the form's file fields (a photo), then the materials.
    let uploads = i
        .fields
        .iter()
        .filter(|f| matches!(f.kind, tongban_hall::FieldKind::File))
        .map(|f| MaterialRow {
            name: f.label.clone(),
            required: f.required,
            exempt: false,
            source: String::new(),
        });
    let materials = uploads
        .chain(i.materials.iter().map(|m| MaterialRow {
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
        }))
        .collect();
    let fields = i.questions().map(|f| (f.label.clone(), f.required)).collect();
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
