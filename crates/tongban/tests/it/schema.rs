//! One schema on both backends: every crate's migrations give SQLite and PostgreSQL the same
//! tables, the same columns, the same nullability and the same kind of value in each column, and
//! PostgreSQL one integer type (BIGINT, 64-bit like SQLite's INTEGER and every Rust value the
//! code reads). A difference fails with the list of every table.column that differs.

use crate::cli::postgres_url;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use tongban_db::{Backend, Db, Migration, params};
use tongban_test_support::TestDb;

/// Every crate's migrations, in the order `tongban` applies them (the test below checks that no
/// crate with a migrations folder is missing from the list).
fn migrations() -> Vec<&'static [Migration]> {
    tongban_web::platform::migrations()
}

/// PostgreSQL integer columns allowed to be narrower than BIGINT, each with its reason. None
/// today: INTEGER holds only ±2.1e9, which milliseconds since 1970 passed in January 1970, and a
/// counter or version needs a reason to be capped where SQLite's is not.
const NARROW_INTEGERS: &[(&str, &str, &str)] = &[];

/// What a column holds, in the terms both backends share. Booleans are INTEGER 0/1 on both (see
/// `tongban_db::Value`), so a PostgreSQL `boolean` is a kind of its own and differs from SQLite.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Integer,
    Real,
    Text,
    Blob,
    Boolean,
    Other,
}

/// One column as a backend's catalog describes it.
#[derive(Debug, Clone)]
struct Column {
    kind: Kind,
    /// The type as declared (SQLite) or named by `information_schema` (PostgreSQL).
    declared: String,
    not_null: bool,
}

/// Tables by name, their columns by name.
type Schema = BTreeMap<String, BTreeMap<String, Column>>;

/// SQLite's type affinity of a declared type (https://sqlite.org/datatype3.html, 3.1), which is
/// what the column really stores: `BIGINT` is as much INTEGER there as `INTEGER` is.
fn sqlite_kind(declared: &str) -> Kind {
    let t = declared.to_ascii_uppercase();
    if t.contains("INT") {
        Kind::Integer
    } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
        Kind::Text
    } else if t.contains("BLOB") || t.is_empty() {
        Kind::Blob
    } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
        Kind::Real
    } else {
        Kind::Other
    }
}

/// The kind of a PostgreSQL `information_schema.columns.data_type`.
fn postgres_kind(data_type: &str) -> Kind {
    match data_type {
        "bigint" | "integer" | "smallint" => Kind::Integer,
        "double precision" | "real" => Kind::Real,
        "text" | "character varying" | "character" => Kind::Text,
        "bytea" => Kind::Blob,
        "boolean" => Kind::Boolean,
        _ => Kind::Other,
    }
}

/// The application's tables and columns as the database's own catalog reports them.
async fn schema(db: &Db) -> Schema {
    let sql = match db.backend() {
        // A primary key column counts as NOT NULL: PostgreSQL makes it so, and SQLite accepts a
        // NULL key only through a legacy quirk that no code of ours relies on.
        Backend::Sqlite => {
            "SELECT name, type AS declared, CASE WHEN \"notnull\" = 1 OR pk > 0 THEN 1 ELSE 0 END AS not_null \
             FROM pragma_table_info($1)"
        }
        Backend::Postgres => {
            "SELECT CAST(column_name AS TEXT) AS name, CAST(data_type AS TEXT) AS declared, \
             CASE WHEN is_nullable = 'NO' THEN 1 ELSE 0 END AS not_null \
             FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1"
        }
    };
    let mut tables = Schema::new();
    for table in db.table_names().await.unwrap() {
        let mut columns = BTreeMap::new();
        for row in db.fetch_all(sql, params![table]).await.unwrap() {
            let declared: String = row.get("declared").unwrap();
            let kind = match db.backend() {
                Backend::Sqlite => sqlite_kind(&declared),
                Backend::Postgres => postgres_kind(&declared),
            };
            let not_null = row.get::<i64>("not_null").unwrap() == 1;
            columns.insert(
                row.get::<String>("name").unwrap(),
                Column {
                    kind,
                    declared,
                    not_null,
                },
            );
        }
        tables.insert(table, columns);
    }
    tables
}

fn nullability(not_null: bool) -> &'static str {
    if not_null { "NOT NULL" } else { "nullable" }
}

