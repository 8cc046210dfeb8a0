//! Errors of reading bytes as text. Problems with one value are a kernel [`Invalid`]
//! (field + reason); this enum is only for a whole file or stream.
//!
//! [`Invalid`]: tongban_kernel::Invalid

use tongban_kernel::{Msg, msg};

/// Why bytes could not be read as text.
#[derive(Debug)]
pub enum Error {
    /// The bytes are not text in an encoding we read (binary, or neither UTF-8 nor GB18030).
    NotText {
        /// Why (`contains NUL bytes`).
        reason: Msg,
    },
    /// The underlying reader failed.
    Io(std::io::Error),
}

impl Error {
    /// What to tell a person.
    pub fn message(&self) -> Msg {
        match self {
            Error::NotText { reason } => msg!("not-a-text-file", cause = reason),
            Error::Io(e) => msg!("read-failed", cause = e.to_string()),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.message().fmt(f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            Error::NotText { .. } => None,
        }
    }
}

impl From<std::io::Error> for Error {
    /// Unwraps our own error when it travelled through `std::io::Read` (as `DecodingReader`'s
    /// late `NotText` does), so callers see `NotText` rather than an opaque I/O error.
    fn from(e: std::io::Error) -> Self {
        if !e.get_ref().is_some_and(|inner| inner.is::<Error>()) {
            return Error::Io(e);
        }
        let kind = e.kind();
        match e.into_inner().map(|inner| inner.downcast::<Error>()) {
            Some(Ok(ours)) => *ours,
            Some(Err(other)) => Error::Io(std::io::Error::new(kind, other)),
            None => Error::Io(std::io::Error::from(kind)),
        }
    }
}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::Io(io) => io,
            not_text => std::io::Error::new(std::io::ErrorKind::InvalidData, not_text),
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
