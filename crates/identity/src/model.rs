//! The identity crate's public types: typed ids, the kinds and states of accounts, departments and
//! sessions, and the views handed to callers (personal data in them is always masked).

use serde::Serialize;
use tongban_kernel::{DeptPath, Millis, Page, Principal, Role, RoleGrant, define_id};

define_id!(
    /// An account (citizen, business or staff).
    AccountId
);
define_id!(
    /// A department in the org tree.
    DeptId
);
define_id!(
    /// A session's public id (shown in "my sessions"; never the token).
    SessionId
);
define_id!(
    /// A registered department system's row id (its public `client_id` is separate text).
    ClientId
);

/// Level of a node in the org tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeptKind {
    /// 市/县: the root of a deployment's tree.
    City,
    /// 委办局: a department.
    Department,
    /// 科室/窗口: an office inside a department.
    Office,
}

impl DeptKind {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            DeptKind::City => "city",
            DeptKind::Department => "department",
            DeptKind::Office => "office",
        }
    }

    /// Parses a stored or typed code.
    pub fn parse(code: &str) -> Option<Self> {
        [DeptKind::City, DeptKind::Department, DeptKind::Office]
            .into_iter()
            .find(|k| k.code() == code.trim())
    }
}

/// A department (组织机构).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Department {
    /// Row id.
    pub id: DeptId,
    /// Unique code, e.g. `3301-GA`.
    pub code: String,
    /// 中文名称, e.g. 公安局.
    pub name_zh: String,
    /// English name (may be empty).
    pub name_en: String,
    /// The parent, `None` for a city.
    pub parent_id: Option<DeptId>,
    /// Place in the tree, `/3301/3301-GA/`.
    pub path: DeptPath,
    /// City, department or office.
    pub kind: DeptKind,
    /// When it was created.
    pub created: Millis,
}

impl Department {
    /// Depth in the tree: 0 for a city.
    pub fn depth(&self) -> usize {
        self.path.as_str().matches('/').count().saturating_sub(2)
    }
}

/// Input for [`crate::Identity::create_department`].
#[derive(Debug, Clone)]
pub struct NewDepartment {
    /// Unique code: letters, digits and `-`, 1–32 characters.
    pub code: String,
    /// Chinese name (required).
    pub name_zh: String,
    /// English name (may be empty).
    pub name_en: String,
    /// The parent; `None` creates a city at the root.
    pub parent: Option<DeptId>,
    /// City, department or office.
    pub kind: DeptKind,
}

/// Who an account belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// 自然人: a citizen, identified by real name and ID number.
    Citizen,
    /// 法人: a business, identified by its unified social credit code.
    Business,
    /// 工作人员: government staff in a department.
    Staff,
}

impl AccountKind {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            AccountKind::Citizen => "citizen",
            AccountKind::Business => "business",
            AccountKind::Staff => "staff",
        }
    }

    /// Parses a stored or typed code.
    pub fn parse(code: &str) -> Option<Self> {
        [AccountKind::Citizen, AccountKind::Business, AccountKind::Staff]
            .into_iter()
            .find(|k| k.code() == code.trim())
    }
}

/// Whether an account may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// May sign in.
    Active,
    /// Locked after failed attempts (until a time) or by an administrator (until unlocked).
    Locked,
    /// Switched off by an administrator.
    Disabled,
}

impl AccountStatus {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Locked => "locked",
            AccountStatus::Disabled => "disabled",
        }
    }

    /// Parses a stored code.
    pub fn parse(code: &str) -> Option<Self> {
        [
            AccountStatus::Active,
            AccountStatus::Locked,
            AccountStatus::Disabled,
        ]
        .into_iter()
        .find(|k| k.code() == code.trim())
    }
}

/// An account as shown to callers. Personal data is masked (`3301*************4`, `张*`,
/// `138****8000`); the clear values never leave the crate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountView {
    /// Row id.
    pub id: AccountId,
    /// Login name, `[a-z0-9_.-]{3,32}`.
    pub username: String,
    /// Citizen, business or staff.
    pub kind: AccountKind,
    /// The name shown in the UI.
    pub display_name: String,
    /// Staff only: their department.
    pub department: Option<Department>,
    /// Role grants, each over a department subtree.
    pub grants: Vec<RoleGrant>,
    /// Effective status (a timed lock that has run out shows as active).
    pub status: AccountStatus,
    /// End of a timed lock.
    pub locked_until: Option<Millis>,
    /// Whether a TOTP second factor is set up.
    pub mfa_enabled: bool,
    /// A demonstration account (the UI marks it).
    pub is_demo: bool,
    /// Citizen: masked real name.
    pub real_name_masked: Option<String>,
    /// Citizen: masked ID number.
    pub id_number_masked: Option<String>,
    /// Business: masked credit code.
    pub credit_code_masked: Option<String>,
    /// Business: registered company name (public information).
    pub company_name: Option<String>,
    /// Business: masked contact person.
    pub contact_name_masked: Option<String>,
    /// Masked phone number.
    pub phone_masked: Option<String>,
    /// When it was created.
    pub created: Millis,
    /// Last successful sign-in.
    pub last_login: Option<Millis>,
}

