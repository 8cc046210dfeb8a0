//! Per-request context: language, the signed-in session (from the `tb_session` cookie), and the
//! CSRF token every form must post back. Resolved once by middleware, read by handlers as the
//! [`Ctx`] extractor; forms are read through [`CsrfForm`], which refuses a missing or wrong token.

use crate::AppState;
use crate::i18n::{Lang, Tr};
use crate::page::{Chrome, ChromeUser, PageError, Unrendered};
use crate::security::{cookie, random_token, same_secret, set_cookie};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use std::net::SocketAddr;
use tongban_identity::{MfaState, SessionAuth, SignedIn};
use tongban_kernel::{Permission, Principal, msg};

/// The session cookie.
pub const SESSION_COOKIE: &str = "tb_session";
/// The CSRF cookie for visitors not signed in (signed-in forms use the session's own token).
pub const CSRF_COOKIE: &str = "tb_csrf";

/// What a handler knows about the request beyond its own parameters.
#[derive(Clone)]
pub struct Ctx {
    /// Page language.
    pub lang: Lang,
    /// The session, fully signed in or still owing its second factor.
    pub auth: Option<SessionAuth>,
    /// The session token from the cookie (to sign out this session).
    pub token: Option<String>,
    /// The CSRF token forms must carry.
    pub csrf: String,
    /// Path and query of this request (to come back after signing in).
    pub here: String,
    /// Demo deployment.
    pub demo: bool,
    /// 关怀模式 (elder-friendly: larger text and targets, higher contrast, fewer links), chosen
    /// by the visitor with the switch on every page.
    pub care: bool,
    /// Client address.
    pub ip: Option<String>,
    /// Browser.
    pub user_agent: Option<String>,
    /// Served over TLS.
    pub tls: bool,
}

impl Ctx {
    /// Texts in the page language.
    pub fn t(&self) -> Tr {
        Tr { lang: self.lang }
    }

    /// The fully signed-in user, if any.
    pub fn signed_in(&self) -> Option<&SignedIn> {
        match &self.auth {
            Some(SessionAuth::Full(s)) => Some(s),
            _ => None,
        }
    }

    /// The acting principal (anonymous when nobody is fully signed in).
    pub fn principal(&self) -> Principal {
        self.signed_in()
            .map_or_else(Principal::anonymous, |s| s.principal.clone())
    }

    /// The signed-in user, or a redirect to sign in (or to finish the second factor).
    pub fn require_user(&self) -> Result<&SignedIn, PageError> {
        let next = crate::page::urlencode(&self.here);
        match &self.auth {
            Some(SessionAuth::Full(s)) => Ok(s),
            Some(SessionAuth::MfaOwed { session, .. }) if session.mfa == MfaState::SetupRequired => {
                Err(PageError::Redirect(format!("/mfa/setup?next={next}")))
            }
            Some(SessionAuth::MfaOwed { .. }) => Err(PageError::Redirect(format!("/mfa?next={next}"))),
            None => Err(PageError::Login {
                next: self.here.clone(),
            }),
        }
    }

    /// A signed-in staff member who may open the console.
    pub fn require_staff(&self) -> Result<&SignedIn, PageError> {
        let s = self.require_user()?;
        if s.principal.allows_somewhere(Permission::OpenConsole) {
            Ok(s)
        } else {
            Err(PageError::Forbidden(msg!("staff-role-required")))
        }
    }

    /// The chrome for a page titled `title`.
    pub fn chrome(&self, title: &str) -> Chrome {
        let t = self.t();
        let user = self.signed_in().map(|s| {
            let p = &s.principal;
            ChromeUser {
                display_name: s.display_name.clone(),
                is_demo: s.is_demo,
                is_staff: p.allows_somewhere(Permission::OpenConsole),
                can_departments: p.allows_somewhere(Permission::ReadDepartments),
                can_users: p.allows_somewhere(Permission::ReadUsers),
                can_ledger: p.allows_somewhere(Permission::ReadLedger),
                can_catalog: p.allows_somewhere(Permission::ReadCatalog),
                can_query: p.allows_somewhere(Permission::QueryPool),
                can_seals: p.allows_somewhere(Permission::ManageSeals)
                    || p.allows_somewhere(Permission::IssueLicences),
                can_supervise: p.allows_somewhere(Permission::SuperviseCases),
                can_participation: p.allows_somewhere(Permission::ManageParticipation),
                can_items: p.allows_somewhere(Permission::ManageServiceItems),
                can_calendar: p.allows_somewhere(Permission::ManageCalendar),
                can_egress: p.allows_somewhere(Permission::ManageEgress),
                can_clients: p.allows_somewhere(Permission::ManageApiClients),
                can_approve: tongban_identity::is_role_approver(p),
                can_cases: p.grants.iter().any(|g| g.role.handles_cases()),
                can_interact: p.allows_somewhere(Permission::HandleInteractions),
            }
        });
        Chrome {
            t,
            title: title.to_string(),
            switch_href: format!(
                "/lang/{}?back={}",
                self.lang.other().code(),
                crate::page::urlencode(&self.here)
            ),
            user,
            csrf: self.csrf.clone(),
            demo: self.demo,
            care: self.care,
            care_href: format!(
                "/care/{}?back={}",
                if self.care { "off" } else { "on" },
                crate::page::urlencode(&self.here)
            ),
            notice: None,
            errors: Vec::new(),
            typed: Default::default(),
            narrow: false,
            in_console: self.here.starts_with("/console"),
        }
    }

