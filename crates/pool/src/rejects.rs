//! 问题数据报告: the rows a load rejected, one line per bad cell, as a CSV a clerk opens in
//! Excel or WPS (UTF-8 with BOM) and the same lines as an XLSX workbook, with personal values
//! masked and formula injection defused in both. The workbook is written in constant-memory
//! mode (rows streamed to a temporary file beside it), so a report of a million lines costs no
//! more memory than one of ten.

use crate::Result;
use rust_xlsxwriter::{Workbook, XlsxError};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use tongban_kernel::msg;

/// The header row.
const HEADER: [&str; 5] = ["行号 row", "字段 field", "值 value", "原因 reason", "reason (en)"];

/// Column widths of the workbook, in characters.
const WIDTHS: [f64; 5] = [10.0, 18.0, 28.0, 40.0, 40.0];

/// The last row index a worksheet has (1,048,576 rows).
const SHEET_LAST_ROW: u32 = 1_048_575;

/// The longest text a worksheet cell holds, in characters (Excel's limit is 32,767).
const SHEET_CELL_CHARS: usize = 32_000;

/// Rejected rows being written.
pub struct RejectReport {
    out: csv::Writer<BufWriter<File>>,
    sheet: RejectSheet,
}

impl RejectReport {
    /// A new report at `path` (CSV) and `xlsx_path` (workbook), both overwritten.
    pub fn create(path: &Path, xlsx_path: &Path) -> Result<Self> {
        let mut file = BufWriter::new(File::create(path)?);
        file.write_all(b"\xEF\xBB\xBF")?;
        let mut out = csv::Writer::from_writer(file);
        out.write_record(HEADER).map_err(csv_err)?;
        Ok(Self {
            out,
            sheet: RejectSheet::create(xlsx_path)?,
        })
    }

    /// One bad cell (or a bad row, with `field` empty). `value` is already masked when personal;
    /// `reason` is bilingual `中文 / English`.
    pub fn add(&mut self, row: u64, field: &str, value: &str, reason: &str) -> Result<()> {
        let (zh, en) = reason.split_once(" / ").unwrap_or((reason, reason));
        let row = row.to_string();
        let cells = [row.as_str(), field, value, zh, en].map(neutralise);
        self.out.write_record(&cells).map_err(csv_err)?;
        self.sheet.add(&cells)
    }

    /// Flushes the CSV to disk and saves the workbook.
    pub fn finish(mut self) -> Result<()> {
        self.out.flush()?;
        let inner = self
            .out
            .into_inner()
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        inner.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        self.sheet.finish()
    }
}

/// The workbook form of the report: one worksheet, every cell written as text.
struct RejectSheet {
    workbook: Workbook,
    path: PathBuf,
    /// The next row index to write.
    next: u32,
    /// Whether the sheet was full and the rest of the report left to the CSV.
    full: bool,
}

impl RejectSheet {
    fn create(path: &Path) -> Result<Self> {
        let mut workbook = Workbook::new();
        if let Some(dir) = path.parent() {
            // Keep the streamed rows inside the data directory, beside the report.
            workbook.set_tempdir(dir).map_err(xlsx_err)?;
        }
        let sheet = workbook.add_worksheet_with_constant_memory();
        sheet.set_name("问题数据 rejects").map_err(xlsx_err)?;
        for (col, width) in (0u16..).zip(WIDTHS) {
            sheet.set_column_width(col, width).map_err(xlsx_err)?;
        }
        let mut this = Self {
            workbook,
            path: path.to_owned(),
            next: 0,
            full: false,
        };
        this.write_row(&HEADER.map(str::to_owned))?;
        Ok(this)
    }

    /// Adds one line; past the sheet's last row, one closing line says the CSV has the rest.
    fn add(&mut self, cells: &[String; 5]) -> Result<()> {
        if self.full {
            return Ok(());
        }
        if self.next == SHEET_LAST_ROW {
            self.full = true;
            let note = msg!("sheet-full-csv-report").to_string();
            return self.write_row(&["", "", "", &note, ""].map(str::to_owned));
        }
        self.write_row(cells)
    }

    fn write_row(&mut self, cells: &[String; 5]) -> Result<()> {
        let row = self.next;
        let sheet = self.workbook.worksheet_from_index(0).map_err(xlsx_err)?;
        for (col, text) in (0u16..).zip(cells) {
            sheet.write_string(row, col, sheet_text(text)).map_err(xlsx_err)?;
        }
        self.next += 1;
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        self.workbook.save(&self.path).map_err(xlsx_err)?;
        File::open(&self.path)?.sync_all()?;
        Ok(())
    }
}

/// A cell's text cut to what a worksheet cell holds.
pub(crate) fn sheet_text(text: &str) -> String {
    match text.char_indices().nth(SHEET_CELL_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

fn xlsx_err(e: XlsxError) -> crate::Error {
    crate::Error::Io(std::io::Error::other(
        msg!("writing-xlsx-reject-report", e = e.to_string()).to_string(),
    ))
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
    fn cells_longer_than_a_worksheet_holds_are_cut() {
        assert_eq!(super::sheet_text("短"), "短");
        let long = "长".repeat(super::SHEET_CELL_CHARS + 5);
        assert_eq!(
            super::sheet_text(&long).chars().count(),
            super::SHEET_CELL_CHARS + 1
        );
    }

    #[test]
    fn cells_a_spreadsheet_would_evaluate_are_quoted() {
        assert_eq!(neutralise("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("张三"), "张三");
    }
}
