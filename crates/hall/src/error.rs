//! The one error every hall operation returns, in terms the web layer maps to a status.

use tongban_kernel::{CalendarError, Invalid};

/// What went wrong; every message is zh-CN first, English second, and safe to show the caller.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No such object (`what`: `service_item`, `workflow`, `case`, …). Also what a citizen gets
    /// for someone else's case, so its existence does not leak.
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
    /// Bad input; names the field (`code`, `form.id_number`, `steps[1].mode`, …).
    #[error("{0}")]
    Invalid(#[from] Invalid),
    /// The input clashes with what is stored or with the object's state (already accepted,
    /// 补正 already requested, changed by someone else since it was read, code taken).
    #[error("{field}: {reason}")]
    Conflict {
        /// The input field or `status`.
        field: String,
        /// Bilingual reason.
        reason: String,
    },
    /// A time limit cannot be counted: the working-day calendar lacks a year. An administrator
    /// must enter that year's holidays; nothing is guessed.
    #[error("无法计算期限 / cannot count the time limit: {0}")]
    Calendar(#[from] CalendarError),
    /// The department directory could not be asked.
    #[error("部门目录不可用 / the department directory failed: {0}")]
    Directory(String),
    /// The prefill source (the shared data catalogue) could not be asked.
    #[error("共享数据目录不可用 / the shared data source failed: {0}")]
    Prefill(String),
    /// The e-licence of a completed case could not be issued (no valid seal, a holder field
    /// that is not a valid identifier, …); the case stays as it was.
    #[error("电子证照签发失败 / the e-licence could not be issued: {0}")]
    Licence(#[from] tongban_seal::Error),
    /// The database failed.
    #[error("存储错误 / storage error: {0}")]
    Storage(#[from] tongban_db::Error),
}

/// The result of a hall operation.
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
            Error::Licence(e) => e.field(),
            _ => None,
        }
    }
}

impl From<tongban_kernel::principal::Denied> for Error {
    fn from(d: tongban_kernel::principal::Denied) -> Self {
        Error::Forbidden { why: d.why }
    }
}

impl From<tongban_crypto::Error> for Error {
    /// A stored encrypted value that does not open is a storage fault, never shown in detail.
    fn from(_: tongban_crypto::Error) -> Self {
        decode_err(
            "form",
            "加密字段无法解密 / an encrypted field could not be decrypted",
        )
    }
}

/// The error for a stored `column` whose value does not decode.
pub(crate) fn decode_err(column: &str, reason: impl Into<String>) -> Error {
    Error::Storage(tongban_db::decode::decode_error(column, reason))
}

fn what_zh(what: &str) -> &'static str {
    match what {
        "service_item" => "事项",
        "workflow" => "办理流程",
        "case" => "办件",
        "task" => "待办",
        "department" => "部门",
        "file" => "文件",
        "bundle" => "一件事",
        "bundle_case" => "一件事申请",
        _ => "对象",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_bilingual_and_name_the_field() {
        assert_eq!(
            Error::NotFound { what: "case" }.to_string(),
            "办件不存在 / case not found"
        );
        let cal = Error::from(CalendarError::UnknownYear(2027)).to_string();
        assert!(cal.contains("2027") && cal.contains("cannot count"), "{cal}");
        assert_eq!(Error::invalid("form.name", "x").field(), Some("form.name"));
    }
}
