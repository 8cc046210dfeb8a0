//! The data resource catalog in the console: browse and filter, a resource with its 信息项,
//! versions and sharing terms, publishing, and filing a sharing request.

use super::first;
use crate::AppState;
use crate::context::Query;
use crate::context::Staff;
use crate::context::{CsrfForm, Ctx, repeated};
use crate::errors::{FormOutcome, catalog_form, catalog_page};
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render, urlencode};
use crate::portal::NoFields;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use tongban_catalog::{Grantee, NewRequest, Resource, ResourceFilter, ResourceStatus, SharingClass};
use tongban_kernel::{Page, Permission, Principal, msg};

/// The requesting department of a staff principal, as the catalog names grantees.
pub(super) async fn own_department(state: &AppState, p: &Principal) -> Option<Grantee> {
    let path = p.department.clone()?;
    let depts = state.identity.directory().await.ok()?;
    let d = depts.into_iter().find(|d| d.path == path)?;
    Some(Grantee::Department {
        id: d.id.to_string(),
        path,
    })
}

struct ResourceRow {
    code: String,
    name: String,
    provider: String,
    sharing: &'static str,
    sharing_class: &'static str,
    open: &'static str,
    version: u32,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "console/catalog.html")]
struct CatalogPage {
    c: Chrome,
    q: String,
    class: String,
    classes: Vec<(&'static str, &'static str)>,
    rows: Vec<ResourceRow>,
    total: u64,
    prev: Option<String>,
    next: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct CatalogQuery {
    q: String,
    class: String,
    page: u64,
}

pub(super) async fn catalog(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(me): Staff,
    Query(q): Query<CatalogQuery>,
) -> PageResult {
    let t = ctx.t();
    let page_no = q.page.max(1);
    let page = Page::number(page_no, 50);
    let filter = ResourceFilter {
        text: Some(q.q.trim().to_string()).filter(|s| !s.is_empty()),
        sharing_class: SharingClass::parse(&q.class),
        ..Default::default()
    };
    let list = state.catalog.list_resources(&me.principal, &filter, page).await?;
    let rows = list
        .items
        .iter()
        .map(|r| ResourceRow {
            code: r.code.clone(),
            name: t.pick(&r.name_zh, &r.name_en).to_string(),
            provider: r.provider.name_zh.clone(),
            sharing: t.pick(r.sharing.class.name_zh(), r.sharing.class.name_en()),
            sharing_class: r.sharing.class.code(),
            open: t.pick(r.open_class.name_zh(), r.open_class.name_en()),
            version: r.current_version,
            status: t.pick(r.status.name_zh(), r.status.name_en()),
        })
        .collect();
    let link = |n: u64| {
        format!(
            "/console/catalog?q={}&class={}&page={n}",
            urlencode(&q.q),
            urlencode(&q.class)
        )
    };
    Ok(render(&CatalogPage {
        c: ctx.chrome(t.s("catalog.title")),
        q: q.q.clone(),
        class: q.class.clone(),
        classes: SharingClass::ALL
            .iter()
            .map(|c| (c.code(), t.pick(c.name_zh(), c.name_en())))
            .collect(),
        rows,
        total: list.total,
        prev: (page_no > 1).then(|| link(page_no - 1)),
        next: (page.offset + u64::from(page.limit) < list.total).then(|| link(page_no + 1)),
    }))
}

struct FieldRow {
    code: String,
    name: String,
    data_type: &'static str,
    sensitivity: &'static str,
    personal: bool,
    key: bool,
    rules: String,
}

struct VersionRow {
    version: u32,
    rows: u64,
    quality: String,
    created: String,
}

#[derive(Template)]
#[template(path = "console/resource.html")]
struct ResourcePage {
    c: Chrome,
    r: Resource,
    name: String,
    facts: Vec<(&'static str, String)>,
    fields: Vec<FieldRow>,
    versions: Vec<VersionRow>,
    can_publish: bool,
    can_request: bool,
    can_upload: bool,
}

pub(super) async fn resource(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(me): Staff,
    Path(code): Path<String>,
) -> PageResult {
    let t = ctx.t();
    let r = state.catalog.resource_by_code(&me.principal, &code).await?;
    let versions = state.catalog.resource_versions(&me.principal, &r.id).await?;
    let zone = &state.settings.zone;
    let facts = vec![
        ("catalog.provider", r.provider.name_zh.clone()),
        ("catalog.summary", r.summary.clone()),
        (
            "catalog.classification",
            format!(
                "{} · {} {} {}",
                t.pick(r.classification.class.name_zh(), r.classification.class.name_en()),
                r.classification.category,
                r.classification.item,
                r.classification.detail
            ),
        ),
        (
            "catalog.sharing",
            t.pick(r.sharing.class.name_zh(), r.sharing.class.name_en())
                .to_string(),
        ),
        ("catalog.condition", r.sharing.condition.clone()),
        ("catalog.legal_basis", r.sharing.legal_basis.clone()),
        (
            "catalog.open",
            t.pick(r.open_class.name_zh(), r.open_class.name_en()).to_string(),
        ),
        (
            "catalog.update_cycle",
            t.pick(r.update_cycle.name_zh(), r.update_cycle.name_en())
                .to_string(),
        ),
        (
            "catalog.published_on",
            r.published_on.map(|d| d.to_string()).unwrap_or_default(),
        ),
        ("catalog.version", r.current_version.to_string()),
        (
            "field.status",
            t.pick(r.status.name_zh(), r.status.name_en()).to_string(),
        ),
    ];
    let fields = r
        .fields
        .iter()
        .map(|f| FieldRow {
            code: f.code.clone(),
            name: f.name_zh.clone(),
            data_type: t.pick(f.data_type.name_zh(), f.data_type.name_en()),
            sensitivity: t.pick(f.sensitivity.name_zh(), f.sensitivity.name_en()),
            personal: f.sensitivity == tongban_catalog::Sensitivity::Personal,
            key: f.is_key,
            rules: f.rules.iter().map(|r| r.code()).collect::<Vec<_>>().join("、"),
        })
        .collect();
    let versions = versions
        .iter()
        .map(|v| VersionRow {
            version: v.version,
            rows: v.row_count,
            quality: format!("{:.0}%", v.quality_score * 100.0),
            created: v.created.display_in(zone),
        })
        .collect();
    let provider_scope = Some(&r.provider.path);
    let is_provider = me
        .principal
        .department
        .as_ref()
        .is_some_and(|d| r.provider.path.contains(d));
    let can_publish =
        r.status == ResourceStatus::Draft && me.principal.allows(Permission::ManageCatalog, provider_scope);
    let can_request = r.status == ResourceStatus::Published
        && r.sharing.class != SharingClass::NotShared
        && !is_provider
        && me.principal.allows_somewhere(Permission::RequestSharing);
    let can_upload =
        r.status != ResourceStatus::Retired && me.principal.allows(Permission::LoadData, provider_scope);
    let name = t.pick(&r.name_zh, &r.name_en).to_string();
    Ok(render(&ResourcePage {
        c: ctx.chrome(&name),
        name,
        facts,
        fields,
        versions,
        can_publish,
        can_request,
        can_upload,
        r,
    }))
}

pub(super) async fn publish(
    State(state): State<AppState>,
    Staff(me): Staff,
    Path(code): Path<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let r = state.catalog.resource_by_code(&me.principal, &code).await?;
    match state.catalog.publish_resource(&me.principal, &r.id).await {
        Ok(r) => Ok(Redirect::to(&format!("/console/catalog/{}", urlencode(&r.code))).into_response()),
        Err(e) => Err(catalog_page(e)),
    }
}

#[derive(Template)]
#[template(path = "console/request_new.html")]
struct RequestPage {
    c: Chrome,
    code: String,
    name: String,
    fields: Vec<(String, String, bool, bool)>,
    texts: Vec<(&'static str, &'static str, String, &'static str)>,
    valid_until: String,
}

/// A sharing request as the form posts it: `field` repeats, once per ticked field.
#[derive(Deserialize, Default)]
#[serde(from = "Vec<(String, String)>")]
pub(super) struct RequestForm {
    fields: Vec<String>,
    purpose: String,
    scenario: String,
    legal_basis: String,
    valid_until: String,
}

impl From<Vec<(String, String)>> for RequestForm {
    fn from(body: Vec<(String, String)>) -> Self {
        RequestForm {
            fields: repeated(&body, "field"),
            purpose: first(&body, "purpose"),
            scenario: first(&body, "scenario"),
            legal_basis: first(&body, "legal_basis"),
            valid_until: first(&body, "valid_until"),
        }
    }
}

async fn request_page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    form: &RequestForm,
    mut c: Chrome,
) -> PageResult {
    let me = ctx.require_staff()?.clone();
    let t = ctx.t();
    let r = state.catalog.resource_by_code(&me.principal, code).await?;
    let fields = r
        .fields
        .iter()
        .map(|f| {
            let personal = f.sensitivity == tongban_catalog::Sensitivity::Personal;
            (
                f.code.clone(),
                f.name_zh.clone(),
                form.fields.contains(&f.code),
                personal,
            )
        })
        .collect();
    let default_until = state
        .catalog
        .today()
        .checked_add(jiff::Span::new().days(365))
        .map(|d| d.to_string())
        .unwrap_or_default();
    let failed = !c.errors.is_empty();
    c.title = t.s("sharing.new").to_string();
    let mut resp = render(&RequestPage {
        c,
        code: r.code.clone(),
        name: t.pick(&r.name_zh, &r.name_en).to_string(),
        fields,
        texts: vec![
            (
                "purpose",
                "sharing.purpose",
                form.purpose.clone(),
                "sharing.purpose_hint",
            ),
            ("scenario", "sharing.scenario", form.scenario.clone(), ""),
            (
                "legal_basis",
                "catalog.legal_basis",
                form.legal_basis.clone(),
                "sharing.basis_hint",
            ),
        ],
        valid_until: Some(form.valid_until.clone())
            .filter(|v| !v.is_empty())
            .unwrap_or(default_until),
    });
    if failed {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

pub(super) async fn new_request(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> PageResult {
    let c = ctx.chrome("");
    request_page(&state, &ctx, &code, &RequestForm::default(), c).await
}

pub(super) async fn file_request(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(me): Staff,
    Path(code): Path<String>,
    CsrfForm(form): CsrfForm<RequestForm>,
) -> PageResult {
    let mut c = ctx.chrome("");
    let Some(requester) = own_department(&state, &me.principal).await else {
        return Err(PageError::Forbidden(msg!("must-belong-to-department")));
    };
    let resource = state.catalog.resource_by_code(&me.principal, &code).await?;
    let valid_until = match form.valid_until.trim().parse::<jiff::civil::Date>() {
        Ok(d) => d,
        Err(_) => {
            c.add_error("valid_until", msg!("date-must-be-y-m-d"));
            return request_page(&state, &ctx, &code, &form, c).await;
        }
    };
    let new = NewRequest {
        requester,
        resource: resource.id,
        fields: form.fields.clone(),
        purpose: form.purpose.trim().to_string(),
        scenario: form.scenario.trim().to_string(),
        legal_basis: form.legal_basis.trim().to_string(),
        valid_until,
    };
    match state.catalog.request_sharing(&me.principal, new).await {
        Ok(v) => Ok(Redirect::to(&format!("/console/sharing/{}", v.request.id)).into_response()),
        Err(e) => match catalog_form(e, "purpose") {
            FormOutcome::Field(field, msg) => {
                c.add_error(&field, &msg);
                request_page(&state, &ctx, &code, &form, c).await
            }
            FormOutcome::Page(p) => Err(p),
        },
    }
}
