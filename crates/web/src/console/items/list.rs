//! The list of the items an administrator manages.

use super::require_manager;
use crate::AppState;
use crate::context::Ctx;
use crate::page::PageResult;
use crate::page::{Chrome, render};
use askama::Template;
use axum::extract::State;
use tongban_kernel::Permission;

struct ItemRow {
    code: String,
    name: crate::markup::Named,
    department: String,
    kind: String,
    active: bool,
    workflow: u32,
}

#[derive(Template)]
#[template(path = "console/items.html")]
struct ItemsPage {
    c: Chrome,
    items: Vec<ItemRow>,
}

/// `GET /console/items`.
pub(in crate::console) async fn list(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let p = require_manager(&ctx)?;
    let t = ctx.t();
    let items = state.hall.items(None, true).await?;
    let depts = crate::page::DeptNames::load(&state, t).await?;
    Ok(render(&ItemsPage {
        c: ctx.chrome(t.s("items.title")),
        items: items
            .into_iter()
            .filter(|i| p.allows(Permission::ManageServiceItems, Some(&i.department.path)))
            .map(|i| ItemRow {
                kind: t.pick(i.item_type.name_zh(), i.item_type.name_en()).to_string(),
                name: t.name(&i.name, &i.name_en),
                code: i.code,
                department: depts.of(i.department.path.as_str(), &i.department.name_zh),
                active: i.active,
                workflow: i.workflow_version,
            })
            .collect(),
    }))
}
