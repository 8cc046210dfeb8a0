use tongban_db::event::{self, EventDraft};
use tongban_db::{Db, Error, params};
use tongban_kernel::Principal;
use tongban_test_support::each_backend;

fn draft(n: i64) -> EventDraft<'static> {
    EventDraft {
        action: "test.thing.created",
        object_type: "thing",
        object_id: "t1",
        object_dept: None,
        summary: format!("创建 {n} / created {n}"),
        detail: serde_json::json!({ "n": n }),
    }
}

async fn make_things(db: &Db) {
    db.execute(
        "CREATE TABLE things (id TEXT PRIMARY KEY, n BIGINT NOT NULL, note TEXT)",
        params![],
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn committed_writes_carry_their_events_and_rollbacks_leave_no_gap() {
    each_backend(&[], |db| async move {
        make_things(&db).await;
        let actor = Principal::system("test");

        let mut tx = db.begin_write().await.unwrap();
        tx.execute(
            "INSERT INTO things (id, n, note) VALUES ($1, $2, $3)",
            params!["a", 1i64, None::<String>],
        )
        .await
        .unwrap();
        tx.append_event(&actor, draft(1)).await.unwrap();
        tx.commit().await.unwrap();

        // Rolled back: neither the row nor the event, and no hole in the sequence.
        let mut tx = db.begin_write().await.unwrap();
        tx.execute("INSERT INTO things (id, n) VALUES ($1, $2)", params!["b", 2i64])
            .await
            .unwrap();
        tx.append_event(&actor, draft(2)).await.unwrap();
        drop(tx);

        let mut tx = db.begin_write().await.unwrap();
        tx.execute("INSERT INTO things (id, n) VALUES ($1, $2)", params!["c", 3i64])
            .await
            .unwrap();
        let e = tx.append_event(&actor, draft(3)).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(e.seq, 2);

        let events = event::read_after(&db, 0, 100).await.unwrap();
        assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(events[1].summary, "创建 3 / created 3");
        assert_eq!(event::last_seq(&db).await.unwrap(), 2);
        let n: i64 = db
            .fetch_one("SELECT COUNT(*) AS n FROM things", params![])
            .await
            .unwrap()
            .get("n")
            .unwrap();
        assert_eq!(n, 2);
    })
    .await;
}

#[tokio::test]
async fn concurrent_writers_get_a_gapless_commit_ordered_sequence() {
    each_backend(&[], |db| async move {
        let mut tasks = Vec::new();
        for i in 0..20i64 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                let mut tx = db.begin_write().await.unwrap();
                tx.append_event(&Principal::system("test"), draft(i))
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let seqs: Vec<i64> = event::read_after(&db, 0, 100)
            .await
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect();
        assert_eq!(seqs, (1..=20).collect::<Vec<_>>());
    })
    .await;
}

#[tokio::test]
async fn hostile_text_is_stored_as_plain_data() {
    each_backend(&[], |db| async move {
        make_things(&db).await;
        let evil = "x'); DROP TABLE things; -- 中文";
        db.execute(
            "INSERT INTO things (id, n, note) VALUES ($1, $2, $3)",
            params!["e", 1i64, evil],
        )
        .await
        .unwrap();
        let back: String = db
            .fetch_one("SELECT note FROM things WHERE id = $1", params!["e"])
            .await
            .unwrap()
            .get("note")
            .unwrap();
        assert_eq!(back, evil);
    })
    .await;
}

#[tokio::test]
async fn unique_violations_are_conflicts_and_cursors_persist() {
    each_backend(&[], |db| async move {
        make_things(&db).await;
        db.execute("INSERT INTO things (id, n) VALUES ($1, $2)", params!["a", 1i64])
            .await
            .unwrap();
        let err = db
            .execute("INSERT INTO things (id, n) VALUES ($1, $2)", params!["a", 2i64])
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Conflict(_)), "{err:?}");

        assert_eq!(event::cursor(&db, "w").await.unwrap(), 0);
        let mut tx = db.begin_write().await.unwrap();
        event::save_cursor(&mut tx, "w", 7).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(event::cursor(&db, "w").await.unwrap(), 7);
    })
    .await;
}

