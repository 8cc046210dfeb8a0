//! Seal sign and verify per second, against the bare SM2 operations in the same process:
//! - `sign`: canonicalize a licence document, SM3 it, build and SM2-sign the signature
//!   structure (baseline: one SM2 signature of 32 bytes);
//! - `verify`: parse the signed file, rebuild both canonical forms, check the seal and the
//!   signature (baseline: one SM2 verification);
//! - `issue`: a whole issue through the store on SQLite (number, sign, encrypt, insert, event).
//!
//! Run: `cargo bench -p tongban-seal` (set `SEAL_BENCH_SECS` to change the time per case).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use jiff::civil::date;
use std::hint::black_box;
use std::time::{Duration, Instant};
use tongban_crypto::{Keyring, SigningKey};
use tongban_kernel::{DeptPath, IdNumber, Millis, Principal};
use tongban_seal::sign::{sign_certificate, sign_licence};
use tongban_seal::{
    DOCUMENT_FORMAT, Holder, HolderKind, Issuer, LicenceDocument, LicenceField, LicenceInput,
    SealCertificate, SealInput, SealType, Seals, TrustedSeals, verify_document,
};
use tongban_test_support::TestDb;

/// Runs `f` repeatedly for `secs` seconds; operations per second.
fn rate(secs: f64, mut f: impl FnMut()) -> f64 {
    let until = Instant::now() + Duration::from_secs_f64(secs);
    let start = Instant::now();
    let mut n = 0u64;
    while Instant::now() < until {
        f();
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn issuer() -> Issuer {
    Issuer {
        id: "bench".into(),
        path: DeptPath("/3301/3301-SC/".into()),
        name_zh: "杭州市市场监督管理局".into(),
    }
}

fn document(n: u32) -> LicenceDocument {
    LicenceDocument {
        format: DOCUMENT_FORMAT.into(),
        number: format!("DZZZ-2026-{n:08}"),
        licence_type: "individual-business-licence".into(),
        title: "个体工商户营业执照".into(),
        holder: Holder {
            kind: HolderKind::Person,
            name: "王小明".into(),
            id_masked: "3301*************1".into(),
        },
        issuer: issuer(),
        issued_on: date(2026, 3, 2),
        valid_from: date(2026, 3, 2),
        valid_to: None,
        fields: (0..8)
            .map(|i| LicenceField {
                label: format!("栏目{i}"),
                value: "浙江省杭州市上城区清泰街1号 经营范围：食品销售，日用百货".into(),
            })
            .collect(),
        case_number: Some("2026-0302-000001".into()),
    }
}

fn main() {
    let secs: f64 = std::env::var("SEAL_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    let maker = SigningKey::generate();
    let key = SigningKey::generate();
    let mut cert = SealCertificate {
        version: 4,
        seal_id: "bench-seal".into(),
        name: "杭州市市场监督管理局证照专用章".into(),
        seal_type: SealType::Licence,
        issuer: issuer(),
        valid_from: date(2026, 1, 1),
        valid_to: date(2030, 12, 31),
        public_key: key.verifying_key().to_sec1_hex(),
        picture: None,
        maker: String::new(),
        made_at: "2026-01-01T00:00:00Z".into(),
        maker_signature: String::new(),
    };
    sign_certificate(&mut cert, &maker).unwrap();
    let mut trusted = TrustedSeals::new(maker.verifying_key());
    trusted.add_seal(cert.clone()).unwrap();
    let at = Millis(1_772_416_800_000);

    let msg = [7u8; 32];
    let raw_sig = key.sign(&msg);
    let vk = key.verifying_key();
    let sm2_sign = rate(secs, || {
        black_box(key.sign(black_box(&msg)));
    });
    let mut n = 0;
    let sign = rate(secs, || {
        n += 1;
        black_box(sign_licence(document(n), &cert, &key, at).unwrap());
    });
    let file = serde_json::to_vec(&sign_licence(document(1), &cert, &key, at).unwrap()).unwrap();
    assert!(verify_document(&file, &trusted, date(2026, 3, 2)).is_valid());
    let sm2_verify = rate(secs, || {
        black_box(vk.verify(black_box(&msg), black_box(&raw_sig)));
    });
    let verify = rate(secs, || {
        black_box(verify_document(black_box(&file), &trusted, date(2026, 3, 2)));
    });

    // The whole issue through the store, on an SQLite file.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let issue = rt.block_on(async {
        let t = TestDb::sqlite(&[tongban_db::MIGRATIONS, tongban_seal::MIGRATIONS]).await;
        let seals = Seals::new(t.db.clone(), Keyring::ephemeral()).with_clock(move || at);
        let system = Principal::system("bench");
        let seal = seals
            .create_seal(
                &system,
                issuer(),
                SealInput {
                    name: "证照专用章".into(),
                    seal_type: SealType::Licence,
                    valid_from: date(2026, 1, 1),
                    valid_to: date(2030, 12, 31),
                    picture: None,
                },
            )
            .await
            .unwrap();
        let holder_id = IdNumber::with_check("33010219900307002")
            .unwrap()
            .as_str()
            .to_string();
        let until = Instant::now() + Duration::from_secs_f64(secs);
        let start = Instant::now();
        let mut n = 0u64;
        while Instant::now() < until {
            let input = LicenceInput {
                licence_type: "individual-business-licence".into(),
                title: "个体工商户营业执照".into(),
                holder_kind: HolderKind::Person,
                holder_name: "王小明".into(),
                holder_id: holder_id.clone(),
                holder_account: None,
                valid_from: None,
                valid_to: None,
                fields: document(0).fields,
                case_number: None,
            };
            seals.issue_licence(&system, &seal.id, input).await.unwrap();
            n += 1;
        }
        let r = n as f64 / start.elapsed().as_secs_f64();
        t.remove().await;
        r
    });

    println!("seal bench ({secs} s per case, one thread)");
    println!("  SM2 sign (baseline)          {sm2_sign:>10.0} /s");
    println!(
        "  licence sign                 {sign:>10.0} /s   {:.2}× baseline",
        sign / sm2_sign
    );
    println!("  SM2 verify (baseline)        {sm2_verify:>10.0} /s");
    println!(
        "  licence verify               {verify:>10.0} /s   {:.2}× baseline",
        verify / sm2_verify
    );
    println!(
        "  issue through store (SQLite) {issue:>10.0} /s   {:.2}× licence sign",
        issue / sign
    );
}
