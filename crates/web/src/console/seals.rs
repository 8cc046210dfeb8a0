//! Seals and issued licences in the console: department administrators make their
//! department's seals; staff who issue see the licences issued in their scope, and those who may
//! revoke (注销) do so with a reason.

use crate::AppState;
use crate::context::Staff;
use crate::context::{CsrfForm, Ctx};
use crate::errors::{FormOutcome, identity_page, seal_form, seal_page};
use crate::page::PageResult;
use crate::page::{Chrome, render, urlencode};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use tongban_kernel::{Permission, Principal, msg};
use tongban_seal::{Issuer, SealInput, SealType};

struct SealRow {
    id: String,
    department: String,
    name: String,
    kind: String,
    valid: String,
    fingerprint: String,
    valid_today: bool,
    /// Retired after its key was replaced.
    retired: bool,
    /// The viewer may replace its key (an administrator of its department; in use).
    can_rotate: bool,
}

#[derive(Template)]
#[template(path = "console/seals.html")]
struct SealsPage {
    c: Chrome,
    seals: Vec<SealRow>,
    departments: Vec<(String, String)>,
    types: Vec<(&'static str, String)>,
    dates: Vec<(&'static str, &'static str, String)>,
    form: SealForm,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct SealForm {
    department: String,
    name: String,
    seal_type: String,
    valid_from: String,
    valid_to: String,
}

fn sees_seals(p: &Principal, path: &tongban_kernel::DeptPath) -> bool {
    p.allows(Permission::ManageSeals, Some(path)) || p.allows(Permission::IssueLicences, Some(path))
}

async fn seals_page(state: &AppState, ctx: &Ctx, c: Option<Chrome>, form: SealForm) -> PageResult {
    let user = ctx.require_staff()?.clone();
    let p = &user.principal;
    if !p.allows_somewhere(Permission::ManageSeals) && !p.allows_somewhere(Permission::IssueLicences) {
        return Err(crate::page::PageError::Forbidden(msg!(
            "seal-or-licence-rights-required"
        )));
    }
    let t = ctx.t();
    let all = state.seals.seals(None).await?;
    let today = state.seals.today();
    let seals = all
        .iter()
        .filter(|s| sees_seals(p, &s.issuer.path))
        .map(|s| SealRow {
            id: s.id.to_string(),
            retired: s.retired.is_some(),
            can_rotate: s.retired.is_none()
                && s.valid_to >= today
                && p.allows(Permission::ManageSeals, Some(&s.issuer.path)),
            department: s.issuer.name_zh.clone(),
            name: s.name.clone(),
            kind: t.pick(s.seal_type.name_zh(), s.seal_type.name_en()).to_string(),
            valid: format!("{} — {}", s.valid_from, s.valid_to),
            fingerprint: tongban_crypto::VerifyingKey::from_sec1_hex(&s.certificate.public_key)
                .map(|k| k.fingerprint())
                .unwrap_or_default(),
            valid_today: s.in_use_on(today),
        })
        .collect();
    let departments = match state.identity.list_departments(p).await {
        Ok(list) => list
            .into_iter()
            .filter(|d| p.allows(Permission::ManageSeals, Some(&d.path)))
            .map(|d| (d.code.clone(), t.pick(&d.name_zh, &d.name_en).to_string()))
            .collect(),
        Err(e) => return Err(identity_page(e)),
    };
    let failed = c.as_ref().is_some_and(|c| !c.errors.is_empty());
    let mut resp = render(&SealsPage {
        c: c.unwrap_or_else(|| ctx.chrome(t.s("seals.title"))),
        seals,
        departments,
        types: SealType::ALL
            .iter()
            .map(|k| (k.code(), t.pick(k.name_zh(), k.name_en()).to_string()))
            .collect(),
        dates: vec![
            ("valid_from", "seals.valid_from", form.valid_from.clone()),
            ("valid_to", "seals.valid_to", form.valid_to.clone()),
        ],
        form,
    });
    if failed {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

#[derive(Deserialize, Default)]
pub(super) struct SealsQuery {
    #[serde(default)]
    done: String,
}

/// `GET /console/seals`.
pub(super) async fn seals(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::extract::Query(q): axum::extract::Query<SealsQuery>,
) -> PageResult {
    let form = SealForm {
        seal_type: SealType::Licence.code().into(),
        ..Default::default()
    };
    let mut c = ctx.chrome(ctx.t().s("seals.title"));
    if q.done == "rotated" {
        c.notice = Some(ctx.t().s("seals.rotated").to_string());
    }
    seals_page(&state, &ctx, Some(c), form).await
}

/// `POST /console/seals/{id}/rotate`: replaces the seal's key; the successor signs at once.
pub(super) async fn rotate_seal(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(user): Staff,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<crate::portal::NoFields>,
) -> PageResult {
    let Ok(id) = tongban_seal::SealId::parse("id", &id) else {
        return Err(crate::page::PageError::NotFound);
    };
    match state.seals.rotate_seal(&user.principal, &id).await {
        Ok(_) => Ok(Redirect::to("/console/seals?done=rotated").into_response()),
        Err(e) => match seal_form(e, "seal") {
            FormOutcome::Field(field, msg) => {
                let mut c = ctx.chrome(ctx.t().s("seals.title"));
                c.add_error(&field, &msg);
                let form = SealForm {
                    seal_type: SealType::Licence.code().into(),
                    ..Default::default()
                };
                seals_page(&state, &ctx, Some(c), form).await
            }
            FormOutcome::Page(p) => Err(p),
        },
    }
}

/// `POST /console/seals`: makes a seal for one of the departments the administrator manages.
pub(super) async fn create_seal(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(user): Staff,
    CsrfForm(f): CsrfForm<SealForm>,
) -> PageResult {
    let t = ctx.t();
    let mut c = ctx.chrome(t.s("seals.title"));
    let date = |field: &str, text: &str, c: &mut Chrome| match text.trim().parse::<jiff::civil::Date>() {
        Ok(d) => Some(d),
        Err(_) => {
            c.add_error(field, msg!("must-be-date-such-as"));
            None
        }
    };
    let from = date("valid_from", &f.valid_from, &mut c);
    let to = date("valid_to", &f.valid_to, &mut c);
    let kind = SealType::parse(&f.seal_type);
    if kind.is_none() {
        c.add_error("seal_type", msg!("choose-kind-of-seal"));
    }
    let dept = match state
        .identity
        .department_by_code(&user.principal, &f.department)
        .await
    {
        Ok(d) => Some(d),
        Err(_) => {
            c.add_error("department", msg!("choose-a-department"));
            None
        }
    };
    let (Some(from), Some(to), Some(kind), Some(dept)) = (from, to, kind, dept) else {
        return seals_page(&state, &ctx, Some(c), f).await;
    };
    // Licences and letters print the issuer with its city: 示范市公安局, not 公安局.
    let name_zh = match state.identity.official_name(&dept.path).await {
        Ok((zh, _)) => zh,
        Err(_) => dept.name_zh.clone(),
    };
    let issuer = Issuer {
        id: dept.id.to_string(),
        path: dept.path.clone(),
        name_zh,
    };
    let input = SealInput {
        name: f.name.clone(),
        seal_type: kind,
        valid_from: from,
        valid_to: to,
        picture: None,
    };
    match state.seals.create_seal(&user.principal, issuer, input).await {
        Ok(_) => Ok(Redirect::to("/console/seals").into_response()),
        Err(e) => match seal_form(e, "name") {
            FormOutcome::Field(field, msg) => {
                c.add_error(&field, &msg);
                seals_page(&state, &ctx, Some(c), f).await
            }
            FormOutcome::Page(p) => Err(p),
        },
    }
}

struct LicenceRow {
    number: String,
    title: String,
    holder: String,
    issuer: String,
    issued: String,
    status: &'static str,
    status_name: String,
    can_revoke: bool,
    revoked_reason: String,
}

#[derive(Template)]
#[template(path = "console/licences.html")]
struct LicencesPage {
    c: Chrome,
    rows: Vec<LicenceRow>,
}

/// `GET /console/licences`: licences issued where the actor issues, newest first.
pub(super) async fn licences(State(state): State<AppState>, ctx: Ctx, Staff(user): Staff) -> PageResult {
    let t = ctx.t();
    let list = state.seals.licences(&user.principal, None, 500).await?;
    let today = state.seals.today();
    let rows = list
        .iter()
        .map(|l| {
            let s = l.status(today);
            LicenceRow {
                number: l.number.clone(),
                title: l.title.clone(),
                holder: format!("{}（{}）", l.holder_masked, l.holder_id_masked),
                issuer: l.issuer.name_zh.clone(),
                issued: l.issued.display_in(&state.settings.zone),
                status: s.code(),
                status_name: t.pick(s.name_zh(), s.name_en()).to_string(),
                can_revoke: l.revoked.is_none()
                    && user
                        .principal
                        .allows(Permission::RevokeLicences, Some(&l.issuer.path)),
                revoked_reason: l.revoked.as_ref().map(|r| r.reason.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let mut c = ctx.chrome(t.s("licences.title"));
    if let Some(n) = ctx.here.split("revoked=").nth(1) {
        c.notice = Some(format!(
            "{} {}",
            t.s("licences.revoked_notice"),
            n.split('&').next().unwrap_or("")
        ));
    }
    Ok(render(&LicencesPage { c, rows }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RevokeForm {
    reason: String,
}

/// `POST /console/licences/{number}/revoke`.
pub(super) async fn revoke(
    State(state): State<AppState>,
    Staff(user): Staff,
    Path(number): Path<String>,
    CsrfForm(f): CsrfForm<RevokeForm>,
) -> PageResult {
    match state
        .seals
        .revoke_licence(&user.principal, &number, &f.reason)
        .await
    {
        Ok(l) => {
            Ok(Redirect::to(&format!("/console/licences?revoked={}", urlencode(&l.number))).into_response())
        }
        Err(e) => Err(seal_page(e)),
    }
}
