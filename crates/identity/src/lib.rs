//! Unified identity (统一身份认证): the department tree, citizen, business and staff accounts,
//! role grants scoped to department subtrees, password sign-in with lockout, server-side
//! sessions, TOTP second factors, and the department systems (API clients) with their short-lived
//! bearer tokens. Every operation that has an actor takes `&Principal` first and checks the
//! permission itself; every write commits together with its event.
//!
//! It never touches HTTP (no request, cookie or status types: `web` maps these calls and
//! [`Error`]s), never stores or logs a password, token, secret or clear personal data (ID numbers,
//! names, phones are field-encrypted with a blind index and masked in every view and event), and
//! never hands out unmasked personal data.

use tongban_kernel::msg;

mod account;
mod admin;
mod approval;
mod client;
mod department;
mod error;
pub mod events;
mod login;
mod mfa;
mod model;
mod notice;
pub mod oidc;
pub mod password;
mod session;
pub mod totp;

pub use account::{can_grant, may_lock};
pub use admin::{EmailCode, EmailStatus};
pub use approval::{ACTIVATION_MS, Approved, RoleRequest, is_role_approver, needs_approval};
pub use client::{BEARER_CACHE_FOR, TOKEN_TTL_SECS};
pub use error::{Error, Result};
pub use login::{
    ACCOUNT_MAX_FAILURES, FIRST_LOCKOUT_MS, LoginPause, MAX_FAILURES, MAX_LOCKOUT_MS, PER_ACCOUNT,
    PER_ACCOUNT_ALL, PER_ADDRESS, lockout_ms,
};
pub use model::*;
pub use notice::{NoticeKind, PAUSE_NOTICE_GAP_MS, SecurityNotice};
pub use session::SessionPolicy;

tongban_kernel::catalog!("identity");

use std::sync::Arc;
use tongban_crypto::FieldCipher;
use tongban_db::{Db, Migration};
use tongban_kernel::Millis;

/// This crate's tables: departments, accounts, role_grants, sessions, api_clients, api_tokens.
/// Where this crate keeps values sealed under the data keys (for re-encryption after a rotation).
pub const SEALED_COLUMNS: &[tongban_crypto::SealedColumn] = {
    use tongban_crypto::{Sealed, SealedColumn};
    &[
        SealedColumn {
            table: "accounts",
            key: &["id"],
            column: "real_name_enc",
            form: Sealed::Text {
                field: fields::REAL_NAME,
            },
        },
        SealedColumn {
            table: "accounts",
            key: &["id"],
            column: "id_number_enc",
            form: Sealed::Text {
                field: fields::ID_NUMBER,
            },
        },
        SealedColumn {
            table: "accounts",
            key: &["id"],
            column: "credit_code_enc",
            form: Sealed::Text {
                field: fields::CREDIT_CODE,
            },
        },
        SealedColumn {
            table: "accounts",
            key: &["id"],
            column: "contact_name_enc",
            form: Sealed::Text {
                field: fields::CONTACT_NAME,
            },
        },
        SealedColumn {
            table: "accounts",
            key: &["id"],
            column: "phone_enc",
            form: Sealed::Text { field: fields::PHONE },
        },
        SealedColumn {
            table: "accounts",
            key: &["id"],
            column: "email_enc",
            form: Sealed::Text { field: fields::EMAIL },
        },
        SealedColumn {
            table: "accounts",
            key: &["id"],
            column: "totp_secret_enc",
            form: Sealed::Text {
                field: fields::TOTP_SECRET,
            },
        },
    ]
};

/// Where this crate keeps secrets wrapped under the master key (rewrapped when it is rotated).
pub const WRAPPED_COLUMNS: &[tongban_crypto::WrappedColumn] = &[tongban_crypto::WrappedColumn {
    table: "oidc_keys",
    key: "kid",
    column: "private_key",
    prefix: "oidc/",
}];

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        owner: "identity",
        version: 1,
        name: "identity",
        sqlite: include_str!("../migrations/sqlite/0001_identity.sql"),
        postgres: include_str!("../migrations/postgres/0001_identity.sql"),
    },
    Migration {
        owner: "identity",
        version: 2,
        name: "email",
        sqlite: include_str!("../migrations/sqlite/0002_email.sql"),
        postgres: include_str!("../migrations/postgres/0002_email.sql"),
    },
    Migration {
        owner: "identity",
        version: 3,
        name: "email_code",
        sqlite: include_str!("../migrations/sqlite/0003_email_code.sql"),
        postgres: include_str!("../migrations/postgres/0003_email_code.sql"),
    },
    Migration {
        owner: "identity",
        version: 4,
        name: "role_approval",
        sqlite: include_str!("../migrations/sqlite/0004_role_approval.sql"),
        postgres: include_str!("../migrations/postgres/0004_role_approval.sql"),
    },
    Migration {
        owner: "identity",
        version: 5,
        name: "login_blocks",
        sqlite: include_str!("../migrations/sqlite/0005_login_blocks.sql"),
        postgres: include_str!("../migrations/postgres/0005_login_blocks.sql"),
    },
    Migration {
        owner: "identity",
        version: 6,
        name: "oidc",
        sqlite: include_str!("../migrations/sqlite/0006_oidc.sql"),
        postgres: include_str!("../migrations/postgres/0006_oidc.sql"),
    },
    Migration {
        owner: "identity",
        version: 7,
        name: "bigint",
        sqlite: include_str!("../migrations/sqlite/0007_bigint.sql"),
        postgres: include_str!("../migrations/postgres/0007_bigint.sql"),
    },
];

