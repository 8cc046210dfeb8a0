//! Speed of the per-cell path the data pool runs on millions of rows: `Standardizer::apply` on
//! values that are already clean (the common case, which must not allocate) and on dirty ones,
//! beside `str::trim` over the same cells; and decoding a GBK export, beside a plain copy and
//! UTF-8 validation of the same number of bytes. Short runs: `cargo bench -p tongban-text`.
//! After criterion's report, a summary prints each case as a ratio to its baseline.

use criterion::{Criterion, Throughput};
use std::hint::black_box;
use std::io::Read;
use std::time::{Duration, Instant};
use tongban_text::{DecodingReader, Enumeration, Standardizer, decode};

const CLEAN: &[(&str, &str)] = &[
    ("date", "2026-01-02"),
    ("date_time", "2026-01-02T08:30:00"),
    ("id_number", "11010519491231002X"),
    ("phone", "13800138000"),
    ("number", "1234567.89"),
    ("gender", "1"),
    ("yes_no", "0"),
    ("enumeration", "01"),
    ("trim", "北京市朝阳区建国路1号"),
];

const DIRTY: &[(&str, &str)] = &[
    ("date", " 2026年1月2日\u{3000}"),
    ("date_time", "2026年1月2日 8时30分"),
    ("id_number", "１１０１０５１９４９１２３１００２ｘ"),
    ("phone", "+86 138-0013-8000"),
    ("number", "１，２３４，５６７.８９万"),
    ("gender", "女性"),
    ("yes_no", "是"),
    ("enumeration", " 蒙古族 "),
    ("trim", "\u{3000}北京市朝阳区建国路1号\u{200B} "),
];

fn standardizer(kind: &str) -> Standardizer {
    match kind {
        "date" => Standardizer::Date,
        "date_time" => Standardizer::DateTime,
        "id_number" => Standardizer::IdNumber,
        "phone" => Standardizer::Phone,
        "number" => Standardizer::Number,
        "gender" => Standardizer::Gender,
        "yes_no" => Standardizer::YesNo,
        "enumeration" => Standardizer::Enumeration {
            values: Enumeration::new([
                ("01", ["汉族", "汉"]),
                ("02", ["蒙古族", "蒙古"]),
                ("03", ["回族", "回"]),
            ])
            .unwrap_or_else(|e| panic!("{e}")),
        },
        _ => Standardizer::Trim,
    }
}

/// About 1 MB of a GBK-encoded CSV export.
fn gbk_export() -> Vec<u8> {
    let mut text = String::from("序号,姓名,性别,身份证号,住址\n");
    let mut i = 0;
    while text.len() < 1_400_000 {
        text.push_str(&format!(
            "{i},张三{},男,11010519491231002X,浙江省杭州市西湖区文三路{}号\n",
            i % 100,
            i % 997
        ));
        i += 1;
    }
    encoding_rs::GBK.encode(&text).0.into_owned()
}

fn read_through(bytes: &[u8], out: &mut Vec<u8>) -> usize {
    out.clear();
    let mut r = DecodingReader::new(bytes).unwrap_or_else(|e| panic!("{e}"));
    r.read_to_end(out).unwrap_or_else(|e| panic!("{e}"))
}

fn criterion_benches(c: &mut Criterion, gbk: &[u8]) {
    let mut g = c.benchmark_group("standardize");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    g.throughput(Throughput::Elements(1));
    for (label, cases) in [("clean", CLEAN), ("dirty", DIRTY)] {
        for &(kind, value) in cases {
            let s = standardizer(kind);
            g.bench_function(format!("{label}/{kind}"), |b| {
                b.iter(|| s.apply("f", black_box(value)).is_ok())
            });
            if kind == "trim" {
                g.bench_function(format!("{label}/baseline_str_trim"), |b| {
                    b.iter(|| black_box(value).trim().len())
                });
            }
        }
    }
    g.finish();

    let mut g = c.benchmark_group("decode_gbk");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    g.throughput(Throughput::Bytes(gbk.len() as u64));
    let mut out = Vec::with_capacity(gbk.len() * 2);
    g.bench_function("baseline_memcpy", |b| {
        b.iter(|| {
            out.clear();
            out.extend_from_slice(black_box(gbk));
            out.len()
        })
    });
    g.bench_function("decode", |b| {
        b.iter(|| decode(black_box(gbk)).map(|d| d.text.len()).ok())
    });
    g.bench_function("decoding_reader", |b| {
        b.iter(|| read_through(black_box(gbk), &mut out))
    });
    g.finish();
}

/// Nanoseconds per call of `f`, timed for about `budget`.
fn ns_per_call(budget: Duration, mut f: impl FnMut()) -> f64 {
    let mut calls = 0u64;
    let start = Instant::now();
    while start.elapsed() < budget {
        for _ in 0..64 {
            f();
        }
        calls += 64;
    }
    start.elapsed().as_nanos() as f64 / calls as f64
}

fn print_summary(gbk: &[u8]) {
    let budget = Duration::from_millis(200);
    println!("\nsummary (same run; ratio = case time / baseline time)");
    let trim_cells: Vec<&str> = CLEAN.iter().chain(DIRTY).map(|&(_, v)| v).collect();
    let baseline = ns_per_call(budget, || {
        for v in &trim_cells {
            black_box(black_box(*v).trim());
        }
    }) / trim_cells.len() as f64;
    println!("  baseline str::trim: {baseline:.1} ns/cell");
    for (label, cases) in [("clean", CLEAN), ("dirty", DIRTY)] {
        for &(kind, value) in cases {
            let s = standardizer(kind);
            let ns = ns_per_call(budget, || {
                black_box(s.apply("f", black_box(value)).is_ok());
            });
            println!(
                "  {label:5} {kind:12} {ns:8.1} ns/cell  {:6.2} M cells/s  {:6.1}× str::trim",
                1e3 / ns,
                ns / baseline
            );
        }
    }
    let mb = gbk.len() as f64 / 1e6;
    let mut out = Vec::with_capacity(gbk.len() * 2);
    let copy = ns_per_call(budget, || {
        out.clear();
        out.extend_from_slice(black_box(gbk));
    });
    let whole = ns_per_call(budget, || {
        black_box(decode(black_box(gbk)).map(|d| d.text.len()).ok());
    });
    let streamed = ns_per_call(budget, || {
        black_box(read_through(black_box(gbk), &mut out));
    });
    for (name, ns) in [
        ("memcpy (baseline)", copy),
        ("decode GBK", whole),
        ("DecodingReader GBK", streamed),
    ] {
        println!(
            "  {name:20} {:9.0} MB/s  {:6.1}× memcpy",
            mb / (ns / 1e9),
            ns / copy
        );
    }
}

fn main() {
    let gbk = gbk_export();
    let mut c = Criterion::default().configure_from_args();
    criterion_benches(&mut c, &gbk);
    c.final_summary();
    print_summary(&gbk);
}
