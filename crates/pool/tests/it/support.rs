//! Fixtures: a household-register resource of 公安局 with personal, typed and ruled fields, a
//! pool over a temporary lake, and small builders for CSV files.

use arrow::array::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::path::{Path, PathBuf};
use tempfile::TempDir;
use tongban_catalog::{Catalog, Resource, ResourceInput};
use tongban_crypto::{FieldCipher, Keyring};
use tongban_db::Db;
use tongban_kernel::{Principal, WorkCalendar};
use tongban_pool::{IngestOptions, IngestReport, Pool};

pub const CODE: &str = "3301-GA-0001";
pub const HEADER: &str = "身份证号,姓名,出生日期,区县,年龄";

pub struct Fixture {
    pub pool: Pool,
    pub catalog: Catalog,
    pub cipher: FieldCipher,
    pub resource: Resource,
    pub dir: TempDir,
}

pub fn system() -> Principal {
    Principal::system("test")
}

/// The migrations a pool store test runs on: the catalog's and the pool's own.
pub fn sets() -> [&'static [tongban_db::Migration]; 2] {
    [tongban_catalog::MIGRATIONS, tongban_pool::MIGRATIONS]
}

impl Fixture {
    pub async fn new(db: Db) -> Fixture {
        Self::with_fields(db, CODE, household_fields()).await
    }

    /// A published resource `code` of 公安局 with `fields` (JSON), and a pool over a new lake.
    /// The pool's own tables are migrated here (idempotently), whatever the test asked for.
    pub async fn with_fields(db: Db, code: &str, fields: serde_json::Value) -> Fixture {
        db.migrate(&[tongban_pool::MIGRATIONS]).await.unwrap();
        let catalog = Catalog::new(db, WorkCalendar::bundled());
        let resource = publish(&catalog, code, fields).await;
        let dir = tempfile::tempdir().unwrap();
        let cipher = Keyring::ephemeral().fields();
        let pool = Pool::new(dir.path().join("lake"), catalog.clone(), cipher.clone());
        Fixture {
            pool,
            catalog,
            cipher,
            resource,
            dir,
        }
    }

    /// Another published resource of 公安局 in the same catalog, loaded through the same pool.
    pub async fn add_resource(&self, code: &str, fields: serde_json::Value) -> Resource {
        publish(&self.catalog, code, fields).await
    }

    /// The events committed so far, oldest first.
    pub async fn events(&self) -> Vec<tongban_db::Event> {
        tongban_db::event::read_after(self.catalog.db(), 0, 1000)
            .await
            .unwrap()
    }

