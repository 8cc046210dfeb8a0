//! The hall's types: service items with their materials and form fields and workflow
//! definitions here; cases, tasks, timelines and the views in [`case`].

mod case;
pub use case::*;

use crate::DeptRef;
use serde::{Deserialize, Serialize};
use tongban_kernel::{DeptPath, Millis, Role, define_id};

define_id!(
    /// A service item's id.
    ServiceItemId
);
define_id!(
    /// A case's id.
    CaseId
);
define_id!(
    /// A task's id (one department's turn on one step of a case).
    TaskId
);

coded_enum!(
    /// The kind of administrative power or service an item is (权力事项类型).
    ItemType {
        /// 行政许可.
        Licensing = "licensing", "行政许可", "Administrative licensing";
        /// 行政给付.
        Benefit = "benefit", "行政给付", "Administrative benefit";
        /// 行政确认.
        Confirmation = "confirmation", "行政确认", "Administrative confirmation";
        /// 行政裁决.
        Ruling = "ruling", "行政裁决", "Administrative ruling";
        /// 行政奖励.
        Reward = "reward", "行政奖励", "Administrative reward";
        /// 公共服务.
        PublicService = "public_service", "公共服务", "Public service";
        /// 其他行政权力.
        Other = "other", "其他行政权力", "Other administrative power";
    }
);

coded_enum!(
    /// A topic the portal groups services under (按主题).
    Topic {
        /// 户籍身份.
        Household = "household", "户籍身份", "Identity and residence";
        /// 社会保障.
        SocialSecurity = "social_security", "社会保障", "Social security";
        /// 医疗卫生.
        Health = "health", "医疗卫生", "Health";
        /// 教育.
        Education = "education", "教育", "Education";
        /// 市场准入.
        Business = "business", "市场准入", "Starting and running a business";
        /// 民政.
        CivilAffairs = "civil_affairs", "民政服务", "Civil affairs";
        /// 住房.
        Housing = "housing", "住房", "Housing";
        /// 生态环境.
        Environment = "environment", "生态环境", "Environment";
    }
);

coded_enum!(
    /// A moment of life the portal groups services under (按人生事件).
    LifeEvent {
        /// 出生.
        Birth = "birth", "生育出生", "Having a baby";
        /// 上学.
        Schooling = "schooling", "入学教育", "Going to school";
        /// 就业创业.
        Work = "work", "就业创业", "Work and starting a business";
        /// 婚姻.
        Marriage = "marriage", "婚姻家庭", "Marriage and family";
        /// 安居.
        Moving = "moving", "安居落户", "Moving home";
        /// 退休养老.
        Retirement = "retirement", "退休养老", "Retirement";
        /// 身后事.
        Bereavement = "bereavement", "身后事", "After a death";
    }
);

/// Where a required material comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MaterialSource {
    /// The applicant uploads it.
    Upload,
    /// 免提交: government already holds it as a field of a shared data resource.
    SharedField {
        /// The catalog resource code.
        resource: String,
        /// The field (信息项) code within it.
        field: String,
    },
    /// 免提交: an e-licence the applicant already holds.
    Licence {
        /// The licence type code.
        licence_type: String,
    },
}

impl MaterialSource {
    /// Whether the applicant does not have to hand it in (免提交).
    pub fn exempt(&self) -> bool {
        !matches!(self, MaterialSource::Upload)
    }
}

/// One material (申请材料) of an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Material {
    /// Short code, unique within the item.
    pub code: String,
    /// Name shown to the applicant.
    pub name: String,
    /// Whether the application is incomplete without it.
    pub required: bool,
    /// Where it comes from.
    pub source: MaterialSource,
}

/// One option of a choice field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoiceOption {
    /// Stored value.
    pub value: String,
    /// Label shown.
    pub label: String,
}

/// The type of a form field, with its constraints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldKind {
    /// One line of text, at most `max_chars` characters.
    Text {
        /// Longest value.
        max_chars: u32,
    },
    /// A decimal number within bounds.
    Number {
        /// Smallest value, if bounded.
        min: Option<f64>,
        /// Largest value, if bounded.
        max: Option<f64>,
    },
    /// A date `Y-m-d`.
    Date,
    /// A date `Y-m-d` no later than today (a birth, an event that has happened).
    PastDate,
    /// One of the options.
    Choice {
        /// The options.
        options: Vec<ChoiceOption>,
    },
    /// 公民身份号码 (GB 11643): checked, encrypted, shown masked.
    IdNumber,
    /// A phone number: checked, encrypted, shown masked.
    Phone,
    /// A postal address: encrypted, shown masked.
    Address,
    /// An uploaded file, by its stored file id.
    File,
}

