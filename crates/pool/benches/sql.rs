//! Pool SQL speed: a group-by and a join over a generated 10,000,000-row version, run through
//! the policy engine (a per-query session of policy views, the query recorded as an event),
//! beside DuckDB on the very same Parquet files in the same run.
//!
//! `cargo bench -p tongban-pool --bench sql` (`TONGBAN_BENCH_ROWS` to change the size). The
//! DuckDB baseline runs `python3 bench/duckdb_sql.py` (needs `pip install duckdb`); without it
//! only the pool is timed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use arrow::array::{Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tongban_catalog::{Catalog, NewVersion, ResourceInput};
use tongban_kernel::{DeptPath, Principal, PrincipalKind, Role, RoleGrant, WorkCalendar};
use tongban_pool::{Pool, QueryOptions};

const FACTS: &str = "3301-TJ-0001";
const REGIONS: &str = "3301-TJ-0002";
const CATEGORIES: [&str; 8] = ["教育", "医疗", "社保", "住房", "交通", "环保", "农业", "文旅"];
const BATCH: usize = 131_072;

fn resource(code: &str, name: &str, fields: serde_json::Value) -> ResourceInput {
    serde_json::from_value(json!({
        "code": code, "name_zh": name,
        "provider": { "id": "0190a0b0-0000-7000-8000-000000000002", "path": "/3301/3301-TJ/", "name_zh": "统计局" },
        "summary": "基准测试", "classification": { "class": "thematic", "category": "TJ" }, "format": "table",
        "fields": fields,
        "sharing": { "class": "unconditional" }, "open_class": "not_open", "update_cycle": "yearly"
    }))
    .unwrap()
}

fn region(n: u64) -> String {
    format!("R{:04}", n % 1000)
}

/// Writes `lake/<code>/v1/part-0.parquet` from `batches` (as the pool lays versions out).
fn write_version(
    lake: &Path,
    code: &str,
    schema: Arc<Schema>,
    batches: impl Iterator<Item = RecordBatch>,
) -> PathBuf {
    let dir = lake.join(code).join("v1");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("part-0.parquet");
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .build();
    let mut w = ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), schema, Some(props)).unwrap();
    for b in batches {
        w.write(&b).unwrap();
    }
    w.close().unwrap();
    path
}

fn facts(lake: &Path, rows: u64) -> PathBuf {
    let schema = Arc::new(Schema::new(vec![
        Field::new("region", DataType::Utf8, true),
        Field::new("category", DataType::Utf8, true),
        Field::new("amount", DataType::Float64, true),
        Field::new("year", DataType::Int64, true),
    ]));
    let s = schema.clone();
    let batches = (0..rows).step_by(BATCH).map(move |start| {
        let end = (start + BATCH as u64).min(rows);
        let n = start..end;
        RecordBatch::try_new(
            s.clone(),
            vec![
                Arc::new(StringArray::from_iter_values(n.clone().map(|i| region(i * 7)))),
                Arc::new(StringArray::from_iter_values(
                    n.clone().map(|i| CATEGORIES[(i % 8) as usize]),
                )),
                Arc::new(Float64Array::from_iter_values(
                    n.clone().map(|i| (i % 10_000) as f64 / 7.0),
                )),
                Arc::new(Int64Array::from_iter_values(n.map(|i| 2016 + (i % 10) as i64))),
            ],
        )
        .unwrap()
    });
    write_version(lake, FACTS, schema, batches)
}

fn regions(lake: &Path) -> PathBuf {
    let schema = Arc::new(Schema::new(vec![
        Field::new("region", DataType::Utf8, true),
        Field::new("region_name", DataType::Utf8, true),
        Field::new("population", DataType::Int64, true),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from_iter_values((0..1000).map(region))),
            Arc::new(StringArray::from_iter_values(
                (0..1000).map(|i| format!("第{i}街道")),
            )),
            Arc::new(Int64Array::from_iter_values((0..1000).map(|i| 10_000 + i * 37))),
        ],
    )
    .unwrap();
    write_version(lake, REGIONS, schema, std::iter::once(batch))
}

