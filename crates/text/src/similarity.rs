//! How alike a source column header and a catalog field are, for suggesting which column feeds
//! which field (信息项) when a department uploads a file. Suggestions only: a person confirms.
//!
//! A score in 0..=1 is the best of:
//! - the same text once width, case, spaces and punctuation are ignored (`ID_NUMBER` =
//!   `idNumber`): 1;
//! - the same common government field by a built-in synonym table of Chinese names, pinyin
//!   initials (姓名 `xm`, 身份证号 `sfzh`) and English names: 0.9, or 0.75 when one side only
//!   contains the term (`申请人身份证号码`);
//! - for Chinese text, the mean of the Dice coefficients of characters and of character
//!   bigrams, raised when one name contains the other;
//! - for Latin text, the Dice coefficient of words (`birth_date` ~ `date of birth`), or of
//!   letter bigrams (`addr` ~ `address`).
//!
//! Headers like `身份证号(sfzh)` are also compared piece by piece.

use crate::width::clean;

/// The least score [`suggest_mapping`] proposes.
pub const SUGGEST_THRESHOLD: f64 = 0.5;

/// Common government fields and the ways their headers are written, in compact form (lower
/// case, no spaces or punctuation).
const SYNONYMS: &[&[&str]] = &[
    &["姓名", "名字", "xm", "name", "fullname"],
    &["性别", "xb", "sex", "gender"],
    &[
        "出生日期",
        "出生年月日",
        "生日",
        "csrq",
        "birth",
        "birthday",
        "birthdate",
        "dateofbirth",
        "dob",
    ],
    &[
        "身份证号",
        "身份证号码",
        "公民身份号码",
        "公民身份证号",
        "身份证",
        "证件号码",
        "sfzh",
        "sfzhm",
        "gmsfhm",
        "zjhm",
        "idnumber",
        "idno",
        "idcard",
        "idcardno",
    ],
    &[
        "手机",
        "手机号",
        "手机号码",
        "移动电话",
        "联系电话",
        "电话",
        "电话号码",
        "sj",
        "sjh",
        "sjhm",
        "lxdh",
        "dh",
        "phone",
        "mobile",
        "tel",
        "telephone",
        "phonenumber",
        "mobilephone",
    ],
    &[
        "地址",
        "住址",
        "家庭住址",
        "居住地址",
        "联系地址",
        "通讯地址",
        "dz",
        "zz",
        "jtzz",
        "address",
        "addr",
    ],
    &[
        "统一社会信用代码",
        "社会信用代码",
        "信用代码",
        "tyshxydm",
        "shxydm",
        "xydm",
        "creditcode",
        "uscc",
        "unifiedsocialcreditcode",
    ],
    &["民族", "mz", "ethnicity", "ethnic", "nation"],
    &["电子邮箱", "邮箱", "电子邮件", "dzyx", "yx", "email", "mail"],
    &[
        "邮政编码",
        "邮编",
        "yzbm",
        "yb",
        "postcode",
        "zipcode",
        "postalcode",
    ],
    &[
        "企业名称",
        "单位名称",
        "机构名称",
        "qymc",
        "dwmc",
        "jgmc",
        "companyname",
        "orgname",
    ],
    &[
        "法定代表人",
        "法人代表",
        "法人",
        "fddbr",
        "fr",
        "legalrepresentative",
    ],
    &["国籍", "gj", "nationality"],
    &["婚姻状况", "hyzk", "maritalstatus"],
    &["学历", "文化程度", "xl", "whcd", "education"],
];

fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FFFF}')
}

/// One comparable piece of a name.
#[derive(Debug, Default)]
struct Piece {
    /// Letters, digits and ideographs only, ASCII lower-cased.
    compact: String,
    /// The ideographs, in order.
    cjk: String,
    /// Latin words, lower-cased, camelCase split.
    words: Vec<String>,
    /// The ASCII letters and digits, lower-cased.
    ascii: String,
    /// The synonym group, and whether the whole piece is one of its terms (else it contains one).
    concept: Option<(usize, bool)>,
}

impl Piece {
    fn new(text: &str) -> Self {
        let mut p = Piece::default();
        let mut word = String::new();
        let mut prev_lower = false;
        for c in text.chars() {
            if is_cjk(c) {
                p.cjk.push(c);
            }
            if c.is_ascii_alphanumeric() {
                if c.is_ascii_uppercase() && prev_lower && !word.is_empty() {
                    p.words.push(std::mem::take(&mut word));
                }
                prev_lower = c.is_ascii_lowercase();
                let l = c.to_ascii_lowercase();
                word.push(l);
                p.ascii.push(l);
            } else {
                prev_lower = false;
                if !word.is_empty() {
                    p.words.push(std::mem::take(&mut word));
                }
            }
            if c.is_alphanumeric() {
                p.compact.push(c.to_ascii_lowercase());
            }
        }
        if !word.is_empty() {
            p.words.push(word);
        }
        p.concept = concept(&p.compact, &p.cjk);
        p
    }
}