impl FieldKind {
    /// The stored code of the type.
    pub fn code(&self) -> &'static str {
        match self {
            FieldKind::Text { .. } => "text",
            FieldKind::Number { .. } => "number",
            FieldKind::Date => "date",
            FieldKind::PastDate => "past_date",
            FieldKind::Choice { .. } => "choice",
            FieldKind::IdNumber => "id_number",
            FieldKind::Phone => "phone",
            FieldKind::Address => "address",
            FieldKind::File => "file",
        }
    }

    /// Whether values of this type are personal data whatever the field says.
    pub fn always_personal(&self) -> bool {
        matches!(self, FieldKind::IdNumber | FieldKind::Phone | FieldKind::Address)
    }
}

/// Where a form field can be prefilled from: a field of a shared data resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldSource {
    /// The catalog resource code.
    pub resource: String,
    /// The field (信息项) code within it.
    pub field: String,
}

/// One typed field of an item's application form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormField {
    /// Key of the value, unique within the item (`applicant_id_number`).
    pub code: String,
    /// Label shown (Chinese).
    pub label: String,
    /// Type and constraints.
    pub kind: FieldKind,
    /// Whether the form is incomplete without it.
    pub required: bool,
    /// Personal data: stored encrypted and shown masked (always so for ID numbers, phones and
    /// addresses).
    pub personal: bool,
    /// Where prefill may take the value from.
    pub prefill: Option<FieldSource>,
}

impl FormField {
    /// Whether the value is stored encrypted and shown masked.
    pub fn is_personal(&self) -> bool {
        self.personal || self.kind.always_personal()
    }
}

/// A fee (收费项目), in fen (分).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fee {
    /// What it is for.
    pub name: String,
    /// Amount in fen; 0 for free services listed for clarity.
    pub amount_fen: i64,
    /// The pricing document it rests on.
    pub basis: String,
}

/// One line printed on an item's e-licence: its label and the form field it takes its value from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenceLine {
    /// The printed label, `经营场所`.
    pub label: String,
    /// The form field code the value comes from.
    pub field: String,
}

/// The e-licence an item produces when a case is completed (办结), signed with the
/// department's seal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenceSpec {
    /// Licence type code, `individual-business-licence` (what other items' materials name).
    pub licence_type: String,
    /// The printed title, `个体工商户营业执照`.
    pub title: String,
    /// The form field holding the holder's name (person or organisation).
    pub holder_name_field: String,
    /// The form field holding the holder's 身份证号 or 统一社会信用代码.
    pub holder_id_field: String,
    /// The printed lines.
    pub lines: Vec<LicenceLine>,
    /// Years in force (`None`: no end date).
    pub valid_years: Option<u32>,
}

/// A service item (事项) as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceItem {
    /// Its id.
    pub id: ServiceItemId,
    /// 事项编码, unique.
    pub code: String,
    /// 事项名称.
    pub name: String,
    /// Its English name for English pages (empty: none yet, the Chinese name is shown).
    pub name_en: String,
    /// The responsible department.
    pub department: DeptRef,
    /// Its kind.
    pub item_type: ItemType,
    /// 设定依据.
    pub legal_basis: String,
    /// 受理条件.
    pub conditions: String,
    /// 申请材料.
    pub materials: Vec<Material>,
    /// The application form.
    pub fields: Vec<FormField>,
    /// 收费.
    pub fees: Vec<Fee>,
    /// 法定办结时限, working days.
    pub statutory_days: u32,
    /// 承诺办结时限, working days (≤ statutory).
    pub promised_days: u32,
    /// 到现场次数: 0 = fully online.
    pub visits: u32,
    /// Whether citizens may apply.
    pub active: bool,
    /// The e-licence a completed case produces, if any.
    pub licence: Option<LicenceSpec>,
    /// Topics the portal lists it under.
    pub topics: Vec<Topic>,
    /// Life events the portal lists it under.
    pub life_events: Vec<LifeEvent>,
    /// The workflow version new cases start on (0 = no workflow yet, cannot apply).
    pub workflow_version: u32,
    /// Created.
    pub created: Millis,
    /// Last changed.
    pub updated: Millis,
    /// Edit counter, for optimistic concurrency.
    pub version: u32,
}

