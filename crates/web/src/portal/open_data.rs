//! The open-data catalog (开放数据目录) for everyone: published resources whose open class is
//! "open", with their fields, and the catalog as DCAT-AP JSON-LD for harvesters.

use crate::AppState;
use crate::context::Ctx;
use crate::context::Query;
use crate::errors::catalog_page;
use crate::page::PageResult;
use crate::page::{Chrome, render, urlencode};
use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tongban_catalog::OpenResource;
use tongban_kernel::Page;

struct Row {
    code: String,
    name: String,
    provider: String,
    summary: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "portal/open_data.html")]
struct ListPage {
    c: Chrome,
    q: String,
    rows: Vec<Row>,
    prev: Option<String>,
    next: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ListQuery {
    q: String,
    page: u64,
}

pub(super) async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> PageResult {
    let t = ctx.t();
    let page_no = q.page.max(1);
    let page = Page::number(page_no, 20);
    let text = Some(q.q.trim()).filter(|s| !s.is_empty());
    let list = state.catalog.list_open_resources(text, page).await?;
    let rows = list
        .items
        .iter()
        .map(|r| Row {
            code: r.code.clone(),
            name: t.pick(&r.name_zh, &r.name_en).to_string(),
            provider: r.provider_name.clone(),
            summary: r.summary.clone(),
            updated: r.published_on.map(|d| d.to_string()).unwrap_or_default(),
        })
        .collect();
    let link = |n: u64| format!("/open-data?q={}&page={n}", urlencode(&q.q));
    Ok(render(&ListPage {
        c: ctx.chrome(t.s("open.title")),
        q: q.q.clone(),
        rows,
        prev: (page_no > 1).then(|| link(page_no - 1)),
        next: (page.offset + u64::from(page.limit) < list.total).then(|| link(page_no + 1)),
    }))
}

/// Rows shown in the preview.
const PREVIEW_ROWS: usize = 10;

#[derive(Template)]
#[template(path = "portal/open_resource.html")]
struct ResourcePage {
    c: Chrome,
    r: OpenResource,
    name: String,
    fields: Vec<(String, String, &'static str, String)>,
    /// The current version: rows, last update, downloads with their sizes, a preview.
    data: Option<DataView>,
}

struct DataView {
    rows: u64,
    updated: String,
    /// Extension, label, size and a hint for each format.
    downloads: Vec<(&'static str, &'static str, String, String)>,
    header: Vec<String>,
    preview: Vec<Vec<String>>,
    /// Per column of the preview: numbers, right-aligned.
    numeric: Vec<bool>,
}

/// `1.2 MB`, `340 KB`, `512 B`: a file size as people read it.
fn human_size(bytes: u64) -> String {
    const KB: f64 = 1000.0;
    let b = bytes as f64;
    if b >= KB * KB {
        format!("{:.1} MB", b / KB / KB)
    } else if b >= KB {
        format!("{:.0} KB", b / KB)
    } else {
        format!("{bytes} B")
    }
}

pub(super) async fn resource(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> PageResult {
    let t = ctx.t();
    let r = state.catalog.open_resource(&code).await?;
    let fields: Vec<(String, String, &'static str, String)> = r
        .fields
        .iter()
        .map(|f| {
            (
                f.code.clone(),
                f.name_zh.clone(),
                t.pick(f.data_type.name_zh(), f.data_type.name_en()),
                f.description.clone().unwrap_or_default(),
            )
        })
        .collect();
    let data = if r.current_version == 0 {
        None
    } else {
        match state
            .pool
            .open_preview(&r.code, r.current_version, PREVIEW_ROWS)
            .await
        {
            Ok(p) => Some(DataView {
                rows: p.row_count,
                updated: p.recorded.display_in(&state.settings.zone),
                downloads: p
                    .sizes
                    .iter()
                    .map(|(f, n)| {
                        let (label, hint) = match f {
                            tongban_pool::OpenFormat::Csv => ("CSV", t.s("open.csv_hint")),
                            tongban_pool::OpenFormat::Xlsx => ("XLSX", ""),
                            tongban_pool::OpenFormat::Parquet => ("Parquet", t.s("open.parquet_hint")),
                        };
                        (f.extension(), label, human_size(*n), hint.to_string())
                    })
                    .collect(),
                // The dictionary's names head the preview's columns.
                header: p
                    .header
                    .iter()
                    .map(|h| {
                        fields
                            .iter()
                            .find(|(code, ..)| code == h)
                            .map(|(_, name, ..)| name.clone())
                            .unwrap_or_else(|| h.clone())
                    })
                    .collect(),
                // Times as people write them (the stored form has a `T` between date and time).
                preview: p
                    .rows
                    .into_iter()
                    .map(|row| {
                        row.into_iter()
                            .map(|v| match v.split_once('T') {
                                Some((d, t)) if d.len() == 10 && d.as_bytes()[4] == b'-' => {
                                    format!("{d} {t}")
                                }
                                _ => v,
                            })
                            .collect()
                    })
                    .collect(),
                numeric: Vec::new(),
            })
            .map(|mut d| {
                d.numeric = crate::markup::numeric_columns(&d.preview, d.header.len());
                d
            }),
            Err(e) => return Err(crate::page::PageError::Internal(e.to_string())),
        }
    };
    let name = t.pick(&r.name_zh, &r.name_en).to_string();
    Ok(render(&ResourcePage {
        c: ctx.chrome(&name),
        name,
        fields,
        data,
        r,
    }))
}

/// `GET /open-data/terms`: the open-data licence and terms of use.
pub(super) async fn terms(ctx: Ctx) -> Response {
    render(&TermsPage {
        c: ctx.chrome(ctx.t().s("open.terms_title")),
    })
}

#[derive(Template)]
#[template(path = "portal/open_terms.html")]
struct TermsPage {
    c: Chrome,
}

/// `GET /open-data/{code}/v{N}.{csv|xlsx|parquet}`: a version of an open resource, its public
/// fields only. Anything else (a closed resource, a version that does not exist) is 404.
pub(super) async fn download(
    State(state): State<AppState>,
    Path((code, file)): Path<(String, String)>,
) -> PageResult {
    let parsed = file
        .strip_prefix('v')
        .and_then(|rest| rest.split_once('.'))
        .and_then(|(v, ext)| {
            Some((
                v.parse::<u32>().ok()?,
                tongban_pool::OpenFormat::from_extension(ext)?,
            ))
        });
    let Some((version, format)) = parsed else {
        return Err(crate::page::PageError::NotFound);
    };
    match state.pool.open_download(&code, version, format).await {
        Ok(f) => Ok((
            [
                (header::CONTENT_TYPE, f.media_type.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", f.file_name),
                ),
                (
                    header::CACHE_CONTROL,
                    "public, max-age=86400, immutable".to_string(),
                ),
            ],
            f.bytes,
        )
            .into_response()),
        Err(tongban_pool::Error::NotFound) => Err(crate::page::PageError::NotFound),
        Err(e) => Err(crate::page::PageError::Internal(e.to_string())),
    }
}

/// The base URL for links in the DCAT document, from the request's Host (only a plain host name
/// and port are accepted; anything else falls back to a relative base).
fn base_url(headers: &HeaderMap, tls: bool) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let plain = !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    if plain {
        format!("{}://{host}", if tls { "https" } else { "http" })
    } else {
        String::new()
    }
}

pub(super) async fn dcat(State(state): State<AppState>, ctx: Ctx, headers: HeaderMap) -> PageResult {
    match state.catalog.dcat_catalog(&base_url(&headers, ctx.tls)).await {
        Ok(doc) => Ok(([(header::CONTENT_TYPE, "application/ld+json")], Json(doc)).into_response()),
        Err(e) => Err(catalog_page(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::human_size;

    #[test]
    fn sizes_read_as_people_read_them() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(34_000), "34 KB");
        assert_eq!(human_size(1_260_000), "1.3 MB");
    }
}
