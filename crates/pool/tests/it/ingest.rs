use crate::support::{CODE, Fixture, csv, id, read_version, rejects, row, system};
use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType as ArrowType, Int64Type};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tongban_kernel::{DeptPath, Principal, PrincipalKind, Role, RoleGrant};
use tongban_pool::{Error, IngestOptions};
use tongban_test_support::each_backend;

#[tokio::test]
async fn a_clean_csv_becomes_version_one_with_personal_fields_encrypted_and_indexed() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        let report = f.load(&csv(&[row(1, 30), row(2, 40), row(3, 50)])).await;
        assert_eq!((report.version, report.accepted, report.rejected), (1, 3, 0));
        assert_eq!(report.encoding, "UTF-8");
        assert_eq!(report.quality.score, 1.0);
        assert_eq!(
            report.diff,
            serde_json::json!({ "added": 3, "changed": 0, "removed": 0 })
        );
        let versions = f
            .catalog
            .resource_versions(&system(), &f.resource.id)
            .await
            .unwrap();
        assert_eq!(versions.len(), 1);
        assert_eq!(versions[0].row_count, 3);

        let batches = read_version(&f.pool.version_dir(CODE, 1));
        let b = &batches[0];
        assert_eq!(b.num_rows(), 3);
        let ids = b.column_by_name("id_number").unwrap().as_string::<i32>();
        let bidx = b.column_by_name("id_number__bidx").unwrap().as_string::<i32>();
        let names = b.column_by_name("name").unwrap().as_string::<i32>();
        for i in 0..3 {
            let plain = id(i as u32 + 1);
            assert!(
                !ids.value(i).contains(&plain),
                "the ID number is not stored in clear"
            );
            assert!(tongban_crypto::FieldCipher::is_encrypted(ids.value(i)));
            assert_eq!(
                f.cipher.decrypt("3301-GA-0001.id_number", ids.value(i)).unwrap(),
                plain
            );
            assert_eq!(
                bidx.value(i),
                f.cipher.blind_index("id_number", &plain),
                "ID numbers index in the shared `id_number` domain so resources join on them"
            );
            assert!(!names.value(i).contains('张'));
        }
        let ages = b.column_by_name("age").unwrap();
        assert_eq!(ages.data_type(), &ArrowType::Int64);
        assert_eq!(ages.as_primitive::<Int64Type>().value(1), 40);
        assert_eq!(
            b.column_by_name("birth_date").unwrap().data_type(),
            &ArrowType::Date32
        );
        assert_eq!(
            b.column_by_name("district").unwrap().as_string::<i32>().value(0),
            "西湖区"
        );
    })
    .await;
}

#[tokio::test]
async fn a_gbk_file_loads_the_same_as_utf8() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        let text = csv(&[row(1, 30), row(2, 40), row(3, 50)]);
        let (gbk, _, had_errors) = encoding_rs::GBK.encode(&text);
        assert!(!had_errors);
        let path = f.upload("gbk.csv", &gbk);
        let report = f
            .pool
            .ingest_csv(&system(), CODE, &path, &IngestOptions::default())
            .await
            .unwrap();
        assert_eq!((report.accepted, report.rejected), (3, 0));
        assert_eq!(report.encoding, "gb18030");
        let b = &read_version(&f.pool.version_dir(CODE, 1))[0];
        let names = b.column_by_name("name").unwrap().as_string::<i32>();
        assert_eq!(
            f.cipher.decrypt("3301-GA-0001.name", names.value(0)).unwrap(),
            "张1"
        );
    })
    .await;
}

#[tokio::test]
async fn dirty_rows_are_rejected_with_reasons_and_personal_values_masked() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        let good = id(7);
        let bad_id = format!("{}{}", &good[..17], if good.ends_with('1') { '2' } else { '1' });
        let rows = vec![
            row(1, 30),
            format!("{bad_id},李四,1990-01-01,西湖区,30"),
            format!("{},王五,2026-02-30,西湖区,30", id(3)),
            format!("{},赵六,1990-01-01,火星区,30", id(4)),
            format!("{},,1990-01-01,西湖区,30", id(5)),
            format!("{},钱七,1990-01-01,西湖区", id(6)),
            format!("{},孙八,1990-01-01,西湖区,200", id(8)),
        ];
        let report = f.load(&csv(&rows)).await;
        assert_eq!((report.accepted, report.rejected), (1, 6));
        assert!((report.quality.validity - 1.0 / 7.0).abs() < 1e-9);
        let lines = rejects(&report.reject_report);
        let by_row = |n: &str| lines.iter().find(|l| l[0] == n).unwrap().clone();

        let r = by_row("3");
        assert_eq!(r[1], "id_number");
        assert_eq!(r[2], tongban_crypto::mask_id_number(&bad_id));
        assert!(!r[2].contains(&bad_id));
        let r = by_row("4");
        assert_eq!((r[1].as_str(), r[2].as_str()), ("birth_date", "2026-02-30"));
        let r = by_row("5");
        assert_eq!((r[1].as_str(), r[2].as_str()), ("district", "火星区"));
        assert!(r[3].contains("代码表"), "{r:?}");
        let r = by_row("6");
        assert_eq!(r[1], "name");
        assert!(r[3].contains("必填"), "{r:?}");
        let r = by_row("7");
        assert!(
            r[3].contains("列数不符") && r[4].contains("column count mismatch"),
            "{r:?}"
        );
        let r = by_row("8");
        assert_eq!((r[1].as_str(), r[2].as_str()), ("age", "200"));
        assert!(lines.iter().all(|l| !l.iter().any(|c| c.contains("李四"))));
        assert_eq!(f.current_version().await, 1);
    })
    .await;
}

