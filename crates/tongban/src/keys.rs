//! 密钥轮换 from the command line: `tongban keys status` shows the data keys and, column by
//! column, how many sealed values each key holds; `tongban keys rotate` adds a data key that
//! seals everything new (a running server takes it up within [`REFRESH_EVERY`]);
//! `tongban keys reencrypt` seals every value under an older key again under the active one;
//! `tongban keys rotate-master` wraps every key and secret again under a new master key.
//!
//! Re-encryption walks the columns the crates declare (`SEALED_COLUMNS`) in key order, a batch
//! at a time: each batch is one transaction that rewrites only values still as they were read
//! (a value a person changed meanwhile is theirs) and records an event saying how many it
//! resealed. Values already under the active key are skipped, so the job can be stopped at any
//! point and run again; progress is printed per batch. The lake's versions never change and are
//! not rewritten: their keys stay in the keyring.

use anyhow::{Context, Result};
use clap::Subcommand;
use std::collections::BTreeMap;
use std::time::Duration;
use tongban_crypto::keyring::ACCEPTED_MASTER_KEY_ENV;
use tongban_crypto::{FieldCipher, Keyring, Sealed, SealedColumn};
use tongban_db::{Db, Row, Value};
use tongban_kernel::Principal;

/// The events key management appends.
pub mod events {
    tongban_db::event_kinds! {
        prefix "crypto.";
        /// A new data key was made the one that seals everything new.
        DataKeyRotated = "crypto.data_key.rotated" on "data_key" {
            /// The key's id.
            key_id: String,
        }
        /// One batch of a column's values was sealed again under the active data key.
        ResealBatch = "crypto.reseal.batch" on "sealed_column" {
            /// The table.
            table: String,
            /// The column.
            column: String,
            /// The active data key's id.
            key_id: String,
            /// Values resealed.
            resealed: u64,
        }
        /// The master key was replaced and every key and secret wrapped again under it.
        MasterKeyRotated = "crypto.master_key.rotated" on "master_key" {
            /// Keys and secrets wrapped again.
            rewrapped: u64,
        }
        /// Keys still wrapped under an earlier master key were wrapped under the current one.
        MasterKeyRewrapped = "crypto.master_key.rewrapped" on "master_key" {
            /// Keys and secrets wrapped again.
            rewrapped: u64,
        }
    }
}

/// How often a running server looks for a data key added by another process.
pub const REFRESH_EVERY: Duration = Duration::from_secs(30);

/// Where the new master key is read from when the master key comes from the environment.
pub const NEW_MASTER_KEY_ENV: &str = "TONGBAN_NEW_MASTER_KEY";

/// Rows read and rewritten per transaction unless told otherwise.
pub const DEFAULT_BATCH: usize = 500;

/// Where sealed values are kept, every crate's declarations together.
pub fn sealed_columns() -> Vec<&'static SealedColumn> {
    [
        tongban_identity::SEALED_COLUMNS,
        tongban_hall::SEALED_COLUMNS,
        tongban_interact::SEALED_COLUMNS,
        tongban_pool::SEALED_COLUMNS,
        tongban_seal::SEALED_COLUMNS,
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// The data keys, and how many sealed values each holds, column by column.
    Status,
    /// Add a data key; everything sealed from now on uses it (older keys still open theirs).
    Rotate,
    /// Replace the master key: the data keys, the platform key, seal keys and OIDC signing keys
    /// are wrapped again under a new one. With the master key in the key files a new one is
    /// made and the old one kept as master.key.accepted; with TONGBAN_MASTER_KEY the new one is
    /// read from TONGBAN_NEW_MASTER_KEY.
    RotateMaster,
    /// Wrap every stored seal and signing key still under an accepted (older) master key again
    /// under the current one; run it before deleting master.key.accepted.
    Rewrap,
    /// Seal every value under an older data key again under the active one (resumable).
    Reencrypt {
        /// Rows per transaction
        #[arg(long, default_value_t = DEFAULT_BATCH)]
        batch: usize,
    },
}

