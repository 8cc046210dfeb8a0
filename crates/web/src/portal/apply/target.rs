//! What an application is for: a service, or a bundle taken as one item, and the journey
//! markers its routes are built from.

use crate::AppState;
use crate::context::Ctx;
use crate::errors::hall_page;
use crate::page::PageError;
use std::collections::BTreeMap;
use tongban_hall::{ItemType, ServiceItem, ServiceItemId, bundle_fields, bundle_materials};

/// What an application is for: one service item, or a bundle of them (一件事一次办), which the
/// journey treats as one item whose fields and materials are the union of its items'.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(in crate::portal) enum Target {
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
            Target::Service => match state.hall.item_by_code(code).await.map_err(hall_page) {
                Ok(i) if i.takes_applications() => Ok(i),
                Ok(_) => Err(PageError::NotFound),
                Err(e) => Err(e),
            },
            Target::Bundle => bundle_as_item(state, code).await,
        }
    }
}

/// The bundle at `code` as one item for the journey: the union of its items' fields and
/// materials, the first item's department (for display; prefill reads as each item's own), the
/// longest promised limit.
async fn bundle_as_item(state: &AppState, code: &str) -> Result<ServiceItem, PageError> {
    let bundle = state.hall.bundle_by_code(code).await.map_err(hall_page)?;
    let items = state.hall.bundle_items(&bundle).await.map_err(hall_page)?;
    if !bundle.active || items.is_empty() || !items.iter().all(ServiceItem::takes_applications) {
        return Err(PageError::NotFound);
    }
    let (fields, _) = bundle_fields(&items);
    let first = &items[0];
    Ok(ServiceItem {
        id: ServiceItemId(bundle.id.to_string()),
        code: bundle.code.clone(),
        name: bundle.name.clone(),
        name_en: String::new(),
        department: first.department.clone(),
        item_type: ItemType::PublicService,
        legal_basis: String::new(),
        conditions: bundle.description.clone(),
        materials: bundle_materials(&items),
        fields,
        fees: Vec::new(),
        statutory_days: items.iter().map(|i| i.statutory_days).max().unwrap_or_default(),
        promised_days: items.iter().map(|i| i.promised_days).max().unwrap_or_default(),
        visits: items.iter().map(|i| i.visits).max().unwrap_or_default(),
        active: true,
        licence: None,
        topics: Vec::new(),
        life_events: Vec::new(),
        workflow_version: 1,
        created: first.created,
        updated: first.updated,
        version: bundle.version,
    })
}

/// The routes of one kind of application: `/services/{code}/…` or `/bundles/{code}/…`. The
/// journey's handlers are the same for both, generic over this marker.
pub(in crate::portal) trait Journey: Send + Sync + 'static {
    /// What the routes apply for.
    const TARGET: Target;
}

/// `/services/{code}/…`: an application for one service.
pub(in crate::portal) struct ForService;

impl Journey for ForService {
    const TARGET: Target = Target::Service;
}

/// `/bundles/{code}/…`: an application for a bundle (一件事一次办).
pub(in crate::portal) struct ForBundle;

impl Journey for ForBundle {
    const TARGET: Target = Target::Bundle;
}
