//! 预填: which fields the hall asks a source for, as whom and for what, and which answers fit
//! the form.

use crate::support::{World, citizen, item_input, staff};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tongban_hall::{
    FieldKind, FieldSource, FormField, KnownAnswer, MIGRATIONS, PrefillFuture, PrefillQuery, PrefillSource,
    ServiceItem, SourceRecord,
};
use tongban_kernel::Role;
use tongban_test_support::each_backend;

/// What a source was asked: reader's department and name, resource, fields, purpose.
type Asked = (String, String, String, Vec<String>, String);

/// Holds one record for `GA-HUJI`; `GA-BROKEN` cannot be read; anything else has no record.
#[derive(Default)]
struct Registry {
    asked: Mutex<Vec<Asked>>,
}

impl PrefillSource for Registry {
    fn read<'a>(&'a self, q: PrefillQuery<'a>) -> PrefillFuture<'a> {
        self.asked.lock().unwrap().push((
            q.reader
                .department
                .as_ref()
                .map(|d| d.0.clone())
                .unwrap_or_default(),
            q.reader.name.clone(),
            q.resource.to_string(),
            q.fields.to_vec(),
            q.purpose.to_string(),
        ));
        let out = match q.resource {
            "GA-HUJI" => Ok(Some(SourceRecord {
                source: "示范市公安局 · 户籍人口基本信息".into(),
                values: [
                    ("id_number", serde_json::json!(crate::support::ID)),
                    ("reason", serde_json::json!("travel")),
                    ("reason_code", serde_json::json!("work")),
                    ("photo", serde_json::json!("照片.jpg")),
                    ("months", serde_json::json!(8)),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            })),
            "GA-BROKEN" => Err("the lake is offline".to_string()),
            _ => Ok(None),
        };
        Box::pin(async move { out })
    }
}

fn from(resource: &str, field: &str) -> Option<FieldSource> {
    Some(FieldSource {
        resource: resource.into(),
        field: field.into(),
    })
}

/// The test item with every field but `name` naming a source.
async fn item(w: &World, hall: &tongban_hall::Hall) -> ServiceItem {
    let admin = staff("ga-admin", &w.police, Role::DeptAdmin);
    let mut input = item_input("GA-PREFILL", &w.police);
    for f in &mut input.fields {
        f.prefill = match f.code.as_str() {
            "id_number" => from("GA-HUJI", "id_number"),
            "reason" => from("GA-HUJI", "reason_code"),
            "photo" => from("GA-HUJI", "photo"),
            "months" => from("GA-HUJI", "months"),
            "address" => from("GA-BROKEN", "address"),
            "phone" => from("GA-NONE", "phone"),
            _ => None,
        };
    }
    input.fields.push(FormField {
        code: "reason_again".into(),
        label: "居住事由（复核）".into(),
        kind: input.fields[4].kind.clone(),
        required: false,
        personal: false,
        prefill: from("GA-HUJI", "reason"),
    });
    assert!(matches!(input.fields[4].kind, FieldKind::Choice { .. }));
    hall.create_item(&admin, input).await.unwrap()
}

#[tokio::test]
async fn the_service_department_asks_each_resource_once_and_only_fitting_answers_are_filled() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let source = Arc::new(Registry::default());
        let hall = w.hall.clone().with_prefill(source.clone());
        let item = item(&w, &hall).await;
        let known = hall.known_answers(&citizen("zhang"), &item).await;

        let filled: BTreeMap<&str, &str> = known
            .iter()
            .map(|(c, k)| (c.as_str(), k.value.as_str()))
            .collect();
        assert_eq!(
            filled,
            BTreeMap::from([
                ("id_number", crate::support::ID),
                ("months", "8"),
                // A choice takes one of its own options ("work"), never another value ("travel").
                ("reason", "work"),
            ]),
            "a file, a choice outside its options, an unreadable and an empty resource fill nothing"
        );
        assert!(
            known
                .values()
                .all(|k| k.source == "示范市公安局 · 户籍人口基本信息")
        );

        let asked = source.asked.lock().unwrap().clone();
        let resources: Vec<&str> = asked.iter().map(|a| a.2.as_str()).collect();
        assert_eq!(
            resources,
            ["GA-BROKEN", "GA-HUJI", "GA-NONE"],
            "each resource once"
        );
        let huji = asked.iter().find(|a| a.2 == "GA-HUJI").unwrap();
        assert_eq!(huji.3, ["id_number", "months", "photo", "reason", "reason_code"]);
        for (dept, name, _, _, purpose) in &asked {
            assert_eq!(dept, &w.police.path.0, "read as the service's own department");
            assert!(name.contains("GA-PREFILL") && name.contains("公安局"), "{name}");
            assert_eq!(purpose, "居住证办理（GA-PREFILL）申请表预填");
        }
    })
    .await;
}

#[tokio::test]
async fn without_a_source_nothing_is_prefilled_and_marks_follow_what_was_submitted() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let item = item(&w, &w.hall).await;
        assert!(w.hall.known_answers(&citizen("zhang"), &item).await.is_empty());

        let known = BTreeMap::from([(
            "months".to_string(),
            KnownAnswer {
                value: "8".into(),
                source: "示范市公安局 · 户籍人口基本信息".into(),
            },
        )]);
        let kept = tongban_hall::prefill_marks(&known, &BTreeMap::from([("months".into(), "8".into())]));
        assert!(!kept["months"].corrected);
        let changed = tongban_hall::prefill_marks(&known, &BTreeMap::from([("months".into(), "9".into())]));
        assert!(changed["months"].corrected);
    })
    .await;
}
