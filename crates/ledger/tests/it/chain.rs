//! Chaining: in order, once, with checkpoints by count and by time, safe to run concurrently.

use crate::support::*;
use std::time::Duration;
use tongban_crypto::SigningKey;
use tongban_db::{event, params};
use tongban_ledger::{Error, Ledger, LedgerConfig, MIGRATIONS, hash, status, verify};
use tongban_test_support::each_backend;

#[tokio::test]
async fn every_event_is_chained_and_checkpointed_every_three() {
    each_backend(&[MIGRATIONS], |db| async move {
        let vk = chained_ten(&db).await;
        assert_eq!(count(&db, "ledger_entries").await, 10);
        let signed: Vec<i64> = db
            .fetch_all(
                "SELECT upto_seq FROM ledger_checkpoints ORDER BY upto_seq",
                params![],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get("upto_seq").unwrap())
            .collect();
        assert_eq!(signed, vec![3, 6, 9]);

        let r = verify(&db, &[vk]).await.unwrap();
        assert!(r.ok, "{}", r.summary());
        assert_eq!((r.entries, r.checkpoints, r.events_pending), (10, 3, 0));
        assert_eq!(
            r.summary(),
            "账本校验通过：10 条记录、3 个签名检查点 / ledger verified: 10 entries, 3 checkpoints"
        );
    })
    .await;
}

#[tokio::test]
async fn stored_hashes_follow_the_documented_recipe() {
    each_backend(&[MIGRATIONS], |db| async move {
        chained_ten(&db).await;
        let events = event::read_after(&db, 0, 100).await.unwrap();
        let mut chain = hash::genesis();
        for e in &events {
            let eh = hash::event_hash(e);
            chain = hash::chain_next(&chain, &eh, e.seq);
            let r = db
                .fetch_one(
                    "SELECT event_hash, chain_hash FROM ledger_entries WHERE seq = $1",
                    params![e.seq],
                )
                .await
                .unwrap();
            assert_eq!(r.get::<String>("event_hash").unwrap(), hex::encode(eh));
            assert_eq!(r.get::<String>("chain_hash").unwrap(), hex::encode(chain));
        }
    })
    .await;
}

#[tokio::test]
async fn catching_up_twice_adds_nothing_and_later_events_continue_the_chain() {
    each_backend(&[MIGRATIONS], |db| async move {
        write_events(&db, 5).await;
        let (l, vk) = ledger(&db, 3);
        assert_eq!(l.catch_up().await.unwrap(), 5);
        assert_eq!(l.catch_up().await.unwrap(), 0);
        assert_eq!(count(&db, "ledger_entries").await, 5);

        // A restarted worker (a new Ledger, another key) picks up at the head.
        write_events(&db, 4).await;
        let (again, vk2) = ledger(&db, 3);
        assert_eq!(again.catch_up().await.unwrap(), 4);
        assert_eq!(count(&db, "ledger_entries").await, 9);
        let r = verify(&db, &[vk.clone(), vk2]).await.unwrap();
        assert!(r.ok, "{}", r.summary());
        assert_eq!(r.checkpoints, 3);

        // Without the second key, the checkpoint it signed (at 6) is refused.
        let r = verify(&db, &[vk]).await.unwrap();
        assert_problem(&r, 6, tongban_ledger::ProblemKind::CheckpointSignature);
    })
    .await;
}

#[tokio::test]
async fn concurrent_catch_ups_never_duplicate_or_skip() {
    each_backend(&[MIGRATIONS], |db| async move {
        let key = SigningKey::generate();
        let vk = key.verifying_key();
        let config = LedgerConfig {
            checkpoint_every: 5,
            checkpoint_interval: Duration::from_secs(3600),
            batch: 3,
        };
        let ledgers: Vec<Ledger> = (0..4)
            .map(|_| Ledger::new(db.clone(), key.clone(), config))
            .collect();
        let writer = {
            let db = db.clone();
            tokio::spawn(async move { write_events(&db, 40).await })
        };
        let mut tasks = Vec::new();
        for l in ledgers.clone() {
            tasks.push(tokio::spawn(async move {
                let mut n = 0;
                for _ in 0..15 {
                    n += l.catch_up().await.unwrap();
                    tokio::task::yield_now().await;
                }
                n
            }));
        }
        writer.await.unwrap();
        let mut total = 0;
        for t in tasks {
            total += t.await.unwrap();
        }
        total += ledgers[0].catch_up().await.unwrap();
        assert_eq!(total, 40, "each event chained exactly once");
        assert_eq!(count(&db, "ledger_entries").await, 40);
        assert_eq!(count(&db, "ledger_checkpoints").await, 8);
        let r = verify(&db, &[vk]).await.unwrap();
        assert!(r.ok, "{}", r.summary());
        assert_eq!(r.entries, 40);
    })
    .await;
}

