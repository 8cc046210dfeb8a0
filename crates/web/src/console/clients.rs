//! 接入系统 in the console: a department administrator registers the department systems that
//! call the platform's API, and those that sign people in through the platform (统一身份认证,
//! OIDC), gives one a new secret, or switches one off. A secret is shown once, on the page that
//! answers the registration or the change, and never again (the identity service keeps only its
//! hash).

use crate::AppState;
use crate::context::Query;
use crate::context::{CsrfForm, Ctx};
use crate::errors::{FormOutcome, identity_form, identity_page};
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render};
use crate::portal::NoFields;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use tongban_identity::{ApiClient, ClientId, DeptId};
use tongban_kernel::{Msg, Permission, Principal, msg};

/// One department system as the list shows it.
struct ClientRow {
    id: String,
    name: String,
    client_id: String,
    department: String,
    scopes: String,
    created: String,
    disabled: bool,
}

/// One system that signs people in, as the list shows it.
struct SsoRow {
    name: String,
    client_id: String,
    department: String,
    alg: String,
    redirect_uris: Vec<String>,
    created: String,
    disabled: bool,
}

#[derive(Template)]
#[template(path = "console/clients.html")]
struct ClientsPage {
    c: Chrome,
    clients: Vec<ClientRow>,
    sso: Vec<SsoRow>,
    /// The provider's discovery address, for the systems' administrators.
    discovery: String,
    /// (id, name) of the departments the administrator may register systems for.
    departments: Vec<(String, String)>,
}

/// The page that shows a secret, this once.
#[derive(Template)]
#[template(path = "console/client_secret.html")]
struct SecretPage {
    c: Chrome,
    name: String,
    client_id: String,
    secret: String,
    /// A new secret for a system already registered (the old one ended).
    rotated: bool,
    /// For a system that signs people in: the provider's discovery address.
    discovery: Option<String>,
}

fn require(ctx: &Ctx) -> Result<Principal, PageError> {
    let user = ctx.require_staff()?;
    if user.principal.allows_somewhere(Permission::ManageApiClients) {
        Ok(user.principal.clone())
    } else {
        Err(PageError::Forbidden(msg!("not-permitted-manage-systems")))
    }
}

