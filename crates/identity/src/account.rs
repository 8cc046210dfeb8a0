//! Accounts: registration of citizens and businesses, creation of staff, and reading accounts
//! (one, or a filtered page) within the actor's scope. Personal data is encrypted on the way in
//! and masked on the way out.

use crate::department::{self, JOINED_COLUMNS};
use crate::events::{AccountRegistered, RegistrationRepeated, StaffCreated};
use crate::{
    AccountId, AccountKind, AccountStatus, AccountView, BusinessRegistration, CitizenRegistration, Error,
    Identity, NewStaff, Result, UserFilter, UserList, clean_name, fields, normalize_username, password,
};
use std::collections::HashMap;
use tongban_crypto::{mask_credit_code, mask_id_number, mask_name, mask_phone};
use tongban_db::sql::render;
use tongban_db::sql::sea_query::{Alias, Cond, Expr, Func, JoinType, LikeExpr, Order, Query};
use tongban_db::{EventDraft, Row, Tx, params};
use tongban_kernel::msg;
use tongban_kernel::{
    CreditCode, DeptPath, IdNumber, Millis, Msg, Page, Permission, PhoneNumber, Principal, PrincipalKind,
    Role, RoleGrant,
};

/// Account columns (table alias `a`) that views are built from.
pub(crate) const COLUMNS: &str = "a.id, a.username, a.kind, a.display_name, a.real_name_enc, \
     a.id_number_enc, a.credit_code_enc, a.company_name, a.contact_name_enc, a.phone_enc, \
     a.status, a.locked_until_ms, a.totp_enabled, a.is_demo, a.created_ms, a.last_login_ms";

/// `FROM` clause joining each account to its department.
pub(crate) const FROM: &str = "accounts a LEFT JOIN departments d ON d.id = a.department_id";

/// The department path an account belongs to, for permission checks (`None`: citizens and
/// businesses, which only root-scoped grants cover).
pub(crate) fn target_of(view: &AccountView) -> Option<&DeptPath> {
    view.department.as_ref().map(|d| &d.path)
}

/// Whether `actor` may lock and unlock the account and see its sign-in pauses (`LockAccounts`
/// or `ManageUsers` over it; a citizen's or business's account answers to the city at the top).
pub fn may_lock(actor: &Principal, view: &AccountView) -> bool {
    [Permission::LockAccounts, Permission::ManageUsers]
        .iter()
        .any(|p| allows_over(actor, *p, view))
}

/// Whether `actor` holds `perm` over the account: over its department, or for an account in no
/// department (a citizen's or a business's) over the platform — a grant at the top.
pub(crate) fn allows_over(actor: &Principal, perm: Permission, view: &AccountView) -> bool {
    match target_of(view) {
        Some(dept) => actor.allows(perm, Some(dept)),
        None => actor.allows_over_platform(perm),
    }
}

pub(crate) fn decode_err(column: &str, reason: String) -> Error {
    Error::Storage(tongban_db::Error::Decode {
        column: column.into(),
        reason,
    })
}

pub(crate) fn grants_from_rows(rows: &[Row]) -> Result<Vec<(String, RoleGrant)>> {
    rows.iter()
        .map(|r| {
            let code: String = r.get("role")?;
            let role =
                Role::parse(&code).ok_or_else(|| decode_err("role", format!("unknown role `{code}`")))?;
            Ok((
                r.get::<String>("account_id")?,
                RoleGrant {
                    role,
                    scope: r.get("scope_path")?,
                },
            ))
        })
        .collect()
}

/// Refuses demo accounts from anyone but the platform itself.
fn check_demo_flag(actor: &Principal, is_demo: bool) -> Result<()> {
    if is_demo && actor.kind != PrincipalKind::System {
        return Err(Error::forbidden(msg!("only-system-may-create")));
    }
    Ok(())
}

fn parse_phone(text: Option<&str>) -> Result<Option<PhoneNumber>> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => Ok(Some(PhoneNumber::parse("phone", t)?)),
        None => Ok(None),
    }
}

fn username_taken() -> Error {
    Error::conflict("username", msg!("username-taken"))
}

