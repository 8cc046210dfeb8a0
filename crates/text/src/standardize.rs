//! Per-field standardizers (标准化规则): what the data pool applies to every cell of a column
//! before it is stored, chosen per field in the catalog and stored there as JSON
//! (`{"kind":"date"}`, `{"kind":"enumeration","values":[{"code":"01","aliases":["汉族"]}]}`).
//!
//! Each produces the canonical text of its value: dates `YYYY-MM-DD`, date-times
//! `YYYY-MM-DDTHH:MM:SS` (with a fraction only when there is one), numbers in plain decimal,
//! codes as the code table says. A blank cell (empty or only whitespace) comes out as `""`
//! under every standardizer: absence is not a format error, and whether a field is required
//! is the caller's rule. Clean input comes back borrowed.

use crate::date::{is_canonical_date_shape, is_canonical_datetime_shape, parse_date, parse_datetime};
use crate::enums::{Enumeration, Gender, parse_yes_no, yes_no_code};
use crate::id::{normalize_credit_code, normalize_id_number, normalize_phone};
use crate::number::{is_canonical_number, parse_number};
use crate::width::{clean, trim};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use tongban_kernel::Invalid;

/// How one field's values are standardized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Standardizer {
    /// Whitespace (U+3000 included) and zero-width characters removed from both ends.
    Trim,
    /// Trimmed, full-width ASCII to half width, zero-width characters removed (not for prose:
    /// it turns the Chinese comma `，` into `,`).
    HalfWidth,
    /// A date, as `YYYY-MM-DD`.
    Date,
    /// A date and time, as `YYYY-MM-DDTHH:MM:SS`.
    DateTime,
    /// 身份证号, as 18 characters with a capital `X`.
    IdNumber,
    /// 统一社会信用代码, as 18 capitalised characters.
    CreditCode,
    /// A phone number, as digits only.
    Phone,
    /// 性别, as a GB/T 2261.1 code (`1` 男, `2` 女, `0` 未知, `9` 未说明).
    Gender,
    /// 是否, as `1` (yes) or `0` (no).
    YesNo,
    /// A number, as a plain exact decimal (`3.5万` → `35000`, `12.5%` → `0.125`).
    Number,
    /// A per-field code table, as the matched code.
    Enumeration {
        /// The allowed codes and their aliases.
        values: Enumeration,
    },
}

impl Standardizer {
    /// The canonical text of `value` for the field named `field` (named in any error).
    pub fn apply<'a>(&'a self, field: &str, value: &'a str) -> Result<Cow<'a, str>, Invalid> {
        let t = trim(value);
        if t.is_empty() {
            return Ok(Cow::Borrowed(""));
        }
        Ok(match self {
            Standardizer::Trim => Cow::Borrowed(t),
            Standardizer::HalfWidth => clean(t),
            Standardizer::Date => {
                let d = parse_date(field, t)?;
                if is_canonical_date_shape(t) {
                    Cow::Borrowed(t)
                } else {
                    Cow::Owned(d.to_string())
                }
            }
            Standardizer::DateTime => {
                let dt = parse_datetime(field, t)?;
                if is_canonical_datetime_shape(t) {
                    Cow::Borrowed(t)
                } else {
                    Cow::Owned(dt.to_string())
                }
            }
            Standardizer::IdNumber => keep_if_same(t, normalize_id_number(field, t)?.as_str()),
            Standardizer::CreditCode => keep_if_same(t, normalize_credit_code(field, t)?.as_str()),
            Standardizer::Phone => keep_if_same(t, normalize_phone(field, t)?.as_str()),
            Standardizer::Gender => Cow::Borrowed(Gender::parse(field, t)?.code()),
            Standardizer::YesNo => Cow::Borrowed(yes_no_code(parse_yes_no(field, t)?)),
            Standardizer::Number => {
                let n = parse_number(field, t)?;
                if is_canonical_number(t) {
                    Cow::Borrowed(t)
                } else {
                    Cow::Owned(n.to_string())
                }
            }
            Standardizer::Enumeration { values } => Cow::Borrowed(values.code_of(field, t)?),
        })
    }
}

