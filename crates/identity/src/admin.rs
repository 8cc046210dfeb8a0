//! Administration of existing accounts: roles, name and department, lock and unlock, disable and
//! enable, password resets, and a person changing their own password.

use crate::account::{check_grant_power, check_separation, insert_grants, target_of};
use crate::events::{
    AccountDisabled, AccountEnabled, AccountLocked, AccountUnlocked, AccountUpdated, EmailConfirmed,
    EmailSet, LockedBy, PasswordChanged, PasswordReset, PausesLifted, RolesChanged,
};
use crate::session::revoke_all_in;
use crate::{
    AccountId, AccountKind, AccountStatus, AccountView, Error, Identity, Result, SessionId, StaffChanges,
    clean_name, password,
};
use tongban_db::{EventDraft, EventKind, params};
use tongban_kernel::msg;
use tongban_kernel::{DeptPath, Permission, Principal, PrincipalKind, Role, RoleGrant};

fn is_self(actor: &Principal, id: &AccountId) -> bool {
    actor.kind == PrincipalKind::User && actor.id == id.as_str()
}

/// Refuses unless one of `perms` covers the account's department and every subtree its roles
/// reach (so managing an account can never hand over more power than the actor has). Accounts
/// holding sys_admin or security_admin are managed only by a sys_admin, except that locking
/// (`lock_only`) is also a security administrator's defence.
fn require_over(actor: &Principal, view: &AccountView, perms: &[Permission], lock_only: bool) -> Result<()> {
    let allowed = |target: Option<&DeptPath>| {
        perms.iter().any(|p| match target {
            Some(_) => actor.allows(*p, target),
            // An account in no department (a citizen's or a business's) answers to the root;
            // the city at the top may lock and unlock it (lift a sign-in pause for the person
            // on the phone), never set its password or change it otherwise.
            None => actor.allows(*p, None) || (lock_only && actor.allows_over_platform(*p)),
        })
    };
    let denied = || Error::forbidden(msg!("not-permitted-manage-account", username = view.username));
    if !allowed(target_of(view)) {
        return Err(denied());
    }
    for g in view.grants.iter().filter(|g| g.role.is_staff()) {
        if !allowed(Some(&g.scope)) {
            return Err(denied());
        }
    }
    let guarded = view.grants.iter().any(|g| g.role.is_platform_admin());
    let strong = actor.kind == PrincipalKind::System
        || actor.has_role(Role::SysAdmin)
        || (lock_only && actor.has_role(Role::SecurityAdmin));
    if guarded && !strong {
        return Err(Error::forbidden(msg!("only-sys-admin-may")));
    }
    Ok(())
}

/// What a move from `old` to `new` does to `grants`: (grant, its new form) for each that moves
/// with the person, and those that end. A grant in the old department moves when `actor` may
/// give it in the new one and it is not an administrator role; a grant whose scope covers the
/// new department stays; every other ends.
fn regranted(
    actor: &Principal,
    grants: &[RoleGrant],
    old: &DeptPath,
    new: &DeptPath,
) -> (Vec<(RoleGrant, RoleGrant)>, Vec<RoleGrant>) {
    let mut moved = Vec::new();
    let mut ended = Vec::new();
    for g in grants {
        if g.scope == *old {
            let there = RoleGrant {
                role: g.role,
                scope: new.clone(),
            };
            if !g.role.is_platform_admin() && check_grant_power(actor, &there).is_ok() {
                moved.push((g.clone(), there));
            } else {
                ended.push(g.clone());
            }
        } else if !g.scope.contains(new) {
            ended.push(g.clone());
        }
    }
    (moved, ended)
}

fn grant_codes(grants: &[RoleGrant]) -> Vec<String> {
    grants
        .iter()
        .map(|g| format!("{}@{}", g.role.code(), g.scope.as_str()))
        .collect()
}

