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
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;
use tongban_crypto::keyring::ACCEPTED_MASTER_KEY_ENV;
use tongban_crypto::{FieldCipher, Keyring, Sealed, SealedColumn};
use tongban_db::{Db, Row, Value};
use tongban_kernel::Principal;

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
                    _ => anyhow::bail!(crate::say::pick(
                        format!(
                            "主密钥来自环境变量：请把新主密钥放入 {NEW_MASTER_KEY_ENV}（先让每台服务以 {ACCEPTED_MASTER_KEY_ENV}=新主密钥 重启）"
                        ),
                        format!(
                            "the master key comes from the environment: put the new one in {NEW_MASTER_KEY_ENV} (after restarting every server with {ACCEPTED_MASTER_KEY_ENV} set to it)"
                        ),
                    )),
                }
            } else if let Some(pending) = keyring.pending_master_rotation()? {
                eprintln!(
                    "{}",
                    say!(
                        "继续上次未完成的主密钥轮换。",
                        "finishing the master key rotation left half done."
                    )
                );
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
            println!(
                "{}",
                say!(
                    "主密钥已更换：数据密钥、平台签名密钥和{}个印章与签名密钥已用新主密钥重新封装。",
                    "master key replaced: the data keys, the platform key and {} seal and signing keys are wrapped under the new one.",
                    secrets
                )
            );
            if master_from_env {
                println!(
                    "{}",
                    say!(
                        "请以 {}=新主密钥、{}=旧主密钥 逐台重启服务；确认无误后去掉后者。",
                        "restart each server with {}=<the new key> and {}=<the old key>; drop the latter once all is well.",
                        tongban_crypto::MASTER_KEY_ENV,
                        ACCEPTED_MASTER_KEY_ENV
                    )
                );
            } else {
                println!(
                    "{}",
                    say!(
                        "新主密钥在 keys/master.key，旧的在 keys/master.key.accepted；运行中的服务自动改用。请另行备份新主密钥，确认无误后删除旧的。",
                        "the new master key is in keys/master.key, the old one in keys/master.key.accepted; running servers take it up by themselves. Escrow the new key, and delete the old one once all is well."
                    )
                );
            }
        }
        KeysCommand::Status => {
            let active = keyring.active_data_key_id();
            for id in keyring.data_key_ids() {
                if id == active {
                    println!("{}", say!("{}（使用中）", "{} (active)", id));
                } else {
                    println!("{id}");
                }
            }
            let older = secrets_under_older_master(db, keyring).await?;
            println!(
                "{}",
                say!(
                    "印章与签名密钥：{}个仍在旧主密钥下",
                    "seal and signing keys: {} still under an older master key",
                    older
                )
            );
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
            println!(
                "{}",
                say!(
                    "已把{}个印章与签名密钥重新封装在当前主密钥下；其余的原本就是。",
                    "{} seal and signing keys rewrapped under the current master key; the rest already were.",
                    n
                )
            );
        }
        KeysCommand::Rotate => {
            let mut keyring = keyring.clone();
            let id = keyring.rotate_data_key().context("rotating the data key")?;
            record_rotation(db, &id).await?;
            println!(
                "{}",
                say!(
                    "已启用新数据密钥 {}；运行中的服务在{}秒内改用它。用 tongban keys reencrypt 重新加密已有数据。",
                    "data key {} is active; running servers take it up within {} s. Run tongban keys reencrypt for existing data.",
                    id,
                    REFRESH_EVERY.as_secs()
                )
            );
        }
        KeysCommand::Reencrypt { batch } => {
            let cipher = keyring.fields();
            let batch = batch.clamp(1, 10_000);
            let done = reencrypt(db, &cipher, batch, |p| {
                eprintln!(
                    "{}",
                    crate::say::pick(
                        format!(
                            "{}.{}：已检查{}/{}行，重新加密{}个",
                            p.table, p.column, p.seen, p.total, p.resealed
                        ),
                        format!(
                            "{}.{}: {}/{} rows checked, {} resealed",
                            p.table, p.column, p.seen, p.total, p.resealed
                        ),
                    )
                );
            })
            .await?;
            println!(
                "{}",
                say!(
                    "完成：重新加密{}个值，均在数据密钥 {} 之下。",
                    "done: {} values resealed; all are under data key {}.",
                    done.resealed,
                    cipher.active_key_id()
                )
            );
            if done.failed > 0 {
                anyhow::bail!(crate::say::pick(
                    format!("{}个值无法打开，未改动（日志记有位置）", done.failed),
                    format!(
                        "{} values could not be opened and were left as they are (the log says where)",
                        done.failed
                    ),
                ));
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
        tongban_db::EventDraft {
            action: "crypto.data_key.rotated",
            object_type: "data_key",
            object_id: id,
            object_dept: None,
            summary: format!("启用新数据密钥 {id} / data key {id} made active"),
            detail: json!({ "key_id": id }),
        },
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
        tongban_db::EventDraft {
            action: "crypto.reseal.batch",
            object_type: "sealed_column",
            object_id: &target,
            object_dept: None,
            summary: format!(
                "重新加密 {target} 中{written}个值（数据密钥 {active}） / resealed {written} values of {target} under data key {active}"
            ),
            detail: json!({
                "table": column.table,
                "column": column.column,
                "key_id": active,
                "resealed": written,
            }),
        },
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
    let (action, summary) = match why {
        Rewrap::Rotation => (
            "crypto.master_key.rotated",
            format!("更换主密钥，重新封装{done}个密钥 / master key replaced, {done} keys rewrapped"),
        ),
        Rewrap::CatchUp => (
            "crypto.master_key.rewrapped",
            format!(
                "把{done}个密钥重新封装在当前主密钥下 / {done} keys rewrapped under the current master key"
            ),
        ),
    };
    tx.append_event(
        &Principal::system("cli"),
        tongban_db::EventDraft {
            action,
            object_type: "master_key",
            object_id: "master",
            object_dept: None,
            summary,
            detail: json!({ "rewrapped": done }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(done)
}
