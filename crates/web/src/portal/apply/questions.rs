//! The questions of an application, one per page: every form field but file fields.

use super::draft::Draft;
use crate::context::Ctx;
use crate::markup::Named;
use crate::page::{Chrome, PageError, PageResult, render};
use askama::Template;
use tongban_hall::{FieldKind, FormField, ServiceItem};

/// The questions asked one per page (file fields are asked on upload pages after them, see
/// [`super::uploads::to_provide`]).
pub(super) fn questions(i: &ServiceItem) -> Vec<&FormField> {
    i.questions().collect()
}

struct Question {
    label: String,
    required: bool,
    input: &'static str,
    options: Vec<(String, String)>,
    value: String,
    hint: String,
    /// Where a prefilled value came from (empty when typed).
    source: String,
    /// A prefilled value the applicant changed.
    corrected: bool,
}

fn question(ctx: &Ctx, f: &FormField, value: &str, source: &str) -> Question {
    let t = ctx.t();
    let (input, options, hint) = match &f.kind {
        FieldKind::Text { max_chars } => (
            "text",
            Vec::new(),
            format!("{}{}{max_chars}", t.s("services.max_chars"), t.s("punct.space")),
        ),
        FieldKind::Number { .. } => ("number", Vec::new(), String::new()),
        FieldKind::Date | FieldKind::PastDate => ("date", Vec::new(), t.s("services.date_hint").to_string()),
        FieldKind::Choice { options } => (
            "choice",
            options
                .iter()
                .map(|o| (o.value.clone(), o.label.clone()))
                .collect(),
            String::new(),
        ),
        FieldKind::IdNumber => ("id", Vec::new(), t.s("services.id_hint").to_string()),
        FieldKind::Phone => ("tel", Vec::new(), String::new()),
        FieldKind::Address => ("address", Vec::new(), String::new()),
        FieldKind::File => ("text", Vec::new(), String::new()),
    };
    // Two hints read as two sentences: 最多字数：100。此项为个人信息，将加密保存。
    let personal = match (f.is_personal(), hint.is_empty()) {
        (false, _) => String::new(),
        (true, true) => t.s("services.personal_hint").to_string(),
        (true, false) => format!(
            "{}{}{}",
            t.s("punct.stop"),
            t.s("punct.space"),
            t.s("services.personal_hint")
        ),
    };
    Question {
        label: f.label.clone(),
        required: f.required,
        input,
        options,
        value: value.to_string(),
        hint: format!("{hint}{personal}").trim().to_string(),
        source: source.to_string(),
        corrected: false,
    }
}

#[derive(Template)]
#[template(path = "portal/apply.html")]
struct ApplyPage {
    c: Chrome,
    base: String,
    name: Named,
    key: String,
    step: usize,
    total: usize,
    q: Question,
}

pub(super) fn ask(ctx: &Ctx, i: &ServiceItem, d: &Draft, step: usize, c: Chrome) -> PageResult {
    let qs = questions(i);
    let Some(f) = qs.get(step) else {
        return Err(PageError::NotFound);
    };
    let value = d.answers.get(&f.code).cloned().unwrap_or_default();
    let (source, corrected) = d.prefill_of(&f.code).unwrap_or_default();
    Ok(render(&ApplyPage {
        c,
        base: d.base.clone(),
        name: ctx.t().name(&i.name, &i.name_en),
        key: d.key.clone(),
        step,
        total: qs.len(),
        q: Question {
            corrected,
            ..question(ctx, f, &value, source)
        },
    }))
}
