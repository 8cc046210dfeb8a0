//! `tongban backup` and `tongban restore`: one `.tar.gz` holding every table (as JSON lines, so a
//! backup restores onto either backend), the keyring, and the lake and search folders when present.
//!
//! The archive is written readable by its owner only (0600), and it leaves the master key out
//! unless asked (`--include-master-key`): the wrapped data keys in it are useless without the
//! master key, so a stolen backup does not open the personal data. The master key is kept apart
//! (an escrow, `TONGBAN_MASTER_KEY`) and given again at restore.

use crate::config::Store;
use crate::platform;
use anyhow::{Context, Result, bail};
use base64::Engine as _;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use tongban_crypto::keyring::MASTER_KEY_FILE;
use tongban_db::{Db, DbOptions, Value};

const MANIFEST: &str = "tongban-backup.json";
/// Folders of the data directory carried in a backup.
const FOLDERS: [&str; 3] = ["keys", "lake", "search"];

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    created: String,
    source_backend: String,
    tables: Vec<TableInfo>,
}

#[derive(Debug, Serialize, Deserialize)]
struct TableInfo {
    name: String,
    rows: u64,
}

fn encode(v: &Value) -> serde_json::Value {
    match v {
        Value::Null | Value::NullInt | Value::NullReal | Value::NullBytes => serde_json::Value::Null,
        Value::Int(i) => serde_json::Value::from(*i),
        Value::Real(f) => serde_json::json!({ "f": f }),
        Value::Text(s) => serde_json::Value::from(s.as_str()),
        Value::Bytes(b) => serde_json::json!({ "b": base64::engine::general_purpose::STANDARD.encode(b) }),
    }
}

fn decode(v: &serde_json::Value) -> Result<Value> {
    Ok(match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Number(n) => Value::Int(n.as_i64().context("integer out of range")?),
        serde_json::Value::String(s) => Value::Text(s.clone()),
        serde_json::Value::Object(o) => match (o.get("f"), o.get("b")) {
            (Some(f), None) => Value::Real(f.as_f64().context("bad real")?),
            (None, Some(serde_json::Value::String(b))) => Value::Bytes(
                base64::engine::general_purpose::STANDARD
                    .decode(b)
                    .context("bad bytes")?,
            ),
            _ => bail!("unknown value {v}"),
        },
        other => bail!("unknown value {other}"),
    })
}

/// Writes a backup of `store` to `to` (mode 0600), with the master key only when
/// `include_master_key`. Prints one line per table.
pub async fn backup(store: Store, to: &Path, include_master_key: bool) -> Result<()> {
    let p = platform::open(store).await?;
    let work = tempfile::tempdir().context("creating a temporary folder")?;
    let mut tables = Vec::new();
    for name in p.db.table_names().await? {
        let path = work.path().join(format!("{name}.jsonl"));
        let mut w = BufWriter::new(File::create(&path)?);
        let mut header_written = false;
        let rows =
            p.db.dump_table(&name, 2000, |rows| {
                for r in rows {
                    if !header_written {
                        serde_json::to_writer(&mut w, r.columns())?;
                        w.write_all(b"\n")?;
                        header_written = true;
                    }
                    let line: Vec<serde_json::Value> = r.values().iter().map(encode).collect();
                    serde_json::to_writer(&mut w, &line)?;
                    w.write_all(b"\n")?;
                }
                Ok(())
            })
            .await?;
        w.flush()?;
        println!("  {name}: {rows}");
        tables.push(TableInfo { name, rows });
    }
    let manifest = Manifest {
        format: 1,
        created: jiff::Timestamp::now().to_string(),
        source_backend: format!("{:?}", p.db.backend()).to_lowercase(),
        tables,
    };
    p.db.close().await;

    let file = private_file(to).with_context(|| format!("creating {}", to.display()))?;
    let mut tar = tar::Builder::new(GzEncoder::new(BufWriter::new(file), Compression::default()));
    let manifest_path = work.path().join(MANIFEST);
    std::fs::write(&manifest_path, serde_json::to_vec_pretty(&manifest)?)?;
    tar.append_path_with_name(&manifest_path, MANIFEST)?;
    for t in &manifest.tables {
        tar.append_path_with_name(
            work.path().join(format!("{}.jsonl", t.name)),
            format!("db/{}.jsonl", t.name),
        )?;
    }
    for folder in FOLDERS {
        let dir = p.store.data_dir.join(folder);
        if !dir.is_dir() {
            continue;
        }
        if folder == "keys" {
            // File by file, so the master key can stay out.
            tar.append_dir("keys", &dir)?;
            for entry in std::fs::read_dir(&dir)? {
                let entry = entry?;
                let name = entry.file_name();
                let master =
                    name == MASTER_KEY_FILE || name == tongban_crypto::keyring::ACCEPTED_MASTER_KEY_FILE;
                if master && !include_master_key {
                    continue;
                }
                if entry.file_type()?.is_file() {
                    tar.append_path_with_name(entry.path(), Path::new("keys").join(&name))?;
                }
            }
        } else {
            tar.append_dir_all(folder, &dir)?;
        }
    }
    tar.into_inner()?.finish()?.flush()?;
    println!("{}", say!("backup-written", to = to.display().to_string()));
    if include_master_key {
        eprintln!("{}", say!("warning-archive-holds-master-key"));
    } else {
        println!(
            "{}",
            say!(
                "master-key-not-archive-keep",
                master_key_file = MASTER_KEY_FILE.to_string()
            )
        );
    }
    Ok(())
}

