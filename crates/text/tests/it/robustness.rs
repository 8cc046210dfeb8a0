//! Bad input is its own category: every public function is fed empty strings, odd Unicode,
//! near-miss values and very long strings, and must answer without panicking. A deterministic
//! generator stands in for a property-testing crate.

use std::borrow::Cow;
use std::io::Read;
use tongban_kernel::IdNumber;
use tongban_text::{
    DecodingReader, Enumeration, Gender, Standardizer, clean, decode, detect, field_similarity, find_pii,
    half_width, mask_pii, name_similarity, normalize_credit_code, normalize_id_number, normalize_phone,
    parse_date, parse_datetime, parse_number, parse_yes_no, suggest_mapping, trim,
};

/// xorshift64*: small, deterministic, good enough to wander through odd inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Characters that matter to some parser here, plus the usual troublemakers.
const POOL: &[char] = &[
    '0', '1', '2', '3', '5', '8', '9', '1', '3', '8', '0', '0', '-', '/', '.', ':', ',', '%', ' ', '+', 'e',
    'E', 'X', 'x', 'T', 'M', 'a', '#', '年', '月', '日', '号', '时', '点', '分', '秒', '万', '亿', '千',
    '百', '十', '男', '女', '是', '否', '０', '１', '９', '．', '，', '％', '－', '：', 'Ｘ', '\u{3000}',
    '\u{200B}', '\u{FEFF}', '\u{00A0}', '\u{0}', '\u{FFFD}', '\u{202E}', '\u{0301}', '😀', '𠮷', 'é', '\n',
    '\t', '‰', '\u{2212}', '—', '(', '）', '身', '份', '证',
];

fn random_text(rng: &mut Rng) -> String {
    let len = rng.below(40);
    (0..len).map(|_| *rng.pick(POOL)).collect()
}

/// Values close to valid ones, so parsers get past their first checks.
fn near_miss(rng: &mut Rng) -> String {
    // `lo..=hi` random digits.
    fn d(rng: &mut Rng, lo: usize, hi: usize) -> String {
        let n = lo + rng.below(hi - lo + 1);
        (0..n).map(|_| char::from(b'0' + rng.below(10) as u8)).collect()
    }
    match rng.below(8) {
        0 => format!("{}-{}-{}", d(rng, 4, 4), d(rng, 1, 2), d(rng, 1, 2)),
        1 => format!(
            "{}年{}月{}日 {}时{}分",
            d(rng, 4, 4),
            d(rng, 2, 2),
            d(rng, 2, 2),
            d(rng, 2, 2),
            d(rng, 2, 2)
        ),
        2 => format!(
            "{}T{}:{}:{}.{}",
            d(rng, 8, 8),
            d(rng, 2, 2),
            d(rng, 2, 2),
            d(rng, 2, 2),
            d(rng, 1, 12)
        ),
        3 => format!("{}.{}万", d(rng, 1, 30), d(rng, 0, 30)),
        4 => {
            let body = format!("11010519{}0{}1{}", d(rng, 1, 1), d(rng, 1, 1), d(rng, 5, 5));
            IdNumber::with_check(&body).map_or(body, |id| id.as_str().to_owned())
        }
        5 => format!("1{}{}", 3 + rng.below(7), d(rng, 9, 9)),
        6 => {
            let sign = *rng.pick(&["", "+", "-"]);
            format!("{}e{sign}{}", d(rng, 1, 5), d(rng, 1, 4))
        }
        _ => format!("{},{}", d(rng, 1, 4), d(rng, 3, 3)),
    }
}

fn standardizers() -> Vec<Standardizer> {
    use Standardizer as S;
    let values = Enumeration::new([("01", vec!["汉族", "汉"]), ("02", vec!["蒙古族"])])
        .unwrap_or_else(|e| panic!("{e}"));
    vec![
        S::Trim,
        S::HalfWidth,
        S::Date,
        S::DateTime,
        S::IdNumber,
        S::CreditCode,
        S::Phone,
        S::Gender,
        S::YesNo,
        S::Number,
        S::Enumeration { values },
    ]
}

