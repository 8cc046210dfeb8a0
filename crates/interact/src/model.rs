//! The interaction crate's public types: typed ids, the kinds and states of an item, what callers
//! give (`New*`, `*Input`) and the views handed back. Contact details in views are always masked.

mod handling;
mod public;

pub use handling::*;
pub use public::*;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tongban_kernel::{ClockReading, DeptPath, LegalClock, Millis, Page, define_id};

define_id!(
    /// An item: one inquiry, complaint, suggestion, help request or praise (诉求).
    ItemId
);
define_id!(
    /// A routing rule (分办规则).
    RuleId
);
define_id!(
    /// A reply to an item (答复).
    ReplyId
);
define_id!(
    /// A request that another department assist (协办).
    AssistId
);
define_id!(
    /// An entry on a department's rectification list (整改).
    RectificationId
);
define_id!(
    /// A reminder or an escalation to a department's leader (督办).
    EscalationId
);
define_id!(
    /// An in-app notification to a citizen.
    NotificationId
);

coded_enum!(
    /// What the citizen wants.
    ItemKind {
        /// 咨询: a question.
        Inquiry = "inquiry", "咨询", "Inquiry";
        /// 投诉: a complaint about a service or a wrong.
        Complaint = "complaint", "投诉", "Complaint";
        /// 建议: a suggestion (may be anonymous).
        Suggestion = "suggestion", "建议", "Suggestion";
        /// 求助: a request for help.
        HelpRequest = "help", "求助", "Help request";
        /// 表扬: praise for a service or a person.
        Praise = "praise", "表扬", "Praise";
    }
);

impl ItemKind {
    /// The time limit in working days when no other is configured: 咨询 and 求助 5, 投诉, 建议
    /// and 表扬 15.
    pub fn default_limit_days(self) -> u32 {
        match self {
            ItemKind::Inquiry | ItemKind::HelpRequest => 5,
            ItemKind::Complaint | ItemKind::Suggestion | ItemKind::Praise => 15,
        }
    }
}

coded_enum!(
    /// Where an item stands.
    ItemStatus {
        /// 待分办: no rule matched, or a department returned it; the city's dispatchers assign it.
        Unassigned = "unassigned", "待分办", "Awaiting dispatch";
        /// 办理中: with a department.
        InProgress = "in_progress", "办理中", "In progress";
        /// 答复审核中: a reply to a public item waits for a reviewer.
        InReview = "in_review", "答复审核中", "Reply in review";
        /// 已答复: the reply reached the citizen, who may rate it.
        Replied = "replied", "已答复", "Replied";
        /// 已办结: rated, or finished without a rating.
        Closed = "closed", "已办结", "Closed";
        /// 已合并: merged into another item that answers it.
        Merged = "merged", "已合并", "Merged";
    }
);

impl ItemStatus {
    /// Whether the item still waits for a reply (its clock runs).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            ItemStatus::Unassigned | ItemStatus::InProgress | ItemStatus::InReview
        )
    }
}

coded_enum!(
    /// How the citizen wants to be contacted (in-app unless they say otherwise).
    #[derive(Default)]
    ContactPreference {
        /// 站内消息: in-app notifications only.
        #[default]
        InApp = "in_app", "站内消息", "In-app message";
        /// 电话: a phone call (a phone number is required).
        Phone = "phone", "电话", "Phone call";
        /// 短信: a text message (a phone number is required).
        Sms = "sms", "短信", "Text message";
        /// 电子邮件: e-mail (an address is required).
        Email = "email", "电子邮件", "E-mail";
        /// 无需联系: no contact.
        NoContact = "none", "无需联系", "No contact";
    }
);

coded_enum!(
    /// Where an item came in.
    Channel {
        /// 门户网站.
        Portal = "portal", "门户网站", "Portal";
        /// 移动端.
        Mobile = "mobile", "移动端", "Mobile";
        /// JSON API.
        Api = "api", "接口", "API";
        /// Open311 GeoReport v2.
        Open311 = "open311", "Open311", "Open311";
        /// 热线: entered by the hotline's staff system.
        Hotline = "hotline", "热线", "Hotline";
        /// 微信.
        WeChat = "wechat", "微信", "WeChat";
    }
);

