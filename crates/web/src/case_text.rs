//! How a case reads on any page, the citizen's or the console's: its urgency as a style code,
//! timeline actions by name, and timeline notes in the page's language.

use crate::context::Ctx;
use tongban_hall::Urgency;

/// The style code of a case's urgency (`due_soon` is yellow, `overdue` red).
pub(crate) fn urgency_code(u: Urgency) -> &'static str {
    match u {
        Urgency::Normal => "normal",
        Urgency::DueSoon => "due_soon",
        Urgency::Overdue => "overdue",
    }
}

/// A timeline entry's label; a decision on an item that is not an administrative licence is
/// named 准予办理 / 不予办理, not 准予许可 / 不予许可.
pub(crate) fn action_label(ctx: &Ctx, action: &str, licensing: bool) -> String {
    let action = match (action, licensing) {
        ("denied", false) => "refused",
        ("approved", false) => "agreed",
        (other, _) => other,
    };
    ctx.t()
        .lookup(&format!("case.action.{action}"))
        .map_or_else(|| action.to_string(), String::from)
}

/// A timeline note as shown: a look at personal data (`公民身份号码（核对身份证件）`) is
/// recorded in Chinese and read with the reason's English name on English pages, and
/// departments are named in the page's language; other words are as people wrote them.
pub(crate) fn log_note(ctx: &Ctx, depts: &crate::page::DeptNames, action: &str, note: &str) -> String {
    let note = depts.in_text(note);
    if action != "value_revealed" || !ctx.t().is_en() {
        return note;
    }
    let mut shown = note;
    for r in tongban_hall::RevealReason::ALL {
        shown = shown.replace(&format!("（{}", r.name_zh()), &format!(" ({}", r.name_en()));
    }
    shown.replace('）', ")").replacen('：', ": ", 1)
}
