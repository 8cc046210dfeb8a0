//! Reference rules (关联): a value must exist in another resource's current version; personal
//! values are compared by blind index; a referenced resource without data cannot be checked.

use crate::support::{Fixture, csv, id, rejects, row, sets, system};
use tongban_pool::IngestOptions;
use tongban_test_support::each_backend;

const CARS: &str = "3301-GA-0002";

/// 号牌 (key), 车主身份证号 (personal, must be a registered resident), 登记区县 (must be a
/// district residents live in).
fn car_fields() -> serde_json::Value {
    serde_json::json!([
        { "code": "plate", "name_zh": "号牌", "data_type": "string", "sensitivity": "public", "is_key": true },
        { "code": "owner_id", "name_zh": "车主身份证号", "data_type": "string", "sensitivity": "personal",
          "standardizer": "id_number",
          "rules": [{ "rule": "reference", "resource_code": "3301-GA-0001", "field_code": "id_number" }] },
        { "code": "district", "name_zh": "登记区县", "data_type": "string", "sensitivity": "internal",
          "rules": [{ "rule": "reference", "resource_code": "3301-ga-0001", "field_code": "district" }] }
    ])
}

async fn load_cars(f: &Fixture, text: &str) -> tongban_pool::IngestReport {
    let path = f.upload("cars.csv", text.as_bytes());
    f.pool
        .ingest_file(&system(), CARS, &path, &IngestOptions::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_value_missing_from_the_referenced_version_is_a_rejected_cell() {
    each_backend(&sets(), |db| async move {
        let f = Fixture::new(db).await;
        f.load(&csv(&[row(1, 30), row(2, 40)])).await;
        f.add_resource(CARS, car_fields()).await;
        let text = format!(
            "号牌,车主身份证号,登记区县\nA001,{},西湖区\nA002,{},西湖区\nA003,{},上城区\nA004,,\n",
            id(1),
            id(3),
            id(2)
        );
        let report = load_cars(&f, &text).await;
        assert_eq!((report.accepted, report.rejected), (2, 2), "{:?}", report.notes);
        assert!(report.notes.is_empty(), "{:?}", report.notes);
        let lines = rejects(&report.reject_report);
        let r = lines.iter().find(|l| l[0] == "3").unwrap();
        assert_eq!(r[1], "owner_id");
        assert!(!r[2].contains(&id(3)), "the personal value is masked: {r:?}");
        assert!(
            r[3].contains("3301-GA-0001.id_number") && r[4].contains("not found in 3301-GA-0001.id_number"),
            "{r:?}"
        );
        let r = lines.iter().find(|l| l[0] == "4").unwrap();
        assert_eq!((r[1].as_str(), r[2].as_str()), ("district", "上城区"));
    })
    .await;
}

#[tokio::test]
async fn a_reference_to_a_resource_without_data_is_noted_and_rejects_nothing() {
    each_backend(&sets(), |db| async move {
        let f = Fixture::new(db).await;
        f.add_resource(CARS, car_fields()).await;
        let text = format!("号牌,车主身份证号,登记区县\nA001,{},火星区\n", id(9));
        let report = load_cars(&f, &text).await;
        assert_eq!((report.accepted, report.rejected), (1, 0));
        assert_eq!(report.notes.len(), 2, "{:?}", report.notes);
        assert!(report.notes[0].starts_with("owner_id:") && report.notes[0].contains("no data yet"));
        assert!(report.notes[1].starts_with("district:"));
    })
    .await;
}

#[tokio::test]
async fn the_reference_follows_the_referenced_resource_s_current_version() {
    each_backend(&sets(), |db| async move {
        let f = Fixture::new(db).await;
        f.load(&csv(&[row(1, 30)])).await;
        f.add_resource(CARS, car_fields()).await;
        let text = format!("号牌,车主身份证号,登记区县\nA001,{},西湖区\n", id(2));
        assert_eq!(load_cars(&f, &text).await.rejected, 1);
        f.load(&csv(&[row(1, 30), row(2, 40)])).await;
        assert_eq!(load_cars(&f, &text).await.accepted, 1);
    })
    .await;
}
