//! Verification: recompute the chain from the events, compare it with the stored entries and the
//! signed checkpoints, and name the first bad entry.
//!
//! Events, entries and checkpoints are read as three `seq`-ordered streams in batches, the next
//! batch of each fetched while the current one is hashed, and walked together like a merge join;
//! signatures are checked on blocking threads alongside. Memory stays bounded by the batch size.

use crate::hash::{self, Digest32};
use crate::report::{Problem, ProblemKind, VerifyReport};
use crate::{Error, Result};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;
use tokio::task::JoinHandle;
use tongban_crypto::VerifyingKey;
use tongban_db::event::{self, COLUMNS};
use tongban_db::{Db, Row, Value, params};
use tongban_kernel::Millis;
use tongban_kernel::msg;

/// Rows per batch read.
const BATCH: u32 = 10_000;
/// Checkpoints per signature-checking job.
const SIG_CHUNK: usize = 32;

/// Recomputes the chain from the events and checks every entry and checkpoint; checkpoint
/// signatures must verify under one of `trusted` (keys read from the keys directory, never from
/// the database). Runs alongside live writers: it checks events up to the last seq committed
/// when it starts.
pub async fn verify(db: &Db, trusted: &[VerifyingKey]) -> Result<VerifyReport> {
    let started = Instant::now();
    let upper = event::last_seq(db).await?;
    let mut w = Walk {
        db: db.clone(),
        upper,
        events: Stream::new(db, EVENTS_SQL, upper),
        entries: Stream::new(db, ENTRIES_SQL, upper),
        checkpoints: Stream::new(db, CHECKPOINTS_SQL, upper),
        sigs: Signatures::new(trusted),
        entries_ok: 0,
        checkpoints_seen: 0,
        pending: 0,
        buf: Vec::with_capacity(1024),
    };
    let walked = w.run().await;
    // Even when the walk found a problem, a bad signature at an earlier checkpoint comes first.
    let bad_sig = w.sigs.finish().await?;
    let first_problem = match (walked?, bad_sig) {
        (Some(a), Some(b)) => Some(if b.seq < a.seq { b } else { a }),
        (a, b) => a.or(b),
    };
    let ok = first_problem.is_none();
    Ok(VerifyReport {
        ok,
        entries: w.entries_ok,
        checkpoints: w.checkpoints_seen,
        events_pending: if ok { w.pending } else { 0 },
        first_problem,
        elapsed: started.elapsed(),
    })
}

const EVENTS_SQL: &str = "events";
const ENTRIES_SQL: &str = "entries";
const CHECKPOINTS_SQL: &str = "checkpoints";

fn stream_sql(which: &str) -> String {
    match which {
        EVENTS_SQL => {
            format!("SELECT {COLUMNS} FROM events WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3")
        }
        ENTRIES_SQL => "SELECT seq, event_hash, chain_hash FROM ledger_entries \
                        WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3"
            .into(),
        _ => "SELECT upto_seq, chain_hash, signed_ms, key_fingerprint, signature \
              FROM ledger_checkpoints WHERE upto_seq > $1 AND upto_seq <= $2 \
              ORDER BY upto_seq LIMIT $3"
            .into(),
    }
}

fn problem(seq: i64, kind: ProblemKind, detail: impl std::fmt::Display) -> Option<Problem> {
    Some(Problem {
        seq,
        kind,
        detail: detail.to_string(),
    })
}

fn int_at(row: &Row, i: usize) -> Option<i64> {
    match row.values().get(i) {
        Some(Value::Int(v)) => Some(*v),
        _ => None,
    }
}

fn text_at(row: &Row, i: usize) -> Option<&str> {
    match row.values().get(i) {
        Some(Value::Text(s)) => Some(s),
        _ => None,
    }
}

struct Walk {
    db: Db,
    upper: i64,
    events: Stream,
    entries: Stream,
    checkpoints: Stream,
    sigs: Signatures,
    entries_ok: u64,
    checkpoints_seen: u64,
    pending: u64,
    buf: Vec<u8>,
}

