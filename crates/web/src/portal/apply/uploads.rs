//! The upload pages of an application, one per page after the questions: first the form's file
//! fields (a photo asked as a question), then the materials. Each takes a PDF, PNG or JPEG
//! (checked and stored encrypted by the hall at once, so only its id travels in the draft), or —
//! for a material an e-licence satisfies — one of the applicant's own licences of that type
//! (免提交). Materials government holds as shared data are not asked for.

use super::draft::{Draft, posted_draft};
use super::questions::questions;
use super::target::Journey;
use crate::AppState;
use crate::context::Ctx;
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render};
use askama::Template;
use axum::extract::{Multipart, Path, State};
use std::collections::BTreeMap;
use tongban_hall::{
    FieldKind, FileId, MAX_UPLOAD_BYTES, Material, MaterialInput, MaterialSource, ServiceItem,
};
use tongban_kernel::Principal;

/// One upload page of the application: a file field of the form or a material.
pub(super) struct Slot<'a> {
    /// Where its answer is kept in the draft (`m.<key>`): the material's code, or
    /// `form.<field code>` for a file field.
    pub(super) key: String,
    pub(super) name: &'a str,
    pub(super) required: bool,
    /// The licence type that may stand in for it (免提交), for a material that has one.
    pub(super) licence_type: Option<&'a str>,
}

/// Where a file field's upload is kept in the draft, and the field the hall names when it
/// refuses one.
fn field_key(code: &str) -> String {
    format!("form.{code}")
}

/// The uploads the applicant is asked for, in order: the form's file fields, then every
/// material but those government holds as shared data.
pub(super) fn to_provide(i: &ServiceItem) -> Vec<Slot<'_>> {
    let fields = i
        .fields
        .iter()
        .filter(|f| matches!(f.kind, FieldKind::File))
        .map(|f| Slot {
            key: field_key(&f.code),
            name: &f.label,
            required: f.required,
            licence_type: None,
        });
    let materials = i
        .materials
        .iter()
        .filter(|m| !matches!(m.source, MaterialSource::SharedField { .. }))
        .map(|m: &Material| Slot {
            key: m.code.clone(),
            name: &m.name,
            required: m.required,
            licence_type: match &m.source {
                MaterialSource::Licence { licence_type } => Some(licence_type.as_str()),
                _ => None,
            },
        });
    fields.chain(materials).collect()
}

/// The page number of the upload the hall refused as `field` (`materials.<code>` or
/// `form.<file field>`), if it is one.
pub(super) fn step_of(i: &ServiceItem, field: &str) -> Option<usize> {
    let key = field.strip_prefix("materials.").unwrap_or(field);
    let at = to_provide(i).iter().position(|s| s.key == key)?;
    Some(questions(i).len() + at)
}

/// The file fields' uploads as form answers (the file's id), for submission.
pub(super) fn file_answers(d: &Draft) -> impl Iterator<Item = (String, String)> + '_ {
    d.materials.iter().filter_map(|(key, v)| {
        let code = key.strip_prefix("form.")?;
        match answer(v)? {
            Answer::Upload { file, .. } => Some((code.to_string(), file.to_string())),
            Answer::Licence { .. } => None,
        }
    })
}

/// A material's answer as carried in the draft (`m.<code>`): `upload:<file id>:<file name>` or
/// `licence:<number>`.
pub(super) enum Answer<'a> {
    Upload { file: &'a str, name: &'a str },
    Licence { number: &'a str },
}

pub(super) fn answer(v: &str) -> Option<Answer<'_>> {
    if let Some(rest) = v.strip_prefix("upload:") {
        let (file, name) = rest.split_once(':').unwrap_or((rest, ""));
        Some(Answer::Upload { file, name })
    } else {
        v.strip_prefix("licence:")
            .map(|number| Answer::Licence { number })
    }
}

/// The draft's material answers as the hall takes them (file fields go with the form).
pub(super) fn inputs(d: &Draft) -> BTreeMap<String, MaterialInput> {
    d.materials
        .iter()
        .filter(|(key, _)| !key.starts_with("form."))
        .filter_map(|(code, v)| {
            let input = match answer(v)? {
                Answer::Upload { file, .. } => MaterialInput::Upload {
                    file: FileId(file.to_string()),
                },
                Answer::Licence { number } => MaterialInput::Licence {
                    number: number.to_string(),
                },
            };
            Some((code.clone(), input))
        })
        .collect()
}

/// How a material's answer reads on the check page.
pub(super) fn shown(ctx: &Ctx, v: Option<&String>, required: bool) -> String {
    let t = ctx.t();
    match v.and_then(|v| answer(v)) {
        Some(Answer::Upload { name, .. }) => format!("{} {name}", t.s("material.uploaded")),
        Some(Answer::Licence { number }) => format!("{} {number}", t.s("material.licence")),
        None if required => t.s("material.missing").to_string(),
        None => t.s("material.not_given").to_string(),
    }
}

/// The licences the applicant may offer for `licence_type` (the seal service says which),
/// named so they can be told apart: the holder in full (they are the applicant's own), the day
/// of issue and the issuer.
async fn licence_choices(
    state: &AppState,
    ctx: &Ctx,
    applicant: &Principal,
    licence_type: &str,
) -> Result<Vec<LicenceChoice>, PageError> {
    let t = ctx.t();
    let usable = state.seals.usable_licences(applicant, licence_type).await?;
    Ok(usable
        .into_iter()
        .map(|u| {
            let day = t.day(u.licence.issued.date_in(&state.settings.zone));
            LicenceChoice {
                issued: t.fmt("material.issued_on", &[("day", day.into())]),
                detail: u
                    .first_line
                    .map(|f| format!("{}{}{}", f.label, t.s("punct.colon"), f.value))
                    .unwrap_or_default(),
                holder: u.holder,
                number: u.licence.number,
                title: u.licence.title,
                issuer: u.licence.issuer.name_zh,
            }
        })
        .collect())
}

