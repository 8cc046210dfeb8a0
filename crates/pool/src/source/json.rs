//! JSON rows: a JSON Lines file (one object per line) and a batch of objects pushed by a
//! department system. An object's keys are the source columns; a line that is not an object
//! is a rejected row, never a failed load.

use super::{RowSource, SourceRow, SourceSummary, checked_header, number_text};
use crate::model::SourceFormat;
use crate::{Error, Result};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use tongban_kernel::{Msg, msg};
use tongban_text::DecodingReader;

/// How many object lines of a JSON Lines file name its columns (the union of their keys, in
/// the order first seen). Keys that first appear later are ignored and counted in a note.
pub(crate) const HEADER_LINES: usize = 1000;

/// The longest line read; a longer one is rejected without being held in memory.
pub(crate) const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// An open JSON Lines file whose columns were read from its first lines.
pub(crate) struct JsonLinesRows {
    path: PathBuf,
    header: Vec<String>,
}

impl JsonLinesRows {
    /// Opens `path` and reads the column names from its first [`HEADER_LINES`] objects.
    pub fn open(path: &Path) -> Result<Self> {
        let mut lines = Lines::open(path)?;
        let mut columns = Columns::default();
        let mut objects = 0;
        while objects < HEADER_LINES {
            match lines.next_line()? {
                None => break,
                Some(Line::Text(text)) => {
                    if let Ok(Value::Object(o)) = serde_json::from_str::<Value>(&text) {
                        columns.add(&o);
                        objects += 1;
                    }
                }
                Some(Line::TooLong) => {}
            }
        }
        if objects == 0 && lines.seen_any {
            return Err(Error::Unreadable {
                reason: msg!("no-json-object-first", header_lines = HEADER_LINES),
            });
        }
        Ok(Self {
            path: path.to_owned(),
            header: checked_header(columns.names)?,
        })
    }
}

impl RowSource for JsonLinesRows {
    fn format(&self) -> SourceFormat {
        SourceFormat::JsonLines
    }

    fn header(&self) -> &[String] {
        &self.header
    }

    fn read_rows(self: Box<Self>, each: &mut dyn FnMut(&SourceRow) -> Result<()>) -> Result<SourceSummary> {
        let mut lines = Lines::open(&self.path)?;
        let index = ColumnIndex::new(&self.header);
        let mut row = SourceRow::default();
        let mut unknown_keys = 0u64;
        while let Some(line) = lines.next_line()? {
            row.reset(lines.number, self.header.len());
            match line {
                Line::TooLong => {
                    row.problem =
                        Some(msg!("line-too-long-over", max_line_bytes = MAX_LINE_BYTES >> 20).to_string());
                }
                Line::Text(text) => match serde_json::from_str::<Value>(&text) {
                    Ok(Value::Object(o)) => {
                        if index.fill(&o, &mut row) {
                            unknown_keys += 1;
                        }
                    }
                    Ok(_) => row.problem = Some(not_an_object()),
                    Err(e) => row.problem = Some(msg!("not-valid-json-e", e = e.to_string()).to_string()),
                },
            }
            each(&row)?;
        }
        let mut notes = Vec::new();
        if unknown_keys > 0 {
            notes.push(unknown_keys_note(unknown_keys));
        }
        Ok(SourceSummary {
            encoding: lines.encoding(),
            notes,
        })
    }
}

/// A pushed batch of objects; its columns are the union of all the objects' keys.
pub(crate) struct RecordRows {
    records: Vec<Map<String, Value>>,
    header: Vec<String>,
}

impl RecordRows {
    /// The batch as rows; a batch without any key has nothing to load.
    pub fn new(records: Vec<Map<String, Value>>) -> Result<Self> {
        let mut columns = Columns::default();
        for r in &records {
            columns.add(r);
        }
        let header = checked_header(columns.names).map_err(|_| Error::Unreadable {
            reason: msg!("batch-holds-no-fields").to_string().into(),
        })?;
        Ok(Self { records, header })
    }
}

