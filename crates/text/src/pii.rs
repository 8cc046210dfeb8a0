//! Personal data (个人信息) in free text — what a citizen typed into an inquiry, what a clerk
//! pasted into a note — found so it can be masked before the text is published or shown.
//!
//! Found: 身份证号 (18 characters with a valid check digit and birth date only, so order numbers
//! are not flagged), mobile numbers (11 digits `1[3-9]…`, also `138 0013 8000`, `138-0013-8000`
//! and after `+86`/`86`), and 统一社会信用代码 (valid check character only). Full-width digits
//! count. A candidate must stand alone: digits inside a longer run of digits (a bank card, a
//! serial number) are not a match.

use std::borrow::Cow;
use std::ops::Range;
use tongban_kernel::{CreditCode, IdNumber};

/// A kind of personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PiiKind {
    /// 身份证号.
    IdNumber,
    /// 手机号.
    Mobile,
    /// 统一社会信用代码 (a business, but often a sole trader's own number).
    CreditCode,
}

/// Where personal data was found: a byte range of the text, always on character boundaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PiiSpan {
    /// What it is.
    pub kind: PiiKind,
    /// Byte offsets into the text searched.
    pub range: Range<usize>,
}

/// One character of a run of letters and digits: its byte range and ASCII form.
#[derive(Debug, Clone, Copy)]
struct Ch {
    start: usize,
    end: usize,
    ascii: u8,
}

/// The ASCII form of a half- or full-width letter or digit.
fn ascii_alnum(c: char) -> Option<u8> {
    match c {
        'a'..='z' | 'A'..='Z' | '0'..='9' => Some(c as u8),
        '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
            u8::try_from(c as u32 - 0xFEE0).ok()
        }
        _ => None,
    }
}

/// Maximal runs of letters and digits that contain a digit.
fn runs(text: &str) -> Vec<Vec<Ch>> {
    let mut out = Vec::new();
    let mut current: Vec<Ch> = Vec::new();
    for (start, c) in text.char_indices() {
        match ascii_alnum(c) {
            Some(ascii) => current.push(Ch {
                start,
                end: start + c.len_utf8(),
                ascii,
            }),
            None if !current.is_empty() => {
                if current.iter().any(|ch| ch.ascii.is_ascii_digit()) {
                    out.push(std::mem::take(&mut current));
                } else {
                    current.clear();
                }
            }
            None => {}
        }
    }
    if current.iter().any(|ch| ch.ascii.is_ascii_digit()) {
        out.push(current);
    }
    out
}

fn is_mobile(s: &[u8]) -> bool {
    s.len() == 11 && s[0] == b'1' && matches!(s[1], b'3'..=b'9') && s.iter().all(u8::is_ascii_digit)
}

/// What kind of personal data these characters are on their own, if any.
fn classify(chars: &[Ch]) -> Option<PiiKind> {
    let s: Vec<u8> = chars.iter().map(|c| c.ascii).collect();
    if is_mobile(&s) {
        return Some(PiiKind::Mobile);
    }
    if s.len() != 18 {
        return None;
    }
    // ASCII by construction, as the kernel's parsers need.
    let text = std::str::from_utf8(&s).ok()?;
    if IdNumber::parse("", text).is_ok() {
        Some(PiiKind::IdNumber)
    } else if CreditCode::parse("", text).is_ok() {
        Some(PiiKind::CreditCode)
    } else {
        None
    }
}

fn span(kind: PiiKind, chars: &[Ch]) -> Option<PiiSpan> {
    Some(PiiSpan {
        kind,
        range: chars.first()?.start..chars.last()?.end,
    })
}

/// Whether the text could hold a digit at all (ASCII `0-9` or full-width `０-９`).
fn may_hold_digits(text: &str) -> bool {
    let b = text.as_bytes();
    b.iter().any(u8::is_ascii_digit)
        || b.windows(3)
            .any(|w| w[0] == 0xEF && w[1] == 0xBC && (0x90..=0x99).contains(&w[2]))
}

/// Every piece of personal data in `text`, in order, not overlapping.
pub fn find_pii(text: &str) -> Vec<PiiSpan> {
    if !may_hold_digits(text) {
        return Vec::new();
    }
    let runs = runs(text);
    let mut found = Vec::new();
    for run in &runs {
        if let Some(kind) = classify(run) {
            found.extend(span(kind, run));
            continue;
        }
        // `8613800138000`: a mobile after the country code.
        if run.len() == 13
            && run[0].ascii == b'8'
            && run[1].ascii == b'6'
            && classify(&run[2..]) == Some(PiiKind::Mobile)
        {
            found.extend(span(PiiKind::Mobile, &run[2..]));
            continue;
        }
        // Digits glued to letters: `tel13800138000`, `ID11010519491231002X`.
        let mut i = 0;
        while i < run.len() {
            if !run[i].ascii.is_ascii_digit() {
                i += 1;
                continue;
            }
            let mut j = i;
            while j < run.len() && run[j].ascii.is_ascii_digit() {
                j += 1;
            }
            let with_x = j < run.len() && matches!(run[j].ascii, b'X' | b'x');
            let candidate = if with_x { &run[i..=j] } else { &run[i..j] };
            if (candidate.len() < run.len())
                && let Some(kind) = classify(candidate).filter(|k| *k != PiiKind::CreditCode)
            {
                found.extend(span(kind, candidate));
            }
            i = j.max(i + 1);
        }
    }
    // `138 0013 8000`, `138-0013-8000`.
    for w in runs.windows(3) {
        let digits_only = |r: &Vec<Ch>| r.iter().all(|c| c.ascii.is_ascii_digit());
        let lens = (w[0].len(), w[1].len(), w[2].len());
        if lens != (3, 4, 4) || !w.iter().all(digits_only) {
            continue;
        }
        let single_separator = |a: &[Ch], b: &[Ch]| match (a.last(), b.first()) {
            (Some(x), Some(y)) => y.start == x.end + 1 && matches!(text.as_bytes()[x.end], b' ' | b'-'),
            _ => false,
        };
        if !single_separator(&w[0], &w[1]) || !single_separator(&w[1], &w[2]) {
            continue;
        }
        let joined: Vec<Ch> = w.iter().flatten().copied().collect();
        if classify(&joined) == Some(PiiKind::Mobile)
            && let (Some(first), Some(last)) = (w[0].first(), w[2].last())
        {
            found.push(PiiSpan {
                kind: PiiKind::Mobile,
                range: first.start..last.end,
            });
        }
    }
    found.sort_by_key(|s| (s.range.start, std::cmp::Reverse(s.range.end)));
    let mut kept: Vec<PiiSpan> = Vec::with_capacity(found.len());
    for s in found {
        if kept.last().is_none_or(|k| s.range.start >= k.range.end) {
            kept.push(s);
        }
    }
    kept
}

