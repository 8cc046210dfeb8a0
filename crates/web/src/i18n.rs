//! Language: zh-CN first, English second. Chosen by the `lang` cookie (the switch in every page
//! header), else by `Accept-Language`, else Chinese.
//!
//! Every user-visible text of the pages lives in the locale files, `locales/<language>/<area>.ftl`
//! (Project Fluent: the format Firefox and Thunderbird are translated in, with placeholders and
//! CLDR plural rules, so a sentence is one message with its numbers and names inside, never glued
//! from fragments). The files are embedded at build time and read once; a page asks for
//! `t.s` with a page key such as `case.title` (the message `case-title`), or `t.fmt(..)` for a message with placeholders.
//! The tests below check that every message parses and exists in every language.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use std::collections::HashMap;
use std::sync::LazyLock;

include!(concat!(env!("OUT_DIR"), "/locales.rs"));

pub use tongban_kernel::Lang;

/// The page language from a cookie value and an `Accept-Language` header.
pub fn negotiate(cookie: Option<&str>, accept_language: Option<&str>) -> Lang {
    if let Some(l) = cookie.and_then(Lang::from_code) {
        return l;
    }
    let Some(header) = accept_language else {
        return Lang::Zh;
    };
    let mut best: Option<(f32, Lang)> = None;
    for part in header.split(',') {
        let mut it = part.trim().split(';');
        let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = it
            .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()))
            .unwrap_or(1.0);
        let lang = if tag.starts_with("zh") {
            Lang::Zh
        } else if tag.starts_with("en") {
            Lang::En
        } else {
            continue;
        };
        if best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, lang));
        }
    }
    best.map_or(Lang::Zh, |(_, l)| l)
}

/// Text in the page language; templates call its `s` method with a catalog key.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    /// The language.
    pub lang: Lang,
}

impl Tr {
    /// The text for `key`, if there is one (for keys built from data, like timeline actions).
    pub fn lookup(&self, key: &str) -> Option<&'static str> {
        TEXTS.plain[self.lang.index()].get(key).map(String::as_str)
    }

    /// The text of `key` in the page language (a visible marker when the key is missing).
    pub fn s(&self, key: &str) -> &'static str {
        self.lookup(key).unwrap_or("⚠missing-text")
    }

    /// The message `key` with its placeholders filled from `args` (numbers choose the plural
    /// form the language needs).
    pub fn fmt(&self, key: &str, args: &[(&str, fluent_bundle::FluentValue<'_>)]) -> String {
        let bundle = &TEXTS.bundles[self.lang.index()];
        let Some(pattern) = bundle.get_message(&message_id(key)).and_then(|m| m.value()) else {
            return "⚠missing-text".to_string();
        };
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, value.clone());
        }
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
        if !errors.is_empty() {
            tracing::warn!(key, ?errors, "message formatted with errors");
        }
        text.into_owned()
    }

    /// The message `key` about `n` things (`{ $n }` in it, with its plural forms).
    pub fn count(&self, key: &str, n: u64) -> String {
        self.fmt(key, &[("n", n.into())])
    }

    /// Whether the page is in English (for sentences built around data).
    pub fn is_en(&self) -> bool {
        self.lang == Lang::En
    }

    /// Picks between a Chinese and an English string held in data (names of departments, roles).
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::Zh => zh,
            Lang::En if en.is_empty() => zh,
            Lang::En => en,
        }
    }

    /// A name held in data in the page's language: the English one on an English page when
    /// there is one, else the Chinese one (marked as Chinese on an English page).
    pub fn name(&self, zh: &str, en: &str) -> crate::markup::Named {
        match self.lang {
            Lang::Zh => crate::markup::Named::new(zh, false),
            Lang::En if en.trim().is_empty() => crate::markup::Named::new(zh, true),
            Lang::En => crate::markup::Named::new(en, false),
        }
    }

    /// Chinese data with no English form (an answer, a description, a form label): marked as
    /// Chinese on an English page, shown as it is on a Chinese one.
    pub fn zh_text(&self, zh: &str) -> crate::markup::Named {
        let chinese = zh
            .chars()
            .any(|c| ('\u{3000}'..='\u{9fff}').contains(&c) || ('\u{ff00}'..='\u{ffef}').contains(&c));
        crate::markup::Named::new(zh, self.lang == Lang::En && chinese)
    }

    /// ` lang="zh-CN"` on an English page, for an element whose content is Chinese data;
    /// nothing on a Chinese page. Written with `|safe`.
    pub fn zh(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "",
            Lang::En => " lang=\"zh-CN\"",
        }
    }

    /// A calendar day as people write it: `2026年12月3日`, or `2026-12-03` in English.
    pub fn day(&self, d: jiff::civil::Date) -> String {
        match self.lang {
            Lang::Zh => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
            Lang::En => d.to_string(),
        }
    }

    /// A domain message in this language.
    pub fn msg(&self, m: &tongban_kernel::Msg) -> String {
        m.render(self.lang)
    }

    /// For bilingual messages `中文 / English` produced by domain crates: the half in this language.
    pub fn half<'a>(&self, both: &'a str) -> &'a str {
        match tongban_kernel::bilingual(both) {
            Some((zh, en)) => match self.lang {
                Lang::Zh => zh,
                Lang::En => en,
            },
            None => both,
        }
    }
}

