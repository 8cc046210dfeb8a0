//! 决定书: the printable decision letter of a decided case. The applicant reads it under 我的办件
//! and the handling staff from the case page; both come through the hall's access rule for the
//! case, so nobody else can. It states who applied (masked), what for, when, the outcome, the
//! reasons and the legal basis, the deciding department and date — and, for a denial, the
//! applicant's right to administrative reconsideration or litigation, which the Administrative
//! Licensing Law (art. 38) requires every written denial to state.

use crate::AppState;
use crate::context::Ctx;
use crate::context::User;
use crate::errors::seal_page;
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render};
use askama::Template;
use axum::extract::{Path, State};
use tongban_hall::{Case, CaseId, CaseStatus, Decision, ItemType, Outcome};
use tongban_identity::AccountId;
use tongban_kernel::Principal;

#[derive(Template)]
#[template(path = "portal/decision.html")]
struct DecisionPage {
    c: Chrome,
    /// Where "back" goes: the applicant's case page or the console's.
    back: String,
    /// 准予行政许可决定书 / 不予办理决定书 …
    heading: String,
    /// The letter's reference: the case number with a decision mark.
    reference: String,
    applicant: String,
    applicant_id: String,
    /// The legal basis named under the letter.
    basis: String,
    /// The letter's paragraphs in the page language.
    body: Vec<String>,
    /// The remedies notice (denials only).
    remedy: Option<String>,
    /// Day of the decision, `2026年12月3日`.
    decided_on: String,
    /// The deciding department's official name, its city first: `示范市公安局`.
    issuer: String,
    /// Its 公章's impression, when it has one valid today.
    seal: Option<String>,
}

/// The letter's title: licensing decisions are named as such, other services generically.
fn heading(ctx: &Ctx, item_type: Option<ItemType>, outcome: Outcome) -> String {
    let t = ctx.t();
    let licensing = item_type == Some(ItemType::Licensing);
    match (outcome, licensing) {
        (Outcome::Approve, true) => t.pick("准予行政许可决定书", "Decision granting the licence"),
        (Outcome::Deny, true) => t.pick("不予行政许可决定书", "Decision refusing the licence"),
        (Outcome::Approve, false) => t.pick("准予办理决定书", "Decision to approve"),
        (Outcome::Deny, false) => t.pick("不予办理决定书", "Decision to refuse"),
    }
    .to_string()
}

/// The sentence of a refusal: 经审查, the reasons, the basis. Reasons that say how they were
/// found (经核查, 经查) need no 经审查 before them.
fn refusal(reasons: &str, basis: &str, what: &str) -> String {
    let lead = if reasons.starts_with('经') {
        ""
    } else {
        "经审查，"
    };
    format!("{lead}{reasons}。根据{basis}的规定，决定不予{what}。")
}

