use crate::support::{PASSWORD, World, ctx, system};
use tongban_db::params;
use tongban_identity::{Error, LoginOutcome, MIGRATIONS};
use tongban_kernel::Role;
use tongban_test_support::each_backend;

const MINUTE: i64 = 60 * 1000;

fn unauthenticated<T: std::fmt::Debug>(r: Result<T, Error>) {
    match r {
        Err(Error::Unauthenticated) => {}
        other => panic!("expected Unauthenticated, got {other:?}"),
    }
}

#[tokio::test]
async fn idle_sessions_expire_and_use_slides_the_idle_window() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        w.staff("ga-clerk", &w.police, &[Role::Clerk]).await;
        let (token, first) = w.sign_in("ga-clerk").await;
        let (idle_token, _) = w.sign_in("ga-clerk").await;

        w.advance_ms(20 * MINUTE);
        let again = w.id.authenticate_full(&token).await.unwrap();
        assert!(again.session.idle_expires > first.session.idle_expires);
        assert_eq!(again.session.absolute_expires, first.session.absolute_expires);

        w.advance_ms(20 * MINUTE);
        // 40 minutes after sign-in: the used session lives on, the idle one has ended.
        w.id.authenticate_full(&token).await.unwrap();
        unauthenticated(w.id.authenticate(&idle_token).await);
    })
    .await;
}

#[tokio::test]
async fn sessions_end_at_the_absolute_limit_however_busy() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        w.staff("ga-clerk", &w.police, &[Role::Clerk]).await;
        let (token, _) = w.sign_in("ga-clerk").await;
        for _ in 0..(12 * 60 / 25) {
            w.advance_ms(25 * MINUTE);
            w.id.authenticate_full(&token).await.unwrap();
        }
        w.advance_ms(25 * MINUTE);
        unauthenticated(w.id.authenticate(&token).await);
    })
    .await;
}

#[tokio::test]
async fn sign_out_and_revoking_own_sessions_end_them_but_not_others_sessions() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        w.staff("ga-clerk", &w.police, &[Role::Clerk]).await;
        w.staff("mz-clerk", &w.civil, &[Role::Clerk]).await;
        let (t1, s1) = w.sign_in("ga-clerk").await;
        let (t2, s2) = w.sign_in("ga-clerk").await;
        let (t3, s3) = w.sign_in("mz-clerk").await;
        let me = s1.principal.clone();

        let mine = w.id.list_sessions(&me).await.unwrap();
        assert_eq!(mine.len(), 2);
        assert!(mine.iter().all(|s| s.account_id.as_str() == me.id));

        // Someone else's session cannot be revoked, or even seen to exist.
        let e = w.id.revoke_session(&me, &s3.session.id).await.unwrap_err();
        assert!(matches!(e, Error::NotFound { .. }), "{e:?}");
        w.id.authenticate_full(&t3).await.unwrap();

        w.id.revoke_session(&me, &s2.session.id).await.unwrap();
        unauthenticated(w.id.authenticate(&t2).await);
        assert_eq!(w.id.list_sessions(&me).await.unwrap().len(), 1);
        assert_eq!(w.events("identity.session.revoked").await.len(), 1);

        w.id.logout(&t1).await.unwrap();
        unauthenticated(w.id.authenticate(&t1).await);
        w.id.logout(&t1).await.unwrap();
        w.id.logout("not-a-token").await.unwrap();
        assert_eq!(w.events("identity.session.ended").await.len(), 1);
        unauthenticated(w.id.authenticate("forged-token").await);
        unauthenticated(w.id.authenticate("").await);
    })
    .await;
}

#[tokio::test]
async fn session_tokens_are_stored_only_as_hashes() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        w.staff("ga-clerk", &w.police, &[Role::Clerk]).await;
        let LoginOutcome::Full(s) = w.id.login("ga-clerk", PASSWORD, ctx()).await.unwrap() else {
            panic!("expected a full session");
        };
        let rows =
            w.db.fetch_all("SELECT token_hash, csrf_token FROM sessions", params![])
                .await
                .unwrap();
        assert_eq!(rows.len(), 1);
        let hash: String = rows[0].get("token_hash").unwrap();
        assert_eq!(hash.len(), 64);
        assert_ne!(hash, s.token);
        assert!(!hash.contains(&s.token));
    })
    .await;
}

#[tokio::test]
async fn password_changes_end_other_sessions_and_purging_clears_old_ones() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        w.staff("ga-clerk", &w.police, &[Role::Clerk]).await;
        let (t1, s1) = w.sign_in("ga-clerk").await;
        let (t2, _) = w.sign_in("ga-clerk").await;
        let e =
            w.id.change_password(&s1.principal, "Wrong-Pass-1", "Fresh-Pass-2026", None)
                .await
                .unwrap_err();
        assert!(
            matches!(e, Error::Invalid(ref i) if i.field == "current_password"),
            "{e:?}"
        );
        w.id.change_password(&s1.principal, PASSWORD, "Fresh-Pass-2026", Some(&s1.session.id))
            .await
            .unwrap();
        w.id.authenticate_full(&t1).await.unwrap();
        unauthenticated(w.id.authenticate(&t2).await);
        w.id.login("ga-clerk", "Fresh-Pass-2026", ctx()).await.unwrap();

        w.advance_ms(8 * 24 * 60 * MINUTE);
        let purged = w.id.purge_expired(&system()).await.unwrap();
        assert_eq!(purged, 3);
        assert_eq!(w.id.purge_expired(&system()).await.unwrap(), 0);
    })
    .await;
}
