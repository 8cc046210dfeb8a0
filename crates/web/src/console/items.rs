//! 事项管理 in the console: department administrators (`manage_service_items`) list their
//! departments' service items, create one, edit its guide, materials, form fields, fees and
//! e-licence, and save new versions of its workflow. Everything is one plain form per page —
//! lists are rows of inputs with blank rows to add more (and a button for further rows), no
//! JavaScript. The hall checks everything and names the bad field; the page puts the message
//! against the row's input. Workflow saves are new versions: running cases keep theirs.

use crate::AppState;
use crate::context::{CsrfForm, Ctx};
use crate::errors::{hall_field, hall_page};
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use std::collections::HashMap;
use tongban_hall::{
    AssigneeInput, ChoiceOption, Fee, FieldKind, FieldSource, FormField, ItemType, LicenceLine, LicenceSpec,
    LifeEvent, Material, MaterialSource, ServiceItem, ServiceItemInput, SignMode, StepInput, StepKind, Topic,
};
use tongban_kernel::{DeptPath, Permission, Principal};

/// Blank rows offered under each list, and how many more the "more rows" button adds.
const BLANK_ROWS: usize = 2;

/// An editor page as posted: its inputs by name, most of them in numbered rows (`m3_code`,
/// `f1_label`, `fee0_amount`, `s2_d1`), as many rows as the page offered, so the names are only
/// known from the rows.
#[derive(Deserialize)]
#[serde(transparent)]
pub(super) struct Posted(HashMap<String, String>);

/// Posted form values by input name, with the number of rows of each list.
#[derive(Debug, Clone, Default)]
struct Values {
    map: HashMap<String, String>,
    /// Rows per list prefix (`m` materials, `f` form fields, `fee` fees, `s` steps).
    rows: HashMap<&'static str, usize>,
}

