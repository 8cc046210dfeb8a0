//! The ledger worker: chains committed events in `seq` order and signs checkpoints.

use crate::hash::{self, Digest32};
use crate::{Error, Result};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use tongban_crypto::SigningKey;
use tongban_db::event::COLUMNS;
use tongban_db::{Db, Row, Tx, Value, params};
use tongban_kernel::Millis;
use tongban_kernel::msg;

/// How often the ledger signs, and how much it chains per transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerConfig {
    /// Sign a checkpoint after this many new entries (default 100).
    pub checkpoint_every: u32,
    /// Sign a checkpoint once the oldest unsigned entry has waited this long (default 60 s).
    pub checkpoint_interval: Duration,
    /// Events chained per write transaction (default 1,000; at most 10,000).
    pub batch: u32,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        Self {
            checkpoint_every: 100,
            checkpoint_interval: Duration::from_secs(60),
            batch: 1000,
        }
    }
}

/// A signed checkpoint: the platform's SM2 signature over the chain hash at `upto_seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checkpoint {
    /// The last entry it covers.
    pub upto_seq: i64,
    /// `chain_{upto_seq}`, hex.
    pub chain_hash: String,
    /// When it was signed (also part of the signed message).
    pub signed: Millis,
    /// The signing key's fingerprint.
    pub key_fingerprint: String,
    /// `r || s`, hex.
    pub signature: String,
}

/// The ledger writer. Cheap to clone; any number of clones (in one process or several) may run
/// [`Ledger::catch_up`] at once without duplicating or skipping an entry.
#[derive(Clone)]
pub struct Ledger {
    db: Db,
    signer: Arc<SigningKey>,
    fingerprint: Arc<str>,
    config: LedgerConfig,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("db", &self.db)
            .field("key", &self.fingerprint)
            .field("config", &self.config)
            .finish()
    }
}

/// The chain's end as stored: the last entry's seq and chain hash (0 and genesis when empty).
struct Head {
    seq: i64,
    chain: Digest32,
}

/// Rows per multi-row INSERT (4 parameters each, well under both backends' limits).
const INSERT_CHUNK: usize = 500;

impl Ledger {
    /// A ledger over `db` that signs with `signer` (the platform key from the keyring).
    pub fn new(db: Db, signer: SigningKey, config: LedgerConfig) -> Self {
        let fingerprint = signer.verifying_key().fingerprint();
        Self {
            db,
            signer: Arc::new(signer),
            fingerprint: fingerprint.into(),
            config: LedgerConfig {
                checkpoint_every: config.checkpoint_every.max(1),
                checkpoint_interval: config.checkpoint_interval,
                batch: config.batch.clamp(1, 10_000),
            },
        }
    }

    /// The configuration in force (after clamping).
    pub fn config(&self) -> LedgerConfig {
        self.config
    }

    /// Chains every committed event not yet chained, a batch per transaction, signing
    /// checkpoints as they fall due. Returns the number of entries added.
    pub async fn catch_up(&self) -> Result<u64> {
        if !self.work_pending().await? {
            return Ok(0);
        }
        let mut total = 0;
        loop {
            let (added, more) = self.chain_batch().await?;
            total += added;
            if !more {
                return Ok(total);
            }
        }
    }

    /// Signs a checkpoint at the current head now if it has unsigned entries (for shutdown and
    /// the CLI). Returns the checkpoint, or `None` when the head is already signed.
    #[tracing::instrument(skip_all)]
    pub async fn checkpoint_now(&self) -> Result<Option<Checkpoint>> {
        let mut tx = self.db.begin_write().await?;
        lock_writer(&mut tx).await?;
        let head = head_in(&mut tx).await?;
        let (signed_upto, _) = last_checkpoint_in(&mut tx).await?;
        if head.seq <= signed_upto {
            return Ok(None);
        }
        let cp = self.sign(head.seq, &head.chain, Millis::now());
        insert_checkpoints(&mut tx, std::slice::from_ref(&cp)).await?;
        tx.commit().await?;
        Ok(Some(cp))
    }

