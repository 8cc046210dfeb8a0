//! The survey results page over 400,000 responses (target: p95 < 200 ms).
//!
//! A survey of four questions (multiple choice, single choice, rating, free text) gets 200 real
//! answers through `Interact::answer_survey`; the answers are then copied in SQL to
//! `SURVEY_BENCH_RESPONSES` responses (default 400,000) and the counters set to what those
//! answers add up to. Then, in the same process:
//! - baseline: the survey by id (`Interact::survey`, one row);
//! - results: `Interact::survey_results` as the department's staff see it (every count, the
//!   mean rating, the newest free-text answers).
//!
//! Run: `cargo bench -p tongban-interact --bench survey` (SQLite); with
//! `TONGBAN_BENCH_DATABASE_URL=postgres://…` it runs on that PostgreSQL server too.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use jiff::civil::date;
use std::collections::BTreeMap;
use std::time::Instant;
use tongban_crypto::Keyring;
use tongban_db::{Backend, Db, params};
use tongban_interact::{Answer, DeptRef, Interact, Question, QuestionKind, SurveyId, SurveyInput};
use tongban_kernel::{DeptPath, Millis, Principal, PrincipalKind, Role, RoleGrant, WorkCalendar};
use tongban_test_support::TestDb;

const RUNS: usize = 60;
const REAL: u32 = 200;

fn person(role: Role, id: String, scope: &str) -> Principal {
    Principal {
        kind: PrincipalKind::User,
        id,
        name: "bench".into(),
        department: None,
        grants: vec![RoleGrant {
            role,
            scope: DeptPath(scope.into()),
        }],
        purpose: None,
    }
}

/// The answers of respondent `n`: four patterns.
fn answers(n: u32) -> BTreeMap<usize, Answer> {
    let mut a = BTreeMap::new();
    a.insert(0, Answer::Choices(vec![n % 4, (n + 1) % 4]));
    a.insert(1, Answer::Choices(vec![n % 4]));
    a.insert(2, Answer::Choices(vec![n % 4 + 2]));
    if n.is_multiple_of(4) {
        a.insert(3, Answer::Text(format!("建议{n}：延长窗口服务时间")));
    }
    a
}

async fn seed(ix: &Interact) -> SurveyId {
    let dept = DeptRef {
        id: "dept-mz".into(),
        path: DeptPath("/9901/9901-MZ/".into()),
        name_zh: "民政局".into(),
    };
    let options = vec!["网站".to_string(), "手机".into(), "窗口".into(), "热线".into()];
    let survey = ix
        .create_survey(
            &Principal::system("bench"),
            SurveyInput {
                department: dept,
                title: "渠道满意度".into(),
                intro: "bench".into(),
                questions: vec![
                    Question {
                        text: "用过的渠道".into(),
                        kind: QuestionKind::Multiple {
                            options: options.clone(),
                        },
                        required: true,
                    },
                    Question {
                        text: "最常用".into(),
                        kind: QuestionKind::Single { options },
                        required: true,
                    },
                    Question {
                        text: "满意度".into(),
                        kind: QuestionKind::Rating,
                        required: true,
                    },
                    Question {
                        text: "建议".into(),
                        kind: QuestionKind::Text,
                        required: false,
                    },
                ],
                opens_on: date(2026, 3, 1),
                closes_on: date(2026, 3, 31),
            },
        )
        .await
        .unwrap();
    for n in 0..REAL {
        let who = person(Role::Citizen, format!("real-{n:06}"), "/");
        ix.answer_survey(&who, &survey.id, &answers(n)).await.unwrap();
    }
    survey.id
}

/// Copies the four answer patterns to `total` responses and sets the counters to match.
async fn generate(db: &Db, id: &SurveyId, total: u32) {
    let extra = total.saturating_sub(REAL);
    let seq = |from: u32, to: u32| match db.backend() {
        Backend::Sqlite => {
            format!("WITH RECURSIVE s(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM s WHERE i < {to}) ")
        }
        Backend::Postgres => format!("WITH s(i) AS (SELECT generate_series({from}::bigint, {to}::bigint)) "),
    };
    let chunk = 100_000;
    let mut from = 0;
    while from < extra {
        let to = (from + chunk - 1).min(extra - 1);
        // Respondent `real-0000p` answered pattern p: copy it with a new respondent and time.
        let sql = format!(
            "{}INSERT INTO interact_survey_responses (survey_id, respondent_id, answers, submitted_ms) \
             SELECT r.survey_id, 'gen-' || s.i, r.answers, r.submitted_ms + 1000 + s.i FROM s \
             JOIN interact_survey_responses r ON r.survey_id = $1 AND r.respondent_id = 'real-00000' || (s.i % 4)",
            seq(from, to)
        );
        db.execute(&sql, params![id.as_str()]).await.unwrap();
        from = to + 1;
    }
    // What the copies add up to, pattern by pattern.
    let mut add: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    for p in 0..4u32 {
        let copies = i64::from((0..extra).filter(|i| i % 4 == p).count() as u32);
        for (q, a) in answers(p) {
            let slots = match a {
                Answer::Choices(c) => c.into_iter().map(i64::from).collect(),
                Answer::Text(_) => vec![0],
            };
            for s in slots.into_iter().chain([-1]) {
                *add.entry((q as i64, s)).or_default() += copies;
            }
        }
    }
    for ((q, s), n) in add {
        db.execute(
            "UPDATE interact_survey_counts SET n = n + $4 WHERE survey_id = $1 AND question = $2 AND slot = $3",
            params![id.as_str(), q, s, n],
        )
        .await
        .unwrap();
    }
    db.execute(
        "UPDATE interact_surveys SET responses = responses + $2 WHERE id = $1",
        params![id.as_str(), i64::from(extra)],
    )
    .await
    .unwrap();
    if db.backend() == Backend::Postgres {
        // What autovacuum does after a bulk load.
        db.execute("VACUUM ANALYZE interact_survey_responses", params![])
            .await
            .unwrap();
    }
}

/// p50 and p95 of `RUNS` timed calls, in milliseconds.
async fn time<F, Fut>(f: F) -> (f64, f64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    tongban_test_support::p50_p95(RUNS, f).await
}

async fn run(label: &str, t: TestDb, total: u32) {
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
    let id = seed(&ix).await;
    let t0 = Instant::now();
    generate(&t.db, &id, total).await;
    println!(
        "  generated {total} responses in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let clerk = person(Role::Clerk, "bench-clerk".into(), "/9901/9901-MZ/");
    let (ix, id, clerk) = (&ix, &id, &clerk);
    let responses = std::cell::Cell::new(0);
    let seen = &responses;
    let (b50, b95) = time(|| async move {
        ix.survey(id).await.unwrap();
    })
    .await;
    let (r50, r95) = time(|| async move {
        let r = ix.survey_results(Some(clerk), id).await.unwrap();
        assert_eq!(r.questions[2].answered, r.survey.responses);
        seen.set(r.survey.responses);
    })
    .await;
    println!("  baseline  the survey by id        p50 {b50:7.2} ms  p95 {b95:7.2} ms");
    println!(
        "  results   {:>7} responses     p50 {r50:7.2} ms  p95 {r95:7.2} ms  ({:.1}× baseline p95; target < 200 ms)",
        responses.get(),
        r95 / b95
    );
    t.remove().await;
}

fn main() {
    let total: u32 = std::env::var("SURVEY_BENCH_RESPONSES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400_000);
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
