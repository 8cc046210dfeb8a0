//! The workflow editor: the steps of an item, each with its assignees (department and role),
//! sign-off mode and limit; every save is a new version and running cases keep theirs.

use super::managed_item;
use super::rows::{BLANK_ROWS, Posted, Values, filled, input_of};
use crate::AppState;
use crate::context::{CsrfForm, Ctx};
use crate::errors::{hall_field, hall_page};
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use std::collections::HashMap;
use tongban_hall::{AssigneeInput, ServiceItem, SignMode, StepInput, StepKind};
use tongban_kernel::msg;

struct VersionRow {
    version: u32,
    by: String,
    when: String,
    steps: Vec<String>,
}

#[derive(Template)]
#[template(path = "console/workflow_edit.html")]
struct WorkflowPage {
    c: Chrome,
    code: String,
    name: String,
    department: String,
    current: u32,
    created: bool,
    versions: Vec<VersionRow>,
    kinds: Vec<(&'static str, String)>,
    modes: Vec<(&'static str, String)>,
    /// (code, indented name) of every department, for the assignee selects.
    departments: Vec<(String, String)>,
    /// (code, name) of the roles a step may be assigned to.
    roles: Vec<(&'static str, String)>,
    /// Assignee slots per step (department + role selects).
    slots: usize,
    f: Values,
}

impl WorkflowPage {
    fn r(&self, i: &usize, k: &str) -> &str {
        self.f.r("s", *i, k)
    }

    fn rows(&self) -> Vec<usize> {
        (0..self.f.rows("s")).collect()
    }

    fn slot_range(&self) -> std::ops::Range<usize> {
        0..self.slots
    }

    /// The department (`d`) or role (`r`) chosen in slot `j` of step `i`.
    fn a(&self, i: &usize, what: &str, j: &usize) -> &str {
        self.f.r("s", *i, &format!("{what}{j}"))
    }

    fn row_err(&self, i: &usize) -> bool {
        let start = format!("s{i}_");
        self.c.errors.iter().any(|e| e.field.starts_with(&start))
    }
}

const MODES: [(&str, &str, &str); 3] = [
    ("all", "会签（全部同意）", "All must agree"),
    ("any", "或签（一个同意即可）", "Any one agrees"),
    ("ratio", "按比例（至少 N 个同意）", "At least N agree"),
];

/// Assignee slots a step offers at least; one more than the widest step when that is wider.
const MIN_SLOTS: usize = 3;

/// Department codes by path and paths by code.
async fn department_codes(
    state: &AppState,
) -> Result<
    (
        HashMap<String, String>,
        HashMap<String, String>,
        Vec<tongban_identity::Department>,
    ),
    PageError,
> {
    let all = state.identity.directory().await?;
    let by_path = all.iter().map(|d| (d.path.0.clone(), d.code.clone())).collect();
    let by_code = all.iter().map(|d| (d.code.clone(), d.path.0.clone())).collect();
    Ok((by_path, by_code, all))
}

/// The assignee slots a posted form carries (at least [`MIN_SLOTS`]).
fn posted_slots(f: &Values) -> usize {
    f.map
        .keys()
        .filter_map(|k| {
            let (_, rest) = k.strip_prefix('s')?.split_once('_')?;
            rest.strip_prefix('d')?.parse::<usize>().ok()
        })
        .map(|j| j + 1)
        .max()
        .unwrap_or(0)
        .max(MIN_SLOTS)
}

async fn workflow_page(
    state: &AppState,
    ctx: &Ctx,
    c: Chrome,
    item: &ServiceItem,
    f: Option<Values>,
    created: bool,
) -> PageResult {
    let t = ctx.t();
    let zone = &state.settings.zone;
    let (by_path, _, all_departments) = department_codes(state).await?;
    let depts = crate::page::DeptNames::load(state, t).await?;
    let mut versions = Vec::new();
    for v in (1..=item.workflow_version).rev() {
        let w = state.hall.workflow(&item.id, v).await?;
        // Who saved it, by name: a staff member's display name, or the platform itself.
        let by = if w.created_by.starts_with("system:") {
            t.pick("平台系统", "the platform").to_string()
        } else {
            state
                .identity
                .staff_display_name(&tongban_identity::AccountId(w.created_by.clone()))
                .await?
                .unwrap_or_else(|| w.created_by.clone())
        };
        versions.push(VersionRow {
            version: w.version,
            by,
            when: w.created.display_in(zone),
            steps: w
                .steps
                .iter()
                .map(|s| {
                    let who: Vec<String> = s
                        .assignees
                        .iter()
                        .map(|a| {
                            format!(
                                "{}·{}",
                                depts.of(a.department.path.as_str(), &a.department.name_zh),
                                t.pick(a.role.name_zh(), a.role.name_en())
                            )
                        })
                        .collect();
                    format!(
                        "{}{}{}{}",
                        crate::page::step_name(t, s),
                        t.pick("（", " ("),
                        who.join(t.pick("、", ", ")),
                        t.pick("）", ")")
                    )
                })
                .collect(),
        });
    }
    let f = match f {
        Some(f) => f,
        None => {
            let mut f = Values::default();
            let steps = match item.workflow_version {
                0 => Vec::new(),
                v => state.hall.workflow(&item.id, v).await?.steps,
            };
            for (n, s) in steps.iter().enumerate() {
                f.set(format!("s{n}_kind"), s.kind.code());
                f.set(format!("s{n}_name"), &s.name);
                for (j, a) in s.assignees.iter().enumerate() {
                    let code = by_path
                        .get(a.department.path.as_str())
                        .cloned()
                        .unwrap_or_default();
                    f.set(format!("s{n}_d{j}"), code);
                    f.set(format!("s{n}_r{j}"), a.role.code());
                }
                let (mode, required) = match s.mode {
                    SignMode::All => ("all", String::new()),
                    SignMode::Any => ("any", String::new()),
                    SignMode::Ratio { required } => ("ratio", required.to_string()),
                };
                f.set(format!("s{n}_mode"), mode);
                f.set(format!("s{n}_required"), required);
                f.set(
                    format!("s{n}_limit"),
                    s.limit_days.map(|d| d.to_string()).unwrap_or_default(),
                );
            }
            if steps.is_empty() {
                // A new item starts from the usual shape: accept, review, decide, issue, all in
                // the item's own department.
                let own = by_path
                    .get(item.department.path.as_str())
                    .cloned()
                    .unwrap_or_default();
                for (n, (kind, role)) in [
                    (StepKind::Accept, "clerk"),
                    (StepKind::Review, "reviewer"),
                    (StepKind::Decide, "approver"),
                    (StepKind::Issue, "clerk"),
                ]
                .iter()
                .enumerate()
                {
                    f.set(format!("s{n}_kind"), kind.code());
                    f.set(format!("s{n}_d0"), own.clone());
                    f.set(format!("s{n}_r0"), *role);
                    f.set(format!("s{n}_mode"), "all");
                }
            }
            f.rows.insert("s", steps.len().max(4) + BLANK_ROWS);
            let widest = steps.iter().map(|s| s.assignees.len()).max().unwrap_or(0);
            f.set("slots", (widest + 1).max(MIN_SLOTS).to_string());
            f
        }
    };
    let slots = f.v("slots").parse().unwrap_or(0).max(posted_slots(&f));
    let departments = crate::console::indented_choices(t, &all_departments, |_| true, |d| d.code.clone());
    let failed = !c.errors.is_empty();
    let mut resp = render(&WorkflowPage {
        c,
        code: item.code.clone(),
        name: t.pick(&item.name, &item.name_en).to_string(),
        department: depts.of(item.department.path.as_str(), &item.department.name_zh),
        current: item.workflow_version,
        created,
        versions,
        kinds: StepKind::ALL
            .iter()
            .map(|k| (k.code(), t.pick(k.name_zh(), k.name_en()).to_string()))
            .collect(),
        modes: MODES
            .iter()
            .map(|(c, zh, en)| (*c, t.pick(zh, en).to_string()))
            .collect(),
        departments,
        roles: tongban_hall::STEP_ROLES
            .iter()
            .map(|r| (r.code(), t.pick(r.name_zh(), r.name_en()).to_string()))
            .collect(),
        slots,
        f,
    });
    if failed {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

/// The select a hall field about a step's assignees names (`steps[1].assignees[0].role` →
/// `s1_r0` for the row and slot it came from; `steps[1].assignees` → the row's first department).
fn assignee_input(field: &str, rows: &[usize], slot_of: &[Vec<usize>]) -> Option<String> {
    let rest = field.strip_prefix("steps[")?;
    let (n, tail) = rest.split_once(']')?;
    let n: usize = n.parse().ok()?;
    let row = *rows.get(n)?;
    let tail = tail.strip_prefix(".assignees")?;
    let Some(tail) = tail.strip_prefix('[') else {
        return Some(format!("s{row}_d0"));
    };
    let (j, what) = tail.split_once(']')?;
    let j: usize = j.parse().ok()?;
    let slot = slot_of.get(n).and_then(|s| s.get(j)).copied().unwrap_or(j);
    let what = if what.ends_with("role") { "r" } else { "d" };
    Some(format!("s{row}_{what}{slot}"))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(in crate::console) struct WorkflowQuery {
    created: Option<String>,
    /// The version just saved.
    saved: Option<u32>,
}

/// `GET /console/items/{code}/workflow`.
pub(in crate::console) async fn workflow(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    axum::extract::Query(q): axum::extract::Query<WorkflowQuery>,
) -> PageResult {
    let (_, item) = managed_item(&state, &ctx, &code).await?;
    let t = ctx.t();
    let mut c = ctx.chrome(t.s("items.workflow"));
    if let Some(v) = q.saved {
        c.notice = Some(t.s("items.workflow_saved").replace("{version}", &v.to_string()));
    }
    workflow_page(&state, &ctx, c, &item, None, q.created.is_some()).await
}

/// `POST /console/items/{code}/workflow`: saves a new version.
pub(in crate::console) async fn save_workflow(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    CsrfForm(form): CsrfForm<Posted>,
) -> PageResult {
    let (p, item) = managed_item(&state, &ctx, &code).await?;
    let mut f = Values::from_posted(form, &["s"]);
    let mut c = ctx.chrome(ctx.t().s("items.workflow"));
    if f.v("go") == "more" {
        f.add_rows("s", BLANK_ROWS + 1);
        return workflow_page(&state, &ctx, c, &item, Some(f), false).await;
    }
    let (_, by_code, _) = department_codes(&state).await?;
    let slots = posted_slots(&f);
    let dept_keys: Vec<String> = (0..slots).map(|j| format!("d{j}")).collect();
    let mut keys: Vec<&str> = dept_keys.iter().map(String::as_str).collect();
    keys.push("name");
    let rows = filled(&f, "s", &keys);
    // Where each domain assignee index came from: (row, slot).
    let mut slot_of: Vec<Vec<usize>> = Vec::with_capacity(rows.len());
    let mut steps = Vec::with_capacity(rows.len());
    for &i in &rows {
        let Some(kind) = StepKind::parse(f.r("s", i, "kind")) else {
            c.add_error(&format!("s{i}_kind"), msg!("choose-step-kind"));
            continue;
        };
        let mut assignees = Vec::new();
        let mut slots_used = Vec::new();
        for j in 0..slots {
            let dept = f.r("s", i, &format!("d{j}")).trim();
            if dept.is_empty() {
                continue;
            }
            match by_code.get(dept) {
                Some(path) => {
                    assignees.push(AssigneeInput {
                        department: path.clone(),
                        role: f.r("s", i, &format!("r{j}")).trim().to_string(),
                    });
                    slots_used.push(j);
                }
                None => c.add_error(&format!("s{i}_d{j}"), msg!("choose-department-from-list")),
            }
        }
        slot_of.push(slots_used);
        let mode = match f.r("s", i, "mode") {
            "any" => SignMode::Any,
            "ratio" => match f.r("s", i, "required").trim().parse() {
                Ok(required) => SignMode::Ratio { required },
                Err(_) => {
                    c.add_error(&format!("s{i}_required"), msg!("give-how-many-must-agree"));
                    SignMode::All
                }
            },
            _ => SignMode::All,
        };
        let limit = f.r("s", i, "limit").trim();
        let limit_days = if limit.is_empty() {
            None
        } else {
            match limit.parse() {
                Ok(n) => Some(n),
                Err(_) => {
                    c.add_error(&format!("s{i}_limit"), msg!("limit-working-days"));
                    None
                }
            }
        };
        steps.push(StepInput {
            kind,
            name: f.r("s", i, "name").to_string(),
            assignees,
            mode,
            limit_days,
        });
    }
    if !c.errors.is_empty() {
        return workflow_page(&state, &ctx, c, &item, Some(f), false).await;
    }
    match state.hall.save_workflow(&p, &item.id, steps).await {
        Ok(w) => Ok(Redirect::to(&format!(
            "/console/items/{}/workflow?saved={}",
            item.code, w.version
        ))
        .into_response()),
        Err(e) => match hall_field(&e) {
            Some((field, msg)) => {
                let input = assignee_input(&field, &rows, &slot_of).unwrap_or_else(|| {
                    let lists: [(&str, &str, &[usize]); 1] = [("steps", "s", &rows)];
                    input_of(&field, &lists)
                });
                c.add_error(&input, &msg);
                workflow_page(&state, &ctx, c, &item, Some(f), false).await
            }
            None => Err(hall_page(e)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignee_fields_land_on_their_row_and_slot() {
        let slot_of = vec![vec![0], vec![0, 2]];
        assert_eq!(
            assignee_input("steps[1].assignees[1].role", &[0, 2], &slot_of).as_deref(),
            Some("s2_r2")
        );
        assert_eq!(
            assignee_input("steps[1].assignees[0].department", &[0, 2], &slot_of).as_deref(),
            Some("s2_d0")
        );
        assert_eq!(
            assignee_input("steps[0].assignees", &[0, 2], &slot_of).as_deref(),
            Some("s0_d0")
        );
        assert_eq!(assignee_input("steps[0].kind", &[0, 2], &slot_of), None);
    }
}
