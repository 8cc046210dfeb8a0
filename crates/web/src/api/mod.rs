//! The JSON API under `/api/v1`. Callers authenticate with `Authorization: Bearer …`: a session
//! token from `POST /api/v1/auth/login`, or an API client's token from `POST /api/v1/auth/token`.
//! Errors are `application/problem+json` naming the field at fault.

mod openapi;

use crate::AppState;
use crate::errors::identity_problem;
use crate::json::ApiJson;
use crate::problem::Problem;
use axum::Json;
use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::{Deserialize, Serialize};
use tongban_identity::{
    AccountId, DeptId, DeptKind, LoginContext, LoginOutcome, NewDepartment, NewStaff, SessionAuth,
    StaffChanges, UserFilter,
};
use tongban_kernel::{Page, Principal, Role, RoleGrant};

/// The API's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/openapi.json", get(openapi::document))
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/mfa", post(mfa))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/auth/token", post(token))
        .route("/api/v1/me", get(me))
        .route(
            "/api/v1/departments",
            get(list_departments).post(create_department),
        )
        .route("/api/v1/users", get(list_users).post(create_user))
        .route(
            "/api/v1/users/{id}",
            get(get_user).patch(update_user).delete(disable_user),
        )
        .route("/api/v1/users/{id}/roles", put(set_roles))
        .route("/api/v1/users/{id}/lock", post(lock_user))
        .route("/api/v1/users/{id}/unlock", post(unlock_user))
        .route("/api/v1/users/{id}/enable", post(enable_user))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// An authenticated API caller: a fully signed-in session or an API client.
pub struct Caller {
    /// Who.
    pub principal: Principal,
    /// The session token, when the caller is a session.
    pub session_token: Option<String>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers)
            .ok_or_else(Problem::unauthorized)?
            .to_string();
        match state.identity.authenticate(&token).await {
            Ok(SessionAuth::Full(s)) => {
                return Ok(Caller {
                    principal: s.principal,
                    session_token: Some(token),
                });
            }
            Ok(SessionAuth::MfaOwed { .. }) => {
                return Err(Problem::new(
                    StatusCode::UNAUTHORIZED,
                    "mfa-required",
                    "需要完成双因素验证 / complete two-factor verification first (POST /api/v1/auth/mfa)",
                ));
            }
            Err(tongban_identity::Error::Unauthenticated) => {}
            Err(e) => return Err(identity_problem(e)),
        }
        match state.identity.authenticate_bearer(&token).await {
            Ok(b) => Ok(Caller {
                principal: b.principal,
                session_token: None,
            }),
            Err(_) => Err(Problem::unauthorized()),
        }
    }
}

#[derive(Deserialize)]
struct LoginBody {
    username: String,
    password: String,
}

#[derive(Serialize)]
struct LoginReply {
    token: String,
    token_type: &'static str,
    /// `passed`/`none` (ready), `pending` (send a code to /auth/mfa), `setup_required` (use the portal).
    mfa: &'static str,
    expires_at: String,
}

async fn login(State(state): State<AppState>, ApiJson(b): ApiJson<LoginBody>) -> Response {
    let lc = LoginContext {
        ip: None,
        user_agent: Some("api".into()),
    };
    match state.identity.login(&b.username, &b.password, lc).await {
        Ok(outcome) => {
            let mfa = match &outcome {
                LoginOutcome::Full(_) => "passed",
                LoginOutcome::MfaCodeNeeded(_) => "pending",
                LoginOutcome::MfaSetupRequired(_) => "setup_required",
            };
            let s = outcome.new_session();
            Json(LoginReply {
                token: s.token.clone(),
                token_type: "Bearer",
                mfa,
                expires_at: s.session.idle_expires.rfc3339(),
            })
            .into_response()
        }
        Err(e) => identity_problem(e).into_response(),
    }
}

#[derive(Deserialize)]
struct CodeBody {
    code: String,
}

/// The raw bearer token of a request (401 when there is none), read before any body.
struct BearerToken(String);

impl FromRequestParts<AppState> for BearerToken {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        bearer(&parts.headers)
            .map(|t| BearerToken(t.to_string()))
            .ok_or_else(Problem::unauthorized)
    }
}

async fn mfa(
    State(state): State<AppState>,
    BearerToken(token): BearerToken,
    ApiJson(b): ApiJson<CodeBody>,
) -> Response {
    match state.identity.verify_mfa(&token, &b.code).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => identity_problem(e).into_response(),
    }
}

