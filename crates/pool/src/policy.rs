//! 访问策略: what one principal may see of each resource in the lake, decided from the catalog
//! alone. The SQL engine and the exchange API both start here, so a field that is not granted
//! is not left out by the caller: it never reaches them.
//!
//! A principal sees a resource's rows through exactly one basis, the first that applies:
//! - **provider** (提供方): staff of the providing department (or a unit under it) see every
//!   field of their own data, personal fields masked;
//! - **grant** (共享授权): the fields the grant lists, personal ones in clear text only when the
//!   grant says so, rows limited by its row filter;
//! - **open** (开放数据): a fully open resource's non-personal fields, every row.
//!
//! Anything else is denied.

use crate::personal;
use crate::{Error, Pool, Result};
use tongban_catalog::{
    Grant, GrantId, GrantUse, Grantee, OpenClass, Resource, ResourceField, RowFilter, Sensitivity,
};
use tongban_kernel::msg;
use tongban_kernel::{DeptPath, Permission, Principal, PrincipalKind};

/// How a field's values reach the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// Stored and shown as is (public or internal fields).
    Plain,
    /// A personal field, decrypted and masked (`3301*************4`).
    Masked,
    /// A personal field, decrypted in clear text: the grant allows it.
    Clear,
}

/// One field the caller may see.
#[derive(Debug, Clone)]
pub struct FieldAccess {
    /// The catalog's description of the field.
    pub field: ResourceField,
    /// How its values are shown.
    pub shown: Shown,
}

impl FieldAccess {
    /// Whether the field is personal (stored encrypted, with a blind index beside it).
    pub fn personal(&self) -> bool {
        self.shown != Shown::Plain
    }
}

/// Why the caller may see a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Basis {
    /// The caller's department provides it.
    Provider,
    /// A grant to the caller's department or system.
    Grant(GrantId),
    /// It is open data.
    Open,
}

impl Basis {
    /// `provider`, `grant` or `open`, as events record it.
    pub fn code(&self) -> &'static str {
        match self {
            Basis::Provider => "provider",
            Basis::Grant(_) => "grant",
            Basis::Open => "open",
        }
    }
}

/// What a principal may see of one resource's current version.
#[derive(Debug, Clone)]
pub struct Access {
    /// The resource (its current version is what is read).
    pub resource: Resource,
    /// The visible fields, in the resource's order.
    pub fields: Vec<FieldAccess>,
    /// Only rows whose field holds one of these values.
    pub row_filter: Option<RowFilter>,
    /// Why access is allowed.
    pub basis: Basis,
    /// The grant's purpose (用途), when access comes from a grant.
    pub purpose: Option<String>,
    /// Why the grant gives personal fields in clear text, when it gives any.
    pub clear_basis: Option<String>,
}

impl Access {
    /// The same access with every clear personal field masked: clear text is for one person's
    /// record at a time, never for a search that can return many (by name, by district).
    pub fn clear_masked(mut self) -> Access {
        for f in &mut self.fields {
            if f.shown == Shown::Clear {
                f.shown = Shown::Masked;
            }
        }
        self.clear_basis = None;
        self
    }

    /// Whether looking up by `filters` names one person or organisation: a filter on an
    /// identifier field (a key, or one holding ID numbers or credit codes).
    pub fn by_identifier(&self, filters: &[(String, String)]) -> bool {
        filters.iter().any(|(code, _)| {
            self.field(code).is_some_and(|f| {
                f.field.is_key || matches!(f.field.standardizer.as_deref(), Some("id_number" | "credit_code"))
            })
        })
    }

    /// The visible field with `code`.
    pub fn field(&self, code: &str) -> Option<&FieldAccess> {
        self.fields.iter().find(|f| f.field.code == code)
    }
}

/// The access `dept` (the caller's department, if any) has to `resource` for a read of kind
/// `reading`, given the caller's live `grant` on it, or `None`: deny. See the module
/// documentation for the order of bases. A grant counts only for the uses it names, and a query
/// never shows a personal field in clear, whatever the grant says.
pub fn access(
    resource: &Resource,
    grant: Option<&Grant>,
    dept: Option<&DeptPath>,
    reading: GrantUse,
) -> Option<Access> {
    let grant = grant.filter(|g| g.allows(reading));
    let personal = |f: &ResourceField| f.sensitivity == Sensitivity::Personal;
    let make = |fields: Vec<FieldAccess>, row_filter, basis, purpose| {
        let clear_basis = grant
            .filter(|_| fields.iter().any(|f: &FieldAccess| f.shown == Shown::Clear))
            .map(|g| g.clear_basis.clone());
        (!fields.is_empty()).then(|| Access {
            resource: resource.clone(),
            fields,
            row_filter,
            basis,
            purpose,
            clear_basis,
        })
    };
    if dept.is_some_and(|d| resource.provider.path.contains(d)) {
        let fields = resource
            .fields
            .iter()
            .map(|f| FieldAccess {
                field: f.clone(),
                shown: if personal(f) { Shown::Masked } else { Shown::Plain },
            })
            .collect();
        return make(fields, None, Basis::Provider, None);
    }
    if let Some(g) = grant {
        let fields = resource
            .fields
            .iter()
            .filter(|f| g.allows_field(&f.code))
            .map(|f| FieldAccess {
                field: f.clone(),
                shown: match (personal(f), g.is_clear(&f.code) && reading != GrantUse::Query) {
                    (false, _) => Shown::Plain,
                    (true, false) => Shown::Masked,
                    (true, true) => Shown::Clear,
                },
            })
            .collect();
        return make(
            fields,
            g.row_filter.clone(),
            Basis::Grant(g.id.clone()),
            Some(g.purpose.clone()),
        );
    }
    if resource.open_class == OpenClass::Open {
        let fields = resource
            .fields
            .iter()
            .filter(|f| !personal(f))
            .map(|f| FieldAccess {
                field: f.clone(),
                shown: Shown::Plain,
            })
            .collect();
        return make(fields, None, Basis::Open, None);
    }
    None
}

