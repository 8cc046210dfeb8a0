//! What staff and applicants do to a case, each in one transaction with its timeline entry and
//! event: accept or refuse to accept (受理 / 不予受理); review, alone or jointly (会签 all / 或签
//! any / ratio); decide (准予 / 不予, with reasons and legal basis); issue (办结); internal notes;
//! and the applicant's withdrawal — with the helpers the 补正, transfer and extension modules
//! share. Each staff action checks that the actor holds the step's role in the step's
//! department.

use crate::access::{Access, access, holds};
use crate::events::{
    CaseAccepted, CaseCompleted, CaseDecided, CaseNotAccepted, CaseNoted, CaseReviewed, CaseWithdrawn,
};
use crate::store::{
    LogDraft, cancel_open_tasks, case_event, case_in, close_task, count_finished, log, recap_open_tasks,
    save_case, tasks_in, workflow_in,
};
use crate::{
    Case, CaseId, CaseStatus, CaseView, Decision, DecisionInput, Error, Hall, Outcome, Result, ReviewInput,
    StepKind, Task, TaskState, Workflow,
};
use tongban_db::{EventKind, Tx};
use tongban_kernel::{Arg, msg};
use tongban_kernel::{Principal, PrincipalKind, input};

/// Longest opinion, reason or note, in characters.
pub const MAX_NOTE: usize = 2000;

/// A case loaded for a change, inside its transaction.
pub(crate) struct Loaded {
    pub tx: Tx,
    pub case: Case,
    pub wf: Workflow,
    pub tasks: Vec<Task>,
    pub access: Access,
}

pub(crate) fn staff_only(l: &Loaded) -> Result<()> {
    if l.access == Access::Staff {
        Ok(())
    } else {
        Err(Error::forbidden(msg!("only-handling-staff-may")))
    }
}

pub(crate) fn applicant_only(l: &Loaded) -> Result<()> {
    if l.access == Access::Applicant {
        Ok(())
    } else {
        Err(Error::forbidden(msg!("only-applicant-may-do")))
    }
}

pub(crate) fn status_is(case: &Case, allowed: &[CaseStatus]) -> Result<()> {
    if allowed.contains(&case.status) {
        Ok(())
    } else {
        Err(Error::conflict(
            "status",
            msg!(
                "case-status-forbids",
                status = Arg::name(case.status.name_zh(), case.status.name_en())
            ),
        ))
    }
}

/// The open task of the case's current step of `kind` that `actor` may act on.
pub(crate) fn pick<'a>(
    actor: &Principal,
    case: &Case,
    tasks: &'a [Task],
    kind: Option<StepKind>,
) -> Result<&'a Task> {
    let open: Vec<&Task> = tasks
        .iter()
        .filter(|t| t.state == TaskState::Open && t.step == case.step)
        .collect();
    if open.is_empty() || kind.is_some_and(|k| open.iter().any(|t| t.step_kind != k)) {
        let what = kind.map_or(Arg::name("该", "this"), |k| Arg::name(k.name_zh(), k.name_en()));
        return Err(Error::conflict("status", msg!("case-not-at-step", step = what)));
    }
    let may = |t: &&&Task| holds(actor, t.role, &t.department.path);
    let mine = |t: &&&Task| t.assignee.as_deref() == Some(actor.id.as_str());
    let free = |t: &&&Task| t.assignee.is_none() || actor.kind == PrincipalKind::System;
    open.iter()
        .find(|t| may(t) && mine(t))
        .or_else(|| open.iter().find(|t| may(t) && free(t)))
        .copied()
        .ok_or_else(|| Error::forbidden(msg!("not-step-handler")))
}

impl Hall {
    #[tracing::instrument(skip_all)]
    pub(crate) async fn load(&self, actor: &Principal, id: &CaseId) -> Result<Loaded> {
        let mut tx = self.db.begin_write().await?;
        let case = case_in(&mut tx, id).await?;
        let tasks = tasks_in(&mut tx, id, self.urgency_fn()).await?;
        let access = access(actor, &case, &tasks)?;
        let wf = workflow_in(&mut tx, &case.item_id, case.workflow_version).await?;
        Ok(Loaded {
            tx,
            case,
            wf,
            tasks,
            access,
        })
    }

