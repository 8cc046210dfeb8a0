//! Code tables (代码表): the many ways a value is written mapped to one canonical code.
//!
//! Built in: 性别 by GB/T 2261.1-2003 (0 未知的性别, 1 男, 2 女, 9 未说明的性别) and 是否
//! (1 是, 0 否). Any other field gets an [`Enumeration`] built from `(code, [aliases])`, which a
//! catalog stores as JSON. Matching ignores surrounding whitespace, full/half width and ASCII
//! case; a value matching nothing is refused with the allowed values listed.

use crate::width::clean;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::HashMap;
use tongban_kernel::Invalid;
use tongban_kernel::{Msg, msg};

/// 性别 (GB/T 2261.1-2003).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gender {
    /// 0 未知的性别.
    Unknown,
    /// 1 男.
    Male,
    /// 2 女.
    Female,
    /// 9 未说明的性别.
    Unstated,
}

const GENDER_ALIASES: &[(Gender, &[&str])] = &[
    (Gender::Male, &["1", "男", "男性", "M", "male", "man"]),
    (Gender::Female, &["2", "女", "女性", "F", "female", "woman"]),
    (Gender::Unknown, &["0", "未知", "未知的性别", "unknown"]),
    (Gender::Unstated, &["9", "未说明", "未说明的性别", "unstated"]),
];

fn gender_allowed() -> Msg {
    msg!("gender-1-male-2")
}
fn yes_no_allowed() -> Msg {
    msg!("y-n-1-0")
}
fn empty() -> Msg {
    msg!("not-empty")
}

impl Gender {
    /// Reads any common spelling: 男/女, 男性/女性, 1/2/0/9, M/F, male/female (any case).
    pub fn parse(field: &str, value: &str) -> Result<Self, Invalid> {
        let key = clean(value);
        if key.is_empty() {
            return Err(Invalid::new(field, empty()));
        }
        GENDER_ALIASES
            .iter()
            .find(|(_, aliases)| aliases.iter().any(|a| a.eq_ignore_ascii_case(&key)))
            .map(|&(g, _)| g)
            .ok_or_else(|| Invalid::new(field, gender_allowed()))
    }

    /// The GB/T 2261.1 code: `"0"`, `"1"`, `"2"` or `"9"`.
    pub fn code(self) -> &'static str {
        match self {
            Gender::Unknown => "0",
            Gender::Male => "1",
            Gender::Female => "2",
            Gender::Unstated => "9",
        }
    }

    /// The standard's Chinese name: 男, 女, 未知的性别, 未说明的性别.
    pub fn label(self) -> &'static str {
        match self {
            Gender::Unknown => "未知的性别",
            Gender::Male => "男",
            Gender::Female => "女",
            Gender::Unstated => "未说明的性别",
        }
    }
}

const YES: &[&str] = &["1", "是", "Y", "yes", "true", "T"];
const NO: &[&str] = &["0", "否", "N", "no", "false", "F"];

/// Reads 是否 (yes/no): 是/否, Y/N, yes/no, 1/0, true/false, T/F (any case).
pub fn parse_yes_no(field: &str, value: &str) -> Result<bool, Invalid> {
    let key = clean(value);
    if key.is_empty() {
        return Err(Invalid::new(field, empty()));
    }
    let is = |list: &[&str]| list.iter().any(|a| a.eq_ignore_ascii_case(&key));
    if is(YES) {
        Ok(true)
    } else if is(NO) {
        Ok(false)
    } else {
        Err(Invalid::new(field, yes_no_allowed()))
    }
}

/// The canonical code of 是否: `"1"` for yes, `"0"` for no.
pub fn yes_no_code(yes: bool) -> &'static str {
    if yes { "1" } else { "0" }
}

