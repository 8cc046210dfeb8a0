//! SQL with policy: a department sees only the resources and fields it holds grants for, rows
//! limited by the grant's row filter, personal fields masked unless granted in clear — whatever
//! the SQL does (`SELECT *`, joins, subqueries, CTEs, views, `information_schema`). Each run on
//! SQLite and (when `TONGBAN_TEST_DATABASE_URL` is set) PostgreSQL.

use crate::support::{CODE, Fixture, csv, id, system};
use std::time::Duration;
use tongban_catalog::{Decision, GrantTerms, GrantUse, Grantee, NewRequest, Review, RowFilter};
use tongban_kernel::{DeptPath, Principal, PrincipalKind, Role, RoleGrant};
use tongban_pool::{Error, QueryError, QueryOptions, QueryResult};
use tongban_test_support::each_backend;

pub(crate) const CIVIL: &str = "/3301/3301-MZ/";
const CIVIL_ID: &str = "0190a0b0-0000-7000-8000-0000000000c1";

/// A member of staff of `dept` who may query (查询分析; a window clerk may not).
pub(crate) fn clerk(dept: &str) -> Principal {
    Principal {
        kind: PrincipalKind::User,
        id: tongban_kernel::id::new_uuid_v7(),
        name: "clerk".into(),
        department: Some(DeptPath(dept.into())),
        grants: vec![RoleGrant {
            role: Role::Analyst,
            scope: DeptPath(dept.into()),
        }],
        purpose: None,
    }
}

/// Six people, three in 西湖区 and three in 滨江区.
pub(crate) fn people() -> String {
    let rows: Vec<String> = (1..=6)
        .map(|n| {
            let district = if n % 2 == 0 { "西湖区" } else { "滨江区" };
            format!("{},张{n}丰,1990-01-0{n},{district},{}", id(n), 30 + n)
        })
        .collect();
    csv(&rows)
}

/// 民政局 asks for `fields` and the provider grants them with `terms`.
pub(crate) async fn grant(f: &Fixture, fields: &[&str], terms: GrantTerms) {
    let q = f
        .catalog
        .request_sharing(
            &system(),
            NewRequest {
                requester: Grantee::Department {
                    id: CIVIL_ID.into(),
                    path: DeptPath(CIVIL.into()),
                },
                resource: f.resource.id.clone(),
                fields: fields.iter().map(|s| s.to_string()).collect(),
                purpose: "最低生活保障资格核查".into(),
                scenario: "低保审核".into(),
                legal_basis: "《社会救助暂行办法》".into(),
                valid_until: f
                    .catalog
                    .today()
                    .checked_add(jiff::Span::new().days(300))
                    .unwrap(),
            },
        )
        .await
        .unwrap();
    let review = Review::Approve { note: String::new() };
    f.catalog.review(&system(), &q.request.id, review).await.unwrap();
    f.catalog
        .decide(&system(), &q.request.id, Decision::Grant(terms))
        .await
        .unwrap();
}

pub(crate) fn only_west() -> GrantTerms {
    GrantTerms {
        row_filter: Some(RowFilter {
            field: "district".into(),
            values: vec!["西湖区".into()],
        }),
        ..GrantTerms::default()
    }
}

async fn run(f: &Fixture, who: &Principal, sql: &str) -> Result<QueryResult, Error> {
    f.pool.query(who, sql, &QueryOptions::default()).await
}

fn names(r: &QueryResult) -> Vec<&str> {
    r.columns.iter().map(|c| c.name.as_str()).collect()
}

fn everything(r: &QueryResult) -> String {
    r.text_rows().concat().join("|")
}

