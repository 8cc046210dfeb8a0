//! Case types: the case, its 补正, decision and extension, tasks, timeline, and the inbox and
//! supervisor views.

use crate::{DeptRef, ServiceItemId};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tongban_kernel::{DeptPath, LegalClock, Millis, Role};

use super::{CaseId, StepKind, TaskId};

coded_enum!(
    /// Where a case stands.
    CaseStatus {
        /// 待受理.
        Submitted = "submitted", "待受理", "Awaiting acceptance";
        /// 补正中: waiting for the applicant; the clock is stopped.
        Supplementing = "supplementing", "待补正", "Awaiting supplement";
        /// 办理中: accepted, in review or decision.
        InProgress = "in_progress", "办理中", "In progress";
        /// 准予许可, waiting to be issued.
        Approved = "approved", "已决定准予，待办结", "Approved, to be issued";
        /// 已办结.
        Completed = "completed", "已办结", "Completed";
        /// 不予许可.
        Denied = "denied", "不予许可", "Refused";
        /// 不予受理.
        NotAccepted = "not_accepted", "不予受理", "Not accepted";
        /// 已撤回.
        Withdrawn = "withdrawn", "已撤回", "Withdrawn";
    }
);

impl CaseStatus {
    /// The status's name (Chinese, English) for a case of an item of `item_type`: only an
    /// administrative licence is granted or refused as a licence (准予许可, 不予许可); any other
    /// matter is refused as 不予办理.
    pub fn names_for(self, item_type: crate::ItemType) -> (&'static str, &'static str) {
        match self {
            CaseStatus::Denied if item_type != crate::ItemType::Licensing => ("不予办理", "Refused"),
            other => (other.name_zh(), other.name_en()),
        }
    }

    /// Whether the case is still running.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            CaseStatus::Submitted | CaseStatus::Supplementing | CaseStatus::InProgress | CaseStatus::Approved
        )
    }
}

coded_enum!(
    /// Who applied.
    ApplicantKind {
        /// A citizen.
        Citizen = "citizen", "个人", "Citizen";
        /// A business.
        Business = "business", "企业", "Business";
    }
);

/// One form value as shown: personal values masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormValue {
    /// The field code.
    pub code: String,
    /// The field label.
    pub label: String,
    /// The value (masked when personal).
    pub value: String,
    /// Whether it is personal data (stored encrypted).
    pub personal: bool,
    /// Where the value was prefilled from, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefilled: Option<Prefilled>,
}

/// A value the platform prefilled from shared data (预填): its source, and whether the applicant
/// said it was wrong and gave another (the provider should then check its record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prefilled {
    /// The providing department and resource, `示范市公安局 · 9901-GA-0001`.
    pub source: String,
    /// The applicant changed the prefilled value.
    pub corrected: bool,
}

/// 补正告知: what the applicant must supplement. Asked once, listing everything missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supplement {
    /// Everything missing or wrong, one entry each.
    pub missing: Vec<String>,
    /// Further explanation.
    pub note: String,
    /// Day asked (the clock stopped that day).
    pub requested_on: Date,
    /// Day answered (the clock ran again that day).
    pub answered_on: Option<Date>,
}

coded_enum!(
    /// A decision's outcome.
    Outcome {
        /// 准予.
        Approve = "approve", "准予", "Approve";
        /// 不予.
        Deny = "deny", "不予", "Deny";
    }
);

impl Outcome {
    /// The decision's name (Chinese, English) for a case of an item of `item_type`: a licence
    /// is granted or refused as such (准予许可, 不予许可), any other matter is done or refused
    /// (准予办理, 不予办理).
    pub fn names_for(self, item_type: crate::ItemType) -> (&'static str, &'static str) {
        let licensing = item_type == crate::ItemType::Licensing;
        match (self, licensing) {
            (Outcome::Approve, true) => ("准予许可", "Granted"),
            (Outcome::Approve, false) => ("准予办理", "Approved"),
            (Outcome::Deny, true) => ("不予许可", "Refused"),
            (Outcome::Deny, false) => ("不予办理", "Refused"),
        }
    }
}

/// 决定: the decision with its reasons and legal basis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Approve or deny.
    pub outcome: Outcome,
    /// Reasons (required for a denial).
    pub reasons: String,
    /// Legal basis cited.
    pub legal_basis: String,
    /// Who decided (account id).
    pub by: String,
    /// When.
    pub at: Millis,
}

/// What a decider enters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionInput {
    /// Approve or deny.
    pub outcome: Outcome,
    /// Reasons (required for a denial).
    pub reasons: String,
    /// Legal basis (required for a denial; defaults to the item's for an approval).
    pub legal_basis: String,
}

