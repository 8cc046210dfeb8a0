//! 预填: the answers government already holds about the applicant, read as the service's own
//! department — only the fields that department provides or has been granted — for the
//! applicant's own record. The hall never reads the data pool: the caller wires a
//! [`PrefillSource`] (the server backs it with identity, the catalogue and the pool) and the
//! hall decides which fields to ask for, as whom, for what purpose, and which values fit the
//! form. Each value carries its source so the applicant can see where it came from and correct
//! it; at submission the caller looks again, so what the case records as prefilled (and
//! corrected) never rests on what the browser sent back.

use crate::{Bundle, Error, FieldKind, FormField, Hall, Prefilled, Result, ServiceItem};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use tongban_kernel::Principal;

/// Whose record a prefill reads: the applicant's verified ID number, or their organisation's
/// unified social credit code. Printed masked, so a log line never completes it.
#[derive(Clone, PartialEq, Eq)]
pub enum RecordHolder {
    /// A person, by ID number.
    Person(String),
    /// An organisation, by unified social credit code.
    Organisation(String),
}

impl std::fmt::Debug for RecordHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (kind, key) = match self {
            RecordHolder::Person(k) => ("Person", k),
            RecordHolder::Organisation(k) => ("Organisation", k),
        };
        let masked = tongban_crypto::mask_generic(key, 0, 2);
        write!(f, "{kind}({masked})")
    }
}

/// One read a [`PrefillSource`] is asked for.
#[derive(Debug, Clone, Copy)]
pub struct PrefillQuery<'a> {
    /// Whose record, as [`PrefillSource::holder`] said once for the whole form.
    pub holder: &'a RecordHolder,
    /// Who reads: the service's department, as the ledger will name it.
    pub reader: &'a Principal,
    /// The shared data resource's code.
    pub resource: &'a str,
    /// The resource's fields wanted, each once.
    pub fields: &'a [String],
    /// 用途, recorded with the read.
    pub purpose: &'a str,
}

/// What a source found: the values by resource field, and the source named as people know it
/// (`示范市公安局 · 户籍人口基本信息`).
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRecord {
    /// The provider and the data's name.
    pub source: String,
    /// Values by the resource's field code.
    pub values: BTreeMap<String, serde_json::Value>,
}

/// What a prefill read returns: the record, `None` when the source holds none for the
/// applicant, or why it could not be read.
pub type PrefillFuture<'a> =
    Pin<Box<dyn Future<Output = std::result::Result<Option<SourceRecord>, String>> + Send + 'a>>;

/// Who the applicant is to the sources: `None` when they have neither a verified ID number
/// nor a credit code (then nothing is prefilled), or why it could not be told.
pub type HolderFuture<'a> =
    Pin<Box<dyn Future<Output = std::result::Result<Option<RecordHolder>, String>> + Send + 'a>>;

/// Whether a resource's field holds personal data, or why that could not be told. A resource
/// or field the source does not know is not personal (a prefill from it finds nothing).
pub type PersonalFuture<'a> = Pin<Box<dyn Future<Output = std::result::Result<bool, String>> + Send + 'a>>;

/// Reads the applicant's record from a shared data resource.
pub trait PrefillSource: Send + Sync {
    /// Whose record `applicant` may have prefilled; asked once per form.
    fn holder<'a>(&'a self, applicant: &'a Principal) -> HolderFuture<'a>;

    /// Whether `field` of `resource` is personal data (个人信息), as the catalogue says.
    fn is_personal<'a>(&'a self, resource: &'a str, field: &'a str) -> PersonalFuture<'a>;

    /// The record `query` asks for.
    fn read<'a>(&'a self, query: PrefillQuery<'a>) -> PrefillFuture<'a>;
}

/// A prefilled answer and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownAnswer {
    /// The value, as the form expects it.
    pub value: String,
    /// `示范市公安局 · 户籍人口基本信息`.
    pub source: String,
}

/// The department of `item` reading for its form: the ledger names the department and the
/// service.
fn reader(item: &ServiceItem) -> Principal {
    Principal {
        name: format!("{}（一网通办预填 {}）", item.department.name_zh, item.code),
        department: Some(item.department.path.clone()),
        ..Principal::system("hall-prefill")
    }
}

impl Hall {
    /// The prefill of `item`'s form for `applicant`, by field code. Nothing without a wired
    /// source; a resource that cannot be read is skipped (prefill is a convenience: the
    /// applicant can always type the answer).
    pub async fn known_answers(
        &self,
        applicant: &Principal,
        item: &ServiceItem,
    ) -> BTreeMap<String, KnownAnswer> {
        if !asks_prefill(item) {
            return BTreeMap::new();
        }
        match self.holder(applicant).await {
            Some((source, holder)) => answers_of(source.as_ref(), &holder, item).await,
            None => BTreeMap::new(),
        }
    }

    /// The prefill of a bundle's merged form: each of its items is read as its own department
    /// and the answers merged, so a field is filled when any department asking for it may read
    /// it (the first item's source wins). Who the applicant is, is asked once.
    pub async fn known_bundle_answers(
        &self,
        applicant: &Principal,
        bundle: &Bundle,
    ) -> Result<BTreeMap<String, KnownAnswer>> {
        let mut out = BTreeMap::new();
        let items = self.bundle_items(bundle).await?;
        if !items.iter().any(asks_prefill) {
            return Ok(out);
        }
        let Some((source, holder)) = self.holder(applicant).await else {
            return Ok(out);
        };
        for item in items {
            for (code, k) in answers_of(source.as_ref(), &holder, &item).await {
                out.entry(code).or_insert(k);
            }
        }
        Ok(out)
    }