/// Runs one `tongban keys` command.
pub async fn keys_command(db: &Db, keyring: &Keyring, master_from_env: bool, cmd: KeysCommand) -> Result<()> {
    match cmd {
        KeysCommand::RotateMaster => {
            let new = if master_from_env {
                match std::env::var(NEW_MASTER_KEY_ENV) {
                    Ok(v) if !v.trim().is_empty() => tongban_crypto::Zeroizing::new(v.trim().to_string()),
                    _ => anyhow::bail!(say!(
                        "put-new-master-key-in",
                        new_env = NEW_MASTER_KEY_ENV,
                        accepted_env = ACCEPTED_MASTER_KEY_ENV
                    )),
                }
            } else if let Some(pending) = keyring.pending_master_rotation()? {
                eprintln!("{}", say!("finishing-master-key-rotation-left"));
                pending
            } else {
                tongban_crypto::keyring::new_master_key_hex()
            };
            keyring
                .begin_master_rotation(&new)
                .context("rotating the master key")?;
            let secrets = rewrap_secrets(db, keyring, Rewrap::Rotation).await?;
            keyring
                .finish_master_rotation(&new)
                .context("rotating the master key")?;
            println!("{}", say!("master-key-replaced-data-keys", secrets = secrets));
            if master_from_env {
                println!(
                    "{}",
                    say!(
                        "restart-each-server-with-new",
                        master_key_env = tongban_crypto::MASTER_KEY_ENV.to_string(),
                        accepted_master_key_env = ACCEPTED_MASTER_KEY_ENV.to_string()
                    )
                );
            } else {
                println!("{}", say!("new-master-key-keys-master"));
            }
        }
        KeysCommand::Status => {
            let active = keyring.active_data_key_id();
            for id in keyring.data_key_ids() {
                if id == active {
                    println!("{}", say!("active", id = id));
                } else {
                    println!("{id}");
                }
            }
            let older = secrets_under_older_master(db, keyring).await?;
            println!("{}", say!("seal-signing-keys-still-under", older = older));
            for column in sealed_columns() {
                let counts = census(db, column).await?;
                let shown: Vec<String> = counts.iter().map(|(k, n)| format!("{k}={n}")).collect();
                println!(
                    "{}.{}\t{}",
                    column.table,
                    column.column,
                    if shown.is_empty() {
                        "-".to_string()
                    } else {
                        shown.join(" ")
                    }
                );
            }
        }
        KeysCommand::Rewrap => {
            let n = rewrap_secrets(db, keyring, Rewrap::CatchUp).await?;
            println!("{}", say!("seal-signing-keys-rewrapped-under", n = n));
        }
        KeysCommand::Rotate => {
            let mut keyring = keyring.clone();
            let id = keyring.rotate_data_key().context("rotating the data key")?;
            record_rotation(db, &id).await?;
            println!(
                "{}",
                say!(
                    "data-key-active-running-servers",
                    id = id,
                    refresh_every = REFRESH_EVERY.as_secs().to_string()
                )
            );
        }
        KeysCommand::Reencrypt { batch } => {
            let cipher = keyring.fields();
            let batch = batch.clamp(1, 10_000);
            let done = reencrypt(db, &cipher, batch, |p| {
                eprintln!(
                    "{}",
                    say!(
                        "reencrypt-progress",
                        column = format!("{}.{}", p.table, p.column),
                        seen = p.seen,
                        total = p.total,
                        resealed = p.resealed
                    )
                );
            })
            .await?;
            println!(
                "{}",
                say!(
                    "done-values-resealed-all-under",
                    resealed = done.resealed.to_string(),
                    active_key_id = cipher.active_key_id().to_string()
                )
            );
            if done.failed > 0 {
                anyhow::bail!(say!("values-not-opened", failed = done.failed));
            }
        }
    }
    Ok(())
}

/// Where one column's re-encryption has got to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// The table.
    pub table: &'static str,
    /// The column.
    pub column: &'static str,
    /// Rows read so far.
    pub seen: u64,
    /// Rows with a value in all.
    pub total: u64,
    /// Values sealed again so far.
    pub resealed: u64,
}