/// Encrypted personal columns of a new account.
#[derive(Default)]
struct Personal {
    real_name_enc: Option<String>,
    id_number_enc: Option<String>,
    id_number_bidx: Option<String>,
    credit_code_enc: Option<String>,
    credit_code_bidx: Option<String>,
    company_name: Option<String>,
    contact_name_enc: Option<String>,
    phone_enc: Option<String>,
    phone_bidx: Option<String>,
}

/// A new account row, ready to insert.
struct NewRow<'a> {
    id: &'a AccountId,
    username: &'a str,
    kind: AccountKind,
    display_name: &'a str,
    department_id: Option<&'a str>,
    password_hash: &'a str,
    personal: Personal,
    is_demo: bool,
    now: Millis,
}

async fn insert_account(tx: &mut Tx, row: NewRow<'_>) -> Result<()> {
    if tx
        .fetch_optional(
            "SELECT id FROM accounts WHERE username = $1",
            params![row.username],
        )
        .await?
        .is_some()
    {
        return Err(username_taken());
    }
    let p = &row.personal;
    if let Some(b) = &p.id_number_bidx
        && tx
            .fetch_optional("SELECT id FROM accounts WHERE id_number_bidx = $1", params![b])
            .await?
            .is_some()
    {
        return Err(id_number_taken());
    }
    if let Some(b) = &p.credit_code_bidx
        && tx
            .fetch_optional("SELECT id FROM accounts WHERE credit_code_bidx = $1", params![b])
            .await?
            .is_some()
    {
        return Err(credit_code_taken());
    }
    tx.execute(
        "INSERT INTO accounts (id, username, kind, display_name, department_id, password_hash, \
         real_name_enc, id_number_enc, id_number_bidx, credit_code_enc, credit_code_bidx, \
         company_name, contact_name_enc, phone_enc, phone_bidx, status, failed_logins, lockouts, \
         totp_enabled, is_demo, created_ms, updated_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'active', 0, 0, \
         0, $16, $17, $17)",
        params![
            row.id.as_str(),
            row.username,
            row.kind.code(),
            row.display_name,
            row.department_id,
            row.password_hash,
            p.real_name_enc,
            p.id_number_enc,
            p.id_number_bidx,
            p.credit_code_enc,
            p.credit_code_bidx,
            p.company_name,
            p.contact_name_enc,
            p.phone_enc,
            p.phone_bidx,
            row.is_demo,
            row.now
        ],
    )
    .await
    .map_err(|e| match e {
        // Another transaction won the race between the checks above and this insert.
        tongban_db::Error::Conflict(c) if c.contains("id_number") => id_number_taken(),
        tongban_db::Error::Conflict(c) if c.contains("credit_code") => credit_code_taken(),
        tongban_db::Error::Conflict(c) if c.contains("username") => username_taken(),
        e => e.into(),
    })?;
    Ok(())
}

pub(crate) async fn insert_grants(
    tx: &mut Tx,
    account: &AccountId,
    grants: &[RoleGrant],
    now: Millis,
) -> Result<()> {
    for g in grants {
        tx.execute(
            "INSERT INTO role_grants (account_id, role, scope_path, granted_ms) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (account_id, role, scope_path) DO NOTHING",
            params![account.as_str(), g.role.code(), g.scope, now],
        )
        .await?;
    }
    Ok(())
}

fn id_number_taken() -> Error {
    Error::conflict("id_number", msg!("id-number-already-registered"))
}

fn credit_code_taken() -> Error {
    Error::conflict("credit_code", msg!("credit-code-already-registered"))
}

/// Whether `actor` may give or take `grant`: `AssignRoles` over its scope; only a sys_admin (or
/// the system) may give or take sys_admin or security_admin; citizen and business roles come
/// with the account and are never assigned.
pub(crate) fn check_grant_power(actor: &Principal, grant: &RoleGrant) -> Result<()> {
    if !grant.role.is_staff() {
        return Err(Error::invalid("roles", msg!("citizen-business-roles-come")));
    }
    actor.require(Permission::AssignRoles, Some(&grant.scope))?;
    if grant.role.is_platform_admin()
        && actor.kind != PrincipalKind::System
        && !actor.has_role(Role::SysAdmin)
    {
        return Err(Error::forbidden(msg!(
            "only-sys-admin-may-2",
            role = grant.role.name_zh(),
            role2 = grant.role.code()
        )));
    }
    Ok(())
}

