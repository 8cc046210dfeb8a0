//! Who is acting (`Principal`) and what they may do (`Permission`), each role grant scoped to a
//! department subtree. Domain functions take `&Principal` first and call [`Principal::require`]
//! themselves: authorization is data, checked in the domain, denied by default.

use serde::{Deserialize, Serialize};

/// A department's place in the org tree: the codes from the root down, `/3301/3301-GA/`.
/// A path contains another when it is a prefix of it, so a scope covers a whole subtree.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DeptPath(pub String);

impl DeptPath {
    /// The root of the tree: contains every department.
    pub fn root() -> Self {
        Self("/".into())
    }

    /// The path of a child with `code` under this one.
    pub fn child(&self, code: &str) -> Self {
        Self(format!("{}{}/", self.0, code))
    }

    /// Whether `other` lies in the subtree this path names (itself included).
    pub fn contains(&self, other: &DeptPath) -> bool {
        other.0.starts_with(&self.0)
    }

    /// The text form, as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the root or a top-level department (the city that runs the platform):
    /// the platform's own accounts — citizens and businesses, in no department — answer to it.
    pub fn is_top(&self) -> bool {
        self.0
            .trim_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .count()
            <= 1
    }
}

/// The roles of the platform. 三员分立: `SysAdmin`, `SecurityAdmin` and the auditors' view are
/// split so no single administrator can both change the system and hide the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 公众: a registered citizen.
    Citizen,
    /// 企业: a business account.
    Business,
    /// 窗口受理: accepts cases at the window.
    Clerk,
    /// 审核: reviews cases.
    Reviewer,
    /// 审批: decides cases.
    Approver,
    /// 查询分析: reads the catalog and queries the department's data (what a window clerk does
    /// not get unless granted this too).
    Analyst,
    /// 部门管理员: runs a department's staff and systems.
    DeptAdmin,
    /// 政务服务管理员: edits service items and 一件事 bundles across the departments in scope;
    /// creates no accounts and reads no cases.
    ServiceAdmin,
    /// 数据局: runs the catalog and approves conditional sharing.
    DataAdmin,
    /// 领导: dashboards and supervision.
    Leader,
    /// 安全管理员: ledger, keys, audit. Cannot change roles.
    SecurityAdmin,
    /// 系统管理员: departments, accounts, roles. Cannot read the ledger's admin view.
    SysAdmin,
}

/// The start of every plain permission refusal ([`Principal::require`]), so pages can tell it
/// from a specific reason.
pub const NOT_PERMITTED: &str = "无权执行此操作";

impl Role {
    /// Every role, in display order.
    pub const ALL: [Role; 12] = [
        Role::Citizen,
        Role::Business,
        Role::Clerk,
        Role::Reviewer,
        Role::Approver,
        Role::Analyst,
        Role::DeptAdmin,
        Role::ServiceAdmin,
        Role::DataAdmin,
        Role::Leader,
        Role::SecurityAdmin,
        Role::SysAdmin,
    ];

