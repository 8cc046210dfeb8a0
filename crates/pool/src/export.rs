//! Tables as files people open: CSV with a BOM (Excel and WPS read it as UTF-8) and XLSX, every
//! cell a spreadsheet would evaluate as a formula defused, long cells cut to what a worksheet
//! holds. Used for query downloads and open-data downloads.

use crate::rejects::{neutralise, sheet_text};
use crate::{Error, Result};
use tongban_kernel::msg;

/// Most data rows a worksheet holds (1,048,576 rows minus the header).
pub const XLSX_MAX_ROWS: usize = 1_048_575;

/// `header` and `rows` as CSV bytes (with a UTF-8 BOM when `bom`).
pub fn csv_bytes(header: &[String], rows: &[Vec<String>], bom: bool) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    if bom {
        buf.extend_from_slice(b"\xEF\xBB\xBF");
    }
    let mut w = csv::Writer::from_writer(buf);
    let io = |e: csv::Error| Error::Io(std::io::Error::other(e.to_string()));
    w.write_record(header.iter().map(|c| neutralise(c))).map_err(io)?;
    for row in rows {
        w.write_record(row.iter().map(|c| neutralise(c))).map_err(io)?;
    }
    w.into_inner()
        .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))
}

/// `header` and `rows` as one worksheet named `sheet`, every cell written as text.
pub fn xlsx_bytes(sheet: &str, header: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>> {
    if rows.len() > XLSX_MAX_ROWS {
        return Err(tongban_kernel::Invalid::new("format", msg!("more-rows-than-worksheet")).into());
    }
    let err = |e: rust_xlsxwriter::XlsxError| Error::Io(std::io::Error::other(format!("XLSX: {e}")));
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).map_err(err)?;
    for (c, name) in header.iter().enumerate() {
        let c = u16::try_from(c).map_err(|_| Error::Io(std::io::Error::other("too many columns")))?;
        ws.write_string(0, c, sheet_text(&neutralise(name)))
            .map_err(err)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).map_err(|_| Error::Io(std::io::Error::other("too many rows")))?;
        for (c, cell) in row.iter().enumerate() {
            let c = u16::try_from(c).map_err(|_| Error::Io(std::io::Error::other("too many columns")))?;
            ws.write_string(r, c, sheet_text(&neutralise(cell)))
                .map_err(err)?;
        }
    }
    book.save_to_buffer().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_in_both_formats() {
        let header = vec!["name".to_owned()];
        let rows = vec![vec!["=cmd|' /C calc'!A0".to_owned()], vec!["张三".to_owned()]];
        let csv = String::from_utf8(csv_bytes(&header, &rows, true).expect("csv")).expect("utf-8");
        assert!(csv.starts_with('\u{feff}'));
        assert!(csv.contains("'=cmd"));
        let book = xlsx_bytes("data", &header, &rows).expect("xlsx");
        assert!(book.starts_with(b"PK"), "a zip container");
    }
}
