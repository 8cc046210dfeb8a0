//! Dates and times as Chinese government systems and spreadsheets write them, parsed into jiff
//! civil (zone-less) values.
//!
//! Accepted, with full-width digits and surrounding whitespace too:
//! - dates: `2026年1月2日` (also `2026 年 1 月 2 日`, `…2号`, `…2` without 日), `2026-1-2`,
//!   `2026/1/2`, `2026.1.2` (one separator throughout), `20260102`;
//! - times after a date, separated by a space or `T` (or nothing after 日): `08:00`,
//!   `08:00:30`, `08:00:30.5`, `8时30分`, `8点30分15秒`, `8时`; and the compact `202601020800`
//!   and `20260102080030`.
//!
//! Years have four digits. A value that has the right shape but names a day or time that does
//! not exist (`2026-02-30`, `25:00`) is refused with its own reason. Time-zone offsets are not
//! accepted: these are civil times, and which zone they were written in is the caller's
//! knowledge, not the text's.

use crate::width::clean;
use jiff::civil::{Date, DateTime, Time};
use tongban_kernel::Invalid;
use tongban_kernel::{Msg, msg};

fn empty() -> Msg {
    msg!("not-empty")
}
fn not_a_date() -> Msg {
    msg!("not-recognised-date-write")
}
fn not_a_datetime() -> Msg {
    msg!("not-recognised-date-time")
}
fn has_time() -> Msg {
    msg!("date-only-expected-without")
}
fn year_too_small() -> Msg {
    msg!("year-1000-later")
}
fn no_such_time() -> Msg {
    msg!("no-such-time-day")
}

/// The pieces read from the text, before checking that they name a real day and time.
struct Parts {
    year: i16,
    month: i8,
    day: i8,
    time: Option<(i8, i8, i8, i32)>,
}

/// Parses a date in any accepted form. A time of exactly midnight (`2026-01-02 00:00:00`, as
/// database exports write dates) is accepted and dropped; any other time is refused.
pub fn parse_date(field: &str, value: &str) -> Result<Date, Invalid> {
    let parts = read_parts(field, value, not_a_date())?;
    let date = real_date(field, &parts)?;
    match parts.time {
        None | Some((0, 0, 0, 0)) => Ok(date),
        Some(_) => Err(Invalid::new(field, has_time())),
    }
}

/// Parses a date and time in any accepted form. A date alone means its midnight.
pub fn parse_datetime(field: &str, value: &str) -> Result<DateTime, Invalid> {
    let parts = read_parts(field, value, not_a_datetime())?;
    let date = real_date(field, &parts)?;
    let (h, m, s, ns) = parts.time.unwrap_or_default();
    let time = Time::new(h, m, s, ns).map_err(|_| Invalid::new(field, no_such_time()))?;
    Ok(date.to_datetime(time))
}

/// Whether `value` is already the canonical `YYYY-MM-DD` shape (digits unchecked).
pub(crate) fn is_canonical_date_shape(value: &str) -> bool {
    date_shape(value.as_bytes())
}

/// Whether `value` is already the canonical `YYYY-MM-DDTHH:MM:SS` shape (digits unchecked).
pub(crate) fn is_canonical_datetime_shape(value: &str) -> bool {
    let b = value.as_bytes();
    b.len() == 19
        && date_shape(&b[..10])
        && b[10] == b'T'
        && b[11..].iter().enumerate().all(|(i, &c)| match i {
            2 | 5 => c == b':',
            _ => c.is_ascii_digit(),
        })
}

fn date_shape(b: &[u8]) -> bool {
    b.len() == 10
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            _ => c.is_ascii_digit(),
        })
}

fn read_parts(field: &str, value: &str, unrecognised: Msg) -> Result<Parts, Invalid> {
    let text = clean(value);
    if text.is_empty() {
        return Err(Invalid::new(field, empty()));
    }
    scan(&text).ok_or_else(|| Invalid::new(field, unrecognised))
}

fn real_date(field: &str, p: &Parts) -> Result<Date, Invalid> {
    if p.year < 1000 {
        return Err(Invalid::new(field, year_too_small()));
    }
    Date::new(p.year, p.month, p.day).map_err(|_| {
        let why = if (1..=12).contains(&p.month) {
            msg!(
                "no-such-day",
                year = format!("{:04}", p.year),
                month = i32::from(p.month),
                month2 = format!("{:02}", p.month),
                day = i32::from(p.day)
            )
        } else {
            msg!("no-such-month", month = i32::from(p.month))
        };
        Invalid::new(field, why)
    })
}

/// A cursor over cleaned text; every step is a bounded look at the next characters.
struct Cursor<'a> {
    rest: &'a str,
}

