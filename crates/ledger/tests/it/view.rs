//! The security admins' view: permission, filters, paging and CSV export.

use crate::support::*;
use tongban_kernel::{Millis, Page, Principal, Role};
use tongban_ledger::{EntryFilter, Error, MIGRATIONS, export_csv, list_entries};
use tongban_test_support::each_backend;

/// Six events by three actors in two departments; the first four chained.
async fn seed(db: &tongban_db::Db) -> Vec<tongban_db::Event> {
    let zhang = staff("zhang3", "/3301/GA/", Role::Clerk, "/3301/GA/");
    let zhao = staff("zhao6", "/3301/GAX/", Role::Clerk, "/3301/GAX/");
    let li = staff("li4", "/3301/MZ/", Role::Clerk, "/3301/MZ/");
    let mut out = vec![
        write_as(
            db,
            &zhang,
            "identity.account.created",
            Some("/3301/GA/"),
            "开户 / created",
        )
        .await,
        write_as(
            db,
            &zhang,
            "identity.account.locked",
            Some("/3301/GA/"),
            "锁定 / locked",
        )
        .await,
        write_as(
            db,
            &li,
            "hall.case.accepted",
            Some("/3301/MZ/"),
            "受理 / accepted",
        )
        .await,
        write_as(
            db,
            &zhao,
            "hall.case.accepted",
            Some("/3301/MZ/"),
            "受理 / accepted",
        )
        .await,
    ];
    let (l, _) = ledger(db, 100);
    l.catch_up().await.expect("catch up");
    out.push(write_as(db, &li, "identity.role.granted", None, "授权 / granted").await);
    out.push(
        write_as(
            db,
            &li,
            "hall.case.decided",
            Some("/3301/GA/sub/"),
            "=cmd|' /C calc'!A0",
        )
        .await,
    );
    out
}

fn security_admin() -> Principal {
    staff("sec", "/", Role::SecurityAdmin, "/")
}

fn seqs(p: &tongban_ledger::EntryPage) -> Vec<i64> {
    p.entries.iter().map(|e| e.event.seq).collect()
}

#[tokio::test]
async fn only_security_admins_read_the_ledger() {
    each_backend(&[MIGRATIONS], |db| async move {
        seed(&db).await;
        let f = EntryFilter::default();
        for p in [
            staff("root", "/", Role::SysAdmin, "/"),
            staff("c", "/3301/GA/", Role::Clerk, "/"),
            Principal::anonymous(),
        ] {
            let err = list_entries(&db, &p, &f, Page::default()).await.unwrap_err();
            assert!(matches!(err, Error::Forbidden { .. }), "{err}");
            let err = export_csv(&db, &p, &f, Vec::new()).await.unwrap_err();
            assert!(matches!(err, Error::Forbidden { .. }), "{err}");
        }
        let page = list_entries(&db, &security_admin(), &f, Page::default())
            .await
            .unwrap();
        assert_eq!(page.total, 6);
        assert_eq!(seqs(&page), vec![6, 5, 4, 3, 2, 1], "newest first");
        assert!(page.entries[0].link.is_none(), "6 is pending");
        let chained = page.entries[2].link.as_ref().unwrap();
        assert_eq!(chained.event_hash.len(), 64);
    })
    .await;
}

