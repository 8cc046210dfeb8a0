//! Test support for every crate (never a dependency of production code). The conformance
//! harness: runs one store test on SQLite always, and on PostgreSQL too when
//! `TONGBAN_TEST_DATABASE_URL` is set, each in a fresh database (a temporary SQLite file, or a
//! new PostgreSQL schema) that is removed afterwards.

use std::future::Future;
use tongban_db::{Db, DbOptions, Migration, params};

/// The variable that points the harness at a PostgreSQL server.
pub const ENV_URL: &str = "TONGBAN_TEST_DATABASE_URL";

/// A fresh, migrated database for one test.
pub struct TestDb {
    /// The handle.
    pub db: Db,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Schema { url: String, schema: String },
}

impl TestDb {
    /// A new SQLite database in a temporary file, migrated with `sets` (the events table first).
    pub async fn sqlite(sets: &[&[Migration]]) -> TestDb {
        let path = std::env::temp_dir().join(format!("tongban-test-{}.db", uuid::Uuid::now_v7().simple()));
        let url = format!("sqlite://{}", path.display());
        let db = Db::connect(&url, &DbOptions::default())
            .await
            .expect("open test sqlite");
        migrate_all(&db, sets).await;
        TestDb {
            db,
            cleanup: Cleanup::File(path),
        }
    }

    /// A new schema on the PostgreSQL server at `url`, migrated with `sets`.
    pub async fn postgres(url: &str, sets: &[&[Migration]]) -> TestDb {
        let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
        let admin = Db::connect(
            url,
            &DbOptions {
                max_connections: Some(1),
                ..Default::default()
            },
        )
        .await
        .expect("connect to TONGBAN_TEST_DATABASE_URL");
        admin
            .execute(&format!("CREATE SCHEMA {schema}"), params![])
            .await
            .expect("create test schema");
        admin.close().await;
        let db = Db::connect(
            url,
            &DbOptions {
                schema: Some(schema.clone()),
                max_connections: Some(4),
            },
        )
        .await
        .expect("open test schema");
        migrate_all(&db, sets).await;
        TestDb {
            db,
            cleanup: Cleanup::Schema {
                url: url.into(),
                schema,
            },
        }
    }

    /// Closes the database and removes it.
    pub async fn remove(self) {
        self.db.close().await;
        match self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Schema { url, schema } => {
                if let Ok(admin) = Db::connect(
                    &url,
                    &DbOptions {
                        max_connections: Some(1),
                        ..Default::default()
                    },
                )
                .await
                {
                    let _ = admin
                        .execute(&format!("DROP SCHEMA {schema} CASCADE"), params![])
                        .await;
                    admin.close().await;
                }
            }
        }
    }
}

async fn migrate_all(db: &Db, sets: &[&[Migration]]) {
    let mut all: Vec<&[Migration]> = vec![tongban_db::MIGRATIONS];
    all.extend(
        sets.iter()
            .copied()
            .filter(|s| s.first().is_none_or(|m| m.owner != "db")),
    );
    db.migrate(&all).await.expect("migrate test database");
}

/// The backends a store test must pass on here: `sqlite`, plus `postgres` when configured.
pub fn backends() -> Vec<&'static str> {
    let mut v = vec!["sqlite"];
    if std::env::var(ENV_URL).is_ok_and(|u| !u.is_empty()) {
        v.push("postgres");
    }
    v
}

/// Runs `test` once per backend on a fresh database migrated with `sets`. A failure names the
/// backend it failed on.
pub async fn each_backend<F, Fut>(sets: &[&[Migration]], test: F)
where
    F: Fn(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    for backend in backends() {
        let t = match backend {
            "sqlite" => TestDb::sqlite(sets).await,
            _ => TestDb::postgres(&std::env::var(ENV_URL).unwrap_or_default(), sets).await,
        };
        eprintln!("-- on {backend}");
        test(t.db.clone()).await;
        t.remove().await;
    }
}

/// The columns of `table`, in order.
pub async fn columns(db: &Db, table: &str) -> tongban_db::Result<Vec<String>> {
    let sql = match db.backend() {
        tongban_db::Backend::Sqlite => format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid"),
        tongban_db::Backend::Postgres => format!(
            "SELECT column_name AS name FROM information_schema.columns WHERE table_name = '{table}' \
             AND table_schema = current_schema() ORDER BY ordinal_position"
        ),
    };
    db.fetch_all(&sql, Vec::new())
        .await?
        .iter()
        .map(|r| r.get::<String>("name"))
        .collect()
}

