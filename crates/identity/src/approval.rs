//! 双人审批 for the administrator roles (三员): when a person grants sys_admin or security_admin
//! (creating an account with it, or adding it to one), the grant waits for a second
//! administrator — neither the one who asked nor the account itself. On approval the account's
//! password and two-step verification are cleared and its sessions end; the approver is shown a
//! one-time activation code (valid [`ACTIVATION_MS`]) to hand to the holder, who sets their own
//! password with it and then their own two-step verification at first sign-in. So nobody but
//! the holder ever knows the credentials of an administrator account. The platform's own
//! command line (the operator who installs it) grants directly.

use crate::account::{check_separation, decode_err, insert_grants, target_of};
use crate::events::{AccountActivated, RoleApproved, RoleRejected, RoleRequested};
use crate::session::revoke_all_in;
use crate::{AccountId, Error, Identity, Result, password};
use serde::Serialize;
use tongban_db::{EventDraft, Row, Tx, params};
use tongban_kernel::msg;
use tongban_kernel::{DeptPath, Millis, Principal, PrincipalKind, Role, RoleGrant};

/// How long an activation code works: one day.
pub const ACTIVATION_MS: i64 = 24 * 60 * 60 * 1000;

/// Wrong activation codes before the code stops working (a new approval issues another).
const MAX_ACTIVATION_TRIES: i64 = 5;

/// The password an account holds between approval and activation: no Argon2 hash, so no
/// password matches it.
const AWAITING_ACTIVATION: &str = "!awaiting-activation";

/// Letters of activation codes: no 0/O, 1/I/L, so a code read aloud or copied by hand is right.
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// Whether `actor` granting `grant` waits for a second administrator: an administrator role
/// given by anyone but the platform itself.
pub fn needs_approval(actor: &Principal, grant: &RoleGrant) -> bool {
    grant.role.is_platform_admin() && actor.kind != PrincipalKind::System
}

/// Whether `actor` decides administrator-role requests at all: a person holding an
/// administrator role, or the platform itself.
pub fn is_role_approver(actor: &Principal) -> bool {
    actor.kind == PrincipalKind::System
        || (actor.kind == PrincipalKind::User
            && (actor.has_role(Role::SysAdmin) || actor.has_role(Role::SecurityAdmin)))
}

/// A grant waiting for approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleRequest {
    /// Its id.
    pub id: String,
    /// The account it is for.
    pub account_id: AccountId,
    /// That account's login name.
    pub username: String,
    /// That account's shown name.
    pub display_name: String,
    /// The role asked for.
    pub role: Role,
    /// Over which subtree.
    pub scope: DeptPath,
    /// Who asked (login name).
    pub requested_by: String,
    /// Who asked (account id).
    pub requested_by_id: String,
    /// When.
    pub requested_ms: Millis,
}

impl RoleRequest {
    /// Whether `actor` may decide this request: an approver ([`is_role_approver`]) other than
    /// the one who asked and the account it is for.
    pub fn decidable_by(&self, actor: &Principal) -> bool {
        check_decider(actor, self).is_ok()
    }
}

/// What an approval gives the approver to hand over, once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approved {
    /// The account's login name.
    pub username: String,
    /// The account's shown name.
    pub display_name: String,
    /// The role now held.
    pub role: Role,
    /// The one-time activation code, `XXXX-XXXX-XXXX`.
    pub activation_code: String,
    /// When it stops working.
    pub expires: Millis,
}

/// A request with its account's names, as [`request_from`] reads it.
const REQUEST_SELECT: &str = "SELECT r.id, r.account_id, a.username, a.display_name, r.role, r.scope_path, \
     r.requested_by, r.requested_by_name, r.requested_ms FROM role_requests r JOIN accounts a ON a.id = r.account_id";

fn request_from(r: &Row) -> Result<RoleRequest> {
    let role: String = r.get("role")?;
    Ok(RoleRequest {
        id: r.get("id")?,
        account_id: AccountId(r.get("account_id")?),
        username: r.get("username")?,
        display_name: r.get("display_name")?,
        role: Role::parse(&role).ok_or_else(|| decode_err("role", format!("unknown role `{role}`")))?,
        scope: DeptPath(r.get("scope_path")?),
        requested_by: r.get("requested_by_name")?,
        requested_by_id: r.get("requested_by")?,
        requested_ms: Millis(r.get("requested_ms")?),
    })
}

