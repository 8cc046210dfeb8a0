//! People's names in free text, found by context because Chinese has no capital letters: a name
//! introduced by a cue (`我叫张伟`, `联系人：王芳`, `投诉人李四`), or a name written right next to
//! an ID number or mobile (`张建国13800138000`, `13800138000（李四）`, `王五的电话…`). A name is a
//! common surname (single or compound) and one or two more ideographs.
//!
//! This is deliberately a heuristic leaning towards hiding: on the public board a masked word
//! that was not a name costs little, a name left in clear costs someone their privacy.

use super::is_cjk;
use crate::pii::{find_pii, mask_pii};
use std::cmp::Reverse;
use std::ops::Range;

/// Two-character surnames.
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "慕容", "令狐", "夏侯", "尉迟", "公孙", "长孙", "宇文",
    "司徒", "端木", "西门", "南宫",
];

/// Common single-character surnames, leaving out the few that are mostly ordinary words (和, 时,
/// 于, 向, 应, 全, 成, 明, 路, 文, 安, 常, 连, 查).
const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶\
     程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫严段雷侯龙史陶黎贺顾毛郝龚邵万钱覃\
     武戴莫孔汤温康施牛樊葛邢齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕季裴\
     霍涂苗谷盛曲翁冉骆蓝游辛靳柴蒙鲍华喻祁蒲房滕屈饶牟艾尤穆卓吉缪简芦麦褚娄窦戚岑景宫费卜冷晏席卫米柏宗瞿桂\
     佟臧闵苟邬边卞姬仇栾隋巫寇桑郎甄丛仲虞敖巩佘池麻苑迟邝";

/// Characters that end a name rather than continue it.
const GIVEN_STOP: &str = "的是在了和与及或电手身住家说反投联现今因要想向为从对把被给到于先女士师老同学生职业级年月日\
     号岁楼区村镇路街市县省院校人员工室单元之中上下不也都就还所等个些已将会能可请您你我他她它们这那有无没被";

/// Words that open with a surname but are ordinary words.
const NOT_NAMES: &[&str] = &[
    "周末", "周一", "周二", "周三", "周四", "周五", "周六", "周日", "周边", "周围", "周期", "周年", "高度",
    "高峰", "高速", "高温", "马上", "马路", "黄色", "白天", "白色", "石头", "金额", "方便", "方面", "方式",
    "方案", "方向", "程序", "程度", "许多", "陈述", "何时", "江边", "钱款", "龙头", "田地", "余额", "叶子",
    "万元", "万一", "林业", "范围", "华为", "宁可", "齐全", "易于", "江河", "黄金", "钟点", "史上", "温度",
    "康复", "曾经", "任何", "任务", "孙子", "牛奶", "毛病",
];

/// Words that introduce a name.
const CUES: &[&str] = &[
    "我叫",
    "我是",
    "本人",
    "姓名",
    "名叫",
    "名字叫",
    "联系人",
    "投诉人",
    "举报人",
    "申请人",
    "反映人",
    "来信人",
    "当事人",
    "户主",
    "业主",
    "邻居",
];

/// Words between a name and its number: `张三的手机号13800138000`, `李四，身份证…`.
const CONNECTORS: &[&str] = &[
    "联系电话",
    "手机号码",
    "身份证号码",
    "身份证号",
    "身份证",
    "手机号",
    "手机",
    "电话",
    "号码",
    "的",
];

fn is_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{3000}' | ':' | '：' | ',' | '，' | '、' | '(' | '（' | ')' | '）' | '-' | '—'
    )
}

/// A name found in text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameSpan {
    /// Byte offsets of the name, on character boundaries.
    pub range: Range<usize>,
    /// Whether it stands next to an ID number or mobile (else a cue introduced it).
    pub beside_personal_data: bool,
}

/// Whether `candidate` (two to four ideographs) reads as surname + given name.
fn is_name(candidate: &str) -> bool {
    let n = candidate.chars().count();
    if !candidate.chars().all(is_cjk) || NOT_NAMES.iter().any(|w| candidate.starts_with(w)) {
        return false;
    }
    let mut given = if COMPOUND_SURNAMES.iter().any(|s| candidate.starts_with(s)) && (3..=4).contains(&n) {
        candidate.chars().skip(2)
    } else if candidate.chars().next().is_some_and(|c| SURNAMES.contains(c)) && (2..=3).contains(&n) {
        candidate.chars().skip(1)
    } else {
        return false;
    };
    given.all(|c| !GIVEN_STOP.contains(c))
}

