//! The blocking half of a load: rows from any [`RowSource`] are governed cell by cell —
//! standardized, type checked, checked against the field's rules and references — and either
//! written to the version's parquet file or set aside in the reject report. Everything is
//! written under `.partial` names and renamed into place only when complete.

use crate::govern::{Cell, FieldPlan, Seen};
use crate::lake::{self, Batch};
use crate::mapping::{MappingChoice, fed_by, map_columns};
use crate::model::{PROGRESS_EVERY, ProgressFn, Quality, SourceFormat};
use crate::reference::{ReferenceRule, References};
use crate::rejects::RejectReport;
use crate::source::{RowSource, Source, SourceRow};
use crate::{Error, Result};
use arrow::array::{BooleanArray, RecordBatch};
use arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};
use tongban_crypto::FieldCipher;
use tongban_kernel::msg;

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
            msg!(
                "exists-but-not-recorded",
                target = paths.target.display().to_string()
            )
            .to_string(),
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
    /// Reads the rows on this thread, governs them in chunks on [`governing_threads`] threads,
    /// and stores them in their original order on a writer thread, so the result (rows,
    /// rejects, which duplicate is first) is the same as one thread reading row by row.
    fn write(
        &self,
        rows: Box<dyn RowSource>,
        columns: Vec<Option<usize>>,
        references: References,
        paths: &Paths,
    ) -> Result<(Counts, Keys, crate::source::SourceSummary)> {
        std::fs::create_dir_all(&paths.staging)?;
        let schema = lake::schema(&self.plans);
        let sink = Sink {
            plans: &self.plans,
            writer: lake::writer(&paths.staging.join("part-0.parquet"), schema.clone())?,
            rejects: RejectReport::create(&paths.rejects_staging, &paths.rejects_xlsx_staging)?,
            keep: Vec::with_capacity(CHUNK_ROWS),
            seen: Seen::new(self.plans.len()),
            current: HashMap::new(),
            counts: Counts::default(),
        };
        let governor = Governor {
            spec: self,
            schema,
            columns,
            references,
        };
        let threads = governing_threads();
        std::thread::scope(|scope| {
            let (chunk_tx, chunk_rx) = mpsc::sync_channel::<(u64, Vec<SourceRow>)>(threads);
            let chunk_rx = Arc::new(Mutex::new(chunk_rx));
            let (done_tx, done_rx) = mpsc::sync_channel::<(u64, GovernedChunk)>(threads);
            for _ in 0..threads {
                let (chunk_rx, done_tx, governor) = (Arc::clone(&chunk_rx), done_tx.clone(), &governor);
                scope.spawn(move || {
                    loop {
                        // The lock is held only while waiting for the next chunk.
                        let next = chunk_rx.lock().map(|rx| rx.recv());
                        let Ok(Ok((seq, rows))) = next else { break };
                        let governed = governor.chunk(&rows);
                        drop(rows);
                        if done_tx.send((seq, governed)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop((chunk_rx, done_tx));
            let writer = scope.spawn(move || sink.drain(done_rx));

            let mut chunk = Vec::with_capacity(CHUNK_ROWS);
            let (mut seq, mut total) = (0u64, 0u64);
            let progress = self.progress.as_deref();
            let send = |chunk: Vec<SourceRow>, seq: &mut u64| {
                chunk_tx.send((*seq, chunk)).map_err(|_| stopped())?;
                *seq += 1;
                Ok::<(), Error>(())
            };
            let read = rows
                .read_rows(&mut |row| {
                    total += 1;
                    if let Some(progress) = progress
                        && total.is_multiple_of(PROGRESS_EVERY)
                    {
                        progress(total);
                    }
                    chunk.push(row.clone());
                    if chunk.len() == CHUNK_ROWS {
                        send(
                            std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_ROWS)),
                            &mut seq,
                        )?;
                    }
                    Ok(())
                })
                .and_then(|summary| {
                    if !chunk.is_empty() {
                        send(std::mem::take(&mut chunk), &mut seq)?;
                    }
                    Ok(summary)
                });
            drop(chunk_tx);
            // The writer's error is the cause when both failed (the reader then only saw it stop).
            let (counts, current) = writer.join().map_err(|_| stopped())??;
            let summary = read?;
            if let Some(progress) = progress {
                progress(total);
            }
            Ok((counts, current, summary))
        })
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

/// Rows handed to a governing thread at a time.
const CHUNK_ROWS: usize = 2048;

/// How many threads govern rows: one per core, at most eight.
fn governing_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8)
}

/// A load's threads stopped before its rows were all stored (the writer's error says why).
fn stopped() -> Error {
    Error::Io(std::io::Error::other(msg!("load-stopped").to_string()))
}

/// The checks that need nothing but the row itself, run on many threads at once: standardize,
/// type and rule checks, references, and for a row that passes them, encryption, blind indexes
/// and the row hash.
struct Governor<'s> {
    spec: &'s LoadSpec,
    /// The version's schema: clean rows are turned into its columns here, off the writer.
    schema: SchemaRef,
    /// Per field, the source column that feeds it.
    columns: Vec<Option<usize>>,
    references: References,
}

/// What governing decided about one cell.
enum Outcome {
    /// No source column feeds the field.
    Unmapped,
    /// Passed; whether it held a value.
    Passed(bool),
    /// A value of a unique field that passed its checks: whether it repeats an earlier row is
    /// decided in order by the [`Sink`]. A failed reference is reported unless it is a repeat.
    Unique {
        key: String,
        raw: String,
        reference: Option<String>,
    },
    /// Failed: the value as it may be shown, and why.
    Bad { shown: String, reason: String },
}

/// A governed chunk: its rows, and the clean ones (those with [`Governed::stored`]) as
/// columns of the version, in order, for the writer to keep or drop.
struct GovernedChunk {
    rows: Vec<Governed>,
    clean: Result<Option<RecordBatch>>,
}

/// One governed row.
struct Governed {
    number: u64,
    /// Why the whole row cannot be used.
    problem: Option<String>,
    /// Per field.
    outcomes: Vec<Outcome>,
    /// The row's key and short hash for the diff, when no cell failed (it may still be a
    /// repeat of a unique value); its stored cells are in the chunk's columns.
    stored: Option<RowKey>,
}

/// A clean row's key and short row hash, for the diff.
struct RowKey {
    key: lake::Short,
    short: lake::Short,
}

/// A row ready for the version: per field its stored cell and blind index, the row hash, and
/// its key.
struct Stored {
    cells: Vec<(Cell, Option<String>)>,
    hash: String,
    key: RowKey,
}

impl Governor<'_> {
    /// Governs a chunk of rows and builds the columns of its clean ones.
    fn chunk(&self, rows: &[SourceRow]) -> GovernedChunk {
        let mut batch = Batch::new(self.spec.plans.len());
        let rows = rows
            .iter()
            .map(|row| {
                let (mut governed, stored) = self.row(row);
                if let Some(stored) = stored {
                    batch.push(stored.cells, stored.hash);
                    governed.stored = Some(stored.key);
                }
                governed
            })
            .collect();
        let clean = if batch.len() == 0 {
            Ok(None)
        } else {
            batch.take(&self.spec.plans, &self.schema).map(Some)
        };
        GovernedChunk { rows, clean }
    }

    /// One row's outcomes, and the row as stored when every cell passed.
    fn row(&self, row: &SourceRow) -> (Governed, Option<Stored>) {
        let mut governed = Governed {
            number: row.number,
            problem: row.problem.clone(),
            outcomes: Vec::with_capacity(self.spec.plans.len()),
            stored: None,
        };
        if governed.problem.is_some() {
            return (governed, None);
        }
        let mut cells = Vec::with_capacity(self.spec.plans.len());
        let mut clean = true;
        for (i, p) in self.spec.plans.iter().enumerate() {
            let Some(col) = self.columns[i] else {
                governed.outcomes.push(Outcome::Unmapped);
                cells.push(Cell::Null);
                continue;
            };
            let outcome = match row.bad_cells.iter().find(|(c, _)| *c == col) {
                Some((_, reason)) => Outcome::Bad {
                    shown: String::new(),
                    reason: reason.clone(),
                },
                None => {
                    let raw = row.cells.get(col).map_or("", String::as_str);
                    self.cell(i, p, raw, &mut cells)
                }
            };
            clean &= matches!(
                outcome,
                Outcome::Passed(_) | Outcome::Unique { reference: None, .. }
            );
            governed.outcomes.push(outcome);
        }
        let stored = clean.then(|| self.seal(cells));
        (governed, stored)
    }

    /// One cell: standardized and typed, then the reference rules; the cell is kept in `cells`
    /// when it passes.
    fn cell(&self, i: usize, p: &FieldPlan, raw: &str, cells: &mut Vec<Cell>) -> Outcome {
        let cell = match p.check(raw) {
            Ok(cell) => cell,
            Err(invalid) => {
                return Outcome::Bad {
                    shown: p.shown(raw),
                    reason: invalid.reason.to_string(),
                };
            }
        };
        let reference = self
            .references
            .check(i, &p.field.code, &cell, &self.spec.cipher)
            .err()
            .map(|invalid| invalid.reason.to_string());
        let outcome = match reference {
            _ if p.unique() && cell != Cell::Null => Outcome::Unique {
                key: cell.key_text(),
                raw: raw.to_owned(),
                reference,
            },
            Some(reason) => Outcome::Bad {
                shown: p.shown(raw),
                reason,
            },
            None => Outcome::Passed(cell != Cell::Null),
        };
        cells.push(cell);
        outcome
    }

    /// The row as stored: personal values encrypted beside their blind index, the row hash
    /// over every value's canonical text (blind indexes for personal values).
    fn seal(&self, cells: Vec<Cell>) -> Stored {
        let plans = &self.spec.plans;
        let mut stored = Vec::with_capacity(cells.len());
        let mut canonical = String::new();
        let mut key_parts = Vec::new();
        for (p, cell) in plans.iter().zip(cells) {
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
        Stored {
            cells: stored,
            key: RowKey {
                key: lake::row_key(&key_parts, &hash),
                short: lake::short_hash(&hash),
            },
            hash,
        }
    }
}

/// The in-order half of a load: uniqueness, the reject report and the version's parquet file.
struct Sink<'s> {
    plans: &'s [FieldPlan],
    writer: ArrowWriter<File>,
    rejects: RejectReport,
    /// Per clean row of the chunk being stored: whether it is kept.
    keep: Vec<bool>,
    seen: Seen,
    current: Keys,
    counts: Counts,
}

