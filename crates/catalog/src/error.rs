//! The one error every catalog operation returns, in terms the web layer maps to a status.

use tongban_kernel::{CalendarError, Invalid};

/// What went wrong; every message is zh-CN first, English second, and safe to show the caller.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No such object (`what`: `resource`, `request`, `grant`, `version`).
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
    /// Bad input; names the field (`code`, `fields[2].code`, `valid_until`, …).
    #[error("{0}")]
    Invalid(#[from] Invalid),
    /// The input clashes with what is stored or with the object's state (code taken, request
    /// already decided, edited by someone else since it was read).
    #[error("{field}: {reason}")]
    Conflict {
        /// The input field or `status`.
        field: String,
        /// Bilingual reason.
        reason: String,
    },
    /// A deadline cannot be counted: the working-day calendar lacks a year. An administrator
    /// must enter that year's holidays; the catalog never guesses.
    #[error("无法计算期限 / cannot count the deadline: {0}")]
    Calendar(#[from] CalendarError),
    /// The database failed.
    #[error("存储错误 / storage error: {0}")]
    Storage(#[from] tongban_db::Error),
}

/// The result of a catalog operation.
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
    pub fn invalid(field: impl Into<String>, reason: impl Into<tongban_kernel::Msg>) -> Self {
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
        Error::Forbidden { why: d.why }
    }
}

/// The error for a stored `column` whose value does not decode.
pub(crate) fn decode_err(column: &str, reason: impl Into<String>) -> Error {
    Error::Storage(tongban_db::decode::decode_error(column, reason))
}

fn what_zh(what: &str) -> &'static str {
    match what {
        "resource" => "数据资源",
        "request" => "共享申请",
        "grant" => "共享授权",
        "version" => "数据版本",
        _ => "对象",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_bilingual() {
        assert_eq!(
            Error::NotFound { what: "grant" }.to_string(),
            "共享授权不存在 / grant not found"
        );
        let cal = Error::from(CalendarError::UnknownYear(2027)).to_string();
        assert!(cal.contains("2027") && cal.contains("cannot count"), "{cal}");
        assert_eq!(Error::invalid("fields", "x").field(), Some("fields"));
    }
}