#[tokio::test]
async fn filters_narrow_the_list_and_the_total() {
    each_backend(&[MIGRATIONS], |db| async move {
        let events = seed(&db).await;
        let sec = security_admin();
        let list = |f: EntryFilter| {
            let (db, sec) = (db.clone(), sec.clone());
            async move { list_entries(&db, &sec, &f, Page::default()).await.unwrap() }
        };
        let by_actor = list(EntryFilter {
            actor: Some("zhang3".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(seqs(&by_actor), vec![2, 1]);
        let by_prefix = list(EntryFilter {
            actor: Some("zh".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(seqs(&by_prefix), vec![4, 2, 1]);
        assert_eq!(
            list(EntryFilter {
                actor: Some("ZHANG3".into()),
                ..Default::default()
            })
            .await
            .total,
            0,
            "case-sensitive on both backends"
        );
        let by_action = list(EntryFilter {
            action: Some("identity.".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(seqs(&by_action), vec![5, 2, 1]);
        // LIKE wildcards are plain characters here.
        assert_eq!(
            list(EntryFilter {
                action: Some("%".into()),
                ..Default::default()
            })
            .await
            .total,
            0
        );
        // Actor or object in /3301/GA/ (not /3301/GAX/).
        let by_dept = list(EntryFilter {
            department: Some("/3301/GA".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(seqs(&by_dept), vec![6, 2, 1]);

        let first = events.iter().map(|e| e.at).min().unwrap();
        let last = events.iter().map(|e| e.at).max().unwrap();
        let all = list(EntryFilter {
            from: Some(first),
            to: Some(last.plus_ms(1)),
            ..Default::default()
        })
        .await;
        assert_eq!(all.total, 6);
        let none = list(EntryFilter {
            from: Some(last.plus_ms(1)),
            ..Default::default()
        })
        .await;
        assert_eq!(none.total, 0);
        let before = list(EntryFilter {
            to: Some(first),
            ..Default::default()
        })
        .await;
        assert_eq!(before.total, 0);

        let combined = list(EntryFilter {
            actor: Some("li4".into()),
            action: Some("hall.".into()),
            department: Some("/3301/MZ/".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(seqs(&combined), vec![6, 3]);

        let err = list_entries(
            &db,
            &sec,
            &EntryFilter {
                from: Some(Millis(10)),
                to: Some(Millis(5)),
                ..Default::default()
            },
            Page::default(),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(err, Error::Invalid { ref field, .. } if field == "from"),
            "{err}"
        );
    })
    .await;
}

#[tokio::test]
async fn pages_hold_the_total_and_walk_backwards() {
    each_backend(&[MIGRATIONS], |db| async move {
        seed(&db).await;
        let sec = security_admin();
        let f = EntryFilter::default();
        let p1 = list_entries(&db, &sec, &f, Page::number(1, 4)).await.unwrap();
        let p2 = list_entries(&db, &sec, &f, Page::number(2, 4)).await.unwrap();
        assert_eq!((p1.total, p2.total), (6, 6));
        assert_eq!(seqs(&p1), vec![6, 5, 4, 3]);
        assert_eq!(seqs(&p2), vec![2, 1]);
    })
    .await;
}

#[tokio::test]
async fn a_subtree_security_admin_sees_only_that_subtree() {
    each_backend(&[MIGRATIONS], |db| async move {
        seed(&db).await;
        let local = staff("sec-mz", "/3301/MZ/", Role::SecurityAdmin, "/3301/MZ/");
        let page = list_entries(&db, &local, &EntryFilter::default(), Page::default())
            .await
            .unwrap();
        assert_eq!(seqs(&page), vec![6, 5, 4, 3], "actor or object in /3301/MZ/");
    })
    .await;
}

#[tokio::test]
async fn csv_export_neutralises_formulas() {
    each_backend(&[MIGRATIONS], |db| async move {
        seed(&db).await;
        let mut out = Vec::new();
        let n = export_csv(&db, &security_admin(), &EntryFilter::default(), &mut out)
            .await
            .unwrap();
        assert_eq!(n, 6);
        let text = String::from_utf8(out).unwrap();
        let mut rows = csv::Reader::from_reader(text.as_bytes());
        let header = rows.headers().unwrap().clone();
        assert_eq!(&header[0], "序号 seq");
        assert_eq!(&header[11], "摘要 summary");
        let records: Vec<csv::StringRecord> = rows.records().map(|r| r.unwrap()).collect();
        assert_eq!(records.len(), 6);
        assert_eq!(&records[0][0], "6");
        assert_eq!(&records[0][11], "'=cmd|' /C calc'!A0");
        assert!(!text.contains("\n=cmd"), "no cell starts with =");
        assert_eq!(&records[0][13], "", "pending: no hash yet");
        assert_eq!(records[5][13].len(), 64);

        let mut only = Vec::new();
        let n = export_csv(
            &db,
            &security_admin(),
            &EntryFilter {
                action: Some("hall.case.accepted".into()),
                ..Default::default()
            },
            &mut only,
        )
        .await
        .unwrap();
        assert_eq!(n, 2);
    })
    .await;
}

#[tokio::test]
async fn the_city_security_admin_sees_events_of_no_department() {
    each_backend(&[MIGRATIONS], |db| async move {
        seed(&db).await;
        // A citizen's sign-in and an anonymous attempt belong to no department.
        let citizen = Principal {
            kind: tongban_kernel::PrincipalKind::User,
            id: "id-citizen".into(),
            name: "citizen1".into(),
            department: None,
            grants: Vec::new(),
            purpose: None,
        };
        write_as(&db, &citizen, "identity.login.succeeded", None, "登录").await;
        write_as(
            &db,
            &Principal::anonymous(),
            "identity.login.failed",
            None,
            "登录失败",
        )
        .await;
        let city = staff("sec-city", "/3301/", Role::SecurityAdmin, "/3301/");
        let page = list_entries(&db, &city, &EntryFilter::default(), Page::default())
            .await
            .unwrap();
        assert_eq!(page.total, 8, "every event the verifier counts");
        assert_eq!(seqs(&page)[..2], [8, 7]);
        let local = staff("sec-mz", "/3301/MZ/", Role::SecurityAdmin, "/3301/MZ/");
        let page = list_entries(&db, &local, &EntryFilter::default(), Page::default())
            .await
            .unwrap();
        assert!(
            !seqs(&page).contains(&7) && !seqs(&page).contains(&8),
            "not a bureau's"
        );
    })
    .await;
}

#[tokio::test]
async fn an_account_finds_what_it_did_and_what_was_done_to_it() {
    each_backend(&[MIGRATIONS], |db| async move {
        seed(&db).await;
        // An anonymous failed sign-in on zhang3's account.
        let mut tx = db.begin_write().await.unwrap();
        tx.append_event(
            &Principal::anonymous(),
            tongban_db::EventDraft {
                action: "identity.login.failed",
                object_type: "account",
                object_id: "id-zhang3",
                object_dept: Some(&tongban_kernel::DeptPath("/3301/GA/".into())),
                summary: "登录失败 zhang3".into(),
                detail: serde_json::json!({}),
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let page = list_entries(
            &db,
            &security_admin(),
            &EntryFilter {
                account: Some("id-zhang3".into()),
                ..Default::default()
            },
            Page::default(),
        )
        .await
        .unwrap();
        assert_eq!(seqs(&page), vec![7, 2, 1], "the attempt on it and its own two");
    })
    .await;
}

#[tokio::test]
async fn a_large_export_streams_a_batch_at_a_time_with_every_row_once() {
    each_backend(&[MIGRATIONS], |db| async move {
        // 4,100 entries in one transaction: three batches of at most 2,000.
        let who = Principal::system("test");
        let mut tx = db.begin_write().await.unwrap();
        for n in 0..4100 {
            tx.append_event(
                &who,
                tongban_db::EventDraft {
                    action: "test.bulk",
                    object_type: "thing",
                    object_id: &format!("obj-{n}"),
                    object_dept: None,
                    summary: format!("第 {n} 条 / entry {n}"),
                    detail: serde_json::json!({}),
                },
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        let mut export =
            tongban_ledger::CsvExport::new(&db, &security_admin(), &EntryFilter::default()).unwrap();
        let mut chunks = Vec::new();
        while let Some(chunk) = export.next_chunk().await.unwrap() {
            chunks.push(chunk);
        }
        assert_eq!(chunks.len(), 3, "one read per 2,000 entries");
        assert!(
            chunks.iter().all(|c| c.len() < 2_000 * 400),
            "each chunk is bounded"
        );
        assert_eq!(export.written(), 4100);
        let text = String::from_utf8(chunks.concat()).unwrap();
        let mut rows = csv::Reader::from_reader(text.as_bytes());
        let seqs: Vec<i64> = rows.records().map(|r| r.unwrap()[0].parse().unwrap()).collect();
        assert_eq!(seqs.len(), 4100);
        assert!(
            seqs.windows(2).all(|w| w[0] == w[1] + 1),
            "newest first, none twice or missing"
        );
        // Refused before anything is made for someone who may not read the ledger.
        let sys_admin = staff("root", "/", Role::SysAdmin, "/");
        assert!(matches!(
            tongban_ledger::CsvExport::new(&db, &sys_admin, &EntryFilter::default()),
            Err(Error::Forbidden { .. })
        ));
    })
    .await;
}
