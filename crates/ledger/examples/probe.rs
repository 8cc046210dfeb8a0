use std::time::Instant;
use tongban_db::{Db, DbOptions, params};
#[tokio::main]
async fn main() {
    let path = std::env::args().nth(1).unwrap();
    let db = Db::connect(&format!("sqlite://{path}"), &DbOptions::default())
        .await
        .unwrap();
    db.migrate(&[tongban_db::MIGRATIONS, tongban_ledger::MIGRATIONS])
        .await
        .unwrap();
    db.execute("WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM s WHERE n < 100000) \
      INSERT INTO events (seq,id,at_ms,actor_kind,actor_id,actor_name,actor_dept,action,object_type,object_id,object_dept,summary,detail) \
      SELECT n, printf('01970000-0000-7000-8000-%012d', n), 1760000000000+n, 'user', printf('01970000-0000-7000-8000-%012d', n%97), 'clerk'||(n%97), '/3301/3301-GA/', 'hall.case.accepted', 'case', printf('2026-1123-%06d', n), '/3301/3301-GA/', printf('受理 居住证办理 2026-1123-%06d / accepted residence permit case', n), printf('{\"case\":\"2026-1123-%06d\",\"item\":\"居住证办理\",\"applicant\":\"3301**********1234\",\"channel\":\"web\"}', n) FROM s", params![]).await.unwrap();
    db.execute("UPDATE event_counter SET last_seq = 100000", params![])
        .await
        .unwrap();
    let key = tongban_crypto::SigningKey::generate();
    let vk = key.verifying_key();
    let l = tongban_ledger::Ledger::new(
        db.clone(),
        key,
        tongban_ledger::LedgerConfig {
            batch: 5000,
            ..Default::default()
        },
    );
    let t = Instant::now();
    l.catch_up().await.unwrap();
    println!("catch_up {:?}", t.elapsed());
    for _ in 0..2 {
        let t = Instant::now();
        let r = tongban_ledger::verify(&db, &[vk.clone()]).await.unwrap();
        println!("verify {:?} {}", t.elapsed(), r.summary());
    }
    let sk = tongban_crypto::SigningKey::generate();
    let sig = sk.sign(b"x");
    let vk2 = sk.verifying_key();
    let t = Instant::now();
    for _ in 0..200 {
        assert!(vk2.verify(b"x", &sig));
    }
    println!("sm2 verify {:?} each", t.elapsed() / 200);
    let t = Instant::now();
    for _ in 0..200 {
        std::hint::black_box(sk.sign(b"x"));
    }
    println!("sm2 sign {:?} each", t.elapsed() / 200);
    db.execute("DELETE FROM ledger_checkpoints", params![])
        .await
        .unwrap();
    let t = Instant::now();
    let r = tongban_ledger::verify(&db, &[vk.clone()]).await.unwrap();
    println!("verify no checkpoints {:?} {}", t.elapsed(), r.summary());
    for sql in [
        "SELECT seq FROM events WHERE seq > $1 ORDER BY seq LIMIT 10000",
        "SELECT seq, event_hash, chain_hash FROM ledger_entries WHERE seq > $1 ORDER BY seq LIMIT 10000",
        &format!(
            "SELECT {} FROM events WHERE seq > $1 ORDER BY seq LIMIT 10000",
            tongban_db::event::COLUMNS
        ),
    ] {
        let t = Instant::now();
        let mut after = 0i64;
        let mut n = 0;
        loop {
            let rows = db.fetch_all(sql, params![after]).await.unwrap();
            let Some(last) = rows.last() else { break };
            after = last.get("seq").unwrap();
            n += rows.len();
        }
        println!(
            "{n} rows in {:?}: {:.0} rows/s  -- {}",
            t.elapsed(),
            n as f64 / t.elapsed().as_secs_f64(),
            &sql[..40]
        );
    }
}
