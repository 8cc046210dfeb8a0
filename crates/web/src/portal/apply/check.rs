//! The check-your-answers page: every answer and upload, each with a link to change it.

use super::draft::Draft;
use super::questions::questions;
use super::uploads::{shown, to_provide};
use crate::context::Ctx;
use crate::markup::Named;
use crate::page::{Chrome, render};
use askama::Template;
use axum::response::Response;
use tongban_hall::ServiceItem;

#[derive(Template)]
#[template(path = "portal/check.html")]
struct CheckPage {
    c: Chrome,
    base: String,
    name: Named,
    key: String,
    /// (question number, label, answer, where a prefilled answer came from, whether the
    /// applicant changed it).
    rows: Vec<(usize, String, String, String, bool)>,
    /// (step, material name, what was given).
    materials: Vec<(usize, String, String)>,
    exempt: Vec<String>,
    promised: u32,
}

pub(super) fn check_page(ctx: &Ctx, i: &ServiceItem, d: &Draft) -> Response {
    let t = ctx.t();
    let rows = questions(i)
        .iter()
        .enumerate()
        .map(|(n, f)| {
            let v = d.answers.get(&f.code).cloned().unwrap_or_default();
            let (source, corrected) = d.prefill_of(&f.code).unwrap_or_default();
            let shown = match (v.trim().is_empty(), f.required) {
                (false, _) => f.shown_value(&v),
                (true, true) => t.s("services.not_answered_required").to_string(),
                (true, false) => t.s("services.not_answered").to_string(),
            };
            (n, f.label.clone(), shown, source.to_string(), corrected)
        })
        .collect();
    let asked = questions(i).len();
    let materials = to_provide(i)
        .iter()
        .enumerate()
        .map(|(n, m)| {
            (
                asked + n,
                m.name.to_string(),
                shown(ctx, d.materials.get(&m.key), m.required),
            )
        })
        .collect();
    render(&CheckPage {
        c: ctx.chrome(t.s("services.check")),
        base: d.base.clone(),
        name: ctx.t().name(&i.name, &i.name_en),
        key: d.key.clone(),
        rows,
        materials,
        exempt: i
            .materials
            .iter()
            .filter(|m| matches!(m.source, tongban_hall::MaterialSource::SharedField { .. }))
            .map(|m| m.name.clone())
            .collect(),
        promised: i.promised_days,
    })
}
