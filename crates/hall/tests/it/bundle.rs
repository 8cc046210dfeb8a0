//! 一件事一次办: a bundle over items of two departments takes one form and one upload, makes one
//! case per item in its own department in one go (or none when anything is wrong, named by
//! field), is idempotent, shows the applicant one timeline, and lets each department's staff
//! read the shared upload.

use crate::support::{World, citizen, conflict, forbidden, form, invalid, item_input, staff, step};
use std::collections::BTreeMap;
use tongban_hall::{
    BundleInput, FieldKind, MIGRATIONS, MaterialInput, NewBundleCase, Provided, ServiceItem, SignMode,
    StepKind, Upload,
};
use tongban_kernel::{DeptPath, Role};
use tongban_test_support::each_backend;

async fn item_in(w: &World, code: &str, dept: &tongban_hall::DeptRef) -> ServiceItem {
    let admin = staff("admin", dept, Role::DeptAdmin);
    let mut input = item_input(code, dept);
    for m in &mut input.materials {
        m.required |= m.code == "photo";
    }
    let item = w.hall.create_item(&admin, input).await.unwrap();
    let steps = [StepKind::Accept, StepKind::Decide, StepKind::Issue]
        .into_iter()
        .map(|k| step(k, &[(dept, "clerk")], SignMode::All, None))
        .collect();
    w.hall.save_workflow(&admin, &item.id, steps).await.unwrap();
    w.hall.item(&item.id).await.unwrap()
}

fn bundle(items: &[&str]) -> BundleInput {
    BundleInput {
        code: "NEWBORN".into(),
        name: "新生儿出生一件事".into(),
        life_event: "出生".into(),
        description: "出生医学证明、户口登记、社保卡一次办".into(),
        items: items.iter().map(|s| s.to_string()).collect(),
        active: true,
    }
}

async fn case_count(w: &World) -> i64 {
    w.db.fetch_one("SELECT COUNT(*) AS n FROM hall_cases", tongban_db::params![])
        .await
        .unwrap()
        .get("n")
        .unwrap()
}

