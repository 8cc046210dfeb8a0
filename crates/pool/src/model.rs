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

/// Choices for one load.
#[derive(Clone, Default)]
pub struct IngestOptions {
    /// Field code ← source column header. Empty: the columns are matched by name (exact field
    /// code or Chinese name first, then by similarity).
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
    /// The encoding the file was read in (`UTF-8`, `gb18030`, …).
    pub encoding: String,
    /// Field code → the source column that fed it.
    pub mapping: BTreeMap<String, String>,
    /// The quality score and its parts.
    pub quality: Quality,
    /// Change summary against the previous version: `{"added","changed","removed"}`.
    pub diff: serde_json::Value,
    /// Notes about rules not checked (关联 reference rules, which need the other resource).
    pub notes: Vec<String>,
    /// Wall-clock time of the load.
    pub elapsed_ms: u64,
}
