//! ID numbers (身份证号), unified social credit codes (统一社会信用代码) and phone numbers as they
//! arrive in spreadsheets — full-width, padded, lower-case `x`, spaced in groups, legacy
//! 15-digit — normalised and validated into the kernel's typed values, which own the rules
//! (GB 11643, GB 32100). This module only cleans the text they are given.

use crate::width::clean;
use std::borrow::Cow;
use tongban_kernel::{CreditCode, IdNumber, Invalid, PhoneNumber};
use tongban_kernel::{Msg, msg};

fn id_characters() -> Msg {
    msg!("may-contain-only-digits")
}
fn code_characters() -> Msg {
    msg!("may-contain-only-digits-2")
}
fn scientific() -> Msg {
    msg!("looks-like-spreadsheet-turned")
}

/// Trimmed, half-width, with the spaces people type between digit groups removed.
fn compact(value: &str) -> Cow<'_, str> {
    match clean(value) {
        Cow::Borrowed(s) if !s.contains(' ') => Cow::Borrowed(s),
        s => Cow::Owned(s.chars().filter(|&c| c != ' ').collect()),
    }
}

/// `1.10105E+17`: what a spreadsheet shows for an 18-digit number typed into a numeric cell.
fn is_scientific_notation(s: &str) -> bool {
    let Some((mantissa, exponent)) = s.split_once(['E', 'e']) else {
        return false;
    };
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    !mantissa.is_empty()
        && mantissa.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && !exponent.is_empty()
        && exponent.bytes().all(|b| b.is_ascii_digit())
}

/// Normalises a 身份证号 (trim, full→half width, group spaces removed, `x` → `X`, 15 → 18 digits)
/// and validates its birth date and check digit.
pub fn normalize_id_number(field: &str, value: &str) -> Result<IdNumber, Invalid> {
    let s = compact(value);
    if is_scientific_notation(&s) {
        return Err(Invalid::new(field, scientific()));
    }
    // Only ASCII reaches the kernel: its checks index the text by byte.
    if !s.bytes().all(|b| b.is_ascii_digit() || b == b'X' || b == b'x') {
        return Err(Invalid::new(field, id_characters()));
    }
    IdNumber::parse(field, &s)
}

/// Normalises a 统一社会信用代码 (trim, full→half width, group spaces removed, upper case) and
/// validates its check character.
pub fn normalize_credit_code(field: &str, value: &str) -> Result<CreditCode, Invalid> {
    let s = compact(value);
    if !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Invalid::new(field, code_characters()));
    }
    CreditCode::parse(field, &s)
}

/// Normalises a mobile or landline number: full→half width, spaces, hyphens and dashes,
/// parentheses and a `+86`/`0086` prefix removed (`+86 138-0013-8000` → `13800138000`).
pub fn normalize_phone(field: &str, value: &str) -> Result<PhoneNumber, Invalid> {
    let s = clean(value);
    let is_dash = |c: char| matches!(c, '\u{2010}'..='\u{2015}');
    let s = if s.contains(is_dash) {
        Cow::Owned(s.chars().filter(|&c| !is_dash(c)).collect())
    } else {
        s
    };
    PhoneNumber::parse(field, &s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers_are_normalised_before_validation() {
        for s in [
            "11010519491231002X",
            "11010519491231002x",
            " 11010519491231002X\u{3000}",
            "１１０１０５１９４９１２３１００２Ｘ",
            "１１０１０５１９４９１２３１００２ｘ",
            "110105 19491231 002X",
            "\u{FEFF}11010519491231002X",
        ] {
            let id = normalize_id_number("id_number", s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
            assert_eq!(id.as_str(), "11010519491231002X");
        }
    }

    #[test]
    fn legacy_fifteen_digit_id_numbers_are_upgraded_to_eighteen() {
        let id = normalize_id_number("id_number", "１１０１０５４９１２３１００２").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn a_wrong_check_digit_is_refused_naming_the_field() {
        let e = normalize_id_number("申请人身份证号", "110105194912310021").unwrap_err();
        assert_eq!(e.field, "申请人身份证号");
        assert!(e.reason.to_string().contains("校验码"));
    }

    #[test]
    fn spreadsheet_scientific_notation_is_explained() {
        let e = normalize_id_number("id", "1.10105E+17").unwrap_err();
        assert_eq!(e.reason, scientific());
    }

    #[test]
    fn non_ascii_id_numbers_are_refused_without_reaching_the_kernel() {
        // Six CJK characters are 18 bytes: the kernel's length check alone would pass them on.
        for s in ["张三李四王五", "11010519491231002é", "1101051949123100２Ｘ中"] {
            assert_eq!(
                normalize_id_number("id", s).unwrap_err().reason,
                id_characters(),
                "{s}"
            );
        }
        assert_eq!(
            normalize_credit_code("code", "统一社会信用代码")
                .unwrap_err()
                .reason,
            code_characters()
        );
    }

    #[test]
    fn credit_codes_are_upper_cased_and_checked() {
        let good = CreditCode::with_check("91330100MA2XXXXX0").unwrap();
        let sloppy = format!(" {} ", good.as_str().to_lowercase());
        assert_eq!(normalize_credit_code("code", &sloppy).unwrap(), good);
        assert!(normalize_credit_code("code", "91350100M000100Y43").is_ok());
        assert!(normalize_credit_code("code", "９１３５０１００Ｍ０００１００Ｙ４３").is_ok());
        assert!(normalize_credit_code("code", "91350100M000100Y44").is_err());
    }

    #[test]
    fn phones_lose_their_separators_and_country_code() {
        for s in [
            "13800138000",
            "+86 138-0013-8000",
            "０086 138 0013 8000",
            "138—0013—8000",
            "(+86)13800138000",
        ] {
            assert_eq!(
                normalize_phone("phone", s).unwrap().as_str(),
                "13800138000",
                "{s}"
            );
        }
        assert_eq!(
            normalize_phone("phone", "0571-8765 4321").unwrap().as_str(),
            "057187654321"
        );
        assert!(normalize_phone("phone", "12800138000").is_err());
        assert!(normalize_phone("phone", "电话").is_err());
    }
}
