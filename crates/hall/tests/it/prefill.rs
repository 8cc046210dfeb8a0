//! 预填: which fields the hall asks a source for, as whom and for what, and which answers fit
//! the form.

use crate::support::{World, citizen, item_input, staff, step};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tongban_hall::{
    BundleInput, FieldKind, FieldSource, FormField, HolderFuture, KnownAnswer, MIGRATIONS, PersonalFuture,
    PrefillFuture, PrefillQuery, PrefillSource, RecordHolder, ServiceItem, SignMode, SourceRecord, StepKind,
};
use tongban_kernel::Principal;
use tongban_kernel::{DeptPath, Role};
use tongban_test_support::each_backend;

/// What a source was asked: reader's department and name, resource, fields, purpose.
type Asked = (String, String, String, Vec<String>, String);

/// Holds one record for `GA-HUJI`; `GA-BROKEN` cannot be read; anything else has no record.
/// Every applicant is the person with the test ID number; how often that was asked is counted.
#[derive(Default)]
struct Registry {
    asked: Mutex<Vec<Asked>>,
    holders_asked: Mutex<usize>,
}

impl PrefillSource for Registry {
    fn holder<'a>(&'a self, _applicant: &'a Principal) -> HolderFuture<'a> {
        *self.holders_asked.lock().unwrap() += 1;
        Box::pin(async { Ok(Some(RecordHolder::Person(crate::support::ID.to_string()))) })
    }

    /// `GA-HUJI`'s `id_number` and `name` are personal; the catalogue cannot say for `GA-UNSURE`.
    fn is_personal<'a>(&'a self, resource: &'a str, field: &'a str) -> PersonalFuture<'a> {
        let out = match resource {
            "GA-HUJI" => Ok(matches!(field, "id_number" | "name")),
            "GA-UNSURE" => Err("the catalogue is offline".to_string()),
            _ => Ok(false),
        };
        Box::pin(async move { out })
    }

    fn read<'a>(&'a self, q: PrefillQuery<'a>) -> PrefillFuture<'a> {
        assert_eq!(q.holder, &RecordHolder::Person(crate::support::ID.to_string()));
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
        assert_eq!(
            *source.holders_asked.lock().unwrap(),
            1,
            "who the applicant is, is asked once per form"
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

#[tokio::test]
async fn a_bundle_asks_who_the_applicant_is_once_and_each_department_reads_as_itself() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let source = Arc::new(Registry::default());
        let hall = w.hall.clone().with_prefill(source.clone());
        let mut codes = Vec::new();
        for (code, dept) in [("GA-PREFILL", &w.police), ("WJ-PREFILL", &w.health)] {
            let admin = staff("admin", dept, Role::DeptAdmin);
            let mut input = item_input(code, dept);
            for f in &mut input.fields {
                f.prefill = (f.code == "id_number")
                    .then(|| from("GA-HUJI", "id_number"))
                    .flatten();
            }
            let item = hall.create_item(&admin, input).await.unwrap();
            let steps = [StepKind::Accept, StepKind::Decide, StepKind::Issue]
                .into_iter()
                .map(|k| step(k, &[(dept, "clerk")], SignMode::All, None))
                .collect();
            hall.save_workflow(&admin, &item.id, steps).await.unwrap();
            codes.push(code.to_string());
        }
        let city = tongban_hall::DeptRef {
            id: "city".into(),
            path: DeptPath("/3301/".into()),
            name_zh: "市".into(),
        };
        let bundle = hall
            .create_bundle(
                &staff("city-admin", &city, Role::DeptAdmin),
                BundleInput {
                    code: "PREFILL-BUNDLE".into(),
                    name: "预填一件事".into(),
                    life_event: "出生".into(),
                    description: "两个部门各读一次".into(),
                    items: codes,
                    active: true,
                },
            )
            .await
            .unwrap();

        let known = hall
            .known_bundle_answers(&citizen("zhang"), &bundle)
            .await
            .unwrap();
        assert_eq!(known["id_number"].value, crate::support::ID);
        assert_eq!(
            *source.holders_asked.lock().unwrap(),
            1,
            "once for the whole bundle"
        );
        let readers: Vec<String> = source.asked.lock().unwrap().iter().map(|a| a.0.clone()).collect();
        assert_eq!(readers, [w.police.path.0.clone(), w.health.path.0.clone()]);
    })
    .await;
}

#[test]
fn a_record_holder_prints_masked() {
    let shown = format!("{:?}", RecordHolder::Person(crate::support::ID.to_string()));
    assert!(!shown.contains(&crate::support::ID[..6]), "{shown}");
    assert!(shown.starts_with("Person(****"), "{shown}");
}

#[tokio::test]
async fn a_field_prefilled_from_personal_data_is_stored_personal_and_an_unsure_source_fails_the_save() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let hall = w.hall.clone().with_prefill(Arc::new(Registry::default()));
        let admin = staff("ga-admin", &w.police, Role::DeptAdmin);
        let mut input = item_input("GA-PERSONAL", &w.police);
        let pick = |code: &str| input.fields.iter().position(|f| f.code == code).unwrap();
        let (name, months) = (pick("name"), pick("months"));
        input.fields[name].personal = false;
        input.fields[name].prefill = from("GA-HUJI", "name");
        input.fields[months].prefill = from("GA-HUJI", "months");
        let item = hall.create_item(&admin, input.clone()).await.unwrap();
        let personal =
            |i: &ServiceItem, code: &str| i.fields.iter().find(|f| f.code == code).unwrap().personal;
        assert!(
            personal(&item, "name"),
            "a name from the register is personal here too"
        );
        assert!(
            !personal(&item, "months"),
            "a field that is not personal stays as given"
        );

        // Edited without the box ticked: still personal.
        let again = hall
            .update_item(&admin, &item.id, item.version, input.clone())
            .await
            .unwrap();
        assert!(personal(&again, "name"));

        // A source that cannot tell refuses the save rather than store the field in clear.
        input.fields[months].prefill = from("GA-UNSURE", "months");
        let refused = hall.update_item(&admin, &item.id, again.version, input).await;
        assert!(
            matches!(refused, Err(tongban_hall::Error::Prefill(_))),
            "{refused:?}"
        );
    })
    .await;
}
