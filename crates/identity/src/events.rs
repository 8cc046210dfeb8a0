//! The events identity appends, as types (see `tongban_db::EventKind`). Details never hold a
//! password, a code or a clear identity number.

use serde::{Deserialize, Serialize};
use tongban_kernel::DeptPath;

tongban_db::event_kinds! {
    prefix "identity.";
    // Sign-in.

    /// A sign-in failed.
    LoginFailed = "identity.login.failed" on "account" {
        /// The login name tried (cut short when it is no account's).
        username: String,
        /// `bad_password`, `locked`, `source_blocked`, `disabled`, `unknown_user`, …
        reason: String,
        /// The client address, when known.
        ip: Option<String>,
    }
    /// Failed attempts from one address paused that address's attempts on an account.
    SourceBlocked = "identity.login.source_blocked" on "account" {
        /// The account's login name.
        username: String,
        /// The paused address.
        ip: Option<String>,
        /// Until when, in ms since the epoch.
        until_ms: i64,
        /// How many pauses that address has had in a row.
        pause: i64,
    }
    /// A sign-in succeeded.
    LoginSucceeded = "identity.login.succeeded" on "account" {
        /// The login name.
        username: String,
        /// The session opened.
        session: String,
        /// Where two-step verification stands for it.
        mfa: String,
        /// The client address, when known.
        ip: Option<String>,
    }
    /// An administrator lifted the pauses of attempts from addresses on an account.
    PausesLifted = "identity.login.pauses_lifted" on "account" {
        /// The account's login name.
        username: String,
        /// How many addresses were let in again.
        addresses: u64,
    }

    // Accounts.

    /// A citizen or a business registered an account.
    AccountRegistered = "identity.account.registered" on "account" {
        /// The login name.
        username: String,
        /// `citizen` or `business`.
        kind: String,
        /// A citizen's ID number, masked.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id_number: Option<String>,
        /// A business's unified social credit code, masked.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        credit_code: Option<String>,
        /// A business's name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        company_name: Option<String>,
        /// The phone number given, masked.
        phone: Option<String>,
        /// Whether it is a demonstration account.
        is_demo: bool,
    }
    /// Someone tried to register an ID number that an account already holds (the event is
    /// about the holder's account).
    RegistrationRepeated = "identity.account.registration_repeated" on "account" {
        /// The login name the newcomer asked for.
        attempted_username: String,
        /// The ID number, masked.
        id_number: String,
    }
    /// A staff account was created.
    StaffCreated = "identity.account.created" on "account" {
        /// The login name.
        username: String,
        /// `staff`.
        kind: String,
        /// The department it belongs to.
        department: DeptPath,
        /// The roles granted at once, as codes (those waiting for approval are not among them).
        roles: Vec<String>,
        /// The phone number given, masked.
        phone: Option<String>,
        /// Whether it is a demonstration account.
        is_demo: bool,
    }
    /// A staff account's role grants were replaced.
    RolesChanged = "identity.account.roles_changed" on "account" {
        /// The login name.
        username: String,
        /// The grants added, as `role@scope`.
        added: Vec<String>,
        /// The grants removed, as `role@scope`.
        removed: Vec<String>,
    }
    /// A staff account's shown name and/or department changed.
    AccountUpdated = "identity.account.updated" on "account" {
        /// The login name.
        username: String,
        /// The shown name after the change.
        display_name: String,
        /// The department before.
        department_from: Option<DeptPath>,
        /// The department after.
        department_to: Option<DeptPath>,
        /// The grants that moved to the new department, as `role@scope` (there).
        roles_moved: Vec<String>,
        /// The grants that ended with the move, as `role@scope`.
        roles_ended: Vec<String>,
    }
    /// An account was locked: by failed attempts from every address, until a time, or by an
    /// administrator, until unlocked.
    AccountLocked = "identity.account.locked" on "account" {
        /// The account's login name.
        username: String,
        /// What locked it.
        #[serde(flatten)]
        by: LockedBy,
    }
    /// An administrator lifted an account's lock.
    AccountUnlocked = "identity.account.unlocked" on "account" {
        /// The account's login name.
        username: String,
        /// Its status code after (`active`).
        status: String,
    }
    /// An administrator disabled an account.
    AccountDisabled = "identity.account.disabled" on "account" {
        /// The account's login name.
        username: String,
        /// Its status code after (`disabled`).
        status: String,
    }
    /// An administrator enabled an account again.
    AccountEnabled = "identity.account.enabled" on "account" {
        /// The account's login name.
        username: String,
        /// Its status code after (`active`).
        status: String,
    }
    /// An administrator set an account's password.
    PasswordReset = "identity.account.password_reset" on "account" {
        /// The account's login name.
        username: String,
    }
    /// A person changed their own password.
    PasswordChanged = "identity.account.password_changed" on "account" {
        /// Their login name.
        username: String,
    }
    /// A person set or removed their e-mail address.
    EmailSet = "identity.account.email_set" on "account" {
        /// Whether an address is set now (`false`: removed).
        set: bool,
    }
    /// A person confirmed their e-mail address with the code mailed to it.
    EmailConfirmed = "identity.account.email_confirmed" on "account" {}
    /// An approved administrator set their own password with their activation code.
    AccountActivated = "identity.account.activated" on "account" {
        /// Their login name.
        username: String,
    }

    // Role requests (about the account asked for).

    /// A role grant was asked for and waits for a second administrator's approval.
    RoleRequested = "identity.role.requested" on "account" {
        /// The request's id.
        request: String,
        /// The account's login name.
        username: String,
        /// The role's code.
        role: String,
        /// Over which subtree.
        scope: DeptPath,
    }
    /// A role request was approved: the grant holds, and the holder sets a password with an
    /// activation code.
    RoleApproved = "identity.role.approved" on "account" {
        /// The request's id.
        request: String,
        /// The account's login name.
        username: String,
        /// The role's code.
        role: String,
        /// Over which subtree.
        scope: DeptPath,
        /// Who asked (login name).
        requested_by: String,
        /// When the activation code stops working, in ms since the epoch.
        activation_expires_ms: i64,
    }
    /// A role request was rejected.
    RoleRejected = "identity.role.rejected" on "account" {
        /// The request's id.
        request: String,
        /// The account's login name.
        username: String,
        /// The role's code.
        role: String,
        /// Who asked (login name).
        requested_by: String,
    }

    // Two-step verification (about the account).

    /// A person began setting up a TOTP second factor.
    MfaSetupStarted = "identity.mfa.setup_started" on "account" {
        /// Their login name.
        username: String,
    }
    /// A person turned two-step verification on.
    MfaEnabled = "identity.mfa.enabled" on "account" {
        /// Their login name.
        username: String,
        /// The session that turned it on (and passed it).
        session: String,
    }
    /// A session passed two-step verification.
    MfaPassed = "identity.mfa.passed" on "account" {
        /// The login name.
        username: String,
        /// The session.
        session: String,
    }
    /// A person turned two-step verification off.
    MfaDisabled = "identity.mfa.disabled" on "account" {
        /// Their login name.
        username: String,
    }

    // Sessions.

    /// A person signed out.
    SessionEnded = "identity.session.ended" on "session" {
        /// Their login name.
        username: String,
    }
    /// A person ended one of their other sessions.
    SessionRevoked = "identity.session.revoked" on "session" {
        /// Their login name.
        username: String,
    }
    /// Old sessions and expired API tokens were deleted (object id `expired`).
    SessionsPurged = "identity.session.purged" on "session" {
        /// Sessions deleted.
        sessions: u64,
        /// API tokens deleted.
        tokens: u64,
    }

    // Departments.

    /// A department was created.
    DepartmentCreated = "identity.department.created" on "department" {
        /// Its code.
        code: String,
        /// Its path.
        path: DeptPath,
        /// Its kind code.
        kind: String,
        /// Its Chinese name.
        name_zh: String,
        /// Its English name (may be empty).
        name_en: String,
    }
    /// A department was renamed.
    DepartmentRenamed = "identity.department.renamed" on "department" {
        /// Its code.
        code: String,
        /// The names before, (Chinese, English).
        from: (String, String),
        /// The names after, (Chinese, English).
        to: (String, String),
    }
    /// An empty department was deleted.
    DepartmentDeleted = "identity.department.deleted" on "department" {
        /// Its code.
        code: String,
        /// Its path.
        path: DeptPath,
    }

    // Department systems (API clients).

    /// A department system was registered.
    ClientCreated = "identity.client.created" on "api_client" {
        /// Its client id.
        client_id: String,
        /// Its name.
        name: String,
        /// Its department.
        department: DeptPath,
        /// The scopes it holds.
        scopes: Vec<String>,
    }
    /// A department system was disabled (its tokens ended).
    ClientDisabled = "identity.client.disabled" on "api_client" {
        /// Its client id.
        client_id: String,
    }
    /// A department system was given a new secret (its tokens ended).
    ClientSecretRotated = "identity.client.secret_rotated" on "api_client" {
        /// Its client id.
        client_id: String,
    }
    /// A department system failed to authenticate.
    ClientAuthFailed = "identity.client.auth_failed" on "api_client" {
        /// The client id given, when well-formed (else a word saying it was not).
        client_id: String,
        /// Why it failed.
        reason: String,
    }
    /// A department system was issued a bearer token.
    ClientTokenIssued = "identity.client.token_issued" on "api_client" {
        /// Its client id.
        client_id: String,
        /// The token's scopes.
        scopes: Vec<String>,
        /// When the token expires, in ms since the epoch.
        expires_ms: i64,
    }

    // OIDC relying parties and signing keys.

    /// A system was registered to sign people in through OIDC.
    OidcClientCreated = "identity.oidc.client_created" on "oidc_client" {
        /// Its client id.
        client_id: String,
        /// Its name.
        name: String,
        /// Its department.
        department: DeptPath,
        /// Its exact redirect URIs.
        redirect_uris: Vec<String>,
        /// How its ID tokens are signed (`ES256`, `SM2`).
        id_token_alg: String,
    }
    /// An OIDC client was given a new secret.
    OidcClientRotated = "identity.oidc.client_rotated" on "oidc_client" {
        /// Its client id.
        client_id: String,
    }
    /// An OIDC client was disabled (its tokens ended).
    OidcClientDisabled = "identity.oidc.client_disabled" on "oidc_client" {
        /// Its client id.
        client_id: String,
    }
    /// A signing key was created.
    OidcKeyCreated = "identity.oidc.key_created" on "oidc_key" {
        /// Its key id.
        kid: String,
        /// Its algorithm code.
        alg: String,
        /// How many keys of that algorithm it retired.
        retired: u64,
    }
    /// A person let a system sign them in (an authorization code was issued).
    OidcAuthorized = "identity.oidc.authorized" on "oidc_client" {
        /// The system's client id.
        client_id: String,
        /// The scopes granted, space-separated.
        scope: String,
        /// Whether the person's consent was recorded this time.
        consented: bool,
    }
    /// A refresh token family was ended (a token used twice).
    OidcFamilyRevoked = "identity.oidc.family_revoked" on "oidc_client" {
        /// The system's client id.
        client_id: String,
        /// The account the tokens were for.
        account_id: String,
        /// Why it was ended.
        why: String,
        /// Tokens deleted.
        revoked: u64,
    }
    /// A system was issued tokens for a person.
    OidcTokensIssued = "identity.oidc.tokens_issued" on "oidc_client" {
        /// The system's client id.
        client_id: String,
        /// The person's account.
        account_id: String,
        /// `authorization_code` or `refresh_token`.
        grant_type: String,
        /// The scopes, space-separated.
        scope: String,
    }
    /// A system signed a person out (RP-initiated logout).
    OidcLogout = "identity.oidc.logout" on "oidc_client" {
        /// The system's client id.
        client_id: String,
        /// The person's account.
        account_id: String,
        /// Tokens deleted.
        revoked: u64,
    }

    // Security notices.

    /// The holder was mailed a security notice.
    SecurityNoticeSent = "identity.security_notice.sent" on "account" {
        /// `paused` or `locked`.
        kind: String,
        /// The (last) event the notice told of.
        event: i64,
    }
}

