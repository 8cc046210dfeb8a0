//! Who may do what with a case: who may apply (a signed-in citizen or business, in their own
//! name), the roles a workflow step is assigned to, whether a staff member holds a role over a
//! department, and how an actor relates to a case (its applicant, or staff handling it).

use crate::{ApplicantKind, Case, Error, Result, Task};
use tongban_kernel::msg;
use tongban_kernel::{Principal, PrincipalKind, Role};

/// The roles a step may be assigned to.
pub const STEP_ROLES: [Role; 5] = [
    Role::Clerk,
    Role::Reviewer,
    Role::Approver,
    Role::Leader,
    Role::DeptAdmin,
];

/// How the actor relates to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// The applicant.
    Applicant,
    /// Handling staff (or the platform).
    Staff,
}

/// Who applies: a signed-in citizen or business in their own name; nobody else.
pub(crate) fn applicant_of(actor: &Principal) -> Result<ApplicantKind> {
    if actor.kind == PrincipalKind::User {
        if actor.has_role(Role::Business) {
            return Ok(ApplicantKind::Business);
        }
        if actor.has_role(Role::Citizen) {
            return Ok(ApplicantKind::Citizen);
        }
    }
    Err(Error::forbidden(msg!("sign-citizen-business-apply")))
}

/// Whether `actor` holds `role` over `dept` (the platform holds every role).
pub(crate) fn holds(actor: &Principal, role: Role, dept: &tongban_kernel::DeptPath) -> bool {
    actor.kind == PrincipalKind::System
        || actor
            .grants
            .iter()
            .any(|g| g.role == role && g.scope.contains(dept))
}

/// The access `actor` has to `case` whose tasks are `tasks`. A citizen asking for another
/// person's case gets `NotFound` (its existence does not leak); staff of an uninvolved
/// department get `Forbidden`.
pub(crate) fn access(actor: &Principal, case: &Case, tasks: &[Task]) -> Result<Access> {
    if actor.kind == PrincipalKind::System {
        return Ok(Access::Staff);
    }
    if actor.kind == PrincipalKind::User && actor.id == case.applicant_id {
        return Ok(Access::Applicant);
    }
    let staff = actor.grants.iter().any(|g| {
        STEP_ROLES.contains(&g.role)
            && (g.scope.contains(&case.department.path)
                || tasks.iter().any(|t| g.scope.contains(&t.department.path)))
    });
    if staff {
        return Ok(Access::Staff);
    }
    if actor.grants.iter().any(|g| g.role.is_staff()) {
        Err(Error::forbidden(msg!("not-permitted-see-another")))
    } else {
        Err(Error::NotFound { what: "case" })
    }
}