async fn logout(State(state): State<AppState>, caller: Caller) -> Response {
    let Some(token) = caller.session_token else {
        return Problem::invalid(
            "authorization",
            "API 客户端令牌会自动过期 / client tokens expire by themselves",
        )
        .into_response();
    };
    match state.identity.logout(&token).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => identity_problem(e).into_response(),
    }
}

#[derive(Deserialize)]
struct TokenBody {
    client_id: String,
    client_secret: String,
    #[serde(default)]
    scope: Option<String>,
}

async fn token(State(state): State<AppState>, ApiJson(b): ApiJson<TokenBody>) -> Response {
    let scopes: Vec<String> = b
        .scope
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    match state
        .identity
        .issue_token(&b.client_id, &b.client_secret, &scopes)
        .await
    {
        Ok(t) => Json(t).into_response(),
        Err(e) => identity_problem(e).into_response(),
    }
}

async fn me(State(state): State<AppState>, caller: Caller) -> Response {
    let id = match AccountId::parse("id", &caller.principal.id) {
        Ok(id) => id,
        Err(_) => {
            return Json(serde_json::json!({
                "kind": "api_client",
                "id": caller.principal.id,
                "name": caller.principal.name,
                "department": caller.principal.department,
            }))
            .into_response();
        }
    };
    match state.identity.get_user(&caller.principal, &id).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => identity_problem(e).into_response(),
    }
}

async fn list_departments(State(state): State<AppState>, caller: Caller) -> Response {
    match state.identity.list_departments(&caller.principal).await {
        Ok(v) => Json(serde_json::json!({ "items": v })).into_response(),
        Err(e) => identity_problem(e).into_response(),
    }
}

#[derive(Deserialize)]
struct DepartmentBody {
    code: String,
    name_zh: String,
    #[serde(default)]
    name_en: String,
    parent_id: String,
}

async fn create_department(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<DepartmentBody>,
) -> Response {
    let parent = match DeptId::parse("parent_id", &b.parent_id) {
        Ok(p) => p,
        Err(inv) => return Problem::invalid(&inv.field, &inv.reason).into_response(),
    };
    let kind = match state.identity.get_department(&caller.principal, &parent).await {
        Ok(p) if p.kind == DeptKind::City => DeptKind::Department,
        Ok(_) => DeptKind::Office,
        Err(e) => return identity_problem(e).into_response(),
    };
    let new = NewDepartment {
        code: b.code,
        name_zh: b.name_zh,
        name_en: b.name_en,
        parent: Some(parent),
        kind,
    };
    match state.identity.create_department(&caller.principal, new).await {
        Ok(d) => (StatusCode::CREATED, Json(d)).into_response(),
        Err(e) => identity_problem(e).into_response(),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UsersQuery {
    q: Option<String>,
    department_id: Option<String>,
    role: Option<String>,
    limit: Option<u32>,
    offset: Option<u64>,
}

async fn list_users(State(state): State<AppState>, caller: Caller, Query(q): Query<UsersQuery>) -> Response {
    let department = match q
        .department_id
        .as_deref()
        .map(|d| DeptId::parse("department_id", d))
        .transpose()
    {
        Ok(d) => d,
        Err(inv) => return Problem::invalid(&inv.field, &inv.reason).into_response(),
    };
    let role = match q.role.as_deref() {
        Some(r) => match Role::parse(r) {
            Some(r) => Some(r),
            None => return Problem::invalid("role", "未知角色 / unknown role").into_response(),
        },
        None => None,
    };
    let filter = UserFilter {
        department,
        role,
        kind: None,
        text: q.q.filter(|s| !s.trim().is_empty()),
    };
    let page = Page::new(q.limit.unwrap_or(50), q.offset.unwrap_or(0));
    match state.identity.list_users(&caller.principal, &filter, page).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => identity_problem(e).into_response(),
    }
}

#[derive(Deserialize)]
struct NewUserBody {
    username: String,
    display_name: String,
    password: String,
    department_id: String,
    #[serde(default)]
    roles: Vec<String>,
}

fn parse_roles(codes: &[String]) -> Result<Vec<Role>, Problem> {
    codes
        .iter()
        .map(|c| {
            Role::parse(c).ok_or_else(|| Problem::invalid("roles", &format!("未知角色 / unknown role: {c}")))
        })
        .collect()
}

async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<NewUserBody>,
) -> Response {
    let department = match DeptId::parse("department_id", &b.department_id) {
        Ok(d) => d,
        Err(inv) => return Problem::invalid(&inv.field, &inv.reason).into_response(),
    };
    let roles = match parse_roles(&b.roles) {
        Ok(r) => r,
        Err(p) => return p.into_response(),
    };
    let new = NewStaff {
        username: b.username,
        display_name: b.display_name,
        password: b.password,
        department,
        roles,
        phone: None,
        is_demo: false,
    };
    match state.identity.create_staff(&caller.principal, new).await {
        Ok(v) => (StatusCode::CREATED, Json(v)).into_response(),
        Err(e) => identity_problem(e).into_response(),
    }
}

