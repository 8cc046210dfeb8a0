use crate::support::{
    World, conflict, data_admin, forbidden, grantee, invalid, new_request, resource, staff, system,
};
use jiff::civil::date;
use tongban_catalog::{
    Decision, GrantFilter, GrantTerms, Grantee, MIGRATIONS, Review, RowFilter, SharingClass,
};
use tongban_kernel::{Page, Role};
use tongban_test_support::each_backend;

#[tokio::test]
async fn a_revoked_grant_stops_counting_at_once() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let r = w
            .published(resource("9901-GA-0101", &w.police, SharingClass::Unconditional))
            .await;
        let asker = staff("mz-approver", &w.civil, Role::Approver);
        let view = w.request(&asker, &w.civil, &r, &["name"]).await.unwrap();
        let gid = view.request.grant_id.unwrap();
        let today = w.today();
        assert!(
            w.cat
                .effective_grant(&grantee(&w.civil), &r.code, today)
                .await
                .unwrap()
                .is_some()
        );

        forbidden(w.cat.revoke_grant(&asker, &gid, "不再需要").await);
        forbidden(
            w.cat
                .revoke_grant(&staff("ga-clerk", &w.police, Role::Analyst), &gid, "x")
                .await,
        );
        let provider = staff("ga-admin", &w.police, Role::DeptAdmin);
        invalid(w.cat.revoke_grant(&provider, &gid, " ").await, "reason");
        let revoked = w
            .cat
            .revoke_grant(&provider, &gid, "发现超范围使用")
            .await
            .unwrap();
        assert!(revoked.revoked.is_some());
        assert!(
            w.cat
                .effective_grant(&grantee(&w.civil), &r.code, today)
                .await
                .unwrap()
                .is_none(),
            "revocation is immediate"
        );
        assert!(
            w.cat
                .grants_for(&grantee(&w.civil), today)
                .await
                .unwrap()
                .is_empty()
        );
        conflict(w.cat.revoke_grant(&provider, &gid, "再次撤销").await, "status");
        let ev = w.events("catalog.grant.revoked").await;
        assert_eq!(ev.len(), 1);
        assert!(ev[0].detail.contains("发现超范围使用"));
        // The record stays, marked revoked.
        let g = w.cat.get_grant(&asker, &gid).await.unwrap();
        assert_eq!(g.revoke_reason.as_deref(), Some("发现超范围使用"));
        assert!(!g.is_effective(today));

        // The data authority may revoke too.
        w.request(&asker, &w.civil, &r, &["name"]).await.unwrap();
        let g = w
            .cat
            .effective_grant(&grantee(&w.civil), &r.code, today)
            .await
            .unwrap()
            .unwrap();
        w.cat
            .revoke_grant(&data_admin(&w), &g.id, "数据局检查")
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn grants_count_through_their_last_day_and_never_after() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let r = w
            .published(resource("9901-GA-0102", &w.police, SharingClass::Unconditional))
            .await;
        let asker = staff("mz-approver", &w.civil, Role::Approver);
        let mut q = new_request(grantee(&w.civil), &r, &["district"]);
        q.valid_until = date(2026, 10, 31);
        w.cat.request_sharing(&asker, q).await.unwrap();
        let civil = grantee(&w.civil);
        let on = |day| w.cat.effective_grant(&civil, &r.code, day);
        assert!(on(date(2026, 10, 31)).await.unwrap().is_some());
        assert!(on(date(2026, 11, 1)).await.unwrap().is_none());
        w.set_today(date(2026, 11, 1));
        assert!(
            w.cat
                .grants_for(&grantee(&w.civil), w.today())
                .await
                .unwrap()
                .is_empty()
        );
        let live = w
            .cat
            .list_grants(
                &data_admin(&w),
                &GrantFilter {
                    effective_on: Some(w.today()),
                    ..Default::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(live.total, 0);
        let all = w
            .cat
            .list_grants(&data_admin(&w), &GrantFilter::default(), Page::default())
            .await
            .unwrap();
        assert_eq!(all.total, 1, "expired grants stay on record");
    })
    .await;
}

#[tokio::test]
async fn a_newer_grant_replaces_the_older_one() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let r = w
            .published(resource("9901-GA-0103", &w.police, SharingClass::Unconditional))
            .await;
        let asker = staff("mz-approver", &w.civil, Role::Approver);
        let first = w.request(&asker, &w.civil, &r, &["district"]).await.unwrap();
        let second = w
            .request(&asker, &w.civil, &r, &["district", "birth_date"])
            .await
            .unwrap();
        let today = w.today();
        let live = w.cat.grants_for(&grantee(&w.civil), today).await.unwrap();
        assert_eq!(live.len(), 1);
        assert_eq!(Some(&live[0].id), second.request.grant_id.as_ref());
        assert_eq!(live[0].fields, ["district", "birth_date"]);
        let old = w
            .cat
            .get_grant(&asker, first.request.grant_id.as_ref().unwrap())
            .await
            .unwrap();
        assert!(old.revoked.is_some());
        assert!(old.revoke_reason.unwrap().contains(live[0].id.as_str()));
        let created = w.events("catalog.grant.created").await;
        assert!(
            created[1].detail.contains(old.id.as_str()),
            "the event names what it replaced"
        );
    })
    .await;
}

