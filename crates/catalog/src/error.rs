//! The one error every catalog operation returns, in terms the web layer maps to a status.

use tongban_kernel::msg;
use tongban_kernel::{CalendarError, Invalid, Msg};

/// What went wrong; every message is safe to show the caller, in the language of whoever shows
/// it ([`Error::message`]); `Display` writes it in both languages, for logs.
#[derive(Debug)]
pub enum Error {
    /// No such object (`what`: `resource`, `request`, `grant`, `version`).
    NotFound {
        /// The kind of object, in English.
        what: &'static str,
    },
    /// The principal may not do this.
    Forbidden {
        /// Why.
        why: Msg,
    },
    /// Bad input; names the field (`code`, `fields[2].code`, `valid_until`, …).
    Invalid(Invalid),
    /// The input clashes with what is stored or with the object's state (code taken, request
    /// already decided, edited by someone else since it was read).
    Conflict {
        /// The input field or `status`.
        field: String,
        /// Why.
        reason: Msg,
    },
    /// A deadline cannot be counted: the working-day calendar lacks a year. An administrator
    /// must enter that year's holidays; the catalog never guesses.
    Calendar(CalendarError),
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
            Error::Calendar(e) => msg!("cannot-count-deadline", cause = e.message()),
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
            Error::Calendar(e) => Some(e),
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

impl From<CalendarError> for Error {
    fn from(e: CalendarError) -> Self {
        Error::Calendar(e)
    }
}

impl From<tongban_db::Error> for Error {
    fn from(e: tongban_db::Error) -> Self {
        Error::Storage(e)
    }
}

/// The result of a catalog operation.
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
    fn messages_follow_the_language() {
        let missing = Error::NotFound { what: "grant" };
        assert_eq!(
            missing.message().render(tongban_kernel::Lang::En),
            "grant not found"
        );
        assert_eq!(missing.to_string(), "共享授权不存在 / grant not found");
        let cal = Error::from(CalendarError::UnknownYear(2027)).to_string();
        assert!(cal.contains("2027") && cal.contains("cannot count"), "{cal}");
        assert_eq!(Error::invalid("fields", "x").field(), Some("fields"));
    }
}
