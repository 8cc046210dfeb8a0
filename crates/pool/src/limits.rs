//! What one function call in a query may ask for. The functions that build values larger than
//! their inputs (`repeat`, `lpad`, `rpad`, `replace`, `regexp_replace`, and where they exist
//! `array_repeat`, `array_resize`, `range`, `generate_series`) and the quadratic `levenshtein`
//! are wrapped so that a call over the limit is refused before it runs. The engine's memory pool
//! counts what operators hold, not what a function builds, and constant folding evaluates
//! calls while the query is planned, before any limit is checked: without these caps one
//! `repeat('x', 3000000000)` took 12 GB and `levenshtein` of two long strings a minute.

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType, Int64Type, TimeUnit};
use datafusion::common::{DataFusionError, ScalarValue};
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature};
use datafusion::prelude::SessionContext;
use std::sync::Arc;

/// The most bytes of text one call may build.
pub const MAX_BUILT_BYTES: i64 = 1 << 20;
/// The longest list one call may build.
pub const MAX_LIST_LEN: i64 = 1_000_000;
/// The longest text `levenshtein` compares (its work grows with the product of the lengths).
pub const MAX_COMPARED_BYTES: i64 = 10_000;

/// The deepest nesting of brackets a query may have. The SQL parser reads some constructs
/// twice at each level before it settles (`POSITION(`, `CAST(`, `CASE (`…), so its time grows
/// two- to threefold per level: 14 levels of `POSITION(` took 4 s, 20 would take hours, and no
/// time limit can stop a parse, which never pauses. At 10 the worst seen is tens of
/// milliseconds, while a query deeper than that is better written with `WITH`.
pub const MAX_NESTING: usize = 10;

/// The most parts a dotted name may have (`catalog.schema.table.column` is four, a field of a
/// struct column one more). The planner tries the ways a long name could split into table and
/// column, which grows much faster than the name: a 33-part name kept a core busy for minutes
/// after its query was answered (found by the SQL fuzz target).
pub const MAX_NAME_PARTS: usize = 6;

/// Refuses a statement nested deeper than [`MAX_NESTING`] brackets, counted in one pass over
/// its tokens (text in quotes and comments does not count). A statement that does not even
/// tokenize passes: the parser names what is wrong with it, and quickly.
pub(crate) fn check_nesting(sql: &str) -> Result<(), String> {
    use datafusion::sql::sqlparser::dialect::GenericDialect;
    use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};
    let Ok(tokens) = Tokenizer::new(&GenericDialect {}, sql).tokenize() else {
        return Ok(());
    };
    let mut depth = 0usize;
    // Parts of the dotted name being read, and whether a dot is waiting for the next part.
    let (mut parts, mut after_dot) = (0usize, false);
    for token in tokens {
        match &token {
            Token::Whitespace(_) => {}
            Token::Word(_) => {
                parts = if after_dot { parts + 1 } else { 1 };
                after_dot = false;
                if parts > MAX_NAME_PARTS {
                    return Err(
                        tongban_kernel::msg!("name-parts-at-most", parts = MAX_NAME_PARTS).to_string()
                    );
                }
            }
            Token::Period => after_dot = parts > 0,
            _ => (parts, after_dot) = (0, false),
        }
        match token {
            Token::LParen | Token::LBracket | Token::LBrace => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(
                        tongban_kernel::msg!("brackets-nest-deeper", levels = MAX_NESTING).to_string()
                    );
                }
            }
            Token::RParen | Token::RBracket | Token::RBrace => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// A call refused for asking too much: the function and what it asked for.
#[derive(Debug, thiserror::Error)]
#[error("{function}：{zh} / {function}: {en}")]
pub struct OverLimit {
    pub(crate) function: String,
    pub(crate) zh: String,
    pub(crate) en: String,
}

/// What a capped function checks before it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Cap {
    /// `repeat(text, n)`: the text's bytes × n.
    Repeat,
    /// `lpad`/`rpad(text, n [, fill])`: n characters (up to 4 bytes each).
    Pad,
    /// `replace(text, from, to)` and `regexp_replace(text, pattern, to …)`: every position of
    /// the text may become `to`.
    Replace,
    /// `levenshtein(a, b)`: both lengths.
    Compare,
    /// `array_repeat(value, n)`, `array_resize(list, n …)`: n.
    ListCount,
    /// `range`/`generate_series(start, stop [, step])` as a list value.
    Range,
}

const CAPPED: &[(&str, Cap)] = &[
    ("repeat", Cap::Repeat),
    ("lpad", Cap::Pad),
    ("rpad", Cap::Pad),
    ("replace", Cap::Replace),
    ("regexp_replace", Cap::Replace),
    ("levenshtein", Cap::Compare),
    ("array_repeat", Cap::ListCount),
    ("array_resize", Cap::ListCount),
    ("range", Cap::Range),
    ("generate_series", Cap::Range),
];

