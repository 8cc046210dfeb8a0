//! 数据入库: one CSV file becomes one immutable version of a resource, cell by cell governed —
//! standardized, type checked, checked against the field's quality rules — with bad rows set
//! aside in a reject report rather than failing the load.

use crate::govern::{Cell, FieldPlan, Seen, plan};
use crate::lake::{self, Batch};
use crate::model::{BATCH_ROWS, IngestOptions, IngestReport, PROGRESS_EVERY, ProgressFn, Quality};
use crate::rejects::RejectReport;
use crate::{Error, Pool, Result};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use tongban_catalog::NewVersion;
use tongban_crypto::FieldCipher;
use tongban_kernel::{Invalid, Permission, Principal};
use tongban_text::DecodingReader;

impl Pool {
    /// Loads the CSV file at `path` (UTF-8 or GBK/GB18030, detected) as the next version of the
    /// resource `resource_code` (`ManageCatalog` over its provider) and records it in the
    /// catalog. Rows with a bad cell go to the reject report; the load fails only when the file
    /// cannot be read at all, the columns cannot feed a required field, or a rule is unusable.
    pub async fn ingest_csv(
        &self,
        actor: &Principal,
        resource_code: &str,
        path: &Path,
        opts: &IngestOptions,
    ) -> Result<IngestReport> {
        let started = Instant::now();
        let resource = self.catalog.resource_by_code(actor, resource_code).await?;
        actor.require(Permission::ManageCatalog, Some(&resource.provider.path))?;
        let (plans, notes) = plan(&resource)?;
        // One load at a time per pool: two loads of one resource would claim the same version.
        let _guard = self.loads.lock().await;
        let resource = self.catalog.resource_by_code(actor, resource_code).await?;
        let version = resource.current_version + 1;
        let job = Job {
            path: path.to_owned(),
            lake: self.lake_dir.clone(),
            code: resource.code.clone(),
            version,
            plans,
            mapping: opts.mapping.clone(),
            progress: opts.progress.clone(),
            cipher: self.fields.clone(),
        };
        let staged = tokio::task::spawn_blocking(move || job.run())
            .await
            .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))??;
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
            // No visible half-version: what the catalog does not record does not exist.
            let dir = lake::version_dir(&self.lake_dir, &resource.code, version);
            if let Err(io) = std::fs::remove_dir_all(&dir) {
                tracing::error!(path = %dir.display(), error = %io, "could not remove an unrecorded version");
            }
            let _ = std::fs::remove_file(&staged.reject_report);
            return Err(e.into());
        }
        Ok(IngestReport {
            resource: resource.code,
            version,
            accepted: staged.accepted,
            rejected: staged.rejected,
            reject_report: staged.reject_report,
            encoding: staged.encoding,
            mapping: staged.mapping,
            quality: staged.quality,
            diff: staged.diff,
            notes,
            elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        })
    }
}

/// The blocking half of a load.
struct Job {
    path: PathBuf,
    lake: PathBuf,
    code: String,
    version: u32,
    plans: Vec<FieldPlan>,
    mapping: BTreeMap<String, String>,
    progress: Option<Arc<ProgressFn>>,
    cipher: FieldCipher,
}

/// A version written and renamed into place, not yet recorded.
struct Staged {
    accepted: u64,
    rejected: u64,
    encoding: String,
    mapping: BTreeMap<String, String>,
    quality: Quality,
    diff: serde_json::Value,
    reject_report: PathBuf,
}