/// What a re-encryption did in all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Done {
    /// Values sealed again under the active key.
    pub resealed: u64,
    /// Values that did not open (left as they are).
    pub failed: u64,
}

/// Seals every value under an older data key again under the active one, column by column, a
/// batch per transaction, calling `progress` after each batch.
pub async fn reencrypt(
    db: &Db,
    cipher: &FieldCipher,
    batch: usize,
    mut progress: impl FnMut(&Progress),
) -> Result<Done> {
    let mut done = Done::default();
    for column in sealed_columns() {
        let total = count(db, column).await?;
        let mut p = Progress {
            table: column.table,
            column: column.column,
            seen: 0,
            total,
            resealed: 0,
        };
        let mut after: Option<Vec<Value>> = None;
        loop {
            let rows = page(db, column, after.as_deref(), batch, false).await?;
            let Some(last) = rows.last() else { break };
            after = Some(key_of(column, last));
            let mut changes: Vec<(Vec<Value>, Value, Value)> = Vec::new();
            for row in &rows {
                match resealed(db, cipher, column, row).await {
                    Ok(Some(change)) => changes.push(change),
                    Ok(None) => {}
                    Err(e) => {
                        done.failed += 1;
                        tracing::warn!(table = column.table, column = column.column, key = ?key_of(column, row), error = %e, "a sealed value did not open");
                    }
                }
            }
            p.seen += rows.len() as u64;
            if !changes.is_empty() {
                let n = write_batch(db, column, &changes, cipher).await?;
                p.resealed += n;
                done.resealed += n;
            }
            progress(&p);
            if rows.len() < batch {
                break;
            }
        }
    }
    Ok(done)
}

/// How many values each data key holds in `column` (map entries counted one by one).
pub async fn census(db: &Db, column: &SealedColumn) -> Result<BTreeMap<String, u64>> {
    let mut counts = BTreeMap::new();
    let mut after: Option<Vec<Value>> = None;
    loop {
        let rows = page(db, column, after.as_deref(), 2_000, true).await?;
        let Some(last) = rows.last() else { break };
        after = Some(key_of(column, last));
        for row in &rows {
            for id in key_ids(column, row)? {
                *counts.entry(id).or_insert(0) += 1;
            }
        }
        if rows.len() < 2_000 {
            break;
        }
    }
    Ok(counts)
}

