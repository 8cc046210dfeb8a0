//! 决定书: the printable decision letter of a decided case, as the hall states it
//! ([`tongban_hall::DecisionLetter`]: what is decided, reasons, basis, remedies), worded from
//! the locale files. The applicant reads it under 我的办件 and the handling staff from the
//! case page; the hall's access rule for the case decides who may.

use crate::AppState;
use crate::context::{Ctx, IdPath, User};
use crate::errors::seal_page;
use crate::i18n::Tr;
use crate::page::{Chrome, PageResult, render};
use askama::Template;
use axum::extract::State;
use fluent_bundle::FluentValue;
use tongban_hall::{CaseId, DecisionLetter, LetterKind};
use tongban_identity::AccountId;

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

/// `yes` or `no`, for the messages' selectors.
fn yes(b: bool) -> FluentValue<'static> {
    FluentValue::from(if b { "yes" } else { "no" })
}

/// The letter's title: licensing decisions are named as such, other services generically.
fn heading(t: Tr, l: &DecisionLetter) -> String {
    let kind = match (l.kind, l.licensing) {
        (LetterKind::Granted, true) => "granted-licence",
        (LetterKind::Granted, false) => "granted",
        (LetterKind::Refused, true) => "refused-licence",
        (LetterKind::Refused, false) => "refused",
        (LetterKind::NotAccepted, true) => "not-accepted-licence",
        (LetterKind::NotAccepted, false) => "not-accepted",
    };
    t.fmt("decision.title", &[("kind", kind.into())])
}

/// The letter's paragraphs: the application examined, the decision with its reasons and
/// basis, remarks on a grant, the e-licence issued.
fn body(t: Tr, l: &DecisionLetter, submitted: &str, issuer: &str) -> Vec<String> {
    let item = match l.item_name_en.trim() {
        en if t.is_en() && !en.is_empty() => en,
        _ => l.item_name.as_str(),
    };
    let mut out = vec![t.fmt(
        "decision.applied",
        &[
            ("submitted", submitted.into()),
            ("item", item.into()),
            ("number", l.case_number.as_str().into()),
            ("issuer", issuer.into()),
        ],
    )];
    let args = [
        ("reasons", FluentValue::from(l.reasons.as_str())),
        ("basis", l.basis.as_str().into()),
        ("licensing", yes(l.licensing)),
        ("lead", yes(!l.reasons_say_how)),
    ];
    out.push(match l.kind {
        LetterKind::Granted => t.fmt("decision.granted", &args),
        LetterKind::Refused => t.fmt("decision.refused", &args),
        LetterKind::NotAccepted => t.fmt("decision.not_accepted", &args),
    });
    if l.kind == LetterKind::Granted && !l.reasons.is_empty() {
        out.push(t.fmt("decision.remarks", &args));
    }
    if let Some(n) = &l.licence_number {
        out.push(t.fmt("decision.licence", &[("number", n.as_str().into())]));
    }
    out
}

/// The remedies a denial states: a refusal to accept is a 通知书, a decision a 决定书.
fn remedy(t: Tr, l: &DecisionLetter) -> Option<String> {
    let paper = match l.kind {
        LetterKind::NotAccepted => "notice",
        _ => "decision",
    };
    l.states_remedies()
        .then(|| t.fmt("decision.remedy", &[("paper", paper.into())]))
}

