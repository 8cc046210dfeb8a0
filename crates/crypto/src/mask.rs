//! Masking (脱敏) of personal data for display, e.g. `3301*************4`.
//!
//! Every function counts characters, not bytes, accepts any input without panicking, and masks
//! a value entirely when it is too short for its rule, rather than revealing most of it.

const STAR: char = '*';

fn stars(n: usize) -> String {
    std::iter::repeat_n(STAR, n).collect()
}

/// Keeps the first `keep_start` and last `keep_end` characters and masks the rest; a value of
/// `keep_start + keep_end` characters or fewer is masked entirely.
pub fn mask_generic(s: &str, keep_start: usize, keep_end: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n <= keep_start.saturating_add(keep_end) {
        return stars(n);
    }
    let mut out = String::with_capacity(s.len());
    out.extend(&chars[..keep_start]);
    out.push_str(&stars(n - keep_start - keep_end));
    out.extend(&chars[n - keep_end..]);
    out
}

/// Masks unless the value has at least `min_len` characters, then keeps start and end.
fn mask_if_at_least(s: &str, min_len: usize, keep_start: usize, keep_end: usize) -> String {
    if s.chars().count() < min_len {
        stars(s.chars().count())
    } else {
        mask_generic(s, keep_start, keep_end)
    }
}

/// 身份证号: the first 4 (province and city) and the last character; shorter than the 15 of a
/// legacy number is masked entirely. `330102199001011234` → `3301*************4`.
///
/// Not the last 4: beside a birth date shown in clear, `3301*************4` left only the two
/// district digits unknown, and the check digit gave the whole number back. With the sequence
/// digits hidden too, thousands of numbers fit what is shown.
pub fn mask_id_number(s: &str) -> String {
    mask_if_at_least(s.trim(), 15, 4, 1)
}

/// 统一社会信用代码 (or a legacy 15-digit registration number): the first 6 and last 4
/// characters, `91330102MA27XYZ12X` → `913301********Z12X`; shorter than 15 is masked entirely.
pub fn mask_credit_code(s: &str) -> String {
    mask_if_at_least(s.trim(), 15, 6, 4)
}

/// A person's name: the first character only. `张三` → `张*`, `欧阳娜娜` → `欧***`; a
/// one-character name is masked entirely.
pub fn mask_name(s: &str) -> String {
    mask_if_at_least(s.trim(), 2, 1, 0)
}

/// An email address: the domain is kept, the local part keeps its first character when it has
/// three or more. `zhangsan@example.cn` → `z*******@example.cn`. Without a usable `@` the whole
/// value is masked.
pub fn mask_email(s: &str) -> String {
    let s = s.trim();
    match s.rsplit_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() => {
            format!("{}@{domain}", mask_if_at_least(local, 3, 1, 0))
        }
        _ => stars(s.chars().count()),
    }
}

/// A phone number, separators kept in place. Mobile (11 digits from 1, optionally after
/// +86/0086): the first 3 and last 4 digits, `13812345678` → `138****5678`. Landline with a
/// leading 0: the area code and last 4 digits, `0571-87654321` → `0571-****4321`. Any other
/// number of 7 digits or more: the last 4. Shorter numbers, and any value holding a character
/// other than digits and the separators ` -+()`, are masked entirely.
pub fn mask_phone(s: &str) -> String {
    let s = s.trim();
    let is_separator = |c: char| matches!(c, ' ' | '-' | '+' | '(' | ')');
    if !s.chars().all(|c| c.is_ascii_digit() || is_separator(c)) {
        return stars(s.chars().count());
    }
    let digits: Vec<char> = s.chars().filter(char::is_ascii_digit).collect();
    let n = digits.len();
    let starts_with = |p: &str| digits.iter().take(p.len()).copied().eq(p.chars());

    // Country code 86, written +86, 86 or 0086, before a mobile number.
    let country = if n == 13 && starts_with("861") {
        2
    } else if n == 15 && starts_with("00861") {
        4
    } else {
        0
    };
    let national = &digits[country..];
    let (keep_start, keep_end) = if national.len() == 11 && national[0] == '1' {
        (country + 3, 4)
    } else if national.first() == Some(&'0') && n >= 10 {
        (country + area_code_len(s, national), 4)
    } else if n >= 7 {
        (0, 4)
    } else {
        (0, 0)
    };

    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    for c in s.chars() {
        if c.is_ascii_digit() {
            let keep = keep_end > 0 && (i < keep_start || i >= n - keep_end);
            out.push(if keep { c } else { STAR });
            i += 1;
        } else {
            out.push(c);
        }
    }
    out
}

