//! The exchange reads of department systems: lookups by field value returning only granted
//! fields, masked per grant, inside the grant's row filter, each recorded before it is answered;
//! and the change feed. Each run on SQLite and (when `TONGBAN_TEST_DATABASE_URL` is set)
//! PostgreSQL.

use crate::query::{CIVIL, grant, only_west, people};
use crate::support::{CODE, Fixture, id, system};
use tongban_catalog::{GrantTerms, GrantUse};
use tongban_kernel::{DeptPath, Principal, PrincipalKind};
use tongban_pool::{Error, Lookup};
use tongban_test_support::each_backend;

/// 民政局's case system (an API client of the department).
pub(crate) fn system_of(dept: &str) -> Principal {
    Principal {
        kind: PrincipalKind::ApiClient,
        id: tongban_kernel::id::new_uuid_v7(),
        name: "mz-case-system".into(),
        department: Some(DeptPath(dept.into())),
        grants: Vec::new(),
        purpose: None,
    }
}

fn by(field: &str, value: &str) -> Lookup {
    Lookup {
        filters: vec![(field.into(), value.into())],
        fields: Vec::new(),
        limit: 10,
        purpose: "低保资格核查".into(),
    }
}

/// Every recorded read, each with the event that lists it (a group commit's reads by one
/// caller of one resource share an event).
async fn reads(f: &Fixture) -> Vec<(tongban_db::Event, serde_json::Value)> {
    let mut out = Vec::new();
    for e in tongban_db::event::read_after(f.catalog.db(), 0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "pool.exchange.read")
    {
        let detail: serde_json::Value = serde_json::from_str(&e.detail).unwrap();
        let calls = detail["calls"].as_array().unwrap();
        assert_eq!(detail["reads"], calls.len());
        let records: u64 = calls.iter().map(|c| c["count"].as_u64().unwrap()).sum();
        assert_eq!(detail["records"], records);
        for call in calls {
            assert!(call["at_ms"].as_i64().unwrap() >= e.at.0 - 60_000, "{call}");
            out.push((e.clone(), call.clone()));
        }
    }
    out
}

#[tokio::test]
async fn a_lookup_returns_granted_fields_masked_within_the_row_filter_and_is_recorded() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        f.load(&people()).await;
        grant(&f, &["id_number", "district", "age"], only_west()).await;
        let caller = system_of(CIVIL);

        let r = f
            .pool
            .lookup(&caller, CODE, &by("id_number", &id(2)))
            .await
            .unwrap();
        assert_eq!(r.fields, ["id_number", "district", "age"]);
        assert_eq!(r.records.len(), 1);
        let rec = &r.records[0];
        assert_eq!(rec["district"], "西湖区");
        assert_eq!(rec["age"], 32);
        let shown = rec["id_number"].as_str().unwrap();
        assert!(shown.contains('*') && shown != id(2), "masked: {shown}");
        assert!(rec.get("name").is_none());

        // Person 1 lives in 滨江区: outside the grant's rows, so not found.
        let r = f
            .pool
            .lookup(&caller, CODE, &by("id_number", &id(1)))
            .await
            .unwrap();
        assert!(r.records.is_empty());

        let calls = reads(&f).await;
        assert_eq!(calls.len(), 2, "every read is recorded, found or not");
        let (event, call) = &calls[0];
        assert_eq!(call["purpose"], "低保资格核查");
        assert_eq!(call["count"], 1);
        assert_eq!(
            call["fields"],
            serde_json::json!(["id_number", "district", "age"])
        );
        assert_eq!(call["basis"], "grant");
        assert!(
            !event.detail.contains(&id(2)),
            "the ID number is masked in the record"
        );
        assert_eq!(event.actor_kind, "api_client");
        assert!(event.detail.contains("\"use\":\"exchange\""));
        assert_eq!(calls[1].1["count"], 0);

        // Usage counters: both calls, one record, visible to the provider and the caller.
        let today = f.catalog.today();
        for who in [crate::query::clerk("/3301/3301-GA/"), crate::query::clerk(CIVIL)] {
            let usage = f.pool.exchange_usage(&who, today, today).await.unwrap();
            assert_eq!(usage.len(), 1);
            assert_eq!((usage[0].calls, usage[0].records), (2, 1));
            assert_eq!(usage[0].caller, "mz-case-system");
        }
        let outsider = crate::query::clerk("/3301/3301-JY/");
        assert!(
            f.pool
                .exchange_usage(&outsider, today, today)
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

#[tokio::test]
async fn ungranted_fields_purpose_and_limits_are_refused_by_name() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        f.load(&people()).await;
        grant(&f, &["id_number", "district", "age"], GrantTerms::default()).await;
        let caller = system_of(CIVIL);
        let e = f
            .pool
            .lookup(&caller, CODE, &by("name", "张1丰"))
            .await
            .unwrap_err();
        assert!(
            matches!(e, Error::Forbidden { ref why } if why.to_string().contains("name")),
            "{e:?}"
        );
        let mut wants_name = by("id_number", &id(1));
        wants_name.fields = vec!["age".into(), "name".into()];
        let e = f.pool.lookup(&caller, CODE, &wants_name).await.unwrap_err();
        assert!(
            matches!(e, Error::Forbidden { ref why } if why.to_string().contains("name")),
            "{e:?}"
        );
        let mut no_purpose = by("id_number", &id(1));
        no_purpose.purpose = "  ".into();
        let e = f.pool.lookup(&caller, CODE, &no_purpose).await.unwrap_err();
        assert!(
            matches!(e, Error::Invalid(ref i) if i.field == "purpose"),
            "{e:?}"
        );
        let mut everything = by("id_number", &id(1));
        everything.filters.clear();
        let e = f.pool.lookup(&caller, CODE, &everything).await.unwrap_err();
        assert!(
            matches!(e, Error::Invalid(ref i) if i.field == "filters"),
            "{e:?}"
        );
        let mut huge = by("id_number", &id(1));
        huge.limit = 10_000;
        let e = f.pool.lookup(&caller, CODE, &huge).await.unwrap_err();
        assert!(matches!(e, Error::Invalid(ref i) if i.field == "limit"), "{e:?}");

        // A department without a grant, and a resource that does not exist, read the same.
        let outsider = system_of("/3301/3301-JY/");
        for code in [CODE, "3301-XX-9999"] {
            let e = f
                .pool
                .lookup(&outsider, code, &by("age", "31"))
                .await
                .unwrap_err();
            assert!(matches!(e, Error::Forbidden { .. }), "{e:?}");
        }
        assert!(
            reads(&f).await.is_empty(),
            "refused reads return nothing to record"
        );
    })
    .await;
}

