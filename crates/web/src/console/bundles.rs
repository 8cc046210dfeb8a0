//! 一件事管理 in the console: administrators who manage service items define and edit the
//! bundles (一件事一次办) that combine items of several departments into one application — the
//! name, the life event, the description, which items in which order, and whether it takes
//! applications. The hall checks that the actor manages every item's department and that the
//! items' forms agree; its refusals are shown against the input they name. Applications already
//! made keep their cases.

use super::items::require_manager;
use crate::AppState;
use crate::context::Query;
use crate::context::{CsrfForm, Ctx};
use crate::errors::{hall_field, hall_page};
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use std::collections::HashMap;
use tongban_hall::{Bundle, BundleInput, MAX_BUNDLE_ITEMS};

/// Blank item rows offered under a bundle's items.
const BLANK_ROWS: usize = 2;

// ---------------------------------------------------------------------------------------------
// The list.

#[derive(Template)]
#[template(path = "console/bundles.html")]
struct BundlesPage {
    c: Chrome,
    bundles: Vec<Bundle>,
    /// Item names by code.
    names: HashMap<String, String>,
}

impl BundlesPage {
    fn name_of<'a>(&'a self, code: &'a str) -> &'a str {
        self.names.get(code).map_or(code, String::as_str)
    }
}

async fn item_names(state: &AppState) -> Result<Vec<(String, String)>, PageError> {
    Ok(state
        .hall
        .items(None, true)
        .await?
        .into_iter()
        .map(|i| (i.code, format!("{} · {}", i.name, i.department.name_zh)))
        .collect())
}

/// `GET /console/bundles`.
pub(super) async fn list(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    require_manager(&ctx)?;
    let bundles = state.hall.all_bundles().await?;
    Ok(render(&BundlesPage {
        c: ctx.chrome(ctx.t().s("bundles.title")),
        bundles,
        names: item_names(&state).await?.into_iter().collect(),
    }))
}

// ---------------------------------------------------------------------------------------------
// The editor.

/// The editor as posted: the bundle's own inputs, the button (`go` = `save` or `more`), and its
/// item rows `i0`, `i1`, … (an item's code each), as many as the page offered.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Posted {
    code: String,
    name: String,
    life_event: String,
    description: String,
    /// `1` when ticked; an unticked box sends nothing.
    active: String,
    version: String,
    go: String,
    #[serde(flatten)]
    rows: HashMap<String, String>,
}

/// The form as posted or as read from a bundle.
#[derive(Debug, Clone, Default)]
struct Form {
    code: String,
    name: String,
    life_event: String,
    description: String,
    active: bool,
    version: u32,
    /// Item codes by row, blanks included.
    items: Vec<String>,
}

impl Form {
    fn of(b: &Bundle) -> Form {
        let mut items = b.items.clone();
        items.resize(b.items.len() + BLANK_ROWS, String::new());
        Form {
            code: b.code.clone(),
            name: b.name.clone(),
            life_event: b.life_event.clone(),
            description: b.description.clone(),
            active: b.active,
            version: b.version,
            items,
        }
    }

    fn posted(p: &Posted) -> Form {
        let rows = (0..MAX_BUNDLE_ITEMS + BLANK_ROWS * 4)
            .filter(|i| p.rows.contains_key(&format!("i{i}")))
            .max()
            .map_or(0, |i| i + 1);
        Form {
            code: p.code.clone(),
            name: p.name.clone(),
            life_event: p.life_event.clone(),
            description: p.description.clone(),
            active: p.active == "1",
            version: p.version.trim().parse().unwrap_or(0),
            items: (0..rows)
                .map(|i| p.rows.get(&format!("i{i}")).cloned().unwrap_or_default())
                .collect(),
        }
    }

    /// The input for the hall, with the row each item came from (blank rows skipped).
    fn input(&self) -> (BundleInput, Vec<usize>) {
        let rows: Vec<usize> = (0..self.items.len())
            .filter(|&i| !self.items[i].trim().is_empty())
            .collect();
        let input = BundleInput {
            code: self.code.clone(),
            name: self.name.clone(),
            life_event: self.life_event.clone(),
            description: self.description.clone(),
            items: rows.iter().map(|&i| self.items[i].trim().to_string()).collect(),
            active: self.active,
        };
        (input, rows)
    }
}