/// The name starting at byte `start`: a surname and up to two more ideographs, stopping at
/// characters that do not continue a name.
fn name_at(text: &str, start: usize) -> Option<Range<usize>> {
    let rest = text.get(start..)?;
    let surname = match COMPOUND_SURNAMES.iter().find(|s| rest.starts_with(**s)) {
        Some(s) => s.len(),
        None => {
            let c = rest.chars().next()?;
            if !SURNAMES.contains(c) {
                return None;
            }
            c.len_utf8()
        }
    };
    let mut end = start + surname;
    let mut given = 0;
    for c in text.get(end..)?.chars() {
        if given == 2 || !is_cjk(c) || GIVEN_STOP.contains(c) {
            break;
        }
        end += c.len_utf8();
        given += 1;
    }
    let found = text.get(start..end)?;
    (given >= 1 && is_name(found)).then_some(start..end)
}

/// The name written just before byte `end` (connectors and separators skipped).
fn name_before(text: &str, end: usize) -> Option<Range<usize>> {
    let mut e = end;
    for _ in 0..6 {
        let before = text.get(..e)?;
        let trimmed = before.trim_end_matches(is_separator);
        match CONNECTORS.iter().find(|c| trimmed.ends_with(**c)) {
            Some(c) => e = trimmed.len() - c.len(),
            None => {
                e = trimmed.len();
                break;
            }
        }
    }
    let tail: Vec<(usize, char)> = text
        .get(..e)?
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_cjk(*c))
        .take(4)
        .collect();
    for len in [4, 3, 2] {
        if let Some(&(start, _)) = tail.get(len - 1)
            && let Some(candidate) = text.get(start..e)
            && is_name(candidate)
        {
            return Some(start..e);
        }
    }
    None
}

/// The name written just after byte `start` (separators skipped).
fn name_after(text: &str, start: usize) -> Option<Range<usize>> {
    let rest = text.get(start..)?;
    let skipped = rest.len() - rest.trim_start_matches(is_separator).len();
    name_at(text, start + skipped)
}

/// Every name the cues and the personal data in `text` point at, in order, not overlapping.
pub fn find_names(text: &str) -> Vec<NameSpan> {
    let mut found: Vec<NameSpan> = Vec::new();
    for cue in CUES {
        for (at, _) in text.match_indices(cue) {
            let after = at + cue.len();
            let rest = text.get(after..).unwrap_or_default();
            let skipped = rest.len() - rest.trim_start_matches(is_separator).len();
            if let Some(range) = name_at(text, after + skipped) {
                found.push(NameSpan {
                    range,
                    beside_personal_data: false,
                });
            }
        }
    }
    for pii in find_pii(text) {
        for range in [
            name_before(text, pii.range.start),
            name_after(text, pii.range.end),
        ]
        .into_iter()
        .flatten()
        {
            found.push(NameSpan {
                range,
                beside_personal_data: true,
            });
        }
    }
    found.sort_by_key(|n| (n.range.start, Reverse(n.range.end), !n.beside_personal_data));
    let mut kept: Vec<NameSpan> = Vec::with_capacity(found.len());
    for n in found {
        match kept.last_mut() {
            Some(k) if n.range.start < k.range.end => {
                k.beside_personal_data |= n.beside_personal_data;
            }
            _ => kept.push(n),
        }
    }
    kept
}

/// A name with all but its first character masked: `张建国` → `张**`.
pub(crate) fn mask(name: &str) -> String {
    name.chars()
        .enumerate()
        .map(|(i, c)| if i == 0 { c } else { '*' })
        .collect()
}