/// The synonym group `compact` is a term of, or else the group of the longest Chinese term its
/// ideographs contain.
fn concept(compact: &str, cjk: &str) -> Option<(usize, bool)> {
    if let Some(g) = SYNONYMS.iter().position(|terms| terms.contains(&compact)) {
        return Some((g, true));
    }
    if cjk.is_empty() {
        return None;
    }
    SYNONYMS
        .iter()
        .enumerate()
        .flat_map(|(g, terms)| terms.iter().map(move |t| (g, *t)))
        .filter(|(_, t)| t.chars().all(is_cjk) && t.chars().count() >= 2 && cjk.contains(t))
        .max_by_key(|(g, t)| (t.chars().count(), std::cmp::Reverse(*g)))
        .map(|(g, _)| (g, false))
}

/// A name as compared: the whole, and its pieces when brackets or slashes split it.
#[derive(Debug)]
struct Name {
    pieces: Vec<Piece>,
}

impl Name {
    fn new(text: &str) -> Self {
        let text = clean(text);
        let mut pieces = vec![Piece::new(&text)];
        let parts: Vec<&str> = text
            .split(['(', ')', '[', ']', '/', '|', '（', '）', '【', '】', '、'])
            .filter(|s| s.chars().any(char::is_alphanumeric))
            .collect();
        if parts.len() > 1 {
            pieces.extend(parts.into_iter().map(Piece::new));
        }
        Name { pieces }
    }

    fn similarity(&self, other: &Name) -> f64 {
        let mut best = 0.0f64;
        for a in &self.pieces {
            for b in &other.pieces {
                best = best.max(piece_similarity(a, b));
            }
        }
        best
    }
}

fn piece_similarity(a: &Piece, b: &Piece) -> f64 {
    if a.compact.is_empty() || b.compact.is_empty() {
        return 0.0;
    }
    if a.compact == b.compact {
        return 1.0;
    }
    let mut best = 0.0f64;
    if let (Some((ga, whole_a)), Some((gb, whole_b))) = (a.concept, b.concept)
        && ga == gb
    {
        best = if whole_a && whole_b { 0.9 } else { 0.75 };
    }
    if !a.cjk.is_empty() && !b.cjk.is_empty() {
        best = best.max(cjk_similarity(&a.cjk, &b.cjk));
    }
    if !a.ascii.is_empty() && !b.ascii.is_empty() {
        let words = dice(&a.words, &b.words);
        let letters = dice(&bigrams(&a.ascii), &bigrams(&b.ascii));
        best = best.max(words.max(0.9 * letters));
    }
    best.min(1.0)
}

fn cjk_similarity(a: &str, b: &str) -> f64 {
    let chars_a: Vec<char> = a.chars().collect();
    let chars_b: Vec<char> = b.chars().collect();
    let uni = dice(&chars_a, &chars_b);
    let bi = if chars_a.len() < 2 || chars_b.len() < 2 {
        uni
    } else {
        dice(&bigrams(a), &bigrams(b))
    };
    let mut score = (uni + bi) / 2.0;
    let (short, long, short_len, long_len) = if chars_a.len() <= chars_b.len() {
        (a, b, chars_a.len(), chars_b.len())
    } else {
        (b, a, chars_b.len(), chars_a.len())
    };
    if short_len >= 2 && long.contains(short) {
        score = score.max(0.5 + 0.5 * short_len as f64 / long_len as f64);
    }
    score
}

fn bigrams(s: &str) -> Vec<(char, char)> {
    s.chars().zip(s.chars().skip(1)).collect()
}

/// The Dice coefficient of two sets (duplicates ignored): 2|A∩B| / (|A|+|B|).
fn dice<T: Ord + Clone>(a: &[T], b: &[T]) -> f64 {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort();
    a.dedup();
    b.sort();
    b.dedup();
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let common = a.iter().filter(|x| b.binary_search(x).is_ok()).count();
    2.0 * common as f64 / (a.len() + b.len()) as f64
}

/// How alike two names are, 0..=1 (see the module notes).
pub fn name_similarity(a: &str, b: &str) -> f64 {
    Name::new(a).similarity(&Name::new(b))
}

/// How well `header` matches the field with this code and name: the better of the two.
pub fn field_similarity(header: &str, code: &str, name: &str) -> f64 {
    let h = Name::new(header);
    h.similarity(&Name::new(code)).max(h.similarity(&Name::new(name)))
}

