//! The one error every seal operation returns, in terms the web layer maps to a status.

use tongban_kernel::msg;
use tongban_kernel::{Invalid, Msg};

/// What went wrong; every message is safe to show the caller, in the language of whoever shows
/// it ([`Error::message`]); `Display` writes it in both languages, for logs.
#[derive(Debug)]
pub enum Error {
    /// No such object (`what`: `seal`, `licence`).
    NotFound {
        /// The kind of object, in English.
        what: &'static str,
    },
    /// The principal may not do this.
    Forbidden {
        /// Why.
        why: Msg,
    },
    /// Bad input; names the field (`name`, `valid_to`, `fields[2].key`, …).
    Invalid(Invalid),
    /// The input clashes with what is stored or with the object's state (a seal name taken, a
    /// licence already revoked, a seal not valid today).
    Conflict {
        /// The input field or `status`.
        field: String,
        /// Why.
        reason: Msg,
    },
    /// A key could not be used (a wrapped seal key that does not open under this keyring).
    Key(tongban_crypto::Error),
    /// Reading or writing a certificate directory failed.
    Io {
        /// The file or directory.
        path: String,
        /// What went wrong (the operating system's message, or what the file lacks).
        reason: Msg,
    },
    /// The database failed.
    Storage(tongban_db::Error),
}

impl Error {
    /// What to tell a person (without the field an `Invalid` or `Conflict` names).
    pub fn message(&self) -> Msg {
        match self {
            Error::NotFound { what } => msg!("not-found", what = *what),
            Error::Forbidden { why } => why.clone(),
            Error::Invalid(i) => i.reason.clone(),
            Error::Conflict { reason, .. } => reason.clone(),
            Error::Key(e) => msg!("key-failed", cause = Msg::from(e.to_string())),
            Error::Io { path, reason } => msg!("file-failed", path = path, cause = reason),
            Error::Storage(e) => msg!("storage-failed", cause = e.to_string()),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Invalid(i) => i.fmt(f),
            Error::Conflict { field, reason } => write!(f, "{field}: {reason}"),
            _ => self.message().fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Invalid(e) => Some(e),
            Error::Key(e) => Some(e),
            Error::Storage(e) => Some(e),
            _ => None,
        }
    }
}

impl From<Invalid> for Error {
    fn from(e: Invalid) -> Self {
        Error::Invalid(e)
    }
}

impl From<tongban_crypto::Error> for Error {
    fn from(e: tongban_crypto::Error) -> Self {
        Error::Key(e)
    }
}

impl From<tongban_db::Error> for Error {
    fn from(e: tongban_db::Error) -> Self {
        Error::Storage(e)
    }
}

/// The result of a seal operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A refusal, saying why.
    pub fn forbidden(why: impl Into<Msg>) -> Self {
        Error::Forbidden { why: why.into() }
    }

    /// A clash with stored data or state on `field`.
    pub fn conflict(field: &str, reason: impl Into<Msg>) -> Self {
        Error::Conflict {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Bad input on `field`.
    pub fn invalid(field: impl Into<String>, reason: impl Into<Msg>) -> Self {
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
            reason: Msg::from(e.to_string()),
        }
    }
}

impl From<tongban_kernel::principal::Denied> for Error {
    fn from(d: tongban_kernel::principal::Denied) -> Self {
        Error::Forbidden { why: d.why.into() }
    }
}

/// The error for a stored `column` whose value does not decode.
pub(crate) fn decode_err(column: &str, reason: impl Into<String>) -> Error {
    Error::Storage(tongban_db::decode::decode_error(column, reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_exists_in_every_language_and_is_used() {
        let problems =
            crate::MESSAGES.problems_with(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn messages_follow_the_language_and_name_the_field() {
        let missing = Error::NotFound { what: "licence" };
        assert_eq!(
            missing.message().render(tongban_kernel::Lang::Zh),
            "电子证照不存在"
        );
        assert_eq!(missing.to_string(), "电子证照不存在 / licence not found");
        assert_eq!(Error::invalid("valid_to", "x").field(), Some("valid_to"));
        assert_eq!(Error::conflict("status", "x").field(), Some("status"));
    }
}