#[tokio::test]
async fn unsigned_entries_are_signed_once_the_interval_passes() {
    each_backend(&[MIGRATIONS], |db| async move {
        write_events(&db, 2).await;
        let key = SigningKey::generate();
        let vk = key.verifying_key();
        let l = Ledger::new(
            db.clone(),
            key.clone(),
            LedgerConfig {
                checkpoint_every: 100,
                checkpoint_interval: Duration::from_secs(3600),
                batch: 10,
            },
        );
        l.catch_up().await.unwrap();
        assert_eq!(count(&db, "ledger_checkpoints").await, 0);
        assert_eq!(
            status(&db).await.unwrap().last_checkpoint,
            None,
            "not due within the hour"
        );

        let impatient = Ledger::new(
            db.clone(),
            key,
            LedgerConfig {
                checkpoint_every: 100,
                checkpoint_interval: Duration::ZERO,
                batch: 10,
            },
        );
        // No new events, but the unsigned ones have waited long enough.
        assert_eq!(impatient.catch_up().await.unwrap(), 0);
        let s = status(&db).await.unwrap();
        assert_eq!(s.last_checkpoint.map(|c| c.0), Some(2));
        assert_eq!(impatient.catch_up().await.unwrap(), 0);
        assert_eq!(count(&db, "ledger_checkpoints").await, 1);
        assert!(verify(&db, &[vk]).await.unwrap().ok);
    })
    .await;
}

#[tokio::test]
async fn checkpoint_now_signs_the_head_once() {
    each_backend(&[MIGRATIONS], |db| async move {
        let (l, vk) = ledger(&db, 100);
        assert_eq!(l.checkpoint_now().await.unwrap(), None, "nothing to sign");
        write_events(&db, 4).await;
        l.catch_up().await.unwrap();
        let cp = l.checkpoint_now().await.unwrap().unwrap();
        assert_eq!(cp.upto_seq, 4);
        assert_eq!(cp.key_fingerprint, vk.fingerprint());
        assert_eq!(l.checkpoint_now().await.unwrap(), None);
        let r = verify(&db, &[vk]).await.unwrap();
        assert!(r.ok && r.checkpoints == 1, "{}", r.summary());
    })
    .await;
}

#[tokio::test]
async fn the_worker_follows_commits_and_signs_the_head_on_shutdown() {
    each_backend(&[MIGRATIONS], |db| async move {
        let (l, vk) = ledger(&db, 1000);
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let worker = tokio::spawn(l.run(stopped));
        write_events(&db, 7).await;
        let mut waited = 0;
        while status(&db).await.unwrap().head_seq < 7 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            waited += 1;
            assert!(waited < 500, "worker did not catch up");
        }
        stop.send(true).unwrap();
        worker.await.unwrap();
        let s = status(&db).await.unwrap();
        assert_eq!((s.last_event_seq, s.head_seq, s.lag), (7, 7, 0));
        assert_eq!(s.last_checkpoint.map(|c| c.0), Some(7));
        assert!(verify(&db, &[vk]).await.unwrap().ok);
    })
    .await;
}

#[tokio::test]
async fn a_missing_event_stops_the_chain_instead_of_skipping_it() {
    each_backend(&[MIGRATIONS], |db| async move {
        write_events(&db, 2).await;
        let (l, vk) = ledger(&db, 100);
        l.catch_up().await.unwrap();
        write_events(&db, 3).await;
        exec(&db, "DELETE FROM events WHERE seq = 4").await;
        let err = l.catch_up().await.unwrap_err();
        assert!(matches!(err, Error::Stuck { seq: 4, .. }), "{err}");
        assert_eq!(status(&db).await.unwrap().head_seq, 3);
        // Verification names the hole in the pending events.
        let r = verify(&db, &[vk]).await.unwrap();
        assert_problem(&r, 4, tongban_ledger::ProblemKind::EventMissing);
    })
    .await;
}

#[tokio::test]
async fn pending_events_are_counted_not_blamed() {
    each_backend(&[MIGRATIONS], |db| async move {
        let vk = chained_ten(&db).await;
        write_events(&db, 3).await;
        let r = verify(&db, &[vk]).await.unwrap();
        assert!(r.ok, "{}", r.summary());
        assert_eq!((r.entries, r.events_pending), (10, 3));
        assert!(r.summary().contains("3 条事件待入链"), "{}", r.summary());
        let s = status(&db).await.unwrap();
        assert_eq!((s.last_event_seq, s.head_seq, s.lag), (13, 10, 3));
        assert_eq!(s.last_checkpoint.map(|c| c.0), Some(9));
    })
    .await;
}

#[tokio::test]
async fn an_empty_ledger_verifies() {
    each_backend(&[MIGRATIONS], |db| async move {
        let r = verify(&db, &[]).await.unwrap();
        assert!(r.ok && r.entries == 0 && r.checkpoints == 0, "{}", r.summary());
    })
    .await;
}
