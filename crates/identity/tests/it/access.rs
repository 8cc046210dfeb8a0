use crate::support::{PASSWORD, World, new_dept, system};
use tongban_identity::{AccountKind, DeptKind, Error, MIGRATIONS, NewDepartment, StaffChanges, UserFilter};
use tongban_kernel::{DeptPath, Page, Permission, Principal, Role, RoleGrant};
use tongban_test_support::each_backend;

fn forbidden<T: std::fmt::Debug>(r: Result<T, Error>) {
    match r {
        Err(Error::Forbidden { why }) => tongban_test_support::said_in_both(&why),
        other => panic!("expected Forbidden, got {other:?}"),
    }
}

fn grant(role: Role, scope: &DeptPath) -> RoleGrant {
    RoleGrant {
        role,
        scope: scope.clone(),
    }
}

#[tokio::test]
async fn a_police_approver_cannot_read_or_change_a_civil_affairs_user_but_reads_a_colleague() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        // A window clerk reads no user list at all; an approver reads its own bureau's.
        w.staff("ga-clerk", &w.police, &[Role::Approver]).await;
        let colleague = w.staff("ga-office", &w.police_office, &[Role::Reviewer]).await;
        let civil = w.staff("mz-clerk", &w.civil, &[Role::Clerk]).await;
        let (_, me) = w.sign_in("ga-clerk").await;
        let me = me.principal;

        assert_eq!(
            w.id.get_user(&me, &colleague.id).await.unwrap().username,
            "ga-office"
        );
        forbidden(w.id.get_user(&me, &civil.id).await);
        forbidden(w.id.get_user_by_username(&me, "mz-clerk").await);
        forbidden(
            w.id.update_staff(
                &me,
                &civil.id,
                StaffChanges {
                    display_name: Some("改名".into()),
                    department: None,
                },
            )
            .await,
        );
        forbidden(w.id.lock_account(&me, &civil.id).await);
        forbidden(w.id.reset_password(&me, &civil.id, "New-Pass-2026").await);
        // A clerk manages nobody, not even a colleague.
        forbidden(w.id.reset_password(&me, &colleague.id, "New-Pass-2026").await);

        let list =
            w.id.list_users(&me, &UserFilter::default(), Page::default())
                .await
                .unwrap();
        let names: Vec<&str> = list.items.iter().map(|u| u.username.as_str()).collect();
        assert_eq!(names, ["ga-clerk", "ga-office"]);
        assert_eq!(list.total, 2);
        // Nothing changed hands.
        assert_eq!(
            w.id.get_user(&system(), &civil.id).await.unwrap().display_name,
            "员工 mz-clerk"
        );
        // Citizens belong to no department: a department clerk cannot browse them.
        let citizen = w.citizen("zhang3", 21).await;
        forbidden(w.id.get_user(&me, &citizen.id).await);
    })
    .await;
}

