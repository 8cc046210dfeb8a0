//! 转办 and delegation: handing a task to another department (same step and role) or to a
//! colleague who holds the step's role in the step's department.

use crate::NewTask;
use crate::action::{MAX_NOTE, pick, staff_only, status_is};
use crate::events::{CaseDelegated, CaseTransferred};
use crate::store::{LogDraft, close_task, insert_task};
use crate::{CaseId, CaseStatus, CaseView, Error, Hall, Result, StepKind, TaskState};
use tongban_kernel::msg;
use tongban_kernel::{Principal, PrincipalKind, input};

impl Hall {
    /// 转办: hands the actor's open task to another department (same step and role). Handing
    /// over the acceptance moves the case's responsibility to that department too.
    pub async fn transfer_case(
        &self,
        actor: &Principal,
        id: &CaseId,
        to: &str,
        reason: &str,
    ) -> Result<CaseView> {
        let reason = input::text("reason", reason, MAX_NOTE)?;
        let target = self.department("to", to).await?;
        let mut l = self.load(actor, id).await?;
        staff_only(&l)?;
        status_is(
            &l.case,
            &[
                CaseStatus::Submitted,
                CaseStatus::InProgress,
                CaseStatus::Approved,
            ],
        )?;
        let task = pick(actor, &l.case, &l.tasks, None)?.clone();
        if task.department.path == target.path {
            return Err(Error::invalid("to", msg!("cannot-transfer-same-department")));
        }
        if l.tasks.iter().any(|t| {
            t.state == TaskState::Open
                && t.step == task.step
                && t.department.path == target.path
                && t.role == task.role
        }) {
            return Err(Error::invalid("to", msg!("department-already-has-step")));
        }
        let now = self.now();
        close_task(
            &mut l.tx,
            &task.id,
            TaskState::Cancelled,
            None,
            &reason,
            actor,
            now,
        )
        .await?;
        let step_due = task.due;
        insert_task(
            &mut l.tx,
            NewTask {
                case: &l.case,
                step: task.step,
                kind: task.step_kind,
                department: &target,
                role: task.role,
                step_due,
                due: task.due,
                at: now,
            },
        )
        .await?;
        if task.step_kind == StepKind::Accept {
            l.case.department = target.clone();
        }
        let text = format!("{} → {}：{reason}", task.department.name_zh, target.name_zh);
        let dept = task.department.path.clone();
        self.commit_change(
            actor,
            l,
            None,
            LogDraft {
                action: "transferred",
                department: Some(&dept),
                note: &text,
                public: true,
            },
            CaseTransferred {
                from: task.department.path.clone(),
                to: target.path.clone(),
            },
            ("转办", "transferred"),
        )
        .await
    }

    /// Delegates the actor's open task to a colleague `to`, who must hold the step's role in the
    /// step's department; only they may then act on it.
    pub async fn delegate_case(
        &self,
        actor: &Principal,
        id: &CaseId,
        to: &Principal,
        note: &str,
    ) -> Result<CaseView> {
        let note = input::optional_text("note", note, MAX_NOTE)?;
        let mut l = self.load(actor, id).await?;
        staff_only(&l)?;
        let task = pick(actor, &l.case, &l.tasks, None)?.clone();
        if to.kind != PrincipalKind::User
            || !to
                .grants
                .iter()
                .any(|g| g.role == task.role && g.scope.contains(&task.department.path))
        {
            return Err(Error::invalid("to", msg!("delegate-hold-step-s")));
        }
        let changed =
            l.tx.execute(
                "UPDATE hall_tasks SET assignee_id = $1 WHERE id = $2 AND is_open = 1",
                tongban_db::params![to.id.clone(), task.id.as_str()],
            )
            .await?;
        if changed == 0 {
            return Err(Error::conflict("task", msg!("task-was-already-handled")));
        }
        let text = if note.is_empty() {
            msg!("delegated-to", name = &to.name)
        } else {
            msg!("delegated-to-note", name = &to.name, note = note)
        }
        .to_string();
        let dept = task.department.path.clone();
        self.commit_change(
            actor,
            l,
            None,
            LogDraft {
                action: "delegated",
                department: Some(&dept),
                note: &text,
                public: false,
            },
            CaseDelegated { to: to.id.clone() },
            ("委派", "delegated"),
        )
        .await
    }
}
