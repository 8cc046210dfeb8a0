//! The staff inbox and the supervisor's overdue view over 1,000,000 cases (target: p95 < 100 ms).
//!
//! A few real cases are made through the hall (so every column holds what the hall writes),
//! then copied in SQL to `HALL_BENCH_CASES` cases (default 1,000,000) spread over 20 departments,
//! 30% open, due days from 60 days ago to 60 days ahead, each with its current task and one done
//! task (2,000,000 task rows). Then, in the same process:
//! - baseline: one case by id (`Hall::case`, the cheapest page a citizen opens);
//! - `inbox`: one department's clerk inbox, first page of 20, with its three counts;
//! - `supervise`: the city leader's view of all 20 departments (counts, first page of overdue
//!   and near-due cases, average handling time).
//!
//! Run: `cargo bench -p tongban-hall --bench inbox` (SQLite); with
//! `TONGBAN_BENCH_DATABASE_URL=postgres://…` it runs on that PostgreSQL server too.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use jiff::civil::date;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;
use tongban_crypto::Keyring;
use tongban_db::{Backend, Db};
use tongban_hall::{
    AssigneeInput, CaseId, DeptRef, FieldKind, FormField, Hall, InboxFilter, ItemType, NewCase,
    ServiceItemInput, SignMode, StaticDirectory, StepInput, StepKind,
};
use tongban_kernel::{DeptPath, Millis, Page, Principal, PrincipalKind, Role, RoleGrant, WorkCalendar};
use tongban_test_support::TestDb;

const DEPARTMENTS: usize = 20;
const RUNS: usize = 60;

fn dept(n: usize) -> DeptRef {
    DeptRef {
        id: format!("dept-{n:02}"),
        path: DeptPath(format!("/9901/9901-D{n:02}/")),
        name_zh: format!("示范市第{n}局"),
    }
}

fn user(role: Role, scope: &str) -> Principal {
    Principal {
        kind: PrincipalKind::User,
        id: format!("bench-{}", role.code()),
        name: "bench".into(),
        department: Some(DeptPath(scope.into())),
        grants: vec![RoleGrant {
            role,
            scope: DeptPath(scope.into()),
        }],
        purpose: None,
    }
}

/// Makes 20 real cases (one per department) through the hall.
async fn seed(hall: &Hall) {
    let sys = Principal::system("bench");
    let citizen = Principal {
        kind: PrincipalKind::User,
        id: "bench-citizen".into(),
        name: "citizen".into(),
        department: None,
        grants: vec![RoleGrant {
            role: Role::Citizen,
            scope: DeptPath::root(),
        }],
        purpose: None,
    };
    for n in 0..DEPARTMENTS {
        let d = dept(n);
        let item = hall
            .create_item(
                &sys,
                ServiceItemInput {
                    code: format!("9901-D{n:02}-001"),
                    name: format!("第{n}局许可事项"),
                    name_en: String::new(),
                    department: d.path.clone(),
                    item_type: ItemType::Licensing,
                    legal_basis: "《行政许可法》".into(),
                    conditions: "符合法定条件".into(),
                    materials: Vec::new(),
                    fields: vec![FormField {
                        code: "name".into(),
                        label: "申请人".into(),
                        kind: FieldKind::Text { max_chars: 40 },
                        required: true,
                        personal: false,
                        prefill: None,
                    }],
                    fees: Vec::new(),
                    statutory_days: 20,
                    promised_days: 10,
                    visits: 0,
                    active: true,
                    licence: None,
                    topics: Vec::new(),
                    life_events: Vec::new(),
                },
            )
            .await
            .unwrap();
        let step = |kind, role: &str| StepInput {
            kind,
            name: String::new(),
            assignees: vec![AssigneeInput {
                department: d.path.0.clone(),
                role: role.into(),
            }],
            mode: SignMode::All,
            limit_days: None,
        };
        hall.save_workflow(
            &sys,
            &item.id,
            vec![
                step(StepKind::Accept, "clerk"),
                step(StepKind::Decide, "approver"),
                step(StepKind::Issue, "clerk"),
            ],
        )
        .await
        .unwrap();
        hall.submit_case(
            &citizen,
            NewCase {
                item: item.id,
                form: BTreeMap::from([("name".to_string(), "张三".to_string())]),
                submission_key: format!("bench-seed-{n:04}"),
                prefilled: BTreeMap::new(),
                materials: BTreeMap::new(),
            },
        )
        .await
        .unwrap();
    }
}

