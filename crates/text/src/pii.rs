//! Personal data (个人信息) in free text — what a citizen typed into an inquiry, what a clerk
//! pasted into a note — found so it can be masked before the text is published or shown.
//!
//! Found: 身份证号 (18 characters with a valid check digit and birth date, or the old 15 digits
//! with a valid birth date, so order numbers are not flagged), mobile numbers (11 digits
//! `1[3-9]…`, also after `+86`/`86`), bank cards (16–19 digits passing the Luhn check), 统一社会
//! 信用代码 (valid check character only) and licence plates (`浙A12345`, `浙A·D12345`). Numbers
//! are found however they are written: full-width digits, and groups joined by one space, dash
//! or dot (`138 0013 8000`, `138.0013.8000`, `110105-19491231-002X`). A candidate must stand
//! alone: digits inside a longer run of digits (a serial number) are not a match.

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
    /// 银行卡号.
    BankCard,
    /// 机动车号牌.
    Plate,
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

/// The old 15-digit ID number: region, `YYMMDD` birth date, sequence.
fn is_old_id(s: &[u8]) -> bool {
    if s.len() != 15 || !s.iter().all(u8::is_ascii_digit) || s[0] == b'0' {
        return false;
    }
    let n = |a: usize| u32::from(s[a] - b'0') * 10 + u32::from(s[a + 1] - b'0');
    let (month, day) = (n(8), n(10));
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 => 29,
        _ => 0,
    };
    (1..=days).contains(&day)
}