fn refused(e: Error) -> String {
    match e {
        Error::Forbidden { why } => why.to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn select_star_shows_only_granted_fields_and_rows_with_personal_fields_masked() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        f.load(&people()).await;
        grant(&f, &["id_number", "district", "age"], only_west()).await;
        let r = run(
            &f,
            &clerk(CIVIL),
            &format!("SELECT * FROM \"{CODE}\" ORDER BY age"),
        )
        .await
        .unwrap();
        assert_eq!(names(&r), ["id_number", "id_number__bidx", "district", "age"]);
        assert_eq!(r.rows, 3, "the row filter keeps 西湖区 only");
        let text = everything(&r);
        assert!(!text.contains("滨江区"));
        assert!(!text.contains('丰'), "the ungranted name never appears");
        for row in r.text_rows() {
            assert!(row[0].contains('*'), "masked ID number: {}", row[0]);
            assert!(!(1..=6).any(|n| row[0] == id(n)));
        }
        assert_eq!(r.resources, [CODE]);
    })
    .await;
}

#[tokio::test]
async fn an_ungranted_field_is_refused_however_the_sql_reaches_for_it() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        f.load(&people()).await;
        grant(&f, &["id_number", "district", "age"], GrantTerms::default()).await;
        let who = clerk(CIVIL);
        let t = format!("\"{CODE}\"");
        for sql in [
            format!("SELECT name FROM {t}"),
            format!("SELECT age FROM {t} WHERE name LIKE '张%'"),
            format!("SELECT * FROM (SELECT birth_date FROM {t}) s"),
            format!("SELECT a.age FROM {t} a JOIN {t} b ON a.name = b.name"),
            format!("WITH x AS (SELECT name AS n FROM {t}) SELECT n FROM x"),
            format!("SELECT age FROM {t} WHERE age IN (SELECT age FROM {t} WHERE name = '张1丰')"),
        ] {
            let why = refused(run(&f, &who, &sql).await.unwrap_err());
            assert!(
                why.contains("name") || why.contains("birth_date"),
                "the refusal names the field: {why}"
            );
        }
        // A view of one's own is DDL, which never runs.
        let e = run(&f, &who, &format!("CREATE VIEW v AS SELECT name FROM {t}"))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Query(_) | Error::Forbidden { .. }), "{e:?}");
        // information_schema lists only what may be read.
        let cols = run(
            &f,
            &who,
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'",
        )
        .await
        .unwrap();
        let listed = everything(&cols);
        assert!(listed.contains("district") && !listed.contains("birth_date"));
        assert!(!cols.text_rows().iter().any(|r| r[1] == "name"));
        let refusals = tongban_db::event::read_after(f.catalog.db(), 0, 1000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "pool.query.refused")
            .count();
        assert_eq!(refusals, 7, "every refusal is recorded");
    })
    .await;
}

#[tokio::test]
async fn resources_without_a_grant_do_not_exist_for_the_caller() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        f.load(&people()).await;
        let outsider = clerk("/3301/3301-JY/");
        let why = refused(
            run(&f, &outsider, &format!("SELECT count(*) FROM \"{CODE}\""))
                .await
                .unwrap_err(),
        );
        assert!(why.contains(CODE), "{why}");
        let tables = run(&f, &outsider, "SELECT table_name FROM information_schema.tables")
            .await
            .unwrap();
        assert!(!everything(&tables).contains(CODE));
        assert!(f.pool.tables(&outsider).await.unwrap().is_empty());

        // System and security administrators do not read business data (三员分立), not even
        // their own department's.
        let mut admin = clerk("/3301/3301-GA/");
        admin.grants[0].role = Role::SysAdmin;
        let e = run(&f, &admin, "SELECT 1").await.unwrap_err();
        assert!(refused(e).contains("query_pool"));
    })
    .await;
}

