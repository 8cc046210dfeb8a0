//! Service items (事项清单): created and edited by the administrator of the responsible
//! department, checked field by field, readable by everyone while active.

use crate::events::{ItemCreated, ItemUpdated};
use crate::form::{self, check_code};
use crate::store::{ITEM_COLUMNS, item_from_row, item_in};
use crate::{
    DeptRef, Error, Fee, Hall, LicenceLine, LicenceSpec, Material, MaterialSource, Result, ServiceItem,
    ServiceItemId, ServiceItemInput, to_json,
};
use std::collections::BTreeSet;
use tongban_db::{EventDraft, Tx, Value, params};
use tongban_kernel::msg;
use tongban_kernel::{DeptPath, Permission, Principal, input};

/// Most materials an item may list.
const MAX_MATERIALS: usize = 50;
/// Most fees an item may list.
const MAX_FEES: usize = 20;
/// The longest time limit accepted, in working days.
pub(crate) const MAX_LIMIT_DAYS: u32 = 365;

/// An item input, checked: everything but the department, which the directory resolves.
struct CheckedItem {
    code: String,
    name: String,
    name_en: String,
    legal_basis: String,
    conditions: String,
    materials: Vec<Material>,
    fields: Vec<crate::FormField>,
    fees: Vec<Fee>,
    licence: Option<LicenceSpec>,
}

fn check_item_code(text: &str) -> Result<String> {
    let t = text.trim();
    let ok = (2..=40).contains(&t.len())
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(t.to_string())
    } else {
        Err(Error::invalid("code", msg!("item-code-2-40")))
    }
}

