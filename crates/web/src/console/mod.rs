//! The staff console: home, the department tree, users and their roles, and the security
//! ledger (security admins only). Every list is filtered and every change checked by the domain.

use crate::AppState;
use crate::context::IdPath;
use crate::context::Query;
use crate::context::Staff;
use crate::context::{CsrfForm, Ctx, repeated};
use crate::errors::{FormOutcome, identity_form, identity_page};
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render, urlencode};
use crate::portal::{NoFields, role_label};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use serde::Deserialize;
use tongban_identity::{AccountId, AccountStatus, DeptId, DeptKind, NewDepartment, NewStaff, UserFilter};
use tongban_kernel::{Page, Permission, Role, msg};

/// The routes that take uploaded files, larger than any form: data loads, streamed to disk.
pub fn upload_routes() -> Router<AppState> {
    Router::new().route(
        "/console/catalog/{code}/upload",
        get(upload::upload_page)
            .post(upload::upload)
            .layer(axum::extract::DefaultBodyLimit::disable()),
    )
}

/// The console's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(home))
        .route("/console/departments", get(departments).post(create_department))
        .route("/console/calendar", get(calendar::show).post(calendar::enter))
        .route("/console/egress", get(egress::show).post(egress::allow))
        .route("/console/clients", get(clients::show).post(clients::register))
        .route("/console/clients/{id}/rotate", post(clients::rotate))
        .route("/console/clients/{id}/disable", post(clients::disable))
        .route("/console/clients/sso", post(clients::register_sso))
        .route("/console/clients/sso/{id}/rotate", post(clients::rotate_sso))
        .route("/console/clients/sso/{id}/disable", post(clients::disable_sso))
        .route("/console/approvals", get(approvals::show))
        .route("/console/approvals/{id}/approve", post(approvals::approve))
        .route("/console/approvals/{id}/reject", post(approvals::reject))
        .route("/console/egress/{id}/remove", post(egress::remove))
        .route("/console/users", get(users).post(create_user))
        .route("/console/users/new", get(new_user))
        .route("/console/users/{id}", get(user))
        .route("/console/users/{id}/roles", post(set_roles))
        .route("/console/users/{id}/lock", post(lock_user))
        .route("/console/users/{id}/unlock", post(unlock_user))
        .route("/console/catalog", get(catalog::catalog))
        .route("/console/catalog/{code}", get(catalog::resource))
        .route("/console/catalog/{code}/publish", post(catalog::publish))
        .route(
            "/console/catalog/{code}/request",
            get(catalog::new_request).post(catalog::file_request),
        )
        .route(
            "/console/catalog/{code}/mapping",
            get(mapping::mapping_page).post(mapping::save_mapping),
        )
        .route("/console/catalog/{code}/pulls", get(pulls::show).post(pulls::add))
        .route("/console/catalog/{code}/pulls/{id}/run", post(pulls::run))
        .route("/console/catalog/{code}/pulls/{id}/remove", post(pulls::remove))
        .route("/console/loads/{id}", get(upload::load))
        .route("/console/loads/{id}/rejects.csv", get(upload::rejects))
        .route("/console/loads/{id}/rejects.xlsx", get(upload::rejects_xlsx))
        .route("/console/sharing", get(sharing::sharing))
        .route("/console/sharing/{id}", get(sharing::request))
        .route("/console/sharing/{id}/act", post(sharing::act))
        .route("/console/grants/{id}/revoke", post(sharing::revoke))
        .route("/console/query", get(query::query_page).post(query::run))
        .route("/console/usage", get(usage::usage))
        .route("/console/items", get(items::list))
        .route(
            "/console/items/new",
            get(items::new_item).post(items::create_item),
        )
        .route(
            "/console/items/{code}",
            get(items::edit_item).post(items::update_item),
        )
        .route(
            "/console/items/{code}/workflow",
            get(items::workflow).post(items::save_workflow),
        )
        .route("/console/bundles", get(bundles::list))
        .route(
            "/console/bundles/new",
            get(bundles::new_bundle).post(bundles::create_bundle),
        )
        .route(
            "/console/bundles/{code}",
            get(bundles::edit_bundle).post(bundles::update_bundle),
        )
        .route("/console/cases", get(cases::inbox))
        .route("/console/cases/{id}", get(cases::case))
        .route("/console/cases/{id}/act", post(cases::act))
        .route("/console/cases/{id}/reveal", post(cases::reveal))
        .route(
            "/console/cases/{id}/decision",
            get(crate::portal::decision_letter),
        )
        .route("/console/rectifications", get(rectify::list))
        .route("/console/supervise", get(supervise::supervise))
        .route("/console/messages", get(messages::messages))
        .route("/console/participation", get(participation::show))
        .route(
            "/console/participation/consultations",
            post(participation::new_consultation),
        )
        .route("/console/participation/surveys", post(participation::new_survey))
        .route("/console/interact", get(interact::inbox))
        .route("/console/interact/rules", get(interact_rules::show))
        .route(
            "/console/interact/rules/categories",
            post(interact_rules::save_category),
        )
        .route("/console/interact/rules/limits", post(interact_rules::save_limit))
        .route("/console/interact/rules/routes", post(interact_rules::save_rule))
        .route(
            "/console/interact/rules/routes/{id}/remove",
            post(interact_rules::remove_rule),
        )
        .route("/console/interact/{id}", get(interact::item))
        .route("/console/interact/{id}/reply", post(interact::reply))
        .route("/console/interact/{id}/transfer", post(interact::transfer))
        .route("/console/interact/{id}/return", post(interact::give_back))
        .route("/console/interact/{id}/withdraw", post(interact::withdraw))
        .route("/console/interact/{id}/assist", post(interact::assist))
        .route(
            "/console/interact/{id}/assists/{assist}/answer",
            post(interact::answer_assist),
        )
        .route("/console/interact/{id}/merge", post(interact::merge))
        .route(
            "/console/interact/{id}/replies/{reply}/review",
            post(interact::review),
        )
        .route("/console/rectifications/{id}/close", post(rectify::close))
        .route("/console/seals", get(seals::seals).post(seals::create_seal))
        .route("/console/seals/{id}/rotate", post(seals::rotate_seal))
        .route("/console/licences", get(seals::licences))
        .route("/console/licences/{number}/revoke", post(seals::revoke))
        .route("/console/ledger", get(ledger))
        .route("/console/ledger.csv", get(ledger_csv))
        .route("/console/ledger/verify", post(verify_now))
}

