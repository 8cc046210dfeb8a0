use crate::support::{PASSWORD, World, ctx};
use tongban_identity::{Error, LoginOutcome, MIGRATIONS, MfaState, SessionAuth};
use tongban_kernel::{Permission, Role};
use tongban_test_support::each_backend;

#[tokio::test]
async fn administrators_must_set_up_totp_before_they_may_act() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        w.staff("root-admin", &w.city, &[Role::SysAdmin]).await;
        let outcome = w.id.login("root-admin", PASSWORD, ctx()).await.unwrap();
        let LoginOutcome::MfaSetupRequired(s) = outcome else {
            panic!("expected set-up required, got {outcome:?}");
        };
        assert_eq!(s.session.mfa, MfaState::SetupRequired);

        // The half-open session is no principal.
        match w.id.authenticate(&s.token).await.unwrap() {
            SessionAuth::MfaOwed { session, .. } => assert_eq!(session.mfa, MfaState::SetupRequired),
            SessionAuth::Full(_) => panic!("must not be a full session"),
        }
        assert!(matches!(
            w.id.authenticate_full(&s.token).await.unwrap_err(),
            Error::MfaRequired
        ));

        let setup = w.id.begin_totp_setup(&s.token).await.unwrap();
        assert_eq!(
            setup.otpauth_uri,
            format!(
                "otpauth://totp/Tongban:root-admin?secret={}&issuer=Tongban",
                setup.secret_base32
            )
        );
        let wrong = w.id.confirm_totp_setup(&s.token, "000000").await;
        let right = w.code_for(&setup.secret_base32, 0);
        if right != "000000" {
            assert!(matches!(wrong.unwrap_err(), Error::BadCode));
        }
        // A wrong code or a reload shows the same key again: the one already in the app works.
        let again = w.id.begin_totp_setup(&s.token).await.unwrap();
        assert_eq!(again.secret_base32, setup.secret_base32);
        let signed = w.id.confirm_totp_setup(&s.token, &right).await.unwrap();
        assert_eq!(signed.session.mfa, MfaState::Passed);
        assert!(signed.principal.has_role(Role::SysAdmin));
        let SessionAuth::Full(again) = w.id.authenticate(&s.token).await.unwrap() else {
            panic!("the session is full after confirming");
        };
        assert!(
            again
                .principal
                .allows(Permission::AssignRoles, Some(&w.city.path))
        );
        assert_eq!(w.events("identity.mfa.enabled").await.len(), 1);

        // Next sign-in asks for a code; a used code is refused, the next step's code accepted.
        let outcome = w.id.login("root-admin", PASSWORD, ctx()).await.unwrap();
        let LoginOutcome::MfaCodeNeeded(s2) = outcome else {
            panic!("expected a code to be needed, got {outcome:?}");
        };
        assert!(matches!(
            w.id.authenticate(&s2.token).await.unwrap(),
            SessionAuth::MfaOwed { .. }
        ));
        let reused = w.id.verify_mfa(&s2.token, &right).await.unwrap_err();
        assert!(matches!(reused, Error::BadCode), "{reused:?}");
        let next = w.code_for(&setup.secret_base32, 1);
        let signed = w.id.verify_mfa(&s2.token, &next).await.unwrap();
        assert!(signed.principal.has_role(Role::SysAdmin));
        assert_eq!(w.events("identity.mfa.passed").await.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_newly_granted_admin_role_makes_an_open_session_owe_a_factor() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let clerk = w.staff("ga-clerk", &w.police, &[Role::Clerk]).await;
        let (token, _) = w.sign_in("ga-clerk").await;
        w.id.set_roles(
            &crate::support::system(),
            &clerk.id,
            vec![tongban_kernel::RoleGrant {
                role: Role::SecurityAdmin,
                scope: w.city.path.clone(),
            }],
        )
        .await
        .unwrap();
        match w.id.authenticate(&token).await.unwrap() {
            SessionAuth::MfaOwed { session, .. } => assert_eq!(session.mfa, MfaState::SetupRequired),
            SessionAuth::Full(_) => panic!("a security_admin session without TOTP must not be full"),
        }
    })
    .await;
}

#[tokio::test]
async fn wrong_codes_count_towards_the_lockout() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        w.staff("sec-admin", &w.city, &[Role::SecurityAdmin]).await;
        let (_, _) = w.sign_in_admin("sec-admin").await;
        let LoginOutcome::MfaCodeNeeded(s) = w.id.login("sec-admin", PASSWORD, ctx()).await.unwrap() else {
            panic!("expected a code to be needed");
        };
        let mut last = None;
        for _ in 0..5 {
            last = Some(w.id.verify_mfa(&s.token, "12345x").await.unwrap_err());
        }
        assert!(matches!(last, Some(Error::SourceBlocked { .. })), "{last:?}");
        let e = w.id.verify_mfa(&s.token, "123456").await.unwrap_err();
        assert!(matches!(e, Error::SourceBlocked { .. }), "{e:?}");
    })
    .await;
}

#[tokio::test]
async fn citizens_may_turn_totp_on_and_off_but_staff_may_not_turn_it_off() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        w.citizen("zhang3", 11).await;
        let (token, signed) = w.sign_in("zhang3").await;
        let setup = w.id.begin_totp_setup(&token).await.unwrap();
        let code = w.code_for(&setup.secret_base32, 0);
        w.id.confirm_totp_setup(&token, &code).await.unwrap();
        let outcome = w.id.login("zhang3", PASSWORD, ctx()).await.unwrap();
        assert!(matches!(outcome, LoginOutcome::MfaCodeNeeded(_)), "{outcome:?}");

        let e = w.id.disable_totp(&signed.principal, &code).await.unwrap_err();
        assert!(matches!(e, Error::BadCode), "a used code does not disable: {e:?}");
        let next = w.code_for(&setup.secret_base32, 1);
        w.id.disable_totp(&signed.principal, &next).await.unwrap();
        let outcome = w.id.login("zhang3", PASSWORD, ctx()).await.unwrap();
        assert!(matches!(outcome, LoginOutcome::Full(_)), "{outcome:?}");

        w.staff("ga-clerk", &w.police, &[Role::Clerk]).await;
        let (token, clerk) = w.sign_in("ga-clerk").await;
        let setup = w.id.begin_totp_setup(&token).await.unwrap();
        let code = w.code_for(&setup.secret_base32, 0);
        w.id.confirm_totp_setup(&token, &code).await.unwrap();
        let next = w.code_for(&setup.secret_base32, 1);
        let e = w.id.disable_totp(&clerk.principal, &next).await.unwrap_err();
        assert!(matches!(e, Error::Forbidden { .. }), "{e:?}");
    })
    .await;
}