impl ServiceItem {
    /// Whether the item takes applications: it is active and has a published workflow to run
    /// them through. The one rule the service list, the guide's 在线办理 button, bundles and
    /// submission all follow.
    pub fn takes_applications(&self) -> bool {
        self.active && self.workflow_version > 0
    }

    /// The fields an applicant answers by typing or choosing: every field but file fields,
    /// which are uploads.
    pub fn questions(&self) -> impl Iterator<Item = &FormField> {
        self.fields.iter().filter(|f| !matches!(f.kind, FieldKind::File))
    }
}

/// What a department administrator enters for an item (new or edited).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceItemInput {
    /// 事项编码: 2–40 letters, digits, `-` or `_`.
    pub code: String,
    /// 事项名称.
    pub name: String,
    /// Its English name (optional).
    #[serde(default)]
    pub name_en: String,
    /// The responsible department's path.
    pub department: DeptPath,
    /// Its kind.
    pub item_type: ItemType,
    /// 设定依据.
    pub legal_basis: String,
    /// 受理条件.
    pub conditions: String,
    /// 申请材料.
    pub materials: Vec<Material>,
    /// The application form.
    pub fields: Vec<FormField>,
    /// 收费.
    pub fees: Vec<Fee>,
    /// 法定办结时限, working days.
    pub statutory_days: u32,
    /// 承诺办结时限, working days.
    pub promised_days: u32,
    /// 到现场次数.
    pub visits: u32,
    /// Whether citizens may apply.
    pub active: bool,
    /// The e-licence a completed case produces, if any.
    #[serde(default)]
    pub licence: Option<LicenceSpec>,
    /// Topics the portal lists it under.
    #[serde(default)]
    pub topics: Vec<Topic>,
    /// Life events the portal lists it under.
    #[serde(default)]
    pub life_events: Vec<LifeEvent>,
}

coded_enum!(
    /// The kind of a workflow step.
    StepKind {
        /// 受理: accept, refuse, or ask for 补正.
        Accept = "accept", "受理", "Accept";
        /// 审查: review (会签 when several departments).
        Review = "review", "审查", "Review";
        /// 决定: approve or deny.
        Decide = "decide", "决定", "Decide";
        /// 办结: issue the result and close.
        Issue = "issue", "办结", "Issue";
    }
);

/// How a step with several assignees completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum SignMode {
    /// 会签: every assignee must agree.
    All,
    /// 或签: one agreeing assignee is enough.
    Any,
    /// At least `required` of the assignees must agree (e.g. 2 of 3).
    Ratio {
        /// Agreements needed.
        required: u32,
    },
}

impl SignMode {
    /// Agreements needed out of `n` assignees.
    pub fn required_of(self, n: u32) -> u32 {
        match self {
            SignMode::All => n,
            SignMode::Any => 1.min(n),
            SignMode::Ratio { required } => required.min(n),
        }
    }
}

/// One department and role a step is assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignee {
    /// The department.
    pub department: DeptRef,
    /// The role within it that acts.
    pub role: Role,
}

/// One step of a workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// What is done.
    pub kind: StepKind,
    /// Name shown (`初审`, `联合审查`).
    pub name: String,
    /// Who acts; several for a joint review.
    pub assignees: Vec<Assignee>,
    /// How a joint review completes (`All` for a single assignee).
    pub mode: SignMode,
    /// The step's own limit in working days, if any.
    pub limit_days: Option<u32>,
}

/// A version of an item's workflow; running cases keep the version they started on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Workflow {
    /// The item.
    pub item_id: ServiceItemId,
    /// 1, 2, …
    pub version: u32,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Who saved it.
    pub created_by: String,
    /// When.
    pub created: Millis,
}

/// One assignee as entered: a department path and a role code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssigneeInput {
    /// The department's path.
    pub department: String,
    /// The role code (`clerk`, `reviewer`, `approver`, `leader`, `dept_admin`).
    pub role: String,
}

/// One step as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepInput {
    /// What is done.
    pub kind: StepKind,
    /// Name shown; empty for the kind's name.
    pub name: String,
    /// Who acts.
    pub assignees: Vec<AssigneeInput>,
    /// How a joint review completes.
    pub mode: SignMode,
    /// The step's own limit in working days.
    pub limit_days: Option<u32>,
}
