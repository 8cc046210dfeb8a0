//! Rows: reading and writing items, workflows, cases and tasks, the timeline, the human case
//! number, and the events every change appends.

use crate::events::CaseFacts;
use crate::{
    ApplicantKind, Case, CaseId, CaseStatus, DeptRef, Error, FormValue, NewTask, Result, ServiceItem,
    ServiceItemId, Step, StepKind, Task, TaskId, TaskState, Urgency, Workflow, from_json, parse_code,
    parse_date, to_json,
};
use jiff::civil::Date;
use std::collections::BTreeMap;
use tongban_db::event::With;
use tongban_db::{EventDraft, EventKind, Row, Tx, Value, params};
use tongban_kernel::msg;
use tongban_kernel::{DeptPath, LegalClock, Millis, Principal, Role};

/// Stored in place of a due day the calendar cannot count yet (sorts last everywhere).
pub(crate) const NO_DUE: &str = "9999-12-31";

pub(crate) const ITEM_COLUMNS: &str = "id, code, name, name_en, dept_id, dept_path, dept_name, item_type, legal_basis, \
     conditions, materials, fields, fees, statutory_days, promised_days, visits, active, licence, workflow_version, \
     created_ms, updated_ms, version, topics, life_events";

/// Codes stored comma-separated, parsed back (unknown ones are skipped: a code retired later
/// leaves the item listed under the rest).
pub(crate) fn codes<T>(text: &str, parse: fn(&str) -> Option<T>) -> Vec<T> {
    text.split(',').filter_map(parse).collect()
}

pub(crate) fn item_from_row(r: &Row) -> Result<ServiceItem> {
    Ok(ServiceItem {
        id: ServiceItemId(r.get("id")?),
        code: r.get("code")?,
        name: r.get("name")?,
        name_en: r.get("name_en")?,
        department: DeptRef {
            id: r.get("dept_id")?,
            path: r.get("dept_path")?,
            name_zh: r.get("dept_name")?,
        },
        item_type: parse_code(
            "item_type",
            &r.get::<String>("item_type")?,
            crate::ItemType::parse,
        )?,
        legal_basis: r.get("legal_basis")?,
        conditions: r.get("conditions")?,
        materials: from_json("materials", &r.get::<String>("materials")?)?,
        fields: from_json("fields", &r.get::<String>("fields")?)?,
        fees: from_json("fees", &r.get::<String>("fees")?)?,
        statutory_days: r.get("statutory_days")?,
        promised_days: r.get("promised_days")?,
        visits: r.get("visits")?,
        active: r.get("active")?,
        licence: optional_json(r, "licence")?,
        topics: codes(&r.get::<String>("topics")?, crate::Topic::parse),
        life_events: codes(&r.get::<String>("life_events")?, crate::LifeEvent::parse),
        workflow_version: r.get("workflow_version")?,
        created: r.get("created_ms")?,
        updated: r.get("updated_ms")?,
        version: r.get("version")?,
    })
}

/// The item `id` read inside `tx`.
pub(crate) async fn item_in(tx: &mut Tx, id: &ServiceItemId) -> Result<ServiceItem> {
    tx.fetch_optional(
        &format!("SELECT {ITEM_COLUMNS} FROM hall_items WHERE id = $1"),
        params![id.as_str()],
    )
    .await?
    .map(|r| item_from_row(&r))
    .transpose()?
    .ok_or(Error::NotFound { what: "service_item" })
}

/// Workflow `version` of `item` read inside `tx`.
pub(crate) async fn workflow_in(tx: &mut Tx, item: &ServiceItemId, version: u32) -> Result<Workflow> {
    let r = tx
        .fetch_optional(
            "SELECT item_id, version, steps, created_by, created_ms FROM hall_workflows \
             WHERE item_id = $1 AND version = $2",
            params![item.as_str(), version],
        )
        .await?
        .ok_or(Error::NotFound { what: "workflow" })?;
    workflow_from_row(&r)
}

pub(crate) fn workflow_from_row(r: &Row) -> Result<Workflow> {
    Ok(Workflow {
        item_id: ServiceItemId(r.get("item_id")?),
        version: r.get("version")?,
        steps: from_json::<Vec<Step>>("steps", &r.get::<String>("steps")?)?,
        created_by: r.get("created_by")?,
        created: r.get("created_ms")?,
    })
}