coded_enum!(
    /// Where an extension request stands.
    ExtensionStatus {
        /// 待审批.
        Requested = "requested", "待审批", "Requested";
        /// 已批准.
        Approved = "approved", "已批准", "Approved";
        /// 未批准.
        Rejected = "rejected", "未批准", "Rejected";
    }
);

/// 延期: more working days on the statutory limit, with a reason and approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    /// Working days asked for.
    pub days: u32,
    /// Why.
    pub reason: String,
    /// Who asked (account id).
    pub requested_by: String,
    /// Where it stands.
    pub status: ExtensionStatus,
    /// Who decided it.
    pub decided_by: Option<String>,
}

/// A case (办件) as its applicant and handling staff see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Case {
    /// Its id.
    pub id: CaseId,
    /// Human number `2026-1123-000123`.
    pub number: String,
    /// The item applied for.
    pub item_id: ServiceItemId,
    /// Item code and name at submission.
    pub item_code: String,
    /// Item name at submission.
    pub item_name: String,
    /// The responsible department.
    pub department: DeptRef,
    /// The workflow version the case runs on.
    pub workflow_version: u32,
    /// Applicant account id.
    pub applicant_id: String,
    /// Citizen or business.
    pub applicant_kind: ApplicantKind,
    /// Where it stands.
    pub status: CaseStatus,
    /// Index of the current workflow step.
    pub step: u32,
    /// Form values, personal ones masked.
    pub form: Vec<FormValue>,
    /// The legal clock (statutory limit including an approved extension, the promised limit,
    /// stops).
    pub clock: LegalClock,
    /// Statutory due day (`None` while stopped).
    pub statutory_due: Option<Date>,
    /// The day the limit that applies (the promised one) ends; `None` while stopped.
    pub due: Option<Date>,
    /// Whether the due days were counted through a year whose holiday schedule has not been
    /// announced (暂定): recomputed when an administrator enters the year.
    pub due_provisional: bool,
    /// The 补正 request, if one was made.
    pub supplement: Option<Supplement>,
    /// The extension, if one was asked for.
    pub extension: Option<Extension>,
    /// The decision, once made.
    pub decision: Option<Decision>,
    /// Submitted.
    pub submitted: Millis,
    /// Last changed.
    pub updated: Millis,
    /// Finished (completed, denied, not accepted, withdrawn).
    pub finished: Option<Millis>,
    /// The e-licence issued on completion, if the item produces one.
    pub licence_number: Option<String>,
    /// Change counter.
    pub version: u32,
}

/// One page of an applicant's cases, with the counts for the tabs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MyCases {
    /// The page's cases, newest first.
    pub items: Vec<Case>,
    /// How many of the applicant's cases are open.
    pub open: u64,
    /// How many are finished (completed, refused, denied, withdrawn).
    pub finished: u64,
}

/// What an applicant submits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCase {
    /// The item.
    pub item: ServiceItemId,
    /// Form values by field code, as typed.
    pub form: BTreeMap<String, String>,
    /// A key the client chooses per application (8–64 letters, digits, `-`, `_`): submitting
    /// again with the same key returns the same case.
    pub submission_key: String,
    /// Fields the caller prefilled from shared data, by code (only fields whose definition names
    /// a prefill source may be marked). The caller — the web layer, which reads the pool — sets
    /// it from its own lookup, never from what the applicant posts.
    #[serde(default)]
    pub prefilled: BTreeMap<String, Prefilled>,
    /// How each material is satisfied, by material code: an upload or an e-licence the
    /// applicant holds. Materials from shared data need nothing here.
    #[serde(default)]
    pub materials: BTreeMap<String, crate::MaterialInput>,
}

coded_enum!(
    /// Where a task stands.
    TaskState {
        /// Waiting for the department.
        Open = "open", "待办", "Open";
        /// Done.
        Done = "done", "已办", "Done";
        /// No longer needed (the step completed without it, transferred, case closed).
        Cancelled = "cancelled", "已取消", "Cancelled";
    }
);

/// How close a task or case is to its due day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// More than [`crate::WARN_DAYS`] working days left.
    Normal,
    /// Yellow: due within [`crate::WARN_DAYS`] working days.
    DueSoon,
    /// Red: past the due day.
    Overdue,
}

/// One department's turn on one step of a case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Task {
    /// Its id.
    pub id: TaskId,
    /// The case.
    pub case_id: CaseId,
    /// The case number.
    pub case_number: String,
    /// The item name.
    pub item_name: String,
    /// Step index in the case's workflow.
    pub step: u32,
    /// Step kind.
    pub step_kind: StepKind,
    /// The department that acts.
    pub department: DeptRef,
    /// The role that acts.
    pub role: Role,
    /// Delegated to this account, if any.
    pub assignee: Option<String>,
    /// Where it stands.
    pub state: TaskState,
    /// For a review: whether the department agreed.
    pub agreed: Option<bool>,
    /// The opinion written.
    pub opinion: String,
    /// Opened.
    pub created: Millis,
    /// Due day (`None` where it cannot be counted).
    pub due: Option<Date>,
    /// Yellow / red, as of today.
    pub urgency: Urgency,
}