#[tokio::test]
async fn user_lists_filter_and_page_within_scope() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        for i in 0..5 {
            w.staff(&format!("ga-{i}"), &w.police, &[Role::Clerk]).await;
        }
        w.staff("ga-boss", &w.police, &[Role::DeptAdmin]).await;
        w.staff("mz-1", &w.civil, &[Role::Clerk]).await;
        w.citizen("zhang3", 31).await;
        let (_, boss) = w.sign_in_admin("ga-boss").await;
        let boss = boss.principal;

        let page =
            w.id.list_users(&boss, &UserFilter::default(), Page::new(2, 2))
                .await
                .unwrap();
        assert_eq!(page.total, 6);
        let names: Vec<&str> = page.items.iter().map(|u| u.username.as_str()).collect();
        assert_eq!(names, ["ga-2", "ga-3"]);

        let admins =
            w.id.list_users(
                &boss,
                &UserFilter {
                    role: Some(Role::DeptAdmin),
                    ..Default::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(admins.total, 1);
        assert_eq!(admins.items[0].grants[0].role, Role::DeptAdmin);

        let text =
            w.id.list_users(
                &boss,
                &UserFilter {
                    text: Some("GA-4".into()),
                    ..Default::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(text.total, 1);

        // Asking for another department's subtree yields nothing outside one's scope.
        let other =
            w.id.list_users(
                &boss,
                &UserFilter {
                    department: Some(w.civil.id.clone()),
                    ..Default::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(other.total, 0);

        // The system sees everyone, citizens included, and can filter by kind or ID number.
        let all =
            w.id.list_users(&system(), &UserFilter::default(), Page::default())
                .await
                .unwrap();
        assert_eq!(all.total, 8);
        let citizens =
            w.id.list_users(
                &system(),
                &UserFilter {
                    kind: Some(AccountKind::Citizen),
                    ..Default::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(citizens.total, 1);
        let by_id =
            w.id.list_users(
                &system(),
                &UserFilter {
                    text: Some(crate::support::id_number(31)),
                    ..Default::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(by_id.items.len(), 1);
        assert_eq!(by_id.items[0].username, "zhang3");

        forbidden(
            w.id.list_users(&Principal::anonymous(), &UserFilter::default(), Page::default())
                .await,
        );
    })
    .await;
}

#[tokio::test]
async fn separation_of_duties_holds() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        w.staff("sec-admin", &w.city, &[Role::SecurityAdmin]).await;
        w.staff("sys-admin", &w.city, &[Role::SysAdmin]).await;
        let clerk = w.staff("ga-clerk", &w.police, &[Role::Clerk]).await;
        let (_, sec) = w.sign_in_admin("sec-admin").await;
        let (_, sys) = w.sign_in_admin("sys-admin").await;

        // The security administrator cannot change roles.
        forbidden(
            w.id.set_roles(
                &sec.principal,
                &clerk.id,
                vec![grant(Role::Approver, &w.police.path)],
            )
            .await,
        );
        // The system administrator cannot read the ledger; the security administrator can.
        let city = Some(&w.city.path);
        assert!(!sys.principal.allows(Permission::ReadLedger, city));
        assert!(sys.principal.require(Permission::ReadLedger, city).is_err());
        assert!(sec.principal.allows(Permission::ReadLedger, city));
        assert!(!sec.principal.allows(Permission::AssignRoles, city));
        // The security administrator may lock accounts, including the system administrator's.
        let sys_id = tongban_identity::AccountId(sys.principal.id.clone());
        w.id.lock_account(&sec.principal, &sys_id).await.unwrap();
        w.id.unlock_account(&sec.principal, &sys_id).await.unwrap();

        // Nobody holds both administrator roles.
        let e =
            w.id.set_roles(
                &sys.principal,
                &clerk.id,
                vec![
                    grant(Role::SysAdmin, &w.city.path),
                    grant(Role::SecurityAdmin, &w.city.path),
                ],
            )
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Conflict { .. }), "{e:?}");
        // Nobody changes their own roles, not even the system administrator.
        forbidden(
            w.id.set_roles(
                &sys.principal,
                &sys_id,
                vec![grant(Role::SysAdmin, &DeptPath::root())],
            )
            .await,
        );
    })
    .await;
}

#[tokio::test]
async fn a_department_admin_grants_only_inside_their_subtree_and_never_admin_roles() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        w.staff("ga-admin", &w.police, &[Role::DeptAdmin]).await;
        let clerk = w.staff("ga-clerk", &w.police_office, &[Role::Clerk]).await;
        let civil = w.staff("mz-clerk", &w.civil, &[Role::Clerk]).await;
        let sys = w.staff("ga-sys", &w.police, &[Role::SysAdmin]).await;
        let (_, admin) = w.sign_in_admin("ga-admin").await;
        let admin = admin.principal;

        let view =
            w.id.set_roles(
                &admin,
                &clerk.id,
                vec![
                    grant(Role::Clerk, &w.police_office.path),
                    grant(Role::Reviewer, &w.police.path),
                ],
            )
            .await
            .unwrap();
        assert_eq!(view.grants.len(), 2);
        let changed = w.events("identity.account.roles_changed").await;
        assert_eq!(changed.len(), 1);
        assert_eq!(changed[0].actor_name, "ga-admin");

        forbidden(
            w.id.set_roles(&admin, &clerk.id, vec![grant(Role::Reviewer, &w.civil.path)])
                .await,
        );
        forbidden(
            w.id.set_roles(&admin, &civil.id, vec![grant(Role::Reviewer, &w.civil.path)])
                .await,
        );
        forbidden(
            w.id.set_roles(&admin, &clerk.id, vec![grant(Role::SysAdmin, &w.police.path)])
                .await,
        );
        forbidden(
            w.id.set_roles(
                &admin,
                &clerk.id,
                vec![grant(Role::SecurityAdmin, &w.police.path)],
            )
            .await,
        );
        let own = tongban_identity::AccountId(admin.id.clone());
        forbidden(
            w.id.set_roles(&admin, &own, vec![grant(Role::DeptAdmin, &w.city.path)])
                .await,
        );
        // Nor may they take over a sys_admin who happens to sit in their department.
        forbidden(w.id.reset_password(&admin, &sys.id, "Taken-Over-2026").await);
        // But they manage their own staff.
        w.id.reset_password(&admin, &clerk.id, "New-Pass-2026")
            .await
            .unwrap();
        assert!(
            w.id.login("ga-clerk", PASSWORD, crate::support::ctx())
                .await
                .is_err()
        );
        let e =
            w.id.set_roles(
                &admin,
                &clerk.id,
                vec![grant(Role::Clerk, &DeptPath("/9999/".into()))],
            )
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Invalid(_)), "{e:?}");
    })
    .await;
}

