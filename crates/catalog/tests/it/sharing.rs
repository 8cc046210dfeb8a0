use crate::support::{
    World, conflict, data_admin, forbidden, grantee, invalid, new_request, resource, scoped, staff, system,
};
use jiff::civil::date;
use tongban_catalog::{
    DECISION_DAYS, DECISION_DAYS_NO_DATA, Decision, GrantTerms, GrantUse, MIGRATIONS, NewVersion, RefusedBy,
    RequestFilter, RequestStatus, Resolution, Review, RowFilter, SharingClass, Stage, Warning,
};
use tongban_kernel::{ClockState, Page, Role};
use tongban_test_support::each_backend;

#[tokio::test]
async fn an_unconditional_request_is_granted_at_once_and_recorded_with_its_purpose() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let r = w
            .published(resource("9901-GA-0001", &w.police, SharingClass::Unconditional))
            .await;
        let asker = staff("mz-approver", &w.civil, Role::Approver);
        let view = w
            .request(&asker, &w.civil, &r, &["birth_date", "district"])
            .await
            .unwrap();
        let q = &view.request;
        assert_eq!(q.status, RequestStatus::Granted);
        assert_eq!(q.purpose, "最低生活保障资格核查");
        assert_eq!(
            q.fields,
            ["district", "birth_date"],
            "kept in the resource's order"
        );
        assert!(view.deadline.is_none(), "no clock runs for unconditional sharing");

        let g = w
            .cat
            .effective_grant(&grantee(&w.civil), "9901-ga-0001", w.today())
            .await
            .unwrap()
            .expect("granted at once");
        assert_eq!(Some(&g.id), q.grant_id.as_ref());
        assert_eq!(g.fields, ["district", "birth_date"]);
        assert_eq!(g.purpose, q.purpose);
        assert!(g.clear_fields.is_empty(), "personal fields are masked by default");
        assert_eq!(g.expires_on, date(2027, 6, 30));
        assert_eq!(g.source_request.as_ref(), Some(&q.id));

        let requested = w.events("catalog.sharing.requested").await;
        assert_eq!(requested.len(), 1);
        assert!(requested[0].detail.contains("最低生活保障资格核查"));
        assert_eq!(w.events("catalog.grant.created").await.len(), 1);
        // Nobody else got anything.
        assert!(
            w.cat
                .effective_grant(&grantee(&w.education), "9901-GA-0001", w.today())
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

#[tokio::test]
async fn a_not_shared_resource_is_refused_citing_its_legal_basis() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let r = w
            .published(resource("9901-GA-0002", &w.police, SharingClass::NotShared))
            .await;
        let asker = staff("mz-approver", &w.civil, Role::Approver);
        let view = w.request(&asker, &w.civil, &r, &["name"]).await.unwrap();
        assert_eq!(view.request.status, RequestStatus::Refused);
        let refusal = view.request.refusal.clone().unwrap();
        assert_eq!(refusal.by, RefusedBy::Catalog);
        assert_eq!(refusal.reasons, "《中华人民共和国个人信息保护法》第三十四条");
        assert!(view.request.grant_id.is_none());
        assert!(
            w.cat
                .effective_grant(&grantee(&w.civil), &r.code, w.today())
                .await
                .unwrap()
                .is_none()
        );
        // The catalog's classification is not the provider's refusal: nothing to dispute.
        conflict(
            w.cat.dispute(&asker, &view.request.id, "我们确有需要").await,
            "status",
        );
    })
    .await;
}

