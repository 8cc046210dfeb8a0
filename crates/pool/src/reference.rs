//! 关联规则: a field whose values must exist in another resource's field (an owner's ID number
//! in the household register, a district code in the district table). Before a load, the other
//! resource's current version is read once into a set; each value is then one lookup. Personal
//! fields are stored encrypted, so they are compared by blind index, in the other field's
//! blind-index domain. A rule whose other resource holds no data yet cannot be checked: the
//! report says so and no row is rejected for it.

use crate::govern::{Cell, FieldPlan};
use crate::{Pool, Result, lake, personal};
use std::collections::HashSet;
use std::path::PathBuf;
use tongban_catalog::{QualityRule, Resource, Sensitivity};
use tongban_crypto::FieldCipher;
use tongban_kernel::msg;
use tongban_kernel::{Invalid, Principal};

/// A reference rule resolved to the stored version it checks against.
#[derive(Debug, Clone)]
pub(crate) struct ReferenceRule {
    /// The index of the field (plan) the rule belongs to.
    pub field: usize,
    /// `CODE.field` of the other resource, as reasons name it.
    pub target: String,
    /// The other resource's current version directory.
    pub dir: PathBuf,
    /// The column read there: the field, or its blind index when personal.
    pub column: String,
    /// The blind-index domain when the other field is personal.
    pub blind_domain: Option<String>,
}

impl Pool {
    /// Resolves the reference rules of `resource`'s fields against the other resources'
    /// current versions. Rules that cannot be checked (no such resource or field, no data yet)
    /// come back as notes for the report.
    pub(crate) async fn resolve_references(
        &self,
        actor: &Principal,
        resource: &Resource,
        plans: &[FieldPlan],
    ) -> Result<(Vec<ReferenceRule>, Vec<String>)> {
        let mut rules = Vec::new();
        let mut notes = Vec::new();
        for (i, p) in plans.iter().enumerate() {
            for rule in &p.field.rules {
                let QualityRule::Reference {
                    resource_code,
                    field_code,
                } = rule
                else {
                    continue;
                };
                let other = if resource_code.trim().eq_ignore_ascii_case(&resource.code) {
                    resource.clone()
                } else {
                    match self.catalog.resource_by_code(actor, resource_code).await {
                        Ok(r) => r,
                        Err(
                            tongban_catalog::Error::NotFound { .. }
                            | tongban_catalog::Error::Forbidden { .. },
                        ) => {
                            notes.push(not_checked(
                                &p.field.code,
                                &format!("{resource_code}.{field_code}"),
                                "关联资源不存在",
                                "the referenced resource does not exist",
                            ));
                            continue;
                        }
                        Err(e) => return Err(e.into()),
                    }
                };
                if other.current_version > 0 {
                    self.local_version(&other.code, other.current_version).await?;
                }
                match self.resolve_one(i, &other, field_code) {
                    Ok(r) => rules.push(r),
                    Err(note) => notes.push(not_checked(&p.field.code, &note.0, note.1, note.2)),
                }
            }
        }
        Ok((rules, notes))
    }

    /// One rule against `other`, or why it cannot be checked (target, zh, en).
    fn resolve_one(
        &self,
        field: usize,
        other: &Resource,
        field_code: &str,
    ) -> Result<ReferenceRule, (String, &'static str, &'static str)> {
        let target = format!("{}.{}", other.code, field_code.trim());
        let Some(f) = other.fields.iter().find(|f| f.code == field_code.trim()) else {
            return Err((
                target,
                "关联资源没有此数据项",
                "the referenced resource has no such field",
            ));
        };
        if other.current_version == 0 {
            return Err((
                target,
                "关联资源尚无数据",
                "the referenced resource has no data yet",
            ));
        }
        let personal = f.sensitivity == Sensitivity::Personal;
        Ok(ReferenceRule {
            field,
            target,
            dir: lake::version_dir(&self.lake_dir, &other.code, other.current_version),
            column: if personal {
                format!("{}{}", f.code, lake::BIDX_SUFFIX)
            } else {
                f.code.clone()
            },
            blind_domain: personal.then(|| personal::blind_domain(f)),
        })
    }
}