impl Walk {
    /// Walks the chain; `Some(problem)` at the first bad seq.
    async fn run(&mut self) -> Result<Option<Problem>> {
        let mut chain = hash::genesis();
        let mut n: i64 = 1;
        loop {
            let Some(ls) = self.entries.peek_seq().await? else {
                // The chain ends at n - 1, unless a checkpoint signs beyond it. The entries
                // table is asked once more, after the checkpoints were, so an entry chained
                // meanwhile by the worker is not mistaken for a deleted one.
                self.checkpoints.refresh();
                let Some(cs) = self.checkpoints.peek_seq().await? else {
                    break;
                };
                self.entries.refresh();
                if self.entries.peek_seq().await?.is_some() {
                    continue;
                }
                return Ok(if cs < n {
                    problem(
                        cs,
                        ProblemKind::CheckpointMismatch,
                        msg!("checkpoint-position-not-chain"),
                    )
                } else {
                    problem(
                        n,
                        ProblemKind::EntryMissing,
                        msg!("checkpoint-cs-signs-past", n = n - 1, cs = cs),
                    )
                });
            };
            if ls < n {
                return Ok(problem(ls, ProblemKind::EntryInserted, msg!("seq-outside-chain")));
            }
            if ls > n {
                return Ok(problem(
                    n,
                    ProblemKind::EntryMissing,
                    msg!("next-entry-seq-ls", ls = ls),
                ));
            }
            match self.events.peek_seq().await? {
                Some(es) if es < n => {
                    return Ok(problem(es, ProblemKind::EventInserted, msg!("seq-outside-chain")));
                }
                Some(es) if es == n => {}
                _ => {
                    // An entry with no event: the event was deleted, unless the entry claims a
                    // seq the platform never numbered. (Events up to `upper` were all committed
                    // before the walk began, so the events stream cannot be behind here.)
                    let last = event::last_seq(&self.db).await?;
                    return Ok(if n > last {
                        problem(
                            n,
                            ProblemKind::EntryInserted,
                            msg!("no-such-event-last", last = last),
                        )
                    } else {
                        problem(n, ProblemKind::EventMissing, msg!("chained-event-gone"))
                    });
                }
            }
            if let Some(p) = self.check_entry(n, &mut chain) {
                return Ok(Some(p));
            }
            self.entries_ok += 1;
            self.events.advance();
            self.entries.advance();
            if let Some(p) = self.check_checkpoints(n, &chain).await? {
                return Ok(Some(p));
            }
            n += 1;
        }
        self.count_pending(n).await
    }

    /// Compares entry `n` with event `n` and advances `chain`.
    fn check_entry(&mut self, n: i64, chain: &mut Digest32) -> Option<Problem> {
        let (Some(ev), Some(en)) = (self.events.current(), self.entries.current()) else {
            return problem(n, ProblemKind::EntryMissing, msg!("internal"));
        };
        self.buf.clear();
        let computed = match hash::canonical_row_bytes(ev.values(), &mut self.buf) {
            Ok(()) => tongban_crypto::sm3(&self.buf),
            Err(column) => {
                return problem(
                    n,
                    ProblemKind::EventAltered,
                    msg!("column-column-has-wrong", column = column),
                );
            }
        };
        let stored_event = text_at(en, 1).and_then(hash::parse_digest);
        let stored_chain = text_at(en, 2).and_then(hash::parse_digest);
        let (Some(stored_event), Some(stored_chain)) = (stored_event, stored_chain) else {
            return problem(n, ProblemKind::EntryAltered, msg!("hash-not-64-hex"));
        };
        let expected = hash::chain_next(chain, &computed, n);
        if stored_event != computed {
            // If the entry is consistent with itself, the event is what changed.
            return if stored_chain == hash::chain_next(chain, &stored_event, n) {
                problem(n, ProblemKind::EventAltered, msg!("event-differs-from-what"))
            } else {
                problem(n, ProblemKind::EntryAltered, msg!("event-chain-hash-both"))
            };
        }
        if stored_chain != expected {
            return problem(n, ProblemKind::EntryAltered, msg!("chain-hash-differs-from"));
        }
        *chain = expected;
        None
    }

