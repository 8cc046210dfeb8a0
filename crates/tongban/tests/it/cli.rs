use std::path::Path;
use std::process::{Command, Output};

/// Runs the CLI in English (the assertions below read English output).
pub(crate) fn tongban(data_dir: &Path, args: &[&str]) -> Output {
    tongban_in("en_US.UTF-8", data_dir, args)
}

/// Runs the CLI under the locale `lang`.
fn tongban_in(lang: &str, data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tongban"))
        .args(args)
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", lang)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("TONGBAN_DATABASE_URL")
        .env_remove("TONGBAN_MASTER_KEY")
        .env("TONGBAN_LOG", "warn")
        // A small demo city keeps the tests quick; the README's demo loads 20,000 people.
        .env("TONGBAN_DEMO_ROWS", "200")
        .env("TONGBAN_DEMO_CASES", "40")
        .output()
        .expect("run tongban")
}

pub(crate) fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The entry names of a `.tar.gz`.
fn archive_names(archive: &Path) -> Vec<String> {
    let out = Command::new("tar").arg("-tzf").arg(archive).output().unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect()
}

/// Copies the master key of `from`'s data directory into `to`'s, as an operator restoring from
/// the key escrow would.
fn put_master_key(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.join("keys")).unwrap();
    std::fs::copy(from.join("keys/master.key"), to.join("keys/master.key")).unwrap();
}

fn count(data_dir: &Path, what: &str) -> usize {
    let out = ok(&tongban(data_dir, &["user", "list"]));
    out.lines().filter(|l| l.contains(what)).count()
}

#[test]
fn seeding_the_demo_twice_creates_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let first = ok(&tongban(dir.path(), &["demo", "--seed-only"]));
    assert!(first.contains("citizen1") && first.contains("sysadmin"));
    let users = ok(&tongban(dir.path(), &["user", "list"]));
    let depts = ok(&tongban(dir.path(), &["department", "list"]));
    let verify = ok(&tongban(dir.path(), &["ledger", "verify"]));
    ok(&tongban(dir.path(), &["demo", "--seed-only"]));
    assert_eq!(ok(&tongban(dir.path(), &["user", "list"])), users);
    assert_eq!(ok(&tongban(dir.path(), &["department", "list"])), depts);
    // Nothing new happened, so the ledger holds exactly as many entries as before.
    assert_eq!(ok(&tongban(dir.path(), &["ledger", "verify"])), verify);
    assert_eq!(count(dir.path(), "[demo]"), users.lines().count());
    assert!(depts.contains("公安局") && depts.contains("数据局"));
}

