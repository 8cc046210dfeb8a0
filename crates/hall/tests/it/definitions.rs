//! Service items and workflow definitions: created by the department's administrator only,
//! checked on save with the bad field named, and versioned.

use crate::support::{World, forbidden, invalid, item_input, staff, step};
use tongban_hall::{FieldKind, MIGRATIONS, MaterialSource, SignMode, StepKind};
use tongban_kernel::Role;
use tongban_test_support::each_backend;

#[tokio::test]
async fn only_the_departments_administrator_manages_its_items() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let admin = staff("ga-admin", &w.police, Role::DeptAdmin);
        forbidden(
            w.hall
                .create_item(
                    &staff("ga-clerk", &w.police, Role::Clerk),
                    item_input("GA-1", &w.police),
                )
                .await,
        );
        forbidden(
            w.hall
                .create_item(
                    &staff("mz-admin", &w.civil, Role::DeptAdmin),
                    item_input("GA-1", &w.police),
                )
                .await,
        );
        let item = w
            .hall
            .create_item(&admin, item_input("GA-1", &w.police))
            .await
            .unwrap();
        assert_eq!(item.department.name_zh, "公安局");
        assert_eq!(item.workflow_version, 0);
        assert!(item.materials[0].source.exempt() && !item.materials[1].source.exempt());
        assert!(matches!(item.materials[2].source, MaterialSource::Licence { .. }));
        assert!(
            item.fields
                .iter()
                .any(|f| f.kind == FieldKind::IdNumber && f.is_personal() && f.prefill.is_some())
        );
        // Not yet applicable: no workflow.
        crate::support::conflict(
            w.hall
                .submit_case(
                    &crate::support::citizen("zhang"),
                    crate::support::application(&item, "noflow-001"),
                )
                .await,
            "item",
        );
        // Codes are unique; edits are guarded by the version read.
        crate::support::conflict(
            w.hall.create_item(&admin, item_input("GA-1", &w.police)).await,
            "code",
        );
        let edited = w
            .hall
            .update_item(&admin, &item.id, item.version, item_input("GA-1", &w.police))
            .await
            .unwrap();
        assert_eq!(edited.version, item.version + 1);
        crate::support::conflict(
            w.hall
                .update_item(&admin, &item.id, item.version, item_input("GA-1", &w.police))
                .await,
            "version",
        );
        // Moving an item to another department needs the right over both.
        forbidden(
            w.hall
                .update_item(&admin, &item.id, edited.version, item_input("GA-1", &w.civil))
                .await,
        );
        forbidden(
            w.hall
                .save_workflow(
                    &staff("mz-admin", &w.civil, Role::DeptAdmin),
                    &item.id,
                    w.plain_steps(),
                )
                .await,
        );
        assert_eq!(w.hall.items(Some(&w.police.path), false).await.unwrap().len(), 1);
        assert_eq!(w.hall.item_by_code("GA-1").await.unwrap().id, item.id);
        assert_eq!(w.events("hall.item.created").await.len(), 1);
        assert_eq!(w.events("hall.item.updated").await.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn bad_items_are_refused_naming_the_field() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let admin = staff("ga-admin", &w.police, Role::DeptAdmin);
        let good = item_input("GA-2", &w.police);
        let cases: Vec<(&str, tongban_hall::ServiceItemInput)> = vec![
            (
                "code",
                tongban_hall::ServiceItemInput {
                    code: "a b".into(),
                    ..good.clone()
                },
            ),
            (
                "name",
                tongban_hall::ServiceItemInput {
                    name: " ".into(),
                    ..good.clone()
                },
            ),
            (
                "name_en",
                tongban_hall::ServiceItemInput {
                    name_en: "Birth\u{7}registration".into(),
                    ..good.clone()
                },
            ),
            (
                "legal_basis",
                tongban_hall::ServiceItemInput {
                    legal_basis: String::new(),
                    ..good.clone()
                },
            ),
            (
                "statutory_days",
                tongban_hall::ServiceItemInput {
                    statutory_days: 0,
                    ..good.clone()
                },
            ),
            (
                "promised_days",
                tongban_hall::ServiceItemInput {
                    promised_days: 21,
                    ..good.clone()
                },
            ),
            (
                "visits",
                tongban_hall::ServiceItemInput {
                    visits: 99,
                    ..good.clone()
                },
            ),
            (
                "department",
                tongban_hall::ServiceItemInput {
                    department: tongban_kernel::DeptPath("/3301/3301-GA/x/".into()),
                    ..good.clone()
                },
            ),
        ];
        // The unknown sub-department sits inside the administrator's scope: refused as unknown.
        for (field, input) in cases {
            invalid(w.hall.create_item(&admin, input).await, field);
        }
        let mut dup = good.clone();
        dup.fields.push(dup.fields[0].clone());
        invalid(w.hall.create_item(&admin, dup).await, "fields[7].code");
        let mut bad_material = good.clone();
        bad_material.materials[0].source = MaterialSource::SharedField {
            resource: String::new(),
            field: "x".into(),
        };
        invalid(
            w.hall.create_item(&admin, bad_material).await,
            "materials[0].source.resource",
        );
        let mut bad_fee = good.clone();
        bad_fee.fees[0].amount_fen = -1;
        invalid(w.hall.create_item(&admin, bad_fee).await, "fees[0].amount_fen");
        assert!(w.events("hall.item.created").await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn bad_workflows_are_refused_naming_the_field_and_each_save_is_a_version() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let admin = staff("ga-admin", &w.police, Role::DeptAdmin);
        let item = w
            .hall
            .create_item(&admin, item_input("GA-3", &w.police))
            .await
            .unwrap();
        invalid(w.hall.save_workflow(&admin, &item.id, vec![]).await, "steps");

        let mut unknown = w.joint_steps(SignMode::All);
        unknown[1].assignees[2].department = "/3301/3301-XX/".into();
        invalid(
            w.hall.save_workflow(&admin, &item.id, unknown).await,
            "steps[1].assignees[2].department",
        );

        for required in [0, 4] {
            invalid(
                w.hall
                    .save_workflow(&admin, &item.id, w.joint_steps(SignMode::Ratio { required }))
                    .await,
                "steps[1].mode",
            );
        }
        let mut role = w.plain_steps();
        role[2].assignees[0].role = "citizen".into();
        invalid(
            w.hall.save_workflow(&admin, &item.id, role).await,
            "steps[2].assignees[0].role",
        );

        let mut joint_accept = w.plain_steps();
        joint_accept[0] = step(
            StepKind::Accept,
            &[(&w.police, "clerk"), (&w.civil, "clerk")],
            SignMode::All,
            None,
        );
        invalid(
            w.hall.save_workflow(&admin, &item.id, joint_accept).await,
            "steps[0].assignees",
        );

        let mut twice = w.joint_steps(SignMode::All);
        twice[1].assignees[1] = twice[1].assignees[0].clone();
        invalid(
            w.hall.save_workflow(&admin, &item.id, twice).await,
            "steps[1].assignees[1]",
        );

        let mut too_long = w.plain_steps();
        too_long[1].limit_days = Some(21);
        invalid(
            w.hall.save_workflow(&admin, &item.id, too_long).await,
            "steps[1].limit_days",
        );
        let mut sum = w.plain_steps();
        sum[1].limit_days = Some(10);
        sum[2].limit_days = Some(10);
        invalid(w.hall.save_workflow(&admin, &item.id, sum).await, "steps");

        let mut no_issue = w.plain_steps();
        no_issue.pop();
        invalid(
            w.hall.save_workflow(&admin, &item.id, no_issue).await,
            "steps[2].kind",
        );

        let v1 = w
            .hall
            .save_workflow(&admin, &item.id, w.plain_steps())
            .await
            .unwrap();
        let v2 = w
            .hall
            .save_workflow(&admin, &item.id, w.joint_steps(SignMode::Ratio { required: 2 }))
            .await
            .unwrap();
        assert_eq!((v1.version, v2.version), (1, 2));
        assert_eq!(v2.steps[1].mode, SignMode::Ratio { required: 2 });
        assert_eq!(v2.steps[1].name, "审查", "an unnamed step takes its kind's name");
        assert_eq!(w.hall.item(&item.id).await.unwrap().workflow_version, 2);
        assert_eq!(w.hall.workflow(&item.id, 1).await.unwrap(), v1);
        assert_eq!(w.events("hall.workflow.saved").await.len(), 2);
    })
    .await;
}
