//! The OIDC provider's endpoints (统一身份认证) for department systems: discovery, the JWK set,
//! authorization with the portal's own sign-in and consent pages (plain forms, no script), the
//! token and userinfo endpoints and RP-initiated logout. The rules are the identity crate's
//! (`tongban_identity::oidc`); this module parses, calls once and answers in OAuth's words.
//!
//! A browser leaves for the system's address through a short page that refreshes to it rather
//! than a redirect: the portal's pages only allow forms to post to the portal itself
//! (`form-action 'self'`), and browsers apply that to where a posted form is redirected.

use crate::AppState;
use crate::context::Query;
use crate::context::User;
use crate::context::{CsrfForm, Ctx};
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use base64::Engine;
use serde_json::json;
use tongban_identity::oidc::{AuthError, AuthParams, AuthRequest, Oidc, TokenError, TokenParams};

/// The provider's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/oidc/jwks", get(jwks))
        .route("/oidc/authorize", get(authorize).post(decide))
        .route("/oidc/token", axum::routing::post(token))
        .route("/oidc/userinfo", get(userinfo).post(userinfo))
        .route("/oidc/logout", get(logout))
}

/// JSON that caches may keep for five minutes (discovery, keys).
fn public_json(value: serde_json::Value) -> Response {
    let mut resp = Json(value).into_response();
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    resp
}

/// `GET /.well-known/openid-configuration`.
async fn discovery(State(state): State<AppState>) -> Response {
    public_json(state.oidc.discovery())
}

/// `GET /oidc/jwks`.
async fn jwks(State(state): State<AppState>) -> PageResult {
    match state.oidc.jwks().await {
        Ok(keys) => Ok(public_json(keys)),
        Err(e) => Err(PageError::Internal(e.to_string())),
    }
}

#[derive(Template)]
#[template(path = "oidc/consent.html")]
struct ConsentPage {
    c: Chrome,
    client: String,
    department: String,
    /// What each asked scope lets the system see, in the page's language.
    shares: Vec<&'static str>,
    /// The request's parameters, posted back with the answer.
    params: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "oidc/continue.html")]
struct ContinuePage {
    c: Chrome,
    /// Where the browser goes next.
    to: String,
    /// The system's name.
    client: String,
}

/// A page that sends the browser on to `to` (a registered redirect URI) at once.
fn continue_to(ctx: &Ctx, to: String, client: &str) -> Response {
    render(&ContinuePage {
        c: ctx.chrome(ctx.t().s("oidc.continue")),
        to,
        client: client.to_string(),
    })
}

/// A request that cannot go on: shown to the person, or told to the client.
fn refused(ctx: &Ctx, e: AuthError, client: &str) -> PageResult {
    match e.location() {
        Some(to) => Ok(continue_to(ctx, to, client)),
        None => match e {
            AuthError::Shown(why) => Err(PageError::BadRequest(why.into())),
            AuthError::Redirect { .. } => Err(PageError::NotFound),
        },
    }
}

fn params_of(p: &AuthParams) -> Vec<(&'static str, String)> {
    [
        ("response_type", p.response_type.clone()),
        ("client_id", p.client_id.clone()),
        ("redirect_uri", p.redirect_uri.clone()),
        ("scope", p.scope.clone()),
        ("state", p.state.clone().unwrap_or_default()),
        ("nonce", p.nonce.clone().unwrap_or_default()),
        ("code_challenge", p.code_challenge.clone()),
        ("code_challenge_method", p.code_challenge_method.clone()),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect()
}

/// What a scope lets the system see, for the consent page.
fn share_of(ctx: &Ctx, scope: &str) -> Option<&'static str> {
    let t = ctx.t();
    match scope {
        "openid" => Some(t.s("oidc.share_openid")),
        "profile" => Some(t.s("oidc.share_profile")),
        "department" => Some(t.s("oidc.share_department")),
        "roles" => Some(t.s("oidc.share_roles")),
        "offline_access" => Some(t.s("oidc.share_offline")),
        _ => None,
    }
}