#[test]
fn a_backup_restores_into_an_empty_directory_and_still_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live");
    ok(&tongban(&live, &["demo", "--seed-only"]));
    ok(&tongban(&live, &["user", "lock", "citizen2"]));
    let archive = dir.path().join("backup.tar.gz");
    ok(&tongban(&live, &["backup", "--to", archive.to_str().unwrap()]));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&archive).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "only its owner reads the archive");
    assert!(
        !archive_names(&archive).iter().any(|n| n.ends_with("master.key")),
        "the master key stays out of the archive"
    );

    // Without the master key the restore says what to do, and writes nothing.
    let restored = dir.path().join("restored");
    let refused = tongban(&restored, &["restore", "--from", archive.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("TONGBAN_MASTER_KEY"));
    assert!(!restored.join("tongban.db").exists());
    // The operator puts the escrowed master key in place, then restores.
    put_master_key(&live, &restored);
    ok(&tongban(
        &restored,
        &["restore", "--from", archive.to_str().unwrap()],
    ));
    let verify = ok(&tongban(&restored, &["ledger", "verify"]));
    assert!(verify.contains("verified"), "{verify}");
    assert_eq!(
        ok(&tongban(&restored, &["user", "list"])),
        ok(&tongban(&live, &["user", "list"]))
    );
    let keys = std::fs::metadata(restored.join("keys").join("master.key")).unwrap();
    assert_eq!(keys.permissions().mode() & 0o777, 0o600);

    // Refuses to overwrite what is now a non-empty directory.
    let again = tongban(&restored, &["restore", "--from", archive.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
}

#[test]
fn the_restored_demo_signs_in() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live");
    ok(&tongban(&live, &["demo", "--seed-only"]));
    let archive = dir.path().join("b.tar.gz");
    // Asked for, the archive carries the master key (with a warning) and restores on its own.
    let out = tongban(
        &live,
        &[
            "backup",
            "--to",
            archive.to_str().unwrap(),
            "--include-master-key",
        ],
    );
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("master key"));
    assert!(archive_names(&archive).iter().any(|n| n.ends_with("master.key")));
    let restored = dir.path().join("restored");
    ok(&tongban(
        &restored,
        &["restore", "--from", archive.to_str().unwrap()],
    ));

    let mut child = Command::new(env!("CARGO_BIN_EXE_tongban"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(&restored)
        .env("TONGBAN_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read the printed portal address.
    use std::io::BufRead;
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(stdout).lines();
    let url = loop {
        let line = lines.next().expect("server printed its address").unwrap();
        if let Some(at) = line.find("http://") {
            break line[at..].trim().trim_end_matches('/').to_string();
        }
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async {
        reqwest::Client::new()
            .post(format!("{url}/api/v1/auth/login"))
            .json(&serde_json::json!({ "username": "citizen1", "password": "Tongban@2026" }))
            .send()
            .await
            .unwrap()
            .status()
    });
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, 200);
    let verify = ok(&tongban(&restored, &["ledger", "verify"]));
    assert!(verify.contains("verified"));
}

#[test]
fn ledger_verify_names_the_first_bad_entry_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    ok(&tongban(dir.path(), &["demo", "--seed-only"]));
    ok(&tongban(dir.path(), &["ledger", "verify"]));
    // Tamper with one event behind the platform's back.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let url = format!("sqlite://{}", dir.path().join("tongban.db").display());
        let db = tongban_db::Db::connect(&url, &Default::default()).await.unwrap();
        db.execute(
            "UPDATE events SET summary = 'nothing happened' WHERE seq = 3",
            tongban_db::params![],
        )
        .await
        .unwrap();
        db.close().await;
    });
    let out = tongban(dir.path(), &["ledger", "verify"]);
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains('3'), "names the entry: {text}");
}

#[test]
fn bad_configuration_is_refused_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("tongban.toml");
    std::fs::write(&cfg, "lisen = \"127.0.0.1:1\"\n").unwrap();
    let out = tongban(dir.path(), &["migrate", "--config", cfg.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("lisen"));
    let out = tongban(dir.path(), &["migrate", "--database-url", "mysql://nope"]);
    assert!(!out.status.success());
}

#[test]
fn operators_register_and_disable_department_systems() {
    let dir = tempfile::tempdir().unwrap();
    ok(&tongban(dir.path(), &["demo", "--seed-only"]));
    let out = ok(&tongban(
        dir.path(),
        &[
            "client",
            "add",
            "--department",
            "9901-GA",
            "--name",
            "户籍系统",
            "--scope",
            "exchange.read",
        ],
    ));
    let client_id = out
        .lines()
        .find_map(|l| l.strip_prefix("client_id:"))
        .unwrap()
        .trim()
        .to_string();
    let secret = out
        .lines()
        .find_map(|l| l.strip_prefix("client_secret:"))
        .unwrap()
        .trim()
        .to_string();
    assert!(client_id.starts_with("tbc_") && secret.len() >= 32);
    let list = ok(&tongban(dir.path(), &["client", "list"]));
    assert!(list.contains(&client_id) && list.contains("exchange.read") && !list.contains(&secret));
    ok(&tongban(dir.path(), &["client", "disable", &client_id]));
    assert!(ok(&tongban(dir.path(), &["client", "list"])).contains("[disabled]"));
    let missing = tongban(dir.path(), &["client", "disable", "tbc_nope"]);
    assert!(!missing.status.success());
}

