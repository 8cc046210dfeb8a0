//! Ledger throughput on a temporary SQLite database: chaining (events/s through `catch_up`) and
//! verification (entries/s), each printed as a ratio against baselines measured in the same
//! run: a plain SELECT of the same rows, and raw SM3 over the same canonical bytes in memory.
//!
//! `cargo bench -p tongban-ledger` (add `--profile dist` for production-like numbers).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use tongban_crypto::{SigningKey, VerifyingKey};
use tongban_db::event::COLUMNS;
use tongban_db::{Db, DbOptions, Value, params};
use tongban_ledger::{Ledger, LedgerConfig, hash, verify};

/// Events in the benchmark database.
const EVENTS: i64 = 20_000;
/// Rows per INSERT while seeding.
const SEED_CHUNK: i64 = 500;

struct Fixture {
    rt: Runtime,
    db: Db,
    ledger: Ledger,
    trusted: Vec<VerifyingKey>,
    _dir: tempfile::TempDir,
}

/// A database with `EVENTS` realistic events (≈300 bytes each), inserted in bulk: the seeding
/// is not what is measured.
fn fixture() -> Fixture {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let db = rt.block_on(async {
        let db = Db::connect(&url, &DbOptions::default()).await.expect("open");
        db.migrate(&[tongban_db::MIGRATIONS, tongban_ledger::MIGRATIONS])
            .await
            .expect("migrate");
        let mut tx = db.begin_write().await.expect("tx");
        let placeholders: Vec<String> = (0..SEED_CHUNK as usize)
            .map(|r| {
                let cols: Vec<String> = (1..=13).map(|c| format!("${}", r * 13 + c)).collect();
                format!("({})", cols.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO events ({COLUMNS}) VALUES {}",
            placeholders.join(", ")
        );
        for chunk in 0..EVENTS / SEED_CHUNK {
            let mut values = Vec::with_capacity(SEED_CHUNK as usize * 13);
            for i in 0..SEED_CHUNK {
                let seq = chunk * SEED_CHUNK + i + 1;
                values.extend([
                    Value::Int(seq),
                    Value::Text(format!("01970000-0000-7000-8000-{seq:012}")),
                    Value::Int(1_760_000_000_000 + seq),
                    Value::Text("user".into()),
                    Value::Text(format!("01970000-0000-7000-8000-{:012}", seq % 97)),
                    Value::Text(format!("clerk{}", seq % 97)),
                    Value::Text("/3301/3301-GA/".into()),
                    Value::Text("hall.case.accepted".into()),
                    Value::Text("case".into()),
                    Value::Text(format!("2026-1123-{seq:06}")),
                    Value::Text("/3301/3301-GA/".into()),
                    Value::Text(format!(
                        "受理 居住证办理 2026-1123-{seq:06} / accepted residence permit case"
                    )),
                    Value::Text(format!(
                        "{{\"case\":\"2026-1123-{seq:06}\",\"item\":\"居住证办理\",\"applicant\":\"3301*************4\",\"channel\":\"web\"}}"
                    )),
                ]);
            }
            tx.execute(&sql, values).await.expect("seed events");
        }
        tx.execute(
            "UPDATE event_counter SET last_seq = $1 WHERE id = 1",
            params![EVENTS],
        )
        .await
        .expect("counter");
        tx.commit().await.expect("commit");
        db
    });
    let key = SigningKey::generate();
    let trusted = vec![key.verifying_key()];
    let ledger = Ledger::new(
        db.clone(),
        key,
        LedgerConfig {
            checkpoint_every: 100,
            checkpoint_interval: Duration::from_secs(3600),
            batch: 5000,
        },
    );
    Fixture {
        rt,
        db,
        ledger,
        trusted,
        _dir: dir,
    }
}

impl Fixture {
    async fn unchain(&self) {
        self.db
            .execute("DELETE FROM ledger_entries", params![])
            .await
            .expect("reset");
        self.db
            .execute("DELETE FROM ledger_checkpoints", params![])
            .await
            .expect("reset");
    }

    async fn chain_all(&self) -> Duration {
        self.unchain().await;
        let t = Instant::now();
        let n = self.ledger.catch_up().await.expect("catch up");
        assert_eq!(n as i64, EVENTS);
        t.elapsed()
    }

    async fn verify_all(&self) -> Duration {
        let t = Instant::now();
        let r = verify(&self.db, &self.trusted).await.expect("verify");
        assert!(r.ok, "{}", r.summary());
        t.elapsed()
    }

    /// Baseline: read the same rows verify reads (events and entries, 10k per batch), nothing
    /// else.
    async fn select_all(&self) -> Duration {
        let t = Instant::now();
        for (sql, _) in [
            (format!("SELECT {COLUMNS} FROM events WHERE seq > $1 ORDER BY seq LIMIT 10000"), 0),
            (
                "SELECT seq, event_hash, chain_hash FROM ledger_entries WHERE seq > $1 ORDER BY seq LIMIT 10000"
                    .to_string(),
                1,
            ),
        ] {
            let mut after = 0i64;
            loop {
                let rows = self.db.fetch_all(&sql, params![after]).await.expect("select");
                let Some(last) = rows.last() else { break };
                after = last.get("seq").expect("seq");
                black_box(&rows);
            }
        }
        t.elapsed()
    }
}

/// Baseline: SM3 over every event's canonical bytes plus the chain step, all in memory.
fn hash_in_memory(events: &[tongban_db::Event]) -> Duration {
    let t = Instant::now();
    let mut chain = hash::genesis();
    for e in events {
        chain = hash::chain_next(&chain, &hash::event_hash(e), e.seq);
    }
    black_box(chain);
    t.elapsed()
}

/// The fastest single run seen by criterion's samples, for the ratio lines.
#[derive(Default)]
struct Best(std::cell::Cell<Option<Duration>>);

impl Best {
    fn run(&self, iters: u64, mut f: impl FnMut() -> Duration) -> Duration {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            let d = f();
            self.0.set(Some(self.0.get().map_or(d, |b| b.min(d))));
            total += d;
        }
        total
    }

    fn get(&self) -> Duration {
        self.0.get().unwrap_or(Duration::from_nanos(1))
    }
}

fn per_sec(d: Duration) -> f64 {
    EVENTS as f64 / d.as_secs_f64().max(1e-9)
}

fn benches(c: &mut Criterion) {
    let fx = fixture();
    let events = fx
        .rt
        .block_on(tongban_db::event::read_after(&fx.db, 0, EVENTS as u32))
        .expect("read events");

    let mut g = c.benchmark_group("ledger");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Elements(EVENTS as u64));
    let (chain, ver, select, sm3) = (Best::default(), Best::default(), Best::default(), Best::default());
    g.bench_function("catch_up", |b| {
        b.iter_custom(|iters| chain.run(iters, || fx.rt.block_on(fx.chain_all())))
    });
    fx.rt.block_on(fx.chain_all());
    g.bench_function("verify", |b| {
        b.iter_custom(|iters| ver.run(iters, || fx.rt.block_on(fx.verify_all())))
    });
    g.bench_function("baseline_select", |b| {
        b.iter_custom(|iters| select.run(iters, || fx.rt.block_on(fx.select_all())))
    });
    g.bench_function("baseline_sm3", |b| {
        b.iter_custom(|iters| sm3.run(iters, || hash_in_memory(&events)))
    });
    g.finish();

    let (chain, ver, select, sm3) = (chain.get(), ver.get(), select.get(), sm3.get());
    println!("\nledger throughput over {EVENTS} events (fastest sample, same run):");
    println!(
        "  catch_up : {:>12.0} events/s  = {:.2}x plain SELECT, {:.2}x in-memory SM3",
        per_sec(chain),
        select.as_secs_f64() / chain.as_secs_f64(),
        sm3.as_secs_f64() / chain.as_secs_f64()
    );
    println!(
        "  verify   : {:>12.0} entries/s = {:.2}x plain SELECT, {:.2}x in-memory SM3",
        per_sec(ver),
        select.as_secs_f64() / ver.as_secs_f64(),
        sm3.as_secs_f64() / ver.as_secs_f64()
    );
    println!(
        "  baseline : {:>12.0} rows/s plain SELECT (events + entries)",
        per_sec(select)
    );
    println!("  baseline : {:>12.0} events/s in-memory SM3 chain", per_sec(sm3));
}

criterion_group!(ledger, benches);
criterion_main!(ledger);
