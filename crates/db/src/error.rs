//! Storage errors, in terms a domain crate can act on.

/// What went wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A unique or foreign-key constraint refused the write; carries the constraint or message.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A query expected a row and found none.
    #[error("row not found")]
    NotFound,
    /// A column held a value of another type than the caller asked for.
    #[error("column `{column}`: {reason}")]
    Decode {
        /// The column name.
        column: String,
        /// What was found.
        reason: String,
    },
    /// The URL names no supported backend.
    #[error("unsupported database URL (use sqlite:// or postgres://): {0}")]
    Url(String),
    /// A migration failed or the schema is newer than this binary.
    #[error("migration {name}: {reason}")]
    Migration {
        /// owner/version/name of the migration.
        name: String,
        /// The database's message.
        reason: String,
    },
    /// Anything else the driver reported (connection lost, syntax, timeout).
    #[error("storage: {0}")]
    Storage(String),
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => Error::NotFound,
            sqlx::Error::Database(d)
                if d.is_unique_violation() || d.is_foreign_key_violation() || d.is_check_violation() =>
            {
                Error::Conflict(
                    d.constraint()
                        .map(str::to_string)
                        .unwrap_or_else(|| d.message().to_string()),
                )
            }
            _ => Error::Storage(e.to_string()),
        }
    }
}
