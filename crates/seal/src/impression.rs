//! The seal impression (印模) drawn from a seal's certificate, for pages and printouts: a red
//! ring, a five-pointed star in the middle, the owner's name along the top of the ring and, for
//! a special-purpose seal, its purpose (证照专用章, 业务专用章) straight across below the star —
//! the layout of a Chinese official seal. It is a picture of what the certificate says, not a
//! signature: the signature is the SM2 structure beside it.

use crate::SealType;
use std::f64::consts::PI;
use std::fmt::Write as _;

/// Seal red.
const RED: &str = "#d7000f";
/// The drawing's side, in its own units.
const SIDE: f64 = 200.0;
/// Radius of the arc the name follows.
const ARC: f64 = 70.0;
/// The arc runs from this angle below the horizontal on the left, over the top, to the same on
/// the right (degrees).
const BELOW: f64 = 25.0;

/// Text made safe inside SVG/XML.
fn escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&#39;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// Splits a seal's name into the arc (its owner) and the straight line (its purpose):
/// `示范市公安局证照专用章` of a licence seal → (`示范市公安局`, `证照专用章`). An official seal
/// (公章) has no purpose line.
fn lines(name: &str, seal_type: SealType) -> (&str, &str) {
    let purpose = match seal_type {
        SealType::Official => return (name.trim(), ""),
        other => other.name_zh(),
    };
    match name.trim().strip_suffix(purpose) {
        Some(owner) if !owner.is_empty() => (owner, purpose),
        _ => (name.trim(), purpose),
    }
}

/// The points of a five-pointed star centred at (`cx`, `cy`), one point up.
fn star(cx: f64, cy: f64, outer: f64) -> String {
    let inner = outer * 0.382;
    let mut points = String::new();
    for k in 0..10 {
        let r = if k % 2 == 0 { outer } else { inner };
        let a = -PI / 2.0 + f64::from(k) * PI / 5.0;
        let _ = write!(points, "{:.1},{:.1} ", cx + r * a.cos(), cy + r * a.sin());
    }
    points.trim_end().to_string()
}

/// The impression of the seal named `name`, of kind `seal_type`, as an SVG element `size` pixels
/// wide. `id` (unique on the page, the seal's id) names the arc its text follows.
pub fn impression_svg(id: &str, name: &str, seal_type: SealType, size: u32) -> String {
    let (owner, purpose) = lines(name, seal_type);
    let c = SIDE / 2.0;
    let below = BELOW * PI / 180.0;
    let (x1, y1) = (c - ARC * below.cos(), c + ARC * below.sin());
    let (x2, y2) = (c + ARC * below.cos(), y1);
    let arc_length = ARC * (PI + 2.0 * below);
    let chars = owner.chars().count().max(1) as f64;
    // The name fills the arc; long names get smaller characters, never overlapping ones.
    let font = (arc_length * 0.92 / chars).clamp(10.0, 26.0);
    let text_length = (font * chars * 1.08).min(arc_length * 0.95);
    let arc_id = format!("seal-arc-{}", escape(id));
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"seal-impression\" width=\"{size}\" height=\"{size}\" viewBox=\"0 0 {SIDE} {SIDE}\" role=\"img\" aria-label=\"{}\">",
        escape(name.trim())
    );
    let _ = write!(
        svg,
        "<circle cx=\"{c}\" cy=\"{c}\" r=\"94\" fill=\"none\" stroke=\"{RED}\" stroke-width=\"6\"/>\
         <path id=\"{arc_id}\" d=\"M {x1:.1} {y1:.1} A {ARC} {ARC} 0 1 1 {x2:.1} {y2:.1}\" fill=\"none\"/>\
         <text fill=\"{RED}\" font-size=\"{font:.1}\" font-weight=\"bold\" font-family=\"'Noto Serif CJK SC','Songti SC',SimSun,serif\">\
         <textPath href=\"#{arc_id}\" startOffset=\"50%\" text-anchor=\"middle\" textLength=\"{text_length:.1}\" lengthAdjust=\"spacing\">{}</textPath></text>\
         <polygon points=\"{}\" fill=\"{RED}\"/>",
        escape(owner),
        star(c, c, 28.0),
    );
    if !purpose.is_empty() {
        let _ = write!(
            svg,
            "<text x=\"{c}\" y=\"{:.1}\" fill=\"{RED}\" font-size=\"17\" font-weight=\"bold\" text-anchor=\"middle\" font-family=\"'Noto Serif CJK SC','Songti SC',SimSun,serif\">{}</text>",
            c + 56.0,
            escape(purpose)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_licence_seal_puts_its_owner_on_the_arc_and_its_purpose_below() {
        let svg = impression_svg("s1", "示范市公安局证照专用章", SealType::Licence, 120);
        assert!(svg.contains(">示范市公安局</textPath>"), "{svg}");
        assert!(svg.contains(">证照专用章</text>"), "{svg}");
        assert!(svg.contains("aria-label=\"示范市公安局证照专用章\""));
        assert!(svg.contains("stroke=\"#d7000f\"") && svg.contains("<polygon"));
        assert!(svg.contains("width=\"120\""));
    }

    #[test]
    fn an_official_seal_has_no_purpose_line() {
        let svg = impression_svg("s2", "示范市公安局", SealType::Official, 120);
        assert!(svg.contains(">示范市公安局</textPath>"));
        assert_eq!(svg.matches("<text ").count(), 1, "{svg}");
    }

    #[test]
    fn names_are_escaped_and_long_names_get_smaller_characters() {
        let svg = impression_svg("s\"3", "<b>&", SealType::Official, 100);
        assert!(!svg.contains("<b>") && svg.contains("&lt;b&gt;&amp;"));
        assert!(!svg.contains("id=\"seal-arc-s\"3"));
        let font = |svg: &str| -> f64 {
            let at = svg.find("font-size=\"").unwrap() + 11;
            svg[at..at + svg[at..].find('"').unwrap()].parse().unwrap()
        };
        let short = impression_svg("a", "示范市民政局", SealType::Official, 100);
        let long = impression_svg("b", "示范市城东区人力资源和社会保障局", SealType::Official, 100);
        assert!(font(&long) < font(&short));
    }

    #[test]
    fn the_star_has_ten_corners() {
        assert_eq!(star(100.0, 100.0, 28.0).split(' ').count(), 10);
    }
}