/// For each header, the index of the field (given as `(code, name)`) it most likely feeds, or
/// `None`. Best pairs are taken first and each field is used at most once; pairs scoring under
/// [`SUGGEST_THRESHOLD`] are never proposed.
pub fn suggest_mapping(headers: &[&str], fields: &[(&str, &str)]) -> Vec<Option<usize>> {
    let header_names: Vec<Name> = headers.iter().map(|h| Name::new(h)).collect();
    let field_names: Vec<(Name, Name)> = fields.iter().map(|(c, n)| (Name::new(c), Name::new(n))).collect();
    let mut pairs = Vec::new();
    for (h, header) in header_names.iter().enumerate() {
        for (f, (code, name)) in field_names.iter().enumerate() {
            let score = header.similarity(code).max(header.similarity(name));
            if score >= SUGGEST_THRESHOLD {
                pairs.push((score, h, f));
            }
        }
    }
    // Highest score first; ties go to the earlier header, then the earlier field.
    pairs.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
    let mut mapping = vec![None; headers.len()];
    let mut field_taken = vec![false; fields.len()];
    for (_, h, f) in pairs {
        if mapping[h].is_none() && !field_taken[f] {
            mapping[h] = Some(f);
            field_taken[f] = true;
        }
    }
    mapping
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_name_written_differently_scores_one() {
        assert_eq!(name_similarity("ID_NUMBER", "idNumber"), 1.0);
        assert_eq!(name_similarity(" 姓　名 ", "姓名"), 1.0);
        assert_eq!(name_similarity("ｓｆｚｈ", "sfzh"), 1.0);
    }

    #[test]
    fn id_number_headers_score_well_against_the_standard_name() {
        assert!(name_similarity("身份证号码", "公民身份号码") >= 0.9);
        assert!(name_similarity("申请人身份证号码", "公民身份号码") >= 0.75);
        // Without the synonym table, shared characters and bigrams alone still pass.
        assert!(cjk_similarity("身份证号码", "公民身份号码") >= SUGGEST_THRESHOLD);
    }

    #[test]
    fn pinyin_initials_and_english_names_match_common_fields() {
        for (a, b) in [
            ("姓名", "xm"),
            ("姓名", "name"),
            ("性别", "xb"),
            ("性别", "gender"),
            ("出生日期", "csrq"),
            ("出生日期", "birth"),
            ("身份证号", "sfzh"),
            ("身份证号", "id_number"),
            ("手机", "sj"),
            ("手机号码", "mobile"),
            ("地址", "dz"),
            ("地址", "address"),
            ("统一社会信用代码", "tyshxydm"),
            ("统一社会信用代码", "credit_code"),
        ] {
            assert!(
                name_similarity(a, b) >= 0.9,
                "{a} ~ {b}: {}",
                name_similarity(a, b)
            );
        }
    }

    #[test]
    fn different_fields_score_low() {
        for (a, b) in [
            ("出生日期", "死亡日期"),
            ("姓名", "性别"),
            ("姓名", "sex"),
            ("sfzh", "sjhm"),
            ("备注", "地址"),
            ("", "姓名"),
            ("()", "姓名"),
        ] {
            assert!(
                name_similarity(a, b) < SUGGEST_THRESHOLD,
                "{a} ~ {b}: {}",
                name_similarity(a, b)
            );
        }
    }

    #[test]
    fn latin_words_match_in_any_order_and_abbreviation() {
        assert!(name_similarity("birth_date", "Date of Birth") >= 0.75);
        assert!(name_similarity("addr", "address") >= SUGGEST_THRESHOLD);
    }

    #[test]
    fn bracketed_pieces_are_compared_on_their_own() {
        assert_eq!(name_similarity("身份证号(sfzh)", "sfzh"), 1.0);
        assert_eq!(name_similarity("姓名/Name", "name"), 1.0);
        assert_eq!(field_similarity("联系电话（手机）", "sjhm", "手机号码"), 0.9);
    }

    #[test]
    fn a_typical_upload_maps_each_header_to_its_field() {
        let headers = [
            "序号",
            "姓名",
            "性别",
            "身份证号码",
            "联系电话",
            "家庭住址",
            "备注",
        ];
        let fields = [
            ("xm", "姓名"),
            ("xb", "性别"),
            ("gmsfhm", "公民身份号码"),
            ("sjhm", "手机号码"),
            ("dz", "地址"),
            ("csrq", "出生日期"),
        ];
        assert_eq!(
            suggest_mapping(&headers, &fields),
            vec![None, Some(0), Some(1), Some(2), Some(3), Some(4), None]
        );
    }

    #[test]
    fn each_field_is_suggested_once_to_its_best_header() {
        let fields = [("sjhm", "手机号码")];
        assert_eq!(
            suggest_mapping(&["联系人手机", "手机号码"], &fields),
            vec![None, Some(0)]
        );
        assert_eq!(suggest_mapping(&[], &fields), Vec::<Option<usize>>::new());
        assert_eq!(suggest_mapping(&["姓名"], &[]), vec![None]);
    }
}