async fn page(state: &AppState, ctx: &Ctx, c: Chrome) -> PageResult {
    let me = require(ctx)?;
    let t = ctx.t();
    let zone = &state.settings.zone;
    let official = crate::page::DeptNames::load(state, t).await?;
    let clients = match state.identity.list_api_clients(&me).await {
        Ok(list) => list
            .into_iter()
            .map(|k: ApiClient| ClientRow {
                id: k.id.as_str().to_string(),
                department: official.of(k.department.path.as_str(), &k.department.name_zh),
                scopes: k.scopes.join(" "),
                created: k.created.display_in(zone),
                disabled: k.disabled,
                name: k.name,
                client_id: k.client_id,
            })
            .collect(),
        Err(e) => return Err(identity_page(e)),
    };
    let sso = match state.oidc.list_clients(&me).await {
        Ok(list) => list
            .into_iter()
            .map(|k| SsoRow {
                department: official.of(k.department.path.as_str(), &k.department.name_zh),
                created: k.created.display_in(zone),
                name: k.name,
                client_id: k.client_id,
                alg: k.id_token_alg,
                redirect_uris: k.redirect_uris,
                disabled: k.disabled,
            })
            .collect(),
        Err(e) => return Err(identity_page(e)),
    };
    let departments = super::indented_choices(
        t,
        &super::visible_departments(state, &me).await?,
        |d| me.allows(Permission::ManageApiClients, Some(&d.path)),
        |d| d.id.as_str().to_string(),
    );
    let failed = !c.errors.is_empty();
    let mut resp = render(&ClientsPage {
        c,
        clients,
        sso,
        discovery: discovery_url(state),
        departments,
    });
    if failed {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

/// What the last change did, carried to the page it redirects to.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct DoneQuery {
    disabled: Option<String>,
}

/// `GET /console/clients[?disabled=1]`.
pub(super) async fn show(State(state): State<AppState>, ctx: Ctx, Query(q): Query<DoneQuery>) -> PageResult {
    let t = ctx.t();
    let mut c = ctx.chrome(t.s("clients.title"));
    if q.disabled.is_some() {
        c.notice = Some(t.s("clients.disabled_done").to_string());
    }
    page(&state, &ctx, c).await
}

/// The secret, once: never cached, never in an address.
fn secret_page(ctx: &Ctx, title: &str, shown: SecretPage) -> Response {
    let mut resp = render(&SecretPage {
        c: ctx.chrome(title),
        ..shown
    });
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    resp
}

/// A registration form's name, department and third answer, each as (field, answer), with
/// `third_missing` said when the third is empty: every empty one named at once (the identity
/// service checks each again); the chosen department, or `None` with the errors on `c`.
fn checked(
    c: &mut Chrome,
    [name, department, third]: [(&str, &str); 3],
    third_missing: Msg,
) -> Option<DeptId> {
    for ((field, answer), msg) in [
        (name, msg!("name-the-system")),
        (department, msg!("choose-a-department")),
        (third, third_missing),
    ] {
        if answer.trim().is_empty() {
            c.add_error(field, msg);
        }
    }
    let (field, answer) = department;
    let chosen = DeptId::parse(field, answer.trim());
    if chosen.is_err() && !answer.trim().is_empty() {
        c.add_error(field, msg!("choose-a-department"));
    }
    chosen.ok().filter(|_| c.errors.is_empty())
}

fn api_secret(ctx: &Ctx, k: ApiClient, secret: String, rotated: bool) -> SecretPage {
    SecretPage {
        c: ctx.chrome(""),
        name: k.name,
        client_id: k.client_id,
        secret,
        rotated,
        discovery: None,
    }
}

/// A department system to register for the API.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub(super) struct ApiClientForm {
    name: String,
    /// The department's id.
    department: String,
    /// Scopes separated by spaces.
    scopes: String,
}

/// `POST /console/clients`: `name`, `department` (id), `scopes` (separated by spaces).
pub(super) async fn register(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<ApiClientForm>,
) -> PageResult {
    let me = require(&ctx)?;
    let t = ctx.t();
    let mut c = ctx.chrome(t.s("clients.title"));
    c.keep(&form);
    let Some(department) = checked(
        &mut c,
        [
            ("name", &form.name),
            ("department", &form.department),
            ("scopes", &form.scopes),
        ],
        msg!("give-its-scopes"),
    ) else {
        return page(&state, &ctx, c).await;
    };
    let scopes: Vec<String> = form.scopes.split_whitespace().map(str::to_string).collect();
    match state
        .identity
        .create_api_client(&me, &department, form.name.trim(), &scopes)
        .await
    {
        Ok((k, secret)) => Ok(secret_page(
            &ctx,
            t.s("clients.registered"),
            api_secret(&ctx, k, secret, false),
        )),
        Err(e) => match identity_form(e, "name") {
            FormOutcome::Field(field, msg) => {
                c.add_error(&field, &msg);
                page(&state, &ctx, c).await
            }
            FormOutcome::Page(p) => Err(p),
        },
    }
}

/// The administrator and the system `id` a button acts on.
fn managed(ctx: &Ctx, id: &str) -> Result<(Principal, ClientId), PageError> {
    let me = require(ctx)?;
    tongban_kernel::id::check_uuid("id", id).map_err(|_| PageError::NotFound)?;
    Ok((me, ClientId(id.to_string())))
}

/// `POST /console/clients/{id}/rotate`: a new secret, shown once.
pub(super) async fn rotate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let (me, id) = managed(&ctx, &id)?;
    match state.identity.rotate_api_client_secret(&me, &id).await {
        Ok((k, secret)) => Ok(secret_page(
            &ctx,
            ctx.t().s("clients.rotated"),
            api_secret(&ctx, k, secret, true),
        )),
        Err(e) => Err(identity_page(e)),
    }
}

