//! Uploading a file (CSV, XLSX or JSON Lines) into a resource from the console: the upload is
//! streamed to disk (never held in memory), the load runs in the background, and its page
//! refreshes itself — no script — to show the rows read until the report is there. The reject
//! report is offered as CSV and as XLSX.

use crate::AppState;
use crate::context::Ctx;
use crate::context::Staff;
use crate::errors::catalog_page;
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render, urlencode};
use crate::security::same_secret;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::io::AsyncWriteExt;
use tongban_kernel::{Msg, Permission, Principal, msg};

/// One load started from the console.
#[derive(Clone)]
struct Load {
    owner: String,
    resource: String,
    file_name: String,
    rows_read: u64,
    outcome: Option<Result<tongban_pool::IngestReport, String>>,
}

/// Loads under way or finished in this process, by id.
#[derive(Clone, Default)]
pub struct Loads(Arc<Mutex<HashMap<String, Load>>>);

impl Loads {
    fn update(&self, id: &str, f: impl FnOnce(&mut Load)) {
        if let Ok(mut m) = self.0.lock()
            && let Some(l) = m.get_mut(id)
        {
            f(l);
        }
    }

    fn get(&self, id: &str) -> Option<Load> {
        self.0.lock().ok().and_then(|m| m.get(id).cloned())
    }
}

#[derive(Template)]
#[template(path = "console/upload.html")]
struct UploadPage {
    c: Chrome,
    code: String,
    name: String,
}

async fn resource_for_upload(
    state: &AppState,
    p: &Principal,
    code: &str,
) -> Result<tongban_catalog::Resource, PageError> {
    provider_resource(state, p, code, msg!("only-provider-uploads-data")).await
}

/// The resource `code` when `p` manages it for its providing department; else `refusal`.
pub(super) async fn provider_resource(
    state: &AppState,
    p: &Principal,
    code: &str,
    refusal: Msg,
) -> Result<tongban_catalog::Resource, PageError> {
    let r = state
        .catalog
        .resource_by_code(p, code)
        .await
        .map_err(catalog_page)?;
    if !p.allows(Permission::LoadData, Some(&r.provider.path)) {
        return Err(PageError::Forbidden(refusal));
    }
    Ok(r)
}

pub(super) async fn upload_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(me): Staff,
    Path(code): Path<String>,
) -> PageResult {
    match resource_for_upload(&state, &me.principal, &code).await {
        Ok(r) => {
            let t = ctx.t();
            let name = t.pick(&r.name_zh, &r.name_en).to_string();
            Ok(render(&UploadPage {
                c: ctx.chrome(t.s("upload.title")),
                code: r.code,
                name,
            }))
        }
        Err(e) => Err(e),
    }
}

/// Receives `csrf` then `file` (multipart/form-data), streams the file to disk and starts the load.
pub(super) async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(me): Staff,
    Path(code): Path<String>,
    mut form: Multipart,
) -> PageResult {
    let resource = resource_for_upload(&state, &me.principal, &code).await?;
    let mut csrf_ok = false;
    let mut saved: Option<(Spooled, String)> = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(PageError::BadRequest(format!("file: {e}").into())),
        };
        match field.name() {
            Some("csrf") => {
                let sent = field.text().await.unwrap_or_default();
                csrf_ok = !sent.is_empty() && same_secret(&sent, &ctx.csrf);
            }
            Some("file") if csrf_ok => {
                let file_name = field
                    .file_name()
                    .unwrap_or("upload.csv")
                    .chars()
                    .take(100)
                    .collect::<String>();
                let dir = &state.settings.upload_dir;
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| PageError::Internal(e.to_string()))?;
                // The pool reads the format from the content; a known extension is kept as a hint.
                let path = dir.join(format!(
                    "{}.{}",
                    tongban_kernel::id::new_uuid_v7(),
                    upload_extension(&file_name)
                ));
                let mut out = tokio::fs::File::create(&path)
                    .await
                    .map_err(|e| PageError::Internal(e.to_string()))?;
                // Removed on every way out — refused, failed, or cut off by the timeout or a
                // client that went away — until the load takes it over.
                let file = Spooled(Some(path));
                let limit = state.settings.upload_limit;
                let mut written: u64 = 0;
                let mut field = field;
                loop {
                    match field.chunk().await {
                        Ok(Some(bytes)) => {
                            written += bytes.len() as u64;
                            if written > limit {
                                return too_large(&ctx, limit);
                            }
                            out.write_all(&bytes)
                                .await
                                .map_err(|e| PageError::Internal(e.to_string()))?;
                        }
                        Ok(None) => break,
                        Err(e) => return Err(PageError::BadRequest(format!("file: {e}").into())),
                    }
                }
                let _ = out.flush().await;
                saved = Some((file, file_name));
            }
            _ => {}
        }
    }
    if !csrf_ok {
        return Err(PageError::Csrf);
    }
    let Some((file, file_name)) = saved else {
        return Err(PageError::BadRequest(msg!("choose-a-file")));
    };
    let id = tongban_kernel::id::new_uuid_v7();
    if let Ok(mut m) = state.loads.0.lock() {
        m.insert(
            id.clone(),
            Load {
                owner: me.principal.id.clone(),
                resource: resource.code.clone(),
                file_name,
                rows_read: 0,
                outcome: None,
            },
        );
    }
    let loads = state.loads.clone();
    let pool = state.pool.clone();
    let principal = me.principal.clone();
    let load_id = id.clone();
    tokio::spawn(async move {
        let file = file;
        let Some(path) = file.0.as_deref() else {
            return;
        };
        let progress_loads = loads.clone();
        let progress_id = load_id.clone();
        let progress: Arc<tongban_pool::ProgressFn> =
            Arc::new(move |rows| progress_loads.update(&progress_id, |l| l.rows_read = rows));
        let opts = tongban_pool::IngestOptions {
            progress: Some(progress),
            ..Default::default()
        };
        let result = pool.ingest_file(&principal, &resource.code, path, &opts).await;
        drop(file);
        loads.update(&load_id, |l| {
            l.outcome = Some(result.map_err(|e| e.to_string()));
        });
    });
    Ok(Redirect::to(&format!("/console/loads/{id}")).into_response())
}

