//! 延期 (extension): the holder of an open task asks for more working days with a reason; the
//! department's supervisor (not the one who asked) approves or rejects. Approval adds the days
//! to the statutory and the promised limits. One extension per case (行政许可法 第42条).

use crate::action::{MAX_NOTE, pick, staff_only, status_is};
use crate::events::{ExtensionDecided, ExtensionRequested};
use crate::store::LogDraft;
use crate::{CaseId, CaseStatus, CaseView, Error, Extension, ExtensionStatus, Hall, Result};
use tongban_kernel::msg;
use tongban_kernel::{Permission, Principal, input};

/// Most working days one extension may add.
pub const MAX_EXTENSION_DAYS: u32 = 30;

impl Hall {
    /// 延期: the holder of an open task asks for `days` more working days, with a reason. One
    /// extension per case (行政许可法 第42条).
    pub async fn request_extension(
        &self,
        actor: &Principal,
        id: &CaseId,
        days: u32,
        reason: &str,
    ) -> Result<CaseView> {
        let reason = input::text("reason", reason, MAX_NOTE)?;
        if days == 0 || days > MAX_EXTENSION_DAYS {
            return Err(Error::invalid(
                "days",
                msg!(
                    "extension-1-max-extension",
                    max_extension_days = MAX_EXTENSION_DAYS
                ),
            ));
        }
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
        if l.case.extension.is_some() {
            return Err(Error::conflict("extension", msg!("case-may-extended-once")));
        }
        let task = pick(actor, &l.case, &l.tasks, None)?.clone();
        l.case.extension = Some(Extension {
            days,
            reason: reason.clone(),
            requested_by: actor.id.clone(),
            status: ExtensionStatus::Requested,
            decided_by: None,
        });
        let text = format!("申请延期{days}个工作日：{reason}");
        let dept = task.department.path.clone();
        self.commit_change(
            actor,
            l,
            None,
            LogDraft {
                action: "extension_requested",
                department: Some(&dept),
                note: &text,
                public: false,
            },
            ExtensionRequested { days },
            ("申请延期", "extension requested"),
        )
        .await
    }

    /// Approves or rejects an extension (`SuperviseCases` over the case's department, and not
    /// the one who asked). Approval adds the days to the statutory and the promised limits.
    pub async fn decide_extension(
        &self,
        actor: &Principal,
        id: &CaseId,
        approve: bool,
        note: &str,
    ) -> Result<CaseView> {
        let note = input::optional_text("note", note, MAX_NOTE)?;
        let mut l = self.load(actor, id).await?;
        actor.require(Permission::SuperviseCases, Some(&l.case.department.path))?;
        let Some(mut ext) = l
            .case
            .extension
            .clone()
            .filter(|e| e.status == ExtensionStatus::Requested)
        else {
            return Err(Error::conflict("extension", msg!("no-extension-awaits-approval")));
        };
        if ext.requested_by == actor.id {
            return Err(Error::forbidden(msg!("you-cannot-approve-your")));
        }
        status_is(
            &l.case,
            &[
                CaseStatus::Submitted,
                CaseStatus::Supplementing,
                CaseStatus::InProgress,
                CaseStatus::Approved,
            ],
        )?;
        ext.status = if approve {
            ExtensionStatus::Approved
        } else {
            ExtensionStatus::Rejected
        };
        ext.decided_by = Some(actor.id.clone());
        if approve {
            l.case.clock.statutory_days += ext.days;
            l.case.clock.promised_days = l.case.clock.promised_days.map(|p| p + ext.days);
            self.refresh_due(&mut l.case);
        }
        let days = ext.days;
        l.case.extension = Some(ext);
        let text = if approve {
            msg!("extension-approved", days = days, note = note)
        } else {
            msg!("extension-rejected", note = note)
        }
        .to_string();
        let dept = l.case.department.path.clone();
        self.commit_change(
            actor,
            l,
            None,
            LogDraft {
                action: if approve { "extended" } else { "extension_rejected" },
                department: Some(&dept),
                note: text.trim(),
                public: approve,
            },
            ExtensionDecided { approve, days },
            ("审批延期", "extension decided"),
        )
        .await
    }
}
