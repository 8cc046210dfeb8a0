//! The command line speaks one language: Chinese, or English when the locale (`LC_ALL`,
//! `LC_MESSAGES` or `LANG`, the first one set, as POSIX orders them) names English. Messages are
//! said with [`say!`]: a code of the crate's catalog (`locales/<language>/tongban.ftl`) and its
//! named arguments, like the domain crates' messages; bilingual
//! `中文 / English` errors from the domain crates are cut to the half in the CLI's language by
//! [`half`].

/// Whether the CLI speaks English: the locale in force names English (`en_US.UTF-8`, `en`).
pub fn english() -> bool {
    english_in(["LC_ALL", "LC_MESSAGES", "LANG"].map(|k| std::env::var(k).ok()))
}

/// [`english`] over the values of `LC_ALL`, `LC_MESSAGES` and `LANG`.
fn english_in(vars: [Option<String>; 3]) -> bool {
    vars.into_iter()
        .flatten()
        .find(|v| !v.is_empty())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("en"))
}

/// The language the CLI speaks.
pub fn lang() -> tongban_kernel::Lang {
    if english() {
        tongban_kernel::Lang::En
    } else {
        tongban_kernel::Lang::Zh
    }
}

/// A domain message in the CLI's language.
pub fn msg(m: &tongban_kernel::Msg) -> String {
    m.render(lang())
}

/// `zh` or `en`, whichever the CLI speaks (for texts built before they are printed).
pub fn pick(zh: String, en: String) -> String {
    if english() { en } else { zh }
}

/// The half of a bilingual message `中文 / English` in the CLI's language. A message without
/// both halves (a path, a fraction, an English-only cause) is kept whole.
pub fn half(message: &str) -> String {
    half_in(message, english())
}

fn half_in(message: &str, english: bool) -> String {
    match tongban_kernel::bilingual(message) {
        Some((zh, en)) => if english { en } else { zh }.to_string(),
        None => message.to_string(),
    }
}

/// An error and its causes, each cut to the CLI's language, joined as `context: cause`. A
/// cause that only repeats the one before it (an error wrapping another with the same words)
/// is said once.
pub fn error(e: &anyhow::Error) -> String {
    let english = english();
    let mut causes: Vec<String> = e
        .chain()
        .map(|cause| half_in(&cause.to_string(), english))
        .collect();
    causes.dedup();
    causes.join(if english { ": " } else { "：" })
}

/// A message in the CLI's language: `say!("restored-from", from = path)`.
/// The texts are in `locales/<language>/tongban.ftl`.
macro_rules! say {
    ($code:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::say::msg(&tongban_kernel::msg!($code $(, $name = $value)*))
    };
}

/// What registering a client prints: its name and department, its id, and its secret with the
/// warning that it is shown this once (API clients and OIDC clients alike).
pub fn registered_client(name: &str, department: &str, client_id: &str, secret: &str) {
    println!("{}", say!("registered", name = name, department = department));
    println!("client_id:     {client_id}");
    println!("client_secret: {secret}");
    println!("{}", say!("secret-shown-only-this-once"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_exists_in_every_language_and_is_used() {
        let problems = crate::MESSAGES.problems_in(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &["msg!(", "say!("],
        );
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn the_first_locale_variable_set_decides() {
        let v = |a: &str, b: &str, c: &str| [a, b, c].map(|s| (!s.is_empty()).then(|| s.to_string()));
        assert!(english_in(v("", "", "en_US.UTF-8")));
        assert!(!english_in(v("", "", "zh_CN.UTF-8")));
        assert!(!english_in(v("zh_CN.UTF-8", "", "en_US.UTF-8")), "LC_ALL wins");
        assert!(english_in(v("", "en_GB.UTF-8", "zh_CN.UTF-8")));
        assert!(!english_in(v("", "", "")), "Chinese unless English is asked for");
        assert!(!english_in(v("C.UTF-8", "", "")));
    }

    #[test]
    fn bilingual_messages_are_cut_to_one_language() {
        let e = "节假日数据格式错误：line 2 / calendar data malformed: line 2";
        assert_eq!(half_in(e, true), "calendar data malformed: line 2");
        assert_eq!(half_in(e, false), "节假日数据格式错误：line 2");
        assert_eq!(half_in("no such file", false), "no such file");
        assert_eq!(
            half_in("a / b", false),
            "a / b",
            "a path or fraction is not bilingual"
        );
    }

    #[test]
    fn an_error_chain_is_cut_cause_by_cause() {
        let e = anyhow::anyhow!("日期格式错误 / bad date").context("reading x.toml");
        // Run under whichever locale the test has: each cause in one language, never glued.
        let shown = error(&e);
        assert!(shown.starts_with("reading x.toml"), "{shown}");
        assert!(!shown.contains(" / "), "{shown}");
    }

    #[test]
    fn a_cause_that_repeats_its_wrapper_is_said_once() {
        #[derive(Debug)]
        struct Wrapper(std::io::Error);
        impl std::fmt::Display for Wrapper {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
        impl std::error::Error for Wrapper {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let e = anyhow::Error::new(Wrapper(std::io::Error::other("cidr: 网段过宽 / too wide")));
        assert_eq!(error(&e).matches("cidr").count(), 1, "{}", error(&e));
    }
}
