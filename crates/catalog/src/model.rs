//! The catalog's public types: typed ids, the resource entry (政务信息资源目录 after GB/T 21063)
//! with its 信息项 fields and their quality rules, sharing and opening attributes, data versions,
//! and the views handed to callers.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tongban_kernel::{DeptPath, Millis, Page, define_id};

define_id!(
    /// A resource in the catalog.
    ResourceId
);
define_id!(
    /// A sharing request (共享申请).
    RequestId
);
define_id!(
    /// A grant of access (共享授权).
    GrantId
);

coded_enum!(
    /// 资源类型 (GB/T 21063.4): which part of the catalog a resource belongs to.
    ResourceClass {
        /// 基础信息资源: population, legal persons, geography, economy.
        Basic = "basic", "基础信息资源", "Basic";
        /// 主题信息资源: cross-department themes (health, social security, credit…).
        Thematic = "thematic", "主题信息资源", "Thematic";
        /// 部门信息资源: one department's own information.
        Departmental = "departmental", "部门信息资源", "Departmental";
    }
);

coded_enum!(
    /// How the data is delivered.
    ResourceFormat {
        /// 数据库表: rows with typed columns (the pool's Parquet tables).
        Table = "table", "数据表", "Table";
        /// 文件: documents, images, archives.
        File = "file", "文件", "File";
        /// 接口: served by the provider's own API.
        Api = "api", "接口", "API";
    }
);

coded_enum!(
    /// The type of a 信息项's values.
    DataType {
        /// Text.
        String = "string", "字符型", "String";
        /// Whole number.
        Integer = "integer", "整数型", "Integer";
        /// Decimal number.
        Decimal = "decimal", "数值型", "Decimal";
        /// Calendar date, Y-m-d.
        Date = "date", "日期型", "Date";
        /// Date and time.
        DateTime = "datetime", "日期时间型", "Date and time";
        /// Yes or no.
        Boolean = "boolean", "布尔型", "Boolean";
    }
);

coded_enum!(
    /// How sensitive a 信息项 is: decides masking and what the open catalog may describe.
    Sensitivity {
        /// 公开: may be shown to anyone.
        Public = "public", "公开", "Public";
        /// 内部: for government use only.
        Internal = "internal", "内部", "Internal";
        /// 个人信息: personal data; masked unless a grant allows it in clear.
        Personal = "personal", "个人信息", "Personal";
    }
);

coded_enum!(
    /// 共享属性: whether and how other departments may use the resource.
    SharingClass {
        /// 无条件共享: granted at once on request.
        Unconditional = "unconditional", "无条件共享", "Unconditional";
        /// 有条件共享: reviewed by the data authority, then decided by the provider.
        Conditional = "conditional", "有条件共享", "Conditional";
        /// 不予共享: refused, citing the legal basis.
        NotShared = "none", "不予共享", "Not shared";
    }
);

coded_enum!(
    /// 开放属性: whether the public may download the data.
    OpenClass {
        /// 无条件开放.
        Open = "open", "无条件开放", "Open";
        /// 有条件开放.
        Conditional = "conditional", "有条件开放", "Conditional";
        /// 不予开放.
        NotOpen = "not_open", "不予开放", "Not open";
    }
);

coded_enum!(
    /// 更新周期: how often the provider refreshes the data.
    UpdateCycle {
        /// 实时.
        Realtime = "realtime", "实时", "Real time";
        /// 每日.
        Daily = "daily", "每日", "Daily";
        /// 每周.
        Weekly = "weekly", "每周", "Weekly";
        /// 每月.
        Monthly = "monthly", "每月", "Monthly";
        /// 每季度.
        Quarterly = "quarterly", "每季度", "Quarterly";
        /// 每年.
        Yearly = "yearly", "每年", "Yearly";
        /// 不定期.
        Irregular = "irregular", "不定期", "Irregular";
    }
);

coded_enum!(
    /// Where a resource stands in its life.
    ResourceStatus {
        /// 草稿: being catalogued; seen only inside the provider's subtree.
        Draft = "draft", "草稿", "Draft";
        /// 已发布: in the catalog, requestable.
        Published = "published", "已发布", "Published";
        /// 已下线: no longer shared; its grants stop counting.
        Retired = "retired", "已下线", "Retired";
    }
);

/// A department as the catalog records it. The catalog never reads identity's tables: the caller
/// fills this from identity (`Department.id`, `.path`, `.name_zh`). Paths never change in
/// identity, so the catalog matches departments by path; the id is kept for display and links.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeptRef {
    /// Identity's department id (UUID text).
    pub id: String,
    /// Place in the org tree, `/3301/3301-GA/`.
    pub path: DeptPath,
    /// Chinese name at the time of recording (shown as the DCAT publisher).
    pub name_zh: String,
}

impl DeptRef {
    /// The department's code: the last segment of its path (`3301-GA`).
    pub fn code(&self) -> &str {
        dept_code(&self.path)
    }
}

/// The code of the department a path names (its last segment).
pub fn dept_code(path: &DeptPath) -> &str {
    path.as_str()
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
}

