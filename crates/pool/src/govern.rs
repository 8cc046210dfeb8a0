//! 数据治理: the per-field plan a load checks every cell against — standardizer, type and
//! quality rules — compiled once before the first row is read.

use jiff::civil::{Date, DateTime};
use regex_lite::Regex;
use std::collections::HashSet;
use tongban_catalog::{DataType, QualityRule, Resource, ResourceField, Sensitivity};
use tongban_kernel::Invalid;
use tongban_kernel::msg;
use tongban_text::Standardizer;

/// A cell after standardizing and type checking, ready for its Arrow column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Null,
    Text(String),
    Int(i64),
    Float(f64),
    /// Days since 1970-01-01.
    Date(i32),
    /// Milliseconds since 1970-01-01T00:00 of the civil (wall-clock) time.
    DateTime(i64),
    Bool(bool),
}

impl Cell {
    /// The canonical text a key or row hash is built from; the same for a value read back from
    /// parquet (see `lake::key_text`).
    pub(crate) fn key_text(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) => f.to_string(),
            Cell::Date(d) => d.to_string(),
            Cell::DateTime(ms) => ms.to_string(),
            Cell::Bool(b) => b.to_string(),
        }
    }
}

/// One field's checks.
pub(crate) struct FieldPlan {
    pub field: ResourceField,
    /// `<CODE>.<field>`: the name personal values are encrypted under.
    pub cipher_name: String,
    /// The blind-index domain of a personal field (see [`crate::personal::blind_domain`]).
    pub blind_domain: String,
    standardizer: Standardizer,
    required: bool,
    unique: bool,
    range: Option<(Option<f64>, Option<f64>)>,
    regex: Option<Regex>,
    enumeration: Option<Vec<String>>,
}

impl FieldPlan {
    pub fn personal(&self) -> bool {
        self.field.sensitivity == Sensitivity::Personal
    }

    pub fn required(&self) -> bool {
        self.required
    }

    pub fn unique(&self) -> bool {
        self.unique
    }

    /// The value as it may appear in a reject report: masked when personal.
    pub fn shown(&self, value: &str) -> String {
        if self.personal() {
            crate::personal::mask(&self.field, value)
        } else {
            value.to_owned()
        }
    }

    /// Standardizes, type checks and applies the rules (except uniqueness, which needs the
    /// file's state: see [`Seen`]).
    pub fn check(&self, raw: &str) -> Result<Cell, Invalid> {
        let code = self.field.code.as_str();
        let value = self.standardizer.apply(code, raw)?;
        let value = value.trim();
        if value.is_empty() {
            if self.required {
                return Err(Invalid::new(code, msg!("required-value-missing")));
            }
            return Ok(Cell::Null);
        }
        let cell = typed(code, self.field.data_type, value)?;
        if let Some((min, max)) = self.range {
            let n = match cell {
                Cell::Int(i) => i as f64,
                Cell::Float(f) => f,
                _ => value
                    .parse::<f64>()
                    .map_err(|_| Invalid::new(code, msg!("range-rule-needs-number")))?,
            };
            if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                let show = |b: Option<f64>| b.map_or_else(|| "∞".to_owned(), |v| v.to_string());
                return Err(Invalid::new(
                    code,
                    msg!("outside-range-min-max", min = show(min), max = show(max)),
                ));
            }
        }
        if let Some(re) = &self.regex
            && !re.is_match(value)
        {
            return Err(Invalid::new(code, msg!("does-not-match-required")));
        }
        if let Some(values) = &self.enumeration
            && !values.iter().any(|v| v == value)
        {
            return Err(Invalid::new(code, msg!("not-one-allowed-values")));
        }
        Ok(cell)
    }
}