/// The note for a rule not checked.
fn not_checked(field: &str, target: &str, zh: &str, en: &str) -> String {
    msg!(
        "reference-not-checked",
        field = field,
        target = target,
        why = tongban_kernel::Arg::name(zh, en)
    )
    .to_string()
}

/// Reference rules with the other resources' values loaded.
pub(crate) struct References {
    loaded: Vec<Loaded>,
}

struct Loaded {
    rule: ReferenceRule,
    values: HashSet<String>,
}

impl References {
    /// Reads each rule's column from its stored version. A version without the column (the
    /// other resource's fields changed since) leaves the rule unchecked, with a note.
    pub fn load(rules: Vec<ReferenceRule>, field_codes: &[&str], notes: &mut Vec<String>) -> Result<Self> {
        let mut loaded = Vec::with_capacity(rules.len());
        for rule in rules {
            match lake::column_values(&rule.dir, &rule.column)? {
                Some(values) => loaded.push(Loaded { rule, values }),
                None => notes.push(not_checked(
                    field_codes.get(rule.field).copied().unwrap_or_default(),
                    &rule.target,
                    "关联资源的当前版本中没有此列",
                    "the referenced version has no such column",
                )),
            }
        }
        Ok(Self { loaded })
    }

    /// Checks a standardized, typed cell of field `field` against its rules.
    pub fn check(
        &self,
        field: usize,
        field_code: &str,
        cell: &Cell,
        cipher: &FieldCipher,
    ) -> Result<(), Invalid> {
        if *cell == Cell::Null {
            return Ok(());
        }
        for l in self.loaded.iter().filter(|l| l.rule.field == field) {
            let text = cell.key_text();
            let found = match &l.rule.blind_domain {
                Some(domain) => l.values.contains(&cipher.blind_index(domain, &text)),
                None => l.values.contains(&text),
            };
            if !found {
                let target = &l.rule.target;
                return Err(Invalid::new(
                    field_code,
                    msg!("value-not-found-target", target = target),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongban_crypto::Keyring;

    fn loaded(field: usize, values: &[&str], blind_domain: Option<&str>) -> References {
        References {
            loaded: vec![Loaded {
                rule: ReferenceRule {
                    field,
                    target: "3301-GA-0001.id_number".into(),
                    dir: PathBuf::new(),
                    column: "id_number".into(),
                    blind_domain: blind_domain.map(str::to_owned),
                },
                values: values.iter().map(|v| (*v).to_owned()).collect(),
            }],
        }
    }

    #[test]
    fn a_value_missing_from_the_other_resource_is_invalid_naming_both() {
        let cipher = Keyring::ephemeral().fields();
        let refs = loaded(0, &["上城区"], None);
        assert!(
            refs.check(0, "district", &Cell::Text("上城区".into()), &cipher)
                .is_ok()
        );
        assert!(refs.check(0, "district", &Cell::Null, &cipher).is_ok());
        assert!(
            refs.check(1, "other", &Cell::Text("火星区".into()), &cipher)
                .is_ok()
        );
        let err = refs
            .check(0, "district", &Cell::Text("火星区".into()), &cipher)
            .unwrap_err();
        assert_eq!(err.field, "district");
        assert!(
            err.reason.to_string().contains("3301-GA-0001.id_number")
                && err.reason.to_string().contains(" / ")
        );
    }

    #[test]
    fn personal_values_are_compared_by_blind_index() {
        let cipher = Keyring::ephemeral().fields();
        let bidx = cipher.blind_index("id_number", "11010519491231002X");
        let refs = loaded(0, &[bidx.as_str()], Some("id_number"));
        let cell = Cell::Text("11010519491231002X".into());
        assert!(refs.check(0, "owner_id", &cell, &cipher).is_ok());
        let plain = loaded(0, &["11010519491231002X"], Some("id_number"));
        assert!(plain.check(0, "owner_id", &cell, &cipher).is_err());
    }
}
