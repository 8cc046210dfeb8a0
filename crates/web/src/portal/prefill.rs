//! 预填: the answers government already holds about the applicant, read from the data pool as
//! the service's own department — only the fields that department provides or has been granted
//! — for the applicant's own record (found by their verified ID number or credit code). Each
//! value carries its source so the applicant can see where it came from and correct it; at
//! submission the lookup is done again, so what the case records as prefilled (and corrected)
//! never rests on what the browser sent back.

use crate::AppState;
use std::collections::BTreeMap;
use tongban_hall::{FieldKind, Prefilled, ServiceItem};
use tongban_kernel::Principal;
use tongban_pool::Subject;

/// A prefilled answer and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Known {
    /// The value, as the form expects it.
    pub value: String,
    /// `示范市公安局 · 9901-GA-0001`.
    pub source: String,
}

/// The hall reading for `item`'s department: the ledger names the department and the service.
fn reader(item: &ServiceItem) -> Principal {
    Principal {
        name: format!("{}（一网通办预填 {}）", item.department.name_zh, item.code),
        department: Some(item.department.path.clone()),
        ..Principal::system("hall-prefill")
    }
}

/// The prefill of `item`'s form for `applicant`, by field code. A source that cannot be read is
/// skipped (prefill is a convenience: the applicant can always type the answer).
pub(crate) async fn known_answers(
    state: &AppState,
    applicant: &Principal,
    item: &ServiceItem,
) -> BTreeMap<String, Known> {
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
    if by_resource.is_empty() {
        return out;
    }
    let subject = match state.identity.own_identity(applicant).await {
        Ok(me) => match (me.id_number, me.credit_code) {
            (Some(id), _) => Subject::Person(id),
            (None, Some(code)) => Subject::Organisation(code),
            (None, None) => return out,
        },
        Err(e) => {
            tracing::warn!(error = %e, "prefill: the applicant's identifiers could not be read");
            return out;
        }
    };
    let who = reader(item);
    let purpose = format!("{}（{}）申请表预填", item.name, item.code);
    for (resource, fields) in by_resource {
        let mut wanted: Vec<String> = fields.iter().map(|(_, f)| f.to_string()).collect();
        wanted.dedup();
        let found = match state
            .pool
            .prefill(&who, resource, &subject, &wanted, &purpose)
            .await
        {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, resource, "prefill: the resource could not be read");
                continue;
            }
        };
        let Some(record) = found.record else { continue };
        // Named as people know it: the department and the data's name, not its catalogue code.
        let (provider, data_name) = match state.catalog.resource_by_code_cached(&found.resource).await {
            Ok(r) => {
                let provider = state
                    .identity
                    .official_name(&r.provider.path)
                    .await
                    .map_or_else(|_| found.provider.clone(), |(zh, _)| zh);
                (provider, r.name_zh)
            }
            Err(_) => (found.provider.clone(), found.resource.clone()),
        };
        let source = format!("{provider} · {data_name}");
        for (code, field) in fields {
            let Some(value) = record.get(field).and_then(text_of) else {
                continue;
            };
            let fits = item
                .fields
                .iter()
                .find(|f| f.code == code)
                .is_some_and(|f| match &f.kind {
                    FieldKind::Choice { options } => options.iter().any(|o| o.value == value),
                    FieldKind::File => false,
                    _ => true,
                });
            if fits {
                out.insert(
                    code.to_string(),
                    Known {
                        value,
                        source: source.clone(),
                    },
                );
            }
        }
    }
    out
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
pub(crate) fn marks(
    known: &BTreeMap<String, Known>,
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
        let known: BTreeMap<String, Known> = [
            ("name", "张三"),
            ("address", "示范市人民路1号"),
            ("district", "城东区"),
        ]
        .into_iter()
        .map(|(c, v)| {
            (
                c.to_string(),
                Known {
                    value: v.into(),
                    source: "示范市公安局 · 9901-GA-0001".into(),
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
        let m = marks(&known, &answers);
        assert!(!m["name"].corrected);
        assert!(m["address"].corrected);
        assert!(!m.contains_key("district"));
        assert_eq!(m["name"].source, "示范市公安局 · 9901-GA-0001");
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
