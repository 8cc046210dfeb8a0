//! The blocking half of a load: rows from any [`RowSource`] are governed cell by cell —
//! standardized, type checked, checked against the field's rules and references — and either
//! written to the version's parquet file or set aside in the reject report. Everything is
//! written under `.partial` names and renamed into place only when complete.

use crate::govern::{Cell, FieldPlan, Seen};
use crate::lake::{self, Batch};
use crate::mapping::{MappingChoice, fed_by, map_columns};
use crate::model::{BATCH_ROWS, PROGRESS_EVERY, ProgressFn, Quality, SourceFormat};
use crate::reference::{ReferenceRule, References};
use crate::rejects::RejectReport;
use crate::source::{RowSource, Source, SourceRow};
use crate::{Error, Result};
use arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;
use tongban_crypto::FieldCipher;
use tongban_kernel::Invalid;

/// One load to run off the async runtime: where the rows come from and what to make of them.
pub(crate) struct Job {
    pub source: Source,
    pub spec: LoadSpec,
}

/// Everything a load needs besides its rows.
pub(crate) struct LoadSpec {
    pub lake: PathBuf,
    pub code: String,
    pub version: u32,
    pub plans: Vec<FieldPlan>,
    pub mapping: MappingChoice,
    pub references: Vec<ReferenceRule>,
    pub progress: Option<Arc<ProgressFn>>,
    pub cipher: FieldCipher,
}

/// A version written and renamed into place, not yet recorded.
pub(crate) struct Staged {
    pub accepted: u64,
    pub rejected: u64,
    pub format: SourceFormat,
    pub encoding: String,
    pub mapping: BTreeMap<String, String>,
    pub quality: Quality,
    pub diff: serde_json::Value,
    pub reject_report: PathBuf,
    pub reject_report_xlsx: PathBuf,
    pub notes: Vec<String>,
}

/// The files a version is written to: the final names and their `.partial` stand-ins.
struct Paths {
    target: PathBuf,
    staging: PathBuf,
    rejects: PathBuf,
    rejects_staging: PathBuf,
    rejects_xlsx: PathBuf,
    rejects_xlsx_staging: PathBuf,
}

impl Paths {
    fn new(spec: &LoadSpec) -> Self {
        let target = lake::version_dir(&spec.lake, &spec.code, spec.version);
        let rejects = lake::reject_report(&spec.lake, &spec.code, spec.version);
        let rejects_xlsx = lake::reject_report_xlsx(&spec.lake, &spec.code, spec.version);
        Self {
            staging: lake::partial(&target),
            rejects_staging: lake::partial(&rejects),
            rejects_xlsx_staging: lake::partial(&rejects_xlsx),
            target,
            rejects,
            rejects_xlsx,
        }
    }

    /// Removes what a failed load wrote.
    fn discard_staging(&self) {
        let _ = std::fs::remove_dir_all(&self.staging);
        let _ = std::fs::remove_file(&self.rejects_staging);
        let _ = std::fs::remove_file(&self.rejects_xlsx_staging);
    }

    /// Moves the complete version and its reports into place, the version last: a version
    /// directory that exists always has its reports.
    fn publish(&self) -> Result<()> {
        std::fs::rename(&self.rejects_staging, &self.rejects)?;
        std::fs::rename(&self.rejects_xlsx_staging, &self.rejects_xlsx)?;
        std::fs::rename(&self.staging, &self.target)?;
        Ok(())
    }
}

impl Job {
    /// Opens the source, maps its columns, reads the reference sets, then writes and renames
    /// the version. Nothing is written when the source cannot be read or mapped.
    pub fn run(self) -> Result<Staged> {
        let Job { source, mut spec } = self;
        let rows = source.open()?;
        let mut notes = Vec::new();
        let columns = map_columns(&spec.plans, rows.header(), &spec.mapping, &mut notes)?;
        let codes: Vec<&str> = spec.plans.iter().map(|p| p.field.code.as_str()).collect();
        let rules = std::mem::take(&mut spec.references);
        let references = References::load(rules, &codes, &mut notes)?;
        let paths = Paths::new(&spec);
        prepare(&spec, &paths)?;
        let mapping = fed_by(&spec.plans, rows.header(), &columns);
        let format = rows.format();
        let written = spec
            .write(rows, columns, references, &paths)
            .and_then(|w| spec.diff(&w.1).map(|diff| (w, diff)));
        let ((counts, current, summary), diff) = match written {
            Ok(w) => w,
            Err(e) => {
                paths.discard_staging();
                return Err(e);
            }
        };
        paths.publish()?;
        notes.extend(summary.notes);
        Ok(Staged {
            accepted: counts.accepted,
            rejected: counts.rejected,
            format,
            encoding: summary.encoding,
            mapping,
            quality: counts.quality(spec.plans.iter().any(|p| p.field.is_key), current.len() as u64),
            diff,
            reject_report: paths.rejects,
            reject_report_xlsx: paths.rejects_xlsx,
            notes,
        })
    }
}

