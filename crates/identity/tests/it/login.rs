use crate::support::{PASSWORD, World, ctx, system};
use tongban_identity::{AccountStatus, Error, LoginOutcome, MIGRATIONS, MfaState, SessionAuth};
use tongban_kernel::{Role, RoleGrant};
use tongban_test_support::each_backend;

#[tokio::test]
async fn login_succeeds_and_opens_a_full_session() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let clerk = w.staff("ga-clerk", &w.police, &[Role::Clerk]).await;
        let outcome = w.id.login(" GA-Clerk ", PASSWORD, ctx()).await.unwrap();
        let LoginOutcome::Full(s) = outcome else {
            panic!("expected a full session, got {outcome:?}");
        };
        assert_eq!(s.token.len(), 43);
        assert_eq!(s.session.mfa, MfaState::None);
        assert_eq!(s.session.ip.as_deref(), Some("192.0.2.7"));
        let SessionAuth::Full(signed) = w.id.authenticate(&s.token).await.unwrap() else {
            panic!("expected a full session");
        };
        assert_eq!(signed.principal.id, clerk.id.as_str());
        assert_eq!(signed.principal.name, "ga-clerk");
        assert_eq!(signed.principal.department.as_ref(), Some(&w.police.path));
        assert_eq!(
            signed.principal.grants,
            vec![RoleGrant {
                role: Role::Clerk,
                scope: w.police.path.clone()
            }]
        );
        assert_eq!(signed.csrf_token, s.csrf_token);
        let ok = w.events("identity.login.succeeded").await;
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].actor_name, "ga-clerk");
        assert!(!ok[0].detail.contains(PASSWORD));
        assert!(
            w.id.get_user(&signed.principal, &clerk.id)
                .await
                .unwrap()
                .last_login
                .is_some()
        );
    })
    .await;
}

#[tokio::test]
async fn wrong_passwords_and_unknown_users_get_the_same_answer() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        w.staff("ga-clerk", &w.police, &[Role::Clerk]).await;
        let wrong = w.id.login("ga-clerk", "Wrong-Pass-1", ctx()).await.unwrap_err();
        let unknown = w.id.login("nobody", PASSWORD, ctx()).await.unwrap_err();
        assert!(matches!(wrong, Error::BadCredentials), "{wrong:?}");
        assert!(matches!(unknown, Error::BadCredentials), "{unknown:?}");
        assert_eq!(wrong.to_string(), unknown.to_string());

        let failed = w.events("identity.login.failed").await;
        assert_eq!(failed.len(), 2);
        assert!(failed.iter().all(|e| e.actor_kind == "anonymous"));
        assert!(failed[1].summary.contains("nobody"), "{}", failed[1].summary);
        for e in &failed {
            assert!(!e.detail.contains("Wrong-Pass-1") && !e.summary.contains("Wrong-Pass-1"));
            assert!(!e.detail.contains(PASSWORD));
        }
    })
    .await;
}

/// A sign-in from another client address than [`ctx`]'s.
fn from(ip: &str) -> tongban_identity::LoginContext {
    tongban_identity::LoginContext {
        ip: Some(ip.into()),
        user_agent: Some("integration-test".into()),
    }
}

#[tokio::test]
async fn five_failures_in_a_row_pause_that_address_with_growing_back_off_and_not_the_holder() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let clerk = w.staff("ga-clerk", &w.police, &[Role::Clerk]).await;
        for i in 1..=4 {
            let e = w.id.login("ga-clerk", "Wrong-Pass-1", ctx()).await.unwrap_err();
            assert!(matches!(e, Error::BadCredentials), "attempt {i}: {e:?}");
        }
        let before = w.now();
        let fifth = w.id.login("ga-clerk", "Wrong-Pass-1", ctx()).await.unwrap_err();
        let Error::SourceBlocked { until } = fifth else {
            panic!("fifth failure should pause the address, got {fifth:?}");
        };
        let five_min = 5 * 60 * 1000;
        assert!(until.0 >= before.0 + five_min && until.0 <= w.now().0 + five_min);

        // The right password does not help from that address while paused.
        let sixth = w.id.login("ga-clerk", PASSWORD, ctx()).await.unwrap_err();
        assert!(matches!(sixth, Error::SourceBlocked { .. }), "{sixth:?}");
        let said = sixth.to_string();
        assert!(said.contains("失败次数过多") && !said.contains('Z'), "{said}");
        // The holder, from their own address, is not stopped (and the account not locked).
        assert_eq!(
            w.id.get_user(&system(), &clerk.id).await.unwrap().status,
            AccountStatus::Active
        );
        w.id.login("ga-clerk", PASSWORD, from("198.51.100.20"))
            .await
            .unwrap();

        assert_eq!(w.events("identity.login.failed").await.len(), 6);
        let paused = w.events("identity.login.source_blocked").await;
        assert_eq!(paused.len(), 1);
        assert_eq!(paused[0].object_id, clerk.id.as_str());
        assert!(paused[0].detail.contains("192.0.2.7"), "{}", paused[0].detail);
        assert!(w.events("identity.account.locked").await.is_empty());
        // The holder is told on their account page.
        let holder = w.id.principal_for_username("ga-clerk").await.unwrap();
        let pauses = w.id.login_pauses(&holder, &clerk.id).await.unwrap();
        assert_eq!(pauses.len(), 1);
        assert!(pauses[0].active && pauses[0].source == "192.0.2.7");

        // After the pause runs out, the right password works from there and resets its count.
        w.advance_ms(five_min + 1000);
        w.sign_in("ga-clerk").await;
        for _ in 0..4 {
            let e = w.id.login("ga-clerk", "Wrong-Pass-1", ctx()).await.unwrap_err();
            assert!(matches!(e, Error::BadCredentials), "{e:?}");
        }
        w.sign_in("ga-clerk").await;
    })
    .await;
}