#[tokio::test]
async fn a_conditional_request_is_reviewed_then_granted_by_the_provider_on_narrower_terms() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let r = w
            .published(resource("9901-GA-0003", &w.police, SharingClass::Conditional))
            .await;
        let asker = staff("mz-approver", &w.civil, Role::Approver);
        let authority = data_admin(&w);
        let provider = staff("ga-admin", &w.police, Role::DeptAdmin);

        w.set_today(date(2026, 9, 30));
        let view = w
            .request(&asker, &w.civil, &r, &["id_number", "name", "district"])
            .await
            .unwrap();
        assert_eq!(view.request.status, RequestStatus::InReview);
        let d = view.deadline.clone().unwrap();
        assert_eq!(d.stage, Stage::Review);
        assert_eq!(d.reading.due, date(2026, 10, 9));
        assert!(
            w.cat
                .effective_grant(&grantee(&w.civil), &r.code, w.today())
                .await
                .unwrap()
                .is_none(),
            "nothing is shared while under review"
        );

        // The provider cannot decide before the data authority has reviewed.
        conflict(
            w.cat
                .decide(
                    &provider,
                    &view.request.id,
                    Decision::Grant(GrantTerms::default()),
                )
                .await,
            "status",
        );

        w.set_today(date(2026, 10, 8));
        let reviewed = w
            .cat
            .review(
                &authority,
                &view.request.id,
                Review::Approve {
                    note: "用途明确".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(reviewed.request.status, RequestStatus::WithProvider);
        let review = reviewed.request.review.clone().unwrap();
        assert_eq!(review.clock.finished, Some(date(2026, 10, 8)));
        assert_eq!(review.by.as_deref(), Some(authority.id.as_str()));
        let d = reviewed.deadline.clone().unwrap();
        assert_eq!(d.stage, Stage::Decision);
        assert_eq!(
            d.reading.due,
            w.cat.calendar().add_working_days(date(2026, 10, 8), 10).unwrap()
        );

        let terms = |uses: Vec<GrantUse>| GrantTerms {
            fields: Some(vec!["id_number".into(), "district".into()]),
            row_filter: Some(RowFilter {
                field: "district".into(),
                values: vec!["330102".into()],
            }),
            clear_fields: vec!["id_number".into()],
            clear_basis: "低保核查须比对身份证号".into(),
            uses,
            expires_on: Some(date(2027, 3, 31)),
            note: String::new(),
        };
        // Clear text is never granted for queries: neither by default (exchange and query) nor
        // by name.
        for uses in [Vec::new(), vec![GrantUse::Exchange, GrantUse::Query]] {
            invalid(
                w.cat
                    .decide(&provider, &view.request.id, Decision::Grant(terms(uses)))
                    .await,
                "uses",
            );
        }
        let granted = w
            .cat
            .decide(
                &provider,
                &view.request.id,
                Decision::Grant(terms(vec![GrantUse::Exchange])),
            )
            .await
            .unwrap();
        assert_eq!(granted.request.status, RequestStatus::Granted);
        assert_eq!(
            granted.deadline.as_ref().unwrap().reading.state,
            ClockState::Finished
        );
        let g = w
            .cat
            .effective_grant(&grantee(&w.civil), &r.code, w.today())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(g.fields, ["id_number", "district"]);
        assert!(g.allows_field("district") && !g.allows_field("name"));
        assert!(g.is_clear("id_number"));
        assert_eq!(g.row_filter.as_ref().unwrap().values, ["330102"]);
        assert_eq!(g.expires_on, date(2027, 3, 31));
        assert_eq!(g.uses, [GrantUse::Exchange]);
        assert!(g.allows(GrantUse::Exchange) && !g.allows(GrantUse::Query) && !g.allows(GrantUse::Prefill));

        for action in [
            "catalog.sharing.requested",
            "catalog.sharing.reviewed",
            "catalog.sharing.decided",
            "catalog.grant.created",
        ] {
            assert_eq!(w.events(action).await.len(), 1, "{action}");
        }
        // A decided request cannot be decided again.
        conflict(
            w.cat
                .decide(
                    &provider,
                    &view.request.id,
                    Decision::Refuse {
                        reasons: "改变主意".into(),
                    },
                )
                .await,
            "status",
        );
    })
    .await;
}

