//! The one error every identity operation returns, in terms the web layer maps to a status.

use tongban_kernel::{Invalid, Millis};

/// What went wrong; every message is zh-CN first, English second, and safe to show the caller.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No such object, or one the caller may not know exists (`what`: `account`, `department`,
    /// `session`, `api_client`).
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
    /// Bad input; names the field.
    #[error("{0}")]
    Invalid(#[from] Invalid),
    /// The input clashes with what is stored (username taken, ID number already registered).
    #[error("{field}: {reason}")]
    Conflict {
        /// The input field.
        field: String,
        /// Bilingual reason.
        reason: String,
    },
    /// Unknown username or wrong password (deliberately the same for both).
    #[error("用户名或密码错误 / wrong username or password")]
    BadCredentials,
    /// Too many failed attempts, or locked by an administrator (`until` is `None`).
    #[error("{}", locked_message(until))]
    Locked {
        /// When the lock lifts by itself.
        until: Option<Millis>,
    },
    /// Five failed sign-ins in a row from this client address: its attempts on this account
    /// are paused until `until` (the holder elsewhere is not stopped).
    #[error("{}", paused_message(until))]
    SourceBlocked {
        /// When attempts from the address may resume.
        until: Millis,
    },
    /// Too many attempts from this address or on this account, or too many password checks
    /// waiting: try again after `retry_after_s` seconds (429 with `Retry-After`).
    #[error(
        "尝试过于频繁，请{retry_after_s}秒后再试 / too many attempts; try again in {retry_after_s}\u{a0}s"
    )]
    TooMany {
        /// Seconds to wait.
        retry_after_s: u64,
    },
    /// The account has been disabled.
    #[error("账号已停用 / the account is disabled")]
    Disabled,
    /// The session still owes its second factor (a code, or setting one up).
    #[error("需要完成两步验证 / two-step verification is required")]
    MfaRequired,
    /// A one-time code was wrong, expired or already used.
    #[error("验证码错误或已使用 / the code is wrong or has already been used")]
    BadCode,
    /// The session or token is unknown, expired or revoked.
    #[error("登录已失效，请重新登录 / not signed in or the session has expired")]
    Unauthenticated,
    /// Stored ciphertext could not be opened, or hashing failed.
    #[error("加密处理失败 / cryptographic failure: {0}")]
    Crypto(String),
    /// The database failed.
    #[error("存储错误 / storage error: {0}")]
    Storage(#[from] tongban_db::Error),
}

/// The result of an identity operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A refusal with a bilingual reason.
    pub fn forbidden(why: impl Into<String>) -> Self {
        Error::Forbidden { why: why.into() }
    }

    /// A clash with stored data on `field`.
    pub fn conflict(field: &str, reason: &str) -> Self {
        Error::Conflict {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Bad input on `field`.
    pub fn invalid(field: &str, reason: &str) -> Self {
        Error::Invalid(Invalid::new(field, reason))
    }
}

impl From<tongban_kernel::principal::Denied> for Error {
    fn from(d: tongban_kernel::principal::Denied) -> Self {
        Error::Forbidden { why: d.why }
    }
}

fn what_zh(what: &str) -> &'static str {
    match what {
        "account" => "账号",
        "department" => "部门",
        "session" => "会话",
        "api_client" => "接入系统",
        _ => "对象",
    }
}

/// `t` as people here read it: local time in the platform's zone.
pub(crate) fn local(t: Millis) -> String {
    t.display_in(&tongban_kernel::time::zone(tongban_kernel::time::DEFAULT_ZONE))
}

fn paused_message(until: &Millis) -> String {
    let at = local_minute(*until);
    format!(
        "该账号从您所在的网络登录失败次数过多，已暂停从此处登录，请于 {at} 后再试。 / Too many failed sign-ins to this account from your network: signing in from here is paused until {at}."
    )
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

fn locked_message(until: &Option<Millis>) -> String {
    match until {
        Some(t) => {
            let at = local(*t);
            format!("账号已锁定，请于 {at} 后再试 / the account is locked until {at}")
        }
        None => "账号已被管理员锁定 / the account has been locked by an administrator".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pause_ends_at_a_local_minute_on_one_line() {
        // 2026-12-07 06:05:40 UTC is 14:05:40 in Shanghai: said as 14:06, never earlier.
        assert_eq!(local_minute(Millis(1_796_623_540_000)), "2026-12-07\u{a0}14:06");
        assert_eq!(local_minute(Millis(1_796_623_500_000)), "2026-12-07\u{a0}14:05");
        let said = paused_message(&Millis(1_796_623_540_000));
        assert!(said.contains("请于 2026-12-07\u{a0}14:06 后再试。"), "{said}");
    }
}
