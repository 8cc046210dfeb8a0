use crate::support::{World, citizen, city_wide, conflict, forbidden, item, staff, street_light, system};
use tongban_interact::{ItemFilter, ItemKind, ItemStatus, MIGRATIONS, NewRule};
use tongban_kernel::{Page, Role};
use tongban_test_support::each_backend;

#[tokio::test]
async fn items_go_to_the_department_their_category_and_district_name() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let zhang = citizen("zhang");
        let anywhere = w
            .submit(&zhang, street_light("路灯不亮", 30.27, 120.15, "GS"))
            .await;
        assert_eq!(anywhere.item.department.as_ref(), Some(&w.urban));
        assert_eq!(anywhere.item.status, ItemStatus::InProgress);
        let xihu = w
            .submit(&zhang, street_light("路灯不亮", 30.27, 120.15, "XH"))
            .await;
        assert_eq!(
            xihu.item.department.as_ref(),
            Some(&w.housing),
            "the rule naming the district wins"
        );
        let household = w
            .submit(
                &zhang,
                item(ItemKind::Inquiry, "household", "落户", "新生儿落户需要什么材料？"),
            )
            .await;
        assert_eq!(household.item.department.as_ref(), Some(&w.police));
        let other = w
            .submit(
                &zhang,
                item(ItemKind::Suggestion, "other", "建议", "建议增加公交线路。"),
            )
            .await;
        assert_eq!(other.item.department, None, "no rule: it waits for dispatch");
        assert_eq!(other.item.status, ItemStatus::Unassigned);
        assert!(
            other.item.number.starts_with("2026-0302-"),
            "{}",
            other.item.number
        );
        assert_ne!(other.item.number, household.item.number);

        assert_eq!(
            w.ix.route("road_lighting", "XH").await.unwrap(),
            Some(w.housing.clone())
        );
        assert_eq!(
            w.ix.route("road_lighting", "").await.unwrap(),
            Some(w.urban.clone())
        );
        assert_eq!(w.ix.route("other", "XH").await.unwrap(), None);

        let stats = w.ix.department_stats(None).await.unwrap();
        let received = |path: &str| {
            stats
                .iter()
                .find(|s| s.department.as_str() == path)
                .map_or(0, |s| s.received)
        };
        assert_eq!(received(w.urban.path.as_str()), 1);
        assert_eq!(received(w.housing.path.as_str()), 1);
        assert_eq!(received(w.police.path.as_str()), 1);
        assert_eq!(w.events("interact.item.submitted").await.len(), 4);
    })
    .await;
}

#[tokio::test]
async fn rules_are_kept_by_department_admins_within_their_scope() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let police_admin = staff("ga-admin", &w.police, Role::DeptAdmin);
        let rule =
            w.ix.set_rule(
                &police_admin,
                NewRule {
                    category: "other".into(),
                    district: Some("GS".into()),
                    department: w.police.clone(),
                },
            )
            .await
            .unwrap();
        assert_eq!(w.ix.route("other", "GS").await.unwrap(), Some(w.police.clone()));
        // Routing another department's work, or taking over its rule, is refused.
        forbidden(
            w.ix.set_rule(
                &police_admin,
                NewRule {
                    category: "other".into(),
                    district: None,
                    department: w.civil.clone(),
                },
            )
            .await,
        );
        forbidden(
            w.ix.set_rule(
                &police_admin,
                NewRule {
                    category: "road_lighting".into(),
                    district: None,
                    department: w.police.clone(),
                },
            )
            .await,
        );
        forbidden(
            w.ix.set_rule(
                &staff("ga-clerk", &w.police, Role::Clerk),
                NewRule {
                    category: "other".into(),
                    district: None,
                    department: w.police.clone(),
                },
            )
            .await,
        );
        forbidden(
            w.ix.remove_rule(&staff("mz-admin", &w.civil, Role::DeptAdmin), &rule.id)
                .await,
        );
        w.ix.remove_rule(&police_admin, &rule.id).await.unwrap();
        assert_eq!(w.ix.route("other", "GS").await.unwrap(), None);
        let rules =
            w.ix.list_rules(&staff("ga-clerk", &w.police, Role::Clerk))
                .await
                .unwrap();
        assert_eq!(rules.len(), 4);
        forbidden(w.ix.list_rules(&citizen("li")).await);
        assert_eq!(w.events("interact.rule.set").await.len(), 5);
        assert_eq!(w.events("interact.rule.removed").await.len(), 1);
        // Categories and time limits are city-wide.
        forbidden(
            w.ix.set_time_limit(&police_admin, ItemKind::Inquiry, None, 3)
                .await,
        );
    })
    .await;
}

