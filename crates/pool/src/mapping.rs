//! 字段映射: which source column feeds each 信息项. A department that loads the same layout every
//! month saves its mapping once per resource; a load without a mapping of its own uses the saved
//! one, and fields it cannot place are matched by name (exact field code or Chinese name first,
//! then by similarity).

use crate::events::MappingSaved;
use crate::govern::FieldPlan;
use crate::{Pool, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use tongban_catalog::Resource;
use tongban_db::{EventDraft, params};
use tongban_kernel::msg;
use tongban_kernel::{Invalid, Millis, Permission, Principal};

/// The longest source column name a mapping holds, in characters.
pub const MAX_COLUMN_CHARS: usize = 200;

/// A resource's saved mapping.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SavedMapping {
    /// The resource code.
    pub resource: String,
    /// Field code ← source column name.
    pub mapping: BTreeMap<String, String>,
    /// Who saved it (account or client id).
    pub saved_by: String,
    /// When.
    pub saved: Millis,
}

impl Pool {
    /// Saves `mapping` (field code ← source column) as the resource's mapping for later loads
    /// (`LoadData` over its provider), with its event. Every field must be one of the
    /// resource's; an empty mapping clears it, and loads match columns by name again.
    #[tracing::instrument(skip_all)]
    pub async fn save_mapping(
        &self,
        actor: &Principal,
        resource_code: &str,
        mapping: BTreeMap<String, String>,
    ) -> Result<SavedMapping> {
        let resource = self.catalog.resource_by_code(actor, resource_code).await?;
        actor.require(Permission::LoadData, Some(&resource.provider.path))?;
        let mapping = checked_mapping(&resource, mapping)?;
        let text = serde_json::to_string(&mapping).map_err(|e| std::io::Error::other(e.to_string()))?;
        let now = self.catalog.now();
        let mut tx = self.catalog.db().begin_write().await?;
        tx.execute(
            "INSERT INTO pool_mappings (resource_id, resource_code, mapping, saved_by, saved_ms) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (resource_id) DO UPDATE SET \
             resource_code = excluded.resource_code, mapping = excluded.mapping, \
             saved_by = excluded.saved_by, saved_ms = excluded.saved_ms",
            params![resource.id.as_str(), resource.code, text, actor.id, now],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &MappingSaved {
                    code: resource.code.clone(),
                    mapping: mapping.clone(),
                },
                resource.id.as_str(),
                Some(&resource.provider.path),
                msg!(
                    "saved-column-mapping-resource",
                    resource = resource.code,
                    mapping = mapping.len()
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(SavedMapping {
            resource: resource.code,
            mapping,
            saved_by: actor.id.clone(),
            saved: now,
        })
    }

    /// The resource's saved mapping, if any (visible to whoever may see the resource).
    pub async fn saved_mapping(
        &self,
        actor: &Principal,
        resource_code: &str,
    ) -> Result<Option<SavedMapping>> {
        let resource = self.catalog.resource_by_code(actor, resource_code).await?;
        self.mapping_of(&resource).await
    }

    /// The saved mapping of `resource`, without a permission check (the caller made it).
    pub(crate) async fn mapping_of(&self, resource: &Resource) -> Result<Option<SavedMapping>> {
        let row = self
            .catalog
            .db()
            .fetch_optional(
                "SELECT mapping, saved_by, saved_ms FROM pool_mappings WHERE resource_id = $1",
                params![resource.id.as_str()],
            )
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let mapping =
            serde_json::from_str(&row.get::<String>("mapping")?).map_err(|e| tongban_db::Error::Decode {
                column: "pool_mappings.mapping".into(),
                reason: e.to_string(),
            })?;
        Ok(Some(SavedMapping {
            resource: resource.code.clone(),
            mapping,
            saved_by: row.get("saved_by")?,
            saved: row.get("saved_ms")?,
        }))
    }
}

/// The mapping trimmed, every field one of the resource's and every column named.
fn checked_mapping(
    resource: &Resource,
    mapping: BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (field, column) in mapping {
        let field = field.trim().to_owned();
        let column = column.trim().to_owned();
        let name = format!("mapping.{field}");
        if !resource.fields.iter().any(|f| f.code == field) {
            return Err(Invalid::new(name, msg!("resource-has-no-such")).into());
        }
        if column.is_empty() {
            return Err(Invalid::new(name, msg!("source-column-named")).into());
        }
        if column.chars().count() > MAX_COLUMN_CHARS {
            return Err(Invalid::new(name, msg!("source-column-at-most", chars = MAX_COLUMN_CHARS)).into());
        }
        out.insert(field, column);
    }
    Ok(out)
}

/// Where a load's mapping comes from.
#[derive(Debug, Clone)]
pub(crate) enum MappingChoice {
    /// The caller's own mapping, used as given: a missing column is an error.
    Given(BTreeMap<String, String>),
    /// The resource's saved mapping: entries the file cannot serve are noted and matched by name.
    Saved(BTreeMap<String, String>),
    /// Matched by name.
    ByName,
}

impl MappingChoice {
    /// The caller's mapping when it has one, else the saved one, else by name.
    pub fn pick(given: &BTreeMap<String, String>, saved: Option<SavedMapping>) -> Self {
        match saved {
            _ if !given.is_empty() => MappingChoice::Given(given.clone()),
            Some(s) if !s.mapping.is_empty() => MappingChoice::Saved(s.mapping),
            _ => MappingChoice::ByName,
        }
    }
}

/// For each field (plan), the index of the header column that feeds it. Fails naming the field
/// when a required field has no column, or a given mapping names an unknown field or column.
pub(crate) fn map_columns(
    plans: &[FieldPlan],
    headers: &[String],
    choice: &MappingChoice,
    notes: &mut Vec<String>,
) -> Result<Vec<Option<usize>>> {
    let mut columns: Vec<Option<usize>> = vec![None; plans.len()];
    match choice {
        MappingChoice::Given(mapping) => apply_given(plans, headers, mapping, &mut columns)?,
        MappingChoice::Saved(mapping) => {
            apply_saved(plans, headers, mapping, &mut columns, notes);
            match_by_name(plans, headers, &mut columns);
        }
        MappingChoice::ByName => match_by_name(plans, headers, &mut columns),
    }
    if let Some((p, _)) = plans
        .iter()
        .zip(&columns)
        .find(|(p, c)| p.required() && c.is_none())
    {
        return Err(Invalid::new(&p.field.code, msg!("no-column-file-feeds")).into());
    }
    Ok(columns)
}

fn apply_given(
    plans: &[FieldPlan],
    headers: &[String],
    mapping: &BTreeMap<String, String>,
    columns: &mut [Option<usize>],
) -> Result<()> {
    for (field, column) in mapping {
        let Some(i) = plans.iter().position(|p| &p.field.code == field) else {
            return Err(Invalid::new(format!("mapping.{field}"), msg!("resource-has-no-such")).into());
        };
        let Some(c) = headers.iter().position(|h| h == column.trim()) else {
            return Err(Invalid::new(
                format!("mapping.{field}"),
                msg!("file-has-no-column", column = column),
            )
            .into());
        };
        columns[i] = Some(c);
    }
    Ok(())
}

fn apply_saved(
    plans: &[FieldPlan],
    headers: &[String],
    mapping: &BTreeMap<String, String>,
    columns: &mut [Option<usize>],
    notes: &mut Vec<String>,
) {
    for (field, column) in mapping {
        let Some(i) = plans.iter().position(|p| &p.field.code == field) else {
            notes.push(msg!("mapped-field-gone", field = field).to_string());
            continue;
        };
        match headers.iter().position(|h| h == column.trim()) {
            Some(c) => columns[i] = Some(c),
            None => notes.push(msg!("mapped-column-missing", field = field, column = column).to_string()),
        }
    }
}

/// Fills the fields still without a column from the headers not yet used: exact code or
/// Chinese name first, then by similarity.
fn match_by_name(plans: &[FieldPlan], headers: &[String], columns: &mut [Option<usize>]) {
    let mut taken = vec![false; headers.len()];
    for c in columns.iter().flatten() {
        if let Some(t) = taken.get_mut(*c) {
            *t = true;
        }
    }
    for (i, p) in plans.iter().enumerate() {
        if columns[i].is_some() {
            continue;
        }
        let exact = headers
            .iter()
            .enumerate()
            .position(|(c, h)| !taken[c] && (h.eq_ignore_ascii_case(&p.field.code) || h == &p.field.name_zh));
        if let Some(c) = exact {
            columns[i] = Some(c);
            taken[c] = true;
        }
    }
    let open_headers: Vec<usize> = (0..headers.len()).filter(|&c| !taken[c]).collect();
    let open_fields: Vec<usize> = (0..plans.len()).filter(|&i| columns[i].is_none()).collect();
    let names: Vec<&str> = open_headers.iter().map(|&c| headers[c].as_str()).collect();
    let fields: Vec<(&str, &str)> = open_fields
        .iter()
        .map(|&i| (plans[i].field.code.as_str(), plans[i].field.name_zh.as_str()))
        .collect();
    for (h, f) in tongban_text::suggest_mapping(&names, &fields)
        .into_iter()
        .enumerate()
    {
        if let (Some(f), Some(&c)) = (f, open_headers.get(h))
            && let Some(&i) = open_fields.get(f)
        {
            columns[i] = Some(c);
        }
    }
}

/// Field code → the header that feeds it, for the report.
pub(crate) fn fed_by(
    plans: &[FieldPlan],
    headers: &[String],
    columns: &[Option<usize>],
) -> BTreeMap<String, String> {
    plans
        .iter()
        .zip(columns)
        .filter_map(|(p, c)| {
            c.and_then(|c| headers.get(c))
                .map(|h| (p.field.code.clone(), h.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::govern::plan;
    use serde_json::json;
    use tongban_catalog::{ResourceId, ResourceInput, ResourceStatus};

    fn resource() -> Resource {
        let input: ResourceInput = serde_json::from_value(json!({
            "code": "3301-GA-0001", "name_zh": "户籍", "summary": "",
            "provider": { "id": "d1", "path": "/3301/3301-GA/", "name_zh": "公安局" },
            "classification": { "class": "basic", "category": "RK", "item": "HJ" },
            "format": "table", "open_class": "not_open", "update_cycle": "daily",
            "sharing": { "class": "conditional", "condition": "", "legal_basis": "" },
            "fields": [
                { "code": "id_number", "name_zh": "身份证号", "data_type": "string", "sensitivity": "personal",
                  "rules": [{ "rule": "required" }] },
                { "code": "name", "name_zh": "姓名", "data_type": "string", "sensitivity": "personal" },
                { "code": "age", "name_zh": "年龄", "data_type": "integer", "sensitivity": "public" }
            ]
        }))
        .expect("resource input");
        Resource {
            id: ResourceId("r1".into()),
            code: input.code,
            name_zh: input.name_zh,
            name_en: input.name_en,
            provider: input.provider,
            summary: input.summary,
            classification: input.classification,
            format: input.format,
            fields: input.fields,
            sharing: input.sharing,
            open_class: input.open_class,
            update_cycle: input.update_cycle,
            published_on: None,
            related: input.related,
            keywords: input.keywords,
            current_version: 0,
            status: ResourceStatus::Published,
            revision: 1,
            created: Millis(0),
            updated: Millis(0),
        }
    }

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    fn mapping(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn a_saved_mapping_places_its_columns_and_names_match_the_rest() {
        let plans = plan(&resource()).unwrap();
        let h = headers(&["证件号码", "姓名", "岁数"]);
        let mut notes = Vec::new();
        let choice = MappingChoice::Saved(mapping(&[("id_number", "证件号码"), ("age", "年纪")]));
        let columns = map_columns(&plans, &h, &choice, &mut notes).unwrap();
        assert_eq!(columns[0], Some(0));
        assert_eq!(columns[1], Some(1), "name matched by its Chinese name");
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].starts_with("age：") && notes[0].contains("年纪"),
            "{notes:?}"
        );
    }

    #[test]
    fn a_given_mapping_is_strict_and_names_what_is_wrong() {
        let plans = plan(&resource()).unwrap();
        let h = headers(&["证件号码"]);
        let mut notes = Vec::new();
        let missing = MappingChoice::Given(mapping(&[("id_number", "身份证")]));
        let err = map_columns(&plans, &h, &missing, &mut notes).unwrap_err();
        assert!(matches!(err, crate::Error::Invalid(i) if i.field == "mapping.id_number"));
        let unknown = MappingChoice::Given(mapping(&[("id_number", "证件号码"), ("salary", "证件号码")]));
        let err = map_columns(&plans, &h, &unknown, &mut notes).unwrap_err();
        assert!(matches!(err, crate::Error::Invalid(i) if i.field == "mapping.salary"));
    }

    #[test]
    fn a_required_field_without_a_column_is_named() {
        let plans = plan(&resource()).unwrap();
        let err = map_columns(
            &plans,
            &headers(&["年龄"]),
            &MappingChoice::ByName,
            &mut Vec::new(),
        )
        .unwrap_err();
        assert!(matches!(err, crate::Error::Invalid(i) if i.field == "id_number"));
    }

    #[test]
    fn saved_mappings_are_checked_against_the_resource_s_fields() {
        let r = resource();
        let ok = checked_mapping(&r, mapping(&[(" age ", " 岁数 ")])).unwrap();
        assert_eq!(ok, mapping(&[("age", "岁数")]));
        let err = checked_mapping(&r, mapping(&[("salary", "工资")])).unwrap_err();
        assert!(matches!(err, crate::Error::Invalid(i) if i.field == "mapping.salary"));
        let err = checked_mapping(&r, mapping(&[("age", "  ")])).unwrap_err();
        assert!(matches!(err, crate::Error::Invalid(i) if i.field == "mapping.age"));
    }

    #[test]
    fn the_callers_mapping_wins_over_the_saved_one() {
        let saved = SavedMapping {
            resource: "X".into(),
            mapping: mapping(&[("age", "岁数")]),
            saved_by: "u".into(),
            saved: Millis(0),
        };
        let given = mapping(&[("age", "年龄")]);
        assert!(matches!(
            MappingChoice::pick(&given, Some(saved.clone())),
            MappingChoice::Given(_)
        ));
        assert!(matches!(
            MappingChoice::pick(&BTreeMap::new(), Some(saved)),
            MappingChoice::Saved(_)
        ));
        assert!(matches!(
            MappingChoice::pick(&BTreeMap::new(), None),
            MappingChoice::ByName
        ));
    }
}
