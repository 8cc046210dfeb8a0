//! Sharing requests as rows: reading a request with its resource's code and provider, writing a
//! new one, and saving a transition guarded by the status it was read in.

use super::moved_on;
use crate::{
    DeptRef, Error, Grantee, Refusal, RefusedBy, RequestId, RequestStatus, ResourceId, Result, SharingClass,
    SharingRequest, Step, from_json, parse_code, parse_date, to_json,
};
use tongban_db::{Row, Tx, Value, params};
use tongban_kernel::msg;
use tongban_kernel::{DeptPath, LegalClock};

const STEPS: [&str; 3] = ["review", "decision", "dispute"];

/// Request columns (alias `q`) with the resource's code, name and provider (alias `r`).
pub(super) const COLUMNS: &str = "q.id, q.resource_id, q.requester_kind, q.requester_id, q.requester_path, q.fields, \
     q.purpose, q.scenario, q.legal_basis, q.valid_until, q.sharing_class, q.status, q.refused_by, \
     q.refusal_reasons, q.review_started, q.review_days, q.review_finished, q.review_pauses, q.review_by, \
     q.review_note, q.decision_started, q.decision_days, q.decision_finished, q.decision_pauses, \
     q.decision_by, q.decision_note, q.dispute_started, q.dispute_days, q.dispute_finished, \
     q.dispute_pauses, q.dispute_by, q.dispute_note, q.dispute_reasons, q.grant_id, q.filed_by, \
     q.filed_on, q.created_ms, q.updated_ms, r.code AS resource_code, r.name_zh AS resource_name_zh, \
     r.provider_id, r.provider_path, r.provider_name";

pub(super) const FROM: &str = "sharing_requests q JOIN resources r ON r.id = q.resource_id";

/// Reads a grantee from `{prefix}_kind`, `{prefix}_id`, `{prefix}_path`.
pub(crate) fn grantee_from_row(r: &Row, prefix: &str) -> Result<Grantee> {
    let kind: String = r.get(&format!("{prefix}_kind"))?;
    let id: String = r.get(&format!("{prefix}_id"))?;
    let path: DeptPath = r.get(&format!("{prefix}_path"))?;
    match kind.as_str() {
        "department" => Ok(Grantee::Department { id, path }),
        "api_client" => Ok(Grantee::ApiClient { id, department: path }),
        other => Err(crate::error::decode_err(
            &format!("{prefix}_kind"),
            format!("unknown kind `{other}`"),
        )),
    }
}

fn step_from_row(r: &Row, name: &str) -> Result<Option<Step>> {
    let c = |part: &str| format!("{name}_{part}");
    let Some(started) = r.get::<Option<String>>(&c("started"))? else {
        return Ok(None);
    };
    let finished: Option<String> = r.get(&c("finished"))?;
    let pauses: Option<String> = r.get(&c("pauses"))?;
    Ok(Some(Step {
        clock: LegalClock {
            started: parse_date(&c("started"), &started)?,
            statutory_days: r.get::<Option<u32>>(&c("days"))?.unwrap_or(0),
            promised_days: None,
            pauses: match pauses {
                Some(p) => from_json(&c("pauses"), &p)?,
                None => Vec::new(),
            },
            finished: finished.map(|f| parse_date(&c("finished"), &f)).transpose()?,
        },
        by: r.get(&c("by"))?,
        note: r.get::<Option<String>>(&c("note"))?.unwrap_or_default(),
    }))
}

