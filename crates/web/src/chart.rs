//! Charts drawn on the server as SVG (no script): horizontal bars with their counts and shares,
//! readable by screen readers through a title and a description listing every bar.

use crate::markup::escape;
use std::fmt::Write as _;

/// Bar colour: the link blue, readable against white (contrast 8:1).
const BAR: &str = "#1d4f91";
/// The track behind each bar, so a small share still reads as a share of a whole.
const TRACK: &str = "#e8eef5";
/// Text colour (the page's ink).
const INK: &str = "#0b0c0c";

/// A horizontal bar chart of `bars` (label, count) out of `whole` (the people who answered)
/// titled `title`; `id` (unique on the page) names its title and description. With several
/// choices allowed the shares add up to more than 100%: each is a share of the people. Each answer takes two lines — its label and figures, then
/// its bar — so the drawing is 340 px wide and fits a phone without being scaled down; colours
/// and text sizes are set on the drawing itself. A bar's length is its share of all answers
/// (the track is 100%), so two answers of 25% never look full.
pub(crate) fn bars(id: &str, title: &str, bars: &[(String, u64)], whole: u64) -> String {
    const ROW: u32 = 46;
    const BAR_TOP: u32 = 24;
    const BAR_HEIGHT: u32 = 14;
    const WIDTH: u32 = 340;
    // Never less than the largest count: a share above 100% would run off the track.
    let total = whole.max(bars.iter().map(|(_, n)| *n).max().unwrap_or(0));
    let height = ROW * bars.len() as u32 + 2;
    let desc: Vec<String> = bars.iter().map(|(l, n)| format!("{l}: {n}")).collect();
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" font-size=\"14\" fill=\"{INK}\"><title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        escape(title),
        escape(&desc.join("; "))
    );
    for (i, (label, n)) in bars.iter().enumerate() {
        let top = i as u32 * ROW;
        let share = if total > 0 {
            *n as f64 * 100.0 / total as f64
        } else {
            0.0
        };
        let w = (share / 100.0 * f64::from(WIDTH)).round() as u32;
        let short: String = label.chars().take(18).collect();
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{}\">{}</text><text x=\"{WIDTH}\" y=\"{}\" text-anchor=\"end\" font-size=\"13\">{n} · {share:.1}%</text><rect x=\"0\" y=\"{}\" width=\"{WIDTH}\" height=\"{BAR_HEIGHT}\" rx=\"2\" fill=\"{TRACK}\"/><rect x=\"0\" y=\"{}\" width=\"{}\" height=\"{BAR_HEIGHT}\" rx=\"2\" fill=\"{BAR}\" class=\"chart-bar\"/>",
            top + 17,
            escape(&short),
            top + 17,
            top + BAR_TOP,
            top + BAR_TOP,
            w.max(2),
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    #[test]
    fn labels_are_escaped_and_every_bar_is_described() {
        let svg = super::bars("q1", "满意度 <b>", &[("<script>".into(), 3), ("好".into(), 1)], 4);
        assert!(!svg.contains("<script>") && svg.contains("&lt;script&gt;"));
        assert!(svg.contains("3 · 75.0%") && svg.contains("1 · 25.0%"));
        assert!(svg.contains("<desc id=\"q1-d\">&lt;script&gt;: 3; 好: 1</desc>"));
        assert!(super::bars("q2", "empty", &[], 0).ends_with("</svg>"));
    }

    /// The drawing carries its own colours and sizes: without them a browser paints the bars
    /// black and, stretched to the page width, the labels twice the body text's size. Bars are
    /// shares of the whole: 3 of 4 answers fill three quarters of the track.
    #[test]
    fn bars_are_coloured_and_drawn_at_their_natural_size() {
        let svg = super::bars("q1", "满意度", &[("满意".into(), 3), ("不满意".into(), 1)], 4);
        assert!(
            svg.contains("width=\"340\"") && svg.contains("font-size=\"14\""),
            "{svg}"
        );
        for rect in svg.split("<rect").skip(1) {
            assert!(rect.contains("fill=\"#"), "a bar without a colour: {rect}");
        }
        assert_eq!(svg.matches("class=\"chart-bar\"").count(), 2);
        assert!(!svg.contains("fill=\"#000"), "{svg}");
        assert!(
            svg.contains("width=\"255\" height=\"14\" rx=\"2\" fill=\"#1d4f91\""),
            "{svg}"
        );
    }

    /// Several choices allowed: each bar is the share of the people who answered, so 3 of 4
    /// people is 75% even when 7 choices were made in all.
    #[test]
    fn multiple_choice_shares_are_of_the_people_who_answered() {
        let svg = super::bars(
            "q3",
            "您关注哪些方面",
            &[("价格".into(), 3), ("服务".into(), 4)],
            4,
        );
        assert!(svg.contains("3 · 75.0%") && svg.contains("4 · 100.0%"), "{svg}");
    }
}