pub(crate) const CASE_COLUMNS: &str = "id, number, item_id, item_code, item_name, dept_id, dept_path, dept_name, \
     workflow_version, applicant_id, applicant_kind, status, step, form_masked, clock_started, statutory_days, \
     promised_days, pauses, clock_finished, statutory_due_on, due_on, supplement, extension, decision, \
     submitted_ms, updated_ms, finished_ms, licence_number, version";

fn optional_date(r: &Row, column: &str) -> Result<Option<Date>> {
    match r.get::<Option<String>>(column)? {
        Some(d) if d == NO_DUE => Ok(None),
        Some(d) => Ok(Some(parse_date(column, &d)?)),
        None => Ok(None),
    }
}

fn optional_json<T: serde::de::DeserializeOwned>(r: &Row, column: &str) -> Result<Option<T>> {
    r.get::<Option<String>>(column)?
        .map(|t| from_json(column, &t))
        .transpose()
        .map_err(Into::into)
}

pub(crate) fn case_from_row(r: &Row) -> Result<Case> {
    Ok(Case {
        id: CaseId(r.get("id")?),
        number: r.get("number")?,
        item_id: ServiceItemId(r.get("item_id")?),
        item_code: r.get("item_code")?,
        item_name: r.get("item_name")?,
        department: DeptRef {
            id: r.get("dept_id")?,
            path: r.get("dept_path")?,
            name_zh: r.get("dept_name")?,
        },
        workflow_version: r.get("workflow_version")?,
        applicant_id: r.get("applicant_id")?,
        applicant_kind: parse_code(
            "applicant_kind",
            &r.get::<String>("applicant_kind")?,
            ApplicantKind::parse,
        )?,
        status: parse_code("status", &r.get::<String>("status")?, CaseStatus::parse)?,
        step: r.get("step")?,
        form: from_json::<Vec<FormValue>>("form_masked", &r.get::<String>("form_masked")?)?,
        clock: LegalClock {
            started: parse_date("clock_started", &r.get::<String>("clock_started")?)?,
            statutory_days: r.get("statutory_days")?,
            promised_days: r.get("promised_days")?,
            pauses: from_json("pauses", &r.get::<String>("pauses")?)?,
            finished: optional_date(r, "clock_finished")?,
        },
        statutory_due: optional_date(r, "statutory_due_on")?,
        due: optional_date(r, "due_on")?,
        // Set by the hall, which holds the calendar (`Hall::mark_provisional`).
        due_provisional: false,
        supplement: optional_json(r, "supplement")?,
        extension: optional_json(r, "extension")?,
        decision: optional_json(r, "decision")?,
        submitted: r.get("submitted_ms")?,
        updated: r.get("updated_ms")?,
        finished: r.get("finished_ms")?,
        licence_number: r.get("licence_number")?,
        version: r.get("version")?,
    })
}

/// The case `id` read inside `tx`.
pub(crate) async fn case_in(tx: &mut Tx, id: &CaseId) -> Result<Case> {
    tx.fetch_optional(
        &format!("SELECT {CASE_COLUMNS} FROM hall_cases WHERE id = $1"),
        params![id.as_str()],
    )
    .await?
    .map(|r| case_from_row(&r))
    .transpose()?
    .ok_or(Error::NotFound { what: "case" })
}

/// The stored (possibly encrypted) form values of case `id`.
pub(crate) async fn sealed_form_in(tx: &mut Tx, id: &CaseId) -> Result<BTreeMap<String, String>> {
    let r = tx
        .fetch_one(
            "SELECT form_sealed FROM hall_cases WHERE id = $1",
            params![id.as_str()],
        )
        .await?;
    Ok(from_json("form_sealed", &r.get::<String>("form_sealed")?)?)
}

fn date_value(d: Option<Date>) -> Value {
    d.map_or(Value::Null, |d| Value::Text(d.to_string()))
}

fn json_value<T: serde::Serialize>(column: &str, v: &Option<T>) -> Result<Value> {
    Ok(match v {
        Some(v) => Value::Text(to_json(column, v)?),
        None => Value::Null,
    })
}

/// The due columns of a case: `NULL` while stopped, [`NO_DUE`] where uncountable.
fn due_value(case: &Case, day: Option<Date>) -> Value {
    if case.clock.is_paused() || !case.status.is_open() {
        date_value(day)
    } else {
        Value::Text(day.map_or_else(|| NO_DUE.to_string(), |d| d.to_string()))
    }
}