/// Replaces the session's growing functions with capped ones (those the build has).
pub(crate) fn cap_functions(ctx: &SessionContext) {
    for (name, cap) in CAPPED {
        if let Ok(inner) = ctx.udf(name) {
            ctx.register_udf(ScalarUDF::new_from_impl(Capped { inner, cap: *cap }));
        }
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Capped {
    inner: Arc<ScalarUDF>,
    cap: Cap,
}

impl ScalarUDFImpl for Capped {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, args: &[DataType]) -> datafusion::common::Result<DataType> {
        self.inner.return_type(args)
    }

    fn return_field_from_args(
        &self,
        args: datafusion::logical_expr::ReturnFieldArgs,
    ) -> datafusion::common::Result<arrow::datatypes::FieldRef> {
        self.inner.return_field_from_args(args)
    }

    fn coerce_types(&self, args: &[DataType]) -> datafusion::common::Result<Vec<DataType>> {
        self.inner.coerce_types(args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> datafusion::common::Result<ColumnarValue> {
        check(self.inner.name(), self.cap, &args.args, args.number_rows)?;
        self.inner.invoke_with_args(args)
    }
}

/// One argument as an array and whether it is a single value for every row.
fn column(v: &ColumnarValue) -> datafusion::common::Result<(ArrayRef, bool)> {
    match v {
        ColumnarValue::Array(a) => Ok((Arc::clone(a), false)),
        ColumnarValue::Scalar(s) => Ok((s.to_array_of_size(1)?, true)),
    }
}

/// The bytes of the text at `row` (0 for NULL or a non-text value).
fn text_len(a: &ArrayRef, row: usize) -> i64 {
    if a.is_null(row) {
        return 0;
    }
    let n = if let Some(s) = a.as_string_opt::<i32>() {
        s.value(row).len()
    } else if let Some(s) = a.as_string_opt::<i64>() {
        s.value(row).len()
    } else if let Some(s) = a.as_string_view_opt() {
        s.value(row).len()
    } else {
        0
    };
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// An integer, date or time argument as Int64 (dates and times in nanoseconds), cast once for
/// the whole column rather than once a row; other arguments as they are.
fn whole_numbers(a: ArrayRef) -> datafusion::common::Result<ArrayRef> {
    Ok(match a.data_type() {
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(..) => {
            let ns = arrow::compute::cast(&a, &DataType::Timestamp(TimeUnit::Nanosecond, None))?;
            arrow::compute::cast(&ns, &DataType::Int64)?
        }
        t if t.is_integer() && *t != DataType::Int64 => arrow::compute::cast(&a, &DataType::Int64)?,
        _ => a,
    })
}

/// The whole number at `row` (NULL: 0), cast from any integer type.
fn number(a: &ArrayRef, row: usize) -> datafusion::common::Result<i64> {
    if a.is_null(row) {
        return Ok(0);
    }
    if let Some(ints) = a.as_primitive_opt::<Int64Type>() {
        return Ok(ints.value(row));
    }
    let one = a.slice(row, 1);
    let cast = arrow::compute::cast(&one, &DataType::Int64)?;
    Ok(cast.as_primitive::<Int64Type>().value(0))
}

/// A range's step in the units of its points (see [`whole_numbers`]): an interval at its shortest (a month as 28 days).
fn step(a: &ArrayRef, row: usize) -> datafusion::common::Result<i64> {
    const DAY: i64 = 86_400_000_000_000;
    if a.is_null(row) {
        return Ok(1);
    }
    Ok(match ScalarValue::try_from_array(a, row)? {
        ScalarValue::IntervalMonthDayNano(Some(v)) => {
            i64::from(v.months) * 28 * DAY + i64::from(v.days) * DAY + v.nanoseconds
        }
        ScalarValue::IntervalDayTime(Some(v)) => {
            i64::from(v.days) * DAY + i64::from(v.milliseconds) * 1_000_000
        }
        ScalarValue::IntervalYearMonth(Some(m)) => i64::from(m) * 28 * DAY,
        _ => number(a, row)?,
    })
}

fn over(function: &str, zh: String, en: String) -> DataFusionError {
    DataFusionError::External(Box::new(OverLimit {
        function: function.to_string(),
        zh,
        en,
    }))
}

fn check(function: &str, cap: Cap, args: &[ColumnarValue], rows: usize) -> datafusion::common::Result<()> {
    let cols = args
        .iter()
        .map(|v| column(v).and_then(|(a, single)| Ok((whole_numbers(a)?, single))))
        .collect::<datafusion::common::Result<Vec<_>>>()?;
    let at = |i: usize, row: usize| -> Option<(&ArrayRef, usize)> {
        cols.get(i).map(|(a, single)| (a, if *single { 0 } else { row }))
    };
    // A call on single values is checked once, whatever the number of rows.
    let rows = if cols.iter().all(|(_, single)| *single) {
        1
    } else {
        rows
    };
    for row in 0..rows {
        match cap {
            Cap::Repeat => {
                if let (Some((t, r1)), Some((n, r2))) = (at(0, row), at(1, row)) {
                    let built = text_len(t, r1).saturating_mul(number(n, r2)?.max(0));
                    if built > MAX_BUILT_BYTES {
                        return Err(over(
                            function,
                            format!("结果超过{}字节的上限", MAX_BUILT_BYTES),
                            format!("the result would pass the limit of {MAX_BUILT_BYTES} bytes"),
                        ));
                    }
                }
            }
            Cap::Pad => {
                if let Some((n, r)) = at(1, row)
                    && number(n, r)?.saturating_mul(4) > MAX_BUILT_BYTES
                {
                    return Err(over(
                        function,
                        format!("长度超过{}字符的上限", MAX_BUILT_BYTES / 4),
                        format!(
                            "the length passes the limit of {} characters",
                            MAX_BUILT_BYTES / 4
                        ),
                    ));
                }
            }
            Cap::Replace => {
                if let (Some((t, r1)), Some((to, r2))) = (at(0, row), at(2, row)) {
                    let built = (text_len(t, r1) + 1).saturating_mul(text_len(to, r2).max(1));
                    if built > MAX_BUILT_BYTES.saturating_mul(16) {
                        return Err(over(
                            function,
                            format!(
                                "替换结果可能超过{}字节的上限，请缩短文本或替换内容",
                                MAX_BUILT_BYTES * 16
                            ),
                            "the result could grow too large: shorten the text or the replacement"
                                .to_string(),
                        ));
                    }
                }
            }
            Cap::Compare => {
                for i in 0..2 {
                    if let Some((t, r)) = at(i, row)
                        && text_len(t, r) > MAX_COMPARED_BYTES
                    {
                        return Err(over(
                            function,
                            format!("比较的文本超过{MAX_COMPARED_BYTES}字节的上限"),
                            format!("a compared text passes the limit of {MAX_COMPARED_BYTES} bytes"),
                        ));
                    }
                }
            }
            Cap::ListCount => {
                if let Some((n, r)) = at(1, row)
                    && number(n, r)? > MAX_LIST_LEN
                {
                    return Err(over(
                        function,
                        format!("列表长度超过{MAX_LIST_LEN}的上限"),
                        format!("the list passes the limit of {MAX_LIST_LEN} items"),
                    ));
                }
            }
            Cap::Range => {
                // One argument: 0..stop; two: start..stop; three: with a step.
                let (start, stop) = match (at(0, row), at(1, row)) {
                    (Some((a, r1)), Some((b, r2))) => (number(a, r1)?, number(b, r2)?),
                    (Some((a, r)), None) => (0, number(a, r)?),
                    _ => continue,
                };
                let step = match at(2, row) {
                    Some((s, r)) => step(s, r)?,
                    None => 1,
                };
                let span = i128::from(stop) - i128::from(start);
                let count = if step == 0 {
                    i128::MAX
                } else {
                    (span / i128::from(step)).abs()
                };
                if count > i128::from(MAX_LIST_LEN) {
                    return Err(over(
                        function,
                        format!("序列超过{MAX_LIST_LEN}项的上限"),
                        format!("the series passes the limit of {MAX_LIST_LEN} items"),
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{MAX_NAME_PARTS, MAX_NESTING, check_nesting};

    #[test]
    fn a_dotted_name_has_a_bounded_number_of_parts() {
        let name = |n: usize| vec!["p"; n].join(".");
        assert!(check_nesting(&format!("SELECT {} FROM t", name(MAX_NAME_PARTS))).is_ok());
        let refused = check_nesting(&format!("SELECT {} FROM t", name(MAX_NAME_PARTS + 1))).unwrap_err();
        assert!(refused.contains("dotted"), "{refused}");
        // Spaces around the dots do not hide it; separate names and numbers do not add up.
        assert!(check_nesting(&format!("SELECT {}", ["p"; MAX_NAME_PARTS + 1].join(" . "))).is_err());
        assert!(check_nesting(&format!("SELECT {}", vec!["t.c"; 50].join(", "))).is_ok());
        assert!(check_nesting("SELECT 1.5, t.c FROM datafusion.information_schema.tables t").is_ok());
        assert!(
            check_nesting(&format!("SELECT '{}'", name(50))).is_ok(),
            "inside quotes it is text"
        );
    }

    #[test]
    fn nesting_is_counted_in_brackets_outside_quotes_and_comments() {
        let deep = |n: usize| format!("SELECT {}1{}", "(".repeat(n), ")".repeat(n));
        assert!(check_nesting(&deep(MAX_NESTING)).is_ok());
        let refused = check_nesting(&deep(MAX_NESTING + 1)).unwrap_err();
        assert!(refused.contains("WITH"), "{refused}");
        // Unclosed brackets count as they open; closed ones give their level back.
        assert!(check_nesting(&"POSITION(".repeat(MAX_NESTING + 1)).is_err());
        assert!(check_nesting(&"f(1), ".repeat(500)).is_ok());
        assert!(check_nesting(&format!("SELECT '{}', 1 -- {}", "(".repeat(50), "[".repeat(50))).is_ok());
        // Arrays and maps nest too.
        assert!(check_nesting(&format!("SELECT {}", "[".repeat(MAX_NESTING + 1))).is_err());
        // What does not tokenize is left to the parser's message.
        assert!(check_nesting("SELECT 'unclosed").is_ok());
    }
}
