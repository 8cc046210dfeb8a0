//! The one error every pool operation returns, in terms the web layer and the CLI can act on.

use tongban_kernel::msg;
use tongban_kernel::{Invalid, Msg};

/// What went wrong with a load; [`Error::message`] says it to a person in their language,
/// `Display` in both. A bad cell is never an error: it rejects its row into the reject report.
#[derive(Debug)]
pub enum Error {
    /// No such resource (or the actor may not see it).
    NotFound,
    /// The actor may not load data into this resource.
    Forbidden {
        /// Why.
        why: Msg,
    },
    /// The load cannot start: names the field (`mapping.id_number`, `fields.age.rules`, …).
    Invalid(Invalid),
    /// Nothing could be read from the file: empty, no header row, binary, not text.
    Unreadable {
        /// Why.
        reason: Msg,
    },
    /// A department database a pull reads could not be reached or read (never names the URL).
    Remote {
        /// What the source said.
        reason: String,
    },
    /// A webhook callback or pull source is not a permitted destination (a reserved address
    /// off the department's allow-list, or a name that does not resolve).
    Destination {
        /// The kind of address, never what answers there.
        reason: Msg,
    },
    /// The catalog refused or failed (recording the version, reading the resource).
    Catalog(tongban_catalog::Error),
    /// Reading the upload or writing the lake failed.
    Io(std::io::Error),
    /// Writing or reading a parquet file failed.
    Parquet(String),
    /// A query could not run (bad SQL, not a query, time or memory limit).
    Query(crate::query::QueryError),
    /// The database failed (recording an event).
    Db(tongban_db::Error),
}

impl Error {
    /// What to tell a person (without the field an `Invalid` names).
    pub fn message(&self) -> Msg {
        match self {
            Error::NotFound => msg!("resource-not-found"),
            Error::Forbidden { why } => why.clone(),
            Error::Invalid(i) => i.reason.clone(),
            Error::Unreadable { reason } => msg!("file-unreadable", cause = reason),
            Error::Remote { reason } => msg!("source-database-failed", cause = Msg::from(reason.as_str())),
            Error::Destination { reason } => reason.clone(),
            Error::Catalog(e) => e.message(),
            Error::Io(e) => msg!("io-failed", cause = e.to_string()),
            Error::Parquet(e) => msg!("parquet-failed", cause = e),
            Error::Query(e) => e.message(),
            Error::Db(e) => Msg::from(e.to_string()),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Invalid(i) => i.fmt(f),
            Error::Catalog(e) => e.fmt(f),
            _ => self.message().fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Invalid(e) => Some(e),
            Error::Catalog(e) => Some(e),
            Error::Io(e) => Some(e),
            Error::Query(e) => Some(e),
            Error::Db(e) => Some(e),
            _ => None,
        }
    }
}

impl From<Invalid> for Error {
    fn from(e: Invalid) -> Self {
        Error::Invalid(e)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

impl From<crate::query::QueryError> for Error {
    fn from(e: crate::query::QueryError) -> Self {
        Error::Query(e)
    }
}

impl From<tongban_db::Error> for Error {
    fn from(e: tongban_db::Error) -> Self {
        Error::Db(e)
    }
}

impl Error {
    /// A refused destination as a refusal of the `url` field it was typed into; anything else
    /// as it is.
    pub(crate) fn on_url_field(self) -> Error {
        match self {
            Error::Destination { reason } => Invalid::new("url", reason).into(),
            other => other,
        }
    }
}

/// The result of a pool operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<tongban_catalog::Error> for Error {
    fn from(e: tongban_catalog::Error) -> Self {
        match e {
            tongban_catalog::Error::NotFound { .. } => Error::NotFound,
            tongban_catalog::Error::Forbidden { why } => Error::Forbidden { why },
            other => Error::Catalog(other),
        }
    }
}

impl From<parquet::errors::ParquetError> for Error {
    fn from(e: parquet::errors::ParquetError) -> Self {
        Error::Parquet(e.to_string())
    }
}

impl From<arrow::error::ArrowError> for Error {
    fn from(e: arrow::error::ArrowError) -> Self {
        Error::Parquet(e.to_string())
    }
}

impl From<tongban_text::Error> for Error {
    fn from(e: tongban_text::Error) -> Self {
        match e {
            tongban_text::Error::Io(io) => Error::Io(io),
            not_text => Error::Unreadable {
                reason: not_text.message(),
            },
        }
    }
}

impl From<csv::Error> for Error {
    fn from(e: csv::Error) -> Self {
        match e.into_kind() {
            csv::ErrorKind::Io(io) => tongban_text::Error::from(io).into(),
            other => Error::Unreadable {
                reason: msg!("malformed-csv", cause = format!("{other:?}")),
            },
        }
    }
}

/// Refusal for a principal without the permission.
impl From<tongban_kernel::principal::Denied> for Error {
    fn from(d: tongban_kernel::principal::Denied) -> Self {
        Error::Forbidden { why: d.why.into() }
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