/// The columns a change may touch, with their values from `case`.
fn case_mutable(case: &Case) -> Result<Vec<(&'static str, Value)>> {
    Ok(vec![
        ("dept_id", Value::Text(case.department.id.clone())),
        ("dept_path", Value::Text(case.department.path.0.clone())),
        ("dept_name", Value::Text(case.department.name_zh.clone())),
        ("status", Value::Text(case.status.code().into())),
        ("step", Value::Int(i64::from(case.step))),
        ("is_open", Value::Int(i64::from(case.status.is_open()))),
        ("form_masked", Value::Text(to_json("form_masked", &case.form)?)),
        ("clock_started", Value::Text(case.clock.started.to_string())),
        ("statutory_days", Value::Int(i64::from(case.clock.statutory_days))),
        (
            "promised_days",
            case.clock
                .promised_days
                .map_or(Value::NullInt, |d| Value::Int(i64::from(d))),
        ),
        ("pauses", Value::Text(to_json("pauses", &case.clock.pauses)?)),
        ("clock_finished", date_value(case.clock.finished)),
        ("statutory_due_on", due_value(case, case.statutory_due)),
        ("due_on", due_value(case, case.due)),
        ("supplement", json_value("supplement", &case.supplement)?),
        ("extension", json_value("extension", &case.extension)?),
        ("decision", json_value("decision", &case.decision)?),
        ("updated_ms", Value::Int(case.updated.0)),
        (
            "finished_ms",
            case.finished.map_or(Value::NullInt, |m| Value::Int(m.0)),
        ),
        (
            "licence_number",
            case.licence_number.clone().map_or(Value::Null, Value::Text),
        ),
    ])
}

/// Inserts a new case with its sealed form.
pub(crate) async fn insert_case(
    tx: &mut Tx,
    case: &Case,
    submission_key: &str,
    sealed: &BTreeMap<String, String>,
) -> Result<()> {
    let mut cols: Vec<(&'static str, Value)> = vec![
        ("id", Value::Text(case.id.0.clone())),
        ("number", Value::Text(case.number.clone())),
        ("item_id", Value::Text(case.item_id.0.clone())),
        ("item_code", Value::Text(case.item_code.clone())),
        ("item_name", Value::Text(case.item_name.clone())),
        ("workflow_version", Value::Int(i64::from(case.workflow_version))),
        ("applicant_id", Value::Text(case.applicant_id.clone())),
        ("applicant_kind", Value::Text(case.applicant_kind.code().into())),
        ("submission_key", Value::Text(submission_key.into())),
        ("form_sealed", Value::Text(to_json("form_sealed", sealed)?)),
        ("used_days", Value::NullInt),
        ("submitted_ms", Value::Int(case.submitted.0)),
        ("version", Value::Int(i64::from(case.version))),
    ];
    cols.extend(case_mutable(case)?);
    let names: Vec<&str> = cols.iter().map(|(n, _)| *n).collect();
    let marks: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
    tx.execute(
        &format!(
            "INSERT INTO hall_cases ({}) VALUES ({})",
            names.join(", "),
            marks.join(", ")
        ),
        cols.into_iter().map(|(_, v)| v).collect(),
    )
    .await?;
    Ok(())
}

/// Saves a change to `case`, guarded by the version it was read in; `used_days` is recorded
/// when the case finishes, and `sealed` replaces the stored form when given.
pub(crate) async fn save_case(
    tx: &mut Tx,
    case: &mut Case,
    used_days: Option<u32>,
    sealed: Option<&BTreeMap<String, String>>,
) -> Result<()> {
    let mut cols = case_mutable(case)?;
    if let Some(u) = used_days {
        cols.push(("used_days", Value::Int(i64::from(u))));
    }
    if let Some(s) = sealed {
        cols.push(("form_sealed", Value::Text(to_json("form_sealed", s)?)));
    }
    let n = cols.len();
    let sets: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, (c, _))| format!("{c} = ${}", i + 1))
        .collect();
    let mut values: Vec<Value> = cols.into_iter().map(|(_, v)| v).collect();
    values.push(Value::Text(case.id.0.clone()));
    values.push(Value::Int(i64::from(case.version)));
    let changed = tx
        .execute(
            &format!(
                "UPDATE hall_cases SET {}, version = version + 1 WHERE id = ${} AND version = ${}",
                sets.join(", "),
                n + 1,
                n + 2
            ),
            values,
        )
        .await?;
    if changed == 0 {
        return Err(Error::conflict("status", msg!("case-was-changed-meanwhile")));
    }
    case.version += 1;
    Ok(())
}

