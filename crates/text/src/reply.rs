//! Checks on a government reply (答复) to a citizen before it is sent, and the redaction of text
//! before it is published. Vague, bureaucratic replies are how an inquiry becomes a public-opinion
//! crisis, so every reply is read against six rules, each a [`ReplyRule`] with a stable code and
//! a bilingual reason:
//!
//! - `vague_phrase`: a phrase from a maintained list of empty formulas (`正在研究`,
//!   `按有关规定办理`, `择机处理`, …);
//! - `unnamed_department`: `有关部门` / `相关单位` while no department is named anywhere;
//! - `no_next_step`: no date or time limit, no contact (phone, address, window, website) and no
//!   concrete action (`已安排`, `请携带`, `将于`…);
//! - `off_topic`: the reply contains none (or, for a long question, fewer than two) of the
//!   question's key terms;
//! - `sensitive_word`: a word from a maintained list no official should write to a citizen;
//! - `personal_data`: an ID number, mobile number or credit code, or a name written next to one
//!   — somebody's personal data that must not go out, least of all on the public board.
//!
//! Flags are advice for the person replying and the reviewer, never a refusal: the caller decides.
//! The lists are data ([`ReplyChecker::with_vague_phrases`], [`ReplyChecker::with_sensitive_words`])
//! so administrators extend them without a release.
//!
//! Like the rest of this crate, every function here is pure and never panics on any input.

use tongban_kernel::{Msg, msg};

mod lists;
mod names;

pub use lists::{SENSITIVE_WORDS, UNNAMED_DEPARTMENT_PHRASES, VAGUE_PHRASES};
pub use names::{NameSpan, find_names, public_text};

use lists::{
    CONTACT_MARKERS, DEPARTMENT_SUFFIXES, GENERIC_TERMS, NEXT_STEP_MARKERS, NOT_DEPARTMENTS, STOP_CHARS,
    TIME_UNITS, TIME_WORDS,
};

use crate::pii::{PiiKind, find_pii, mask_pii};
use crate::width::{half_width_char, is_zero_width};
use serde::{Deserialize, Serialize};

/// One rule a reply is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyRule {
    /// 空泛表述: a phrase from the vague-phrase list.
    VaguePhrase,
    /// 未指明部门: `有关部门` while no department is named.
    UnnamedDepartment,
    /// 无具体措施: no date, contact or concrete action.
    NoNextStep,
    /// 答非所问: the question's key terms are missing from the reply.
    OffTopic,
    /// 敏感词: a word from the sensitive-word list.
    SensitiveWord,
    /// 个人信息: an ID number, mobile, credit code, or a name next to one.
    PersonalData,
}

impl ReplyRule {
    /// Every rule, in the order flags are reported.
    pub const ALL: [ReplyRule; 6] = [
        ReplyRule::VaguePhrase,
        ReplyRule::UnnamedDepartment,
        ReplyRule::NoNextStep,
        ReplyRule::OffTopic,
        ReplyRule::SensitiveWord,
        ReplyRule::PersonalData,
    ];

    /// The stable code stored with a flag and shown to API clients.
    pub fn code(self) -> &'static str {
        match self {
            ReplyRule::VaguePhrase => "vague_phrase",
            ReplyRule::UnnamedDepartment => "unnamed_department",
            ReplyRule::NoNextStep => "no_next_step",
            ReplyRule::OffTopic => "off_topic",
            ReplyRule::SensitiveWord => "sensitive_word",
            ReplyRule::PersonalData => "personal_data",
        }
    }

    /// Parses a stored code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code.trim())
    }

    /// What the rule asks of a reply.
    pub fn reason(self) -> Msg {
        match self {
            ReplyRule::VaguePhrase => msg!("vague-phrasing-say-what"),
            ReplyRule::UnnamedDepartment => {
                msg!("mentions-relevant-department-without")
            }
            ReplyRule::NoNextStep => {
                msg!("no-concrete-next-step")
            }
            ReplyRule::OffTopic => {
                msg!("reply-does-not-address")
            }
            ReplyRule::SensitiveWord => msg!("contains-inappropriate-word"),
            ReplyRule::PersonalData => {
                msg!("contains-someone-s-personal")
            }
        }
    }
}

/// One piece of advice about a reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyFlag {
    /// The rule that raised it.
    pub rule: ReplyRule,
    /// Why, zh-CN first, English second, naming what was found.
    pub reason: String,
    /// The words found (personal data masked); empty when the flag is about something missing.
    pub excerpt: String,
}