/// Clears what a killed load left and refuses to overwrite an unrecorded version.
fn prepare(spec: &LoadSpec, paths: &Paths) -> Result<()> {
    let dir = lake::resource_dir(&spec.lake, &spec.code);
    lake::remove_stale(&dir)?;
    std::fs::create_dir_all(&dir)?;
    if paths.target.exists() {
        // Left by a load whose recording failed and whose clean-up failed too: never reuse it.
        return Err(Error::Io(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!(
                "{} 已存在但未登记，请管理员核查 / exists but is not recorded; an administrator must check it",
                paths.target.display()
            ),
        )));
    }
    Ok(())
}

/// Rows and cells counted during a load.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    total: u64,
    accepted: u64,
    rejected: u64,
    mapped_cells: u64,
    filled_cells: u64,
}

impl Counts {
    /// The quality score of the version: completeness, validity and (with key fields)
    /// uniqueness of the `keys` distinct keys among the accepted rows.
    fn quality(&self, has_keys: bool, keys: u64) -> Quality {
        let ratio = |n: u64, d: u64| if d == 0 { 1.0 } else { n as f64 / d as f64 };
        let completeness = ratio(self.filled_cells, self.mapped_cells);
        let validity = ratio(self.accepted, self.total);
        let uniqueness = if has_keys { ratio(keys, self.accepted) } else { 1.0 };
        Quality {
            score: ((completeness + validity + uniqueness) / 3.0).clamp(0.0, 1.0),
            completeness,
            validity,
            uniqueness,
        }
    }
}

/// Row key → short row hash of every accepted row, for the diff.
type Keys = HashMap<lake::Short, lake::Short>;

impl LoadSpec {
    fn write(
        &self,
        rows: Box<dyn RowSource>,
        columns: Vec<Option<usize>>,
        references: References,
        paths: &Paths,
    ) -> Result<(Counts, Keys, crate::source::SourceSummary)> {
        std::fs::create_dir_all(&paths.staging)?;
        let schema = lake::schema(&self.plans);
        let mut load = Load {
            spec: self,
            columns,
            references,
            writer: lake::writer(&paths.staging.join("part-0.parquet"), schema.clone())?,
            schema,
            rejects: RejectReport::create(&paths.rejects_staging, &paths.rejects_xlsx_staging)?,
            batch: Batch::new(self.plans.len()),
            seen: Seen::new(self.plans.len()),
            current: HashMap::new(),
            counts: Counts::default(),
        };
        let summary = rows.read_rows(&mut |row| load.row(row))?;
        let (counts, current) = load.finish()?;
        Ok((counts, current, summary))
    }

    /// Added, changed and removed rows against the previous version, matched by key.
    fn diff(&self, current: &Keys) -> Result<serde_json::Value> {
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

/// A load under way: the governance every row goes through, and where its result goes.
struct Load<'s> {
    spec: &'s LoadSpec,
    /// Per field, the source column that feeds it.
    columns: Vec<Option<usize>>,
    references: References,
    schema: SchemaRef,
    writer: ArrowWriter<File>,
    rejects: RejectReport,
    batch: Batch,
    seen: Seen,
    current: Keys,
    counts: Counts,
}

impl Load<'_> {
    /// Governs one source row: stored when every cell passes, otherwise each bad cell (or the
    /// row's problem) goes to the reject report.
    fn row(&mut self, row: &SourceRow) -> Result<()> {
        self.counts.total += 1;
        if let Some(progress) = &self.spec.progress
            && self.counts.total.is_multiple_of(PROGRESS_EVERY)
        {
            progress(self.counts.total);
        }
        if let Some(problem) = &row.problem {
            self.counts.rejected += 1;
            return self.rejects.add(row.number, "", "", problem);
        }
        match self.govern(row)? {
            Some(cells) => self.store(cells),
            None => {
                self.counts.rejected += 1;
                Ok(())
            }
        }
    }

