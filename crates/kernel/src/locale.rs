//! Messages for people as codes with arguments, translated from per-crate locale files.
//!
//! A domain crate never writes a sentence in a language: it returns a [`Msg`] — a code (a
//! Project Fluent message id in its own `locales/<language>/<crate>.ftl`) and named arguments —
//! built with [`msg!`](crate::msg). Whoever shows it picks the language: a page with
//! [`Msg::render`], the CLI with the language of its environment. Fluent puts numbers and names
//! inside one sentence with the plural forms each language needs, so nothing is glued from
//! fragments. `Display` writes both languages, `中文 / English`: the form of audit records
//! (ledger event summaries) and of logs, built here and nowhere else.
//!
//! Each crate declares its files once with [`catalog!`](crate::catalog); they are embedded at
//! build time and parsed on first use. Adding a language is adding its files (and its [`Lang`]).

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;
use std::sync::OnceLock;

/// A language people read Tongban in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Lang {
    /// 简体中文 (default).
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// Every language, in the order texts are held.
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    /// The BCP 47 tag (`<html lang>`, the locale directory's name).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The short code kept in the language cookie.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The other language (for the switch link).
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// Parses a cookie value or a tag.
    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "zh" | "zh-CN" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Where this language's texts are held in a per-language array.
    pub fn index(self) -> usize {
        match self {
            Lang::Zh => 0,
            Lang::En => 1,
        }
    }
}

/// One crate's locale files: per language tag, the Fluent text. Declared with
/// [`catalog!`](crate::catalog) as the crate's `MESSAGES`.
pub struct Catalog {
    area: &'static str,
    files: &'static [(&'static str, &'static str)],
    bundles: OnceLock<[FluentBundle<FluentResource>; 2]>,
}

impl fmt::Debug for Catalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Catalog")
            .field("area", &self.area)
            .finish_non_exhaustive()
    }
}

impl Catalog {
    /// The catalog of `area` (the crate) made of `files`, `(language tag, Fluent text)`.
    pub const fn new(area: &'static str, files: &'static [(&'static str, &'static str)]) -> Self {
        Self {
            area,
            files,
            bundles: OnceLock::new(),
        }
    }

    /// The crate whose messages these are.
    pub fn area(&self) -> &'static str {
        self.area
    }

    fn bundles(&self) -> &[FluentBundle<FluentResource>; 2] {
        self.bundles.get_or_init(|| {
            Lang::ALL.map(|lang| {
                let mut bundle = FluentBundle::new_concurrent(vec![lang.tag().parse().unwrap_or_default()]);
                // Texts go into pages and terminals: no Unicode isolation marks around arguments.
                bundle.set_use_isolating(false);
                for (tag, text) in self.files {
                    if *tag == lang.tag() {
                        // A file that does not parse keeps what did; `problems` reports the rest.
                        let resource =
                            FluentResource::try_new((*text).to_string()).unwrap_or_else(|(r, _)| r);
                        let _ = bundle.add_resource(resource);
                    }
                }
                bundle
            })
        })
    }

    /// The message `code` in `lang` with `args` filled in, or `None` when the catalog lacks it.
    pub fn format(&self, lang: Lang, code: &str, args: &[(&'static str, Arg)]) -> Option<String> {
        let bundle = &self.bundles()[lang.index()];
        let pattern = bundle.get_message(code)?.value()?;
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, value.fluent(lang));
        }
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
        errors.is_empty().then(|| text.into_owned())
    }

    /// The message ids defined in `lang`'s file.
    pub fn ids(&self, lang: Lang) -> BTreeSet<String> {
        let bundles = self.bundles();
        self.files
            .iter()
            .filter(|(tag, _)| *tag == lang.tag())
            .filter_map(|(_, text)| FluentResource::try_new((*text).to_string()).ok())
            .flat_map(|r| {
                r.entries()
                    .filter_map(|e| match e {
                        fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
            })
            .filter(|id| bundles[lang.index()].has_message(id))
            .collect()
    }

    /// What is wrong with the files: a language without a file, a file that does not parse, a
    /// message defined twice, a message one language has and another lacks. Empty when sound;
    /// every crate's tests assert that.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut per_lang = Vec::new();
        for lang in Lang::ALL {
            let mut seen = BTreeSet::new();
            let files: Vec<_> = self.files.iter().filter(|(tag, _)| *tag == lang.tag()).collect();
            if files.is_empty() {
                out.push(format!("{}: no file for {}", self.area, lang.tag()));
            }
            for (tag, text) in files {
                match FluentResource::try_new((*text).to_string()) {
                    Err((_, errors)) => out.push(format!("{}/{tag}: {errors:?}", self.area)),
                    Ok(r) => {
                        for e in r.entries() {
                            if let fluent_syntax::ast::Entry::Message(m) = e
                                && !seen.insert(m.id.name.to_string())
                            {
                                out.push(format!("{}/{tag}: {} defined twice", self.area, m.id.name));
                            }
                        }
                    }
                }
            }
            per_lang.push((lang, seen));
        }
        let all: BTreeSet<&String> = per_lang.iter().flat_map(|(_, ids)| ids).collect();
        for (lang, ids) in &per_lang {
            for id in all.iter().filter(|id| !ids.contains(**id)) {
                out.push(format!("{}/{}: {id} is missing", self.area, lang.tag()));
            }
        }
        out
    }

    /// [`Catalog::problems`], plus every `msg!("code")` in the `.rs` files under `src` whose
    /// code the catalog lacks, and every message no source uses. Each crate with a catalog runs
    /// this in its tests: `MESSAGES.problems_with(Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))`.
    pub fn problems_with(&self, src: impl AsRef<std::path::Path>) -> Vec<String> {
        self.problems_in(src, &["msg!("])
    }

    /// [`Catalog::problems_with`] for a crate that also names codes through its own macros
    /// (`["msg!(", "say!("]`): the first argument of each call is a code.
    pub fn problems_in(&self, src: impl AsRef<std::path::Path>, calls: &[&str]) -> Vec<String> {
        let mut out = self.problems();
        let mut used = BTreeSet::new();
        let mut dirs = vec![src.as_ref().to_path_buf()];
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                out.push(format!("{}: cannot read {}", self.area, dir.display()));
                continue;
            };
            for path in entries.flatten().map(|e| e.path()) {
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && let Ok(text) = std::fs::read_to_string(&path)
                {
                    let code: Vec<&str> = text
                        .lines()
                        .filter(|l| !l.trim_start().starts_with("//"))
                        .collect();
                    let code = code.join("\n");
                    for call in calls.iter().flat_map(|c| code.split(c).skip(1)) {
                        let Some(quoted) = call.trim_start().strip_prefix('"') else {
                            continue;
                        };
                        let code = quoted.split('"').next().unwrap_or_default();
                        let an_id = code.starts_with(|c: char| c.is_ascii_lowercase())
                            && code
                                .chars()
                                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                        if !an_id {
                            continue;
                        }
                        if !self.bundles()[0].has_message(code) {
                            out.push(format!("{}: {} uses unknown {code}", self.area, path.display()));
                        }
                        used.insert(code.to_string());
                    }
                }
            }
        }
        for id in self.ids(Lang::Zh).into_iter().filter(|id| !used.contains(id)) {
            out.push(format!("{}: {id} is never used", self.area));
        }
        out
    }
}

