//! Tampering with the database by hand is found, and the first bad entry is named.

use crate::support::*;
use tongban_crypto::SigningKey;
use tongban_db::{Db, event, params};
use tongban_ledger::{MIGRATIONS, ProblemKind, hash, verify};
use tongban_test_support::each_backend;

async fn verify_with(db: &Db, vk: &tongban_crypto::VerifyingKey) -> tongban_ledger::VerifyReport {
    verify(db, std::slice::from_ref(vk)).await.expect("verify")
}

#[tokio::test]
async fn a_changed_event_summary_is_named() {
    each_backend(&[MIGRATIONS], |db| async move {
        let vk = chained_ten(&db).await;
        exec(
            &db,
            "UPDATE events SET summary = '无事发生 / nothing happened' WHERE seq = 5",
        )
        .await;
        let r = verify_with(&db, &vk).await;
        assert_problem(&r, 5, ProblemKind::EventAltered);
        assert_eq!(r.entries, 4, "entries before the bad one were checked");
    })
    .await;
}

#[tokio::test]
async fn a_changed_event_time_or_actor_is_named() {
    each_backend(&[MIGRATIONS], |db| async move {
        let vk = chained_ten(&db).await;
        exec(&db, "UPDATE events SET at_ms = at_ms + 1 WHERE seq = 8").await;
        assert_problem(&verify_with(&db, &vk).await, 8, ProblemKind::EventAltered);
        exec(&db, "UPDATE events SET actor_dept = '/x/' WHERE seq = 2").await;
        assert_problem(&verify_with(&db, &vk).await, 2, ProblemKind::EventAltered);
    })
    .await;
}

#[tokio::test]
async fn a_deleted_event_is_named() {
    each_backend(&[MIGRATIONS], |db| async move {
        let vk = chained_ten(&db).await;
        exec(&db, "DELETE FROM events WHERE seq = 4").await;
        assert_problem(&verify_with(&db, &vk).await, 4, ProblemKind::EventMissing);
    })
    .await;
}

#[tokio::test]
async fn the_last_chained_event_deleted_is_named() {
    each_backend(&[MIGRATIONS], |db| async move {
        let vk = chained_ten(&db).await;
        exec(&db, "DELETE FROM events WHERE seq = 10").await;
        assert_problem(&verify_with(&db, &vk).await, 10, ProblemKind::EventMissing);
    })
    .await;
}

#[tokio::test]
async fn swapped_event_contents_are_named_at_the_first() {
    each_backend(&[MIGRATIONS], |db| async move {
        let vk = chained_ten(&db).await;
        let a = event::read_after(&db, 2, 1).await.unwrap().remove(0);
        let b = event::read_after(&db, 5, 1).await.unwrap().remove(0);
        for (seq, from) in [(3i64, &b), (6, &a)] {
            db.execute(
                "UPDATE events SET summary = $1, detail = $2 WHERE seq = $3",
                params![from.summary, from.detail, seq],
            )
            .await
            .unwrap();
        }
        assert_problem(&verify_with(&db, &vk).await, 3, ProblemKind::EventAltered);
    })
    .await;
}

#[tokio::test]
async fn swapped_event_seqs_are_named_at_the_first() {
    each_backend(&[MIGRATIONS], |db| async move {
        let vk = chained_ten(&db).await;
        exec(&db, "UPDATE events SET seq = -seq WHERE seq IN (4, 7)").await;
        exec(&db, "UPDATE events SET seq = 7 WHERE seq = -4").await;
        exec(&db, "UPDATE events SET seq = 4 WHERE seq = -7").await;
        assert_problem(&verify_with(&db, &vk).await, 4, ProblemKind::EventAltered);
    })
    .await;
}

async fn insert_event(db: &Db, seq: i64, id: &str) {
    db.execute(
        &format!(
            "INSERT INTO events ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            event::COLUMNS
        ),
        params![
            seq,
            id,
            1i64,
            "user",
            "x",
            "mallory",
            None::<String>,
            "forged",
            "thing",
            "t",
            None::<String>,
            "伪造 / forged",
            "{}"
        ],
    )
    .await
    .expect("insert forged event");
}