/// 16–19 digits passing the Luhn check, as bank cards are numbered.
fn is_bank_card(s: &[u8]) -> bool {
    if !(16..=19).contains(&s.len()) || !s.iter().all(u8::is_ascii_digit) || s[0] == b'0' {
        return false;
    }
    let sum: u32 = s
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(d - b'0');
            if i % 2 == 1 {
                let twice = d * 2;
                if twice > 9 { twice - 9 } else { twice }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// What kind of personal data these characters are on their own, if any.
fn classify(chars: &[Ch]) -> Option<PiiKind> {
    let s: Vec<u8> = chars.iter().map(|c| c.ascii).collect();
    if is_mobile(&s) {
        return Some(PiiKind::Mobile);
    }
    if is_old_id(&s) {
        return Some(PiiKind::IdNumber);
    }
    if is_bank_card(&s) {
        return Some(PiiKind::BankCard);
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
    // Numbers written in groups: `138 0013 8000`, `138.0013.8000`, `110105-19491231-002X`,
    // `6222 0213 8001 3800 0128`. A chain is runs of digits joined by one separator each; its
    // longest stretches are tried first.
    let mut chain: Vec<&Vec<Ch>> = Vec::new();
    let end: Vec<Ch> = Vec::new();
    let digits = |r: &Vec<Ch>| {
        let n = r.len();
        r.iter()
            .enumerate()
            .all(|(i, c)| c.ascii.is_ascii_digit() || (i + 1 == n && matches!(c.ascii, b'X' | b'x')))
    };
    for run in runs.iter().chain(std::iter::once(&end)) {
        let joined = match (chain.last().and_then(|r| r.last()), run.first()) {
            (Some(x), Some(y)) => one_separator(text.get(x.end..y.start).unwrap_or_default()),
            _ => false,
        };
        if joined && digits(run) {
            chain.push(run);
            continue;
        }
        grouped(&chain, &mut found);
        chain.clear();
        if !run.is_empty() && digits(run) {
            chain.push(run);
        }
    }
    found.extend(plates(text));
    found.sort_by_key(|s| (s.range.start, std::cmp::Reverse(s.range.end)));
    let mut kept: Vec<PiiSpan> = Vec::with_capacity(found.len());
    for s in found {
        if kept.last().is_none_or(|k| s.range.start >= k.range.end) {
            kept.push(s);
        }
    }
    kept
}

/// Whether `between` is one separator that people write inside a number.
fn one_separator(between: &str) -> bool {
    let mut chars = between.chars();
    matches!(
        (chars.next(), chars.next()),
        (Some(' ' | '-' | '.' | '\u{3000}' | '－' | '．' | '‐' | '–'), None)
    )
}

/// Personal numbers written across two or more of `chain`'s runs, longest stretches first.
fn grouped(chain: &[&Vec<Ch>], found: &mut Vec<PiiSpan>) {
    const LONGEST: usize = 8;
    if chain.len() < 2 {
        return;
    }
    let mut taken = vec![false; chain.len()];
    for len in (2..=chain.len().min(LONGEST)).rev() {
        for start in 0..=chain.len() - len {
            if taken[start..start + len].iter().any(|t| *t) {
                continue;
            }
            let joined: Vec<Ch> = chain[start..start + len]
                .iter()
                .flat_map(|r| r.iter().copied())
                .collect();
            // An X is the last character of an ID number, never inside one.
            if joined[..joined.len() - 1]
                .iter()
                .any(|c| !c.ascii.is_ascii_digit())
            {
                continue;
            }
            if let Some(kind) = classify(&joined).filter(|k| *k != PiiKind::CreditCode) {
                found.extend(span(kind, &joined));
                taken[start..start + len].iter_mut().for_each(|t| *t = true);
            }
        }
    }
}

/// The provinces' one-character abbreviations that begin a licence plate.
const PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";

/// Licence plates: a province, a letter, an optional separator, then five or six letters and
/// digits with at least three digits (`浙A12345`, `浙A·D12345`, `京Ｎ８８８８８`).
fn plates(text: &str) -> Vec<PiiSpan> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        if !PROVINCES.contains(c) {
            i += 1;
            continue;
        }
        let letter = chars
            .get(i + 1)
            .and_then(|(_, c)| ascii_alnum(*c))
            .is_some_and(|a| a.is_ascii_uppercase());
        if !letter {
            i += 1;
            continue;
        }
        let mut j = i + 2;
        if chars
            .get(j)
            .is_some_and(|(_, c)| matches!(c, '·' | '•' | '・' | ' ' | '-' | '.'))
        {
            j += 1;
        }
        let body: Vec<u8> = chars[j.min(chars.len())..]
            .iter()
            .map_while(|(_, c)| ascii_alnum(*c))
            .collect();
        let ok = matches!(body.len(), 5 | 6)
            && body.iter().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
            && body.iter().filter(|b| b.is_ascii_digit()).count() >= 3;
        if ok {
            let last = j + body.len() - 1;
            let end = chars[last].0 + chars[last].1.len_utf8();
            out.push(PiiSpan {
                kind: PiiKind::Plate,
                range: start..end,
            });
            i = last + 1;
        } else {
            i += 1;
        }
    }
    out
}

/// How many letters and digits each kind keeps visible at its start and end.
fn kept(kind: PiiKind) -> (usize, usize) {
    match kind {
        // As `tongban_crypto::mask_id_number`: the sequence digits hidden with the birth date.
        PiiKind::IdNumber => (4, 1),
        PiiKind::Mobile => (3, 4),
        PiiKind::CreditCode => (6, 4),
        PiiKind::BankCard => (0, 4),
        // The province is not a letter or digit: `浙A*****`.
        PiiKind::Plate => (1, 0),
    }
}

/// `text` with every piece of personal data masked, one `*` per hidden character, separators
/// kept: `11010519491231002X` → `1101*************X`, `138 0013 8000` → `138 **** 8000`,
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
            "我的身份证号是1101*************X，手机138****8000，公司代码913501********0Y43。"
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
        assert!(
            find_pii("卡号6222021380013800012")
                .iter()
                .all(|s| s.kind != PiiKind::Mobile)
        );
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

    #[test]
    fn the_reviewed_ways_of_writing_numbers_are_masked() {
        assert_eq!(
            mask_pii("身份证 110105 19491231 002X"),
            "身份证 1101** ******** ***X"
        );
        assert_eq!(
            mask_pii("身份证110105-19491231-002X。"),
            "身份证1101**-********-***X。"
        );
        assert_eq!(mask_pii("老身份证110105491231002"), "老身份证1101**********2");
        assert_eq!(mask_pii("电话138.0013.8000"), "电话138.****.8000");
        assert_eq!(mask_pii("卡号6222 0213 8001 3800"), "卡号**** **** **** 3800");
        assert_eq!(mask_pii("车牌浙A·D1234被刮了"), "车牌浙A·*****被刮了");
        assert_eq!(mask_pii("京N88888停在门口"), "京N*****停在门口");
        // Dates, amounts and ordinary phrases are left alone.
        for plain in [
            "2026-12-06 下午",
            "共计1,234,567元",
            "浙A区3号楼",
            "第12345号文件",
            "版本1.2.3",
        ] {
            assert_eq!(mask_pii(plain), plain);
        }
    }

    /// A small deterministic generator (xorshift), so the property test needs no crate.
    struct Gen(u64);

    impl Gen {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn digits(&mut self, n: usize) -> String {
            (0..n).map(|_| char::from(b'0' + self.below(10) as u8)).collect()
        }
        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[self.below(from.len() as u64) as usize]
        }
    }

    fn id18(g: &mut Gen) -> String {
        let body = format!(
            "{}{}{:02}{:02}{}",
            g.pick(&["110105", "330106", "440305", "990101"]),
            1940 + g.below(80),
            1 + g.below(12),
            1 + g.below(28),
            g.digits(3)
        );
        const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        let sum: u32 = body.bytes().zip(W).map(|(b, w)| u32::from(b - b'0') * w).sum();
        let check = b"10X98765432"[(sum % 11) as usize] as char;
        format!("{body}{check}")
    }

    fn id15(g: &mut Gen) -> String {
        format!(
            "{}{:02}{:02}{:02}{}",
            g.pick(&["110105", "330106"]),
            g.below(100),
            1 + g.below(12),
            1 + g.below(28),
            g.digits(3)
        )
    }

    fn mobile(g: &mut Gen) -> String {
        format!("1{}{}", 3 + g.below(7), g.digits(9))
    }

    fn bank_card(g: &mut Gen) -> String {
        let len = 16 + g.below(4) as usize;
        let body = format!("62{}", g.digits(len - 3));
        for check in 0..10u8 {
            let card = format!("{body}{check}");
            if is_bank_card(card.as_bytes()) {
                return card;
            }
        }
        unreachable!("one check digit always passes")
    }

    /// `number` written as people write it: plain, full-width, or in groups.
    fn written(g: &mut Gen, number: &str, groups: &[usize]) -> String {
        match g.below(4) {
            0 => number.to_string(),
            1 => number
                .chars()
                .map(|c| {
                    if c.is_ascii_digit() {
                        char::from_u32(c as u32 + 0xFEE0).unwrap()
                    } else {
                        c
                    }
                })
                .collect(),
            _ => {
                let sep = g.pick(&[" ", "-", ".", "\u{3000}", "－"]);
                let mut out = String::new();
                let mut at = 0;
                for (i, n) in groups.iter().enumerate() {
                    let end = (at + n).min(number.len());
                    if i > 0 && at < end {
                        out.push_str(sep);
                    }
                    out.push_str(&number[at..end]);
                    at = end;
                }
                if at < number.len() {
                    out.push_str(sep);
                    out.push_str(&number[at..]);
                }
                out
            }
        }
    }

    fn ascii_digits(text: &str) -> String {
        text.chars().filter_map(ascii_alnum).map(char::from).collect()
    }

    #[test]
    fn generated_personal_numbers_in_every_common_format_never_survive_masking() {
        let mut g = Gen(0x5eed_1234_abcd_9876);
        for _ in 0..3000 {
            let (number, groups): (String, &[usize]) = match g.below(4) {
                0 => (
                    id18(&mut g),
                    if g.below(2) == 0 {
                        &[6, 8, 4]
                    } else {
                        &[4, 4, 4, 4, 2]
                    },
                ),
                1 => (id15(&mut g), &[6, 6, 3]),
                2 => (mobile(&mut g), &[3, 4, 4]),
                _ => (bank_card(&mut g), &[4, 4, 4, 4]),
            };
            let text = format!(
                "{}{}{}",
                g.pick(&["我的号码是", "电话：", "卡号 ", "身份证号码", "联系（", ""]),
                written(&mut g, &number, groups),
                g.pick(&["，谢谢。", "。", "", " 请回电", "）"])
            );
            let masked = mask_pii(&text);
            assert!(
                !ascii_digits(&masked)
                    .to_uppercase()
                    .contains(&number.to_uppercase()),
                "{text} → {masked}"
            );
            assert!(
                masked.chars().filter(|c| *c == '*').count() >= 4,
                "{text} → {masked}"
            );
        }
        for _ in 0..500 {
            let province = g.pick(&["京", "浙", "粤", "川"]);
            let letter = char::from(b'A' + g.below(26) as u8);
            let kind = g.pick(&["", "D", "F"]);
            let n = 5 - usize::from(g.below(2) == 0);
            let body = format!("{kind}{}", g.digits(n));
            let body = if body.len() < 5 { format!("{body}8") } else { body };
            let text = format!("车牌{province}{letter}{}{body}一直占道", g.pick(&["", "·", " "]));
            let masked = mask_pii(&text);
            assert!(!masked.contains(&body), "{text} → {masked}");
        }
    }
}