/// 资源分类 (GB/T 21063.4): the class and the 类/项/目 codes within it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    /// 基础 / 主题 / 部门.
    pub class: ResourceClass,
    /// 类 code (required), 1–8 letters or digits.
    pub category: String,
    /// 项 code, may be empty.
    #[serde(default)]
    pub item: String,
    /// 目 code, may be empty (only with an item).
    #[serde(default)]
    pub detail: String,
}

/// A quality rule the pool checks on every ingested version of a field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum QualityRule {
    /// 非空: every row has a value.
    Required,
    /// 唯一: no two rows share a value.
    Unique,
    /// 值域: numeric bounds, inclusive (integer and decimal fields only).
    Range {
        /// Lowest allowed value.
        #[serde(default)]
        min: Option<f64>,
        /// Highest allowed value.
        #[serde(default)]
        max: Option<f64>,
    },
    /// 格式: a regular expression the whole value must match (string fields only).
    Regex {
        /// The pattern (Rust `regex` syntax; the pool compiles it).
        pattern: String,
    },
    /// 代码表: the value is one of a fixed list.
    Enumeration {
        /// Allowed values.
        values: Vec<String>,
    },
    /// 关联: the value exists in another resource's field.
    Reference {
        /// The other resource's code.
        resource_code: String,
        /// The field there.
        field_code: String,
    },
}

impl QualityRule {
    /// The rule's code (`required`, `range`, …).
    pub fn code(&self) -> &'static str {
        match self {
            QualityRule::Required => "required",
            QualityRule::Unique => "unique",
            QualityRule::Range { .. } => "range",
            QualityRule::Regex { .. } => "regex",
            QualityRule::Enumeration { .. } => "enumeration",
            QualityRule::Reference { .. } => "reference",
        }
    }
}

/// 信息项: one field (column) of a resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceField {
    /// Identifier usable as a SQL column: `[a-z][a-z0-9_]{0,62}`, not a SQL keyword.
    pub code: String,
    /// 中文名称.
    pub name_zh: String,
    /// Type of its values.
    pub data_type: DataType,
    /// What it means (may be empty).
    #[serde(default)]
    pub description: String,
    /// Public, internal or personal.
    pub sensitivity: Sensitivity,
    /// Part of the row key that version diffs match rows by.
    #[serde(default)]
    pub is_key: bool,
    /// Quality rules, at most one of each kind.
    #[serde(default)]
    pub rules: Vec<QualityRule>,
    /// The pool's standardizer for this field (`id_number`, `date`, `phone`, `gender`, …).
    #[serde(default)]
    pub standardizer: Option<String>,
}

/// 共享属性 with its condition and legal basis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharingTerms {
    /// Unconditional, conditional or not shared.
    pub class: SharingClass,
    /// 共享条件: required for conditional sharing.
    #[serde(default)]
    pub condition: String,
    /// 依据: the law or policy behind a condition or a refusal; required unless unconditional.
    #[serde(default)]
    pub legal_basis: String,
}

/// What a caller gives to create or edit a resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceInput {
    /// Unique code, e.g. `9901-GA-0001`: letters, digits and `-`, stored in upper case.
    pub code: String,
    /// 资源名称.
    pub name_zh: String,
    /// English name (may be empty).
    #[serde(default)]
    pub name_en: String,
    /// 提供方: the providing department.
    pub provider: DeptRef,
    /// 资源摘要.
    pub summary: String,
    /// 资源分类.
    pub classification: Classification,
    /// Table, file or API.
    pub format: ResourceFormat,
    /// 信息项, at least one, codes unique.
    pub fields: Vec<ResourceField>,
    /// 共享属性.
    pub sharing: SharingTerms,
    /// 开放属性.
    pub open_class: OpenClass,
    /// 更新周期.
    pub update_cycle: UpdateCycle,
    /// 关联资源: codes of related resources.
    #[serde(default)]
    pub related: Vec<String>,
    /// Keywords for search and the DCAT export.
    #[serde(default)]
    pub keywords: Vec<String>,
}

/// A resource in the catalog.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resource {
    /// Row id.
    pub id: ResourceId,
    /// Unique code (upper case).
    pub code: String,
    /// 资源名称.
    pub name_zh: String,
    /// English name (may be empty).
    pub name_en: String,
    /// 提供方.
    pub provider: DeptRef,
    /// 资源摘要.
    pub summary: String,
    /// 资源分类.
    pub classification: Classification,
    /// Table, file or API.
    pub format: ResourceFormat,
    /// 信息项.
    pub fields: Vec<ResourceField>,
    /// 共享属性.
    pub sharing: SharingTerms,
    /// 开放属性.
    pub open_class: OpenClass,
    /// 更新周期.
    pub update_cycle: UpdateCycle,
    /// 发布日期: the day it was first published.
    pub published_on: Option<Date>,
    /// 关联资源 codes.
    pub related: Vec<String>,
    /// Keywords.
    pub keywords: Vec<String>,
    /// The latest data version on the platform; 0 while the platform holds no data.
    pub current_version: u32,
    /// Draft, published or retired.
    pub status: ResourceStatus,
    /// Catalog-entry revision: 1 when created, +1 on every edit, publication or retirement
    /// (data versions are counted separately in `current_version`).
    pub revision: u32,
    /// When it was created.
    pub created: Millis,
    /// When the entry last changed.
    pub updated: Millis,
}

