//! The lake on disk: `lake/<code>/v<N>/part-0.parquet`, Hive-style, each version immutable. A
//! load writes `v<N>.partial/` and renames it when complete, so a reader never sees half a
//! version; a killed load leaves only a `.partial` the next load removes.

use crate::Result;
use crate::govern::{Cell, FieldPlan};
use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMillisecondArray,
};
use arrow::datatypes::{
    DataType as ArrowType, Date32Type, Field, Float64Type, Int64Type, Schema, SchemaRef, TimeUnit,
    TimestampMillisecondType,
};
use parquet::arrow::ArrowWriter;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tongban_catalog::DataType;

/// The column holding each row's hash, for version diffs.
pub const ROW_HASH: &str = "__row_hash";
/// Suffix of the blind-index column beside an encrypted personal column.
pub const BIDX_SUFFIX: &str = "__bidx";
/// Separates key parts in a composite key.
const KEY_SEP: char = '\u{1f}';

/// The directory of one resource's versions.
pub fn resource_dir(lake: &Path, code: &str) -> PathBuf {
    lake.join(code)
}

/// The directory of one version.
pub fn version_dir(lake: &Path, code: &str, version: u32) -> PathBuf {
    resource_dir(lake, code).join(format!("v{version}"))
}

/// The reject report of one version.
pub fn reject_report(lake: &Path, code: &str, version: u32) -> PathBuf {
    resource_dir(lake, code).join(format!("v{version}.rejects.csv"))
}

/// The reject report of one version as an XLSX workbook.
pub fn reject_report_xlsx(lake: &Path, code: &str, version: u32) -> PathBuf {
    resource_dir(lake, code).join(format!("v{version}.rejects.xlsx"))
}

/// Appends `.partial` to a path's file name.
pub fn partial(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".partial");
    PathBuf::from(s)
}

