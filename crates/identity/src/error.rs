//! The one error every identity operation returns, in terms the web layer maps to a status.

use tongban_kernel::msg;
use tongban_kernel::{Invalid, Millis, Msg};

/// What went wrong; every message is safe to show the caller, in the language of whoever shows
/// it ([`Error::message`]); `Display` writes it in both languages, for logs.
#[derive(Debug)]
pub enum Error {
    /// No such object, or one the caller may not know exists (`what`: `account`, `department`,
    /// `session`, `api_client`).
    NotFound {
        /// The kind of object, in English.
        what: &'static str,
    },
    /// The principal may not do this.
    Forbidden {
        /// Why.
        why: Msg,
    },
    /// Bad input; names the field.
    Invalid(Invalid),
    /// The input clashes with what is stored (username taken, ID number already registered).
    Conflict {
        /// The input field.
        field: String,
        /// Why.
        reason: Msg,
    },
    /// Unknown username or wrong password (deliberately the same for both).
    BadCredentials,
    /// Too many failed attempts, or locked by an administrator (`until` is `None`).
    Locked {
        /// When the lock lifts by itself.
        until: Option<Millis>,
    },
    /// Five failed sign-ins in a row from this client address: its attempts on this account
    /// are paused until `until` (the holder elsewhere is not stopped).
    SourceBlocked {
        /// When attempts from the address may resume.
        until: Millis,
    },
    /// Too many attempts from this address or on this account, or too many password checks
    /// waiting: try again after `retry_after_s` seconds (429 with `Retry-After`).
    TooMany {
        /// Seconds to wait.
        retry_after_s: u64,
    },
    /// The account has been disabled.
    Disabled,
    /// The session still owes its second factor (a code, or setting one up).
    MfaRequired,
    /// A one-time code was wrong, expired or already used.
    BadCode,
    /// The session or token is unknown, expired or revoked.
    Unauthenticated,
    /// Stored ciphertext could not be opened, or hashing failed.
    Crypto(String),
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
            Error::BadCredentials => msg!("wrong-username-password"),
            Error::Locked { until: Some(t) } => msg!("account-locked-until", at = local(*t)),
            Error::Locked { until: None } => msg!("account-locked"),
            Error::SourceBlocked { until } => msg!("sign-in-paused", at = local_minute(*until)),
            Error::TooMany { retry_after_s } => msg!("too-many-attempts", seconds = *retry_after_s),
            Error::Disabled => msg!("account-disabled"),
            Error::MfaRequired => msg!("two-step-verification-required"),
            Error::BadCode => msg!("code-wrong-has-already"),
            Error::Unauthenticated => msg!("not-signed-session-has"),
            Error::Crypto(e) => msg!("crypto-failed", cause = e),
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

impl From<tongban_db::Error> for Error {
    fn from(e: tongban_db::Error) -> Self {
        Error::Storage(e)
    }
}

/// The result of an identity operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A refusal, saying why.
    pub fn forbidden(why: impl Into<Msg>) -> Self {
        Error::Forbidden { why: why.into() }
    }

    /// A clash with stored data on `field`.
    pub fn conflict(field: &str, reason: impl Into<Msg>) -> Self {
        Error::Conflict {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Bad input on `field`.
    pub fn invalid(field: &str, reason: impl Into<Msg>) -> Self {
        Error::Invalid(Invalid::new(field, reason))
    }
}

impl From<tongban_kernel::principal::Denied> for Error {
    fn from(d: tongban_kernel::principal::Denied) -> Self {
        Error::Forbidden { why: d.why.into() }
    }
}

/// `t` as people here read it: local time in the platform's zone.
pub(crate) fn local(t: Millis) -> String {
    t.display_in(&tongban_kernel::time::zone(tongban_kernel::time::DEFAULT_ZONE))
}

/// `t` rounded up to the minute, in local time, its day and time kept on one line
/// (`2026-12-07 14:06`).
pub(crate) fn local_minute(t: Millis) -> String {
    const MINUTE: i64 = 60_000;
    let up = Millis((t.0 + MINUTE - 1) / MINUTE * MINUTE);
    let shown = local(up);
    let shown = shown.strip_suffix(":00").unwrap_or(&shown);
    shown.replace(' ', "\u{a0}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pause_ends_at_a_local_minute_on_one_line() {
        // 2026-12-07 06:05:40 UTC is 14:05:40 in Shanghai: said as 14:06, never earlier.
        assert_eq!(local_minute(Millis(1_796_623_540_000)), "2026-12-07\u{a0}14:06");
        assert_eq!(local_minute(Millis(1_796_623_500_000)), "2026-12-07\u{a0}14:05");
        let said = Error::SourceBlocked {
            until: Millis(1_796_623_540_000),
        }
        .message();
        let zh = said.render(tongban_kernel::Lang::Zh);
        assert!(zh.contains("请于 2026-12-07\u{a0}14:06 后再试。"), "{zh}");
    }

    #[test]
    fn every_message_exists_in_every_language_and_is_used() {
        let problems =
            crate::MESSAGES.problems_with(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
