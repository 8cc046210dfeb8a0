//! The item editor: a new item, or an existing one's guide, materials, form fields, fees and
//! e-licence, on one page.

use super::form::{item_values, parse_item};
use super::rows::{BLANK_ROWS, Posted, Values, input_of};
use super::{managed_departments, require_manager};
use crate::AppState;
use crate::context::{CsrfForm, Ctx};
use crate::errors::{hall_field, hall_page};
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use tongban_hall::{ItemType, LifeEvent, ServiceItem, Topic};
use tongban_kernel::{Permission, Principal, msg};

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
pub(in crate::console) async fn new_item(State(state): State<AppState>, ctx: Ctx) -> PageResult {
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

/// `?saved` says the item was just saved.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(in crate::console) struct EditQuery {
    saved: Option<String>,
}

/// `GET /console/items/{code}`.
pub(in crate::console) async fn edit_item(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    axum::extract::Query(q): axum::extract::Query<EditQuery>,
) -> PageResult {
    let p = require_manager(&ctx)?;
    let item = match state.hall.item_by_code(&code).await {
        Ok(i) if p.allows(Permission::ManageServiceItems, Some(&i.department.path)) => i,
        Ok(_) => {
            return Err(PageError::Forbidden(msg!("only-your-departments-items")));
        }
        Err(e) => return Err(hall_page(e)),
    };
    let mut c = ctx.chrome(ctx.t().pick(&item.name, &item.name_en));
    if q.saved.is_some() {
        c.notice = Some(ctx.t().s("items.saved").to_string());
    }
    edit_page(&state, &ctx, &p, c, Some(&item), item_values(&item)).await
}

/// `POST /console/items/new`.
pub(in crate::console) async fn create_item(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<Posted>,
) -> PageResult {
    save_item(&state, &ctx, None, form).await
}

/// `POST /console/items/{code}`.
pub(in crate::console) async fn update_item(
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
    let parsed = parse_item(&f, &mut errors);
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