/// Removes what a killed load left in a resource's directory (`*.partial`).
pub fn remove_stale(dir: &Path) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    for entry in entries {
        let entry = entry?;
        if !entry.file_name().to_string_lossy().ends_with(".partial") {
            continue;
        }
        tracing::warn!(path = %entry.path().display(), "removing what an interrupted load left");
        if entry.file_type()?.is_dir() {
            std::fs::remove_dir_all(entry.path())?;
        } else {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// The Arrow schema of a resource's versions: each field in its type, personal fields as
/// encrypted text with a blind-index column, then the row hash.
pub fn schema(plans: &[FieldPlan]) -> SchemaRef {
    let mut fields = Vec::with_capacity(plans.len() + 2);
    for p in plans {
        if p.personal() {
            fields.push(Field::new(&p.field.code, ArrowType::Utf8, true));
            fields.push(Field::new(
                format!("{}{BIDX_SUFFIX}", p.field.code),
                ArrowType::Utf8,
                true,
            ));
        } else {
            fields.push(Field::new(&p.field.code, arrow_type(p.field.data_type), true));
        }
    }
    fields.push(Field::new(ROW_HASH, ArrowType::Utf8, false));
    Arc::new(Schema::new(fields))
}

fn arrow_type(t: DataType) -> ArrowType {
    match t {
        DataType::String => ArrowType::Utf8,
        DataType::Integer => ArrowType::Int64,
        DataType::Decimal => ArrowType::Float64,
        DataType::Date => ArrowType::Date32,
        DataType::DateTime => ArrowType::Timestamp(TimeUnit::Millisecond, None),
        DataType::Boolean => ArrowType::Boolean,
    }
}

/// Accepted rows waiting for the next record batch, column by column.
pub struct Batch {
    /// Per field: the cells (ciphertext for personal fields).
    cells: Vec<Vec<Cell>>,
    /// Per field: blind indexes (personal fields only; empty otherwise).
    bidx: Vec<Vec<Option<String>>>,
    hashes: Vec<String>,
}

impl Batch {
    pub fn new(fields: usize) -> Self {
        Self {
            cells: (0..fields).map(|_| Vec::new()).collect(),
            bidx: (0..fields).map(|_| Vec::new()).collect(),
            hashes: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Adds one accepted row: per field its stored cell and blind index.
    pub fn push(&mut self, row: Vec<(Cell, Option<String>)>, hash: String) {
        for (i, (cell, bidx)) in row.into_iter().enumerate() {
            if let Some(c) = self.cells.get_mut(i) {
                c.push(cell);
            }
            if let Some(b) = self.bidx.get_mut(i) {
                b.push(bidx);
            }
        }
        self.hashes.push(hash);
    }

    /// The rows as a record batch of `schema`, leaving the batch empty.
    pub fn take(&mut self, plans: &[FieldPlan], schema: &SchemaRef) -> Result<RecordBatch> {
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
        for (i, p) in plans.iter().enumerate() {
            let cells = std::mem::take(&mut self.cells[i]);
            if p.personal() {
                columns.push(Arc::new(StringArray::from_iter(cells.into_iter().map(
                    |c| match c {
                        Cell::Text(s) => Some(s),
                        _ => None,
                    },
                ))));
                let bidx = std::mem::take(&mut self.bidx[i]);
                columns.push(Arc::new(StringArray::from_iter(bidx)));
            } else {
                columns.push(column(p.field.data_type, cells));
            }
            self.bidx[i].clear();
        }
        columns.push(Arc::new(StringArray::from_iter_values(std::mem::take(
            &mut self.hashes,
        ))));
        Ok(RecordBatch::try_new(schema.clone(), columns)?)
    }
}

fn column(t: DataType, cells: Vec<Cell>) -> ArrayRef {
    let it = cells.into_iter();
    match t {
        DataType::String => Arc::new(StringArray::from_iter(it.map(|c| match c {
            Cell::Text(s) => Some(s),
            _ => None,
        }))),
        DataType::Integer => Arc::new(Int64Array::from_iter(it.map(|c| match c {
            Cell::Int(v) => Some(v),
            _ => None,
        }))),
        DataType::Decimal => Arc::new(Float64Array::from_iter(it.map(|c| match c {
            Cell::Float(v) => Some(v),
            _ => None,
        }))),
        DataType::Date => Arc::new(Date32Array::from_iter(it.map(|c| match c {
            Cell::Date(v) => Some(v),
            _ => None,
        }))),
        DataType::DateTime => Arc::new(TimestampMillisecondArray::from_iter(it.map(|c| match c {
            Cell::DateTime(v) => Some(v),
            _ => None,
        }))),
        DataType::Boolean => Arc::new(BooleanArray::from_iter(it.map(|c| match c {
            Cell::Bool(v) => Some(v),
            _ => None,
        }))),
    }
}

/// Memory a parquet writer may hold before the load closes its row group: the writer keeps a
/// whole row group in memory, so a large file is written as several.
pub const ROW_GROUP_BYTES: usize = 16 * 1024 * 1024;

/// A parquet file being written.
pub fn writer(path: &Path, schema: SchemaRef) -> Result<ArrowWriter<File>> {
    let file = File::create(path)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    Ok(ArrowWriter::try_new(file, schema, Some(props))?)
}

/// A row's key or hash as the diff holds it: 16 bytes, so a version of millions of rows fits in
/// memory. (A 128-bit collision among one resource's rows is not a practical concern.)
pub type Short = [u8; 16];

/// The key a row is matched by across versions: its key fields' canonical texts (blind indexes
/// for personal fields), or the row hash when the resource has no key fields.
pub fn row_key(parts: &[String], hash: &str) -> Short {
    if parts.is_empty() {
        return short_hash(hash);
    }
    let digest = tongban_crypto::sm3(parts.join(&KEY_SEP.to_string()).as_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[..16]);
    out
}

/// The first 16 bytes of a hex row hash.
pub fn short_hash(hash: &str) -> Short {
    let mut out = [0u8; 16];
    if let Some(head) = hash.get(..32) {
        let _ = hex::decode_to_slice(head, &mut out);
    }
    out
}

/// Key → row hash of every row in a stored version. Key columns are named as in
/// [`key_columns`].
pub fn read_keys(dir: &Path, key_columns: &[String]) -> Result<HashMap<Short, Short>> {
    let mut out = HashMap::new();
    for path in parquet_files(dir)? {
        let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(&path)?)?;
        let wanted: Vec<&str> = key_columns
            .iter()
            .map(String::as_str)
            .chain([ROW_HASH])
            .filter(|c| builder.schema().column_with_name(c).is_some())
            .collect();
        let mask = ProjectionMask::columns(builder.parquet_schema(), wanted.iter().copied());
        let reader = builder.with_projection(mask).build()?;
        for batch in reader {
            let batch = batch?;
            let Some(hashes) = batch.column_by_name(ROW_HASH) else {
                continue;
            };
            let keys: Vec<Option<&ArrayRef>> = key_columns.iter().map(|c| batch.column_by_name(c)).collect();
            for row in 0..batch.num_rows() {
                let hash = text_at(hashes, row);
                let parts: Vec<String> = keys
                    .iter()
                    .map(|a| a.map(|a| text_at(a, row)).unwrap_or_default())
                    .collect();
                out.insert(row_key(&parts, &hash), short_hash(&hash));
            }
        }
    }
    Ok(out)
}

/// The parquet files of a stored version, in name order.
fn parquet_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    files.sort();
    Ok(files)
}

/// The distinct non-null values of `column` in a stored version, as [`Cell::key_text`] writes
/// them; `None` when the version has no such column.
pub fn column_values(dir: &Path, column: &str) -> Result<Option<HashSet<String>>> {
    let mut out = HashSet::new();
    let mut found = false;
    for path in parquet_files(dir)? {
        let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(&path)?)?;
        if builder.schema().column_with_name(column).is_none() {
            continue;
        }
        found = true;
        let mask = ProjectionMask::columns(builder.parquet_schema(), [column]);
        for batch in builder.with_projection(mask).build()? {
            let batch = batch?;
            let Some(values) = batch.column_by_name(column) else {
                continue;
            };
            for row in 0..batch.num_rows() {
                if !values.is_null(row) {
                    out.insert(text_at(values, row));
                }
            }
        }
    }
    Ok(found.then_some(out))
}

/// The names of the columns that hold a resource's key (blind indexes for personal fields).
pub fn key_columns(plans: &[FieldPlan]) -> Vec<String> {
    plans
        .iter()
        .filter(|p| p.field.is_key)
        .map(|p| {
            if p.personal() {
                format!("{}{BIDX_SUFFIX}", p.field.code)
            } else {
                p.field.code.clone()
            }
        })
        .collect()
}

/// A stored value as [`Cell::key_text`] writes it.
fn text_at(a: &ArrayRef, row: usize) -> String {
    if a.is_null(row) {
        return String::new();
    }
    match a.data_type() {
        ArrowType::Utf8 => a.as_string::<i32>().value(row).to_owned(),
        ArrowType::Int64 => Cell::Int(a.as_primitive::<Int64Type>().value(row)).key_text(),
        ArrowType::Float64 => Cell::Float(a.as_primitive::<Float64Type>().value(row)).key_text(),
        ArrowType::Date32 => Cell::Date(a.as_primitive::<Date32Type>().value(row)).key_text(),
        ArrowType::Timestamp(TimeUnit::Millisecond, _) => {
            Cell::DateTime(a.as_primitive::<TimestampMillisecondType>().value(row)).key_text()
        }
        ArrowType::Boolean => Cell::Bool(a.as_boolean().value(row)).key_text(),
        _ => String::new(),
    }
}
