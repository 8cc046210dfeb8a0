//! Exchange API speed: requests per second and p99 latency of authorized, masked, recorded
//! lookups (`GET /api/v1/exchange/{code}/records?id_number=…` with a client token and
//! `X-Purpose`), beside an unguarded lookup of the same records from an in-memory map served by
//! a bare axum handler — same process, same loopback, same load generator, one run.
//!
//! `cargo bench -p tongban-web --bench exchange` (100,000 rows, 32 connections, 10 s per side;
//! `TONGBAN_BENCH_ROWS`, `TONGBAN_BENCH_CONNECTIONS`, `TONGBAN_BENCH_SECONDS` to change).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::extract::{Query, State};
use axum::routing::get;
use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tongban_catalog::{Decision, GrantTerms, Grantee, NewRequest, ResourceInput, Review};
use tongban_identity::{DeptKind, NewDepartment};
use tongban_kernel::{Principal, WorkCalendar};

/// The same allocator as the `tongban` binary, so the API is measured as it runs there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CODE: &str = "3301-GA-0009";

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A valid ID number, distinct for every `n` below 23 million (the serial is `n % 1000`, the
/// birth date walks through the days of 70 years).
fn id_number(n: u64) -> String {
    let d = n / 1000;
    let body = format!(
        "330102{:04}{:02}{:02}{:03}",
        1940 + d % 70,
        1 + (d / 70) % 12,
        1 + (d / 840) % 28,
        n % 1000
    );
    tongban_kernel::IdNumber::with_check(&body)
        .expect("a real birth date and digits only")
        .as_str()
        .to_owned()
}

struct Seeded {
    state: tongban_web::AppState,
    token: String,
    ids: Vec<String>,
    plain: HashMap<String, serde_json::Value>,
}

async fn seed(dir: &std::path::Path, rows: u64) -> Seeded {
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    let db = tongban_db::Db::connect(&url, &Default::default()).await.unwrap();
    db.migrate(&tongban_web::platform::migrations()).await.unwrap();
    let wiring = tongban_web::platform::Wiring::new(
        db.clone(),
        tongban_crypto::Keyring::ephemeral(),
        WorkCalendar::bundled(),
        dir.join("lake"),
    );
    let identity = wiring.identity();
    let sys = Principal::system("bench");
    let dept = |code: &str, zh: &str, parent, kind| NewDepartment {
        code: code.into(),
        name_zh: zh.into(),
        name_en: String::new(),
        parent,
        kind,
    };
    let city = identity
        .create_department(&sys, dept("3301", "市", None, DeptKind::City))
        .await
        .unwrap();
    let ga = identity
        .create_department(
            &sys,
            dept("3301-GA", "公安局", Some(city.id.clone()), DeptKind::Department),
        )
        .await
        .unwrap();
    let mz = identity
        .create_department(
            &sys,
            dept("3301-MZ", "民政局", Some(city.id.clone()), DeptKind::Department),
        )
        .await
        .unwrap();
    let (client, secret) = identity
        .create_api_client(&sys, &mz.id, "低保系统", &["exchange.read".to_string()])
        .await
        .unwrap();
    let token = identity
        .issue_token(&client.client_id, &secret, &[])
        .await
        .unwrap()
        .token;

    let catalog = wiring.catalog();
    let input: ResourceInput = serde_json::from_value(serde_json::json!({
        "code": CODE, "name_zh": "户籍登记（基准）",
        "provider": { "id": ga.id.as_str(), "path": ga.path, "name_zh": "公安局" },
        "summary": "基准测试", "classification": { "class": "basic", "category": "RK" }, "format": "table",
        "fields": [
            { "code": "id_number", "name_zh": "身份证号", "data_type": "string", "sensitivity": "personal",
              "standardizer": "id_number", "is_key": true },
            { "code": "name", "name_zh": "姓名", "data_type": "string", "sensitivity": "personal" },
            { "code": "district", "name_zh": "区县", "data_type": "string", "sensitivity": "internal" },
            { "code": "age", "name_zh": "年龄", "data_type": "integer", "sensitivity": "public" }
        ],
        "sharing": { "class": "conditional", "condition": "依法履职", "legal_basis": "《居民身份证法》" },
        "open_class": "not_open", "update_cycle": "daily"
    }))
    .unwrap();
    let r = catalog.create_resource(&sys, input).await.unwrap();
    catalog.publish_resource(&sys, &r.id).await.unwrap();

    let csv = dir.join("people.csv");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&csv).unwrap());
    writeln!(out, "身份证号,姓名,区县,年龄").unwrap();
    let mut ids = Vec::with_capacity(rows as usize);
    let mut plain = HashMap::with_capacity(rows as usize);
    for n in 0..rows {
        let id = id_number(n);
        let district = ["上城区", "西湖区", "滨江区"][(n % 3) as usize];
        writeln!(out, "{id},居民{n},{district},{}", n % 100).unwrap();
        plain.insert(
            id.clone(),
            serde_json::json!({"id_number": tongban_crypto::mask_id_number(&id), "district": district, "age": n % 100}),
        );
        ids.push(id);
    }
    out.flush().unwrap();
    drop(out);
    let pool = wiring.pool(catalog.clone());
    pool.ingest_csv(&sys, CODE, &csv, &Default::default())
        .await
        .unwrap();

    let q = catalog
        .request_sharing(
            &sys,
            NewRequest {
                requester: Grantee::Department {
                    id: mz.id.as_str().into(),
                    path: mz.path.clone(),
                },
                resource: r.id.clone(),
                fields: vec!["id_number".into(), "district".into(), "age".into()],
                purpose: "低保资格核查".into(),
                scenario: "低保审核".into(),
                legal_basis: "《社会救助暂行办法》".into(),
                valid_until: catalog.today().checked_add(jiff::Span::new().days(300)).unwrap(),
            },
        )
        .await
        .unwrap();
    catalog
        .review(&sys, &q.request.id, Review::Approve { note: String::new() })
        .await
        .unwrap();
    catalog
        .decide(&sys, &q.request.id, Decision::Grant(GrantTerms::default()))
        .await
        .unwrap();

    let settings = tongban_web::WebSettings {
        exchange_rate: u32::MAX / 2,
        exchange_burst: u32::MAX / 2,
        ..Default::default()
    };
    let state = tongban_web::AppState::new(wiring.services(settings, "http://127.0.0.1"));
    Seeded {
        state,
        token,
        ids,
        plain,
    }
}

