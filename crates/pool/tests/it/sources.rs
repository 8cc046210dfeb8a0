//! Sources other than CSV: XLSX workbooks, JSON Lines files and pushed JSON batches go through
//! the same governance, rejects and events as a CSV; the format is found from the content.

use crate::support::{CODE, Fixture, HEADER, id, read_version, rejects, row, sets, system, xlsx};
use arrow::array::{Array, AsArray};
use arrow::datatypes::{Date32Type, Int64Type};
use serde_json::{Map, Value, json};
use tongban_pool::{Error, IngestOptions, SourceFormat};
use tongban_test_support::each_backend;

fn header_cells() -> Vec<Value> {
    HEADER.split(',').map(|h| json!(h)).collect()
}

#[tokio::test]
async fn an_xlsx_workbook_loads_with_its_dates_and_numbers_read_as_the_standardizers_expect() {
    each_backend(&sets(), |db| async move {
        let f = Fixture::new(db).await;
        let book = xlsx(&[
            header_cells(),
            // 1990-01-02 is serial 32875; the age is a float cell as Excel stores every number.
            vec![
                json!(id(1)),
                json!("张一"),
                json!({ "date": 32875 }),
                json!("西湖区"),
                json!(30),
            ],
            vec![
                json!(id(2)),
                json!("张二"),
                json!("1990年1月3日"),
                json!("滨江区"),
                json!(41.0),
            ],
            vec![
                json!(id(3)),
                json!("张三"),
                json!({ "date": 32876 }),
                json!("火星区"),
                json!(50),
            ],
        ]);
        let report = f.load_file("people.xlsx", &book).await.unwrap();
        assert_eq!(report.format, SourceFormat::Xlsx);
        assert_eq!((report.accepted, report.rejected), (2, 1));
        assert_eq!(report.encoding, "UTF-8");
        let lines = rejects(&report.reject_report);
        assert_eq!(lines.len(), 1);
        assert_eq!(
            (lines[0][0].as_str(), lines[0][1].as_str()),
            ("4", "district"),
            "spreadsheet row 4"
        );

        let b = &read_version(&f.pool.version_dir(CODE, 1))[0];
        let births = b
            .column_by_name("birth_date")
            .unwrap()
            .as_primitive::<Date32Type>();
        assert_eq!((births.value(0), births.value(1)), (7306, 7307));
        let ages = b.column_by_name("age").unwrap().as_primitive::<Int64Type>();
        assert_eq!((ages.value(0), ages.value(1)), (30, 41));
        assert_eq!(f.current_version().await, 1);
    })
    .await;
}

#[tokio::test]
async fn a_json_lines_file_loads_and_a_line_that_is_not_an_object_is_a_rejected_row() {
    each_backend(&sets(), |db| async move {
        let f = Fixture::new(db).await;
        let good = |n: u32, age: u32| {
            json!({ "身份证号": id(n), "姓名": format!("张{n}"), "出生日期": "1990/1/2", "区县": "西湖区", "年龄": age })
                .to_string()
        };
        let text = [
            good(1, 30),
            String::new(),
            "[1, 2]".to_owned(),
            good(2, 40),
            "{\"身份证号\": ".to_owned(),
            json!({ "身份证号": id(3), "姓名": { "surname": "张" }, "区县": "西湖区" }).to_string(),
            json!({ "身份证号": id(4), "姓名": "张4", "区县": "西湖区", "年龄": 200 }).to_string(),
        ]
        .join("\n");
        let report = f.load_file("people.jsonl", text.as_bytes()).await.unwrap();
        assert_eq!(report.format, SourceFormat::JsonLines);
        assert_eq!((report.accepted, report.rejected), (2, 4));
        assert_eq!(report.mapping["name"], "姓名");
        let lines = rejects(&report.reject_report);
        let at = |n: &str| lines.iter().find(|l| l[0] == n).unwrap().clone();
        let r = at("3");
        assert!(r[3].contains("不是 JSON 对象") && r[4].contains("not a JSON object"), "{r:?}");
        let r = at("5");
        assert!(r[4].contains("not valid JSON"), "{r:?}");
        let r = at("6");
        assert_eq!(r[1], "name");
        assert!(r[4].contains("single value"), "{r:?}");
        let r = at("7");
        assert_eq!((r[1].as_str(), r[2].as_str()), ("age", "200"));
    })
    .await;
}

