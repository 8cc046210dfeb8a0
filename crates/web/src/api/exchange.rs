//! The exchange API for department systems (`/api/v1/exchange/{code}/…`): record lookups by
//! field value and the change feed. Only API clients call it, each with an `X-Purpose` (用途)
//! header and within its rate limit; what they may read is the pool's decision (granted fields,
//! masking, row filter) and every read is recorded there before it is answered.

use super::Caller;
use crate::AppState;
use crate::problem::Problem;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tongban_kernel::{PrincipalKind, msg};
use tongban_pool::{Lookup, MAX_RECORDS};

/// The purpose header.
const PURPOSE: &str = "x-purpose";
/// The token scope a department system needs for the exchange.
pub const SCOPE: &str = "exchange.read";

/// The caller as a department system within its rate limit, with the rate headers to send.
pub(super) fn admit(state: &AppState, caller: &Caller) -> Result<[(&'static str, HeaderValue); 2], Problem> {
    if caller.principal.kind != PrincipalKind::ApiClient {
        return Err(Problem::forbidden(msg!("exchange-api-for-systems")));
    }
    if !caller.scopes.iter().any(|s| s == SCOPE) {
        return Err(Problem::forbidden(msg!("token-lacks-scope", scope = SCOPE)));
    }
    let s = &state.settings;
    match state
        .limiter
        .take(&caller.principal.id, s.exchange_rate, s.exchange_burst)
    {
        Ok(left) => Ok([
            ("ratelimit-limit", HeaderValue::from(s.exchange_rate)),
            ("ratelimit-remaining", HeaderValue::from(left)),
        ]),
        Err(wait) => {
            let mut p = Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                msg!("too-many-calls-retry-in", wait = wait).to_string(),
            );
            p.retry_after = Some(wait);
            Err(p)
        }
    }
}

/// The declared purpose: UTF-8 (raw or percent-encoded), required.
fn purpose(headers: &HeaderMap) -> Result<String, Problem> {
    let missing = || Problem::invalid("X-Purpose", msg!("state-purpose-in-header"));
    let raw = headers.get(PURPOSE).ok_or_else(missing)?;
    let text = std::str::from_utf8(raw.as_bytes()).map_err(|_| missing())?;
    let text = if text.contains('%') {
        serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("p={}", text.replace('+', "%2B")))
            .ok()
            .and_then(|mut v| v.pop())
            .map(|(_, v)| v)
            .ok_or_else(missing)?
    } else {
        text.to_owned()
    };
    let text = text.trim().to_owned();
    if text.is_empty() {
        return Err(missing());
    }
    Ok(text)
}

/// A pool refusal or failure as a problem.
pub(super) fn pool_problem(e: tongban_pool::Error) -> Problem {
    match e {
        tongban_pool::Error::Forbidden { why } => Problem::forbidden(&why),
        tongban_pool::Error::NotFound => Problem::not_found(),
        tongban_pool::Error::Invalid(i) => {
            let field = if i.field == "purpose" {
                "X-Purpose"
            } else {
                i.field.as_str()
            };
            Problem::invalid(field, &i.reason)
        }
        // A pushed batch with nothing to read in it (records without a single field) is the
        // caller's mistake, named on the batch.
        tongban_pool::Error::Unreadable { reason } => Problem::invalid("records", &reason),
        other => {
            tracing::error!(error = %other, "exchange call failed");
            Problem::internal()
        }
    }
}

/// `GET /api/v1/exchange/{code}/records?{field}={value}[&fields=a,b][&limit=n]`.
pub(super) async fn records(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, Problem> {
    let rate = admit(&state, &caller)?;
    let purpose = purpose(&headers)?;
    let mut q = Lookup {
        limit: 20,
        purpose,
        ..Lookup::default()
    };
    for (k, v) in params {
        match k.as_str() {
            "fields" => q.fields.extend(
                v.split(',')
                    .map(str::trim)
                    .filter(|f| !f.is_empty())
                    .map(str::to_owned),
            ),
            "limit" => {
                q.limit = v
                    .trim()
                    .parse()
                    .map_err(|_| Problem::invalid("limit", msg!("whole-number-1-to", max = MAX_RECORDS)))?;
            }
            _ => q.filters.push((k, v)),
        }
    }
    let found = state
        .pool
        .lookup(&caller.principal, &code, &q)
        .await
        .map_err(pool_problem)?;
    let mut resp = Json(found).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for (name, value) in rate {
        resp.headers_mut().insert(name, value);
    }
    Ok(resp)
}

#[derive(Deserialize)]
pub(super) struct Since {
    #[serde(default)]
    since: Option<String>,
}

/// `GET /api/v1/exchange/{code}/changes?since=VERSION`.
pub(super) async fn changes(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Query(q): Query<Since>,
) -> Result<Response, Problem> {
    let rate = admit(&state, &caller)?;
    let since = match q.since.as_deref().map(str::trim) {
        None | Some("") => 0,
        Some(v) => v
            .parse::<u32>()
            .map_err(|_| Problem::invalid("since", msg!("version-number")))?,
    };
    let (current, changes) = state
        .pool
        .changes(&caller.principal, &code, since)
        .await
        .map_err(pool_problem)?;
    let mut resp = Json(serde_json::json!({
        "resource": code.trim().to_uppercase(),
        "current_version": current,
        "changes": changes,
    }))
    .into_response();
    for (name, value) in rate {
        resp.headers_mut().insert(name, value);
    }
    Ok(resp)
}