    /// Writes `bytes` as an upload named `name`.
    pub fn upload(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Loads `csv` (UTF-8) as the platform.
    pub async fn load(&self, csv: &str) -> IngestReport {
        let path = self.upload("upload.csv", csv.as_bytes());
        self.pool
            .ingest_csv(&system(), CODE, &path, &IngestOptions::default())
            .await
            .unwrap()
    }

    /// Writes `bytes` as `name` and loads it with format detection, as the platform.
    pub async fn load_file(&self, name: &str, bytes: &[u8]) -> Result<IngestReport, tongban_pool::Error> {
        let path = self.upload(name, bytes);
        self.pool
            .ingest_file(&system(), CODE, &path, &IngestOptions::default())
            .await
    }

    pub async fn current_version(&self) -> u32 {
        self.catalog
            .resource_by_code(&system(), CODE)
            .await
            .unwrap()
            .current_version
    }
}

/// Creates and publishes resource `code` of 公安局 with `fields` (JSON).
async fn publish(catalog: &Catalog, code: &str, fields: serde_json::Value) -> Resource {
    let input: ResourceInput = serde_json::from_value(serde_json::json!({
        "code": code, "name_zh": "户籍人口基本信息",
        "provider": { "id": "0190a0b0-0000-7000-8000-000000000001", "path": "/3301/3301-GA/", "name_zh": "公安局" },
        "summary": "户籍人口", "classification": { "class": "basic", "category": "RK", "item": "HJ" },
        "format": "table",
        "fields": fields,
        "sharing": { "class": "conditional", "condition": "依法履职", "legal_basis": "《居民身份证法》" },
        "open_class": "not_open", "update_cycle": "daily"
    }))
    .unwrap();
    let r = catalog.create_resource(&system(), input).await.unwrap();
    catalog.publish_resource(&system(), &r.id).await.unwrap()
}

/// An XLSX workbook whose first sheet holds `rows` (the first is the header), each cell a
/// string, a number, or an Excel date (`{"date": serial}`), as a clerk's spreadsheet would.
pub fn xlsx(rows: &[Vec<serde_json::Value>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match cell {
                serde_json::Value::String(s) => sheet.write_string(r, c, s).map(|_| ()),
                serde_json::Value::Number(n) => sheet.write_number(r, c, n.as_f64().unwrap()).map(|_| ()),
                serde_json::Value::Object(o) => sheet
                    .write_number_with_format(r, c, o["date"].as_f64().unwrap(), &date)
                    .map(|_| ()),
                _ => Ok(()),
            }
            .unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

/// The cells of the first sheet of the XLSX workbook at `path`, as text, with whether each
/// holds a formula anywhere.
pub fn read_xlsx(path: &Path) -> (Vec<Vec<String>>, bool) {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    let cells = range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    calamine::Data::String(s) => s.clone(),
                    calamine::Data::Empty => String::new(),
                    other => panic!("every cell of the report is text, found {other:?}"),
                })
                .collect()
        })
        .collect();
    let formulas = book.worksheet_formula(&name).unwrap();
    let has_formula = formulas.used_cells().any(|(_, _, f)| !f.is_empty());
    (cells, has_formula)
}

/// 身份证号 (key, required, unique), 姓名 (required), 出生日期 (date), 区县 (code list), 年龄
/// (0..=150).
pub fn household_fields() -> serde_json::Value {
    serde_json::json!([
        { "code": "id_number", "name_zh": "身份证号", "data_type": "string", "sensitivity": "personal",
          "is_key": true, "standardizer": "id_number",
          "rules": [{ "rule": "required" }, { "rule": "unique" }] },
        { "code": "name", "name_zh": "姓名", "data_type": "string", "sensitivity": "personal",
          "rules": [{ "rule": "required" }] },
        { "code": "birth_date", "name_zh": "出生日期", "data_type": "date", "sensitivity": "internal",
          "standardizer": "date" },
        { "code": "district", "name_zh": "区县", "data_type": "string", "sensitivity": "internal",
          "rules": [{ "rule": "enumeration", "values": ["上城区", "西湖区", "滨江区"] }] },
        { "code": "age", "name_zh": "年龄", "data_type": "integer", "sensitivity": "public",
          "rules": [{ "rule": "range", "min": 0, "max": 150 }] }
    ])
}

/// A valid 18-digit 身份证号 numbered `n` (born 1990-01-0x), with its check digit.
pub fn id(n: u32) -> String {
    let body = format!("3301021990010{}{:03}", 1 + n % 9, n % 1000);
    tongban_kernel::IdNumber::with_check(&body)
        .expect("a real birth date and digits only")
        .as_str()
        .to_owned()
}

/// A CSV of the header and `rows`.
pub fn csv(rows: &[String]) -> String {
    let mut s = format!("{HEADER}\n");
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

/// A clean row for person `n`.
pub fn row(n: u32, age: u32) -> String {
    format!("{},张{n},1990-01-0{},西湖区,{age}", id(n), 1 + n % 9)
}

/// All record batches of a version.
pub fn read_version(dir: &Path) -> Vec<RecordBatch> {
    let file = std::fs::File::open(dir.join("part-0.parquet")).unwrap();
    ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
}

/// The reject report's records (after the header), BOM checked.
pub fn rejects(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "the reject report starts with a BOM"
    );
    csv::Reader::from_reader(&bytes[3..])
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}