/// One of the applicant's licences offered for a material: enough to tell eight 出生医学证明
/// apart (whose, when, by whom).
struct LicenceChoice {
    number: String,
    title: String,
    /// The holder, in full: the licence is the applicant's own.
    holder: String,
    /// The document's first line, `新生儿姓名：李安安`.
    detail: String,
    /// Day of issue, `2026年12月1日签发`.
    issued: String,
    issuer: String,
}

#[derive(Template)]
#[template(path = "portal/material.html")]
struct MaterialPage {
    c: Chrome,
    base: String,
    item_name: crate::markup::Named,
    key: String,
    step: usize,
    number: usize,
    total: usize,
    name: String,
    required: bool,
    /// The file already uploaded for it, if any.
    current: String,
    /// The applicant's licences that satisfy it.
    licences: Vec<LicenceChoice>,
    chosen: String,
    max_mib: usize,
}

/// The step of the check page, after every question and upload.
pub(super) fn check_step(i: &ServiceItem) -> usize {
    questions(i).len() + to_provide(i).len()
}

/// The upload page of `m`, draft step `step`.
pub(super) async fn page(
    state: &AppState,
    ctx: &Ctx,
    i: &ServiceItem,
    d: &Draft,
    step: usize,
    m: &Slot<'_>,
    c: Chrome,
) -> PageResult {
    let qs = questions(i).len();
    let total = to_provide(i).len();
    let licences = match (m.licence_type, ctx.require_user()) {
        (Some(licence_type), Ok(u)) => licence_choices(state, ctx, &u.principal, licence_type).await?,
        _ => Vec::new(),
    };
    let current = d.materials.get(&m.key);
    let (current_name, chosen) = match current.and_then(|v| answer(v)) {
        Some(Answer::Upload { name, .. }) => (name.to_string(), "upload".to_string()),
        Some(Answer::Licence { number }) => (String::new(), number.to_string()),
        None => (
            String::new(),
            licences
                .first()
                .map_or_else(|| "upload".to_string(), |l| l.number.clone()),
        ),
    };
    Ok(render(&MaterialPage {
        c,
        base: d.base.clone(),
        item_name: ctx.t().name(&i.name, &i.name_en),
        key: d.key.clone(),
        step,
        number: step - qs + 1,
        total,
        name: m.name.to_string(),
        required: m.required,
        current: current_name,
        licences,
        chosen,
        max_mib: MAX_UPLOAD_BYTES >> 20,
    }))
}

/// `POST /services/{code}/material` or `/bundles/{code}/material` (multipart): saves one
/// upload's answer and moves on.
pub(in crate::portal) async fn material<J: Journey>(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    mut form: Multipart,
) -> PageResult {
    let target = J::TARGET;
    let (user, i) = target.applicant_and_item(&state, &ctx, &code).await?;
    let mut posted = crate::multipart::read(&ctx, &mut form, &["file"], MAX_UPLOAD_BYTES).await?;
    let field = |k: &str| posted.fields.get(k).map_or("", String::as_str);
    let at = (field("key"), field("step"));
    let mut d = posted_draft(&state, &user.principal, at, target.base(&i.code)).await?;
    let step = d.step;
    let qs = questions(&i).len();
    let mats = to_provide(&i);
    let Some(m) = step.checked_sub(qs).and_then(|n| mats.get(n)) else {
        return d.save_and_go(&state, &user.principal, step).await;
    };
    let t = ctx.t();
    let choice = posted
        .fields
        .get("source")
        .map(String::as_str)
        .unwrap_or("upload");
    if posted.too_big {
        let msg = format!("{} {} MB", t.s("material.too_big"), MAX_UPLOAD_BYTES >> 20);
        return d.refuse_at(&state, &user.principal, step, "file", msg).await;
    }
    if choice != "upload" && m.licence_type.is_some() {
        d.materials.insert(m.key.clone(), format!("licence:{choice}"));
    } else if let Some(upload) = posted.take_files("file").pop() {
        match state.hall.upload_file(&user.principal, upload).await {
            Ok(f) => {
                d.materials
                    .insert(m.key.clone(), format!("upload:{}:{}", f.id, f.file_name));
            }
            Err(e) => {
                return match crate::errors::hall_field(&e) {
                    Some((_, msg)) => d.refuse_at(&state, &user.principal, step, "file", msg).await,
                    None => Err(crate::errors::hall_page(e)),
                };
            }
        }
    } else if d.materials.get(&m.key).is_some_and(|v| v.starts_with("licence:")) {
        // The licence chosen earlier was switched to an upload without a file.
        d.materials.remove(&m.key);
    }
    if posted.fields.get("go").is_some_and(|g| g == "back") {
        return d
            .save_and_go(&state, &user.principal, step.saturating_sub(1))
            .await;
    }
    if m.required && !d.materials.contains_key(&m.key) {
        let msg = format!("{}「{}」", t.s("material.required"), m.name);
        return d.refuse_at(&state, &user.principal, step, "file", msg).await;
    }
    let next = if d.review { check_step(&i) } else { step + 1 };
    d.save_and_go(&state, &user.principal, next).await
}
