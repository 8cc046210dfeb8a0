//! The one error every seal operation returns, in terms the web layer maps to a status.

use tongban_kernel::Invalid;

/// What went wrong; every message is zh-CN first, English second, and safe to show the caller.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No such object (`what`: `seal`, `licence`).
    #[error("{}不存在 / {what} not found", what_zh(what))]
    NotFound {
        /// The kind of object, in English.
        what: &'static str,
    },
    /// The principal may not do this.
    #[error("{why}")]
    Forbidden {
        /// Bilingual reason.
        why: String,
    },
    /// Bad input; names the field (`name`, `valid_to`, `fields[2].key`, …).
    #[error("{0}")]
    Invalid(#[from] Invalid),
    /// The input clashes with what is stored or with the object's state (a seal name taken, a
    /// licence already revoked, a seal not valid today).
    #[error("{field}: {reason}")]
    Conflict {
        /// The input field or `status`.
        field: String,
        /// Bilingual reason.
        reason: String,
    },
    /// A key could not be used (a wrapped seal key that does not open under this keyring).
    #[error("密钥错误 / key error: {0}")]
    Key(#[from] tongban_crypto::Error),
    /// Reading or writing a certificate directory failed.
    #[error("文件读写失败 / file I/O {path}: {reason}")]
    Io {
        /// The file or directory.
        path: String,
        /// The operating system's message.
        reason: String,
    },
    /// The database failed.
    #[error("存储错误 / storage error: {0}")]
    Storage(#[from] tongban_db::Error),
}

/// The result of a seal operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A refusal with a bilingual reason.
    pub fn forbidden(why: impl Into<String>) -> Self {
        Error::Forbidden { why: why.into() }
    }

    /// A clash with stored data or state on `field`.
    pub fn conflict(field: &str, reason: impl Into<String>) -> Self {
        Error::Conflict {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Bad input on `field`.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Invalid(Invalid::new(field, reason))
    }

    /// The field an `Invalid` or `Conflict` names, if any (handy for forms and tests).
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Invalid(i) => Some(&i.field),
            Error::Conflict { field, .. } => Some(field),
            _ => None,
        }
    }

    pub(crate) fn io(path: &std::path::Path, e: &std::io::Error) -> Self {
        Error::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        }
    }
}

impl From<tongban_kernel::principal::Denied> for Error {
    fn from(d: tongban_kernel::principal::Denied) -> Self {
        Error::Forbidden { why: d.why }
    }
}

/// The error for a stored `column` whose value does not decode.
pub(crate) fn decode_err(column: &str, reason: impl Into<String>) -> Error {
    Error::Storage(tongban_db::decode::decode_error(column, reason))
}

fn what_zh(what: &str) -> &'static str {
    match what {
        "seal" => "电子印章",
        "licence" => "电子证照",
        _ => "对象",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_bilingual_and_name_the_field() {
        assert_eq!(
            Error::NotFound { what: "licence" }.to_string(),
            "电子证照不存在 / licence not found"
        );
        assert_eq!(Error::invalid("valid_to", "x").field(), Some("valid_to"));
        assert_eq!(Error::conflict("status", "x").field(), Some("status"));
    }
}
