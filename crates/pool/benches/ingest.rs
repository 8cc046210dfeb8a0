//! Ingest speed: rows per second from a generated CSV to a queryable version (decode,
//! standardize, validate, encrypt personal fields with a blind index, write Parquet, diff,
//! record), beside PostgreSQL `COPY` of the same file into a plain table in the same run.
//!
//! `cargo bench -p tongban-pool --bench ingest` (1,000,000 rows; `TONGBAN_BENCH_ROWS` to change).
//! The COPY baseline needs `psql` and `TONGBAN_BENCH_DATABASE_URL` (e.g.
//! `postgres://postgres@127.0.0.1:5432/test`); without them only the pool is timed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::Path;
use std::time::Instant;
use tongban_catalog::{Catalog, ResourceInput};
use tongban_crypto::Keyring;
use tongban_db::Db;
use tongban_kernel::{Principal, WorkCalendar};
use tongban_pool::{IngestOptions, Pool};

/// The same allocator as the `tongban` binary, so the load is measured as it runs there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const DISTRICTS: [&str; 3] = ["上城区", "西湖区", "滨江区"];

fn id_number(n: u64) -> String {
    let body = format!(
        "330102{:04}{:02}{:02}{:03}",
        1950 + n % 60,
        1 + n % 12,
        1 + n % 28,
        n % 1000
    );
    tongban_kernel::IdNumber::with_check(&body)
        .expect("a real birth date and digits only")
        .as_str()
        .to_owned()
}

/// A CSV with a key that is unique per row (the row number as the business key), a personal
/// field (ID number, encrypted with a blind index), a date, a code-list field and a number.
fn write_csv(path: &Path, rows: u64) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(out, "登记编号,身份证号,出生日期,区县,年龄").unwrap();
    for n in 0..rows {
        writeln!(
            out,
            "R{n:09},{},{}-{:02}-{:02},{},{}",
            id_number(n),
            1950 + n % 60,
            1 + n % 12,
            1 + n % 28,
            DISTRICTS[(n % 3) as usize],
            n % 100
        )
        .unwrap();
    }
    out.flush().unwrap();
}

fn resource() -> ResourceInput {
    serde_json::from_value(serde_json::json!({
        "code": "3301-GA-0009", "name_zh": "户籍登记（基准）",
        "provider": { "id": "0190a0b0-0000-7000-8000-000000000001", "path": "/3301/3301-GA/", "name_zh": "公安局" },
        "summary": "基准测试", "classification": { "class": "basic", "category": "RK" }, "format": "table",
        "fields": [
            { "code": "reg_no", "name_zh": "登记编号", "data_type": "string", "sensitivity": "internal",
              "is_key": true, "rules": [{ "rule": "required" }, { "rule": "unique" }] },
            { "code": "id_number", "name_zh": "身份证号", "data_type": "string", "sensitivity": "personal",
              "standardizer": "id_number", "rules": [{ "rule": "required" }] },
            { "code": "birth_date", "name_zh": "出生日期", "data_type": "date", "sensitivity": "internal", "standardizer": "date" },
            { "code": "district", "name_zh": "区县", "data_type": "string", "sensitivity": "internal",
              "rules": [{ "rule": "enumeration", "values": DISTRICTS }] },
            { "code": "age", "name_zh": "年龄", "data_type": "integer", "sensitivity": "public",
              "rules": [{ "rule": "range", "min": 0, "max": 150 }] }
        ],
        "sharing": { "class": "conditional", "condition": "依法履职", "legal_basis": "《居民身份证法》" },
        "open_class": "not_open", "update_cycle": "daily"
    }))
    .unwrap()
}

