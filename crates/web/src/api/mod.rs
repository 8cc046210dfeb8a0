//! The JSON API under `/api/v1`. Callers authenticate with `Authorization: Bearer …`: a session
//! token from `POST /api/v1/auth/login`, or an API client's token from `POST /api/v1/auth/token`.
//! Errors are `application/problem+json` naming the field at fault.

mod answers;
mod exchange;
mod hall;
mod interact;
mod openapi;
mod push;
mod webhooks;

use crate::AppState;
use crate::errors::identity_problem;
use crate::json::ApiJson;
use crate::problem::Problem;
use axum::Json;
use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use serde::{Deserialize, Serialize};
use tongban_identity::{
    AccessToken, AccountId, AccountView, Department, DeptId, DeptKind, LoginContext, LoginOutcome,
    NewDepartment, NewStaff, SessionAuth, StaffChanges, UserFilter, UserList,
};
use tongban_kernel::{Page, Principal, Role, RoleGrant, msg};

/// The routes that take bodies larger than a form: pushed batches.
pub fn upload_routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/pool/{code}/records", post(push::push))
        // Items carry up to three base64 attachments.
        .route("/api/v1/interact/items", post(interact::submit))
        .layer(axum::extract::DefaultBodyLimit::max(push::MAX_BODY))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(push::MAX_BODY))
}

/// The API's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/openapi.json", get(openapi::document))
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/mfa", post(mfa))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/auth/token", post(token))
        .route("/api/v1/me", get(me))
        .route("/api/v1/exchange/{code}/records", get(exchange::records))
        .route("/api/v1/exchange/{code}/changes", get(exchange::changes))
        .route(
            "/api/v1/exchange/{code}/subscriptions",
            get(webhooks::list).post(webhooks::subscribe),
        )
        .route(
            "/api/v1/exchange/{code}/subscriptions/{id}",
            get(webhooks::show).delete(webhooks::unsubscribe),
        )
        .route("/api/v1/hall/cases/mine", get(hall::mine))
        .route("/api/v1/interact/items/mine", get(interact::mine))
        .route("/api/v1/interact/items/{id}", get(interact::get_item))
        .route("/api/v1/interact/attachments/{id}", get(interact::attachment))
        .route("/api/v1/interact/items/{id}/replies", post(interact::reply))
        .route("/api/v1/interact/items/{id}/rating", post(interact::rate))
        .route("/api/v1/interact/replies/{id}/review", post(interact::review))
        .route("/api/v1/interact/inbox", get(interact::inbox))
        .route("/api/v1/interact/board", get(interact::board))
        .route("/api/v1/interact/stats", get(interact::stats))
        .route(
            "/api/v1/departments",
            get(list_departments).post(create_department),
        )
        .route(
            "/api/v1/departments/{id}",
            get(get_department)
                .patch(rename_department)
                .delete(delete_department),
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
    /// The scopes of a department system's token (empty for sessions).
    pub scopes: Vec<String>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers)
            .ok_or_else(Problem::unauthorized)?
            .to_string();
        // A department system's token checked moments ago needs no database read.
        if let Some(b) = state.identity.cached_bearer(&token) {
            return Ok(Caller {
                principal: b.principal,
                session_token: None,
                scopes: b.scopes,
            });
        }
        match state.identity.authenticate(&token).await {
            Ok(SessionAuth::Full(s)) => {
                return Ok(Caller {
                    principal: s.principal,
                    session_token: Some(token),
                    scopes: Vec::new(),
                });
            }
            Ok(SessionAuth::MfaOwed { .. }) => {
                return Err(Problem::new(
                    StatusCode::UNAUTHORIZED,
                    "mfa-required",
                    msg!("complete-two-step-first").to_string(),
                ));
            }
            Err(tongban_identity::Error::Unauthenticated) => {}
            Err(e) => return Err(identity_problem(e)),
        }
        match state.identity.authenticate_bearer(&token).await {
            Ok(b) => Ok(Caller {
                principal: b.principal,
                session_token: None,
                scopes: b.scopes,
            }),
            Err(_) => Err(Problem::unauthorized()),
        }
    }
}

/// What a handler answers: a JSON value, or a problem.
type ApiResult<T> = Result<Json<T>, Problem>;

impl From<tongban_identity::Error> for Problem {
    fn from(e: tongban_identity::Error) -> Self {
        identity_problem(e)
    }
}