/// Every difference between the two schemas, and every PostgreSQL integer narrower than BIGINT,
/// one line per table (when missing on one side) or table.column, sorted.
fn differences(sqlite: &Schema, postgres: &Schema) -> Vec<String> {
    let mut found = Vec::new();
    let tables: BTreeSet<&String> = sqlite.keys().chain(postgres.keys()).collect();
    for table in tables {
        let (s, p) = match (sqlite.get(table), postgres.get(table)) {
            (Some(s), Some(p)) => (s, p),
            (Some(_), None) => {
                found.push(format!("{table}: table only on SQLite"));
                continue;
            }
            (None, _) => {
                found.push(format!("{table}: table only on PostgreSQL"));
                continue;
            }
        };
        let columns: BTreeSet<&String> = s.keys().chain(p.keys()).collect();
        for column in columns {
            let at = format!("{table}.{column}");
            let (s, p) = match (s.get(column), p.get(column)) {
                (Some(s), Some(p)) => (s, p),
                (Some(_), None) => {
                    found.push(format!("{at}: column only on SQLite"));
                    continue;
                }
                (None, _) => {
                    found.push(format!("{at}: column only on PostgreSQL"));
                    continue;
                }
            };
            if s.kind != p.kind {
                found.push(format!(
                    "{at}: {:?} on SQLite ({}), {:?} on PostgreSQL ({})",
                    s.kind, s.declared, p.kind, p.declared
                ));
            }
            if s.not_null != p.not_null {
                found.push(format!(
                    "{at}: {} on SQLite, {} on PostgreSQL",
                    nullability(s.not_null),
                    nullability(p.not_null)
                ));
            }
        }
    }
    for (table, columns) in postgres {
        for (column, c) in columns {
            let allowed = NARROW_INTEGERS
                .iter()
                .any(|(t, col, _why)| t == table && col == column);
            if c.kind == Kind::Integer && c.declared != "bigint" && !allowed {
                found.push(format!(
                    "{table}.{column}: {} on PostgreSQL, where every integer is bigint",
                    c.declared
                ));
            }
        }
    }
    found.sort();
    found
}

#[test]
fn every_crate_lists_each_of_its_migration_files_once_with_a_script_for_each_backend() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let listed: BTreeMap<&str, &[Migration]> =
        migrations().into_iter().map(|set| (set[0].owner, set)).collect();
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(&crates).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        if dir.join("migrations").is_dir() && !listed.contains_key(name.as_str()) {
            problems.push(format!("{name}: has migrations but is not in this test's list"));
        }
    }
    for (owner, set) in &listed {
        let folder = crates.join(owner).join("migrations");
        for backend in ["sqlite", "postgres"] {
            let on_disk: BTreeSet<String> = std::fs::read_dir(folder.join(backend))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            let mut expected = BTreeSet::new();
            for m in set.iter() {
                assert_eq!(m.owner, *owner, "one set, one owner");
                let file = format!("{:04}_{}.sql", m.version, m.name);
                let script = if backend == "sqlite" { m.sqlite } else { m.postgres };
                match std::fs::read_to_string(folder.join(backend).join(&file)) {
                    Ok(text) if text == script => {}
                    Ok(_) => problems.push(format!(
                        "{owner}/{backend}/{file}: listed with another file's script"
                    )),
                    Err(_) => problems.push(format!("{owner}/{backend}/{file}: listed but missing")),
                }
                expected.insert(file);
            }
            for file in on_disk.difference(&expected) {
                problems.push(format!("{owner}/{backend}/{file}: on disk but not in MIGRATIONS"));
            }
        }
        let versions: Vec<i64> = set.iter().map(|m| m.version).collect();
        if versions != (1..=set.len() as i64).collect::<Vec<_>>() {
            problems.push(format!("{owner}: versions {versions:?} are not 1, 2, 3, …"));
        }
    }
    assert!(
        problems.is_empty(),
        "the MIGRATIONS lists and the migration files disagree:\n{}",
        problems.join("\n")
    );
}

#[tokio::test]
async fn sqlite_and_postgresql_get_the_same_tables_columns_and_kinds_from_the_migrations() {
    let Some(url) = postgres_url() else {
        return;
    };
    let sets = migrations();
    let sqlite = TestDb::sqlite(&sets).await;
    let on_sqlite = schema(&sqlite.db).await;
    sqlite.remove().await;
    let postgres = TestDb::postgres(&url, &sets).await;
    let on_postgres = schema(&postgres.db).await;
    postgres.remove().await;
    assert!(
        on_sqlite.len() > 50,
        "the tables of every crate: {:?}",
        on_sqlite.keys()
    );
    let found = differences(&on_sqlite, &on_postgres);
    assert!(
        found.is_empty(),
        "the migrations give SQLite and PostgreSQL different schemas ({} differences); add a \
         migration pair that brings them together:\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn the_report_names_each_drifted_column_once_per_difference() {
    let column = |kind, declared: &str, not_null| Column {
        kind,
        declared: declared.into(),
        not_null,
    };
    let sqlite: Schema = BTreeMap::from([
        (
            "t".to_string(),
            BTreeMap::from([
                ("a_ms".to_string(), column(Kind::Integer, "INTEGER", true)),
                ("b".to_string(), column(Kind::Text, "TEXT", true)),
                ("c".to_string(), column(Kind::Integer, "INTEGER", false)),
                ("only_here".to_string(), column(Kind::Blob, "BLOB", false)),
            ]),
        ),
        ("gone".to_string(), BTreeMap::new()),
    ]);
    let postgres: Schema = BTreeMap::from([(
        "t".to_string(),
        BTreeMap::from([
            ("a_ms".to_string(), column(Kind::Integer, "integer", true)),
            ("b".to_string(), column(Kind::Blob, "bytea", false)),
            ("c".to_string(), column(Kind::Boolean, "boolean", false)),
        ]),
    )]);
    assert_eq!(
        differences(&sqlite, &postgres),
        [
            "gone: table only on SQLite",
            "t.a_ms: integer on PostgreSQL, where every integer is bigint",
            "t.b: NOT NULL on SQLite, nullable on PostgreSQL",
            "t.b: Text on SQLite (TEXT), Blob on PostgreSQL (bytea)",
            "t.c: Integer on SQLite (INTEGER), Boolean on PostgreSQL (boolean)",
            "t.only_here: column only on SQLite",
        ]
    );
}
