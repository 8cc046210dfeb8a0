//! Validated civic identifiers. Input is checked here once, at the boundary; inside, a value of
//! these types is known to be well formed.

use crate::Invalid;
use crate::msg;
use serde::{Deserialize, Serialize};

/// 公民身份号码 (GB 11643-1999): 6-digit region, 8-digit birth date, 3-digit sequence, check.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdNumber(String);

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

impl IdNumber {
    /// Parses an 18-digit number (or a legacy 15-digit one, upgraded to 18), checking the
    /// checksum and the birth date. `field` names the input in the error.
    pub fn parse(field: &str, text: &str) -> Result<Self, Invalid> {
        let s: String = text.trim().chars().map(|c| c.to_ascii_uppercase()).collect();
        let bad = |why: crate::Msg| Invalid::new(field, why);
        let s = match s.len() {
            18 => s,
            15 if s.bytes().all(|b| b.is_ascii_digit()) => {
                // GB 11643 upgrade: century 19 inserted before the 2-digit year, check digit appended.
                let body = format!("{}19{}", &s[..6], &s[6..]);
                let check = id_check_char(&body).ok_or_else(|| bad(msg!("contains-non-digits")))?;
                format!("{body}{check}")
            }
            _ => return Err(bad(msg!("id-needs-18"))),
        };
        // Byte positions below are character positions only for ASCII (full-width digits are
        // three bytes each: six of them make an 18-byte string).
        if !s.is_ascii() {
            return Err(bad(msg!("only-digits-and-x")));
        }
        let (body, last) = s.split_at(17);
        if !body.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(msg!("id-first-17-digits")));
        }
        if !birth_date_is_real(&body[6..14]) {
            return Err(bad(msg!("birth-date-not-real")));
        }
        let expected = id_check_char(body).ok_or_else(|| bad(msg!("contains-non-digits")))?;
        if !last.starts_with(expected) {
            return Err(bad(msg!("wrong-check-digit")));
        }
        Ok(Self(s))
    }

    /// Completes a 17-digit body with its check character (for generating fictional demo people).
    pub fn with_check(body17: &str) -> Option<Self> {
        if body17.len() != 17 {
            return None;
        }
        let c = id_check_char(body17)?;
        let s = format!("{body17}{c}");
        Self::parse("id_number", &s).ok()
    }

    /// The 18 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `YYYYMMDD` of birth.
    pub fn birth_date(&self) -> &str {
        &self.0[6..14]
    }
}

fn id_check_char(body: &str) -> Option<char> {
    let mut sum = 0u32;
    for (b, w) in body.bytes().zip(ID_WEIGHTS) {
        if !b.is_ascii_digit() {
            return None;
        }
        sum += u32::from(b - b'0') * w;
    }
    ID_CHECK.get((sum % 11) as usize).map(|&c| c as char)
}

fn birth_date_is_real(yyyymmdd: &str) -> bool {
    let (Ok(y), Ok(m), Ok(d)) = (
        yyyymmdd[..4].parse::<i16>(),
        yyyymmdd[4..6].parse::<i8>(),
        yyyymmdd[6..8].parse::<i8>(),
    ) else {
        return false;
    };
    (1900..=2100).contains(&y) && jiff::civil::Date::new(y, m, d).is_ok()
}

/// 统一社会信用代码 (GB 32100-2015): 18 characters from a 31-symbol alphabet, last one a check.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CreditCode(String);

const CC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const CC_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

impl CreditCode {
    /// Parses and checks a code. `field` names the input in the error.
    pub fn parse(field: &str, text: &str) -> Result<Self, Invalid> {
        let s: String = text.trim().chars().map(|c| c.to_ascii_uppercase()).collect();
        if s.len() != 18 || !s.is_ascii() {
            return Err(Invalid::new(field, msg!("credit-code-needs-18")));
        }
        let (body, last) = s.split_at(17);
        let expected =
            cc_check_char(body).ok_or_else(|| Invalid::new(field, msg!("credit-code-bad-character")))?;
        if !last.starts_with(expected) {
            return Err(Invalid::new(field, msg!("wrong-check-character")));
        }
        Ok(Self(s))
    }