/// One entry of a case's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    /// When.
    pub at: Millis,
    /// What (`submitted`, `accepted`, `note`, …).
    pub action: String,
    /// Who (account id).
    pub actor_id: String,
    /// Who (login name).
    pub actor_name: String,
    /// Acting for which department.
    pub department: Option<DeptPath>,
    /// Text.
    pub note: String,
    /// Whether the applicant sees it (internal notes do not).
    pub public: bool,
}

/// A case with everything its page shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseView {
    /// The case.
    pub case: Case,
    /// Its tasks (staff only; empty for the applicant).
    pub tasks: Vec<Task>,
    /// Its timeline (internal notes only for staff).
    pub log: Vec<LogEntry>,
    /// Urgency of the case's own limit today.
    pub urgency: Urgency,
    /// Working days left before the limit that applies (negative when overdue).
    pub remaining_days: Option<i64>,
    /// What satisfied each material (uploads, e-licences and shared fields).
    pub materials: Vec<crate::CaseMaterial>,
}

/// Filters of the staff inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxFilter {
    /// The department whose tasks are listed.
    pub department: DeptPath,
    /// The role acted in.
    pub role: Role,
    /// Only yellow or red ones.
    pub urgency: Option<Urgency>,
    /// Only this step kind.
    pub step_kind: Option<StepKind>,
    /// Only cases of this item.
    pub item: Option<ServiceItemId>,
    /// Only tasks delegated to the caller.
    pub mine_only: bool,
}

/// Counts shown above the inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct InboxCounts {
    /// Open tasks.
    pub total: u64,
    /// Yellow.
    pub due_soon: u64,
    /// Red.
    pub overdue: u64,
}

/// A page of the staff inbox, soonest due first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inbox {
    /// Counts for the department and role (all filters but urgency applied).
    pub counts: InboxCounts,
    /// Matching tasks on this page.
    pub tasks: Vec<Task>,
    /// Matching tasks in all.
    pub total: u64,
}

/// One case in the supervisor's view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WatchedCase {
    /// The case.
    pub id: CaseId,
    /// Its number.
    pub number: String,
    /// Item name.
    pub item_name: String,
    /// Responsible department.
    pub department: DeptRef,
    /// Status.
    pub status: CaseStatus,
    /// Due day of the applying limit.
    pub due: Date,
    /// Yellow or red.
    pub urgency: Urgency,
}

/// The supervisor's view of a department subtree (办件督查).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Supervision {
    /// Open cases past their due day.
    pub overdue: u64,
    /// Open cases past even their statutory due day (法定超期).
    pub statutory_overdue: u64,
    /// Open cases due within [`crate::WARN_DAYS`] working days.
    pub due_soon: u64,
    /// Open cases in all.
    pub open: u64,
    /// Overdue and near-due cases, soonest first (one page).
    pub cases: Vec<WatchedCase>,
    /// Cases finished (completed, denied, not accepted).
    pub finished: u64,
    /// Their average handling time in working days (clock stops excluded).
    pub average_working_days: Option<f64>,
    /// Their average handling time in hours from submission to finish.
    pub average_hours: Option<f64>,
}

/// What the accepting department asks the applicant to supplement (补正告知书).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplementRequest {
    /// Everything missing or wrong, one entry each (all of it, at once).
    pub missing: Vec<String>,
    /// Further explanation.
    pub note: String,
}

/// The applicant's answer to a 补正 request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplementAnswer {
    /// Form values to change, by field code (an empty value clears an optional field).
    pub form: BTreeMap<String, String>,
    /// What was supplemented.
    pub note: String,
    /// Uploads answering the request, by the index of the entry in its `missing` list they
    /// supply (each the applicant's own unsubmitted upload).
    #[serde(default)]
    pub files: BTreeMap<usize, crate::FileId>,
}

/// A review opinion (审查意见 / 会签意见).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewInput {
    /// Whether the department agrees.
    pub agree: bool,
    /// The opinion (required when disagreeing).
    pub opinion: String,
}

/// A task to open: the store writes it, and its assignees are told.
pub(crate) struct NewTask<'a> {
    pub case: &'a Case,
    pub step: u32,
    pub kind: StepKind,
    pub department: &'a DeptRef,
    pub role: Role,
    pub step_due: Option<Date>,
    pub due: Option<Date>,
    pub at: Millis,
}