#[tokio::test]
async fn departments_form_a_tree_managed_from_above() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        w.staff("ga-admin", &w.police, &[Role::DeptAdmin]).await;
        w.staff("sys-admin", &w.city, &[Role::SysAdmin]).await;
        let (_, ga) = w.sign_in_admin("ga-admin").await;
        let (_, sys) = w.sign_in_admin("sys-admin").await;

        forbidden(
            w.id.create_department(&ga.principal, new_dept("3301-GA-JJ", "交警支队", &w.police))
                .await,
        );
        let traffic =
            w.id.create_department(&sys.principal, new_dept("3301-GA-JJ", "交警支队", &w.police))
                .await
                .unwrap();
        assert_eq!(traffic.path.as_str(), "/3301/3301-GA/3301-GA-JJ/");
        assert_eq!(traffic.depth(), 2);

        let dup =
            w.id.create_department(&sys.principal, new_dept("3301-GA-JJ", "重复", &w.civil))
                .await
                .unwrap_err();
        assert!(
            matches!(dup, Error::Conflict { ref field, .. } if field == "code"),
            "{dup:?}"
        );
        let bad =
            w.id.create_department(&sys.principal, new_dept("a/b", "坏编码", &w.civil))
                .await
                .unwrap_err();
        assert!(
            matches!(bad, Error::Invalid(ref i) if i.field == "code"),
            "{bad:?}"
        );
        let e =
            w.id.create_department(
                &system(),
                NewDepartment {
                    code: "X1".into(),
                    name_zh: "顶层".into(),
                    name_en: String::new(),
                    parent: None,
                    kind: DeptKind::Office,
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Invalid(_)), "{e:?}");

        let all: Vec<String> =
            w.id.list_departments(&sys.principal)
                .await
                .unwrap()
                .into_iter()
                .map(|d| d.code)
                .collect();
        assert_eq!(all, ["3301", "3301-GA", "3301-GA-HZ", "3301-GA-JJ", "3301-MZ"]);
        let mine: Vec<String> =
            w.id.list_departments(&ga.principal)
                .await
                .unwrap()
                .into_iter()
                .map(|d| d.code)
                .collect();
        assert_eq!(mine, ["3301-GA", "3301-GA-HZ", "3301-GA-JJ"]);
        forbidden(w.id.get_department(&ga.principal, &w.civil.id).await);
        assert_eq!(
            w.id.department_by_code(&ga.principal, "3301-GA-HZ")
                .await
                .unwrap()
                .id,
            w.police_office.id
        );
        forbidden(w.id.list_departments(&Principal::anonymous()).await);
        // The public directory is the whole tree in the same order, asked of no one.
        let directory: Vec<String> =
            w.id.directory()
                .await
                .unwrap()
                .into_iter()
                .map(|d| d.code)
                .collect();
        assert_eq!(directory, all);
        assert_eq!(w.id.directory_entry(" 3301-MZ ").await.unwrap().id, w.civil.id);
        assert!(matches!(
            w.id.directory_entry("nope").await,
            Err(Error::NotFound { .. })
        ));
        assert_eq!(w.events("identity.department.created").await.len(), 5);
    })
    .await;
}

