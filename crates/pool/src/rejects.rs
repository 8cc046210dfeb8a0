//! 问题数据报告: the rows a load rejected, one line per bad cell, as a CSV a clerk opens in
//! Excel or WPS (UTF-8 with BOM), with personal values masked and formula injection defused.

use crate::Result;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// The header row.
const HEADER: [&str; 5] = ["行号 row", "字段 field", "值 value", "原因 reason", "reason (en)"];

/// Rejected rows being written.
pub struct RejectReport {
    out: csv::Writer<BufWriter<File>>,
}

impl RejectReport {
    /// A new report at `path` (overwritten).
    pub fn create(path: &Path) -> Result<Self> {
        let mut file = BufWriter::new(File::create(path)?);
        file.write_all(b"\xEF\xBB\xBF")?;
        let mut out = csv::Writer::from_writer(file);
        out.write_record(HEADER).map_err(csv_err)?;
        Ok(Self { out })
    }

    /// One bad cell (or a bad row, with `field` empty). `value` is already masked when personal;
    /// `reason` is bilingual `中文 / English`.
    pub fn add(&mut self, row: u64, field: &str, value: &str, reason: &str) -> Result<()> {
        let (zh, en) = reason.split_once(" / ").unwrap_or((reason, reason));
        let row = row.to_string();
        let cells = [row.as_str(), field, value, zh, en].map(neutralise);
        self.out.write_record(&cells).map_err(csv_err)
    }

    /// Flushes the report to disk.
    pub fn finish(mut self) -> Result<()> {
        self.out.flush()?;
        let inner = self
            .out
            .into_inner()
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        inner.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        Ok(())
    }
}

fn csv_err(e: csv::Error) -> crate::Error {
    crate::Error::Io(std::io::Error::other(e.to_string()))
}

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR) gets a leading `'`.
pub fn neutralise(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::neutralise;

    #[test]
    fn cells_a_spreadsheet_would_evaluate_are_quoted() {
        assert_eq!(neutralise("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("张三"), "张三");
    }
}
