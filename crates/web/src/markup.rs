//! Markup built in Rust for the templates: escaped text, and names held in data shown in the
//! page's language.

use std::fmt;

/// Text made safe inside HTML, SVG or XML (content and quoted attributes).
pub(crate) fn escape(s: &str) -> String {
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

/// A name held in data (a service, a department) in the page's language: the English name on
/// an English page when there is one; otherwise the Chinese name, which an English page marks
/// `lang="zh-CN"` so that screen readers and fonts treat it as Chinese. Renders as escaped
/// markup, for element content only (never inside an attribute: use [`Named::text`] there).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Named {
    text: String,
    chinese_in_english: bool,
}

impl Named {
    /// `text`, marked as Chinese when `chinese_in_english`.
    pub fn new(text: impl Into<String>, chinese_in_english: bool) -> Named {
        Named {
            text: text.into(),
            chinese_in_english,
        }
    }

    /// The plain text (for attributes, titles and sorting).
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Named {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.chinese_in_english {
            write!(f, "<span lang=\"zh-CN\">{}</span>", escape(&self.text))
        } else {
            f.write_str(&escape(&self.text))
        }
    }
}

/// Already escaped: the templates write it as it is.
impl askama::filters::HtmlSafe for Named {}

/// Which of a table's `width` columns hold numbers (right-aligned, like figures on paper): those
/// with at least one value where every value is a number (`-1,234.5`, `98%`).
pub(crate) fn numeric_columns(rows: &[Vec<String>], width: usize) -> Vec<bool> {
    (0..width)
        .map(|c| {
            let mut any = false;
            let all = rows
                .iter()
                .filter_map(|r| r.get(c))
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .all(|v| {
                    any = true;
                    let n = v.strip_suffix('%').unwrap_or(v).replace(',', "");
                    !n.is_empty() && n.parse::<f64>().is_ok_and(f64::is_finite)
                });
            any && all
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_columns_are_those_holding_only_numbers() {
        let rows = vec![
            vec![
                "张三".to_string(),
                "1,234".into(),
                String::new(),
                "12%".into(),
                "NaN".into(),
            ],
            vec![
                "李四".to_string(),
                "-5.5".into(),
                String::new(),
                "3%".into(),
                "1".into(),
            ],
        ];
        assert_eq!(numeric_columns(&rows, 5), vec![false, true, false, true, false]);
        assert_eq!(numeric_columns(&[], 2), vec![false, false]);
    }

    #[test]
    fn a_chinese_name_on_an_english_page_is_marked_and_escaped() {
        assert_eq!(
            Named::new("居住证<办理>", true).to_string(),
            "<span lang=\"zh-CN\">居住证&lt;办理&gt;</span>"
        );
        assert_eq!(
            Named::new("Permit & \"card\"", false).to_string(),
            "Permit &amp; &quot;card&quot;"
        );
        assert_eq!(Named::new("x", true).text(), "x");
    }
}