impl ReplyFlag {
    fn new(rule: ReplyRule, excerpt: impl Into<String>) -> Self {
        let excerpt = excerpt.into();
        let reason = if excerpt.is_empty() {
            rule.reason().to_string()
        } else {
            format!("{}：“{excerpt}”", rule.reason())
        };
        Self {
            rule,
            reason,
            excerpt,
        }
    }
}

/// The reply checker with its maintained word lists. Cheap to clone; build once and share.
#[derive(Debug, Clone)]
pub struct ReplyChecker {
    vague: Vec<String>,
    sensitive: Vec<String>,
}

impl Default for ReplyChecker {
    fn default() -> Self {
        Self {
            vague: VAGUE_PHRASES.iter().map(|s| (*s).to_string()).collect(),
            sensitive: SENSITIVE_WORDS.iter().map(|s| (*s).to_string()).collect(),
        }
    }
}

impl ReplyChecker {
    /// The checker with the default lists.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds phrases to the vague-phrase list (blank and duplicate entries are ignored).
    pub fn with_vague_phrases<I, S>(mut self, extra: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        extend(&mut self.vague, extra);
        self
    }

    /// Adds words to the sensitive-word list (blank and duplicate entries are ignored).
    pub fn with_sensitive_words<I, S>(mut self, extra: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        extend(&mut self.sensitive, extra);
        self
    }

    /// The vague phrases in force.
    pub fn vague_phrases(&self) -> &[String] {
        &self.vague
    }

    /// The sensitive words in force.
    pub fn sensitive_words(&self) -> &[String] {
        &self.sensitive
    }

    /// Every flag `reply` raises as an answer to `question`, in [`ReplyRule::ALL`] order. An
    /// empty list means nothing to advise.
    pub fn check(&self, question: &str, reply: &str) -> Vec<ReplyFlag> {
        let compact = compact(reply);
        let mut flags = Vec::new();
        for phrase in &self.vague {
            if compact.contains(phrase.as_str()) {
                flags.push(ReplyFlag::new(ReplyRule::VaguePhrase, phrase.clone()));
            }
        }
        if let Some(phrase) = UNNAMED_DEPARTMENT_PHRASES.iter().find(|p| compact.contains(**p))
            && !names_a_department(&compact)
        {
            flags.push(ReplyFlag::new(ReplyRule::UnnamedDepartment, *phrase));
        }
        if !has_next_step(reply, &compact) {
            flags.push(ReplyFlag::new(ReplyRule::NoNextStep, ""));
        }
        if let Some(missing) = off_topic(question, &compact) {
            flags.push(ReplyFlag::new(ReplyRule::OffTopic, missing));
        }
        let lower = compact.to_lowercase();
        for word in &self.sensitive {
            if lower.contains(&word.to_lowercase()) {
                flags.push(ReplyFlag::new(ReplyRule::SensitiveWord, word.clone()));
            }
        }
        flags.extend(personal_data(reply));
        flags
    }
}

fn extend<I, S>(list: &mut Vec<String>, extra: I)
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    for e in extra {
        let e = compact(e.as_ref());
        if !e.is_empty() && !list.contains(&e) {
            list.push(e);
        }
    }
}

/// The text as phrases are matched: half-width, without whitespace or zero-width characters, so
/// `正在 研究` still reads `正在研究`.
fn compact(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && !is_zero_width(*c))
        .map(half_width_char)
        .collect()
}

/// Whether `c` is a CJK ideograph.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FFFF}')
}

/// Whether the text names a department: a department suffix after at least two ideographs that
/// are not `有关`/`相关`, and not a word like `格局` or `委托`.
fn names_a_department(compact: &str) -> bool {
    let chars: Vec<(usize, char)> = compact.char_indices().collect();
    for (i, &(at, _)) in chars.iter().enumerate() {
        let rest = &compact[at..];
        let Some(suffix) = DEPARTMENT_SUFFIXES.iter().find(|s| rest.starts_with(**s)) else {
            continue;
        };
        if i < 2 || !chars[i - 2..i].iter().all(|(_, c)| is_cjk(*c)) {
            continue;
        }
        let before: String = chars[i - 2..i].iter().map(|(_, c)| c).collect();
        if before == "有关" || before == "相关" {
            continue;
        }
        // The suffix with up to five characters before and three after, to spot `格局`, `委托`.
        let window_start = chars[i.saturating_sub(5)].0;
        let window_end = chars
            .get(i + suffix.chars().count() + 3)
            .map_or(compact.len(), |(p, _)| *p);
        let window = compact.get(window_start..window_end).unwrap_or_default();
        let word_at = |w: &&str| {
            window
                .match_indices(*w)
                .any(|(p, _)| window_start + p <= at && at < window_start + p + w.len())
        };
        if NOT_DEPARTMENTS.iter().any(word_at) {
            continue;
        }
        return true;
    }
    false
}

