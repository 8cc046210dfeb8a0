//! Full-width (全角) to half-width (半角) conversion and a trim that knows Chinese input.
//!
//! Chinese input methods type digits, Latin letters and punctuation in their full-width forms
//! (`１２３`, `ＡＢＣ`, `，`) and pad with the ideographic space U+3000; text pasted from web pages
//! carries zero-width characters. Every function here returns the input borrowed when there is
//! nothing to change, because they run once per cell on millions of rows.

use std::borrow::Cow;

/// The ideographic space (全角空格) typed by Chinese input methods.
const IDEOGRAPHIC_SPACE: char = '\u{3000}';

/// Whether `c` is an invisible zero-width character (ZWSP, ZWNJ, ZWJ, word joiner, BOM).
pub fn is_zero_width(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// The half-width form of one character: U+FF01–U+FF5E → U+0021–U+007E, U+3000 → space;
/// every other character unchanged.
pub fn half_width_char(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        IDEOGRAPHIC_SPACE => ' ',
        _ => c,
    }
}

fn is_full_width(c: char) -> bool {
    matches!(c, '\u{FF01}'..='\u{FF5E}' | IDEOGRAPHIC_SPACE)
}

/// A byte-level pre-check: every character this module rewrites (U+200B–U+2060, U+3000,
/// U+FEFF, U+FF01–U+FF5E) is encoded with a lead byte E2, E3 or EF, which most Chinese text
/// (CJK ideographs lead with E4–E9) never contains.
fn may_need_rewrite(s: &str) -> bool {
    s.bytes().any(|b| matches!(b, 0xE2 | 0xE3 | 0xEF))
}

/// Full-width ASCII forms and the ideographic space converted to half width:
/// `１２３ＡＢＣ，` → `123ABC,`. Borrowed when nothing changes.
pub fn half_width(s: &str) -> Cow<'_, str> {
    if !may_need_rewrite(s) || !s.chars().any(is_full_width) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().map(half_width_char).collect())
}

/// `s` without leading and trailing Unicode whitespace (including U+3000 and NBSP) and
/// zero-width characters.
pub fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || is_zero_width(c))
}

/// The form every structured value is parsed from: trimmed, half-width, and without zero-width
/// characters anywhere (they are invisible and never part of an identifier, date or number).
/// Borrowed when nothing changes.
pub fn clean(s: &str) -> Cow<'_, str> {
    let t = trim(s);
    if !may_need_rewrite(t) || !t.chars().any(|c| is_full_width(c) || is_zero_width(c)) {
        return Cow::Borrowed(t);
    }
    // `t` starts and ends with a visible character that is neither U+3000 nor zero-width, so
    // the result needs no second trim.
    Cow::Owned(
        t.chars()
            .filter(|&c| !is_zero_width(c))
            .map(half_width_char)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_ascii_becomes_half_width() {
        assert_eq!(half_width("１２３ＡＢＣａｂｃ！～"), "123ABCabc!~");
        assert_eq!(half_width("张三，男"), "张三,男");
        assert_eq!(half_width("北京\u{3000}朝阳"), "北京 朝阳");
    }

    #[test]
    fn clean_text_is_borrowed_not_copied() {
        assert!(matches!(half_width("张三 abc 123"), Cow::Borrowed(_)));
        assert!(matches!(half_width("。、《》"), Cow::Borrowed(_)));
        assert!(matches!(clean("330102199001011234"), Cow::Borrowed(_)));
        assert!(matches!(clean("  张三  "), Cow::Borrowed("张三")));
    }

    #[test]
    fn chinese_punctuation_outside_the_ascii_block_is_kept() {
        // 。、《》「」 have no ASCII counterpart in U+FF01–U+FF5E and must not change.
        assert_eq!(half_width("。、《》「」"), "。、《》「」");
    }

    #[test]
    fn trim_removes_ideographic_space_nbsp_and_zero_width_characters() {
        assert_eq!(trim("\u{3000}\u{3000}张三\u{3000}"), "张三");
        assert_eq!(trim("\u{FEFF}\u{200B} 李四\u{00A0}\t\r\n"), "李四");
        assert_eq!(trim("\u{3000}\u{200B}"), "");
        assert_eq!(trim(""), "");
    }

    #[test]
    fn clean_drops_inner_zero_width_characters() {
        assert_eq!(clean("\u{3000}３３０１\u{200B}０２\u{3000}"), "330102");
        assert_eq!(clean("a\u{200B}\u{3000}"), "a");
        assert_eq!(clean("\u{200B}"), "");
    }
}
