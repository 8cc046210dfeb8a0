//! Types of the sharing side: who receives data ([`Grantee`]), sharing requests with their
//! deadlines, the decisions taken on them, and the grants the pool and the exchange API enforce.

use crate::{DeptRef, GrantId, RequestId, ResourceId, SharingClass};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tongban_kernel::{ClockReading, ClockState, DeptPath, LegalClock, Millis};

/// Who asks for and receives data: a department (all its staff and systems) or one registered
/// department system (API client). Departments are matched by path (identity never changes a
/// path); API clients by id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Grantee {
    /// A department.
    Department {
        /// Identity's department id.
        id: String,
        /// Its path.
        path: DeptPath,
    },
    /// One department system.
    ApiClient {
        /// Identity's API client row id (the principal id of its bearer tokens).
        id: String,
        /// The path of the department the system belongs to.
        department: DeptPath,
    },
}

impl Grantee {
    /// `department` or `api_client`, as stored.
    pub fn kind_code(&self) -> &'static str {
        match self {
            Grantee::Department { .. } => "department",
            Grantee::ApiClient { .. } => "api_client",
        }
    }

    /// The department's or the client's id.
    pub fn id(&self) -> &str {
        match self {
            Grantee::Department { id, .. } | Grantee::ApiClient { id, .. } => id,
        }
    }

    /// The department path (for an API client, its department's).
    pub fn path(&self) -> &DeptPath {
        match self {
            Grantee::Department { path, .. } => path,
            Grantee::ApiClient { department, .. } => department,
        }
    }
}

coded_enum!(
    /// Where a sharing request stands.
    RequestStatus {
        /// 数据主管部门审核中: with the data authority (conditional sharing, 2 working days).
        InReview = "in_review", "审核中", "In review";
        /// 提供部门答复中: with the provider (5 working days, 10 if no data is on the platform yet).
        WithProvider = "with_provider", "待提供方答复", "With provider";
        /// 已授权: a grant was made.
        Granted = "granted", "已授权", "Granted";
        /// 未获批准: refused (see the refusal for by whom and why).
        Refused = "refused", "不予共享", "Refused";
        /// 争议处理中: the requester disputed the provider's refusal; the data authority resolves it.
        Disputed = "disputed", "争议处理中", "Disputed";
        /// 已撤回: withdrawn by the requester.
        Withdrawn = "withdrawn", "已撤回", "Withdrawn";
    }
);

impl RequestStatus {
    /// Whether the request still waits for someone's decision.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            RequestStatus::InReview | RequestStatus::WithProvider | RequestStatus::Disputed
        )
    }
}

coded_enum!(
    /// What a grant may be used for (用途类别), enforced where data is read: a grant is honoured
    /// only by the reads its uses name.
    GrantUse {
        /// 预填: only the applicant's own record, only inside an application.
        Prefill = "prefill", "申请表预填（仅申请人本人）", "Prefilling the applicant's own form";
        /// 系统对接: record lookups by a department system through the exchange API.
        Exchange = "exchange", "系统对接查询", "System exchange lookups";
        /// 查询分析: SQL over the lake in the console (personal fields always masked).
        Query = "query", "查询分析（个人信息脱敏）", "Query and analysis (personal data masked)";
    }
);

/// The uses of a grant that names none: ordinary sharing (exchange and query), never prefill.
pub const DEFAULT_USES: [GrantUse; 2] = [GrantUse::Exchange, GrantUse::Query];

coded_enum!(
    /// Who refused a request.
    RefusedBy {
        /// The catalog: the resource is 不予共享; the reasons are its legal basis.
        Catalog = "catalog", "目录不予共享", "Not shared by the catalog";
        /// The data authority at review.
        Authority = "authority", "数据主管部门审核未通过", "Rejected by the data authority";
        /// The providing department (the requester may dispute this).
        Provider = "provider", "提供部门不同意共享", "Refused by the provider";
        /// The data authority upheld the refusal on dispute (final).
        Resolution = "resolution", "争议裁决维持不予共享", "Refusal upheld on dispute";
    }
);

coded_enum!(
    /// A step of a conditional request that runs against a working-day limit.
    Stage {
        /// 审核: the data authority reviews (2 working days).
        Review = "review", "数据主管部门审核", "Data authority review";
        /// 答复: the provider decides (5 or 10 working days).
        Decision = "decision", "提供部门答复", "Provider decision";
        /// 争议: the data authority resolves a dispute (5 working days).
        Dispute = "dispute", "争议协调", "Dispute resolution";
    }
);

