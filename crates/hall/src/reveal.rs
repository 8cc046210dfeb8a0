//! 查看完整信息: handling staff see a personal form value masked; to check it against the
//! applicant's papers they may reveal one value at a time, giving the reason. Each reveal is
//! recorded in the case's timeline — the applicant sees who looked at what and why (个人信息
//! 保护法 art. 44–45) — and in the ledger, in the transaction that opens the value.

use crate::action::staff_only;
use crate::error::{Error, Result};
use crate::events::ValueRevealed;
use crate::form::open_values;
use crate::store::{LogDraft, item_in, log, sealed_form_in};
use crate::{CaseId, Hall};
use std::collections::BTreeMap;
use tongban_db::EventDraft;
use tongban_kernel::msg;
use tongban_kernel::{Principal, input};

/// Longest explanation of an "other" reason.
pub const MAX_REVEAL_NOTE: usize = 200;

coded_enum!(
    /// Why a clerk reveals a masked value.
    RevealReason {
        /// 核对身份证件: the applicant is at the window, or their ID was sent.
        IdentityCheck = "identity_check", "核对身份证件", "Checking identity papers";
        /// 核对申请材料: comparing with a material.
        MaterialCheck = "material_check", "核对申请材料", "Checking a material";
        /// 联系申请人: a phone number or address is needed to reach them.
        ContactApplicant = "contact_applicant", "联系申请人", "Contacting the applicant";
        /// 其他: said in a note.
        Other = "other", "其他", "Other";
    }
);

/// A value revealed, with what was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revealed {
    /// The field's label.
    pub label: String,
    /// The value in clear.
    pub value: String,
    /// Why.
    pub reason: RevealReason,
    /// The explanation given (may be empty unless the reason is [`RevealReason::Other`]).
    pub note: String,
}

impl Hall {
    /// Opens the personal value of form field `field` of a case for handling staff, recording
    /// who, which field and why (`note` required with [`RevealReason::Other`]).
    #[tracing::instrument(skip_all)]
    pub async fn reveal_case_value(
        &self,
        actor: &Principal,
        id: &CaseId,
        field: &str,
        reason: RevealReason,
        note: &str,
    ) -> Result<Revealed> {
        let note = input::optional_text("note", note, MAX_REVEAL_NOTE)?;
        if reason == RevealReason::Other && note.is_empty() {
            return Err(Error::invalid("note", msg!("say-why-you-need")));
        }
        let mut l = self.load(actor, id).await?;
        staff_only(&l)?;
        let item = item_in(&mut l.tx, &l.case.item_id).await?;
        let Some(spec) = item.fields.iter().find(|f| f.code == field && f.is_personal()) else {
            return Err(Error::invalid("field", msg!("answer-not-masked-personal")));
        };
        let sealed = sealed_form_in(&mut l.tx, id).await?;
        let Some(stored) = sealed.get(field) else {
            return Err(Error::invalid("field", msg!("applicant-left-answer-empty")));
        };
        let one = BTreeMap::from([(field.to_string(), stored.clone())]);
        let value = open_values(&item.fields, &one, &self.fields)?
            .remove(field)
            .unwrap_or_default();
        let (reason_zh, reason_en) = match reason {
            RevealReason::Other => (format!("其他：{note}"), format!("other: {note}")),
            _ if note.is_empty() => (reason.name_zh().to_string(), reason.name_en().to_string()),
            _ => (
                format!("{}：{note}", reason.name_zh()),
                format!("{}: {note}", reason.name_en()),
            ),
        };
        let dept = actor.department.clone();
        let entry = format!("{}（{reason_zh}）", spec.label);
        log(
            &mut l.tx,
            id,
            actor,
            self.now(),
            LogDraft {
                action: "value_revealed",
                department: dept.as_ref(),
                note: &entry,
                public: true,
            },
        )
        .await?;
        let case = &l.case;
        l.tx.append_event(
            actor,
            EventDraft::of(
                &ValueRevealed {
                    number: case.number.clone(),
                    field: spec.code.clone(),
                    reason: reason.code().into(),
                    note: note.clone(),
                },
                case.id.as_str(),
                Some(&case.department.path),
                msg!(
                    "revealed-value-of-case",
                    label = spec.label,
                    code = spec.code,
                    number = case.number,
                    reason = tongban_kernel::Arg::name(reason_zh, reason_en)
                ),
            ),
        )
        .await?;
        l.tx.commit().await?;
        Ok(Revealed {
            label: spec.label.clone(),
            value,
            reason,
            note,
        })
    }
}
