//! Drills: the process killed with SIGKILL in the middle of work loses nothing it had
//! committed, leaves no half-made data version, and the ledger still verifies after a restart.

use crate::cli::{ok, tongban};
use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `tongban serve` on a free port of this machine over `data_dir`, with its portal address.
fn serve(data_dir: &Path) -> (Child, String) {
    serve_on(data_dir, None)
}

/// `tongban serve` over `data_dir` and, when given, the PostgreSQL database at `database`.
fn serve_on(data_dir: &Path, database: Option<&str>) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tongban"));
    match database {
        Some(url) => command.env("TONGBAN_DATABASE_URL", url),
        None => command.env_remove("TONGBAN_DATABASE_URL"),
    };
    let mut child = command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("TONGBAN_MASTER_KEY")
        .env("TONGBAN_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(stdout).lines();
    let url = loop {
        let line = lines.next().expect("server printed its address").unwrap();
        if let Some(at) = line.find("http://") {
            break line[at..].trim().trim_end_matches('/').to_string();
        }
    };
    // Keep draining what it prints so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

#[test]
fn killed_while_signing_people_in_the_server_keeps_every_session_it_answered_and_the_ledger_verifies() {
    let dir = tempfile::tempdir().unwrap();
    ok(&tongban(dir.path(), &["demo", "--seed-only"]));
    let (mut server, url) = serve(dir.path());
    let rt = tokio::runtime::Runtime::new().unwrap();
    // Four clients sign in over and over (each sign-in commits a session and its event, which
    // the ledger worker chains meanwhile) until the process is killed under them.
    let tokens = rt.block_on(async {
        let client = reqwest::Client::new();
        let mut workers = Vec::new();
        for who in ["citizen1", "citizen2", "ga_clerk", "sj_clerk"] {
            let (client, url) = (client.clone(), url.clone());
            workers.push(tokio::spawn(async move {
                let mut got = Vec::new();
                let until = Instant::now() + Duration::from_secs(20);
                while Instant::now() < until {
                    let sent = client
                        .post(format!("{url}/api/v1/auth/login"))
                        .json(&serde_json::json!({ "username": who, "password": "Tongban@2026" }))
                        .send()
                        .await;
                    let Ok(r) = sent else { break };
                    if r.status() == 200
                        && let Ok(v) = r.json::<serde_json::Value>().await
                        && let Some(t) = v["token"].as_str()
                    {
                        got.push(t.to_string());
                    }
                }
                got
            }));
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        server.kill().unwrap();
        server.wait().unwrap();
        let mut tokens = Vec::new();
        for w in workers {
            tokens.extend(w.await.unwrap());
        }
        tokens
    });
    assert!(
        tokens.len() >= 4,
        "some sign-ins were answered before the kill: {}",
        tokens.len()
    );

    // Restarted, every session the server answered with is there.
    let (mut server, url) = serve(dir.path());
    let lost = rt.block_on(async {
        let client = reqwest::Client::new();
        let mut lost = 0;
        for t in &tokens {
            let r = client
                .get(format!("{url}/api/v1/departments"))
                .bearer_auth(t)
                .send()
                .await
                .unwrap();
            if r.status() == 401 {
                lost += 1;
            }
        }
        lost
    });
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(lost, 0, "of {} answered sign-ins", tokens.len());
    let verify = ok(&tongban(dir.path(), &["ledger", "verify"]));
    assert!(verify.contains("verified"), "{verify}");
}

#[test]
fn killed_during_an_ingest_the_data_keeps_its_last_version_and_loads_again() {
    let dir = tempfile::tempdir().unwrap();
    ok(&tongban(dir.path(), &["demo", "--seed-only"]));
    // Enough rows that loading takes a while.
    let csv = dir.path().join("air.csv");
    let mut text = String::from("监测站点,监测时间,空气质量指数,PM2.5浓度(μg/m³)\n");
    for n in 0..400_000u32 {
        text.push_str(&format!(
            "城东站,2026-11-{:02} {:02}:00,{},{}.5\n",
            1 + n % 28,
            n % 24,
            20 + n % 300,
            n % 90
        ));
    }
    std::fs::write(&csv, text).unwrap();
    let versions = |dir: &Path| -> u64 {
        let list: serde_json::Value =
            serde_json::from_str(&ok(&tongban(dir, &["catalog", "list", "--json"]))).unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .find(|r| r["code"] == "9901-HJ-0001")
            .unwrap()["current_version"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(versions(dir.path()), 1);
    let mut ingest = Command::new(env!("CARGO_BIN_EXE_tongban"))
        .args(["ingest", "9901-HJ-0001", csv.to_str().unwrap()])
        .arg("--data-dir")
        .arg(dir.path())
        .env_remove("TONGBAN_DATABASE_URL")
        .env_remove("TONGBAN_MASTER_KEY")
        .env("TONGBAN_LOG", "warn")
        // Its progress in Chinese, which the wait below reads.
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "zh_CN.UTF-8")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Killed once it has read its first rows (its progress is on standard error), long before
    // the 400,000th.
    let mut progress = ingest.stderr.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&seen).contains("已读取") {
        let n = std::io::Read::read(&mut progress, &mut buf).unwrap();
        assert!(n > 0, "the ingest ended before reading a row");
        seen.extend_from_slice(&buf[..n]);
    }
    ingest.kill().unwrap();
    ingest.wait().unwrap();
    // Nothing of the unfinished version counts: the catalogue still names version 1, and its
    // files are all there.
    let now = versions(dir.path());
    assert_eq!(now, 1, "the half-read version is not published");
    assert!(dir.path().join(format!("lake/9901-HJ-0001/v{now}")).is_dir());
    let verify = ok(&tongban(dir.path(), &["ledger", "verify"]));
    assert!(verify.contains("verified"), "{verify}");
    // The next load goes through, as the next version.
    let small = dir.path().join("small.csv");
    std::fs::write(
        &small,
        "监测站点,监测时间,空气质量指数,PM2.5浓度(μg/m³)\n城西站,2026-11-23 08:00,42,18.5\n",
    )
    .unwrap();
    ok(&tongban(
        dir.path(),
        &["ingest", "9901-HJ-0001", small.to_str().unwrap()],
    ));
    assert_eq!(versions(dir.path()), now + 1);
    let verify = ok(&tongban(dir.path(), &["ledger", "verify"]));
    assert!(verify.contains("verified"), "{verify}");
}

/// Forwards each connection on a port of this machine to the first of `backends` that accepts
/// it, starting with the next in turn: a load balancer that routes around a dead server.
async fn balancer(backends: Vec<String>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let at = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut turn = 0usize;
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else {
                return;
            };
            turn += 1;
            let order: Vec<String> = (0..backends.len())
                .map(|i| backends[(turn + i) % backends.len()].clone())
                .collect();
            tokio::spawn(async move {
                for backend in order {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&backend).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        return;
                    }
                }
            });
        }
    });
    at
}

