//! The public portal: home, sign-in (with the second-factor step), citizen registration, and
//! "my account" (profile, sessions, two-step set-up).

mod activate;
mod apply;
mod bundles;
mod consultations;
mod decision;
pub(crate) use decision::letter as decision_letter;
mod interact;
pub(crate) use interact::{action_label as interact_action, attachment_rows};
mod licences;
mod materials;
mod messages;
mod my_cases;
pub(crate) use materials::{MaterialRow, material_rows};
pub(crate) use messages::{MESSAGES_SHOWN, MessageRow, hall_rows};
mod open_data;
mod services;
mod surveys;

use crate::AppState;
use crate::context::IdPath;
use crate::context::Query;
use crate::context::User;
use crate::context::{CsrfForm, Ctx, SESSION_COOKIE};
use crate::errors::{FormOutcome, identity_form, identity_page};
use crate::markup::Named;
use crate::page::PageResult;
use crate::page::{PageError, render, safe_next};
use crate::security::set_cookie;
use apply::{ForBundle, ForService};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tongban_identity::{CitizenRegistration, LoginContext, LoginOutcome, SessionAuth, SessionId};
use tongban_kernel::{Msg, Principal, msg};

/// The routes that take uploaded files, larger than any form: the materials of an application.
pub fn upload_routes() -> Router<AppState> {
    // Room for the largest post — a material, or an item with all its attachments — and its
    // form fields.
    let limit = tongban_hall::MAX_UPLOAD_BYTES
        .max(tongban_interact::MAX_ATTACHMENTS * tongban_interact::MAX_ATTACHMENT_BYTES)
        + 256 * 1024;
    Router::new()
        .route("/services/{code}/material", post(apply::material::<ForService>))
        .route("/bundles/{code}/material", post(apply::material::<ForBundle>))
        .route("/interact/new", post(interact::submit))
        .route("/my/cases/{id}/supplement", post(my_cases::supplement))
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(limit))
}

/// The portal's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/mfa", get(mfa_page).post(mfa_verify))
        .route("/mfa/setup", get(mfa_setup_page).post(mfa_setup_confirm))
        .route("/register", get(register_page).post(register))
        .route("/activate", get(activate::show).post(activate::activate))
        .route("/account", get(account))
        .route("/account/sessions/{id}/revoke", post(revoke_session))
        .route("/account/email", post(set_email))
        .route("/account/email/confirm", post(confirm_email))
        .route("/services", get(services::services))
        .route("/services/{code}", get(services::guide))
        .route(
            "/services/{code}/apply",
            get(apply::start::<ForService>).post(apply::step::<ForService>),
        )
        .route(
            "/services/{code}/apply/{key}/{step}",
            get(apply::page::<ForService>),
        )
        .route("/services/{code}/submit", post(apply::submit::<ForService>))
        .route("/files/{id}", get(materials::file))
        .route("/my/messages", get(messages::messages))
        .route("/interact", get(interact::board))
        .route("/interact/new", get(interact::new_form))
        .route("/interact/files/{id}", get(interact::attachment_file))
        .route("/interact/{id}", get(interact::entry))
        .route("/my/items", get(interact::mine))
        .route("/my/items/{id}", get(interact::item))
        .route("/my/items/{id}/rate", post(interact::rate))
        .route("/consultations", get(consultations::list))
        .route("/consultations/{id}", get(consultations::show))
        .route("/consultations/{id}/comment", post(consultations::comment))
        .route("/consultations/{id}/feedback", post(consultations::feedback))
        .route(
            "/consultations/{id}/comments/{comment}/report",
            post(consultations::report),
        )
        .route(
            "/consultations/{id}/comments/{comment}/moderate",
            post(consultations::moderate),
        )
        .route("/surveys", get(surveys::list))
        .route("/surveys/{id}", get(surveys::show).post(surveys::answer))
        .route("/surveys/{id}/results", get(surveys::results))
        .route("/surveys/{id}/{file}", get(surveys::export))
        .route("/bundles/{code}", get(bundles::guide))
        .route(
            "/bundles/{code}/apply",
            get(apply::start::<ForBundle>).post(apply::step::<ForBundle>),
        )
        .route(
            "/bundles/{code}/apply/{key}/{step}",
            get(apply::page::<ForBundle>),
        )
        .route("/bundles/{code}/submit", post(apply::submit::<ForBundle>))
        .route("/my/bundles/{id}", get(bundles::mine))
        .route("/my/messages/read", post(messages::mark_read))
        .route("/my/cases", get(my_cases::my_cases))
        .route("/my/cases/{id}", get(my_cases::my_case))
        .route("/my/cases/{id}/decision", get(decision::letter))
        .route("/my/cases/{id}/rate", post(my_cases::rate))
        .route("/my/cases/{id}/withdraw", post(my_cases::withdraw))
        .route(
            "/verify",
            get(licences::verify_page).post(licences::verify_upload),
        )
        .route("/verify/licence/{number}", get(licences::verify_number))
        .route("/my/licences", get(licences::my_licences))
        .route("/licences/{number}", get(licences::licence_page))
        .route("/licences/{number}/file", get(licences::licence_file))
        .route("/open-data", get(open_data::list))
        .route("/open-data/catalog.jsonld", get(open_data::dcat))
        .route("/open-data/terms", get(open_data::terms))
        // 一件事 are listed with the services.
        .route(
            "/bundles",
            get(|| async { axum::response::Redirect::to("/services") }),
        )
        .route("/open-data/{code}", get(open_data::resource))
        .route("/open-data/{code}/{file}", get(open_data::download))
}