impl Identity {
    /// Replaces a staff account's role grants. The actor needs `AssignRoles` over the account,
    /// and the power to give or take each grant that changes (scope inside their own subtree;
    /// sys_admin and security_admin only by a sys_admin). Nobody changes their own roles, and no
    /// account holds both sys_admin and security_admin.
    #[tracing::instrument(skip_all)]
    pub async fn set_roles(
        &self,
        actor: &Principal,
        id: &AccountId,
        grants: Vec<RoleGrant>,
    ) -> Result<AccountView> {
        let view = self.view_for(actor, id).await?;
        if is_self(actor, id) {
            return Err(Error::forbidden(msg!("you-cannot-change-your")));
        }
        actor.require(Permission::AssignRoles, target_of(&view))?;
        if view.kind != AccountKind::Staff {
            return Err(Error::invalid("roles", msg!("roles-can-only-assigned")));
        }
        let mut wanted: Vec<RoleGrant> = Vec::new();
        for g in grants {
            if !self.scope_exists(&g.scope).await? {
                return Err(Error::invalid(
                    "roles",
                    msg!("scope-scope-not-department", scope = g.scope.as_str()),
                ));
            }
            if !wanted.contains(&g) {
                wanted.push(g);
            }
        }
        let added: Vec<RoleGrant> = wanted
            .iter()
            .filter(|g| !view.grants.contains(g))
            .cloned()
            .collect();
        let removed: Vec<RoleGrant> = view
            .grants
            .iter()
            .filter(|g| !wanted.contains(g))
            .cloned()
            .collect();
        for g in added.iter().chain(&removed) {
            check_grant_power(actor, g)?;
        }
        check_separation(&wanted)?;
        // An administrator role given by a person waits for a second administrator.
        let (asked, added): (Vec<RoleGrant>, Vec<RoleGrant>) =
            added.into_iter().partition(|g| crate::needs_approval(actor, g));
        if asked.is_empty() && added.is_empty() && removed.is_empty() {
            return Ok(view);
        }
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        self.request_grants(&mut tx, actor, id, &view.username, &asked, now)
            .await?;
        if added.is_empty() && removed.is_empty() {
            tx.commit().await?;
            return Ok(view);
        }
        for g in &removed {
            tx.execute(
                "DELETE FROM role_grants WHERE account_id = $1 AND role = $2 AND scope_path = $3",
                params![id.as_str(), g.role.code(), g.scope],
            )
            .await?;
        }
        insert_grants(&mut tx, id, &added, now).await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &RolesChanged {
                    username: view.username.clone(),
                    added: grant_codes(&added),
                    removed: grant_codes(&removed),
                },
                id.as_str(),
                target_of(&view),
                msg!("changed-roles-username", username = view.username),
            ),
        )
        .await?;
        tx.commit().await?;
        self.require_view(id).await
    }

    /// Changes a staff account's shown name and/or department (`ManageUsers` over the account and
    /// over the new department). A move takes the old department's powers away: a role held in
    /// the old department moves with the person to the new one (where the actor may give it;
    /// administrator roles never move, they are asked for again); a role whose scope does not
    /// cover the new department ends; one that covers it (a leader over the whole city) stays.
    /// The person's sessions end, so the new powers hold at once. Other role changes go through
    /// [`Identity::set_roles`].
    #[tracing::instrument(skip_all)]
    pub async fn update_staff(
        &self,
        actor: &Principal,
        id: &AccountId,
        changes: StaffChanges,
    ) -> Result<AccountView> {
        let view = self.view_for(actor, id).await?;
        require_over(actor, &view, &[Permission::ManageUsers], false)?;
        if view.kind != AccountKind::Staff {
            return Err(Error::invalid("department", msg!("only-staff-accounts-are")));
        }
        let display_name = changes
            .display_name
            .as_deref()
            .map(|n| clean_name("display_name", n, 64))
            .transpose()?;
        let dept = match &changes.department {
            Some(d) => {
                let dept = self.require_department(d).await.map_err(|e| match e {
                    Error::NotFound { .. } => Error::invalid("department", msg!("no-such-department")),
                    e => e,
                })?;
                actor.require(Permission::ManageUsers, Some(&dept.path))?;
                Some(dept)
            }
            None => None,
        };
        let new_name = display_name.unwrap_or_else(|| view.display_name.clone());
        let new_dept = dept.clone().or_else(|| view.department.clone());
        if new_name == view.display_name
            && new_dept.as_ref().map(|d| &d.id) == view.department.as_ref().map(|d| &d.id)
        {
            return Ok(view);
        }
        let (moved, ended) = match (&view.department, &dept) {
            (Some(old), Some(new)) if old.id != new.id => {
                regranted(actor, &view.grants, &old.path, &new.path)
            }
            _ => (Vec::new(), Vec::new()),
        };
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        for g in moved.iter().map(|(from, _)| from).chain(&ended) {
            tx.execute(
                "DELETE FROM role_grants WHERE account_id = $1 AND role = $2 AND scope_path = $3",
                params![id.as_str(), g.role.code(), g.scope],
            )
            .await?;
        }
        let to: Vec<RoleGrant> = moved.iter().map(|(_, to)| to.clone()).collect();
        insert_grants(&mut tx, id, &to, now).await?;
        if !moved.is_empty() || !ended.is_empty() {
            revoke_all_in(&mut tx, id, now, None).await?;
        }
        tx.execute(
            "UPDATE accounts SET display_name = $1, department_id = $2, updated_ms = $3 WHERE id = $4",
            params![
                new_name,
                new_dept.as_ref().map(|d| d.id.as_str()),
                now,
                id.as_str()
            ],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &AccountUpdated {
                    username: view.username.clone(),
                    display_name: new_name,
                    department_from: view.department.as_ref().map(|d| d.path.clone()),
                    department_to: new_dept.as_ref().map(|d| d.path.clone()),
                    roles_moved: grant_codes(&to),
                    roles_ended: grant_codes(&ended),
                },
                id.as_str(),
                new_dept.as_ref().map(|d| &d.path),
                msg!("updated-account-username", username = view.username),
            ),
        )
        .await?;
        tx.commit().await?;
        self.require_view(id).await
    }

    /// Sets the account's status (clearing a timed lock and the failure count), ends its
    /// sessions unless it is active, and appends `event`, described by `verb`.
    async fn set_status<K: EventKind>(
        &self,
        actor: &Principal,
        view: &AccountView,
        status: AccountStatus,
        event: &K,
        verb: (&str, &str),
    ) -> Result<AccountView> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        // Setting any status clears a timed lock and the failure count; only an administrator's
        // lock has no end time.
        tx.execute(
            "UPDATE accounts SET status = $1, locked_until_ms = NULL, failed_logins = 0, \
             lockouts = 0, updated_ms = $2 WHERE id = $3",
            params![status.code(), now, view.id.as_str()],
        )
        .await?;
        if status != AccountStatus::Active {
            revoke_all_in(&mut tx, &view.id, now, None).await?;
        }
        tx.append_event(
            actor,
            EventDraft::of(
                event,
                view.id.as_str(),
                target_of(view),
                msg!(
                    "verb2-account-username",
                    verb = verb.0,
                    username = view.username,
                    verb2 = verb.1
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        self.require_view(&view.id).await
    }

    /// Locks an account until it is unlocked and ends its sessions (`LockAccounts` or
    /// `ManageUsers` over it). Nobody locks their own account.
    pub async fn lock_account(&self, actor: &Principal, id: &AccountId) -> Result<AccountView> {
        let view = self.view_for(actor, id).await?;
        require_over(
            actor,
            &view,
            &[Permission::LockAccounts, Permission::ManageUsers],
            true,
        )?;
        if is_self(actor, id) {
            return Err(Error::forbidden(msg!("you-cannot-lock-your")));
        }
        if view.status == AccountStatus::Disabled {
            return Err(Error::conflict("status", msg!("account-disabled")));
        }
        let event = AccountLocked {
            username: view.username.clone(),
            by: LockedBy::Administrator {
                status: AccountStatus::Locked.code().into(),
            },
        };
        self.set_status(actor, &view, AccountStatus::Locked, &event, ("锁定", "locked"))
            .await
    }

    /// Lifts a lock (an administrator's or a timed one) and clears the failure count
    /// (`LockAccounts` or `ManageUsers` over the account).
    #[tracing::instrument(skip_all)]
    pub async fn unlock_account(&self, actor: &Principal, id: &AccountId) -> Result<AccountView> {
        let view = self.view_for(actor, id).await?;
        require_over(
            actor,
            &view,
            &[Permission::LockAccounts, Permission::ManageUsers],
            true,
        )?;
        // Pauses of attempts from addresses lift too.
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let lifted = tx
            .execute(
                "UPDATE login_blocks SET failures = 0, blocked_until_ms = NULL \
                 WHERE account_id = $1 AND blocked_until_ms > $2",
                params![id.as_str(), now],
            )
            .await?;
        if lifted > 0 {
            tx.append_event(
                actor,
                EventDraft::of(
                    &PausesLifted {
                        username: view.username.clone(),
                        addresses: lifted,
                    },
                    id.as_str(),
                    target_of(&view),
                    msg!(
                        "lifted-sign-pauses-username",
                        username = view.username,
                        lifted = lifted
                    ),
                ),
            )
            .await?;
        }
        tx.commit().await?;
        if view.status != AccountStatus::Locked {
            return Ok(view);
        }
        let event = AccountUnlocked {
            username: view.username.clone(),
            status: AccountStatus::Active.code().into(),
        };
        self.set_status(actor, &view, AccountStatus::Active, &event, ("解锁", "unlocked"))
            .await
    }

    /// Disables an account and ends its sessions (`ManageUsers` over it).
    pub async fn disable_account(&self, actor: &Principal, id: &AccountId) -> Result<AccountView> {
        let view = self.view_for(actor, id).await?;
        require_over(actor, &view, &[Permission::ManageUsers], false)?;
        if is_self(actor, id) {
            return Err(Error::forbidden(msg!("you-cannot-disable-your")));
        }
        if view.status == AccountStatus::Disabled {
            return Ok(view);
        }
        let event = AccountDisabled {
            username: view.username.clone(),
            status: AccountStatus::Disabled.code().into(),
        };
        self.set_status(
            actor,
            &view,
            AccountStatus::Disabled,
            &event,
            ("停用", "disabled"),
        )
        .await
    }

    /// Enables a disabled account again (`ManageUsers` over it).
    pub async fn enable_account(&self, actor: &Principal, id: &AccountId) -> Result<AccountView> {
        let view = self.view_for(actor, id).await?;
        require_over(actor, &view, &[Permission::ManageUsers], false)?;
        if view.status != AccountStatus::Disabled {
            return Ok(view);
        }
        let event = AccountEnabled {
            username: view.username.clone(),
            status: AccountStatus::Active.code().into(),
        };
        self.set_status(actor, &view, AccountStatus::Active, &event, ("启用", "enabled"))
            .await
    }

    /// Sets a new password for someone else's account (`ManageUsers` over it) and ends its
    /// sessions. The password must meet the policy.
    #[tracing::instrument(skip_all)]
    pub async fn reset_password(&self, actor: &Principal, id: &AccountId, new_password: &str) -> Result<()> {
        let view = self.view_for(actor, id).await?;
        require_over(actor, &view, &[Permission::ManageUsers], false)?;
        if is_self(actor, id) {
            return Err(Error::forbidden(msg!("change-your-own-password")));
        }
        if actor.kind != PrincipalKind::System && view.grants.iter().any(|g| g.role.is_platform_admin()) {
            return Err(Error::forbidden(
                "管理员账号的密码只能由本人设置；本人遗忘时，撤销其管理员角色后重新授予（经另一位管理员批准，本人以激活码重设） \
                 / only the holder sets an administrator's password; if they forget it, take the role away and grant it again \
                 (a second administrator approves, the holder sets a new one with the activation code)",
            ));
        }
        password::check_policy(&view.username, new_password)?;
        let hash = password::hash(new_password).await?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        tx.execute(
            "UPDATE accounts SET password_hash = $1, updated_ms = $2 WHERE id = $3",
            params![hash, now, id.as_str()],
        )
        .await?;
        revoke_all_in(&mut tx, id, now, None).await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &PasswordReset {
                    username: view.username.clone(),
                },
                id.as_str(),
                target_of(&view),
                msg!("reset-password-username", username = view.username),
            ),
        )
        .await?;
        tx.commit().await.map_err(Error::from)
    }

    /// The actor changes their own password, giving the current one; every other session of the
    /// account ends (`keep` is the session making the change).
    #[tracing::instrument(skip_all)]
    pub async fn change_password(
        &self,
        actor: &Principal,
        current: &str,
        new_password: &str,
        keep: Option<&SessionId>,
    ) -> Result<()> {
        if actor.kind != PrincipalKind::User {
            return Err(Error::forbidden(msg!("only-signed-user-can-2")));
        }
        let id = AccountId(actor.id.clone());
        let row = self
            .db
            .fetch_optional(
                "SELECT username, password_hash FROM accounts WHERE id = $1",
                params![id.as_str()],
            )
            .await?
            .ok_or(Error::NotFound { what: "account" })?;
        let username: String = row.get("username")?;
        let stored: String = row.get("password_hash")?;
        if !password::verify(current, &stored).await? {
            return Err(Error::invalid("current_password", msg!("current-password-wrong")));
        }
        password::check_policy(&username, new_password)?;
        let hash = password::hash(new_password).await?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        tx.execute(
            "UPDATE accounts SET password_hash = $1, updated_ms = $2 WHERE id = $3",
            params![hash, now, id.as_str()],
        )
        .await?;
        revoke_all_in(&mut tx, &id, now, keep).await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &PasswordChanged {
                    username: username.clone(),
                },
                id.as_str(),
                actor.department.as_ref(),
                msg!("username-changed-their-password", username = username),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// An e-mail address as people type it, checked loosely (one `@`, a dotted domain, no spaces,
/// at most 254 characters) and lower-cased in its domain.
pub fn check_email(field: &str, text: &str) -> Result<String> {
    let t = text.trim();
    let bad = || Error::invalid(field, msg!("not-e-mail-address"));
    if t.len() > 254 || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = t.split_once('@').ok_or_else(bad)?;
    if local.is_empty()
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
    {
        return Err(bad());
    }
    Ok(format!("{local}@{}", domain.to_ascii_lowercase()))
}

impl Identity {
    /// Sets (or, with an empty text, removes) the signed-in person's e-mail address for
    /// notifications. Stored encrypted; it is used once confirmed with the code the notification
    /// worker mails to it ([`Identity::email_codes_to_send`], [`Identity::confirm_email`]).
    #[tracing::instrument(skip_all)]
    pub async fn set_email(&self, actor: &Principal, email: &str) -> Result<()> {
        if actor.kind != PrincipalKind::User {
            return Err(Error::forbidden(msg!("only-signed-user-sets")));
        }
        let email = if email.trim().is_empty() {
            None
        } else {
            Some(check_email("email", email)?)
        };
        let stored = email
            .as_deref()
            .map(|e| self.fields.encrypt(crate::fields::EMAIL, e));
        let mut tx = self.db.begin_write().await?;
        let n = tx
            .execute(
                "UPDATE accounts SET email_enc = $1, email_verified_ms = NULL, email_code_hash = NULL, \
                 email_code_expires_ms = NULL, email_code_tries = 0, updated_ms = $2 WHERE id = $3",
                params![stored, self.now(), actor.id.as_str()],
            )
            .await?;
        if n == 0 {
            return Err(Error::NotFound { what: "account" });
        }
        tx.append_event(
            actor,
            EventDraft::of(
                &EmailSet { set: email.is_some() },
                &actor.id,
                actor.department.as_ref(),
                if email.is_some() {
                    msg!("set-e-mail-address")
                } else {
                    msg!("removed-e-mail-address")
                },
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The confirmed e-mail address of account `id`, in clear, for the notification worker;
    /// `None` when the account gave none or has not confirmed it yet.
    pub async fn email_of(&self, id: &str) -> Result<Option<String>> {
        let row = self
            .db
            .fetch_optional(
                "SELECT email_enc FROM accounts WHERE id = $1 AND email_verified_ms IS NOT NULL",
                params![id],
            )
            .await?;
        let Some(stored) = row
            .map(|r| r.get::<Option<String>>("email_enc"))
            .transpose()?
            .flatten()
        else {
            return Ok(None);
        };
        let clear = self
            .fields
            .decrypt(crate::fields::EMAIL, &stored)
            .map_err(|e| Error::Crypto(e.to_string()))?;
        Ok(Some(clear))
    }
}

/// How long a mailed confirmation code works.
const EMAIL_CODE_MS: i64 = 30 * 60 * 1000;
/// Wrong codes allowed before the address must be saved again.
const EMAIL_CODE_TRIES: i64 = 5;

/// A confirmation code to mail.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailCode {
    /// The account.
    pub account: String,
    /// The address to confirm.
    pub email: String,
    /// Six digits.
    pub code: String,
}

impl std::fmt::Debug for EmailCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailCode")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// The signed-in person's address as the account page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailStatus {
    /// The address, masked.
    pub masked: String,
    /// Whether it has been confirmed.
    pub confirmed: bool,
}

impl Identity {
    fn email_code_hash(&self, account: &str, code: &str) -> String {
        self.fields
            .blind_index("identity.email_code", &format!("{account}:{code}"))
    }

    /// Makes a code for up to `limit` addresses that await confirmation and have none yet
    /// (valid 30 minutes), for the notification worker to mail. A code whose mail could not be
    /// sent is dropped with [`Identity::forget_email_code`] so the next round makes another.
    pub async fn email_codes_to_send(&self, limit: u32) -> Result<Vec<EmailCode>> {
        let rows = self
            .db
            .fetch_all(
                "SELECT id, email_enc FROM accounts WHERE email_enc IS NOT NULL AND email_verified_ms IS NULL \
                 AND email_code_hash IS NULL ORDER BY id LIMIT $1",
                params![i64::from(limit)],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let account: String = r.get("id")?;
            let stored: String = r.get("email_enc")?;
            let email = self
                .fields
                .decrypt(crate::fields::EMAIL, &stored)
                .map_err(|e| Error::Crypto(e.to_string()))?;
            let code = tongban_crypto::token::code_from(b"0123456789", 6);
            self.db
                .execute(
                    "UPDATE accounts SET email_code_hash = $1, email_code_expires_ms = $2, email_code_tries = 0 \
                     WHERE id = $3 AND email_code_hash IS NULL",
                    params![self.email_code_hash(&account, &code), self.now().plus_ms(EMAIL_CODE_MS), account.as_str()],
                )
                .await?;
            out.push(EmailCode { account, email, code });
        }
        Ok(out)
    }

    /// Drops the code of `account` (its mail could not be sent): the next round makes another.
    pub async fn forget_email_code(&self, account: &str) -> Result<()> {
        self.db
            .execute(
                "UPDATE accounts SET email_code_hash = NULL, email_code_expires_ms = NULL WHERE id = $1 \
                 AND email_verified_ms IS NULL",
                params![account],
            )
            .await?;
        Ok(())
    }

    /// Confirms the signed-in person's address with the code mailed to it. A wrong code counts
    /// against five tries; an expired one, or too many tries, means saving the address again
    /// (which mails a new code).
    #[tracing::instrument(skip_all)]
    pub async fn confirm_email(&self, actor: &Principal, code: &str) -> Result<()> {
        let code = code.trim();
        let mut tx = self.db.begin_write().await?;
        let row = tx
            .fetch_optional(
                "SELECT email_enc, email_verified_ms, email_code_hash, email_code_expires_ms, email_code_tries \
                 FROM accounts WHERE id = $1",
                params![actor.id.as_str()],
            )
            .await?
            .ok_or(Error::NotFound { what: "account" })?;
        let pending = row.get::<Option<String>>("email_enc")?.is_some()
            && row.get::<Option<i64>>("email_verified_ms")?.is_none();
        let Some(hash) = row.get::<Option<String>>("email_code_hash")?.filter(|_| pending) else {
            return Err(Error::conflict("code", msg!("no-address-awaits-code")));
        };
        let expires: i64 = row.get::<Option<i64>>("email_code_expires_ms")?.unwrap_or(0);
        let tries: i64 = row.get("email_code_tries")?;
        if tries >= EMAIL_CODE_TRIES || expires < self.now().0 {
            return Err(Error::conflict("code", msg!("code-no-longer-works")));
        }
        let given = self.email_code_hash(&actor.id, code);
        if code.len() != 6 || !crate::totp::constant_time_eq(given.as_bytes(), hash.as_bytes()) {
            tx.execute(
                "UPDATE accounts SET email_code_tries = email_code_tries + 1 WHERE id = $1",
                params![actor.id.as_str()],
            )
            .await?;
            tx.commit().await?;
            return Err(Error::invalid("code", msg!("code-not-right")));
        }
        let now = self.now();
        tx.execute(
            "UPDATE accounts SET email_verified_ms = $1, email_code_hash = NULL, email_code_expires_ms = NULL, \
             updated_ms = $1 WHERE id = $2",
            params![now, actor.id.as_str()],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &EmailConfirmed {},
                &actor.id,
                actor.department.as_ref(),
                msg!("confirmed-e-mail-address"),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The signed-in person's address (masked) and whether it is confirmed.
    pub async fn email_status(&self, actor: &Principal) -> Result<Option<EmailStatus>> {
        let row = self
            .db
            .fetch_optional(
                "SELECT email_enc, email_verified_ms FROM accounts WHERE id = $1",
                params![actor.id.as_str()],
            )
            .await?;
        let Some(r) = row else { return Ok(None) };
        let Some(stored) = r.get::<Option<String>>("email_enc")? else {
            return Ok(None);
        };
        let clear = self
            .fields
            .decrypt(crate::fields::EMAIL, &stored)
            .map_err(|e| Error::Crypto(e.to_string()))?;
        Ok(Some(EmailStatus {
            masked: tongban_crypto::mask_email(&clear),
            confirmed: r.get::<Option<i64>>("email_verified_ms")?.is_some(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(role: Role, scope: &str) -> RoleGrant {
        RoleGrant {
            role,
            scope: DeptPath(scope.into()),
        }
    }

    #[test]
    fn a_move_never_carries_an_administrator_role_and_keeps_what_covers_the_new_place() {
        let old = DeptPath("/3301/3301-GA/".into());
        let new = DeptPath("/3301/3301-MZ/".into());
        let grants = [
            grant(Role::SecurityAdmin, "/3301/3301-GA/"),
            grant(Role::Clerk, "/3301/3301-GA/"),
            grant(Role::Leader, "/3301/"),
            grant(Role::Reviewer, "/3301/3301-GA/3301-GA-HZ/"),
        ];
        let (moved, ended) = regranted(&Principal::system("test"), &grants, &old, &new);
        assert_eq!(
            moved,
            vec![(grants[1].clone(), grant(Role::Clerk, "/3301/3301-MZ/"))]
        );
        assert_eq!(ended, vec![grants[0].clone(), grants[3].clone()]);
    }
}
