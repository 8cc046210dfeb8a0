//! The public board and the per-department statistics over 1,000,000 items (target: p95 <
//! 100 ms).
//!
//! Twenty real items (one per department) are submitted, answered and their replies approved for
//! publication through `Interact`; the rows are then copied in SQL to `BOARD_BENCH_ITEMS` items
//! (default 1,000,000) over the 20 departments and their categories, half of them published.
//! Then, in the same process:
//! - baseline: one published entry by id (`Interact::board_entry`);
//! - the board's first page with its total (everything published, newest reply first);
//! - the board filtered by one category;
//! - every department's statistics (counters kept on write, read as they stand).
//!
//! Run: `cargo bench -p tongban-interact --bench board` (SQLite); with
//! `TONGBAN_BENCH_DATABASE_URL=postgres://…` it runs on that PostgreSQL server too.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use jiff::civil::date;
use std::collections::BTreeMap;
use std::time::Instant;
use tongban_crypto::Keyring;
use tongban_db::{Backend, Db, params};
use tongban_interact::{
    BoardFilter, Channel, ContactInput, DeptRef, Interact, ItemId, ItemKind, NewCategory, NewItem, NewRule,
    ReplyInput, ReviewDecision,
};
use tongban_kernel::{DeptPath, Millis, Page, Principal, PrincipalKind, Role, RoleGrant, WorkCalendar};
use tongban_test_support::{TestDb, copy_rows};

const DEPARTMENTS: usize = 20;
const RUNS: usize = 60;

fn dept(n: usize) -> DeptRef {
    DeptRef {
        id: format!("0190a000-0000-7000-8000-0000000000{n:02}"),
        path: DeptPath(format!("/9901/9901-D{n:02}/")),
        name_zh: format!("示范市第{n}局"),
    }
}

fn person(role: Role, id: &str, scope: &str) -> Principal {
    Principal {
        kind: PrincipalKind::User,
        id: id.into(),
        name: "bench".into(),
        department: Some(DeptPath(scope.into())),
        grants: vec![RoleGrant {
            role,
            scope: DeptPath(scope.into()),
        }],
        purpose: None,
    }
}

async fn seed(ix: &Interact) -> ItemId {
    let sys = Principal::system("bench");
    let citizen = person(Role::Citizen, "bench-citizen", "/");
    let mut last = None;
    for n in 0..DEPARTMENTS {
        let code = format!("cat{n:02}");
        ix.add_category(
            &sys,
            NewCategory {
                code: code.clone(),
                name_zh: format!("分类{n}"),
                name_en: format!("Category {n}"),
            },
        )
        .await
        .unwrap();
        ix.set_rule(
            &sys,
            NewRule {
                category: code.clone(),
                district: None,
                department: dept(n),
            },
        )
        .await
        .unwrap();
        let v = ix
            .submit(
                &citizen,
                NewItem {
                    kind: ItemKind::Suggestion,
                    category: code,
                    title: format!("关于第{n}项公共服务的建议"),
                    text: "建议延长办事大厅周末开放时间，方便上班族办理业务。".into(),
                    location: None,
                    public: true,
                    contact: ContactInput::default(),
                    channel: Channel::Portal,
                    source_key: None,
                },
            )
            .await
            .unwrap();
        let path = dept(n).path.0;
        let reply = ix
            .reply(
                &person(Role::Clerk, &format!("clerk-{n}"), &path),
                &v.item.id,
                ReplyInput {
                    text: "感谢建议。自4月1日起，市民中心周六上午9:00–12:00开放，咨询电话0571-12345678。"
                        .into(),
                },
            )
            .await
            .unwrap();
        ix.review_reply(
            &person(Role::Reviewer, &format!("reviewer-{n}"), &path),
            &reply.id,
            ReviewDecision::Approve { publish: true },
        )
        .await
        .unwrap();
        last = Some(v.item.id);
    }
    last.unwrap()
}

