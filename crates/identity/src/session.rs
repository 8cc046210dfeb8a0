//! Server-side sessions: a random token in the browser's cookie, only its SM3 hash in the
//! database; idle and absolute expiry; the second-factor state; "my sessions" and revoking them.

use crate::account::grants_from_rows;
use crate::events::{SessionEnded, SessionRevoked, SessionsPurged};
use crate::{
    AccountId, Error, Identity, LoginContext, MfaState, NewSession, Result, SessionAuth, SessionId,
    SessionInfo, SignedIn, new_secret_token, token_hash,
};
use std::time::Duration;
use tongban_db::{EventDraft, Row, Tx, params};
use tongban_kernel::msg;
use tongban_kernel::{DeptPath, Millis, Principal, PrincipalKind, RoleGrant};

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session unused for this long ends (default 30 minutes).
    pub idle: Duration,
    /// A session ends this long after sign-in, however busy (default 12 hours).
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(30 * 60),
            absolute: Duration::from_secs(12 * 60 * 60),
        }
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The idle expiry is slid forward at most this often, so a burst of requests writes once.
const SLIDE_EVERY_MS: i64 = 15_000;

/// Revoked and expired sessions are kept this long (for "recent sessions" and forensics).
const KEEP_ENDED_MS: i64 = 7 * 24 * 60 * 60 * 1000;

const INFO_COLUMNS: &str = "s.id, s.account_id, s.created_ms, s.last_seen_ms, s.idle_expires_ms, \
     s.absolute_expires_ms, s.mfa_state, s.ip, s.user_agent, a.username";

fn truncate(text: Option<&str>, max: usize) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| t.chars().filter(|c| !c.is_control()).take(max).collect())
}

fn info_from_row(r: &Row) -> Result<SessionInfo> {
    let state: String = r.get("mfa_state")?;
    Ok(SessionInfo {
        id: SessionId(r.get("id")?),
        account_id: AccountId(r.get("account_id")?),
        username: r.get("username")?,
        created: r.get("created_ms")?,
        last_seen: r.get("last_seen_ms")?,
        idle_expires: r.get("idle_expires_ms")?,
        absolute_expires: r.get("absolute_expires_ms")?,
        mfa: MfaState::parse(&state)
            .ok_or_else(|| crate::account::decode_err("mfa_state", format!("unknown state `{state}`")))?,
        ip: r.get("ip")?,
        user_agent: r.get("user_agent")?,
    })
}

/// Ends every live session of `account` except `keep`, inside the caller's transaction.
pub(crate) async fn revoke_all_in(
    tx: &mut Tx,
    account: &AccountId,
    now: Millis,
    keep: Option<&SessionId>,
) -> Result<u64> {
    Ok(tx
        .execute(
            "UPDATE sessions SET revoked_ms = $1 WHERE account_id = $2 AND revoked_ms IS NULL \
             AND id <> $3",
            params![now, account.as_str(), keep.map_or("", |k| k.as_str())],
        )
        .await?)
}

/// The second-factor state a session really has now: a factor owed if the account has TOTP or
/// holds a role that requires it, whatever was recorded at sign-in (roles may have changed).
pub(crate) fn effective_mfa(stored: MfaState, totp_enabled: bool, grants: &[RoleGrant]) -> MfaState {
    let required = totp_enabled || grants.iter().any(|g| g.role.requires_mfa());
    match (required, stored) {
        (_, MfaState::Passed) => MfaState::Passed,
        (true, _) if totp_enabled => MfaState::Pending,
        (true, _) => MfaState::SetupRequired,
        (false, _) => MfaState::None,
    }
}

/// A session row with what authentication needs of its account.
pub(crate) struct SessionRow {
    pub info: SessionInfo,
    pub csrf_token: String,
    pub revoked: bool,
    pub status: String,
    pub locked_until: Option<Millis>,
    pub totp_enabled: bool,
    pub department: Option<DeptPath>,
    pub display_name: String,
    pub is_demo: bool,
}