/// Whether the reply gives a date or time limit, a contact, or a concrete action.
fn has_next_step(reply: &str, compact: &str) -> bool {
    if NEXT_STEP_MARKERS.iter().any(|m| compact.contains(m))
        || TIME_WORDS.iter().any(|m| compact.contains(m))
        || CONTACT_MARKERS.iter().any(|m| compact.to_lowercase().contains(m))
    {
        return true;
    }
    if find_pii(reply).iter().any(|s| s.kind == PiiKind::Mobile) {
        return true;
    }
    let chars: Vec<(usize, char)> = compact.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let numeral = |c: char| c.is_ascii_digit() || "一二三四五六七八九十两百半".contains(c);
        if !numeral(chars[i].1) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && numeral(chars[i].1) {
            i += 1;
        }
        let digits = chars[start..i].iter().filter(|(_, c)| c.is_ascii_digit()).count();
        // A run of five or more digits is a phone or hotline number (12345, 87654321).
        if digits >= 5 && digits == i - start {
            return true;
        }
        let after = chars.get(i).map_or(compact.len(), |(at, _)| *at);
        let rest = compact.get(after..).unwrap_or_default();
        if TIME_UNITS.iter().any(|u| rest.starts_with(u)) {
            return true;
        }
        // 2026-10-20, 2026/10/20
        if digits == 4 && (rest.starts_with('-') || rest.starts_with('/')) {
            let tail: Vec<char> = rest.chars().skip(1).take(2).collect();
            if tail.first().is_some_and(char::is_ascii_digit) {
                return true;
            }
        }
    }
    false
}

/// The key terms of a question: distinct bigrams of ideographs without function characters and
/// not too general, plus Latin words and numbers of two or more characters, in order.
pub fn key_terms(question: &str) -> Vec<String> {
    let text = compact(question).to_lowercase();
    let mut terms: Vec<String> = Vec::new();
    let mut push = |t: String| {
        if !terms.contains(&t) {
            terms.push(t);
        }
    };
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_alphanumeric() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_alphanumeric() {
                i += 1;
            }
            if i - start >= 2 {
                push(chars[start..i].iter().collect());
            }
            continue;
        }
        if let Some(&next) = chars.get(i + 1)
            && is_cjk(c)
            && is_cjk(next)
            && !STOP_CHARS.contains(c)
            && !STOP_CHARS.contains(next)
        {
            let bigram: String = [c, next].iter().collect();
            if !GENERIC_TERMS.contains(&bigram.as_str()) {
                push(bigram);
            }
        }
        i += 1;
    }
    terms
}

/// When the reply misses the question's key terms: the terms it should have touched (the first
/// few), else `None`. A question of six or more key terms needs two of them in the reply, a
/// shorter one needs one; a question with fewer than two key terms cannot be judged.
fn off_topic(question: &str, reply_compact: &str) -> Option<String> {
    let terms = key_terms(question);
    if terms.len() < 2 {
        return None;
    }
    let reply = reply_compact.to_lowercase();
    let covered = terms.iter().filter(|t| reply.contains(t.as_str())).count();
    let needed = if terms.len() >= 6 { 2 } else { 1 };
    (covered < needed).then(|| terms.iter().take(5).cloned().collect::<Vec<_>>().join("、"))
}

