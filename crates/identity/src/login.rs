//! Password sign-in with back-off. Every attempt leaves an event: `identity.login.succeeded`,
//! `identity.login.failed`; the fifth failure in a row from one client address pauses that
//! address's attempts on the account for 5 min × 2^(n-1) on its n-th pause, at most 24 h
//! (`identity.login.source_blocked`), so a stranger's guessing never locks the holder out from
//! their own address. Only [`ACCOUNT_MAX_FAILURES`] failures in a row from all addresses lock an
//! account without a second factor as a whole (`identity.account.locked`); an account with one
//! is never locked by guessing. A success resets its address and the account. The holder sees
//! recent pauses on their account page; the security administrator lifts them with the unlock.
//!
//! Before any password is hashed, an attempt takes a token from its client address's and its
//! account's buckets ([`PER_ADDRESS`], [`PER_ACCOUNT`]; a successful sign-in gives them back), or
//! is refused with [`Error::TooMany`]. Attempts on one account run one at a time, so a burst
//! cannot slip a right password past the lock its wrong ones set; and the success's own write
//! refuses an account locked meanwhile by another server.

use crate::error::local;
use crate::events::{AccountLocked, LockedBy, LoginFailed, LoginSucceeded, SourceBlocked};
use crate::session::effective_mfa;
use crate::{
    AccountId, Error, Identity, LoginContext, LoginOutcome, MfaState, Result, normalize_username, password,
};
use tongban_crypto::{mask_id_number, mask_phone};
use tongban_db::{EventDraft, params};
use tongban_kernel::{Arg, msg};
use tongban_kernel::{DeptPath, IdNumber, Millis, PhoneNumber, Principal, PrincipalKind};

/// Sign-in attempts a client address may make: a burst, then so many a minute.
pub const PER_ADDRESS: (u32, u32) = (30, 10);
/// Sign-in attempts on one account from one address: a burst, then so many a minute.
pub const PER_ACCOUNT: (u32, u32) = (10, 5);
/// Sign-in attempts on one account from all addresses together: a burst, then so many a
/// minute (loose, so that one stranger cannot use it up for the holder).
pub const PER_ACCOUNT_ALL: (u32, u32) = (60, 30);
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

    /// The buckets an attempt takes from: the account from this address, the account from
    /// everywhere, and the address (when it is known).
    fn buckets(address: Option<&str>, account: &str) -> Vec<(String, (u32, u32))> {
        let ip = address.unwrap_or_default();
        let mut buckets = vec![
            (format!("account:{account}:{ip}"), PER_ACCOUNT),
            (format!("account:{account}"), PER_ACCOUNT_ALL),
        ];
        if let Some(ip) = address {
            buckets.push((format!("address:{ip}"), PER_ADDRESS));
        }
        buckets
    }

    /// Takes a token from each bucket, or gives back what it took and says how long to wait.
    fn admit(&self, address: Option<&str>, account: &str, now: Millis) -> Result<()> {
        let buckets = Self::buckets(address, account);
        for (i, (key, (burst, per_minute))) in buckets.iter().enumerate() {
            if let Err(wait) = self.limiter.take_per_minute(key, *per_minute, *burst, now) {
                for (taken, (burst, _)) in &buckets[..i] {
                    self.limiter.give_back(taken, *burst);
                }
                return Err(Error::TooMany { retry_after_s: wait });
            }
        }
        Ok(())
    }

    /// Gives the tokens of a successful sign-in back: people who sign in are not throttled.
    fn succeeded(&self, address: Option<&str>, account: &str) {
        for (key, (burst, _)) in Self::buckets(address, account) {
            self.limiter.give_back(&key, burst);
        }
    }

    /// The turn of attempts on `account`.
    fn turn(&self, account: &str) -> &tokio::sync::Mutex<()> {
        use std::hash::{BuildHasher, BuildHasherDefault};
        let h = BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(account);
        &self.turns[(h as usize) % self.turns.len()]
    }
}

