//! The TOTP second factor as a service: set it up on a session, give a code on a session that
//! owes one, switch it off (citizens and businesses only). The secret is stored field-encrypted;
//! the last accepted step is kept so a code is never accepted twice. Wrong codes count towards
//! the same lockout as wrong passwords.

use crate::events::{MfaDisabled, MfaEnabled, MfaPassed, MfaSetupStarted};
use crate::login::{Who, lock_error};
use crate::session::SessionRow;
use crate::{
    AccountId, AccountKind, Error, Identity, LoginContext, Result, SignedIn, TotpSetup, fields, totp,
};
use tongban_db::{EventDraft, params};
use tongban_kernel::msg;
use tongban_kernel::{Millis, Principal, PrincipalKind};

/// An account's second-factor columns.
struct TotpRow {
    kind: String,
    status: String,
    locked_until: Option<Millis>,
    secret_enc: Option<String>,
    enabled: bool,
    last_step: Option<i64>,
}

fn unix_secs(now: Millis) -> i64 {
    now.0.div_euclid(1000)
}

fn context_of(row: &SessionRow) -> LoginContext {
    LoginContext {
        ip: row.info.ip.clone(),
        user_agent: row.info.user_agent.clone(),
    }
}

impl Identity {
    async fn totp_row(&self, id: &AccountId) -> Result<TotpRow> {
        let r = self
            .db
            .fetch_optional(
                "SELECT kind, status, locked_until_ms, totp_secret_enc, totp_enabled, totp_last_step \
                 FROM accounts WHERE id = $1",
                params![id.as_str()],
            )
            .await?
            .ok_or(Error::NotFound { what: "account" })?;
        Ok(TotpRow {
            kind: r.get("kind")?,
            status: r.get("status")?,
            locked_until: r.get("locked_until_ms")?,
            secret_enc: r.get("totp_secret_enc")?,
            enabled: r.get("totp_enabled")?,
            last_step: r.get("totp_last_step")?,
        })
    }

    fn open_secret(&self, stored: Option<&str>) -> Result<Vec<u8>> {
        let stored = stored.ok_or_else(|| Error::conflict("totp", msg!("no-two-step-set")))?;
        let b32 = self
            .fields
            .decrypt(fields::TOTP_SECRET, stored)
            .map_err(|e| Error::Crypto(format!("{}: {e}", fields::TOTP_SECRET)))?;
        totp::decode_secret(&b32).ok_or_else(|| Error::Crypto(format!("{}: not base32", fields::TOTP_SECRET)))
    }

    /// Counts a wrong code like a wrong password; returns the error to show.
    async fn wrong_code(&self, row: &SessionRow, reason: &str) -> Result<Error> {
        let who = Who {
            id: &row.info.account_id,
            username: &row.info.username,
            department: row.department.as_ref(),
        };
        Ok(
            match self.record_failure(&who, reason, &context_of(row), true).await? {
                locked @ (Error::Locked { .. } | Error::SourceBlocked { .. }) => locked,
                _ => Error::BadCode,
            },
        )
    }