/// `GET /oidc/authorize`: a system asks to sign the person in.
async fn authorize(State(state): State<AppState>, ctx: Ctx, Query(p): Query<AuthParams>) -> PageResult {
    let req = match state.oidc.check_request(&p).await {
        Ok(r) => r,
        Err(e) => return refused(&ctx, e, ""),
    };
    let silent = req.prompt.iter().any(|p| p == "none");
    let user = match ctx.require_user() {
        Ok(u) => u.clone(),
        Err(_) if silent => {
            let to = tongban_identity::oidc::with_query(
                &req.redirect_uri,
                &[
                    ("error", "login_required"),
                    ("state", req.state.as_deref().unwrap_or("")),
                ],
            );
            return Ok(continue_to(&ctx, to, &req.client.name));
        }
        Err(e) => return Err(e),
    };
    let asked_again = req.prompt.iter().any(|p| p == "consent");
    match state
        .oidc
        .has_consent(&tongban_identity::AccountId(user.principal.id.clone()), &req)
        .await
    {
        Ok(true) if !asked_again => approve(&state, &ctx, &user, &req, false).await,
        Ok(_) if silent => {
            let to = tongban_identity::oidc::with_query(
                &req.redirect_uri,
                &[
                    ("error", "consent_required"),
                    ("state", req.state.as_deref().unwrap_or("")),
                ],
            );
            Ok(continue_to(&ctx, to, &req.client.name))
        }
        Ok(_) => Ok(consent_page(&ctx, &req, &p)),
        Err(e) => Err(crate::errors::identity_page(e)),
    }
}

fn consent_page(ctx: &Ctx, req: &AuthRequest, p: &AuthParams) -> Response {
    let t = ctx.t();
    let d = &req.client.department;
    render(&ConsentPage {
        c: ctx.chrome(t.s("oidc.consent_title")),
        client: req.client.name.clone(),
        department: t.pick(&d.name_zh, &d.name_en).to_string(),
        shares: req.scope.iter().filter_map(|s| share_of(ctx, s)).collect(),
        params: params_of(p),
    })
}

async fn approve(
    state: &AppState,
    ctx: &Ctx,
    user: &tongban_identity::SignedIn,
    req: &AuthRequest,
    consent: bool,
) -> PageResult {
    match state
        .oidc
        .approve(
            &user.principal,
            &user.session.id,
            user.session.created,
            req,
            consent,
        )
        .await
    {
        Ok(to) => Ok(continue_to(ctx, to, &req.client.name)),
        Err(e) => Err(crate::errors::identity_page(e)),
    }
}

/// The consent form's answer: the request again, and `decision` = `allow` or `deny`.
#[derive(serde::Deserialize)]
struct Decision {
    #[serde(flatten)]
    params: AuthParams,
    #[serde(default)]
    decision: String,
}

/// `POST /oidc/authorize`: the person allows or refuses.
async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    CsrfForm(form): CsrfForm<Decision>,
) -> PageResult {
    let req = match state.oidc.check_request(&form.params).await {
        Ok(r) => r,
        Err(e) => return refused(&ctx, e, ""),
    };
    match form.decision.as_str() {
        "allow" => approve(&state, &ctx, &user, &req, true).await,
        _ => Ok(continue_to(&ctx, Oidc::denied(&req), &req.client.name)),
    }
}

/// An OAuth error answer (RFC 6749 §5.2): 401 with a challenge for a failed client
/// authentication, 400 otherwise; never cached.
fn token_error(e: TokenError, basic: bool) -> Response {
    let status = match e.error {
        "invalid_client" => StatusCode::UNAUTHORIZED,
        "server_error" => {
            tracing::error!(detail = %e.description, "token endpoint failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
        _ => StatusCode::BAD_REQUEST,
    };
    let description = if e.error == "server_error" {
        "the provider could not answer".to_string()
    } else {
        e.description
    };
    let mut resp = (
        status,
        Json(json!({ "error": e.error, "error_description": description })),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED && basic {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"tongban\""),
        );
    }
    resp
}

/// `id:secret` of an `Authorization: Basic` header, each form-urlencoded (RFC 6749 §2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Option<Result<(String, String), ()>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    let pair = decoded.as_deref().and_then(|d| d.split_once(':'));
    Some(match pair {
        Some((id, secret)) => match (form_decode(id), form_decode(secret)) {
            (Some(id), Some(secret)) => Ok((id, secret)),
            _ => Err(()),
        },
        None => Err(()),
    })
}

