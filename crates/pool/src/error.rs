//! The one error every pool operation returns, in terms the web layer and the CLI can act on.

use tongban_kernel::Invalid;

/// What went wrong with a load; every message is zh-CN first, English second. A bad cell is never
/// an error: it rejects its row into the reject report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No such resource (or the actor may not see it).
    #[error("数据资源不存在 / resource not found")]
    NotFound,
    /// The actor may not load data into this resource.
    #[error("{why}")]
    Forbidden {
        /// Bilingual reason.
        why: String,
    },
    /// The load cannot start: names the field (`mapping.id_number`, `fields.age.rules`, …).
    #[error("{0}")]
    Invalid(#[from] Invalid),
    /// Nothing could be read from the file: empty, no header row, binary, not text.
    #[error("文件无法读取 / file unreadable: {reason}")]
    Unreadable {
        /// Bilingual reason.
        reason: String,
    },
    /// A department database a pull reads could not be reached or read (never names the URL).
    #[error("外部数据库 / source database: {reason}")]
    Remote {
        /// Bilingual reason.
        reason: String,
    },
    /// A webhook callback or pull source is not a permitted destination (a reserved address
    /// off the department's allow-list, or a name that does not resolve).
    #[error("{reason}")]
    Destination {
        /// Bilingual reason: the kind of address, never what answers there.
        reason: String,
    },
    /// The catalog refused or failed (recording the version, reading the resource).
    #[error("{0}")]
    Catalog(tongban_catalog::Error),
    /// Reading the upload or writing the lake failed.
    #[error("读写失败 / I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// Writing or reading a parquet file failed.
    #[error("Parquet 文件错误 / parquet error: {0}")]
    Parquet(String),
    /// A query could not run (bad SQL, not a query, time or memory limit).
    #[error("{0}")]
    Query(#[from] crate::query::QueryError),
    /// The database failed (recording an event).
    #[error("{0}")]
    Db(#[from] tongban_db::Error),
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
            tongban_catalog::Error::Forbidden { why } => Error::Forbidden { why: why.to_string() },
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
                reason: not_text.to_string(),
            },
        }
    }
}

impl From<csv::Error> for Error {
    fn from(e: csv::Error) -> Self {
        match e.into_kind() {
            csv::ErrorKind::Io(io) => tongban_text::Error::from(io).into(),
            other => Error::Unreadable {
                reason: format!("CSV 格式错误 / malformed CSV: {other:?}"),
            },
        }
    }
}

/// Refusal for a principal without the permission.
impl From<tongban_kernel::principal::Denied> for Error {
    fn from(d: tongban_kernel::principal::Denied) -> Self {
        Error::Forbidden { why: d.why }
    }
}