    /// Begins setting up TOTP on the session `token` (one that must set it up, or a signed-in
    /// citizen opting in). Returns the secret and its `otpauth://` URI to show once; the factor
    /// is on only after [`Identity::confirm_totp_setup`].
    #[tracing::instrument(skip_all)]
    pub async fn begin_totp_setup(&self, token: &str) -> Result<TotpSetup> {
        let row = self.live_session(token).await?;
        let t = self.totp_row(&row.info.account_id).await?;
        if t.enabled {
            return Err(Error::conflict("totp", msg!("two-step-verification-already")));
        }
        // A set-up already under way keeps its key until it is confirmed: the person may have
        // added it to the app already, and a mistyped code or a reload must not void that.
        if let Some(stored) = t.secret_enc.as_deref()
            && let Ok(pending) = self.fields.decrypt(fields::TOTP_SECRET, stored)
        {
            return Ok(TotpSetup {
                otpauth_uri: totp::otpauth_uri(&row.info.username, &pending),
                secret_base32: pending.to_string(),
            });
        }
        let secret = totp::encode_secret(&totp::new_secret());
        let sealed = self.fields.encrypt(fields::TOTP_SECRET, &secret);
        let actor = self
            .principal_of(&row.info.account_id, &row.info.username, row.department.clone())
            .await?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        tx.execute(
            "UPDATE accounts SET totp_secret_enc = $1, totp_last_step = NULL, updated_ms = $2 \
             WHERE id = $3 AND totp_enabled = 0",
            params![sealed, now, row.info.account_id.as_str()],
        )
        .await?;
        tx.append_event(
            &actor,
            EventDraft::of(
                &MfaSetupStarted {
                    username: row.info.username.clone(),
                },
                row.info.account_id.as_str(),
                row.department.as_ref(),
                msg!("username-began-setting-up", username = row.info.username),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(TotpSetup {
            otpauth_uri: totp::otpauth_uri(&row.info.username, &secret),
            secret_base32: secret,
        })
    }

    /// Confirms the set-up with a code from the app: the factor is on and this session has
    /// passed it.
    #[tracing::instrument(skip_all)]
    pub async fn confirm_totp_setup(&self, token: &str, code: &str) -> Result<SignedIn> {
        let row = self.live_session(token).await?;
        let t = self.totp_row(&row.info.account_id).await?;
        let now = self.now();
        if let Some(locked) = lock_error(&t.status, t.locked_until, now) {
            return Err(locked);
        }
        if t.enabled {
            return Err(Error::conflict("totp", msg!("two-step-verification-already")));
        }
        let secret = self.open_secret(t.secret_enc.as_deref())?;
        let Some(step) = totp::verify(&secret, code, unix_secs(now), totp::DIGITS, None) else {
            return Err(self.wrong_code(&row, "bad_totp_setup").await?);
        };
        let actor = self
            .principal_of(&row.info.account_id, &row.info.username, row.department.clone())
            .await?;
        let mut tx = self.db.begin_write().await?;
        let n = tx
            .execute(
                "UPDATE accounts SET totp_enabled = 1, totp_last_step = $1, failed_logins = 0, \
                 updated_ms = $2 WHERE id = $3 AND totp_enabled = 0",
                params![step, now, row.info.account_id.as_str()],
            )
            .await?;
        if n == 0 {
            return Err(Error::conflict("totp", msg!("two-step-verification-already")));
        }
        tx.execute(
            "UPDATE sessions SET mfa_state = 'passed', last_seen_ms = $1 WHERE id = $2",
            params![now, row.info.id.as_str()],
        )
        .await?;
        tx.append_event(
            &actor,
            EventDraft::of(
                &MfaEnabled {
                    username: row.info.username.clone(),
                    session: row.info.id.as_str().into(),
                },
                row.info.account_id.as_str(),
                row.department.as_ref(),
                msg!("username-turned-two-step", username = row.info.username),
            ),
        )
        .await?;
        tx.commit().await?;
        self.authenticate_full(token).await
    }

    /// Gives the TOTP code a session owes after its password. Wrong codes count towards the
    /// lockout; a code already used is refused.
    #[tracing::instrument(skip_all)]
    pub async fn verify_mfa(&self, token: &str, code: &str) -> Result<SignedIn> {
        let row = self.live_session(token).await?;
        let t = self.totp_row(&row.info.account_id).await?;
        let now = self.now();
        if !t.enabled {
            // Nothing to verify: either the session is already full, or it must set TOTP up.
            return self.authenticate_full(token).await;
        }
        if let Some(locked) = lock_error(&t.status, t.locked_until, now) {
            return Err(locked);
        }
        if let Some(until) = self
            .source_paused(&row.info.account_id, &context_of(&row))
            .await?
        {
            return Err(Error::SourceBlocked { until });
        }
        let secret = self.open_secret(t.secret_enc.as_deref())?;
        let Some(step) = totp::verify(&secret, code, unix_secs(now), totp::DIGITS, t.last_step) else {
            return Err(self.wrong_code(&row, "bad_totp").await?);
        };
        let actor = self
            .principal_of(&row.info.account_id, &row.info.username, row.department.clone())
            .await?;
        let mut tx = self.db.begin_write().await?;
        // Two requests racing with one code: only the first moves the step forward.
        let n = tx
            .execute(
                "UPDATE accounts SET totp_last_step = $1, failed_logins = 0, updated_ms = $2 \
                 WHERE id = $3 AND (totp_last_step IS NULL OR totp_last_step < $1)",
                params![step, now, row.info.account_id.as_str()],
            )
            .await?;
        if n == 0 {
            return Err(Error::BadCode);
        }
        tx.execute(
            "UPDATE sessions SET mfa_state = 'passed', last_seen_ms = $1 WHERE id = $2",
            params![now, row.info.id.as_str()],
        )
        .await?;
        tx.append_event(
            &actor,
            EventDraft::of(
                &MfaPassed {
                    username: row.info.username.clone(),
                    session: row.info.id.as_str().into(),
                },
                row.info.account_id.as_str(),
                row.department.as_ref(),
                msg!("username-passed-two-step", username = row.info.username),
            ),
        )
        .await?;
        tx.commit().await?;
        self.authenticate_full(token).await
    }

    /// Turns the actor's TOTP off, given a current code. Only citizens and businesses may; for
    /// roles that require a second factor it stays on.
    #[tracing::instrument(skip_all)]
    pub async fn disable_totp(&self, actor: &Principal, code: &str) -> Result<()> {
        if actor.kind != PrincipalKind::User {
            return Err(Error::forbidden(msg!("only-signed-user-can")));
        }
        let id = AccountId(actor.id.clone());
        let t = self.totp_row(&id).await?;
        let kind = AccountKind::parse(&t.kind);
        let required = actor.grants.iter().any(|g| g.role.requires_mfa());
        if !matches!(kind, Some(AccountKind::Citizen | AccountKind::Business)) || required {
            return Err(Error::forbidden(msg!("staff-accounts-cannot-turn")));
        }
        if !t.enabled {
            return Err(Error::conflict("totp", msg!("two-step-verification-not")));
        }
        let now = self.now();
        let secret = self.open_secret(t.secret_enc.as_deref())?;
        if totp::verify(&secret, code, unix_secs(now), totp::DIGITS, t.last_step).is_none() {
            return Err(Error::BadCode);
        }
        let mut tx = self.db.begin_write().await?;
        tx.execute(
            "UPDATE accounts SET totp_enabled = 0, totp_secret_enc = NULL, totp_last_step = NULL, \
             updated_ms = $1 WHERE id = $2",
            params![now, id.as_str()],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &MfaDisabled {
                    username: actor.name.clone(),
                },
                id.as_str(),
                None,
                msg!("name-turned-off-two", name = actor.name),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
