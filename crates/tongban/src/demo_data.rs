//! Synthetic data for the demo city's resources: fictional people with valid-checksum ID numbers,
//! businesses with valid credit codes, hourly air quality, census aggregates — generated
//! deterministically, written as the files a department would upload (the household file in
//! GBK, as many do), with some deliberately dirty rows so the reject report has something to
//! show, and loaded through the pool like any upload.

use anyhow::{Context, Result};
use std::fmt::Write as _;
use std::path::Path;
use tongban_kernel::{CreditCode, IdNumber, Principal};

/// A small deterministic generator (no randomness: the demo is the same every time).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "晓东",
    "子涵", "一诺",
];
const DISTRICTS: &[&str] = &["城东区", "城西区", "城南区", "城北区", "高新区", "滨江县"];
const STREETS: &[&str] = &["人民路", "解放路", "建设路", "和平街", "文化路", "新华路"];

/// How many people the household file holds (the other files scale with it).
pub fn rows_from_env() -> u64 {
    std::env::var("TONGBAN_DEMO_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000)
        .max(50)
}

/// The fictional ID number of person `i` (region 990101–990106, born 1950–2005).
fn id_number(i: u64, rng: &mut Lcg) -> Option<IdNumber> {
    let region = 990_101 + (i % 6);
    let year = 1950 + rng.below(56);
    let month = 1 + rng.below(12);
    let day = 1 + rng.below(28);
    let seq = i % 1000;
    IdNumber::with_check(&format!("{region}{year:04}{month:02}{day:02}{seq:03}"))
}

/// The demo citizens' household records: ID number without its check digit, name, gender,
/// birth date, street address (the accounts are seeded with the same ID numbers).
const DEMO_CITIZENS: [(&str, &str, &str, &str, &str); 2] = [
    ("99010119900307123", "张晓明", "男", "1990年3月7日", "中山路88号"),
    ("99010119851122456", "李芳", "女", "1985年11月22日", "解放路16号"),
];

fn household_csv(people: u64) -> String {
    let mut rng = Lcg(2026);
    let mut out = String::from("公民身份号码,姓名,性别,出生日期,所属区县,户籍地址\n");
    // The demo accounts' own records, so their applications are prefilled.
    for (body, name, gender, birth, address) in DEMO_CITIZENS {
        if let Some(id) = IdNumber::with_check(body) {
            let district = "城东区";
            let _ = writeln!(
                out,
                "{},{name},{gender},{birth},{district},示范市{district}{address}",
                id.as_str()
            );
        }
    }
    for i in 0..people {
        let Some(id) = id_number(i, &mut rng) else {
            continue;
        };
        let name = format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN));
        // GB 11643: the 17th digit is odd for men.
        let gender = if id.as_str().as_bytes()[16] % 2 == 1 {
            "男"
        } else {
            "女"
        };
        let b = id.birth_date();
        let birth = format!(
            "{}年{}月{}日",
            &b[..4],
            b[4..6].trim_start_matches('0'),
            b[6..].trim_start_matches('0')
        );
        let district = DISTRICTS[(i % 6) as usize];
        let address = format!("示范市{district}{}{}号", rng.pick(STREETS), 1 + rng.below(300));
        let mut id_text = id.as_str().to_string();
        let mut birth_text = birth;
        // One row in two hundred is dirty, the way real extracts are.
        match i % 200 {
            13 => id_text.replace_range(17..18, if id_text.ends_with('0') { "1" } else { "0" }),
            77 => birth_text = "2001年2月30日".into(),
            151 => id_text = format!("{}E+17", &id_text[..4]),
            _ => {}
        }
        let _ = writeln!(out, "{id_text},{name},{gender},{birth_text},{district},{address}");
    }
    out
}

