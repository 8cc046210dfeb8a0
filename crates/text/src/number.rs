//! Numbers as Chinese tables write them — `1,234,567.89`, full-width `１，２３４`, `3.5万`,
//! `1.2亿`, `12万5千`, `12.5%`, `-3`, `1.2E+07` — read into an exact [`Decimal`].
//!
//! Why exact: the data pool compares and sums amounts of money and population counts; binary
//! floating point would turn `0.1 + 0.2` and `1.2亿` into values nobody wrote. A [`Decimal`] is
//! `mantissa × 10^-scale` with an `i128` mantissa (38 significant digits) and at most 38 digits
//! after the point, always in lowest terms (`1.50` is stored and shown as `1.5`).
//!
//! Chinese units: 十 (10), 百 (100), 千 (1 000), 万 (10⁴), 亿 (10⁸), combined the way they are
//! read (`1亿5千万` = 150 000 000, `3千万` = 30 000 000, `1万亿` = 10¹²). A bare number after a
//! unit (`12万5`) is refused as ambiguous (it is read 125 000 aloud but could be a typo).
//! Chinese numerals (三万五千) are not read.

use crate::width::clean;
use std::fmt;
use tongban_kernel::Invalid;
use tongban_kernel::{Msg, msg};

fn empty() -> Msg {
    msg!("not-empty")
}
fn not_a_number() -> Msg {
    msg!("not-number-write-e")
}
fn bad_grouping() -> Msg {
    msg!("misplaced-thousands-separators-three")
}
fn ambiguous_tail() -> Msg {
    msg!("number-after-unit-needs")
}
fn out_of_range() -> Msg {
    msg!("number-too-large-too")
}
fn not_finite() -> Msg {
    msg!("not-finite-number")
}
fn spreadsheet_error() -> Msg {
    msg!("spreadsheet-error-value-not")
}

/// An exact decimal number `mantissa × 10^-scale`, in lowest terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal {
    mantissa: i128,
    scale: u32,
}

impl Decimal {
    /// The most digits after the decimal point.
    pub const MAX_SCALE: u32 = 38;
    /// Zero.
    pub const ZERO: Decimal = Decimal {
        mantissa: 0,
        scale: 0,
    };

    /// `mantissa × 10^-scale` in lowest terms; `None` when it needs more than
    /// [`Self::MAX_SCALE`] digits after the point.
    pub fn new(mantissa: i128, scale: u32) -> Option<Self> {
        let (mut mantissa, mut scale) = (mantissa, scale);
        while scale > 0 && mantissa % 10 == 0 {
            mantissa /= 10;
            scale -= 1;
        }
        (scale <= Self::MAX_SCALE).then_some(Self { mantissa, scale })
    }

    /// The integer of significant digits (`-12.5` → `-125`).
    pub fn mantissa(self) -> i128 {
        self.mantissa
    }

    /// Digits after the decimal point (`-12.5` → `1`).
    pub fn scale(self) -> u32 {
        self.scale
    }

    /// Whether the value has no fractional part.
    pub fn is_integer(self) -> bool {
        self.scale == 0
    }

    /// The nearest `f64` (exact decimals beyond 15–17 significant digits are rounded).
    pub fn to_f64(self) -> f64 {
        self.to_string()
            .parse()
            .unwrap_or_else(|_| self.mantissa as f64 / 10f64.powi(self.scale as i32))
    }

    /// The exact sum, or `None` when it does not fit.
    pub fn checked_add(self, other: Self) -> Option<Self> {
        let scale = self.scale.max(other.scale);
        let a = self
            .mantissa
            .checked_mul(10i128.checked_pow(scale - self.scale)?)?;
        let b = other
            .mantissa
            .checked_mul(10i128.checked_pow(scale - other.scale)?)?;
        Self::new(a.checked_add(b)?, scale)
    }

    /// `self × 10^exp` for a positive or negative `exp`.
    fn checked_shift(self, exp: i32) -> Option<Self> {
        let scale = i64::from(self.scale) - i64::from(exp);
        if scale >= 0 {
            Self::new(self.mantissa, u32::try_from(scale).ok()?)
        } else {
            let up = 10i128.checked_pow(u32::try_from(-scale).ok()?)?;
            Self::new(self.mantissa.checked_mul(up)?, 0)
        }
    }

