//! 数据入库: a file (CSV, XLSX, JSON Lines) or a pushed batch of JSON objects becomes one
//! immutable version of a resource, cell by cell governed — standardized, type checked, checked
//! against the field's quality rules and references — with bad rows set aside in a reject report
//! rather than failing the load.

use crate::govern::plan;
use crate::load::{Job, LoadSpec};
use crate::mapping::MappingChoice;
use crate::model::{IngestOptions, IngestReport, SourceFormat};
use crate::source::Source;
use crate::{Error, Pool, Result, lake};
use serde_json::{Map, Value};
use std::path::Path;
use std::time::Instant;
use tongban_catalog::NewVersion;
use tongban_kernel::msg;
use tongban_kernel::{Invalid, Permission, Principal};

/// The most records one pushed batch may hold.
pub const MAX_BATCH_RECORDS: usize = 100_000;

impl Pool {
    /// Loads the file at `path` as the next version of the resource `resource_code`
    /// (`LoadData` over its provider) and records it in the catalog. The format is found
    /// from the content (a zip archive is XLSX, a first `{` is JSON Lines, else CSV in UTF-8 or
    /// GBK/GB18030), the extension deciding only what the content leaves open. Rows with a bad
    /// cell go to the reject report; the load fails only when the file cannot be read at all,
    /// the columns cannot feed a required field, or a rule is unusable.
    pub async fn ingest_file(
        &self,
        actor: &Principal,
        resource_code: &str,
        path: &Path,
        opts: &IngestOptions,
    ) -> Result<IngestReport> {
        let source = Source::File {
            path: path.to_owned(),
            format: None,
        };
        self.ingest(actor, resource_code, source, opts).await
    }

    /// Loads the file at `path` as CSV (UTF-8 or GBK/GB18030, detected), whatever its content
    /// looks like; otherwise as [`Pool::ingest_file`].
    pub async fn ingest_csv(
        &self,
        actor: &Principal,
        resource_code: &str,
        path: &Path,
        opts: &IngestOptions,
    ) -> Result<IngestReport> {
        let source = Source::File {
            path: path.to_owned(),
            format: Some(SourceFormat::Csv),
        };
        self.ingest(actor, resource_code, source, opts).await
    }

    /// Loads a batch of JSON objects pushed by a department system (推送接口) as the next
    /// version, governed exactly like a file: each object is a row, its keys the source
    /// columns, its position in the batch (from 1) its row number in the reject report. An
    /// empty batch, or one over [`MAX_BATCH_RECORDS`], is [`Error::Invalid`] on `records`.
    pub async fn ingest_records(
        &self,
        actor: &Principal,
        resource_code: &str,
        records: Vec<Map<String, Value>>,
        opts: &IngestOptions,
    ) -> Result<IngestReport> {
        if records.is_empty() {
            return Err(Invalid::new("records", msg!("batch-holds-no-records")).into());
        }
        if records.len() > MAX_BATCH_RECORDS {
            return Err(Invalid::new(
                "records",
                msg!("batch-holds-most-max", max_batch_records = MAX_BATCH_RECORDS),
            )
            .into());
        }
        self.ingest(actor, resource_code, Source::Records(records), opts)
            .await
    }

    /// The one path every load takes: permission, plan, references and mapping, then the
    /// blocking read-govern-write, then the catalog record (or the clean-up when that fails).
    pub(crate) async fn ingest(
        &self,
        actor: &Principal,
        resource_code: &str,
        source: Source,
        opts: &IngestOptions,
    ) -> Result<IngestReport> {
        let started = Instant::now();
        let is_system = actor.kind == tongban_kernel::PrincipalKind::ApiClient;
        let resource = if is_system {
            // Systems hold no catalog roles: find the resource for the check below.
            self.catalog
                .resource_by_code(&Principal::system("push"), resource_code)
                .await?
        } else {
            self.catalog.resource_by_code(actor, resource_code).await?
        };
        // The providing department's catalog managers load anything; the providing
        // department's own systems push batches (the web layer checks their token's scope) and
        // load as the department's administrator would, under their own name in every event.
        let own_system = matches!(source, Source::Records(_))
            && is_system
            && actor.department.as_ref() == Some(&resource.provider.path);
        let acting;
        let actor: &Principal = if own_system {
            acting = Principal {
                grants: vec![tongban_kernel::RoleGrant {
                    role: tongban_kernel::Role::DeptAdmin,
                    scope: resource.provider.path.clone(),
                }],
                ..actor.clone()
            };
            &acting
        } else {
            actor.require(Permission::LoadData, Some(&resource.provider.path))?;
            actor
        };
        let plans = plan(&resource)?;
        // One load at a time per pool: two loads of one resource would claim the same version.
        let _guard = self.loads.lock().await;
        let resource = self.catalog.resource_by_code(actor, resource_code).await?;
        let version = resource.current_version + 1;
        let (references, mut notes) = self.resolve_references(actor, &resource, &plans).await?;
        let saved = if opts.mapping.is_empty() {
            self.mapping_of(&resource).await?
        } else {
            None
        };
        if version > 1 {
            // The diff reads the previous version.
            self.local_version(&resource.code, version - 1).await?;
        }
        let job = Job {
            source,
            spec: LoadSpec {
                lake: self.lake_dir.clone(),
                code: resource.code.clone(),
                version,
                plans,
                mapping: MappingChoice::pick(&opts.mapping, saved),
                references,
                progress: opts.progress.clone(),
                cipher: self.fields.clone(),
            },
        };
        let staged = tokio::task::spawn_blocking(move || job.run())
            .await
            .map_err(|e| {
                Error::Io(std::io::Error::other(
                    msg!("load-stopped-e", e = e.to_string()).to_string(),
                ))
            })??;
        let uploaded = match &self.remote {
            Some(remote) => remote.upload(&self.lake_dir, &resource.code, version).await,
            None => Ok(()),
        };
        if let Err(e) = uploaded {
            self.discard_version(&resource.code, version, &staged);
            return Err(e);
        }
        let recorded = self
            .catalog
            .record_version(
                actor,
                &resource.id,
                NewVersion {
                    version,
                    row_count: staged.accepted,
                    quality_score: staged.quality.score,
                    diff: staged.diff.clone(),
                },
            )
            .await;
        if let Err(e) = recorded {
            self.discard_version(&resource.code, version, &staged);
            return Err(e.into());
        }
        notes.extend(staged.notes);
        Ok(IngestReport {
            resource: resource.code,
            version,
            accepted: staged.accepted,
            rejected: staged.rejected,
            reject_report: staged.reject_report,
            reject_report_xlsx: staged.reject_report_xlsx,
            format: staged.format,
            encoding: staged.encoding,
            mapping: staged.mapping,
            quality: staged.quality,
            diff: staged.diff,
            notes,
            elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        })
    }

    /// Removes a written version the catalog will not record: what the catalog does not record
    /// does not exist, so no half-version stays visible. (A copy already uploaded to the object
    /// store is overwritten by the next load of the same version number.)
    fn discard_version(&self, code: &str, version: u32, staged: &crate::load::Staged) {
        let dir = lake::version_dir(&self.lake_dir, code, version);
        if let Err(io) = std::fs::remove_dir_all(&dir) {
            tracing::error!(path = %dir.display(), error = %io, "could not remove an unrecorded version");
        }
        let _ = std::fs::remove_file(&staged.reject_report);
        let _ = std::fs::remove_file(&staged.reject_report_xlsx);
    }
}