impl Identity {
    /// Opens a session for an account inside the caller's transaction.
    pub(crate) async fn open_session_in(
        &self,
        tx: &mut Tx,
        account: &AccountId,
        username: &str,
        mfa: MfaState,
        ctx: &LoginContext,
        now: Millis,
    ) -> Result<NewSession> {
        let (token, hash) = new_secret_token();
        let (csrf_token, _) = new_secret_token();
        let absolute = now.plus_ms(ms(self.policy.absolute));
        let idle = now.plus_ms(ms(self.policy.idle)).min(absolute);
        let info = SessionInfo {
            id: SessionId::new(),
            account_id: account.clone(),
            username: username.to_string(),
            created: now,
            last_seen: now,
            idle_expires: idle,
            absolute_expires: absolute,
            mfa,
            ip: truncate(ctx.ip.as_deref(), 64),
            user_agent: truncate(ctx.user_agent.as_deref(), 256),
        };
        tx.execute(
            "INSERT INTO sessions (id, token_hash, account_id, created_ms, last_seen_ms, \
             idle_expires_ms, absolute_expires_ms, mfa_state, csrf_token, ip, user_agent) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            params![
                info.id.as_str(),
                hash,
                account.as_str(),
                now,
                now,
                idle,
                absolute,
                mfa.code(),
                csrf_token,
                info.ip,
                info.user_agent
            ],
        )
        .await?;
        Ok(NewSession {
            token,
            csrf_token,
            session: info,
        })
    }

    /// The session a token names, with its account's state; `None` for a token never issued.
    pub(crate) async fn session_row(&self, token: &str) -> Result<Option<SessionRow>> {
        let Some(hash) = token_hash(token) else {
            return Ok(None);
        };
        let Some(r) = self
            .db
            .fetch_optional(
                &format!(
                    "SELECT {INFO_COLUMNS}, s.csrf_token, s.revoked_ms, a.status, a.locked_until_ms, \
                     a.totp_enabled, a.display_name, a.is_demo, d.path AS dept_path \
                     FROM sessions s JOIN accounts a ON a.id = s.account_id \
                     LEFT JOIN departments d ON d.id = a.department_id WHERE s.token_hash = $1"
                ),
                params![hash],
            )
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(SessionRow {
            info: info_from_row(&r)?,
            csrf_token: r.get("csrf_token")?,
            revoked: r.get::<Option<i64>>("revoked_ms")?.is_some(),
            status: r.get("status")?,
            locked_until: r.get("locked_until_ms")?,
            totp_enabled: r.get("totp_enabled")?,
            department: r.get("dept_path")?,
            display_name: r.get("display_name")?,
            is_demo: r.get("is_demo")?,
        }))
    }

    /// A live session for `token`: not revoked, not expired, its account not disabled or locked
    /// by an administrator. Otherwise `Unauthenticated`.
    pub(crate) async fn live_session(&self, token: &str) -> Result<SessionRow> {
        let now = self.now();
        let row = self.session_row(token).await?.ok_or(Error::Unauthenticated)?;
        let expired = now >= row.info.idle_expires || now >= row.info.absolute_expires;
        let blocked = row.status == "disabled" || (row.status == "locked" && row.locked_until.is_none());
        if row.revoked || expired || blocked {
            return Err(Error::Unauthenticated);
        }
        Ok(row)
    }

    /// The principal acting for an account (its department and role grants, read afresh).
    pub(crate) async fn principal_of(
        &self,
        id: &AccountId,
        username: &str,
        department: Option<DeptPath>,
    ) -> Result<Principal> {
        let rows = self
            .db
            .fetch_all(
                "SELECT account_id, role, scope_path FROM role_grants WHERE account_id = $1",
                params![id.as_str()],
            )
            .await?;
        let mut grants: Vec<RoleGrant> = grants_from_rows(&rows)?.into_iter().map(|(_, g)| g).collect();
        grants.sort_by(|a, b| (a.role, &a.scope).cmp(&(b.role, &b.scope)));
        Ok(Principal {
            kind: PrincipalKind::User,
            id: id.as_str().to_string(),
            name: username.to_string(),
            department,
            grants,
            purpose: None,
        })
    }

    /// The principal an operator acts as at the command line (`tongban query --as USERNAME`):
    /// the account's department and roles read afresh. Only an active account can be acted as;
    /// the operator already holds the machine, so no password is asked.
    pub async fn principal_for_username(&self, username: &str) -> Result<Principal> {
        let view = self
            .get_user_by_username(&Principal::system("cli"), username)
            .await?;
        if view.status != crate::AccountStatus::Active {
            return Err(Error::Unauthenticated);
        }
        let department = view.department.map(|d| d.path);
        self.principal_of(&view.id, &view.username, department).await
    }

    /// What a session token is worth now. Checks idle and absolute expiry and the account's
    /// status, slides the idle expiry, and reads the account's roles afresh. A session that still
    /// owes its second factor comes back as [`SessionAuth::MfaOwed`], never as a principal.
    pub async fn authenticate(&self, token: &str) -> Result<SessionAuth> {
        let row = self.live_session(token).await?;
        let now = self.now();
        let principal = self
            .principal_of(&row.info.account_id, &row.info.username, row.department.clone())
            .await?;
        let mut info = row.info;
        let mfa = effective_mfa(info.mfa, row.totp_enabled, &principal.grants);
        if mfa != info.mfa || now.0 - info.last_seen.0 >= SLIDE_EVERY_MS {
            let idle = now.plus_ms(ms(self.policy.idle)).min(info.absolute_expires);
            self.db
                .execute(
                    "UPDATE sessions SET last_seen_ms = $1, idle_expires_ms = $2, mfa_state = $3 \
                     WHERE id = $4",
                    params![now, idle, mfa.code(), info.id.as_str()],
                )
                .await?;
            info.last_seen = now;
            info.idle_expires = idle;
            info.mfa = mfa;
        }
        if mfa.is_complete() {
            Ok(SessionAuth::Full(SignedIn {
                principal,
                session: info,
                csrf_token: row.csrf_token,
                display_name: row.display_name,
                is_demo: row.is_demo,
            }))
        } else {
            Ok(SessionAuth::MfaOwed {
                session: info,
                csrf_token: row.csrf_token,
            })
        }
    }

    /// Like [`Identity::authenticate`], but a session owing its second factor is `MfaRequired`.
    pub async fn authenticate_full(&self, token: &str) -> Result<SignedIn> {
        match self.authenticate(token).await? {
            SessionAuth::Full(s) => Ok(s),
            SessionAuth::MfaOwed { .. } => Err(Error::MfaRequired),
        }
    }

    /// Ends the session `token` names (signing out). An unknown or ended token is already out.
    #[tracing::instrument(skip_all)]
    pub async fn logout(&self, token: &str) -> Result<()> {
        let Some(row) = self.session_row(token).await? else {
            return Ok(());
        };
        if row.revoked {
            return Ok(());
        }
        let actor = self
            .principal_of(&row.info.account_id, &row.info.username, row.department)
            .await?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        tx.execute(
            "UPDATE sessions SET revoked_ms = $1 WHERE id = $2 AND revoked_ms IS NULL",
            params![now, row.info.id.as_str()],
        )
        .await?;
        tx.append_event(
            &actor,
            EventDraft::of(
                &SessionEnded {
                    username: row.info.username.clone(),
                },
                row.info.id.as_str(),
                actor.department.as_ref(),
                msg!("username-signed-out", username = row.info.username),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The actor's live sessions, newest first.
    pub async fn list_sessions(&self, actor: &Principal) -> Result<Vec<SessionInfo>> {
        if actor.kind != PrincipalKind::User {
            return Ok(Vec::new());
        }
        let now = self.now();
        self.db
            .fetch_all(
                &format!(
                    "SELECT {INFO_COLUMNS} FROM sessions s JOIN accounts a ON a.id = s.account_id \
                     WHERE s.account_id = $1 AND s.revoked_ms IS NULL AND s.idle_expires_ms > $2 \
                     AND s.absolute_expires_ms > $2 ORDER BY s.created_ms DESC, s.id DESC"
                ),
                params![actor.id, now],
            )
            .await?
            .iter()
            .map(info_from_row)
            .collect()
    }

    /// Ends one of the actor's own sessions. Someone else's session is `NotFound`, as if it did
    /// not exist.
    #[tracing::instrument(skip_all)]
    pub async fn revoke_session(&self, actor: &Principal, id: &SessionId) -> Result<()> {
        if actor.kind != PrincipalKind::User {
            return Err(Error::NotFound { what: "session" });
        }
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let n = tx
            .execute(
                "UPDATE sessions SET revoked_ms = $1 WHERE id = $2 AND account_id = $3 \
                 AND revoked_ms IS NULL",
                params![now, id.as_str(), actor.id],
            )
            .await?;
        if n == 0 {
            return Err(Error::NotFound { what: "session" });
        }
        tx.append_event(
            actor,
            EventDraft::of(
                &SessionRevoked {
                    username: actor.name.clone(),
                },
                id.as_str(),
                actor.department.as_ref(),
                msg!("name-revoked-session", name = actor.name),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes sessions ended more than 7 days ago and expired API tokens (a worker's chore);
    /// returns how many rows went.
    #[tracing::instrument(skip_all)]
    pub async fn purge_expired(&self, actor: &Principal) -> Result<u64> {
        let now = self.now();
        let cut = now.plus_ms(-KEEP_ENDED_MS);
        let mut tx = self.db.begin_write().await?;
        let sessions = tx
            .execute(
                "DELETE FROM sessions WHERE revoked_ms < $1 OR idle_expires_ms < $1 \
                 OR absolute_expires_ms < $1",
                params![cut],
            )
            .await?;
        let tokens = tx
            .execute("DELETE FROM api_tokens WHERE expires_ms < $1", params![now])
            .await?;
        if sessions + tokens == 0 {
            return Ok(0);
        }
        tx.append_event(
            actor,
            EventDraft::of(
                &SessionsPurged { sessions, tokens },
                "expired",
                None,
                msg!(
                    "purged-sessions-ended-sessions",
                    sessions = sessions,
                    tokens = tokens
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(sessions + tokens)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use tongban_kernel::Role;

    fn grant(role: Role) -> RoleGrant {
        RoleGrant {
            role,
            scope: DeptPath::root(),
        }
    }

    #[test]
    fn a_factor_is_owed_when_totp_is_on_or_a_role_requires_it() {
        assert_eq!(
            effective_mfa(MfaState::None, false, &[grant(Role::Clerk)]),
            MfaState::None
        );
        assert_eq!(effective_mfa(MfaState::None, true, &[]), MfaState::Pending);
        assert_eq!(
            effective_mfa(MfaState::None, false, &[grant(Role::SysAdmin)]),
            MfaState::SetupRequired
        );
        assert_eq!(
            effective_mfa(MfaState::Passed, false, &[grant(Role::SysAdmin)]),
            MfaState::Passed
        );
        assert_eq!(effective_mfa(MfaState::Pending, false, &[]), MfaState::None);
    }
}