fn keep_if_same<'a>(input: &'a str, canonical: &str) -> Cow<'a, str> {
    if input == canonical {
        Cow::Borrowed(input)
    } else {
        Cow::Owned(canonical.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn apply(s: &Standardizer, value: &str) -> String {
        s.apply("f", value)
            .unwrap_or_else(|e| panic!("{s:?} {value:?}: {e}"))
            .into_owned()
    }

    #[test]
    fn every_standardizer_produces_its_canonical_text() {
        use Standardizer as S;
        let cases: &[(S, &str, &str)] = &[
            (S::Trim, "\u{3000} 张三 \u{200B}", "张三"),
            (S::HalfWidth, " ＡＢＣ１２３ ", "ABC123"),
            (S::Date, "2026年1月2日", "2026-01-02"),
            (S::Date, "20260102", "2026-01-02"),
            (S::DateTime, "2026年1月2日 8时30分", "2026-01-02T08:30:00"),
            (S::DateTime, "2026-01-02 08:00:30.5", "2026-01-02T08:00:30.5"),
            (S::DateTime, "2026-01-02", "2026-01-02T00:00:00"),
            (S::IdNumber, "11010519491231002x", "11010519491231002X"),
            (S::IdNumber, "110105491231002", "11010519491231002X"),
            (S::CreditCode, "91350100m000100y43", "91350100M000100Y43"),
            (S::Phone, "+86 138-0013-8000", "13800138000"),
            (S::Gender, "女", "2"),
            (S::Gender, "male", "1"),
            (S::YesNo, "是", "1"),
            (S::YesNo, "N", "0"),
            (S::Number, "1,234,567.89", "1234567.89"),
            (S::Number, "3.5万", "35000"),
            (S::Number, "12.5%", "0.125"),
        ];
        for (s, input, want) in cases {
            assert_eq!(apply(s, input), *want, "{s:?} {input:?}");
        }
    }

    #[test]
    fn clean_values_come_back_borrowed() {
        use Standardizer as S;
        for (s, v) in [
            (S::Trim, "张三"),
            (S::HalfWidth, "张三"),
            (S::Date, "2026-01-02"),
            (S::DateTime, "2026-01-02T08:00:00"),
            (S::IdNumber, "11010519491231002X"),
            (S::CreditCode, "91350100M000100Y43"),
            (S::Phone, "13800138000"),
            (S::Number, "-1234.5"),
            (S::Gender, "男"),
            (S::YesNo, "1"),
        ] {
            assert!(matches!(s.apply("f", v), Ok(Cow::Borrowed(_))), "{s:?} {v:?}");
        }
    }

    #[test]
    fn a_blank_cell_stays_blank_under_every_standardizer() {
        for s in all() {
            for blank in ["", "  ", "\u{3000}", "\u{200B}\t"] {
                assert_eq!(s.apply("f", blank), Ok(Cow::Borrowed("")), "{s:?}");
            }
        }
    }

    #[test]
    fn a_bad_value_is_refused_naming_the_callers_field() {
        let e = Standardizer::Date.apply("出生日期", "2026-02-30").unwrap_err();
        assert_eq!(e.field, "出生日期");
        assert!(e.reason.to_string().contains(" / "), "bilingual: {}", e.reason);
        let e = Standardizer::IdNumber
            .apply("sfzh", "110105194912310021")
            .unwrap_err();
        assert_eq!(e.field, "sfzh");
    }

    #[test]
    fn an_enumeration_standardizer_maps_aliases_to_codes() {
        let s = Standardizer::Enumeration {
            values: Enumeration::new([("01", ["汉族", "汉"]), ("02", ["蒙古族", "蒙古"])]).unwrap(),
        };
        assert_eq!(apply(&s, "汉"), "01");
        assert_eq!(apply(&s, "０２"), "02");
        assert!(
            s.apply("mz", "藏族")
                .unwrap_err()
                .reason
                .to_string()
                .contains("01 汉族")
        );
    }

    fn all() -> Vec<Standardizer> {
        use Standardizer as S;
        vec![
            S::Trim,
            S::HalfWidth,
            S::Date,
            S::DateTime,
            S::IdNumber,
            S::CreditCode,
            S::Phone,
            S::Gender,
            S::YesNo,
            S::Number,
            S::Enumeration {
                values: Enumeration::new([("1", ["甲"])]).unwrap(),
            },
        ]
    }

    #[test]
    fn a_catalog_stores_per_field_standardizers_as_snake_case_json() {
        let mapping: BTreeMap<&str, Standardizer> = [
            ("csrq", Standardizer::Date),
            ("sfzh", Standardizer::IdNumber),
            ("djsj", Standardizer::DateTime),
            ("sfyx", Standardizer::YesNo),
            (
                "mz",
                Standardizer::Enumeration {
                    values: Enumeration::new([("01", ["汉族"])]).unwrap(),
                },
            ),
        ]
        .into_iter()
        .collect();
        let json = serde_json::to_string(&mapping).unwrap();
        assert_eq!(
            json,
            r#"{"csrq":{"kind":"date"},"djsj":{"kind":"date_time"},"mz":{"kind":"enumeration","values":[{"code":"01","aliases":["汉族"]}]},"sfyx":{"kind":"yes_no"},"sfzh":{"kind":"id_number"}}"#
        );
        let back: BTreeMap<&str, Standardizer> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, mapping);
        for s in all() {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(serde_json::from_str::<Standardizer>(&json).unwrap(), s, "{json}");
        }
        assert!(serde_json::from_str::<Standardizer>(r#"{"kind":"guess"}"#).is_err());
    }
}