#[tokio::test]
async fn an_extra_event_is_named() {
    each_backend(&[MIGRATIONS], |db| async move {
        let vk = chained_ten(&db).await;
        // Into the chained range: a forged event replacing the real one at 6.
        exec(&db, "DELETE FROM events WHERE seq = 6").await;
        insert_event(&db, 6, "forged-6").await;
        assert_problem(&verify_with(&db, &vk).await, 6, ProblemKind::EventAltered);
    })
    .await;
    each_backend(&[MIGRATIONS], |db| async move {
        let vk = chained_ten(&db).await;
        // Before the chain starts.
        insert_event(&db, 0, "forged-0").await;
        assert_problem(&verify_with(&db, &vk).await, 0, ProblemKind::EventInserted);
    })
    .await;
    each_backend(&[MIGRATIONS], |db| async move {
        let vk = chained_ten(&db).await;
        // Past the platform's counter: never numbered by a transaction.
        insert_event(&db, 500, "forged-500").await;
        assert_problem(&verify_with(&db, &vk).await, 500, ProblemKind::EventInserted);
    })
    .await;
}

#[tokio::test]
async fn a_changed_ledger_entry_is_named() {
    each_backend(&[MIGRATIONS], |db| async move {
        let vk = chained_ten(&db).await;
        db.execute(
            "UPDATE ledger_entries SET chain_hash = $1 WHERE seq = 5",
            params![hex::encode([7u8; 32])],
        )
        .await
        .unwrap();
        assert_problem(&verify_with(&db, &vk).await, 5, ProblemKind::EntryAltered);
    })
    .await;
    each_backend(&[MIGRATIONS], |db| async move {
        let vk = chained_ten(&db).await;
        exec(
            &db,
            "UPDATE ledger_entries SET event_hash = 'not hex' WHERE seq = 2",
        )
        .await;
        assert_problem(&verify_with(&db, &vk).await, 2, ProblemKind::EntryAltered);
    })
    .await;
}

#[tokio::test]
async fn a_deleted_ledger_entry_is_named() {
    each_backend(&[MIGRATIONS], |db| async move {
        let vk = chained_ten(&db).await;
        exec(&db, "DELETE FROM ledger_entries WHERE seq = 4").await;
        assert_problem(&verify_with(&db, &vk).await, 4, ProblemKind::EntryMissing);
    })
    .await;
    each_backend(&[MIGRATIONS], |db| async move {
        let vk = chained_ten(&db).await;
        // Cutting the tail off is caught by the checkpoint at 9 that signed it.
        exec(&db, "DELETE FROM ledger_entries WHERE seq >= 8").await;
        assert_problem(&verify_with(&db, &vk).await, 8, ProblemKind::EntryMissing);
    })
    .await;
}

#[tokio::test]
async fn an_inserted_ledger_entry_is_named() {
    each_backend(&[MIGRATIONS], |db| async move {
        let vk = chained_ten(&db).await;
        db.execute(
            "INSERT INTO ledger_entries (seq, event_hash, chain_hash, at_ms) VALUES ($1, $2, $3, $4)",
            params![0i64, hex::encode([1u8; 32]), hex::encode([2u8; 32]), 0i64],
        )
        .await
        .unwrap();
        assert_problem(&verify_with(&db, &vk).await, 0, ProblemKind::EntryInserted);
    })
    .await;
    each_backend(&[MIGRATIONS], |db| async move {
        let vk = chained_ten(&db).await;
        db.execute(
            "INSERT INTO ledger_entries (seq, event_hash, chain_hash, at_ms) VALUES ($1, $2, $3, $4)",
            params![11i64, hex::encode([1u8; 32]), hex::encode([2u8; 32]), 0i64],
        )
        .await
        .unwrap();
        assert_problem(&verify_with(&db, &vk).await, 11, ProblemKind::EntryInserted);
    })
    .await;
}