pub(crate) const TASK_COLUMNS: &str = "id, case_id, case_number, item_name, step, step_kind, dept_id, dept_path, \
     dept_name, role, assignee_id, state, agreed, opinion, created_ms, due_on";

/// Reads a task; `urgency` is worked out by the caller from today.
pub(crate) fn task_from_row(r: &Row, urgency_of: impl Fn(Option<Date>) -> Urgency) -> Result<Task> {
    let due = optional_date(r, "due_on")?;
    Ok(Task {
        id: TaskId(r.get("id")?),
        case_id: CaseId(r.get("case_id")?),
        case_number: r.get("case_number")?,
        item_name: r.get("item_name")?,
        step: r.get("step")?,
        step_kind: parse_code("step_kind", &r.get::<String>("step_kind")?, StepKind::parse)?,
        department: DeptRef {
            id: r.get("dept_id")?,
            path: r.get("dept_path")?,
            name_zh: r.get("dept_name")?,
        },
        role: parse_code("role", &r.get::<String>("role")?, Role::parse)?,
        assignee: r.get("assignee_id")?,
        state: parse_code("state", &r.get::<String>("state")?, TaskState::parse)?,
        agreed: r.get("agreed")?,
        opinion: r.get("opinion")?,
        created: r.get("created_ms")?,
        due,
        urgency: urgency_of(due),
    })
}

/// Opens a task.
pub(crate) async fn insert_task(tx: &mut Tx, t: NewTask<'_>) -> Result<TaskId> {
    crate::notify::task_opened(tx, &t).await?;
    let id = TaskId::new();
    tx.execute(
        "INSERT INTO hall_tasks (id, case_id, case_number, item_id, item_name, step, step_kind, dept_id, \
         dept_path, dept_name, role, assignee_id, state, is_open, agreed, opinion, created_ms, done_ms, done_by, \
         step_due_on, due_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, 'open', 1, NULL, '', \
         $12, NULL, NULL, $13, $14)",
        params![
            id.as_str(),
            t.case.id.as_str(),
            t.case.number.clone(),
            t.case.item_id.as_str(),
            t.case.item_name.clone(),
            t.step,
            t.kind.code(),
            t.department.id.clone(),
            t.department.path.as_str(),
            t.department.name_zh.clone(),
            t.role.code(),
            t.at,
            t.step_due.map(|d| d.to_string()),
            t.due.map_or_else(|| NO_DUE.to_string(), |d| d.to_string())
        ],
    )
    .await?;
    Ok(id)
}

/// The tasks of case `id`, in step then creation order.
pub(crate) async fn tasks_in(
    tx: &mut Tx,
    id: &CaseId,
    urgency_of: impl Fn(Option<Date>) -> Urgency + Copy,
) -> Result<Vec<Task>> {
    tx.fetch_all(
        &format!("SELECT {TASK_COLUMNS} FROM hall_tasks WHERE case_id = $1 ORDER BY step, created_ms, id"),
        params![id.as_str()],
    )
    .await?
    .iter()
    .map(|r| task_from_row(r, urgency_of))
    .collect()
}

/// Closes a task as done (with a review's agreement and opinion) or cancelled.
pub(crate) async fn close_task(
    tx: &mut Tx,
    task: &TaskId,
    state: TaskState,
    agreed: Option<bool>,
    opinion: &str,
    by: &Principal,
    at: Millis,
) -> Result<()> {
    let changed = tx
        .execute(
            "UPDATE hall_tasks SET state = $1, is_open = 0, agreed = $2, opinion = $3, done_ms = $4, done_by = $5 \
             WHERE id = $6 AND is_open = 1",
            params![state.code(), agreed, opinion, at, by.id.clone(), task.as_str()],
        )
        .await?;
    if changed == 0 {
        return Err(Error::conflict("task", msg!("task-was-already-handled")));
    }
    Ok(())
}