/// How a letter names the holder of an account, masked so it cannot be completed: the
/// company's name, or the real name masked, or the display name; and the credit code or the
/// ID number, masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaskedHolder {
    /// `某某公司`, `张*`, or the display name.
    pub name: String,
    /// The masked credit code or ID number, when verified.
    pub identifier: Option<String>,
}

/// An account holder's own verified identifiers, in clear (see `Identity::own_identity`).
/// Never logged: `Debug` shows only which are present.
#[derive(Clone, Default)]
pub struct OwnIdentity {
    /// Citizen: real name.
    pub real_name: Option<String>,
    /// Citizen: ID number.
    pub id_number: Option<String>,
    /// Business: unified social credit code.
    pub credit_code: Option<String>,
    /// Business: company name.
    pub company_name: Option<String>,
    /// Business: contact person.
    pub contact_name: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
}

impl std::fmt::Debug for OwnIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnIdentity")
            .field("real_name", &self.real_name.is_some())
            .field("id_number", &self.id_number.is_some())
            .field("credit_code", &self.credit_code.is_some())
            .finish_non_exhaustive()
    }
}

/// Self-registration of a citizen (or seeding by the system).
#[derive(Debug, Clone, Default)]
pub struct CitizenRegistration {
    /// Login name.
    pub username: String,
    /// Password, checked against the policy.
    pub password: String,
    /// 真实姓名.
    pub real_name: String,
    /// 公民身份号码, GB 11643 checksum checked.
    pub id_number: String,
    /// Optional phone.
    pub phone: Option<String>,
    /// Shown name; defaults to the masked real name.
    pub display_name: Option<String>,
    /// Demo account (only the system principal may set it).
    pub is_demo: bool,
}

/// Registration of a business account.
#[derive(Debug, Clone, Default)]
pub struct BusinessRegistration {
    /// Login name.
    pub username: String,
    /// Password, checked against the policy.
    pub password: String,
    /// 统一社会信用代码, GB 32100 checksum checked.
    pub credit_code: String,
    /// Registered company name.
    pub company_name: String,
    /// Contact person's name.
    pub contact_name: String,
    /// Optional contact phone.
    pub phone: Option<String>,
    /// Demo account (only the system principal may set it).
    pub is_demo: bool,
}

/// A staff account to create.
#[derive(Debug, Clone)]
pub struct NewStaff {
    /// Login name.
    pub username: String,
    /// Shown name.
    pub display_name: String,
    /// Initial password, checked against the policy.
    pub password: String,
    /// Department the person works in.
    pub department: DeptId,
    /// Roles, each granted over `department`'s subtree.
    pub roles: Vec<Role>,
    /// Optional phone.
    pub phone: Option<String>,
    /// Demo account (only the system principal may set it).
    pub is_demo: bool,
}

/// Changes to a staff account; `None` leaves a value as it is.
#[derive(Debug, Clone, Default)]
pub struct StaffChanges {
    /// New shown name.
    pub display_name: Option<String>,
    /// Move to another department.
    pub department: Option<DeptId>,
}

/// Filters for [`crate::Identity::list_users`]; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Accounts in this department's subtree.
    pub department: Option<DeptId>,
    /// Accounts holding this role (any scope).
    pub role: Option<Role>,
    /// Only this kind of account.
    pub kind: Option<AccountKind>,
    /// Part of the username or display name (case-insensitive); an exact ID number, credit code
    /// or phone number also matches through its blind index.
    pub text: Option<String>,
}

/// One page of accounts.
#[derive(Debug, Clone, Serialize)]
pub struct UserList {
    /// The accounts on this page, by username.
    pub items: Vec<AccountView>,
    /// How many match in all.
    pub total: u64,
    /// Rows per page.
    pub limit: u32,
    /// Rows skipped.
    pub offset: u64,
}

impl UserList {
    pub(crate) fn new(items: Vec<AccountView>, total: u64, page: Page) -> Self {
        Self {
            items,
            total,
            limit: page.limit,
            offset: page.offset,
        }
    }
}

/// Where a sign-in comes from (kept with the session and in the login events).
#[derive(Debug, Clone, Default)]
pub struct LoginContext {
    /// Client address.
    pub ip: Option<String>,
    /// Browser's user agent (truncated to 256 characters).
    pub user_agent: Option<String>,
}

/// Progress of a session's second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MfaState {
    /// No second factor is needed.
    None,
    /// A TOTP code is owed.
    Pending,
    /// The account must set up TOTP before it may act (administrators).
    SetupRequired,
    /// The second factor has been given.
    Passed,
}

impl MfaState {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            MfaState::None => "none",
            MfaState::Pending => "pending",
            MfaState::SetupRequired => "setup_required",
            MfaState::Passed => "passed",
        }
    }

    /// Parses a stored code.
    pub fn parse(code: &str) -> Option<Self> {
        [
            MfaState::None,
            MfaState::Pending,
            MfaState::SetupRequired,
            MfaState::Passed,
        ]
        .into_iter()
        .find(|k| k.code() == code)
    }

    /// Whether the session may act as its account.
    pub fn is_complete(self) -> bool {
        matches!(self, MfaState::None | MfaState::Passed)
    }
}