    fn checked_neg(self) -> Option<Self> {
        Some(Self {
            mantissa: self.mantissa.checked_neg()?,
            scale: self.scale,
        })
    }
}

impl fmt::Display for Decimal {
    /// Plain decimal notation, no exponent, no grouping: `-1234567.89`, `0.125`, `120000000`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.mantissa.unsigned_abs().to_string();
        let scale = self.scale as usize;
        if self.mantissa < 0 {
            f.write_str("-")?;
        }
        if scale == 0 {
            return f.write_str(&digits);
        }
        match digits.len().checked_sub(scale) {
            Some(int_len) if int_len > 0 => {
                let (int, frac) = digits.split_at(int_len);
                write!(f, "{int}.{frac}")
            }
            _ => write!(f, "0.{:0>scale$}", digits),
        }
    }
}

/// Parses a number in any of the forms above (see the module notes).
pub fn parse_number(field: &str, value: &str) -> Result<Decimal, Invalid> {
    let text = clean(value);
    if text.is_empty() {
        return Err(Invalid::new(field, empty()));
    }
    read(&text).map_err(|reason| Invalid::new(field, reason))
}

/// Whether `value` is already what `Decimal`'s `Display` would print (so it can be kept as is).
pub(crate) fn is_canonical_number(value: &str) -> bool {
    let body = value.strip_prefix('-').unwrap_or(value);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let int_ok = int == "0"
        || (int.starts_with(|c: char| matches!(c, '1'..='9')) && int.bytes().all(|b| b.is_ascii_digit()));
    let frac_ok = match frac {
        None => true,
        Some(f) => {
            !f.is_empty()
                && f.len() <= Decimal::MAX_SCALE as usize
                && !f.ends_with('0')
                && f.bytes().all(|b| b.is_ascii_digit())
        }
    };
    // `-0` is not canonical; a 39th integer digit may overflow the mantissa.
    int_ok && frac_ok && value != "-0" && int.len() + frac.map_or(0, str::len) <= 38
}

/// Units read after a number.
fn unit_value(c: char) -> Option<i32> {
    match c {
        '十' => Some(1),
        '百' => Some(2),
        '千' => Some(3),
        '万' => Some(4),
        '亿' => Some(8),
        _ => None,
    }
}

fn read(text: &str) -> Result<Decimal, Msg> {
    let lower = text.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-', '\u{2212}']);
    if matches!(unsigned, "nan" | "inf" | "infinity" | "∞") {
        return Err(not_finite());
    }
    if text.starts_with('#') {
        // #DIV/0!, #N/A, #VALUE!, #REF!, #NUM!
        return Err(spreadsheet_error());
    }

    let mut rest = text;
    let negative = match rest.chars().next() {
        Some(c @ ('-' | '+' | '\u{2212}')) => {
            rest = &rest[c.len_utf8()..];
            c != '+'
        }
        _ => false,
    };
    let (rest, percent_exp) = match rest.strip_suffix('%') {
        Some(r) => (r.trim_end(), -2),
        None => match rest.strip_suffix('‰') {
            Some(r) => (r.trim_end(), -3),
            None => (rest, 0),
        },
    };

    let value = read_units(rest)?;
    let value = value.checked_shift(percent_exp).ok_or(out_of_range())?;
    if negative {
        value.checked_neg().ok_or(out_of_range())
    } else {
        Ok(value)
    }
}

