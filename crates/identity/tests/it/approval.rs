//! 双人审批 (#19 finding 9): a system administrator who gives someone an administrator role —
//! creating the account with it or adding it — gets a request, not the role; a second
//! administrator approves it; the holder then sets their own password with the activation code
//! and their own two-step verification. The one who asked never holds working credentials.

use crate::support::{PASSWORD, World, ctx};
use tongban_identity::{Error, LoginOutcome, MIGRATIONS, NewStaff};
use tongban_kernel::{Permission, Role, RoleGrant};
use tongban_test_support::each_backend;

fn forbidden<T: std::fmt::Debug>(r: Result<T, Error>) {
    assert!(matches!(r, Err(Error::Forbidden { .. })), "{r:?}");
}

fn invalid_on<T: std::fmt::Debug>(r: Result<T, Error>, field: &str) {
    match r {
        Err(Error::Invalid(i)) => assert_eq!(i.field, field, "{i}"),
        other => panic!("expected a refusal on {field}: {other:?}"),
    }
}

#[tokio::test]
async fn an_administrator_role_needs_a_second_administrator_and_the_holder_sets_the_password() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        w.staff("sys-a", &w.city, &[Role::SysAdmin]).await;
        w.staff("sys-b", &w.city, &[Role::SysAdmin]).await;
        w.staff("sec", &w.city, &[Role::SecurityAdmin]).await;
        let clerk = w.staff("ga-clerk", &w.police, &[Role::Clerk]).await;
        let sys_a = w.id.principal_for_username("sys-a").await.unwrap();
        let sys_b = w.id.principal_for_username("sys-b").await.unwrap();
        let sec = w.id.principal_for_username("sec").await.unwrap();

        // sys-a creates a security administrator with a password of its choosing: the account
        // exists, the role does not.
        let chosen = "Chosen-By-Sys-A-2026";
        let made =
            w.id.create_staff(
                &sys_a,
                NewStaff {
                    username: "new-sec".into(),
                    display_name: "新安全员".into(),
                    password: chosen.into(),
                    department: w.city.id.clone(),
                    roles: vec![Role::SecurityAdmin],
                    phone: None,
                    is_demo: false,
                },
            )
            .await
            .unwrap();
        assert!(made.grants.is_empty(), "{:?}", made.grants);
        let through = w.id.principal_for_username("new-sec").await.unwrap();
        assert!(
            !through.allows_somewhere(Permission::ReadLedger),
            "no ledger through the account"
        );
        let pending = w.id.role_requests(&sec, None).await.unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(
            (pending[0].role, pending[0].requested_by.as_str()),
            (Role::SecurityAdmin, "sys-a")
        );
        // Nobody but an administrator sees or decides it; not the one who asked, not the holder.
        let clerk_p = w.id.principal_for_username("ga-clerk").await.unwrap();
        assert!(w.id.role_requests(&clerk_p, None).await.unwrap().is_empty());
        forbidden(w.id.approve_role_request(&clerk_p, &pending[0].id).await);
        forbidden(w.id.approve_role_request(&sys_a, &pending[0].id).await);
        forbidden(w.id.approve_role_request(&through, &pending[0].id).await);

        // A second administrator approves: the role holds, sys-a's password no longer works.
        let approved = w.id.approve_role_request(&sys_b, &pending[0].id).await.unwrap();
        assert_eq!(approved.username, "new-sec");
        assert!(w.id.role_requests(&sec, None).await.unwrap().is_empty());
        assert!(w.id.login("new-sec", chosen, ctx()).await.is_err());
        // Nor can sys-a set one now: only the holder does.
        forbidden(w.id.reset_password(&sys_a, &made.id, "Taken-Over-2026!").await);

        // The holder: wrong codes and weak passwords are refused on their field.
        invalid_on(
            w.id.activate("new-sec", "AAAA-BBBB-CCCC", "Own-Secret-2026!")
                .await,
            "code",
        );
        invalid_on(
            w.id.activate("nobody", &approved.activation_code, "Own-Secret-2026!")
                .await,
            "code",
        );
        invalid_on(
            w.id.activate("new-sec", &approved.activation_code, "short").await,
            "password",
        );
        let typed = approved.activation_code.to_lowercase().replace('-', " ");
        w.id.activate("new-sec", &typed, "Own-Secret-2026!")
            .await
            .unwrap();
        invalid_on(
            w.id.activate("new-sec", &approved.activation_code, "Another-2026!")
                .await,
            "code",
        );
        // Signing in with their own password, the holder sets up their own second factor.
        match w.id.login("new-sec", "Own-Secret-2026!", ctx()).await.unwrap() {
            LoginOutcome::MfaSetupRequired(_) => {}
            other => panic!("the holder sets up two-step verification first: {other:?}"),
        }
        let holder = w.id.principal_for_username("new-sec").await.unwrap();
        assert!(holder.allows_somewhere(Permission::ReadLedger));

        // Adding the role to an existing account waits too; a rejection leaves it as it was.
        let view =
            w.id.set_roles(
                &sys_a,
                &clerk.id,
                vec![
                    RoleGrant {
                        role: Role::Clerk,
                        scope: w.police.path.clone(),
                    },
                    RoleGrant {
                        role: Role::SysAdmin,
                        scope: w.police.path.clone(),
                    },
                ],
            )
            .await
            .unwrap();
        assert_eq!(view.grants.len(), 1);
        let pending = w.id.role_requests(&sys_b, Some(&clerk.id)).await.unwrap();
        assert_eq!(pending.len(), 1);
        // Asking again does not ask twice.
        w.id.set_roles(
            &sys_a,
            &clerk.id,
            vec![
                RoleGrant {
                    role: Role::Clerk,
                    scope: w.police.path.clone(),
                },
                RoleGrant {
                    role: Role::SysAdmin,
                    scope: w.police.path.clone(),
                },
            ],
        )
        .await
        .unwrap();
        assert_eq!(w.id.role_requests(&sys_b, None).await.unwrap().len(), 1);
        w.id.reject_role_request(&sec, &pending[0].id).await.unwrap();
        assert!(w.id.role_requests(&sys_b, None).await.unwrap().is_empty());
        w.id.login("ga-clerk", PASSWORD, ctx()).await.unwrap();

        for action in [
            "identity.role.requested",
            "identity.role.approved",
            "identity.role.rejected",
            "identity.account.activated",
        ] {
            assert!(!w.events(action).await.is_empty(), "{action}");
        }
        let approved_event = &w.events("identity.role.approved").await[0];
        assert_eq!(approved_event.actor_name, "sys-b");
        assert!(
            !approved_event.detail.contains(&approved.activation_code),
            "the code is never recorded"
        );
    })
    .await;
}

