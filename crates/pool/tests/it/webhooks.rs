//! Webhooks for new versions: department systems subscribe, a delivery is queued once per new
//! version, signed with the subscription's secret, retried after a failure and given up after
//! the policy's attempts. Each run on SQLite and (when `TONGBAN_TEST_DATABASE_URL` is set)
//! PostgreSQL.

use crate::exchange::system_of;
use crate::query::{CIVIL, grant, only_west, people};
use crate::support::{CODE, Fixture, system};
use std::time::Duration;
use tongban_pool::webhook::{SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature};
use tongban_pool::{Attempt, Error, Outgoing, RetryPolicy};
use tongban_test_support::each_backend;

fn header<'a>(out: &'a Outgoing, name: &str) -> &'a str {
    out.headers
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("{name} is sent"))
}

#[tokio::test]
async fn a_new_version_is_queued_once_signed_retried_and_given_up() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        f.load(&people()).await;
        grant(&f, &["id_number", "district", "age"], only_west()).await;
        let caller = system_of(CIVIL);
        let hook = "https://mz.example.gov.cn/hooks/tongban";

        // Only department systems subscribe, only with a grant, only to https (or loopback).
        assert!(matches!(
            f.pool.subscribe(&system(), CODE, hook, false).await,
            Err(Error::Forbidden { .. })
        ));
        assert!(
            f.pool
                .subscribe(&system_of("/3301/3301-JY/"), CODE, hook, false)
                .await
                .is_err()
        );
        match f
            .pool
            .subscribe(&caller, CODE, "http://mz.example.gov.cn/hook", false)
            .await
        {
            Err(Error::Invalid(invalid)) => assert_eq!(invalid.field, "url"),
            other => panic!("plain http to another machine must be refused: {other:?}"),
        }
        let (sub, secret) = f.pool.subscribe(&caller, CODE, hook, false).await.unwrap();
        assert!(secret.starts_with("whsec_"));

        // Version 2 lands: one delivery, queued once however often the queue runs.
        f.load(&people()).await;
        assert_eq!(f.pool.queue_webhooks().await.unwrap(), 1);
        assert_eq!(f.pool.queue_webhooks().await.unwrap(), 0);
        let sent = f.pool.claim_webhooks(10).await.unwrap();
        assert_eq!(sent.len(), 1);
        let out = &sent[0];
        assert_eq!((out.url.as_str(), out.attempt), (hook, 1));
        let at: i64 = header(out, TIMESTAMP_HEADER).parse().unwrap();
        let signature = header(out, SIGNATURE_HEADER);
        assert!(verify_signature(&secret, at, &out.body, signature));
        assert!(
            !verify_signature(&secret, at + 1, &out.body, signature),
            "the time is signed"
        );
        assert!(!verify_signature("whsec_other", at, &out.body, signature));
        let body: serde_json::Value = serde_json::from_str(&out.body).unwrap();
        assert_eq!(body["version"], 2, "{body}");
        assert!(
            f.pool.claim_webhooks(10).await.unwrap().is_empty(),
            "held while being sent"
        );

        // A 500, then no answer: with two attempts allowed, it is given up.
        let policy = RetryPolicy {
            max_attempts: 2,
            base: Duration::ZERO,
            cap: Duration::ZERO,
        };
        f.pool
            .record_webhook_attempt(out, &Attempt::Answered(500), &policy)
            .await
            .unwrap();
        let again = f.pool.claim_webhooks(10).await.unwrap();
        assert_eq!(again.len(), 1, "retried");
        assert_eq!((again[0].id.as_str(), again[0].attempt), (out.id.as_str(), 2));
        f.pool
            .record_webhook_attempt(
                &again[0],
                &Attempt::Unreachable("connection refused".into()),
                &policy,
            )
            .await
            .unwrap();
        assert!(f.pool.claim_webhooks(10).await.unwrap().is_empty(), "given up");
        let (s, log) = f.pool.subscription(&caller, CODE, &sub.id, 10).await.unwrap();
        assert_eq!((s.failed, s.delivered, s.pending), (1, 0, 0));
        assert_eq!((log[0].status.as_str(), log[0].attempts), ("failed", 2));
        assert_eq!(log[0].last_error.as_deref(), Some("connection refused"));

        // Version 3 is delivered at the first try.
        f.load(&people()).await;
        assert_eq!(f.pool.queue_webhooks().await.unwrap(), 1);
        let sent = f.pool.claim_webhooks(10).await.unwrap();
        f.pool
            .record_webhook_attempt(&sent[0], &Attempt::Answered(204), &policy)
            .await
            .unwrap();
        let (s, _) = f.pool.subscription(&caller, CODE, &sub.id, 10).await.unwrap();
        assert_eq!((s.failed, s.delivered), (1, 1));

        // After unsubscribing, new versions queue nothing.
        f.pool.unsubscribe(&caller, CODE, &sub.id).await.unwrap();
        f.load(&people()).await;
        assert_eq!(f.pool.queue_webhooks().await.unwrap(), 0);
    })
    .await;
}