fn new_code() -> String {
    let chars: Vec<char> = tongban_crypto::token::code_from(CODE_ALPHABET, 12)
        .chars()
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// A code as typed: spaces, dashes and case do not matter.
fn normalised(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Whoever may decide a request: a person holding an administrator role, other than the one
/// who asked and the account it is for (or the platform itself).
fn check_decider(actor: &Principal, req: &RoleRequest) -> Result<()> {
    if !is_role_approver(actor) {
        return Err(Error::forbidden(msg!("only-administrator-may-approve")));
    }
    if actor.kind == PrincipalKind::System {
        return Ok(());
    }
    if actor.id == req.requested_by_id {
        return Err(Error::forbidden(msg!("second-administrator-approve-not")));
    }
    if actor.id == req.account_id.as_str() {
        return Err(Error::forbidden(msg!("you-cannot-approve-role")));
    }
    Ok(())
}

impl Identity {
    /// Records `grants` for `account` as waiting for approval, inside the transaction that
    /// asked for them (a grant already waiting is not asked twice).
    #[tracing::instrument(skip_all)]
    pub(crate) async fn request_grants(
        &self,
        tx: &mut Tx,
        actor: &Principal,
        account: &AccountId,
        username: &str,
        grants: &[RoleGrant],
        now: Millis,
    ) -> Result<()> {
        for g in grants {
            let id = tongban_kernel::id::new_uuid_v7();
            let made = tx
                .execute(
                    "INSERT INTO role_requests (id, account_id, role, scope_path, requested_by, requested_by_name, \
                     requested_ms, status) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending') \
                     ON CONFLICT (account_id, role, scope_path) WHERE status = 'pending' DO NOTHING",
                    params![
                        id.as_str(),
                        account.as_str(),
                        g.role.code(),
                        g.scope.as_str(),
                        actor.id.as_str(),
                        actor.name.as_str(),
                        now
                    ],
                )
                .await?;
            if made == 0 {
                continue;
            }
            tx.append_event(
                actor,
                EventDraft::of(
                    &RoleRequested {
                        request: id,
                        username: username.into(),
                        role: g.role.code().into(),
                        scope: g.scope.clone(),
                    },
                    account.as_str(),
                    Some(&g.scope),
                    msg!(
                        "asked-username-hold-role2",
                        role = g.role.name_zh(),
                        role2 = g.role.code(),
                        username = username
                    ),
                ),
            )
            .await?;
        }
        Ok(())
    }

    /// The grants waiting for approval that `actor` may decide (every one for an administrator
    /// or the platform; none for anyone else), oldest first; `account` narrows to one account.
    pub async fn role_requests(
        &self,
        actor: &Principal,
        account: Option<&AccountId>,
    ) -> Result<Vec<RoleRequest>> {
        if !is_role_approver(actor) {
            return Ok(Vec::new());
        }
        let rows = self
            .db
            .fetch_all(
                &format!(
                    "{REQUEST_SELECT} WHERE r.status = 'pending' AND ($1 = '' OR r.account_id = $1) \
                     ORDER BY r.requested_ms, r.id"
                ),
                params![account.map_or("", |a| a.as_str())],
            )
            .await?;
        rows.iter().map(request_from).collect()
    }

    /// The pending request `id`.
    async fn pending_request(&self, id: &str) -> Result<RoleRequest> {
        let row = self
            .db
            .fetch_optional(
                &format!("{REQUEST_SELECT} WHERE r.id = $1 AND r.status = 'pending'"),
                params![id.trim()],
            )
            .await?
            .ok_or(Error::NotFound { what: "role request" })?;
        request_from(&row)
    }

    /// Approves request `id` as a second administrator: the grant takes effect; the account's
    /// password and two-step verification are cleared and its sessions end; the activation
    /// code returned is for the holder alone (it is stored only as a keyed hash).
    #[tracing::instrument(skip_all)]
    pub async fn approve_role_request(&self, actor: &Principal, id: &str) -> Result<Approved> {
        let req = self.pending_request(id).await?;
        check_decider(actor, &req)?;
        let view = self.require_view(&req.account_id).await?;
        let grant = RoleGrant {
            role: req.role,
            scope: req.scope.clone(),
        };
        let mut all = view.grants.clone();
        all.push(grant.clone());
        check_separation(&all)?;
        let code = new_code();
        let now = self.now();
        let expires = now.plus_ms(ACTIVATION_MS);
        let mut tx = self.db.begin_write().await?;
        let decided = tx
            .execute(
                "UPDATE role_requests SET status = 'approved', decided_by_name = $1, decided_ms = $2 \
                 WHERE id = $3 AND status = 'pending'",
                params![actor.name.as_str(), now, req.id.as_str()],
            )
            .await?;
        if decided == 0 {
            return Err(Error::NotFound { what: "role request" });
        }
        insert_grants(&mut tx, &req.account_id, std::slice::from_ref(&grant), now).await?;
        tx.execute(
            "UPDATE accounts SET password_hash = $1, totp_secret_enc = NULL, totp_enabled = 0, totp_last_step = NULL, \
             activation_hash = $2, activation_expires_ms = $3, activation_tries = 0, updated_ms = $4 WHERE id = $5",
            params![
                AWAITING_ACTIVATION,
                self.activation_hash(req.account_id.as_str(), &normalised(&code)),
                expires,
                now,
                req.account_id.as_str()
            ],
        )
        .await?;
        revoke_all_in(&mut tx, &req.account_id, now, None).await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &RoleApproved {
                    request: req.id.clone(),
                    username: req.username.clone(),
                    role: req.role.code().into(),
                    scope: req.scope.clone(),
                    requested_by: req.requested_by.clone(),
                    activation_expires_ms: expires.0,
                },
                req.account_id.as_str(),
                target_of(&view),
                msg!(
                    "approved-username-role2-asked",
                    username = req.username,
                    role = req.role.name_zh(),
                    requested_by = req.requested_by,
                    role2 = req.role.code()
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(Approved {
            display_name: req.display_name,
            role: req.role,
            username: req.username,
            activation_code: code,
            expires,
        })
    }

    /// Rejects request `id` (a second administrator, as for approval).
    #[tracing::instrument(skip_all)]
    pub async fn reject_role_request(&self, actor: &Principal, id: &str) -> Result<()> {
        let req = self.pending_request(id).await?;
        check_decider(actor, &req)?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        tx.execute(
            "UPDATE role_requests SET status = 'rejected', decided_by_name = $1, decided_ms = $2 \
             WHERE id = $3 AND status = 'pending'",
            params![actor.name.as_str(), now, req.id.as_str()],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &RoleRejected {
                    request: req.id.clone(),
                    username: req.username.clone(),
                    role: req.role.code().into(),
                    requested_by: req.requested_by.clone(),
                },
                req.account_id.as_str(),
                Some(&req.scope),
                msg!(
                    "rejected-username-role2",
                    username = req.username,
                    role = req.role.name_zh(),
                    role2 = req.role.code()
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// When the activation code of `account` stops working, while the holder has yet to use
    /// it (an approved administrator who cannot sign in yet).
    pub async fn activation_due(&self, account: &AccountId) -> Result<Option<Millis>> {
        let row = self
            .db
            .fetch_optional(
                "SELECT activation_expires_ms, activation_tries FROM accounts WHERE id = $1 AND activation_hash IS NOT NULL",
                params![account.as_str()],
            )
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let tries: i64 = row.get("activation_tries")?;
        let until: Option<i64> = row.get("activation_expires_ms")?;
        Ok(until
            .filter(|t| *t > self.now().0 && tries < MAX_ACTIVATION_TRIES)
            .map(Millis))
    }

    fn activation_hash(&self, account: &str, code: &str) -> String {
        self.fields
            .blind_index("identity.activation", &format!("{account}:{code}"))
    }

    /// The holder of an approved administrator account sets their own password with the
    /// activation code they were handed. Unknown names, wrong, used and expired codes all get
    /// the same answer on `code`; five wrong codes void it.
    #[tracing::instrument(skip_all)]
    pub async fn activate(&self, username: &str, code: &str, new_password: &str) -> Result<()> {
        let refused = || Error::invalid("code", msg!("activation-code-wrong-no"));
        let username = username.trim().to_ascii_lowercase();
        let row = self
            .db
            .fetch_optional(
                "SELECT id, activation_hash, activation_expires_ms, activation_tries FROM accounts \
                 WHERE username = $1 AND activation_hash IS NOT NULL",
                params![username.as_str()],
            )
            .await?;
        let Some(row) = row else {
            return Err(refused());
        };
        let id: String = row.get("id")?;
        let expires: Option<i64> = row.get("activation_expires_ms")?;
        let tries: i64 = row.get("activation_tries")?;
        let now = self.now();
        if tries >= MAX_ACTIVATION_TRIES || expires.is_none_or(|t| t <= now.0) {
            return Err(refused());
        }
        let stored: String = row.get("activation_hash")?;
        if self.activation_hash(&id, &normalised(code)) != stored {
            self.db
                .execute(
                    "UPDATE accounts SET activation_tries = activation_tries + 1 WHERE id = $1",
                    params![id.as_str()],
                )
                .await?;
            return Err(refused());
        }
        password::check_policy(&username, new_password)?;
        let hash = password::hash(new_password).await?;
        let account = AccountId(id.clone());
        let view = self.require_view(&account).await?;
        let me = self
            .principal_of(
                &account,
                &view.username,
                view.department.as_ref().map(|d| d.path.clone()),
            )
            .await?;
        let mut tx = self.db.begin_write().await?;
        let set = tx
            .execute(
                "UPDATE accounts SET password_hash = $1, activation_hash = NULL, activation_expires_ms = NULL, \
                 activation_tries = 0, failed_logins = 0, updated_ms = $2 WHERE id = $3 AND activation_hash = $4",
                params![hash, now, id.as_str(), stored.as_str()],
            )
            .await?;
        if set == 0 {
            return Err(refused());
        }
        tx.append_event(
            &me,
            EventDraft::of(
                &AccountActivated {
                    username: view.username.clone(),
                },
                &id,
                target_of(&view),
                msg!("username-set-their-own", username = view.username),
            ),
        )
        .await?;
        tx.commit().await.map_err(Error::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_twelve_unambiguous_letters_in_groups_and_read_back_however_typed() {
        let code = new_code();
        assert_eq!(code.len(), 14, "{code}");
        assert_eq!(code.matches('-').count(), 2);
        assert!(
            code.chars()
                .filter(|c| *c != '-')
                .all(|c| CODE_ALPHABET.contains(&(c as u8)))
        );
        assert_ne!(new_code(), code);
        assert_eq!(normalised(" abcd-efgh jkmn "), "ABCDEFGHJKMN");
    }
}
