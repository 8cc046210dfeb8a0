//! What a ledger call can fail with.

/// A ledger failure a caller can act on. A *verification* finding is not an error: it is the
/// [`crate::VerifyReport`]'s `first_problem`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The principal may not read the ledger.
    #[error("{why}")]
    Forbidden {
        /// Bilingual reason, safe to show.
        why: String,
    },
    /// A filter value is unusable.
    #[error("{field}: {reason}")]
    Invalid {
        /// The filter field.
        field: String,
        /// Why, zh-CN first.
        reason: String,
    },
    /// The stored events or chain cannot be extended without skipping or guessing (an event
    /// missing before the next one, an unreadable head). The worker stops there until an
    /// operator runs `tongban ledger verify`.
    #[error("账本无法在第 {seq} 条继续 / ledger cannot continue at seq {seq}: {reason}")]
    Stuck {
        /// The sequence number the ledger expected to chain next.
        seq: i64,
        /// What was found instead.
        reason: String,
    },
    /// Another ledger writer changed the chain under this one (the batch was rolled back).
    #[error("账本写入冲突，稍后重试 / ledger write conflict, retry: {0}")]
    Conflict(String),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] tongban_db::Error),
    /// A key or signature operation failed.
    #[error(transparent)]
    Crypto(#[from] tongban_crypto::Error),
    /// Writing an export failed.
    #[error("导出失败 / export failed: {0}")]
    Export(String),
}

impl From<tongban_kernel::principal::Denied> for Error {
    fn from(d: tongban_kernel::principal::Denied) -> Self {
        Error::Forbidden { why: d.why }
    }
}

impl From<tongban_kernel::Invalid> for Error {
    fn from(i: tongban_kernel::Invalid) -> Self {
        Error::Invalid {
            field: i.field,
            reason: i.reason.to_string(),
        }
    }
}

impl From<csv::Error> for Error {
    fn from(e: csv::Error) -> Self {
        Error::Export(e.to_string())
    }
}
