//! Workflow definitions (办理流程): the steps of an item — 受理 → 审查 (any number, joint review
//! 会签 / 或签 / ratio across departments) → 决定 → 办结 — each assigned to departments and a
//! role, with per-step limits. Saving checks everything and names the bad field; every save is a
//! new version, and running cases keep the version they started on.

use crate::access::STEP_ROLES;
use crate::events::WorkflowSaved;
use crate::store::{item_in, workflow_from_row, workflow_in};
use crate::{
    Assignee, Error, Hall, Result, ServiceItemId, SignMode, Step, StepInput, StepKind, Workflow, to_json,
};
use std::collections::BTreeSet;
use tongban_db::{EventDraft, params};
use tongban_kernel::msg;
use tongban_kernel::{Permission, Principal, Role, input};

/// Most steps a workflow may have.
const MAX_STEPS: usize = 20;
/// Most departments in one joint review.
const MAX_ASSIGNEES: usize = 20;

/// Checks the shape of the steps: 受理 first, then reviews, one 决定, and 办结 last.
fn check_order(steps: &[StepInput]) -> Result<()> {
    if steps.is_empty() {
        return Err(Error::invalid("steps", msg!("workflow-needs-least-accept")));
    }
    if steps.len() > MAX_STEPS {
        return Err(Error::invalid(
            "steps",
            msg!("most-max-steps-steps", max_steps = MAX_STEPS),
        ));
    }
    let last = steps.len() - 1;
    // A step added after 办结, or a second 受理, is named itself rather than the step it
    // displaces; a 办结 put early, when the last step is 办结 too, is named where it stands.
    if let Some(i) = steps.iter().position(|s| s.kind == StepKind::Issue)
        && i < last
    {
        let at = if steps[last].kind == StepKind::Issue {
            i
        } else {
            i + 1
        };
        return Err(Error::invalid(
            format!("steps[{at}].kind"),
            msg!("issue-last-step"),
        ));
    }
    if let Some(i) = steps.iter().skip(1).position(|s| s.kind == StepKind::Accept) {
        return Err(Error::invalid(
            format!("steps[{}].kind", i + 1),
            msg!("accept-can-only-first"),
        ));
    }
    for (i, s) in steps.iter().enumerate() {
        let expected_ok = match s.kind {
            StepKind::Accept => i == 0,
            StepKind::Review => i > 0 && steps[..i].iter().all(|p| p.kind != StepKind::Decide),
            StepKind::Decide => i > 0 && i + 1 == last,
            StepKind::Issue => i == last,
        };
        if !expected_ok {
            return Err(Error::invalid(
                format!("steps[{i}].kind"),
                msg!("steps-run-accept-review"),
            ));
        }
    }
    if steps[0].kind != StepKind::Accept {
        return Err(Error::invalid("steps[0].kind", msg!("first-step-accept")));
    }
    if steps[last].kind != StepKind::Issue || last < 2 || steps[last - 1].kind != StepKind::Decide {
        return Err(Error::invalid(
            format!("steps[{last}].kind"),
            msg!("last-two-steps-decide"),
        ));
    }
    Ok(())
}

