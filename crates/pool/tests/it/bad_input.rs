//! Bad input, whatever the format: nothing readable is an error that records nothing; a header
//! that feeds no required field names the field; formula injection is defused in both reject
//! reports; a file far larger than memory is streamed.

use crate::support::{CODE, Fixture, HEADER, id, read_xlsx, rejects, sets, system, xlsx};
use serde_json::json;
use std::io::Write;
use tongban_pool::{Error, IngestOptions, SourceFormat};
use tongban_test_support::{TestDb, each_backend};

#[tokio::test]
async fn empty_binary_and_broken_files_are_unreadable_in_every_format_and_record_nothing() {
    each_backend(&sets(), |db| async move {
        let f = Fixture::new(db).await;
        let mut noise: Vec<u8> = (0u8..=255).cycle().take(8192).collect();
        noise.insert(0, 0);
        let mut broken_zip = b"PK\x03\x04\x14\x00\x00\x00".to_vec();
        broken_zip.extend((0u8..=255).cycle().take(4096));
        let legacy_xls = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00".to_vec();
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("empty.csv", Vec::new()),
            ("empty.xlsx", Vec::new()),
            ("empty.jsonl", Vec::new()),
            ("blank.jsonl", b"\n\n   \n".to_vec()),
            ("noise.bin", noise.clone()),
            ("noise.jsonl", noise),
            ("book.xlsx", broken_zip),
            ("old.xls", legacy_xls),
            ("array.json", br#"[{"a": 1}]"#.to_vec()),
            ("not-objects.jsonl", b"1\n2\n\"three\"\n".to_vec()),
        ];
        for (name, bytes) in cases {
            let err = f.load_file(name, &bytes).await.unwrap_err();
            match &err {
                Error::Unreadable { reason } => {
                    assert!(reason.to_string().contains(" / "), "{name}: {reason}")
                }
                other => panic!("{name}: {other:?}"),
            }
        }
        assert_eq!(f.current_version().await, 0);
        let leftovers: Vec<_> = std::fs::read_dir(f.pool.lake_dir().join(CODE))
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    })
    .await;
}

#[tokio::test]
async fn a_header_that_feeds_no_required_field_names_the_field_in_every_format() {
    each_backend(&sets(), |db| async move {
        let f = Fixture::new(db).await;
        let jsonl = json!({ "区县": "西湖区", "年龄": 30 }).to_string();
        let book = xlsx(&[
            vec![json!("区县"), json!("年龄")],
            vec![json!("西湖区"), json!(30)],
        ]);
        for (name, bytes) in [
            ("wrong.csv", "区县,年龄\n西湖区,30\n".as_bytes().to_vec()),
            ("wrong.jsonl", jsonl.into_bytes()),
            ("wrong.xlsx", book),
        ] {
            match f.load_file(name, &bytes).await.unwrap_err() {
                Error::Invalid(i) => {
                    assert_eq!(i.field, "id_number", "{name}");
                    assert!(
                        i.reason.to_string().contains("required field"),
                        "{name}: {}",
                        i.reason
                    );
                }
                other => panic!("{name}: {other:?}"),
            }
        }
        assert_eq!(f.current_version().await, 0);
    })
    .await;
}

