//! What a ledger call can fail with.

use tongban_kernel::{Msg, msg};

/// A ledger failure a caller can act on. A *verification* finding is not an error: it is the
/// [`crate::VerifyReport`]'s `first_problem`. [`Error::message`] says it to a person in their
/// language; `Display` writes both languages, for logs.
#[derive(Debug)]
pub enum Error {
    /// The principal may not read the ledger.
    Forbidden {
        /// Why, safe to show.
        why: Msg,
    },
    /// A filter value is unusable.
    Invalid {
        /// The filter field.
        field: String,
        /// Why.
        reason: Msg,
    },
    /// The stored events or chain cannot be extended without skipping or guessing (an event
    /// missing before the next one, an unreadable head). The worker stops there until an
    /// operator runs `tongban ledger verify`.
    Stuck {
        /// The sequence number the ledger expected to chain next.
        seq: i64,
        /// What was found instead.
        reason: Msg,
    },
    /// Another ledger writer changed the chain under this one (the batch was rolled back).
    Conflict(String),
    /// The database failed.
    Storage(tongban_db::Error),
    /// A key or signature operation failed.
    Crypto(tongban_crypto::Error),
    /// Writing an export failed.
    Export(String),
}

impl Error {
    /// What to tell a person (without the field an `Invalid` names).
    pub fn message(&self) -> Msg {
        match self {
            Error::Forbidden { why } => why.clone(),
            Error::Invalid { reason, .. } => reason.clone(),
            Error::Stuck { seq, reason } => msg!("ledger-stuck", seq = *seq, cause = reason),
            Error::Conflict(e) => msg!("ledger-write-conflict", cause = e),
            Error::Storage(e) => Msg::from(e.to_string()),
            Error::Crypto(e) => Msg::from(e.to_string()),
            Error::Export(e) => msg!("export-failed", cause = e),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Invalid { field, reason } => write!(f, "{field}: {reason}"),
            Error::Storage(e) => e.fmt(f),
            Error::Crypto(e) => e.fmt(f),
            _ => self.message().fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Storage(e) => e.source(),
            Error::Crypto(e) => e.source(),
            _ => None,
        }
    }
}

impl From<tongban_db::Error> for Error {
    fn from(e: tongban_db::Error) -> Self {
        Error::Storage(e)
    }
}

impl From<tongban_crypto::Error> for Error {
    fn from(e: tongban_crypto::Error) -> Self {
        Error::Crypto(e)
    }
}

impl From<tongban_kernel::principal::Denied> for Error {
    fn from(d: tongban_kernel::principal::Denied) -> Self {
        Error::Forbidden { why: d.why.into() }
    }
}

impl From<tongban_kernel::Invalid> for Error {
    fn from(i: tongban_kernel::Invalid) -> Self {
        Error::Invalid {
            field: i.field,
            reason: i.reason,
        }
    }
}

impl From<csv::Error> for Error {
    fn from(e: csv::Error) -> Self {
        Error::Export(e.to_string())
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