    /// The row's cells checked field by field; `None` (with the reasons reported) when any
    /// cell is bad.
    fn govern(&mut self, row: &SourceRow) -> Result<Option<Vec<Cell>>> {
        let mut cells = Vec::with_capacity(self.spec.plans.len());
        let mut bad = false;
        for (i, p) in self.spec.plans.iter().enumerate() {
            let Some(col) = self.columns[i] else {
                cells.push(Cell::Null);
                continue;
            };
            if let Some((_, reason)) = row.bad_cells.iter().find(|(c, _)| *c == col) {
                bad = true;
                self.rejects.add(row.number, &p.field.code, "", reason)?;
                continue;
            }
            let raw = row.cells.get(col).map_or("", String::as_str);
            match self.check(i, p, raw) {
                Ok(cell) => cells.push(cell),
                Err(invalid) => {
                    bad = true;
                    self.rejects
                        .add(row.number, &p.field.code, &p.shown(raw), &invalid.reason)?;
                }
            }
        }
        Ok((!bad).then_some(cells))
    }

    /// One cell: standardized and typed, then unique and reference rules.
    fn check(&self, i: usize, p: &FieldPlan, raw: &str) -> Result<Cell, Invalid> {
        let cell = p.check(raw)?;
        if p.unique() && cell != Cell::Null && self.seen.contains(i, &cell.key_text()) {
            return Err(Invalid::new(&p.field.code, "值重复 / duplicate value"));
        }
        self.references
            .check(i, &p.field.code, &cell, &self.spec.cipher)?;
        Ok(cell)
    }

    /// Stores an accepted row: personal values encrypted with their blind index, the row hash
    /// and key kept for the diff, a record batch written when full.
    fn store(&mut self, cells: Vec<Cell>) -> Result<()> {
        self.counts.accepted += 1;
        let plans = &self.spec.plans;
        let mut stored = Vec::with_capacity(cells.len());
        let mut canonical = String::new();
        let mut key_parts = Vec::new();
        for (i, (p, cell)) in plans.iter().zip(cells).enumerate() {
            if self.columns[i].is_some() {
                self.counts.mapped_cells += 1;
                if cell != Cell::Null {
                    self.counts.filled_cells += 1;
                }
            }
            if p.unique() && cell != Cell::Null {
                self.seen.insert(i, cell.key_text());
            }
            let (text, entry) = match (&cell, p.personal()) {
                (Cell::Null, _) => (String::new(), (Cell::Null, None)),
                (_, true) => {
                    let plain = cell.key_text();
                    let bidx = self.spec.cipher.blind_index(&p.blind_domain, &plain);
                    let sealed = self.spec.cipher.encrypt(&p.cipher_name, &plain);
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
        self.current
            .insert(lake::row_key(&key_parts, &hash), lake::short_hash(&hash));
        self.batch.push(stored, hash);
        if self.batch.len() >= BATCH_ROWS {
            self.write_batch()?;
        }
        Ok(())
    }

    /// Writes the waiting rows; closes the row group when the writer holds
    /// [`lake::ROW_GROUP_BYTES`], so memory stays flat however large the file.
    fn write_batch(&mut self) -> Result<()> {
        let batch = self.batch.take(&self.spec.plans, &self.schema)?;
        self.writer.write(&batch)?;
        if self.writer.memory_size() >= lake::ROW_GROUP_BYTES {
            self.writer.flush()?;
        }
        Ok(())
    }

    /// Writes what is left and closes the files.
    fn finish(mut self) -> Result<(Counts, Keys)> {
        if self.batch.len() > 0 {
            self.write_batch()?;
        }
        self.writer.close()?;
        self.rejects.finish()?;
        if let Some(progress) = &self.spec.progress {
            progress(self.counts.total);
        }
        Ok((self.counts, self.current))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_parts_are_ratios_and_an_empty_load_is_perfect() {
        let empty = Counts::default().quality(true, 0);
        assert_eq!(empty.score, 1.0);
        let counts = Counts {
            total: 4,
            accepted: 2,
            rejected: 2,
            mapped_cells: 4,
            filled_cells: 3,
        };
        let q = counts.quality(true, 1);
        assert_eq!((q.validity, q.completeness, q.uniqueness), (0.5, 0.75, 0.5));
        assert_eq!(counts.quality(false, 1).uniqueness, 1.0);
    }
}