/// Declares the calling crate's `pub static MESSAGES`: its `locales/<tag>/<area>.ftl` files,
/// one per language, embedded at build time.
#[macro_export]
macro_rules! catalog {
    ($area:literal) => {
        /// This crate's messages for people, from `locales/<language>/<crate>.ftl`.
        pub static MESSAGES: $crate::locale::Catalog = $crate::locale::Catalog::new(
            $area,
            &[
                (
                    "zh-CN",
                    include_str!(concat!(
                        env!("CARGO_MANIFEST_DIR"),
                        "/locales/zh-CN/",
                        $area,
                        ".ftl"
                    )),
                ),
                (
                    "en",
                    include_str!(concat!(
                        env!("CARGO_MANIFEST_DIR"),
                        "/locales/en/",
                        $area,
                        ".ftl"
                    )),
                ),
            ],
        );
    };
}

/// A message of the calling crate's `MESSAGES`: `msg!("case-not-taking")`, or with arguments
/// `msg!("supplement-too-many", max = MAX_MISSING)`.
// `crate::MESSAGES` is meant: the catalog of the crate that writes the message.
#[allow(clippy::crate_in_macro_def)]
#[macro_export]
macro_rules! msg {
    ($code:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::locale::Msg::new(
            &crate::MESSAGES,
            $code,
            vec![$((stringify!($name), $crate::locale::ToArg::to_arg(&$value))),*],
        )
    };
}

/// A value put into a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// Text shown as it is (a number of a case, a name with no English form).
    Text(String),
    /// A number: chooses the plural form.
    Number(i64),
    /// A name held in two languages (a department, a service); the English one may be empty.
    Name {
        /// The Chinese name.
        zh: String,
        /// The English name, empty when there is none.
        en: String,
    },
    /// Another message, translated into the same language.
    Msg(Box<Msg>),
}

impl Arg {
    /// A name held in both languages.
    pub fn name(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Arg::Name {
            zh: zh.into(),
            en: en.into(),
        }
    }