/// The input a hall field name belongs to: `items[2]` is the third non-blank row.
fn input_of(field: &str, rows: &[usize]) -> String {
    match field
        .strip_prefix("items[")
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|n| n.parse::<usize>().ok())
    {
        Some(n) => format!("i{}", rows.get(n).copied().unwrap_or(0)),
        None if field == "items" => format!("i{}", rows.first().copied().unwrap_or(0)),
        None => field.to_string(),
    }
}

#[derive(Template)]
#[template(path = "console/bundle_edit.html")]
struct EditPage {
    c: Chrome,
    action: String,
    /// The bundle's code when editing (empty for a new one).
    code: String,
    /// (code, "name · department") of every item to choose from.
    choices: Vec<(String, String)>,
    f: Form,
}

async fn edit_page(state: &AppState, mut c: Chrome, current: Option<&Bundle>, f: Form) -> PageResult {
    let failed = !c.errors.is_empty();
    if let Some(b) = current {
        c.title.clone_from(&b.name);
    }
    let mut resp = render(&EditPage {
        c,
        action: current.map_or_else(
            || "/console/bundles/new".to_string(),
            |b| format!("/console/bundles/{}", b.code),
        ),
        code: current.map(|b| b.code.clone()).unwrap_or_default(),
        choices: item_names(state).await?,
        f,
    });
    if failed {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

/// `GET /console/bundles/new`.
pub(super) async fn new_bundle(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    require_manager(&ctx)?;
    let f = Form {
        active: true,
        items: vec![String::new(); 2 + BLANK_ROWS],
        ..Form::default()
    };
    edit_page(&state, ctx.chrome(ctx.t().s("bundles.new")), None, f).await
}

/// What the last save did, carried to the page it redirects to.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct SavedQuery {
    saved: Option<String>,
}

/// `GET /console/bundles/{code}`.
pub(super) async fn edit_bundle(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<SavedQuery>,
) -> PageResult {
    require_manager(&ctx)?;
    let bundle = state.hall.bundle_by_code(&code).await?;
    let mut c = ctx.chrome(&bundle.name);
    if q.saved.is_some() {
        c.notice = Some(ctx.t().s("bundles.saved").to_string());
    }
    edit_page(&state, c, Some(&bundle), Form::of(&bundle)).await
}

/// `POST /console/bundles/new`.
pub(super) async fn create_bundle(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<Posted>,
) -> PageResult {
    save(&state, &ctx, None, &form).await
}

/// `POST /console/bundles/{code}`.
pub(super) async fn update_bundle(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(form): CsrfForm<Posted>,
) -> PageResult {
    save(&state, &ctx, Some(code), &form).await
}

async fn save(state: &AppState, ctx: &Ctx, code: Option<String>, posted: &Posted) -> PageResult {
    let p = require_manager(ctx)?;
    let current = match &code {
        Some(code) => match state.hall.bundle_by_code(code).await {
            Ok(b) => Some(b),
            Err(e) => return Err(hall_page(e)),
        },
        None => None,
    };
    let mut f = Form::posted(posted);
    let mut c = ctx.chrome(ctx.t().s("bundles.new"));
    if posted.go == "more" {
        let rows = f.items.len() + BLANK_ROWS;
        f.items
            .resize(rows.min(MAX_BUNDLE_ITEMS + BLANK_ROWS), String::new());
        return edit_page(state, c, current.as_ref(), f).await;
    }
    let (input, rows) = f.input();
    let saved = match &current {
        Some(b) => state.hall.update_bundle(&p, &b.id, f.version, input).await,
        None => state.hall.create_bundle(&p, input).await,
    };
    match saved {
        Ok(b) => Ok(Redirect::to(&format!("/console/bundles/{}?saved=1", b.code)).into_response()),
        Err(e) => match hall_field(&e) {
            Some((field, msg)) => {
                c.add_error(&input_of(&field, &rows), &msg);
                edit_page(state, c, current.as_ref(), f).await
            }
            None => Err(hall_page(e)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_errors_land_on_the_row_they_came_from() {
        let posted: Posted = serde_urlencoded::from_str("csrf=t&i0=A&i1=&i2=B&i3=&go=save").unwrap();
        let f = Form::posted(&posted);
        assert_eq!(f.items.len(), 4);
        let (input, rows) = f.input();
        assert_eq!(input.items, ["A", "B"]);
        assert_eq!(input_of("items[1]", &rows), "i2");
        assert_eq!(input_of("items", &rows), "i0");
        assert_eq!(input_of("name", &rows), "name");
        assert!(!f.active, "an unchecked box is off");
    }
}
