//! Saved mappings: a department maps its layout once per resource; later loads without a mapping
//! of their own use it. Saving is a write with its event and checks every field.

use crate::support::{CODE, Fixture, id, sets, system};
use std::collections::BTreeMap;
use tongban_kernel::{DeptPath, Principal, PrincipalKind, Role, RoleGrant};
use tongban_pool::{Error, IngestOptions};
use tongban_test_support::each_backend;

fn mapping(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(f, c)| ((*f).to_owned(), (*c).to_owned()))
        .collect()
}

/// A department's own export layout, with headers no name matching would find.
fn export(rows: u32) -> String {
    let mut text = String::from("c1,c2,c3,c4\n");
    for n in 1..=rows {
        text.push_str(&format!("{},张{n},滨江区,{}\n", id(n), 20 + n));
    }
    text
}

fn layout() -> BTreeMap<String, String> {
    mapping(&[
        ("id_number", "c1"),
        ("name", "c2"),
        ("district", "c3"),
        ("age", "c4"),
    ])
}

#[tokio::test]
async fn a_saved_mapping_feeds_later_loads_and_saving_it_is_an_event() {
    each_backend(&sets(), |db| async move {
        let f = Fixture::new(db).await;
        let path = f.upload("export.csv", export(3).as_bytes());
        let err = f
            .pool
            .ingest_file(&system(), CODE, &path, &IngestOptions::default())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Invalid(i) if i.field == "id_number"),
            "{err:?}"
        );
        assert_eq!(f.pool.saved_mapping(&system(), CODE).await.unwrap(), None);

        let saved = f.pool.save_mapping(&system(), CODE, layout()).await.unwrap();
        assert_eq!(saved.mapping, layout());
        let read = f.pool.saved_mapping(&system(), CODE).await.unwrap().unwrap();
        assert_eq!(read.mapping, layout());
        assert_eq!(read.saved_by, system().id);
        let events: Vec<_> = f
            .events()
            .await
            .into_iter()
            .filter(|e| e.action == "pool.mapping.saved")
            .collect();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].object_id, f.resource.id.as_str());
        assert_eq!(events[0].object_dept.as_deref(), Some("/3301/3301-GA/"));

        let report = f
            .pool
            .ingest_file(&system(), CODE, &path, &IngestOptions::default())
            .await
            .unwrap();
        assert_eq!((report.accepted, report.rejected), (3, 0));
        assert_eq!(report.mapping, layout());
    })
    .await;
}

#[tokio::test]
async fn a_saved_column_missing_from_the_file_is_noted_and_matched_by_name() {
    each_backend(&sets(), |db| async move {
        let f = Fixture::new(db).await;
        f.pool.save_mapping(&system(), CODE, layout()).await.unwrap();
        let text = export(2).replace("c4", "年龄");
        let path = f.upload("renamed.csv", text.as_bytes());
        let report = f
            .pool
            .ingest_file(&system(), CODE, &path, &IngestOptions::default())
            .await
            .unwrap();
        assert_eq!(report.accepted, 2);
        assert_eq!(report.mapping["age"], "年龄");
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.starts_with("age：") && n.contains("c4")),
            "{:?}",
            report.notes
        );
    })
    .await;
}

#[tokio::test]
async fn the_loads_own_mapping_wins_over_the_saved_one() {
    each_backend(&sets(), |db| async move {
        let f = Fixture::new(db).await;
        f.pool
            .save_mapping(&system(), CODE, mapping(&[("id_number", "nowhere")]))
            .await
            .unwrap();
        let path = f.upload("export.csv", export(2).as_bytes());
        let opts = IngestOptions {
            mapping: layout(),
            ..Default::default()
        };
        let report = f.pool.ingest_file(&system(), CODE, &path, &opts).await.unwrap();
        assert_eq!(report.accepted, 2);
    })
    .await;
}

#[tokio::test]
async fn a_mapping_to_an_unknown_field_is_refused_naming_it_and_nothing_is_saved() {
    each_backend(&sets(), |db| async move {
        let f = Fixture::new(db).await;
        let mut bad = layout();
        bad.insert("salary".into(), "GZ".into());
        let err = f.pool.save_mapping(&system(), CODE, bad).await.unwrap_err();
        match err {
            Error::Invalid(i) => {
                assert_eq!(i.field, "mapping.salary");
                assert!(i.reason.to_string().contains(" / "), "{}", i.reason);
            }
            other => panic!("{other:?}"),
        }
        let blank = mapping(&[("name", " ")]);
        let err = f.pool.save_mapping(&system(), CODE, blank).await.unwrap_err();
        assert!(
            matches!(&err, Error::Invalid(i) if i.field == "mapping.name"),
            "{err:?}"
        );
        assert_eq!(f.pool.saved_mapping(&system(), CODE).await.unwrap(), None);
        assert!(!f.events().await.iter().any(|e| e.action == "pool.mapping.saved"));
    })
    .await;
}

#[tokio::test]
async fn only_the_provider_saves_a_mapping() {
    each_backend(&sets(), |db| async move {
        let f = Fixture::new(db).await;
        let civil_admin = Principal {
            kind: PrincipalKind::User,
            id: "u-civil".into(),
            name: "mz_admin".into(),
            department: Some(DeptPath("/3301/3301-MZ/".into())),
            grants: vec![RoleGrant {
                role: Role::DeptAdmin,
                scope: DeptPath("/3301/3301-MZ/".into()),
            }],
            purpose: None,
        };
        let err = f
            .pool
            .save_mapping(&civil_admin, CODE, layout())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
        let err = f
            .pool
            .save_mapping(&system(), "3301-GA-9999", layout())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NotFound), "{err:?}");
    })
    .await;
}

#[tokio::test]
async fn an_empty_mapping_clears_it_and_loads_match_by_name_again() {
    each_backend(&sets(), |db| async move {
        let f = Fixture::new(db).await;
        f.pool.save_mapping(&system(), CODE, layout()).await.unwrap();
        f.pool
            .save_mapping(&system(), CODE, BTreeMap::new())
            .await
            .unwrap();
        let cleared = f.pool.saved_mapping(&system(), CODE).await.unwrap().unwrap();
        assert!(cleared.mapping.is_empty());
        let report = f.load(&crate::support::csv(&[crate::support::row(1, 30)])).await;
        assert_eq!(report.mapping["id_number"], "身份证号");
        assert!(report.notes.is_empty(), "{:?}", report.notes);
    })
    .await;
}