#[tokio::test]
async fn sql_never_shows_personal_data_in_clear_a_grant_counts_only_for_its_uses_and_revocation_is_immediate()
{
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        f.load(&people()).await;
        // An ID number in clear for exchange lookups of one person does not open the table to
        // SQL: the grant does not name the query use (and clear text never could).
        grant(
            &f,
            &["id_number", "name", "age"],
            GrantTerms {
                clear_fields: vec!["id_number".into()],
                clear_basis: "核对申请人身份".into(),
                uses: vec![GrantUse::Exchange],
                ..GrantTerms::default()
            },
        )
        .await;
        let who = clerk(CIVIL);
        let why = refused(
            run(&f, &who, &format!("SELECT age FROM \"{CODE}\""))
                .await
                .unwrap_err(),
        );
        assert!(why.contains(CODE), "{why}");
        // A prefill grant does not either.
        grant(
            &f,
            &["id_number", "name", "age"],
            GrantTerms {
                uses: vec![GrantUse::Prefill],
                ..GrantTerms::default()
            },
        )
        .await;
        assert!(
            run(&f, &who, &format!("SELECT age FROM \"{CODE}\""))
                .await
                .is_err()
        );
        // An ordinary grant (exchange and query) shows personal fields masked.
        grant(&f, &["id_number", "name", "age"], GrantTerms::default()).await;
        let r = run(
            &f,
            &who,
            &format!("SELECT id_number, name FROM \"{CODE}\" WHERE age = 31"),
        )
        .await
        .unwrap();
        let row = &r.text_rows()[0];
        assert_ne!(row[0], id(1), "ID numbers stay masked in SQL");
        assert!(row[0].contains('*'), "{row:?}");
        assert_ne!(row[1], "张1丰", "names stay masked");
        assert!(row[1].starts_with('张'));

        let grants = f
            .catalog
            .list_grants(&system(), &Default::default(), Default::default())
            .await
            .unwrap();
        let live = grants
            .items
            .iter()
            .find(|g| g.revoked.is_none())
            .expect("the ordinary grant");
        f.catalog
            .revoke_grant(&system(), &live.id, "用途已完成")
            .await
            .unwrap();
        let why = refused(
            run(&f, &who, &format!("SELECT age FROM \"{CODE}\""))
                .await
                .unwrap_err(),
        );
        assert!(why.contains(CODE));
    })
    .await;
}

#[tokio::test]
async fn a_grant_stops_counting_the_day_after_it_expires() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        f.load(&people()).await;
        let last_day = f.catalog.today().tomorrow().unwrap();
        grant(
            &f,
            &["age"],
            GrantTerms {
                expires_on: Some(last_day),
                ..GrantTerms::default()
            },
        )
        .await;
        let who = clerk(CIVIL);
        assert!(
            run(&f, &who, &format!("SELECT age FROM \"{CODE}\""))
                .await
                .is_ok()
        );
        let after = last_day.tomorrow().unwrap();
        let later = f.catalog.clone().with_clock(move || {
            tongban_kernel::Millis(
                after
                    .to_zoned(jiff::tz::TimeZone::UTC)
                    .unwrap()
                    .timestamp()
                    .as_millisecond()
                    + 36_000_000,
            )
        });
        let pool = tongban_pool::Pool::new(f.pool.lake_dir(), later, f.cipher.clone());
        let e = pool
            .query(
                &who,
                &format!("SELECT age FROM \"{CODE}\""),
                &QueryOptions::default(),
            )
            .await
            .unwrap_err();
        refused(e);
    })
    .await;
}

#[tokio::test]
async fn the_provider_sees_its_own_data_masked_and_blind_indexes_join() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        f.load(&people()).await;
        let police = clerk("/3301/3301-GA/");
        let r = run(
            &f,
            &police,
            &format!(
                "SELECT a.name, b.age FROM \"{CODE}\" a JOIN \"{CODE}\" b \
                 ON a.id_number__bidx = b.id_number__bidx ORDER BY b.age"
            ),
        )
        .await
        .unwrap();
        assert_eq!(r.rows, 6);
        assert!(
            !everything(&r).contains('丰'),
            "names masked for the provider too"
        );
    })
    .await;
}