impl Hall {
    /// Saves a new version of item `id`'s workflow (`ManageServiceItems` over the item's
    /// department). New cases start on it; running cases keep theirs.
    #[tracing::instrument(skip_all)]
    pub async fn save_workflow(
        &self,
        actor: &Principal,
        id: &ServiceItemId,
        steps: Vec<StepInput>,
    ) -> Result<Workflow> {
        let item = self.item(id).await?;
        actor.require(Permission::ManageServiceItems, Some(&item.department.path))?;
        check_order(&steps)?;
        let mut checked = Vec::with_capacity(steps.len());
        let mut limits = 0u32;
        for (i, s) in steps.iter().enumerate() {
            let name = input::optional_line(&format!("steps[{i}].name"), &s.name, 60)?;
            let name = if name.is_empty() {
                s.kind.name_zh().to_string()
            } else {
                name
            };
            if s.assignees.is_empty() {
                return Err(Error::invalid(
                    format!("steps[{i}].assignees"),
                    msg!("each-step-needs-department"),
                ));
            }
            if s.assignees.len() > MAX_ASSIGNEES {
                return Err(Error::invalid(
                    format!("steps[{i}].assignees"),
                    msg!("most-max-assignees-departments", max_assignees = MAX_ASSIGNEES),
                ));
            }
            if s.assignees.len() > 1 && s.kind != StepKind::Review {
                return Err(Error::invalid(
                    format!("steps[{i}].assignees"),
                    msg!("only-review-steps-may"),
                ));
            }
            let mut seen = BTreeSet::new();
            let mut assignees = Vec::with_capacity(s.assignees.len());
            for (j, a) in s.assignees.iter().enumerate() {
                let department = self
                    .department(&format!("steps[{i}].assignees[{j}].department"), &a.department)
                    .await?;
                let role = Role::parse(&a.role)
                    .filter(|r| STEP_ROLES.contains(r))
                    .ok_or_else(|| {
                        Error::invalid(
                            format!("steps[{i}].assignees[{j}].role"),
                            msg!("role-clerk-reviewer-approver"),
                        )
                    })?;
                if !seen.insert((department.path.clone(), role)) {
                    return Err(Error::invalid(
                        format!("steps[{i}].assignees[{j}]"),
                        msg!("same-department-role-twice"),
                    ));
                }
                assignees.push(Assignee { department, role });
            }
            let n = assignees.len() as u32;
            let mode = match s.mode {
                _ if n == 1 => SignMode::All,
                SignMode::Ratio { required } if required == 0 || required > n => {
                    return Err(Error::invalid(
                        format!("steps[{i}].mode"),
                        msg!("agreements-required-1-n", n = n),
                    ));
                }
                m => m,
            };
            if let Some(days) = s.limit_days {
                if days == 0 || days > item.statutory_days {
                    return Err(Error::invalid(
                        format!("steps[{i}].limit_days"),
                        msg!("step-limit-range", max = item.statutory_days),
                    ));
                }
                limits += days;
            }
            checked.push(Step {
                kind: s.kind,
                name,
                assignees,
                mode,
                limit_days: s.limit_days,
            });
        }
        if limits > item.statutory_days {
            return Err(Error::invalid(
                "steps",
                msg!(
                    "step-limits-exceed",
                    limits = limits,
                    statutory = item.statutory_days
                ),
            ));
        }

        let mut tx = self.db.begin_write().await?;
        let current = item_in(&mut tx, id).await?;
        let version = current.workflow_version + 1;
        let now = self.now();
        tx.execute(
            "INSERT INTO hall_workflows (item_id, version, steps, created_by, created_ms) VALUES ($1, $2, $3, $4, $5)",
            params![id.as_str(), version, to_json("steps", &checked)?, actor.id.clone(), now],
        )
        .await?;
        tx.execute(
            "UPDATE hall_items SET workflow_version = $1, updated_ms = $2, version = version + 1 WHERE id = $3",
            params![version, now, id.as_str()],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &WorkflowSaved {
                    code: current.code.clone(),
                    version,
                    steps: checked.len(),
                },
                id.as_str(),
                Some(&current.department.path),
                msg!("workflow-saved", code = &current.code, version = version),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(Workflow {
            item_id: id.clone(),
            version,
            steps: checked,
            created_by: actor.id.clone(),
            created: now,
        })
    }

    /// Version `version` of item `id`'s workflow.
    pub async fn workflow(&self, id: &ServiceItemId, version: u32) -> Result<Workflow> {
        let r = self
            .db
            .fetch_optional(
                "SELECT item_id, version, steps, created_by, created_ms FROM hall_workflows \
                 WHERE item_id = $1 AND version = $2",
                params![id.as_str(), version],
            )
            .await?
            .ok_or(Error::NotFound { what: "workflow" })?;
        workflow_from_row(&r)
    }

    /// The workflow version `version` of `id` read in `tx` (for the case operations).
    pub(crate) async fn workflow_in(
        &self,
        tx: &mut tongban_db::Tx,
        id: &ServiceItemId,
        version: u32,
    ) -> Result<Workflow> {
        workflow_in(tx, id, version).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AssigneeInput;

    fn step(kind: StepKind) -> StepInput {
        StepInput {
            kind,
            name: String::new(),
            assignees: vec![AssigneeInput {
                department: "/3301/GA/".into(),
                role: "clerk".into(),
            }],
            mode: SignMode::All,
            limit_days: None,
        }
    }

    #[test]
    fn step_order_is_checked_naming_the_step() {
        use StepKind::*;
        assert_eq!(check_order(&[]).err().unwrap().field(), Some("steps"));
        assert!(
            check_order(&[
                step(Accept),
                step(Review),
                step(Review),
                step(Decide),
                step(Issue)
            ])
            .is_ok()
        );
        assert!(check_order(&[step(Accept), step(Decide), step(Issue)]).is_ok());
        assert_eq!(
            check_order(&[step(Review), step(Decide), step(Issue)])
                .err()
                .unwrap()
                .field(),
            Some("steps[0].kind")
        );
        assert_eq!(
            check_order(&[step(Accept), step(Decide), step(Review), step(Issue)])
                .err()
                .unwrap()
                .field(),
            Some("steps[1].kind")
        );
        assert_eq!(
            check_order(&[step(Accept), step(Review), step(Issue)])
                .err()
                .unwrap()
                .field(),
            Some("steps[2].kind")
        );
        // A step added after 办结 is the one named, not the 决定 before it.
        let field = |steps: &[StepInput]| check_order(steps).err().unwrap().field().map(str::to_string);
        assert_eq!(
            field(&[
                step(Accept),
                step(Review),
                step(Decide),
                step(Issue),
                step(Review)
            ])
            .as_deref(),
            Some("steps[4].kind")
        );
        assert_eq!(
            field(&[
                step(Accept),
                step(Review),
                step(Decide),
                step(Issue),
                step(Accept)
            ])
            .as_deref(),
            Some("steps[4].kind")
        );
        // A 办结 put early, with 办结 last as well, is named where it stands.
        assert_eq!(
            field(&[step(Accept), step(Review), step(Issue), step(Issue)]).as_deref(),
            Some("steps[2].kind")
        );
    }
}