/// Everything that takes a single string, with the invariants that must hold for any input.
fn exercise(value: &str, all: &[Standardizer]) {
    let _ = (trim(value), half_width(value));
    let c = clean(value);
    assert_eq!(clean(&c), c, "clean is idempotent");
    let _ = (
        parse_date("f", value),
        parse_datetime("f", value),
        parse_number("f", value),
    );
    let _ = (
        normalize_id_number("f", value),
        normalize_credit_code("f", value),
        normalize_phone("f", value),
    );
    let _ = (Gender::parse("f", value), parse_yes_no("f", value));
    for s in all {
        if let Ok(out) = s.apply("f", value) {
            // The canonical form is a fixed point: standardizing it again changes nothing.
            let again = s.apply("f", &out).map(Cow::into_owned);
            assert_eq!(again.as_deref(), Ok(out.as_ref()), "{s:?} on {value:?}");
        }
    }
    let spans = find_pii(value);
    let mut last_end = 0;
    for span in &spans {
        assert!(
            span.range.start >= last_end && value.get(span.range.clone()).is_some(),
            "{value:?}"
        );
        last_end = span.range.end;
    }
    let masked = mask_pii(value);
    assert_eq!(
        masked.chars().count(),
        value.chars().count(),
        "masking keeps the length: {value:?}"
    );
    let score = name_similarity(value, "公民身份号码");
    assert!((0.0..=1.0).contains(&score), "{score}");
}

#[test]
fn no_input_makes_any_function_panic() {
    let all = standardizers();
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    for _ in 0..20_000 {
        let value = if rng.below(2) == 0 {
            random_text(&mut rng)
        } else {
            near_miss(&mut rng)
        };
        exercise(&value, &all);
    }
}

#[test]
fn very_long_values_are_refused_or_handled_without_panicking() {
    let all = standardizers();
    for value in [
        "9".repeat(1_000_000),
        "万".repeat(100_000),
        "1,".repeat(100_000),
        "\u{3000}".repeat(100_000),
        "2026-01-02".repeat(10_000),
        "11010519491231002X ".repeat(10_000),
        "１".repeat(100_000),
        format!("0.{}", "0".repeat(100_000)),
    ] {
        exercise(&value, &all);
    }
    assert!(parse_number("f", &"9".repeat(1_000_000)).is_err());
    assert_eq!(find_pii(&"11010519491231002X ".repeat(10_000)).len(), 10_000);
}

#[test]
fn random_bytes_decode_or_are_refused_the_same_way_whole_or_streamed() {
    let mut rng = Rng(0xB17E5);
    for round in 0..2_000 {
        let len = rng.below(if round % 100 == 0 { 200_000 } else { 64 });
        let bytes: Vec<u8> = (0..len)
            .map(|_| match rng.below(4) {
                0 => rng.next() as u8,
                1 => 0x81 + rng.below(0x7E) as u8,
                _ => b'a' + rng.below(26) as u8,
            })
            .collect();
        let whole = decode(&bytes);
        let _ = detect(&bytes);
        let streamed = DecodingReader::new(&bytes[..])
            .map_err(|e| e.to_string())
            .and_then(|mut r| {
                let mut s = String::new();
                r.read_to_string(&mut s)
                    .map(|_| (s, r.replacements()))
                    .map_err(|e| e.to_string())
            });
        match (whole, streamed) {
            (Ok(d), Ok((s, n))) => assert_eq!((d.text.as_ref(), d.replacements), (s.as_str(), n)),
            (Err(_), Err(_)) => {}
            (w, s) => panic!(
                "whole and streamed disagree on {} bytes: {w:?} vs {s:?}",
                bytes.len()
            ),
        }
    }
}

#[test]
fn similarity_and_mapping_take_any_header() {
    let mut rng = Rng(42);
    let headers: Vec<String> = (0..50).map(|_| random_text(&mut rng)).collect();
    let refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let fields = [
        ("xm", "姓名"),
        ("", ""),
        ("sfzh", "公民身份号码"),
        ("😀", "\u{0}"),
    ];
    let mapping = suggest_mapping(&refs, &fields);
    assert_eq!(mapping.len(), refs.len());
    let mut used: Vec<usize> = mapping.iter().flatten().copied().collect();
    used.sort_unstable();
    used.dedup();
    assert_eq!(
        used.len(),
        mapping.iter().flatten().count(),
        "each field at most once"
    );
    for h in &refs {
        let s = field_similarity(h, "", "");
        assert_eq!(s, 0.0);
    }
    let long = "身份证号码".repeat(2_000);
    assert!(name_similarity(&long, &long) == 1.0);
}