#[test]
fn operators_register_rotate_and_disable_systems_that_sign_people_in() {
    let dir = tempfile::tempdir().unwrap();
    ok(&tongban(dir.path(), &["demo", "--seed-only"]));
    let add = |uri: &str| {
        tongban(
            dir.path(),
            &[
                "oidc",
                "client",
                "add",
                "人社业务系统",
                "--department",
                "9901-RS",
                "--redirect-uri",
                uri,
            ],
        )
    };
    let out = ok(&add("https://rs.example.gov.cn/callback"));
    let field = |out: &str, name: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap()
            .trim()
            .to_string()
    };
    let client_id = field(&out, "client_id:");
    let secret = field(&out, "client_secret:");
    assert!(client_id.starts_with("tbo_") && secret.len() >= 32, "{out}");
    assert!(out.contains("shown only this once"), "{out}");
    // A redirect URI that is neither https nor loopback is refused with the reason.
    let bad = add("http://rs.example.gov.cn/callback");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("redirect URI must be https"));
    let list = ok(&tongban(dir.path(), &["oidc", "client", "list"]));
    assert!(
        list.contains(&client_id) && list.contains("ES256") && !list.contains(&secret),
        "{list}"
    );
    let rotated = ok(&tongban(dir.path(), &["oidc", "client", "rotate", &client_id]));
    assert_ne!(field(&rotated, "client_secret:"), secret);
    let keys = ok(&tongban(dir.path(), &["oidc", "key", "rotate"]));
    assert!(keys.contains("es256-") && keys.contains("sm2-"), "{keys}");
    ok(&tongban(dir.path(), &["oidc", "client", "disable", &client_id]));
    assert!(ok(&tongban(dir.path(), &["oidc", "client", "list"])).contains("[disabled]"));
    assert!(
        !tongban(dir.path(), &["oidc", "client", "disable", "tbo_nope"])
            .status
            .success()
    );
}

#[test]
fn the_catalog_lists_as_a_table_and_as_json() {
    let dir = tempfile::tempdir().unwrap();
    ok(&tongban(dir.path(), &["demo", "--seed-only"]));
    let table = ok(&tongban(dir.path(), &["catalog", "list"]));
    assert!(table.contains("9901-GA-0001") && table.contains("conditional"));
    let json: serde_json::Value =
        serde_json::from_str(&ok(&tongban(dir.path(), &["catalog", "list", "--json"]))).unwrap();
    let rows = json.as_array().unwrap();
    let air = rows.iter().find(|r| r["code"] == "9901-HJ-0001").unwrap();
    assert_eq!(air["sharing_class"], "unconditional");
    assert_eq!(air["open_class"], "open");
    assert_eq!(air["provider_code"], "9901-HJ");
    assert_eq!(air["current_version"], 1, "the demo loads hourly air quality");
    for key in [
        "code",
        "name",
        "provider_code",
        "provider_name",
        "sharing_class",
        "open_class",
        "current_version",
    ] {
        assert!(rows.iter().all(|r| r.get(key).is_some()), "{key}");
    }
}

#[test]
fn an_administrator_enters_next_years_holidays() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("2027.toml");
    std::fs::write(&file, "[2027]\nholidays = [{ name = \"元旦\", from = \"2027-01-01\", to = \"2027-01-01\" }]\nmakeup_workdays = []\n").unwrap();
    ok(&tongban(
        dir.path(),
        &["calendar", "add", "--file", file.to_str().unwrap()],
    ));
    let years = ok(&tongban(dir.path(), &["calendar", "list"]));
    assert!(years.contains("2027") && years.contains("2026"));
    std::fs::write(&file, "[2026]\nholidays = []\nmakeup_workdays = []\n").unwrap();
    let refused = tongban(dir.path(), &["calendar", "add", "--file", file.to_str().unwrap()]);
    assert!(!refused.status.success(), "shipped years cannot be overwritten");
}