#[tokio::test]
async fn only_queries_run_no_files_no_writes_no_settings() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        f.load(&people()).await;
        let police = clerk("/3301/3301-GA/");
        let out = f.dir.path().join("leak.csv");
        let parquet = f.pool.version_dir(CODE, 1).join("part-0.parquet");
        for sql in [
            format!("COPY (SELECT 1) TO '{}'", out.display()),
            "CREATE TABLE t AS SELECT 1".to_owned(),
            format!("INSERT INTO \"{CODE}\" (age) VALUES (1)"),
            "SET datafusion.execution.batch_size = 1".to_owned(),
            format!("SELECT * FROM '{}'", parquet.display()),
            format!(
                "CREATE EXTERNAL TABLE x STORED AS PARQUET LOCATION '{}'",
                parquet.display()
            ),
            "SELECT 1; SELECT 2".to_owned(),
        ] {
            let e = run(&f, &police, &sql).await.unwrap_err();
            assert!(
                matches!(e, Error::Query(_) | Error::Forbidden { .. }),
                "{sql}: {e:?}"
            );
        }
        assert!(!out.exists(), "nothing was written");
        let e = run(&f, &police, "  ").await.unwrap_err();
        assert!(matches!(e, Error::Invalid(ref i) if i.field == "sql"), "{e:?}");
        let e = run(&f, &police, "SELEC age").await.unwrap_err();
        let Error::Query(QueryError::Sql(msg)) = &e else {
            panic!("{e:?}")
        };
        let msg = msg.render(tongban_kernel::Lang::Zh);
        // A position and what was there, never the parser's debug form.
        assert!(
            msg.starts_with("第1行第1列附近有语法错误") && msg.contains("SELEC"),
            "{msg}"
        );
        assert!(!msg.contains("ParserError") && !msg.contains("Expected"), "{msg}");
        let explain = run(&f, &police, &format!("EXPLAIN SELECT age FROM \"{CODE}\""))
            .await
            .unwrap();
        assert!(explain.rows > 0);
        // The plan is the policy's: the view by name, no lake paths, file statistics or hidden
        // columns, even verbose; EXPLAIN ANALYZE (which runs and measures storage) is refused.
        for sql in [
            format!("EXPLAIN SELECT age FROM \"{CODE}\" WHERE district = '西湖区'"),
            format!("EXPLAIN VERBOSE SELECT * FROM \"{CODE}\""),
        ] {
            let plan = everything(&run(&f, &police, &sql).await.unwrap());
            assert!(plan.contains(CODE), "{plan}");
            for leak in [
                ".parquet",
                "/tmp",
                "statistics",
                "min_value",
                "file_groups",
                "reveal",
            ] {
                assert!(!plan.to_lowercase().contains(leak), "{leak} in {plan}");
            }
        }
        let e = run(
            &f,
            &police,
            &format!("EXPLAIN ANALYZE SELECT age FROM \"{CODE}\""),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, Error::Query(QueryError::NotAQuery(_))), "{e:?}");
    })
    .await;
}

#[tokio::test]
async fn limits_cut_rows_stop_long_queries_and_cap_memory() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        f.load(&people()).await;
        let police = clerk("/3301/3301-GA/");
        let opts = QueryOptions {
            row_limit: 4,
            purpose: "户籍核查".into(),
            ..QueryOptions::default()
        };
        let r = f
            .pool
            .query(&police, &format!("SELECT age FROM \"{CODE}\""), &opts)
            .await
            .unwrap();
        assert_eq!((r.rows, r.truncated), (4, true));
        let ran = tongban_db::event::read_after(f.catalog.db(), 0, 1000)
            .await
            .unwrap()
            .into_iter()
            .rfind(|e| e.action == "pool.query.ran")
            .unwrap();
        let detail: serde_json::Value = serde_json::from_str(&ran.detail).unwrap();
        assert_eq!(detail["rows"], 4);
        assert_eq!(detail["purpose"], "户籍核查");
        assert_eq!(detail["resources"][CODE], "provider");

        let slow = QueryOptions {
            timeout: Duration::from_millis(300),
            ..QueryOptions::default()
        };
        let e = f
            .pool
            .query(
                &police,
                "SELECT count(*) FROM generate_series(1, 100000000000)",
                &slow,
            )
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Query(QueryError::Timeout(_))), "{e:?}");

        let small = QueryOptions {
            memory_limit: 1 << 20,
            ..QueryOptions::default()
        };
        let e = f
            .pool
            .query(
                &police,
                "SELECT DISTINCT value FROM generate_series(1, 3000000)",
                &small,
            )
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Query(QueryError::Memory)), "{e:?}");
    })
    .await;
}