/// One allowed value of an [`Enumeration`]: its code and the other ways it is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumValue {
    /// The canonical code stored in the data pool (e.g. `01`).
    pub code: String,
    /// Other spellings that mean this code (e.g. `汉族`, `汉`).
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// A per-field code table: values matched against codes and aliases.
/// Serialises as its list of [`EnumValue`]s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<EnumValue>", into = "Vec<EnumValue>")]
pub struct Enumeration {
    values: Vec<EnumValue>,
    /// Matching key (half-width, trimmed, ASCII lower case) → index into `values`.
    index: HashMap<String, usize>,
}

/// The form codes and aliases are matched in.
fn match_key(s: &str) -> Cow<'_, str> {
    match clean(s) {
        Cow::Borrowed(b) if !b.bytes().any(|c| c.is_ascii_uppercase()) => Cow::Borrowed(b),
        c => Cow::Owned(c.to_ascii_lowercase()),
    }
}

impl Enumeration {
    /// Builds a table from `(code, aliases)`. Refused when a code is blank or a spelling would
    /// mean two different codes.
    pub fn new<C, A, S>(values: impl IntoIterator<Item = (C, A)>) -> Result<Self, Invalid>
    where
        C: Into<String>,
        A: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let values: Vec<EnumValue> = values
            .into_iter()
            .map(|(code, aliases)| EnumValue {
                code: code.into(),
                aliases: aliases.into_iter().map(Into::into).collect(),
            })
            .collect();
        Self::try_from(values)
    }

    /// The allowed values, in the order given.
    pub fn values(&self) -> &[EnumValue] {
        &self.values
    }

    /// The canonical code `value` means, or an error listing the allowed values.
    pub fn code_of<'e>(&'e self, field: &str, value: &str) -> Result<&'e str, Invalid> {
        let key = match_key(value);
        match self.index.get(key.as_ref()) {
            Some(&i) => Ok(self.values[i].code.as_str()),
            None => Err(Invalid::new(field, self.allowed_reason())),
        }
    }

    fn allowed_reason(&self) -> Msg {
        const SHOWN: usize = 20;
        let mut list = self
            .values
            .iter()
            .take(SHOWN)
            .map(|v| match v.aliases.first() {
                Some(a) => format!("{} {a}", v.code),
                None => v.code.clone(),
            })
            .collect::<Vec<_>>()
            .join("、");
        if self.values.len() > SHOWN {
            list.push_str(&format!("…（共{}项）", self.values.len()));
        }
        msg!("not-allowed-value-allowed", list = list)
    }
}

impl TryFrom<Vec<EnumValue>> for Enumeration {
    type Error = Invalid;

    fn try_from(values: Vec<EnumValue>) -> Result<Self, Invalid> {
        let mut index = HashMap::new();
        for (i, v) in values.iter().enumerate() {
            if clean(&v.code).is_empty() {
                return Err(Invalid::new("values", msg!("code-not-blank")));
            }
            for spelling in std::iter::once(&v.code).chain(&v.aliases) {
                let key = match_key(spelling).into_owned();
                if key.is_empty() {
                    continue;
                }
                match index.insert(key, i) {
                    Some(other) if other != i => {
                        return Err(Invalid::new(
                            "values",
                            msg!(
                                "spelling-would-mean-both",
                                other = values[other].code,
                                v = v.code,
                                spelling = spelling
                            ),
                        ));
                    }
                    _ => {}
                }
            }
        }
        Ok(Self { values, index })
    }
}

