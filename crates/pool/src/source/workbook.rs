//! XLSX workbooks: the first worksheet, its first row the header. Cells are streamed from the
//! sheet's XML one at a time (only the workbook's shared-string table is held in memory), and
//! typed cells become the text the standardizers read: numbers without a needless `.0`, dates
//! as `YYYY-MM-DD`, date-times as `YYYY-MM-DDTHH:MM:SS`.
//!
//! A workbook is a zip archive, and a few kilobytes can claim a cell at column 30,000,000 or
//! unpack to gigabytes: before calamine opens it, every part is unpacked once and counted (at
//! most [`MAX_UNPACKED_BYTES`] in all, [`MAX_PARTS`] parts), and cells beyond Excel's own
//! limits ([`MAX_COLUMNS`] columns, [`MAX_ROWS`] rows) make the file unreadable.

use super::{RowSource, SourceRow, SourceSummary, checked_header, number_text};
use crate::model::SourceFormat;
use crate::{Error, Result};
use calamine::{DataRef, ExcelDateTime, Reader, SheetType, Xlsx, XlsxError};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use tongban_kernel::msg;

type Workbook = Xlsx<BufReader<File>>;

/// The most a workbook may unpack to, all its parts together.
pub const MAX_UNPACKED_BYTES: u64 = 2 << 30;
/// The most parts (files inside the archive) a workbook may have.
pub const MAX_PARTS: usize = 10_000;
/// Excel's column limit (XFD).
pub const MAX_COLUMNS: u32 = 16_384;
/// Excel's row limit.
pub const MAX_ROWS: u32 = 1_048_576;

/// Unpacks every part of the workbook at `path` into nothing, counting: refused when the parts
/// are too many or unpack to more than [`MAX_UNPACKED_BYTES`] (whatever their headers claim).
fn check_unpacked(path: &Path) -> Result<()> {
    let mut archive =
        zip::ZipArchive::new(BufReader::new(File::open(path)?)).map_err(|e| Error::Unreadable {
            reason: msg!("not-valid-xlsx-workbook", e = e.to_string()),
        })?;
    if archive.len() > MAX_PARTS {
        return Err(Error::Unreadable {
            reason: msg!("workbook-has-more-than", max_parts = MAX_PARTS),
        });
    }
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let mut part = archive.by_index(i).map_err(|e| Error::Unreadable {
            reason: msg!("workbook-damaged-e", e = e.to_string()),
        })?;
        let room = MAX_UNPACKED_BYTES - total;
        let n = std::io::copy(
            &mut std::io::Read::take(&mut part, room + 1),
            &mut std::io::sink(),
        )?;
        total += n;
        if total > MAX_UNPACKED_BYTES {
            return Err(Error::Unreadable {
                reason: msg!(
                    "workbook-unpacks-more-than",
                    max_unpacked_bytes = MAX_UNPACKED_BYTES >> 20
                ),
            });
        }
    }
    Ok(())
}

/// A cell beyond Excel's limits: the file is not a workbook Excel could have written.
fn beyond_limits(row: u32, column: u32) -> Option<Error> {
    (column >= MAX_COLUMNS || row >= MAX_ROWS).then(|| Error::Unreadable {
        reason: msg!(
            "cell-row-row-column",
            row = u64::from(row) + 1,
            column = u64::from(column) + 1,
            max_columns = MAX_COLUMNS,
            max_rows = MAX_ROWS
        ),
    })
}

/// An open workbook whose header row was read.
pub(crate) struct XlsxRows {
    workbook: Workbook,
    sheet: String,
    header: Vec<String>,
    /// The header's row index (from 0): rows up to it are not data.
    header_row: u32,
}

/// Runs a call into the workbook reader, turning a panic into a refusal. The reader has panicked
/// on damaged workbooks (an index out of bounds in its cell reader, found by this crate's fuzz
/// test): a damaged upload must be refused, never take the load down with it.
fn guarded<T>(call: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)).unwrap_or_else(|_| {
        Err(Error::Unreadable {
            reason: msg!("workbook-damaged-cannot-read").to_string().into(),
        })
    })
}

impl XlsxRows {
    /// Opens the workbook at `path` and reads the first row of its first worksheet.
    pub fn open(path: &Path) -> Result<Self> {
        check_unpacked(path)?;
        guarded(|| Self::open_unguarded(path))
    }