/// A numeral, optionally with an exponent, or a chain of numerals and Chinese units.
fn read_units(text: &str) -> Result<Decimal, Msg> {
    let mut rest = text;
    let (mut big, mut small) = (Decimal::ZERO, Decimal::ZERO);
    let mut pending: Option<Decimal> = None;
    let mut used_units = false;
    let mut anything = false;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        if let Some((n, after)) = numeral(rest)? {
            if pending.is_some() {
                return Err(not_a_number());
            }
            rest = after;
            if !used_units && let Some((exp, after)) = exponent(rest) {
                if !after.trim().is_empty() {
                    return Err(not_a_number());
                }
                return n.checked_shift(exp).ok_or(out_of_range());
            }
            pending = Some(n);
            anything = true;
            continue;
        }
        let Some(c) = rest.chars().next() else { break };
        let Some(exp) = unit_value(c) else {
            return Err(not_a_number());
        };
        rest = &rest[c.len_utf8()..];
        used_units = true;
        match exp {
            1..=3 => {
                let n = pending.take().ok_or(not_a_number())?;
                small = small
                    .checked_add(n.checked_shift(exp).ok_or(out_of_range())?)
                    .ok_or(out_of_range())?;
            }
            _ => {
                if !anything {
                    return Err(not_a_number());
                }
                let n = pending.take().unwrap_or(Decimal::ZERO);
                let group = small.checked_add(n).ok_or(out_of_range())?;
                if exp == 8 {
                    big = big
                        .checked_add(group)
                        .and_then(|g| g.checked_shift(8))
                        .ok_or(out_of_range())?;
                    small = Decimal::ZERO;
                } else {
                    small = group.checked_shift(exp).ok_or(out_of_range())?;
                }
            }
        }
    }
    match pending {
        Some(n) if !used_units => Ok(n),
        Some(_) => Err(ambiguous_tail()),
        None if used_units => big.checked_add(small).ok_or(out_of_range()),
        None => Err(not_a_number()),
    }
}

/// Digits with optional thousands separators and an optional fraction: `1,234.5`, `.5`, `7`.
/// `Ok(None)` when `s` does not start with a numeral.
fn numeral(s: &str) -> Result<Option<(Decimal, &str)>, Msg> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut mantissa: i128 = 0;
    let push = |d: u8, m: &mut i128| -> Result<(), Msg> {
        *m = m
            .checked_mul(10)
            .and_then(|m| m.checked_add(i128::from(d - b'0')))
            .ok_or(out_of_range())?;
        Ok(())
    };
    let mut group_len = 0usize;
    let mut groups = 0usize;
    while i < b.len() {
        match b[i] {
            d @ b'0'..=b'9' => {
                push(d, &mut mantissa)?;
                group_len += 1;
            }
            b',' => {
                // The first group has 1–3 digits, every later one exactly 3.
                let ok_before = if groups == 0 {
                    (1..=3).contains(&group_len)
                } else {
                    group_len == 3
                };
                if !ok_before {
                    return Err(bad_grouping());
                }
                groups += 1;
                group_len = 0;
            }
            _ => break,
        }
        i += 1;
    }
    if groups > 0 && group_len != 3 {
        return Err(bad_grouping());
    }
    let int_digits = i;
    let mut scale = 0u32;
    if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        while let Some(&d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            push(d, &mut mantissa)?;
            scale += 1;
            i += 1;
        }
    }
    if int_digits == 0 && scale == 0 {
        return Ok(None);
    }
    let n = Decimal::new(mantissa, scale).ok_or(out_of_range())?;
    Ok(Some((n, &s[i..])))
}