    fn fluent(&self, lang: Lang) -> FluentValue<'_> {
        match self {
            Arg::Text(s) => FluentValue::from(s.as_str()),
            Arg::Number(n) => FluentValue::from(*n),
            Arg::Name { zh, en } => match lang {
                Lang::En if !en.trim().is_empty() => FluentValue::from(en.as_str()),
                _ => FluentValue::from(zh.as_str()),
            },
            Arg::Msg(m) => FluentValue::from(m.render(lang)),
        }
    }
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Text(s.to_string())
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Text(s)
    }
}

impl From<&String> for Arg {
    fn from(s: &String) -> Self {
        Arg::Text(s.clone())
    }
}

impl From<jiff::civil::Date> for Arg {
    fn from(d: jiff::civil::Date) -> Self {
        Arg::Text(d.to_string())
    }
}

impl From<Msg> for Arg {
    fn from(m: Msg) -> Self {
        Arg::Msg(Box::new(m))
    }
}

/// What can go into a message (by reference: [`msg!`](crate::msg) never takes its arguments).
pub trait ToArg {
    /// The argument.
    fn to_arg(&self) -> Arg;
}

impl<T: ToArg + ?Sized> ToArg for &T {
    fn to_arg(&self) -> Arg {
        (**self).to_arg()
    }
}

impl ToArg for str {
    fn to_arg(&self) -> Arg {
        Arg::Text(self.to_string())
    }
}

impl ToArg for String {
    fn to_arg(&self) -> Arg {
        Arg::Text(self.clone())
    }
}

impl ToArg for Msg {
    fn to_arg(&self) -> Arg {
        Arg::Msg(Box::new(self.clone()))
    }
}

impl ToArg for Arg {
    fn to_arg(&self) -> Arg {
        self.clone()
    }
}

impl ToArg for jiff::civil::Date {
    fn to_arg(&self) -> Arg {
        Arg::Text(self.to_string())
    }
}

macro_rules! number_arg {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg {
            fn from(n: $t) -> Self {
                Arg::Number(i64::try_from(n).unwrap_or(i64::MAX))
            }
        }

        impl ToArg for $t {
            fn to_arg(&self) -> Arg {
                Arg::from(*self)
            }
        }
    )*};
}
number_arg!(i16, i32, i64, u8, u16, u32, u64, usize);

/// A message for a person: a code in a crate's catalog and its arguments. Rendered in one
/// language with [`Msg::render`]; `Display` writes `中文 / English`.
#[derive(Clone)]
pub struct Msg(Inner);

#[derive(Clone)]
enum Inner {
    Coded {
        catalog: &'static Catalog,
        code: &'static str,
        args: Vec<(&'static str, Arg)>,
    },
    /// Text already in both languages, `中文 / English`, from code not yet moved to a catalog.
    Text(Cow<'static, str>),
}

impl Msg {
    /// The message `code` of `catalog` with `args` (what [`msg!`](crate::msg) builds).
    pub fn new(catalog: &'static Catalog, code: &'static str, args: Vec<(&'static str, Arg)>) -> Self {
        Msg(Inner::Coded { catalog, code, args })
    }

    /// The message's code, `None` for a text written in both languages.
    pub fn code(&self) -> Option<&'static str> {
        match &self.0 {
            Inner::Coded { code, .. } => Some(code),
            Inner::Text(_) => None,
        }
    }

    /// Whether this is the message `code` of `catalog`.
    pub fn is(&self, catalog: &Catalog, code: &str) -> bool {
        matches!(&self.0, Inner::Coded { catalog: c, code: k, .. } if c.area == catalog.area && *k == code)
    }

    /// The argument `name`, if the message has it.
    pub fn arg(&self, name: &str) -> Option<&Arg> {
        match &self.0 {
            Inner::Coded { args, .. } => args.iter().find(|(n, _)| *n == name).map(|(_, a)| a),
            Inner::Text(_) => None,
        }
    }

    /// The message in `lang`. A code the catalog lacks shows as the code (the crate's tests
    /// make sure none does).
    pub fn render(&self, lang: Lang) -> String {
        match &self.0 {
            Inner::Coded { catalog, code, args } => catalog
                .format(lang, code, args)
                .unwrap_or_else(|| format!("{}:{code}", catalog.area)),
            Inner::Text(both) => match crate::error::bilingual(both) {
                Some((zh, en)) => match lang {
                    Lang::Zh => zh.to_string(),
                    Lang::En => en.to_string(),
                },
                None => both.to_string(),
            },
        }
    }
}

impl From<&str> for Msg {
    fn from(both: &str) -> Self {
        Msg(Inner::Text(Cow::Owned(both.to_string())))
    }
}

impl From<&String> for Msg {
    fn from(both: &String) -> Self {
        Msg(Inner::Text(Cow::Owned(both.clone())))
    }
}

impl From<String> for Msg {
    fn from(both: String) -> Self {
        Msg(Inner::Text(Cow::Owned(both)))
    }
}

impl From<&Msg> for Msg {
    fn from(m: &Msg) -> Self {
        m.clone()
    }
}

impl fmt::Display for Msg {
    /// `中文 / English` (one text when both are the same): audit records and logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Inner::Text(both) => f.write_str(both),
            Inner::Coded { .. } => {
                let (zh, en) = (self.render(Lang::Zh), self.render(Lang::En));
                if zh == en {
                    f.write_str(&zh)
                } else {
                    write!(f, "{zh} / {en}")
                }
            }
        }
    }
}

