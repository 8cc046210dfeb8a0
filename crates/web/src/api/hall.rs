//! The citizen's cases over the JSON API: `GET /api/v1/hall/cases/mine` lists the signed-in
//! applicant's cases (a session token from `POST /api/v1/auth/login`) with each case's number,
//! service, state and due date, marked provisional (暂定) while next year's holidays are not
//! announced.

use super::{ApiResult, Caller};
use crate::AppState;
use crate::problem::Problem;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tongban_hall::Error as HallError;

/// A hall error as a problem.
pub(crate) fn hall_problem(e: HallError) -> Problem {
    match e {
        HallError::NotFound { .. } => Problem::not_found(),
        HallError::Forbidden { why } => Problem::forbidden(&why),
        HallError::Invalid(inv) => Problem::invalid(&inv.field, &inv.reason),
        HallError::Conflict { field, reason } => {
            let mut p = Problem::new(StatusCode::CONFLICT, "conflict", format!("{field}: {reason}"));
            p.field = Some(field);
            p
        }
        e @ (HallError::Calendar(_) | HallError::Licence(_)) => {
            Problem::new(StatusCode::CONFLICT, "conflict", e.to_string())
        }
        e @ (HallError::Directory(_) | HallError::Prefill(_) | HallError::Storage(_)) => {
            tracing::error!(error = %e, "hall call failed");
            Problem::internal()
        }
    }
}

impl From<HallError> for Problem {
    fn from(e: HallError) -> Self {
        hall_problem(e)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct MineQuery {
    limit: Option<u32>,
    offset: Option<u64>,
}

/// One of the applicant's cases.
#[derive(Serialize)]
pub(crate) struct MyCase {
    /// The case id (for the portal's `/my/cases/{id}`).
    id: String,
    /// The human case number, e.g. `2026-1206-000012`.
    number: String,
    /// The service's name.
    item: String,
    /// The service's code.
    item_code: String,
    /// Where the case stands (`submitted`, `in_progress`, `supplementing`, `completed`, …).
    state: String,
    /// The state's name in Chinese.
    state_name: String,
    /// The handling department.
    department: String,
    /// When it was submitted (RFC 3339, UTC).
    submitted: String,
    /// The day the promised limit ends (`Y-m-d`), while the case is open and its clock runs.
    due_date: Option<String>,
    /// Whether `due_date` was counted through a year whose holidays are not announced yet.
    due_provisional: bool,
}

/// The applicant's cases, newest first.
#[derive(Serialize)]
pub(crate) struct MyCases {
    cases: Vec<MyCase>,
    limit: u32,
    offset: u64,
}

/// `GET /api/v1/hall/cases/mine`.
pub(crate) async fn mine(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<MineQuery>,
) -> ApiResult<MyCases> {
    let page = super::page_of(q.limit, q.offset, 20, 500)?;
    let cases = state.hall.my_cases(&caller.principal, page).await?;
    // A refusal is named by the item's type (不予许可 for a licence, 不予办理 otherwise).
    let names = crate::page::ItemNames::load(
        &state,
        crate::i18n::Tr {
            lang: crate::i18n::Lang::Zh,
        },
    )
    .await?;
    Ok(Json(MyCases {
        cases: cases
            .into_iter()
            .map(|c| {
                let open = c.status.is_open();
                let state_name = names.status(&c.item_code, c.status);
                MyCase {
                    id: c.id.to_string(),
                    number: c.number,
                    item: c.item_name,
                    item_code: c.item_code,
                    state: c.status.code().to_string(),
                    state_name,
                    department: c.department.name_zh,
                    submitted: c.submitted.rfc3339(),
                    due_date: c.due.filter(|_| open).map(|d| d.to_string()),
                    due_provisional: open && c.due_provisional,
                }
            })
            .collect(),
        limit: page.limit,
        offset: page.offset,
    }))
}
