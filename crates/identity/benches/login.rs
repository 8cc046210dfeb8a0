//! Password sign-in throughput on a temporary SQLite database, printed as a ratio against the
//! Argon2id verification alone (same parameters, same process), which is what dominates it.
//!
//! `cargo bench -p tongban-identity` (add `--profile dist` for production-like numbers).

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordVerifier, Version};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};
use tongban_db::{Db, DbOptions};
use tongban_identity::password::{ARGON2_M_KIB, ARGON2_P, ARGON2_T};
use tongban_identity::{DeptKind, Identity, LoginContext, NewDepartment, NewStaff, SessionPolicy};
use tongban_kernel::{Principal, Role};

const PASSWORD: &str = "Tongban@2026";

fn argon2() -> Argon2<'static> {
    let params = Params::new(ARGON2_M_KIB, ARGON2_T, ARGON2_P, None).expect("params");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let identity = rt.block_on(async {
        let db = Db::connect(&url, &DbOptions::default()).await.expect("open");
        db.migrate(&[tongban_db::MIGRATIONS, tongban_identity::MIGRATIONS])
            .await
            .expect("migrate");
        let identity = Identity::new(
            db,
            tongban_crypto::Keyring::ephemeral().fields(),
            SessionPolicy::default(),
        );
        let sys = Principal::system("bench");
        let city = identity
            .create_department(
                &sys,
                NewDepartment {
                    code: "9901".into(),
                    name_zh: "示范市".into(),
                    name_en: String::new(),
                    parent: None,
                    kind: DeptKind::City,
                },
            )
            .await
            .expect("city");
        identity
            .create_staff(
                &sys,
                NewStaff {
                    username: "clerk".into(),
                    display_name: "clerk".into(),
                    password: PASSWORD.into(),
                    department: city.id,
                    roles: vec![Role::Clerk],
                    phone: None,
                    is_demo: false,
                },
            )
            .await
            .expect("staff");
        identity
    });
    let salt = SaltString::encode_b64(b"0123456789abcdef").expect("salt");
    let phc = argon2()
        .hash_password(PASSWORD.as_bytes(), &salt)
        .expect("hash")
        .to_string();

    let mut g = c.benchmark_group("login");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    g.bench_function("argon2id_verify_baseline", |b| {
        b.iter(|| {
            let parsed = PasswordHash::new(&phc).expect("phc");
            black_box(argon2().verify_password(PASSWORD.as_bytes(), &parsed).is_ok())
        })
    });
    g.bench_function("password_login", |b| {
        b.iter(|| {
            rt.block_on(identity.login("clerk", PASSWORD, LoginContext::default()))
                .expect("login");
        })
    });
    g.finish();

    // The ratio, measured once more side by side so the two figures share the machine's state.
    let n = 20;
    let t = Instant::now();
    for _ in 0..n {
        let parsed = PasswordHash::new(&phc).expect("phc");
        black_box(argon2().verify_password(PASSWORD.as_bytes(), &parsed).is_ok());
    }
    let base = n as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    for _ in 0..n {
        rt.block_on(identity.login("clerk", PASSWORD, LoginContext::default()))
            .expect("login");
    }
    let login = n as f64 / t.elapsed().as_secs_f64();
    println!(
        "\nArgon2id m={ARGON2_M_KIB} KiB t={ARGON2_T} p={ARGON2_P}: verify {base:.1}/s; \
         password login (verify + session + event, one request at a time) {login:.1}/s = {:.2}× the bare verification",
        login / base
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
