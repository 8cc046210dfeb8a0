//! XLSX workbooks: the first worksheet, its first row the header. Cells are streamed from the
//! sheet's XML one at a time (only the workbook's shared-string table is held in memory), and
//! typed cells become the text the standardizers read: numbers without a needless `.0`, dates
//! as `YYYY-MM-DD`, date-times as `YYYY-MM-DDTHH:MM:SS`.

use super::{RowSource, SourceRow, SourceSummary, checked_header, number_text};
use crate::model::SourceFormat;
use crate::{Error, Result};
use calamine::{DataRef, ExcelDateTime, Reader, SheetType, Xlsx, XlsxError};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

type Workbook = Xlsx<BufReader<File>>;

/// An open workbook whose header row was read.
pub(crate) struct XlsxRows {
    workbook: Workbook,
    sheet: String,
    header: Vec<String>,
    /// The header's row index (from 0): rows up to it are not data.
    header_row: u32,
}

impl XlsxRows {
    /// Opens the workbook at `path` and reads the first row of its first worksheet.
    pub fn open(path: &Path) -> Result<Self> {
        let mut workbook: Workbook = Xlsx::new(BufReader::new(File::open(path)?)).map_err(unreadable)?;
        let sheet = workbook
            .sheets_metadata()
            .iter()
            .find(|s| s.typ == SheetType::WorkSheet)
            .map(|s| s.name.clone())
            .ok_or_else(|| Error::Unreadable {
                reason: "工作簿中没有工作表 / the workbook has no worksheet".into(),
            })?;
        let (header_row, names) = {
            let mut cells = workbook.worksheet_cells_reader(&sheet).map_err(unreadable)?;
            first_row(&mut || {
                cells
                    .next_cell()
                    .map(|c| c.map(|c| (c.get_position(), header_text(c.get_value()))))
            })?
        };
        Ok(Self {
            header: checked_header(names)?,
            workbook,
            sheet,
            header_row,
        })
    }
}

impl RowSource for XlsxRows {
    fn format(&self) -> SourceFormat {
        SourceFormat::Xlsx
    }

    fn header(&self) -> &[String] {
        &self.header
    }

    fn read_rows(
        mut self: Box<Self>,
        each: &mut dyn FnMut(&SourceRow) -> Result<()>,
    ) -> Result<SourceSummary> {
        let width = self.header.len();
        let header_row = self.header_row;
        let mut cells = self
            .workbook
            .worksheet_cells_reader(&self.sheet)
            .map_err(unreadable)?;
        let mut row = SourceRow::default();
        let mut current: Option<u32> = None;
        while let Some(cell) = cells.next_cell().map_err(unreadable)? {
            let (r, c) = cell.get_position();
            if r <= header_row {
                continue;
            }
            if current != Some(r) {
                if current.is_some() && !row.is_blank() {
                    each(&row)?;
                }
                // Spreadsheet rows are numbered from 1.
                row.reset(u64::from(r) + 1, width);
                current = Some(r);
            }
            put(&mut row, c as usize, cell.get_value());
        }
        if current.is_some() && !row.is_blank() {
            each(&row)?;
        }
        Ok(SourceSummary {
            encoding: "UTF-8".to_owned(),
            notes: Vec::new(),
        })
    }
}

/// A cell's position and header text, or the end of the sheet.
type HeaderCell = Option<((u32, u32), String)>;

/// The row index and cell texts of the first row that has a cell, trailing blanks dropped.
fn first_row(next: &mut dyn FnMut() -> Result<HeaderCell, XlsxError>) -> Result<(u32, Vec<String>)> {
    let mut row: Option<u32> = None;
    let mut names: Vec<String> = Vec::new();
    while let Some(((r, c), text)) = next().map_err(unreadable)? {
        match row {
            Some(first) if r != first => break,
            _ => row = Some(r),
        }
        let c = c as usize;
        if names.len() <= c {
            names.resize(c + 1, String::new());
        }
        names[c] = text;
    }
    while names.last().is_some_and(|n| n.trim().is_empty()) {
        names.pop();
    }
    Ok((row.unwrap_or(0), names))
}

/// Puts one cell's value into `row`: its text, a bad cell for an error value, or a row problem
/// when it has a value outside the header's columns.
fn put(row: &mut SourceRow, column: usize, value: &DataRef<'_>) {
    let text = match cell_text(value) {
        Ok(text) => text,
        Err(reason) => {
            if column < row.cells.len() {
                row.bad_cells.push((column, reason));
            }
            return;
        }
    };
    match row.cells.get_mut(column) {
        Some(cell) => *cell = text,
        None if text.trim().is_empty() => {}
        None => {
            row.problem.get_or_insert_with(|| {
                format!(
                    "第{}列有值但没有表头 / column {} has a value but no header",
                    column + 1,
                    column + 1
                )
            });
        }
    }
}