    /// Checks every checkpoint at or before `n` (the walk has just computed `chain_n`).
    async fn check_checkpoints(&mut self, n: i64, chain: &Digest32) -> Result<Option<Problem>> {
        while let Some(cs) = self.checkpoints.peek_seq().await? {
            if cs > n {
                break;
            }
            let Some(cp) = self.checkpoints.current() else {
                break;
            };
            if cs < n {
                return Ok(problem(
                    cs,
                    ProblemKind::CheckpointMismatch,
                    msg!("checkpoint-position-not-chain"),
                ));
            }
            let stored = text_at(cp, 1).and_then(hash::parse_digest);
            if stored != Some(*chain) {
                return Ok(problem(
                    cs,
                    ProblemKind::CheckpointMismatch,
                    msg!("signed-chain-hash-differs", cs = cs),
                ));
            }
            let (Some(signed), Some(fingerprint), Some(signature)) =
                (int_at(cp, 2), text_at(cp, 3), text_at(cp, 4))
            else {
                return Ok(problem(
                    cs,
                    ProblemKind::CheckpointSignature,
                    msg!("unreadable-signature-columns"),
                ));
            };
            let message = hash::checkpoint_message(cs, chain, Millis(signed));
            let signature = hex::decode(signature).unwrap_or_default();
            self.sigs
                .push(SigCheck {
                    seq: cs,
                    fingerprint: fingerprint.to_string(),
                    message,
                    signature,
                })
                .await?;
            self.checkpoints_seen += 1;
            self.checkpoints.advance();
        }
        Ok(None)
    }

    /// After the chain's end (`n` is head + 1): the remaining events must follow without gaps.
    async fn count_pending(&mut self, mut n: i64) -> Result<Option<Problem>> {
        while let Some(es) = self.events.peek_seq().await? {
            if es != n {
                let last = event::last_seq(&self.db).await?;
                return Ok(if es < n || es > last {
                    problem(
                        es,
                        ProblemKind::EventInserted,
                        msg!("event-platform-never-numbered"),
                    )
                } else {
                    problem(n, ProblemKind::EventMissing, msg!("next-event-seq-es", es = es))
                });
            }
            self.pending += 1;
            self.events.advance();
            n += 1;
        }
        if n <= self.upper {
            return Ok(problem(
                n,
                ProblemKind::EventMissing,
                msg!("numbered-up-upper-but", upper = self.upper),
            ));
        }
        self.beyond_the_counter().await
    }

    /// Rows numbered past the event counter can only have been written by hand.
    async fn beyond_the_counter(&mut self) -> Result<Option<Problem>> {
        // Read the rows first and the counter after, so rows committed meanwhile are covered.
        let r = self
            .db
            .fetch_one(
                "SELECT (SELECT MAX(seq) FROM events) AS e, (SELECT MAX(seq) FROM ledger_entries) AS l, \
                 (SELECT MAX(upto_seq) FROM ledger_checkpoints) AS c",
                params![],
            )
            .await?;
        let last = event::last_seq(&self.db).await?;
        let over = |v: Option<i64>| v.filter(|&s| s > last);
        if let Some(s) = over(r.get("e")?) {
            return Ok(problem(
                s,
                ProblemKind::EventInserted,
                msg!("seq-beyond-platform-s"),
            ));
        }
        if let Some(s) = over(r.get("l")?) {
            return Ok(problem(
                s,
                ProblemKind::EntryInserted,
                msg!("seq-beyond-platform-s"),
            ));
        }
        if let Some(s) = over(r.get("c")?) {
            return Ok(problem(
                s,
                ProblemKind::CheckpointMismatch,
                msg!("checkpoint-beyond-platform-s"),
            ));
        }
        Ok(None)
    }
}

/// One `seq`-ordered table read in batches, the next batch prefetched in the background.
/// Once a read finds nothing more the stream stays exhausted (so the walk does not query an
/// empty table once per entry) until [`Stream::refresh`] asks it to look again.
struct Stream {
    db: Db,
    sql: Arc<str>,
    upper: i64,
    rows: VecDeque<Row>,
    cursor: i64,
    prefetch: Option<JoinHandle<Result<Vec<Row>>>>,
    exhausted: bool,
}

impl Stream {
    fn new(db: &Db, which: &str, upper: i64) -> Self {
        let mut s = Stream {
            db: db.clone(),
            sql: stream_sql(which).into(),
            upper,
            rows: VecDeque::new(),
            cursor: i64::MIN,
            prefetch: None,
            exhausted: false,
        };
        s.start_prefetch();
        s
    }

    fn start_prefetch(&mut self) {
        let (db, sql, cursor, upper) = (self.db.clone(), self.sql.clone(), self.cursor, self.upper);
        self.prefetch = Some(tokio::spawn(async move {
            Ok(db
                .fetch_all(&sql, params![cursor, upper, i64::from(BATCH)])
                .await?)
        }));
    }

    async fn fetch_now(&self) -> Result<Vec<Row>> {
        Ok(self
            .db
            .fetch_all(&self.sql, params![self.cursor, self.upper, i64::from(BATCH)])
            .await?)
    }

