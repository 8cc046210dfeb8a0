//! Errors as HTTP: `application/problem+json` (RFC 9457) for the API, naming the bad field, and
//! friendly bilingual pages for browsers. Bad input is never a 500.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tongban_kernel::{Msg, msg};

/// A problem detail for the JSON API.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// A URI naming the kind of problem (relative to the API).
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary, bilingual.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What happened, bilingual.
    pub detail: String,
    /// The input field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// RFC 9457 extension: every bad parameter with its reason.
    #[serde(rename = "invalid-params", skip_serializing_if = "Vec::is_empty")]
    pub invalid_params: Vec<InvalidParam>,
    /// Seconds to wait before retrying (sent as `Retry-After` with a 429).
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

/// One bad parameter.
#[derive(Debug, Clone, Serialize)]
pub struct InvalidParam {
    /// Field name.
    pub name: String,
    /// Why.
    pub reason: String,
}

impl Problem {
    /// A problem with `status`, a short `kind` slug and bilingual `detail`.
    pub fn new(status: StatusCode, kind: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("/problems/{kind}"),
            title: title_for(status).to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            field: None,
            invalid_params: Vec::new(),
            retry_after: None,
        }
    }

    /// 400 naming `field`.
    pub fn invalid(field: &str, reason: impl std::fmt::Display) -> Self {
        let mut p = Self::new(StatusCode::BAD_REQUEST, "invalid", format!("{field}: {reason}"));
        p.field = Some(field.to_string());
        p.invalid_params.push(InvalidParam {
            name: field.into(),
            reason: reason.to_string(),
        });
        p
    }

    /// 401.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            msg!("authentication-required").to_string(),
        )
    }

    /// 403 with the domain's reason.
    pub fn forbidden(why: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", why.to_string())
    }

    /// 404.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", msg!("not-found").to_string())
    }

    /// 500 that says nothing about internals (they are logged instead).
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            msg!("service-unavailable-nothing-lost").to_string(),
        )
    }
}

fn title_for(status: StatusCode) -> Msg {
    match status.as_u16() {
        400 => msg!("title-bad-request"),
        401 => msg!("title-unauthorized"),
        403 => msg!("title-forbidden"),
        404 => msg!("title-not-found"),
        405 => msg!("title-method-not-allowed"),
        408 => msg!("title-request-timeout"),
        409 => msg!("title-conflict"),
        413 => msg!("title-payload-too-large"),
        415 => msg!("title-unsupported-media-type"),
        423 => msg!("title-locked"),
        429 => msg!("title-too-many-requests"),
        _ => msg!("title-server-error"),
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&self).unwrap_or_else(|_| "{}".into());
        let mut resp = (status, [(header::CONTENT_TYPE, "application/problem+json")], body).into_response();
        if let Some(wait) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(wait));
        }
        resp
    }
}

/// Turns any non-problem error response under `/api` (413 from the body limit, 405, 408, 404 of
/// the fallback) into problem+json, so API clients always get one error format.
pub async fn api_errors_as_problems(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let resp = next.run(req).await;
    if !is_api || !(resp.status().is_client_error() || resp.status().is_server_error()) {
        return resp;
    }
    let is_problem = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if is_problem {
        return resp;
    }
    let status = resp.status();
    let (kind, detail) = match status.as_u16() {
        413 => ("too-large", msg!("request-body-too-large")),
        405 => ("method", msg!("method-not-allowed")),
        408 => ("timeout", msg!("request-timed-out")),
        404 => ("not-found", msg!("not-found")),
        415 => ("media-type", msg!("use-application-json")),
        _ => ("error", msg!("request-not-processed")),
    };
    Problem::new(status, kind, detail.to_string()).into_response()
}