    /// Renders a page error in this request's language.
    pub fn fail(&self, e: PageError) -> Response {
        e.render(self.chrome(""))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "context missing").into_response())
    }
}

fn skips_session(path: &str) -> bool {
    path.starts_with("/api/")
        || path.starts_with("/open311/")
        || path.starts_with("/static/")
        || path == "/healthz"
        || path == "/metrics"
        || path == "/.well-known/openid-configuration"
        || matches!(path, "/oidc/token" | "/oidc/userinfo" | "/oidc/jwks")
}

/// The path and query of the page a request came from, when the browser says.
fn referer_path(headers: &axum::http::HeaderMap) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let (_, rest) = referer.split_once("://")?;
    let at = rest.find('/')?;
    let path = rest[at..].split('#').next().unwrap_or_default();
    (!path.starts_with("//") && !path.chars().any(char::is_control)).then(|| path.to_string())
}

/// Middleware: resolves the [`Ctx`] and keeps the CSRF and session cookies in order.
pub async fn resolve(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let headers = req.headers();
    let lang = crate::i18n::negotiate(
        cookie(headers, "lang"),
        headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()),
    );
    let path = req.uri().path().to_string();
    // A page answering a form post (a refusal, a result) has no address of its own to come
    // back to after switching language or 关怀模式: the page the form was on has.
    let here = if matches!(*req.method(), axum::http::Method::GET | axum::http::Method::HEAD) {
        req.uri()
            .path_and_query()
            .map_or_else(|| path.clone(), |pq| pq.as_str().to_string())
    } else {
        referer_path(headers).unwrap_or_else(|| "/".to_string())
    };
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(200).collect::<String>());
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());

    // Machine paths (APIs, static files, probes) carry no browser session and get no cookies.
    let machine = skips_session(&path);
    let mut clear_session = false;
    let mut auth = None;
    let mut token = None;
    if !machine && let Some(tok) = cookie(req.headers(), SESSION_COOKIE) {
        match state.identity.authenticate(tok).await {
            Ok(a) => {
                auth = Some(a);
                token = Some(tok.to_string());
            }
            Err(tongban_identity::Error::Unauthenticated) => clear_session = true,
            Err(e) => {
                tracing::warn!(error = %e, "session lookup failed");
                clear_session = true;
            }
        }
    }
    if let Some(SessionAuth::Full(s)) = &auth {
        // The request's span (crate::metrics::track) names who asked, by id only.
        tracing::Span::current().record("principal", s.principal.id.as_str());
    }
    let pre = cookie(req.headers(), CSRF_COOKIE)
        .filter(|c| c.len() == 43)
        .map(str::to_string);
    let (csrf, new_pre) = match (&auth, pre) {
        (Some(a), _) => (a.csrf_token().to_string(), None),
        (None, Some(c)) => (c, None),
        (None, None) if machine => (String::new(), None),
        (None, None) => {
            let t = random_token();
            (t.clone(), Some(t))
        }
    };
    let tls = state.settings.tls;
    let care = cookie(req.headers(), "care") == Some("1");
    let ctx = Ctx {
        lang,
        auth,
        token,
        csrf,
        here,
        demo: state.settings.demo,
        care,
        ip,
        user_agent,
        tls,
    };
    req.extensions_mut().insert(ctx.clone());
    let mut resp = next.run(req).await;
    // A body over a route's limit is refused by the limit layer before any handler runs, with
    // a bare 413; a page says it in the page's language and look.
    if resp.status() == StatusCode::PAYLOAD_TOO_LARGE
        && !path.starts_with("/api/")
        && resp.extensions().get::<Unrendered>().is_none()
    {
        let retry = ctx.t().s("error.too_large_retry").to_string();
        resp.extensions_mut()
            .insert(Unrendered(PageError::TooLarge(retry.into())));
    }
    if let Some(Unrendered(e)) = resp.extensions_mut().remove::<Unrendered>() {
        let headers = std::mem::take(resp.headers_mut());
        resp = ctx.fail(e);
        // What the handler or the layers inside set (cookies, cache rules) stays.
        for (name, value) in headers.iter() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                resp.headers_mut().append(name, value.clone());
            }
        }
    }
    if let Some(t) = new_pre {
        resp.headers_mut()
            .append(header::SET_COOKIE, set_cookie(CSRF_COOKIE, &t, None, tls));
    }
    let sets_session = resp
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.as_bytes().starts_with(SESSION_COOKIE.as_bytes()));
    if clear_session && !sets_session {
        resp.headers_mut()
            .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", Some(0), tls));
    }
    resp
}