    fn open_unguarded(path: &Path) -> Result<Self> {
        let mut workbook: Workbook = Xlsx::new(BufReader::new(File::open(path)?)).map_err(unreadable)?;
        let sheet = workbook
            .sheets_metadata()
            .iter()
            .find(|s| s.typ == SheetType::WorkSheet)
            .map(|s| s.name.clone())
            .ok_or_else(|| Error::Unreadable {
                reason: msg!("workbook-has-no-worksheet").to_string().into(),
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

    fn read_rows(self: Box<Self>, each: &mut dyn FnMut(&SourceRow) -> Result<()>) -> Result<SourceSummary> {
        guarded(|| self.read_unguarded(each))
    }
}

impl XlsxRows {
    fn read_unguarded(
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
            if let Some(e) = beyond_limits(r, c) {
                return Err(e);
            }
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
        if let Some(e) = beyond_limits(r, c) {
            return Err(e);
        }
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
            row.problem
                .get_or_insert_with(|| msg!("column-column-has-value", column = column + 1).to_string());
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
            return Err(msg!("cell-holds-error-value", e = e.to_string()).to_string());
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
            reason: msg!("not-valid-xlsx-workbook-2", other = other.to_string()),
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

    /// Column letters of the 0-based column `n` (`A`, …, `Z`, `AA`, …).
    fn letters(mut n: u64) -> String {
        let mut out = Vec::new();
        loop {
            out.push(b'A' + (n % 26) as u8);
            if n < 26 {
                break;
            }
            n = n / 26 - 1;
        }
        out.reverse();
        String::from_utf8(out).unwrap()
    }

    /// A minimal workbook whose one sheet holds `cells` (reference, text).
    fn workbook(cells: &[(&str, &str)]) -> tempfile::NamedTempFile {
        use std::io::Write as _;
        let file = tempfile::Builder::new().suffix(".xlsx").tempfile().unwrap();
        let mut zip = zip::ZipWriter::new(File::create(file.path()).unwrap());
        let put = |zip: &mut zip::ZipWriter<File>, name: &str, body: &str| {
            zip.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(body.as_bytes()).unwrap();
        };
        put(
            &mut zip,
            "[Content_Types].xml",
            r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
        );
        put(
            &mut zip,
            "_rels/.rels",
            r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        );
        put(
            &mut zip,
            "xl/workbook.xml",
            r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        );
        put(
            &mut zip,
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        );
        let mut rows: std::collections::BTreeMap<u64, String> = std::collections::BTreeMap::new();
        for (at, text) in cells {
            let row: u64 = at
                .trim_start_matches(|c: char| c.is_ascii_uppercase())
                .parse()
                .unwrap();
            rows.entry(row).or_default().push_str(&format!(
                r#"<c r="{at}" t="inlineStr"><is><t>{text}</t></is></c>"#
            ));
        }
        let data: String = rows
            .iter()
            .map(|(r, cs)| format!(r#"<row r="{r}">{cs}</row>"#))
            .collect();
        put(
            &mut zip,
            "xl/worksheets/sheet1.xml",
            &format!(
                r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{data}</sheetData></worksheet>"#
            ),
        );
        zip.finish().unwrap();
        file
    }

    fn read_all(path: &Path) -> Result<Vec<Vec<String>>> {
        let rows = XlsxRows::open(path)?;
        let mut out = vec![rows.header().to_vec()];
        Box::new(rows).read_rows(&mut |r| {
            out.push(r.cells.clone());
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn a_cell_beyond_excels_limits_makes_the_workbook_unreadable_without_allocating_for_it() {
        let ok = workbook(&[("A1", "id"), ("B1", "name"), ("A2", "1"), ("B2", "张三")]);
        assert_eq!(
            read_all(ok.path()).unwrap(),
            vec![vec!["id", "name"], vec!["1", "张三"]]
        );
        // The reviewed file: a header cell at column 30,000,000 (once 6 GB).
        let far = format!("{}1", letters(30_000_000));
        let wide = workbook(&[("A1", "id"), (&far, "x")]);
        let Err(Error::Unreadable { reason }) = read_all(wide.path()) else {
            panic!("a header beyond column 16384 is refused");
        };
        assert!(
            reason.to_string().contains("16384") && reason.to_string().contains("30000001"),
            "{reason}"
        );
        let far_data = format!("{}2", letters(20_000));
        let wide_data = workbook(&[("A1", "id"), ("A2", "1"), (&far_data, "x")]);
        assert!(matches!(
            read_all(wide_data.path()),
            Err(Error::Unreadable { .. })
        ));
        let deep = workbook(&[("A1", "id"), ("A2000000", "1")]);
        let Err(Error::Unreadable { reason }) = read_all(deep.path()) else {
            panic!("a row beyond 1048576 is refused");
        };
        assert!(reason.to_string().contains("1048576"), "{reason}");
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