/// A header cell's text (an error value is kept as its code, e.g. `#N/A`).
fn header_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Error(e) => e.to_string(),
        other => cell_text(other).unwrap_or_default(),
    }
}

/// A cell's value as text, or the bilingual reason it has none (an error value like `#DIV/0!`).
fn cell_text(value: &DataRef<'_>) -> Result<String, String> {
    Ok(match value {
        DataRef::Empty => String::new(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number_text(*f),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(dt) => date_text(dt),
        DataRef::Error(e) => {
            return Err(format!("单元格为错误值 {e} / the cell holds the error value {e}"));
        }
    })
}

/// An Excel date or time as the date standardizers read it: `YYYY-MM-DD` at midnight,
/// `YYYY-MM-DDTHH:MM:SS[.mmm]` otherwise, `HH:MM:SS` for a time of day without a date, and
/// `H:MM:SS` for a duration.
fn date_text(dt: &ExcelDateTime) -> String {
    if dt.is_duration() {
        let seconds = (dt.as_f64() * 86_400.0).round() as i64;
        let sign = if seconds < 0 { "-" } else { "" };
        let s = seconds.abs();
        return format!("{sign}{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
    }
    let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
    let time = if ms == 0 {
        format!("{h:02}:{mi:02}:{s:02}")
    } else {
        format!("{h:02}:{mi:02}:{s:02}.{ms:03}")
    };
    let value = dt.as_f64();
    if (0.0..1.0).contains(&value) && value != 0.0 {
        time
    } else if (h, mi, s, ms) == (0, 0, 0, 0) {
        format!("{y:04}-{mo:02}-{d:02}")
    } else {
        format!("{y:04}-{mo:02}-{d:02}T{time}")
    }
}

/// A workbook that cannot be read is unreadable, with calamine's reason; a failing disk is I/O.
fn unreadable(e: XlsxError) -> Error {
    match e {
        XlsxError::Io(io) => Error::Io(io),
        other => Error::Unreadable {
            reason: format!("不是有效的 XLSX 工作簿 / not a valid XLSX workbook: {other}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{CellErrorType, ExcelDateTimeType};

    fn date(value: f64) -> String {
        date_text(&ExcelDateTime::new(value, ExcelDateTimeType::DateTime, false))
    }

    #[test]
    fn excel_dates_become_text_the_date_standardizer_reads() {
        // 2026-01-02 is serial 46024 in the 1900 date system.
        assert_eq!(date(46024.0), "2026-01-02");
        assert_eq!(date(46024.5), "2026-01-02T12:00:00");
        assert_eq!(date(0.25), "06:00:00");
        let in_1904 = ExcelDateTime::new(46024.0 - 1462.0, ExcelDateTimeType::DateTime, true);
        assert_eq!(date_text(&in_1904), "2026-01-02");
        let duration = ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false);
        assert_eq!(date_text(&duration), "36:00:00");
    }

    #[test]
    fn numbers_and_error_values_are_read_as_a_clerk_sees_them() {
        assert_eq!(cell_text(&DataRef::Float(30.0)).as_deref(), Ok("30"));
        assert_eq!(cell_text(&DataRef::Float(1234.5)).as_deref(), Ok("1234.5"));
        assert_eq!(cell_text(&DataRef::Int(7)).as_deref(), Ok("7"));
        assert_eq!(
            cell_text(&DataRef::SharedString("西湖区")).as_deref(),
            Ok("西湖区")
        );
        let err = cell_text(&DataRef::Error(CellErrorType::Div0)).unwrap_err();
        assert!(err.contains("#DIV/0!") && err.contains(" / "), "{err}");
    }

    #[test]
    fn a_value_beyond_the_header_rejects_the_row_but_a_blank_one_does_not() {
        let mut row = SourceRow::default();
        row.reset(2, 2);
        put(&mut row, 0, &DataRef::SharedString("a"));
        put(&mut row, 5, &DataRef::Empty);
        assert!(row.problem.is_none());
        put(&mut row, 5, &DataRef::Int(1));
        assert!(row.problem.as_deref().is_some_and(|p| p.contains("column 6")));
        put(&mut row, 1, &DataRef::Error(CellErrorType::NA));
        assert_eq!(row.bad_cells.len(), 1);
    }

    #[test]
    fn the_header_is_the_first_row_without_trailing_blanks() {
        let cells = vec![
            ((1, 0), "姓名".to_owned()),
            ((1, 2), "年龄".to_owned()),
            ((1, 3), String::new()),
            ((2, 0), "张三".to_owned()),
        ];
        let mut it = cells.into_iter();
        let (row, names) = first_row(&mut || Ok(it.next())).unwrap();
        assert_eq!(row, 1);
        assert_eq!(names, ["姓名", "", "年龄"]);
    }
}