#[derive(serde::Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// An HTML form body of type `T` whose `csrf` field matched the request's token.
pub struct CsrfForm<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = req
            .extensions()
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| PageError::Internal("context missing".into()).into_response())?;
        let body = bytes::Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let sent: CsrfField =
            serde_urlencoded::from_bytes(&body).unwrap_or(CsrfField { csrf: String::new() });
        if sent.csrf.is_empty() || !same_secret(&sent.csrf, &ctx.csrf) {
            return Err(PageError::Csrf.into_response());
        }
        // A body no page of ours posts (a field sent twice, a number that is not one) is the
        // sender's mistake, not ours.
        serde_urlencoded::from_bytes(&body).map(CsrfForm).map_err(|e| {
            PageError::BadRequest(msg!("form-could-not-be-read", error = e.to_string())).into_response()
        })
    }
}

/// The request's [`Ctx`], resolved by the middleware before any extractor runs.
fn resolved(parts: &Parts) -> Result<&Ctx, PageError> {
    parts
        .extensions
        .get::<Ctx>()
        .ok_or(PageError::Internal("context missing".into()))
}

/// The fully signed-in user, as an extractor: a visitor is sent to sign in (or to finish the
/// second factor) and comes back to this page.
pub struct User(pub SignedIn);

impl<S: Send + Sync> FromRequestParts<S> for User {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        resolved(parts)?.require_user().cloned().map(User)
    }
}

/// A signed-in staff member who may open the console, as an extractor; anyone else is refused
/// (or sent to sign in).
pub struct Staff(pub SignedIn);

impl<S: Send + Sync> FromRequestParts<S> for Staff {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        resolved(parts)?.require_staff().cloned().map(Staff)
    }
}

/// A query string of type `T` for a page: one that does not read (a page number that is not a
/// number, a value given twice) is a 400 page in the request's language, never a line of plain
/// text.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        serde_urlencoded::from_str(parts.uri.query().unwrap_or_default())
            .map(Query)
            .map_err(|_| PageError::BadRequest(msg!("address-value-unreadable")))
    }
}

/// A typed id from the last path segment (`/cases/{id}`): anything that is not an id of that
/// kind is a page not found, never a raw 400.
pub struct IdPath<T>(pub T);

impl<S: Send + Sync, T: tongban_kernel::id::TypedId> FromRequestParts<S> for IdPath<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(text) = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| PageError::NotFound)?;
        T::parse_text(&text).map(IdPath).ok_or(PageError::NotFound)
    }
}

/// Pairs of form fields that may repeat (`role=a&role=b`), for checkbox groups.
pub fn repeated(body: &[(String, String)], name: &str) -> Vec<String> {
    body.iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

/// The client's address as the server saw it (for API handlers that take no [`Ctx`]).
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::referer_path;
    use axum::http::{HeaderMap, HeaderValue, header};

    fn from(referer: &str) -> Option<String> {
        let mut h = HeaderMap::new();
        h.insert(header::REFERER, HeaderValue::from_str(referer).unwrap());
        referer_path(&h)
    }

    #[test]
    fn a_form_page_comes_back_to_the_page_the_form_was_on() {
        assert_eq!(
            from("https://gov.example.cn/console/cases/abc?tab=1#form").as_deref(),
            Some("/console/cases/abc?tab=1")
        );
        assert_eq!(from("http://127.0.0.1:8080/").as_deref(), Some("/"));
        assert_eq!(from("https://evil.example//elsewhere"), None);
        assert_eq!(from("/no-scheme"), None);
        assert_eq!(from("https://host-only"), None);
        assert_eq!(referer_path(&HeaderMap::new()), None);
    }
}
