//! 定时抽取: a table of a department's own PostgreSQL or MySQL database becomes the resource's
//! next version on a schedule, governed like an upload (bad rows rejected); the URL's password
//! is never shown, stored in clear or put in an event; wrong URLs, credentials, tables and
//! intervals are refused when the pull is configured. The PostgreSQL source is the test server
//! (`TONGBAN_TEST_DATABASE_URL`), the MySQL one `TONGBAN_TEST_MYSQL_URL`. The two pulls that
//! need their source server are `#[ignore]`d, so a run without the server says so instead of
//! passing; `.ci/run` starts both servers and runs them with `--ignored`, where a missing URL fails.

use crate::support::{CODE, Fixture, id, sets, system};
use sqlx::{Connection, Executor};
use tongban_kernel::{DeptPath, Principal, PrincipalKind, Role, RoleGrant};
use tongban_pool::{Error, NewPull};
use tongban_test_support::each_backend;

fn source_url(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|u| !u.trim().is_empty())
}

/// `url` with a password added to its user part (trust-authenticated test servers ignore it).
fn with_password(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (user, host) = rest.split_once('@').unwrap();
    format!(
        "{scheme}://{}:Secret-Pa55@{host}",
        user.split(':').next().unwrap()
    )
}

fn table_name() -> String {
    let id = tongban_kernel::id::new_uuid_v7().replace('-', "");
    format!("pull_src_{}", &id[20..])
}

async fn prepare_postgres(url: &str, table: &str) {
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    c.execute(
        format!(
            "CREATE TABLE {table} (id_number TEXT, name TEXT, birth_date DATE, district TEXT, age INTEGER); \
             INSERT INTO {table} VALUES ('{}', '张一', '1990-01-02', '西湖区', 36), ('{}', '张二', '1990-01-03', '滨江区', 36), \
             ('{}', '张三', '1990-01-04', '火星区', 36)",
            id(1),
            id(2),
            id(3)
        )
        .as_str(),
    )
    .await
    .unwrap();
}

async fn prepare_mysql(url: &str, table: &str) {
    let mut c = sqlx::MySqlConnection::connect(url).await.unwrap();
    c.execute(
        format!(
            "CREATE TABLE {table} (id_number VARCHAR(18), name VARCHAR(20), birth_date DATE, district VARCHAR(20), age INT) \
             CHARACTER SET utf8mb4"
        )
        .as_str(),
    )
    .await
    .unwrap();
    c.execute(
        format!(
            "INSERT INTO {table} VALUES ('{}', '张一', '1990-01-02', '西湖区', 36), ('{}', '张二', '1990-01-03', '滨江区', 36), \
             ('{}', '张三', '1990-01-04', '火星区', 36)",
            id(1),
            id(2),
            id(3)
        )
        .as_str(),
    )
    .await
    .unwrap();
}

/// Runs `sql` on the source database at `url`.
async fn execute(url: &str, sql: &str) {
    if url.starts_with("postgres") {
        sqlx::PgConnection::connect(url)
            .await
            .unwrap()
            .execute(sql)
            .await
            .unwrap();
    } else {
        sqlx::MySqlConnection::connect(url)
            .await
            .unwrap()
            .execute(sql)
            .await
            .unwrap();
    }
}

/// Configures and runs a pull of `table` through `pull_url` (with a password), changing the
/// table through `url` between runs.
async fn pulls_a_table(f: &Fixture, url: &str, pull_url: &str, table: &str, add_row: &str) {
    let shown_secret = "Secret-Pa55";
    allow_loopback(f).await;
    let p = f
        .pool
        .add_pull(
            &system(),
            NewPull {
                resource_code: CODE.into(),
                url: pull_url.into(),
                table: table.into(),
                every_minutes: 60,
            },
        )
        .await
        .unwrap();
    assert!(!p.url.contains(shown_secret) && p.url.contains('@'), "{}", p.url);

    // Due at once: the serving process's minute tick runs it.
    let ran = f.pool.run_due_pulls().await.unwrap();
    assert_eq!(ran.len(), 1);
    let report = ran[0].1.as_ref().unwrap();
    assert_eq!(
        (report.version, report.accepted, report.rejected),
        (1, 2, 1),
        "火星区 is no district"
    );
    assert!(
        f.pool.run_due_pulls().await.unwrap().is_empty(),
        "next due in an hour"
    );

    // A later run reads the table as it is then.
    execute(url, add_row).await;
    let report = f.pool.run_pull(&system(), &p.id).await.unwrap();
    assert_eq!((report.version, report.accepted), (2, 3));
    let listed = f.pool.pulls(&system()).await.unwrap();
    assert_eq!(listed[0].last_version, Some(2));
    assert!(
        listed[0].last_status.contains("version 2"),
        "{}",
        listed[0].last_status
    );

    // The password is nowhere in clear.
    let raw: String = f
        .catalog
        .db()
        .fetch_one(
            "SELECT url FROM pool_pulls WHERE id = $1",
            tongban_db::params![p.id.as_str()],
        )
        .await
        .unwrap()
        .get("url")
        .unwrap();
    assert!(!raw.contains(shown_secret));
    for e in f.events().await {
        assert!(
            !e.detail.contains(shown_secret) && !e.summary.contains(shown_secret),
            "{e:?}"
        );
    }
    f.pool.remove_pull(&system(), &p.id).await.unwrap();
    assert!(f.pool.pulls(&system()).await.unwrap().is_empty());
    execute(url, &format!("DROP TABLE {table}")).await;
}