impl From<tongban_kernel::Invalid> for Problem {
    fn from(inv: tongban_kernel::Invalid) -> Self {
        Problem::invalid(&inv.field, &inv.reason)
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

async fn login(
    State(state): State<AppState>,
    crate::context::ClientIp(ip): crate::context::ClientIp,
    ApiJson(b): ApiJson<LoginBody>,
) -> ApiResult<LoginReply> {
    let lc = LoginContext {
        ip,
        user_agent: Some("api".into()),
    };
    let outcome = state.identity.login(&b.username, &b.password, lc).await?;
    let mfa = match &outcome {
        LoginOutcome::Full(_) => "passed",
        LoginOutcome::MfaCodeNeeded(_) => "pending",
        LoginOutcome::MfaSetupRequired(_) => "setup_required",
    };
    let s = outcome.new_session();
    Ok(Json(LoginReply {
        token: s.token.clone(),
        token_type: "Bearer",
        mfa,
        expires_at: s.session.idle_expires.rfc3339(),
    }))
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
) -> Result<StatusCode, Problem> {
    // A code is six digits whatever the session's state (one that passed already included).
    if b.code.len() != 6 || !b.code.bytes().all(|c| c.is_ascii_digit()) {
        return Err(Problem::invalid("code", msg!("code-is-6-digits")));
    }
    state.identity.verify_mfa(&token, &b.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The largest `offset` a listing takes: the largest integer every JSON reader holds exactly.
pub(crate) const MAX_OFFSET: u64 = (1 << 53) - 1;

/// A page of a listing: `limit` from 1 to `max` (`default` when absent), `offset` from 0; a
/// limit outside that is a 400 naming it, as the API document says.
pub(crate) fn page_of(
    limit: Option<u32>,
    offset: Option<u64>,
    default: u32,
    max: u32,
) -> Result<Page, Problem> {
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(Problem::invalid("limit", msg!("limit-is-1-to", max = max)));
    }
    let offset = offset.unwrap_or(0);
    if offset > MAX_OFFSET {
        return Err(Problem::invalid(
            "offset",
            msg!("offset-at-most", max = MAX_OFFSET),
        ));
    }
    Ok(Page::new(limit, offset))
}

async fn logout(State(state): State<AppState>, caller: Caller) -> Result<StatusCode, Problem> {
    let token = caller
        .session_token
        .ok_or_else(|| Problem::invalid("authorization", msg!("client-tokens-expire")))?;
    state.identity.logout(&token).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct TokenBody {
    client_id: String,
    client_secret: String,
    #[serde(default)]
    scope: Option<String>,
}

async fn token(State(state): State<AppState>, ApiJson(b): ApiJson<TokenBody>) -> ApiResult<AccessToken> {
    let scopes: Vec<String> = b
        .scope
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    Ok(Json(
        state
            .identity
            .issue_token(&b.client_id, &b.client_secret, &scopes)
            .await?,
    ))
}

async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<serde_json::Value> {
    let Ok(id) = AccountId::parse("id", &caller.principal.id) else {
        // An API client, not an account.
        return Ok(Json(serde_json::json!({
            "kind": "api_client",
            "id": caller.principal.id,
            "name": caller.principal.name,
            "department": caller.principal.department,
        })));
    };
    let view = state.identity.get_user(&caller.principal, &id).await?;
    Ok(Json(serde_json::to_value(view).map_err(|_| Problem::internal())?))
}

async fn list_departments(State(state): State<AppState>, caller: Caller) -> ApiResult<serde_json::Value> {
    let items = state.identity.list_departments(&caller.principal).await?;
    Ok(Json(serde_json::json!({ "items": items })))
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
) -> Result<(StatusCode, Json<Department>), Problem> {
    let parent = DeptId::parse("parent_id", &b.parent_id)?;
    let kind = match state
        .identity
        .get_department(&caller.principal, &parent)
        .await?
        .kind
    {
        DeptKind::City => DeptKind::Department,
        _ => DeptKind::Office,
    };
    let new = NewDepartment {
        code: b.code,
        name_zh: b.name_zh,
        name_en: b.name_en,
        parent: Some(parent),
        kind,
    };
    Ok((
        StatusCode::CREATED,
        Json(state.identity.create_department(&caller.principal, new).await?),
    ))
}

fn department_id(id: &str) -> Result<DeptId, Problem> {
    DeptId::parse("id", id).map_err(|_| Problem::not_found())
}

async fn get_department(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Department> {
    Ok(Json(
        state
            .identity
            .get_department(&caller.principal, &department_id(&id)?)
            .await?,
    ))
}

#[derive(Deserialize)]
struct RenameBody {
    name_zh: String,
    #[serde(default)]
    name_en: String,
}

async fn rename_department(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RenameBody>,
) -> ApiResult<Department> {
    let id = department_id(&id)?;
    Ok(Json(
        state
            .identity
            .rename_department(&caller.principal, &id, &b.name_zh, &b.name_en)
            .await?,
    ))
}

async fn delete_department(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    state
        .identity
        .delete_department(&caller.principal, &department_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
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

async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<UsersQuery>,
) -> ApiResult<UserList> {
    let department = q
        .department_id
        .as_deref()
        .map(|d| DeptId::parse("department_id", d))
        .transpose()?;
    let role = match q.role.as_deref() {
        Some(r) => Some(Role::parse(r).ok_or_else(|| Problem::invalid("role", msg!("unknown-role")))?),
        None => None,
    };
    let filter = UserFilter {
        department,
        role,
        kind: None,
        text: q.q.filter(|s| !s.trim().is_empty()),
    };
    let page = page_of(q.limit, q.offset, 50, 500)?;
    Ok(Json(
        state
            .identity
            .list_users(&caller.principal, &filter, page)
            .await?,
    ))
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
            Role::parse(c).ok_or_else(|| Problem::invalid("roles", msg!("unknown-role-named", role = c)))
        })
        .collect()
}

async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<NewUserBody>,
) -> Result<(StatusCode, Json<AccountView>), Problem> {
    let new = NewStaff {
        department: DeptId::parse("department_id", &b.department_id)?,
        roles: parse_roles(&b.roles)?,
        username: b.username,
        display_name: b.display_name,
        password: b.password,
        phone: None,
        is_demo: false,
    };
    Ok((
        StatusCode::CREATED,
        Json(state.identity.create_staff(&caller.principal, new).await?),
    ))
}

/// Role grants scoped to the account's own department subtree (how the console and API grant).
pub(crate) async fn grants_over_department(
    state: &AppState,
    actor: &Principal,
    id: &AccountId,
    roles: &[Role],
) -> Result<Vec<RoleGrant>, tongban_identity::Error> {
    let view = state.identity.get_user(actor, id).await?;
    let scope = view
        .department
        .map(|d| d.path)
        .ok_or_else(|| tongban_identity::Error::invalid("roles", msg!("only-staff-hold-roles")))?;
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

async fn get_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<AccountView> {
    Ok(Json(
        state
            .identity
            .get_user(&caller.principal, &account_id(&id)?)
            .await?,
    ))
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
) -> ApiResult<AccountView> {
    let id = account_id(&id)?;
    let department = b
        .department_id
        .as_deref()
        .map(|d| DeptId::parse("department_id", d))
        .transpose()?;
    let changes = StaffChanges {
        display_name: b.display_name,
        department,
    };
    Ok(Json(
        state
            .identity
            .update_staff(&caller.principal, &id, changes)
            .await?,
    ))
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
) -> ApiResult<AccountView> {
    let id = account_id(&id)?;
    let grants = grants_over_department(&state, &caller.principal, &id, &parse_roles(&b.roles)?).await?;
    Ok(Json(
        state.identity.set_roles(&caller.principal, &id, grants).await?,
    ))
}

/// A change of an account's status, as the four status endpoints name it.
#[derive(Clone, Copy)]
enum StatusChange {
    Lock,
    Unlock,
    Disable,
    Enable,
}

async fn change_status(
    state: &AppState,
    caller: &Caller,
    id: &str,
    change: StatusChange,
) -> ApiResult<AccountView> {
    let id = account_id(id)?;
    let actor = &caller.principal;
    let view = match change {
        StatusChange::Lock => state.identity.lock_account(actor, &id).await?,
        StatusChange::Unlock => state.identity.unlock_account(actor, &id).await?,
        StatusChange::Disable => state.identity.disable_account(actor, &id).await?,
        StatusChange::Enable => state.identity.enable_account(actor, &id).await?,
    };
    Ok(Json(view))
}

async fn lock_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<AccountView> {
    change_status(&state, &caller, &id, StatusChange::Lock).await
}

async fn unlock_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<AccountView> {
    change_status(&state, &caller, &id, StatusChange::Unlock).await
}

/// Accounts are never erased (the ledger refers to them): deleting one disables it and ends its
/// sessions.
async fn disable_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<AccountView> {
    change_status(&state, &caller, &id, StatusChange::Disable).await
}

async fn enable_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<AccountView> {
    change_status(&state, &caller, &id, StatusChange::Enable).await
}