/// The local part of every e-mail address masked but its first character:
/// `zhang.wei@example.cn` → `z********@example.cn`.
fn mask_emails(text: &str) -> String {
    let is_local = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-');
    let is_domain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-');
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut hide = vec![false; chars.len()];
    for (i, &(_, c)) in chars.iter().enumerate() {
        if c != '@' {
            continue;
        }
        let mut s = i;
        while s > 0 && is_local(chars[s - 1].1) {
            s -= 1;
        }
        let mut e = i + 1;
        while e < chars.len() && is_domain(chars[e].1) {
            e += 1;
        }
        let domain: String = chars[i + 1..e].iter().map(|(_, c)| c).collect();
        if s < i && domain.contains('.') {
            for h in hide.iter_mut().take(i).skip(s + 1) {
                *h = true;
            }
        }
    }
    chars
        .iter()
        .zip(hide)
        .map(|(&(_, c), h)| if h { '*' } else { c })
        .collect()
}

/// `text` as it may be published: the `known_names` (the submitter's contact name, say) and
/// every name [`find_names`] sees masked to their first character, ID numbers, mobiles and
/// credit codes masked as [`mask_pii`] does, e-mail addresses masked but their domain.
pub fn public_text(text: &str, known_names: &[&str]) -> String {
    let mut ranges: Vec<Range<usize>> = find_names(text).into_iter().map(|n| n.range).collect();
    for name in known_names {
        let name = name.trim();
        if (2..=32).contains(&name.chars().count()) {
            ranges.extend(text.match_indices(name).map(|(at, _)| at..at + name.len()));
        }
    }
    ranges.sort_by_key(|r| (r.start, Reverse(r.end)));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for r in ranges {
        if r.end <= at {
            continue;
        }
        if r.start < at {
            // Overlaps a name already masked: hide the part that sticks out.
            out.extend(text.get(at..r.end).unwrap_or_default().chars().map(|_| '*'));
        } else {
            out.push_str(text.get(at..r.start).unwrap_or_default());
            out.push_str(&mask(text.get(r.clone()).unwrap_or_default()));
        }
        at = r.end;
    }
    out.push_str(text.get(at..).unwrap_or_default());
    mask_pii(&mask_emails(&out)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<(&str, bool)> {
        find_names(text)
            .into_iter()
            .map(|n| (&text[n.range], n.beside_personal_data))
            .collect()
    }

    #[test]
    fn names_after_a_cue_are_found() {
        assert_eq!(names("我叫张伟，住在翠苑小区"), vec![("张伟", false)]);
        assert_eq!(names("联系人：欧阳娜娜。"), vec![("欧阳娜娜", false)]);
        assert_eq!(names("投诉人李四反映"), vec![("李四", false)]);
        assert_eq!(names("我是本小区居民"), vec![]);
    }

    #[test]
    fn names_next_to_personal_data_are_found() {
        assert_eq!(names("施工队负责人张建国13800138000"), vec![("张建国", true)]);
        assert_eq!(names("请联系王五的电话：13800138000"), vec![("王五", true)]);
        assert_eq!(names("电话13800138000（李四）"), vec![("李四", true)]);
        assert_eq!(names("孙丽，身份证号11010519491231002X"), vec![("孙丽", true)]);
    }

    #[test]
    fn ordinary_words_next_to_numbers_are_not_names() {
        assert_eq!(names("业主手机13800138000"), vec![]);
        assert_eq!(names("13800138000，周末也可以打"), vec![]);
        assert_eq!(names("13800138000，王先生"), vec![]);
        assert_eq!(names("路灯坏了一个多月"), vec![]);
    }

    #[test]
    fn public_text_hides_names_numbers_and_emails() {
        let text = "我叫张伟，电话13800138000，身份证11010519491231002X，邮箱zhangwei@example.cn，邻居赵六也反映过。";
        let shown = public_text(text, &[]);
        assert_eq!(
            shown,
            "我叫张*，电话138****8000，身份证1101*************X，邮箱z*******@example.cn，邻居赵*也反映过。"
        );
    }

    #[test]
    fn known_names_are_hidden_wherever_they_appear() {
        let shown = public_text("小区里刘德明家门口的井盖丢了，刘德明很着急", &["刘德明", "x"]);
        assert_eq!(shown, "小区里刘**家门口的井盖丢了，刘**很着急");
        assert_eq!(public_text("没有名字的文字", &["", " "]), "没有名字的文字");
    }

    #[test]
    fn overlapping_names_are_masked_once() {
        assert_eq!(public_text("我叫张伟明", &["伟明"]), "我叫张**");
    }
}