/// Seconds PostgreSQL takes to `COPY` the file into a fresh five-column text table.
fn copy_seconds(url: &str, csv: &Path) -> Option<f64> {
    let psql = |sql: &str| {
        std::process::Command::new("psql")
            .args([url, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .ok()
            .filter(|o| o.status.success())
    };
    psql(
        "DROP TABLE IF EXISTS bench_copy; CREATE UNLOGGED TABLE bench_copy (reg_no text, id_number text, birth_date text, district text, age text)",
    )?;
    let started = Instant::now();
    psql(&format!(
        "\\copy bench_copy FROM '{}' WITH (FORMAT csv, HEADER true)",
        csv.display()
    ))?;
    let secs = started.elapsed().as_secs_f64();
    psql("DROP TABLE bench_copy");
    Some(secs)
}

/// Rows per second of the cryptography the issue requires of every row and nothing else: the ID
/// number sealed with SM4-GCM and its HMAC-SM3 blind index, on every core. Above this rate no
/// pipeline can load, so it bounds the ratio to `COPY`, which does neither.
fn crypto_floor_rate(rows: u64) -> f64 {
    let ids: Vec<String> = (0..rows).map(id_number).collect();
    let cipher = Keyring::ephemeral().fields();
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for part in ids.chunks(ids.len().div_ceil(threads).max(1)) {
            let cipher = &cipher;
            scope.spawn(move || {
                let mut bytes = 0usize;
                for id in part {
                    bytes += cipher.encrypt("3301-GA-0009.id_number", id).len();
                    bytes += cipher.blind_index("id_number", id).len();
                }
                std::hint::black_box(bytes);
            });
        }
    });
    rows as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let rows: u64 = std::env::var("TONGBAN_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("people.csv");
    write_csv(&csv, rows);
    let size_mb = std::fs::metadata(&csv).unwrap().len() as f64 / 1e6;
    println!("ingest benchmark: {rows} rows, {size_mb:.0} MB CSV");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let pool_secs = rt.block_on(async {
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        let db = Db::connect(&url, &Default::default()).await.unwrap();
        db.migrate(&[
            tongban_db::MIGRATIONS,
            tongban_catalog::MIGRATIONS,
            tongban_pool::MIGRATIONS,
        ])
        .await
        .unwrap();
        let catalog = Catalog::new(db, WorkCalendar::bundled());
        let system = Principal::system("bench");
        let r = catalog.create_resource(&system, resource()).await.unwrap();
        catalog.publish_resource(&system, &r.id).await.unwrap();
        let pool = Pool::new(dir.path().join("lake"), catalog, Keyring::ephemeral().fields());
        let started = Instant::now();
        let report = pool
            .ingest_csv(&system, "3301-GA-0009", &csv, &IngestOptions::default())
            .await
            .unwrap();
        let secs = started.elapsed().as_secs_f64();
        assert_eq!(report.accepted, rows, "every generated row is clean");
        secs
    });
    let pool_rate = rows as f64 / pool_secs;
    println!("  pool ingest (to a queryable version): {pool_secs:>7.2} s  {pool_rate:>10.0} rows/s");
    let floor_rate = crypto_floor_rate(rows);
    println!(
        "  required cryptography alone, every core: {floor_rate:>10.0} rows/s (SM4-GCM + HMAC-SM3 of the ID number)"
    );
    match std::env::var("TONGBAN_BENCH_DATABASE_URL") {
        Ok(url) => match copy_seconds(&url, &csv) {
            Some(copy_secs) => {
                let copy_rate = rows as f64 / copy_secs;
                println!(
                    "  PostgreSQL COPY (text columns):        {copy_secs:>7.2} s  {copy_rate:>10.0} rows/s"
                );
                println!(
                    "  ratio pool / COPY: {:.2}× (target ≥ 1×; ≥ 100,000 rows/s); the cryptography alone: {:.2}×",
                    pool_rate / copy_rate,
                    floor_rate / copy_rate
                );
            }
            None => println!("  PostgreSQL COPY: psql failed; baseline skipped"),
        },
        Err(_) => println!("  set TONGBAN_BENCH_DATABASE_URL to time PostgreSQL COPY beside it"),
    }
}