    /// The stored code, e.g. `security_admin`.
    pub fn code(self) -> &'static str {
        match self {
            Role::Citizen => "citizen",
            Role::Business => "business",
            Role::Clerk => "clerk",
            Role::Reviewer => "reviewer",
            Role::Approver => "approver",
            Role::Analyst => "analyst",
            Role::DeptAdmin => "dept_admin",
            Role::ServiceAdmin => "service_admin",
            Role::DataAdmin => "data_admin",
            Role::Leader => "leader",
            Role::SecurityAdmin => "security_admin",
            Role::SysAdmin => "sys_admin",
        }
    }

    /// Parses a stored or typed role code.
    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code.trim())
    }

    /// The Chinese name shown in the console.
    pub fn name_zh(self) -> &'static str {
        match self {
            Role::Citizen => "公众",
            Role::Business => "企业",
            Role::Clerk => "窗口受理",
            Role::Reviewer => "审核",
            Role::Approver => "审批",
            Role::Analyst => "查询分析",
            Role::DeptAdmin => "部门管理员",
            Role::ServiceAdmin => "政务服务管理员",
            Role::DataAdmin => "数据管理员",
            Role::Leader => "领导",
            Role::SecurityAdmin => "安全管理员",
            Role::SysAdmin => "系统管理员",
        }
    }

    /// The English name shown in the console.
    pub fn name_en(self) -> &'static str {
        match self {
            Role::Citizen => "Citizen",
            Role::Business => "Business",
            Role::Clerk => "Clerk (window)",
            Role::Reviewer => "Reviewer",
            Role::Approver => "Approver",
            Role::Analyst => "Data analyst",
            Role::DeptAdmin => "Department admin",
            Role::ServiceAdmin => "Service administrator",
            Role::DataAdmin => "Data admin",
            Role::Leader => "Leader",
            Role::SecurityAdmin => "Security admin",
            Role::SysAdmin => "System admin",
        }
    }

    /// Whether the role works cases (办件): the roles a workflow step can be given to, who see
    /// the cases of their scope.
    pub fn handles_cases(self) -> bool {
        matches!(
            self,
            Role::Clerk | Role::Reviewer | Role::Approver | Role::Leader | Role::DeptAdmin
        )
    }

    /// Whether the role belongs to staff (and so opens the console).
    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Citizen | Role::Business)
    }

    /// The system and security administrators (三员 apart from the auditor's own staff): only a
    /// system administrator grants, revokes or manages them.
    pub fn is_platform_admin(self) -> bool {
        matches!(self, Role::SysAdmin | Role::SecurityAdmin)
    }

    /// Whether holding this role makes a second factor mandatory: the system and security
    /// administrators, and every role that can create accounts or grant roles (a department
    /// administrator), since a stolen password there opens other people's access.
    pub fn requires_mfa(self) -> bool {
        matches!(self, Role::SysAdmin | Role::SecurityAdmin)
            || self
                .permissions()
                .iter()
                .any(|p| matches!(p, Permission::ManageUsers | Permission::AssignRoles))
    }

    /// The permissions the role carries (within the grant's department scope).
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Citizen | Role::Business => &[],
            // A window clerk and a reviewer see their work: cases and 12345 items, no SQL, no
            // catalogue, no user list (an administrator may add 查询分析 for that).
            Role::Clerk => &[OpenConsole, ReadDepartments, HandleInteractions],
            Role::Reviewer => &[
                OpenConsole,
                ReadDepartments,
                HandleInteractions,
                ReviewInteractionReplies,
            ],
            Role::Analyst => &[OpenConsole, ReadDepartments, ReadCatalog, QueryPool],
            Role::ServiceAdmin => &[OpenConsole, ReadDepartments, ManageServiceItems],
            Role::Leader => &[
                OpenConsole,
                ReadDepartments,
                ReadUsers,
                ReadCatalog,
                QueryPool,
                HandleInteractions,
                ReviewInteractionReplies,
                SuperviseInteractions,
                SuperviseCases,
            ],
            Role::Approver => &[
                OpenConsole,
                ReadDepartments,
                ReadUsers,
                ReadCatalog,
                RequestSharing,
                DecideSharing,
                QueryPool,
                HandleInteractions,
                IssueLicences,
            ],
            Role::DataAdmin => &[
                OpenConsole,
                ReadDepartments,
                ReadUsers,
                ReadCatalog,
                ManageCatalog,
                ReviewSharing,
                ManageGrants,
                QueryPool,
            ],
            Role::DeptAdmin => &[
                OpenConsole,
                ReadDepartments,
                ReadUsers,
                ManageUsers,
                AssignRoles,
                ManageApiClients,
                ReadCatalog,
                ManageCatalog,
                LoadData,
                RequestSharing,
                DecideSharing,
                ManageGrants,
                QueryPool,
                HandleInteractions,
                ManageInteractionRules,
                ManageParticipation,
                ManageServiceItems,
                SuperviseCases,
                ManageSeals,
                IssueLicences,
                RevokeLicences,
            ],
            Role::SecurityAdmin => &[
                OpenConsole,
                ReadDepartments,
                ReadUsers,
                ReadLedger,
                LockAccounts,
                ManageKeys,
                ManageEgress,
                ReadCatalog,
            ],
            Role::SysAdmin => &[
                OpenConsole,
                ReadDepartments,
                ManageDepartments,
                ReadUsers,
                ManageUsers,
                AssignRoles,
                ManageApiClients,
                ManageCalendar,
            ],
        }
    }
}

