//! The QR code printed on a licence page: the public verification address of its number.

use qrcode::QrCode;
use qrcode::render::svg;

/// The verification code printed on a licence (校验码): the first eight characters of its
/// document's SM3 digest, upper case. Verifying by number needs it, so that a number alone —
/// they are sequential — tells nobody whose licence it is.
pub fn verification_code(data_hash: &str) -> String {
    data_hash.chars().take(8).collect::<String>().to_ascii_uppercase()
}

/// The document digest of the signed licence file `file` (`signature.data_hash`); empty when
/// the file has none.
pub fn file_data_hash(file: &str) -> String {
    serde_json::from_str::<serde_json::Value>(file)
        .ok()
        .and_then(|v| {
            v.pointer("/signature/data_hash")
                .and_then(|h| h.as_str())
                .map(String::from)
        })
        .unwrap_or_default()
}

/// A code as someone typed it (any case, spaces or dashes) in its printed form.
pub fn normalised_code(typed: &str) -> String {
    typed
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_uppercase()
}

/// Whether `given` (as someone typed it: any case, spaces or dashes) is the code of `data_hash`.
pub fn code_matches(data_hash: &str, given: &str) -> bool {
    let typed = normalised_code(given);
    let code = verification_code(data_hash);
    code.len() == 8
        && typed.len() == code.len()
        && typed
            .bytes()
            .zip(code.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The path of the public verification page of licence `number` with its code (the web layer
/// serves it; numbers hold only `A–Z`, digits and `-`, codes hex digits: no escaping needed).
pub fn verification_path(number: &str, code: &str) -> String {
    format!("/verify/licence/{number}?code={code}")
}

/// An SVG QR code of `text` (an absolute verification URL), at least `size` pixels square, or
/// `None` when the text is too long for a QR code.
pub fn qr_svg(text: &str, size: u32) -> Option<String> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(size, size)
            .dark_color(svg::Color("#000000"))
            .light_color(svg::Color("#ffffff"))
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verification_url_becomes_an_svg() {
        let url = format!(
            "https://gov.example.cn{}",
            verification_path("DZZZ-2026-00000001", "1A2B3C4D")
        );
        let svg = qr_svg(&url, 160).unwrap_or_default();
        assert!(
            svg.starts_with("<?xml") || svg.starts_with("<svg"),
            "{}",
            &svg[..svg.len().min(40)]
        );
        assert!(svg.contains("<path") || svg.contains("<rect"));
        assert!(qr_svg(&"x".repeat(8000), 160).is_none());
    }

    #[test]
    fn the_code_is_the_digest_prefix_typed_any_way() {
        let hash = "1a2b3c4d5e6f";
        assert_eq!(verification_code(hash), "1A2B3C4D");
        assert!(code_matches(hash, "1a2b-3c4d"));
        assert!(code_matches(hash, " 1A2B 3C4D "));
        assert!(!code_matches(hash, "1A2B3C4E"));
        assert!(!code_matches(hash, ""));
        assert!(!code_matches("", ""));
    }
}