pub(super) fn from_row(r: &Row) -> Result<SharingRequest> {
    let refused_by: Option<String> = r.get("refused_by")?;
    let refusal = match refused_by {
        Some(by) => Some(Refusal {
            by: parse_code("refused_by", &by, RefusedBy::parse)?,
            reasons: r.get::<Option<String>>("refusal_reasons")?.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(SharingRequest {
        id: RequestId(r.get("id")?),
        resource_id: ResourceId(r.get("resource_id")?),
        resource_code: r.get("resource_code")?,
        resource_name_zh: r.get("resource_name_zh")?,
        provider: DeptRef {
            id: r.get("provider_id")?,
            path: r.get("provider_path")?,
            name_zh: r.get("provider_name")?,
        },
        requester: grantee_from_row(r, "requester")?,
        fields: from_json("fields", &r.get::<String>("fields")?)?,
        purpose: r.get("purpose")?,
        scenario: r.get("scenario")?,
        legal_basis: r.get("legal_basis")?,
        valid_until: parse_date("valid_until", &r.get::<String>("valid_until")?)?,
        sharing_class: parse_code(
            "sharing_class",
            &r.get::<String>("sharing_class")?,
            SharingClass::parse,
        )?,
        status: parse_code("status", &r.get::<String>("status")?, RequestStatus::parse)?,
        refusal,
        review: step_from_row(r, "review")?,
        decision: step_from_row(r, "decision")?,
        dispute: step_from_row(r, "dispute")?,
        dispute_reasons: r.get("dispute_reasons")?,
        grant_id: r.get::<Option<String>>("grant_id")?.map(crate::GrantId),
        filed_by: r.get("filed_by")?,
        filed_on: parse_date("filed_on", &r.get::<String>("filed_on")?)?,
        created: r.get("created_ms")?,
        updated: r.get("updated_ms")?,
    })
}

/// The six stored values of a step, in `STEPS` column order: started, days, finished, pauses,
/// by, note.
fn step_values(step: Option<&Step>) -> Result<Vec<Value>> {
    Ok(match step {
        None => vec![
            Value::Null,
            Value::NullInt,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        ],
        Some(s) => vec![
            Value::Text(s.clock.started.to_string()),
            Value::Int(i64::from(s.clock.statutory_days)),
            s.clock
                .finished
                .map_or(Value::Null, |d| Value::Text(d.to_string())),
            Value::Text(to_json("pauses", &s.clock.pauses)?),
            s.by.clone().map_or(Value::Null, Value::Text),
            Value::Text(s.note.clone()),
        ],
    })
}

/// The columns a transition may change, with their values from `q`.
fn mutable_values(q: &SharingRequest) -> Result<Vec<(String, Value)>> {
    let mut cols: Vec<(String, Value)> = vec![
        ("status".into(), Value::Text(q.status.code().into())),
        (
            "refused_by".into(),
            q.refusal
                .as_ref()
                .map_or(Value::Null, |r| Value::Text(r.by.code().into())),
        ),
        (
            "refusal_reasons".into(),
            q.refusal
                .as_ref()
                .map_or(Value::Null, |r| Value::Text(r.reasons.clone())),
        ),
    ];
    for (name, step) in STEPS
        .iter()
        .zip([q.review.as_ref(), q.decision.as_ref(), q.dispute.as_ref()])
    {
        for (part, v) in ["started", "days", "finished", "pauses", "by", "note"]
            .iter()
            .zip(step_values(step)?)
        {
            cols.push((format!("{name}_{part}"), v));
        }
    }
    cols.push(("dispute_reasons".into(), Value::Text(q.dispute_reasons.clone())));
    cols.push((
        "grant_id".into(),
        q.grant_id
            .as_ref()
            .map_or(Value::Null, |g| Value::Text(g.0.clone())),
    ));
    cols.push(("updated_ms".into(), Value::Int(q.updated.0)));
    Ok(cols)
}

/// A clash with the one-open-request-per-requester-and-resource index.
pub(super) fn already_open(e: tongban_db::Error) -> Error {
    match e {
        tongban_db::Error::Conflict(_) => {
            Error::conflict("resource", msg!("request-resource-already-progress"))
        }
        e => e.into(),
    }
}

pub(super) async fn insert_request(tx: &mut Tx, q: &SharingRequest) -> Result<()> {
    let mut cols: Vec<(String, Value)> = vec![
        ("id".into(), Value::Text(q.id.0.clone())),
        ("resource_id".into(), Value::Text(q.resource_id.0.clone())),
        (
            "requester_kind".into(),
            Value::Text(q.requester.kind_code().into()),
        ),
        ("requester_id".into(), Value::Text(q.requester.id().into())),
        (
            "requester_path".into(),
            Value::Text(q.requester.path().as_str().into()),
        ),
        ("fields".into(), Value::Text(to_json("fields", &q.fields)?)),
        ("purpose".into(), Value::Text(q.purpose.clone())),
        ("scenario".into(), Value::Text(q.scenario.clone())),
        ("legal_basis".into(), Value::Text(q.legal_basis.clone())),
        ("valid_until".into(), Value::Text(q.valid_until.to_string())),
        ("sharing_class".into(), Value::Text(q.sharing_class.code().into())),
        ("filed_by".into(), Value::Text(q.filed_by.clone())),
        ("filed_on".into(), Value::Text(q.filed_on.to_string())),
        ("created_ms".into(), Value::Int(q.created.0)),
    ];
    cols.extend(mutable_values(q)?);
    let names: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
    let marks: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
    tx.execute(
        &format!(
            "INSERT INTO sharing_requests ({}) VALUES ({})",
            names.join(", "),
            marks.join(", ")
        ),
        cols.into_iter().map(|(_, v)| v).collect(),
    )
    .await
    .map_err(already_open)?;
    Ok(())
}

/// Saves a transition, guarded by the status it was read in so two deciders cannot both win.
pub(super) async fn save_request(tx: &mut Tx, q: &SharingRequest, was: RequestStatus) -> Result<()> {
    let cols = mutable_values(q)?;
    let n = cols.len();
    let sets: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, (c, _))| format!("{c} = ${}", i + 1))
        .collect();
    let mut values: Vec<Value> = cols.into_iter().map(|(_, v)| v).collect();
    values.push(Value::Text(q.id.0.clone()));
    values.push(Value::Text(was.code().into()));
    let changed = tx
        .execute(
            &format!(
                "UPDATE sharing_requests SET {} WHERE id = ${} AND status = ${}",
                sets.join(", "),
                n + 1,
                n + 2
            ),
            values,
        )
        .await
        .map_err(already_open)?;
    if changed == 0 {
        return Err(moved_on());
    }
    Ok(())
}

/// Whether the requester already has an open request for the same resource.
pub(super) async fn pending_request(tx: &mut Tx, q: &SharingRequest) -> Result<bool> {
    let (column, value) = match &q.requester {
        Grantee::Department { path, .. } => ("requester_path", path.as_str().to_string()),
        Grantee::ApiClient { id, .. } => ("requester_id", id.clone()),
    };
    Ok(tx
        .fetch_optional(
            &format!(
                "SELECT id FROM sharing_requests WHERE resource_id = $1 AND requester_kind = $2 \
                 AND {column} = $3 AND status IN ('in_review', 'with_provider', 'disputed')"
            ),
            params![q.resource_id.as_str(), q.requester.kind_code(), value],
        )
        .await?
        .is_some())
}