    /// A field prefilled from personal data (a name in the household register) is personal
    /// too — stored encrypted and shown masked — whatever the administrator ticked. Without a
    /// wired source the fields stay as given; a source that cannot tell fails the save rather
    /// than keep personal data in clear.
    pub(crate) async fn mark_personal_sources(&self, fields: &mut [FormField]) -> Result<()> {
        let Some(source) = &self.prefill else {
            return Ok(());
        };
        for field in fields.iter_mut().filter(|f| !f.personal) {
            let Some(from) = &field.prefill else {
                continue;
            };
            if source
                .is_personal(&from.resource, &from.field)
                .await
                .map_err(Error::Prefill)?
            {
                field.personal = true;
            }
        }
        Ok(())
    }

    /// The wired source and whose record it reads for `applicant`; `None` without a source,
    /// without a record key, or when the source cannot tell (logged: prefill is a convenience).
    async fn holder(
        &self,
        applicant: &Principal,
    ) -> Option<(std::sync::Arc<dyn PrefillSource>, RecordHolder)> {
        let source = self.prefill.clone()?;
        match source.holder(applicant).await {
            Ok(Some(holder)) => Some((source, holder)),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "prefill: the applicant's record key could not be read");
                None
            }
        }
    }
}

/// The answers `source` holds for `holder` that fit `item`'s form, each resource read once as
/// the item's department.
async fn answers_of(
    source: &dyn PrefillSource,
    holder: &RecordHolder,
    item: &ServiceItem,
) -> BTreeMap<String, KnownAnswer> {
    let mut out = BTreeMap::new();
    // Resource code → the form fields it fills.
    let mut by_resource: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    for f in &item.fields {
        if let Some(src) = &f.prefill {
            by_resource
                .entry(src.resource.as_str())
                .or_default()
                .push((f.code.as_str(), src.field.as_str()));
        }
    }
    let who = reader(item);
    let purpose = format!("{}（{}）申请表预填", item.name, item.code);
    for (resource, fields) in by_resource {
        let mut wanted: Vec<String> = fields.iter().map(|(_, f)| f.to_string()).collect();
        wanted.sort();
        wanted.dedup();
        let query = PrefillQuery {
            holder,
            reader: &who,
            resource,
            fields: &wanted,
            purpose: &purpose,
        };
        let record = match source.read(query).await {
            Ok(Some(r)) => r,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(error = %e, resource, "prefill: the resource could not be read");
                continue;
            }
        };
        for (code, field) in fields {
            let Some(value) = record.values.get(field).and_then(text_of) else {
                continue;
            };
            if fits(item, code, &value) {
                out.insert(
                    code.to_string(),
                    KnownAnswer {
                        value,
                        source: record.source.clone(),
                    },
                );
            }
        }
    }
    out
}

/// Whether any of `item`'s fields names a source.
fn asks_prefill(item: &ServiceItem) -> bool {
    item.fields.iter().any(|f| f.prefill.is_some())
}

/// Whether `value` can answer the field `code` of `item`: a choice only with one of its
/// options, a file never.
fn fits(item: &ServiceItem, code: &str, value: &str) -> bool {
    item.fields
        .iter()
        .find(|f| f.code == code)
        .is_some_and(|f| match &f.kind {
            FieldKind::Choice { options } => options.iter().any(|o| o.value == value),
            FieldKind::File => false,
            _ => true,
        })
}

fn text_of(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// What the case records as prefilled: each known answer the applicant submitted, marked
/// corrected when they changed it.
pub fn prefill_marks(
    known: &BTreeMap<String, KnownAnswer>,
    answers: &BTreeMap<String, String>,
) -> BTreeMap<String, Prefilled> {
    known
        .iter()
        .filter_map(|(code, k)| {
            let given = answers.get(code).map(|v| v.trim()).filter(|v| !v.is_empty())?;
            Some((
                code.clone(),
                Prefilled {
                    source: k.source.clone(),
                    corrected: given != k.value,
                },
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_answer_is_marked_corrected_and_an_empty_one_is_not_marked() {
        let known: BTreeMap<String, KnownAnswer> = [
            ("name", "张三"),
            ("address", "示范市人民路1号"),
            ("district", "城东区"),
        ]
        .into_iter()
        .map(|(c, v)| {
            (
                c.to_string(),
                KnownAnswer {
                    value: v.into(),
                    source: "示范市公安局 · 户籍人口基本信息".into(),
                },
            )
        })
        .collect();
        let answers: BTreeMap<String, String> = [
            ("name", " 张三 "),
            ("address", "示范市人民路2号"),
            ("district", ""),
        ]
        .into_iter()
        .map(|(c, v)| (c.to_string(), v.to_string()))
        .collect();
        let m = prefill_marks(&known, &answers);
        assert!(!m["name"].corrected);
        assert!(m["address"].corrected);
        assert!(!m.contains_key("district"));
        assert_eq!(m["name"].source, "示范市公安局 · 户籍人口基本信息");
    }

    #[test]
    fn only_text_numbers_and_booleans_become_answers() {
        assert_eq!(text_of(&serde_json::json!(" 城东区 ")), Some("城东区".into()));
        assert_eq!(text_of(&serde_json::json!(32)), Some("32".into()));
        assert_eq!(text_of(&serde_json::json!(null)), None);
        assert_eq!(text_of(&serde_json::json!("  ")), None);
        assert_eq!(text_of(&serde_json::json!(["a"])), None);
    }
}