#[derive(serde::Deserialize)]
struct ById {
    id_number: String,
}

async fn unguarded(
    State(map): State<Arc<HashMap<String, serde_json::Value>>>,
    Query(q): Query<ById>,
) -> axum::Json<serde_json::Value> {
    let rec = map.get(&q.id_number).cloned();
    axum::Json(serde_json::json!({ "records": rec.into_iter().collect::<Vec<_>>() }))
}

/// Hammers `url_of(id)` with `connections` workers for `secs`; returns (requests/s, p99 ms).
async fn load(
    client: reqwest::Client,
    url_of: Arc<dyn Fn(&str) -> String + Send + Sync>,
    token: Option<String>,
    ids: Arc<Vec<String>>,
    connections: u64,
    secs: u64,
) -> (f64, f64) {
    let until = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for w in 0..connections {
        let (client, url_of, token, ids) = (client.clone(), url_of.clone(), token.clone(), ids.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = w as usize * 7919;
            while Instant::now() < until {
                i = (i + 104_729) % ids.len();
                let mut req = client.get(url_of(&ids[i])).header("X-Purpose", "benchmark");
                if let Some(t) = &token {
                    req = req.bearer_auth(t);
                }
                let started = Instant::now();
                let resp = req.send().await.unwrap();
                assert!(resp.status().is_success(), "{}", resp.status());
                let body = resp.bytes().await.unwrap();
                assert!(body.len() > 20);
                latencies.push(started.elapsed());
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    let p99 = all
        .get(all.len().saturating_sub(1) * 99 / 100)
        .copied()
        .unwrap_or_default();
    (all.len() as f64 / secs as f64, p99.as_secs_f64() * 1000.0)
}

fn main() {
    let rows = env("TONGBAN_BENCH_ROWS", 100_000);
    let connections = env("TONGBAN_BENCH_CONNECTIONS", 32);
    let secs = env("TONGBAN_BENCH_SECONDS", 10);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let seeded = seed(dir.path(), rows).await;
        let ids = Arc::new(seeded.ids);

        let guarded = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let guarded_addr = guarded.local_addr().unwrap();
        let router = tongban_web::router(seeded.state);
        tokio::spawn(async move {
            tongban_web::serve(guarded, router, None, std::future::pending())
                .await
                .unwrap();
        });
        let bare = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let bare_addr = bare.local_addr().unwrap();
        let app = axum::Router::new()
            .route("/records", get(unguarded))
            .with_state(Arc::new(seeded.plain));
        tokio::spawn(async move {
            axum::serve(bare, app).await.unwrap();
        });

        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(connections as usize)
            .build()
            .unwrap();
        println!(
            "exchange benchmark: {} rows, {connections} connections, {secs} s per side",
            ids.len()
        );
        let base = format!("http://{bare_addr}/records?id_number=");
        let (bare_rps, bare_p99) = load(
            client.clone(),
            Arc::new(move |id: &str| format!("{base}{id}")),
            None,
            ids.clone(),
            connections,
            secs,
        )
        .await;
        println!("  unguarded lookup:                  {bare_rps:>8.0} req/s  p99 {bare_p99:>6.1} ms");
        let base = format!("http://{guarded_addr}/api/v1/exchange/{CODE}/records?id_number=");
        let (rps, p99) = load(
            client,
            Arc::new(move |id: &str| format!("{base}{id}")),
            Some(seeded.token),
            ids,
            connections,
            secs,
        )
        .await;
        println!("  authorized, masked, recorded:      {rps:>8.0} req/s  p99 {p99:>6.1} ms");
        println!(
            "  ratio guarded / unguarded: {:.2}× (target ≥ 0.5×; ≥ 5,000 req/s)",
            rps / bare_rps
        );
    });
}