#[derive(Template)]
#[template(path = "console/home.html")]
struct HomePage {
    c: Chrome,
    roles: Vec<String>,
    /// Next year, when its holiday schedule is still missing from 1 October on.
    missing_year: Option<i16>,
}

/// The departments of the tree (public knowledge, read as the directory) that `keep` accepts, as
/// (`key` of each, Chinese name) for a form's select.
pub(super) async fn department_choices(
    state: &AppState,
    keep: impl Fn(&tongban_identity::Department) -> bool,
    key: impl Fn(&tongban_identity::Department) -> String,
) -> Result<Vec<(String, String)>, PageError> {
    Ok(state
        .identity
        .directory()
        .await?
        .iter()
        .filter(|d| keep(d))
        .map(|d| (key(d), d.name_zh.clone()))
        .collect())
}

/// The departments `actor` may see, for a filter or a choice. Identity refuses the list to an
/// actor with no department scope; here that means nothing to choose from, not an error page.
/// Any other failure is one.
pub(super) async fn visible_departments(
    state: &AppState,
    actor: &tongban_kernel::Principal,
) -> Result<Vec<tongban_identity::Department>, PageError> {
    match state.identity.list_departments(actor).await {
        Err(tongban_identity::Error::Forbidden { .. }) => Ok(Vec::new()),
        found => Ok(found?),
    }
}

/// Departments as a select offers them: those `keep` lets through, each indented under its
/// parents by its depth and named in the page's language, valued by `key`.
pub(super) fn indented_choices(
    t: crate::i18n::Tr,
    depts: &[tongban_identity::Department],
    keep: impl Fn(&tongban_identity::Department) -> bool,
    key: impl Fn(&tongban_identity::Department) -> String,
) -> Vec<(String, String)> {
    depts
        .iter()
        .filter(|d| keep(d))
        .map(|d| {
            (
                key(d),
                format!(
                    "{}{}",
                    "\u{3000}".repeat(d.depth()),
                    t.pick(&d.name_zh, &d.name_en)
                ),
            )
        })
        .collect()
}