    /// Makes the next peek at an exhausted stream query the table again.
    fn refresh(&mut self) {
        self.exhausted = false;
    }

    async fn peek_seq(&mut self) -> Result<Option<i64>> {
        if self.rows.is_empty() && !self.exhausted {
            let mut rows = match self.prefetch.take() {
                Some(h) => h
                    .await
                    .map_err(|e| Error::Storage(tongban_db::Error::Storage(e.to_string())))??,
                None => Vec::new(),
            };
            if rows.is_empty() {
                // The prefetch may be older than this call; ask again now.
                rows = self.fetch_now().await?;
            }
            self.exhausted = rows.is_empty();
            let full = rows.len() >= BATCH as usize;
            if let Some(last) = rows.last() {
                self.cursor = int_at(last, 0).ok_or_else(|| {
                    Error::Storage(tongban_db::Error::Decode {
                        column: "seq".into(),
                        reason: "not an integer".into(),
                    })
                })?;
            }
            self.rows = rows.into();
            if full {
                self.start_prefetch();
            }
        }
        Ok(self.rows.front().and_then(|r| int_at(r, 0)))
    }

    fn current(&self) -> Option<&Row> {
        self.rows.front()
    }

    fn advance(&mut self) {
        self.rows.pop_front();
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        if let Some(h) = self.prefetch.take() {
            h.abort();
        }
    }
}

struct SigCheck {
    seq: i64,
    fingerprint: String,
    message: Vec<u8>,
    signature: Vec<u8>,
}

/// Signature checks run on blocking threads, a few jobs in flight, while the walk goes on.
struct Signatures {
    keys: Arc<Vec<(String, VerifyingKey)>>,
    pending: Vec<SigCheck>,
    jobs: VecDeque<JoinHandle<Option<i64>>>,
    max_jobs: usize,
    first_bad: Option<i64>,
}

impl Signatures {
    fn new(trusted: &[VerifyingKey]) -> Self {
        Signatures {
            keys: Arc::new(trusted.iter().map(|k| (k.fingerprint(), k.clone())).collect()),
            pending: Vec::with_capacity(SIG_CHUNK),
            jobs: VecDeque::new(),
            max_jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
            first_bad: None,
        }
    }

    async fn push(&mut self, check: SigCheck) -> Result<()> {
        self.pending.push(check);
        if self.pending.len() >= SIG_CHUNK {
            self.submit().await?;
        }
        Ok(())
    }

    async fn submit(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        while self.jobs.len() >= self.max_jobs {
            self.collect_one().await?;
        }
        let batch = std::mem::replace(&mut self.pending, Vec::with_capacity(SIG_CHUNK));
        let keys = self.keys.clone();
        self.jobs.push_back(tokio::task::spawn_blocking(move || {
            batch.iter().find(|c| !signed_by_trusted(&keys, c)).map(|c| c.seq)
        }));
        Ok(())
    }

    async fn collect_one(&mut self) -> Result<()> {
        if let Some(job) = self.jobs.pop_front() {
            let bad = job
                .await
                .map_err(|e| Error::Storage(tongban_db::Error::Storage(e.to_string())))?;
            if let Some(seq) = bad {
                self.first_bad = Some(self.first_bad.map_or(seq, |b| b.min(seq)));
            }
        }
        Ok(())
    }

    /// Waits for every job; the first checkpoint whose signature no trusted key verifies.
    async fn finish(&mut self) -> Result<Option<Problem>> {
        self.submit().await?;
        while !self.jobs.is_empty() {
            self.collect_one().await?;
        }
        Ok(self.first_bad.and_then(|seq| {
            problem(
                seq,
                ProblemKind::CheckpointSignature,
                if self.keys.is_empty() {
                    msg!("no-trusted-key-given").to_string()
                } else {
                    msg!("no-trusted-key-verifies").to_string()
                },
            )
        }))
    }
}

fn signed_by_trusted(keys: &[(String, VerifyingKey)], c: &SigCheck) -> bool {
    // Try the key the checkpoint names first; the name is only a hint, so fall back to all.
    keys.iter()
        .filter(|(fp, _)| *fp == c.fingerprint)
        .chain(keys.iter().filter(|(fp, _)| *fp != c.fingerprint))
        .any(|(_, k)| k.verify(&c.message, &c.signature))
}