/// 404 for any path nobody serves.
pub async fn not_found() -> PageResult {
    Err(PageError::NotFound)
}

#[derive(Template)]
#[template(path = "portal/home.html")]
struct HomePage {
    c: crate::page::Chrome,
    /// 高频服务: the services applied for most, `(code, name, department)`.
    popular: Vec<(String, Named, String)>,
    /// 通知公告: what is open to the public now, `(href, title, kind, department)`.
    notices: Vec<(String, Named, &'static str, String)>,
    /// The signed-in citizen's or business's own centre.
    centre: Option<Centre>,
}

/// 个人中心 on the home page.
struct Centre {
    /// Latest cases: `(href, item, number, state, overdue)`.
    cases: Vec<(String, Named, String, String, bool)>,
    open: u64,
    licences: usize,
    unread: u64,
}

/// Services shown in the home page's grid.
const POPULAR: u32 = 8;

/// `GET /`: a search box over the services, the services applied for most, what is open for
/// the public's views now, and for a signed-in citizen or business their cases, licences and
/// unread messages.
async fn home(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let t = ctx.t();
    let c = ctx.chrome(t.s("nav.home"));
    let depts = crate::page::DeptNames::load(&state, t).await?;
    let department = |path: &str, zh: &str| depts.of(path, zh);
    let popular = state
        .hall
        .popular_items(POPULAR)
        .await?
        .into_iter()
        .map(|i| {
            (
                i.code.clone(),
                t.name(&i.name, &i.name_en),
                department(i.department.path.as_str(), &i.department.name_zh),
            )
        })
        .collect();
    let today = state.interact.today();
    let mut notices: Vec<(String, Named, &'static str, String)> = state
        .interact
        .consultations(20)
        .await?
        .into_iter()
        .filter(|k| k.open_on(today))
        .map(|k| {
            (
                format!("/consultations/{}", k.id),
                t.zh_text(&k.title),
                t.s("home.notice_consultation"),
                department(k.department.path.as_str(), &k.department.name_zh),
            )
        })
        .collect();
    notices.extend(
        state
            .interact
            .surveys(20)
            .await?
            .into_iter()
            .filter(|s| s.open_on(today))
            .map(|s| {
                (
                    format!("/surveys/{}", s.id),
                    t.zh_text(&s.title),
                    t.s("home.notice_survey"),
                    department(s.department.path.as_str(), &s.department.name_zh),
                )
            }),
    );
    notices.truncate(6);
    let centre = match ctx.signed_in() {
        Some(u)
            if !u
                .principal
                .allows_somewhere(tongban_kernel::Permission::OpenConsole) =>
        {
            let who = &u.principal;
            let mine = state
                .hall
                .my_cases_page(who, None, tongban_kernel::Page::new(3, 0))
                .await?;
            let today = state.hall.today();
            let names = crate::page::ItemNames::load(&state, t).await?;
            Some(Centre {
                cases: mine
                    .items
                    .iter()
                    .map(|k| {
                        (
                            format!("/my/cases/{}", k.id),
                            names.of(&k.item_code, &k.item_name),
                            k.number.clone(),
                            names.status(&k.item_code, k.status),
                            my_cases::overdue(k, today),
                        )
                    })
                    .collect(),
                open: mine.open,
                licences: state.seals.licences_of_account(&who.id).await?.len(),
                unread: state.hall.unread_notifications(who).await?
                    + state.interact.unread_count(who).await?,
            })
        }
        _ => None,
    };
    Ok(render(&HomePage {
        c,
        popular,
        notices,
        centre,
    }))
}

#[derive(Template)]
#[template(path = "portal/login.html")]
struct LoginPage {
    c: crate::page::Chrome,
    username: String,
    next: String,
}

#[derive(Deserialize, Default)]
struct NextQuery {
    next: Option<String>,
    #[serde(default)]
    registered: Option<String>,
    #[serde(default)]
    activated: Option<String>,
}

async fn login_page(ctx: Ctx, Query(q): Query<NextQuery>) -> Response {
    let mut c = ctx.chrome(ctx.t().s("login.title"));
    c.narrow = true;
    if q.registered.is_some() {
        c.notice = Some(ctx.t().s("register.done").to_string());
    }
    if q.activated.is_some() {
        c.notice = Some(ctx.t().s("activate.done").to_string());
    }
    render(&LoginPage {
        c,
        username: String::new(),
        next: safe_next(q.next.as_deref()),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginForm {
    username: String,
    password: String,
    next: String,
}

fn session_cookie(ctx: &Ctx, token: &str) -> axum::http::HeaderValue {
    set_cookie(SESSION_COOKIE, token, None, ctx.tls)
}

async fn login(State(state): State<AppState>, ctx: Ctx, CsrfForm(f): CsrfForm<LoginForm>) -> PageResult {
    let next = safe_next(Some(&f.next));
    // Blank fields are named as such, not answered as a wrong password.
    if f.username.trim().is_empty() || f.password.is_empty() {
        let mut c = ctx.chrome(ctx.t().s("login.title"));
        c.narrow = true;
        if f.username.trim().is_empty() {
            c.add_error("username", msg!("enter-your-user-name"));
        }
        if f.password.is_empty() {
            c.add_error("password", msg!("enter-your-password"));
        }
        let mut resp = render(&LoginPage {
            c,
            username: f.username,
            next,
        });
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(resp);
    }
    let lc = LoginContext {
        ip: ctx.ip.clone(),
        user_agent: ctx.user_agent.clone(),
    };
    match state.identity.login(&f.username, &f.password, lc).await {
        Ok(outcome) => {
            // The old session, if any, ends: a new sign-in gets a new token (no session fixation).
            if let Some(old) = &ctx.token {
                let _ = state.identity.logout(old).await;
            }
            let token = outcome.new_session().token.clone();
            // Staff signing in without a destination land on their console, not the portal.
            let next = if next == "/" {
                match state.identity.principal_for_username(&f.username).await {
                    Ok(p) if p.allows_somewhere(tongban_kernel::Permission::OpenConsole) => {
                        "/console".to_string()
                    }
                    _ => next,
                }
            } else {
                next
            };
            let to = match outcome {
                LoginOutcome::Full(_) => next,
                LoginOutcome::MfaCodeNeeded(_) => format!("/mfa?next={}", crate::page::urlencode(&next)),
                LoginOutcome::MfaSetupRequired(_) => {
                    format!("/mfa/setup?next={}", crate::page::urlencode(&next))
                }
            };
            let mut resp = Redirect::to(&to).into_response();
            resp.headers_mut()
                .append(header::SET_COOKIE, session_cookie(&ctx, &token));
            Ok(resp)
        }
        Err(e) => {
            let wait = match &e {
                tongban_identity::Error::TooMany { retry_after_s } => Some(*retry_after_s),
                tongban_identity::Error::SourceBlocked { until } => {
                    Some(crate::errors::seconds_until(*until))
                }
                _ => None,
            };
            match identity_form(e, "username") {
                FormOutcome::Field(field, msg) => {
                    let mut c = ctx.chrome(ctx.t().s("login.title"));
                    c.narrow = true;
                    c.add_error(&field, &msg);
                    let mut resp = render(&LoginPage {
                        c,
                        username: f.username,
                        next,
                    });
                    *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
                    if let Some(wait) = wait {
                        // Too many attempts: the page says so, and a client is told how long to wait.
                        *resp.status_mut() = StatusCode::TOO_MANY_REQUESTS;
                        resp.headers_mut()
                            .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(wait));
                    }
                    Ok(resp)
                }
                FormOutcome::Page(p) => Err(p),
            }
        }
    }
}

/// A form that posts nothing but its CSRF token (a button: sign out, revoke, lock …).
#[derive(Deserialize)]
pub(crate) struct NoFields {}

async fn logout(State(state): State<AppState>, ctx: Ctx, CsrfForm(_): CsrfForm<NoFields>) -> Response {
    if let Some(token) = &ctx.token
        && let Err(e) = state.identity.logout(token).await
    {
        tracing::warn!(error = %e, "logout failed");
    }
    let mut resp = Redirect::to("/").into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", Some(0), ctx.tls),
    );
    resp
}

struct SetupView {
    secret: String,
    uri: String,
    /// The `otpauth://` URI drawn as a QR code (SVG) for the authenticator app to scan.
    qr: String,
}

impl SetupView {
    fn of(s: tongban_identity::TotpSetup) -> Self {
        Self {
            qr: tongban_seal::qr_svg(&s.otpauth_uri, 200).unwrap_or_default(),
            secret: s.secret_base32,
            uri: s.otpauth_uri,
        }
    }
}

#[derive(Template)]
#[template(path = "portal/mfa.html")]
struct MfaPage {
    c: crate::page::Chrome,
    setup: Option<SetupView>,
    required: bool,
    next: String,
}

async fn mfa_page(ctx: Ctx, Query(q): Query<NextQuery>) -> Response {
    let Some(SessionAuth::MfaOwed { .. }) = &ctx.auth else {
        return Redirect::to("/login").into_response();
    };
    let mut c = ctx.chrome(ctx.t().s("mfa.title"));
    c.narrow = true;
    render(&MfaPage {
        c,
        setup: None,
        required: false,
        next: safe_next(q.next.as_deref()),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CodeForm {
    code: String,
    next: String,
}

async fn mfa_verify(State(state): State<AppState>, ctx: Ctx, CsrfForm(f): CsrfForm<CodeForm>) -> PageResult {
    let Some(token) = ctx.token.clone() else {
        return Ok(Redirect::to("/login").into_response());
    };
    match state.identity.verify_mfa(&token, &f.code).await {
        Ok(_) => Ok(Redirect::to(&safe_next(Some(&f.next))).into_response()),
        Err(e) => match identity_form(e, "code") {
            FormOutcome::Field(field, msg) => {
                let mut c = ctx.chrome(ctx.t().s("mfa.title"));
                c.narrow = true;
                c.add_error(&field, &msg);
                let mut resp = render(&MfaPage {
                    c,
                    setup: None,
                    required: false,
                    next: safe_next(Some(&f.next)),
                });
                *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
                Ok(resp)
            }
            FormOutcome::Page(p) => Err(p),
        },
    }
}

async fn mfa_setup_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<NextQuery>) -> PageResult {
    let Some(token) = ctx.token.clone() else {
        return Err(PageError::Login {
            next: ctx.here.clone(),
        });
    };
    let required = matches!(ctx.auth, Some(SessionAuth::MfaOwed { .. }));
    match state.identity.begin_totp_setup(&token).await {
        Ok(s) => {
            let mut c = ctx.chrome(ctx.t().s("mfa.setup_title"));
            c.narrow = true;
            let setup = Some(SetupView::of(s));
            Ok(render(&MfaPage {
                c,
                setup,
                required,
                next: safe_next(q.next.as_deref()),
            }))
        }
        Err(e) => Err(identity_page(e)),
    }
}

async fn mfa_setup_confirm(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<CodeForm>,
) -> PageResult {
    let Some(token) = ctx.token.clone() else {
        return Err(PageError::Login {
            next: "/mfa/setup".into(),
        });
    };
    match state.identity.confirm_totp_setup(&token, &f.code).await {
        Ok(_) => Ok(Redirect::to(&safe_next(Some(&f.next))).into_response()),
        Err(e) => match identity_form(e, "code") {
            FormOutcome::Field(field, msg) => {
                // Show the same secret again so the person can retry with the app they set up.
                let required = matches!(ctx.auth, Some(SessionAuth::MfaOwed { .. }));
                let setup = match state.identity.begin_totp_setup(&token).await {
                    Ok(s) => Some(SetupView::of(s)),
                    Err(e) => return Err(identity_page(e)),
                };
                let mut c = ctx.chrome(ctx.t().s("mfa.setup_title"));
                c.narrow = true;
                c.add_error(&field, &msg);
                let mut resp = render(&MfaPage {
                    c,
                    setup,
                    required,
                    next: safe_next(Some(&f.next)),
                });
                *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
                Ok(resp)
            }
            FormOutcome::Page(p) => Err(p),
        },
    }
}

struct InputField {
    name: &'static str,
    label: &'static str,
    hint: Option<&'static str>,
    kind: &'static str,
    value: String,
    autocomplete: &'static str,
}

#[derive(Template)]
#[template(path = "portal/register.html")]
struct RegisterPage {
    c: crate::page::Chrome,
    fields: Vec<InputField>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RegisterForm {
    real_name: String,
    id_number: String,
    phone: String,
    username: String,
    password: String,
    password2: String,
}

fn register_fields(f: &RegisterForm) -> Vec<InputField> {
    vec![
        InputField {
            name: "real_name",
            label: "register.real_name",
            hint: None,
            kind: "text",
            value: f.real_name.clone(),
            autocomplete: "name",
        },
        InputField {
            name: "id_number",
            label: "register.id_number",
            hint: Some("register.id_hint"),
            kind: "text",
            value: f.id_number.clone(),
            autocomplete: "off",
        },
        InputField {
            name: "phone",
            label: "register.phone",
            hint: None,
            kind: "text",
            value: f.phone.clone(),
            autocomplete: "tel",
        },
        InputField {
            name: "username",
            label: "login.username",
            hint: Some("register.username_hint"),
            kind: "text",
            value: f.username.clone(),
            autocomplete: "username",
        },
        InputField {
            name: "password",
            label: "login.password",
            hint: Some("register.password_hint"),
            kind: "password",
            value: String::new(),
            autocomplete: "new-password",
        },
        InputField {
            name: "password2",
            label: "register.password2",
            hint: None,
            kind: "password",
            value: String::new(),
            autocomplete: "new-password",
        },
    ]
}

async fn register_page(ctx: Ctx) -> Response {
    let mut c = ctx.chrome(ctx.t().s("register.title"));
    c.narrow = true;
    render(&RegisterPage {
        c,
        fields: register_fields(&RegisterForm::default()),
    })
}

/// Registrations per client address: a burst of 10, then 2 a minute (a service hall's kiosks
/// share one address).
const REGISTER_PER_ADDRESS: (u32, u32) = (10, 2);

async fn register(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<RegisterForm>,
) -> PageResult {
    let retry = |ctx: &Ctx, f: &RegisterForm, field: &str, msg: &tongban_kernel::Msg| {
        let mut c = ctx.chrome(ctx.t().s("register.title"));
        c.narrow = true;
        c.add_error(field, msg);
        let mut resp = render(&RegisterPage {
            c,
            fields: register_fields(f),
        });
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        resp
    };
    // Every empty answer is named at once (the identity service checks each again).
    let missing: Vec<(&str, Msg)> = [
        (&f.real_name, "real_name", msg!("enter-your-full-name")),
        (&f.id_number, "id_number", msg!("enter-resident-id-number")),
        (&f.username, "username", msg!("choose-a-user-name")),
        (&f.password, "password", msg!("choose-a-password")),
        (&f.password2, "password2", msg!("repeat-the-password")),
    ]
    .into_iter()
    .filter(|(value, ..)| value.trim().is_empty())
    .map(|(_, field, msg)| (field, msg))
    .collect();
    if !missing.is_empty() {
        let mut c = ctx.chrome(ctx.t().s("register.title"));
        c.narrow = true;
        for (field, msg) in missing {
            c.add_error(field, msg);
        }
        let mut resp = render(&RegisterPage {
            c,
            fields: register_fields(&f),
        });
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(resp);
    }
    if f.password != f.password2 {
        return Ok(retry(&ctx, &f, "password2", &msg!("passwords-differ")));
    }
    // Registrations from one address are limited (before any hashing), so the form cannot be
    // driven at speed; the answer says how long to wait.
    let address = ctx.ip.clone().unwrap_or_default();
    if let Err(wait) = state.limiter.take_per_minute(
        &format!("register:{address}"),
        REGISTER_PER_ADDRESS.1,
        REGISTER_PER_ADDRESS.0,
        tongban_kernel::Millis::now(),
    ) {
        let msg = tongban_identity::Error::TooMany { retry_after_s: wait }.to_string();
        let mut resp = retry(&ctx, &f, "username", &msg.into());
        *resp.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        resp.headers_mut()
            .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(wait));
        return Ok(resp);
    }
    let reg = CitizenRegistration {
        username: f.username.clone(),
        password: f.password.clone(),
        real_name: f.real_name.clone(),
        id_number: f.id_number.clone(),
        phone: Some(f.phone.clone()).filter(|p| !p.trim().is_empty()),
        display_name: None,
        is_demo: false,
    };
    match state
        .identity
        .register_citizen(&Principal::anonymous(), reg)
        .await
    {
        Ok(_) => Ok(Redirect::to("/login?registered=1").into_response()),
        // An ID number that already has an account is answered exactly like a new one: the
        // page never tells anyone whether a person is registered (the attempt is recorded on
        // the existing account).
        Err(tongban_identity::Error::Conflict { field, .. }) if field == "id_number" => {
            Ok(Redirect::to("/login?registered=1").into_response())
        }
        Err(e) => match identity_form(e, "username") {
            FormOutcome::Field(field, msg) => Ok(retry(&ctx, &f, &field, &msg)),
            FormOutcome::Page(p) => Err(p),
        },
    }
}

struct SessionRow {
    id: String,
    created: String,
    last_seen: String,
    ip: String,
    agent: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "portal/account.html")]
struct AccountPage {
    c: crate::page::Chrome,
    profile: Vec<(&'static str, String)>,
    /// The notification e-mail address, masked.
    email: String,
    /// It awaits the code mailed to it.
    email_pending: bool,
    mfa_enabled: bool,
    sessions: Vec<SessionRow>,
    /// Recent pauses of sign-in attempts on this account: (address, began, until, holds now).
    pauses: Vec<(String, String, String, bool)>,
}

async fn account(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    account_page(&state, &ctx, None).await
}

async fn account_page(state: &AppState, ctx: &Ctx, chrome: Option<crate::page::Chrome>) -> PageResult {
    let user = ctx.require_user()?.clone();
    let me = state
        .identity
        .get_user(&user.principal, &user.session.account_id)
        .await?;
    let sessions = state.identity.list_sessions(&user.principal).await?;
    let t = ctx.t();
    let zone = &state.settings.zone;
    let mut profile: Vec<(&'static str, String)> = vec![
        ("field.username", me.username.clone()),
        ("field.display_name", me.display_name.clone()),
        ("account.kind", kind_label(t, me.kind).to_string()),
    ];
    if let Some(v) = &me.real_name_masked {
        profile.push(("register.real_name", v.clone()));
    }
    if let Some(v) = &me.id_number_masked {
        profile.push(("field.id_number", v.clone()));
    }
    if let Some(v) = &me.phone_masked {
        profile.push(("field.phone", v.clone()));
    }
    if let Some(d) = &me.department {
        profile.push(("field.department", t.pick(&d.name_zh, &d.name_en).to_string()));
    }
    if !me.grants.is_empty() {
        let roles: Vec<&str> = me.grants.iter().map(|g| role_label(t, g.role)).collect();
        profile.push(("field.roles", roles.join("、")));
    }
    let rows = sessions
        .into_iter()
        .map(|s| SessionRow {
            current: s.id == user.session.id,
            id: s.id.to_string(),
            created: s.created.display_in(zone),
            last_seen: s.last_seen.display_in(zone),
            ip: s.ip.unwrap_or_default(),
            agent: s.user_agent.unwrap_or_default().chars().take(60).collect(),
        })
        .collect();
    let pauses = state
        .identity
        .login_pauses(&user.principal, &user.session.account_id)
        .await?
        .into_iter()
        .map(|p| {
            (
                p.source,
                p.began.display_in(zone),
                p.until.map(|u| u.display_in(zone)).unwrap_or_default(),
                p.active,
            )
        })
        .collect();
    let status = state.identity.email_status(&user.principal).await?;
    let email_pending = status.as_ref().is_some_and(|s| !s.confirmed);
    let email = status.map(|s| s.masked).unwrap_or_default();
    let mut c = chrome.unwrap_or_else(|| ctx.chrome(t.s("account.title")));
    if me.is_demo {
        c.notice = Some(t.s("account.demo").to_string());
    }
    Ok(render(&AccountPage {
        c,
        email,
        email_pending,
        profile,
        mfa_enabled: me.mfa_enabled,
        sessions: rows,
        pauses,
    }))
}

/// An account kind in the page language.
pub fn kind_label(t: crate::i18n::Tr, kind: tongban_identity::AccountKind) -> &'static str {
    match kind {
        tongban_identity::AccountKind::Citizen => t.s("kind.citizen"),
        tongban_identity::AccountKind::Business => t.s("kind.business"),
        tongban_identity::AccountKind::Staff => t.s("kind.staff"),
    }
}

/// A role's name in the page language.
pub fn role_label(t: crate::i18n::Tr, role: tongban_kernel::Role) -> &'static str {
    match t.lang {
        crate::i18n::Lang::Zh => role.name_zh(),
        crate::i18n::Lang::En => role.name_en(),
    }
}

async fn revoke_session(
    State(state): State<AppState>,
    User(user): User,
    IdPath(id): IdPath<SessionId>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    match state.identity.revoke_session(&user.principal, &id).await {
        Ok(()) => Ok(Redirect::to("/account").into_response()),
        Err(e) => Err(identity_page(e)),
    }
}

/// `POST /account/email/confirm`: `code`, the six digits mailed to the address.
async fn confirm_email(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    CsrfForm(f): CsrfForm<CodeForm>,
) -> PageResult {
    match state.identity.confirm_email(&user.principal, &f.code).await {
        Ok(()) => Ok(Redirect::to("/account#email-settings").into_response()),
        Err(tongban_identity::Error::Invalid(i)) => email_refused(&state, &ctx, "code", &i.reason).await,
        Err(tongban_identity::Error::Conflict { reason, .. }) => {
            email_refused(&state, &ctx, "code", &reason).await
        }
        Err(e) => Err(identity_page(e)),
    }
}

async fn email_refused(
    state: &AppState,
    ctx: &Ctx,
    field: &str,
    reason: impl Into<tongban_kernel::Msg>,
) -> PageResult {
    let mut c = ctx.chrome(ctx.t().s("account.title"));
    c.add_error(field, reason);
    crate::page::refused(account_page(state, ctx, Some(c)).await)
}

/// The address notifications are e-mailed to (empty: none).
#[derive(Deserialize, Default)]
#[serde(default)]
struct EmailForm {
    email: String,
}

/// `POST /account/email`: sets (or, empty, removes) the address notifications are e-mailed to.
async fn set_email(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    CsrfForm(f): CsrfForm<EmailForm>,
) -> PageResult {
    match state.identity.set_email(&user.principal, &f.email).await {
        Ok(()) => Ok(Redirect::to("/account").into_response()),
        Err(tongban_identity::Error::Invalid(i)) => {
            let mut c = ctx.chrome(ctx.t().s("account.title"));
            c.add_error("email", &i.reason);
            crate::page::refused(account_page(&state, &ctx, Some(c)).await)
        }
        Err(e) => Err(identity_page(e)),
    }
}