#[tokio::test]
#[ignore = "needs a PostgreSQL source server named by TONGBAN_TEST_DATABASE_URL (.ci/run runs it)"]
async fn a_postgres_table_is_pulled_on_schedule() {
    let url = source_url("TONGBAN_TEST_DATABASE_URL")
        .filter(|u| u.starts_with("postgres"))
        .expect("TONGBAN_TEST_DATABASE_URL names a PostgreSQL server");
    each_backend(&sets(), |db| {
        let url = url.clone();
        async move {
            let f = Fixture::new(db).await;
            let table = table_name();
            prepare_postgres(&url, &table).await;
            let add = format!(
                "INSERT INTO {table} VALUES ('{}', '张四', '1990-01-05', '上城区', 36)",
                id(4)
            );
            pulls_a_table(&f, &url, &with_password(&url), &table, &add).await;
        }
    })
    .await;
}

#[tokio::test]
#[ignore = "needs a MySQL or MariaDB source server named by TONGBAN_TEST_MYSQL_URL (.ci/run runs it)"]
async fn a_mysql_table_is_pulled_on_schedule() {
    let url = source_url("TONGBAN_TEST_MYSQL_URL").expect("TONGBAN_TEST_MYSQL_URL names a MySQL server");
    each_backend(&sets(), |db| {
        let url = url.clone();
        async move {
            let f = Fixture::new(db).await;
            let table = table_name();
            prepare_mysql(&url, &table).await;
            // The pull reads as a user of its own, with a password and nothing but SELECT.
            let db_name = url
                .rsplit('/')
                .next()
                .unwrap()
                .split('?')
                .next()
                .unwrap()
                .to_string();
            execute(
                &url,
                "CREATE USER IF NOT EXISTS 'tb_pull'@'%' IDENTIFIED BY 'Secret-Pa55'",
            )
            .await;
            execute(&url, &format!("GRANT SELECT ON `{db_name}`.* TO 'tb_pull'@'%'")).await;
            let (scheme, rest) = url.split_once("://").unwrap();
            let host = rest.split_once('@').map_or(rest, |(_, h)| h);
            let pull_url = format!("{scheme}://tb_pull:Secret-Pa55@{host}");
            let add = format!(
                "INSERT INTO {table} VALUES ('{}', '张四', '1990-01-05', '上城区', 36)",
                id(4)
            );
            pulls_a_table(&f, &url, &pull_url, &table, &add).await;
        }
    })
    .await;
}

/// The test servers run on this machine: allow loopback for 公安局 (and its subtree).
async fn allow_loopback(f: &Fixture) {
    for range in ["127.0.0.0/8", "::1"] {
        f.pool
            .allow_egress(&system(), &f.resource.provider.path, range, "测试数据库")
            .await
            .unwrap();
    }
}

fn invalid<T: std::fmt::Debug>(r: Result<T, Error>, field: &str) {
    match r {
        Err(Error::Invalid(i)) => {
            assert_eq!(i.field, field, "{i}");
            assert!(!i.reason.to_string().contains("Secret-Pa55"), "{i}");
        }
        other => panic!("expected Invalid on {field}, got {other:?}"),
    }
}