/// `GET /my/cases/{id}/decision` and `GET /console/cases/{id}/decision`: the decision letter,
/// or for a case not accepted the 不予受理通知书.
pub(crate) async fn letter(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    IdPath(id): IdPath<CaseId>,
) -> PageResult {
    let l = state.hall.decision_letter(&user.principal, &id).await?;
    // The reader may see the case, so may see who applied; shown masked, as on every page.
    let holder = state
        .identity
        .masked_holder(&AccountId(l.applicant_id.clone()))
        .await?;
    let t = ctx.t();
    let zone = &state.settings.zone;
    let (issuer_zh, issuer_en) = state.identity.official_name(&l.department.path).await?;
    let issuer = t.pick(&issuer_zh, &issuer_en).to_string();
    let seal = match state.seals.letter_seal(&l.department.path).await {
        Ok(s) => s.map(|s| tongban_seal::impression_svg(s.id.as_str(), &s.name, s.seal_type, 128)),
        Err(e) => return Err(seal_page(e)),
    };
    let back = if l.applicant_id == user.principal.id {
        format!("/my/cases/{}", l.case_id)
    } else {
        format!("/console/cases/{}", l.case_id)
    };
    let heading = heading(t, &l);
    Ok(render(&DecisionPage {
        c: ctx.chrome(&heading),
        back,
        reference: l.reference.clone(),
        body: body(t, &l, &t.day(l.submitted.date_in(zone)), &issuer),
        remedy: remedy(t, &l),
        decided_on: t.day(l.decided.date_in(zone)),
        issuer,
        seal,
        heading,
        applicant: holder.name,
        applicant_id: holder.identifier.unwrap_or_default(),
        basis: l.basis,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn letter(kind: LetterKind, reasons: &str) -> DecisionLetter {
        DecisionLetter {
            case_id: CaseId("c1".into()),
            kind,
            licensing: kind == LetterKind::Refused,
            reference: "GA-2026-0001-JD".into(),
            case_number: "GA-2026-0001".into(),
            item_name: "居住证办理".into(),
            item_name_en: "Residence permit".into(),
            applicant_id: "a1".into(),
            submitted: tongban_kernel::Millis(0),
            decided: tongban_kernel::Millis(0),
            reasons: reasons.into(),
            reasons_say_how: reasons.starts_with('经'),
            basis: "《居住证暂行条例》第九条".into(),
            licence_number: None,
            department: tongban_hall::DeptRef {
                id: "d1".into(),
                path: tongban_kernel::DeptPath("/3301/3301-GA/".into()),
                name_zh: "公安局".into(),
            },
        }
    }

    const ZH: Tr = Tr { lang: Lang::Zh };
    const EN: Tr = Tr { lang: Lang::En };

    #[test]
    fn a_refusal_says_how_it_was_examined_once_and_states_the_remedies() {
        let l = letter(LetterKind::Refused, "申请人在本市居住不满半年");
        let zh = body(ZH, &l, "2026年3月2日", "示范市公安局");
        assert_eq!(
            zh[1],
            "经审查，申请人在本市居住不满半年。根据《居住证暂行条例》第九条的规定，决定不予行政许可。"
        );
        assert_eq!(heading(ZH, &l), "不予行政许可决定书");
        assert!(remedy(ZH, &l).is_some_and(|r| r.contains("收到本决定书之日起六十日内")));
        let own = body(
            ZH,
            &letter(LetterKind::Refused, "经核查，申请材料与事实不符"),
            "",
            "",
        )[1]
        .clone();
        assert!(own.starts_with("经核查，") && !own.contains("经审查"), "{own}");
        assert_eq!(
            body(EN, &l, "2 March 2026", "Public Security Bureau, Demo City")[1],
            "On examination: 申请人在本市居住不满半年. Under 《居住证暂行条例》第九条, it is refused."
        );
        assert!(body(EN, &l, "2 March 2026", "")[0].contains("you applied for “Residence permit”"));
        assert!(body(ZH, &l, "", "")[0].contains("“居住证办理”"));
    }

    #[test]
    fn a_refusal_to_accept_is_a_notice_and_a_grant_states_no_remedy() {
        let l = letter(LetterKind::NotAccepted, "申请事项不属于本机关职权范围");
        assert_eq!(heading(ZH, &l), "不予受理通知书");
        assert!(body(ZH, &l, "", "")[1].ends_with("的规定，决定不予受理。"));
        assert!(remedy(ZH, &l).is_some_and(|r| r.contains("收到本通知书之日起")));
        let granted = letter(LetterKind::Granted, "");
        assert_eq!(heading(ZH, &granted), "准予办理决定书");
        assert_eq!(remedy(ZH, &granted), None);
        assert_eq!(body(ZH, &granted, "", "").len(), 2, "no remarks without reasons");
        assert_eq!(
            body(ZH, &granted, "2026年3月2日", "")[0],
            "你（单位）于2026年3月2日提出的“居住证办理”申请（办件编号 GA-2026-0001），本机关已依法审查。"
        );
    }
}