async fn multiply(db: &Db, table: &str, template: &str, total: usize, over: &BTreeMap<&str, String>) {
    tongban_test_support::copy_rows(db, table, template, total, over)
        .await
        .unwrap();
}

async fn generate(db: &Db, total: usize) {
    let (pad, day) = match db.backend() {
        Backend::Sqlite => (
            "printf('%08d', i)".to_string(),
            "date('2026-03-02', ((i * 7919) % 121 - 60) || ' days')".to_string(),
        ),
        Backend::Postgres => (
            "lpad(i::text, 8, '0')".to_string(),
            "to_char(date '2026-03-02' + ((i * 7919) % 121 - 60)::int, 'YYYY-MM-DD')".to_string(),
        ),
    };
    let dept_no = format!("(i % {DEPARTMENTS})");
    let dept_code = match db.backend() {
        Backend::Sqlite => format!("printf('%02d', {dept_no})"),
        Backend::Postgres => format!("lpad({dept_no}::text, 2, '0')"),
    };
    // Independent of the department (i % 20): 30% of every department's cases are open.
    let open = format!("(((i / {DEPARTMENTS}) * 7) % 10 < 3)");
    let cases: BTreeMap<&str, String> = [
        ("id", format!("'bench-' || {pad}")),
        ("number", format!("'2025-B-' || {pad}")),
        ("submission_key", format!("'k-' || {pad}")),
        ("applicant_id", "'applicant-' || (i % 50000)".to_string()),
        ("dept_id", format!("'dept-' || {dept_code}")),
        ("dept_path", format!("'/9901/9901-D' || {dept_code} || '/'")),
        ("dept_name", format!("'示范市第' || {dept_no} || '局'")),
        ("is_open", format!("CASE WHEN {open} THEN 1 ELSE 0 END")),
        (
            "status",
            format!("CASE WHEN {open} THEN 'in_progress' ELSE 'completed' END"),
        ),
        ("due_on", day.clone()),
        ("statutory_due_on", day.clone()),
        ("submitted_ms", "t.submitted_ms - i * 1000".into()),
    ]
    .into_iter()
    .collect();
    let t0 = Instant::now();
    multiply(db, "hall_cases", "number NOT LIKE '2025-B-%'", total, &cases).await;
    let tasks: BTreeMap<&str, String> = [
        ("id", format!("'task-' || {pad}")),
        ("case_id", format!("'bench-' || {pad}")),
        ("case_number", format!("'2025-B-' || {pad}")),
        ("dept_id", format!("'dept-' || {dept_code}")),
        ("dept_path", format!("'/9901/9901-D' || {dept_code} || '/'")),
        ("is_open", format!("CASE WHEN {open} THEN 1 ELSE 0 END")),
        ("state", format!("CASE WHEN {open} THEN 'open' ELSE 'done' END")),
        ("due_on", day.clone()),
        ("created_ms", "t.created_ms - i * 1000".into()),
    ]
    .into_iter()
    .collect();
    multiply(db, "hall_tasks", "case_number NOT LIKE '2025-B-%'", total, &tasks).await;
    // And one finished earlier step per case: history the inbox must skip.
    let mut done = tasks.clone();
    done.insert("id", format!("'done-' || {pad}"));
    done.insert("is_open", "0".into());
    done.insert("state", "'done'".into());
    multiply(db, "hall_tasks", "case_number NOT LIKE '2025-B-%'", total, &done).await;
    let analyze = match db.backend() {
        Backend::Sqlite => "ANALYZE",
        // What autovacuum does after a bulk load: statistics, and the visibility map that lets
        // the counts read the index alone.
        Backend::Postgres => "VACUUM ANALYZE hall_cases; VACUUM ANALYZE hall_tasks",
    };
    for stmt in analyze.split("; ") {
        db.execute(stmt, Vec::new()).await.unwrap();
    }
    println!(
        "  generated {total} cases and {} tasks in {:.1} s",
        2 * total,
        t0.elapsed().as_secs_f64()
    );
}

