//! The canonical JSON form every signed byte of a seal certificate, a licence document and a
//! signature structure is computed over, so that any verifier that parses the file can rebuild
//! exactly the bytes that were signed.
//!
//! The form is RFC 8785 (JSON Canonicalization Scheme) restricted to what these documents hold:
//! - no insignificant whitespace anywhere;
//! - object members sorted by their names compared as UTF-16 code units; names are unique;
//! - strings in double quotes, escaping only `"` and `\` and the control characters below
//!   U+0020: `\b \f \n \r \t` by name, the others as `\u00xx` in lower-case hex; every other
//!   character (Chinese included) as its raw UTF-8 bytes, `/` not escaped;
//! - numbers are integers only, written in plain decimal without sign `+`, leading zeros or
//!   exponent (dates, times and amounts travel as strings);
//! - `true`, `false` and `null` as written.
//!
//! A value holding a non-integer number has no canonical form and is refused.

use serde_json::Value;
use tongban_kernel::msg;

/// Why a value has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotCanonical(pub String);

impl std::fmt::Display for NotCanonical {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        tongban_kernel::msg!("not-canonical", cause = &self.0).fmt(f)
    }
}

impl std::error::Error for NotCanonical {}

/// The canonical bytes of `value`.
pub fn to_bytes(value: &Value) -> Result<Vec<u8>, NotCanonical> {
    let mut out = Vec::with_capacity(512);
    write(value, &mut out)?;
    Ok(out)
}

/// The canonical bytes of a serializable value.
pub fn of<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, NotCanonical> {
    let v = serde_json::to_value(value).map_err(|e| NotCanonical(e.to_string()))?;
    to_bytes(&v)
}

fn write(v: &Value, out: &mut Vec<u8>) -> Result<(), NotCanonical> {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.extend_from_slice(i.to_string().as_bytes());
            } else if let Some(u) = n.as_u64() {
                out.extend_from_slice(u.to_string().as_bytes());
            } else {
                return Err(NotCanonical(
                    msg!("only-integers-are-allowed", n = n.to_string()).to_string(),
                ));
            }
        }
        Value::String(s) => write_str(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push(b'{');
            for (i, (k, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(k, out);
                out.push(b':');
                write(item, out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

fn write_str(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if (c as u32) < 0x20 => out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes()),
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(v: &Value) -> String {
        String::from_utf8(to_bytes(v).unwrap_or_default()).unwrap_or_default()
    }

    #[test]
    fn keys_are_sorted_and_whitespace_is_gone() {
        let v: Value = serde_json::from_str("{ \"b\" : [1, 2, {\"z\":true, \"a\":null}], \"a\": \"x\" }")
            .unwrap_or(Value::Null);
        assert_eq!(text(&v), r#"{"a":"x","b":[1,2,{"a":null,"z":true}]}"#);
    }

    #[test]
    fn strings_escape_only_what_json_requires() {
        let v = json!({"s": "公安局 \"甲\"\\/\n\t\u{1}"});
        assert_eq!(text(&v), "{\"s\":\"公安局 \\\"甲\\\"\\\\/\\n\\t\\u0001\"}");
    }

    #[test]
    fn member_names_sort_by_utf16_code_units_as_rfc_8785_says() {
        // U+1F600 is the surrogate pair D83D DE00 in UTF-16, so it sorts before U+FF61 there,
        // though after it in UTF-8 byte order (F0… against EF…).
        let v = json!({"\u{1F600}": 1, "\u{FF61}": 2, "a": 3});
        assert_eq!(text(&v), "{\"a\":3,\"\u{1F600}\":1,\"\u{FF61}\":2}");
    }

    #[test]
    fn fractions_have_no_canonical_form() {
        assert!(to_bytes(&json!({"x": 1.5})).is_err());
        assert_eq!(
            text(&json!([-7, 0, 18446744073709551615u64])),
            "[-7,0,18446744073709551615]"
        );
    }

    #[test]
    fn parsing_the_canonical_form_gives_it_back() {
        let v = json!({"number": "DZZZ-2026-000001", "fields": [{"key": "经营者", "value": "张\"三"}]});
        let bytes = to_bytes(&v).unwrap_or_default();
        let back: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        assert_eq!(to_bytes(&back).unwrap_or_default(), bytes);
    }
}