#[tokio::test]
async fn a_name_of_many_dotted_parts_is_refused_before_planning_and_leaves_nothing_running() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        f.load(&people()).await;
        let police = clerk("/3301/3301-GA/");
        // Found by the fuzz target: planning this kept a core busy for minutes after the answer.
        let sql = format!(
            "SELECT table_n{} FROM information_schema.tables",
            "_schema.tables".repeat(33)
        );
        let e = run(&f, &police, &sql).await.unwrap_err();
        assert!(matches!(&e, Error::Invalid(i) if i.field == "sql"), "{e:?}");
        assert_eq!(f.pool.queries_running(), 0);
        // Names of a few parts still work.
        let r = run(
            &f,
            &police,
            &format!("SELECT p.district FROM \"{CODE}\" p LIMIT 1"),
        )
        .await
        .unwrap();
        assert_eq!(r.rows, 1);
    })
    .await;
}

#[tokio::test]
async fn functions_that_build_or_compare_too_much_are_refused_before_they_run_even_when_folded() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        f.load(&people()).await;
        let police = clerk("/3301/3301-GA/");
        // Each of these took gigabytes or minutes; each is refused at once, naming the function.
        let started = std::time::Instant::now();
        for (sql, function) in [
            (
                "SELECT length(repeat(arrow_cast('x', 'LargeUtf8'), 3000000000))",
                "repeat",
            ),
            ("SELECT length(repeat('ab', 600000))", "repeat"),
            ("SELECT length(lpad('x', 2000000000))", "lpad"),
            ("SELECT length(rpad('x', 900000, 'y'))", "rpad"),
            (
                "SELECT levenshtein(repeat('a', 140000), repeat('b', 140000))",
                "levenshtein",
            ),
            (
                "SELECT levenshtein(repeat('a', 20000), repeat('b', 20000))",
                "levenshtein",
            ),
            (
                "SELECT length(replace(repeat('x', 1000000), 'x', repeat('y', 1000)))",
                "replace",
            ),
            (
                "SELECT length(regexp_replace(repeat('x', 1000000), '', repeat('y', 100), 'g'))",
                "regexp_replace",
            ),
        ] {
            let e = run(&f, &police, sql).await.unwrap_err();
            let Error::Query(QueryError::OverLimit { zh, en }) = &e else {
                panic!("{sql}: expected a function refused, got {e:?}");
            };
            assert!(zh.contains(function) && zh.contains("上限"), "{sql}: {zh}");
            assert!(en.contains(function) && en.is_ascii(), "{sql}: {en}");
            // Each language says it once: no Chinese in the English half and no English in
            // the Chinese one.
            let text = e.to_string();
            let (zh_half, en_half) = text.split_once(" / ").unwrap();
            assert!(!zh_half.contains("the ") && en_half.is_ascii(), "{text}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "refused before any of them ran"
        );
        // Per row too, not only for constants: a column's long value is caught.
        let e = run(
            &f,
            &police,
            &format!("SELECT repeat(district, 1000000) FROM \"{CODE}\""),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, Error::Query(QueryError::OverLimit { .. })), "{e:?}");
        // Within the limits the same functions work as before.
        let r = run(
            &f,
            &police,
            "SELECT repeat('ab', 3) AS r, lpad('7', 3, '0') AS p, levenshtein('kitten', 'sitting') AS d",
        )
        .await
        .unwrap();
        assert_eq!(everything(&r), "ababab|007|3");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_past_its_time_is_stopped_and_the_caller_is_answered_meanwhile() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        f.load(&people()).await;
        let police = clerk("/3301/3301-GA/");
        let slow = QueryOptions {
            timeout: Duration::from_millis(500),
            ..QueryOptions::default()
        };
        // A count over a hundred billion rows would run for hours.
        let started = std::time::Instant::now();
        let e = f
            .pool
            .query(
                &police,
                "SELECT count(*) FROM generate_series(1, 100000000000) WHERE value % 7 = 3",
                &slow,
            )
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Query(QueryError::Timeout(_))), "{e:?}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "answered at the limit: {:?}",
            started.elapsed()
        );
        // Its threads end at their next pause: execution pauses often, so nothing keeps running.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while f.pool.queries_running() > 0 && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(f.pool.queries_running(), 0, "the stopped query still runs");
        // It ran, so it is recorded.
        let stopped = tongban_db::event::read_after(f.catalog.db(), 0, 1000)
            .await
            .unwrap()
            .into_iter()
            .rfind(|e| e.action == "pool.query.timed_out")
            .expect("a timed-out query is recorded");
        assert!(stopped.detail.contains("generate_series"), "{}", stopped.detail);
        // The next query runs normally.
        let r = run(&f, &police, "SELECT 1 AS one").await.unwrap();
        assert_eq!(everything(&r), "1");
    })
    .await;
}

