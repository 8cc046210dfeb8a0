//! E-licences for the public and their holders: verification by number or by uploading the
//! signed file (anyone, no sign-in), "my licences", the printable licence page with its QR code,
//! and the signed file's download.

use crate::AppState;
use crate::context::Ctx;
use crate::context::Query;
use crate::context::User;
use crate::errors::seal_page;
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render, urlencode};
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_seal::{Licence, SignedLicence, Verdict, qr_svg, verification_path};

/// The largest file the verification page accepts (a licence file is a few KiB).
const MAX_FILE: usize = 256 * 1024;

#[derive(Template)]
#[template(path = "portal/verify.html")]
struct VerifyPage {
    c: Chrome,
    number: String,
    /// The verification code typed or scanned.
    code: String,
}

/// What the verdict page shows.
struct Shown {
    outcome: &'static str,
    outcome_name: String,
    reason: String,
    number: String,
    title: String,
    issuer: String,
    holder: String,
    seal: String,
    signed_at: String,
    valid: String,
}

#[derive(Template)]
#[template(path = "portal/verdict.html")]
struct VerdictPage {
    c: Chrome,
    v: Shown,
}

fn shown(ctx: &Ctx, v: &Verdict, zone: &jiff::tz::TimeZone) -> Shown {
    let t = ctx.t();
    let doc = v.document.as_ref();
    Shown {
        outcome: v.outcome.code(),
        outcome_name: t.pick(v.outcome.name_zh(), v.outcome.name_en()).to_string(),
        reason: t.msg(&v.reason),
        number: doc.map(|d| d.number.clone()).unwrap_or_default(),
        title: doc.map(|d| d.title.clone()).unwrap_or_default(),
        issuer: doc.map(|d| d.issuer.name_zh.clone()).unwrap_or_default(),
        holder: doc
            .map(|d| {
                format!(
                    "{}（{}）",
                    tongban_crypto::mask_name(&d.holder.name),
                    d.holder.id_masked
                )
            })
            .unwrap_or_default(),
        seal: v.seal_name.clone().unwrap_or_default(),
        // Signed files carry UTC (RFC 3339); people read local time.
        signed_at: v
            .signed_at
            .as_deref()
            .map(|at| match at.parse::<jiff::Timestamp>() {
                Ok(ts) => tongban_kernel::Millis(ts.as_millisecond()).display_in(zone),
                Err(_) => at.to_string(),
            })
            .unwrap_or_default(),
        valid: doc
            .map(|d| match d.valid_to {
                Some(to) => format!("{} — {}", d.valid_from, to),
                None => format!("{} — {}", d.valid_from, t.s("licence.no_end")),
            })
            .unwrap_or_default(),
    }
}

