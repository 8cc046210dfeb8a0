//! The one error this crate returns. No variant ever carries key material, plaintext or a
//! ciphertext: only paths, key ids and what went wrong, zh-CN first and English second.

use std::path::PathBuf;

/// What went wrong with a key, a key file or a ciphertext.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A key file exists but cannot be used (wrong length, not hex/base64, wrong mode, mismatch).
    #[error("密钥文件 / key file {}: {reason}", path.display())]
    KeyFile {
        /// The file, under the keys directory.
        path: PathBuf,
        /// Why, in both languages.
        reason: String,
    },
    /// The master key given in `TONGBAN_MASTER_KEY` (or expected in `master.key`) is unusable.
    #[error("主密钥 / master key: {0}")]
    MasterKey(String),
    /// The master key is well formed but is not the one the keyring was created with: the
    /// authentication tag of a wrapped key did not verify.
    #[error(
        "主密钥不正确，无法解开 {} / wrong master key: it does not open {} (check TONGBAN_MASTER_KEY or master.key)",
        path.display(),
        path.display()
    )]
    WrongMasterKey {
        /// The key file whose wrapped key failed to open.
        path: PathBuf,
    },
    /// Authenticated decryption failed: the ciphertext was altered, belongs to another field, or
    /// was sealed under another key.
    #[error(
        "解密失败：密文被篡改或不属于此字段 / decryption failed: the ciphertext was altered or belongs to another field"
    )]
    Decrypt,
    /// A ciphertext names a data key this keyring does not hold.
    #[error("未知的密钥编号 {0} / unknown key id {0}")]
    UnknownKey(String),
    /// Input that is not in the expected shape (a stored field, a PEM, a hex public key).
    #[error("格式错误 / malformed input: {0}")]
    Malformed(String),
    /// Reading or writing a key file failed.
    #[error("密钥文件读写失败 / key file I/O {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }

    pub(crate) fn key_file(path: impl Into<PathBuf>, reason: impl Into<String>) -> Error {
        Error::KeyFile {
            path: path.into(),
            reason: reason.into(),
        }
    }
}