coded_enum!(
    /// The citizen's rating of a reply (好差评).
    Satisfaction {
        /// 满意.
        Satisfied = "satisfied", "满意", "Satisfied";
        /// 基本满意.
        Basic = "basic", "基本满意", "Fairly satisfied";
        /// 不满意: may reopen the item once and puts it on the rectification list.
        Unsatisfied = "unsatisfied", "不满意", "Unsatisfied";
    }
);

coded_enum!(
    /// Where a reply stands.
    ReplyStatus {
        /// 待审核: the item is public; a reviewer must approve the reply.
        AwaitingReview = "awaiting_review", "待审核", "Awaiting review";
        /// 已发送: the citizen has it.
        Sent = "sent", "已发送", "Sent";
        /// 退回修改: the reviewer sent it back.
        SentBack = "sent_back", "退回修改", "Sent back";
    }
);

coded_enum!(
    /// Where an assistance request stands.
    AssistStatus {
        /// 协办中.
        Open = "open", "协办中", "Open";
        /// 已回复.
        Answered = "answered", "已回复", "Answered";
    }
);

coded_enum!(
    /// Where a rectification entry stands.
    RectificationStatus {
        /// 整改中.
        Open = "open", "整改中", "Open";
        /// 已整改.
        Done = "done", "已整改", "Done";
    }
);

coded_enum!(
    /// How urgent a reminder is and who receives it.
    EscalationLevel {
        /// 临期提醒: to the handling department, when the time limit is near.
        Reminder = "reminder", "临期提醒", "Due soon";
        /// 超期督办: to the department's leader, when the time limit has passed.
        Overdue = "overdue", "超期督办", "Overdue";
    }
);

coded_enum!(
    /// What an escalation is about.
    EscalationSubject {
        /// The item's reply is late.
        Item = "item", "诉求办理", "Item";
        /// The rectification after an unsatisfied rating is late.
        Rectification = "rectification", "整改", "Rectification";
    }
);

/// A department as this crate records it. It never reads identity's tables: the caller fills
/// this from identity (`Department.id`, `.path`, `.name_zh`); paths never change in identity, so
/// departments are matched by path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeptRef {
    /// Identity's department id (UUID text).
    pub id: String,
    /// Place in the org tree, `/3301/3301-GA/`.
    pub path: DeptPath,
    /// Chinese name at the time of recording.
    pub name_zh: String,
}

/// A category of items (诉求分类), e.g. `road_lighting` 路灯照明; also the Open311 service code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Category {
    /// Stable code: 1–64 of `A-Z a-z 0-9 _ . -`.
    pub code: String,
    /// 中文名称.
    pub name_zh: String,
    /// English name (may be empty).
    pub name_en: String,
    /// Whether new items may choose it.
    pub active: bool,
}

/// Input for [`crate::Interact::add_category`] and [`crate::Interact::update_category`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NewCategory {
    /// Stable code.
    pub code: String,
    /// 中文名称.
    pub name_zh: String,
    /// English name (may be empty).
    #[serde(default)]
    pub name_en: String,
}

/// A configured time limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimeLimit {
    /// The kind it applies to.
    pub kind: ItemKind,
    /// The category, or `None` for every category of the kind.
    pub category: Option<String>,
    /// Working days.
    pub days: u32,
}

/// A routing rule: items of `category` (in `district`, or anywhere when `None`) go to
/// `department`. The rule naming the district wins over the one for anywhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoutingRule {
    /// Row id.
    pub id: RuleId,
    /// Category code.
    pub category: String,
    /// District code, or `None` for any district.
    pub district: Option<String>,
    /// The responsible department.
    pub department: DeptRef,
    /// Who set it (principal id).
    pub created_by: String,
    /// When it last changed.
    pub updated: Millis,
}

/// Input for [`crate::Interact::set_rule`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NewRule {
    /// Category code (must exist).
    pub category: String,
    /// District code, or `None` for any district.
    #[serde(default)]
    pub district: Option<String>,
    /// The responsible department.
    pub department: DeptRef,
}