#[tokio::test]
async fn clear_text_only_for_one_person_looked_up_by_identifier_and_selected_fields_only() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        f.load(&people()).await;
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
        // Looked up by ID number: that person's ID number comes back in clear.
        let mut q = by("id_number", id(3).as_str());
        q.fields = vec!["id_number".into(), "name".into()];
        let r = f.pool.lookup(&system_of(CIVIL), CODE, &q).await.unwrap();
        assert_eq!(r.fields, ["id_number", "name"]);
        assert_eq!(r.records[0]["id_number"], id(3).as_str());
        assert_ne!(r.records[0]["name"], "张3丰");
        // Searched by anything else (a name, an age): clear text is never handed out in bulk.
        let mut q = by("age", "33");
        q.fields = vec!["id_number".into(), "name".into()];
        let r = f.pool.lookup(&system_of(CIVIL), CODE, &q).await.unwrap();
        assert_ne!(r.records[0]["id_number"], id(3).as_str());
        assert!(r.records[0]["id_number"].as_str().unwrap().contains('*'));
        // A grant without the exchange use opens nothing to the exchange.
        grant(
            &f,
            &["id_number", "name", "age"],
            GrantTerms {
                uses: vec![GrantUse::Query],
                ..GrantTerms::default()
            },
        )
        .await;
        let mut q = by("id_number", id(3).as_str());
        q.fields = vec!["name".into()];
        assert!(matches!(
            f.pool.lookup(&system_of(CIVIL), CODE, &q).await,
            Err(Error::Forbidden { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn concurrent_reads_are_all_recorded_in_group_commits() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        f.load(&people()).await;
        grant(&f, &["id_number", "age"], GrantTerms::default()).await;
        let caller = system_of(CIVIL);
        let mut tasks = Vec::new();
        for n in 0..200u32 {
            let pool = f.pool.clone();
            let caller = caller.clone();
            tasks.push(tokio::spawn(async move {
                pool.lookup(&caller, CODE, &by("id_number", &id(1 + n % 6)))
                    .await
                    .map(|r| r.records.len())
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), 1);
        }
        let calls = reads(&f).await;
        assert_eq!(calls.len(), 200);
        let events: std::collections::BTreeSet<i64> = calls.iter().map(|(e, _)| e.seq).collect();
        assert!(
            events.len() < 200,
            "reads committed together share an event ({} events)",
            events.len()
        );
        let today = f.catalog.today();
        let usage = f.pool.exchange_usage(&system(), today, today).await.unwrap();
        assert_eq!((usage[0].calls, usage[0].records), (200, 200));
    })
    .await;
}

#[tokio::test]
async fn the_change_feed_lists_versions_after_the_one_given() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        f.load(&people()).await;
        grant(&f, &["age"], GrantTerms::default()).await;
        let caller = system_of(CIVIL);
        let (current, changes) = f.pool.changes(&caller, CODE, 0).await.unwrap();
        assert_eq!((current, changes.len()), (1, 1));
        assert_eq!(changes[0].diff["added"], 6);
        f.load(&people().replace(",36\n", ",37\n")).await;
        let (current, changes) = f.pool.changes(&caller, CODE, 1).await.unwrap();
        assert_eq!(current, 2);
        assert_eq!(changes.iter().map(|c| c.version).collect::<Vec<_>>(), [2]);
        assert_eq!(changes[0].diff["changed"], 1);
        // The new version is what lookups read now.
        let r = f.pool.lookup(&caller, CODE, &by("age", "37")).await.unwrap();
        assert_eq!(r.version, 2);
        assert_eq!(r.records.len(), 1);
    })
    .await;
}