/// The identity service: cheap to clone, shared by the web layer, the CLI and workers.
#[derive(Clone)]
pub struct Identity {
    db: Db,
    fields: FieldCipher,
    policy: SessionPolicy,
    clock: tongban_kernel::Clock,
    bearer_cache: Arc<client::BearerCache>,
    login_gate: Arc<login::LoginGate>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("db", &self.db)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// The service over `db` (migrated with [`MIGRATIONS`]), encrypting personal data with
    /// `fields`, keeping sessions by `policy`.
    pub fn new(db: Db, fields: FieldCipher, policy: SessionPolicy) -> Self {
        Self {
            db,
            fields,
            policy,
            clock: tongban_kernel::Clock::system(),
            bearer_cache: Arc::new(client::bearer_cache()),
            login_gate: Arc::new(login::LoginGate::new()),
        }
    }

    /// The same service reading time from `clock` (tests move time forward with it).
    pub fn with_clock(mut self, clock: impl Fn() -> Millis + Send + Sync + 'static) -> Self {
        self.clock = tongban_kernel::Clock::from_fn(clock);
        self
    }

    /// The database handle.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The session policy in force.
    pub fn policy(&self) -> &SessionPolicy {
        &self.policy
    }

    pub(crate) fn now(&self) -> Millis {
        self.clock.now()
    }
}

/// Field names under which personal data is encrypted and blind-indexed.
pub(crate) mod fields {
    pub const REAL_NAME: &str = "account.real_name";
    pub const ID_NUMBER: &str = "account.id_number";
    pub const CREDIT_CODE: &str = "account.credit_code";
    pub const CONTACT_NAME: &str = "account.contact_name";
    pub const PHONE: &str = "account.phone";
    pub const EMAIL: &str = "account.email";
    pub const TOTP_SECRET: &str = "account.totp_secret";
}

/// A fresh secret token (`tongban_crypto::token`) as (the text handed out, its stored hash).
pub(crate) fn new_secret_token() -> (String, String) {
    let t = tongban_crypto::token::secret_token();
    (t.text, t.hash)
}

/// The stored hash of a token; `None` when it is not one of ours.
pub(crate) use tongban_crypto::token::secret_hash as token_hash;

/// Login names: `[a-z0-9_.-]{3,32}`, compared in lower case.
pub(crate) fn normalize_username(text: &str) -> Result<String, tongban_kernel::Invalid> {
    let name = text.trim().to_lowercase();
    let ok = (3..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-'));
    if ok {
        Ok(name)
    } else {
        Err(tongban_kernel::Invalid::new("username", msg!("username-3-32-z")))
    }
}

/// A person's or object's shown name: trimmed, 1–`max` characters, no control characters.
pub(crate) fn clean_name(field: &str, text: &str, max: usize) -> Result<String, tongban_kernel::Invalid> {
    let t = text.trim();
    if t.is_empty() {
        return Err(tongban_kernel::Invalid::new(field, msg!("not-empty")));
    }
    if t.chars().count() > max {
        return Err(tongban_kernel::Invalid::new(
            field,
            msg!("have-most-max-characters", max = max),
        ));
    }
    if t.chars().any(char::is_control) {
        return Err(tongban_kernel::Invalid::new(
            field,
            msg!("not-contain-control-characters"),
        ));
    }
    Ok(t.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lower_case_and_limited() {
        assert_eq!(normalize_username(" Zhang3 ").unwrap(), "zhang3");
        assert!(normalize_username("ab").is_err());
        assert!(normalize_username("x'; DROP TABLE accounts; --").is_err());
        assert_eq!(normalize_username("张三").unwrap_err().field, "username");
        assert!(normalize_username(&"a".repeat(33)).is_err());
    }

    #[test]
    fn tokens_hash_back_and_foreign_tokens_do_not() {
        let (t, h) = new_secret_token();
        assert_eq!(t.len(), 43);
        assert_eq!(token_hash(&t).as_deref(), Some(h.as_str()));
        assert_eq!(token_hash("short"), None);
        assert_eq!(token_hash("not base64 at all!!"), None);
    }
}
