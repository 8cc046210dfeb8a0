//! 开放数据下载: a stored version of a fully open resource as CSV, XLSX or Parquet, for anyone.
//! Only the resource's public fields leave: personal and internal fields, blind indexes and row
//! hashes never do, whatever the stored file holds.

use crate::{Error, Pool, Result};
use arrow::array::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use parquet::arrow::ArrowWriter;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::fs::File;
use tongban_catalog::{OpenClass, Resource, ResourceStatus, Sensitivity};
use tongban_kernel::Principal;

/// A download format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenFormat {
    /// CSV, UTF-8 with BOM.
    Csv,
    /// An Excel workbook.
    Xlsx,
    /// Parquet (Snappy), the public columns of the stored file.
    Parquet,
}

impl OpenFormat {
    /// Every format, in the order the page lists them.
    pub const ALL: [OpenFormat; 3] = [OpenFormat::Csv, OpenFormat::Xlsx, OpenFormat::Parquet];

    /// From a file extension (`csv`, `xlsx`, `parquet`).
    pub fn from_extension(ext: &str) -> Option<Self> {
        match ext {
            "csv" => Some(OpenFormat::Csv),
            "xlsx" => Some(OpenFormat::Xlsx),
            "parquet" => Some(OpenFormat::Parquet),
            _ => None,
        }
    }

    /// The media type to serve it as.
    pub fn media_type(self) -> &'static str {
        match self {
            OpenFormat::Csv => "text/csv; charset=utf-8",
            OpenFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            OpenFormat::Parquet => "application/vnd.apache.parquet",
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            OpenFormat::Csv => "csv",
            OpenFormat::Xlsx => "xlsx",
            OpenFormat::Parquet => "parquet",
        }
    }
}

/// A file ready to send.
#[derive(Debug, Clone)]
pub struct OpenFile {
    /// `<CODE>-v<N>.<ext>`.
    pub file_name: String,
    /// What to send it as.
    pub media_type: &'static str,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Download sizes of open versions, by resource code and version.
pub(crate) type SizeCache = std::collections::HashMap<(String, u32), Vec<(OpenFormat, u64)>>;

/// What the open-data page shows of a version: its first rows (public fields only) and the
/// size of each download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenPreview {
    /// Column codes, in the stored order.
    pub header: Vec<String>,
    /// The first rows, as text.
    pub rows: Vec<Vec<String>>,
    /// Bytes of the CSV, XLSX and Parquet downloads.
    pub sizes: Vec<(OpenFormat, u64)>,
    /// Rows in the version.
    pub row_count: u64,
    /// When the version was recorded (the data's last update).
    pub recorded: tongban_kernel::Millis,
}

impl Pool {
    /// The stored version's directory and the public fields of open resource `code`, or
    /// [`Error::NotFound`] for anything not published, not fully open, or not there.
    async fn open_version(
        &self,
        code: &str,
        version: u32,
    ) -> Result<(Resource, std::path::PathBuf, Vec<String>)> {
        let resource = self
            .catalog
            .resource_by_code(&Principal::system("open-data"), code)
            .await
            .map_err(|_| Error::NotFound)?;
        if resource.status != ResourceStatus::Published
            || resource.open_class != OpenClass::Open
            || version == 0
            || version > resource.current_version
        {
            return Err(Error::NotFound);
        }
        let public: Vec<String> = resource
            .fields
            .iter()
            .filter(|f| f.sensitivity == Sensitivity::Public)
            .map(|f| f.code.clone())
            .collect();
        if public.is_empty() {
            return Err(Error::NotFound);
        }
        let dir = self.local_version(&resource.code, version).await?;
        Ok((resource, dir, public))
    }