impl fmt::Debug for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Inner::Coded { catalog, code, args } => {
                write!(f, "{}:{code}", catalog.area)?;
                if !args.is_empty() {
                    f.debug_map().entries(args.iter().map(|(n, a)| (n, a))).finish()?;
                }
                Ok(())
            }
            Inner::Text(both) => fmt::Debug::fmt(both, f),
        }
    }
}

impl PartialEq for Msg {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (
                Inner::Coded {
                    catalog: c1,
                    code: k1,
                    args: a1,
                },
                Inner::Coded {
                    catalog: c2,
                    code: k2,
                    args: a2,
                },
            ) => c1.area == c2.area && k1 == k2 && a1 == a2,
            (Inner::Text(a), Inner::Text(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Msg {}

#[cfg(test)]
mod tests {
    use super::*;

    static TEST: Catalog = Catalog::new(
        "test",
        &[
            (
                "zh-CN",
                "rows = 已读取 { $n } 行\nnot-at = 办件当前不在{ $step }环节\nwho = { $dept }办理\n",
            ),
            (
                "en",
                "rows = { $n ->\n    [one] { $n } row read\n   *[other] { $n } rows read\n}\nnot-at = the case is not at the { $step } step\nwho = handled by { $dept }\n",
            ),
        ],
    );

    fn m(code: &'static str, args: Vec<(&'static str, Arg)>) -> Msg {
        Msg::new(&TEST, code, args)
    }

    #[test]
    fn a_message_is_one_sentence_with_its_numbers_in_each_language() {
        assert_eq!(m("rows", vec![("n", 1.into())]).render(Lang::En), "1 row read");
        assert_eq!(
            m("rows", vec![("n", 1200.into())]).render(Lang::En),
            "1200 rows read"
        );
        assert_eq!(m("rows", vec![("n", 3.into())]).render(Lang::Zh), "已读取 3 行");
        assert_eq!(
            m("rows", vec![("n", 2.into())]).to_string(),
            "已读取 2 行 / 2 rows read",
            "Display is the audit form, both languages"
        );
    }

    #[test]
    fn names_and_nested_messages_follow_the_language() {
        let who = m(
            "who",
            vec![("dept", Arg::name("示范市公安局", "City Public Security Bureau"))],
        );
        assert_eq!(who.render(Lang::Zh), "示范市公安局办理");
        assert_eq!(who.render(Lang::En), "handled by City Public Security Bureau");
        let no_en = m("who", vec![("dept", Arg::name("示范市民政局", ""))]);
        assert_eq!(no_en.render(Lang::En), "handled by 示范市民政局");
        let nested = m("not-at", vec![("step", m("rows", vec![("n", 1.into())]).into())]);
        assert_eq!(nested.render(Lang::En), "the case is not at the 1 row read step");
    }

    #[test]
    fn a_missing_code_shows_itself_and_the_catalog_reports_gaps() {
        assert_eq!(m("nope", vec![]).render(Lang::Zh), "test:nope");
        assert!(TEST.problems().is_empty(), "{:?}", TEST.problems());
        static GAP: Catalog = Catalog::new("gap", &[("zh-CN", "a = 甲\nb = 乙\n"), ("en", "a = A\n")]);
        assert_eq!(GAP.problems(), vec!["gap/en: b is missing".to_string()]);
        static BROKEN: Catalog = Catalog::new("broken", &[("zh-CN", "a = 甲\na = 乙\n"), ("en", "a = {\n")]);
        let p = BROKEN.problems();
        assert!(p.iter().any(|p| p.contains("defined twice")), "{p:?}");
        assert!(p.iter().any(|p| p.starts_with("broken/en:")), "{p:?}");
    }

    #[test]
    fn this_crates_messages_exist_in_every_language_and_are_used() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let problems = crate::MESSAGES.problems_with(src);
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn text_in_both_languages_is_split_until_it_moves_to_a_catalog() {
        let both = Msg::from("校验码错误 / wrong check digit");
        assert_eq!(both.render(Lang::En), "wrong check digit");
        assert_eq!(both.render(Lang::Zh), "校验码错误");
        assert_eq!(both.to_string(), "校验码错误 / wrong check digit");
        assert_eq!(both.code(), None);
        assert_eq!(m("rows", vec![]).code(), Some("rows"));
    }
}
