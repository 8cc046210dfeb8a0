//! 数据查询 in the console: SQL over the data pool under the signed-in user's grants. The page
//! lists the tables the user may read (and how each column is shown), runs a query with a row
//! limit and a time limit, shows the plan on request, and downloads the result as CSV or XLSX. The
//! policy is the pool's: this page only carries the SQL there and the answer back.

use crate::AppState;
use crate::context::Query;
use crate::context::Staff;
use crate::context::{CsrfForm, Ctx};
use crate::errors::pool_page;
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render};
use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::time::Duration;
use tongban_kernel::{Permission, msg};
use tongban_pool::{QueryOptions, QueryResult, TableInfo};

/// Rows shown on the page.
const PAGE_ROWS: usize = 500;
/// Rows in a download.
const DOWNLOAD_ROWS: usize = 100_000;
/// Time a console query may take.
const TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Template)]
#[template(path = "console/query.html")]
struct QueryPage {
    c: Chrome,
    sql: String,
    purpose: String,
    tables: Vec<TableInfo>,
    result: Option<Shown>,
}

/// A result as the page shows it.
struct Shown {
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
    /// Per column: numbers, right-aligned.
    numeric: Vec<bool>,
    count: usize,
    truncated: bool,
    elapsed_ms: u64,
    explain: bool,
}

impl Shown {
    /// The result as shown: blind-index columns (keys for joining across resources, meaningless
    /// to read) are left out unless the query names one.
    fn of(r: &QueryResult, explain: bool, sql: &str) -> Self {
        let keep: Vec<bool> = r
            .columns
            .iter()
            .map(|c| explain || !c.name.ends_with(tongban_pool::BIDX_SUFFIX) || sql.contains(c.name.as_str()))
            .collect();
        let kept = |row: Vec<String>| -> Vec<String> {
            row.into_iter()
                .zip(&keep)
                .filter_map(|(v, k)| k.then_some(v))
                .collect()
        };
        let columns: Vec<String> = r
            .columns
            .iter()
            .zip(&keep)
            .filter(|(_, k)| **k)
            .map(|(c, _)| c.name.clone())
            .collect();
        let rows: Vec<Vec<String>> = r.text_rows().into_iter().map(kept).collect();
        Self {
            numeric: if explain {
                vec![false; columns.len()]
            } else {
                crate::markup::numeric_columns(&rows, columns.len())
            },
            columns,
            rows,
            count: r.rows,
            truncated: r.truncated,
            elapsed_ms: r.elapsed_ms,
            explain,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Start {
    sql: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Run {
    sql: String,
    purpose: String,
    /// `run` (default), `explain`, `csv` or `xlsx`.
    action: String,
}

fn page(c: Chrome, sql: String, purpose: String, tables: Vec<TableInfo>, result: Option<Shown>) -> Response {
    render(&QueryPage {
        c,
        sql,
        purpose,
        tables,
        result,
    })
}

/// The page: the tables the user may read and an empty (or example) query.
pub(super) async fn query_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(me): Staff,
    Query(start): Query<Start>,
) -> PageResult {
    if !me
        .principal
        .allows(Permission::QueryPool, me.principal.department.as_ref())
    {
        return Err(PageError::Forbidden(msg!("not-permitted-query-pool")));
    }
    let tables = state.pool.tables(&me.principal).await?;
    let sql = if start.sql.trim().is_empty() {
        tables
            .first()
            .map(|t| format!("SELECT * FROM \"{}\" LIMIT 100", t.name))
            .unwrap_or_default()
    } else {
        start.sql
    };
    Ok(page(
        ctx.chrome(ctx.t().s("query.title")),
        sql,
        String::new(),
        tables,
        None,
    ))
}

/// Runs the query (or its plan), or sends the result as CSV.
pub(super) async fn run(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(me): Staff,
    CsrfForm(form): CsrfForm<Run>,
) -> PageResult {
    let t = ctx.t();
    let tables = state.pool.tables(&me.principal).await?;
    let explain = form.action == "explain";
    let download = matches!(form.action.as_str(), "csv" | "xlsx");
    let sql = form.sql.trim().to_owned();
    let run_sql = if explain && !sql.to_ascii_uppercase().starts_with("EXPLAIN") {
        format!("EXPLAIN {sql}")
    } else {
        sql.clone()
    };
    let opts = QueryOptions {
        purpose: form.purpose.trim().chars().take(200).collect(),
        row_limit: if download { DOWNLOAD_ROWS } else { PAGE_ROWS },
        timeout: TIMEOUT,
        ..QueryOptions::default()
    };
    match state.pool.query(&me.principal, &run_sql, &opts).await {
        Ok(r) if download => {
            let (file, media, bytes) = if form.action == "xlsx" {
                (
                    "query.xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    r.to_xlsx(),
                )
            } else {
                ("query.csv", "text/csv; charset=utf-8", r.to_csv(true))
            };
            match bytes {
                Ok(bytes) => Ok((
                    StatusCode::OK,
                    [
                        (header::CONTENT_TYPE, media.to_owned()),
                        (
                            header::CONTENT_DISPOSITION,
                            format!("attachment; filename=\"{file}\""),
                        ),
                        (header::CACHE_CONTROL, "no-store".to_owned()),
                    ],
                    bytes,
                )
                    .into_response()),
                Err(e) => Err(PageError::Internal(e.to_string())),
            }
        }
        Ok(r) => {
            let shown = Shown::of(&r, explain, &sql);
            Ok(page(
                ctx.chrome(t.s("query.title")),
                sql,
                form.purpose,
                tables,
                Some(shown),
            ))
        }
        Err(e) => {
            let busy = matches!(
                e,
                tongban_pool::Error::Query(tongban_pool::QueryError::Busy { .. })
            );
            let message = match e {
                tongban_pool::Error::Forbidden { why } => why,
                tongban_pool::Error::Query(q) => q.to_string().into(),
                tongban_pool::Error::Invalid(i) => i.reason,
                other => return Err(pool_page(other)),
            };
            let mut c = ctx.chrome(t.s("query.title"));
            // Beside the SQL box, in the page's language.
            c.add_error("sql", &message);
            let mut resp = page(c, sql, form.purpose, tables, None);
            if busy {
                *resp.status_mut() = StatusCode::TOO_MANY_REQUESTS;
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
            } else {
                *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            }
            Ok(resp)
        }
    }
}

impl QueryPage {
    /// The i18n key naming why a table is visible.
    fn basis_key(&self, basis: &str) -> &'static str {
        match basis {
            "provider" => "query.basis_provider",
            "grant" => "query.basis_grant",
            _ => "query.basis_open",
        }
    }

    /// The i18n key naming how a column is shown.
    fn shown_key(&self, shown: &str) -> &'static str {
        match shown {
            "masked" => "query.shown_masked",
            "clear" => "query.shown_clear",
            "blind_index" => "query.shown_blind_index",
            _ => "query.shown_plain",
        }
    }
}