#[tokio::test]
async fn a_second_pause_without_success_lasts_twice_as_long() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        w.staff("ga-clerk", &w.police, &[Role::Clerk]).await;
        for _ in 0..5 {
            let _ = w.id.login("ga-clerk", "Wrong-Pass-1", ctx()).await;
        }
        w.advance_ms(5 * 60 * 1000 + 1000);
        let mut last = None;
        for _ in 0..5 {
            last = Some(w.id.login("ga-clerk", "Wrong-Pass-1", ctx()).await.unwrap_err());
        }
        let Some(Error::SourceBlocked { until }) = last else {
            panic!("expected a second pause, got {last:?}");
        };
        let ten_min = 10 * 60 * 1000;
        assert!(
            until.0 > w.now().0 + ten_min - 5_000,
            "second pause is 10 minutes"
        );
        assert_eq!(w.events("identity.login.source_blocked").await.len(), 2);
    })
    .await;
}

#[tokio::test]
async fn guessing_from_many_addresses_locks_an_account_without_a_second_factor_but_never_one_with() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let clerk = w.staff("ga-clerk", &w.police, &[Role::Clerk]).await;
        let admin = w.staff("sec-admin", &w.city, &[Role::SecurityAdmin]).await;
        w.sign_in_admin("sec-admin").await;
        // Four wrong passwords from each of many addresses: no address is paused.
        let max = tongban_identity::ACCOUNT_MAX_FAILURES;
        let mut last = None;
        for n in 0..max {
            let ip = format!("203.0.113.{}", n / 4);
            last = Some(
                w.id.login("ga-clerk", "Wrong-Pass-1", from(&ip))
                    .await
                    .unwrap_err(),
            );
            let _ = w.id.login("sec-admin", "Wrong-Pass-1", from(&ip)).await;
        }
        assert!(matches!(last, Some(Error::Locked { until: Some(_) })), "{last:?}");
        assert_eq!(
            w.id.get_user(&system(), &clerk.id).await.unwrap().status,
            AccountStatus::Locked
        );
        // The administrator with a second factor is not locked by guessing: they sign in.
        assert_eq!(
            w.id.get_user(&system(), &admin.id).await.unwrap().status,
            AccountStatus::Active
        );
        match w
            .id
            .login("sec-admin", PASSWORD, from("198.51.100.20"))
            .await
            .unwrap()
        {
            tongban_identity::LoginOutcome::MfaCodeNeeded(_) => {}
            other => panic!("{other:?}"),
        }
        // The security administrator's unlock lifts the lock and every pause.
        for _ in 0..5 {
            let _ = w.id.login("sec-admin", "Wrong-Pass-1", ctx()).await;
        }
        assert!(matches!(
            w.id.login("sec-admin", PASSWORD, ctx()).await,
            Err(Error::SourceBlocked { .. })
        ));
        w.id.unlock_account(&system(), &admin.id).await.unwrap();
        assert!(w.id.login("sec-admin", PASSWORD, ctx()).await.is_ok());
        assert_eq!(w.events("identity.login.pauses_lifted").await.len(), 1);
        // Nobody else reads an account's pauses.
        let other = w.staff("mz-clerk", &w.civil, &[Role::Clerk]).await;
        let stranger = w.id.principal_for_username("mz-clerk").await.unwrap();
        assert!(w.id.login_pauses(&stranger, &admin.id).await.is_err());
        let _ = other;
    })
    .await;
}

#[tokio::test]
async fn a_disabled_account_is_told_so_only_with_the_right_password() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let clerk = w.staff("ga-clerk", &w.police, &[Role::Clerk]).await;
        w.id.disable_account(&system(), &clerk.id).await.unwrap();
        let e = w.id.login("ga-clerk", PASSWORD, ctx()).await.unwrap_err();
        assert!(matches!(e, Error::Disabled), "{e:?}");
        let e = w.id.login("ga-clerk", "Wrong-Pass-1", ctx()).await.unwrap_err();
        assert!(matches!(e, Error::BadCredentials), "{e:?}");
        w.id.enable_account(&system(), &clerk.id).await.unwrap();
        w.sign_in("ga-clerk").await;
    })
    .await;
}