impl<'a> Cursor<'a> {
    /// A run of ASCII digits of `min..=max` length, or `None` (consuming nothing) otherwise.
    fn digits(&mut self, min: usize, max: usize) -> Option<&'a str> {
        let n = self.rest.bytes().take_while(u8::is_ascii_digit).count();
        if n < min || n > max {
            return None;
        }
        let (run, rest) = self.rest.split_at(n);
        self.rest = rest;
        Some(run)
    }

    fn eat(&mut self, c: char) -> bool {
        match self.rest.strip_prefix(c) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn eat_any(&mut self, cs: &[char]) -> Option<char> {
        let c = self.rest.chars().next().filter(|c| cs.contains(c))?;
        self.rest = &self.rest[c.len_utf8()..];
        Some(c)
    }

    /// Skips whitespace; says whether there was any.
    fn spaces(&mut self) -> bool {
        let before = self.rest.len();
        self.rest = self.rest.trim_start();
        self.rest.len() < before
    }

    fn at_end(&self) -> bool {
        self.rest.is_empty()
    }
}

/// Reads a short run of digits (at most 9, so it always fits).
fn num<T: std::str::FromStr>(digits: &str) -> Option<T> {
    digits.parse().ok()
}

fn scan(text: &str) -> Option<Parts> {
    let mut c = Cursor { rest: text };
    let first = c.digits(4, 14)?;
    if first.len() != 4 {
        return c.at_end().then(|| compact(first)).flatten();
    }
    let year = num(first)?;
    c.spaces();
    let chinese = c.eat('年');
    let (month, day) = if chinese {
        c.spaces();
        let m = c.digits(1, 2)?;
        c.spaces();
        c.eat('月').then_some(())?;
        c.spaces();
        let d = c.digits(1, 2)?;
        c.spaces();
        c.eat_any(&['日', '号']);
        (m, d)
    } else {
        let sep = c.eat_any(&['-', '/', '.'])?;
        let m = c.digits(1, 2)?;
        c.eat(sep).then_some(())?;
        (m, c.digits(1, 2)?)
    };
    let mut parts = Parts {
        year,
        month: num(month)?,
        day: num(day)?,
        time: None,
    };
    let spaced = c.spaces();
    if c.at_end() {
        return Some(parts);
    }
    if !(spaced || chinese || c.eat('T')) {
        return None;
    }
    parts.time = Some(time(&mut c)?);
    c.spaces();
    c.at_end().then_some(parts)
}

/// `8:30`, `08:30:15`, `08:30:15.250`, `8时30分15秒`, `8点30分`, `8时`.
fn time(c: &mut Cursor<'_>) -> Option<(i8, i8, i8, i32)> {
    let hour = num(c.digits(1, 2)?)?;
    let (mut minute, mut second, mut nanos) = (0, 0, 0);
    if c.eat(':') {
        minute = num(c.digits(1, 2)?)?;
        if c.eat(':') {
            second = num(c.digits(1, 2)?)?;
            if c.eat_any(&['.', ',']).is_some() {
                nanos = fraction_nanos(c.digits(1, 9)?)?;
            }
        }
    } else {
        c.eat_any(&['时', '点'])?;
        c.spaces();
        if let Some(m) = c.digits(1, 2) {
            minute = num(m)?;
            c.spaces();
            c.eat('分').then_some(())?;
            c.spaces();
            if let Some(s) = c.digits(1, 2) {
                second = num(s)?;
                c.spaces();
                c.eat('秒').then_some(())?;
            }
        }
    }
    Some((hour, minute, second, nanos))
}

/// `5` → 500 000 000, `250` → 250 000 000 (digits after the decimal point of seconds).
fn fraction_nanos(digits: &str) -> Option<i32> {
    let n: i32 = num(digits)?;
    let scale = 10i32.checked_pow(9u32.checked_sub(digits.len() as u32)?)?;
    n.checked_mul(scale)
}