#[tokio::test]
async fn an_api_client_uses_its_own_grant_before_its_departments() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let r = w
            .published(resource("9901-GA-0104", &w.police, SharingClass::Unconditional))
            .await;
        let other = w
            .published(resource("9901-GA-0105", &w.police, SharingClass::Unconditional))
            .await;
        let asker = staff("mz-approver", &w.civil, Role::Approver);
        let client = Grantee::ApiClient {
            id: tongban_kernel::id::new_uuid_v7(),
            department: w.civil.path.clone(),
        };
        let sibling = Grantee::ApiClient {
            id: tongban_kernel::id::new_uuid_v7(),
            department: w.civil.path.clone(),
        };
        w.request(&asker, &w.civil, &r, &["district"]).await.unwrap();
        w.request(&asker, &w.civil, &other, &["district"]).await.unwrap();
        w.cat
            .request_sharing(
                &asker,
                new_request(client.clone(), &r, &["district", "birth_date"]),
            )
            .await
            .unwrap();
        let today = w.today();
        let own = w
            .cat
            .effective_grant(&client, &r.code, today)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(own.grantee, client);
        assert_eq!(own.fields, ["district", "birth_date"]);
        let dept = w
            .cat
            .effective_grant(&sibling, &r.code, today)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(dept.grantee, grantee(&w.civil));
        let all = w.cat.grants_for(&client, today).await.unwrap();
        let codes: Vec<&str> = all.iter().map(|g| g.resource_code.as_str()).collect();
        assert_eq!(codes, ["9901-GA-0104", "9901-GA-0105"], "one per resource");
        assert_eq!(all[0].grantee, client);
        // A client of another department gets nothing from civil affairs' grants.
        let stranger = Grantee::ApiClient {
            id: tongban_kernel::id::new_uuid_v7(),
            department: w.education.path.clone(),
        };
        assert!(w.cat.grants_for(&stranger, today).await.unwrap().is_empty());
        // Garbage codes are simply denied.
        assert!(
            w.cat
                .effective_grant(&client, "x' OR '1'='1", today)
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

#[tokio::test]
async fn grants_follow_the_resource_as_it_changes() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let r = w
            .published(resource("9901-GA-0106", &w.police, SharingClass::Conditional))
            .await;
        let asker = staff("mz-approver", &w.civil, Role::Approver);
        let provider = staff("ga-admin", &w.police, Role::DeptAdmin);
        let id = w
            .request(&asker, &w.civil, &r, &["id_number", "name", "district"])
            .await
            .unwrap()
            .request
            .id;
        w.cat
            .review(&data_admin(&w), &id, Review::Approve { note: String::new() })
            .await
            .unwrap();
        w.cat
            .decide(
                &provider,
                &id,
                Decision::Grant(GrantTerms {
                    clear_fields: vec!["id_number".into()],
                    clear_basis: "身份核验".into(),
                    uses: vec![tongban_catalog::GrantUse::Exchange],
                    ..Default::default()
                }),
            )
            .await
            .unwrap();
        let today = w.today();
        let civil = grantee(&w.civil);
        let enforced = || w.cat.effective_grant(&civil, &r.code, today);
        assert_eq!(enforced().await.unwrap().unwrap().fields.len(), 3);

        // The provider drops `name` and makes `id_number` merely internal.
        let current = w.cat.get_resource(&provider, &r.id).await.unwrap();
        let mut input = current.to_input();
        input.fields.retain(|f| f.code != "name");
        input.fields[0].sensitivity = tongban_catalog::Sensitivity::Internal;
        w.cat
            .update_resource(&provider, &r.id, current.revision, input)
            .await
            .unwrap();
        let g = enforced().await.unwrap().unwrap();
        assert_eq!(g.fields, ["id_number", "district"]);
        assert!(
            g.clear_fields.is_empty(),
            "clear text only for fields still personal"
        );

        // Reclassified as not shared: no grant counts.
        let current = w.cat.get_resource(&provider, &r.id).await.unwrap();
        let mut input = current.to_input();
        input.sharing.class = SharingClass::NotShared;
        w.cat
            .update_resource(&provider, &r.id, current.revision, input)
            .await
            .unwrap();
        assert!(enforced().await.unwrap().is_none());
        let current = w.cat.get_resource(&provider, &r.id).await.unwrap();
        let mut input = current.to_input();
        input.sharing.class = SharingClass::Conditional;
        w.cat
            .update_resource(&provider, &r.id, current.revision, input)
            .await
            .unwrap();
        assert!(enforced().await.unwrap().is_some());

        // Retired: no grant counts, for good.
        w.cat.retire_resource(&provider, &r.id).await.unwrap();
        assert!(enforced().await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn grant_terms_are_checked_against_the_request_and_the_resource() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let r = w
            .published(resource("9901-GA-0107", &w.police, SharingClass::Conditional))
            .await;
        let asker = staff("mz-approver", &w.civil, Role::Approver);
        let provider = staff("ga-approver", &w.police, Role::Approver);
        let id = w
            .request(&asker, &w.civil, &r, &["id_number", "district"])
            .await
            .unwrap()
            .request
            .id;
        w.cat
            .review(&data_admin(&w), &id, Review::Approve { note: String::new() })
            .await
            .unwrap();
        let try_terms = |terms: GrantTerms| w.cat.decide(&provider, &id, Decision::Grant(terms));
        invalid(
            try_terms(GrantTerms {
                fields: Some(vec!["name".into()]),
                ..Default::default()
            })
            .await,
            "fields",
        );
        invalid(
            try_terms(GrantTerms {
                fields: Some(vec![]),
                ..Default::default()
            })
            .await,
            "fields",
        );
        invalid(
            try_terms(GrantTerms {
                clear_fields: vec!["district".into()],
                clear_basis: "需要".into(),
                ..Default::default()
            })
            .await,
            "clear_fields",
        );
        invalid(
            try_terms(GrantTerms {
                clear_fields: vec!["id_number".into()],
                ..Default::default()
            })
            .await,
            "clear_basis",
        );
        invalid(
            try_terms(GrantTerms {
                fields: Some(vec!["district".into()]),
                clear_fields: vec!["id_number".into()],
                clear_basis: "需要".into(),
                ..Default::default()
            })
            .await,
            "clear_fields",
        );
        invalid(
            try_terms(GrantTerms {
                row_filter: Some(RowFilter {
                    field: "town; --".into(),
                    values: vec!["1".into()],
                }),
                ..Default::default()
            })
            .await,
            "row_filter.field",
        );
        invalid(
            try_terms(GrantTerms {
                row_filter: Some(RowFilter {
                    field: "district".into(),
                    values: vec![],
                }),
                ..Default::default()
            })
            .await,
            "row_filter.values",
        );
        invalid(
            try_terms(GrantTerms {
                expires_on: Some(date(2027, 7, 1)),
                ..Default::default()
            })
            .await,
            "expires_on",
        );
        invalid(
            try_terms(GrantTerms {
                expires_on: Some(w.today()),
                ..Default::default()
            })
            .await,
            "expires_on",
        );
        // None of that changed anything.
        assert!(
            w.cat
                .list_grants(&system(), &GrantFilter::default(), Page::default())
                .await
                .unwrap()
                .items
                .is_empty()
        );
        let ok = try_terms(GrantTerms {
            row_filter: Some(RowFilter {
                field: "district".into(),
                values: vec!["330102".into(), "330102".into(), "330105".into()],
            }),
            ..Default::default()
        })
        .await
        .unwrap();
        let g = w
            .cat
            .get_grant(&asker, ok.request.grant_id.as_ref().unwrap())
            .await
            .unwrap();
        assert_eq!(g.row_filter.unwrap().values, ["330102", "330105"]);
    })
    .await;
}