/// Cancels every open task of case `id`.
pub(crate) async fn cancel_open_tasks(tx: &mut Tx, id: &CaseId, by: &Principal, at: Millis) -> Result<()> {
    tx.execute(
        "UPDATE hall_tasks SET state = 'cancelled', is_open = 0, done_ms = $1, done_by = $2 \
         WHERE case_id = $3 AND is_open = 1",
        params![at, by.id.clone(), id.as_str()],
    )
    .await?;
    Ok(())
}

/// Re-caps the due day of case `id`'s open tasks at the case's due day `due` (after a stop,
/// a resumption or an extension moved it).
pub(crate) async fn recap_open_tasks(tx: &mut Tx, id: &CaseId, due: Option<Date>) -> Result<()> {
    let due = due.map_or_else(|| NO_DUE.to_string(), |d| d.to_string());
    tx.execute(
        "UPDATE hall_tasks SET due_on = CASE WHEN step_due_on IS NOT NULL AND step_due_on < $1 \
         THEN step_due_on ELSE $1 END WHERE case_id = $2 AND is_open = 1",
        params![due, id.as_str()],
    )
    .await?;
    Ok(())
}

/// One timeline entry.
pub(crate) struct LogDraft<'a> {
    pub action: &'a str,
    pub department: Option<&'a DeptPath>,
    pub note: &'a str,
    pub public: bool,
}

pub(crate) async fn log(
    tx: &mut Tx,
    case: &CaseId,
    actor: &Principal,
    at: Millis,
    d: LogDraft<'_>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO hall_log (id, case_id, at_ms, action, actor_id, actor_name, dept_path, note, is_public) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        params![
            tongban_kernel::id::new_uuid_v7(),
            case.as_str(),
            at,
            d.action,
            actor.id.clone(),
            actor.name.clone(),
            d.department,
            d.note,
            d.public
        ],
    )
    .await?;
    Ok(())
}

/// The next human number of `day`: `2026-1123-000123`. The counter row stays locked until the
/// submitting transaction ends, so concurrent submissions queue and a rollback leaves no gap.
pub(crate) async fn next_number(tx: &mut Tx, day: Date) -> Result<String> {
    let n: i64 = tx
        .fetch_one(
            "INSERT INTO hall_counters (day, last) VALUES ($1, 1) \
             ON CONFLICT (day) DO UPDATE SET last = hall_counters.last + 1 RETURNING last",
            params![day.to_string()],
        )
        .await?
        .get("last")?;
    Ok(format!(
        "{:04}-{:02}{:02}-{n:06}",
        day.year(),
        day.month(),
        day.day()
    ))
}

/// Appends the event of a change to `case`, of kind `K` with the case's [`CaseFacts`] (number,
/// status, step): a bilingual summary naming its number (never clear personal data).
#[tracing::instrument(skip_all)]
pub(crate) async fn case_event<K: EventKind>(
    tx: &mut Tx,
    actor: &Principal,
    kind: K,
    case: &Case,
    (zh, en): (&str, &str),
) -> Result<()> {
    let about = CaseFacts {
        number: case.number.clone(),
        status: case.status.code().into(),
        step: case.step,
    };
    tx.append_event(
        actor,
        EventDraft::of(
            &With { about, detail: kind },
            case.id.as_str(),
            Some(&case.department.path),
            format!("{zh}：{} / {en}: {}", case.number, case.number),
        ),
    )
    .await?;
    crate::notify::case_changed(tx, K::ACTION, case, (zh, en)).await
}

/// Adds a finished case to its department's totals (for the average handling time).
pub(crate) async fn count_finished(tx: &mut Tx, case: &Case, used_days: u32) -> Result<()> {
    let handling = case.finished.map_or(0, |f| f.0 - case.submitted.0).max(0);
    tx.execute(
        "INSERT INTO hall_dept_stats (dept_path, finished, used_days_total, handling_ms_total, updated_ms) \
         VALUES ($1, 1, $2, $3, $4) ON CONFLICT (dept_path) DO UPDATE SET \
         finished = hall_dept_stats.finished + 1, \
         used_days_total = hall_dept_stats.used_days_total + excluded.used_days_total, \
         handling_ms_total = hall_dept_stats.handling_ms_total + excluded.handling_ms_total, \
         updated_ms = excluded.updated_ms",
        params![case.department.path.as_str(), used_days, handling, case.updated],
    )
    .await?;
    Ok(())
}