#[tokio::test]
async fn the_review_deadline_counts_working_days_across_national_day_and_warns_yellow_then_red() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let r = w
            .published(resource("9901-GA-0004", &w.police, SharingClass::Conditional))
            .await;
        let asker = staff("mz-approver", &w.civil, Role::Approver);
        let authority = data_admin(&w);
        w.set_today(date(2026, 9, 30)); // Wednesday, eve of 国庆节
        let id = w
            .request(&asker, &w.civil, &r, &["name"])
            .await
            .unwrap()
            .request
            .id;

        // Oct 1–7 off; Thu Oct 8 is working day 1, Fri Oct 9 day 2.
        let read = |day| {
            w.set_today(day);
            async {
                w.cat
                    .get_request(&authority, &id)
                    .await
                    .unwrap()
                    .deadline
                    .unwrap()
            }
        };
        let d = read(date(2026, 9, 30)).await;
        assert_eq!(d.reading.due, date(2026, 10, 9));
        assert_eq!((d.reading.state, d.warning), (ClockState::OnTime, None));
        let d = read(date(2026, 10, 7)).await;
        assert_eq!(d.reading.remaining, 2, "holidays use no days");
        assert_eq!(d.warning, None);
        let d = read(date(2026, 10, 8)).await;
        assert_eq!(
            (d.reading.state, d.warning),
            (ClockState::DueSoon, Some(Warning::Yellow))
        );
        let d = read(date(2026, 10, 9)).await;
        assert_eq!((d.reading.remaining, d.warning), (0, Some(Warning::Yellow)));
        // Saturday Oct 10 is a make-up working day: one day over.
        let d = read(date(2026, 10, 10)).await;
        assert_eq!(
            (d.reading.state, d.warning),
            (ClockState::Overdue, Some(Warning::Red))
        );
        assert_eq!(d.reading.remaining, -1);

        // The console list shows the same reading.
        let list = w
            .cat
            .list_requests(
                &authority,
                &RequestFilter {
                    status: Some(RequestStatus::InReview),
                    ..Default::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(list.total, 1);
        assert_eq!(
            list.items[0].deadline.as_ref().unwrap().warning,
            Some(Warning::Red)
        );

        // Reviewed late: the finished clock stays red.
        let late = w
            .cat
            .review(
                &authority,
                &id,
                Review::Reject {
                    reasons: "用途与资源不符".into(),
                },
            )
            .await
            .unwrap();
        let d = late.deadline.unwrap();
        assert_eq!(
            (d.reading.state, d.reading.finished_late),
            (ClockState::Finished, true)
        );
        assert_eq!(d.warning, Some(Warning::Red));
        assert_eq!(late.request.refusal.unwrap().by, RefusedBy::Authority);
    })
    .await;
}

#[tokio::test]
async fn the_provider_has_ten_working_days_without_data_on_the_platform_and_five_with() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        assert_eq!((DECISION_DAYS, DECISION_DAYS_NO_DATA), (5, 10));
        let empty = w
            .published(resource("9901-GA-0005", &w.police, SharingClass::Conditional))
            .await;
        let loaded = w
            .published(resource("9901-GA-0006", &w.police, SharingClass::Conditional))
            .await;
        w.cat
            .record_version(
                &system(),
                &loaded.id,
                NewVersion {
                    version: 1,
                    row_count: 1200,
                    quality_score: 0.98,
                    diff: serde_json::json!({"added": 1200}),
                },
            )
            .await
            .unwrap();
        let asker = staff("mz-approver", &w.civil, Role::Approver);
        let authority = data_admin(&w);
        w.set_today(date(2026, 9, 30));
        let a = w.request(&asker, &w.civil, &empty, &["name"]).await.unwrap();
        let b = w.request(&asker, &w.civil, &loaded, &["name"]).await.unwrap();
        w.set_today(date(2026, 10, 9));
        let approve = || Review::Approve { note: String::new() };
        let a = w.cat.review(&authority, &a.request.id, approve()).await.unwrap();
        let b = w.cat.review(&authority, &b.request.id, approve()).await.unwrap();
        // From Fri Oct 9: Sat 10 (make-up), Mon 12, Tue 13, Wed 14, Thu 15 → five days.
        assert_eq!(b.deadline.unwrap().reading.due, date(2026, 10, 15));
        assert_eq!(b.request.decision.unwrap().clock.statutory_days, 5);
        // … then Fri 16, Mon 19, Tue 20, Wed 21, Thu 22 → ten.
        assert_eq!(a.deadline.unwrap().reading.due, date(2026, 10, 22));
        assert_eq!(a.request.decision.unwrap().clock.statutory_days, 10);
    })
    .await;
}

