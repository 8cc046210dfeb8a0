//! 数据来源: what a load reads rows from — a CSV, XLSX or JSON Lines file, or a batch of JSON
//! objects pushed by a department system — behind one [`RowSource`], so governance and writing
//! never know which. A source yields a header (the source's column names) and then rows of text
//! cells, each with the number a clerk finds it by (the line, the spreadsheet row, the record's
//! position); it holds one row in memory at a time (besides the pushed batch it was given, and a
//! workbook's shared-string table).

use tongban_kernel::msg;

mod delimited;
mod json;
mod workbook;

use crate::model::SourceFormat;
use crate::{Error, Result};
use serde_json::{Map, Value};
use std::io::Read;
use std::path::{Path, PathBuf};

/// How many bytes of a file [`detect`] looks at.
const SNIFF_LEN: u64 = 64 * 1024;

/// The start of a zip archive, which an XLSX workbook is.
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

/// The start of an OLE2 compound file: a legacy `.xls` workbook (or `.doc`).
const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// One data row as read, before any governance.
#[derive(Debug, Default, Clone)]
pub(crate) struct SourceRow {
    /// Where a clerk finds the row: the line of a CSV or JSON Lines file, the row of a
    /// worksheet, the position (from 1) of a pushed record.
    pub number: u64,
    /// The cells, one per header column (missing ones empty).
    pub cells: Vec<String>,
    /// Columns whose cell could not be read as text (a worksheet error value, a nested JSON
    /// value), with the bilingual reason: a rejected cell when the column feeds a field.
    pub bad_cells: Vec<(usize, String)>,
    /// Why the whole row cannot be used (wrong column count, not a JSON object): a rejected row.
    pub problem: Option<String>,
}

impl SourceRow {
    /// Empties the row for the next one, keeping `width` cells and their allocations.
    fn reset(&mut self, number: u64, width: usize) {
        self.number = number;
        self.cells.resize_with(width, String::new);
        self.cells.iter_mut().for_each(String::clear);
        self.bad_cells.clear();
        self.problem = None;
    }

    /// Whether every cell is blank (a spreadsheet's empty row).
    fn is_blank(&self) -> bool {
        self.problem.is_none() && self.bad_cells.is_empty() && self.cells.iter().all(|c| c.trim().is_empty())
    }
}

/// What a source says once every row was read.
#[derive(Debug, Clone)]
pub(crate) struct SourceSummary {
    /// The text encoding (`UTF-8`, `gb18030`, …).
    pub encoding: String,
    /// Anything the reader set aside that the report should mention.
    pub notes: Vec<String>,
}

/// An opened source: its header is known, its rows not yet read.
pub(crate) trait RowSource: Send {
    /// What is being read.
    fn format(&self) -> SourceFormat;

    /// The source's column names, trimmed, at least one of them non-empty.
    fn header(&self) -> &[String];

    /// Reads every data row in order, calling `each` with it (the row is reused between calls).
    /// Governance stops the read only by returning an error.
    fn read_rows(self: Box<Self>, each: &mut dyn FnMut(&SourceRow) -> Result<()>) -> Result<SourceSummary>;
}

/// Where a load's rows come from.
pub(crate) enum Source {
    /// A file, in `format` or in the format [`detect`] finds.
    File {
        /// The file.
        path: PathBuf,
        /// The caller's format, or `None` to detect it.
        format: Option<SourceFormat>,
    },
    /// A pushed batch of JSON objects.
    Records(Vec<Map<String, Value>>),
}

impl Source {
    /// Opens the source and reads its header. A file with nothing to read (empty, no header,
    /// binary, not a workbook) is [`Error::Unreadable`].
    pub fn open(self) -> Result<Box<dyn RowSource>> {
        match self {
            Source::File { path, format } => {
                let format = match format {
                    Some(f) => f,
                    None => detect(&path)?,
                };
                match format {
                    SourceFormat::Csv => Ok(Box::new(delimited::CsvRows::open(&path)?)),
                    SourceFormat::Xlsx => Ok(Box::new(workbook::XlsxRows::open(&path)?)),
                    SourceFormat::JsonLines | SourceFormat::Records => {
                        Ok(Box::new(json::JsonLinesRows::open(&path)?))
                    }
                }
            }
            Source::Records(records) => Ok(Box::new(json::RecordRows::new(records)?)),
        }
    }
}

/// The format of the file at `path`, by its content first: a zip archive is an XLSX workbook,
/// text whose first non-blank character is `{` is JSON Lines, anything else is CSV. The file's
/// extension only decides what the content leaves open: a `.jsonl` file whose first line is
/// broken is still read as JSON Lines (that line rejected), a `.xlsx` file that is not a zip is
/// refused as a workbook rather than read as text.
pub(crate) fn detect(path: &Path) -> Result<SourceFormat> {
    let mut head = Vec::with_capacity(4096);
    std::fs::File::open(path)?
        .take(SNIFF_LEN)
        .read_to_end(&mut head)?;
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    format_of(&head, &extension)
}

