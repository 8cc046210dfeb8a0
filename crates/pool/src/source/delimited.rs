//! CSV files as departments export them: UTF-8 (with or without BOM), GBK/GB18030 or UTF-16,
//! detected from the bytes and decoded while streaming; the first record is the header.

use super::{RowSource, SourceRow, SourceSummary, checked_header};
use crate::Result;
use crate::model::SourceFormat;
use std::fs::File;
use std::path::Path;
use tongban_kernel::msg;
use tongban_text::DecodingReader;

/// An open CSV file, its header read.
pub(crate) struct CsvRows {
    reader: ::csv::Reader<DecodingReader<File>>,
    header: Vec<String>,
}

impl CsvRows {
    /// Opens `path`, detects its encoding and reads the header record.
    pub fn open(path: &Path) -> Result<Self> {
        let decoded = DecodingReader::new(File::open(path)?)?;
        let mut reader = ::csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(decoded);
        let header = checked_header(reader.headers()?.iter().map(str::to_owned))?;
        Ok(Self { reader, header })
    }
}

impl RowSource for CsvRows {
    fn format(&self) -> SourceFormat {
        SourceFormat::Csv
    }

    fn header(&self) -> &[String] {
        &self.header
    }

    fn read_rows(
        mut self: Box<Self>,
        each: &mut dyn FnMut(&SourceRow) -> Result<()>,
    ) -> Result<SourceSummary> {
        let width = self.header.len();
        let mut record = ::csv::StringRecord::new();
        let mut row = SourceRow::default();
        let mut count = 0u64;
        while self.reader.read_record(&mut record)? {
            count += 1;
            // The line the record starts on; the header is line 1, as a spreadsheet numbers it.
            let number = record.position().map_or(count + 1, |p| p.line());
            row.reset(number, width);
            if record.len() == width {
                for (cell, value) in row.cells.iter_mut().zip(record.iter()) {
                    cell.push_str(value);
                }
            } else {
                row.problem = Some(column_count_mismatch(width, record.len()));
            }
            each(&row)?;
        }
        Ok(SourceSummary {
            encoding: self.reader.get_ref().encoding().name().to_owned(),
            notes: Vec::new(),
        })
    }
}

/// The reason a record with the wrong number of columns is rejected.
fn column_count_mismatch(expected: usize, found: usize) -> String {
    msg!(
        "column-count-mismatch-expected",
        expected = expected,
        found = found
    )
    .to_string()
}