impl RowSource for RecordRows {
    fn format(&self) -> SourceFormat {
        SourceFormat::Records
    }

    fn header(&self) -> &[String] {
        &self.header
    }

    fn read_rows(self: Box<Self>, each: &mut dyn FnMut(&SourceRow) -> Result<()>) -> Result<SourceSummary> {
        let index = ColumnIndex::new(&self.header);
        let mut row = SourceRow::default();
        for (i, record) in self.records.iter().enumerate() {
            row.reset(i as u64 + 1, self.header.len());
            index.fill(record, &mut row);
            each(&row)?;
        }
        Ok(SourceSummary {
            encoding: "UTF-8".to_owned(),
            notes: Vec::new(),
        })
    }
}

fn not_an_object() -> String {
    msg!("not-json-object-each").to_string()
}

fn unknown_keys_note(lines: u64) -> String {
    msg!("unknown-keys-ignored", lines = lines, first = HEADER_LINES).to_string()
}

/// Column names collected from objects (trimmed), in the order first seen.
#[derive(Default)]
struct Columns {
    names: Vec<String>,
    seen: HashSet<String>,
}

impl Columns {
    fn add(&mut self, object: &Map<String, Value>) {
        for key in object.keys() {
            let key = key.trim();
            if !self.seen.contains(key) {
                self.seen.insert(key.to_owned());
                self.names.push(key.to_owned());
            }
        }
    }
}

/// Finds a key's column.
struct ColumnIndex {
    columns: HashMap<String, usize>,
}

impl ColumnIndex {
    fn new(header: &[String]) -> Self {
        let mut columns = HashMap::with_capacity(header.len());
        for (c, name) in header.iter().enumerate() {
            columns.entry(name.clone()).or_insert(c);
        }
        Self { columns }
    }

    /// Puts `object`'s values into `row`'s cells. Returns whether it had keys outside the header.
    fn fill(&self, object: &Map<String, Value>, row: &mut SourceRow) -> bool {
        let mut unknown = false;
        for (key, value) in object {
            let Some(&c) = self.columns.get(key.trim()) else {
                unknown = true;
                continue;
            };
            match cell_text(value) {
                Ok(text) => {
                    if let Some(cell) = row.cells.get_mut(c) {
                        cell.clear();
                        cell.push_str(&text);
                    }
                }
                Err(reason) => row.bad_cells.push((c, reason.to_owned().to_string())),
            }
        }
        unknown
    }
}

/// A JSON value as the text of a cell: strings as they are, numbers as a standardizer reads
/// them, booleans as `true`/`false`, null as empty. An object or array is not one value.
fn cell_text(value: &Value) -> Result<std::borrow::Cow<'_, str>, Msg> {
    use std::borrow::Cow;
    Ok(match value {
        Value::Null => Cow::Borrowed(""),
        Value::String(s) => Cow::Borrowed(s),
        Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        Value::Number(n) if n.is_f64() => Cow::Owned(n.as_f64().map(number_text).unwrap_or_default()),
        Value::Number(n) => Cow::Owned(n.to_string()),
        Value::Array(_) | Value::Object(_) => {
            return Err(msg!("single-value-not-object"));
        }
    })
}

/// A line of a JSON Lines file.
enum Line {
    Text(String),
    /// Longer than [`MAX_LINE_BYTES`]; skipped to its end.
    TooLong,
}

/// The non-blank lines of a text file, decoded, each at most [`MAX_LINE_BYTES`] long.
struct Lines {
    reader: DecodingReader<File>,
    /// The number of the line last returned (from 1).
    number: u64,
    /// Whether any non-blank line was read.
    seen_any: bool,
    buf: Vec<u8>,
}

impl Lines {
    fn open(path: &Path) -> Result<Self> {
        Ok(Self {
            reader: DecodingReader::new(File::open(path)?)?,
            number: 0,
            seen_any: false,
            buf: Vec::new(),
        })
    }