impl Job {
    fn run(self) -> Result<Staged> {
        let dir = lake::resource_dir(&self.lake, &self.code);
        lake::remove_stale(&dir)?;
        std::fs::create_dir_all(&dir)?;
        let target = lake::version_dir(&self.lake, &self.code, self.version);
        if target.exists() {
            // Left by a load whose recording failed and whose clean-up failed too: never reuse it.
            return Err(Error::Io(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!(
                    "{} 已存在但未登记，请管理员核查 / exists but is not recorded; an administrator must check it",
                    target.display()
                ),
            )));
        }
        let staging = lake::partial(&target);
        let rejects_final = lake::reject_report(&self.lake, &self.code, self.version);
        let rejects_staging = lake::partial(&rejects_final);
        let result = self.write(&staging, &rejects_staging);
        let mut staged = match result {
            Ok(s) => s,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&staging);
                let _ = std::fs::remove_file(&rejects_staging);
                return Err(e);
            }
        };
        std::fs::rename(&rejects_staging, &rejects_final)?;
        std::fs::rename(&staging, &target)?;
        staged.reject_report = rejects_final;
        Ok(staged)
    }

    fn write(&self, staging: &Path, rejects_path: &Path) -> Result<Staged> {
        let decoded = DecodingReader::new(File::open(&self.path)?)?;
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(decoded);
        let headers: Vec<String> = reader.headers()?.iter().map(|h| h.trim().to_owned()).collect();
        if headers.iter().all(String::is_empty) {
            return Err(Error::Unreadable {
                reason: "文件为空或没有表头 / the file is empty or has no header row".into(),
            });
        }
        let columns = self.map_columns(&headers)?;
        let mapping = self
            .plans
            .iter()
            .zip(&columns)
            .filter_map(|(p, c)| c.map(|c| (p.field.code.clone(), headers[c].clone())))
            .collect();

        std::fs::create_dir_all(staging)?;
        let schema = lake::schema(&self.plans);
        let mut writer = lake::writer(&staging.join("part-0.parquet"), schema.clone())?;
        let mut rejects = RejectReport::create(rejects_path)?;
        let mut batch = Batch::new(self.plans.len());
        let mut seen = Seen::new(self.plans.len());
        let key_fields: Vec<usize> = (0..self.plans.len())
            .filter(|&i| self.plans[i].field.is_key)
            .collect();
        let mut current: HashMap<lake::Short, lake::Short> = HashMap::new();
        let (mut total, mut accepted, mut rejected) = (0u64, 0u64, 0u64);
        let (mut mapped_cells, mut filled_cells) = (0u64, 0u64);
        let mut record = csv::StringRecord::new();
        while reader.read_record(&mut record)? {
            total += 1;
            // The header is row 1, as a spreadsheet numbers it.
            let row_no = total + 1;
            if let Some(progress) = &self.progress
                && total % PROGRESS_EVERY == 0
            {
                progress(total);
            }
            if record.len() != headers.len() {
                rejected += 1;
                rejects.add(
                    row_no,
                    "",
                    "",
                    &format!(
                        "列数不符：应为{}列，实为{}列 / column count mismatch: expected {}, found {}",
                        headers.len(),
                        record.len(),
                        headers.len(),
                        record.len()
                    ),
                )?;
                continue;
            }
            let mut cells = Vec::with_capacity(self.plans.len());
            let mut bad = false;
            for (i, (p, col)) in self.plans.iter().zip(&columns).enumerate() {
                let Some(col) = col else {
                    cells.push(Cell::Null);
                    continue;
                };
                let raw = record.get(*col).unwrap_or("");
                let checked = p.check(raw).and_then(|cell| {
                    if p.unique() && cell != Cell::Null && seen.contains(i, &cell.key_text()) {
                        Err(Invalid::new(&p.field.code, "值重复 / duplicate value"))
                    } else {
                        Ok(cell)
                    }
                });
                match checked {
                    Ok(cell) => cells.push(cell),
                    Err(invalid) => {
                        bad = true;
                        rejects.add(row_no, &p.field.code, &p.shown(raw), &invalid.reason)?;
                    }
                }
            }
            if bad {
                rejected += 1;
                continue;
            }
            accepted += 1;
            let mut stored = Vec::with_capacity(cells.len());
            let mut canonical = String::new();
            let mut key_parts = Vec::with_capacity(key_fields.len());
            for (i, (p, cell)) in self.plans.iter().zip(cells).enumerate() {
                if columns[i].is_some() {
                    mapped_cells += 1;
                    if cell != Cell::Null {
                        filled_cells += 1;
                    }
                }
                if p.unique() && cell != Cell::Null {
                    seen.insert(i, cell.key_text());
                }
                let (text, entry) = match (&cell, p.personal()) {
                    (Cell::Null, _) => (String::new(), (Cell::Null, None)),
                    (_, true) => {
                        let plain = cell.key_text();
                        let bidx = self.cipher.blind_index(&p.blind_domain, &plain);
                        let sealed = self.cipher.encrypt(&p.cipher_name, &plain);
                        (bidx.clone(), (Cell::Text(sealed), Some(bidx)))
                    }
                    (_, false) => (cell.key_text(), (cell, None)),
                };
                if p.field.is_key {
                    key_parts.push(text.clone());
                }
                canonical.push_str(&text);
                canonical.push('\u{1f}');
                stored.push(entry);
            }
            let hash = hex::encode(tongban_crypto::sm3(canonical.as_bytes()));
            current.insert(lake::row_key(&key_parts, &hash), lake::short_hash(&hash));
            batch.push(stored, hash);
            if batch.len() >= BATCH_ROWS {
                writer.write(&batch.take(&self.plans, &schema)?)?;
            }
        }
        if batch.len() > 0 {
            writer.write(&batch.take(&self.plans, &schema)?)?;
        }
        writer.close()?;
        rejects.finish()?;
        if let Some(progress) = &self.progress {
            progress(total);
        }

        let ratio = |n: u64, d: u64| if d == 0 { 1.0 } else { n as f64 / d as f64 };
        let completeness = ratio(filled_cells, mapped_cells);
        let validity = ratio(accepted, total);
        let uniqueness = if key_fields.is_empty() {
            1.0
        } else {
            ratio(current.len() as u64, accepted)
        };
        let quality = Quality {
            score: ((completeness + validity + uniqueness) / 3.0).clamp(0.0, 1.0),
            completeness,
            validity,
            uniqueness,
        };
        let diff = self.diff(&current)?;
        Ok(Staged {
            accepted,
            rejected,
            encoding: reader.get_ref().encoding().name().to_owned(),
            mapping,
            quality,
            diff,
            reject_report: rejects_path.to_owned(),
        })
    }

    /// For each field, the index of the column that feeds it.
    fn map_columns(&self, headers: &[String]) -> Result<Vec<Option<usize>>> {
        let mut columns: Vec<Option<usize>> = vec![None; self.plans.len()];
        if !self.mapping.is_empty() {
            for (field, column) in &self.mapping {
                let Some(i) = self.plans.iter().position(|p| &p.field.code == field) else {
                    return Err(Invalid::new(
                        format!("mapping.{field}"),
                        "资源没有此数据项 / the resource has no such field",
                    )
                    .into());
                };
                let Some(c) = headers.iter().position(|h| h == column.trim()) else {
                    return Err(Invalid::new(
                        format!("mapping.{field}"),
                        format!("文件中没有列“{column}” / the file has no column `{column}`"),
                    )
                    .into());
                };
                columns[i] = Some(c);
            }
        } else {
            let mut taken = vec![false; headers.len()];
            // Exact code or name first, then by similarity among what is left.
            for (i, p) in self.plans.iter().enumerate() {
                let exact = headers.iter().enumerate().position(|(c, h)| {
                    !taken[c] && (h.eq_ignore_ascii_case(&p.field.code) || h == &p.field.name_zh)
                });
                if let Some(c) = exact {
                    columns[i] = Some(c);
                    taken[c] = true;
                }
            }
            let open_headers: Vec<usize> = (0..headers.len()).filter(|&c| !taken[c]).collect();
            let open_fields: Vec<usize> = (0..self.plans.len()).filter(|&i| columns[i].is_none()).collect();
            let names: Vec<&str> = open_headers.iter().map(|&c| headers[c].as_str()).collect();
            let fields: Vec<(&str, &str)> = open_fields
                .iter()
                .map(|&i| {
                    (
                        self.plans[i].field.code.as_str(),
                        self.plans[i].field.name_zh.as_str(),
                    )
                })
                .collect();
            for (h, f) in tongban_text::suggest_mapping(&names, &fields)
                .into_iter()
                .enumerate()
            {
                if let (Some(f), Some(&c)) = (f, open_headers.get(h))
                    && let Some(&i) = open_fields.get(f)
                {
                    columns[i] = Some(c);
                }
            }
        }
        if let Some(p) = self
            .plans
            .iter()
            .zip(&columns)
            .find(|(p, c)| p.required() && c.is_none())
        {
            return Err(Invalid::new(
                &p.0.field.code,
                "文件中没有对应此必填数据项的列 / no column in the file feeds this required field",
            )
            .into());
        }
        Ok(columns)
    }

    /// Added, changed and removed rows against the previous version, matched by key.
    fn diff(&self, current: &HashMap<lake::Short, lake::Short>) -> Result<serde_json::Value> {
        let previous_dir = lake::version_dir(&self.lake, &self.code, self.version.saturating_sub(1));
        if self.version <= 1 || !previous_dir.is_dir() {
            return Ok(json!({ "added": current.len(), "changed": 0, "removed": 0 }));
        }
        let previous = lake::read_keys(&previous_dir, &lake::key_columns(&self.plans))?;
        let (mut added, mut changed) = (0u64, 0u64);
        for (key, hash) in current {
            match previous.get(key) {
                None => added += 1,
                Some(h) if h != hash => changed += 1,
                Some(_) => {}
            }
        }
        let removed = previous.keys().filter(|k| !current.contains_key(*k)).count();
        Ok(json!({ "added": added, "changed": changed, "removed": removed }))
    }
}