/// One thing a principal may do. Scoped permissions apply to objects inside the grant's subtree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Open the staff console.
    OpenConsole,
    /// See the department tree.
    ReadDepartments,
    /// Create, rename or move departments.
    ManageDepartments,
    /// See staff accounts.
    ReadUsers,
    /// Create, change, lock or reset staff accounts.
    ManageUsers,
    /// Give or take roles.
    AssignRoles,
    /// Register department systems (API clients).
    ManageApiClients,
    /// Read the ledger's admin view and verification status.
    ReadLedger,
    /// Lock and unlock accounts for security reasons.
    LockAccounts,
    /// Rotate keys.
    ManageKeys,
    /// See the data resource catalog (every resource, whatever its sharing class).
    ReadCatalog,
    /// Register and edit the resources a department provides (数据目录编目).
    ManageCatalog,
    /// Load data into the resources a department provides (uploads, scheduled pulls, column
    /// mappings): the provider's own job, not the catalogue authority's.
    LoadData,
    /// Ask another department for data on behalf of one's own (共享申请).
    RequestSharing,
    /// Review conditional sharing requests as the data authority (数据局审核).
    ReviewSharing,
    /// Decide sharing requests as the providing department (提供方审批).
    DecideSharing,
    /// Revoke or change grants.
    ManageGrants,
    /// Run SQL over the data pool, seeing only what the department's grants allow (数据池查询).
    QueryPool,
    /// Read and handle citizens' inquiries, complaints and suggestions routed to the department
    /// (政民互动办理: transfer, assist, return, reply).
    HandleInteractions,
    /// Approve replies before they are published on the public board (答复审核).
    ReviewInteractionReplies,
    /// Maintain interaction categories, time limits and routing rules (分办规则).
    ManageInteractionRules,
    /// Receive escalations of overdue interactions as the department's leader (督办).
    SuperviseInteractions,
    /// Create and edit the department's service items and their workflows (事项管理).
    /// Publish the department's consultations (意见征集) and surveys, and moderate comments.
    ManageParticipation,
    ManageServiceItems,
    /// Watch the department subtree's cases, approve extensions (办件督查, 延期审批).
    SuperviseCases,
    /// Create the department's electronic seals (电子印章管理).
    ManageSeals,
    /// Issue e-licences sealed with the department's seal (电子证照签发).
    IssueLicences,
    /// Revoke e-licences the department issued (电子证照注销).
    RevokeLicences,
    /// Enter a year's holiday schedule (节假日安排) and recount the deadlines it moves.
    ManageCalendar,
    /// Allow a department's systems on reserved addresses (内网、本机) as destinations of
    /// webhooks and scheduled pulls (出站地址白名单).
    ManageEgress,
}

impl Permission {
    /// The stored code, e.g. `read_ledger`.
    pub fn code(self) -> &'static str {
        match self {
            Permission::OpenConsole => "open_console",
            Permission::ReadDepartments => "read_departments",
            Permission::ManageDepartments => "manage_departments",
            Permission::ReadUsers => "read_users",
            Permission::ManageUsers => "manage_users",
            Permission::AssignRoles => "assign_roles",
            Permission::ManageApiClients => "manage_api_clients",
            Permission::ReadLedger => "read_ledger",
            Permission::LockAccounts => "lock_accounts",
            Permission::ManageKeys => "manage_keys",
            Permission::ReadCatalog => "read_catalog",
            Permission::ManageCatalog => "manage_catalog",
            Permission::LoadData => "load_data",
            Permission::RequestSharing => "request_sharing",
            Permission::ReviewSharing => "review_sharing",
            Permission::DecideSharing => "decide_sharing",
            Permission::ManageGrants => "manage_grants",
            Permission::QueryPool => "query_pool",
            Permission::HandleInteractions => "handle_interactions",
            Permission::ReviewInteractionReplies => "review_interaction_replies",
            Permission::ManageInteractionRules => "manage_interaction_rules",
            Permission::SuperviseInteractions => "supervise_interactions",
            Permission::ManageParticipation => "manage_participation",
            Permission::ManageServiceItems => "manage_service_items",
            Permission::SuperviseCases => "supervise_cases",
            Permission::ManageSeals => "manage_seals",
            Permission::IssueLicences => "issue_licences",
            Permission::RevokeLicences => "revoke_licences",
            Permission::ManageCalendar => "manage_calendar",
            Permission::ManageEgress => "manage_egress",
        }
    }
}

/// A role held over a department subtree.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RoleGrant {
    /// The role.
    pub role: Role,
    /// The subtree it applies to.
    pub scope: DeptPath,
}

/// What kind of actor a principal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A person logged in with an account.
    User,
    /// A department system holding a bearer token.
    ApiClient,
    /// The platform itself or an operator at its command line.
    System,
    /// Nobody logged in.
    Anonymous,
}