#[tokio::test]
async fn a_rewritten_history_is_caught_by_the_next_checkpoint() {
    each_backend(&[MIGRATIONS], |db| async move {
        let vk = chained_ten(&db).await;
        // The attacker edits event 4 and recomputes every later entry consistently.
        exec(
            &db,
            "UPDATE events SET summary = '改写 / rewritten' WHERE seq = 4",
        )
        .await;
        let events = event::read_after(&db, 0, 100).await.unwrap();
        let mut chain = hash::genesis();
        for e in &events {
            let eh = hash::event_hash(e);
            chain = hash::chain_next(&chain, &eh, e.seq);
            db.execute(
                "UPDATE ledger_entries SET event_hash = $1, chain_hash = $2 WHERE seq = $3",
                params![hex::encode(eh), hex::encode(chain), e.seq],
            )
            .await
            .unwrap();
        }
        let r = verify_with(&db, &vk).await;
        assert_problem(&r, 6, ProblemKind::CheckpointMismatch);
        assert!(r.first_problem.unwrap().detail.contains("up to 6"));
    })
    .await;
}

#[tokio::test]
async fn a_forged_checkpoint_signature_is_named() {
    each_backend(&[MIGRATIONS], |db| async move {
        let vk = chained_ten(&db).await;
        let forged = hex::encode(SigningKey::generate().sign(b"anything"));
        db.execute(
            "UPDATE ledger_checkpoints SET signature = $1 WHERE upto_seq = 6",
            params![forged],
        )
        .await
        .unwrap();
        assert_problem(&verify_with(&db, &vk).await, 6, ProblemKind::CheckpointSignature);
        exec(
            &db,
            "UPDATE ledger_checkpoints SET signature = 'zz' WHERE upto_seq = 3",
        )
        .await;
        assert_problem(&verify_with(&db, &vk).await, 3, ProblemKind::CheckpointSignature);
    })
    .await;
}

#[tokio::test]
async fn a_checkpoint_with_a_wrong_chain_hash_is_named() {
    each_backend(&[MIGRATIONS], |db| async move {
        let vk = chained_ten(&db).await;
        db.execute(
            "UPDATE ledger_checkpoints SET chain_hash = $1 WHERE upto_seq = 9",
            params![hex::encode([9u8; 32])],
        )
        .await
        .unwrap();
        assert_problem(&verify_with(&db, &vk).await, 9, ProblemKind::CheckpointMismatch);
    })
    .await;
}

#[tokio::test]
async fn a_checkpoint_re_signed_by_an_untrusted_key_fails() {
    each_backend(&[MIGRATIONS], |db| async move {
        let vk = chained_ten(&db).await;
        // Signatures by a key that is not on the trusted list do not count, whatever the
        // database says about fingerprints.
        let other = SigningKey::generate().verifying_key();
        let r = verify(&db, &[other]).await.unwrap();
        assert_problem(&r, 3, ProblemKind::CheckpointSignature);
        let r = verify(&db, &[]).await.unwrap();
        assert_problem(&r, 3, ProblemKind::CheckpointSignature);
        // The real key among others is enough.
        let r = verify(&db, &[SigningKey::generate().verifying_key(), vk])
            .await
            .unwrap();
        assert!(r.ok, "{}", r.summary());
    })
    .await;
}

#[tokio::test]
async fn a_bad_signature_before_a_later_problem_comes_first() {
    each_backend(&[MIGRATIONS], |db| async move {
        let vk = chained_ten(&db).await;
        exec(
            &db,
            "UPDATE ledger_checkpoints SET signature = '00' WHERE upto_seq = 3",
        )
        .await;
        exec(&db, "UPDATE events SET summary = 'x' WHERE seq = 8").await;
        assert_problem(&verify_with(&db, &vk).await, 3, ProblemKind::CheckpointSignature);
    })
    .await;
}