#[tokio::test]
async fn wrong_urls_tables_and_intervals_are_refused_when_configured() {
    each_backend(&sets(), |db| async move {
        let f = Fixture::new(db).await;
        let pull = |url: &str, table: &str, every: u32| NewPull {
            resource_code: CODE.into(),
            url: url.into(),
            table: table.into(),
            every_minutes: every,
        };
        let platform = system();
        let add = |n: NewPull| f.pool.add_pull(&platform, n);
        invalid(add(pull("sqlite://x.db", "t", 60)).await, "url");
        invalid(
            add(pull("postgres://u:Secret-Pa55@127.0.0.1:1/x", "t", 60)).await,
            "url",
        );
        invalid(
            add(pull("postgres://127.0.0.1/x", "t; DROP TABLE t", 60)).await,
            "table",
        );
        invalid(add(pull("postgres://127.0.0.1/x", "t", 1)).await, "every_minutes");
        allow_loopback(&f).await;
        if let Some(url) = source_url("TONGBAN_TEST_DATABASE_URL").filter(|u| u.starts_with("postgres")) {
            invalid(add(pull(&url, "no_such_table_here", 60)).await, "table");
        }
        if let Some(url) = source_url("TONGBAN_TEST_MYSQL_URL") {
            let (scheme, rest) = url.split_once("://").unwrap();
            let host = rest.split_once('@').map_or(rest, |(_, h)| h);
            invalid(
                add(pull(&format!("{scheme}://nobody:Secret-Pa55@{host}"), "t", 60)).await,
                "url",
            );
        }
        // Someone without catalog rights over 公安局 configures nothing.
        let clerk = Principal {
            kind: PrincipalKind::User,
            id: "clerk".into(),
            name: "clerk".into(),
            department: Some(DeptPath("/3301/3301-MZ/".into())),
            grants: vec![RoleGrant {
                role: Role::Clerk,
                scope: DeptPath("/3301/3301-MZ/".into()),
            }],
            purpose: None,
        };
        let r = f
            .pool
            .add_pull(&clerk, pull("postgres://127.0.0.1/x", "t", 60))
            .await;
        assert!(
            matches!(r, Err(Error::Forbidden { .. } | Error::NotFound)),
            "{r:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_pull_connects_only_where_the_department_may_reach() {
    each_backend(&sets(), |db| async move {
        let f = Fixture::new(db).await;
        let pull = |url: &str| NewPull {
            resource_code: CODE.into(),
            url: url.into(),
            table: "t".into(),
            every_minutes: 60,
        };
        let refused_for = |r: Result<tongban_pool::PullSource, Error>, kind: &str| match r {
            Err(Error::Invalid(i)) => {
                assert_eq!(i.field, "url");
                assert!(i.reason.to_string().contains(kind), "{i}");
            }
            other => panic!("expected a refusal naming {kind}: {other:?}"),
        };
        // This machine, the metadata service, private and link-local ranges: refused before
        // anything is sent, and the refusal says only what kind of address it was.
        for (url, kind) in [
            ("postgres://etl:Secret-Pa55@127.0.0.1:5432/x", "本机地址"),
            ("postgres://etl@localhost:5432/x", "本机地址"),
            ("mysql://etl@[::1]:3306/x", "本机地址"),
            ("postgres://etl@169.254.169.254/x", "元数据"),
            ("postgres://etl@10.1.2.3/x", "内网地址"),
            ("mysql://etl@192.168.0.7/x", "内网地址"),
            ("postgres://etl@[::ffff:127.0.0.1]/x", "本机地址"),
        ] {
            refused_for(f.pool.add_pull(&system(), pull(url)).await, kind);
        }
        // A local socket (the platform's own database, as its own user) is never a source.
        for url in [
            "postgres:///test?host=/var/run/postgresql",
            "mysql://root@localhost/test?socket=/run/mysqld/mysqld.sock",
        ] {
            refused_for(f.pool.add_pull(&system(), pull(url)).await, "套接字");
        }

        let Some(url) = source_url("TONGBAN_TEST_DATABASE_URL").filter(|u| u.starts_with("postgres")) else {
            return;
        };
        let table = table_name();
        prepare_postgres(&url, &table).await;
        let ranges = {
            let mut ids = Vec::new();
            for range in ["127.0.0.0/8", "::1"] {
                let rule = f
                    .pool
                    .allow_egress(&system(), &f.resource.provider.path, range, "公安局人口库")
                    .await
                    .unwrap();
                ids.push(rule.id);
            }
            ids
        };
        let p = f
            .pool
            .add_pull(
                &system(),
                NewPull {
                    resource_code: CODE.into(),
                    url: url.clone(),
                    table: table.clone(),
                    every_minutes: 60,
                },
            )
            .await
            .unwrap();
        // Taken off the list, the next run fails without connecting and says why.
        for id in &ranges {
            f.pool.remove_egress(&system(), id).await.unwrap();
        }
        match f.pool.run_pull(&system(), &p.id).await {
            Err(Error::Remote { reason }) => assert!(reason.contains("本机地址"), "{reason}"),
            other => panic!("{other:?}"),
        }
        let listed = f.pool.pulls(&system()).await.unwrap();
        assert!(
            listed[0].last_status.contains("白名单"),
            "{}",
            listed[0].last_status
        );
        execute(&url, &format!("DROP TABLE {table}")).await;
    })
    .await;
}