/// Length of a Chinese area code (区号) at the start of `national` (which starts with 0): as
/// written when a separator follows it, else 3 digits for 010 and 02x, 4 for the rest.
fn area_code_len(written: &str, national: &[char]) -> usize {
    let leading: String = written
        .trim_start_matches(['+', '(', ' '])
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    if leading.starts_with('0') && (3..=4).contains(&leading.len()) {
        return leading.len();
    }
    match national.get(1) {
        Some('1' | '2') => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {

    /// The 18-digit numbers that fit what a page shows: the masked number and a birth date.
    fn fitting(masked: &str, birth: &str) -> usize {
        const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        let shown: Vec<char> = masked.chars().collect();
        let mut n = 0;
        for district in 0..100 {
            for seq in 0..1000 {
                let body = format!("{}{district:02}{birth}{seq:03}", &masked[..4]);
                let sum: u32 = body.bytes().zip(W).map(|(b, w)| u32::from(b - b'0') * w).sum();
                let check = b"10X98765432"[(sum % 11) as usize] as char;
                let id: Vec<char> = format!("{body}{check}").chars().collect();
                if shown.iter().zip(&id).all(|(s, c)| *s == '*' || s == c) {
                    n += 1;
                }
            }
        }
        n
    }

    #[test]
    fn a_masked_id_number_beside_its_birth_date_cannot_be_completed() {
        let id = "330102199001011234";
        // The old mask (last four shown) left about a hundred candidates, one per district, and
        // the district is often on the same page; the new one leaves thousands.
        assert!(fitting("3301**********1234", "19900101") <= 100);
        let masked = mask_id_number(id);
        let candidates = fitting(&masked, "19900101");
        assert!(candidates > 5_000, "{masked}: {candidates} candidates");
    }
    use super::*;

    #[test]
    fn id_number_keeps_first_four_and_last_one() {
        assert_eq!(mask_id_number("330102199001011234"), "3301*************4");
        assert_eq!(mask_id_number(" 33010219900101123X "), "3301*************X");
        assert_eq!(mask_id_number("330102900101123"), "3301**********3");
    }

    #[test]
    fn short_or_odd_id_numbers_are_masked_entirely() {
        assert_eq!(mask_id_number(""), "");
        assert_eq!(mask_id_number("12345"), "*****");
        assert_eq!(mask_id_number("330102199001"), "************");
        assert_eq!(mask_id_number("张三李四"), "****");
    }

    #[test]
    fn mobile_keeps_first_three_and_last_four() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("138 1234 5678"), "138 **** 5678");
        assert_eq!(mask_phone("+86 138-1234-5678"), "+86 138-****-5678");
        assert_eq!(mask_phone("008613812345678"), "0086138****5678");
    }

    #[test]
    fn landline_keeps_area_code_and_last_four() {
        assert_eq!(mask_phone("0571-87654321"), "0571-****4321");
        assert_eq!(mask_phone("010-12345678"), "010-****5678");
        assert_eq!(mask_phone("(021) 6123 4567"), "(021) **** 4567");
        assert_eq!(mask_phone("057187654321"), "0571****4321");
        assert_eq!(mask_phone("01012345678"), "010****5678");
        assert_eq!(mask_phone("87654321"), "****4321");
    }

    #[test]
    fn short_phone_numbers_and_stray_characters_are_masked() {
        assert_eq!(mask_phone("12345"), "*****");
        assert_eq!(mask_phone("110"), "***");
        assert_eq!(mask_phone(""), "");
        assert_eq!(mask_phone("张三"), "**");
        assert_eq!(mask_phone("138a2345678"), "***********");
    }

    #[test]
    fn names_keep_only_the_first_character() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name("阿卜杜·热合曼"), "阿******");
        assert_eq!(mask_name("张"), "*");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn credit_code_keeps_first_six_and_last_four() {
        assert_eq!(mask_credit_code("91330102MA27XYZ12X"), "913301********Z12X");
        assert_eq!(mask_credit_code("9133"), "****");
    }

    #[test]
    fn email_keeps_domain_and_first_character() {
        assert_eq!(mask_email("zhangsan@example.cn"), "z*******@example.cn");
        assert_eq!(mask_email("ab@example.cn"), "**@example.cn");
        assert_eq!(mask_email("张三丰@例子.中国"), "张**@例子.中国");
        assert_eq!(mask_email("no-at-sign"), "**********");
        assert_eq!(mask_email("@x.cn"), "*****");
        assert_eq!(mask_email("a@"), "**");
    }

    #[test]
    fn generic_masks_middle_and_fully_masks_short_input() {
        assert_eq!(mask_generic("浙江省杭州市西湖区", 3, 0), "浙江省******");
        assert_eq!(mask_generic("abcdef", 2, 2), "ab**ef");
        assert_eq!(mask_generic("abcd", 2, 2), "****");
        assert_eq!(mask_generic("a", usize::MAX, usize::MAX), "*");
        assert_eq!(mask_generic("", 0, 0), "");
        assert_eq!(mask_generic("abc", 0, 0), "***");
    }

    #[test]
    fn no_masker_panics_on_awkward_input() {
        let inputs = [
            "",
            " ",
            "\u{0}",
            "😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀",
            "0",
            "00",
            "0000000000",
            "+",
            "+86",
            "861",
            "(((",
            "１３８１２３４５６７８",
            "e\u{301}",
            "@@@",
            "a@b@c",
        ];
        for s in inputs {
            for f in [
                mask_id_number,
                mask_phone,
                mask_name,
                mask_credit_code,
                mask_email,
            ] {
                let out = f(s);
                assert_eq!(out.chars().count(), s.trim().chars().count(), "{s:?} -> {out:?}");
            }
        }
    }
}