#[tokio::test]
async fn departments_are_renamed_by_their_parents_admin_and_deleted_only_when_empty() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let sys = system();
        // A department admin of 公安局 cannot rename their own bureau (that is the city's call).
        w.staff("ga-admin", &w.police, &[Role::DeptAdmin]).await;
        let (_, admin) = w.sign_in_admin("ga-admin").await;
        forbidden(
            w.id.rename_department(&admin.principal, &w.police.id, "改名", "")
                .await,
        );

        let renamed =
            w.id.rename_department(&sys, &w.police.id, "市公安局", "City Police")
                .await
                .unwrap();
        assert_eq!(renamed.name_zh, "市公安局");
        assert_eq!(
            w.id.get_department(&sys, &w.police.id).await.unwrap().name_en,
            "City Police"
        );
        match w.id.rename_department(&sys, &w.police.id, "   ", "").await {
            Err(Error::Invalid(inv)) => assert_eq!(inv.field, "name_zh"),
            other => panic!("expected Invalid, got {other:?}"),
        }

        // 公安局 has an office and staff: not deletable. An empty new office is.
        match w.id.delete_department(&sys, &w.police.id).await {
            Err(Error::Conflict { .. }) => {}
            other => panic!("expected Conflict, got {other:?}"),
        }
        let empty =
            w.id.create_department(&sys, new_dept("9901-GA-TMP", "临时科", &w.police))
                .await
                .unwrap();
        w.id.delete_department(&sys, &empty.id).await.unwrap();
        assert!(matches!(
            w.id.get_department(&sys, &empty.id).await,
            Err(Error::NotFound { .. })
        ));
        assert_eq!(w.events("identity.department.renamed").await.len(), 1);
        assert_eq!(w.events("identity.department.deleted").await.len(), 1);
    })
    .await;
}

/// Letters and licences print a department's official name with its city before it.
#[tokio::test]
async fn an_official_name_carries_the_city() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        assert_eq!(
            w.id.official_name(&w.police.path).await.unwrap(),
            (
                "示范市公安局".to_string(),
                "Public Security Bureau, Demo City".to_string()
            )
        );
        assert_eq!(
            w.id.official_name(&w.police_office.path).await.unwrap().0,
            "示范市公安局户政科"
        );
        assert_eq!(w.id.official_name(&w.city.path).await.unwrap().0, "示范市");
        assert!(matches!(
            w.id.official_name(&DeptPath("/4401/".into())).await,
            Err(Error::NotFound { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn moving_a_staff_member_takes_the_old_departments_powers_away() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        // 公安局's approver, who also reviews in 户政科 and leads the whole city.
        let moved = w.staff("ga-approver", &w.police, &[Role::Approver]).await;
        let sys = system();
        w.id.set_roles(
            &sys,
            &moved.id,
            vec![
                grant(Role::Approver, &w.police.path),
                grant(Role::Reviewer, &w.police_office.path),
                grant(Role::Leader, &w.city.path),
            ],
        )
        .await
        .unwrap();
        let (token, _) = w.sign_in("ga-approver").await;

        let after =
            w.id.update_staff(
                &sys,
                &moved.id,
                StaffChanges {
                    display_name: None,
                    department: Some(w.civil.id.clone()),
                },
            )
            .await
            .unwrap();
        let mut held: Vec<(Role, String)> = after
            .grants
            .iter()
            .map(|g| (g.role, g.scope.as_str().to_string()))
            .collect();
        held.sort();
        let mut expected = vec![
            // Approving moves to 民政局; leading the city stays (it covers 民政局).
            (Role::Approver, w.civil.path.as_str().to_string()),
            (Role::Leader, w.city.path.as_str().to_string()),
        ];
        expected.sort();
        assert_eq!(held, expected, "户政科's review ends");
        // The old powers end at once: the open session is gone.
        assert!(w.id.authenticate_full(&token).await.is_err());
        let (_, me) = w.sign_in("ga-approver").await;
        assert!(
            !me.principal
                .allows(Permission::DecideSharing, Some(&w.police.path))
        );
        assert!(
            me.principal
                .allows(Permission::DecideSharing, Some(&w.civil.path))
        );
        // The move is recorded with what moved and what ended.
        let events = tongban_db::event::read_after(&w.db, 0, 10_000).await.unwrap();
        let e = events
            .iter()
            .rev()
            .find(|e| e.action == "identity.account.updated")
            .unwrap();
        let detail: serde_json::Value = serde_json::from_str(&e.detail).unwrap();
        assert_eq!(detail["roles_moved"].as_array().unwrap().len(), 1);
        assert_eq!(detail["roles_ended"].as_array().unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_citizen_cannot_tell_an_unknown_account_id_from_someone_elses() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let other = w.staff("ga-someone", &w.police, &[Role::Clerk]).await;
        let me = w.citizen("zhang3", 21).await;
        let (_, citizen) = w.sign_in("zhang3").await;
        let unknown = tongban_identity::AccountId("01a24d00-0000-7000-8000-000000000000".into());
        for id in [&other.id, &unknown] {
            forbidden(w.id.get_user(&citizen.principal, id).await);
            forbidden(w.id.lock_account(&citizen.principal, id).await);
        }
        // Their own account they read.
        assert_eq!(
            w.id.get_user(&citizen.principal, &me.id).await.unwrap().username,
            "zhang3"
        );
    })
    .await;
}