/// The hall acting for a department (the prefill of an application).
fn hall_for(dept: &str) -> Principal {
    Principal {
        department: Some(DeptPath(dept.into())),
        ..Principal::system("hall-prefill")
    }
}

#[tokio::test]
async fn prefill_reads_only_granted_fields_of_the_subjects_own_record_in_clear() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        use tongban_pool::Subject;
        let f = Fixture::new(db).await;
        f.load(&people()).await;
        let wanted: Vec<String> = ["name", "district", "age"].map(String::from).to_vec();
        let me = Subject::Person(id(2));

        // Without a grant, nothing is read and every field is named as refused.
        let none = f
            .pool
            .prefill(&hall_for(CIVIL), CODE, &me, &wanted, "低保申请预填")
            .await
            .unwrap();
        assert!(none.record.is_none());
        assert_eq!(none.refused, wanted);

        // An ordinary grant (exchange and query) does not serve prefill either.
        grant(&f, &["id_number", "district", "age"], GrantTerms::default()).await;
        let ordinary = f
            .pool
            .prefill(&hall_for(CIVIL), CODE, &me, &wanted, "低保申请预填")
            .await
            .unwrap();
        assert!(ordinary.record.is_none());
        assert_eq!(ordinary.refused, wanted);

        // Granted for prefill, id_number and district (not name): district is filled, name
        // refused, and the personal id_number the row is found by is never returned unless
        // asked for.
        grant(
            &f,
            &["id_number", "district", "age"],
            GrantTerms {
                uses: vec![GrantUse::Prefill],
                ..GrantTerms::default()
            },
        )
        .await;
        let p = f
            .pool
            .prefill(&hall_for(CIVIL), CODE, &me, &wanted, "低保申请预填")
            .await
            .unwrap();
        let rec = p.record.expect("person 2's own record");
        assert_eq!(rec["district"], "西湖区");
        assert_eq!(rec["age"], 32);
        assert!(rec.get("name").is_none(), "name is not granted");
        assert_eq!(p.refused, ["name"]);

        // The provider's own service reads its personal fields, in clear for the subject.
        let own = f
            .pool
            .prefill(
                &hall_for("/3301/3301-GA/"),
                CODE,
                &me,
                &["name".to_string(), "id_number".to_string()],
                "户籍业务预填",
            )
            .await
            .unwrap();
        let rec = own.record.unwrap();
        assert_eq!(rec["name"], "张2丰");
        assert_eq!(rec["id_number"], id(2).as_str());

        // Somebody not in the resource: no record, no error.
        let nobody = f
            .pool
            .prefill(
                &hall_for(CIVIL),
                CODE,
                &Subject::Person(id(99)),
                &wanted,
                "低保申请预填",
            )
            .await
            .unwrap();
        assert!(nobody.record.is_none());

        // Every read was recorded with its use; no identifier in clear in the ledger.
        let calls = reads(&f).await;
        assert_eq!(calls.len(), 3, "the refused one read nothing");
        assert!(
            calls
                .iter()
                .all(|(e, _)| e.detail.contains("\"use\":\"prefill\""))
        );
        assert!(calls.iter().all(|(e, _)| !e.detail.contains(&id(2))));
    })
    .await;
}

#[tokio::test]
async fn a_revoked_grant_refuses_the_very_next_lookup() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        f.load(&people()).await;
        grant(&f, &["id_number", "district", "age"], GrantTerms::default()).await;
        let caller = system_of(CIVIL);
        // Twice, so the second is answered from the cached grant.
        for _ in 0..2 {
            let r = f
                .pool
                .lookup(&caller, CODE, &by("id_number", &id(2)))
                .await
                .unwrap();
            assert_eq!(r.records.len(), 1);
        }
        // Revoked through another handle on the same database (as another page of the console
        // would), the grant stops working at once.
        let other =
            tongban_catalog::Catalog::new(f.catalog.db().clone(), tongban_kernel::WorkCalendar::bundled());
        let grants = other
            .list_grants(&system(), &Default::default(), Default::default())
            .await
            .unwrap();
        other
            .revoke_grant(&system(), &grants.items[0].id, "用途已完成")
            .await
            .unwrap();
        assert!(matches!(
            f.pool.lookup(&caller, CODE, &by("id_number", &id(2))).await,
            Err(Error::Forbidden { .. })
        ));
    })
    .await;
}