async fn record_rotation(db: &Db, id: &str) -> Result<()> {
    let mut tx = db.begin_write().await?;
    tx.append_event(
        &Principal::system("cli"),
        tongban_db::EventDraft::of(
            &events::DataKeyRotated { key_id: id.into() },
            id,
            None,
            tongban_kernel::msg!("event-data-key-active", id = id),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `k1 = $first AND k2 = $first+1`: the row named by its key columns.
fn row_match(column: &SealedColumn, first: usize) -> String {
    let parts: Vec<String> = column
        .key
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{k} = ${}", first + i))
        .collect();
    parts.join(" AND ")
}

fn key_list(column: &SealedColumn) -> String {
    column.key.join(", ")
}

async fn count(db: &Db, column: &SealedColumn) -> Result<u64> {
    let row = db
        .fetch_one(
            &format!(
                "SELECT count(*) AS n FROM {} WHERE {} IS NOT NULL",
                column.table, column.column
            ),
            vec![],
        )
        .await?;
    Ok(u64::try_from(row.get::<i64>("n")?).unwrap_or(0))
}

/// One page of rows after `after` in key order: the key columns, then the value as `v`. Bytes
/// (uploaded files) are read by their first bytes only, which name their key, and so is text
/// when `heads` asks for no more; the whole value is read when it must be sealed again.
async fn page(
    db: &Db,
    column: &SealedColumn,
    after: Option<&[Value]>,
    limit: usize,
    heads: bool,
) -> Result<Vec<Row>> {
    let keys = key_list(column);
    let value = match column.form {
        Sealed::Bytes { .. } => format!("substr({}, 1, 64) AS v", column.column),
        Sealed::Text { .. } if heads => format!("substr({}, 1, 64) AS v", column.column),
        _ => format!("{} AS v", column.column),
    };
    let (cursor, mut params) = match after {
        Some(values) => {
            let marks: Vec<String> = (1..=values.len()).map(|i| format!("${i}")).collect();
            (format!(" AND ({keys}) > ({})", marks.join(", ")), values.to_vec())
        }
        None => (String::new(), Vec::new()),
    };
    params.push(Value::Int(i64::try_from(limit).unwrap_or(i64::MAX)));
    let sql = format!(
        "SELECT {keys}, {value} FROM {table} WHERE {col} IS NOT NULL{cursor} ORDER BY {keys} LIMIT ${n}",
        table = column.table,
        col = column.column,
        n = params.len(),
    );
    Ok(db.fetch_all(&sql, params).await?)
}

fn key_of(column: &SealedColumn, row: &Row) -> Vec<Value> {
    (0..column.key.len())
        .map(|i| row.values().get(i).cloned().unwrap_or(Value::Null))
        .collect()
}

/// The data key ids a row's value names (a map: one per sealed entry).
fn key_ids(column: &SealedColumn, row: &Row) -> Result<Vec<String>> {
    Ok(match column.form {
        Sealed::Text { .. } => {
            let v: String = row.get("v")?;
            FieldCipher::key_id_of(&v)
                .map(str::to_owned)
                .into_iter()
                .collect()
        }
        Sealed::Bytes { .. } => {
            let v: Vec<u8> = row.get("v")?;
            FieldCipher::bytes_key_id(&v)
                .map(str::to_owned)
                .into_iter()
                .collect()
        }
        Sealed::TextMap { .. } => {
            let v: String = row.get("v")?;
            let map: BTreeMap<String, String> = serde_json::from_str(&v).unwrap_or_default();
            map.values()
                .filter_map(|s| FieldCipher::key_id_of(s).map(str::to_owned))
                .collect()
        }
    })
}

/// The row's key, its value as read and its value sealed again, or `None` when it is already
/// under the active key.
async fn resealed(
    db: &Db,
    cipher: &FieldCipher,
    column: &SealedColumn,
    row: &Row,
) -> Result<Option<(Vec<Value>, Value, Value)>> {
    let key = key_of(column, row);
    match column.form {
        Sealed::Bytes { field } => {
            let head: Vec<u8> = row.get("v")?;
            if FieldCipher::bytes_key_id(&head) == Some(cipher.active_key_id().as_str()) {
                return Ok(None);
            }
            // The whole value, only now that it must be rewritten.
            let Some(full) = db
                .fetch_optional(
                    &format!(
                        "SELECT {} AS v FROM {} WHERE {}",
                        column.column,
                        column.table,
                        row_match(column, 1)
                    ),
                    key.clone(),
                )
                .await?
            else {
                return Ok(None);
            };
            let old: Vec<u8> = full.get("v")?;
            Ok(cipher
                .reseal_bytes(field, &old)?
                .map(|new| (key, Value::Bytes(old), Value::Bytes(new))))
        }
        form => {
            let old: String = row.get("v")?;
            Ok(cipher
                .reseal_text(&form, &old)?
                .map(|new| (key, Value::Text(old), Value::Text(new))))
        }
    }
}

/// Rewrites one batch in one transaction — each value only if it is still as read — with an
/// event saying how many. Returns how many were rewritten.
async fn write_batch(
    db: &Db,
    column: &SealedColumn,
    changes: &[(Vec<Value>, Value, Value)],
    cipher: &FieldCipher,
) -> Result<u64> {
    let sql = format!(
        "UPDATE {} SET {col} = $1 WHERE {} AND {col} = ${}",
        column.table,
        row_match(column, 2),
        column.key.len() + 2,
        col = column.column,
    );
    let mut tx = db.begin_write().await?;
    let mut written = 0u64;
    for (key, old, new) in changes {
        let mut params = vec![new.clone()];
        params.extend(key.iter().cloned());
        params.push(old.clone());
        written += tx.execute(&sql, params).await?;
    }
    let target = format!("{}.{}", column.table, column.column);
    let active = cipher.active_key_id();
    tx.append_event(
        &Principal::system("cli"),
        tongban_db::EventDraft::of(
            &events::ResealBatch {
                table: column.table.into(),
                column: column.column.into(),
                key_id: active.to_string(),
                resealed: written,
            },
            &target,
            None,
            tongban_kernel::msg!(
                "event-resealed",
                target = target,
                written = written,
                active = active.to_string()
            ),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(written)
}

/// The crates' columns of secrets wrapped under the master key.
fn wrapped_columns() -> impl Iterator<Item = &'static tongban_crypto::WrappedColumn> {
    [tongban_identity::WRAPPED_COLUMNS, tongban_seal::WRAPPED_COLUMNS]
        .into_iter()
        .flatten()
}

/// Every row of one column of wrapped secrets: the row's key as `k`, the secret as `v`.
fn wrapped_select(c: &tongban_crypto::WrappedColumn) -> String {
    format!("SELECT {} AS k, {} AS v FROM {}", c.key, c.column, c.table)
}

/// The rows of `c` whose secret is not wrapped under the current master key: their key, the
/// secret's purpose and the secret as stored.
fn not_current(
    keyring: &Keyring,
    c: &tongban_crypto::WrappedColumn,
    rows: Vec<Row>,
) -> Result<Vec<(String, String, String)>> {
    let mut stale = Vec::new();
    for r in rows {
        let key: String = r.get("k")?;
        let wrapped: String = r.get("v")?;
        let purpose = format!("{}{key}", c.prefix);
        if !keyring.wrapped_under_current(&purpose, &wrapped) {
            stale.push((key, purpose, wrapped));
        }
    }
    Ok(stale)
}

/// How many stored secrets open only under an accepted (older) master key.
async fn secrets_under_older_master(db: &Db, keyring: &Keyring) -> Result<u64> {
    let mut n = 0;
    for c in wrapped_columns() {
        let rows = db.fetch_all(&wrapped_select(c), vec![]).await?;
        n += not_current(keyring, c, rows)?.len() as u64;
    }
    Ok(n)
}

/// Why the secrets are wrapped again: the event says which.
#[derive(Debug, Clone, Copy)]
enum Rewrap {
    /// Part of replacing the master key (`keys rotate-master`).
    Rotation,
    /// Catching up secrets wrapped under the old key meanwhile (`keys rewrap`).
    CatchUp,
}

/// Wraps every secret the crates keep under the master key ([`tongban_crypto::WrappedColumn`])
/// again under the current one, in one transaction with an event. Returns how many.
async fn rewrap_secrets(db: &Db, keyring: &Keyring, why: Rewrap) -> Result<u64> {
    let mut tx = db.begin_write().await?;
    let mut done = 0u64;
    for c in wrapped_columns() {
        let rows = tx.fetch_all(&wrapped_select(c), vec![]).await?;
        for (key, purpose, wrapped) in not_current(keyring, c, rows)? {
            let again = keyring
                .rewrap_secret(&purpose, &wrapped)
                .with_context(|| format!("{}.{} {key}", c.table, c.column))?;
            done += tx
                .execute(
                    &format!("UPDATE {} SET {} = $1 WHERE {} = $2", c.table, c.column, c.key),
                    vec![Value::Text(again), Value::Text(key)],
                )
                .await?;
        }
    }
    let draft = match why {
        Rewrap::Rotation => tongban_db::EventDraft::of(
            &events::MasterKeyRotated { rewrapped: done },
            "master",
            None,
            tongban_kernel::msg!("event-master-key-replaced", done = done),
        ),
        Rewrap::CatchUp => tongban_db::EventDraft::of(
            &events::MasterKeyRewrapped { rewrapped: done },
            "master",
            None,
            tongban_kernel::msg!("event-keys-rewrapped", done = done),
        ),
    };
    tx.append_event(&Principal::system("cli"), draft).await?;
    tx.commit().await?;
    Ok(done)
}