#[test]
fn ingest_loads_a_csv_into_a_version_and_reports_rejected_rows() {
    let dir = tempfile::tempdir().unwrap();
    ok(&tongban(dir.path(), &["demo", "--seed-only"]));
    let csv = dir.path().join("air.csv");
    std::fs::write(
        &csv,
        "监测站点,监测时间,空气质量指数,PM2.5浓度(μg/m³)\n\
         城东站,2026-11-23 08:00,42,18.5\n\
         城西站,2026年11月23日 8时0分,57,30\n\
         城南站,2026/11/23 08:00,900,12\n\
         城北站,2026-11-23 08:00,61,33.1\n",
    )
    .unwrap();
    let out = ok(&tongban(
        dir.path(),
        &["ingest", "9901-HJ-0001", csv.to_str().unwrap(), "--json"],
    ));
    let report: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(report["resource"], "9901-HJ-0001");
    assert_eq!(report["version"], 2, "the demo city already holds version 1");
    assert_eq!(report["accepted"], 3);
    assert_eq!(report["rejected"], 1);
    let rejects = std::fs::read_to_string(report["reject_report"].as_str().unwrap()).unwrap();
    assert!(rejects.contains("900") && rejects.contains("aqi"), "{rejects}");
    assert!(dir.path().join("lake/9901-HJ-0001/v2/part-0.parquet").exists());
    let list: serde_json::Value =
        serde_json::from_str(&ok(&tongban(dir.path(), &["catalog", "list", "--json"]))).unwrap();
    let air = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "9901-HJ-0001")
        .unwrap()
        .clone();
    assert_eq!(air["current_version"], 2);

    // Nothing readable: non-zero exit, and no new version.
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    assert!(
        !tongban(dir.path(), &["ingest", "9901-HJ-0001", empty.to_str().unwrap()])
            .status
            .success()
    );
    assert!(!dir.path().join("lake/9901-HJ-0001/v3").exists());

    // JSON Lines, found from the content: the same governance, both reject reports.
    let jsonl = dir.path().join("air.jsonl");
    std::fs::write(
        &jsonl,
        "{\"监测站点\": \"城东站\", \"监测时间\": \"2026-11-24 08:00\", \"空气质量指数\": 40}\n\
         [\"not\", \"an\", \"object\"]\n",
    )
    .unwrap();
    let out = ok(&tongban(
        dir.path(),
        &["ingest", "9901-HJ-0001", jsonl.to_str().unwrap(), "--json"],
    ));
    let report: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(report["version"], 3);
    assert_eq!(report["format"], "jsonl");
    assert_eq!(report["accepted"], 1);
    assert_eq!(report["rejected"], 1, "the line that is not an object");
    assert!(std::path::Path::new(report["reject_report_xlsx"].as_str().unwrap()).exists());
}

#[test]
fn query_runs_sql_under_the_users_grants_and_refuses_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    ok(&tongban(dir.path(), &["demo", "--seed-only"]));
    // 人社局 holds a grant on three fields of the business registry; its approver may query.
    let sql = "SELECT * FROM \"9901-SJ-0001\" ORDER BY credit_code LIMIT 3";
    let out = ok(&tongban(
        dir.path(),
        &["query", "--as", "rs_approver", "--purpose", "参保单位核验", sql],
    ));
    let header = out.lines().next().unwrap();
    assert_eq!(header, "credit_code,entity_name,status");
    assert_eq!(out.lines().count(), 4);

    let json = ok(&tongban(
        dir.path(),
        &["query", "--as", "rs_approver", "--format", "json", sql],
    ));
    let rows: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 3);
    assert!(rows[0].get("legal_rep").is_none());

    let refused = tongban(
        dir.path(),
        &[
            "query",
            "--as",
            "rs_approver",
            "SELECT legal_rep FROM \"9901-SJ-0001\"",
        ],
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("legal_rep"));

    let no_grant = tongban(
        dir.path(),
        &[
            "query",
            "--as",
            "jy_approver",
            "SELECT count(*) FROM \"9901-SJ-0001\"",
        ],
    );
    assert!(!no_grant.status.success());
    assert!(String::from_utf8_lossy(&no_grant.stderr).contains("9901-SJ-0001"));

    // The household register is granted to 人社局 for prefilling only: no SQL over it, and a
    // window clerk has no SQL at all.
    let register = tongban(
        dir.path(),
        &[
            "query",
            "--as",
            "rs_approver",
            "SELECT id_number, name, address FROM \"9901-GA-0001\"",
        ],
    );
    assert!(!register.status.success());
    assert!(String::from_utf8_lossy(&register.stderr).contains("9901-GA-0001"));
    let clerk = tongban(dir.path(), &["query", "--as", "rs_clerk", "SELECT 1"]);
    assert!(!clerk.status.success(), "a window clerk has no SQL");

    let unknown = tongban(dir.path(), &["query", "--as", "nobody", "SELECT 1"]);
    assert!(!unknown.status.success(), "an unknown account cannot be acted as");
}

#[test]
fn operators_issue_list_and_revoke_open311_keys() {
    let dir = tempfile::tempdir().unwrap();
    let added = ok(&tongban(dir.path(), &["open311", "key", "add", "city-app"]));
    let key = added
        .lines()
        .find_map(|l| l.strip_prefix("api_key: "))
        .expect("the key is printed");
    assert!(key.starts_with("o311_") && key.len() > 40, "{added}");
    let listed = ok(&tongban(dir.path(), &["open311", "key", "list"]));
    assert!(
        listed.contains("city-app") && !listed.contains("[revoked]"),
        "{listed}"
    );
    assert!(!listed.contains(key), "keys are never listed");
    // One active key per name.
    assert!(
        !tongban(dir.path(), &["open311", "key", "add", "city-app"])
            .status
            .success()
    );
    ok(&tongban(dir.path(), &["open311", "key", "revoke", "city-app"]));
    let listed = ok(&tongban(dir.path(), &["open311", "key", "list"]));
    assert!(listed.contains("[revoked]"), "{listed}");
    assert!(
        !tongban(dir.path(), &["open311", "key", "revoke", "city-app"])
            .status
            .success()
    );
    assert!(
        !tongban(dir.path(), &["open311", "key", "add", "bad name"])
            .status
            .success()
    );
}

