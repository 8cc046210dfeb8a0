//! The push API for department systems (推送接口): `POST /api/v1/pool/{code}/records` loads a
//! batch of JSON objects into the providing department's resource as its next version, governed
//! exactly like a file (standardizers, row-level rejects, quality, diff). Only the providing
//! department's own systems, with a client token holding the `pool.load` scope.

use super::Caller;
use super::exchange::pool_problem;
use crate::AppState;
use crate::problem::Problem;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tongban_kernel::{PrincipalKind, msg};
use tongban_pool::IngestOptions;

/// The token scope a department system needs to push.
pub const SCOPE: &str = "pool.load";

/// The largest body a push may have (a batch of up to 100,000 records).
pub const MAX_BODY: usize = 64 * 1024 * 1024;

/// A pushed batch.
#[derive(Deserialize)]
pub(super) struct Batch {
    records: Vec<Map<String, Value>>,
}

/// What a push made.
#[derive(Serialize)]
struct Loaded {
    resource: String,
    version: u32,
    accepted: u64,
    rejected: u64,
    quality: f64,
    notes: Vec<String>,
}

/// `POST /api/v1/pool/{code}/records` with `{"records": [{…}, …]}`.
pub(super) async fn push(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    body: Result<Json<Batch>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, Problem> {
    if caller.principal.kind != PrincipalKind::ApiClient {
        return Err(Problem::forbidden(msg!("push-api-for-systems")));
    }
    if !caller.scopes.iter().any(|s| s == SCOPE) {
        return Err(Problem::forbidden(msg!("token-lacks-scope", scope = SCOPE)));
    }
    let Json(batch) =
        body.map_err(|e| Problem::invalid("records", msg!("body-must-be-records", error = e.to_string())))?;
    let report = state
        .pool
        .ingest_records(&caller.principal, &code, batch.records, &IngestOptions::default())
        .await
        .map_err(pool_problem)?;
    Ok(Json(Loaded {
        resource: report.resource,
        version: report.version,
        accepted: report.accepted,
        rejected: report.rejected,
        quality: report.quality.score,
        notes: report.notes,
    })
    .into_response())
}
