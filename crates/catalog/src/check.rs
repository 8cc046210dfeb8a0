//! Checks that turn input text into values the rest of the crate trusts: names and free text,
//! resource and field codes, dates.

use tongban_kernel::msg;
use tongban_kernel::{DeptPath, Invalid};

pub(crate) use tongban_kernel::input::{line, optional_line, optional_text, text};

/// Resource codes (`9901-GA-0001`): 3–64 letters, digits and single `-` between them, stored in
/// upper case. They appear in URLs and lake paths, so nothing else is allowed.
pub(crate) fn resource_code(field: &str, text: &str) -> Result<String, Invalid> {
    let code = text.trim().to_ascii_uppercase();
    let ok = (3..=64).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !code.starts_with('-')
        && !code.ends_with('-')
        && !code.contains("--");
    if ok {
        Ok(code)
    } else {
        Err(Invalid::new(field, msg!("resource-code-form")))
    }
}

/// Words that cannot name a column without quoting in the SQL engines that read the lake.
const SQL_KEYWORDS: &[&str] = &[
    "all",
    "alter",
    "and",
    "any",
    "as",
    "asc",
    "between",
    "by",
    "case",
    "cast",
    "check",
    "column",
    "constraint",
    "create",
    "cross",
    "current_date",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "delete",
    "desc",
    "distinct",
    "drop",
    "else",
    "end",
    "except",
    "exists",
    "false",
    "fetch",
    "for",
    "foreign",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "in",
    "inner",
    "insert",
    "intersect",
    "into",
    "is",
    "join",
    "left",
    "like",
    "limit",
    "natural",
    "not",
    "null",
    "offset",
    "on",
    "or",
    "order",
    "outer",
    "primary",
    "references",
    "right",
    "select",
    "session_user",
    "set",
    "some",
    "table",
    "then",
    "to",
    "true",
    "union",
    "unique",
    "update",
    "user",
    "using",
    "values",
    "when",
    "where",
    "with",
];

/// 信息项 codes are SQL column names in the lake: `[a-z][a-z0-9_]{0,62}` and no SQL keyword.
pub(crate) fn field_code(field: &str, text: &str) -> Result<String, Invalid> {
    let code = text.trim();
    let ok = (1..=63).contains(&code.len())
        && code.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !ok {
        return Err(Invalid::new(field, msg!("field-code-form")));
    }
    if SQL_KEYWORDS.contains(&code) {
        return Err(Invalid::new(field, msg!("code-sql-keyword", code = code)));
    }
    Ok(code.to_string())
}

/// Short lower-case codes (standardizer names): `[a-z][a-z0-9_]{0,31}`.
pub(crate) fn short_code(field: &str, text: &str) -> Result<String, Invalid> {
    let code = text.trim();
    let ok = (1..=32).contains(&code.len())
        && code.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(code.to_string())
    } else {
        Err(Invalid::new(field, msg!("must-be-1-32-z-0")))
    }
}

/// Classification codes (类/项/目): 1–8 letters or digits.
pub(crate) fn class_code(field: &str, text: &str, required: bool) -> Result<String, Invalid> {
    let code = text.trim().to_ascii_uppercase();
    if code.is_empty() && !required {
        return Ok(code);
    }
    if (1..=8).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(code)
    } else {
        Err(Invalid::new(field, msg!("classification-code-1-8")))
    }
}

/// A department path as identity writes it: `/3301/3301-GA/`, segments of letters, digits and `-`.
pub(crate) fn dept_path(field: &str, path: &DeptPath) -> Result<DeptPath, Invalid> {
    let p = path.as_str().trim();
    let inner = p.strip_prefix('/').and_then(|s| s.strip_suffix('/'));
    let ok = p.len() <= 1024
        && inner.is_some_and(|s| {
            !s.is_empty()
                && s.split('/').all(|seg| {
                    !seg.is_empty()
                        && seg.len() <= 32
                        && seg.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                })
        });
    if ok {
        Ok(DeptPath(p.to_string()))
    } else {
        Err(Invalid::new(field, msg!("malformed-department-path")))
    }
}

/// Identity's ids (departments, API clients) are UUIDs.
pub(crate) fn uuid(field: &str, text: &str) -> Result<String, Invalid> {
    tongban_kernel::id::check_uuid(field, text)
}

/// Keeps the first of each repeated value, in order.
pub(crate) fn dedup(values: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn field_codes_are_plain_sql_identifiers() {
        assert_eq!(field_code("c", " id_number ").unwrap(), "id_number");
        for bad in [
            "",
            "1abc",
            "Name",
            "name; DROP TABLE grants; --",
            "a b",
            "x'--",
            "_hidden",
            "姓名",
            "select",
            &"a".repeat(64),
        ] {
            assert_eq!(
                field_code("fields[0].code", bad).unwrap_err().field,
                "fields[0].code",
                "{bad}"
            );
        }
        assert!(field_code("c", &"a".repeat(63)).is_ok());
    }

    #[test]
    fn resource_codes_are_path_safe_and_upper_case() {
        assert_eq!(resource_code("code", "9901-ga-0001").unwrap(), "9901-GA-0001");
        for bad in [
            "", "ab", "../etc", "a/b", "A--B", "-AB", "AB-", "A B C", "9901_GA",
        ] {
            assert!(resource_code("code", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(line("name", "  户籍人口  ", 10).unwrap(), "户籍人口");
        assert!(line("name", "   ", 10).is_err());
        assert!(line("name", "a\u{0}b", 10).is_err());
        assert!(line("name", "一二三四五六七八九十十", 10).is_err());
        assert_eq!(
            text("summary", "第一行\r\n第二行", 100).unwrap(),
            "第一行\n第二行"
        );
        assert_eq!(optional_line("name_en", "", 10).unwrap(), "");
    }

    #[test]
    fn department_paths_are_well_formed() {
        assert!(dept_path("provider", &DeptPath("/3301/3301-GA/".into())).is_ok());
        for bad in ["/", "", "3301/", "/3301", "/33 01/", "//", "/3301//GA/", "/a%/"] {
            assert!(dept_path("provider", &DeptPath(bad.into())).is_err(), "{bad}");
        }
    }
}
