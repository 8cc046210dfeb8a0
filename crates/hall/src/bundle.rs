//! 一件事一次办: a bundle of service items across departments for one life event (a newborn:
//! birth certificate, household registration, social security card, medical insurance). The
//! applicant fills one form — the union of the items' fields, each asked once — and gives each
//! material once; submission checks every item first and then makes one case per item in one
//! transaction, so either all exist or none. The applicant follows them on one timeline.

use crate::draft::check_submission_key;
use crate::events::{BundleCreated, BundleFacts, BundleSubmitted, BundleUpdated};
use crate::{
    CaseId, CaseView, Error, FormField, Hall, LogEntry, Material, MaterialInput, MaterialSource, NewCase,
    Prefilled, Result, ServiceItem,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, HashSet};
use tongban_db::event::With;
use tongban_db::{EventDraft, EventKind, Row, params};
use tongban_kernel::msg;
use tongban_kernel::{Millis, Permission, Principal, define_id, input};

define_id!(
    /// A bundle's id.
    BundleId
);
define_id!(
    /// One application of a bundle (the group of its cases).
    BundleCaseId
);

/// The most items a bundle may hold.
pub const MAX_BUNDLE_ITEMS: usize = 12;

/// A bundle as defined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleInput {
    /// Code, 2–40 letters, digits, `-` or `_`.
    pub code: String,
    /// Name, `新生儿出生一件事`.
    pub name: String,
    /// The life event it serves (出生, 入学, 开办企业 …).
    pub life_event: String,
    /// What it covers, in plain language.
    pub description: String,
    /// Its items' codes, in the order their cases are made.
    pub items: Vec<String>,
    /// Whether it takes applications.
    pub active: bool,
}

/// A bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bundle {
    /// Its id.
    pub id: BundleId,
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Life event.
    pub life_event: String,
    /// Description.
    pub description: String,
    /// Item codes, in order.
    pub items: Vec<String>,
    /// Whether it takes applications.
    pub active: bool,
    /// Change counter.
    pub version: u32,
}

/// An application of a bundle: one form over all its items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewBundleCase {
    /// The bundle's code.
    pub bundle: String,
    /// Values by field code (each field of the union once).
    pub form: BTreeMap<String, String>,
    /// 8–60 letters, digits, `-` or `_`; submitting again with it returns the same application.
    pub submission_key: String,
    /// Prefilled fields by code (set by the caller from its own lookup).
    #[serde(default)]
    pub prefilled: BTreeMap<String, Prefilled>,
    /// Materials by code (each material of the union once; one upload serves every item that
    /// asks for it).
    #[serde(default)]
    pub materials: BTreeMap<String, MaterialInput>,
}

/// An application of a bundle with its cases and one timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BundleView {
    /// The application's id.
    pub id: BundleCaseId,
    /// The bundle's code.
    pub bundle_code: String,
    /// The bundle's name.
    pub bundle_name: String,
    /// When it was submitted.
    pub submitted: Millis,
    /// One case per item, in the bundle's order.
    pub cases: Vec<CaseView>,
    /// Every case's timeline merged, oldest first, each entry with its item's name.
    pub timeline: Vec<(String, LogEntry)>,
}

fn check_code(text: &str) -> Result<String> {
    let t = text.trim();
    if (2..=40).contains(&t.len())
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        Ok(t.to_string())
    } else {
        Err(Error::invalid("code", msg!("code-2-40-letters")))
    }
}

/// The union of `items`' form fields, each code once (the first item's definition), and the
/// codes whose definitions disagree in kind across items.
pub fn bundle_fields(items: &[ServiceItem]) -> (Vec<FormField>, Vec<String>) {
    let mut out: Vec<FormField> = Vec::new();
    let mut clashes = Vec::new();
    for f in items.iter().flat_map(|i| &i.fields) {
        match out.iter_mut().find(|o| o.code == f.code) {
            Some(o) => {
                if o.kind != f.kind {
                    clashes.push(f.code.clone());
                }
                // Required anywhere is required in the one form; personal anywhere is personal.
                o.required |= f.required;
                o.personal |= f.personal;
                if o.prefill.is_none() {
                    o.prefill.clone_from(&f.prefill);
                }
            }
            None => out.push(f.clone()),
        }
    }
    (out, clashes)
}