#[tokio::test]
async fn refusals_need_reasons() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let r = w
            .published(resource("9901-GA-0007", &w.police, SharingClass::Conditional))
            .await;
        let asker = staff("mz-approver", &w.civil, Role::Approver);
        let authority = data_admin(&w);
        let provider = staff("ga-approver", &w.police, Role::Approver);
        let id = w
            .request(&asker, &w.civil, &r, &["name"])
            .await
            .unwrap()
            .request
            .id;
        invalid(
            w.cat
                .review(&authority, &id, Review::Reject { reasons: "  ".into() })
                .await,
            "reasons",
        );
        w.cat
            .review(&authority, &id, Review::Approve { note: String::new() })
            .await
            .unwrap();
        invalid(
            w.cat
                .decide(
                    &provider,
                    &id,
                    Decision::Refuse {
                        reasons: String::new(),
                    },
                )
                .await,
            "reasons",
        );
        let still = w.cat.get_request(&provider, &id).await.unwrap();
        assert_eq!(still.request.status, RequestStatus::WithProvider);
        let refused = w
            .cat
            .decide(
                &provider,
                &id,
                Decision::Refuse {
                    reasons: "涉及在侦案件".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(refused.request.status, RequestStatus::Refused);
        let refusal = refused.request.refusal.unwrap();
        assert_eq!(
            (refusal.by, refusal.reasons.as_str()),
            (RefusedBy::Provider, "涉及在侦案件")
        );
        assert_eq!(refused.request.decision.unwrap().note, "涉及在侦案件");
    })
    .await;
}

#[tokio::test]
async fn a_disputed_refusal_goes_to_the_data_authority_whose_resolution_is_final() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let r = w
            .published(resource("9901-GA-0008", &w.police, SharingClass::Conditional))
            .await;
        let asker = staff("mz-approver", &w.civil, Role::Approver);
        let authority = data_admin(&w);
        let provider = staff("ga-approver", &w.police, Role::Approver);
        let refuse = || Decision::Refuse {
            reasons: "数据敏感".into(),
        };

        // First request: disputed, then granted on resolution.
        w.set_today(date(2026, 6, 1));
        let id = w
            .request(&asker, &w.civil, &r, &["name", "district"])
            .await
            .unwrap()
            .request
            .id;
        w.cat
            .review(&authority, &id, Review::Approve { note: String::new() })
            .await
            .unwrap();
        w.cat.decide(&provider, &id, refuse()).await.unwrap();
        invalid(w.cat.dispute(&asker, &id, " ").await, "reasons");
        forbidden(w.cat.dispute(&provider, &id, "我方不服").await);
        let disputed = w.cat.dispute(&asker, &id, "低保审核法定需要").await.unwrap();
        assert_eq!(disputed.request.status, RequestStatus::Disputed);
        assert_eq!(disputed.request.dispute_reasons, "低保审核法定需要");
        let d = disputed.deadline.unwrap();
        assert_eq!(d.stage, Stage::Dispute);
        assert_eq!(
            d.reading.due,
            date(2026, 6, 8),
            "five working days from Mon Jun 1"
        );
        forbidden(
            w.cat
                .resolve_dispute(&provider, &id, Resolution::Grant(GrantTerms::default()))
                .await,
        );
        let resolved = w
            .cat
            .resolve_dispute(
                &authority,
                &id,
                Resolution::Grant(GrantTerms {
                    fields: Some(vec!["district".into()]),
                    ..Default::default()
                }),
            )
            .await
            .unwrap();
        assert_eq!(resolved.request.status, RequestStatus::Granted);
        assert!(resolved.request.refusal.is_none());
        let g = w
            .cat
            .effective_grant(&grantee(&w.civil), &r.code, w.today())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(g.fields, ["district"]);
        assert_eq!(w.events("catalog.sharing.dispute_resolved").await.len(), 1);

        // Second request: the refusal is upheld, and that is final.
        let id = w
            .request(&asker, &w.civil, &r, &["name"])
            .await
            .unwrap()
            .request
            .id;
        w.cat
            .review(&authority, &id, Review::Approve { note: String::new() })
            .await
            .unwrap();
        w.cat.decide(&provider, &id, refuse()).await.unwrap();
        w.cat.dispute(&asker, &id, "仍需姓名").await.unwrap();
        invalid(
            w.cat
                .resolve_dispute(
                    &authority,
                    &id,
                    Resolution::Uphold {
                        reasons: String::new(),
                    },
                )
                .await,
            "reasons",
        );
        let upheld = w
            .cat
            .resolve_dispute(
                &authority,
                &id,
                Resolution::Uphold {
                    reasons: "姓名非核查必需".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(upheld.request.refusal.unwrap().by, RefusedBy::Resolution);
        conflict(w.cat.dispute(&asker, &id, "再议").await, "status");
        // The earlier grant is untouched by the refused request.
        assert!(
            w.cat
                .effective_grant(&grantee(&w.civil), &r.code, w.today())
                .await
                .unwrap()
                .is_some()
        );
    })
    .await;
}