/// `e5`, `E+07`, `e-3` (at most three digits).
fn exponent(s: &str) -> Option<(i32, &str)> {
    let rest = s.strip_prefix(['e', 'E'])?;
    let (negative, rest) = match rest.as_bytes().first() {
        Some(b'+') => (false, &rest[1..]),
        Some(b'-') => (true, &rest[1..]),
        _ => (false, rest),
    };
    let n = rest.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 || n > 3 {
        return None;
    }
    let e: i32 = rest[..n].parse().ok()?;
    Some((if negative { -e } else { e }, &rest[n..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        parse_number("amount", s)
            .unwrap_or_else(|e| panic!("{s:?}: {e}"))
            .to_string()
    }

    fn reason(s: &str) -> Msg {
        parse_number("amount", s)
            .map(|d| d.to_string())
            .unwrap_err()
            .reason
    }

    #[test]
    fn thousands_separators_and_full_width_digits_are_read() {
        assert_eq!(n("1,234,567.89"), "1234567.89");
        assert_eq!(n("１，２３４"), "1234");
        assert_eq!(n("１２３．５"), "123.5");
        assert_eq!(n("  42 "), "42");
        assert_eq!(n("007"), "7");
        assert_eq!(n(".5"), "0.5");
        assert_eq!(n("1.50"), "1.5");
        assert_eq!(n("0.000"), "0");
    }

    #[test]
    fn wan_and_yi_multiply_exactly() {
        assert_eq!(n("3.5万"), "35000");
        assert_eq!(n("1.2亿"), "120000000");
        assert_eq!(n("12万5千"), "125000");
        assert_eq!(n("1亿5千万"), "150000000");
        assert_eq!(n("3千万"), "30000000");
        assert_eq!(n("1万亿"), "1000000000000");
        assert_eq!(n("2亿3000万"), "230000000");
        assert_eq!(n("5千3百"), "5300");
        assert_eq!(n("0.0001万"), "1");
        assert_eq!(n("1.23456万"), "12345.6");
        assert_eq!(n("-3.5万"), "-35000");
        assert_eq!(n("3.5 万"), "35000");
    }

    #[test]
    fn percentages_become_fractions() {
        assert_eq!(n("12.5%"), "0.125");
        assert_eq!(n("１２.５％"), "0.125");
        assert_eq!(n("100%"), "1");
        assert_eq!(n("-0.5%"), "-0.005");
        assert_eq!(n("3‰"), "0.003");
    }

    #[test]
    fn negative_values_and_exponents_are_read() {
        assert_eq!(n("-1,234"), "-1234");
        assert_eq!(n("－１２"), "-12");
        assert_eq!(n("\u{2212}7"), "-7");
        assert_eq!(n("+7"), "7");
        assert_eq!(n("1.2E+07"), "12000000");
        assert_eq!(n("5e-3"), "0.005");
    }

    #[test]
    fn the_decimal_is_exact_where_floating_point_is_not() {
        let d = parse_number("f", "0.1")
            .unwrap()
            .checked_add(parse_number("f", "0.2").unwrap())
            .unwrap();
        assert_eq!(d.to_string(), "0.3");
        assert_eq!((d.mantissa(), d.scale()), (3, 1));
        assert_eq!(parse_number("f", "12.5%").unwrap().to_f64(), 0.125);
        let big = "123456789012345678901234567890.12345678";
        assert_eq!(n(big), big);
    }

    #[test]
    fn nan_infinity_and_spreadsheet_errors_are_refused_with_their_own_reason() {
        for s in ["NaN", "inf", "-Infinity", "∞"] {
            assert_eq!(reason(s), not_finite(), "{s}");
        }
        for s in ["#DIV/0!", "#N/A", "#VALUE!"] {
            assert_eq!(reason(s), spreadsheet_error(), "{s}");
        }
    }

    #[test]
    fn garbage_and_ambiguous_numbers_are_refused() {
        for s in [
            "abc", "1.2.3", "1 234", "--1", "万", "千5", "1e", "1e1234", "12元", "%", "-", "1,2", "1..2",
            "三万",
        ] {
            assert!(parse_number("f", s).is_err(), "{s}");
        }
        assert_eq!(reason("1,23"), bad_grouping());
        assert_eq!(reason("1234,567"), bad_grouping());
        assert_eq!(reason("12万5"), ambiguous_tail());
        assert_eq!(reason(""), empty());
    }

    #[test]
    fn numbers_too_large_or_too_precise_are_refused_not_wrapped() {
        assert_eq!(reason(&"9".repeat(40)), out_of_range());
        assert_eq!(reason(&format!("0.{}1", "0".repeat(40))), out_of_range());
        assert_eq!(reason("1e999"), out_of_range());
        assert_eq!(reason(&format!("{}亿亿亿", "9".repeat(30))), out_of_range());
    }

    #[test]
    fn canonical_text_is_recognised_without_parsing() {
        for s in ["0", "7", "-7", "1234.5", "0.125", "-0.5"] {
            assert!(is_canonical_number(s), "{s}");
            assert_eq!(n(s), s);
        }
        for s in ["-0", "007", "1.50", "1.", ".5", "+1", "1,234", "", "-", "1e5"] {
            assert!(!is_canonical_number(s), "{s}");
        }
    }
}