    /// Completes a 17-character body with its check character (for fictional demo businesses).
    pub fn with_check(body17: &str) -> Option<Self> {
        let c = cc_check_char(body17)?;
        Some(Self(format!("{body17}{c}")))
    }

    /// The 18 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn cc_check_char(body: &str) -> Option<char> {
    if body.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (b, w) in body.bytes().zip(CC_WEIGHTS) {
        let v = CC_ALPHABET.iter().position(|&a| a == b)? as u32;
        sum += v * w;
    }
    let check = (31 - sum % 31) % 31;
    CC_ALPHABET.get(check as usize).map(|&c| c as char)
}

/// A mainland phone number: an 11-digit mobile (1[3-9]…) or a landline with area code, stored
/// without spaces or the +86 prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses `138 0013 8000`, `+86 13800138000`, `0571-87654321`.
    pub fn parse(field: &str, text: &str) -> Result<Self, Invalid> {
        let mut s: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-' && *c != '(' && *c != ')')
            .collect();
        if let Some(rest) = s.strip_prefix("+86").or_else(|| s.strip_prefix("0086")) {
            s = rest.to_string();
        }
        let digits = s.bytes().all(|b| b.is_ascii_digit());
        let mobile = s.len() == 11 && s.starts_with('1') && matches!(s.as_bytes()[1], b'3'..=b'9');
        let landline = s.starts_with('0') && (10..=12).contains(&s.len());
        if digits && (mobile || landline) {
            Ok(Self(s))
        } else {
            Err(Invalid::new(field, msg!("not-a-phone")))
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_number_checksum_is_enforced() {
        // A well-known specimen number from the standard's examples.
        assert!(IdNumber::parse("id", "11010519491231002X").is_ok());
        assert!(IdNumber::parse("id", "11010519491231002x").is_ok());
        let e = IdNumber::parse("id_number", "110105194912310021").unwrap_err();
        assert_eq!(e.field, "id_number");
        assert_eq!(e.reason.code(), Some("wrong-check-digit"));
    }

    #[test]
    fn id_number_rejects_impossible_birth_dates_and_junk() {
        assert!(IdNumber::with_check("11010519490230002").is_none());
        assert!(IdNumber::parse("id", "' OR 1=1 --").is_err());
        assert!(IdNumber::parse("id", "").is_err());
        assert!(IdNumber::parse("id", "１１０１０５１９４９１２３１００２X").is_err());
    }

    #[test]
    fn eighteen_bytes_of_full_width_digits_are_refused_not_a_panic() {
        let six = "１１０１０５"; // 6 characters, 18 bytes
        assert_eq!(six.len(), 18);
        assert!(IdNumber::parse("id", six).is_err());
        assert!(CreditCode::parse("code", six).is_err());
        assert!(IdNumber::parse("id", "１１０１０５４９１２３１００２").is_err());
        assert!(PhoneNumber::parse("p", "１３８００１３８０００").is_err());
    }

    #[test]
    fn fifteen_digit_numbers_are_upgraded() {
        let id = IdNumber::parse("id", "110105491231002").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.birth_date(), "19491231");
    }

    #[test]
    fn credit_code_checksum_is_enforced() {
        let good = CreditCode::with_check("91330100MA2XXXXX0").unwrap();
        assert!(CreditCode::parse("code", good.as_str()).is_ok());
        let mut bad = good.as_str().to_string();
        let last = bad.pop().unwrap();
        bad.push(if last == '0' { '1' } else { '0' });
        assert!(CreditCode::parse("code", &bad).is_err());
        assert!(CreditCode::parse("code", "91330100MA2XXXXXI1").is_err());
    }

    #[test]
    fn a_published_credit_code_verifies() {
        // 91350100M000100Y43: the worked example of GB 32100 commentaries.
        assert!(CreditCode::parse("code", "91350100M000100Y43").is_ok());
    }

    #[test]
    fn phones_are_normalised() {
        assert_eq!(
            PhoneNumber::parse("p", "+86 138-0013-8000").unwrap().as_str(),
            "13800138000"
        );
        assert_eq!(
            PhoneNumber::parse("p", "0571-87654321").unwrap().as_str(),
            "057187654321"
        );
        assert!(PhoneNumber::parse("p", "12345").is_err());
        assert!(PhoneNumber::parse("p", "12800138000").is_err());
    }
}
