//! The data pool from the command line: loading a file into a resource, a SQL query as a user,
//! and the catalogue's list.

use super::{catalog_for, identity_for, system};
use crate::cli::QueryFormat;
use crate::platform::Platform;
use anyhow::Result;
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use tongban_kernel::Page;

/// Loads `file` into `resource` as the platform, with progress on stderr.
pub(super) async fn ingest(p: &Platform, resource: &str, file: &Path, json: bool) -> Result<()> {
    let pool = p.pool(catalog_for(p).await?)?;
    let progress: Arc<tongban_pool::ProgressFn> =
        Arc::new(|rows| eprint!("\r{}", say!("rows-read", rows = rows)));
    let opts = tongban_pool::IngestOptions {
        progress: Some(progress),
        ..Default::default()
    };
    let report = match pool.ingest_file(&system(), resource, file, &opts).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!();
            return Err(e.into());
        }
    };
    eprintln!();
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "{}",
            say!(
                "v-accepted-rejected-quality",
                resource = report.resource.to_string(),
                version = report.version.to_string(),
                accepted = report.accepted.to_string(),
                rejected = report.rejected.to_string(),
                score = format!("{:.0}", report.quality.score * 100.0)
            )
        );
        if report.rejected > 0 {
            println!(
                "{}",
                say!(
                    "reject-report",
                    reject_report = report.reject_report.display().to_string()
                )
            );
            println!(
                "{}",
                say!(
                    "reject-report-xlsx",
                    reject_report_xlsx = report.reject_report_xlsx.display().to_string()
                )
            );
        }
    }
    Ok(())
}

/// Runs `sql` as the user `as_user`, for `purpose`, printing CSV or JSON.
pub(super) async fn query(
    p: &Platform,
    as_user: &str,
    purpose: String,
    format: QueryFormat,
    limit: usize,
    sql: &str,
) -> Result<()> {
    let actor = identity_for(p, None).principal_for_username(as_user).await?;
    let pool = p.pool(catalog_for(p).await?)?;
    let opts = tongban_pool::QueryOptions {
        purpose,
        row_limit: limit,
        ..Default::default()
    };
    let result = pool.query(&actor, sql, &opts).await?;
    let mut out = std::io::stdout().lock();
    match format {
        QueryFormat::Csv => out.write_all(&result.to_csv(false)?)?,
        QueryFormat::Json => writeln!(out, "{}", serde_json::to_string(&result.json_rows())?)?,
    }
    if result.truncated {
        eprintln!("{}", say!("result-cut-first-rows-limit", limit = limit));
    }
    Ok(())
}

/// Every resource in the catalogue, as a table or as JSON.
pub(super) async fn catalog_list(catalog: &tongban_catalog::Catalog, json: bool) -> Result<()> {
    let actor = system();
    let mut all = Vec::new();
    let mut offset = 0;
    loop {
        let page = catalog
            .list_resources(
                &actor,
                &tongban_catalog::ResourceFilter::default(),
                Page::new(500, offset),
            )
            .await?;
        offset += page.items.len() as u64;
        let done = page.items.is_empty() || offset >= page.total;
        all.extend(page.items);
        if done {
            break;
        }
    }
    if json {
        let rows: Vec<serde_json::Value> = all
            .iter()
            .map(|r| {
                serde_json::json!({
                    "code": r.code,
                    "name": r.name_zh,
                    "provider_code": r.provider.code(),
                    "provider_name": r.provider.name_zh,
                    "sharing_class": r.sharing.class.code(),
                    "open_class": r.open_class.code(),
                    "current_version": r.current_version,
                    "status": r.status.code(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        for r in &all {
            println!(
                "{:<16} {:<14} {:<14} {:<12} v{:<3} {}",
                r.code,
                r.provider.code(),
                r.sharing.class.code(),
                r.open_class.code(),
                r.current_version,
                r.name_zh
            );
        }
    }
    Ok(())
}