/// Decodes `application/x-www-form-urlencoded` text (`+` is a space).
fn form_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// `POST /oidc/token`.
async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<TokenParams>, axum::extract::rejection::FormRejection>,
) -> Response {
    let basic = basic_credentials(&headers);
    let used_basic = basic.is_some();
    let Ok(Form(p)) = form else {
        return token_error(
            TokenError {
                error: "invalid_request",
                description: "send the parameters as application/x-www-form-urlencoded".into(),
            },
            used_basic,
        );
    };
    let basic = match basic {
        Some(Ok(pair)) => Some(pair),
        Some(Err(())) => {
            return token_error(
                TokenError {
                    error: "invalid_client",
                    description: "the Basic credentials cannot be read".into(),
                },
                true,
            );
        }
        None => None,
    };
    match state.oidc.token(&p, basic).await {
        Ok(set) => {
            let mut resp = Json(set).into_response();
            resp.headers_mut()
                .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            resp
        }
        Err(e) => token_error(e, used_basic),
    }
}

/// `GET|POST /oidc/userinfo` with `Authorization: Bearer <access token>`.
async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .unwrap_or_default();
    let challenge = |error: &'static str| {
        let mut resp = (StatusCode::UNAUTHORIZED, Json(json!({ "error": error }))).into_response();
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(if error == "invalid_request" {
                "Bearer realm=\"tongban\""
            } else {
                "Bearer realm=\"tongban\", error=\"invalid_token\""
            }),
        );
        resp
    };
    if token.is_empty() {
        return challenge("invalid_request");
    }
    match state.oidc.userinfo(token).await {
        Ok(claims) => Json(claims).into_response(),
        Err(tongban_identity::Error::Forbidden { .. }) => challenge("invalid_token"),
        Err(e) => {
            tracing::error!(detail = %e, "userinfo failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct LogoutParams {
    id_token_hint: String,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

#[derive(Template)]
#[template(path = "oidc/logout.html")]
struct LogoutPage {
    c: Chrome,
    /// Signed out already (a valid hint), or asked to confirm.
    done: bool,
}

/// `GET /oidc/logout`: RP-initiated logout. With a valid `id_token_hint` the session it was
/// issued in ends and the browser returns to the system's registered address; without one the
/// person is asked (the portal's own sign-out form), so a link elsewhere cannot sign anyone out.
async fn logout(State(state): State<AppState>, ctx: Ctx, Query(q): Query<LogoutParams>) -> PageResult {
    let target = state
        .oidc
        .logout(
            &q.id_token_hint,
            q.post_logout_redirect_uri.as_deref(),
            q.state.as_deref(),
        )
        .await?;
    let t = ctx.t();
    match target {
        Some(target) => {
            let mut resp = match target.redirect {
                Some(to) => continue_to(&ctx, to, ""),
                None => render(&LogoutPage {
                    c: ctx.chrome(t.s("oidc.logged_out")),
                    done: true,
                }),
            };
            // The cookie of the ended session goes too.
            resp.headers_mut().append(
                header::SET_COOKIE,
                crate::security::set_cookie(crate::context::SESSION_COOKIE, "", Some(0), ctx.tls),
            );
            Ok(resp)
        }
        None => Ok(render(&LogoutPage {
            c: ctx.chrome(t.s("oidc.logout_title")),
            done: false,
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let mut h = HeaderMap::new();
        let raw = base64::engine::general_purpose::STANDARD.encode("tbo_1:a%2Bb+c");
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {raw}")).unwrap(),
        );
        assert_eq!(basic_credentials(&h), Some(Ok(("tbo_1".into(), "a+b c".into()))));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        assert_eq!(basic_credentials(&h), Some(Err(())));
        assert_eq!(form_decode("%zz"), None);
        assert_eq!(form_decode("%e4%b8%ad"), Some("中".into()));
    }
}