    /// Version `version` of open resource `code` in `format`. A resource that is not published
    /// and fully open, or a version that does not exist, is [`Error::NotFound`] (the same answer
    /// as a code that does not exist, so closed resources are not disclosed).
    pub async fn open_download(&self, code: &str, version: u32, format: OpenFormat) -> Result<OpenFile> {
        let (resource, dir, public) = self.open_version(code, version).await?;
        let file_name = format!("{}-v{version}.{}", resource.code, format.extension());
        let bytes = tokio::task::spawn_blocking(move || render(&dir, &public, format))
            .await
            .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))??;
        Ok(OpenFile {
            file_name,
            media_type: format.media_type(),
            bytes,
        })
    }

    /// The first `limit` rows of version `version` of open resource `code` and the size of
    /// each download (computed once per version: versions never change).
    pub async fn open_preview(&self, code: &str, version: u32, limit: usize) -> Result<OpenPreview> {
        let (resource, dir, public) = self.open_version(code, version).await?;
        let recorded = self
            .catalog
            .resource_versions(&Principal::system("open-data"), &resource.id)
            .await?
            .into_iter()
            .find(|v| v.version == version)
            .ok_or(Error::NotFound)?;
        let key = (resource.code, version);
        let known = self
            .open_sizes
            .lock()
            .map(|m| m.get(&key).cloned())
            .ok()
            .flatten();
        let (preview, sizes) = tokio::task::spawn_blocking(move || -> Result<_> {
            let (header, mut rows) = table(&read_public(&dir, &public, Some(limit))?, &public)?;
            rows.truncate(limit);
            let sizes = match known {
                Some(s) => s,
                None => OpenFormat::ALL
                    .iter()
                    .map(|f| Ok((*f, render(&dir, &public, *f)?.len() as u64)))
                    .collect::<Result<Vec<_>>>()?,
            };
            Ok(((header, rows), sizes))
        })
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))??;
        if let Ok(mut m) = self.open_sizes.lock() {
            m.insert(key, sizes.clone());
        }
        Ok(OpenPreview {
            header: preview.0,
            rows: preview.1,
            sizes,
            row_count: recorded.row_count,
            recorded: recorded.created,
        })
    }
}

/// The public columns of every Parquet file of a version, in order; with `limit`, reading stops
/// once that many rows are in.
fn read_public(dir: &std::path::Path, public: &[String], limit: Option<usize>) -> Result<Vec<RecordBatch>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    files.sort();
    let mut batches: Vec<RecordBatch> = Vec::new();
    let mut rows = 0;
    for path in files {
        let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path)?)?;
        let mask = ProjectionMask::columns(builder.parquet_schema(), public.iter().map(String::as_str));
        for batch in builder.with_projection(mask).build()? {
            let batch = batch?;
            rows += batch.num_rows();
            batches.push(batch);
            if limit.is_some_and(|l| rows >= l) {
                return Ok(batches);
            }
        }
    }
    Ok(batches)
}

/// The header and every row of `batches` as text (`public` names the columns when there are no
/// rows).
fn table(batches: &[RecordBatch], public: &[String]) -> Result<(Vec<String>, Vec<Vec<String>>)> {
    let header: Vec<String> = batches
        .first()
        .map(|b| b.schema().fields().iter().map(|f| f.name().clone()).collect())
        .unwrap_or_else(|| public.to_vec());
    let mut rows = Vec::new();
    for b in batches {
        let fmts = b
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &FormatOptions::default().with_null("")))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        for r in 0..b.num_rows() {
            rows.push(fmts.iter().map(|f| f.value(r).to_string()).collect());
        }
    }
    Ok((header, rows))
}

/// The public columns of every Parquet file of a version, in `format`.
fn render(dir: &std::path::Path, public: &[String], format: OpenFormat) -> Result<Vec<u8>> {
    let batches = read_public(dir, public, None)?;
    if format == OpenFormat::Parquet {
        let Some(schema) = batches.first().map(RecordBatch::schema) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        let props = parquet::file::properties::WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .build();
        let mut w = ArrowWriter::try_new(&mut out, schema, Some(props))?;
        for b in &batches {
            w.write(b)?;
        }
        w.close()?;
        return Ok(out);
    }
    let (header, rows) = table(&batches, public)?;
    match format {
        OpenFormat::Xlsx => crate::export::xlsx_bytes("开放数据 open data", &header, &rows),
        _ => crate::export::csv_bytes(&header, &rows, true),
    }
}