#[tokio::test]
async fn only_the_provider_decides_and_only_the_data_authority_reviews() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let r = w
            .published(resource("9901-GA-0009", &w.police, SharingClass::Conditional))
            .await;
        let asker = staff("mz-admin", &w.civil, Role::DeptAdmin);
        let authority = data_admin(&w);
        let id = w
            .request(&asker, &w.civil, &r, &["name"])
            .await
            .unwrap()
            .request
            .id;
        // The requester's own admin cannot review, and an admin of a third department neither.
        forbidden(
            w.cat
                .review(&asker, &id, Review::Approve { note: String::new() })
                .await,
        );
        w.cat
            .review(&authority, &id, Review::Approve { note: String::new() })
            .await
            .unwrap();
        let grant = || Decision::Grant(GrantTerms::default());
        forbidden(w.cat.decide(&asker, &id, grant()).await);
        forbidden(
            w.cat
                .decide(&staff("jy-admin", &w.education, Role::DeptAdmin), &id, grant())
                .await,
        );
        forbidden(
            w.cat
                .decide(&staff("ga-clerk", &w.police, Role::Analyst), &id, grant())
                .await,
        );
        // A data authority scoped to another district cannot review either.
        let district_authority = scoped("xh-sj", &w.education, Role::DataAdmin, &w.education.path);
        let id2 = w
            .request(
                &asker,
                &w.civil,
                &w.published(resource("9901-GA-0010", &w.police, SharingClass::Conditional))
                    .await,
                &["name"],
            )
            .await
            .unwrap()
            .request
            .id;
        forbidden(
            w.cat
                .review(&district_authority, &id2, Review::Approve { note: String::new() })
                .await,
        );
        // The provider's approver may decide.
        let decided = w
            .cat
            .decide(&staff("ga-approver", &w.police, Role::Approver), &id, grant())
            .await
            .unwrap();
        assert_eq!(decided.request.status, RequestStatus::Granted);
        // A clerk may not file requests; anonymous may see nothing.
        forbidden(
            w.request(
                &staff("mz-clerk", &w.civil, Role::Analyst),
                &w.civil,
                &r,
                &["name"],
            )
            .await,
        );
        forbidden(
            w.cat
                .get_request(&tongban_kernel::Principal::anonymous(), &id)
                .await,
        );
        forbidden(
            w.cat
                .get_request(&staff("jy-clerk", &w.education, Role::Analyst), &id)
                .await,
        );
        // Requesting for another department is refused.
        forbidden(w.request(&asker, &w.education, &r, &["name"]).await);
    })
    .await;
}

