//! TOTP (RFC 6238) over HOTP (RFC 4226) with HMAC-SHA1, 30-second steps: what every
//! authenticator app speaks. Pure functions; the service in `mfa.rs` stores the secret and the
//! last accepted step.

use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Seconds per step.
pub const STEP_SECS: i64 = 30;
/// Digits in the codes Tongban issues.
pub const DIGITS: u32 = 6;
/// Steps either side of now that are still accepted (clock drift).
pub const WINDOW: i64 = 1;
/// Secret length in bytes (160 bits, as RFC 4226 recommends).
pub const SECRET_LEN: usize = 20;

/// The HOTP value of `counter` under `secret`, `digits` long (zero-padded).
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> String {
    // HMAC accepts keys of any length, so this cannot fail; an empty code never verifies.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    // RFC 4226 §5.3 dynamic truncation.
    let offset = usize::from(h[19] & 0x0f);
    let bin = (u32::from(h[offset] & 0x7f) << 24)
        | (u32::from(h[offset + 1]) << 16)
        | (u32::from(h[offset + 2]) << 8)
        | u32::from(h[offset + 3]);
    let digits = digits.clamp(1, 9);
    let code = bin % 10u32.pow(digits);
    format!("{code:0width$}", width = digits as usize)
}

/// The step that `unix_secs` falls in.
pub fn step_at(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(STEP_SECS)
}

/// The TOTP code at `unix_secs`.
pub fn code_at(secret: &[u8], unix_secs: i64, digits: u32) -> String {
    hotp(secret, u64::try_from(step_at(unix_secs)).unwrap_or(0), digits)
}

/// Checks `code` at `unix_secs` within ±[`WINDOW`] steps. Returns the matching step, which must be
/// later than `last_step` (a code, once accepted, is never accepted again).
pub fn verify(secret: &[u8], code: &str, unix_secs: i64, digits: u32, last_step: Option<i64>) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != digits as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_at(unix_secs);
    (now - WINDOW..=now + WINDOW)
        .filter(|s| *s >= 0 && last_step.is_none_or(|last| *s > last))
        .find(|s| {
            let expected = hotp(secret, u64::try_from(*s).unwrap_or(0), digits);
            constant_time_eq(expected.as_bytes(), code.as_bytes())
        })
}

/// Whether `a` and `b` are equal, in time that does not depend on where they differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A fresh random secret.
pub fn new_secret() -> Vec<u8> {
    tongban_crypto::token::random_bytes::<SECRET_LEN>().to_vec()
}

/// The secret as authenticator apps take it: base32 without padding.
pub fn encode_secret(secret: &[u8]) -> String {
    BASE32_NOPAD.encode(secret)
}

/// Reads a base32 secret back (`None` when malformed).
pub fn decode_secret(text: &str) -> Option<Vec<u8>> {
    BASE32_NOPAD.decode(text.trim().as_bytes()).ok()
}

/// The provisioning URI shown as a QR code: `otpauth://totp/Tongban:{username}?secret=…&issuer=Tongban`.
pub fn otpauth_uri(username: &str, secret_base32: &str) -> String {
    // Usernames are [a-z0-9_.-], which need no escaping in a URI path.
    format!("otpauth://totp/Tongban:{username}?secret={secret_base32}&issuer=Tongban")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    // RFC 6238 Appendix B, SHA-1 column, 8 digits, key "12345678901234567890".
    const KEY: &[u8] = b"12345678901234567890";
    const VECTORS: [(i64, &str); 6] = [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];

    #[test]
    fn rfc6238_appendix_b_sha1_vectors() {
        for (t, code) in VECTORS {
            assert_eq!(code_at(KEY, t, 8), code, "T = {t}");
        }
    }

    #[test]
    fn rfc4226_appendix_d_hotp_vectors() {
        let expected = ["755224", "287082", "359152", "969429", "338314"];
        for (i, code) in expected.iter().enumerate() {
            assert_eq!(hotp(KEY, i as u64, 6), *code);
        }
    }

    #[test]
    fn codes_one_step_either_side_are_accepted_and_further_ones_refused() {
        let t = 1_234_567_890;
        let step = step_at(t);
        let before = code_at(KEY, t - 30, 6);
        let after = code_at(KEY, t + 30, 6);
        let far = code_at(KEY, t + 90, 6);
        assert_eq!(verify(KEY, &before, t, 6, None), Some(step - 1));
        assert_eq!(verify(KEY, &after, t, 6, None), Some(step + 1));
        assert_eq!(verify(KEY, &far, t, 6, None), None);
        assert_eq!(verify(KEY, "12345", t, 6, None), None);
        assert_eq!(verify(KEY, "abcdef", t, 6, None), None);
    }

    #[test]
    fn a_used_code_is_not_accepted_again() {
        let t = 1_111_111_111;
        let code = code_at(KEY, t, 6);
        let step = verify(KEY, &code, t, 6, None).unwrap();
        assert_eq!(verify(KEY, &code, t, 6, Some(step)), None);
        assert_eq!(verify(KEY, &code, t + 10, 6, Some(step)), None);
        // Spaces as apps show them ("123 456") are fine.
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(verify(KEY, &spaced, t, 6, None), Some(step));
    }

    #[test]
    fn secrets_round_trip_through_base32_and_the_uri_names_the_issuer() {
        let s = new_secret();
        let b32 = encode_secret(&s);
        assert_eq!(decode_secret(&b32).unwrap(), s);
        assert_eq!(
            otpauth_uri("admin", "ABC"),
            "otpauth://totp/Tongban:admin?secret=ABC&issuer=Tongban"
        );
    }
}
