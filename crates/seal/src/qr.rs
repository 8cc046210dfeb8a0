//! The QR code printed on a licence page: the public verification address of its number.

use qrcode::QrCode;
use qrcode::render::svg;

/// The path of the public verification page of licence `number` (the web layer serves it;
/// numbers hold only `A–Z`, digits and `-`, so no escaping is needed).
pub fn verification_path(number: &str) -> String {
    format!("/verify/licence/{number}")
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
            verification_path("DZZZ-2026-00000001")
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
}