/// The actor behind a call: who, from which department, holding which role grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// User, API client, system or anonymous.
    pub kind: PrincipalKind,
    /// Account or client id (text UUID); `system:<what>` for the platform.
    pub id: String,
    /// Login name or client name, for the ledger's `actor` column.
    pub name: String,
    /// The department the actor belongs to, if any.
    pub department: Option<DeptPath>,
    /// Role grants.
    pub grants: Vec<RoleGrant>,
    /// 用途: declared purpose, for exchange calls.
    pub purpose: Option<String>,
}

/// Why a principal was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{why}")]
pub struct Denied {
    /// Bilingual reason, safe to show to the actor.
    pub why: String,
}

impl Principal {
    /// The platform itself acting for `what` (CLI, demo seeding, workers). It may do anything; the
    /// ledger still records it as `system:<what>`.
    pub fn system(what: &str) -> Self {
        Self {
            kind: PrincipalKind::System,
            id: format!("system:{what}"),
            name: format!("system:{what}"),
            department: None,
            grants: Vec::new(),
            purpose: None,
        }
    }

    /// Nobody logged in.
    pub fn anonymous() -> Self {
        Self {
            kind: PrincipalKind::Anonymous,
            id: "anonymous".into(),
            name: "anonymous".into(),
            department: None,
            grants: Vec::new(),
            purpose: None,
        }
    }

    /// Whether the principal holds `role` anywhere.
    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    /// Whether the principal may do `perm` on an object of department `target` (`None` for objects
    /// that belong to no department, which only a root-scoped grant covers).
    pub fn allows(&self, perm: Permission, target: Option<&DeptPath>) -> bool {
        if self.kind == PrincipalKind::System {
            return true;
        }
        let root = DeptPath::root();
        let target = target.unwrap_or(&root);
        self.grants
            .iter()
            .any(|g| g.role.permissions().contains(&perm) && g.scope.contains(target))
    }

    /// Whether the principal holds `perm` over the platform's own accounts (citizens and
    /// businesses, which belong to no department): a grant at the root or at a top-level
    /// department, the city that runs the platform.
    pub fn allows_over_platform(&self, perm: Permission) -> bool {
        self.kind == PrincipalKind::System
            || self
                .grants
                .iter()
                .any(|g| g.role.permissions().contains(&perm) && g.scope.is_top())
    }

    /// Whether the principal holds `perm` over some part of the tree (for showing a menu entry).
    pub fn allows_somewhere(&self, perm: Permission) -> bool {
        self.kind == PrincipalKind::System || self.grants.iter().any(|g| g.role.permissions().contains(&perm))
    }

    /// `Ok` when allowed, otherwise a reason naming the permission.
    pub fn require(&self, perm: Permission, target: Option<&DeptPath>) -> Result<(), Denied> {
        if self.allows(perm, target) {
            Ok(())
        } else {
            Err(Denied {
                why: format!("{NOT_PERMITTED} / not permitted: {}", perm.code()),
            })
        }
    }