fn verdict_response(ctx: &Ctx, v: &Verdict, zone: &jiff::tz::TimeZone) -> Response {
    let t = ctx.t();
    render(&VerdictPage {
        c: ctx.chrome(t.s("verify.result")),
        v: shown(ctx, v, zone),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct VerifyQuery {
    /// Present (perhaps empty) once the form was sent.
    number: Option<String>,
    code: String,
}

/// `GET /verify`: the form; with `?number=&code=` it goes to that licence's verdict.
pub(super) async fn verify_page(ctx: Ctx, Query(q): Query<VerifyQuery>) -> Response {
    let sent = q.number.is_some();
    let number = q.number.unwrap_or_default().trim().to_ascii_uppercase();
    let code = tongban_seal::normalised_code(&q.code);
    if !number.is_empty() && !code.is_empty() {
        return Redirect::to(&format!(
            "/verify/licence/{}?code={}",
            urlencode(&number),
            urlencode(&code)
        ))
        .into_response();
    }
    let mut c = ctx.chrome(ctx.t().s("verify.title"));
    // The form sent with something missing: each missing answer named.
    if sent && number.is_empty() {
        c.add_error("number", ctx.t().s("verify.number_needed"));
    }
    if sent && code.is_empty() {
        c.add_error("code", ctx.t().s("verify.code_needed"));
    }
    let refused = !c.errors.is_empty();
    let mut resp = render(&VerifyPage { c, number, code });
    if refused {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    resp
}

/// Verifications by number one client address may ask for: a burst, then so many a minute
/// (an 8-character code is not to be guessed at speed).
const VERIFY_PER_ADDRESS: (u32, u32) = (30, 10);

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct CodeQuery {
    code: String,
}

/// `GET /verify/licence/{number}?code=`: the verdict on a stored licence (the QR code's target).
/// Without the code printed on the licence it asks for it; a wrong code is answered as an
/// unknown number is.
pub(super) async fn verify_number(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(number): Path<String>,
    Query(q): Query<CodeQuery>,
) -> PageResult {
    let code = tongban_seal::normalised_code(&q.code);
    if code.is_empty() {
        let mut c = ctx.chrome(ctx.t().s("verify.title"));
        c.add_error("code", ctx.t().s("verify.code_needed"));
        return Ok(render(&VerifyPage { c, number, code }));
    }
    let address = ctx.ip.clone().unwrap_or_default();
    if let Err(wait) = state.limiter.take_per_minute(
        &format!("verify:{address}"),
        VERIFY_PER_ADDRESS.1,
        VERIFY_PER_ADDRESS.0,
        tongban_kernel::Millis::now(),
    ) {
        let mut c = ctx.chrome(ctx.t().s("verify.title"));
        let why = if ctx.t().is_en() {
            format!("Too many verifications from this address; try again in {wait}\u{a0}s.")
        } else {
            format!("核验过于频繁，请{wait}秒后再试。")
        };
        c.add_error("code", &why);
        let mut resp = render(&VerifyPage { c, number, code });
        *resp.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        resp.headers_mut()
            .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(wait));
        return Ok(resp);
    }
    match state.seals.verify_number(&number, &code).await {
        Ok((_, v)) => Ok(verdict_response(&ctx, &v, &state.settings.zone)),
        Err(tongban_seal::Error::NotFound { .. }) => {
            let mut c = ctx.chrome(ctx.t().s("verify.title"));
            c.add_error("number", ctx.t().s("verify.unknown_number"));
            let mut resp = render(&VerifyPage { c, number, code });
            *resp.status_mut() = StatusCode::NOT_FOUND;
            Ok(resp)
        }
        Err(e) => Err(seal_page(e)),
    }
}

/// `POST /verify` (multipart: `csrf`, then `file`): the verdict on an uploaded signed file.
pub(super) async fn verify_upload(
    State(state): State<AppState>,
    ctx: Ctx,
    mut form: Multipart,
) -> PageResult {
    let t = ctx.t();
    let mut csrf_ok = false;
    let mut file: Option<Vec<u8>> = None;
    let mut too_big = false;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err(PageError::BadRequest(t.s("verify.bad_upload").into())),
        };
        match field.name() {
            Some("csrf") => {
                let sent = field.text().await.unwrap_or_default();
                csrf_ok = !sent.is_empty() && crate::security::same_secret(&sent, &ctx.csrf);
            }
            Some("file") if csrf_ok => {
                let mut field = field;
                let mut bytes = Vec::new();
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            if bytes.len() + chunk.len() > MAX_FILE {
                                too_big = true;
                                break;
                            }
                            bytes.extend_from_slice(&chunk);
                        }
                        Ok(None) => break,
                        Err(_) => return Err(PageError::BadRequest(t.s("verify.bad_upload").into())),
                    }
                }
                file = Some(bytes);
            }
            _ => {}
        }
    }
    if !csrf_ok {
        return Err(PageError::Csrf);
    }
    let problem = if too_big {
        Some(t.s("verify.too_big"))
    } else if file.as_ref().is_none_or(|f| f.is_empty()) {
        Some(t.s("verify.no_file"))
    } else {
        None
    };
    if let Some(msg) = problem {
        let mut c = ctx.chrome(t.s("verify.title"));
        c.add_error("file", msg);
        let mut resp = render(&VerifyPage {
            c,
            number: String::new(),
            code: String::new(),
        });
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(resp);
    }
    match state.seals.verify_file(&file.unwrap_or_default()).await {
        Ok(v) => Ok(verdict_response(&ctx, &v, &state.settings.zone)),
        Err(e) => Err(seal_page(e)),
    }
}

