//! Key files on disk: a private (0700) directory, files created whole with mode 0600 (written
//! to a temporary file, then hard-linked into place so a racing process sees all or nothing),
//! atomic replacement, and the lock a data-key rotation holds.

use crate::Error;
use rand_core::{OsRng, RngCore};
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use tongban_kernel::msg;

const ROTATE_LOCK_FILE: &str = "data-keys.lock";

pub(crate) fn ensure_private_dir(dir: &Path) -> Result<(), Error> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(Error::io(dir))?;
    warn_if_shared(dir);
    Ok(())
}

fn warn_if_shared(path: &Path) {
    if let Ok(meta) = fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            path = %path.display(),
            "key path is accessible to group or others; restrict it (chmod 700 for the directory, 600 for files)"
        );
    }
}

/// Reads a key file; `None` when it does not exist.
pub(crate) fn read_key_file(path: &Path) -> Result<Option<String>, Error> {
    match fs::read(path) {
        Ok(bytes) => {
            warn_if_shared(path);
            String::from_utf8(bytes)
                .map(Some)
                .map_err(|_| Error::key_file(path, msg!("not-utf-8-text")))
        }
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path)(e)),
    }
}

/// Writes `contents` to a fresh private (0600) temporary file beside `path` and syncs it.
fn write_temp(path: &Path, contents: &[u8]) -> Result<PathBuf, Error> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("key");
    let mut tag = [0u8; 6];
    OsRng.fill_bytes(&mut tag);
    let tmp = dir.join(format!(".{name}.{}.{}.tmp", std::process::id(), hex::encode(tag)));
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| {
            f.write_all(contents)?;
            f.sync_all()
        });
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(&tmp)(e));
    }
    Ok(tmp)
}

fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent() {
        // Best effort: makes the new directory entry durable; some filesystems refuse.
        let _ = File::open(dir).and_then(|d| d.sync_all());
    }
}

/// Creates `path` with `contents` (mode 0600) only if it does not exist, all or nothing.
/// Returns false when another process created it first.
pub(crate) fn create_file(path: &Path, contents: &[u8]) -> Result<bool, Error> {
    let tmp = write_temp(path, contents)?;
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            sync_dir(path);
            Ok(true)
        }
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(false),
        Err(_) => {
            // Filesystems without hard links: exclusive create, written in place.
            let direct = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path);
            match direct {
                Ok(mut f) => {
                    f.write_all(contents)
                        .and_then(|()| f.sync_all())
                        .map_err(Error::io(path))?;
                    sync_dir(path);
                    Ok(true)
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(false),
                Err(e) => Err(Error::io(path)(e)),
            }
        }
    }
}

/// Replaces `path` atomically with `contents` (mode 0600).
pub(crate) fn replace_file(path: &Path, contents: &[u8]) -> Result<(), Error> {
    let tmp = write_temp(path, contents)?;
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(path)(e));
    }
    sync_dir(path);
    Ok(())
}

/// Held while a rotation rewrites `data-keys.json`; removed on drop.
pub(crate) struct RotationLock(PathBuf);

impl RotationLock {
    pub(crate) fn acquire(dir: &Path) -> Result<Self, Error> {
        let path = dir.join(ROTATE_LOCK_FILE);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(mut f) => {
                let _ = writeln!(f, "{}", std::process::id());
                Ok(Self(path))
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                Err(Error::key_file(&path, msg!("another-process-rotating-data")))
            }
            Err(e) => Err(Error::io(&path)(e)),
        }
    }
}

impl Drop for RotationLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}
