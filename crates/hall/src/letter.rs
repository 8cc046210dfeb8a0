//! 决定书: what the written decision on a case states. The applicant reads it under 我的办件
//! and the handling staff from the case page; both come through the case's access rule, so
//! nobody else can. It names what was applied for and when, the outcome, the reasons and the
//! legal basis, the deciding department and the day — and, for a denial or a refusal to
//! accept, the applicant's right to administrative reconsideration or litigation, which the
//! Administrative Licensing Law (art. 38) requires every written denial to state. The words
//! are the page's; what the letter must say is decided here.

use crate::{CaseId, CaseStatus, DeptRef, Error, Hall, ItemType, Outcome, Result};
use tongban_kernel::{Millis, Principal};

/// What the letter decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LetterKind {
    /// 准予: the application is granted.
    Granted,
    /// 不予: it is refused on its merits.
    Refused,
    /// 不予受理: it was not accepted for handling (a 通知书, not a 决定书).
    NotAccepted,
}

/// The content of a case's decision letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionLetter {
    /// The case.
    pub case_id: CaseId,
    /// What is decided.
    pub kind: LetterKind,
    /// An administrative licence (行政许可): the title and the decision say so.
    pub licensing: bool,
    /// The letter's reference: the case number with `-JD` (决定) or `-BSL` (不受理).
    pub reference: String,
    /// The case number.
    pub case_number: String,
    /// The service applied for.
    pub item_name: String,
    /// Its English name, empty when it has none.
    pub item_name_en: String,
    /// The applicant's account id (the page names them, masked).
    pub applicant_id: String,
    /// When the application was made.
    pub submitted: Millis,
    /// When it was decided (or refused acceptance).
    pub decided: Millis,
    /// The reasons as the decider gave them, without the letter's own lead (经审查) and end
    /// (。); empty for a grant without remarks.
    pub reasons: String,
    /// The reasons say how they were found (经核查…): no 经审查 goes before them.
    pub reasons_say_how: bool,
    /// The legal basis cited.
    pub basis: String,
    /// The e-licence issued with a grant.
    pub licence_number: Option<String>,
    /// The deciding department.
    pub department: DeptRef,
}

impl DecisionLetter {
    /// A denial and a refusal to accept state the applicant's remedies (行政许可法 art. 38).
    pub fn states_remedies(&self) -> bool {
        self.kind != LetterKind::Granted
    }
}

/// Reasons as a clerk types them often start with 经审查 and end with a full stop; the letter
/// says both itself.
fn bare_reasons(reasons: &str) -> String {
    reasons
        .trim()
        .trim_start_matches("经审查")
        .trim_start_matches(['，', ',', '：', ':'])
        .trim_end_matches(['。', '.'])
        .trim()
        .to_string()
}

/// The legal basis of a refusal to accept: the Administrative Licensing Law for a licence
/// (art. 32 lists when an application is not accepted), the item's own basis otherwise.
fn not_accepted_basis(licensing: bool, item_basis: &str) -> String {
    if licensing || item_basis.trim().is_empty() {
        "《中华人民共和国行政许可法》第三十二条".to_string()
    } else {
        item_basis.trim().to_string()
    }
}

impl Hall {
    /// The decision letter of case `id` as `actor` may read it (the case's own access rule):
    /// `NotFound` while the case has neither a decision nor a refusal to accept.
    pub async fn decision_letter(&self, actor: &Principal, id: &CaseId) -> Result<DecisionLetter> {
        let v = self.case(actor, id).await?;
        let c = v.case;
        let item = self.item(&c.item_id).await?;
        let licensing = item.item_type == ItemType::Licensing;
        let (kind, reasons, basis, decided, mark) = match &c.decision {
            Some(d) => {
                let kind = match d.outcome {
                    Outcome::Approve => LetterKind::Granted,
                    Outcome::Deny => LetterKind::Refused,
                };
                (kind, d.reasons.as_str(), d.legal_basis.clone(), d.at, "JD")
            }
            None => {
                let refusal = v
                    .log
                    .iter()
                    .rev()
                    .find(|e| e.action == "not_accepted")
                    .filter(|_| c.status == CaseStatus::NotAccepted)
                    .ok_or(Error::NotFound { what: "decision" })?;
                (
                    LetterKind::NotAccepted,
                    refusal.note.as_str(),
                    not_accepted_basis(licensing, &item.legal_basis),
                    refusal.at,
                    "BSL",
                )
            }
        };
        let reasons = bare_reasons(reasons);
        Ok(DecisionLetter {
            case_id: c.id.clone(),
            kind,
            licensing,
            reference: format!("{}-{mark}", c.number),
            reasons_say_how: reasons.starts_with('经'),
            reasons,
            basis: basis.trim().to_string(),
            case_number: c.number,
            item_name: c.item_name,
            item_name_en: item.name_en,
            applicant_id: c.applicant_id,
            submitted: c.submitted,
            decided,
            licence_number: c.licence_number,
            department: c.department,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_licence_not_accepted_cites_the_licensing_law() {
        assert_eq!(
            not_accepted_basis(true, "《居住证暂行条例》"),
            "《中华人民共和国行政许可法》第三十二条"
        );
        assert_eq!(
            not_accepted_basis(false, " 《居住证暂行条例》 "),
            "《居住证暂行条例》"
        );
        assert_eq!(
            not_accepted_basis(false, " "),
            "《中华人民共和国行政许可法》第三十二条"
        );
    }

    #[test]
    fn the_letter_says_its_own_lead_and_full_stop() {
        assert_eq!(
            bare_reasons("经审查，申请人在本市居住不满半年。"),
            "申请人在本市居住不满半年"
        );
        assert_eq!(bare_reasons(" 经审查：材料不全. "), "材料不全");
        assert_eq!(
            bare_reasons("经核查，申请材料与事实不符"),
            "经核查，申请材料与事实不符"
        );
    }
}
