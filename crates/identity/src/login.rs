//! Password sign-in with lockout. Every attempt leaves an event: `identity.login.succeeded`,
//! `identity.login.failed`, and `identity.account.locked` when the fifth failure in a row locks
//! the account for 5 min × 2^(n-1) on its n-th lockout, at most 24 h. A success resets both.
//!
//! Before any password is hashed, an attempt takes a token from its client address's and its
//! account's buckets ([`PER_ADDRESS`], [`PER_ACCOUNT`]; a successful sign-in gives them back), or
//! is refused with [`Error::TooMany`]. Attempts on one account run one at a time, so a burst
//! cannot slip a right password past the lock its wrong ones set; and the success's own write
//! refuses an account locked meanwhile by another server.

use crate::session::effective_mfa;
use crate::{
    AccountId, Error, Identity, LoginContext, LoginOutcome, MfaState, Result, normalize_username, password,
};
use serde_json::json;
use tongban_crypto::{mask_id_number, mask_phone};
use tongban_db::{EventDraft, params};
use tongban_kernel::{DeptPath, IdNumber, Millis, PhoneNumber, Principal};

/// Sign-in attempts a client address may make: a burst, then so many a minute.
pub const PER_ADDRESS: (u32, u32) = (30, 10);
/// Sign-in attempts on one account (whoever makes them): a burst, then so many a minute.
pub const PER_ACCOUNT: (u32, u32) = (10, 5);
/// Stripes of the per-account turn (accounts share one by the hash of their name).
const STRIPES: usize = 64;

/// What keeps sign-in in bounds: the attempt buckets and the per-account turns.
pub(crate) struct LoginGate {
    limiter: tongban_kernel::ratelimit::Limiter,
    turns: Vec<tokio::sync::Mutex<()>>,
}

impl LoginGate {
    pub(crate) fn new() -> LoginGate {
        LoginGate {
            limiter: tongban_kernel::ratelimit::Limiter::default(),
            turns: (0..STRIPES).map(|_| tokio::sync::Mutex::new(())).collect(),
        }
    }

    /// Takes a token for the address and for the account, or says how long to wait.
    fn admit(&self, address: Option<&str>, account: &str, now: Millis) -> Result<()> {
        let by_account = format!("account:{account}");
        self.limiter
            .take_per_minute(&by_account, PER_ACCOUNT.1, PER_ACCOUNT.0, now)
            .map_err(|wait| Error::TooMany { retry_after_s: wait })?;
        if let Some(ip) = address
            && let Err(wait) =
                self.limiter
                    .take_per_minute(&format!("address:{ip}"), PER_ADDRESS.1, PER_ADDRESS.0, now)
        {
            self.limiter.give_back(&by_account, PER_ACCOUNT.0);
            return Err(Error::TooMany { retry_after_s: wait });
        }
        Ok(())
    }

    /// Gives the tokens of a successful sign-in back: people who sign in are not throttled.
    fn succeeded(&self, address: Option<&str>, account: &str) {
        self.limiter
            .give_back(&format!("account:{account}"), PER_ACCOUNT.0);
        if let Some(ip) = address {
            self.limiter.give_back(&format!("address:{ip}"), PER_ADDRESS.0);
        }
    }

    /// The turn of attempts on `account`.
    fn turn(&self, account: &str) -> &tokio::sync::Mutex<()> {
        use std::hash::{BuildHasher, BuildHasherDefault};
        let h = BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(account);
        &self.turns[(h as usize) % self.turns.len()]
    }
}

/// Failures in a row that lock an account.
pub const MAX_FAILURES: i64 = 5;
/// The first lockout's length.
pub const FIRST_LOCKOUT_MS: i64 = 5 * 60 * 1000;
/// The longest lockout.
pub const MAX_LOCKOUT_MS: i64 = 24 * 60 * 60 * 1000;

/// Length of the `n`-th lockout (n ≥ 1): 5 min, 10 min, 20 min, … capped at 24 h.
pub fn lockout_ms(n: i64) -> i64 {
    let doublings = u32::try_from((n - 1).clamp(0, 20)).unwrap_or(20);
    FIRST_LOCKOUT_MS
        .saturating_mul(1i64 << doublings)
        .min(MAX_LOCKOUT_MS)
}

/// The name someone typed, fit for an event: an ID number or phone typed into the username box
/// is masked, anything else that is not a possible username is not repeated.
fn attempted_name(text: &str) -> String {
    let t = text.trim();
    if let Ok(n) = IdNumber::parse("username", t) {
        return mask_id_number(n.as_str());
    }
    if let Ok(p) = PhoneNumber::parse("username", t) {
        return mask_phone(p.as_str());
    }
    match normalize_username(t) {
        Ok(name) => name,
        Err(_) => format!(
            "（无效用户名，{} 字符）/ (malformed username, {} characters)",
            t.chars().count(),
            t.chars().count()
        ),
    }
}