/// Whether `actor` may give `role` over `scope` (for offering only the roles one can grant).
pub fn can_grant(actor: &Principal, role: Role, scope: &DeptPath) -> bool {
    check_grant_power(
        actor,
        &RoleGrant {
            role,
            scope: scope.clone(),
        },
    )
    .is_ok()
}

/// 三员分立: the system administrator and the security administrator are never one person.
pub(crate) fn check_separation(grants: &[RoleGrant]) -> Result<()> {
    let has = |r: Role| grants.iter().any(|g| g.role == r);
    if has(Role::SysAdmin) && has(Role::SecurityAdmin) {
        return Err(Error::conflict("roles", msg!("one-account-cannot-both")));
    }
    Ok(())
}

impl Identity {
    fn seal(&self, field: &str, value: &str) -> String {
        self.fields.encrypt(field, value)
    }

    fn index(&self, field: &str, value: &str) -> String {
        self.fields.blind_index(field, value)
    }

    fn reveal_masked(
        &self,
        field: &str,
        stored: Option<String>,
        mask: fn(&str) -> String,
    ) -> Result<Option<String>> {
        stored
            .map(|s| {
                self.fields
                    .decrypt(field, &s)
                    .map(|clear| mask(&clear))
                    .map_err(|e| Error::Crypto(format!("{field}: {e}")))
            })
            .transpose()
    }

    /// Builds a view from a row selected with [`COLUMNS`] and [`JOINED_COLUMNS`].
    pub(crate) fn view_from_row(&self, r: &Row, grants: Vec<RoleGrant>) -> Result<AccountView> {
        let kind: String = r.get("kind")?;
        let status: String = r.get("status")?;
        let mut status = AccountStatus::parse(&status)
            .ok_or_else(|| decode_err("status", format!("unknown status `{status}`")))?;
        let mut locked_until: Option<Millis> = r.get("locked_until_ms")?;
        if status == AccountStatus::Locked && locked_until.is_some_and(|t| t <= self.now()) {
            status = AccountStatus::Active;
            locked_until = None;
        }
        if status != AccountStatus::Locked {
            locked_until = None;
        }
        Ok(AccountView {
            id: AccountId(r.get("id")?),
            username: r.get("username")?,
            kind: AccountKind::parse(&kind)
                .ok_or_else(|| decode_err("kind", format!("unknown kind `{kind}`")))?,
            display_name: r.get("display_name")?,
            department: department::from_joined_row(r)?,
            grants,
            status,
            locked_until,
            mfa_enabled: r.get("totp_enabled")?,
            is_demo: r.get("is_demo")?,
            real_name_masked: self.reveal_masked(fields::REAL_NAME, r.get("real_name_enc")?, mask_name)?,
            id_number_masked: self.reveal_masked(
                fields::ID_NUMBER,
                r.get("id_number_enc")?,
                mask_id_number,
            )?,
            credit_code_masked: self.reveal_masked(
                fields::CREDIT_CODE,
                r.get("credit_code_enc")?,
                mask_credit_code,
            )?,
            company_name: r.get("company_name")?,
            contact_name_masked: self.reveal_masked(
                fields::CONTACT_NAME,
                r.get("contact_name_enc")?,
                mask_name,
            )?,
            phone_masked: self.reveal_masked(fields::PHONE, r.get("phone_enc")?, mask_phone)?,
            created: r.get("created_ms")?,
            last_login: r.get("last_login_ms")?,
        })
    }

    pub(crate) async fn grants_of(&self, id: &AccountId) -> Result<Vec<RoleGrant>> {
        let rows = self
            .db
            .fetch_all(
                "SELECT account_id, role, scope_path FROM role_grants WHERE account_id = $1",
                params![id.as_str()],
            )
            .await?;
        let mut grants: Vec<RoleGrant> = grants_from_rows(&rows)?.into_iter().map(|(_, g)| g).collect();
        grants.sort_by(|a, b| (a.role, &a.scope).cmp(&(b.role, &b.scope)));
        Ok(grants)
    }