#[tokio::test]
async fn migrating_twice_is_a_no_op() {
    each_backend(&[], |db| async move {
        db.migrate(&[tongban_db::MIGRATIONS]).await.unwrap();
        let n: i64 = db
            .fetch_one("SELECT COUNT(*) AS n FROM schema_migrations", params![])
            .await
            .unwrap()
            .get("n")
            .unwrap();
        assert_eq!(n, tongban_db::MIGRATIONS.len() as i64);
    })
    .await;
}

#[tokio::test]
async fn dynamic_filters_render_for_each_backend() {
    use tongban_db::sql::{
        render,
        sea_query::{Alias, Expr, Query},
    };
    each_backend(&[], |db| async move {
        make_things(&db).await;
        for (id, n) in [("a", 1i64), ("b", 2), ("c", 3)] {
            db.execute("INSERT INTO things (id, n) VALUES ($1, $2)", params![id, n])
                .await
                .unwrap();
        }
        let mut q = Query::select();
        q.column(Alias::new("id"))
            .from(Alias::new("things"))
            .and_where(Expr::col(Alias::new("n")).gte(2i64));
        q.order_by(Alias::new("id"), sea_query::Order::Asc);
        let (sql, values) = render(db.backend(), &q);
        let ids: Vec<String> = db
            .fetch_all(&sql, values)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get("id").unwrap())
            .collect();
        assert_eq!(ids, vec!["b", "c"]);
    })
    .await;
}

#[tokio::test]
async fn tables_dump_in_creation_order_and_restore_row_for_row() {
    each_backend(&[], |db| async move {
        db.execute(
            "CREATE TABLE things (id TEXT PRIMARY KEY, n BIGINT, note TEXT)",
            params![],
        )
        .await
        .unwrap();
        db.execute(
            "INSERT INTO things (id, n, note) VALUES ($1, $2, $3)",
            params!["a", None::<i64>, "甲"],
        )
        .await
        .unwrap();
        db.execute(
            "INSERT INTO things (id, n, note) VALUES ($1, $2, $3)",
            params!["b", 2i64, None::<String>],
        )
        .await
        .unwrap();
        let tables = db.table_names().await.unwrap();
        assert_eq!(tables.first().map(String::as_str), Some("event_counter"));
        assert_eq!(tables.last().map(String::as_str), Some("things"));
        let mut rows = Vec::new();
        let n = db
            .dump_table("things", 1, |page| {
                rows.extend(page.iter().cloned());
                Ok(())
            })
            .await
            .unwrap();
        assert_eq!(n, 2);
        let mut tx = db.begin_write().await.unwrap();
        tx.clear_table("things").await.unwrap();
        for r in &rows {
            tx.insert_row("things", r.columns(), r.values().to_vec())
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        let notes: Vec<Option<String>> = db
            .fetch_all("SELECT note FROM things ORDER BY id", params![])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get("note").unwrap())
            .collect();
        assert_eq!(notes, vec![Some("甲".to_string()), None]);
        assert!(
            db.dump_table("things; DROP TABLE things", 10, |_| Ok(()))
                .await
                .is_err()
        );
    })
    .await;
}

const Y2027: &str = "[2027]\nholidays = [\n  { name = \"元旦\", from = \"2027-01-01\", to = \"2027-01-01\" },\n]\nmakeup_workdays = [\"2027-01-03\"]\n";