impl Values {
    fn from_posted(Posted(map): Posted, prefixes: &[&'static str]) -> Values {
        let mut rows = HashMap::new();
        for p in prefixes {
            let n = map
                .keys()
                .filter_map(|k| row_of(k, p))
                .map(|i| i + 1)
                .max()
                .unwrap_or(0);
            rows.insert(*p, n);
        }
        Values { map, rows }
    }

    fn v(&self, k: &str) -> &str {
        self.map.get(k).map_or("", |s| s.as_str())
    }

    fn set(&mut self, k: impl Into<String>, v: impl Into<String>) {
        self.map.insert(k.into(), v.into());
    }

    fn on(&self, k: &str) -> bool {
        self.v(k) == "1"
    }

    fn rows(&self, p: &str) -> usize {
        self.rows.get(p).copied().unwrap_or(0)
    }

    fn add_rows(&mut self, p: &'static str, n: usize) {
        *self.rows.entry(p).or_insert(0) += n;
    }

    fn r(&self, p: &str, i: usize, k: &str) -> &str {
        self.v(&format!("{p}{i}_{k}"))
    }
}

/// The row number of input `key` in list `prefix` (`m3_code` → 3 for `m`).
fn row_of(key: &str, prefix: &str) -> Option<usize> {
    let rest = key.strip_prefix(prefix)?;
    let (n, _) = rest.split_once('_')?;
    n.parse().ok()
}

/// The rows of list `p` that hold anything besides the unchecked defaults, in order.
fn filled(v: &Values, p: &str, keys: &[&str]) -> Vec<usize> {
    (0..v.rows(p))
        .filter(|i| keys.iter().any(|k| !v.r(p, *i, k).trim().is_empty()))
        .collect()
}

/// Where a hall field name (`materials[2].source.resource`) is on the page: the input of the
/// row the domain's index came from.
fn input_of(field: &str, lists: &[(&str, &str, &[usize])]) -> String {
    for (domain, prefix, rows) in lists {
        let Some(rest) = field.strip_prefix(&format!("{domain}[")) else {
            continue;
        };
        let Some((n, tail)) = rest.split_once(']') else {
            continue;
        };
        let row = n
            .parse::<usize>()
            .ok()
            .and_then(|n| rows.get(n).copied())
            .unwrap_or(0);
        let sub = tail
            .trim_start_matches('.')
            .split(['.', '['])
            .next()
            .unwrap_or_default();
        let input = match (*prefix, sub) {
            ("m", "source") => "from",
            ("f", "kind") => "spec",
            ("fee", "amount_fen") => "amount",
            ("s", "assignees") => "assignees",
            ("s", "limit_days") => "limit",
            // A sign-off mode is refused for its count of agreements.
            ("s", "mode") => "required",
            (_, "") => "code",
            (_, s) => s,
        };
        let input = if *prefix == "s" && input == "code" {
            "kind"
        } else {
            input
        };
        return format!("{prefix}{row}_{input}");
    }
    match field {
        "licence.licence_type" => "lic_type".into(),
        "licence.title" => "lic_title".into(),
        "licence.holder_name_field" => "lic_holder_name".into(),
        "licence.holder_id_field" => "lic_holder_id".into(),
        "licence.valid_years" => "lic_years".into(),
        f if f.starts_with("licence.lines") => "lic_lines".into(),
        "steps" => "s0_kind".into(),
        "materials" => "m0_code".into(),
        "fields" => "f0_code".into(),
        "fees" => "fee0_name".into(),
        f => f.to_string(),
    }
}

/// May the signed-in member of staff manage items somewhere? Otherwise the pages (items and
/// bundles) are refused.
pub(super) fn require_manager(ctx: &Ctx) -> Result<Principal, PageError> {
    let user = ctx.require_staff()?;
    if user.principal.allows_somewhere(Permission::ManageServiceItems) {
        Ok(user.principal.clone())
    } else {
        Err(PageError::Forbidden(
            "需要事项管理权限 / service item management rights required".into(),
        ))
    }
}

/// The departments `p` manages items for: (path, name).
async fn managed_departments(state: &AppState, p: &Principal) -> Result<Vec<(String, String)>, PageError> {
    super::department_choices(
        state,
        |d| p.allows(Permission::ManageServiceItems, Some(&d.path)),
        |d| d.path.0.clone(),
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// The list.

struct ItemRow {
    code: String,
    name: crate::markup::Named,
    department: String,
    kind: String,
    active: bool,
    workflow: u32,
}

#[derive(Template)]
#[template(path = "console/items.html")]
struct ItemsPage {
    c: Chrome,
    items: Vec<ItemRow>,
}

/// `GET /console/items`.
pub(super) async fn list(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let p = require_manager(&ctx)?;
    let t = ctx.t();
    let items = state.hall.items(None, true).await?;
    let depts = crate::page::DeptNames::load(&state, t).await?;
    Ok(render(&ItemsPage {
        c: ctx.chrome(t.s("items.title")),
        items: items
            .into_iter()
            .filter(|i| p.allows(Permission::ManageServiceItems, Some(&i.department.path)))
            .map(|i| ItemRow {
                kind: t.pick(i.item_type.name_zh(), i.item_type.name_en()).to_string(),
                name: t.name(&i.name, &i.name_en),
                code: i.code,
                department: depts.of(i.department.path.as_str(), &i.department.name_zh),
                active: i.active,
                workflow: i.workflow_version,
            })
            .collect(),
    }))
}

// ---------------------------------------------------------------------------------------------
// The item editor.

#[derive(Template)]
#[template(path = "console/item_edit.html")]
struct EditPage {
    c: Chrome,
    /// Where the form posts.
    action: String,
    /// The item's code when editing (empty for a new one).
    code: String,
    /// The edit counter the form was read at.
    version: u32,
    workflow_version: u32,
    departments: Vec<(String, String)>,
    types: Vec<(&'static str, String)>,
    sources: Vec<(&'static str, String)>,
    kinds: Vec<(&'static str, String)>,
    /// (input name, label) of each topic and life event checkbox.
    topics: Vec<(String, String)>,
    events: Vec<(String, String)>,
    f: Values,
}

impl EditPage {
    fn v(&self, k: &str) -> &str {
        self.f.v(k)
    }

    fn on(&self, k: &str) -> bool {
        self.f.on(k)
    }

    fn r(&self, p: &str, i: &usize, k: &str) -> &str {
        self.f.r(p, *i, k)
    }

    fn rows(&self, p: &str) -> Vec<usize> {
        (0..self.f.rows(p)).collect()
    }

    /// Whether any input of row `i` of list `p` has an error.
    fn row_err(&self, p: &str, i: &usize) -> bool {
        let start = format!("{p}{i}_");
        self.c.errors.iter().any(|e| e.field.starts_with(&start))
    }
}

const FIELD_KINDS: [(&str, &str, &str); 9] = [
    ("text", "文本", "Text"),
    ("number", "数字", "Number"),
    ("date", "日期", "Date"),
    ("past_date", "日期（不晚于今天）", "Date (not later than today)"),
    ("choice", "选项", "Choice"),
    ("id_number", "身份证号", "ID number"),
    ("phone", "电话", "Phone"),
    ("address", "地址", "Address"),
    ("file", "文件", "File"),
];

const SOURCES: [(&str, &str, &str); 3] = [
    ("upload", "申请人上传", "Uploaded by the applicant"),
    ("shared", "共享数据（免提交）", "Shared data (not handed in)"),
    ("licence", "电子证照（免提交）", "E-licence (not handed in)"),
];

/// The form values showing `i`.
fn item_values(i: &ServiceItem) -> Values {
    let mut f = Values::default();
    f.set("code", &i.code);
    f.set("name", &i.name);
    f.set("name_en", &i.name_en);
    f.set("department", i.department.path.as_str());
    f.set("item_type", i.item_type.code());
    f.set("legal_basis", &i.legal_basis);
    f.set("conditions", &i.conditions);
    f.set("statutory_days", i.statutory_days.to_string());
    f.set("promised_days", i.promised_days.to_string());
    f.set("visits", i.visits.to_string());
    if i.active {
        f.set("active", "1");
    }
    for t in &i.topics {
        f.set(format!("topic_{}", t.code()), "1");
    }
    for e in &i.life_events {
        f.set(format!("event_{}", e.code()), "1");
    }
    for (n, m) in i.materials.iter().enumerate() {
        f.set(format!("m{n}_code"), &m.code);
        f.set(format!("m{n}_name"), &m.name);
        if m.required {
            f.set(format!("m{n}_required"), "1");
        }
        let (source, from) = match &m.source {
            MaterialSource::Upload => ("upload", String::new()),
            MaterialSource::SharedField { resource, field } => ("shared", format!("{resource}.{field}")),
            MaterialSource::Licence { licence_type } => ("licence", licence_type.clone()),
        };
        f.set(format!("m{n}_source"), source);
        f.set(format!("m{n}_from"), from);
    }
    for (n, x) in i.fields.iter().enumerate() {
        f.set(format!("f{n}_code"), &x.code);
        f.set(format!("f{n}_label"), &x.label);
        f.set(format!("f{n}_kind"), x.kind.code());
        let spec = match &x.kind {
            FieldKind::Text { max_chars } => max_chars.to_string(),
            FieldKind::Number { min, max } => format!(
                "{}..{}",
                min.map(|v| v.to_string()).unwrap_or_default(),
                max.map(|v| v.to_string()).unwrap_or_default()
            ),
            FieldKind::Choice { options } => options
                .iter()
                .map(|o| format!("{}={}", o.value, o.label))
                .collect::<Vec<_>>()
                .join("|"),
            _ => String::new(),
        };
        f.set(format!("f{n}_spec"), spec);
        if x.required {
            f.set(format!("f{n}_required"), "1");
        }
        // Shown as applied: an ID number, phone or address is personal whatever was stored.
        if x.is_personal() {
            f.set(format!("f{n}_personal"), "1");
        }
        if let Some(p) = &x.prefill {
            f.set(format!("f{n}_prefill"), format!("{}.{}", p.resource, p.field));
        }
    }
    for (n, fee) in i.fees.iter().enumerate() {
        f.set(format!("fee{n}_name"), &fee.name);
        f.set(format!("fee{n}_amount"), yuan(fee.amount_fen));
        f.set(format!("fee{n}_basis"), &fee.basis);
    }
    if let Some(l) = &i.licence {
        f.set("lic_type", &l.licence_type);
        f.set("lic_title", &l.title);
        f.set("lic_holder_name", &l.holder_name_field);
        f.set("lic_holder_id", &l.holder_id_field);
        f.set(
            "lic_lines",
            l.lines
                .iter()
                .map(|x| format!("{}={}", x.label, x.field))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        f.set(
            "lic_years",
            l.valid_years.map(|y| y.to_string()).unwrap_or_default(),
        );
    }
    f.rows.insert("m", i.materials.len() + BLANK_ROWS);
    f.rows.insert("f", i.fields.len() + BLANK_ROWS);
    f.rows.insert("fee", i.fees.len() + BLANK_ROWS);
    f
}

/// Fen as yuan text (`1250` → `12.50`, `300` → `3`).
fn yuan(fen: i64) -> String {
    if fen % 100 == 0 {
        (fen / 100).to_string()
    } else {
        format!("{}.{:02}", fen / 100, fen % 100)
    }
}

/// Yuan text as fen: digits with at most two decimals.
fn fen(text: &str) -> Option<i64> {
    let t = text.trim();
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty() || frac.len() > 2 || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().ok()?
    };
    whole.checked_mul(100)?.checked_add(frac)
}

/// A field prefilled from personal data in the catalog (a name in the household register) is
/// personal here too: stored encrypted and shown masked, whether or not the box was ticked.
async fn mark_personal_sources(state: &AppState, fields: &mut [FormField]) {
    for field in fields.iter_mut().filter(|f| !f.personal) {
        let Some(source) = &field.prefill else { continue };
        if let Ok(resource) = state.catalog.resource_by_code_cached(&source.resource).await
            && resource
                .fields
                .iter()
                .any(|x| x.code == source.field && x.sensitivity == tongban_catalog::Sensitivity::Personal)
        {
            field.personal = true;
        }
    }
}

/// `resource.field` split at its last dot.
fn source_ref(text: &str) -> Option<(String, String)> {
    let (r, f) = text.trim().rsplit_once('.')?;
    (!r.trim().is_empty() && !f.trim().is_empty()).then(|| (r.trim().to_string(), f.trim().to_string()))
}

/// What the posted form says, or the inputs that cannot be read (before the hall sees it).
/// Also returns the rows the domain's list indexes came from.
struct Parsed {
    input: ServiceItemInput,
    materials: Vec<usize>,
    fields: Vec<usize>,
    fees: Vec<usize>,
}

fn parse_item(f: &Values, errors: &mut Vec<(String, String)>) -> Parsed {
    let mut bad = |field: String, msg: &str| errors.push((field, msg.to_string()));
    let number = |k: &str, bad: &mut dyn FnMut(String, &str)| -> u32 {
        match f.v(k).trim().parse() {
            Ok(n) => n,
            Err(_) => {
                bad(k.into(), "应为整数 / must be a whole number");
                0
            }
        }
    };
    let item_type = ItemType::parse(f.v("item_type")).unwrap_or_else(|| {
        bad("item_type".into(), "请选择事项类型 / choose the kind of item");
        ItemType::Other
    });
    let statutory_days = number("statutory_days", &mut bad);
    let promised_days = number("promised_days", &mut bad);
    let visits = number("visits", &mut bad);

    let materials = filled(f, "m", &["code", "name"]);
    let material_list = materials
        .iter()
        .map(|&i| {
            let from = f.r("m", i, "from");
            let source = match f.r("m", i, "source") {
                "shared" => match source_ref(from) {
                    Some((resource, field)) => MaterialSource::SharedField { resource, field },
                    None => {
                        bad(
                            format!("m{i}_from"),
                            "共享数据应写作 资源编码.字段编码 / shared data is written resource.field",
                        );
                        MaterialSource::Upload
                    }
                },
                "licence" => MaterialSource::Licence {
                    licence_type: from.trim().to_string(),
                },
                _ => MaterialSource::Upload,
            };
            Material {
                code: f.r("m", i, "code").trim().to_string(),
                name: f.r("m", i, "name").to_string(),
                required: f.r("m", i, "required") == "1",
                source,
            }
        })
        .collect();

    let fields = filled(f, "f", &["code", "label"]);
    let field_list = fields
        .iter()
        .map(|&i| {
            let spec = f.r("f", i, "spec").trim();
            let spec_field = format!("f{i}_spec");
            let kind = match f.r("f", i, "kind") {
                "text" => FieldKind::Text {
                    max_chars: if spec.is_empty() {
                        100
                    } else {
                        spec.parse().unwrap_or_else(|_| {
                            bad(
                                spec_field.clone(),
                                "文本应填写最大字数 / give the longest text in characters",
                            );
                            100
                        })
                    },
                },
                "number" => {
                    let (lo, hi) = spec.split_once("..").unwrap_or((spec, ""));
                    let mut bound = |s: &str| -> Option<f64> {
                        let s = s.trim();
                        if s.is_empty() {
                            return None;
                        }
                        s.parse()
                            .map_err(|_| {
                                bad(
                                    spec_field.clone(),
                                    "范围应写作 最小..最大 / write the range as min..max",
                                )
                            })
                            .ok()
                    };
                    FieldKind::Number {
                        min: bound(lo),
                        max: bound(hi),
                    }
                }
                "date" => FieldKind::Date,
                "past_date" => FieldKind::PastDate,
                "choice" => FieldKind::Choice {
                    options: spec
                        .split('|')
                        .filter(|o| !o.trim().is_empty())
                        .map(|o| {
                            let (value, label) = o.split_once('=').unwrap_or((o, o));
                            ChoiceOption {
                                value: value.trim().to_string(),
                                label: label.trim().to_string(),
                            }
                        })
                        .collect(),
                },
                "id_number" => FieldKind::IdNumber,
                "phone" => FieldKind::Phone,
                "address" => FieldKind::Address,
                "file" => FieldKind::File,
                _ => {
                    bad(format!("f{i}_kind"), "请选择字段类型 / choose the field's type");
                    FieldKind::Text { max_chars: 100 }
                }
            };
            let prefill_text = f.r("f", i, "prefill");
            let prefill = if prefill_text.trim().is_empty() {
                None
            } else {
                match source_ref(prefill_text) {
                    Some((resource, field)) => Some(FieldSource { resource, field }),
                    None => {
                        bad(
                            format!("f{i}_prefill"),
                            "预填来源应写作 资源编码.字段编码 / the prefill source is written resource.field",
                        );
                        None
                    }
                }
            };
            FormField {
                code: f.r("f", i, "code").trim().to_string(),
                label: f.r("f", i, "label").to_string(),
                kind,
                required: f.r("f", i, "required") == "1",
                personal: f.r("f", i, "personal") == "1",
                prefill,
            }
        })
        .collect();

    let fees = filled(f, "fee", &["name", "amount"]);
    let fee_list = fees
        .iter()
        .map(|&i| Fee {
            name: f.r("fee", i, "name").to_string(),
            amount_fen: fen(f.r("fee", i, "amount")).unwrap_or_else(|| {
                bad(
                    format!("fee{i}_amount"),
                    "金额应为元，如 12.50 / the amount is in yuan, e.g. 12.50",
                );
                0
            }),
            basis: f.r("fee", i, "basis").to_string(),
        })
        .collect();

    let licence = if f.v("lic_type").trim().is_empty() {
        None
    } else {
        let lines = f
            .v("lic_lines")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let (label, field) = l.split_once('=').unwrap_or((l, ""));
                LicenceLine {
                    label: label.trim().to_string(),
                    field: field.trim().to_string(),
                }
            })
            .collect();
        let years = f.v("lic_years").trim();
        let valid_years = if years.is_empty() {
            None
        } else {
            years
                .parse()
                .map_err(|_| {
                    bad(
                        "lic_years".into(),
                        "有效年限应为整数 / the validity is a whole number of years",
                    )
                })
                .ok()
        };
        Some(LicenceSpec {
            licence_type: f.v("lic_type").to_string(),
            title: f.v("lic_title").to_string(),
            holder_name_field: f.v("lic_holder_name").to_string(),
            holder_id_field: f.v("lic_holder_id").to_string(),
            lines,
            valid_years,
        })
    };

    Parsed {
        input: ServiceItemInput {
            code: f.v("code").to_string(),
            name: f.v("name").to_string(),
            name_en: f.v("name_en").to_string(),
            department: DeptPath(f.v("department").to_string()),
            item_type,
            legal_basis: f.v("legal_basis").to_string(),
            conditions: f.v("conditions").to_string(),
            materials: material_list,
            fields: field_list,
            fees: fee_list,
            statutory_days,
            promised_days,
            visits,
            active: f.on("active"),
            licence,
            topics: Topic::ALL
                .iter()
                .copied()
                .filter(|t| f.on(&format!("topic_{}", t.code())))
                .collect(),
            life_events: LifeEvent::ALL
                .iter()
                .copied()
                .filter(|e| f.on(&format!("event_{}", e.code())))
                .collect(),
        },
        materials,
        fields,
        fees,
    }
}

async fn edit_page(
    state: &AppState,
    ctx: &Ctx,
    p: &Principal,
    c: Chrome,
    item: Option<&ServiceItem>,
    f: Values,
) -> PageResult {
    let t = ctx.t();
    let failed = !c.errors.is_empty();
    let mut resp = render(&EditPage {
        c,
        action: item.map_or_else(
            || "/console/items/new".to_string(),
            |i| format!("/console/items/{}", i.code),
        ),
        code: item.map(|i| i.code.clone()).unwrap_or_default(),
        version: item.map_or(0, |i| i.version),
        workflow_version: item.map_or(0, |i| i.workflow_version),
        departments: managed_departments(state, p).await?,
        types: ItemType::ALL
            .iter()
            .map(|k| (k.code(), t.pick(k.name_zh(), k.name_en()).to_string()))
            .collect(),
        sources: SOURCES
            .iter()
            .map(|(c, zh, en)| (*c, t.pick(zh, en).to_string()))
            .collect(),
        kinds: FIELD_KINDS
            .iter()
            .map(|(c, zh, en)| (*c, t.pick(zh, en).to_string()))
            .collect(),
        topics: Topic::ALL
            .iter()
            .map(|x| {
                (
                    format!("topic_{}", x.code()),
                    t.pick(x.name_zh(), x.name_en()).to_string(),
                )
            })
            .collect(),
        events: LifeEvent::ALL
            .iter()
            .map(|x| {
                (
                    format!("event_{}", x.code()),
                    t.pick(x.name_zh(), x.name_en()).to_string(),
                )
            })
            .collect(),
        f,
    });
    if failed {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

/// `GET /console/items/new`.
pub(super) async fn new_item(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let p = require_manager(&ctx)?;
    let mut f = Values::default();
    f.set("item_type", ItemType::PublicService.code());
    f.set("statutory_days", "20");
    f.set("promised_days", "10");
    f.set("visits", "0");
    for p in ["m", "f", "fee"] {
        f.add_rows(p, BLANK_ROWS + 1);
    }
    let c = ctx.chrome(ctx.t().s("items.new"));
    edit_page(&state, &ctx, &p, c, None, f).await
}

/// `GET /console/items/{code}`.
pub(super) async fn edit_item(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> PageResult {
    let p = require_manager(&ctx)?;
    let item = match state.hall.item_by_code(&code).await {
        Ok(i) if p.allows(Permission::ManageServiceItems, Some(&i.department.path)) => i,
        Ok(_) => {
            return Err(PageError::Forbidden(
                "只能管理本部门的事项 / only your departments' items".into(),
            ));
        }
        Err(e) => return Err(hall_page(e)),
    };
    let c = ctx.chrome(ctx.t().pick(&item.name, &item.name_en));
    edit_page(&state, &ctx, &p, c, Some(&item), item_values(&item)).await
}

/// `POST /console/items/new`.
pub(super) async fn create_item(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<Posted>,
) -> PageResult {
    save_item(&state, &ctx, None, form).await
}

/// `POST /console/items/{code}`.
pub(super) async fn update_item(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(form): CsrfForm<Posted>,
) -> PageResult {
    save_item(&state, &ctx, Some(code), form).await
}

async fn save_item(state: &AppState, ctx: &Ctx, code: Option<String>, form: Posted) -> PageResult {
    let p = require_manager(ctx)?;
    let current = match &code {
        Some(code) => match state.hall.item_by_code(code).await {
            Ok(i) => Some(i),
            Err(e) => return Err(hall_page(e)),
        },
        None => None,
    };
    let title = current
        .as_ref()
        .map_or_else(|| ctx.t().s("items.new").to_string(), |i| i.name.clone());
    let mut f = Values::from_posted(form, &["m", "f", "fee"]);
    if f.v("go") == "more" {
        for p in ["m", "f", "fee"] {
            f.add_rows(p, BLANK_ROWS + 1);
        }
        return edit_page(state, ctx, &p, ctx.chrome(&title), current.as_ref(), f).await;
    }
    let mut errors = Vec::new();
    let mut parsed = parse_item(&f, &mut errors);
    mark_personal_sources(state, &mut parsed.input.fields).await;
    let mut c = ctx.chrome(&title);
    if !errors.is_empty() {
        for (field, msg) in &errors {
            c.add_error(field, msg);
        }
        return edit_page(state, ctx, &p, c, current.as_ref(), f).await;
    }
    let result = match &current {
        Some(i) => {
            let version = f.v("version").trim().parse().unwrap_or(0);
            state.hall.update_item(&p, &i.id, version, parsed.input).await
        }
        None => state.hall.create_item(&p, parsed.input).await,
    };
    match result {
        Ok(saved) if saved.workflow_version == 0 => {
            Ok(Redirect::to(&format!("/console/items/{}/workflow?created=1", saved.code)).into_response())
        }
        Ok(saved) => Ok(Redirect::to(&format!("/console/items/{}?saved=1", saved.code)).into_response()),
        Err(e) => match hall_field(&e) {
            Some((field, msg)) => {
                let lists: [(&str, &str, &[usize]); 3] = [
                    ("materials", "m", &parsed.materials),
                    ("fields", "f", &parsed.fields),
                    ("fees", "fee", &parsed.fees),
                ];
                c.add_error(&input_of(&field, &lists), &msg);
                edit_page(state, ctx, &p, c, current.as_ref(), f).await
            }
            None => Err(hall_page(e)),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// The workflow editor.

struct VersionRow {
    version: u32,
    by: String,
    when: String,
    steps: Vec<String>,
}

#[derive(Template)]
#[template(path = "console/workflow_edit.html")]
struct WorkflowPage {
    c: Chrome,
    code: String,
    name: String,
    department: String,
    current: u32,
    created: bool,
    versions: Vec<VersionRow>,
    kinds: Vec<(&'static str, String)>,
    modes: Vec<(&'static str, String)>,
    /// (code, indented name) of every department, for the assignee selects.
    departments: Vec<(String, String)>,
    /// (code, name) of the roles a step may be assigned to.
    roles: Vec<(&'static str, String)>,
    /// Assignee slots per step (department + role selects).
    slots: usize,
    f: Values,
}

impl WorkflowPage {
    fn r(&self, i: &usize, k: &str) -> &str {
        self.f.r("s", *i, k)
    }

    fn rows(&self) -> Vec<usize> {
        (0..self.f.rows("s")).collect()
    }

    fn slot_range(&self) -> std::ops::Range<usize> {
        0..self.slots
    }

    /// The department (`d`) or role (`r`) chosen in slot `j` of step `i`.
    fn a(&self, i: &usize, what: &str, j: &usize) -> &str {
        self.f.r("s", *i, &format!("{what}{j}"))
    }

    fn row_err(&self, i: &usize) -> bool {
        let start = format!("s{i}_");
        self.c.errors.iter().any(|e| e.field.starts_with(&start))
    }
}

const MODES: [(&str, &str, &str); 3] = [
    ("all", "会签（全部同意）", "All must agree"),
    ("any", "或签（一个同意即可）", "Any one agrees"),
    ("ratio", "按比例（至少 N 个同意）", "At least N agree"),
];

/// Assignee slots a step offers at least; one more than the widest step when that is wider.
const MIN_SLOTS: usize = 3;

/// Department codes by path and paths by code.
async fn department_codes(
    state: &AppState,
) -> Result<
    (
        HashMap<String, String>,
        HashMap<String, String>,
        Vec<tongban_identity::Department>,
    ),
    PageError,
> {
    let all = state.identity.directory().await?;
    let by_path = all.iter().map(|d| (d.path.0.clone(), d.code.clone())).collect();
    let by_code = all.iter().map(|d| (d.code.clone(), d.path.0.clone())).collect();
    Ok((by_path, by_code, all))
}

/// The assignee slots a posted form carries (at least [`MIN_SLOTS`]).
fn posted_slots(f: &Values) -> usize {
    f.map
        .keys()
        .filter_map(|k| {
            let (_, rest) = k.strip_prefix('s')?.split_once('_')?;
            rest.strip_prefix('d')?.parse::<usize>().ok()
        })
        .map(|j| j + 1)
        .max()
        .unwrap_or(0)
        .max(MIN_SLOTS)
}

async fn workflow_page(
    state: &AppState,
    ctx: &Ctx,
    c: Chrome,
    item: &ServiceItem,
    f: Option<Values>,
    created: bool,
) -> PageResult {
    let t = ctx.t();
    let zone = &state.settings.zone;
    let (by_path, _, all_departments) = department_codes(state).await?;
    let depts = crate::page::DeptNames::load(state, t).await?;
    let mut versions = Vec::new();
    for v in (1..=item.workflow_version).rev() {
        let w = state.hall.workflow(&item.id, v).await?;
        // Who saved it, by name: a staff member's display name, or the platform itself.
        let by = if w.created_by.starts_with("system:") {
            t.pick("平台系统", "the platform").to_string()
        } else {
            state
                .identity
                .staff_display_name(&tongban_identity::AccountId(w.created_by.clone()))
                .await?
                .unwrap_or_else(|| w.created_by.clone())
        };
        versions.push(VersionRow {
            version: w.version,
            by,
            when: w.created.display_in(zone),
            steps: w
                .steps
                .iter()
                .map(|s| {
                    let who: Vec<String> = s
                        .assignees
                        .iter()
                        .map(|a| {
                            format!(
                                "{}·{}",
                                depts.of(a.department.path.as_str(), &a.department.name_zh),
                                t.pick(a.role.name_zh(), a.role.name_en())
                            )
                        })
                        .collect();
                    format!(
                        "{}{}{}{}",
                        crate::page::step_name(t, s),
                        t.pick("（", " ("),
                        who.join(t.pick("、", ", ")),
                        t.pick("）", ")")
                    )
                })
                .collect(),
        });
    }
    let f = match f {
        Some(f) => f,
        None => {
            let mut f = Values::default();
            let steps = match item.workflow_version {
                0 => Vec::new(),
                v => state.hall.workflow(&item.id, v).await?.steps,
            };
            for (n, s) in steps.iter().enumerate() {
                f.set(format!("s{n}_kind"), s.kind.code());
                f.set(format!("s{n}_name"), &s.name);
                for (j, a) in s.assignees.iter().enumerate() {
                    let code = by_path
                        .get(a.department.path.as_str())
                        .cloned()
                        .unwrap_or_default();
                    f.set(format!("s{n}_d{j}"), code);
                    f.set(format!("s{n}_r{j}"), a.role.code());
                }
                let (mode, required) = match s.mode {
                    SignMode::All => ("all", String::new()),
                    SignMode::Any => ("any", String::new()),
                    SignMode::Ratio { required } => ("ratio", required.to_string()),
                };
                f.set(format!("s{n}_mode"), mode);
                f.set(format!("s{n}_required"), required);
                f.set(
                    format!("s{n}_limit"),
                    s.limit_days.map(|d| d.to_string()).unwrap_or_default(),
                );
            }
            if steps.is_empty() {
                // A new item starts from the usual shape: accept, review, decide, issue, all in
                // the item's own department.
                let own = by_path
                    .get(item.department.path.as_str())
                    .cloned()
                    .unwrap_or_default();
                for (n, (kind, role)) in [
                    (StepKind::Accept, "clerk"),
                    (StepKind::Review, "reviewer"),
                    (StepKind::Decide, "approver"),
                    (StepKind::Issue, "clerk"),
                ]
                .iter()
                .enumerate()
                {
                    f.set(format!("s{n}_kind"), kind.code());
                    f.set(format!("s{n}_d0"), own.clone());
                    f.set(format!("s{n}_r0"), *role);
                    f.set(format!("s{n}_mode"), "all");
                }
            }
            f.rows.insert("s", steps.len().max(4) + BLANK_ROWS);
            let widest = steps.iter().map(|s| s.assignees.len()).max().unwrap_or(0);
            f.set("slots", (widest + 1).max(MIN_SLOTS).to_string());
            f
        }
    };
    let slots = f.v("slots").parse().unwrap_or(0).max(posted_slots(&f));
    let departments = super::indented_choices(t, &all_departments, |_| true, |d| d.code.clone());
    let failed = !c.errors.is_empty();
    let mut resp = render(&WorkflowPage {
        c,
        code: item.code.clone(),
        name: item.name.clone(),
        department: depts.of(item.department.path.as_str(), &item.department.name_zh),
        current: item.workflow_version,
        created,
        versions,
        kinds: StepKind::ALL
            .iter()
            .map(|k| (k.code(), t.pick(k.name_zh(), k.name_en()).to_string()))
            .collect(),
        modes: MODES
            .iter()
            .map(|(c, zh, en)| (*c, t.pick(zh, en).to_string()))
            .collect(),
        departments,
        roles: tongban_hall::STEP_ROLES
            .iter()
            .map(|r| (r.code(), t.pick(r.name_zh(), r.name_en()).to_string()))
            .collect(),
        slots,
        f,
    });
    if failed {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

/// The select a hall field about a step's assignees names (`steps[1].assignees[0].role` →
/// `s1_r0` for the row and slot it came from; `steps[1].assignees` → the row's first department).
fn assignee_input(field: &str, rows: &[usize], slot_of: &[Vec<usize>]) -> Option<String> {
    let rest = field.strip_prefix("steps[")?;
    let (n, tail) = rest.split_once(']')?;
    let n: usize = n.parse().ok()?;
    let row = *rows.get(n)?;
    let tail = tail.strip_prefix(".assignees")?;
    let Some(tail) = tail.strip_prefix('[') else {
        return Some(format!("s{row}_d0"));
    };
    let (j, what) = tail.split_once(']')?;
    let j: usize = j.parse().ok()?;
    let slot = slot_of.get(n).and_then(|s| s.get(j)).copied().unwrap_or(j);
    let what = if what.ends_with("role") { "r" } else { "d" };
    Some(format!("s{row}_{what}{slot}"))
}

async fn managed_item(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
) -> Result<(Principal, ServiceItem), PageError> {
    let p = require_manager(ctx)?;
    let item = state.hall.item_by_code(code).await.map_err(hall_page)?;
    if !p.allows(Permission::ManageServiceItems, Some(&item.department.path)) {
        return Err(PageError::Forbidden(
            "只能管理本部门的事项 / only your departments' items".into(),
        ));
    }
    Ok((p, item))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct WorkflowQuery {
    created: Option<String>,
    /// The version just saved.
    saved: Option<u32>,
}

/// `GET /console/items/{code}/workflow`.
pub(super) async fn workflow(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    axum::extract::Query(q): axum::extract::Query<WorkflowQuery>,
) -> PageResult {
    let (_, item) = managed_item(&state, &ctx, &code).await?;
    let t = ctx.t();
    let mut c = ctx.chrome(t.s("items.workflow"));
    if let Some(v) = q.saved {
        c.notice = Some(t.s("items.workflow_saved").replace("{version}", &v.to_string()));
    }
    workflow_page(&state, &ctx, c, &item, None, q.created.is_some()).await
}

/// `POST /console/items/{code}/workflow`: saves a new version.
pub(super) async fn save_workflow(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(form): CsrfForm<Posted>,
) -> PageResult {
    let (p, item) = managed_item(&state, &ctx, &code).await?;
    let mut f = Values::from_posted(form, &["s"]);
    let mut c = ctx.chrome(ctx.t().s("items.workflow"));
    if f.v("go") == "more" {
        f.add_rows("s", BLANK_ROWS + 1);
        return workflow_page(&state, &ctx, c, &item, Some(f), false).await;
    }
    let (_, by_code, _) = department_codes(&state).await?;
    let slots = posted_slots(&f);
    let dept_keys: Vec<String> = (0..slots).map(|j| format!("d{j}")).collect();
    let mut keys: Vec<&str> = dept_keys.iter().map(String::as_str).collect();
    keys.push("name");
    let rows = filled(&f, "s", &keys);
    // Where each domain assignee index came from: (row, slot).
    let mut slot_of: Vec<Vec<usize>> = Vec::with_capacity(rows.len());
    let mut steps = Vec::with_capacity(rows.len());
    for &i in &rows {
        let Some(kind) = StepKind::parse(f.r("s", i, "kind")) else {
            c.add_error(&format!("s{i}_kind"), "请选择步骤类型 / choose the step's kind");
            continue;
        };
        let mut assignees = Vec::new();
        let mut slots_used = Vec::new();
        for j in 0..slots {
            let dept = f.r("s", i, &format!("d{j}")).trim();
            if dept.is_empty() {
                continue;
            }
            match by_code.get(dept) {
                Some(path) => {
                    assignees.push(AssigneeInput {
                        department: path.clone(),
                        role: f.r("s", i, &format!("r{j}")).trim().to_string(),
                    });
                    slots_used.push(j);
                }
                None => c.add_error(
                    &format!("s{i}_d{j}"),
                    "请从列表中选择部门 / choose a department from the list",
                ),
            }
        }
        slot_of.push(slots_used);
        let mode = match f.r("s", i, "mode") {
            "any" => SignMode::Any,
            "ratio" => match f.r("s", i, "required").trim().parse() {
                Ok(required) => SignMode::Ratio { required },
                Err(_) => {
                    c.add_error(
                        &format!("s{i}_required"),
                        "按比例会签须填写同意数 / give how many must agree",
                    );
                    SignMode::All
                }
            },
            _ => SignMode::All,
        };
        let limit = f.r("s", i, "limit").trim();
        let limit_days = if limit.is_empty() {
            None
        } else {
            match limit.parse() {
                Ok(n) => Some(n),
                Err(_) => {
                    c.add_error(
                        &format!("s{i}_limit"),
                        "时限应为工作日数 / the limit is a number of working days",
                    );
                    None
                }
            }
        };
        steps.push(StepInput {
            kind,
            name: f.r("s", i, "name").to_string(),
            assignees,
            mode,
            limit_days,
        });
    }
    if !c.errors.is_empty() {
        return workflow_page(&state, &ctx, c, &item, Some(f), false).await;
    }
    match state.hall.save_workflow(&p, &item.id, steps).await {
        Ok(w) => Ok(Redirect::to(&format!(
            "/console/items/{}/workflow?saved={}",
            item.code, w.version
        ))
        .into_response()),
        Err(e) => match hall_field(&e) {
            Some((field, msg)) => {
                let input = assignee_input(&field, &rows, &slot_of).unwrap_or_else(|| {
                    let lists: [(&str, &str, &[usize]); 1] = [("steps", "s", &rows)];
                    input_of(&field, &lists)
                });
                c.add_error(&input, &msg);
                workflow_page(&state, &ctx, c, &item, Some(f), false).await
            }
            None => Err(hall_page(e)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_and_writes_in_yuan() {
        assert_eq!(fen("12.5"), Some(1250));
        assert_eq!(fen("12.05"), Some(1205));
        assert_eq!(fen("0"), Some(0));
        for bad in ["", "1.234", "-1", "1,000", "十元", ".5"] {
            assert_eq!(fen(bad), None, "{bad}");
        }
        assert_eq!(yuan(1250), "12.50");
        assert_eq!(yuan(300), "3");
    }

    #[test]
    fn domain_field_names_land_on_the_row_they_came_from() {
        let rows = [1, 4];
        let lists: [(&str, &str, &[usize]); 1] = [("materials", "m", &rows)];
        assert_eq!(input_of("materials[1].source.resource", &lists), "m4_from");
        assert_eq!(input_of("materials[0].name", &lists), "m1_name");
        assert_eq!(input_of("licence.lines[2].field", &lists), "lic_lines");
        assert_eq!(input_of("statutory_days", &lists), "statutory_days");
        let steps = [0, 2];
        let lists: [(&str, &str, &[usize]); 1] = [("steps", "s", &steps)];
        assert_eq!(input_of("steps[1].assignees[0].role", &lists), "s2_assignees");
        let slot_of = vec![vec![0], vec![0, 2]];
        assert_eq!(
            assignee_input("steps[1].assignees[1].role", &[0, 2], &slot_of).as_deref(),
            Some("s2_r2")
        );
        assert_eq!(
            assignee_input("steps[1].assignees[0].department", &[0, 2], &slot_of).as_deref(),
            Some("s2_d0")
        );
        assert_eq!(
            assignee_input("steps[0].assignees", &[0, 2], &slot_of).as_deref(),
            Some("s0_d0")
        );
        assert_eq!(assignee_input("steps[0].kind", &[0, 2], &slot_of), None);
        assert_eq!(input_of("steps[0].kind", &lists), "s0_kind");
    }
}