/// `YYYYMMDD`, `YYYYMMDDHHMM`, `YYYYMMDDHHMMSS`.
fn compact(d: &str) -> Option<Parts> {
    let field = |r: std::ops::Range<usize>| d.get(r).and_then(num::<i8>);
    let time = match d.len() {
        8 => None,
        12 => Some((field(8..10)?, field(10..12)?, 0, 0)),
        14 => Some((field(8..10)?, field(10..12)?, field(12..14)?, 0)),
        _ => return None,
    };
    Some(Parts {
        year: d.get(0..4).and_then(num)?,
        month: field(4..6)?,
        day: field(6..8)?,
        time,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, datetime};

    fn d(s: &str) -> Date {
        parse_date("birth_date", s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    fn dt(s: &str) -> DateTime {
        parse_datetime("applied_at", s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    #[test]
    fn the_common_chinese_date_forms_all_read_as_the_same_day() {
        let want = date(2026, 1, 2);
        for s in [
            "2026年1月2日",
            "2026年01月02日",
            "2026 年 1 月 2 日",
            "2026年1月2号",
            "2026年1月2",
            "2026/1/2",
            "2026-1-2",
            "2026.1.2",
            "2026-01-02",
            "20260102",
            "  2026-01-02\u{3000}",
            "２０２６年１月２日",
            "２０２６－０１－０２",
        ] {
            assert_eq!(d(s), want, "{s}");
        }
    }

    #[test]
    fn the_common_datetime_forms_all_read_as_the_same_moment() {
        assert_eq!(dt("2026-01-02 08:00"), datetime(2026, 1, 2, 8, 0, 0, 0));
        assert_eq!(dt("2026-01-02 08:00:30"), datetime(2026, 1, 2, 8, 0, 30, 0));
        assert_eq!(dt("2026-01-02T08:00:00"), datetime(2026, 1, 2, 8, 0, 0, 0));
        assert_eq!(dt("2026/1/2 8:05"), datetime(2026, 1, 2, 8, 5, 0, 0));
        assert_eq!(dt("2026年1月2日 8时30分"), datetime(2026, 1, 2, 8, 30, 0, 0));
        assert_eq!(dt("2026年1月2日8点30分15秒"), datetime(2026, 1, 2, 8, 30, 15, 0));
        assert_eq!(dt("2026年1月2日 14时"), datetime(2026, 1, 2, 14, 0, 0, 0));
        assert_eq!(
            dt("2026-01-02 08:00:30.25"),
            datetime(2026, 1, 2, 8, 0, 30, 250_000_000)
        );
        assert_eq!(dt("20260102080030"), datetime(2026, 1, 2, 8, 0, 30, 0));
        assert_eq!(dt("202601020800"), datetime(2026, 1, 2, 8, 0, 0, 0));
        assert_eq!(
            dt("２０２６－０１－０２　０８：００"),
            datetime(2026, 1, 2, 8, 0, 0, 0)
        );
    }

    #[test]
    fn a_date_alone_is_midnight_and_a_midnight_export_is_a_date() {
        assert_eq!(dt("2026-01-02"), datetime(2026, 1, 2, 0, 0, 0, 0));
        assert_eq!(d("1990-05-01 00:00:00"), date(1990, 5, 1));
        assert_eq!(d("1990-05-01 00:00:00.0"), date(1990, 5, 1));
        let e = parse_date("birth_date", "1990-05-01 08:00").unwrap_err();
        assert_eq!(e.reason, has_time());
    }

    #[test]
    fn impossible_dates_are_refused_with_a_bilingual_reason_naming_the_field() {
        let e = parse_date("birth_date", "2026-02-30").unwrap_err();
        assert_eq!(e.field, "birth_date");
        assert!(e.reason.to_string().contains("2026年2月没有30日"), "{}", e.reason);
        assert!(e.reason.to_string().contains("no such date"), "{}", e.reason);
        assert!(
            parse_date("f", "2026-13-01")
                .unwrap_err()
                .reason
                .to_string()
                .contains("没有13月")
        );
        assert!(parse_date("f", "2026-00-10").is_err());
        assert_eq!(
            parse_date("f", "0026-01-02").unwrap_err().reason,
            year_too_small()
        );
        assert!(parse_date("f", "2025年2月29日").is_err());
        assert_eq!(d("2024年2月29日"), date(2024, 2, 29));
    }

    #[test]
    fn impossible_times_are_refused() {
        for s in [
            "2026-01-02 24:00",
            "2026-01-02 08:60",
            "2026-01-02 08:00:60",
            "2026年1月2日 25时",
        ] {
            let e = parse_datetime("t", s).unwrap_err();
            assert_eq!(e.reason, no_such_time(), "{s}");
        }
    }

    #[test]
    fn ambiguous_or_garbage_values_are_not_dates() {
        for s in [
            "26-1-2",
            "2026-1/2",
            "2026-01-02Z",
            "2026-01-02T08:00:00+08:00",
            "2026年1月",
            "202612",
            "2026010203",
            "1/2/2026",
            "明天",
            "2026-01-02 08",
            "2026-01-02 08:00:30.1234567890",
            "'; DROP TABLE x; --",
        ] {
            assert!(parse_datetime("f", s).is_err(), "{s}");
        }
        assert_eq!(parse_date("f", " \u{3000}").unwrap_err().reason, empty());
    }

    #[test]
    fn canonical_shapes_are_recognised_without_parsing() {
        assert!(is_canonical_date_shape("2026-01-02"));
        assert!(!is_canonical_date_shape("2026-1-2"));
        assert!(!is_canonical_date_shape("２０２６-01-02"));
        assert!(is_canonical_datetime_shape("2026-01-02T08:00:00"));
        assert!(!is_canonical_datetime_shape("2026-01-02 08:00:00"));
        assert!(!is_canonical_datetime_shape("2026-01-02T08:00:0é"));
    }
}