impl From<Enumeration> for Vec<EnumValue> {
    fn from(e: Enumeration) -> Self {
        e.values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gender_spellings_map_to_gb_t_2261_1_codes() {
        for (s, code) in [
            ("男", "1"),
            ("男性", "1"),
            ("1", "1"),
            ("M", "1"),
            ("m", "1"),
            ("Male", "1"),
            ("女", "2"),
            ("女性", "2"),
            ("2", "2"),
            ("F", "2"),
            ("female", "2"),
            ("\u{3000}女 ", "2"),
            ("Ｆ", "2"),
            ("未知", "0"),
            ("0", "0"),
            ("未说明的性别", "9"),
            ("9", "9"),
        ] {
            assert_eq!(Gender::parse("gender", s).map(Gender::code), Ok(code), "{s}");
        }
        assert_eq!(Gender::Female.label(), "女");
    }

    #[test]
    fn an_unknown_gender_spelling_lists_the_allowed_codes() {
        let e = Gender::parse("xb", "3").unwrap_err();
        assert_eq!((e.field.as_str(), e.reason), ("xb", gender_allowed()));
        assert!(Gender::parse("xb", "").is_err());
        assert!(Gender::parse("xb", "男女").is_err());
    }

    #[test]
    fn yes_no_spellings_map_to_one_and_zero() {
        for s in ["是", "Y", "y", "yes", "TRUE", "1", "１"] {
            assert_eq!(parse_yes_no("f", s), Ok(true), "{s}");
        }
        for s in ["否", "N", "no", "False", "0"] {
            assert_eq!(parse_yes_no("f", s), Ok(false), "{s}");
        }
        assert_eq!(parse_yes_no("f", "也许").unwrap_err().reason, yes_no_allowed());
        assert_eq!((yes_no_code(true), yes_no_code(false)), ("1", "0"));
    }

    fn ethnicity() -> Enumeration {
        Enumeration::new([
            ("01", vec!["汉族", "汉"]),
            ("02", vec!["蒙古族", "蒙古"]),
            ("03", vec!["回族"]),
        ])
        .unwrap()
    }

    #[test]
    fn an_enumeration_matches_codes_and_aliases() {
        let e = ethnicity();
        assert_eq!(e.code_of("mz", "汉族"), Ok("01"));
        assert_eq!(e.code_of("mz", " 汉 "), Ok("01"));
        assert_eq!(e.code_of("mz", "０２"), Ok("02"));
        assert_eq!(e.code_of("mz", "03"), Ok("03"));
    }

    #[test]
    fn an_unknown_enumeration_value_is_refused_listing_the_allowed_values() {
        let err = ethnicity().code_of("mz", "藏族").unwrap_err();
        assert_eq!(err.field, "mz");
        assert!(
            err.reason.to_string().contains("01 汉族、02 蒙古族、03 回族"),
            "{}",
            err.reason
        );
        assert!(err.reason.to_string().contains("not an allowed value"));
    }

    #[test]
    fn long_enumerations_list_only_their_first_values() {
        let e = Enumeration::new((1..=56).map(|i| (format!("{i:02}"), Vec::<String>::new()))).unwrap();
        let reason = e.code_of("mz", "99").unwrap_err().reason;
        assert!(reason.to_string().contains("…（共56项）"), "{reason}");
        assert!(!reason.to_string().contains("21"));
    }

    #[test]
    fn ascii_aliases_match_in_any_case() {
        let e = Enumeration::new([("A", vec!["Active"]), ("I", vec!["inactive"])]).unwrap();
        assert_eq!(e.code_of("s", "ACTIVE"), Ok("A"));
        assert_eq!(e.code_of("s", "a"), Ok("A"));
        assert_eq!(e.code_of("s", "Inactive"), Ok("I"));
    }

    #[test]
    fn an_alias_meaning_two_codes_is_refused() {
        let e = Enumeration::new([("1", vec!["是"]), ("2", vec!["是"])]).unwrap_err();
        assert!(e.reason.to_string().contains("同时对应"), "{}", e.reason);
        assert!(Enumeration::new([(" ", Vec::<String>::new())]).is_err());
    }

    #[test]
    fn an_enumeration_round_trips_through_json_as_its_value_list() {
        let e = ethnicity();
        let json = serde_json::to_string(&e).unwrap();
        assert!(
            json.starts_with(r#"[{"code":"01","aliases":["汉族","汉"]}"#),
            "{json}"
        );
        let back: Enumeration = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
        let clash = r#"[{"code":"1","aliases":["x"]},{"code":"2","aliases":["X"]}]"#;
        assert!(serde_json::from_str::<Enumeration>(clash).is_err());
        let bare: Enumeration = serde_json::from_str(r#"[{"code":"1"}]"#).unwrap();
        assert_eq!(bare.code_of("f", "1"), Ok("1"));
    }
}