/// The licence types the services of a bundle issue, with the issuing service's name.
pub fn issued_in_bundle(items: &[ServiceItem]) -> Vec<(String, String)> {
    items
        .iter()
        .filter_map(|i| {
            i.licence
                .as_ref()
                .map(|l| (l.licence_type.clone(), i.name.clone()))
        })
        .collect()
}

/// The union of `items`' materials, each code once, without the e-licences another service of
/// the bundle issues in the same application (the applicant cannot hold them yet).
pub fn bundle_materials(items: &[ServiceItem]) -> Vec<Material> {
    let issued = issued_in_bundle(items);
    let mut out: Vec<Material> = Vec::new();
    for m in items.iter().flat_map(|i| &i.materials) {
        if let MaterialSource::Licence { licence_type } = &m.source
            && issued.iter().any(|(t, _)| t == licence_type)
        {
            continue;
        }
        match out.iter_mut().find(|o| o.code == m.code) {
            Some(o) => o.required |= m.required,
            None => out.push(m.clone()),
        }
    }
    out
}

/// A bundle definition as checked.
struct CheckedBundle {
    code: String,
    name: String,
    life_event: String,
    description: String,
    items: Vec<String>,
}

/// The rows a bundle write touched; a code another bundle holds is named.
fn written(result: std::result::Result<u64, tongban_db::Error>) -> Result<u64> {
    match result {
        Err(tongban_db::Error::Conflict(_)) => Err(Error::conflict("code", msg!("code-taken"))),
        other => Ok(other?),
    }
}

/// Records a bundle's creation or edit: an event of kind `K` with the bundle's [`BundleFacts`].
async fn bundle_event<K: EventKind>(
    tx: &mut tongban_db::Tx,
    actor: &Principal,
    kind: K,
    bundle: &Bundle,
    summary: String,
) -> Result<()> {
    let about = BundleFacts {
        code: bundle.code.clone(),
        items: bundle.items.clone(),
        active: bundle.active,
        version: bundle.version,
    };
    tx.append_event(
        actor,
        EventDraft::of(&With { about, detail: kind }, bundle.id.as_str(), None, summary),
    )
    .await?;
    Ok(())
}

const BUNDLE_COLUMNS: &str = "id, code, name, life_event, description, item_codes, active, version";

fn bundle_from_row(r: &Row) -> Result<Bundle> {
    let items: String = r.get("item_codes")?;
    Ok(Bundle {
        id: BundleId(r.get("id")?),
        code: r.get("code")?,
        name: r.get("name")?,
        life_event: r.get("life_event")?,
        description: r.get("description")?,
        items: serde_json::from_str(&items)
            .map_err(|_| Error::conflict("item_codes", msg!("item-list-corrupt")))?,
        active: r.get("active")?,
        version: u32::try_from(r.get::<i64>("version")?).unwrap_or_default(),
    })
}

impl Hall {
    /// Checks a bundle definition: the actor must manage service items of every listed
    /// item's department, and the items' forms must agree on the kind of any field they share.
    async fn check_bundle(&self, actor: &Principal, new: &BundleInput) -> Result<CheckedBundle> {
        let code = check_code(&new.code)?;
        let name = input::line("name", &new.name, 60)?;
        let life_event = input::line("life_event", &new.life_event, 30)?;
        let description = input::text("description", &new.description, 2000)?;
        if !(2..=MAX_BUNDLE_ITEMS).contains(&new.items.len()) {
            return Err(Error::invalid(
                "items",
                msg!("bundle-holds-2-max", max_bundle_items = MAX_BUNDLE_ITEMS),
            ));
        }
        let mut items = Vec::new();
        for (n, c) in new.items.iter().enumerate() {
            let item = match self.item_by_code(c.trim()).await {
                Ok(i) => i,
                Err(Error::NotFound { .. }) => {
                    return Err(Error::invalid(format!("items[{n}]"), msg!("no-such-item")));
                }
                Err(e) => return Err(e),
            };
            if items.iter().any(|i: &ServiceItem| i.id == item.id) {
                return Err(Error::invalid(format!("items[{n}]"), msg!("item-listed-twice")));
            }
            actor.require(Permission::ManageServiceItems, Some(&item.department.path))?;
            items.push(item);
        }
        let (_, clashes) = bundle_fields(&items);
        if let Some(c) = clashes.first() {
            return Err(Error::invalid("items", msg!("items-define-field-c", c = c)));
        }
        Ok(CheckedBundle {
            code,
            name,
            life_event,
            description,
            items: items.iter().map(|i| i.code.clone()).collect(),
        })
    }