coded_enum!(
    /// How a deadline is flagged in the console.
    Warning {
        /// 黄灯: due within the warning margin.
        Yellow = "yellow", "临近期限", "Due soon";
        /// 红灯: past due.
        Red = "red", "已超期", "Overdue";
    }
);

/// One timed step: its clock, who finished it and their note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The working-day clock (started, limit, pauses, finished).
    pub clock: LegalClock,
    /// The principal id that finished the step, once finished.
    pub by: Option<String>,
    /// The note or reasons given when finishing it.
    pub note: String,
}

/// A refusal and its reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// Who refused.
    pub by: RefusedBy,
    /// Why (for the catalog: the resource's legal basis).
    pub reasons: String,
}

/// A sharing request (共享申请).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SharingRequest {
    /// Row id.
    pub id: RequestId,
    /// The resource asked for.
    pub resource_id: ResourceId,
    /// Its code.
    pub resource_code: String,
    /// Its name.
    pub resource_name_zh: String,
    /// The providing department (as the catalog records it now).
    pub provider: DeptRef,
    /// The department or system asking.
    pub requester: Grantee,
    /// 信息项 codes asked for.
    pub fields: Vec<String>,
    /// 用途.
    pub purpose: String,
    /// 应用场景 (may be empty).
    pub scenario: String,
    /// 申请依据.
    pub legal_basis: String,
    /// Last day the data is wanted for.
    pub valid_until: Date,
    /// The resource's sharing class when the request was filed.
    pub sharing_class: SharingClass,
    /// Where it stands.
    pub status: RequestStatus,
    /// Who refused and why, when refused.
    pub refusal: Option<Refusal>,
    /// The data authority's review, for conditional sharing.
    pub review: Option<Step>,
    /// The provider's decision, once the review passed.
    pub decision: Option<Step>,
    /// The dispute, once the requester disputed a refusal.
    pub dispute: Option<Step>,
    /// The requester's reasons for disputing (empty when not disputed).
    pub dispute_reasons: String,
    /// The grant made, when granted.
    pub grant_id: Option<GrantId>,
    /// The principal id that filed it.
    pub filed_by: String,
    /// Day it was filed (day of receipt: working days count from the next day).
    pub filed_on: Date,
    /// When it was filed.
    pub created: Millis,
    /// When it last changed.
    pub updated: Millis,
}

impl SharingRequest {
    /// The step whose clock runs now, if the request waits for a decision.
    pub fn open_step(&self) -> Option<(Stage, &Step)> {
        match self.status {
            RequestStatus::InReview => self.review.as_ref().map(|s| (Stage::Review, s)),
            RequestStatus::WithProvider => self.decision.as_ref().map(|s| (Stage::Decision, s)),
            RequestStatus::Disputed => self.dispute.as_ref().map(|s| (Stage::Dispute, s)),
            _ => None,
        }
    }

    /// The running step, or else the last step taken (to show whether it finished late).
    pub fn current_step(&self) -> Option<(Stage, &Step)> {
        self.open_step().or_else(|| {
            self.dispute
                .as_ref()
                .map(|s| (Stage::Dispute, s))
                .or_else(|| self.decision.as_ref().map(|s| (Stage::Decision, s)))
                .or_else(|| self.review.as_ref().map(|s| (Stage::Review, s)))
        })
    }
}

/// A request with its deadline as read today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestView {
    /// The request.
    #[serde(flatten)]
    pub request: SharingRequest,
    /// The current step's deadline; `None` for requests that never ran a clock.
    pub deadline: Option<Deadline>,
}

/// A step's deadline read on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deadline {
    /// Which step.
    pub stage: Stage,
    /// The reading (state, due day, working days used and left).
    pub reading: ClockReading,
    /// Yellow when due soon, red when overdue (or finished late); `None` otherwise.
    pub warning: Option<Warning>,
}

impl Deadline {
    pub(crate) fn new(stage: Stage, reading: ClockReading) -> Self {
        let warning = match reading.state {
            ClockState::DueSoon => Some(Warning::Yellow),
            ClockState::Overdue => Some(Warning::Red),
            ClockState::Finished if reading.finished_late => Some(Warning::Red),
            _ => None,
        };
        Self {
            stage,
            reading,
            warning,
        }
    }
}