async fn home(State(state): State<AppState>, ctx: Ctx, Staff(user): Staff) -> PageResult {
    let t = ctx.t();
    let depts = visible_departments(&state, &user.principal).await?;
    let roles = user
        .principal
        .grants
        .iter()
        .map(|g| {
            let scope = depts.iter().find(|d| d.path == g.scope).map_or_else(
                || g.scope.as_str().to_string(),
                |d| t.pick(&d.name_zh, &d.name_en).to_string(),
            );
            format!("{} · {scope}", role_label(t, g.role))
        })
        .collect();
    Ok(render(&HomePage {
        c: ctx.chrome(t.s("console.title")),
        roles,
        missing_year: calendar::next_year_missing(state.hall.calendar(), state.hall.today()),
    }))
}

struct DeptRow {
    id: String,
    name: String,
    code: String,
    /// The kind's name (市 / 部门 / 科室), never its code.
    kind: String,
    depth: usize,
}

#[derive(Template)]
#[template(path = "console/departments.html")]
struct DepartmentsPage {
    c: Chrome,
    departments: Vec<DeptRow>,
    can_manage: bool,
}

async fn departments_page(state: &AppState, ctx: &Ctx, c: Option<Chrome>) -> PageResult {
    let user = ctx.require_staff()?.clone();
    let t = ctx.t();
    let list = state.identity.list_departments(&user.principal).await?;
    let departments = list
        .iter()
        .map(|d| DeptRow {
            id: d.id.to_string(),
            name: t.pick(&d.name_zh, &d.name_en).to_string(),
            code: d.code.clone(),
            kind: t
                .lookup(&format!("dept.kind.{}", d.kind.code()))
                .unwrap_or(d.kind.code())
                .to_string(),
            depth: d.depth().min(4),
        })
        .collect();
    let failed = c.as_ref().is_some_and(|c| !c.errors.is_empty());
    let c = c.unwrap_or_else(|| ctx.chrome(t.s("departments.title")));
    let mut resp = render(&DepartmentsPage {
        c,
        departments,
        can_manage: user.principal.allows_somewhere(Permission::ManageDepartments),
    });
    if failed {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

async fn departments(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    departments_page(&state, &ctx, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DeptForm {
    parent: String,
    code: String,
    name_zh: String,
    name_en: String,
}

async fn create_department(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(user): Staff,
    CsrfForm(f): CsrfForm<DeptForm>,
) -> PageResult {
    let mut c = ctx.chrome(ctx.t().s("departments.title"));
    let parent = match DeptId::parse("parent", &f.parent) {
        Ok(p) => p,
        Err(e) => {
            c.add_error("parent", &e.reason);
            return departments_page(&state, &ctx, Some(c)).await;
        }
    };
    let kind = match state.identity.get_department(&user.principal, &parent).await {
        Ok(p) if p.kind == DeptKind::City => DeptKind::Department,
        Ok(_) => DeptKind::Office,
        Err(e) => return Err(identity_page(e)),
    };
    let new = NewDepartment {
        code: f.code,
        name_zh: f.name_zh,
        name_en: f.name_en,
        parent: Some(parent),
        kind,
    };
    match state.identity.create_department(&user.principal, new).await {
        Ok(_) => Ok(Redirect::to("/console/departments").into_response()),
        Err(e) => match identity_form(e, "code") {
            FormOutcome::Field(field, msg) => {
                c.add_error(&field, &msg);
                departments_page(&state, &ctx, Some(c)).await
            }
            FormOutcome::Page(p) => Err(p),
        },
    }
}

struct UserRow {
    id: String,
    username: String,
    display_name: String,
    department: String,
    roles: String,
    status: &'static str,
    is_demo: bool,
}

#[derive(Template)]
#[template(path = "console/users.html")]
struct UsersPage {
    c: Chrome,
    q: String,
    users: Vec<UserRow>,
    total: u64,
    prev: Option<String>,
    next: Option<String>,
    can_create: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UsersQuery {
    q: String,
    page: u64,
}

fn status_label(t: crate::i18n::Tr, s: AccountStatus) -> &'static str {
    match s {
        AccountStatus::Active => t.s("status.active"),
        AccountStatus::Locked => t.s("status.locked"),
        AccountStatus::Disabled => t.s("status.disabled"),
    }
}

async fn users(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(user): Staff,
    Query(q): Query<UsersQuery>,
) -> PageResult {
    let t = ctx.t();
    let page_no = q.page.max(1);
    let page = Page::number(page_no, 50);
    let filter = UserFilter {
        text: Some(q.q.trim().to_string()).filter(|s| !s.is_empty()),
        ..Default::default()
    };
    let list = state.identity.list_users(&user.principal, &filter, page).await?;
    let link = |n: u64| format!("/console/users?q={}&page={n}", urlencode(&q.q));
    let users = list
        .items
        .iter()
        .map(|u| UserRow {
            id: u.id.to_string(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            department: u
                .department
                .as_ref()
                .map(|d| t.pick(&d.name_zh, &d.name_en).to_string())
                .unwrap_or_default(),
            roles: u
                .grants
                .iter()
                .map(|g| role_label(t, g.role))
                .collect::<Vec<_>>()
                .join("、"),
            status: status_label(t, u.status),
            is_demo: u.is_demo,
        })
        .collect();
    Ok(render(&UsersPage {
        c: ctx.chrome(t.s("users.title")),
        q: q.q.clone(),
        users,
        total: list.total,
        prev: (page_no > 1).then(|| link(page_no - 1)),
        next: (page.offset + u64::from(page.limit) < list.total).then(|| link(page_no + 1)),
        can_create: user.principal.allows_somewhere(Permission::ManageUsers),
    }))
}

#[derive(Template)]
#[template(path = "console/user_new.html")]
struct NewUserPage {
    c: Chrome,
    fields: Vec<(&'static str, &'static str, String, &'static str)>,
    departments: Vec<(String, String)>,
    roles: Vec<(&'static str, &'static str)>,
}

async fn new_user_page(state: &AppState, ctx: &Ctx, c: Chrome, form: &NewUserForm) -> PageResult {
    let user = ctx.require_staff()?.clone();
    let t = ctx.t();
    let depts = visible_departments(state, &user.principal).await?;
    let departments = depts
        .iter()
        .filter(|d| user.principal.allows(Permission::ManageUsers, Some(&d.path)))
        .map(|d| {
            (
                d.id.to_string(),
                format!("{}{}", "　".repeat(d.depth()), t.pick(&d.name_zh, &d.name_en)),
            )
        })
        .collect();
    // Only the roles this administrator may grant somewhere are offered.
    let scopes = user.principal.scopes_for(Permission::AssignRoles);
    let roles = Role::ALL
        .iter()
        .filter(|r| r.is_staff())
        .filter(|r| {
            scopes
                .iter()
                .any(|s| tongban_identity::can_grant(&user.principal, **r, s))
        })
        .map(|r| (r.code(), role_label(t, *r)))
        .collect();
    let failed = !c.errors.is_empty();
    let mut resp = render(&NewUserPage {
        c,
        fields: vec![
            ("username", "field.username", form.username.clone(), "text"),
            (
                "display_name",
                "field.display_name",
                form.display_name.clone(),
                "text",
            ),
            ("password", "field.password", String::new(), "password"),
        ],
        departments,
        roles,
    });
    if failed {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

async fn new_user(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let c = ctx.chrome(ctx.t().s("users.add"));
    new_user_page(&state, &ctx, c, &NewUserForm::default()).await
}

/// The first value posted under `name` (empty when there is none), from a form where another
/// name repeats.
fn first(body: &[(String, String)], name: &str) -> String {
    body.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// A new member of staff, as the form posts them: `role` repeats, once per ticked box.
#[derive(Deserialize, Default)]
#[serde(from = "Vec<(String, String)>")]
struct NewUserForm {
    username: String,
    display_name: String,
    password: String,
    department: String,
    roles: Vec<String>,
}

impl From<Vec<(String, String)>> for NewUserForm {
    fn from(body: Vec<(String, String)>) -> Self {
        NewUserForm {
            username: first(&body, "username"),
            display_name: first(&body, "display_name"),
            password: first(&body, "password"),
            department: first(&body, "department"),
            roles: repeated(&body, "role"),
        }
    }
}

async fn create_user(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(user): Staff,
    CsrfForm(form): CsrfForm<NewUserForm>,
) -> PageResult {
    let mut c = ctx.chrome(ctx.t().s("users.add"));
    // Every empty answer is named at once (the identity service checks each again).
    for (field, value, msg) in [
        ("username", &form.username, msg!("enter-a-user-name")),
        ("display_name", &form.display_name, msg!("enter-name-to-show")),
        ("password", &form.password, msg!("choose-first-password")),
    ] {
        if value.trim().is_empty() {
            c.add_error(field, msg);
        }
    }
    let department = DeptId::parse("department", &form.department);
    if let Err(e) = &department {
        c.add_error("department", &e.reason);
    }
    let department = match department {
        Ok(d) if c.errors.is_empty() => d,
        _ => return new_user_page(&state, &ctx, c, &form).await,
    };
    let roles: Vec<Role> = form.roles.iter().filter_map(|r| Role::parse(r)).collect();
    let new = NewStaff {
        username: form.username.clone(),
        display_name: form.display_name.clone(),
        password: form.password.clone(),
        department,
        roles,
        phone: None,
        is_demo: false,
    };
    match state.identity.create_staff(&user.principal, new).await {
        Ok(v) => Ok(Redirect::to(&format!("/console/users/{}?created=1", v.id)).into_response()),
        Err(e) => match identity_form(e, "username") {
            FormOutcome::Field(field, msg) => {
                c.add_error(&field, &msg);
                new_user_page(&state, &ctx, c, &form).await
            }
            FormOutcome::Page(p) => Err(p),
        },
    }
}

/// A role on the account page: ticked, and locked when this administrator may not change it.
struct RoleChoice {
    code: &'static str,
    label: &'static str,
    on: bool,
    locked: bool,
}

#[derive(Template)]
#[template(path = "console/user.html")]
struct UserPage {
    c: Chrome,
    id: String,
    username: String,
    facts: Vec<(&'static str, String)>,
    roles: Vec<RoleChoice>,
    /// Administrator roles asked for this account and waiting for a second administrator:
    /// (role, asked by, when).
    pending: Vec<(&'static str, String, String)>,
    can_assign: bool,
    can_lock: bool,
    locked: bool,
}

/// What the last change to an account did, carried to the page it redirects to.
#[derive(Deserialize, Default)]
#[serde(default)]
struct UserQuery {
    created: Option<String>,
    locked: Option<String>,
    unlocked: Option<String>,
    saved: Option<String>,
}

async fn user(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<UserQuery>,
) -> PageResult {
    let notice = if q.created.is_some() {
        Some("users.created")
    } else if q.locked.is_some() {
        Some("users.locked_notice")
    } else if q.unlocked.is_some() {
        Some("users.unlocked_notice")
    } else if q.saved.is_some() {
        Some("users.roles_saved")
    } else {
        None
    };
    user_page(&state, &ctx, &id, None, notice).await
}

/// The account page; after a refused role change, `ticked` keeps the boxes as they were sent
/// and the reason is shown on the roles field.
async fn user_page(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    refused: Option<(Vec<Role>, String)>,
    notice: Option<&'static str>,
) -> PageResult {
    let me = ctx.require_staff()?.clone();
    let t = ctx.t();
    let Ok(id) = AccountId::parse("id", id) else {
        return Err(PageError::NotFound);
    };
    let u = state.identity.get_user(&me.principal, &id).await?;
    let dept_path = u.department.as_ref().map(|d| d.path.clone());
    let mut facts = vec![
        (
            "field.display_name",
            if u.is_demo {
                format!("{}（{}）", u.display_name, t.s("account.demo"))
            } else {
                u.display_name.clone()
            },
        ),
        ("field.status", status_label(t, u.status).to_string()),
        ("account.kind", crate::portal::kind_label(t, u.kind).to_string()),
    ];
    if let Some(d) = &u.department {
        facts.push(("field.department", t.pick(&d.name_zh, &d.name_en).to_string()));
    }
    if let Some(p) = &u.phone_masked {
        facts.push(("field.phone", p.clone()));
    }
    facts.push(("field.created", u.created.display_in(&state.settings.zone)));
    let mut paused = false;
    for p in state
        .identity
        .login_pauses(&me.principal, &u.id)
        .await?
        .into_iter()
        .filter(|p| p.active)
    {
        paused = true;
        facts.push((
            "users.paused",
            t.s("users.paused_line").replace("{source}", &p.source).replace(
                "{until}",
                &p.until
                    .map(|m| m.display_in(&state.settings.zone))
                    .unwrap_or_default(),
            ),
        ));
    }
    if let Ok(Some(until)) = state.identity.activation_due(&u.id).await {
        facts.push((
            "users.activation",
            t.s("users.activation_due")
                .replace("{until}", &until.display_in(&state.settings.zone)),
        ));
    }
    let held: Vec<Role> = u.grants.iter().map(|g| g.role).collect();
    let mut c = ctx.chrome(&u.username);
    let ticked = match refused {
        Some((ticked, why)) => {
            c.add_error("roles", &why);
            ticked
        }
        None => held.clone(),
    };
    // Only the roles this administrator may grant here are offered; one already held that they
    // may not grant is shown, but cannot be changed.
    let scope = dept_path.clone().unwrap_or_else(tongban_kernel::DeptPath::root);
    let roles = Role::ALL
        .iter()
        .filter(|r| r.is_staff())
        .filter(|r| held.contains(r) || tongban_identity::can_grant(&me.principal, **r, &scope))
        .map(|r| RoleChoice {
            code: r.code(),
            label: role_label(t, *r),
            on: ticked.contains(r),
            locked: !tongban_identity::can_grant(&me.principal, *r, &scope),
        })
        .collect();
    let pending: Vec<(&'static str, String, String)> = state
        .identity
        .role_requests(&me.principal, Some(&u.id))
        .await?
        .into_iter()
        .map(|r| {
            (
                role_label(t, r.role),
                r.requested_by,
                r.requested_ms.display_in(&state.settings.zone),
            )
        })
        .collect();
    if let Some(key) = notice {
        let mut notice = t.s(key).to_string();
        if !pending.is_empty() {
            notice.push_str(t.s("punct.space"));
            notice.push_str(t.s("users.roles_pending"));
        }
        c.notice = Some(notice);
    }
    let failed = !c.errors.is_empty();
    let mut resp = render(&UserPage {
        c,
        id: u.id.to_string(),
        username: u.username.clone(),
        facts,
        roles,
        pending,
        can_assign: me.principal.allows(Permission::AssignRoles, dept_path.as_ref())
            && me.session.account_id != u.id,
        can_lock: tongban_identity::may_lock(&me.principal, &u),
        locked: u.status == AccountStatus::Locked || paused,
    });
    if failed {
        *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

/// The roles ticked on an account page: `role` repeats, once per ticked box.
#[derive(Deserialize)]
#[serde(from = "Vec<(String, String)>")]
struct RolesForm {
    roles: Vec<String>,
}

impl From<Vec<(String, String)>> for RolesForm {
    fn from(body: Vec<(String, String)>) -> Self {
        RolesForm {
            roles: repeated(&body, "role"),
        }
    }
}

async fn set_roles(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(me): Staff,
    IdPath(account): IdPath<AccountId>,
    CsrfForm(form): CsrfForm<RolesForm>,
) -> PageResult {
    let roles: Vec<Role> = form.roles.iter().filter_map(|r| Role::parse(r)).collect();
    let done = match crate::api::grants_over_department(&state, &me.principal, &account, &roles).await {
        Ok(grants) => state.identity.set_roles(&me.principal, &account, grants).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/console/users/{account}?saved=1")).into_response()),
        Err(tongban_identity::Error::Forbidden { why }) => {
            user_page(
                &state,
                &ctx,
                account.as_str(),
                Some((roles, why.to_string())),
                None,
            )
            .await
        }
        Err(tongban_identity::Error::Invalid(inv)) => {
            user_page(
                &state,
                &ctx,
                account.as_str(),
                Some((roles, inv.reason.to_string())),
                None,
            )
            .await
        }
        Err(e) => Err(identity_page(e)),
    }
}

async fn change_lock(state: &AppState, ctx: &Ctx, id: &str, lock: bool) -> PageResult {
    let me = ctx.require_staff()?.clone();
    let Ok(id) = AccountId::parse("id", id) else {
        return Err(PageError::NotFound);
    };
    let done = if lock {
        state.identity.lock_account(&me.principal, &id).await
    } else {
        state.identity.unlock_account(&me.principal, &id).await
    };
    match done {
        Ok(_) => Ok(Redirect::to(&format!(
            "/console/users/{id}?{}=1",
            if lock { "locked" } else { "unlocked" }
        ))
        .into_response()),
        Err(e) => Err(identity_page(e)),
    }
}

async fn lock_user(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    change_lock(&state, &ctx, &id, true).await
}

async fn unlock_user(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    change_lock(&state, &ctx, &id, false).await
}

mod approvals;
mod bundles;
mod calendar;
mod cases;
mod catalog;
mod clients;
mod egress;
mod interact;
mod interact_rules;
mod items;
mod ledger_view;
mod mapping;
mod messages;
mod participation;
mod pulls;
mod query;
mod rectify;
mod seals;
mod sharing;
mod supervise;
pub(crate) mod upload;
mod usage;
use ledger_view::{ledger, ledger_csv, verify_now};