    /// An account's view, unchecked (callers check permission).
    pub(crate) async fn load_view(&self, id: &AccountId) -> Result<Option<AccountView>> {
        let Some(row) = self
            .db
            .fetch_optional(
                &format!("SELECT {COLUMNS}, {JOINED_COLUMNS} FROM {FROM} WHERE a.id = $1"),
                params![id.as_str()],
            )
            .await?
        else {
            return Ok(None);
        };
        let grants = self.grants_of(id).await?;
        self.view_from_row(&row, grants).map(Some)
    }

    /// The account `id` for `actor` to read or manage: one who may read no accounts at all (a
    /// citizen) is refused before the lookup, so an unknown id and someone else's answer alike
    /// and ids cannot be probed. The actor's own account is always theirs to look up.
    pub(crate) async fn view_for(&self, actor: &Principal, id: &AccountId) -> Result<AccountView> {
        let own = actor.kind == PrincipalKind::User && actor.id == id.as_str();
        if !own && !actor.allows_somewhere(Permission::ReadUsers) {
            return Err(Error::forbidden(msg!("not-permitted-read-manage")));
        }
        self.require_view(id).await
    }

    pub(crate) async fn require_view(&self, id: &AccountId) -> Result<AccountView> {
        self.load_view(id)
            .await?
            .ok_or(Error::NotFound { what: "account" })
    }

    /// Registers a citizen (实名注册): real name and ID number (GB 11643 checksum), optional
    /// phone. Anyone may register (`actor` is usually anonymous); only the system may set
    /// `is_demo`. The ID number must not be registered yet.
    pub async fn register_citizen(&self, actor: &Principal, reg: CitizenRegistration) -> Result<AccountView> {
        check_demo_flag(actor, reg.is_demo)?;
        let username = normalize_username(&reg.username)?;
        password::check_policy(&username, &reg.password)?;
        let real_name = clean_name("real_name", &reg.real_name, 50)?;
        let id_number = IdNumber::parse("id_number", &reg.id_number)?;
        let phone = parse_phone(reg.phone.as_deref())?;
        let display_name = match reg.display_name.as_deref().map(str::trim) {
            Some(d) if !d.is_empty() => clean_name("display_name", d, 64)?,
            _ => mask_name(&real_name),
        };
        let hash = password::hash(&reg.password).await?;
        let personal = Personal {
            real_name_enc: Some(self.seal(fields::REAL_NAME, &real_name)),
            id_number_enc: Some(self.seal(fields::ID_NUMBER, id_number.as_str())),
            id_number_bidx: Some(self.index(fields::ID_NUMBER, id_number.as_str())),
            phone_enc: phone.as_ref().map(|p| self.seal(fields::PHONE, p.as_str())),
            phone_bidx: phone.as_ref().map(|p| self.index(fields::PHONE, p.as_str())),
            ..Personal::default()
        };
        let id = AccountId::new();
        let row = NewRow {
            id: &id,
            username: &username,
            kind: AccountKind::Citizen,
            display_name: &display_name,
            department_id: None,
            password_hash: &hash,
            personal,
            is_demo: reg.is_demo,
            now: self.now(),
        };
        let summary = msg!("registered-citizen-account-username", username = username);
        let masked = mask_id_number(id_number.as_str());
        let event = AccountRegistered {
            username: username.clone(),
            kind: "citizen".into(),
            id_number: Some(masked.clone()),
            credit_code: None,
            company_name: None,
            phone: phone.as_ref().map(|p| mask_phone(p.as_str())),
            is_demo: reg.is_demo,
        };
        let bidx = self.index(fields::ID_NUMBER, id_number.as_str());
        match self
            .store_registration(actor, row, Role::Citizen, summary, &event)
            .await
        {
            Err(Error::Conflict { field, reason }) if field == "id_number" => {
                self.record_second_registration(actor, &bidx, &username, &masked)
                    .await?;
                Err(Error::Conflict { field, reason })
            }
            other => other,
        }
    }