/// What a requester files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRequest {
    /// The asking department or system (the actor needs `RequestSharing` over its department).
    pub requester: Grantee,
    /// The resource.
    pub resource: ResourceId,
    /// 信息项 codes wanted: at least one, all in the resource. A grantee holds one live grant per
    /// resource, so when it already holds one, name every field still needed: the new grant
    /// replaces the old.
    pub fields: Vec<String>,
    /// 用途 (required).
    pub purpose: String,
    /// 应用场景 (may be empty).
    #[serde(default)]
    pub scenario: String,
    /// 申请依据 (required).
    pub legal_basis: String,
    /// Last day the data is wanted: after today, at most three years ahead.
    pub valid_until: Date,
}

/// A row filter on a grant: only rows whose `field` holds one of `values` (e.g. only the
/// requester's district).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowFilter {
    /// A field of the resource.
    pub field: String,
    /// Allowed values (1–1000).
    pub values: Vec<String>,
}

/// The terms of a grant made on a request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantTerms {
    /// Fewer fields than asked for; `None` grants all requested fields.
    #[serde(default)]
    pub fields: Option<Vec<String>>,
    /// Optional row filter.
    #[serde(default)]
    pub row_filter: Option<RowFilter>,
    /// Personal fields the purpose justifies seeing in clear text (default none: masked).
    #[serde(default)]
    pub clear_fields: Vec<String>,
    /// Why clear text is justified (required with `clear_fields`).
    #[serde(default)]
    pub clear_basis: String,
    /// What the grant may be used for; none given means [`DEFAULT_USES`]. Clear-text fields
    /// cannot be granted for [`GrantUse::Query`].
    #[serde(default)]
    pub uses: Vec<GrantUse>,
    /// An earlier end than the requested `valid_until`.
    #[serde(default)]
    pub expires_on: Option<Date>,
    /// A note for the requester.
    #[serde(default)]
    pub note: String,
}

/// The data authority's review of a conditional request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Review {
    /// Passes it to the provider.
    Approve {
        /// Optional note.
        #[serde(default)]
        note: String,
    },
    /// Rejects it (reasons required).
    Reject {
        /// Why.
        reasons: String,
    },
}

/// The provider's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Decision {
    /// Grants access on these terms.
    Grant(GrantTerms),
    /// Refuses (reasons required); the requester may dispute.
    Refuse {
        /// Why.
        reasons: String,
    },
}

/// The data authority's resolution of a dispute (final).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Resolution {
    /// Grants access on these terms.
    Grant(GrantTerms),
    /// Upholds the refusal (reasons required).
    Uphold {
        /// Why.
        reasons: String,
    },
}

/// Filters for [`crate::Catalog::list_requests`].
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RequestFilter {
    /// Status.
    pub status: Option<RequestStatus>,
    /// Only requests for this resource.
    pub resource: Option<ResourceId>,
    /// Requesters inside this subtree.
    pub requester: Option<DeptPath>,
    /// Providers inside this subtree.
    pub provider: Option<DeptPath>,
    /// Text in the resource code or name, or the purpose.
    pub text: Option<String>,
}

/// A grant of access (共享授权): per grantee, per resource, per field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    /// Row id.
    pub id: GrantId,
    /// The resource.
    pub resource_id: ResourceId,
    /// Its code.
    pub resource_code: String,
    /// The providing department.
    pub provider: DeptRef,
    /// Who may read.
    pub grantee: Grantee,
    /// 信息项 codes that may be read.
    pub fields: Vec<String>,
    /// Personal fields that may be read in clear text; every other personal field is masked.
    pub clear_fields: Vec<String>,
    /// Why clear text was allowed (empty when no field is clear).
    pub clear_basis: String,
    /// 用途 the data may be used for.
    pub purpose: String,
    /// The reads the grant is honoured by.
    pub uses: Vec<GrantUse>,
    /// Last day the grant counts.
    pub expires_on: Date,
    /// Only rows matching this filter.
    pub row_filter: Option<RowFilter>,
    /// The request it was made on.
    pub source_request: Option<RequestId>,
    /// Principal id that made it.
    pub created_by: String,
    /// When it was made.
    pub created: Millis,
    /// When it was revoked (or replaced by a newer grant).
    pub revoked: Option<Millis>,
    /// Principal id that revoked it.
    pub revoked_by: Option<String>,
    /// Why it was revoked.
    pub revoke_reason: Option<String>,
}