    /// Runs until `shutdown` turns true (or its sender is dropped): catches up whenever events
    /// commit and at least every second, logging failures and carrying on. Signs the head on
    /// the way out.
    pub async fn run(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tracing::info!(key = %self.fingerprint, "ledger worker started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            match self.catch_up().await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(entries = n, "ledger chained"),
                Err(e) => tracing::error!(error = %e, "ledger catch-up failed"),
            }
            tokio::select! {
                _ = self.db.events_committed() => {}
                _ = tick.tick() => {}
                changed = shutdown.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
            }
        }
        if let Err(e) = self.catch_up().await {
            tracing::error!(error = %e, "ledger catch-up at shutdown failed");
        }
        match self.checkpoint_now().await {
            Ok(Some(cp)) => tracing::info!(upto_seq = cp.upto_seq, "ledger checkpoint at shutdown"),
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "ledger checkpoint at shutdown failed"),
        }
        tracing::info!("ledger worker stopped");
    }

    /// A cheap read-only look: is there anything to chain, or a checkpoint due by time? Saves
    /// the idle worker from taking the write lock every second.
    async fn work_pending(&self) -> Result<bool> {
        let r = self
            .db
            .fetch_one(
                "SELECT (SELECT last_seq FROM event_counter WHERE id = 1) AS last_seq, \
                 (SELECT MAX(seq) FROM ledger_entries) AS head, \
                 (SELECT MAX(upto_seq) FROM ledger_checkpoints) AS signed",
                params![],
            )
            .await?;
        let last: Option<i64> = r.get("last_seq")?;
        let head = r.get::<Option<i64>>("head")?.unwrap_or(0);
        let signed = r.get::<Option<i64>>("signed")?.unwrap_or(0);
        if last.unwrap_or(0) > head {
            return Ok(true);
        }
        if head <= signed {
            return Ok(false);
        }
        let oldest: Option<Millis> = self
            .db
            .fetch_optional(
                "SELECT at_ms FROM ledger_entries WHERE seq > $1 ORDER BY seq LIMIT 1",
                params![signed],
            )
            .await?
            .map(|r| r.get("at_ms"))
            .transpose()?;
        Ok(oldest.is_some_and(|at| self.interval_passed(at, Millis::now())))
    }

    fn interval_passed(&self, since: Millis, now: Millis) -> bool {
        let wait = i64::try_from(self.config.checkpoint_interval.as_millis()).unwrap_or(i64::MAX);
        now.0.saturating_sub(since.0) >= wait
    }

    /// Chains up to one batch in one transaction. Returns (entries added, whether a full batch
    /// was read so more may follow).
    async fn chain_batch(&self) -> Result<(u64, bool)> {
        let mut tx = self.db.begin_write().await?;
        lock_writer(&mut tx).await?;
        // Read under the lock: whatever another writer committed before is now the head.
        let head = head_in(&mut tx).await?;
        let (signed_upto, _) = last_checkpoint_in(&mut tx).await?;
        let rows = tx
            .fetch_all(
                &format!("SELECT {COLUMNS} FROM events WHERE seq > $1 ORDER BY seq LIMIT $2"),
                params![head.seq, self.config.batch],
            )
            .await?;
        let now = Millis::now();
        let every = i64::from(self.config.checkpoint_every);
        let mut chain = head.chain;
        let mut seq = head.seq;
        let mut unsigned = head.seq - signed_upto;
        let mut entries = Vec::with_capacity(rows.len());
        let mut checkpoints = Vec::new();
        let mut buf = Vec::with_capacity(512);
        // Chain up to a hole or an unreadable event, commit that much, then report it.
        let mut stuck = None;
        for row in &rows {
            let next = seq + 1;
            let found = row_seq(row);
            if found != Some(next) {
                stuck = Some(Error::Stuck {
                    seq: next,
                    reason: match found {
                        Some(s) => msg!("next-event-seq-s", s = s),
                        None => msg!("unreadable-event-seq"),
                    },
                });
                break;
            }
            buf.clear();
            if let Err(column) = hash::canonical_row_bytes(row.values(), &mut buf) {
                stuck = Some(Error::Stuck {
                    seq: next,
                    reason: msg!("event-column-column-has", column = column),
                });
                break;
            }
            let event_hash = tongban_crypto::sm3(&buf);
            chain = hash::chain_next(&chain, &event_hash, next);
            seq = next;
            unsigned += 1;
            entries.push((seq, event_hash, chain));
            if unsigned >= every {
                checkpoints.push(self.sign(seq, &chain, now));
                unsigned = 0;
            }
        }
        if unsigned > 0 {
            // Due by time when the oldest unsigned entry has waited the interval.
            let oldest = if seq - unsigned >= head.seq {
                Some(now) // it is in this batch
            } else {
                tx.fetch_optional(
                    "SELECT at_ms FROM ledger_entries WHERE seq = $1",
                    params![seq - unsigned + 1],
                )
                .await?
                .map(|r| r.get::<Millis>("at_ms"))
                .transpose()?
            };
            if oldest.is_some_and(|at| self.interval_passed(at, now)) {
                checkpoints.push(self.sign(seq, &chain, now));
            }
        }
        if entries.is_empty() && checkpoints.is_empty() {
            tx.rollback().await?;
        } else {
            insert_entries(&mut tx, &entries, now).await?;
            insert_checkpoints(&mut tx, &checkpoints).await?;
            tx.commit().await?;
        }
        if let Some(e) = stuck {
            return Err(e);
        }
        let added = entries.len() as u64;
        Ok((added, rows.len() >= self.config.batch as usize))
    }

    fn sign(&self, upto_seq: i64, chain: &Digest32, signed: Millis) -> Checkpoint {
        let sig = self
            .signer
            .sign(&hash::checkpoint_message(upto_seq, chain, signed));
        Checkpoint {
            upto_seq,
            chain_hash: hex::encode(chain),
            signed,
            key_fingerprint: self.fingerprint.to_string(),
            signature: hex::encode(sig),
        }
    }
}