async fn median(pool: &Pool, who: &Principal, sql: &str, runs: usize) -> Duration {
    let opts = QueryOptions {
        timeout: Duration::from_secs(600),
        memory_limit: 4 << 30,
        ..QueryOptions::default()
    };
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let r = pool.query(who, sql, &opts).await.unwrap();
        assert!(r.rows > 0);
        times.push(started.elapsed());
    }
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let rows: u64 = std::env::var("TONGBAN_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let facts_file = facts(&lake, rows);
    let regions_file = regions(&lake);
    println!("pool SQL benchmark: {rows} rows joined to 1,000 regions, median of 3 runs");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (group_by, join) = rt.block_on(async {
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        let db = tongban_db::Db::connect(&url, &Default::default()).await.unwrap();
        db.migrate(&[tongban_db::MIGRATIONS, tongban_catalog::MIGRATIONS, tongban_pool::MIGRATIONS])
            .await
            .unwrap();
        let catalog = Catalog::new(db, WorkCalendar::bundled());
        let system = Principal::system("bench");
        for (code, name, fields, count) in [
            (FACTS, "财政支出明细", json!([
                { "code": "region", "name_zh": "街道", "data_type": "string", "sensitivity": "internal" },
                { "code": "category", "name_zh": "类别", "data_type": "string", "sensitivity": "internal" },
                { "code": "amount", "name_zh": "金额", "data_type": "decimal", "sensitivity": "internal" },
                { "code": "year", "name_zh": "年度", "data_type": "integer", "sensitivity": "public" }
            ]), rows),
            (REGIONS, "街道", json!([
                { "code": "region", "name_zh": "街道编码", "data_type": "string", "sensitivity": "public", "is_key": true },
                { "code": "region_name", "name_zh": "街道名称", "data_type": "string", "sensitivity": "public" },
                { "code": "population", "name_zh": "人口", "data_type": "integer", "sensitivity": "public" }
            ]), 1000),
        ] {
            let r = catalog.create_resource(&system, resource(code, name, fields)).await.unwrap();
            catalog.publish_resource(&system, &r.id).await.unwrap();
            catalog
                .record_version(&system, &r.id, NewVersion { version: 1, row_count: count, quality_score: 1.0, diff: json!({}) })
                .await
                .unwrap();
        }
        let pool = Pool::new(&lake, catalog, tongban_crypto::Keyring::ephemeral().fields());
        let analyst = Principal {
            kind: PrincipalKind::User,
            id: tongban_kernel::id::new_uuid_v7(),
            name: "tj_analyst".into(),
            department: Some(DeptPath("/3301/3301-TJ/".into())),
            grants: vec![RoleGrant { role: Role::Clerk, scope: DeptPath("/3301/3301-TJ/".into()) }],
            purpose: None,
        };
        let group_by = median(
            &pool,
            &analyst,
            &format!("SELECT category, count(*), sum(amount), avg(amount) FROM \"{FACTS}\" GROUP BY category"),
            3,
        )
        .await;
        let join = median(
            &pool,
            &analyst,
            &format!(
                "SELECT r.region_name, sum(f.amount) AS total FROM \"{FACTS}\" f JOIN \"{REGIONS}\" r \
                 ON f.region = r.region GROUP BY r.region_name ORDER BY total DESC LIMIT 10"
            ),
            3,
        )
        .await;
        (group_by.as_secs_f64(), join.as_secs_f64())
    });
    println!("  pool   group-by: {group_by:>7.3} s   join: {join:>7.3} s");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/duckdb_sql.py");
    let duck = std::process::Command::new("python3")
        .arg(&script)
        .arg(&facts_file)
        .arg(&regions_file)
        .output();
    match duck {
        Ok(out) if out.status.success() => {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let (dg, dj) = (v["group_by"].as_f64().unwrap(), v["join"].as_f64().unwrap());
            println!(
                "  DuckDB {} group-by: {dg:>7.3} s   join: {dj:>7.3} s",
                v["duckdb"].as_str().unwrap_or("?")
            );
            println!(
                "  ratio DuckDB time / pool time (1× = as fast): group-by {:.2}×, join {:.2}×",
                dg / group_by,
                dj / join
            );
        }
        _ => println!("  DuckDB baseline skipped (pip install duckdb)"),
    }
}