#[tokio::test]
async fn an_activation_code_expires_and_five_wrong_codes_void_it() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        w.staff("sys-a", &w.city, &[Role::SysAdmin]).await;
        w.staff("sec", &w.city, &[Role::SecurityAdmin]).await;
        let clerk = w.staff("ga-clerk", &w.police, &[Role::Clerk]).await;
        let sys_a = w.id.principal_for_username("sys-a").await.unwrap();
        let sec = w.id.principal_for_username("sec").await.unwrap();
        let ask = || {
            w.id.set_roles(
                &sys_a,
                &clerk.id,
                vec![RoleGrant {
                    role: Role::SecurityAdmin,
                    scope: w.police.path.clone(),
                }],
            )
        };
        ask().await.unwrap();
        let id = w.id.role_requests(&sec, None).await.unwrap()[0].id.clone();
        let first = w.id.approve_role_request(&sec, &id).await.unwrap();
        for _ in 0..5 {
            invalid_on(
                w.id.activate("ga-clerk", "2222-3333-4444", "Own-Secret-2026!")
                    .await,
                "code",
            );
        }
        invalid_on(
            w.id.activate("ga-clerk", &first.activation_code, "Own-Secret-2026!")
                .await,
            "code",
        );

        // Taken away and granted again: a new code, which a day later no longer works.
        w.id.set_roles(&sys_a, &clerk.id, vec![]).await.unwrap();
        ask().await.unwrap();
        let id = w.id.role_requests(&sec, None).await.unwrap()[0].id.clone();
        let second = w.id.approve_role_request(&sec, &id).await.unwrap();
        w.advance_ms(tongban_identity::ACTIVATION_MS + 1);
        invalid_on(
            w.id.activate("ga-clerk", &second.activation_code, "Own-Secret-2026!")
                .await,
            "code",
        );
    })
    .await;
}