/// How many letters and digits each kind keeps visible at its start and end.
fn kept(kind: PiiKind) -> (usize, usize) {
    match kind {
        PiiKind::IdNumber => (4, 4),
        PiiKind::Mobile => (3, 4),
        PiiKind::CreditCode => (6, 4),
    }
}

/// `text` with every piece of personal data masked, one `*` per hidden character, separators
/// kept: `11010519491231002X` → `1101**********002X`, `138 0013 8000` → `138 **** 8000`,
/// a credit code keeps its first 6 and last 4. Borrowed when nothing was found.
pub fn mask_pii(text: &str) -> Cow<'_, str> {
    let spans = find_pii(text);
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for s in spans {
        let (Some(before), Some(found)) = (text.get(at..s.range.start), text.get(s.range.clone())) else {
            continue;
        };
        out.push_str(before);
        let (head, tail) = kept(s.kind);
        let total = found.chars().filter(|&c| ascii_alnum(c).is_some()).count();
        let mut n = 0;
        for c in found.chars() {
            if ascii_alnum(c).is_none() {
                out.push(c);
                continue;
            }
            out.push(if n < head || n + tail >= total { c } else { '*' });
            n += 1;
        }
        at = s.range.end;
    }
    out.push_str(text.get(at..).unwrap_or_default());
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "11010519491231002X";
    const CODE: &str = "91350100M000100Y43";

    fn kinds(text: &str) -> Vec<(PiiKind, &str)> {
        find_pii(text)
            .into_iter()
            .map(|s| (s.kind, &text[s.range]))
            .collect()
    }

    #[test]
    fn id_numbers_mobiles_and_credit_codes_are_found_in_chinese_prose() {
        let text = format!("我的身份证号是{ID}，手机13800138000，公司代码{CODE}。");
        assert_eq!(
            kinds(&text),
            vec![
                (PiiKind::IdNumber, ID),
                (PiiKind::Mobile, "13800138000"),
                (PiiKind::CreditCode, CODE)
            ]
        );
        assert_eq!(
            mask_pii(&text),
            "我的身份证号是1101**********002X，手机138****8000，公司代码913501********0Y43。"
        );
    }

    #[test]
    fn only_id_numbers_with_a_valid_check_digit_are_found() {
        assert!(find_pii("订单号110105194912310021").is_empty());
        // Month 13: not an ID number (it may still pass as a credit code, which is masked too).
        assert!(
            find_pii("11010519491331002X")
                .iter()
                .all(|s| s.kind != PiiKind::IdNumber)
        );
        assert_eq!(
            kinds("id:11010519491231002x"),
            vec![(PiiKind::IdNumber, "11010519491231002x")]
        );
    }

    #[test]
    fn digits_inside_longer_numbers_are_not_matches() {
        assert!(find_pii("卡号6222021380013800012").is_empty());
        assert!(find_pii("编号113800138000").is_empty());
        assert!(
            find_pii("金额12800138000元").is_empty(),
            "12… is not a mobile prefix"
        );
    }

    #[test]
    fn grouped_and_prefixed_mobiles_are_found() {
        assert_eq!(
            kinds("电话 138 0013 8000 谢谢"),
            vec![(PiiKind::Mobile, "138 0013 8000")]
        );
        assert_eq!(mask_pii("电话138-0013-8000"), "电话138-****-8000");
        assert_eq!(kinds("+86 13800138000"), vec![(PiiKind::Mobile, "13800138000")]);
        assert_eq!(kinds("8613800138000"), vec![(PiiKind::Mobile, "13800138000")]);
        assert_eq!(kinds("tel13800138000"), vec![(PiiKind::Mobile, "13800138000")]);
        assert!(
            find_pii("138  0013 8000").is_empty(),
            "two spaces are not one grouping"
        );
    }

    #[test]
    fn full_width_digits_are_found_and_masked_in_place() {
        let text = "手机：１３８００１３８０００";
        assert_eq!(kinds(text), vec![(PiiKind::Mobile, "１３８００１３８０００")]);
        assert_eq!(mask_pii(text), "手机：１３８****８０００");
    }

    #[test]
    fn text_without_personal_data_is_borrowed() {
        assert!(matches!(
            mask_pii("请问办理居住证需要什么材料？"),
            Cow::Borrowed(_)
        ));
        assert!(matches!(mask_pii("2026年1月2日共计12345人"), Cow::Borrowed(_)));
        assert!(matches!(mask_pii(""), Cow::Borrowed("")));
    }
}
