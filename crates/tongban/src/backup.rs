//! `tongban backup` and `tongban restore`: one `.tar.gz` holding every table (as JSON lines, so a
//! backup restores onto either backend), the keyring, and the lake and search folders when present.

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

/// Writes a backup of `store` to `to`. Prints one line per table.
pub async fn backup(store: Store, to: &Path) -> Result<()> {
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

    let file = File::create(to).with_context(|| format!("creating {}", to.display()))?;
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
        if dir.is_dir() {
            tar.append_dir_all(folder, &dir)?;
        }
    }
    tar.into_inner()?.finish()?.flush()?;
    println!("备份完成 / backup written: {}", to.display());
    Ok(())
}

fn dir_is_empty(dir: &Path) -> Result<bool> {
    match std::fs::read_dir(dir) {
        Ok(mut it) => Ok(it.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e.into()),
    }
}

/// Restores the backup `from` into `store`'s data directory and database.
pub async fn restore(store: Store, from: &Path, force: bool) -> Result<()> {
    if !dir_is_empty(&store.data_dir)? && !force {
        bail!(
            "数据目录非空，如确需覆盖请加 --force / the data directory {} is not empty; add --force to overwrite it",
            store.data_dir.display()
        );
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
    restrict_keys(&store.data_dir.join("keys"))?;
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
    println!("恢复完成 / restored from {}", from.display());
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