impl Grant {
    /// Whether the grant may be used for `u`.
    pub fn allows(&self, u: GrantUse) -> bool {
        self.uses.contains(&u)
    }

    /// Whether it counts on `today`: not revoked and not past its last day.
    pub fn is_effective(&self, today: Date) -> bool {
        self.revoked.is_none() && self.expires_on >= today
    }

    /// Whether `field` may be read.
    pub fn allows_field(&self, field: &str) -> bool {
        self.fields.iter().any(|f| f == field)
    }

    /// Whether `field` may be read in clear text (personal fields not listed are masked).
    pub fn is_clear(&self, field: &str) -> bool {
        self.clear_fields.iter().any(|f| f == field)
    }
}

/// Filters for [`crate::Catalog::list_grants`].
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GrantFilter {
    /// Only grants on this resource.
    pub resource: Option<ResourceId>,
    /// Grantees inside this subtree.
    pub grantee: Option<DeptPath>,
    /// Providers inside this subtree.
    pub provider: Option<DeptPath>,
    /// Only grants effective on this day (not revoked, not expired).
    pub effective_on: Option<Date>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn reading(state: ClockState, finished_late: bool) -> ClockReading {
        ClockReading {
            state,
            used: 0,
            due: date(2026, 10, 9),
            promised_due: None,
            remaining: 0,
            finished_late,
            provisional: false,
        }
    }

    #[test]
    fn deadlines_turn_yellow_when_due_soon_and_red_when_late() {
        let w = |s, late| Deadline::new(Stage::Review, reading(s, late)).warning;
        assert_eq!(w(ClockState::OnTime, false), None);
        assert_eq!(w(ClockState::DueSoon, false), Some(Warning::Yellow));
        assert_eq!(w(ClockState::Overdue, false), Some(Warning::Red));
        assert_eq!(w(ClockState::Finished, false), None);
        assert_eq!(w(ClockState::Finished, true), Some(Warning::Red));
    }

    #[test]
    fn grants_count_through_their_last_day_unless_revoked() {
        let mut g = Grant {
            id: GrantId::new(),
            resource_id: ResourceId::new(),
            resource_code: "9901-GA-0001".into(),
            provider: DeptRef {
                id: String::new(),
                path: DeptPath("/3301/3301-GA/".into()),
                name_zh: "公安局".into(),
            },
            grantee: Grantee::Department {
                id: String::new(),
                path: DeptPath("/3301/3301-MZ/".into()),
            },
            fields: vec!["name".into(), "id_number".into()],
            clear_fields: vec!["id_number".into()],
            clear_basis: "核验".into(),
            purpose: "低保".into(),
            uses: DEFAULT_USES.to_vec(),
            expires_on: date(2026, 10, 31),
            row_filter: None,
            source_request: None,
            created_by: "u".into(),
            created: Millis(0),
            revoked: None,
            revoked_by: None,
            revoke_reason: None,
        };
        assert!(g.is_effective(date(2026, 10, 31)));
        assert!(!g.is_effective(date(2026, 11, 1)));
        assert!(g.allows_field("name") && !g.allows_field("district"));
        assert!(g.is_clear("id_number") && !g.is_clear("name"));
        g.revoked = Some(Millis(1));
        assert!(!g.is_effective(date(2026, 10, 1)));
    }

    #[test]
    fn grantees_serialise_with_their_kind() {
        let g = Grantee::ApiClient {
            id: "c".into(),
            department: DeptPath("/3301/3301-MZ/".into()),
        };
        assert_eq!(
            serde_json::to_value(&g).unwrap(),
            serde_json::json!({"kind": "api_client", "id": "c", "department": "/3301/3301-MZ/"})
        );
        assert_eq!(g.path().as_str(), "/3301/3301-MZ/");
        assert_eq!(
            RequestStatus::parse("with_provider"),
            Some(RequestStatus::WithProvider)
        );
        assert!(RequestStatus::Disputed.is_open() && !RequestStatus::Granted.is_open());
    }
}
