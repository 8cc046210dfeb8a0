//! The one error this crate returns. No variant ever carries key material, plaintext or a
//! ciphertext: only paths, key ids and what went wrong, zh-CN first and English second.

use std::path::PathBuf;
use tongban_kernel::Msg;
use tongban_kernel::msg;

/// What went wrong with a key, a key file or a ciphertext. [`Error::message`] says it in one
/// language; `Display` writes both, for logs and the CLI.
#[derive(Debug)]
pub enum Error {
    /// A key file exists but cannot be used (wrong length, not hex/base64, wrong mode, mismatch).
    KeyFile {
        /// The file, under the keys directory.
        path: PathBuf,
        /// Why.
        reason: Msg,
    },
    /// The master key given in `TONGBAN_MASTER_KEY` (or expected in `master.key`) is unusable.
    MasterKey(Msg),
    /// The master key is well formed but is not the one the keyring was created with: the
    /// authentication tag of a wrapped key did not verify.
    WrongMasterKey {
        /// The key file whose wrapped key failed to open.
        path: PathBuf,
    },
    /// Authenticated decryption failed: the ciphertext was altered, belongs to another field, or
    /// was sealed under another key.
    Decrypt,
    /// A ciphertext names a data key this keyring does not hold.
    UnknownKey(String),
    /// Input that is not in the expected shape (a stored field, a PEM, a hex public key).
    Malformed(Msg),
    /// Reading or writing a key file failed.
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.message().fmt(f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl Error {
    /// What went wrong, for a person (an operator, mostly).
    pub fn message(&self) -> Msg {
        match self {
            Error::KeyFile { path, reason } => msg!(
                "key-file-unusable",
                path = path.display().to_string(),
                cause = reason
            ),
            Error::MasterKey(why) => msg!("master-key-unusable", cause = why),
            Error::WrongMasterKey { path } => msg!("wrong-master-key", path = path.display().to_string()),
            Error::Decrypt => msg!("decryption-failed-ciphertext-was"),
            Error::UnknownKey(id) => msg!("unknown-key-id", id = id),
            Error::Malformed(why) => msg!("malformed-input", cause = why),
            Error::Io { path, source } => msg!(
                "key-file-io",
                path = path.display().to_string(),
                cause = source.to_string()
            ),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }

    pub(crate) fn key_file(path: impl Into<PathBuf>, reason: impl Into<Msg>) -> Error {
        Error::KeyFile {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_message_exists_in_every_language_and_is_used() {
        let problems =
            crate::MESSAGES.problems_with(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