    /// The department subtrees in which the principal holds `perm` (for filtering lists).
    pub fn scopes_for(&self, perm: Permission) -> Vec<DeptPath> {
        if self.kind == PrincipalKind::System {
            return vec![DeptPath::root()];
        }
        self.grants
            .iter()
            .filter(|g| g.role.permissions().contains(&perm))
            .map(|g| g.scope.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(role: Role, scope: &str) -> Principal {
        Principal {
            kind: PrincipalKind::User,
            id: "u".into(),
            name: "u".into(),
            department: Some(DeptPath(scope.into())),
            grants: vec![RoleGrant {
                role,
                scope: DeptPath(scope.into()),
            }],
            purpose: None,
        }
    }

    #[test]
    fn scope_covers_the_subtree_only() {
        let police = DeptPath::root().child("3301").child("GA");
        let civil = DeptPath::root().child("3301").child("MZ");
        let approver = staff(Role::Approver, police.as_str());
        assert!(approver.allows(Permission::ReadUsers, Some(&police.child("office1"))));
        assert!(!approver.allows(Permission::ReadUsers, Some(&civil)));
        assert!(!approver.allows(Permission::ManageUsers, Some(&police)));
    }

    /// Each role does its job only: a window clerk has no SQL, catalogue or user list; the
    /// service administrator edits services but makes no accounts and reads no data; the data
    /// authority keeps the catalogue but does not load other bureaus' data.
    #[test]
    fn roles_carry_only_what_their_work_needs() {
        let has = |r: Role, p: Permission| r.permissions().contains(&p);
        for p in [
            Permission::QueryPool,
            Permission::ReadCatalog,
            Permission::ReadUsers,
        ] {
            assert!(!has(Role::Clerk, p) && !has(Role::Reviewer, p), "{p:?}");
            assert!(!has(Role::ServiceAdmin, p), "{p:?}");
        }
        assert!(has(Role::Analyst, Permission::QueryPool) && has(Role::Analyst, Permission::ReadCatalog));
        assert!(has(Role::ServiceAdmin, Permission::ManageServiceItems));
        for p in [
            Permission::ManageUsers,
            Permission::AssignRoles,
            Permission::LoadData,
        ] {
            assert!(!has(Role::ServiceAdmin, p), "{p:?}");
        }
        assert!(!Role::ServiceAdmin.requires_mfa());
        assert!(
            has(Role::DataAdmin, Permission::ManageCatalog) && !has(Role::DataAdmin, Permission::LoadData)
        );
        assert!(has(Role::DeptAdmin, Permission::LoadData));
        assert_eq!(Role::ALL.len(), 12);
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
        }
    }

    #[test]
    fn sibling_codes_sharing_a_prefix_are_not_contained() {
        let a = DeptPath::root().child("GA");
        let b = DeptPath::root().child("GAX");
        assert!(!a.contains(&b));
    }

    #[test]
    fn separation_of_duties_is_in_the_roles() {
        let sys = staff(Role::SysAdmin, "/");
        let sec = staff(Role::SecurityAdmin, "/");
        assert!(!sys.allows(Permission::ReadLedger, None));
        assert!(!sec.allows(Permission::AssignRoles, None));
        assert!(sec.allows(Permission::ReadLedger, None));
        assert!(sys.allows(Permission::AssignRoles, None));
    }

    #[test]
    fn roles_that_create_accounts_need_a_second_factor() {
        for r in Role::ALL {
            let creates = r.permissions().contains(&Permission::ManageUsers)
                || r.permissions().contains(&Permission::AssignRoles);
            assert_eq!(r.requires_mfa(), creates || r.is_platform_admin(), "{r:?}");
        }
        assert!(Role::DeptAdmin.requires_mfa() && !Role::DeptAdmin.is_platform_admin());
        assert!(!Role::Clerk.requires_mfa() && !Role::Citizen.requires_mfa());
    }

    #[test]
    fn anonymous_is_denied_everything() {
        assert!(
            Principal::anonymous()
                .require(Permission::OpenConsole, None)
                .is_err()
        );
    }

    #[test]
    fn clerks_handle_interactions_but_only_reviewers_and_leaders_approve_replies() {
        let dept = "/3301/GA/";
        let clerk = staff(Role::Clerk, dept);
        let reviewer = staff(Role::Reviewer, dept);
        let leader = staff(Role::Leader, dept);
        let target = Some(DeptPath(dept.into()));
        assert!(clerk.allows(Permission::HandleInteractions, target.as_ref()));
        assert!(!clerk.allows(Permission::ReviewInteractionReplies, target.as_ref()));
        assert!(reviewer.allows(Permission::ReviewInteractionReplies, target.as_ref()));
        assert!(!reviewer.allows(Permission::SuperviseInteractions, target.as_ref()));
        assert!(leader.allows(Permission::SuperviseInteractions, target.as_ref()));
        assert!(!leader.allows(Permission::ManageInteractionRules, target.as_ref()));
        assert!(staff(Role::DeptAdmin, dept).allows(Permission::ManageInteractionRules, target.as_ref()));
        assert!(!staff(Role::Citizen, "/").allows_somewhere(Permission::HandleInteractions));
    }

    #[test]
    fn department_admins_manage_service_items_and_leaders_supervise_cases() {
        let dept = DeptPath("/3301/GA/".into());
        let admin = staff(Role::DeptAdmin, dept.as_str());
        assert!(admin.allows(Permission::ManageServiceItems, Some(&dept)));
        assert!(!admin.allows(
            Permission::ManageServiceItems,
            Some(&DeptPath("/3301/MZ/".into()))
        ));
        assert!(!staff(Role::Clerk, dept.as_str()).allows(Permission::ManageServiceItems, Some(&dept)));
        assert!(staff(Role::Leader, dept.as_str()).allows(Permission::SuperviseCases, Some(&dept)));
        assert!(!staff(Role::Approver, dept.as_str()).allows(Permission::SuperviseCases, Some(&dept)));
    }

    #[test]
    fn role_codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