fn check_materials(materials: &[Material]) -> Result<Vec<Material>> {
    if materials.len() > MAX_MATERIALS {
        return Err(Error::invalid(
            "materials",
            msg!("most-max-materials-materials", max_materials = MAX_MATERIALS),
        ));
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(materials.len());
    for (i, m) in materials.iter().enumerate() {
        let code = check_code(&format!("materials[{i}].code"), &m.code)?;
        if !seen.insert(code.clone()) {
            return Err(Error::invalid(
                format!("materials[{i}].code"),
                msg!("duplicate-material-code"),
            ));
        }
        let name = input::line(&format!("materials[{i}].name"), &m.name, 100)?;
        let source = match &m.source {
            MaterialSource::Upload => MaterialSource::Upload,
            MaterialSource::SharedField { resource, field } => MaterialSource::SharedField {
                resource: input::line(&format!("materials[{i}].source.resource"), resource, 64)?,
                field: input::line(&format!("materials[{i}].source.field"), field, 64)?,
            },
            MaterialSource::Licence { licence_type } => MaterialSource::Licence {
                licence_type: input::line(&format!("materials[{i}].source.licence_type"), licence_type, 64)?,
            },
        };
        out.push(Material {
            code,
            name,
            required: m.required,
            source,
        });
    }
    Ok(out)
}

fn check_fees(fees: &[Fee]) -> Result<Vec<Fee>> {
    if fees.len() > MAX_FEES {
        return Err(Error::invalid(
            "fees",
            msg!("most-max-fees-fees", max_fees = MAX_FEES),
        ));
    }
    fees.iter()
        .enumerate()
        .map(|(i, f)| {
            if !(0..=10_000_000_000).contains(&f.amount_fen) {
                return Err(Error::invalid(
                    format!("fees[{i}].amount_fen"),
                    msg!("amount-0-100-million"),
                ));
            }
            Ok(Fee {
                name: input::line(&format!("fees[{i}].name"), &f.name, 100)?,
                amount_fen: f.amount_fen,
                basis: input::optional_line(&format!("fees[{i}].basis"), &f.basis, 200)?,
            })
        })
        .collect()
}

/// Most lines an item's licence may print.
const MAX_LICENCE_LINES: usize = 30;

fn check_licence(spec: &LicenceSpec, fields: &[crate::FormField]) -> Result<LicenceSpec> {
    let known = |code: &str| fields.iter().any(|f| f.code == code.trim());
    let ok_type = (2..=64).contains(&spec.licence_type.trim().len())
        && spec
            .licence_type
            .trim()
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok_type {
        return Err(Error::invalid(
            "licence.licence_type",
            msg!("licence-type-code-2"),
        ));
    }
    let title = input::line("licence.title", &spec.title, 60)?;
    for (field, code) in [
        ("licence.holder_name_field", &spec.holder_name_field),
        ("licence.holder_id_field", &spec.holder_id_field),
    ] {
        if !known(code) {
            return Err(Error::invalid(field, msg!("form-has-no-field", code = code)));
        }
    }
    if spec.lines.len() > MAX_LICENCE_LINES {
        return Err(Error::invalid(
            "licence.lines",
            msg!("most-max-licence-lines", max_licence_lines = MAX_LICENCE_LINES),
        ));
    }
    let mut lines = Vec::with_capacity(spec.lines.len());
    for (i, l) in spec.lines.iter().enumerate() {
        let label = input::line(&format!("licence.lines[{i}].label"), &l.label, 40)?;
        if !known(&l.field) {
            return Err(Error::invalid(
                format!("licence.lines[{i}].field"),
                msg!("form-has-no-field", code = &l.field),
            ));
        }
        lines.push(LicenceLine {
            label,
            field: l.field.trim().to_string(),
        });
    }
    if spec.valid_years.is_some_and(|y| y == 0 || y > 50) {
        return Err(Error::invalid("licence.valid_years", msg!("validity-1-50-years")));
    }
    Ok(LicenceSpec {
        licence_type: spec.licence_type.trim().to_string(),
        title,
        holder_name_field: spec.holder_name_field.trim().to_string(),
        holder_id_field: spec.holder_id_field.trim().to_string(),
        lines,
        valid_years: spec.valid_years,
    })
}

fn check_item(new: &ServiceItemInput) -> Result<CheckedItem> {
    let code = check_item_code(&new.code)?;
    let name = input::line("name", &new.name, 100)?;
    let name_en = input::optional_line("name_en", &new.name_en, 200)?;
    let legal_basis = input::text("legal_basis", &new.legal_basis, 2000)?;
    let conditions = input::optional_text("conditions", &new.conditions, 4000)?;
    if new.statutory_days == 0 || new.statutory_days > MAX_LIMIT_DAYS {
        return Err(Error::invalid(
            "statutory_days",
            msg!("limit-days-range", max_limit_days = MAX_LIMIT_DAYS),
        ));
    }
    if new.promised_days == 0 || new.promised_days > new.statutory_days {
        return Err(Error::invalid("promised_days", msg!("promised-limit-1-working")));
    }
    if new.visits > 10 {
        return Err(Error::invalid("visits", msg!("visits-0-10")));
    }
    let fields = form::check_definitions(&new.fields)?;
    let licence = new
        .licence
        .as_ref()
        .map(|spec| check_licence(spec, &fields))
        .transpose()?;
    Ok(CheckedItem {
        code,
        name,
        name_en,
        legal_basis,
        conditions,
        materials: check_materials(&new.materials)?,
        fields,
        fees: check_fees(&new.fees)?,
        licence,
    })
}

/// `list` without repeats, in its order.
fn dedup<T: Copy + PartialEq>(list: &[T]) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(list.len());
    for v in list {
        if !out.contains(v) {
            out.push(*v);
        }
    }
    out
}