#[test]
fn licences_list_export_and_verify_offline_and_online() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    ok(&tongban(&data, &["demo", "--seed-only"]));
    let listed: serde_json::Value =
        serde_json::from_str(&ok(&tongban(&data, &["licence", "list", "--json"]))).unwrap();
    let rows = listed.as_array().unwrap();
    assert!(
        rows.len() >= 4,
        "the demo's own four, and those of completed demo cases: {listed}"
    );
    let good = rows
        .iter()
        .find(|r| r["type"] == "food-business-licence")
        .unwrap();
    let revoked = rows.iter().find(|r| r["status"] == "revoked").unwrap();
    assert_eq!(good["status"], "valid");
    assert!(
        rows.iter()
            .all(|r| r["holder_id"].as_str().unwrap().contains("****"))
    );

    let good_file = dir.path().join("good.json");
    let revoked_file = dir.path().join("revoked.json");
    let certs = dir.path().join("certs");
    let num = |r: &serde_json::Value| r["number"].as_str().unwrap().to_string();
    ok(&tongban(
        &data,
        &[
            "licence",
            "export",
            &num(good),
            "--to",
            good_file.to_str().unwrap(),
        ],
    ));
    ok(&tongban(
        &data,
        &[
            "licence",
            "export",
            &num(revoked),
            "--to",
            revoked_file.to_str().unwrap(),
        ],
    ));
    let exported = ok(&tongban(
        &data,
        &["seal", "export-certs", "--to", certs.to_str().unwrap()],
    ));
    // Eight bureaus' 公章 and five 证照专用章.
    assert!(
        exported.contains("13 seal certificates and 1 revocations"),
        "{exported}"
    );

    // Offline: nothing but the file and the folder (the data directory given is empty).
    let empty = dir.path().join("elsewhere");
    let verify = |data_dir: &Path, file: &Path, with_certs: bool| {
        let mut args = vec!["verify", file.to_str().unwrap()];
        if with_certs {
            args.extend(["--certs", certs.to_str().unwrap()]);
        }
        tongban(data_dir, &args)
    };
    let out = verify(&empty, &good_file, true);
    let text = ok(&out);
    assert!(
        text.contains("Valid") && text.contains("示范市市场监督管理局"),
        "{text}"
    );
    assert!(!empty.exists(), "offline verification touches no data directory");
    let out = verify(&empty, &revoked_file, true);
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Revoked"));

    // One changed byte: tampered, offline and online.
    let changed = std::fs::read_to_string(&good_file)
        .unwrap()
        .replacen("热食类", "冷食类", 1);
    let tampered_file = dir.path().join("tampered.json");
    std::fs::write(&tampered_file, changed).unwrap();
    let out = verify(&empty, &tampered_file, true);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Tampered with"));
    assert_eq!(verify(&data, &tampered_file, false).status.code(), Some(2));
    assert_eq!(verify(&data, &good_file, false).status.code(), Some(0));

    // A folder that does not vouch for the seal: unknown seal.
    let seals_dir = certs.join("seals");
    for entry in std::fs::read_dir(&seals_dir).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
    let out = verify(&empty, &good_file, true);
    assert_eq!(out.status.code(), Some(3));
    // An unknown number cannot be exported.
    assert!(
        !tongban(
            &data,
            &["licence", "export", "DZZZ-2026-99999999", "--to", "/dev/null"]
        )
        .status
        .success()
    );
}