/// What locked an account ([`AccountLocked`]): its fields sit beside the username in the
/// event's detail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LockedBy {
    /// Failed attempts from every address, until a time.
    Failures {
        /// Until when, in ms since the epoch.
        until_ms: i64,
        /// How many locks in a row.
        lockout: i64,
        /// The address of the attempt that locked it.
        ip: Option<String>,
    },
    /// An administrator, until unlocked.
    Administrator {
        /// The account's status code after (`locked`).
        status: String,
    },
}

#[cfg(test)]
mod tests {

    #[test]
    fn both_kinds_of_lock_read_back_as_written() -> serde_json::Result<()> {
        use super::{AccountLocked, AccountRegistered, LockedBy};
        use serde_json::{from_value, json, to_value};
        let by_failures = json!({ "username": "u", "until_ms": 5, "lockout": 2, "ip": null });
        let lock: AccountLocked = from_value(by_failures.clone())?;
        assert!(matches!(
            lock.by,
            LockedBy::Failures {
                until_ms: 5,
                lockout: 2,
                ip: None
            }
        ));
        assert_eq!(to_value(&lock)?, by_failures);
        let by_admin = json!({ "username": "u", "status": "locked" });
        let lock: AccountLocked = from_value(by_admin.clone())?;
        assert!(matches!(lock.by, LockedBy::Administrator { .. }));
        assert_eq!(to_value(&lock)?, by_admin);
        let citizen = json!({
            "username": "u", "kind": "citizen", "id_number": "3301**********1234", "phone": null, "is_demo": false,
        });
        assert_eq!(
            to_value(from_value::<AccountRegistered>(citizen.clone())?)?,
            citizen
        );
        Ok(())
    }
}