async fn write_item(tx: &mut Tx, item: &ServiceItem, insert: bool) -> Result<()> {
    let cols: Vec<(&str, Value)> = vec![
        ("code", Value::Text(item.code.clone())),
        ("name", Value::Text(item.name.clone())),
        ("name_en", Value::Text(item.name_en.clone())),
        ("dept_id", Value::Text(item.department.id.clone())),
        ("dept_path", Value::Text(item.department.path.0.clone())),
        ("dept_name", Value::Text(item.department.name_zh.clone())),
        ("item_type", Value::Text(item.item_type.code().into())),
        ("legal_basis", Value::Text(item.legal_basis.clone())),
        ("conditions", Value::Text(item.conditions.clone())),
        ("materials", Value::Text(to_json("materials", &item.materials)?)),
        ("fields", Value::Text(to_json("fields", &item.fields)?)),
        ("fees", Value::Text(to_json("fees", &item.fees)?)),
        ("statutory_days", Value::Int(i64::from(item.statutory_days))),
        ("promised_days", Value::Int(i64::from(item.promised_days))),
        ("visits", Value::Int(i64::from(item.visits))),
        ("active", Value::Int(i64::from(item.active))),
        (
            "licence",
            match &item.licence {
                Some(spec) => Value::Text(to_json("licence", spec)?),
                None => Value::Null,
            },
        ),
        (
            "topics",
            Value::Text(item.topics.iter().map(|t| t.code()).collect::<Vec<_>>().join(",")),
        ),
        (
            "life_events",
            Value::Text(
                item.life_events
                    .iter()
                    .map(|t| t.code())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
        ),
        ("updated_ms", Value::Int(item.updated.0)),
    ];
    let result = if insert {
        let mut cols = cols;
        cols.push(("id", Value::Text(item.id.0.clone())));
        cols.push(("workflow_version", Value::Int(0)));
        cols.push(("created_ms", Value::Int(item.created.0)));
        cols.push(("version", Value::Int(1)));
        let names: Vec<&str> = cols.iter().map(|(n, _)| *n).collect();
        let marks: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
        tx.execute(
            &format!(
                "INSERT INTO hall_items ({}) VALUES ({})",
                names.join(", "),
                marks.join(", ")
            ),
            cols.into_iter().map(|(_, v)| v).collect(),
        )
        .await
    } else {
        let n = cols.len();
        let sets: Vec<String> = cols
            .iter()
            .enumerate()
            .map(|(i, (c, _))| format!("{c} = ${}", i + 1))
            .collect();
        let mut values: Vec<Value> = cols.into_iter().map(|(_, v)| v).collect();
        values.push(Value::Text(item.id.0.clone()));
        values.push(Value::Int(i64::from(item.version)));
        match tx
            .execute(
                &format!(
                    "UPDATE hall_items SET {}, version = version + 1 WHERE id = ${} AND version = ${}",
                    sets.join(", "),
                    n + 1,
                    n + 2
                ),
                values,
            )
            .await
        {
            Ok(0) => {
                return Err(Error::conflict("version", msg!("item-was-changed-meanwhile")));
            }
            other => other,
        }
    };
    match result {
        Ok(_) => Ok(()),
        Err(tongban_db::Error::Conflict(_)) => Err(Error::conflict("code", msg!("item-code-taken"))),
        Err(e) => Err(e.into()),
    }
}

impl Hall {
    /// The department at `path`, or an error naming `field` when there is none.
    pub(crate) async fn department(&self, field: &str, path: &str) -> Result<DeptRef> {
        let path = path.trim();
        let unknown = || Error::invalid(field, msg!("unknown-department-path", path = path));
        if !(path.starts_with('/') && path.ends_with('/')) || path.len() > 400 {
            return Err(unknown());
        }
        self.directory
            .department(&DeptPath(path.to_string()))
            .await
            .map_err(Error::Directory)?
            .ok_or_else(unknown)
    }

    /// Creates a service item for the actor's department (事项管理: `ManageServiceItems` over
    /// that department). It cannot be applied for until its workflow is saved.
    #[tracing::instrument(skip_all)]
    pub async fn create_item(&self, actor: &Principal, new: ServiceItemInput) -> Result<ServiceItem> {
        actor.require(Permission::ManageServiceItems, Some(&new.department))?;
        let mut checked = check_item(&new)?;
        self.mark_personal_sources(&mut checked.fields).await?;
        let department = self.department("department", new.department.as_str()).await?;
        let now = self.now();
        let item = ServiceItem {
            id: ServiceItemId::new(),
            code: checked.code,
            name: checked.name,
            name_en: checked.name_en,
            department,
            item_type: new.item_type,
            legal_basis: checked.legal_basis,
            conditions: checked.conditions,
            materials: checked.materials,
            fields: checked.fields,
            fees: checked.fees,
            statutory_days: new.statutory_days,
            promised_days: new.promised_days,
            visits: new.visits,
            active: new.active,
            licence: checked.licence,
            topics: dedup(&new.topics),
            life_events: dedup(&new.life_events),
            workflow_version: 0,
            created: now,
            updated: now,
            version: 1,
        };
        let mut tx = self.db.begin_write().await?;
        write_item(&mut tx, &item, true).await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &ItemCreated {
                    code: item.code.clone(),
                    name: item.name.clone(),
                    item_type: item.item_type.code().into(),
                },
                item.id.as_str(),
                Some(&item.department.path),
                msg!("item-created", code = &item.code, name = &item.name),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(item)
    }

    /// Edits an item read at `version`; the administrator must manage both the old and the new
    /// department. Running cases are unaffected (they keep their form values and workflow).
    #[tracing::instrument(skip_all)]
    pub async fn update_item(
        &self,
        actor: &Principal,
        id: &ServiceItemId,
        version: u32,
        edit: ServiceItemInput,
    ) -> Result<ServiceItem> {
        let current = self.item(id).await?;
        actor.require(Permission::ManageServiceItems, Some(&current.department.path))?;
        actor.require(Permission::ManageServiceItems, Some(&edit.department))?;
        let mut checked = check_item(&edit)?;
        self.mark_personal_sources(&mut checked.fields).await?;
        let department = self.department("department", edit.department.as_str()).await?;
        let mut item = ServiceItem {
            code: checked.code,
            name: checked.name,
            name_en: checked.name_en,
            department,
            item_type: edit.item_type,
            legal_basis: checked.legal_basis,
            conditions: checked.conditions,
            materials: checked.materials,
            fields: checked.fields,
            fees: checked.fees,
            statutory_days: edit.statutory_days,
            promised_days: edit.promised_days,
            visits: edit.visits,
            active: edit.active,
            licence: checked.licence,
            topics: dedup(&edit.topics),
            life_events: dedup(&edit.life_events),
            updated: self.now(),
            version,
            ..current
        };
        let mut tx = self.db.begin_write().await?;
        write_item(&mut tx, &item, false).await?;
        item.version += 1;
        tx.append_event(
            actor,
            EventDraft::of(
                &ItemUpdated {
                    code: item.code.clone(),
                    name: item.name.clone(),
                    version: item.version,
                },
                item.id.as_str(),
                Some(&item.department.path),
                msg!("item-updated", code = &item.code),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(item)
    }

    /// An item by id (the guide page shows it to everyone).
    pub async fn item(&self, id: &ServiceItemId) -> Result<ServiceItem> {
        self.db
            .fetch_optional(
                &format!("SELECT {ITEM_COLUMNS} FROM hall_items WHERE id = $1"),
                params![id.as_str()],
            )
            .await?
            .map(|r| item_from_row(&r))
            .transpose()?
            .ok_or(Error::NotFound { what: "service_item" })
    }

    /// An item by its code.
    pub async fn item_by_code(&self, code: &str) -> Result<ServiceItem> {
        self.db
            .fetch_optional(
                &format!("SELECT {ITEM_COLUMNS} FROM hall_items WHERE code = $1"),
                params![code.trim()],
            )
            .await?
            .map(|r| item_from_row(&r))
            .transpose()?
            .ok_or(Error::NotFound { what: "service_item" })
    }

    /// The active items (all items, inactive ones too, when `with_inactive`), optionally of one
    /// department, by code.
    pub async fn items(
        &self,
        department: Option<&DeptPath>,
        with_inactive: bool,
    ) -> Result<Vec<ServiceItem>> {
        let rows = self
            .db
            .fetch_all(
                &format!(
                    "SELECT {ITEM_COLUMNS} FROM hall_items WHERE ($1 = '' OR dept_path = $1) \
                     AND ($2 = 1 OR active = 1) ORDER BY code"
                ),
                params![department.map(|d| d.0.clone()).unwrap_or_default(), with_inactive],
            )
            .await?;
        rows.iter().map(item_from_row).collect()
    }

    /// The active items taking applications that are applied for most (ties by code), at most
    /// `limit`: the home page's 高频服务.
    pub async fn popular_items(&self, limit: u32) -> Result<Vec<ServiceItem>> {
        let rows = self
            .db
            .fetch_all(
                &format!(
                    "SELECT {ITEM_COLUMNS} FROM hall_items LEFT JOIN \
                     (SELECT item_id, COUNT(*) AS applied FROM hall_cases GROUP BY item_id) c ON c.item_id = id \
                     WHERE active = 1 AND workflow_version > 0 ORDER BY COALESCE(c.applied, 0) DESC, code LIMIT $1"
                ),
                params![i64::from(limit.clamp(1, 50))],
            )
            .await?;
        rows.iter().map(item_from_row).collect()
    }

    /// The item `id` read in `tx` (for callers outside this module).
    pub(crate) async fn item_in(&self, tx: &mut Tx, id: &ServiceItemId) -> Result<ServiceItem> {
        item_in(tx, id).await
    }
}