#[tokio::test]
async fn a_formula_in_an_xlsx_cell_is_neutralised_in_both_reject_reports() {
    each_backend(&sets(), |db| async move {
        let f = Fixture::new(db).await;
        let attack = "=cmd|' /C calc'!A0";
        let header: Vec<_> = HEADER.split(',').map(|h| json!(h)).collect();
        let book = xlsx(&[
            header,
            vec![
                json!(id(1)),
                json!("张三"),
                json!("1990-01-01"),
                json!(attack),
                json!(30),
            ],
            vec![
                json!(id(2)),
                json!("@SUM(A1:A9)"),
                json!("+1990"),
                json!("西湖区"),
                json!(30),
            ],
        ]);
        let report = f.load_file("attack.xlsx", &book).await.unwrap();
        assert_eq!(report.format, SourceFormat::Xlsx);
        assert_eq!(report.rejected, 2);

        let lines = rejects(&report.reject_report);
        let district = lines.iter().find(|l| l[1] == "district").unwrap();
        assert_eq!(district[2], format!("'{attack}"));
        assert!(
            lines
                .iter()
                .flatten()
                .all(|c| !c.starts_with(['=', '+', '-', '@'])),
            "{lines:?}"
        );

        assert!(report.reject_report_xlsx.ends_with("v1.rejects.xlsx"));
        let (cells, has_formula) = read_xlsx(&report.reject_report_xlsx);
        assert!(!has_formula, "the workbook holds no formula");
        assert_eq!(cells[0][0], "行号 row");
        assert_eq!(cells.len(), lines.len() + 1, "the same lines as the CSV");
        for (sheet_row, csv_row) in cells[1..].iter().zip(&lines) {
            assert_eq!(sheet_row, csv_row);
        }
        assert!(cells.iter().flatten().any(|c| c == &format!("'{attack}")));
    })
    .await;
}

#[tokio::test]
async fn a_clean_load_still_has_an_empty_xlsx_reject_report_beside_the_csv() {
    each_backend(&sets(), |db| async move {
        let f = Fixture::new(db).await;
        let report = f.load(&crate::support::csv(&[crate::support::row(1, 30)])).await;
        assert_eq!(report.rejected, 0);
        let (cells, _) = read_xlsx(&report.reject_report_xlsx);
        assert_eq!(cells.len(), 1, "the header only");
        assert_eq!(report.reject_report_xlsx.parent(), report.reject_report.parent());
    })
    .await;
}

/// The process's peak resident memory so far (VmHWM), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb * 1024
}

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

/// Writes a CSV of about `size` bytes: wide rows (a long remark each) so the row count stays
/// moderate, written row by row.
fn write_big_csv(path: &std::path::Path, size: u64) -> u64 {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    out.write_all("编号,名称,备注,金额\n".as_bytes()).unwrap();
    let filler: String = "政务数据一次采集多方利用 open data ".repeat(24);
    let (mut written, mut rows) = (0u64, 0u64);
    while written < size {
        let line = format!("{rows},单位{rows},{filler}{rows},{}.5\n", rows % 10_000);
        out.write_all(line.as_bytes()).unwrap();
        written += line.len() as u64;
        rows += 1;
    }
    out.flush().unwrap();
    rows
}

// One backend suffices: this test is about streaming, and the catalog writes once either way.
#[tokio::test]
async fn a_one_gigabyte_file_is_streamed_without_being_held_in_memory() {
    let test_db = TestDb::sqlite(&sets()).await;
    let fields = json!([
        { "code": "seq", "name_zh": "编号", "data_type": "integer", "sensitivity": "public", "is_key": true },
        { "code": "unit", "name_zh": "名称", "data_type": "string", "sensitivity": "public" },
        { "code": "remark", "name_zh": "备注", "data_type": "string", "sensitivity": "public" },
        { "code": "amount", "name_zh": "金额", "data_type": "decimal", "sensitivity": "public" }
    ]);
    let f = Fixture::with_fields(test_db.db.clone(), "3301-GA-0100", fields).await;
    let path = f.dir.path().join("big.csv");
    let rows = write_big_csv(&path, GIB);
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size >= GIB);

    let before = peak_rss();
    let report = f
        .pool
        .ingest_file(&system(), "3301-GA-0100", &path, &IngestOptions::default())
        .await
        .unwrap();
    let growth = peak_rss().saturating_sub(before);
    eprintln!(
        "{} MiB, {rows} rows in {} ms; peak RSS grew {} MiB",
        size / MIB,
        report.elapsed_ms,
        growth / MIB
    );
    assert_eq!((report.accepted, report.rejected), (rows, 0));
    assert!(
        growth < 300 * MIB,
        "peak RSS grew {} MiB for a {} MiB file",
        growth / MIB,
        size / MIB
    );
    drop(f);
    test_db.remove().await;
}