/// A session as its owner sees it (no token, no CSRF token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionInfo {
    /// Public id.
    pub id: SessionId,
    /// Whose session.
    pub account_id: AccountId,
    /// Their login name.
    pub username: String,
    /// Signed in at.
    pub created: Millis,
    /// Last request.
    pub last_seen: Millis,
    /// Ends if idle past this.
    pub idle_expires: Millis,
    /// Ends at this time regardless.
    pub absolute_expires: Millis,
    /// Second-factor progress.
    pub mfa: MfaState,
    /// Client address at sign-in.
    pub ip: Option<String>,
    /// User agent at sign-in.
    pub user_agent: Option<String>,
}

/// A session just opened: the bearer `token` goes into a cookie and is never stored or shown again.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The secret session token (43 characters, URL-safe base64).
    pub token: String,
    /// The token forms must echo back.
    pub csrf_token: String,
    /// The session.
    pub session: SessionInfo,
}

/// The result of a password check.
#[derive(Debug, Clone)]
pub enum LoginOutcome {
    /// Signed in; the session acts as the account.
    Full(NewSession),
    /// Password accepted; a TOTP code is owed on this session ([`crate::Identity::verify_mfa`]).
    MfaCodeNeeded(NewSession),
    /// Password accepted; the account must set up TOTP first
    /// ([`crate::Identity::begin_totp_setup`], then [`crate::Identity::confirm_totp_setup`]).
    MfaSetupRequired(NewSession),
}

impl LoginOutcome {
    /// The session opened, whatever the outcome.
    pub fn new_session(&self) -> &NewSession {
        match self {
            LoginOutcome::Full(s) | LoginOutcome::MfaCodeNeeded(s) | LoginOutcome::MfaSetupRequired(s) => s,
        }
    }
}

/// A session that may act as its account.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// Who is acting.
    pub principal: Principal,
    /// The session.
    pub session: SessionInfo,
    /// The token forms must echo back.
    pub csrf_token: String,
    /// The account's display name (for page headers).
    pub display_name: String,
    /// A demo account (the UI marks it).
    pub is_demo: bool,
}

/// What a session token is worth on this request.
#[derive(Debug, Clone)]
pub enum SessionAuth {
    /// Fully signed in.
    Full(SignedIn),
    /// Password accepted, second factor still owed: `session.mfa` is `Pending` (ask for a code)
    /// or `SetupRequired` (set up TOTP). Such a session must not act as its account.
    MfaOwed {
        /// The session.
        session: SessionInfo,
        /// The token forms must echo back.
        csrf_token: String,
    },
}

impl SessionAuth {
    /// The session.
    pub fn session(&self) -> &SessionInfo {
        match self {
            SessionAuth::Full(s) => &s.session,
            SessionAuth::MfaOwed { session, .. } => session,
        }
    }

    /// The CSRF token of the session.
    pub fn csrf_token(&self) -> &str {
        match self {
            SessionAuth::Full(s) => &s.csrf_token,
            SessionAuth::MfaOwed { csrf_token, .. } => csrf_token,
        }
    }

    /// The principal, only when fully signed in.
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            SessionAuth::Full(s) => Some(&s.principal),
            SessionAuth::MfaOwed { .. } => None,
        }
    }
}

/// A TOTP set-up in progress: show the secret (and a QR code of the URI) once.
#[derive(Debug, Clone)]
pub struct TotpSetup {
    /// The shared secret, base32 without padding.
    pub secret_base32: String,
    /// `otpauth://totp/Tongban:{username}?secret=…&issuer=Tongban`.
    pub otpauth_uri: String,
}

/// A registered department system (接入系统).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiClient {
    /// Row id.
    pub id: ClientId,
    /// Public client id used to ask for tokens, e.g. `tbc_3f9a…`.
    pub client_id: String,
    /// Name of the system.
    pub name: String,
    /// The department that owns it.
    pub department: Department,
    /// Scopes it may ask for.
    pub scopes: Vec<String>,
    /// When it was registered.
    pub created: Millis,
    /// Whether it has been switched off.
    pub disabled: bool,
}

/// A short-lived bearer token for a department system.
#[derive(Debug, Clone, Serialize)]
pub struct AccessToken {
    /// The bearer token (stored only as a hash).
    pub token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until it expires.
    pub expires_in: u64,
    /// Scopes granted.
    pub scopes: Vec<String>,
}

/// A bearer token's worth: the system acting and the scopes it holds.
#[derive(Debug, Clone)]
pub struct BearerAuth {
    /// Kind `ApiClient`, id the client's row id, name its `client_id`, department its owner's.
    pub principal: Principal,
    /// Scopes granted to this token.
    pub scopes: Vec<String>,
    /// When the token expires.
    pub expires: Millis,
}

impl BearerAuth {
    /// Whether the token carries `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}