/// Creates `path` readable and writable by its owner only.
fn private_file(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path)?;
    // An existing file keeps its mode through `open`: narrow it too.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

/// Whether `dir` holds nothing, or only the master key an operator put in `keys/` for the
/// restore.
fn dir_is_empty(dir: &Path) -> Result<bool> {
    let entries = match std::fs::read_dir(dir) {
        Ok(it) => it.collect::<std::io::Result<Vec<_>>>()?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(true),
        Err(e) => return Err(e.into()),
    };
    match entries.as_slice() {
        [] => Ok(true),
        [keys] if keys.file_name() == "keys" && keys.file_type()?.is_dir() => {
            let inside = std::fs::read_dir(keys.path())?.collect::<std::io::Result<Vec<_>>>()?;
            Ok(inside.iter().all(|e| e.file_name() == MASTER_KEY_FILE))
        }
        _ => Ok(false),
    }
}

/// Restores the backup `from` into `store`'s data directory and database.
pub async fn restore(store: Store, from: &Path, force: bool) -> Result<()> {
    if !dir_is_empty(&store.data_dir)? && !force {
        bail!(say!(
            "data-directory-not-empty-add",
            data_dir = store.data_dir.display().to_string()
        ));
    }
    let work = tempfile::tempdir()?;
    let file = File::open(from).with_context(|| format!("opening {}", from.display()))?;
    tar::Archive::new(GzDecoder::new(BufReader::new(file)))
        .unpack(work.path())
        .context("unpacking the backup (is it a tongban backup?)")?;
    let manifest: Manifest = serde_json::from_slice(
        &std::fs::read(work.path().join(MANIFEST)).context("the backup has no manifest")?,
    )
    .context("reading the manifest")?;
    if manifest.format != 1 {
        bail!("unsupported backup format {}", manifest.format);
    }

    // The master key: from the archive when it was included, else from the environment or the
    // file the operator put in place before restoring (kept through the copy below).
    let keys = store.data_dir.join("keys");
    let in_archive = work.path().join("keys").join(MASTER_KEY_FILE).is_file();
    let in_place = std::fs::read(keys.join(MASTER_KEY_FILE)).ok();
    if !in_archive && in_place.is_none() && store.master_key.is_none() {
        bail!(say!(
            "backup-does-not-hold-master",
            master_key_file = MASTER_KEY_FILE.to_string(),
            keys = keys.display().to_string()
        ));
    }

    // Keys first: opening the platform would otherwise create new ones.
    std::fs::create_dir_all(&store.data_dir)?;
    for folder in FOLDERS {
        let src = work.path().join(folder);
        if src.is_dir() {
            let dst = store.data_dir.join(folder);
            if dst.exists() {
                std::fs::remove_dir_all(&dst)?;
            }
            copy_dir(&src, &dst)?;
        }
    }
    if let Some(master) = in_place.filter(|_| !in_archive) {
        std::fs::create_dir_all(&keys)?;
        std::fs::write(keys.join(MASTER_KEY_FILE), master)?;
    }
    restrict_keys(&keys)?;
    let db = Db::connect(&store.database_url, &DbOptions::default()).await?;
    db.migrate(&platform::migrations()).await?;
    let existing: i64 = tongban_db::event::last_seq(&db).await?;
    if existing > 0 && !force {
        bail!("the database already holds {existing} events; add --force to replace its contents");
    }
    let mut tx = db.begin_write().await?;
    let live = db.table_names().await?;
    for t in live.iter().rev() {
        tx.clear_table(t).await?;
    }
    for t in &manifest.tables {
        if !live.contains(&t.name) {
            bail!("the backup has table {} which this version does not know", t.name);
        }
        let path = work.path().join("db").join(format!("{}.jsonl", t.name));
        let mut lines = BufReader::new(File::open(&path)?).lines();
        let Some(header) = lines.next() else { continue };
        let columns: Vec<String> = serde_json::from_str(&header?)?;
        let mut n = 0u64;
        for line in lines {
            let raw: Vec<serde_json::Value> = serde_json::from_str(&line?)?;
            let values = raw.iter().map(decode).collect::<Result<Vec<_>>>()?;
            tx.insert_row(&t.name, &columns, values).await?;
            n += 1;
        }
        if n != t.rows {
            bail!("table {}: expected {} rows, found {n}", t.name, t.rows);
        }
        println!("  {}: {n}", t.name);
    }
    tx.commit().await?;
    db.close().await;
    // Make sure the restored keys open.
    let _ = tongban_crypto::Keyring::open(&store.data_dir.join("keys"), store.master_key.as_deref())
        .context("the restored keys do not open with this master key")?;
    println!("{}", say!("restored-from", from = from.display().to_string()));
    Ok(())
}

fn copy_dir(src: &Path, dst: &Path) -> Result<()> {
    std::fs::create_dir_all(dst)?;
    for entry in std::fs::read_dir(src)? {
        let entry = entry?;
        let to = dst.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &to)?;
        } else {
            std::fs::copy(entry.path(), &to)?;
        }
    }
    Ok(())
}

/// Key files are readable by the owner only, whatever the archive said.
fn restrict_keys(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if !dir.is_dir() {
        return Ok(());
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_through_json() {
        for v in [
            Value::Null,
            Value::Int(-7),
            Value::Real(1.5),
            Value::Text("中文".into()),
            Value::Bytes(vec![0, 255]),
        ] {
            assert_eq!(decode(&encode(&v)).unwrap(), v);
        }
        assert!(decode(&serde_json::json!({"x": 1})).is_err());
    }
}