/// `POST /console/clients/{id}/disable`.
pub(super) async fn disable(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let (me, id) = managed(&ctx, &id)?;
    match state.identity.disable_api_client(&me, &id).await {
        Ok(_) => Ok(Redirect::to("/console/clients?disabled=1").into_response()),
        Err(e) => Err(identity_page(e)),
    }
}

/// The secret of a system that signs people in, with the address it reads its configuration at.
fn sso_secret(
    state: &AppState,
    ctx: &Ctx,
    name: String,
    client_id: String,
    secret: String,
    rotated: bool,
) -> SecretPage {
    SecretPage {
        c: ctx.chrome(""),
        name,
        client_id,
        secret,
        rotated,
        discovery: Some(discovery_url(state)),
    }
}

fn discovery_url(state: &AppState) -> String {
    format!("{}/.well-known/openid-configuration", state.oidc.issuer())
}

/// A system that signs people in through the platform.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub(super) struct SsoClientForm {
    sso_name: String,
    /// The department's id.
    sso_department: String,
    /// Redirect URIs, one per line.
    sso_redirects: String,
    /// ES256 or SM2.
    sso_alg: String,
}

/// `POST /console/clients/sso`: `sso_name`, `sso_department` (id), `sso_redirects` (one per
/// line), `sso_alg` (ES256 or SM2).
pub(super) async fn register_sso(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<SsoClientForm>,
) -> PageResult {
    let me = require(&ctx)?;
    let t = ctx.t();
    let mut c = ctx.chrome(t.s("clients.title"));
    c.keep(&form);
    let Some(department) = checked(
        &mut c,
        [
            ("sso_name", &form.sso_name),
            ("sso_department", &form.sso_department),
            ("sso_redirects", &form.sso_redirects),
        ],
        msg!("give-its-redirect-uris"),
    ) else {
        return page(&state, &ctx, c).await;
    };
    let redirects: Vec<String> = form.sso_redirects.trim().lines().map(str::to_string).collect();
    match state
        .oidc
        .add_client(
            &me,
            &department,
            form.sso_name.trim(),
            &redirects,
            form.sso_alg.trim(),
        )
        .await
    {
        Ok((k, secret)) => Ok(secret_page(
            &ctx,
            t.s("clients.registered"),
            sso_secret(&state, &ctx, k.name, k.client_id, secret, false),
        )),
        Err(e) => match identity_form(e, "sso_name") {
            FormOutcome::Field(field, msg) => {
                let field = match field.as_str() {
                    "redirect_uri" => "sso_redirects",
                    "id_token_alg" => "sso_alg",
                    "department" => "sso_department",
                    _ => "sso_name",
                };
                c.add_error(field, &msg);
                page(&state, &ctx, c).await
            }
            FormOutcome::Page(p) => Err(p),
        },
    }
}

/// `POST /console/clients/sso/{client_id}/rotate`: a new secret, shown once.
pub(super) async fn rotate_sso(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(client_id): Path<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let me = require(&ctx)?;
    let name = match state.oidc.list_clients(&me).await {
        Ok(list) => list
            .into_iter()
            .find(|k| k.client_id == client_id)
            .map(|k| k.name),
        Err(e) => return Err(identity_page(e)),
    };
    let Some(name) = name else {
        return Err(PageError::NotFound);
    };
    match state.oidc.rotate_client_secret(&me, &client_id).await {
        Ok(secret) => Ok(secret_page(
            &ctx,
            ctx.t().s("clients.rotated"),
            sso_secret(&state, &ctx, name, client_id, secret, true),
        )),
        Err(e) => Err(identity_page(e)),
    }
}

/// `POST /console/clients/sso/{client_id}/disable`.
pub(super) async fn disable_sso(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(client_id): Path<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let me = require(&ctx)?;
    match state.oidc.disable_client(&me, &client_id).await {
        Ok(()) => Ok(Redirect::to("/console/clients?disabled=1").into_response()),
        Err(e) => Err(identity_page(e)),
    }
}
