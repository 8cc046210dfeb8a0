//! 字段映射: the provider's saved mapping of a resource — which source column feeds each 信息项
//! in later loads (files and pushed batches). Blank boxes leave a field to be matched by name;
//! all blank clears the saved mapping.

use crate::AppState;
use crate::context::Query;
use crate::context::Staff;
use crate::context::{CsrfForm, Ctx};
use crate::errors::{FormOutcome, pool_form};
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use std::collections::BTreeMap;
use tongban_kernel::{Principal, msg};

/// One field's row on the page.
struct Row {
    code: String,
    name: String,
    column: String,
}

#[derive(Template)]
#[template(path = "console/mapping.html")]
struct MappingPage {
    c: Chrome,
    code: String,
    name: String,
    rows: Vec<Row>,
    /// When the saved mapping was saved.
    saved: Option<String>,
}

impl MappingPage {
    /// The form input of a field: `mapping.<code>`, the name domain errors use.
    fn input(&self, code: &str) -> String {
        format!("mapping.{code}")
    }
}

/// The resource, when the actor may change its mapping (the provider's catalog managers).
async fn resource_for_mapping(
    state: &AppState,
    p: &Principal,
    code: &str,
) -> Result<tongban_catalog::Resource, PageError> {
    super::upload::provider_resource(state, p, code, msg!("only-provider-sets-mapping")).await
}

/// Renders the page with `columns` (field code → column) in the boxes.
async fn page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    columns: Option<BTreeMap<String, String>>,
    mut c: Chrome,
) -> PageResult {
    let me = ctx.require_staff()?.clone();
    let r = resource_for_mapping(state, &me.principal, code).await?;
    let saved = state.pool.saved_mapping(&me.principal, code).await?;
    let t = ctx.t();
    let columns = columns.unwrap_or_else(|| saved.as_ref().map(|s| s.mapping.clone()).unwrap_or_default());
    let rows = r
        .fields
        .iter()
        .map(|f| Row {
            code: f.code.clone(),
            name: f.name_zh.clone(),
            column: columns.get(&f.code).cloned().unwrap_or_default(),
        })
        .collect();
    c.title = t.s("mapping.title").to_string();
    Ok(render(&MappingPage {
        saved: saved.map(|s| s.saved.display_in(&state.settings.zone)),
        c,
        name: t.pick(&r.name_zh, &r.name_en).to_string(),
        code: r.code,
        rows,
    }))
}

#[derive(Deserialize, Default)]
pub(super) struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

/// `GET /console/catalog/{code}/mapping` (`?saved=1` after saving).
pub(super) async fn mapping_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<SavedQuery>,
) -> PageResult {
    let mut c = ctx.chrome("");
    if q.saved.is_some() {
        c.notice = Some(ctx.t().s("mapping.saved").to_string());
    }
    page(&state, &ctx, &code, None, c).await
}

/// The columns typed in the boxes, each named `mapping.<field>` after one of the resource's own
/// fields, so the names are only known from the resource.
#[derive(Deserialize)]
#[serde(transparent)]
pub(super) struct MappingForm(Vec<(String, String)>);

impl MappingForm {
    /// The column typed for each field (trimmed; blanks included).
    fn columns(&self) -> BTreeMap<String, String> {
        self.0
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("mapping.")?.to_owned(), v.trim().to_owned())))
            .collect()
    }
}

/// `POST /console/catalog/{code}/mapping`: `mapping.<field>` = source column, blanks left out.
pub(super) async fn save_mapping(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(me): Staff,
    Path(code): Path<String>,
    CsrfForm(form): CsrfForm<MappingForm>,
) -> PageResult {
    let given = form.columns();
    let mapping = given
        .iter()
        .filter(|(_, column)| !column.is_empty())
        .map(|(f, c)| (f.clone(), c.clone()))
        .collect();
    match state.pool.save_mapping(&me.principal, &code, mapping).await {
        Ok(_) => Ok(Redirect::to(&format!("/console/catalog/{code}/mapping?saved=1")).into_response()),
        Err(e) => match pool_form(e, "mapping") {
            FormOutcome::Field(field, msg) => {
                let mut c = ctx.chrome("");
                c.add_error(&field, &msg);
                page(&state, &ctx, &code, Some(given), c).await
            }
            FormOutcome::Page(p) => Err(p),
        },
    }
}