/// The CLI speaks the locale's language, never both glued together: Chinese under zh_CN (and
/// when no locale names English), English under en_US — results, notices and errors alike.
#[test]
fn the_cli_speaks_the_language_of_its_locale() {
    let dir = tempfile::tempdir().unwrap();
    let zh = tongban_in("zh_CN.UTF-8", dir.path(), &["calendar", "list"]);
    let zh = ok(&zh);
    assert!(zh.contains("随版本发布") && !zh.contains("shipped"), "{zh}");
    let en = ok(&tongban(dir.path(), &["calendar", "list"]));
    assert!(en.contains("shipped") && !en.contains("随版本发布"), "{en}");
    let migrated = ok(&tongban_in("C.UTF-8", dir.path(), &["migrate"]));
    assert!(
        migrated.contains("数据库已是最新") && !migrated.contains("up to date"),
        "{migrated}"
    );
    // A domain error is cut to the locale's half.
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[2030]\nholidays = oops\n").unwrap();
    for (lang, wanted, unwanted) in [
        ("zh_CN.UTF-8", "错误：", "error:"),
        ("en_US.UTF-8", "error:", "错误"),
    ] {
        let out = tongban_in(
            lang,
            dir.path(),
            &["calendar", "add", "--file", bad.to_str().unwrap()],
        );
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(wanted) && !err.contains(unwanted), "{lang}: {err}");
        assert!(!err.contains(" / "), "{lang}: glued: {err}");
    }
    // The ledger's verdict too.
    let zh = ok(&tongban_in("zh_CN.UTF-8", dir.path(), &["ledger", "verify"]));
    assert!(zh.contains("账本校验通过") && !zh.contains("verified"), "{zh}");
    let en = ok(&tongban(dir.path(), &["ledger", "verify"]));
    assert!(en.contains("ledger verified") && !en.contains("账本"), "{en}");
}

/// Values (text or bytes) anywhere in the demo's SQLite database still sealed under data key
/// `id`, table by table: every column of every table is looked at, so a sealed column that no
/// crate declared would show up here.
fn sealed_under(data_dir: &Path, id: &str) -> Vec<(String, i64)> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let url = format!("sqlite://{}", data_dir.join("tongban.db").display());
        let db = tongban_db::Db::connect(&url, &Default::default()).await.unwrap();
        let tables = db
            .fetch_all("SELECT name FROM sqlite_master WHERE type = 'table'", vec![])
            .await
            .unwrap();
        let mut found = Vec::new();
        let head = {
            let mut h = vec![u8::try_from(id.len()).unwrap()];
            h.extend_from_slice(id.as_bytes());
            h.iter().map(|b| format!("{b:02x}")).collect::<String>()
        };
        for t in tables {
            let table: String = t.get("name").unwrap();
            let columns = db
                .fetch_all(&format!("SELECT name FROM pragma_table_info('{table}')"), vec![])
                .await
                .unwrap();
            for c in columns {
                let column: String = c.get("name").unwrap();
                let n: i64 = db
                    .fetch_one(
                        &format!(
                            "SELECT count(*) AS n FROM \"{table}\" WHERE (typeof(\"{column}\") = 'text' AND \"{column}\" LIKE '%sm4gcm:v1:{id}:%') \
                             OR (typeof(\"{column}\") = 'blob' AND hex(substr(\"{column}\", 1, {len})) = upper('{head}'))",
                            len = id.len() + 1,
                        ),
                        vec![],
                    )
                    .await
                    .unwrap()
                    .get("n")
                    .unwrap();
                if n > 0 {
                    found.push((format!("{table}.{column}"), n));
                }
            }
        }
        db.close().await;
        found
    })
}

#[test]
fn a_data_key_rotation_and_reencryption_leave_nothing_under_the_old_key_and_everything_readable() {
    rotation_and_reencryption(None);
}

#[test]
fn a_data_key_rotation_and_reencryption_work_on_postgresql_too() {
    let Some(db) = PostgresDatabase::new("tb_keys") else {
        return;
    };
    rotation_and_reencryption(Some(&db.url));
}

/// A PostgreSQL database of its own on the test server (`TONGBAN_TEST_DATABASE_URL`), dropped
/// when done. `None` outside CI without that server; in CI its absence fails the test.
pub(crate) struct PostgresDatabase {
    /// Its URL.
    pub(crate) url: String,
    admin: String,
    name: String,
}

/// The test PostgreSQL server (`TONGBAN_TEST_DATABASE_URL`). `None` outside CI without it; in
/// CI its absence fails the test.
pub(crate) fn postgres_url() -> Option<String> {
    let Ok(url) = std::env::var("TONGBAN_TEST_DATABASE_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs this on PostgreSQL: set TONGBAN_TEST_DATABASE_URL"
        );
        eprintln!("needs TONGBAN_TEST_DATABASE_URL; not run");
        return None;
    };
    Some(url)
}