/// Flags for ID numbers, mobiles and credit codes in the reply, and for names written next to
/// them.
fn personal_data(reply: &str) -> Vec<ReplyFlag> {
    let mut flags: Vec<ReplyFlag> = find_pii(reply)
        .into_iter()
        .filter_map(|s| reply.get(s.range))
        .map(|found| ReplyFlag::new(ReplyRule::PersonalData, mask_pii(found).into_owned()))
        .collect();
    for name in find_names(reply) {
        if name.beside_personal_data
            && let Some(found) = reply.get(name.range)
        {
            flags.push(ReplyFlag::new(ReplyRule::PersonalData, names::mask(found)));
        }
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUESTION: &str = "我家小区门口的路灯坏了一个多月，晚上出行很不安全，请问什么时候能修好？";
    /// A reply that breaks no rule: names the department, gives a date and a contact, addresses
    /// the street light.
    const GOOD: &str = "您反映的小区门口路灯损坏问题，市城市管理局已安排维修人员，将于2026年10月12日前修复。\
                        如有疑问请致电0571-87654321。";

    fn rules(question: &str, reply: &str) -> Vec<ReplyRule> {
        ReplyChecker::new()
            .check(question, reply)
            .into_iter()
            .map(|f| f.rule)
            .collect()
    }

    #[test]
    fn a_concrete_reply_raises_no_flag() {
        assert_eq!(rules(QUESTION, GOOD), vec![]);
    }

    #[test]
    fn vague_phrase_is_flagged() {
        let reply = format!("{GOOD}此事我们正在研究。");
        let flags = ReplyChecker::new().check(QUESTION, &reply);
        assert_eq!(flags.len(), 1, "{flags:?}");
        assert_eq!(flags[0].rule, ReplyRule::VaguePhrase);
        assert_eq!(flags[0].excerpt, "正在研究");
        assert!(flags[0].reason.contains(" / "), "bilingual");
        assert_eq!(
            rules(QUESTION, &format!("{GOOD}将按有关规定 办理。")),
            vec![ReplyRule::VaguePhrase],
            "spaces do not hide a phrase"
        );
    }

    #[test]
    fn specific_wording_is_not_vague() {
        // “研究” alone and a cited regulation are not the empty formulas.
        let reply = format!("{GOOD}经研究，依据《城市道路照明设施管理规定》第十二条处理。");
        assert!(!rules(QUESTION, &reply).contains(&ReplyRule::VaguePhrase));
    }

    #[test]
    fn maintained_lists_can_be_extended() {
        let checker = ReplyChecker::new()
            .with_vague_phrases(["原则上同意", " "])
            .with_sensitive_words(["不想管"]);
        let flags: Vec<ReplyRule> = checker
            .check(QUESTION, &format!("{GOOD}原则上同意，但不想管。"))
            .into_iter()
            .map(|f| f.rule)
            .collect();
        assert_eq!(flags, vec![ReplyRule::VaguePhrase, ReplyRule::SensitiveWord]);
        assert_eq!(checker.vague_phrases().len(), VAGUE_PHRASES.len() + 1);
    }

    #[test]
    fn relevant_department_without_a_name_is_flagged() {
        let reply = "您反映的小区门口路灯问题，我们已转交有关部门，将于2026年10月12日前修复，咨询电话12345。";
        assert_eq!(rules(QUESTION, reply), vec![ReplyRule::UnnamedDepartment]);
    }

    #[test]
    fn relevant_department_next_to_a_named_one_is_not_flagged() {
        let reply =
            "您反映的小区门口路灯问题，已转市城市管理局等相关部门，将于2026年10月12日前修复，咨询电话12345。";
        assert_eq!(rules(QUESTION, reply), vec![]);
        assert!(names_a_department("西湖区卫健委"));
        assert!(names_a_department("翠苑街道办事处"));
        assert!(!names_a_department("相关部门的整体格局"));
        assert!(!names_a_department("我们委托了相关单位"));
        assert!(!names_a_department("有关局"));
    }

    #[test]
    fn reply_without_next_step_date_or_contact_is_flagged() {
        let reply = "您反映的小区门口路灯问题我们已经收到，感谢您对城市管理局工作的关注和支持。";
        assert_eq!(rules(QUESTION, reply), vec![ReplyRule::NoNextStep]);
    }

    #[test]
    fn a_date_a_contact_or_an_action_each_counts_as_a_next_step() {
        let base = "您反映的小区门口路灯问题，城市管理局";
        for tail in [
            "三个工作日内答复您。",
            "10月12日派人查看。",
            "已安排人员维修。",
            "受理窗口在市民中心二楼。",
            "可拨打12345热线。",
            "负责人手机 13800138000。",
            "定于2026-10-12到场。",
        ] {
            let reply = format!("{base}{tail}");
            assert!(
                has_next_step(&reply, &compact(&reply)),
                "{tail} should count as a next step"
            );
        }
    }

    #[test]
    fn reply_that_misses_the_question_is_flagged() {
        let reply = "您的医保报销申请已办结，款项将于2026年10月12日到账，咨询电话12345，市医疗保障局。";
        let flags = ReplyChecker::new().check(QUESTION, reply);
        assert_eq!(
            flags.iter().map(|f| f.rule).collect::<Vec<_>>(),
            vec![ReplyRule::OffTopic]
        );
        assert!(flags[0].excerpt.contains("路灯"), "{}", flags[0].excerpt);
    }

    #[test]
    fn reply_touching_the_key_terms_is_on_topic() {
        assert!(key_terms(QUESTION).contains(&"路灯".to_string()));
        assert!(!key_terms(QUESTION).iter().any(|t| t.contains('的')));
        assert_eq!(off_topic(QUESTION, &compact(GOOD)), None);
        // Too short to judge.
        assert_eq!(off_topic("谢谢", "好的"), None);
        // Latin words and numbers are key terms too.
        assert_eq!(off_topic("Wi-Fi 密码 5G 信号", "5G基站信号已增强"), None);
    }

    #[test]
    fn sensitive_word_is_flagged() {
        let reply = format!("{GOOD}请不要无理取闹。");
        let flags = ReplyChecker::new().check(QUESTION, &reply);
        assert_eq!(
            flags.iter().map(|f| f.rule).collect::<Vec<_>>(),
            vec![ReplyRule::SensitiveWord]
        );
        assert_eq!(flags[0].excerpt, "无理取闹");
    }

    #[test]
    fn ordinary_words_sharing_characters_are_not_sensitive() {
        // 滚动 shares 滚 with 滚开; 理由 shares characters with 无理取闹.
        let reply = format!("{GOOD}维修进度将在公众号滚动更新，理由如上。");
        assert!(!rules(QUESTION, &reply).contains(&ReplyRule::SensitiveWord));
    }

    #[test]
    fn third_party_personal_data_is_flagged_masked() {
        let reply = format!("{GOOD}施工队负责人张建国13800138000，身份证11010519491231002X。");
        let flags = ReplyChecker::new().check(QUESTION, &reply);
        let personal: Vec<&ReplyFlag> = flags
            .iter()
            .filter(|f| f.rule == ReplyRule::PersonalData)
            .collect();
        assert_eq!(personal.len(), 3, "{flags:?}");
        let excerpts: Vec<&str> = personal.iter().map(|f| f.excerpt.as_str()).collect();
        assert!(excerpts.contains(&"138****8000"), "{excerpts:?}");
        assert!(excerpts.contains(&"1101*************X"), "{excerpts:?}");
        assert!(excerpts.contains(&"张**"), "{excerpts:?}");
        assert!(
            flags.iter().all(|f| !f.reason.contains("13800138000")),
            "flags never repeat the data they found"
        );
    }

    #[test]
    fn office_phones_and_case_numbers_are_not_personal_data() {
        let reply = format!("{GOOD}工单编号2026-1012-000123。");
        assert!(!rules(QUESTION, &reply).contains(&ReplyRule::PersonalData));
    }

    #[test]
    fn rule_codes_round_trip_and_reasons_are_bilingual() {
        for r in ReplyRule::ALL {
            assert_eq!(ReplyRule::parse(r.code()), Some(r));
            assert!(r.reason().to_string().contains(" / "), "{r:?}");
        }
        assert_eq!(ReplyRule::parse("nonsense"), None);
    }

    #[test]
    fn generated_input_never_panics() {
        // xorshift over characters every rule looks at, so each code path meets odd neighbours.
        let pool: Vec<char> = "张王欧阳叫我是邻居电话手机身份证的：（）(), 有关部门局委格托中心已将于请致电月日号0123456789Xx@.-１３８\u{3000}\u{200B}😀é"
            .chars()
            .collect();
        let checker = ReplyChecker::new();
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..2000 {
            let mut text = String::new();
            for _ in 0..(state % 40) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push(pool[(state % pool.len() as u64) as usize]);
            }
            let _ = checker.check(&text, &text);
            let shown = public_text(&text, &[&text]);
            assert!(!shown.contains("13800138000"));
        }
    }

    #[test]
    fn odd_input_never_panics() {
        let checker = ReplyChecker::new();
        for s in [
            "",
            " ",
            "\u{0}",
            "😀😀",
            "局",
            "有关",
            "2026-",
            "１２３４５",
            "a@",
            "委员会",
        ] {
            checker.check(s, s);
            checker.check(QUESTION, s);
            public_text(s, &[s]);
        }
    }
}
