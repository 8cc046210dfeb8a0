//! What a load takes and what it reports.

use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Called with the number of data rows read so far.
pub type ProgressFn = dyn Fn(u64) + Send + Sync;

/// How often [`IngestOptions::progress`] is called, in rows read.
pub const PROGRESS_EVERY: u64 = 10_000;

/// Rows per Arrow record batch (and parquet row group slice).
pub const BATCH_ROWS: usize = 8192;

/// The kind of source a load read, as the report names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SourceFormat {
    /// Comma-separated text (UTF-8, GBK/GB18030 or UTF-16, detected).
    #[serde(rename = "csv")]
    Csv,
    /// An Excel workbook (Office Open XML); its first worksheet is read.
    #[serde(rename = "xlsx")]
    Xlsx,
    /// JSON Lines: one JSON object per line.
    #[serde(rename = "jsonl")]
    JsonLines,
    /// A batch of JSON objects pushed by a department system.
    #[serde(rename = "json")]
    Records,
}

impl SourceFormat {
    /// The code the report and the CLI print: `csv`, `xlsx`, `jsonl`, `json`.
    pub fn code(self) -> &'static str {
        match self {
            SourceFormat::Csv => "csv",
            SourceFormat::Xlsx => "xlsx",
            SourceFormat::JsonLines => "jsonl",
            SourceFormat::Records => "json",
        }
    }
}

impl std::fmt::Display for SourceFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// Choices for one load.
#[derive(Clone, Default)]
pub struct IngestOptions {
    /// Field code ← source column header, used as given: fields it leaves out stay empty. Empty:
    /// the resource's saved mapping when it has one (fields whose saved column is missing from
    /// the file are then matched by name), otherwise the columns are matched by name (exact
    /// field code or Chinese name first, then by similarity).
    pub mapping: BTreeMap<String, String>,
    /// Called every [`PROGRESS_EVERY`] rows read, and once more with the total at the end.
    pub progress: Option<Arc<ProgressFn>>,
}

impl std::fmt::Debug for IngestOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IngestOptions")
            .field("mapping", &self.mapping)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// 数据质量: the parts of a version's quality score, each in 0..=1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Quality {
    /// The mean of the three parts below.
    pub score: f64,
    /// 完整性: non-empty cells / mapped cells over the accepted rows.
    pub completeness: f64,
    /// 有效性: accepted rows / data rows read.
    pub validity: f64,
    /// 唯一性: distinct keys / accepted rows over the key fields (1 without key fields).
    pub uniqueness: f64,
}

/// What one load did.
#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    /// The resource code.
    pub resource: String,
    /// The version stored and recorded.
    pub version: u32,
    /// Rows stored.
    pub accepted: u64,
    /// Rows rejected into the reject report.
    pub rejected: u64,
    /// The reject report (UTF-8 CSV with BOM), next to the version directory.
    pub reject_report: PathBuf,
    /// The same reject report as an XLSX workbook (every cell text), beside the CSV.
    pub reject_report_xlsx: PathBuf,
    /// What was read: `csv`, `xlsx`, `jsonl`, or `json` for a pushed batch.
    pub format: SourceFormat,
    /// The encoding the file was read in (`UTF-8`, `gb18030`, …; `UTF-8` for XLSX and JSON).
    pub encoding: String,
    /// Field code → the source column that fed it.
    pub mapping: BTreeMap<String, String>,
    /// The quality score and its parts.
    pub quality: Quality,
    /// Change summary against the previous version: `{"added","changed","removed"}`.
    pub diff: serde_json::Value,
    /// Notes about what the load could not check or use as asked: reference rules whose other
    /// resource has no data yet, saved mapping columns missing from the file, keys ignored.
    pub notes: Vec<String>,
    /// Wall-clock time of the load.
    pub elapsed_ms: u64,
}
