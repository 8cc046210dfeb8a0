//! Charts drawn on the server as SVG (no script): horizontal bars with their counts and shares,
//! readable by screen readers through a title and a description listing every bar.

use std::fmt::Write as _;

/// Text made safe inside SVG/XML.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A horizontal bar chart of `bars` (label, count) titled `title`; `id` (unique on the page)
/// names its title and description.
pub(crate) fn bars(id: &str, title: &str, bars: &[(String, u64)]) -> String {
    const ROW: u32 = 28;
    const LABEL: u32 = 170;
    const WIDTH: u32 = 560;
    let total: u64 = bars.iter().map(|(_, n)| n).sum();
    let max = bars.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let height = ROW * bars.len() as u32 + 8;
    let desc: Vec<String> = bars.iter().map(|(l, n)| format!("{l}: {n}")).collect();
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\"><title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        escape(title),
        escape(&desc.join("; "))
    );
    let span = WIDTH - LABEL - 110;
    for (i, (label, n)) in bars.iter().enumerate() {
        let y = i as u32 * ROW + 4;
        let w = ((*n as f64 / max as f64) * f64::from(span)).round() as u32;
        let share = if total > 0 {
            *n as f64 * 100.0 / total as f64
        } else {
            0.0
        };
        let short: String = label.chars().take(12).collect();
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect x=\"{LABEL}\" y=\"{y}\" width=\"{}\" height=\"{}\" class=\"bar\"/><text x=\"{}\" y=\"{}\">{n} ({share:.1}%)</text>",
            LABEL - 8,
            y + 18,
            escape(&short),
            w.max(1),
            ROW - 8,
            LABEL + w + 6,
            y + 18
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    #[test]
    fn labels_are_escaped_and_every_bar_is_described() {
        let svg = super::bars("q1", "满意度 <b>", &[("<script>".into(), 3), ("好".into(), 1)]);
        assert!(!svg.contains("<script>") && svg.contains("&lt;script&gt;"));
        assert!(svg.contains("3 (75.0%)") && svg.contains("1 (25.0%)"));
        assert!(svg.contains("<desc id=\"q1-d\">&lt;script&gt;: 3; 好: 1</desc>"));
        assert!(super::bars("q2", "empty", &[]).ends_with("</svg>"));
    }
}