/// What sign-in needs of an account.
pub(crate) struct AuthRow {
    pub id: AccountId,
    pub username: String,
    pub password_hash: String,
    pub status: String,
    pub locked_until: Option<Millis>,
    pub totp_enabled: bool,
    pub department: Option<DeptPath>,
}

/// `Some(Locked)` when an account in `status` may not sign in at `now` because of a lock.
pub(crate) fn lock_error(status: &str, locked_until: Option<Millis>, now: Millis) -> Option<Error> {
    match (status, locked_until) {
        ("locked", None) => Some(Error::Locked { until: None }),
        ("locked", Some(t)) if t > now => Some(Error::Locked { until: Some(t) }),
        _ => None,
    }
}

/// The account a failed attempt is about.
pub(crate) struct Who<'a> {
    pub id: &'a AccountId,
    pub username: &'a str,
    pub department: Option<&'a DeptPath>,
}

impl AuthRow {
    fn who(&self) -> Who<'_> {
        Who {
            id: &self.id,
            username: &self.username,
            department: self.department.as_ref(),
        }
    }

    fn lock_now(&self, now: Millis) -> Option<Error> {
        lock_error(&self.status, self.locked_until, now)
    }
}

impl Identity {
    async fn auth_row(&self, username: &str) -> Result<Option<AuthRow>> {
        let Some(r) = self
            .db
            .fetch_optional(
                "SELECT a.id, a.username, a.password_hash, a.status, a.locked_until_ms, \
                 a.totp_enabled, d.path AS dept_path FROM accounts a \
                 LEFT JOIN departments d ON d.id = a.department_id WHERE a.username = $1",
                params![username],
            )
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(AuthRow {
            id: AccountId(r.get("id")?),
            username: r.get("username")?,
            password_hash: r.get("password_hash")?,
            status: r.get("status")?,
            locked_until: r.get("locked_until_ms")?,
            totp_enabled: r.get("totp_enabled")?,
            department: r.get("dept_path")?,
        }))
    }

    /// Checks a username and password and opens a session. The outcome says whether the session
    /// may act at once or still owes a TOTP code or a TOTP set-up (sys_admin and security_admin
    /// without one). Unknown usernames and wrong passwords are both `BadCredentials`; a locked
    /// account is `Locked` (even with the right password), a disabled one `Disabled` (only with
    /// the right password).
    pub async fn login(&self, username: &str, password: &str, ctx: LoginContext) -> Result<LoginOutcome> {
        let name = normalize_username(username).ok();
        let account = name.clone().unwrap_or_else(|| attempted_name(username));
        self.login_gate.admit(ctx.ip.as_deref(), &account, self.now())?;
        let _turn = self.login_gate.turn(&account).lock().await;
        let outcome = self
            .login_in_turn(name.as_deref(), username, password, &ctx)
            .await;
        if outcome.is_ok() {
            self.login_gate.succeeded(ctx.ip.as_deref(), &account);
        }
        outcome
    }

    async fn login_in_turn(
        &self,
        name: Option<&str>,
        username: &str,
        password: &str,
        ctx: &LoginContext,
    ) -> Result<LoginOutcome> {
        let ctx = ctx.clone();
        let row = match name {
            Some(name) => self.auth_row(name).await?,
            None => None,
        };
        let Some(acct) = row else {
            password::verify_nothing(password).await?;
            self.record_unknown_user(username, &ctx).await?;
            return Err(Error::BadCredentials);
        };
        if let Some(locked) = acct.lock_now(self.now()) {
            self.record_failure(&acct.who(), "locked", &ctx, false).await?;
            return Err(locked);
        }
        if !password::verify(password, &acct.password_hash).await? {
            return Err(self
                .record_failure(&acct.who(), "bad_password", &ctx, true)
                .await?);
        }
        if acct.status == "disabled" {
            self.record_failure(&acct.who(), "disabled", &ctx, false).await?;
            return Err(Error::Disabled);
        }
        self.record_success(&acct, &ctx).await
    }

    async fn record_unknown_user(&self, typed: &str, ctx: &LoginContext) -> Result<()> {
        let name = attempted_name(typed);
        let mut tx = self.db.begin_write().await?;
        tx.append_event(
            &Principal::anonymous(),
            EventDraft {
                action: "identity.login.failed",
                object_type: "account",
                object_id: "unknown",
                object_dept: None,
                summary: format!("登录失败：未知用户 {name} / login failed: unknown user {name}"),
                detail: json!({ "username": name, "reason": "unknown_user", "ip": ctx.ip }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a failed attempt. With `counts`, it adds to the failure count and locks the
    /// account on the fifth in a row. Returns the error the caller should see.
    pub(crate) async fn record_failure(
        &self,
        acct: &Who<'_>,
        reason: &str,
        ctx: &LoginContext,
        counts: bool,
    ) -> Result<Error> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let mut outcome = Error::BadCredentials;
        let mut lock: Option<(i64, Millis)> = None;
        if counts {
            let r = tx
                .fetch_one(
                    "UPDATE accounts SET failed_logins = failed_logins + 1, updated_ms = $1 \
                     WHERE id = $2 RETURNING failed_logins, lockouts, status",
                    params![now, acct.id.as_str()],
                )
                .await?;
            let failures: i64 = r.get("failed_logins")?;
            let lockouts: i64 = r.get("lockouts")?;
            let status: String = r.get("status")?;
            if failures >= MAX_FAILURES && status != "disabled" {
                let n = lockouts + 1;
                let until = now.plus_ms(lockout_ms(n));
                tx.execute(
                    "UPDATE accounts SET status = 'locked', locked_until_ms = $1, failed_logins = 0, \
                     lockouts = $2, updated_ms = $3 WHERE id = $4",
                    params![until, n, now, acct.id.as_str()],
                )
                .await?;
                lock = Some((n, until));
                outcome = Error::Locked { until: Some(until) };
            }
        }
        tx.append_event(
            &Principal::anonymous(),
            EventDraft {
                action: "identity.login.failed",
                object_type: "account",
                object_id: acct.id.as_str(),
                object_dept: acct.department,
                summary: {
                    let (zh, en) = match reason {
                        "bad_password" => ("密码错误", "wrong password"),
                        "locked" => ("账号已锁定", "account locked"),
                        "disabled" => ("账号已停用", "account disabled"),
                        _ => ("其他原因", "other reason"),
                    };
                    format!(
                        "{} 登录失败（{zh}） / sign-in failed for {} ({en})",
                        acct.username, acct.username
                    )
                },
                detail: json!({ "username": acct.username, "reason": reason, "ip": ctx.ip }),
            },
        )
        .await?;
        if let Some((n, until)) = lock {
            tx.append_event(
                &Principal::anonymous(),
                EventDraft {
                    action: "identity.account.locked",
                    object_type: "account",
                    object_id: acct.id.as_str(),
                    object_dept: acct.department,
                    summary: format!(
                        "连续{MAX_FAILURES}次登录失败，锁定账号 {} 至 {} / account {} locked until {} after {MAX_FAILURES} failed logins",
                        acct.username,
                        until.rfc3339(),
                        acct.username,
                        until.rfc3339()
                    ),
                    detail: json!({
                        "username": acct.username,
                        "until_ms": until.0,
                        "lockout": n,
                        "ip": ctx.ip,
                    }),
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(outcome)
    }

    async fn record_success(&self, acct: &AuthRow, ctx: &LoginContext) -> Result<LoginOutcome> {
        let actor = self
            .principal_of(&acct.id, &acct.username, acct.department.clone())
            .await?;
        let mfa = effective_mfa(MfaState::None, acct.totp_enabled, &actor.grants);
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        // An administrator may have locked or disabled the account while the password was hashed.
        let n = tx
            .execute(
                "UPDATE accounts SET status = 'active', locked_until_ms = NULL, failed_logins = 0, \
                 lockouts = 0, last_login_ms = $1, updated_ms = $1 WHERE id = $2 \
                 AND (status = 'active' OR (status = 'locked' AND locked_until_ms <= $1))",
                params![now, acct.id.as_str()],
            )
            .await?;
        if n == 0 {
            return Err(Error::Locked { until: None });
        }
        let session = self
            .open_session_in(&mut tx, &acct.id, &acct.username, mfa, ctx, now)
            .await?;
        tx.append_event(
            &actor,
            EventDraft {
                action: "identity.login.succeeded",
                object_type: "account",
                object_id: acct.id.as_str(),
                object_dept: acct.department.as_ref(),
                summary: format!("{} 登录成功 / {} signed in", acct.username, acct.username),
                detail: json!({
                    "username": acct.username,
                    "session": session.session.id,
                    "mfa": mfa.code(),
                    "ip": ctx.ip,
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(match mfa {
            MfaState::Pending => LoginOutcome::MfaCodeNeeded(session),
            MfaState::SetupRequired => LoginOutcome::MfaSetupRequired(session),
            MfaState::None | MfaState::Passed => LoginOutcome::Full(session),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn lockouts_double_from_five_minutes_up_to_a_day() {
        assert_eq!(lockout_ms(1), 5 * 60 * 1000);
        assert_eq!(lockout_ms(2), 10 * 60 * 1000);
        assert_eq!(lockout_ms(4), 40 * 60 * 1000);
        assert_eq!(lockout_ms(9), 1280 * 60 * 1000);
        assert_eq!(lockout_ms(10), MAX_LOCKOUT_MS);
        assert_eq!(lockout_ms(1000), MAX_LOCKOUT_MS);
    }

    #[test]
    fn typed_names_are_repeated_only_when_harmless() {
        assert_eq!(attempted_name("Zhang3"), "zhang3");
        assert_eq!(attempted_name("11010519491231002X"), "1101*************X");
        assert_eq!(attempted_name("13800138000"), "138****8000");
        let odd = attempted_name("x' OR 1=1 --");
        assert!(odd.contains("malformed"), "{odd}");
        assert!(!odd.contains("OR 1=1"));
    }
}
