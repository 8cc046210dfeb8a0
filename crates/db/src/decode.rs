//! What a column holds, as values: JSON text both ways, a `Y-m-d` date, a stored code. A value
//! that does not decode is an [`Error::Decode`] naming its column, which every domain crate's
//! error wraps.

use crate::Error;
use jiff::civil::Date;

/// The error for a `column` whose value is not what it should be.
pub fn decode_error(column: &str, reason: impl Into<String>) -> Error {
    Error::Decode {
        column: column.into(),
        reason: reason.into(),
    }
}

/// `value` as the JSON text stored in `column`.
pub fn to_json<T: serde::Serialize + ?Sized>(column: &str, value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|e| decode_error(column, e.to_string()))
}

/// The JSON text stored in `column` as a value.
pub fn from_json<T: serde::de::DeserializeOwned>(column: &str, text: &str) -> Result<T, Error> {
    serde_json::from_str(text).map_err(|e| decode_error(column, e.to_string()))
}

/// The `Y-m-d` date stored in `column`.
pub fn parse_date(column: &str, text: &str) -> Result<Date, Error> {
    text.parse()
        .map_err(|e: jiff::Error| decode_error(column, e.to_string()))
}

/// The code stored in `column`, read with `parse`.
pub fn parse_code<T>(column: &str, code: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T, Error> {
    parse(code).ok_or_else(|| decode_error(column, format!("unknown code `{code}`")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_that_does_not_decode_names_its_column() {
        assert_eq!(parse_date("due", "2026-12-31").unwrap().year(), 2026);
        let bad = parse_date("due", "31/12/2026").unwrap_err();
        assert!(
            matches!(&bad, Error::Decode { column, .. } if column == "due"),
            "{bad}"
        );
        let code = parse_code("status", "lost", |c| (c == "open").then_some(1)).unwrap_err();
        assert_eq!(code.to_string(), "column `status`: unknown code `lost`");
        let list: Vec<u8> = from_json("items", &to_json("items", &[1u8, 2]).unwrap()).unwrap();
        assert_eq!(list, [1, 2]);
        assert!(from_json::<Vec<u8>>("items", "[1,").is_err());
    }
}