/// Where the matter is, as the citizen gave it.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct LocationInput {
    /// Address text (may be empty).
    #[serde(default)]
    pub address: String,
    /// District code used for routing (may be empty).
    #[serde(default)]
    pub district: String,
    /// WGS84 latitude, −90..=90 (with `longitude`, or neither).
    #[serde(default)]
    pub latitude: Option<f64>,
    /// WGS84 longitude, −180..=180 (with `latitude`, or neither).
    #[serde(default)]
    pub longitude: Option<f64>,
}

/// A WGS84 point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    /// Latitude in degrees.
    pub latitude: f64,
    /// Longitude in degrees.
    pub longitude: f64,
}

/// A validated location.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Location {
    /// Address text (may be empty).
    pub address: String,
    /// District code (may be empty).
    pub district: String,
    /// The point, when given.
    pub point: Option<GeoPoint>,
}

/// How to reach the submitter; stored field-encrypted.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct ContactInput {
    /// Preferred way (default: in-app).
    #[serde(default)]
    pub preference: ContactPreference,
    /// Name to address the submitter by (may be empty).
    #[serde(default)]
    pub name: String,
    /// Phone number (required for phone and text-message contact).
    #[serde(default)]
    pub phone: String,
    /// E-mail address (required for e-mail contact).
    #[serde(default)]
    pub email: String,
}

/// Input for [`crate::Interact::submit`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct NewItem {
    /// What the citizen wants.
    pub kind: ItemKind,
    /// Category code (must exist and be active).
    pub category: String,
    /// One line, 1–100 characters.
    pub title: String,
    /// The text, 1–4000 characters.
    pub text: String,
    /// Where, if it matters.
    #[serde(default)]
    pub location: Option<LocationInput>,
    /// Whether the citizen agrees to publish it (with the reply) on the public board.
    #[serde(default)]
    pub public: bool,
    /// How to reach the submitter.
    #[serde(default)]
    pub contact: ContactInput,
    /// Where it came in.
    pub channel: Channel,
    /// For anonymous submissions: a key for the source, e.g. a hashed IP address, to limit
    /// submissions per source (it is blind-indexed again before it is stored).
    #[serde(default)]
    pub source_key: Option<String>,
}

/// Who submitted an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Submitter {
    /// A signed-in citizen or business account (its id).
    Citizen {
        /// Account id.
        id: String,
    },
    /// Nobody signed in (suggestions only).
    Anonymous,
    /// A department system or the platform (Open311 gateway, hotline) acting for someone.
    Channel {
        /// The system's principal id.
        id: String,
    },
}

impl Submitter {
    /// The stored kind code.
    pub fn kind_code(&self) -> &'static str {
        match self {
            Submitter::Citizen { .. } => "citizen",
            Submitter::Anonymous => "anonymous",
            Submitter::Channel { .. } => "channel",
        }
    }

    /// The stored id (`anonymous` for anonymous submitters).
    pub fn id(&self) -> &str {
        match self {
            Submitter::Citizen { id } | Submitter::Channel { id } => id,
            Submitter::Anonymous => "anonymous",
        }
    }

    /// The citizen's account id, when a citizen submitted it.
    pub fn citizen(&self) -> Option<&str> {
        match self {
            Submitter::Citizen { id } => Some(id),
            _ => None,
        }
    }
}

/// Contact details as views show them: masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaskedContact {
    /// Preferred way.
    pub preference: ContactPreference,
    /// Name, first character only (`张*`); empty when none was given.
    pub name: String,
    /// Phone, masked (`138****8000`).
    pub phone: String,
    /// E-mail, masked (`z***@example.cn`).
    pub email: String,
}

/// Contact details in clear, for the handling department only
/// ([`crate::Interact::contact_of`]; every reading is an event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contact {
    /// Preferred way.
    pub preference: ContactPreference,
    /// Name (may be empty).
    pub name: String,
    /// Phone (may be empty).
    pub phone: String,
    /// E-mail (may be empty).
    pub email: String,
}

/// The citizen's rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rating {
    /// 满意 / 基本满意 / 不满意.
    pub satisfaction: Satisfaction,
    /// Comment (may be empty).
    pub comment: String,
    /// When.
    pub at: Millis,
}