#[tokio::test]
async fn across_many_chunks_the_first_of_repeated_values_is_kept_and_rows_keep_their_order() {
    // Rows are governed in parallel chunks: the result must be as if read one by one.
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        let people = 8_000u32; // `id` repeats after 9,000 people
        let mut rows: Vec<String> = (1..=people).map(|n| row(n, 20 + n % 60)).collect();
        // Repeats of earlier people far apart (in later chunks), and one bad cell among them.
        let repeats = [1u32, 2_500, 4_097, 7_999];
        rows.extend(repeats.iter().map(|&n| row(n, 33)));
        rows.push(format!("{},周九,1990-01-01,火星区,30", id(people + 1)));
        let report = f.load(&csv(&rows)).await;
        assert_eq!(
            (report.accepted, report.rejected),
            (u64::from(people), repeats.len() as u64 + 1)
        );
        let lines = rejects(&report.reject_report);
        let numbers: Vec<u64> = lines.iter().map(|l| l[0].parse().unwrap()).collect();
        // Line 1 is the header: data row n is line n + 1.
        let first_repeat = u64::from(people) + 2;
        assert_eq!(
            numbers,
            (first_repeat..first_repeat + repeats.len() as u64 + 1).collect::<Vec<_>>(),
            "only the later copies are rejected, reported in file order"
        );
        assert!(
            lines[..repeats.len()]
                .iter()
                .all(|l| l[1] == "id_number" && l[3].contains("重复"))
        );
        assert_eq!(lines[repeats.len()][1], "district");

        let batches = read_version(&f.pool.version_dir(CODE, 1));
        let ages: Vec<i64> = batches
            .iter()
            .flat_map(|b| {
                let a = b.column_by_name("age").unwrap().as_primitive::<Int64Type>();
                (0..a.len()).map(|i| a.value(i)).collect::<Vec<_>>()
            })
            .collect();
        let expected: Vec<i64> = (1..=people).map(|n| i64::from(20 + n % 60)).collect();
        assert_eq!(ages, expected, "stored rows keep the file's order");
    })
    .await;
}

#[tokio::test]
async fn a_second_load_is_version_two_with_its_diff_and_leaves_version_one_untouched() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        f.load(&csv(&[row(1, 30), row(2, 40), row(3, 50)])).await;
        let v1 = f.pool.version_dir(CODE, 1).join("part-0.parquet");
        let before = std::fs::read(&v1).unwrap();
        let report = f.load(&csv(&[row(1, 30), row(2, 41), row(4, 60)])).await;
        assert_eq!(report.version, 2);
        assert_eq!(
            report.diff,
            serde_json::json!({ "added": 1, "changed": 1, "removed": 1 })
        );
        assert_eq!(std::fs::read(&v1).unwrap(), before);
        assert_eq!(read_version(&f.pool.version_dir(CODE, 2))[0].num_rows(), 3);
        let versions = f
            .catalog
            .resource_versions(&system(), &f.resource.id)
            .await
            .unwrap();
        assert_eq!(versions[0].diff["changed"], 1);
        assert_eq!(f.current_version().await, 2);
    })
    .await;
}

#[tokio::test]
async fn a_killed_load_leaves_version_one_intact_and_is_cleaned_up_by_the_next() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        f.load(&csv(&[row(1, 30)])).await;
        let stale = f.pool.lake_dir().join(CODE).join("v2.partial");
        std::fs::create_dir_all(&stale).unwrap();
        std::fs::write(stale.join("part-0.parquet"), b"half written").unwrap();
        assert_eq!(read_version(&f.pool.version_dir(CODE, 1))[0].num_rows(), 1);
        assert_eq!(f.current_version().await, 1);

        let report = f.load(&csv(&[row(1, 30), row(2, 40)])).await;
        assert_eq!(report.version, 2);
        assert!(!stale.exists());
        assert_eq!(read_version(&f.pool.version_dir(CODE, 2))[0].num_rows(), 2);
    })
    .await;
}

#[tokio::test]
async fn empty_and_binary_files_are_unreadable_and_record_nothing() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        let mut binary = b"PK\x03\x04\x00\x00\x08\x00".to_vec();
        binary.extend((0u8..=255).cycle().take(4096));
        for (name, bytes) in [("empty.csv", Vec::new()), ("book.xlsx", binary)] {
            let path = f.upload(name, &bytes);
            let err = f
                .pool
                .ingest_csv(&system(), CODE, &path, &IngestOptions::default())
                .await
                .unwrap_err();
            assert!(matches!(err, Error::Unreadable { .. }), "{name}: {err:?}");
        }
        assert_eq!(f.current_version().await, 0);
        assert!(!f.pool.version_dir(CODE, 1).exists());
        assert!(!f.pool.lake_dir().join(CODE).join("v1.partial").exists());
    })
    .await;
}