async fn generate(db: &Db, total: usize) {
    let (pad, dno) = match db.backend() {
        Backend::Sqlite => ("printf('%08d', i)", format!("printf('%02d', i % {DEPARTMENTS})")),
        Backend::Postgres => (
            "lpad(i::text, 8, '0')",
            format!("lpad((i % {DEPARTMENTS})::text, 2, '0')"),
        ),
    };
    let vary: BTreeMap<&str, String> = [
        ("id", format!("'bench-' || {pad}")),
        ("number", format!("'B-' || {pad}")),
        ("category", format!("'cat' || {dno}")),
        (
            "dept_id",
            format!("'0190a000-0000-7000-8000-0000000000' || {dno}"),
        ),
        ("dept_path", format!("'/9901/9901-D' || {dno} || '/'")),
        ("created_ms", "t.created_ms - i * 60000".into()),
        // Half are published (replied and approved), newest first.
        (
            "published_ms",
            format!("CASE WHEN (i / {DEPARTMENTS}) % 2 = 0 THEN t.published_ms - i * 60000 ELSE NULL END"),
        ),
    ]
    .into_iter()
    .collect();
    copy_rows(db, "interact_items", "number NOT LIKE 'B-%'", total, &vary)
        .await
        .unwrap();
    db.execute(
        "UPDATE interact_dept_stats SET received = received + $1, replied = replied + $2, replied_on_time = replied_on_time + $2",
        params![(total / DEPARTMENTS) as i64, (total / DEPARTMENTS / 2) as i64],
    )
    .await
    .unwrap();
    let analyze = match db.backend() {
        Backend::Sqlite => "ANALYZE",
        // What autovacuum does after a bulk load.
        Backend::Postgres => "VACUUM ANALYZE interact_items",
    };
    db.execute(analyze, params![]).await.unwrap();
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
    let ix = Interact::new(
        t.db.clone(),
        Keyring::ephemeral().fields(),
        WorkCalendar::bundled(),
    )
    .with_clock(move || Millis(today));
    let one = seed(&ix).await;
    let t0 = Instant::now();
    generate(&t.db, total).await;
    println!("  generated {total} items in {:.1} s", t0.elapsed().as_secs_f64());
    let (ix, one) = (&ix, &one);
    let page = Page { limit: 20, offset: 0 };
    let all = BoardFilter::default();
    let one_category = BoardFilter {
        category: Some("cat07".into()),
        ..BoardFilter::default()
    };
    let (all, one_category) = (&all, &one_category);
    let shown = std::cell::Cell::new(0);
    let shown_ref = &shown;
    let (b50, b95) = time(|| async move {
        ix.board_entry(one).await.unwrap();
    })
    .await;
    let (a50, a95) = time(|| async move {
        shown_ref.set(ix.board(all, page).await.unwrap().total);
    })
    .await;
    let published = shown.get();
    let (c50, c95) = time(|| async move {
        shown_ref.set(ix.board(one_category, page).await.unwrap().total);
    })
    .await;
    let in_category = shown.get();
    let (s50, s95) = time(|| async move {
        assert_eq!(ix.department_stats(None).await.unwrap().len(), DEPARTMENTS);
    })
    .await;
    println!("  baseline  one entry by id          p50 {b50:7.2} ms  p95 {b95:7.2} ms");
    for (what, n, p50, p95) in [
        ("board, all published", published, a50, a95),
        ("board, one category ", in_category, c50, c95),
        ("department statistics", DEPARTMENTS as u64, s50, s95),
    ] {
        println!(
            "  {what} ({n:>7})  p50 {p50:7.2} ms  p95 {p95:7.2} ms  ({:.1}× baseline p95; target < 100 ms)",
            p95 / b95
        );
    }
    t.remove().await;
}

fn main() {
    let total: usize = std::env::var("BOARD_BENCH_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sets: &[&[tongban_db::Migration]] = &[tongban_db::MIGRATIONS, tongban_interact::MIGRATIONS];
        run("SQLite", TestDb::sqlite(sets).await, total).await;
        if let Ok(url) = std::env::var("TONGBAN_BENCH_DATABASE_URL") {
            run("PostgreSQL", TestDb::postgres(&url, sets).await, total).await;
        }
    });
}