#[tokio::test]
async fn grant_lists_show_each_side_only_its_own() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let r = w
            .published(resource("9901-GA-0108", &w.police, SharingClass::Unconditional))
            .await;
        let asker = staff("mz-approver", &w.civil, Role::Approver);
        let gid = w
            .request(&asker, &w.civil, &r, &["district"])
            .await
            .unwrap()
            .request
            .grant_id
            .unwrap();
        let count = |p: tongban_kernel::Principal| {
            let w = &w;
            async move {
                w.cat
                    .list_grants(&p, &GrantFilter::default(), Page::default())
                    .await
                    .unwrap()
                    .total
            }
        };
        assert_eq!(count(asker.clone()).await, 1);
        assert_eq!(count(staff("ga-clerk", &w.police, Role::Analyst)).await, 1);
        assert_eq!(count(staff("jy-clerk", &w.education, Role::Analyst)).await, 0);
        forbidden(
            w.cat
                .get_grant(&staff("jy-clerk", &w.education, Role::Analyst), &gid)
                .await,
        );
        let filtered = w
            .cat
            .list_grants(
                &data_admin(&w),
                &GrantFilter {
                    grantee: Some(w.education.path.clone()),
                    ..Default::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(filtered.total, 0);
        forbidden(
            w.cat
                .list_grants(
                    &tongban_kernel::Principal::anonymous(),
                    &GrantFilter::default(),
                    Page::default(),
                )
                .await,
        );
    })
    .await;
}