    /// Defines a bundle. Each item must exist and the actor must manage service items of every
    /// item's department; the items' forms must agree on the kind of any field they share.
    #[tracing::instrument(skip_all)]
    pub async fn create_bundle(&self, actor: &Principal, new: BundleInput) -> Result<Bundle> {
        let checked = self.check_bundle(actor, &new).await?;
        let bundle = Bundle {
            id: BundleId::new(),
            code: checked.code,
            name: checked.name,
            life_event: checked.life_event,
            description: checked.description,
            items: checked.items,
            active: new.active,
            version: 1,
        };
        let mut tx = self.db.begin_write().await?;
        let inserted = tx
            .execute(
                "INSERT INTO hall_bundles (id, code, name, life_event, description, item_codes, active, created_ms, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1)",
                params![
                    bundle.id.as_str(),
                    bundle.code.as_str(),
                    bundle.name.as_str(),
                    bundle.life_event.as_str(),
                    bundle.description.as_str(),
                    json!(bundle.items).to_string(),
                    bundle.active,
                    self.now()
                ],
            )
            .await;
        written(inserted)?;
        let summary = msg!("bundle-created", name = &bundle.name, code = &bundle.code).to_string();
        bundle_event(&mut tx, actor, BundleCreated {}, &bundle, summary).await?;
        tx.commit().await?;
        Ok(bundle)
    }