impl PostgresDatabase {
    pub(crate) fn new(prefix: &str) -> Option<PostgresDatabase> {
        let admin = postgres_url()?;
        let name = format!("{prefix}_{}", std::process::id());
        let base = admin.split('?').next().unwrap_or(&admin);
        let url = format!("{}/{name}", base.rsplit_once('/').unwrap().0);
        let db = PostgresDatabase { url, admin, name };
        db.admin_sql(&format!("DROP DATABASE IF EXISTS {}", db.name));
        db.admin_sql(&format!("CREATE DATABASE {}", db.name));
        Some(db)
    }

    fn admin_sql(&self, sql: &str) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let admin = tongban_db::Db::connect(&self.admin, &tongban_db::DbOptions::default())
                .await
                .unwrap();
            let _ = admin.execute(sql, vec![]).await;
            admin.close().await;
        });
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        self.admin_sql(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}

/// A valid licence of the demo exports from its sealed file and verifies (`run` runs the CLI).
fn a_valid_licence_exports_and_verifies(dir: &Path, run: &dyn Fn(&[&str]) -> Output) {
    let listed: serde_json::Value = serde_json::from_str(&ok(&run(&["licence", "list", "--json"]))).unwrap();
    let valid = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["status"] == "valid")
        .unwrap();
    let file = dir.join("l.json");
    ok(&run(&[
        "licence",
        "export",
        valid["number"].as_str().unwrap(),
        "--to",
        file.to_str().unwrap(),
    ]));
    let verified = ok(&run(&["verify", file.to_str().unwrap()]));
    assert!(verified.contains("Valid"), "{verified}");
}

/// Seeds the demo (on `database`, or SQLite in the data directory), rotates, re-encrypts and
/// checks that nothing is left under the old key and that sealed data still opens.
fn rotation_and_reencryption(database: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tongban"));
        c.args(args)
            .arg("--data-dir")
            .arg(&data)
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env("LANG", "en_US.UTF-8")
            .env_remove("TONGBAN_MASTER_KEY")
            .env("TONGBAN_LOG", "warn")
            .env("TONGBAN_DEMO_ROWS", "200")
            .env("TONGBAN_DEMO_CASES", "40");
        match database {
            Some(url) => c.env("TONGBAN_DATABASE_URL", url),
            None => c.env_remove("TONGBAN_DATABASE_URL"),
        };
        c.output().expect("run tongban")
    };
    ok(&run(&["demo", "--seed-only"]));
    if database.is_none() {
        let before = sealed_under(&data, "k1");
        for declared in [
            "accounts.id_number_enc",
            "hall_cases.form_sealed",
            "licences.signed_enc",
            "interact_items.title",
        ] {
            assert!(
                before.iter().any(|(c, _)| c == declared),
                "{declared} holds sealed values: {before:?}"
            );
        }
    }
    let status = ok(&run(&["keys", "status"]));
    assert!(status.starts_with("k1 (active)"), "{status}");
    assert!(status.contains("accounts.id_number_enc\tk1="), "{status}");
    assert!(status.contains("hall_files.body\tk1="), "{status}");

    let rotated = ok(&run(&["keys", "rotate"]));
    assert!(rotated.contains("data key k2 is active"), "{rotated}");
    let out = run(&["keys", "reencrypt", "--batch", "7"]);
    let said = ok(&out);
    let progress = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        progress.contains("hall_cases.form_sealed: 7/"),
        "progress per batch: {progress}"
    );
    assert!(said.contains("all are under data key k2"), "{said}");
    // Nothing is left under k1, column by column (and, on SQLite, anywhere in the database).
    let status = ok(&run(&["keys", "status"]));
    assert!(
        status.contains("k2 (active)") && !status.contains("k1="),
        "{status}"
    );
    if database.is_none() {
        assert_eq!(sealed_under(&data, "k1"), Vec::<(String, i64)>::new());
    }
    // Stopping and running again is safe: nothing is left to do.
    let again = ok(&run(&["keys", "reencrypt"]));
    assert!(again.contains("done: 0 values resealed"), "{again}");
    // Every batch is an event, and the ledger still verifies.
    ok(&run(&["ledger", "verify"]));
    // Sealed data still opens: a licence exports from its sealed file and verifies.
    a_valid_licence_exports_and_verifies(dir.path(), &run);
}