/// Failures in a row from one address that pause its attempts on the account.
pub const MAX_FAILURES: i64 = 5;
/// Failures in a row from all addresses that lock an account without a second factor.
pub const ACCOUNT_MAX_FAILURES: i64 = 20;

/// How far back the holder and administrators are shown pauses.
const PAUSES_SHOWN_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// A pause of the attempts on an account from one client address.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LoginPause {
    /// The client address the failures came from ('' when unknown).
    pub source: String,
    /// When the pause began.
    pub began: Millis,
    /// When it ends (none once lifted by an administrator).
    pub until: Option<Millis>,
    /// Whether it holds now.
    pub active: bool,
}
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
        Err(_) => msg!("malformed-username-count-characters", count = t.chars().count()).to_string(),
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
        if let Some(until) = self.source_paused(&acct.id, &ctx).await? {
            self.record_failure(&acct.who(), "source_blocked", &ctx, false)
                .await?;
            return Err(Error::SourceBlocked { until });
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
            EventDraft::of(
                &LoginFailed {
                    username: name.clone(),
                    reason: "unknown_user".into(),
                    ip: ctx.ip.clone(),
                },
                "unknown",
                None,
                msg!("login-failed-unknown-user", name = name),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Until when attempts on `account` from the context's address are paused, if they are.
    pub(crate) async fn source_paused(
        &self,
        account: &AccountId,
        ctx: &LoginContext,
    ) -> Result<Option<Millis>> {
        let row = self
            .db
            .fetch_optional(
                "SELECT blocked_until_ms FROM login_blocks WHERE account_id = $1 AND source = $2",
                params![account.as_str(), ctx.ip.as_deref().unwrap_or_default()],
            )
            .await?;
        let until: Option<i64> = match row {
            Some(r) => r.get("blocked_until_ms")?,
            None => None,
        };
        Ok(until.map(Millis).filter(|t| *t > self.now()))
    }

    /// Records a failed attempt. With `counts`, it adds to the failure counts: the fifth in a
    /// row from one address pauses that address; [`ACCOUNT_MAX_FAILURES`] in a row from all
    /// addresses lock an account that has no second factor. Returns the error the caller
    /// should see.
    #[tracing::instrument(skip_all)]
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
        let mut paused: Option<(i64, Millis)> = None;
        let source = ctx.ip.as_deref().unwrap_or_default();
        if counts {
            let r = tx
                .fetch_one(
                    "INSERT INTO login_blocks (account_id, source, failures, blocks, updated_ms) \
                     VALUES ($1, $2, 1, 0, $3) ON CONFLICT (account_id, source) DO UPDATE \
                     SET failures = login_blocks.failures + 1, updated_ms = $3 RETURNING failures, blocks",
                    params![acct.id.as_str(), source, now],
                )
                .await?;
            let (here, blocks): (i64, i64) = (r.get("failures")?, r.get("blocks")?);
            if here >= MAX_FAILURES {
                let n = blocks + 1;
                let until = now.plus_ms(lockout_ms(n));
                tx.execute(
                    "UPDATE login_blocks SET failures = 0, blocks = $1, blocked_ms = $2, blocked_until_ms = $3 \
                     WHERE account_id = $4 AND source = $5",
                    params![n, now, until, acct.id.as_str(), source],
                )
                .await?;
                paused = Some((n, until));
                outcome = Error::SourceBlocked { until };
            }
            let r = tx
                .fetch_one(
                    "UPDATE accounts SET failed_logins = failed_logins + 1, updated_ms = $1 \
                     WHERE id = $2 RETURNING failed_logins, lockouts, status, totp_enabled",
                    params![now, acct.id.as_str()],
                )
                .await?;
            let failures: i64 = r.get("failed_logins")?;
            let lockouts: i64 = r.get("lockouts")?;
            let status: String = r.get("status")?;
            let second_factor: bool = r.get("totp_enabled")?;
            if failures >= ACCOUNT_MAX_FAILURES && status != "disabled" && !second_factor {
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
            EventDraft::of(
                &LoginFailed {
                    username: acct.username.into(),
                    reason: reason.into(),
                    ip: ctx.ip.clone(),
                },
                acct.id.as_str(),
                acct.department,
                {
                    let (zh, en) = match reason {
                        "bad_password" => ("密码错误", "wrong password"),
                        "locked" => ("账号已锁定", "account locked"),
                        "source_blocked" => ("此地址的尝试已暂停", "attempts from this address paused"),
                        "disabled" => ("账号已停用", "account disabled"),
                        _ => ("其他原因", "other reason"),
                    };
                    msg!(
                        "sign-in-failed",
                        username = acct.username,
                        reason = Arg::name(zh, en)
                    )
                },
            ),
        )
        .await?;
        if let Some((n, until)) = paused {
            tx.append_event(
                &Principal::anonymous(),
                EventDraft::of(
                    &SourceBlocked {
                        username: acct.username.into(),
                        ip: ctx.ip.clone(),
                        until_ms: until.0,
                        pause: n,
                    },
                    acct.id.as_str(),
                    acct.department,
                    msg!(
                        "max-failures-failed-sign",
                        max_failures = MAX_FAILURES,
                        at = local(until),
                        source = source,
                        who = acct.username
                    ),
                ),
            )
            .await?;
        }
        if let Some((n, until)) = lock {
            tx.append_event(
                &Principal::anonymous(),
                EventDraft::of(
                    &AccountLocked {
                        username: acct.username.into(),
                        by: LockedBy::Failures {
                            until_ms: until.0,
                            lockout: n,
                            ip: ctx.ip.clone(),
                        },
                    },
                    acct.id.as_str(),
                    acct.department,
                    msg!(
                        "account-who-locked-until",
                        account_max_failures = ACCOUNT_MAX_FAILURES,
                        at = local(until),
                        who = acct.username
                    ),
                ),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(outcome)
    }

    /// The pauses of attempts on account `id` begun in the last 30 days, newest first: for the
    /// holder (their account page tells them someone tried) and for whoever may lock or see
    /// the account.
    pub async fn login_pauses(&self, actor: &Principal, id: &AccountId) -> Result<Vec<LoginPause>> {
        if !(actor.kind == PrincipalKind::User && actor.id == id.as_str()) {
            let view = self.get_user(actor, id).await?;
            if !crate::account::may_lock(actor, &view) {
                return Err(Error::forbidden(msg!("not-permitted-see-account")));
            }
        }
        let now = self.now();
        let rows = self
            .db
            .fetch_all(
                "SELECT source, blocked_ms, blocked_until_ms FROM login_blocks \
                 WHERE account_id = $1 AND blocked_ms IS NOT NULL AND blocked_ms >= $2 ORDER BY blocked_ms DESC",
                params![id.as_str(), now.plus_ms(-PAUSES_SHOWN_MS)],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let until: Option<i64> = r.get("blocked_until_ms")?;
                Ok(LoginPause {
                    source: r.get("source")?,
                    began: Millis(r.get("blocked_ms")?),
                    active: until.is_some_and(|t| t > now.0),
                    until: until.map(Millis),
                })
            })
            .collect()
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
        tx.execute(
            "UPDATE login_blocks SET failures = 0, blocks = 0 WHERE account_id = $1 AND source = $2",
            params![acct.id.as_str(), ctx.ip.as_deref().unwrap_or_default()],
        )
        .await?;
        let session = self
            .open_session_in(&mut tx, &acct.id, &acct.username, mfa, ctx, now)
            .await?;
        tx.append_event(
            &actor,
            EventDraft::of(
                &LoginSucceeded {
                    username: acct.username.clone(),
                    session: session.session.id.as_str().into(),
                    mfa: mfa.code().into(),
                    ip: ctx.ip.clone(),
                },
                acct.id.as_str(),
                acct.department.as_ref(),
                msg!("username-signed", username = acct.username),
            ),
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