/// The Fluent id of a page key: `case.status_new` is the message `case-status_new`.
fn message_id(key: &str) -> String {
    key.replace('.', "-")
}

/// The page key of a Fluent id (the reverse of [`message_id`]).
fn page_key(id: &str) -> String {
    id.replace('-', ".")
}

/// The locale files read once: per language, a bundle (for messages with placeholders) and the
/// plain messages already formatted (most texts: `t.s` hands them out without work).
struct Texts {
    bundles: [FluentBundle<FluentResource>; 2],
    plain: [HashMap<String, String>; 2],
}

static TEXTS: LazyLock<Texts> = LazyLock::new(|| {
    // Each language's files are parsed once: the plain messages are formatted from the same
    // bundle that then answers `t.fmt`.
    let [(zh, zh_ids), (en, en_ids)] = Lang::ALL.map(bundle);
    Texts {
        plain: [plain(&zh, zh_ids), plain(&en, en_ids)],
        bundles: [zh, en],
    }
});

/// The messages of `bundle` named in `ids` that need no placeholder, formatted, by page key.
fn plain(bundle: &FluentBundle<FluentResource>, ids: Vec<String>) -> HashMap<String, String> {
    ids.into_iter()
        .filter_map(|id| {
            let pattern = bundle.get_message(&id)?.value()?;
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, None, &mut errors);
            errors.is_empty().then(|| (page_key(&id), text.into_owned()))
        })
        .collect()
}