    /// Changes a bundle read at `version`: its code, name, life event, description, items or
    /// whether it takes applications. The actor must manage every item's department, those it
    /// had and those it gets. Applications already made keep their cases and the name they
    /// were made under.
    #[tracing::instrument(skip_all)]
    pub async fn update_bundle(
        &self,
        actor: &Principal,
        id: &BundleId,
        version: u32,
        edit: BundleInput,
    ) -> Result<Bundle> {
        let current = self.bundle(id).await?;
        for c in &current.items {
            match self.item_by_code(c).await {
                Ok(item) => actor.require(Permission::ManageServiceItems, Some(&item.department.path))?,
                Err(Error::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        let checked = self.check_bundle(actor, &edit).await?;
        let bundle = Bundle {
            id: current.id,
            code: checked.code,
            name: checked.name,
            life_event: checked.life_event,
            description: checked.description,
            items: checked.items,
            active: edit.active,
            version: version + 1,
        };
        let mut tx = self.db.begin_write().await?;
        let changed = tx
            .execute(
                "UPDATE hall_bundles SET code = $1, name = $2, life_event = $3, description = $4, \
                 item_codes = $5, active = $6, version = version + 1 WHERE id = $7 AND version = $8",
                params![
                    bundle.code.as_str(),
                    bundle.name.as_str(),
                    bundle.life_event.as_str(),
                    bundle.description.as_str(),
                    json!(bundle.items).to_string(),
                    bundle.active,
                    bundle.id.as_str(),
                    i64::from(version)
                ],
            )
            .await;
        if written(changed)? == 0 {
            return Err(Error::conflict("version", msg!("bundle-was-changed-meanwhile")));
        }
        let summary = msg!("bundle-updated", name = &bundle.name, code = &bundle.code).to_string();
        bundle_event(&mut tx, actor, BundleUpdated {}, &bundle, summary).await?;
        tx.commit().await?;
        Ok(bundle)
    }

    /// Every bundle, taking applications or not, by code (for the console).
    pub async fn all_bundles(&self) -> Result<Vec<Bundle>> {
        self.bundles_where("1 = 1", params![]).await
    }

    /// The bundle with `id`.
    pub async fn bundle(&self, id: &BundleId) -> Result<Bundle> {
        self.bundles_where("id = $1", params![id.as_str()])
            .await?
            .pop()
            .ok_or(Error::NotFound { what: "bundle" })
    }

    /// The bundles matching `condition`, by code.
    async fn bundles_where(&self, condition: &str, values: Vec<tongban_db::Value>) -> Result<Vec<Bundle>> {
        self.db
            .fetch_all(
                &format!("SELECT {BUNDLE_COLUMNS} FROM hall_bundles WHERE {condition} ORDER BY code"),
                values,
            )
            .await?
            .iter()
            .map(bundle_from_row)
            .collect()
    }

    /// The bundles taking applications, by code.
    pub async fn bundles(&self) -> Result<Vec<Bundle>> {
        self.bundles_where("active = 1", params![]).await
    }

    /// The bundle with `code`.
    pub async fn bundle_by_code(&self, code: &str) -> Result<Bundle> {
        self.bundles_where("code = $1", params![code.trim()])
            .await?
            .pop()
            .ok_or(Error::NotFound { what: "bundle" })
    }

    /// A bundle's items, in its order.
    pub async fn bundle_items(&self, bundle: &Bundle) -> Result<Vec<ServiceItem>> {
        let mut out = Vec::with_capacity(bundle.items.len());
        for c in &bundle.items {
            out.push(self.item_by_code(c).await?);
        }
        Ok(out)
    }

    /// Applies for every item of a bundle at once. Each item's case gets the fields and
    /// materials it asks for; everything is checked before anything is written (a problem is
    /// named by field, as for one item), then all the cases are made in one transaction.
    /// Submitting again with the same key returns the same application.
    #[tracing::instrument(skip_all)]
    pub async fn submit_bundle(&self, actor: &Principal, new: NewBundleCase) -> Result<BundleView> {
        let key = check_submission_key(&new.submission_key)?;
        if key.len() > 60 {
            return Err(Error::invalid("submission_key", msg!("submission-key-most-60")));
        }
        if let Some(id) = self.existing_bundle_case(&actor.id, &key).await? {
            return self.bundle_case(actor, &id).await;
        }
        let bundle = self.bundle_by_code(&new.bundle).await?;
        if !bundle.active {
            return Err(Error::conflict("bundle", msg!("bundle-not-taking-applications")));
        }
        let items = self.bundle_items(&bundle).await?;
        let (fields, _) = bundle_fields(&items);
        if let Some(k) = new.form.keys().find(|k| !fields.iter().any(|f| &f.code == *k)) {
            return Err(Error::invalid(format!("form.{k}"), msg!("no-such-field")));
        }
        let materials = bundle_materials(&items);
        let issued = issued_in_bundle(&items);
        if let Some(k) = new
            .materials
            .keys()
            .find(|k| !materials.iter().any(|m| &m.code == *k))
        {
            return Err(Error::invalid(
                format!("materials.{k}"),
                msg!("bundle-has-no-such"),
            ));
        }
        let mut ready = Vec::with_capacity(items.len());
        for (n, item) in items.iter().enumerate() {
            let own = |f: &&FormField| item.fields.iter().any(|g| g.code == f.code);
            let part = NewCase {
                item: item.id.clone(),
                form: new
                    .form
                    .iter()
                    .filter(|(k, _)| fields.iter().filter(own).any(|f| &f.code == *k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                submission_key: format!("{key}-{n}"),
                prefilled: new
                    .prefilled
                    .iter()
                    .filter(|(k, _)| item.fields.iter().any(|f| &f.code == *k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                materials: new
                    .materials
                    .iter()
                    .filter(|(k, _)| item.materials.iter().any(|m| &m.code == *k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            };
            let key = part.submission_key.clone();
            ready.push(self.prepare(actor, &part, key, &issued).await?);
        }
        let id = BundleCaseId::new();
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let inserted = tx
            .execute(
                "INSERT INTO hall_bundle_cases (id, bundle_id, bundle_code, bundle_name, applicant_id, submission_key, submitted_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                params![
                    id.as_str(),
                    bundle.id.as_str(),
                    bundle.code.as_str(),
                    bundle.name.as_str(),
                    actor.id.as_str(),
                    key.as_str(),
                    now
                ],
            )
            .await;
        match inserted {
            Ok(_) => {}
            Err(tongban_db::Error::Conflict(_)) => {
                // The same key committed meanwhile (a double click racing itself).
                drop(tx);
                return match self.existing_bundle_case(&actor.id, &key).await? {
                    Some(id) => self.bundle_case(actor, &id).await,
                    None => Err(Error::conflict("submission_key", msg!("please-submit-again"))),
                };
            }
            Err(e) => return Err(e.into()),
        }
        let mut attached = HashSet::new();
        let mut numbers = Vec::new();
        for (n, mut p) in ready.into_iter().enumerate() {
            p.share_uploads(&mut attached);
            let case = self.write_case(&mut tx, actor, p).await?;
            tx.execute(
                "INSERT INTO hall_bundle_members (bundle_case_id, case_id, position) VALUES ($1, $2, $3)",
                params![id.as_str(), case.id.as_str(), n as i64],
            )
            .await?;
            numbers.push(case.number);
        }
        tx.append_event(
            actor,
            EventDraft::of(
                &BundleSubmitted {
                    bundle: bundle.code.clone(),
                    cases: numbers,
                },
                id.as_str(),
                None,
                msg!("bundle-submitted", name = &bundle.name, code = &bundle.code),
            ),
        )
        .await?;
        crate::draft::discard(&mut tx, &actor.id, &key).await?;
        tx.commit().await?;
        self.bundle_case(actor, &id).await
    }

    async fn existing_bundle_case(&self, applicant: &str, key: &str) -> Result<Option<BundleCaseId>> {
        Ok(self
            .db
            .fetch_optional(
                "SELECT id FROM hall_bundle_cases WHERE applicant_id = $1 AND submission_key = $2",
                params![applicant, key],
            )
            .await?
            .map(|r| r.get::<String>("id").map(BundleCaseId))
            .transpose()?)
    }

    /// An application of a bundle, for its applicant: every case and one timeline.
    pub async fn bundle_case(&self, actor: &Principal, id: &BundleCaseId) -> Result<BundleView> {
        let head = self
            .db
            .fetch_optional(
                "SELECT bundle_code, bundle_name, applicant_id, submitted_ms FROM hall_bundle_cases WHERE id = $1",
                params![id.as_str()],
            )
            .await?
            .ok_or(Error::NotFound { what: "bundle_case" })?;
        if head.get::<String>("applicant_id")? != actor.id {
            return Err(Error::NotFound { what: "bundle_case" });
        }
        let members = self
            .db
            .fetch_all(
                "SELECT case_id FROM hall_bundle_members WHERE bundle_case_id = $1 ORDER BY position",
                params![id.as_str()],
            )
            .await?;
        let mut cases = Vec::with_capacity(members.len());
        for m in &members {
            cases.push(self.case(actor, &CaseId(m.get("case_id")?)).await?);
        }
        let mut timeline: Vec<(String, LogEntry)> = cases
            .iter()
            .flat_map(|v| v.log.iter().map(|l| (v.case.item_name.clone(), l.clone())))
            .collect();
        timeline.sort_by_key(|(_, l)| l.at);
        Ok(BundleView {
            id: id.clone(),
            bundle_code: head.get("bundle_code")?,
            bundle_name: head.get("bundle_name")?,
            submitted: head.get("submitted_ms")?,
            cases,
            timeline,
        })
    }

    /// The actor's bundle applications, newest first: (id, bundle name, submitted).
    pub async fn my_bundle_cases(&self, actor: &Principal) -> Result<Vec<(BundleCaseId, String, Millis)>> {
        self.db
            .fetch_all(
                "SELECT id, bundle_name, submitted_ms FROM hall_bundle_cases WHERE applicant_id = $1 \
                 ORDER BY submitted_ms DESC, id DESC LIMIT 200",
                params![actor.id.as_str()],
            )
            .await?
            .iter()
            .map(|r| {
                Ok((
                    BundleCaseId(r.get("id")?),
                    r.get("bundle_name")?,
                    r.get("submitted_ms")?,
                ))
            })
            .collect()
    }

    /// The bundle application a case belongs to, if any.
    pub async fn bundle_of_case(&self, case: &CaseId) -> Result<Option<BundleCaseId>> {
        Ok(self
            .db
            .fetch_optional(
                "SELECT bundle_case_id FROM hall_bundle_members WHERE case_id = $1",
                params![case.as_str()],
            )
            .await?
            .map(|r| r.get::<String>("bundle_case_id").map(BundleCaseId))
            .transpose()?)
    }
}