/// p50 and p95 of `RUNS` timed calls, in milliseconds.
async fn time<F, Fut>(f: F) -> (f64, f64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    tongban_test_support::p50_p95(RUNS, f).await
}

async fn run(label: &str, t: TestDb, total: usize) {
    println!("{label}:");
    let today = date(2026, 3, 2)
        .at(10, 0, 0, 0)
        .to_zoned(tongban_kernel::time::zone("Asia/Shanghai"))
        .unwrap()
        .timestamp()
        .as_millisecond();
    let directory = StaticDirectory::new((0..DEPARTMENTS).map(dept).collect());
    let hall = Hall::new(
        t.db.clone(),
        Keyring::ephemeral().fields(),
        WorkCalendar::bundled(),
        Arc::new(directory),
    )
    .with_clock(move || Millis(today));
    seed(&hall).await;
    generate(&t.db, total).await;

    let leader = user(Role::Leader, "/9901/");
    let clerk = user(Role::Clerk, "/9901/9901-D07/");
    let one = CaseId(format!("bench-{:08}", total / 2 + 1));
    let filter = InboxFilter {
        department: DeptPath("/9901/9901-D07/".into()),
        role: Role::Clerk,
        urgency: None,
        step_kind: None,
        item: None,
        mine_only: false,
    };
    let city = DeptPath("/9901/".into());
    let (h, l, c, f, o, city) = (&hall, &leader, &clerk, &filter, &one, &city);
    let page = Page { limit: 20, offset: 0 };
    let seen = std::cell::Cell::new(0);
    let overdue = std::cell::Cell::new(0);
    let (seen_ref, overdue_ref) = (&seen, &overdue);
    let (b50, b95) = time(|| async move {
        h.case(l, o).await.unwrap();
    })
    .await;
    let (i50, i95) = time(|| async move {
        seen_ref.set(h.inbox(c, f, page).await.unwrap().counts.total);
    })
    .await;
    let (s50, s95) = time(|| async move {
        overdue_ref.set(h.supervise(l, city, page).await.unwrap().overdue);
    })
    .await;
    let (seen, overdue) = (seen.get(), overdue.get());
    println!("  baseline  one case by id        p50 {b50:7.2} ms  p95 {b95:7.2} ms");
    println!(
        "  inbox     {seen:>7} open tasks    p50 {i50:7.2} ms  p95 {i95:7.2} ms  ({:.1}× baseline p95; target < 100 ms)",
        i95 / b95
    );
    println!(
        "  supervise {overdue:>7} overdue cases p50 {s50:7.2} ms  p95 {s95:7.2} ms  ({:.1}× baseline p95; target < 100 ms)",
        s95 / b95
    );
    t.remove().await;
}

fn main() {
    let total: usize = std::env::var("HALL_BENCH_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sets: &[&[tongban_db::Migration]] = &[tongban_db::MIGRATIONS, tongban_hall::MIGRATIONS];
        run("SQLite", TestDb::sqlite(sets).await, total).await;
        if let Ok(url) = std::env::var("TONGBAN_BENCH_DATABASE_URL") {
            run("PostgreSQL", TestDb::postgres(&url, sets).await, total).await;
        }
    });
}
