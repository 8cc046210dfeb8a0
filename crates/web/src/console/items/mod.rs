//! 事项管理 in the console: department administrators (`manage_service_items`) list their
//! departments' service items, create one, edit its guide, materials, form fields, fees and
//! e-licence, and save new versions of its workflow. Everything is one plain form per page —
//! lists are rows of inputs with blank rows to add more (and a button for further rows), no
//! JavaScript. The hall checks everything and names the bad field; the page puts the message
//! against the row's input. Workflow saves are new versions: running cases keep theirs.
//!
//! The files: `rows` is the numbered-rows form both editors post; `form` turns an item into
//! the editor's values and back; `list`, `editor` and `workflow` are the three screens.

mod editor;
mod form;
mod list;
mod rows;
mod workflow;

pub(in crate::console) use editor::{create_item, edit_item, new_item, update_item};
pub(in crate::console) use list::list;
pub(in crate::console) use workflow::{save_workflow, workflow};

use crate::AppState;
use crate::context::Ctx;
use crate::errors::hall_page;
use crate::page::PageError;
use tongban_hall::ServiceItem;
use tongban_kernel::{Permission, Principal, msg};

/// May the signed-in member of staff manage items somewhere? Otherwise the pages (items and
/// bundles) are refused.
pub(in crate::console) fn require_manager(ctx: &Ctx) -> Result<Principal, PageError> {
    let user = ctx.require_staff()?;
    if user.principal.allows_somewhere(Permission::ManageServiceItems) {
        Ok(user.principal.clone())
    } else {
        Err(PageError::Forbidden(msg!("service-item-rights-required")))
    }
}

/// The departments `p` manages items for: (path, name).
async fn managed_departments(state: &AppState, p: &Principal) -> Result<Vec<(String, String)>, PageError> {
    super::department_choices(
        state,
        |d| p.allows(Permission::ManageServiceItems, Some(&d.path)),
        |d| d.path.0.clone(),
    )
    .await
}

async fn managed_item(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
) -> Result<(Principal, ServiceItem), PageError> {
    let p = require_manager(ctx)?;
    let item = state.hall.item_by_code(code).await.map_err(hall_page)?;
    if !p.allows(Permission::ManageServiceItems, Some(&item.department.path)) {
        return Err(PageError::Forbidden(msg!("only-your-departments-items")));
    }
    Ok((p, item))
}