/// Role grants scoped to the account's own department subtree (how the console and API grant).
pub(crate) async fn grants_over_department(
    state: &AppState,
    actor: &Principal,
    id: &AccountId,
    roles: &[Role],
) -> Result<Vec<RoleGrant>, tongban_identity::Error> {
    let view = state.identity.get_user(actor, id).await?;
    let scope = view.department.map(|d| d.path).ok_or_else(|| {
        tongban_identity::Error::invalid(
            "roles",
            "只有工作人员可以授予角色 / only staff accounts hold roles",
        )
    })?;
    Ok(roles
        .iter()
        .map(|r| RoleGrant {
            role: *r,
            scope: scope.clone(),
        })
        .collect())
}

fn account_id(id: &str) -> Result<AccountId, Problem> {
    AccountId::parse("id", id).map_err(|_| Problem::not_found())
}

async fn get_user(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Response {
    let id = match account_id(&id) {
        Ok(i) => i,
        Err(p) => return p.into_response(),
    };
    match state.identity.get_user(&caller.principal, &id).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => identity_problem(e).into_response(),
    }
}

#[derive(Deserialize)]
struct UpdateUserBody {
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    department_id: Option<String>,
}

async fn update_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<UpdateUserBody>,
) -> Response {
    let id = match account_id(&id) {
        Ok(i) => i,
        Err(p) => return p.into_response(),
    };
    let department = match b
        .department_id
        .as_deref()
        .map(|d| DeptId::parse("department_id", d))
        .transpose()
    {
        Ok(d) => d,
        Err(inv) => return Problem::invalid(&inv.field, &inv.reason).into_response(),
    };
    let changes = StaffChanges {
        display_name: b.display_name,
        department,
    };
    match state.identity.update_staff(&caller.principal, &id, changes).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => identity_problem(e).into_response(),
    }
}

#[derive(Deserialize)]
struct RolesBody {
    roles: Vec<String>,
}

async fn set_roles(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RolesBody>,
) -> Response {
    let id = match account_id(&id) {
        Ok(i) => i,
        Err(p) => return p.into_response(),
    };
    let roles = match parse_roles(&b.roles) {
        Ok(r) => r,
        Err(p) => return p.into_response(),
    };
    let grants = match grants_over_department(&state, &caller.principal, &id, &roles).await {
        Ok(g) => g,
        Err(e) => return identity_problem(e).into_response(),
    };
    match state.identity.set_roles(&caller.principal, &id, grants).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => identity_problem(e).into_response(),
    }
}

async fn lock_user(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Response {
    let id = match account_id(&id) {
        Ok(i) => i,
        Err(p) => return p.into_response(),
    };
    match state.identity.lock_account(&caller.principal, &id).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => identity_problem(e).into_response(),
    }
}

async fn unlock_user(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Response {
    let id = match account_id(&id) {
        Ok(i) => i,
        Err(p) => return p.into_response(),
    };
    match state.identity.unlock_account(&caller.principal, &id).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => identity_problem(e).into_response(),
    }
}

/// Accounts are never erased (the ledger refers to them): deleting one disables it and ends its
/// sessions.
async fn disable_user(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Response {
    let id = match account_id(&id) {
        Ok(i) => i,
        Err(p) => return p.into_response(),
    };
    match state.identity.disable_account(&caller.principal, &id).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => identity_problem(e).into_response(),
    }
}

async fn enable_user(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Response {
    let id = match account_id(&id) {
        Ok(i) => i,
        Err(p) => return p.into_response(),
    };
    match state.identity.enable_account(&caller.principal, &id).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => identity_problem(e).into_response(),
    }
}