    /// Records, on the account that holds an ID number, that someone tried to register it again
    /// (as `username`): the holder and the security administrator see it, while the page that
    /// was used answers as if nothing was there.
    async fn record_second_registration(
        &self,
        actor: &Principal,
        bidx: &str,
        username: &str,
        masked: &str,
    ) -> Result<()> {
        let Some(row) = self
            .db
            .fetch_optional("SELECT id FROM accounts WHERE id_number_bidx = $1", params![bidx])
            .await?
        else {
            return Ok(());
        };
        let holder: String = row.get("id")?;
        let mut tx = self.db.begin_write().await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &RegistrationRepeated {
                    attempted_username: username.into(),
                    id_number: masked.into(),
                },
                &holder,
                None,
                msg!("someone-tried-register-account", username = username),
            ),
        )
        .await?;
        tx.commit().await.map_err(Error::from)
    }

    /// Registers a business (法人注册): unified social credit code (GB 32100 checksum), company
    /// name, contact person, optional phone. The code must not be registered yet.
    pub async fn register_business(
        &self,
        actor: &Principal,
        reg: BusinessRegistration,
    ) -> Result<AccountView> {
        check_demo_flag(actor, reg.is_demo)?;
        let username = normalize_username(&reg.username)?;
        password::check_policy(&username, &reg.password)?;
        let code = CreditCode::parse("credit_code", &reg.credit_code)?;
        let company = clean_name("company_name", &reg.company_name, 200)?;
        let contact = clean_name("contact_name", &reg.contact_name, 50)?;
        let phone = parse_phone(reg.phone.as_deref())?;
        let hash = password::hash(&reg.password).await?;
        let personal = Personal {
            credit_code_enc: Some(self.seal(fields::CREDIT_CODE, code.as_str())),
            credit_code_bidx: Some(self.index(fields::CREDIT_CODE, code.as_str())),
            company_name: Some(company.clone()),
            contact_name_enc: Some(self.seal(fields::CONTACT_NAME, &contact)),
            phone_enc: phone.as_ref().map(|p| self.seal(fields::PHONE, p.as_str())),
            phone_bidx: phone.as_ref().map(|p| self.index(fields::PHONE, p.as_str())),
            ..Personal::default()
        };
        let id = AccountId::new();
        let row = NewRow {
            id: &id,
            username: &username,
            kind: AccountKind::Business,
            display_name: &company,
            department_id: None,
            password_hash: &hash,
            personal,
            is_demo: reg.is_demo,
            now: self.now(),
        };
        let summary = msg!("registered-business-account-username", username = username);
        let event = AccountRegistered {
            username: username.clone(),
            kind: "business".into(),
            id_number: None,
            credit_code: Some(mask_credit_code(code.as_str())),
            company_name: Some(company.clone()),
            phone: phone.as_ref().map(|p| mask_phone(p.as_str())),
            is_demo: reg.is_demo,
        };
        self.store_registration(actor, row, Role::Business, summary, &event)
            .await
    }

    /// Stores a self-registered account holding `role` over the whole tree, with its
    /// `identity.account.registered` event, in one transaction: how citizens and businesses join.
    async fn store_registration(
        &self,
        actor: &Principal,
        row: NewRow<'_>,
        role: Role,
        summary: Msg,
        event: &AccountRegistered,
    ) -> Result<AccountView> {
        let (id, now) = (row.id.clone(), row.now);
        let mut tx = self.db.begin_write().await?;
        insert_account(&mut tx, row).await?;
        let grant = RoleGrant {
            role,
            scope: DeptPath::root(),
        };
        insert_grants(&mut tx, &id, std::slice::from_ref(&grant), now).await?;
        tx.append_event(actor, EventDraft::of(event, id.as_str(), None, summary))
            .await?;
        tx.commit().await?;
        self.require_view(&id).await
    }

    /// Creates a staff account in `new.department` (`ManageUsers` there) with `new.roles` granted
    /// over that department's subtree (each role also needs the actor's power to grant it).
    #[tracing::instrument(skip_all)]
    pub async fn create_staff(&self, actor: &Principal, new: NewStaff) -> Result<AccountView> {
        // Deny by default: someone who manages no users anywhere learns nothing about the input.
        if !actor.allows_somewhere(Permission::ManageUsers) {
            actor.require(Permission::ManageUsers, None)?;
        }
        check_demo_flag(actor, new.is_demo)?;
        let username = normalize_username(&new.username)?;
        let display_name = clean_name("display_name", &new.display_name, 64)?;
        password::check_policy(&username, &new.password)?;
        let phone = parse_phone(new.phone.as_deref())?;
        let dept = self
            .require_department(&new.department)
            .await
            .map_err(|e| match e {
                Error::NotFound { .. } => Error::invalid("department", msg!("no-such-department")),
                e => e,
            })?;
        actor.require(Permission::ManageUsers, Some(&dept.path))?;
        let mut grants: Vec<RoleGrant> = Vec::new();
        for role in &new.roles {
            let g = RoleGrant {
                role: *role,
                scope: dept.path.clone(),
            };
            check_grant_power(actor, &g)?;
            if !grants.contains(&g) {
                grants.push(g);
            }
        }
        check_separation(&grants)?;
        // An administrator role given by a person waits for a second administrator.
        let (asked, grants): (Vec<RoleGrant>, Vec<RoleGrant>) =
            grants.into_iter().partition(|g| crate::needs_approval(actor, g));
        let hash = password::hash(&new.password).await?;
        let personal = Personal {
            phone_enc: phone.as_ref().map(|p| self.seal(fields::PHONE, p.as_str())),
            phone_bidx: phone.as_ref().map(|p| self.index(fields::PHONE, p.as_str())),
            ..Personal::default()
        };
        let id = AccountId::new();
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        insert_account(
            &mut tx,
            NewRow {
                id: &id,
                username: &username,
                kind: AccountKind::Staff,
                display_name: &display_name,
                department_id: Some(dept.id.as_str()),
                password_hash: &hash,
                personal,
                is_demo: new.is_demo,
                now,
            },
        )
        .await?;
        insert_grants(&mut tx, &id, &grants, now).await?;
        self.request_grants(&mut tx, actor, &id, &username, &asked, now)
            .await?;
        let roles: Vec<String> = grants.iter().map(|g| g.role.code().to_owned()).collect();
        tx.append_event(
            actor,
            EventDraft::of(
                &StaffCreated {
                    username: username.clone(),
                    kind: "staff".into(),
                    department: dept.path.clone(),
                    roles,
                    phone: phone.as_ref().map(|p| mask_phone(p.as_str())),
                    is_demo: new.is_demo,
                },
                id.as_str(),
                Some(&dept.path),
                msg!(
                    "created-account-username-dept2",
                    dept = dept.name_zh,
                    dept2 = dept.code,
                    username = username
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        self.require_view(&id).await
    }

    /// One account: the actor's own, or one in a department the actor holds `ReadUsers` over
    /// (citizens and businesses: a grant at the top, the city's). Otherwise `Forbidden`.
    pub async fn get_user(&self, actor: &Principal, id: &AccountId) -> Result<AccountView> {
        let view = self.view_for(actor, id).await?;
        if actor.kind == PrincipalKind::User && actor.id == view.id.as_str() {
            return Ok(view);
        }
        if !allows_over(actor, Permission::ReadUsers, &view) {
            actor.require(Permission::ReadUsers, target_of(&view))?;
        }
        Ok(view)
    }

    /// How letters name the holder of account `id`, masked ([`crate::MaskedHolder`]). Its
    /// caller has shown by its own rule that the reader may see the paper (the hall's rule for
    /// a case's decision letter); nothing in clear leaves, so no principal is asked for.
    pub async fn masked_holder(&self, id: &AccountId) -> Result<crate::MaskedHolder> {
        let a = self.require_view(id).await?;
        Ok(crate::MaskedHolder {
            name: a.company_name.or(a.real_name_masked).unwrap_or(a.display_name),
            identifier: a.credit_code_masked.or(a.id_number_masked),
        })
    }

    /// The display name of staff account `id`, as timelines and histories name who acted
    /// (staff names are not personal data to colleagues); `None` for a citizen's or business's
    /// account.
    pub async fn staff_display_name(&self, id: &AccountId) -> Result<Option<String>> {
        let a = self.require_view(id).await?;
        Ok((a.kind == AccountKind::Staff).then_some(a.display_name))
    }

    /// The signed-in citizen's or business's own verified identifiers in clear — real name, ID
    /// number, credit code, company and contact name, phone — for prefilling their own
    /// applications. Only the account holder gets them; anyone else is `Forbidden`.
    pub async fn own_identity(&self, actor: &Principal) -> Result<crate::OwnIdentity> {
        if actor.kind != PrincipalKind::User {
            return Err(Error::Forbidden {
                why: msg!("only-account-holder-may"),
            });
        }
        let row = self
            .db
            .fetch_optional(
                "SELECT real_name_enc, id_number_enc, credit_code_enc, company_name, contact_name_enc, \
                 phone_enc FROM accounts WHERE id = $1",
                params![actor.id.as_str()],
            )
            .await?
            .ok_or(Error::NotFound { what: "account" })?;
        let open = |field: &str, stored: Option<String>| -> Result<Option<String>> {
            stored
                .map(|s| {
                    self.fields
                        .decrypt(field, &s)
                        .map_err(|e| Error::Crypto(format!("{field}: {e}")))
                })
                .transpose()
        };
        Ok(crate::OwnIdentity {
            real_name: open(fields::REAL_NAME, row.get("real_name_enc")?)?,
            id_number: open(fields::ID_NUMBER, row.get("id_number_enc")?)?,
            credit_code: open(fields::CREDIT_CODE, row.get("credit_code_enc")?)?,
            company_name: row.get("company_name")?,
            contact_name: open(fields::CONTACT_NAME, row.get("contact_name_enc")?)?,
            phone: open(fields::PHONE, row.get("phone_enc")?)?,
        })
    }

    /// The account named `username`, under the same rule as [`Identity::get_user`].
    pub async fn get_user_by_username(&self, actor: &Principal, username: &str) -> Result<AccountView> {
        let name = normalize_username(username).map_err(|_| Error::NotFound { what: "account" })?;
        let row = self
            .db
            .fetch_optional("SELECT id FROM accounts WHERE username = $1", params![name])
            .await?
            .ok_or(Error::NotFound { what: "account" })?;
        self.get_user(actor, &AccountId(row.get("id")?)).await
    }

    /// The id of the account named `username`, for narrowing the security ledger to one account
    /// (the events it did and those done to it). Only the opaque id is given, and only to a
    /// holder of `read_ledger`: the ledger itself decides which of those events they see.
    pub async fn account_id_for_ledger(
        &self,
        actor: &Principal,
        username: &str,
    ) -> Result<Option<AccountId>> {
        if !actor.allows_somewhere(Permission::ReadLedger) {
            return Err(Error::Forbidden {
                why: msg!(
                    "not-permitted-readledger",
                    readledger = Permission::ReadLedger.code()
                ),
            });
        }
        let Ok(name) = normalize_username(username) else {
            return Ok(None);
        };
        self.db
            .fetch_optional("SELECT id FROM accounts WHERE username = $1", params![name])
            .await?
            .map(|r| Ok(AccountId(r.get("id")?)))
            .transpose()
    }

    /// A page of the accounts the actor may read (`ReadUsers` scopes), matching `filter`, by
    /// username.
    pub async fn list_users(&self, actor: &Principal, filter: &UserFilter, page: Page) -> Result<UserList> {
        let scopes = actor.scopes_for(Permission::ReadUsers);
        if scopes.is_empty() {
            actor.require(Permission::ReadUsers, None)?;
        }
        let a = |c: &str| (Alias::new("a"), Alias::new(c));
        let d = |c: &str| (Alias::new("d"), Alias::new(c));
        let prefix = |p: &DeptPath| {
            Expr::col(d("path"))
                .like(LikeExpr::new(format!("{}%", tongban_db::sql::like_escaped(p.as_str()))).escape('\\'))
        };

        let mut cond = Cond::all();
        if !scopes.contains(&DeptPath::root()) {
            let mut any = Cond::any();
            for s in &scopes {
                any = any.add(prefix(s));
            }
            // Citizens and businesses (no department) answer to the city at the top.
            if actor.allows_over_platform(Permission::ReadUsers) {
                any = any.add(Expr::col(a("department_id")).is_null());
            }
            cond = cond.add(any);
        }
        if let Some(dept) = &filter.department {
            let dept = self.require_department(dept).await?;
            cond = cond.add(prefix(&dept.path));
        }
        if let Some(kind) = filter.kind {
            cond = cond.add(Expr::col(a("kind")).eq(kind.code()));
        }
        if let Some(role) = filter.role {
            let g = |c: &str| (Alias::new("g"), Alias::new(c));
            let sub = Query::select()
                .expr(Expr::val(1))
                .from_as(Alias::new("role_grants"), Alias::new("g"))
                .and_where(Expr::col(g("account_id")).equals(a("id")))
                .and_where(Expr::col(g("role")).eq(role.code()))
                .to_owned();
            cond = cond.add(Expr::exists(sub));
        }
        if let Some(text) = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let pattern = format!("%{}%", tongban_db::sql::like_escaped(&text.to_lowercase()));
            let mut any = Cond::any()
                .add(
                    Expr::expr(Func::lower(Expr::col(a("username"))))
                        .like(LikeExpr::new(pattern.clone()).escape('\\')),
                )
                .add(
                    Expr::expr(Func::lower(Expr::col(a("display_name"))))
                        .like(LikeExpr::new(pattern).escape('\\')),
                );
            if let Ok(n) = IdNumber::parse("text", text) {
                any = any.add(Expr::col(a("id_number_bidx")).eq(self.index(fields::ID_NUMBER, n.as_str())));
            }
            if let Ok(c) = CreditCode::parse("text", text) {
                any =
                    any.add(Expr::col(a("credit_code_bidx")).eq(self.index(fields::CREDIT_CODE, c.as_str())));
            }
            if let Ok(p) = PhoneNumber::parse("text", text) {
                any = any.add(Expr::col(a("phone_bidx")).eq(self.index(fields::PHONE, p.as_str())));
            }
            cond = cond.add(any);
        }

        let base = || {
            Query::select()
                .from_as(Alias::new("accounts"), Alias::new("a"))
                .join_as(
                    JoinType::LeftJoin,
                    Alias::new("departments"),
                    Alias::new("d"),
                    Expr::col(d("id")).equals(a("department_id")),
                )
                .cond_where(cond.clone())
                .to_owned()
        };
        let mut count = base();
        count.expr_as(Expr::cust("COUNT(*)"), Alias::new("n"));
        let (sql, values) = render(self.db.backend(), &count);
        let total: i64 = self.db.fetch_one(&sql, values).await?.get("n")?;

        let mut select = base();
        select
            .expr(Expr::cust(format!("{COLUMNS}, {JOINED_COLUMNS}")))
            .order_by(a("username"), Order::Asc)
            .limit(u64::from(page.limit))
            .offset(page.offset);
        let (sql, values) = render(self.db.backend(), &select);
        let rows = self.db.fetch_all(&sql, values).await?;

        let ids: Vec<String> = rows
            .iter()
            .map(|r| r.get::<String>("id"))
            .collect::<Result<_, _>>()?;
        let mut grants: HashMap<String, Vec<RoleGrant>> = HashMap::new();
        if !ids.is_empty() {
            let q = Query::select()
                .columns([
                    Alias::new("account_id"),
                    Alias::new("role"),
                    Alias::new("scope_path"),
                ])
                .from(Alias::new("role_grants"))
                .and_where(Expr::col(Alias::new("account_id")).is_in(ids))
                .to_owned();
            let (sql, values) = render(self.db.backend(), &q);
            for (account, g) in grants_from_rows(&self.db.fetch_all(&sql, values).await?)? {
                grants.entry(account).or_default().push(g);
            }
        }
        let items = rows
            .iter()
            .map(|r| {
                let id: String = r.get("id")?;
                let mut g = grants.remove(&id).unwrap_or_default();
                g.sort_by(|x, y| (x.role, &x.scope).cmp(&(y.role, &y.scope)));
                self.view_from_row(r, g)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(UserList::new(items, u64::try_from(total).unwrap_or(0), page))
    }
}