#[tokio::test]
async fn personal_values_in_the_sql_are_masked_in_the_event() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        f.load(&people()).await;
        let police = clerk("/3301/3301-GA/");
        let sql = format!("SELECT age FROM \"{CODE}\" WHERE id_number__bidx = '{}'", id(1));
        run(&f, &police, &sql).await.unwrap();
        let events = tongban_db::event::read_after(f.catalog.db(), 0, 1000)
            .await
            .unwrap();
        let ran = events.iter().rfind(|e| e.action == "pool.query.ran").unwrap();
        let detail: serde_json::Value = serde_json::from_str(&ran.detail).unwrap();
        assert!(!detail["sql"].as_str().unwrap().contains(&id(1)));
    })
    .await;
}

/// The SQL parser's time grows two- to threefold with each level of some brackets, and a parse
/// never pauses: fourteen levels of `POSITION(` took 4 s, twenty would take hours on a server
/// thread. Deeper than the limit is refused at once, naming the box; at the limit it parses.
#[tokio::test]
async fn statements_nested_too_deep_are_refused_before_they_are_parsed() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        f.load(&people()).await;
        let police = clerk("/3301/3301-GA/");
        let deep = tongban_pool::limits::MAX_NESTING;
        for sql in [
            format!("SELECT {}", "POSITION(".repeat(40)),
            format!("SELECT {}", "CAST((".repeat(30)),
            format!("SELECT 1 FROM {}", "(".repeat(deep + 1)),
        ] {
            let e = tokio::time::timeout(Duration::from_secs(30), run(&f, &police, &sql))
                .await
                .expect("answered without parsing")
                .unwrap_err();
            let Error::Invalid(inv) = &e else {
                panic!("{sql}: {e:?}")
            };
            assert_eq!(inv.field, "sql");
            assert!(inv.reason.to_string().contains("WITH"), "{}", inv.reason);
        }
        let nested = format!("SELECT {}7{} AS n", "abs(".repeat(deep), ")".repeat(deep));
        let r = run(&f, &police, &nested).await.unwrap();
        assert_eq!(everything(&r), "7");
    })
    .await;
}

