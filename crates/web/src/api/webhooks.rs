//! Webhook subscriptions of department systems (`/api/v1/exchange/{code}/subscriptions`): a
//! system that may read a resource through the exchange asks to be told when a new version
//! lands. The pool keeps the subscriptions, queues and signs the deliveries; the binary's worker
//! sends them.

use super::Caller;
use super::exchange::{admit, pool_problem};
use crate::AppState;
use crate::json::ApiJson;
use crate::problem::Problem;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

/// What a system sends to subscribe.
#[derive(Deserialize)]
pub(super) struct NewSubscription {
    #[serde(default)]
    url: String,
}

/// `POST /api/v1/exchange/{code}/subscriptions` with `{"url": "https://…"}`: 201 with the
/// subscription and its signing secret (shown this once).
pub(super) async fn subscribe(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<NewSubscription>,
) -> Result<Response, Problem> {
    admit(&state, &caller)?;
    let (subscription, secret) = state
        .pool
        .subscribe(&caller.principal, &code, &body.url, false)
        .await
        .map_err(pool_problem)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "subscription": subscription, "secret": secret })),
    )
        .into_response())
}

/// `GET /api/v1/exchange/{code}/subscriptions`: the caller's live subscriptions with counts.
pub(super) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Response, Problem> {
    admit(&state, &caller)?;
    let subscriptions = state
        .pool
        .subscriptions(&caller.principal, &code)
        .await
        .map_err(pool_problem)?;
    Ok(Json(json!({ "subscriptions": subscriptions })).into_response())
}

/// `GET /api/v1/exchange/{code}/subscriptions/{id}`: one subscription with its delivery log.
pub(super) async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path((code, id)): Path<(String, String)>,
) -> Result<Response, Problem> {
    admit(&state, &caller)?;
    let (subscription, deliveries) = state
        .pool
        .subscription(&caller.principal, &code, &id, 100)
        .await
        .map_err(pool_problem)?;
    Ok(Json(json!({ "subscription": subscription, "deliveries": deliveries })).into_response())
}

/// `DELETE /api/v1/exchange/{code}/subscriptions/{id}`: 204; pending deliveries are cancelled.
pub(super) async fn unsubscribe(
    State(state): State<AppState>,
    caller: Caller,
    Path((code, id)): Path<(String, String)>,
) -> Result<Response, Problem> {
    admit(&state, &caller)?;
    state
        .pool
        .unsubscribe(&caller.principal, &code, &id)
        .await
        .map_err(pool_problem)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