#[tokio::test]
async fn a_formula_in_a_rejected_cell_is_neutralised_in_the_reject_report() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        let rows = vec![format!("{},张三,1990-01-01,\"=cmd|' /C calc'!A0\",30", id(1))];
        let report = f.load(&csv(&rows)).await;
        assert_eq!(report.rejected, 1);
        let lines = rejects(&report.reject_report);
        assert_eq!(lines[0][2], "'=cmd|' /C calc'!A0");
    })
    .await;
}

#[tokio::test]
async fn an_admin_of_another_department_may_not_load_into_the_resource() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
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
        let path = f.upload("u.csv", csv(&[row(1, 30)]).as_bytes());
        let err = f
            .pool
            .ingest_csv(&civil_admin, CODE, &path, &IngestOptions::default())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
        assert_eq!(f.current_version().await, 0);
    })
    .await;
}

#[tokio::test]
async fn a_file_without_a_column_for_a_required_field_is_invalid_naming_it() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        let path = f.upload("u.csv", "区县,年龄\n西湖区,30\n".as_bytes());
        let err = f
            .pool
            .ingest_csv(&system(), CODE, &path, &IngestOptions::default())
            .await
            .unwrap_err();
        match err {
            Error::Invalid(i) => assert_eq!(i.field, "id_number"),
            other => panic!("{other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn an_explicit_mapping_feeds_fields_from_other_headers_and_progress_is_reported() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        let mut text = String::from("证件号码,名字,所在区,岁数\n");
        for n in 0..10_001u32 {
            text.push_str(&format!("{},张{n},滨江区,{}\n", id(n), n % 100));
        }
        let path = f.upload("u.csv", text.as_bytes());
        let calls = Arc::new(AtomicU64::new(0));
        let seen = calls.clone();
        let opts = IngestOptions {
            mapping: [
                ("id_number", "证件号码"),
                ("name", "名字"),
                ("district", "所在区"),
                ("age", "岁数"),
            ]
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect(),
            progress: Some(Arc::new(move |n| {
                seen.fetch_max(n, Ordering::SeqCst);
            })),
        };
        let report = f.pool.ingest_csv(&system(), CODE, &path, &opts).await.unwrap();
        // id(n) repeats every 9000 numbers: the unique rule rejects the repeats.
        assert_eq!((report.accepted, report.rejected), (9000, 1001));
        assert_eq!(calls.load(Ordering::SeqCst), 10_001);
        assert_eq!(report.mapping["age"], "岁数");
    })
    .await;
}

#[tokio::test]
async fn a_format_rule_rejects_values_that_do_not_match_and_a_reference_rule_is_noted() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let fields = serde_json::json!([
            { "code": "plate", "name_zh": "号牌", "data_type": "string", "sensitivity": "public", "is_key": true,
              "rules": [{ "rule": "regex", "pattern": "[A-Z][0-9]{3}" }] },
            { "code": "owner_id", "name_zh": "车主身份证号", "data_type": "string", "sensitivity": "personal",
              "rules": [{ "rule": "reference", "resource_code": "3301-GA-0001", "field_code": "id_number" }] }
        ]);
        let f = Fixture::with_fields(db, "3301-GA-0002", fields).await;
        let text = format!("号牌,车主身份证号\nA123,{}\nA1234,{}\n", id(1), id(2));
        let path = f.upload("cars.csv", text.as_bytes());
        let report = f
            .pool
            .ingest_csv(&system(), "3301-GA-0002", &path, &IngestOptions::default())
            .await
            .unwrap();
        assert_eq!((report.accepted, report.rejected), (1, 1));
        assert_eq!(rejects(&report.reject_report)[0][1], "plate");
        assert!(report.notes[0].contains("owner_id"), "{:?}", report.notes);
    })
    .await;
}

#[tokio::test]
async fn a_format_rule_that_does_not_compile_stops_the_load_before_anything_is_written() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let fields = serde_json::json!([
            { "code": "plate", "name_zh": "号牌", "data_type": "string", "sensitivity": "public",
              "rules": [{ "rule": "regex", "pattern": "([A-Z" }] }
        ]);
        let f = Fixture::with_fields(db, "3301-GA-0003", fields).await;
        let path = f.upload("cars.csv", "号牌\nA123\n".as_bytes());
        let err = f
            .pool
            .ingest_csv(&system(), "3301-GA-0003", &path, &IngestOptions::default())
            .await
            .unwrap_err();
        match err {
            Error::Invalid(i) => assert_eq!(i.field, "fields.plate.rules"),
            other => panic!("{other:?}"),
        }
        assert!(!f.pool.lake_dir().join("3301-GA-0003").exists());
    })
    .await;
}
