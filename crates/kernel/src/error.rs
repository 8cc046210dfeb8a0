//! The one error every typed value in this crate returns when its input is wrong.

use crate::locale::Msg;

/// A value that failed validation, naming the field and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct Invalid {
    /// The input field, as the caller named it (e.g. `id_number`).
    pub field: String,
    /// Why, as a message the page or the CLI renders in its language.
    pub reason: Msg,
}

impl Invalid {
    /// Builds an `Invalid` for `field` with its `reason`.
    pub fn new(field: impl Into<String>, reason: impl Into<Msg>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The same failure reported under another field name (a form names fields its own way).
    pub fn for_field(mut self, field: impl Into<String>) -> Self {
        self.field = field.into();
        self
    }
}

/// The two halves of a bilingual text, `中文 / English`: split at the first `/ ` that follows a
/// space or a full-width closing mark (`（…）/ (…)` is written without the space), where the
/// first half is Chinese and the second is English: it starts in English, or — when it starts
/// with a Chinese name (`示范市公安局 read …`) — goes on in English words. `None` for text in
/// one language.
pub fn bilingual(both: &str) -> Option<(&str, &str)> {
    let has_han = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    let mut from = 0;
    while let Some(at) = both[from..].find("/ ").map(|i| i + from) {
        let before = both[..at].chars().next_back();
        if matches!(before, Some(' ' | '）' | '。' | '」' | '》' | '”')) {
            let (zh, en) = (both[..at].trim_end(), both[at + 2..].trim_start());
            let english_words = || {
                en.split_whitespace()
                    .filter(|w| w.len() >= 3 && w.chars().all(|c| c.is_ascii_alphabetic()))
                    .count()
                    >= 2
            };
            if has_han(zh) && (en.starts_with(|c: char| c.is_ascii()) || english_words()) {
                return Some((zh, en));
            }
        }
        from = at + 2;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::bilingual;

    #[test]
    fn bilingual_text_splits_where_its_english_starts() {
        assert_eq!(
            bilingual("校验码错误 / wrong check digit"),
            Some(("校验码错误", "wrong check digit"))
        );
        assert_eq!(
            bilingual("有效，由示范市公安局签发（证照专用章）/ valid, issued by 示范市公安局 (seal)"),
            Some((
                "有效，由示范市公安局签发（证照专用章）",
                "valid, issued by 示范市公安局 (seal)"
            ))
        );
        assert_eq!(
            bilingual("查询语句过长（上限10字符）/ query longer than 10 characters"),
            Some(("查询语句过长（上限10字符）", "query longer than 10 characters"))
        );
        assert_eq!(
            bilingual("路径 a/ b / path a/ b"),
            Some(("路径 a/ b", "path a/ b"))
        );
        assert_eq!(
            bilingual(
                "低保系统 经共享接口读取 3301-GA-0001 1次，共1条 / 低保系统 read 3301-GA-0001 once through the exchange (1 record)"
            ),
            Some((
                "低保系统 经共享接口读取 3301-GA-0001 1次，共1条",
                "低保系统 read 3301-GA-0001 once through the exchange (1 record)"
            )),
            "an English half may start with a Chinese name"
        );
        assert_eq!(
            bilingual("事项 甲 / 乙 丙"),
            None,
            "Chinese on both sides is not split"
        );
        assert_eq!(bilingual("only English / here"), None);
        assert_eq!(bilingual("只有中文"), None);
    }
}