/// The bundle of `lang`'s locale files and the ids of their messages. A file that does not parse
/// or a message defined twice is logged and skipped (the tests refuse both).
fn bundle(lang: Lang) -> (FluentBundle<FluentResource>, Vec<String>) {
    let tag = lang.tag();
    let mut bundle = FluentBundle::new_concurrent(vec![tag.parse().unwrap_or_default()]);
    // Pages are HTML: no Unicode isolation marks around placeholders.
    bundle.set_use_isolating(false);
    let mut ids = Vec::new();
    for (file_lang, area, text) in LOCALE_FILES {
        if *file_lang != tag {
            continue;
        }
        let resource = match FluentResource::try_new((*text).to_string()) {
            Ok(r) => r,
            Err((r, errors)) => {
                tracing::error!(tag, area, ?errors, "locale file has syntax errors");
                r
            }
        };
        ids.extend(resource.entries().filter_map(|e| match e {
            fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
            _ => None,
        }));
        if let Err(errors) = bundle.add_resource(resource) {
            tracing::error!(tag, area, ?errors, "locale file defines a message twice");
        }
    }
    (bundle, ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_web_message_exists_in_every_language_and_is_used() {
        let problems =
            crate::MESSAGES.problems_with(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn chinese_is_the_default_and_the_cookie_wins() {
        assert_eq!(negotiate(None, None), Lang::Zh);
        assert_eq!(negotiate(None, Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(negotiate(None, Some("en;q=0.5, zh-CN;q=0.8")), Lang::Zh);
        assert_eq!(negotiate(Some("en"), Some("zh-CN")), Lang::En);
        assert_eq!(negotiate(Some("xx"), Some("fr")), Lang::Zh);
    }

    /// The crate's templates and handlers (`.html` and `.rs` under `src`), with their text.
    fn sources() -> Vec<(std::path::PathBuf, String)> {
        let mut out = Vec::new();
        let mut stack = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let p = entry.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|e| e == "html" || e == "rs") {
                    let text = std::fs::read_to_string(&p).unwrap();
                    out.push((p, text));
                }
            }
        }
        out
    }

    /// The content security policy allows no inline style: a `style=` attribute in a template
    /// is dropped by the browser (and reported on every load).
    #[test]
    fn templates_carry_no_inline_styles() {
        let found: Vec<String> = sources()
            .into_iter()
            .filter(|(p, text)| p.extension().is_some_and(|e| e == "html") && text.contains(" style=\""))
            .map(|(p, _)| p.display().to_string())
            .collect();
        assert!(found.is_empty(), "inline styles: {found:?}");
    }

    /// Every locale file parses, defines each message once, and every language has exactly the
    /// messages the others have, each of them formatting without error.
    #[test]
    fn every_message_parses_and_exists_in_every_language() {
        let mut ids: Vec<std::collections::BTreeSet<String>> = Vec::new();
        for lang in Lang::ALL {
            let mut seen = std::collections::BTreeSet::new();
            let mut files = 0;
            for (file_lang, area, text) in LOCALE_FILES {
                if *file_lang != lang.tag() {
                    continue;
                }
                files += 1;
                let resource = FluentResource::try_new((*text).to_string())
                    .unwrap_or_else(|(_, errors)| panic!("{file_lang}/{area}.ftl: {errors:?}"));
                for entry in resource.entries() {
                    if let fluent_syntax::ast::Entry::Message(m) = entry {
                        assert!(
                            seen.insert(m.id.name.to_string()),
                            "{file_lang}/{area}.ftl: {} defined twice",
                            m.id.name
                        );
                    }
                }
            }
            assert!(files > 0, "no locale files for {}", lang.tag());
            ids.push(seen);
        }
        for (lang, these) in Lang::ALL.iter().zip(&ids) {
            let missing: Vec<&String> = ids[0].union(&ids[1]).filter(|id| !these.contains(*id)).collect();
            assert!(missing.is_empty(), "{} lacks {missing:?}", lang.tag());
        }
        // Plain messages are all formatted ahead; the rest need their placeholders.
        for (lang, these) in Lang::ALL.iter().zip(&ids) {
            let t = Tr { lang: *lang };
            for id in these {
                let key = page_key(id);
                if t.lookup(&key).is_none() {
                    assert!(!t.fmt(&key, &[]).contains("⚠missing-text"), "{key}");
                }
            }
        }
    }

    #[test]
    fn placeholders_and_plurals_follow_the_language() {
        let (zh, en) = (Tr { lang: Lang::Zh }, Tr { lang: Lang::En });
        assert_eq!(
            en.count("upload.rows_read", 1),
            "Loading: 1 row read (this page refreshes every 2 seconds)"
        );
        assert_eq!(
            en.count("upload.rows_read", 1200),
            "Loading: 1200 rows read (this page refreshes every 2 seconds)"
        );
        assert_eq!(
            zh.count("upload.rows_read", 1200),
            "正在导入，已读取 1200 行（页面每 2 秒刷新）"
        );
        assert_eq!(en.s("no.such.key"), "⚠missing-text");
    }

    #[test]
    fn every_key_used_by_a_template_or_handler_exists() {
        let mut missing = Vec::new();
        for (p, text) in sources() {
            for call in ["t.s(\"", "t.count(\"", "t.fmt(\"", "t.lookup(\""] {
                for part in text.split(call).skip(1) {
                    let key = part.split('"').next().unwrap_or_default();
                    if Lang::ALL
                        .iter()
                        .any(|l| !TEXTS.bundles[l.index()].has_message(&message_id(key)))
                    {
                        missing.push(format!("{}: {key}", p.display()));
                    }
                }
            }
        }
        // This file's own tests ask for a key that must not exist.
        missing.retain(|m| !m.ends_with(": no.such.key"));
        assert!(missing.is_empty(), "missing texts: {missing:?}");
    }

    #[test]
    fn bilingual_domain_messages_are_split() {
        let t = Tr { lang: Lang::En };
        assert_eq!(t.half("校验码错误 / wrong check digit"), "wrong check digit");
        assert_eq!(
            Tr { lang: Lang::Zh }.half("校验码错误 / wrong check digit"),
            "校验码错误"
        );
        assert_eq!(t.half("plain"), "plain");
    }
}