/// Mutated SQL (`tongban_kernel::fuzz`) never crashes the policy layer, whatever runs never
/// shows an ungranted field, a row outside the row filter or a clear ID number, every query is
/// answered by its time limit, and no query's work is left running afterwards. The policy lives
/// in the query engine over the lake, the same whichever database records the queries: SQLite.
#[tokio::test]
async fn no_sql_gets_past_the_policy_crashes_it_or_keeps_running() {
    let t = tongban_test_support::TestDb::sqlite(&[tongban_catalog::MIGRATIONS]).await;
    {
        let f = Fixture::new(t.db.clone()).await;
        f.load(&people()).await;
        grant(&f, &["id_number", "district", "age"], only_west()).await;
        let who = clerk(CIVIL);
        let corpus: Vec<Vec<u8>> = [
            format!("SELECT * FROM \"{CODE}\" ORDER BY age"),
            format!("SELECT district, count(*) AS n, max(age) FROM \"{CODE}\" GROUP BY district"),
            format!("WITH t AS (SELECT * FROM \"{CODE}\") SELECT a.age FROM t a JOIN t b ON a.age = b.age"),
            format!("SELECT name, id_number FROM \"{CODE}\" WHERE district = '滨江区'"),
            format!(
                "SELECT upper(id_number), substr(id_number, 1, 18) FROM \"{CODE}\" UNION SELECT 'a', 'b'"
            ),
            format!("SELECT POSITION('1' IN CAST((age + 1) AS VARCHAR)) FROM \"{CODE}\" WHERE (age > 1)"),
            "SELECT table_name FROM information_schema.tables".to_string(),
        ]
        .into_iter()
        .map(String::into_bytes)
        .collect();
        let (budget, max_runs, seed) = tongban_kernel::fuzz::budget();
        let mut rng = tongban_kernel::fuzz::Rng::new(seed);
        let started = std::time::Instant::now();
        let mut runs = 0u64;
        // A mutation can multiply a join; a second is plenty for six rows.
        let opts = QueryOptions {
            timeout: Duration::from_secs(1),
            ..QueryOptions::default()
        };
        while runs < max_runs && (runs < corpus.len() as u64 || started.elapsed() < budget) {
            let bytes = match corpus.get(runs as usize) {
                Some(valid) => valid.clone(),
                None => {
                    let base = &corpus[rng.below(corpus.len())];
                    tongban_kernel::fuzz::mutate(&mut rng, base, &corpus)
                }
            };
            runs += 1;
            let sql = String::from_utf8_lossy(&bytes).into_owned();
            let seen = format!("{sql:?} (TONGBAN_FUZZ_SEED={seed})");
            // Answered by its limit (and the recording of it), whatever the statement is.
            let answer = tokio::time::timeout(Duration::from_secs(15), f.pool.query(&who, &sql, &opts))
                .await
                .unwrap_or_else(|_| panic!("not answered by its time limit: {seen}"));
            if let Err(Error::Query(QueryError::Busy { .. })) = &answer {
                // Earlier work still stopping: wait for it, as a person would.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let Ok(r) = answer else { continue };
            let text = everything(&r);
            // A value the statement writes itself (`SELECT '滨江区'`) is no leak.
            let leaked = |secret: &str| text.contains(secret) && !sql.contains(secret);
            assert!(!leaked("丰"), "an ungranted name came out of {seen}: {text}");
            assert!(!leaked("滨江区"), "a filtered row came out of {seen}: {text}");
            assert!(
                !(1..=6).any(|n| leaked(&id(n))),
                "a clear ID number came out of {seen}: {text}"
            );
        }
        assert!(runs > 5, "{runs}");
        // Nothing any statement started is still running a while later.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while f.pool.queries_running() > 0 && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(
            f.pool.queries_running(),
            0,
            "work left running (TONGBAN_FUZZ_SEED={seed})"
        );
    }
    t.remove().await;
}