impl Sink<'_> {
    /// Stores governed chunks in the order they were read, whatever order they arrive in.
    fn drain(mut self, done: mpsc::Receiver<(u64, GovernedChunk)>) -> Result<(Counts, Keys)> {
        let mut waiting = BTreeMap::new();
        let mut next = 0u64;
        for (seq, chunk) in done {
            waiting.insert(seq, chunk);
            while let Some(chunk) = waiting.remove(&next) {
                self.chunk(chunk)?;
                next += 1;
            }
        }
        if !waiting.is_empty() {
            return Err(stopped());
        }
        self.finish()
    }

    /// Stores a chunk's rows in order, then writes the clean rows that were kept.
    fn chunk(&mut self, chunk: GovernedChunk) -> Result<()> {
        self.keep.clear();
        for governed in chunk.rows {
            self.row(governed)?;
        }
        let Some(clean) = chunk.clean? else {
            return Ok(());
        };
        let kept = if self.keep.iter().all(|&k| k) {
            clean
        } else {
            let mask = BooleanArray::from(std::mem::take(&mut self.keep));
            arrow::compute::filter_record_batch(&clean, &mask)?
        };
        if kept.num_rows() > 0 {
            self.writer.write(&kept)?;
        }
        // Close the row group when the writer holds [`lake::ROW_GROUP_BYTES`], so memory stays
        // flat however large the file.
        if self.writer.memory_size() >= lake::ROW_GROUP_BYTES {
            self.writer.flush()?;
        }
        Ok(())
    }

    /// Stores one row when every cell passed and no unique value repeats an earlier row;
    /// otherwise each bad cell (or the row's problem) goes to the reject report.
    fn row(&mut self, governed: Governed) -> Result<()> {
        self.counts.total += 1;
        let number = governed.number;
        if let Some(problem) = &governed.problem {
            self.counts.rejected += 1;
            return self.rejects.add(number, "", "", problem);
        }
        let mut bad = false;
        for (i, (p, outcome)) in self.plans.iter().zip(&governed.outcomes).enumerate() {
            let code = p.field.code.as_str();
            match outcome {
                Outcome::Bad { shown, reason } => {
                    bad = true;
                    self.rejects.add(number, code, shown, reason)?;
                }
                Outcome::Unique { key, raw, reference } => {
                    let reason = if self.seen.contains(i, key) {
                        Some(msg!("duplicate-value").to_string())
                    } else {
                        reference.clone()
                    };
                    if let Some(reason) = reason {
                        bad = true;
                        self.rejects.add(number, code, &p.shown(raw), &reason)?;
                    }
                }
                Outcome::Unmapped | Outcome::Passed(_) => {}
            }
        }
        match governed.stored {
            Some(key) if !bad => {
                self.keep.push(true);
                self.store(governed.outcomes, key);
                Ok(())
            }
            Some(_) => {
                self.keep.push(false);
                self.counts.rejected += 1;
                Ok(())
            }
            None => {
                self.counts.rejected += 1;
                Ok(())
            }
        }
    }

    /// Counts an accepted row and remembers its unique values and key.
    fn store(&mut self, outcomes: Vec<Outcome>, key: RowKey) {
        self.counts.accepted += 1;
        for (i, outcome) in outcomes.into_iter().enumerate() {
            match outcome {
                Outcome::Passed(filled) => {
                    self.counts.mapped_cells += 1;
                    self.counts.filled_cells += u64::from(filled);
                }
                Outcome::Unique { key, .. } => {
                    self.counts.mapped_cells += 1;
                    self.counts.filled_cells += 1;
                    self.seen.insert(i, key);
                }
                Outcome::Unmapped | Outcome::Bad { .. } => {}
            }
        }
        self.current.insert(key.key, key.short);
    }

    /// Closes the files.
    fn finish(self) -> Result<(Counts, Keys)> {
        self.writer.close()?;
        self.rejects.finish()?;
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