#[tokio::test]
async fn requests_must_name_fields_of_the_resource_a_purpose_a_basis_and_a_validity_ahead() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let r = w
            .published(resource("9901-GA-0011", &w.police, SharingClass::Unconditional))
            .await;
        let asker = staff("mz-approver", &w.civil, Role::Approver);
        invalid(
            w.request(&asker, &w.civil, &r, &["name", "salary"]).await,
            "fields",
        );
        invalid(w.request(&asker, &w.civil, &r, &[]).await, "fields");
        invalid(
            w.request(&asker, &w.civil, &r, &["name' OR '1'='1"]).await,
            "fields",
        );
        invalid(
            w.request(&asker, &w.civil, &r, &["name; DROP TABLE grants; --"])
                .await,
            "fields",
        );
        let mut q = new_request(grantee(&w.civil), &r, &["name"]);
        q.purpose = "   ".into();
        invalid(w.cat.request_sharing(&asker, q).await, "purpose");
        let mut q = new_request(grantee(&w.civil), &r, &["name"]);
        q.legal_basis = String::new();
        invalid(w.cat.request_sharing(&asker, q).await, "legal_basis");
        let mut q = new_request(grantee(&w.civil), &r, &["name"]);
        q.valid_until = w.today();
        invalid(w.cat.request_sharing(&asker, q).await, "valid_until");
        let mut q = new_request(grantee(&w.civil), &r, &["name"]);
        q.valid_until = date(2029, 3, 3);
        invalid(w.cat.request_sharing(&asker, q).await, "valid_until");
        let mut q = new_request(grantee(&w.civil), &r, &["name"]);
        q.requester = tongban_catalog::Grantee::Department {
            id: "1 OR 1=1".into(),
            path: w.civil.path.clone(),
        };
        invalid(w.cat.request_sharing(&asker, q).await, "requester.id");

        // Nothing was stored by any of those.
        let all = w
            .cat
            .list_requests(&system(), &RequestFilter::default(), Page::default())
            .await
            .unwrap();
        assert_eq!(all.total, 0);
        assert!(w.events("catalog.sharing.requested").await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_department_need_not_request_its_own_resource_nor_a_draft() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let r = w
            .published(resource("9901-GA-0012", &w.police, SharingClass::Conditional))
            .await;
        let own = staff("ga-admin", &w.police, Role::DeptAdmin);
        conflict(w.request(&own, &w.police, &r, &["name"]).await, "resource");
        let office = staff("hz-approver", &w.police_office, Role::Approver);
        conflict(
            w.request(&office, &w.police_office, &r, &["name"]).await,
            "resource",
        );

        let draft = w
            .cat
            .create_resource(
                &system(),
                resource("9901-GA-0013", &w.police, SharingClass::Unconditional),
            )
            .await
            .unwrap();
        let asker = staff("mz-approver", &w.civil, Role::Approver);
        conflict(w.request(&asker, &w.civil, &draft, &["name"]).await, "resource");
    })
    .await;
}