    fn encoding(&self) -> String {
        self.reader.encoding().name().to_owned()
    }

    /// The next non-blank line, or `None` at the end of the file.
    fn next_line(&mut self) -> Result<Option<Line>> {
        loop {
            self.buf.clear();
            let (read, complete) = read_line_bounded(&mut self.reader, &mut self.buf, MAX_LINE_BYTES)?;
            if read == 0 {
                return Ok(None);
            }
            self.number += 1;
            if !complete {
                self.seen_any = true;
                return Ok(Some(Line::TooLong));
            }
            // The decoder produced UTF-8, so this only fails on a line cut inside a character.
            let text = String::from_utf8_lossy(&self.buf);
            if text.trim().is_empty() {
                continue;
            }
            self.seen_any = true;
            return Ok(Some(Line::Text(text.into_owned())));
        }
    }
}

/// Reads one line (without its end) into `buf`, keeping at most `max` bytes and skipping the
/// rest of a longer line. Returns the bytes consumed and whether the line fitted.
fn read_line_bounded(reader: &mut impl BufRead, buf: &mut Vec<u8>, max: usize) -> Result<(usize, bool)> {
    let (mut consumed, mut fits) = (0usize, true);
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            break;
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..i], Some(i + 1)),
            None => (available, None),
        };
        if fits && buf.len() + chunk.len() <= max {
            buf.extend_from_slice(chunk);
        } else {
            fits = false;
            buf.clear();
        }
        let used = done.unwrap_or(available.len());
        reader.consume(used);
        consumed += used;
        if done.is_some() {
            break;
        }
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok((consumed, fits))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalar_values_become_cell_text_and_nested_ones_are_refused() {
        assert_eq!(cell_text(&json!("张三")).as_deref(), Ok("张三"));
        assert_eq!(cell_text(&json!(30)).as_deref(), Ok("30"));
        assert_eq!(cell_text(&json!(30.0)).as_deref(), Ok("30"));
        assert_eq!(cell_text(&json!(2.5)).as_deref(), Ok("2.5"));
        assert_eq!(cell_text(&json!(true)).as_deref(), Ok("true"));
        assert_eq!(cell_text(&json!(null)).as_deref(), Ok(""));
        assert!(cell_text(&json!({"a": 1})).is_err());
        assert!(cell_text(&json!([1])).is_err());
    }

    #[test]
    fn a_batch_s_columns_are_the_union_of_its_keys() {
        let records = vec![
            json!({"name": "张三"}).as_object().cloned().unwrap_or_default(),
            json!({"age": 30, "name": "李四"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        ];
        let rows = RecordRows::new(records).unwrap();
        let mut header = rows.header.clone();
        header.sort();
        assert_eq!(header, ["age", "name"]);
        let mut seen = Vec::new();
        let summary = Box::new(rows)
            .read_rows(&mut |row| {
                seen.push((row.number, row.cells.clone()));
                Ok(())
            })
            .unwrap();
        assert_eq!(summary.encoding, "UTF-8");
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[1].0, 2);
    }

    #[test]
    fn a_line_longer_than_the_limit_is_skipped_whole() {
        let text = b"0123456789\nabc\r\nlast";
        let mut reader = std::io::BufReader::with_capacity(4, &text[..]);
        let mut buf = Vec::new();
        assert_eq!(read_line_bounded(&mut reader, &mut buf, 5).unwrap(), (11, false));
        buf.clear();
        assert_eq!(read_line_bounded(&mut reader, &mut buf, 5).unwrap(), (5, true));
        assert_eq!(buf, b"abc");
        buf.clear();
        assert_eq!(read_line_bounded(&mut reader, &mut buf, 5).unwrap(), (4, true));
        assert_eq!(buf, b"last");
        buf.clear();
        assert_eq!(read_line_bounded(&mut reader, &mut buf, 5).unwrap(), (0, true));
    }
}