/// [`detect`] on the first bytes of a file and its lower-case extension.
fn format_of(head: &[u8], extension: &str) -> Result<SourceFormat> {
    if head.starts_with(ZIP_MAGIC) {
        return Ok(SourceFormat::Xlsx);
    }
    if head.starts_with(OLE_MAGIC) {
        return Err(Error::Unreadable {
            reason: msg!("legacy-xls-not-supported"),
        });
    }
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = body.iter().copied().find(|b| !b.is_ascii_whitespace());
    let json_named = matches!(extension, "jsonl" | "ndjson" | "json");
    match first {
        Some(b'{') => Ok(SourceFormat::JsonLines),
        Some(b'[') if json_named => Err(Error::Unreadable {
            reason: msg!("json-array-not-lines"),
        }),
        Some(_) if json_named => Ok(SourceFormat::JsonLines),
        _ if matches!(extension, "xlsx" | "xlsm") && !head.is_empty() => Ok(SourceFormat::Xlsx),
        _ => Ok(SourceFormat::Csv),
    }
}

/// Trims header names and refuses a header with no name at all.
fn checked_header(names: impl IntoIterator<Item = String>) -> Result<Vec<String>> {
    let header: Vec<String> = names.into_iter().map(|h| h.trim().to_owned()).collect();
    if header.iter().all(String::is_empty) {
        return Err(Error::Unreadable {
            reason: msg!("file-empty-has-no").to_string().into(),
        });
    }
    Ok(header)
}

/// A number as a standardizer reads it: whole numbers without a fraction (`30`, not `30.0`), so
/// an integer field takes what a spreadsheet or JSON stored as a float.
pub(crate) fn number_text(n: f64) -> String {
    // Below 2^53 every whole f64 is an exact integer.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if n.fract() == 0.0 && n.abs() < EXACT {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_the_format_before_the_extension() {
        assert_eq!(format_of(b"PK\x03\x04rest", "csv").ok(), Some(SourceFormat::Xlsx));
        assert_eq!(
            format_of(b"\n  {\"a\":1}\n", "csv").ok(),
            Some(SourceFormat::JsonLines)
        );
        assert_eq!(
            format_of(b"\xEF\xBB\xBF{\"a\":1}", "").ok(),
            Some(SourceFormat::JsonLines)
        );
        assert_eq!(
            format_of("姓名,年龄\n".as_bytes(), "jsonl").ok(),
            Some(SourceFormat::JsonLines)
        );
        assert_eq!(
            format_of("姓名,年龄\n".as_bytes(), "txt").ok(),
            Some(SourceFormat::Csv)
        );
        assert_eq!(format_of(b"", "jsonl").ok(), Some(SourceFormat::Csv));
        assert_eq!(format_of(b"name\n", "xlsx").ok(), Some(SourceFormat::Xlsx));
    }

    #[test]
    fn a_json_array_and_a_legacy_workbook_are_refused_with_a_reason() {
        for (head, ext) in [(&b"[{\"a\":1}]"[..], "json"), (OLE_MAGIC, "xls")] {
            match format_of(head, ext) {
                Err(Error::Unreadable { reason }) => assert!(reason.to_string().contains(" / "), "{reason}"),
                other => panic!("{other:?}"),
            }
        }
    }

    /// A small workbook, as a department would send one.
    fn workbook() -> Vec<u8> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in ["姓名", "年龄", "日期"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_string(1, 0, "张三").unwrap();
        ws.write_number(1, 1, 30.0).unwrap();
        ws.write_string(1, 2, "2026-01-02").unwrap();
        wb.save_to_buffer().unwrap()
    }

    #[test]
    fn no_file_makes_a_reader_panic() {
        let dir = tempfile::tempdir().unwrap();
        let corpus = vec![
            "姓名,年龄,地址\n张三,30,\"示范路1号,2单元\"\n李四,,\n"
                .as_bytes()
                .to_vec(),
            // GBK: 姓名,年龄 / 王五,41
            b"\xd0\xd5\xc3\xfb,\xc4\xea\xc1\xe4\r\n\xcd\xf5\xce\xe5,41\r\n".to_vec(),
            b"\xef\xbb\xbfname;age\nA;1\n".to_vec(),
            "{\"姓名\":\"张三\",\"年龄\":30}\n{\"姓名\":\"李四\",\"年龄\":null}\n"
                .as_bytes()
                .to_vec(),
            workbook(),
        ];
        let runs = tongban_kernel::fuzz::run("pool sources", &corpus, |bytes| {
            for ext in ["csv", "jsonl", "xlsx"] {
                let path = dir.path().join(format!("in.{ext}"));
                std::fs::write(&path, bytes).unwrap();
                // Refused or read: both fine. Only a panic fails.
                if let Ok(rows) = (Source::File { path, format: None }).open() {
                    let _ = rows.read_rows(&mut |_| Ok(()));
                }
            }
        });
        assert!(runs > 10, "{runs}");
    }

    #[test]
    fn whole_floats_read_as_integers() {
        assert_eq!(number_text(30.0), "30");
        assert_eq!(number_text(-2.0), "-2");
        assert_eq!(number_text(12.5), "12.5");
        assert_eq!(number_text(1e300), 1e300f64.to_string());
    }

    #[test]
    fn a_reset_row_keeps_its_width_and_forgets_its_values() {
        let mut row = SourceRow {
            cells: vec!["a".into(), "b".into(), "c".into()],
            problem: Some("x".into()),
            ..Default::default()
        };
        row.reset(7, 2);
        assert_eq!((row.number, row.cells.len(), row.problem.clone()), (7, 2, None));
        assert!(row.is_blank());
    }
}