#[tokio::test]
async fn a_second_open_request_for_the_same_resource_conflicts_and_withdrawal_stops_the_clock() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let r = w
            .published(resource("9901-GA-0014", &w.police, SharingClass::Conditional))
            .await;
        let asker = staff("mz-approver", &w.civil, Role::Approver);
        w.set_today(date(2026, 5, 11));
        let id = w
            .request(&asker, &w.civil, &r, &["name"])
            .await
            .unwrap()
            .request
            .id;
        conflict(w.request(&asker, &w.civil, &r, &["district"]).await, "resource");
        forbidden(
            w.cat
                .withdraw(&staff("ga-admin", &w.police, Role::DeptAdmin), &id)
                .await,
        );
        w.set_today(date(2026, 5, 12));
        let gone = w.cat.withdraw(&asker, &id).await.unwrap();
        assert_eq!(gone.request.status, RequestStatus::Withdrawn);
        assert_eq!(
            gone.request.review.unwrap().clock.finished,
            Some(date(2026, 5, 12))
        );
        conflict(w.cat.withdraw(&asker, &id).await, "status");
        conflict(
            w.cat
                .review(&data_admin(&w), &id, Review::Approve { note: String::new() })
                .await,
            "status",
        );
        // A new request may now be filed.
        w.request(&asker, &w.civil, &r, &["district"]).await.unwrap();
        assert_eq!(w.events("catalog.sharing.withdrawn").await.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_deadline_reaching_into_a_year_not_announced_is_provisional_and_recounted_when_entered() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db.clone()).await;
        let r = w
            .published(resource("9901-GA-0015", &w.police, SharingClass::Conditional))
            .await;
        let asker = staff("mz-approver", &w.civil, Role::Approver);
        w.set_today(date(2026, 12, 30));
        let view = w.request(&asker, &w.civil, &r, &["name"]).await.unwrap();
        let reading = view.deadline.unwrap().reading;
        // Thu Dec 31 is day 1; 元旦 Jan 1 (statutory) and the weekend off; Mon Jan 4 is day 2.
        assert_eq!(reading.due, date(2027, 1, 4));
        assert!(reading.provisional, "2027 has not been announced");

        // An administrator enters 2027 (here with Jan 4 as a bridging day off): the same
        // request, read again, is due a day later and no longer provisional.
        w.cat
            .calendar()
            .merge_toml(
                "[2027]\nholidays = [{ name = \"元旦\", from = \"2027-01-01\", to = \"2027-01-04\" }]\nmakeup_workdays = []\n",
            )
            .unwrap();
        let again = w.cat.get_request(&asker, &view.request.id).await.unwrap();
        let reading = again.deadline.unwrap().reading;
        assert_eq!(reading.due, date(2027, 1, 5));
        assert!(!reading.provisional);
    })
    .await;
}

#[tokio::test]
async fn request_lists_show_each_side_its_own_and_filter() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let cond = w
            .published(resource("9901-GA-0016", &w.police, SharingClass::Conditional))
            .await;
        let free = w
            .published(resource("9901-GA-0017", &w.police, SharingClass::Unconditional))
            .await;
        let mz = staff("mz-approver", &w.civil, Role::Approver);
        let jy = staff("jy-approver", &w.education, Role::Approver);
        w.request(&mz, &w.civil, &cond, &["name"]).await.unwrap();
        w.request(&mz, &w.civil, &free, &["name"]).await.unwrap();
        w.request(&jy, &w.education, &free, &["district"]).await.unwrap();

        let total = |p: tongban_kernel::Principal, f: RequestFilter| {
            let w = &w;
            async move { w.cat.list_requests(&p, &f, Page::default()).await.unwrap().total }
        };
        assert_eq!(total(mz.clone(), RequestFilter::default()).await, 2);
        assert_eq!(total(jy.clone(), RequestFilter::default()).await, 1);
        assert_eq!(
            total(
                staff("ga-clerk", &w.police, Role::Analyst),
                RequestFilter::default()
            )
            .await,
            3,
            "the provider sees every request for its resources"
        );
        assert_eq!(total(data_admin(&w), RequestFilter::default()).await, 3);
        let granted = RequestFilter {
            status: Some(RequestStatus::Granted),
            ..Default::default()
        };
        assert_eq!(total(data_admin(&w), granted).await, 2);
        let by_text = RequestFilter {
            text: Some("0016".into()),
            ..Default::default()
        };
        assert_eq!(total(data_admin(&w), by_text).await, 1);
        let by_requester = RequestFilter {
            requester: Some(w.education.path.clone()),
            ..Default::default()
        };
        assert_eq!(total(data_admin(&w), by_requester).await, 1);
        let page = w
            .cat
            .list_requests(&data_admin(&w), &RequestFilter::default(), Page::new(2, 2))
            .await
            .unwrap();
        assert_eq!((page.total, page.items.len()), (3, 1));
        forbidden(
            w.cat
                .list_requests(
                    &tongban_kernel::Principal::anonymous(),
                    &RequestFilter::default(),
                    Page::default(),
                )
                .await,
        );
    })
    .await;
}