/// For benchmarks at scale: copies the first row of `table` matching `template` (a SQL
/// condition) `total` times, in chunks of 100,000, with `vary` giving the SQL expression of each
/// column that differs per copy — over the sequence number `i` (1-based, BIGINT) and the
/// template row `t`. Every other column keeps the template's value, so the copies hold exactly
/// what the domain code wrote.
pub async fn copy_rows(
    db: &Db,
    table: &str,
    template: &str,
    total: usize,
    vary: &std::collections::BTreeMap<&str, String>,
) -> tongban_db::Result<()> {
    let cols = columns(db, table).await?;
    let select: Vec<String> = cols
        .iter()
        .map(|c| vary.get(c.as_str()).cloned().unwrap_or_else(|| format!("t.{c}")))
        .collect();
    let chunk = 100_000;
    let mut from = 1;
    while from <= total {
        let to = (from + chunk - 1).min(total);
        let seq = match db.backend() {
            tongban_db::Backend::Sqlite => format!(
                "WITH RECURSIVE s(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM s WHERE i < {to}) "
            ),
            tongban_db::Backend::Postgres => {
                format!("WITH s(i) AS (SELECT generate_series({from}::bigint, {to}::bigint)) ")
            }
        };
        let sql = format!(
            "{seq}INSERT INTO {table} ({}) SELECT {} FROM s, (SELECT * FROM {table} WHERE {template} LIMIT 1) AS t",
            cols.join(", "),
            select.join(", ")
        );
        db.execute(&sql, Vec::new()).await?;
        from = to + 1;
    }
    Ok(())
}

/// For benchmarks: the median and 95th percentile, in milliseconds, of `runs` timed calls of
/// `f` after one untimed warm-up call.
pub async fn p50_p95<F, Fut>(runs: usize, mut f: F) -> (f64, f64)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    f().await;
    let mut ms: Vec<f64> = Vec::with_capacity(runs.max(1));
    for _ in 0..runs.max(1) {
        let t = std::time::Instant::now();
        f().await;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(|a, b| a.total_cmp(b));
    (ms[ms.len() / 2], ms[(ms.len() * 95 / 100).min(ms.len() - 1)])
}

/// Asserts that a message for people reads in Chinese and in English: its catalog has the code
/// in both languages (a missing code renders as `crate:code`, which fails here).
pub fn said_in_both(m: &tongban_kernel::Msg) {
    use tongban_kernel::Lang;
    let (zh, en) = (m.render(Lang::Zh), m.render(Lang::En));
    let han = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    assert!(han(&zh), "no Chinese in {zh:?} ({m:?})");
    assert!(!en.is_empty() && en != zh, "no English for {zh:?} ({m:?})");
    if let Some(code) = m.code() {
        assert!(!en.ends_with(&format!(":{code}")), "{code} is not in its catalog");
    }
}

/// What is wrong with a crate's declared event kinds (`kinds`, its `events::KINDS`) and its
/// sources under `src`: a kind whose action does not start with `prefix` (`hall.`) or is
/// declared twice, and a source file that still builds an event from an untyped
/// `EventDraft { .. }` literal instead of a declared kind. Empty when all is well.
pub fn event_kind_problems(src: impl AsRef<std::path::Path>, prefix: &str, kinds: &[&str]) -> Vec<String> {
    let mut problems = Vec::new();
    for (i, k) in kinds.iter().enumerate() {
        if !k.starts_with(prefix) {
            problems.push(format!("{k}: does not start with {prefix}"));
        }
        if kinds[..i].contains(k) {
            problems.push(format!("{k}: declared twice"));
        }
    }
    let mut dirs = vec![src.as_ref().to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            problems.push(format!("{}: cannot be read", dir.display()));
            continue;
        };
        for path in entries.flatten().map(|e| e.path()) {
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "rs")
                && std::fs::read_to_string(&path).is_ok_and(|s| s.contains(concat!("EventDraft", " {")))
            {
                problems.push(format!("{}: builds an untyped EventDraft", path.display()));
            }
        }
    }
    problems.sort();
    problems
}