#[tokio::test]
async fn an_administrator_lock_lasts_until_unlocked_and_ends_sessions() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let clerk = w.staff("ga-clerk", &w.police, &[Role::Clerk]).await;
        let (token, _) = w.sign_in("ga-clerk").await;
        let view = w.id.lock_account(&system(), &clerk.id).await.unwrap();
        assert_eq!(view.status, AccountStatus::Locked);
        assert_eq!(view.locked_until, None);
        assert!(matches!(
            w.id.authenticate(&token).await.unwrap_err(),
            Error::Unauthenticated
        ));
        let e = w.id.login("ga-clerk", PASSWORD, ctx()).await.unwrap_err();
        assert!(matches!(e, Error::Locked { until: None }), "{e:?}");
        w.advance_ms(48 * 60 * 60 * 1000);
        assert!(w.id.login("ga-clerk", PASSWORD, ctx()).await.is_err());
        w.id.unlock_account(&system(), &clerk.id).await.unwrap();
        w.sign_in("ga-clerk").await;
        assert_eq!(w.events("identity.account.unlocked").await.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_burst_of_guesses_cannot_slip_the_right_password_past_the_lock_it_sets() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let clerk = w.staff("ga-clerk", &w.police, &[Role::Clerk]).await;
        let guesses: Vec<_> = (0..9)
            .map(|_| {
                let id = w.id.clone();
                tokio::spawn(async move { id.login("ga-clerk", "Wrong-Pass-1", ctx()).await })
            })
            .collect();
        // Once the burst is being checked, the right password joins it.
        for _ in 0..500 {
            if !w.events("identity.login.failed").await.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let right = w.id.login("ga-clerk", PASSWORD, ctx()).await;
        assert!(
            matches!(right, Err(Error::SourceBlocked { .. })),
            "the right password after five wrong ones from that address meets the pause: {right:?}"
        );
        for g in guesses {
            let e = g.await.unwrap().unwrap_err();
            assert!(
                matches!(e, Error::BadCredentials | Error::SourceBlocked { .. }),
                "{e:?}"
            );
        }
        // Five passwords were checked, one pause of five minutes was set on that address, and
        // it holds; the account itself is not locked.
        let failed = w.events("identity.login.failed").await;
        let checked = failed
            .iter()
            .filter(|e| e.detail.contains("bad_password"))
            .count();
        assert_eq!(checked, 5);
        assert_eq!(w.events("identity.login.source_blocked").await.len(), 1);
        assert!(w.events("identity.login.succeeded").await.is_empty());
        let view = w.id.get_user(&system(), &clerk.id).await.unwrap();
        assert_eq!(view.status, AccountStatus::Active);
        w.advance_ms(5 * 60 * 1000 + 1000);
        w.sign_in("ga-clerk").await;
    })
    .await;
}

#[tokio::test]
async fn attempts_beyond_the_address_and_account_limits_are_refused_before_any_hashing() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        // Unknown names from one address: the burst passes (each hashed, as for a real
        // account), then the address must wait.
        let (burst, per_minute) = tongban_identity::PER_ADDRESS;
        for n in 0..burst {
            let e =
                w.id.login(&format!("nobody{n}"), "Wrong-Pass-1", ctx())
                    .await
                    .unwrap_err();
            assert!(matches!(e, Error::BadCredentials), "attempt {n}: {e:?}");
        }
        let e =
            w.id.login("nobody-more", "Wrong-Pass-1", ctx())
                .await
                .unwrap_err();
        let Error::TooMany { retry_after_s } = e else {
            panic!("expected a wait, got {e:?}");
        };
        assert!(
            retry_after_s >= 1 && retry_after_s <= u64::from(60 / per_minute) + 1,
            "{retry_after_s}"
        );
        assert!(e.to_string().contains("秒后再试"));
        // Refused attempts are not hashed or recorded one by one.
        assert_eq!(w.events("identity.login.failed").await.len(), burst as usize);
        // Another address is not held up by this one, and the right password still works there.
        w.staff("ga-clerk", &w.police, &[Role::Clerk]).await;
        let elsewhere = tongban_identity::LoginContext {
            ip: Some("198.51.100.9".into()),
            user_agent: None,
        };
        assert!(w.id.login("ga-clerk", PASSWORD, elsewhere.clone()).await.is_ok());
        // Successful sign-ins do not use up the account's attempts.
        for _ in 0..tongban_identity::PER_ACCOUNT.0 * 2 {
            assert!(w.id.login("ga-clerk", PASSWORD, elsewhere.clone()).await.is_ok());
        }
        // A minute later the first address may try again.
        w.advance_ms(60_000);
        let e =
            w.id.login("nobody-again", "Wrong-Pass-1", ctx())
                .await
                .unwrap_err();
        assert!(matches!(e, Error::BadCredentials), "{e:?}");
    })
    .await;
}