/// An uploaded file on disk, removed when dropped.
struct Spooled(Option<std::path::PathBuf>);

impl Drop for Spooled {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// 413: the file is larger than a data load may be (said in the page's language).
fn too_large(ctx: &Ctx, limit: u64) -> PageResult {
    let t = ctx.t();
    let mib = limit >> 20;
    let why = if t.is_en() {
        format!(
            "The file is larger than {mib} MiB, the most a data load accepts: split it, or load it with the command line."
        )
    } else {
        format!("文件超过数据加载的上限{mib} MiB，请拆分后分别上传，或使用命令行加载。")
    };
    Err(PageError::TooLarge(why.into()))
}

#[derive(Template)]
#[template(path = "console/load.html")]
struct LoadPage {
    c: Chrome,
    id: String,
    resource: String,
    file_name: String,
    rows_read: u64,
    running: bool,
    error: String,
    report: Option<tongban_pool::IngestReport>,
    quality: String,
}

fn owned_load(state: &AppState, ctx: &Ctx, id: &str) -> Result<Load, PageError> {
    let me = ctx.require_staff()?;
    match state.loads.get(id) {
        Some(l) if l.owner == me.principal.id => Ok(l),
        _ => Err(PageError::NotFound),
    }
}

pub(super) async fn load(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let l = owned_load(&state, &ctx, &id)?;
    let t = ctx.t();
    let (report, error) = match l.outcome.clone() {
        Some(Ok(r)) => (Some(r), String::new()),
        Some(Err(e)) => (None, t.half(&e).to_string()),
        None => (None, String::new()),
    };
    let quality = report
        .as_ref()
        .map(|r| format!("{:.0}%", r.quality.score * 100.0))
        .unwrap_or_default();
    Ok(render(&LoadPage {
        c: ctx.chrome(t.s("upload.progress")),
        id,
        resource: l.resource,
        file_name: l.file_name,
        rows_read: l.rows_read,
        running: l.outcome.is_none(),
        error,
        report,
        quality,
    }))
}

/// The extension an upload is stored under: the original's when the pool knows it, else `upload`.
fn upload_extension(file_name: &str) -> &'static str {
    let ext = std::path::Path::new(file_name)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    ["csv", "txt", "xlsx", "jsonl", "ndjson", "json"]
        .into_iter()
        .find(|known| *known == ext)
        .unwrap_or("upload")
}

pub(super) async fn rejects(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    reject_report(&state, &ctx, &id, RejectFormat::Csv).await
}

pub(super) async fn rejects_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    reject_report(&state, &ctx, &id, RejectFormat::Xlsx).await
}

/// The two forms of a load's reject report.
#[derive(Clone, Copy)]
enum RejectFormat {
    Csv,
    Xlsx,
}

/// Sends the owner of a finished load its reject report as a download.
async fn reject_report(state: &AppState, ctx: &Ctx, id: &str, format: RejectFormat) -> PageResult {
    let l = owned_load(state, ctx, id)?;
    let Some(Ok(report)) = l.outcome else {
        return Err(PageError::NotFound);
    };
    let (path, content_type, ext) = match format {
        RejectFormat::Csv => (&report.reject_report, "text/csv; charset=utf-8", "csv"),
        RejectFormat::Xlsx => (
            &report.reject_report_xlsx,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    };
    match tokio::fs::read(path).await {
        Ok(bytes) => Ok((
            [
                (header::CONTENT_TYPE, content_type.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"{}-v{}-rejects.{ext}\"",
                        urlencode(&report.resource),
                        report.version
                    ),
                ),
            ],
            bytes,
        )
            .into_response()),
        Err(_) => Err(PageError::NotFound),
    }
}