struct Row {
    number: String,
    title: String,
    issuer: String,
    issued: String,
    status: &'static str,
    status_name: String,
}

#[derive(Template)]
#[template(path = "portal/my_licences.html")]
struct MinePage {
    c: Chrome,
    rows: Vec<Row>,
}

/// `GET /my/licences`: the signed-in person's licences.
pub(super) async fn my_licences(State(state): State<AppState>, ctx: Ctx, User(user): User) -> PageResult {
    let t = ctx.t();
    let list = state.seals.licences_of_account(&user.principal.id).await?;
    let today = state.seals.today();
    let rows = list
        .iter()
        .map(|l: &Licence| {
            let s = l.status(today);
            Row {
                number: l.number.clone(),
                title: l.title.clone(),
                issuer: l.issuer.name_zh.clone(),
                issued: l.issued.display_in(&state.settings.zone),
                status: s.code(),
                status_name: t.pick(s.name_zh(), s.name_en()).to_string(),
            }
        })
        .collect();
    Ok(render(&MinePage {
        c: ctx.chrome(t.s("licence.mine")),
        rows,
    }))
}

#[derive(Template)]
#[template(path = "portal/licence.html")]
struct LicencePage {
    c: Chrome,
    l: SignedLicence,
    status: &'static str,
    status_name: String,
    holder: String,
    /// The verification code printed beside the number (校验码).
    code: String,
    verify_url: String,
    qr: String,
    /// The signing seal's impression, over the issuer's name.
    seal: String,
}

/// The absolute address of `path` as the request reached us.
fn absolute(state: &AppState, headers: &HeaderMap, path: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let scheme = if state.settings.tls { "https" } else { "http" };
    format!("{scheme}://{host}{path}")
}

async fn file_for(state: &AppState, ctx: &Ctx, number: &str) -> Result<String, PageError> {
    let user = ctx.require_user()?;
    state
        .seals
        .signed_file(&user.principal, number)
        .await
        .map_err(seal_page)
}

/// `GET /licences/{number}`: the printable licence, for its holder and the issuing department.
pub(super) async fn licence_page(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> PageResult {
    let t = ctx.t();
    let file = file_for(&state, &ctx, &number).await?;
    let (l, record) = match (
        serde_json::from_str::<SignedLicence>(&file),
        state.seals.licence(&number).await,
    ) {
        (Ok(l), Ok(r)) => (l, r),
        (Err(e), _) => return Err(PageError::Internal(e.to_string())),
        (_, Err(e)) => return Err(seal_page(e)),
    };
    let status = record.status(state.seals.today());
    let code = tongban_seal::verification_code(&l.signature.data_hash);
    let verify_url = absolute(&state, &headers, &verification_path(&l.document.number, &code));
    // The SVG goes inline: drop its XML declaration.
    let qr = qr_svg(&verify_url, 160)
        .map(|svg| svg.find("<svg").map_or(String::new(), |i| svg[i..].to_string()))
        .unwrap_or_default();
    let cert = &l.signature.seal;
    let seal = tongban_seal::impression_svg(&cert.seal_id, &cert.name, cert.seal_type, 128);
    Ok(render(&LicencePage {
        c: ctx.chrome(&l.document.title),
        seal,
        holder: l.document.holder.name.clone(),
        status: status.code(),
        status_name: t.pick(status.name_zh(), status.name_en()).to_string(),
        l,
        code,
        verify_url,
        qr,
    }))
}

/// `GET /licences/{number}/file`: the signed JSON file.
pub(super) async fn licence_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(number): Path<String>,
) -> PageResult {
    match file_for(&state, &ctx, &number).await {
        Ok(file) => Ok((
            [
                (
                    header::CONTENT_TYPE,
                    "application/json; charset=utf-8".to_string(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"{}.json\"",
                        number.replace(['"', '\\', '/'], "")
                    ),
                ),
            ],
            file,
        )
            .into_response()),
        Err(e) => Err(e),
    }
}