#[test]
fn the_master_key_is_replaced_and_everything_it_wrapped_still_opens() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    ok(&tongban(&data, &["demo", "--seed-only"]));
    let old = std::fs::read_to_string(data.join("keys/master.key")).unwrap();
    let said = ok(&tongban(&data, &["keys", "rotate-master"]));
    assert!(said.contains("master key replaced"), "{said}");
    let new = std::fs::read_to_string(data.join("keys/master.key")).unwrap();
    assert_ne!(old.trim(), new.trim());
    assert_eq!(
        std::fs::read_to_string(data.join("keys/master.key.accepted"))
            .unwrap()
            .trim(),
        old.trim()
    );
    // Nothing is left under the old key; a second rotation waits until it is let go of.
    let status = ok(&tongban(&data, &["keys", "status"]));
    assert!(
        status.contains("seal and signing keys: 0 still under an older master key"),
        "{status}"
    );
    let refused = tongban(&data, &["keys", "rotate-master"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("tongban keys rewrap"));
    let rewrap = ok(&tongban(&data, &["keys", "rewrap"]));
    assert!(rewrap.contains("0 seal and signing keys rewrapped"), "{rewrap}");
    // With the old key gone, seals still sign (OIDC and seal keys were rewrapped), licences
    // still open and verify, and the ledger (signed by the platform key) verifies.
    std::fs::remove_file(data.join("keys/master.key.accepted")).unwrap();
    ok(&tongban(&data, &["ledger", "verify"]));
    a_valid_licence_exports_and_verifies(dir.path(), &|args| tongban(&data, args));
    // Every seal's private key opens under the new master key alone.
    let keyring = tongban_crypto::Keyring::open(&data.join("keys"), None).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let opened = rt.block_on(async {
        let url = format!("sqlite://{}", data.join("tongban.db").display());
        let db = tongban_db::Db::connect(&url, &Default::default()).await.unwrap();
        let rows = db
            .fetch_all("SELECT id, private_key FROM seals", vec![])
            .await
            .unwrap();
        let n = rows.len();
        for r in rows {
            let id: String = r.get("id").unwrap();
            let wrapped: String = r.get("private_key").unwrap();
            keyring
                .unwrap_secret(&format!("seal/{id}"), &wrapped)
                .unwrap_or_else(|e| panic!("seal {id}: {e}"));
        }
        // The rotation and the catch-up are told apart in the ledger.
        let actions: Vec<String> = db
            .fetch_all(
                "SELECT action FROM events WHERE action LIKE 'crypto.master_key.%' ORDER BY seq",
                vec![],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get("action").unwrap())
            .collect();
        assert_eq!(
            actions,
            ["crypto.master_key.rotated", "crypto.master_key.rewrapped"]
        );
        db.close().await;
        n
    });
    assert!(opened >= 13, "{opened}");
    // A backup leaves both master key files out.
    let archive = dir.path().join("b.tar.gz");
    std::fs::write(data.join("keys/master.key.accepted"), &old).unwrap();
    ok(&tongban(&data, &["backup", "--to", archive.to_str().unwrap()]));
    let names = archive_names(&archive);
    assert!(!names.iter().any(|n| n.contains("master.key")), "{names:?}");
}

#[test]
fn a_seal_key_is_replaced_from_the_command_line_and_every_licence_still_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    ok(&tongban(&data, &["demo", "--seed-only"]));
    let listed = ok(&tongban(&data, &["seal", "list"]));
    let line = listed
        .lines()
        .find(|l| l.contains("证照专用章") && l.contains("示范市市场监督管理局"))
        .unwrap_or_else(|| panic!("{listed}"));
    let id = line.split_whitespace().next().unwrap();
    let said = ok(&tongban(&data, &["seal", "rotate", id]));
    assert!(
        said.contains("replaced the key of") && said.contains("export-certs"),
        "{said}"
    );
    let listed = ok(&tongban(&data, &["seal", "list"]));
    let old = listed.lines().find(|l| l.starts_with(id)).unwrap();
    assert!(old.contains("retired, replaced by"), "{old}");
    // A second replacement of the retired one is refused, naming why.
    let again = tongban(&data, &["seal", "rotate", id]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("retired"),
        "{again:?}"
    );
    // Licences the old key signed still export and verify; the ledger still verifies.
    a_valid_licence_exports_and_verifies(dir.path(), &|args| tongban(&data, args));
    ok(&tongban(&data, &["ledger", "verify"]));
}
