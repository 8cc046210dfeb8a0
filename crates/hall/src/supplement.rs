//! 补正 (supplementing materials): asked once, listing everything missing, within five working
//! days of submission (行政许可法 第32条); the legal clock stops the day it is asked and runs
//! again the day the applicant answers, and the case goes back to acceptance.

use crate::action::{MAX_NOTE, applicant_only, pick, staff_only, status_is};
use crate::events::{CaseSupplemented, SupplementRequested};
use crate::form::{check_values, open_values};
use crate::store::{LogDraft, cancel_open_tasks, case_event, close_task, log, save_case, sealed_form_in};
use crate::{
    CaseId, CaseStatus, CaseView, Error, Hall, Result, StepKind, Supplement, SupplementAnswer,
    SupplementRequest, TaskState,
};
use std::collections::BTreeMap;
use tongban_kernel::msg;
use tongban_kernel::{PauseReason, Principal, input};

/// Most entries in one 补正 list.
const MAX_MISSING: usize = 50;

impl Hall {
    /// 补正: asks the applicant, once, for everything missing — within five working days of
    /// submission (行政许可法 第32条). The clock stops today until the applicant answers.
    pub async fn request_supplement(
        &self,
        actor: &Principal,
        id: &CaseId,
        request: SupplementRequest,
    ) -> Result<CaseView> {
        if request.missing.is_empty() {
            return Err(Error::invalid("missing", msg!("list-everything-supplement-all")));
        }
        if request.missing.len() > MAX_MISSING {
            return Err(Error::invalid(
                "missing",
                msg!("supplement-too-many", max_missing = MAX_MISSING),
            ));
        }
        let missing = request
            .missing
            .iter()
            .enumerate()
            .map(|(i, m)| input::line(&format!("missing[{i}]"), m, 200))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let note = input::optional_text("note", &request.note, MAX_NOTE)?;
        let mut l = self.load(actor, id).await?;
        staff_only(&l)?;
        if l.case.supplement.is_some() {
            return Err(Error::conflict("supplement", msg!("may-requested-only-once")));
        }
        status_is(&l.case, &[CaseStatus::Submitted])?;
        let task = pick(actor, &l.case, &l.tasks, Some(StepKind::Accept))?.clone();
        let today = self.today();
        let submitted = l.case.submitted.date_in(&self.zone);
        let used = self.calendar.working_days_between(submitted, today)?;
        if used > crate::SUPPLEMENT_WINDOW_DAYS {
            return Err(Error::conflict(
                "supplement",
                msg!("supplement-window-over", days = crate::SUPPLEMENT_WINDOW_DAYS),
            ));
        }
        let listed = missing.join("；");
        close_task(
            &mut l.tx,
            &task.id,
            TaskState::Done,
            None,
            &listed,
            actor,
            self.now(),
        )
        .await?;
        cancel_open_tasks(&mut l.tx, &l.case.id, actor, self.now()).await?;
        l.case.clock.pause(PauseReason::Supplement, today)?;
        l.case.status = CaseStatus::Supplementing;
        l.case.supplement = Some(Supplement {
            missing: missing.clone(),
            note: note.clone(),
            requested_on: today,
            answered_on: None,
        });
        self.refresh_due(&mut l.case);
        let text = if note.is_empty() {
            listed
        } else {
            format!("{listed}\n{note}")
        };
        let dept = task.department.path.clone();
        self.commit_change(
            actor,
            l,
            None,
            LogDraft {
                action: "supplement_requested",
                department: Some(&dept),
                note: &text,
                public: true,
            },
            SupplementRequested {
                missing: missing.len(),
            },
            ("要求补正", "asked to supplement"),
        )
        .await
    }

    /// The applicant answers the 补正 request: changed form values are checked again, the clock
    /// runs again today, and the case goes back to acceptance.
    pub async fn supplement_case(
        &self,
        actor: &Principal,
        id: &CaseId,
        answer: SupplementAnswer,
    ) -> Result<CaseView> {
        let note = input::optional_text("note", &answer.note, MAX_NOTE)?;
        let case = self.case(actor, id).await?.case;
        let item = self.item(&case.item_id).await?;
        let mut l = self.load(actor, id).await?;
        applicant_only(&l)?;
        status_is(&l.case, &[CaseStatus::Supplementing])?;
        let mut values: BTreeMap<String, String> =
            open_values(&item.fields, &sealed_form_in(&mut l.tx, id).await?, &self.fields)?;
        // 补正 is asked once: an answer that supplies nothing would use it up for nothing.
        let changes = answer
            .form
            .iter()
            .any(|(k, v)| values.get(k).map_or("", String::as_str) != v.trim());
        if answer.files.is_empty() && !changes && note.is_empty() {
            return Err(Error::invalid("files", msg!("upload-what-was-asked")));
        }
        for (k, v) in answer.form {
            values.insert(k, v);
        }
        values.retain(|_, v| !v.trim().is_empty());
        let mut checked = check_values(&item.fields, &values, &self.fields)?;
        // A prefilled value the 补正 left as it was keeps its source.
        for v in &mut checked.masked {
            v.prefilled = l
                .case
                .form
                .iter()
                .find(|old| old.code == v.code && old.value == v.value)
                .and_then(|old| old.prefilled.clone());
        }
        let files = self
            .resolve_supplement_files(actor, &l.case, &answer.files)
            .await?;
        let today = self.today();
        l.case.clock.resume(today)?;
        l.case.status = CaseStatus::Submitted;
        l.case.form = checked.masked;
        if let Some(s) = l.case.supplement.as_mut() {
            s.answered_on = Some(today);
        }
        self.refresh_due(&mut l.case);
        l.case.updated = self.now();
        save_case(&mut l.tx, &mut l.case, None, Some(&checked.sealed)).await?;
        crate::material::record_materials(&mut l.tx, &l.case, &files).await?;
        self.open_step(&mut l.tx, &l.case, &l.wf, l.case.step).await?;
        log(
            &mut l.tx,
            &l.case.id,
            actor,
            self.now(),
            LogDraft {
                action: "supplemented",
                department: None,
                note: &note,
                public: true,
            },
        )
        .await?;
        case_event(
            &mut l.tx,
            actor,
            CaseSupplemented { files: files.len() },
            &l.case,
            ("已补正", "supplemented"),
        )
        .await?;
        l.tx.commit().await?;
        self.case(actor, id).await
    }
}