#[tokio::test]
async fn one_form_makes_one_case_per_item_in_each_department() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let a = item_in(&w, "WJ-CSZM", &w.health).await;
        let b = item_in(&w, "GA-HKDJ", &w.police).await;
        let city = tongban_hall::DeptRef {
            id: "city".into(),
            path: DeptPath("/3301/".into()),
            name_zh: "市".into(),
        };
        let city_admin = staff("city-admin", &city, Role::DeptAdmin);

        // Bad definitions.
        invalid(
            w.hall.create_bundle(&city_admin, bundle(&["WJ-CSZM"])).await,
            "items",
        );
        invalid(
            w.hall
                .create_bundle(&city_admin, bundle(&["WJ-CSZM", "NOPE"]))
                .await,
            "items[1]",
        );
        invalid(
            w.hall
                .create_bundle(&city_admin, bundle(&["WJ-CSZM", "WJ-CSZM"]))
                .await,
            "items[1]",
        );
        let health_admin = staff("wj-admin", &w.health, Role::DeptAdmin);
        forbidden(
            w.hall
                .create_bundle(&health_admin, bundle(&["WJ-CSZM", "GA-HKDJ"]))
                .await,
        );
        let mut odd = item_input("RS-ODD", &w.labour);
        // The same field code with another kind cannot be asked once.
        for f in &mut odd.fields {
            if f.code == "reason" {
                f.kind = FieldKind::Text { max_chars: 10 };
            }
        }
        w.hall
            .create_item(&staff("rs-admin", &w.labour, Role::DeptAdmin), odd)
            .await
            .unwrap();
        invalid(
            w.hall
                .create_bundle(&city_admin, bundle(&["WJ-CSZM", "RS-ODD"]))
                .await,
            "items",
        );

        let made = w
            .hall
            .create_bundle(&city_admin, bundle(&["WJ-CSZM", "GA-HKDJ"]))
            .await
            .unwrap();
        assert_eq!(made.items, ["WJ-CSZM", "GA-HKDJ"]);
        conflict(
            w.hall
                .create_bundle(&city_admin, bundle(&["WJ-CSZM", "GA-HKDJ"]))
                .await,
            "code",
        );
        assert_eq!(w.hall.bundles().await.unwrap().len(), 1);
        let (fields, _) = tongban_hall::bundle_fields(&[a.clone(), b.clone()]);
        assert_eq!(fields.len(), a.fields.len(), "shared fields are asked once");

        let zhang = citizen("zhang");
        let photo = w
            .hall
            .upload_file(
                &zhang,
                Upload {
                    file_name: "baby.png".into(),
                    declared_type: "image/png".into(),
                    bytes: b"\x89PNG\r\n\x1a\nbaby".to_vec(),
                },
            )
            .await
            .unwrap();
        let application = |key: &str, form: BTreeMap<String, String>| NewBundleCase {
            bundle: "NEWBORN".into(),
            form,
            submission_key: key.into(),
            prefilled: BTreeMap::new(),
            materials: [(
                "photo".to_string(),
                MaterialInput::Upload {
                    file: photo.id.clone(),
                },
            )]
            .into_iter()
            .collect(),
        };
        // Anything wrong: named, and no case at all is made.
        let mut missing = form();
        missing.remove("name");
        invalid(
            w.hall
                .submit_bundle(&zhang, application("bundle-0001", missing))
                .await,
            "form.name",
        );
        let mut extra = form();
        extra.insert("shoe_size".into(), "38".into());
        invalid(
            w.hall
                .submit_bundle(&zhang, application("bundle-0002", extra))
                .await,
            "form.shoe_size",
        );
        let mut no_photo = application("bundle-0003", form());
        no_photo.materials.clear();
        invalid(w.hall.submit_bundle(&zhang, no_photo).await, "materials.photo");
        assert_eq!(case_count(&w).await, 0);

        let view = w
            .hall
            .submit_bundle(&zhang, application("bundle-0004", form()))
            .await
            .unwrap();
        assert_eq!(view.cases.len(), 2);
        assert_eq!(view.cases[0].case.department.path, w.health.path);
        assert_eq!(view.cases[1].case.department.path, w.police.path);
        assert_ne!(view.cases[0].case.number, view.cases[1].case.number);
        for v in &view.cases {
            let p = v.materials.iter().find(|m| m.code == "photo").unwrap();
            assert!(matches!(&p.provided, Provided::Upload { file, .. } if *file == photo.id));
        }
        assert_eq!(
            view.timeline
                .iter()
                .filter(|(_, l)| l.action == "submitted")
                .count(),
            2,
            "one timeline over both cases"
        );
        let again = w
            .hall
            .submit_bundle(&zhang, application("bundle-0004", form()))
            .await
            .unwrap();
        assert_eq!(again.id, view.id);
        assert_eq!(case_count(&w).await, 2);
        assert_eq!(w.hall.my_bundle_cases(&zhang).await.unwrap().len(), 1);
        assert_eq!(
            w.hall.bundle_of_case(&view.cases[1].case.id).await.unwrap(),
            Some(view.id.clone())
        );
        assert_eq!(w.events("hall.bundle.submitted").await.len(), 1);

        // Each department's clerk sees its own case and reads the one upload; another citizen
        // does not see the application.
        for dept in [&w.health, &w.police] {
            let clerk = staff("clerk", dept, Role::Clerk);
            let (_, bytes) = w.hall.file(&clerk, &photo.id).await.unwrap();
            assert!(bytes.starts_with(b"\x89PNG"));
        }
        assert!(matches!(
            w.hall.bundle_case(&citizen("li"), &view.id).await,
            Err(tongban_hall::Error::NotFound { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn a_bundle_is_edited_at_the_version_read_and_applications_keep_their_cases() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        item_in(&w, "WJ-CSZM", &w.health).await;
        item_in(&w, "GA-HKDJ", &w.police).await;
        item_in(&w, "RS-SBK", &w.labour).await;
        let city = tongban_hall::DeptRef {
            id: "city".into(),
            path: DeptPath("/3301/".into()),
            name_zh: "市".into(),
        };
        let city_admin = staff("city-admin", &city, Role::DeptAdmin);
        let made = w
            .hall
            .create_bundle(&city_admin, bundle(&["WJ-CSZM", "GA-HKDJ"]))
            .await
            .unwrap();

        // A department administrator may not edit a bundle reaching other departments' items.
        let health_admin = staff("wj-admin", &w.health, Role::DeptAdmin);
        forbidden(
            w.hall
                .update_bundle(
                    &health_admin,
                    &made.id,
                    made.version,
                    bundle(&["WJ-CSZM", "GA-HKDJ"]),
                )
                .await,
        );
        // Bad edits are named and change nothing.
        invalid(
            w.hall
                .update_bundle(&city_admin, &made.id, made.version, bundle(&["WJ-CSZM", "NOPE"]))
                .await,
            "items[1]",
        );
        let mut nameless = bundle(&["WJ-CSZM", "GA-HKDJ"]);
        nameless.name = "  ".into();
        invalid(
            w.hall
                .update_bundle(&city_admin, &made.id, made.version, nameless)
                .await,
            "name",
        );

        let mut three = bundle(&["WJ-CSZM", "GA-HKDJ", "RS-SBK"]);
        three.name = "出生一件事（含社保卡）".into();
        let edited = w
            .hall
            .update_bundle(&city_admin, &made.id, made.version, three.clone())
            .await
            .unwrap();
        assert_eq!(edited.version, made.version + 1);
        let read = w.hall.bundle_by_code("NEWBORN").await.unwrap();
        assert_eq!(read, edited);
        assert_eq!(read.items, ["WJ-CSZM", "GA-HKDJ", "RS-SBK"]);

        // An edit made from the old version is refused rather than undoing the first.
        conflict(
            w.hall
                .update_bundle(
                    &city_admin,
                    &made.id,
                    made.version,
                    bundle(&["WJ-CSZM", "GA-HKDJ"]),
                )
                .await,
            "version",
        );
        // Retired bundles leave the portal's list but stay in the console's.
        let mut retired = three;
        retired.active = false;
        w.hall
            .update_bundle(&city_admin, &made.id, edited.version, retired)
            .await
            .unwrap();
        assert!(w.hall.bundles().await.unwrap().is_empty());
        assert_eq!(w.hall.all_bundles().await.unwrap().len(), 1);
        let events: i64 =
            w.db.fetch_one(
                "SELECT COUNT(*) AS n FROM events WHERE action = 'hall.bundle.updated'",
                tongban_db::params![],
            )
            .await
            .unwrap()
            .get("n")
            .unwrap();
        assert_eq!(events, 2, "each edit is an event");
    })
    .await;
}

/// An item made ready to take applications from `input`.
async fn ready(
    w: &World,
    input: tongban_hall::ServiceItemInput,
    dept: &tongban_hall::DeptRef,
) -> ServiceItem {
    let admin = staff("admin", dept, Role::DeptAdmin);
    let item = w.hall.create_item(&admin, input).await.unwrap();
    let steps = [StepKind::Accept, StepKind::Decide, StepKind::Issue]
        .into_iter()
        .map(|k| step(k, &[(dept, "clerk")], SignMode::All, None))
        .collect();
    w.hall.save_workflow(&admin, &item.id, steps).await.unwrap();
    w.hall.item(&item.id).await.unwrap()
}

#[tokio::test]
async fn a_licence_one_service_of_the_bundle_issues_is_not_asked_of_another() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        // 卫健 issues the licence; 公安 asks for it as a material.
        let mut issuing = item_input("WJ-ISSUE", &w.health);
        issuing.licence = Some(crate::licence::spec());
        let a = ready(&w, issuing, &w.health).await;
        let mut asking = item_input("GA-ASK", &w.police);
        asking.materials.push(tongban_hall::Material {
            code: "permit".into(),
            name: "居住证".into(),
            required: true,
            source: tongban_hall::MaterialSource::Licence {
                licence_type: "residence-permit".into(),
            },
        });
        let b = ready(&w, asking, &w.police).await;
        assert!(
            !tongban_hall::bundle_materials(&[a.clone(), b.clone()])
                .iter()
                .any(|m| m.code == "permit"),
            "not asked of the applicant"
        );
        let city = tongban_hall::DeptRef {
            id: "city".into(),
            path: DeptPath("/3301/".into()),
            name_zh: "市".into(),
        };
        w.hall
            .create_bundle(
                &staff("city-admin", &city, Role::DeptAdmin),
                bundle(&["WJ-ISSUE", "GA-ASK"]),
            )
            .await
            .unwrap();
        let zhang = citizen("zhang");
        let view = w
            .hall
            .submit_bundle(
                &zhang,
                NewBundleCase {
                    bundle: "NEWBORN".into(),
                    form: form(),
                    submission_key: "bundle-issued-1".into(),
                    prefilled: BTreeMap::new(),
                    materials: BTreeMap::new(),
                },
            )
            .await
            .unwrap();
        let asked = view
            .cases
            .iter()
            .find(|v| v.case.department.path == w.police.path)
            .unwrap();
        let permit = asked.materials.iter().find(|m| m.code == "permit").unwrap();
        assert!(
            matches!(&permit.provided, Provided::IssuedInBundle { licence_type, issuer }
                if licence_type == "residence-permit" && *issuer == a.name),
            "{permit:?}"
        );
        // Alone, the same service still needs the licence.
        invalid(
            w.hall
                .submit_case(
                    &zhang,
                    tongban_hall::NewCase {
                        item: b.id.clone(),
                        form: form(),
                        submission_key: "alone-0001".into(),
                        prefilled: BTreeMap::new(),
                        materials: BTreeMap::new(),
                    },
                )
                .await,
            "materials.permit",
        );
    })
    .await;
}