#[tokio::test]
async fn transfer_assist_and_return_move_an_item_between_departments() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let zhang = citizen("zhang");
        let view = w
            .submit(&zhang, street_light("小区路灯坏了", 30.27, 120.15, "GS"))
            .await;
        let id = view.item.id.clone();
        let urban_clerk = staff("cg-clerk", &w.urban, Role::Clerk);
        let housing_clerk = staff("zj-clerk", &w.housing, Role::Clerk);
        let police_clerk = staff("ga-clerk", &w.police, Role::Clerk);
        let civil_clerk = staff("mz-clerk", &w.civil, Role::Clerk);

        // 转办: with a reason; the clock keeps running from receipt.
        forbidden(
            w.ix.transfer(&housing_clerk, &id, w.civil.clone(), "不归我们")
                .await,
        );
        let moved =
            w.ix.transfer(
                &urban_clerk,
                &id,
                w.housing.clone(),
                "小区内路灯由物业和住建部门负责",
            )
            .await
            .unwrap();
        assert_eq!(moved.item.department.as_ref(), Some(&w.housing));
        assert_eq!(moved.item.transfers, 1);
        assert_eq!(moved.item.clock, view.item.clock);
        forbidden(w.ix.get_item(&urban_clerk, &id).await);
        forbidden(w.ix.transfer(&urban_clerk, &id, w.civil.clone(), "再转").await);
        let same = w.ix.transfer(&housing_clerk, &id, w.housing.clone(), "x").await;
        assert_eq!(same.unwrap_err().field(), Some("department"));

        // 协办: the assisting department may read and answer; a bystander may not.
        forbidden(w.ix.get_item(&police_clerk, &id).await);
        let assist =
            w.ix.request_assist(&housing_clerk, &id, w.police.clone(), "请协助核实夜间治安情况")
                .await
                .unwrap();
        conflict(
            w.ix.request_assist(&housing_clerk, &id, w.police.clone(), "再问一次")
                .await,
            "department",
        );
        assert_eq!(w.ix.get_item(&police_clerk, &id).await.unwrap().item.id, id);
        let listed =
            w.ix.list_items(&police_clerk, &ItemFilter::default(), Page::default())
                .await
                .unwrap();
        assert_eq!(
            listed.total, 1,
            "assisting departments see the item in their list"
        );
        forbidden(w.ix.answer_assist(&civil_clerk, &assist.id, "无").await);
        let answered =
            w.ix.answer_assist(&police_clerk, &assist.id, "已安排巡逻")
                .await
                .unwrap();
        assert_eq!(answered.answer, "已安排巡逻");
        conflict(
            w.ix.answer_assist(&police_clerk, &assist.id, "again").await,
            "status",
        );
        forbidden(w.ix.get_item(&civil_clerk, &id).await);
        forbidden(w.ix.transfer(&police_clerk, &id, w.civil.clone(), "越权").await);
        assert_eq!(w.ix.assists(&housing_clerk, &id).await.unwrap().len(), 1);

        // 退回: back to dispatch, then the city's dispatch centre assigns it.
        let returned =
            w.ix.return_item(&housing_clerk, &id, "该路段不在本部门管辖范围")
                .await
                .unwrap();
        assert_eq!(returned.item.status, ItemStatus::Unassigned);
        assert_eq!(returned.item.department, None);
        forbidden(w.ix.dispatch(&housing_clerk, &id, w.civil.clone()).await);
        let dispatcher = city_wide("12345", Role::Clerk);
        let dispatched = w.ix.dispatch(&dispatcher, &id, w.urban.clone()).await.unwrap();
        assert_eq!(dispatched.item.status, ItemStatus::InProgress);
        conflict(w.ix.dispatch(&dispatcher, &id, w.urban.clone()).await, "status");

        // The citizen follows every step; staff names stay inside.
        let seen: Vec<String> =
            w.ix.history(&zhang, &id)
                .await
                .unwrap()
                .into_iter()
                .map(|e| {
                    assert!(e.actor_name.is_empty());
                    e.action
                })
                .collect();
        assert_eq!(
            seen,
            ["submitted", "routed", "transferred", "returned", "dispatched"]
        );
        let staff_view = w.ix.history(&dispatcher, &id).await.unwrap();
        assert!(staff_view.iter().any(|e| e.action == "assist_requested"));
        let notes: Vec<String> =
            w.ix.notifications(&zhang, false, Page::default())
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|n| n.event)
                .collect();
        assert_eq!(notes, ["dispatched", "returned", "transferred", "submitted"]);

        let stats = w.ix.department_stats(None).await.unwrap();
        let of = |path: &str| {
            stats
                .iter()
                .find(|s| s.department.as_str() == path)
                .unwrap()
                .clone()
        };
        assert_eq!(of(w.urban.path.as_str()).received, 2);
        assert_eq!(of(w.urban.path.as_str()).transferred_out, 1);
        assert_eq!(of(w.housing.path.as_str()).received, 1);
        assert_eq!(of(w.housing.path.as_str()).returned, 1);
        for action in [
            "interact.item.transferred",
            "interact.assist.requested",
            "interact.assist.answered",
            "interact.item.returned",
            "interact.item.dispatched",
        ] {
            assert_eq!(w.events(action).await.len(), 1, "{action}");
        }
    })
    .await;
}

#[tokio::test]
async fn unassigned_items_are_seen_only_by_the_city_dispatch_centre() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let view = w
            .submit(
                &citizen("li"),
                item(ItemKind::Suggestion, "other", "建议", "建议延长图书馆开放时间。"),
            )
            .await;
        let urban_clerk = staff("cg-clerk", &w.urban, Role::Clerk);
        forbidden(w.ix.get_item(&urban_clerk, &view.item.id).await);
        let mine =
            w.ix.list_items(&urban_clerk, &ItemFilter::default(), Page::default())
                .await
                .unwrap();
        assert_eq!(mine.total, 0);
        let dispatcher = city_wide("12345", Role::Clerk);
        let waiting =
            w.ix.list_items(
                &dispatcher,
                &ItemFilter {
                    status: Some(ItemStatus::Unassigned),
                    ..Default::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(waiting.total, 1);
        forbidden(
            w.ix.list_items(&citizen("li"), &ItemFilter::default(), Page::default())
                .await,
        );
        // The platform itself (a worker) may do anything and is recorded as such.
        w.ix.dispatch(&system(), &view.item.id, w.civil.clone())
            .await
            .unwrap();
        assert_eq!(w.events("interact.item.dispatched").await[0].actor_kind, "system");
    })
    .await;
}