fn business_csv(n: u64) -> String {
    let mut rng = Lcg(32100);
    let mut out = String::from("统一社会信用代码,主体名称,法定代表人,成立日期,登记状态\n");
    let kinds = [
        "科技有限公司",
        "商贸有限公司",
        "餐饮店",
        "建筑工程有限公司",
        "文化传媒有限公司",
    ];
    for i in 0..n {
        let Some(code) = CreditCode::with_check(&format!("91990100MA{:07}", 1000 + i)) else {
            continue;
        };
        let name = format!(
            "示范市{}{}{}",
            rng.pick(STREETS),
            rng.pick(GIVEN),
            kinds[(i % 5) as usize]
        );
        let rep = format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN));
        let date = format!(
            "{}-{:02}-{:02}",
            2000 + rng.below(26),
            1 + rng.below(12),
            1 + rng.below(28)
        );
        let status = if i % 250 == 9 {
            "歇业中"
        } else if i % 10 == 0 {
            "注销"
        } else {
            "存续"
        };
        let _ = writeln!(out, "{},{name},{rep},{date},{status}", code.as_str());
    }
    out
}

fn air_csv(hours: u64) -> String {
    let mut rng = Lcg(25);
    let stations = [
        "城东站",
        "城西站",
        "城南站",
        "城北站",
        "高新站",
        "滨江站",
        "江心岛站",
        "开发区站",
    ];
    let mut out = String::from("监测站点,监测时间,空气质量指数,PM2.5浓度(μg/m³)\n");
    let start = jiff::civil::date(2026, 10, 1).at(0, 0, 0, 0);
    for h in 0..hours {
        let Ok(at) = start.checked_add(jiff::Span::new().hours(h as i64)) else {
            break;
        };
        for (s, station) in stations.iter().enumerate() {
            let pm25 = 8 + rng.below(70) + (h % 24) / 3;
            let aqi = pm25 * 14 / 10 + rng.below(10);
            let aqi_text = if (h as usize + s) % 997 == 5 {
                "-12".to_string()
            } else {
                aqi.to_string()
            };
            let _ = writeln!(
                out,
                "{station},{},{aqi_text},{pm25}.{}",
                at.strftime("%Y-%m-%d %H:%M"),
                rng.below(10)
            );
        }
    }
    out
}

fn census_csv() -> String {
    let mut rng = Lcg(7);
    let mut out = String::from("区县,年龄组,性别,常住人口数\n");
    for d in DISTRICTS {
        for age in (0..90).step_by(5) {
            for g in ["男", "女"] {
                let _ = writeln!(out, "{d},{age}-{},{g},{}", age + 4, 2_000 + rng.below(9_000));
            }
        }
    }
    out
}

/// Loads every demo file whose resource has no data yet. Idempotent.
pub async fn load(pool: &tongban_pool::Pool, catalog: &tongban_catalog::Catalog, work: &Path) -> Result<()> {
    let actor = Principal::system("demo");
    let people = rows_from_env();
    let files: [(&str, &str, String, bool); 4] = [
        ("9901-GA-0001", "household.csv", household_csv(people), true),
        ("9901-SJ-0001", "business.csv", business_csv(people / 8), false),
        ("9901-HJ-0001", "air.csv", air_csv((people / 40).max(24)), false),
        ("9901-SJJ-0001", "census.csv", census_csv(), false),
    ];
    std::fs::create_dir_all(work)?;
    for (code, name, text, gbk) in files {
        if catalog.resource_by_code(&actor, code).await?.current_version > 0 {
            continue;
        }
        let path = work.join(name);
        let bytes = if gbk {
            encoding_rs::GBK.encode(&text).0.into_owned()
        } else {
            text.into_bytes()
        };
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        let report = pool
            .ingest_csv(&actor, code, &path, &tongban_pool::IngestOptions::default())
            .await
            .with_context(|| format!("loading demo data into {code}"))?;
        tracing::info!(
            resource = code,
            accepted = report.accepted,
            rejected = report.rejected,
            "demo data loaded"
        );
        let _ = std::fs::remove_file(&path);
    }
    Ok(())
}