/// An item (诉求) as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    /// Row id.
    pub id: ItemId,
    /// Human number, `2026-0302-000001`.
    pub number: String,
    /// What the citizen wants.
    pub kind: ItemKind,
    /// Category code.
    pub category: String,
    /// Category's Chinese name at submission.
    pub category_name: String,
    /// Title as written.
    pub title: String,
    /// Text as written.
    pub text: String,
    /// Title as the public board may show it (personal data masked).
    pub public_title: String,
    /// Text as the public board may show it (personal data masked).
    pub public_text: String,
    /// Where, if given.
    pub location: Option<Location>,
    /// Whether the citizen agreed to publication.
    pub public: bool,
    /// Contact details, masked.
    pub contact: MaskedContact,
    /// Who submitted it.
    pub submitter: Submitter,
    /// Where it came in.
    pub channel: Channel,
    /// The responsible department; `None` while awaiting dispatch.
    pub department: Option<DeptRef>,
    /// Where it stands.
    pub status: ItemStatus,
    /// 0 at first; 1 after the citizen reopened it.
    pub round: u32,
    /// The clock of the current round (the rectification limit after a reopening).
    pub clock: LegalClock,
    /// The day the current round turns yellow (due soon), when the calendar can count it.
    pub warn_on: Option<Date>,
    /// Due day of the current round, when the calendar can count it.
    pub due_on: Option<Date>,
    /// Times it was transferred.
    pub transfers: u32,
    /// The item it was merged into.
    pub merged_into: Option<ItemId>,
    /// The latest rating.
    pub rating: Option<Rating>,
    /// When the latest reply reached the citizen.
    pub replied: Option<Millis>,
    /// When it appeared on the public board.
    pub published: Option<Millis>,
    /// When it was submitted.
    pub created: Millis,
    /// When it last changed.
    pub updated: Millis,
    /// Optimistic-concurrency version.
    pub version: u32,
}

impl Item {
    /// The department path that scopes access (`None` while awaiting dispatch: only city-wide
    /// staff cover it).
    pub fn dept_path(&self) -> Option<&DeptPath> {
        self.department.as_ref().map(|d| &d.path)
    }
}

/// An item with its clock read today.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemView {
    /// The item.
    pub item: Item,
    /// The clock read today (yellow `due_soon`, red `overdue`); `None` when the calendar cannot
    /// count it yet (a year not entered).
    pub deadline: Option<ClockReading>,
    /// The due day runs through a year whose holiday schedule is not announced yet: 暂定, to be
    /// recounted when the year is entered.
    pub due_provisional: bool,
}

/// Filters for [`crate::Interact::list_items`]; every filter is optional.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ItemFilter {
    /// Status.
    pub status: Option<ItemStatus>,
    /// Kind.
    pub kind: Option<ItemKind>,
    /// Category code.
    pub category: Option<String>,
    /// Departments inside this subtree.
    pub department: Option<DeptPath>,
    /// Only items whose clock is in this state today (`due_soon` or `overdue`).
    pub clock: Option<ClockFilter>,
    /// Text in the number, title or text (case-insensitive).
    pub text: Option<String>,
}

/// A clock filter for staff lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockFilter {
    /// Open and within the warning margin (yellow).
    DueSoon,
    /// Open and past the time limit (red).
    Overdue,
}

/// One entry of an item's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    /// When.
    pub at: Millis,
    /// What happened (`submitted`, `routed`, `transferred`, `assist_requested`, …).
    pub action: String,
    /// Who (login name); empty in the citizen's view.
    pub actor_name: String,
    /// The department acting or receiving, if any.
    pub department: Option<DeptPath>,
    /// Note (reason of a transfer, a return, …).
    pub note: String,
    /// Whether the citizen sees it.
    pub public: bool,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Listing<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// How many match in all.
    pub total: u64,
    /// Rows per page.
    pub limit: u32,
    /// Rows skipped.
    pub offset: u64,
}

impl<T> Listing<T> {
    pub(crate) fn new(items: Vec<T>, total: i64, page: Page) -> Self {
        Self {
            items,
            total: u64::try_from(total).unwrap_or(0),
            limit: page.limit,
            offset: page.offset,
        }
    }
}

/// How the actor relates to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// The citizen who submitted it.
    Submitter,
    /// Staff of the handling department, of a department asked to assist, or city-wide.
    Staff,
}