fn row_seq(row: &Row) -> Option<i64> {
    match row.values().first() {
        Some(Value::Int(s)) => Some(*s),
        _ => None,
    }
}

/// Takes the ledger writer's row lock: on PostgreSQL a second writer waits here until the first
/// commits, then reads the head the first one left.
async fn lock_writer(tx: &mut Tx) -> Result<()> {
    tx.execute(
        "UPDATE ledger_writer SET held_ms = $1 WHERE id = 1",
        params![Millis::now()],
    )
    .await?;
    Ok(())
}

async fn head_in(tx: &mut Tx) -> Result<Head> {
    let Some(r) = tx
        .fetch_optional(
            "SELECT seq, chain_hash FROM ledger_entries ORDER BY seq DESC LIMIT 1",
            params![],
        )
        .await?
    else {
        return Ok(Head {
            seq: 0,
            chain: hash::genesis(),
        });
    };
    let seq: i64 = r.get("seq")?;
    let text: String = r.get("chain_hash")?;
    let chain = hash::parse_digest(&text).ok_or_else(|| Error::Stuck {
        seq: seq + 1,
        reason: msg!("chain-hash-entry-seq", seq = seq),
    })?;
    Ok(Head { seq, chain })
}

/// The last signed seq (0 when none) and when it was signed.
async fn last_checkpoint_in(tx: &mut Tx) -> Result<(i64, Option<Millis>)> {
    Ok(
        match tx
            .fetch_optional(
                "SELECT upto_seq, signed_ms FROM ledger_checkpoints ORDER BY upto_seq DESC LIMIT 1",
                params![],
            )
            .await?
        {
            Some(r) => (r.get("upto_seq")?, Some(r.get("signed_ms")?)),
            None => (0, None),
        },
    )
}

async fn insert_entries(tx: &mut Tx, entries: &[(i64, Digest32, Digest32)], at: Millis) -> Result<()> {
    for chunk in entries.chunks(INSERT_CHUNK) {
        let mut sql = String::with_capacity(80 + chunk.len() * 24);
        sql.push_str("INSERT INTO ledger_entries (seq, event_hash, chain_hash, at_ms) VALUES ");
        let mut values = Vec::with_capacity(chunk.len() * 4);
        for (i, (seq, event_hash, chain)) in chunk.iter().enumerate() {
            let p = i * 4;
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("(${}, ${}, ${}, ${})", p + 1, p + 2, p + 3, p + 4));
            values.push(Value::Int(*seq));
            values.push(Value::Text(hex::encode(event_hash)));
            values.push(Value::Text(hex::encode(chain)));
            values.push(Value::Int(at.0));
        }
        // The writer lock makes a conflict impossible between ledgers; should a row exist
        // anyway, refuse the whole batch rather than chain over it.
        sql.push_str(" ON CONFLICT (seq) DO NOTHING");
        let inserted = tx.execute(&sql, values).await?;
        if inserted != chunk.len() as u64 {
            return Err(Error::Conflict(format!(
                "{} of {} entries already existed",
                chunk.len() as u64 - inserted,
                chunk.len()
            )));
        }
    }
    Ok(())
}

async fn insert_checkpoints(tx: &mut Tx, cps: &[Checkpoint]) -> Result<()> {
    for cp in cps {
        tx.execute(
            "INSERT INTO ledger_checkpoints (upto_seq, chain_hash, signed_ms, key_fingerprint, signature) \
             VALUES ($1, $2, $3, $4, $5)",
            params![
                cp.upto_seq,
                cp.chain_hash,
                cp.signed,
                cp.key_fingerprint,
                cp.signature
            ],
        )
        .await?;
    }
    Ok(())
}