fn body(ctx: &Ctx, case: &Case, d: &Decision, submitted: &str, issuer: &str, licensing: bool) -> Vec<String> {
    let t = ctx.t();
    let mut out = vec![if t.is_en() {
        format!(
            "On {submitted} you applied for “{}” (case {}). {issuer} has examined the application according to law.",
            case.item_name, case.number
        )
    } else {
        format!(
            "你（单位）于{submitted}提出的“{}”申请（办件编号 {}），本机关已依法审查。",
            case.item_name, case.number
        )
    }];
    let basis = d.legal_basis.trim();
    // The letter says "经审查，" itself; a clerk's reasons often start with it and end with a
    // full stop too.
    let reasons = d
        .reasons
        .trim()
        .trim_start_matches("经审查")
        .trim_start_matches(['，', ',', '：', ':'])
        .trim_end_matches(['。', '.'])
        .trim();
    // What is decided, in full: 准予行政许可 for a licence, 准予办理 otherwise.
    let what = if licensing { "行政许可" } else { "办理" };
    out.push(match (d.outcome, t.is_en()) {
        (Outcome::Approve, false) => {
            format!("经审查，你（单位）的申请符合法定条件、标准。根据{basis}的规定，决定准予{what}。")
        }
        (Outcome::Approve, true) => format!(
            "The application meets the conditions and standards set by law. Under {basis}, it is approved."
        ),
        (Outcome::Deny, false) => refusal(reasons, basis, what),
        (Outcome::Deny, true) => format!("On examination: {reasons}. Under {basis}, it is refused."),
    });
    if d.outcome == Outcome::Approve && !reasons.is_empty() {
        out.push(if t.is_en() {
            format!("Remarks: {reasons}")
        } else {
            format!("说明：{reasons}")
        });
    }
    if let Some(n) = &case.licence_number {
        out.push(if t.is_en() {
            format!("The electronic licence {n} has been issued; anyone can verify it online.")
        } else {
            format!("已签发电子证照 {n}，可在线核验。")
        });
    }
    out
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

/// The letter of a case refused at acceptance (不予受理): when it was applied for, why it was
/// not accepted and under what.
fn not_accepted_body(
    ctx: &Ctx,
    case: &Case,
    reasons: &str,
    basis: &str,
    submitted: &str,
    issuer: &str,
) -> Vec<String> {
    let reasons = reasons
        .trim()
        .trim_start_matches("经审查")
        .trim_start_matches(['，', ',', '：', ':'])
        .trim_end_matches(['。', '.'])
        .trim();
    if ctx.t().is_en() {
        vec![
            format!(
                "On {submitted} you applied for “{}” (case {}). {issuer} has examined the application according to law.",
                case.item_name, case.number
            ),
            format!("On examination: {reasons}. Under {basis}, the application is not accepted."),
        ]
    } else {
        vec![
            format!(
                "你（单位）于{submitted}提出的“{}”申请（办件编号 {}），本机关已依法审查。",
                case.item_name, case.number
            ),
            refusal(reasons, basis, "受理"),
        ]
    }
}

/// `GET /my/cases/{id}/decision` and `GET /console/cases/{id}/decision`: the decision letter,
/// or for a case not accepted the 不予受理通知书.
pub(crate) async fn letter(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    Path(id): Path<String>,
) -> PageResult {
    let Ok(case_id) = CaseId::parse("id", &id) else {
        return Err(PageError::NotFound);
    };
    let v = state.hall.case(&user.principal, &case_id).await?;
    // A decision, or the refusal to accept recorded on the timeline: (outcome, reasons, day).
    let not_accepted = v
        .log
        .iter()
        .rev()
        .find(|e| e.action == "not_accepted")
        .filter(|_| v.case.status == CaseStatus::NotAccepted);
    if v.case.decision.is_none() && not_accepted.is_none() {
        return Err(PageError::NotFound);
    }
    let zone = &state.settings.zone;
    let item = state.hall.item(&v.case.item_id).await.ok();
    let item_type = item.as_ref().map(|i| i.item_type);
    // The reader may see the case, so may see who applied; shown masked, as on every page.
    let who = state
        .identity
        .get_user(
            &Principal::system("decision-letter"),
            &AccountId(v.case.applicant_id.clone()),
        )
        .await
        .ok();
    let applicant = who
        .as_ref()
        .and_then(|a| a.company_name.clone().or_else(|| a.real_name_masked.clone()))
        .or_else(|| who.as_ref().map(|a| a.display_name.clone()))
        .unwrap_or_default();
    let applicant_id = who
        .as_ref()
        .and_then(|a| {
            a.credit_code_masked
                .clone()
                .or_else(|| a.id_number_masked.clone())
        })
        .unwrap_or_default();
    let t = ctx.t();
    let submitted = t.day(v.case.submitted.date_in(zone));
    let licensing = item_type == Some(ItemType::Licensing);
    let denied = not_accepted.is_some()
        || v.case
            .decision
            .as_ref()
            .is_some_and(|d| d.outcome == Outcome::Deny);
    let heading = match (&v.case.decision, licensing) {
        (Some(d), _) => heading(&ctx, item_type, d.outcome),
        (None, true) => t
            .pick(
                "不予受理行政许可申请通知书",
                "Notice of non-acceptance of a licence application",
            )
            .to_string(),
        (None, false) => t.pick("不予受理通知书", "Notice of non-acceptance").to_string(),
    };
    // The letter names itself: 决定书, or 通知书 for a refusal to accept.
    let paper = if v.case.decision.is_some() {
        "决定书"
    } else {
        "通知书"
    };
    let remedy = denied.then(|| {
        if t.is_en() {
            "If you disagree with this decision you may apply for administrative reconsideration within 60 days of receiving it, or bring an administrative lawsuit before a people's court within six months.".to_string()
        } else {
            format!(
                "如不服本决定，可以自收到本{paper}之日起六十日内依法申请行政复议，或者自收到本{paper}之日起六个月内依法向人民法院提起行政诉讼。"
            )
        }
    });
    let (issuer_zh, issuer_en) = state
        .identity
        .official_name(&v.case.department.path)
        .await
        .unwrap_or_else(|_| (v.case.department.name_zh.clone(), String::new()));
    let issuer = t.pick(&issuer_zh, &issuer_en).to_string();
    let seal = match state.seals.letter_seal(&v.case.department.path).await {
        Ok(s) => s.map(|s| tongban_seal::impression_svg(s.id.as_str(), &s.name, s.seal_type, 128)),
        Err(e) => return Err(seal_page(e)),
    };
    let back = if v.case.applicant_id == user.principal.id {
        format!("/my/cases/{}", v.case.id)
    } else {
        format!("/console/cases/{}", v.case.id)
    };
    let (body, basis, decided_on, reference) = match (&v.case.decision, not_accepted) {
        (Some(d), _) => (
            body(&ctx, &v.case, d, &submitted, &issuer, licensing),
            d.legal_basis.clone(),
            t.day(d.at.date_in(zone)),
            format!("{}-JD", v.case.number),
        ),
        (None, Some(e)) => {
            let basis = not_accepted_basis(licensing, item.as_ref().map_or("", |i| i.legal_basis.as_str()));
            (
                not_accepted_body(&ctx, &v.case, &e.note, &basis, &submitted, &issuer),
                basis,
                t.day(e.at.date_in(zone)),
                format!("{}-BSL", v.case.number),
            )
        }
        (None, None) => return Err(PageError::NotFound),
    };
    Ok(render(&DecisionPage {
        c: ctx.chrome(&heading),
        back,
        reference,
        body,
        issuer,
        seal,
        remedy,
        decided_on,
        heading,
        applicant,
        applicant_id,
        basis,
    }))
}

#[cfg(test)]
mod tests {
    use super::refusal;

    #[test]
    fn a_licence_not_accepted_cites_the_licensing_law() {
        use super::not_accepted_basis;
        assert_eq!(
            not_accepted_basis(true, "《居住证暂行条例》"),
            "《中华人民共和国行政许可法》第三十二条"
        );
        assert_eq!(
            not_accepted_basis(false, "《居住证暂行条例》"),
            "《居住证暂行条例》"
        );
        assert_eq!(
            refusal(
                "申请事项不属于本机关职权范围，请向户籍所在地公安机关申请",
                "《中华人民共和国行政许可法》第三十二条",
                "受理"
            ),
            "经审查，申请事项不属于本机关职权范围，请向户籍所在地公安机关申请。根据《中华人民共和国行政许可法》第三十二条的规定，决定不予受理。"
        );
    }

    #[test]
    fn a_refusal_says_how_it_was_examined_once() {
        assert_eq!(
            refusal("申请人在本市居住不满半年", "《居住证暂行条例》第九条", "办理"),
            "经审查，申请人在本市居住不满半年。根据《居住证暂行条例》第九条的规定，决定不予办理。"
        );
        let own = refusal("经核查，申请材料与事实不符", "第九条", "行政许可");
        assert!(own.starts_with("经核查，") && !own.contains("经审查"), "{own}");
    }
}
