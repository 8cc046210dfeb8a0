//! Speed of the national ciphers on the paths Tongban uses most: SM3 over 1 KiB (ledger
//! hashing), SM4-GCM of one short field (every personal-data write), SM2 sign and verify (ledger
//! checkpoints, seals). Short runs: `cargo bench -p tongban-crypto`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;
use tongban_crypto::{Keyring, SigningKey, sm3};

fn national_ciphers(c: &mut Criterion) {
    let mut g = c.benchmark_group("crypto");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));

    let kib = vec![0x5au8; 1024];
    g.throughput(Throughput::Bytes(1024));
    g.bench_function("sm3_1kib", |b| b.iter(|| sm3(black_box(&kib))));

    let fields = Keyring::ephemeral().fields();
    g.throughput(Throughput::Elements(1));
    g.bench_function("sm4gcm_encrypt_id_number", |b| {
        b.iter(|| fields.encrypt(black_box("id_number"), black_box("330102199001011234")))
    });
    let stored = fields.encrypt("id_number", "330102199001011234");
    g.bench_function("sm4gcm_decrypt_id_number", |b| {
        b.iter(|| fields.decrypt(black_box("id_number"), black_box(&stored)))
    });
    g.bench_function("blind_index_id_number", |b| {
        b.iter(|| fields.blind_index(black_box("id_number"), black_box("330102199001011234")))
    });

    let key = SigningKey::generate();
    let vk = key.verifying_key();
    let msg = [7u8; 32];
    let sig = key.sign(&msg);
    g.bench_function("sm2_sign", |b| b.iter(|| key.sign(black_box(&msg))));
    g.bench_function("sm2_verify", |b| {
        b.iter(|| vk.verify(black_box(&msg), black_box(&sig)))
    });
    g.finish();
}

criterion_group!(benches, national_ciphers);
criterion_main!(benches);