#[tokio::test]
async fn a_pushed_batch_becomes_a_version_with_the_same_governance_and_its_event() {
    each_backend(&sets(), |db| async move {
        let f = Fixture::new(db).await;
        let record = |v: Value| -> Map<String, Value> { v.as_object().unwrap().clone() };
        let records = vec![
            record(json!({ "id_number": id(1), "name": "张一", "birth_date": "19900102", "district": "西湖区", "age": 30 })),
            record(json!({ "id_number": id(2), "name": "张二", "district": "滨江区", "age": "41" })),
            record(json!({ "id_number": "110105194912310020", "name": "李四", "district": "西湖区" })),
            record(json!({ "id_number": id(1), "name": "重复", "district": "西湖区" })),
        ];
        let report = f
            .pool
            .ingest_records(&system(), CODE, records, &IngestOptions::default())
            .await
            .unwrap();
        assert_eq!(report.format, SourceFormat::Records);
        assert_eq!((report.version, report.accepted, report.rejected), (1, 2, 2));
        let lines = rejects(&report.reject_report);
        let at = |n: &str| lines.iter().find(|l| l[0] == n).unwrap().clone();
        assert_eq!(at("3")[1], "id_number", "record 3 has a bad check digit");
        assert!(!at("3")[2].contains("110105194912310020"), "masked");
        assert!(at("4")[3].contains("重复"), "{:?}", at("4"));
        let recorded = f
            .events()
            .await
            .into_iter()
            .filter(|e| e.action == "catalog.resource.version_recorded")
            .count();
        assert_eq!(recorded, 1);
        assert_eq!(f.current_version().await, 1);
    })
    .await;
}

#[tokio::test]
async fn an_empty_batch_is_invalid_and_records_nothing() {
    each_backend(&sets(), |db| async move {
        let f = Fixture::new(db).await;
        let err = f
            .pool
            .ingest_records(&system(), CODE, Vec::new(), &IngestOptions::default())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Invalid(i) if i.field == "records"),
            "{err:?}"
        );
        let keyless = vec![Map::new()];
        let err = f
            .pool
            .ingest_records(&system(), CODE, keyless, &IngestOptions::default())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Unreadable { .. }), "{err:?}");
        assert_eq!(f.current_version().await, 0);
    })
    .await;
}

#[tokio::test]
async fn the_content_decides_the_format_whatever_the_file_is_called() {
    each_backend(&sets(), |db| async move {
        let f = Fixture::new(db).await;
        let jsonl = json!({ "身份证号": id(1), "姓名": "张一", "区县": "西湖区" }).to_string();
        let report = f.load_file("export.csv", jsonl.as_bytes()).await.unwrap();
        assert_eq!((report.format, report.accepted), (SourceFormat::JsonLines, 1));

        let book = xlsx(&[header_cells(), vec![json!(id(2)), json!("张二")]]);
        let report = f.load_file("export.dat", &book).await.unwrap();
        assert_eq!((report.format, report.accepted), (SourceFormat::Xlsx, 1));

        let csv = crate::support::csv(&[row(3, 30)]);
        let report = f.load_file("export.txt", csv.as_bytes()).await.unwrap();
        assert_eq!((report.format, report.accepted), (SourceFormat::Csv, 1));
        assert_eq!(f.current_version().await, 3);
        let b = &read_version(&f.pool.version_dir(CODE, 3))[0];
        assert_eq!(b.num_rows(), 1);
        assert!(b.column_by_name("age").unwrap().is_valid(0));
    })
    .await;
}
