//! 中止计时: stops of the legal clock other than 补正 — consulting a third party (征求意见), a
//! hearing (听证), testing, inspection or expert review (检验检测、专家评审) — which the law does
//! not count against the time limit. The holder of an open task stops the clock with the reason
//! and an explanation the applicant sees on the timeline, and starts it again when the stop is
//! over; the due day moves by the working days stopped.

use crate::action::{MAX_NOTE, pick, staff_only, status_is};
use crate::events::{ClockPaused, ClockResumed};
use crate::store::LogDraft;
use crate::{CaseId, CaseStatus, CaseView, Error, Hall, Result};
use tongban_kernel::msg;
use tongban_kernel::{PauseReason, Principal, input};

impl Hall {
    /// Stops the clock today for `reason` (not 补正, which has its own request), explaining why.
    /// Refused while the clock is already stopped.
    pub async fn pause_clock(
        &self,
        actor: &Principal,
        id: &CaseId,
        reason: PauseReason,
        note: &str,
    ) -> Result<CaseView> {
        if reason == PauseReason::Supplement {
            return Err(Error::invalid("reason", msg!("use-request-ask-materials")));
        }
        let note = input::text("note", note, MAX_NOTE)?;
        let mut l = self.load(actor, id).await?;
        staff_only(&l)?;
        status_is(&l.case, &[CaseStatus::InProgress])?;
        let task = pick(actor, &l.case, &l.tasks, None)?.clone();
        if l.case.clock.is_paused() {
            return Err(Error::conflict("reason", msg!("clock-already-stopped-start")));
        }
        l.case.clock.pause(reason, self.today())?;
        self.refresh_due(&mut l.case);
        let dept = task.department.path.clone();
        let (zh, en) = reason_names(reason);
        let text = format!("{zh} / {en}：{note}");
        self.commit_change(
            actor,
            l,
            None,
            LogDraft {
                action: "clock_paused",
                department: Some(&dept),
                note: &text,
                public: true,
            },
            ClockPaused {
                reason: reason.code().into(),
            },
            ("中止计时", "stopped the clock"),
        )
        .await
    }

    /// Starts the clock again today after a stop made with [`Hall::pause_clock`]; the due day
    /// moves by the working days it stood still.
    pub async fn resume_clock(&self, actor: &Principal, id: &CaseId, note: &str) -> Result<CaseView> {
        let note = input::optional_text("note", note, MAX_NOTE)?;
        let mut l = self.load(actor, id).await?;
        staff_only(&l)?;
        status_is(&l.case, &[CaseStatus::InProgress])?;
        let task = pick(actor, &l.case, &l.tasks, None)?.clone();
        let stopped_for = match l.case.clock.pauses.last() {
            Some(p) if p.to.is_none() && p.reason != PauseReason::Supplement => p.reason,
            _ => {
                return Err(Error::conflict("clock", msg!("clock-not-stopped")));
            }
        };
        l.case.clock.resume(self.today())?;
        self.refresh_due(&mut l.case);
        let dept = task.department.path.clone();
        self.commit_change(
            actor,
            l,
            None,
            LogDraft {
                action: "clock_resumed",
                department: Some(&dept),
                note: &note,
                public: true,
            },
            ClockResumed {
                reason: stopped_for.code().into(),
            },
            ("恢复计时", "started the clock again"),
        )
        .await
    }
}

/// The names of a stop's reason, 中文 and English.
pub fn reason_names(reason: PauseReason) -> (&'static str, &'static str) {
    match reason {
        PauseReason::Supplement => ("补正", "supplementing materials"),
        PauseReason::Consultation => ("征求第三方意见", "consulting a third party"),
        PauseReason::Hearing => ("听证", "hearing"),
        PauseReason::Testing => ("检验检测、专家评审", "testing, inspection or expert review"),
    }
}