/// The type check: the standardized text as a value of the field's type.
fn typed(code: &str, ty: DataType, value: &str) -> Result<Cell, Invalid> {
    let bad = |zh: &str, en: &str| Invalid::new(code, format!("{zh} / {en}"));
    Ok(match ty {
        DataType::String => Cell::Text(value.to_owned()),
        DataType::Integer => Cell::Int(value.parse().map_err(|_| bad("不是整数", "not a whole number"))?),
        DataType::Decimal => {
            let f: f64 = value.parse().map_err(|_| bad("不是数值", "not a number"))?;
            if !f.is_finite() {
                return Err(bad("不是数值", "not a number"));
            }
            Cell::Float(f)
        }
        DataType::Date => {
            let d: Date = value
                .parse()
                .map_err(|_| bad("不是有效日期（年-月-日）", "not a valid date (Y-m-d)"))?;
            Cell::Date(days_since_epoch(d).ok_or_else(|| bad("日期超出范围", "date out of range"))?)
        }
        DataType::DateTime => {
            let dt: DateTime = match value.parse() {
                Ok(dt) => dt,
                Err(_) => tongban_text::parse_datetime(code, value)?,
            };
            let ms = dt
                .to_zoned(jiff::tz::TimeZone::UTC)
                .map_err(|_| bad("日期时间超出范围", "date and time out of range"))?
                .timestamp()
                .as_millisecond();
            Cell::DateTime(ms)
        }
        DataType::Boolean => Cell::Bool(tongban_text::parse_yes_no(code, value)?),
    })
}

fn days_since_epoch(d: Date) -> Option<i32> {
    let epoch = Date::constant(1970, 1, 1);
    epoch.until((jiff::Unit::Day, d)).ok().map(|s| s.get_days())
}

/// Turns a resource's fields into plans. A regular expression that does not compile is an
/// error before anything is read. Reference rules need the other resource's data and are
/// resolved apart (see [`crate::reference`]).
pub(crate) fn plan(resource: &Resource) -> Result<Vec<FieldPlan>, Invalid> {
    let mut plans = Vec::with_capacity(resource.fields.len());
    for f in &resource.fields {
        let standardizer = f
            .standardizer
            .as_deref()
            .and_then(|name| serde_json::from_value(serde_json::json!({ "kind": name.trim() })).ok())
            .unwrap_or(Standardizer::Trim);
        let mut p = FieldPlan {
            field: f.clone(),
            cipher_name: crate::personal::cipher_name(&resource.code, f),
            blind_domain: crate::personal::blind_domain(f),
            standardizer,
            required: false,
            unique: false,
            range: None,
            regex: None,
            enumeration: None,
        };
        for rule in &f.rules {
            match rule {
                QualityRule::Required => p.required = true,
                QualityRule::Unique => p.unique = true,
                QualityRule::Range { min, max } => p.range = Some((*min, *max)),
                QualityRule::Regex { pattern } => {
                    let re = Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
                        Invalid::new(
                            format!("fields.{}.rules", f.code),
                            msg!("format-rule-does-not", e = e.to_string()),
                        )
                    })?;
                    p.regex = Some(re);
                }
                QualityRule::Enumeration { values } => {
                    p.enumeration = Some(values.iter().map(|v| v.trim().to_owned()).collect());
                }
                QualityRule::Reference { .. } => {}
            }
        }
        plans.push(p);
    }
    Ok(plans)
}

/// The values of unique fields seen in accepted rows so far.
pub(crate) struct Seen {
    values: Vec<HashSet<String>>,
}

impl Seen {
    pub fn new(fields: usize) -> Self {
        Self {
            values: (0..fields).map(|_| HashSet::new()).collect(),
        }
    }

    pub fn contains(&self, field: usize, value: &str) -> bool {
        self.values.get(field).is_some_and(|s| s.contains(value))
    }

    pub fn insert(&mut self, field: usize, value: String) {
        if let Some(s) = self.values.get_mut(field) {
            s.insert(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_count_days_from_the_unix_epoch() {
        assert_eq!(days_since_epoch(Date::constant(1970, 1, 2)), Some(1));
        assert_eq!(days_since_epoch(Date::constant(1969, 12, 31)), Some(-1));
    }

    #[test]
    fn impossible_dates_fail_the_type_check() {
        assert!(typed("d", DataType::Date, "2026-02-30").is_err());
        assert_eq!(typed("d", DataType::Integer, "42"), Ok(Cell::Int(42)));
        assert!(typed("d", DataType::Decimal, "NaN").is_err());
    }
}
