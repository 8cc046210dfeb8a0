//! The keyring on disk and field encryption through it, as other crates will use them.

mod field;
mod keyring;

use std::path::{Path, PathBuf};
use tongban_crypto::{Error, Keyring};

/// A fresh keys directory inside a temporary directory (the keys dir itself does not exist yet).
fn keys_dir() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let dir = tmp.path().join("keys");
    (tmp, dir)
}

fn open(dir: &Path, master: Option<&str>) -> Keyring {
    Keyring::open(dir, master).unwrap_or_else(|e| panic!("open keyring: {e}"))
}

fn open_err(dir: &Path, master: Option<&str>) -> Error {
    match Keyring::open(dir, master) {
        Ok(k) => panic!("expected an error, opened {k:?}"),
        Err(e) => e,
    }
}