impl Resource {
    /// The field with `code`.
    pub fn field(&self, code: &str) -> Option<&ResourceField> {
        self.fields.iter().find(|f| f.code == code)
    }

    /// The input that would recreate this entry (to pre-fill an edit form).
    pub fn to_input(&self) -> ResourceInput {
        ResourceInput {
            code: self.code.clone(),
            name_zh: self.name_zh.clone(),
            name_en: self.name_en.clone(),
            provider: self.provider.clone(),
            summary: self.summary.clone(),
            classification: self.classification.clone(),
            format: self.format,
            fields: self.fields.clone(),
            sharing: self.sharing.clone(),
            open_class: self.open_class,
            update_cycle: self.update_cycle,
            related: self.related.clone(),
            keywords: self.keywords.clone(),
        }
    }
}

/// One stored revision of a catalog entry (its full content after the change).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceRevision {
    /// The revision number.
    pub revision: u32,
    /// The event action that made it (`catalog.resource.updated`, …).
    pub action: String,
    /// The entry as it stood after the change.
    pub snapshot: serde_json::Value,
    /// Who made it (principal id).
    pub actor_id: String,
    /// When.
    pub at: Millis,
}

/// What the pool reports when it has stored a new immutable data version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewVersion {
    /// Must be the resource's current version + 1.
    pub version: u32,
    /// Rows in the version.
    pub row_count: u64,
    /// Share of values passing the quality rules, 0..=1.
    pub quality_score: f64,
    /// Summary of changes against the previous version (`{"added": n, "removed": n, …}`).
    pub diff: serde_json::Value,
}

/// A data version recorded in the catalog.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceVersion {
    /// The resource.
    pub resource_id: ResourceId,
    /// Version number, from 1.
    pub version: u32,
    /// Rows in the version.
    pub row_count: u64,
    /// Quality score, 0..=1.
    pub quality_score: f64,
    /// Change summary against the previous version.
    pub diff: serde_json::Value,
    /// Who recorded it (principal id).
    pub recorded_by: String,
    /// When.
    pub created: Millis,
}

/// Filters for [`crate::Catalog::list_resources`]; every filter is optional.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ResourceFilter {
    /// Text in the code, name or summary (case-insensitive).
    pub text: Option<String>,
    /// Providers inside this subtree.
    pub provider: Option<DeptPath>,
    /// Sharing class.
    pub sharing_class: Option<SharingClass>,
    /// Open class.
    pub open_class: Option<OpenClass>,
    /// Status.
    pub status: Option<ResourceStatus>,
    /// Resource class.
    pub class: Option<ResourceClass>,
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

/// A field as the open catalog shows it: descriptions only for public fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenField {
    /// Field code.
    pub code: String,
    /// 中文名称.
    pub name_zh: String,
    /// Type of its values.
    pub data_type: DataType,
    /// Its sensitivity (internal and personal fields are marked, not described).
    pub sensitivity: Sensitivity,
    /// The description, for public fields only.
    pub description: Option<String>,
}

/// A published, openly licensed resource as anyone may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenResource {
    /// Unique code.
    pub code: String,
    /// 资源名称.
    pub name_zh: String,
    /// English name (may be empty).
    pub name_en: String,
    /// Provider's department code.
    pub provider_code: String,
    /// Provider's name.
    pub provider_name: String,
    /// 资源摘要.
    pub summary: String,
    /// 资源分类.
    pub classification: Classification,
    /// Table, file or API.
    pub format: ResourceFormat,
    /// 更新周期.
    pub update_cycle: UpdateCycle,
    /// 发布日期.
    pub published_on: Option<Date>,
    /// Keywords.
    pub keywords: Vec<String>,
    /// Latest data version (0: no data yet).
    pub current_version: u32,
    /// When the entry last changed.
    pub updated: Millis,
    /// The field list.
    pub fields: Vec<OpenField>,
}

impl OpenResource {
    pub(crate) fn of(r: &Resource) -> Self {
        OpenResource {
            code: r.code.clone(),
            name_zh: r.name_zh.clone(),
            name_en: r.name_en.clone(),
            provider_code: r.provider.code().to_string(),
            provider_name: r.provider.name_zh.clone(),
            summary: r.summary.clone(),
            classification: r.classification.clone(),
            format: r.format,
            update_cycle: r.update_cycle,
            published_on: r.published_on,
            keywords: r.keywords.clone(),
            current_version: r.current_version,
            updated: r.updated,
            fields: r
                .fields
                .iter()
                .map(|f| OpenField {
                    code: f.code.clone(),
                    name_zh: f.name_zh.clone(),
                    data_type: f.data_type,
                    sensitivity: f.sensitivity,
                    description: (f.sensitivity == Sensitivity::Public && !f.description.is_empty())
                        .then(|| f.description.clone()),
                })
                .collect(),
        }
    }
}