#[tokio::test]
async fn an_administrator_adds_next_years_calendar_as_an_event_and_shipped_years_stay_official() {
    use tongban_db::calendar;
    each_backend(&[], |db| async move {
        let admin = Principal::system("test");
        let before = calendar::load(&db).await.unwrap();
        assert!(before.is_provisional(2027), "2027 provisional at first");
        assert!(
            !before.is_working_day(jiff::civil::date(2027, 1, 1)).unwrap(),
            "its statutory holidays are known"
        );
        assert!(
            !before.is_working_day(jiff::civil::date(2027, 1, 3)).unwrap(),
            "a plain Sunday until the schedule says otherwise"
        );
        let clerk = Principal {
            kind: tongban_kernel::PrincipalKind::User,
            grants: vec![tongban_kernel::RoleGrant {
                role: tongban_kernel::Role::Clerk,
                scope: tongban_kernel::DeptPath::root(),
            }],
            ..Principal::system("clerk")
        };
        assert!(matches!(
            calendar::add_years(&db, &clerk, Y2027).await,
            Err(calendar::AddYearError::Forbidden(_))
        ));
        assert_eq!(calendar::add_years(&db, &admin, Y2027).await.unwrap(), vec![2027]);
        // A server holding the calendar learns of the year on its next refresh.
        assert_eq!(calendar::refresh(&db, &before).await.unwrap(), vec![2027]);
        assert!(before.is_working_day(jiff::civil::date(2027, 1, 3)).unwrap());
        let after = calendar::load(&db).await.unwrap();
        assert!(!after.is_working_day(jiff::civil::date(2027, 1, 1)).unwrap());
        assert!(
            after.is_working_day(jiff::civil::date(2027, 1, 3)).unwrap(),
            "make-up Sunday"
        );
        assert!(
            after.is_working_day(jiff::civil::date(2026, 10, 10)).unwrap(),
            "bundled years still there"
        );
        // Correcting the same year replaces it; shipped years and junk are refused.
        calendar::add_years(&db, &admin, Y2027).await.unwrap();
        let shipped = "[2026]\nholidays = []\nmakeup_workdays = []\n";
        assert!(calendar::add_years(&db, &admin, shipped).await.is_err());
        assert!(
            calendar::add_years(&db, &admin, "not a calendar [")
                .await
                .is_err()
        );
        assert!(calendar::add_years(&db, &admin, "").await.is_err());
        let events = event::read_after(&db, 0, 10).await.unwrap();
        assert_eq!(
            events
                .iter()
                .filter(|e| e.action == "kernel.calendar.year_added")
                .count(),
            2
        );
        let years = calendar::years(&db).await.unwrap();
        assert_eq!(years, vec![(2025, true), (2026, true), (2027, false)]);
    })
    .await;
}

#[tokio::test]
async fn many_events_appended_at_once_keep_the_sequence_gapless_and_in_order() {
    each_backend(&[], |db| async move {
        let a = Principal::system("a");
        let b = Principal::system("b");
        let mut tx = db.begin_write().await.unwrap();
        tx.append_event(&a, draft(0)).await.unwrap();
        // 901 events: more than one multi-row insert.
        let drafts = (1..=901)
            .map(|n| (if n % 2 == 0 { &a } else { &b }, draft(n)))
            .collect();
        let made = tx.append_events(drafts).await.unwrap();
        assert_eq!(made.first().map(|e| e.seq), Some(2));
        assert_eq!(made.last().map(|e| e.seq), Some(902));
        tx.append_event(&a, draft(902)).await.unwrap();
        tx.commit().await.unwrap();
        assert!(
            db.begin_write()
                .await
                .unwrap()
                .append_events(Vec::new())
                .await
                .unwrap()
                .is_empty()
        );

        let events = event::read_after(&db, 0, 1000).await.unwrap();
        assert_eq!(
            events.iter().map(|e| e.seq).collect::<Vec<_>>(),
            (1..=903).collect::<Vec<_>>()
        );
        for (n, e) in events.iter().enumerate() {
            assert_eq!(e.summary, format!("创建 {n} / created {n}"));
        }
        assert_eq!(events[1].actor_id, "system:b");
        assert_eq!(events[2].actor_id, "system:a");
        // Rolled back, a batch leaves no gap either.
        let mut tx = db.begin_write().await.unwrap();
        tx.append_events(vec![(&a, draft(1)), (&b, draft(2))])
            .await
            .unwrap();
        drop(tx);
        assert_eq!(event::last_seq(&db).await.unwrap(), 903);
    })
    .await;
}