    /// Saves the case, records the timeline entry and the event of kind `K`, commits, and returns the case
    /// as the actor sees it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn commit_change<K: EventKind>(
        &self,
        actor: &Principal,
        mut l: Loaded,
        used_days: Option<u32>,
        entry: LogDraft<'_>,
        kind: K,
        summary: (&str, &str),
    ) -> Result<CaseView> {
        l.case.updated = self.now();
        save_case(&mut l.tx, &mut l.case, used_days, None).await?;
        let counted = [CaseStatus::Completed, CaseStatus::Denied, CaseStatus::NotAccepted];
        if let Some(used) = used_days
            && counted.contains(&l.case.status)
        {
            count_finished(&mut l.tx, &l.case, used).await?;
        }
        recap_open_tasks(&mut l.tx, &l.case.id, l.case.due).await?;
        log(&mut l.tx, &l.case.id, actor, self.now(), entry).await?;
        case_event(&mut l.tx, actor, kind, &l.case, summary).await?;
        l.tx.commit().await?;
        self.case(actor, &l.case.id).await
    }

    /// Moves the case to its next step and opens that step's tasks.
    pub(crate) async fn advance(&self, l: &mut Loaded) -> Result<()> {
        l.case.step += 1;
        self.open_step(&mut l.tx, &l.case, &l.wf, l.case.step).await
    }

    /// Stops the clock for good today; returns the working days used.
    pub(crate) fn finish(&self, case: &mut Case, status: CaseStatus) -> Result<Option<u32>> {
        case.clock.finish(self.today())?;
        case.status = status;
        case.finished = Some(self.now());
        let used = case
            .clock
            .read(&self.calendar, self.today(), crate::WARN_DAYS)
            .ok()
            .map(|r| r.used);
        self.refresh_due(case);
        Ok(used)
    }

    /// 受理: accepts the case; it moves to the next step.
    pub async fn accept_case(&self, actor: &Principal, id: &CaseId, note: &str) -> Result<CaseView> {
        let note = input::optional_text("note", note, MAX_NOTE)?;
        let mut l = self.load(actor, id).await?;
        staff_only(&l)?;
        status_is(&l.case, &[CaseStatus::Submitted])?;
        let task = pick(actor, &l.case, &l.tasks, Some(StepKind::Accept))?.clone();
        close_task(
            &mut l.tx,
            &task.id,
            TaskState::Done,
            Some(true),
            &note,
            actor,
            self.now(),
        )
        .await?;
        cancel_open_tasks(&mut l.tx, &l.case.id, actor, self.now()).await?;
        l.case.status = CaseStatus::InProgress;
        self.advance(&mut l).await?;
        let dept = task.department.path.clone();
        self.commit_change(
            actor,
            l,
            None,
            LogDraft {
                action: "accepted",
                department: Some(&dept),
                note: &note,
                public: true,
            },
            CaseAccepted {},
            ("受理", "accepted"),
        )
        .await
    }

    /// 不予受理: refuses to accept, with the reason; the case ends.
    pub async fn refuse_case(&self, actor: &Principal, id: &CaseId, reason: &str) -> Result<CaseView> {
        let reason = input::text("reason", reason, MAX_NOTE)?;
        let mut l = self.load(actor, id).await?;
        staff_only(&l)?;
        status_is(&l.case, &[CaseStatus::Submitted])?;
        let task = pick(actor, &l.case, &l.tasks, Some(StepKind::Accept))?.clone();
        close_task(
            &mut l.tx,
            &task.id,
            TaskState::Done,
            Some(false),
            &reason,
            actor,
            self.now(),
        )
        .await?;
        cancel_open_tasks(&mut l.tx, &l.case.id, actor, self.now()).await?;
        let used = self.finish(&mut l.case, CaseStatus::NotAccepted)?;
        let dept = task.department.path.clone();
        self.commit_change(
            actor,
            l,
            used,
            LogDraft {
                action: "not_accepted",
                department: Some(&dept),
                note: &reason,
                public: true,
            },
            CaseNotAccepted {},
            ("不予受理", "not accepted"),
        )
        .await
    }

    /// 审查 / 会签: records the department's opinion on the current review step. A single
    /// review completes the step; a joint one completes as soon as its mode decides — all agree
    /// (会签), one agrees (或签), or the ratio is reached — or can no longer be met; the other
    /// departments' open tasks are then cancelled and the case moves on with the outcome logged.
    pub async fn review_case(&self, actor: &Principal, id: &CaseId, review: ReviewInput) -> Result<CaseView> {
        let opinion = if review.agree {
            input::optional_text("opinion", &review.opinion, MAX_NOTE)?
        } else {
            input::text("opinion", &review.opinion, MAX_NOTE)?
        };
        let mut l = self.load(actor, id).await?;
        staff_only(&l)?;
        status_is(&l.case, &[CaseStatus::InProgress])?;
        let task = pick(actor, &l.case, &l.tasks, Some(StepKind::Review))?.clone();
        close_task(
            &mut l.tx,
            &task.id,
            TaskState::Done,
            Some(review.agree),
            &opinion,
            actor,
            self.now(),
        )
        .await?;

        let step = l.case.step;
        let Some(def) = l.wf.steps.get(step as usize) else {
            return Err(crate::error::decode_err(
                "step",
                format!("workflow has no step {step}"),
            ));
        };
        let n = def.assignees.len() as u32;
        let required = def.mode.required_of(n);
        let done = l
            .tasks
            .iter()
            .filter(|t| t.step == step && t.state == TaskState::Done);
        let (mut agreed, mut disagreed) = (0u32, 0u32);
        for t in done {
            match t.agreed {
                Some(true) => agreed += 1,
                Some(false) => disagreed += 1,
                None => {}
            }
        }
        if review.agree {
            agreed += 1;
        } else {
            disagreed += 1;
        }
        let outcome = if agreed >= required {
            Some(true)
        } else if disagreed > n - required {
            Some(false)
        } else {
            None
        };
        let dept = task.department.path.clone();
        let joint = n > 1;
        let mut note = opinion.clone();
        if let Some(passed) = outcome {
            cancel_open_tasks(&mut l.tx, &l.case.id, actor, self.now()).await?;
            if joint {
                let verdict = if passed {
                    format!("会签通过（{agreed}/{n}同意）")
                } else {
                    format!("会签未通过（{disagreed}/{n}不同意）")
                };
                note = if note.is_empty() {
                    verdict
                } else {
                    format!("{note}\n{verdict}")
                };
            }
            self.advance(&mut l).await?;
        }
        self.commit_change(
            actor,
            l,
            None,
            LogDraft {
                action: if joint { "joint_reviewed" } else { "reviewed" },
                department: Some(&dept),
                note: &note,
                public: false,
            },
            CaseReviewed {
                agree: review.agree,
                joint,
                step_outcome: outcome,
            },
            ("审查", "reviewed"),
        )
        .await
    }

    /// 决定: approves (the case moves to issue) or denies (the case ends) with reasons and the
    /// legal basis; a denial must give both.
    pub async fn decide_case(
        &self,
        actor: &Principal,
        id: &CaseId,
        decision: DecisionInput,
    ) -> Result<CaseView> {
        let (reasons, legal_basis) = match decision.outcome {
            Outcome::Deny => (
                input::text("reasons", &decision.reasons, MAX_NOTE)?,
                input::text("legal_basis", &decision.legal_basis, MAX_NOTE)?,
            ),
            Outcome::Approve => (
                input::optional_text("reasons", &decision.reasons, MAX_NOTE)?,
                input::optional_text("legal_basis", &decision.legal_basis, MAX_NOTE)?,
            ),
        };
        let mut l = self.load(actor, id).await?;
        staff_only(&l)?;
        status_is(&l.case, &[CaseStatus::InProgress])?;
        let task = pick(actor, &l.case, &l.tasks, Some(StepKind::Decide))?.clone();
        let legal_basis = if legal_basis.is_empty() {
            self.item_in(&mut l.tx, &l.case.item_id).await?.legal_basis
        } else {
            legal_basis
        };
        let now = self.now();
        close_task(
            &mut l.tx,
            &task.id,
            TaskState::Done,
            Some(decision.outcome == Outcome::Approve),
            &reasons,
            actor,
            now,
        )
        .await?;
        cancel_open_tasks(&mut l.tx, &l.case.id, actor, now).await?;
        l.case.decision = Some(Decision {
            outcome: decision.outcome,
            reasons: reasons.clone(),
            legal_basis: legal_basis.clone(),
            by: actor.id.clone(),
            at: now,
        });
        let used = match decision.outcome {
            Outcome::Approve => {
                l.case.status = CaseStatus::Approved;
                self.advance(&mut l).await?;
                None
            }
            Outcome::Deny => self.finish(&mut l.case, CaseStatus::Denied)?,
        };
        // A grant without remarks says only that it was granted and under what.
        let text = match reasons.trim() {
            "" => format!("{}\n依据：{legal_basis}", decision.outcome.name_zh()),
            said => format!("{}：{said}\n依据：{legal_basis}", decision.outcome.name_zh()),
        };
        let dept = task.department.path.clone();
        self.commit_change(
            actor,
            l,
            used,
            LogDraft {
                action: if decision.outcome == Outcome::Approve {
                    "approved"
                } else {
                    "denied"
                },
                department: Some(&dept),
                note: &text,
                public: true,
            },
            CaseDecided {
                outcome: decision.outcome.code().into(),
            },
            ("作出决定", "decided"),
        )
        .await
    }

    /// 办结: issues the result of an approved case and closes it. When the item produces an
    /// e-licence, the department's seal signs it in the same transaction (no valid seal: refused,
    /// and the case stays approved).
    pub async fn issue_case(&self, actor: &Principal, id: &CaseId, note: &str) -> Result<CaseView> {
        let note = input::optional_text("note", note, MAX_NOTE)?;
        let mut l = self.load(actor, id).await?;
        staff_only(&l)?;
        status_is(&l.case, &[CaseStatus::Approved])?;
        let task = pick(actor, &l.case, &l.tasks, Some(StepKind::Issue))?.clone();
        close_task(
            &mut l.tx,
            &task.id,
            TaskState::Done,
            Some(true),
            &note,
            actor,
            self.now(),
        )
        .await?;
        cancel_open_tasks(&mut l.tx, &l.case.id, actor, self.now()).await?;
        let case = l.case.clone();
        l.case.licence_number = self.issue_licence_for(&mut l.tx, actor, &case).await?;
        let used = self.finish(&mut l.case, CaseStatus::Completed)?;
        let dept = task.department.path.clone();
        let licence = l.case.licence_number.clone();
        self.commit_change(
            actor,
            l,
            used,
            LogDraft {
                action: "completed",
                department: Some(&dept),
                note: &note,
                public: true,
            },
            CaseCompleted {
                used_days: used,
                licence,
            },
            ("办结", "completed"),
        )
        .await
    }

    /// Adds an internal note (内部意见) that the applicant does not see.
    pub async fn add_note(&self, actor: &Principal, id: &CaseId, text: &str) -> Result<CaseView> {
        let text = input::text("text", text, MAX_NOTE)?;
        let l = self.load(actor, id).await?;
        staff_only(&l)?;
        let dept = actor.department.clone();
        self.commit_change(
            actor,
            l,
            None,
            LogDraft {
                action: "note",
                department: dept.as_ref(),
                note: &text,
                public: false,
            },
            CaseNoted {},
            ("添加内部意见", "added an internal note"),
        )
        .await
    }

    /// The applicant withdraws the application before it is decided; the case ends.
    pub async fn withdraw_case(&self, actor: &Principal, id: &CaseId, reason: &str) -> Result<CaseView> {
        let reason = input::optional_text("reason", reason, MAX_NOTE)?;
        let mut l = self.load(actor, id).await?;
        applicant_only(&l)?;
        status_is(
            &l.case,
            &[
                CaseStatus::Submitted,
                CaseStatus::Supplementing,
                CaseStatus::InProgress,
            ],
        )?;
        cancel_open_tasks(&mut l.tx, &l.case.id, actor, self.now()).await?;
        let used = self.finish(&mut l.case, CaseStatus::Withdrawn)?;
        self.commit_change(
            actor,
            l,
            used,
            LogDraft {
                action: "withdrawn",
                department: None,
                note: &reason,
                public: true,
            },
            CaseWithdrawn {},
            ("撤回申请", "withdrawn"),
        )
        .await
    }
}