/// The grantee a principal's grants are held by: its own system grant or its department's.
/// Enforcement lookups match departments by path, so the department id is not needed here.
pub fn grantee_of(p: &Principal) -> Option<Grantee> {
    let department = p.department.clone()?;
    Some(match p.kind {
        PrincipalKind::ApiClient => Grantee::ApiClient {
            id: p.id.clone(),
            department,
        },
        _ => Grantee::Department {
            id: String::new(),
            path: department,
        },
    })
}

impl Pool {
    /// Every resource with data the actor may query (SQL), with what it may see of each: grants
    /// count only where they name [`GrantUse::Query`], and personal fields are masked. Users
    /// need `QueryPool`; department systems read through their grants.
    pub async fn accessible(&self, actor: &Principal) -> Result<Vec<Access>> {
        if actor.kind != PrincipalKind::ApiClient {
            actor.require(Permission::QueryPool, actor.department.as_ref())?;
        }
        let today = self.catalog.today();
        let grants = match grantee_of(actor) {
            Some(g) => self.catalog.grants_for(&g, today).await?,
            None => Vec::new(),
        };
        let resources = self.catalog.published_with_data().await?;
        Ok(resources
            .iter()
            .filter_map(|r| {
                let grant = grants.iter().find(|g| g.resource_id == r.id);
                access(r, grant, actor.department.as_ref(), GrantUse::Query)
            })
            .collect())
    }

    /// What the actor may see of one resource, or a refusal naming it.
    pub async fn access_to(&self, actor: &Principal, code: &str) -> Result<Access> {
        let code = code.trim().to_uppercase();
        self.accessible(actor)
            .await?
            .into_iter()
            .find(|a| a.resource.code == code)
            .ok_or_else(|| Error::Forbidden {
                why: msg!("no-grant-resource-code", code = code),
            })
    }
}

/// The name of the blind-index column beside a personal field.
pub fn bidx_column(field: &str) -> String {
    format!("{field}{}", crate::BIDX_SUFFIX)
}

/// The blind index a lookup value of `field` is compared by.
pub fn blind_index_of(cipher: &tongban_crypto::FieldCipher, field: &ResourceField, value: &str) -> String {
    cipher.blind_index(&personal::blind_domain(field), value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongban_catalog::{
        Classification, DataType, DeptRef, ResourceClass, ResourceFormat, ResourceId, ResourceStatus,
        SharingClass, SharingTerms, UpdateCycle,
    };
    use tongban_kernel::Millis;

    fn resource(open: OpenClass) -> Resource {
        let field = |code: &str, sensitivity| ResourceField {
            code: code.into(),
            name_zh: code.into(),
            data_type: DataType::String,
            description: String::new(),
            sensitivity,
            is_key: false,
            rules: Vec::new(),
            standardizer: None,
        };
        Resource {
            id: ResourceId("r1".into()),
            code: "9901-GA-0001".into(),
            name_zh: "户籍".into(),
            name_en: String::new(),
            provider: DeptRef {
                id: "d1".into(),
                path: dept("/9901/9901-GA/"),
                name_zh: "公安局".into(),
            },
            summary: String::new(),
            classification: Classification {
                class: ResourceClass::Basic,
                category: "A".into(),
                item: String::new(),
                detail: String::new(),
            },
            format: ResourceFormat::Table,
            fields: vec![
                field("id_number", Sensitivity::Personal),
                field("district", Sensitivity::Internal),
            ],
            sharing: SharingTerms {
                class: SharingClass::Conditional,
                condition: String::new(),
                legal_basis: String::new(),
            },
            open_class: open,
            update_cycle: UpdateCycle::Daily,
            published_on: None,
            related: Vec::new(),
            keywords: Vec::new(),
            current_version: 1,
            status: ResourceStatus::Published,
            revision: 1,
            created: Millis(0),
            updated: Millis(0),
        }
    }

    fn dept(p: &str) -> DeptPath {
        serde_json::from_value(serde_json::json!(p)).expect("path")
    }

    #[test]
    fn staff_of_the_provider_see_every_field_with_personal_ones_masked() {
        let a = access(
            &resource(OpenClass::NotOpen),
            None,
            Some(&dept("/9901/9901-GA/hz/")),
            GrantUse::Query,
        )
        .expect("own data");
        assert_eq!(a.basis, Basis::Provider);
        assert_eq!(a.fields.len(), 2);
        assert_eq!(a.field("id_number").map(|f| f.shown), Some(Shown::Masked));
    }

    #[test]
    fn without_a_grant_only_open_resources_show_and_never_their_personal_fields() {
        let other = dept("/9901/9901-MZ/");
        assert!(
            access(
                &resource(OpenClass::NotOpen),
                None,
                Some(&other),
                GrantUse::Exchange
            )
            .is_none()
        );
        let a = access(&resource(OpenClass::Open), None, Some(&other), GrantUse::Query).expect("open data");
        assert_eq!(a.basis, Basis::Open);
        assert!(a.field("id_number").is_none());
        assert!(a.field("district").is_some());
    }
}