#[test]
fn two_servers_on_one_postgresql_behind_a_balancer_survive_one_being_killed() {
    // A database of its own on the test server.
    let Some(db) = crate::cli::PostgresDatabase::new("tb_drill") else {
        return;
    };
    let database = db.url.clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let seeded = Command::new(env!("CARGO_BIN_EXE_tongban"))
        .args(["demo", "--seed-only"])
        .arg("--data-dir")
        .arg(dir.path())
        .env("TONGBAN_DATABASE_URL", &database)
        .env_remove("TONGBAN_MASTER_KEY")
        .env("TONGBAN_LOG", "warn")
        .env("TONGBAN_DEMO_ROWS", "200")
        .env("TONGBAN_DEMO_CASES", "40")
        .output()
        .unwrap();
    ok(&seeded);
    // Two servers share the database and the keys.
    let (mut first, first_url) = serve_on(dir.path(), Some(&database));
    let (mut second, second_url) = serve_on(dir.path(), Some(&database));
    let host = |u: &str| u.trim_start_matches("http://").to_string();
    let (before, after, tokens) = rt.block_on(async {
        let lb = balancer(vec![host(&first_url), host(&second_url)]).await;
        // A new connection for every request, as many browsers behind many proxies make.
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        let killed_at = Instant::now() + Duration::from_millis(1500);
        let mut workers = Vec::new();
        for who in ["citizen1", "citizen2", "ga_clerk", "sj_clerk"] {
            let (client, lb) = (client.clone(), lb.clone());
            workers.push(tokio::spawn(async move {
                // (answered before the kill, answered after it, failed after it, tokens)
                let (mut before, mut after, mut failed, mut tokens) = (0u32, 0u32, 0u32, Vec::new());
                let until = killed_at + Duration::from_millis(2500);
                while Instant::now() < until {
                    let r = client
                        .post(format!("{lb}/api/v1/auth/login"))
                        .json(&serde_json::json!({ "username": who, "password": "Tongban@2026" }))
                        .send()
                        .await;
                    let late = Instant::now() > killed_at + Duration::from_millis(300);
                    match r {
                        Ok(r) if r.status() == 200 || r.status() == 429 => {
                            if let Ok(v) = r.json::<serde_json::Value>().await
                                && let Some(t) = v["token"].as_str()
                            {
                                tokens.push(t.to_string());
                            }
                            if late { after += 1 } else { before += 1 }
                        }
                        _ if late => failed += 1,
                        _ => {}
                    }
                }
                (before, after, failed, tokens)
            }));
        }
        tokio::time::sleep_until(tokio::time::Instant::from_std(killed_at)).await;
        first.kill().unwrap();
        first.wait().unwrap();
        let (mut before, mut after, mut failed, mut tokens) = (0, 0, 0, Vec::new());
        for w in workers {
            let (b, a, f, t) = w.await.unwrap();
            before += b;
            after += a;
            failed += f;
            tokens.extend(t);
        }
        assert_eq!(
            failed, 0,
            "requests failed once the balancer routed around the dead server"
        );
        // Every session either server answered is good on the survivor.
        for t in &tokens {
            let r = client
                .get(format!("{lb}/api/v1/departments"))
                .bearer_auth(t)
                .send()
                .await
                .unwrap();
            assert_ne!(r.status(), 401, "a session answered before the kill is lost");
        }
        (before, after, tokens)
    });
    second.kill().unwrap();
    second.wait().unwrap();
    assert!(before > 0 && after > 0, "answered before {before}, after {after}");
    assert!(!tokens.is_empty());
    let verified = Command::new(env!("CARGO_BIN_EXE_tongban"))
        .args(["ledger", "verify"])
        .arg("--data-dir")
        .arg(dir.path())
        .env("TONGBAN_DATABASE_URL", &database)
        .env_remove("TONGBAN_MASTER_KEY")
        .env("LANG", "en_US.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("TONGBAN_LOG", "warn")
        .output()
        .unwrap();
    let said = ok(&verified);
    assert!(said.contains("verified"), "{said}");
    drop(db);
}
