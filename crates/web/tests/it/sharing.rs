use crate::support::{
    PASSWORD, Server, api_token_with_mfa, browser, csrf_of, sets, sign_in, sign_in_with_mfa, system_token,
};
use tongban_catalog::{ResourceInput, SharingClass};
use tongban_kernel::{Principal, Role, RoleGrant};
use tongban_test_support::each_backend;

/// 公安局 provides a conditional resource; 民政局's admin requests it, the data authority reviews,
/// 公安局's admin grants. Adds the staff this needs to the shared test city.
async fn seed(s: &Server) -> String {
    let sys = Principal::system("test");
    let city = s.identity.department_by_code(&sys, "9901").await.unwrap();
    for (username, dept, role) in [
        ("mz_admin", "9901-MZ", Role::DeptAdmin),
        ("ga_admin", "9901-GA", Role::DeptAdmin),
        ("data_admin", "9901", Role::DataAdmin),
    ] {
        let d = s.identity.department_by_code(&sys, dept).await.unwrap();
        let v = s
            .identity
            .create_staff(
                &sys,
                tongban_identity::NewStaff {
                    username: username.into(),
                    display_name: username.into(),
                    password: PASSWORD.into(),
                    department: d.id.clone(),
                    roles: vec![role],
                    phone: None,
                    is_demo: false,
                },
            )
            .await
            .unwrap();
        if role == Role::DataAdmin {
            s.identity
                .set_roles(
                    &sys,
                    &v.id,
                    vec![RoleGrant {
                        role,
                        scope: city.path.clone(),
                    }],
                )
                .await
                .unwrap();
        }
    }
    let r = crate::support::publish_household_register(s).await;
    assert_eq!(r.sharing.class, SharingClass::Conditional);
    r.code
}

async fn act(c: &reqwest::Client, s: &Server, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let page = c.get(s.url(path)).send().await.unwrap().text().await.unwrap();
    let csrf = csrf_of(&page);
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(form);
    c.post(s.url(&format!("{path}/act")))
        .form(&all)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_conditional_request_goes_from_requester_to_data_authority_to_provider_and_becomes_a_grant() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let code = seed(&s).await;

        // 民政局 files the request through the form, naming fields.
        let mz = browser();
        sign_in_with_mfa(&mz, &s, "mz_admin").await;
        let page = mz
            .get(s.url(&format!("/console/catalog/{code}/request")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = csrf_of(&page);
        // Without a purpose the form comes back naming the field.
        let r = mz
            .post(s.url(&format!("/console/catalog/{code}/request")))
            .form(&[
                ("csrf", csrf.as_str()),
                ("field", "id_number"),
                ("legal_basis", "《社会救助暂行办法》"),
                ("valid_until", "2027-06-30"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("href=\"#purpose\""));
        let r = mz
            .post(s.url(&format!("/console/catalog/{code}/request")))
            .form(&[
                ("csrf", csrf.as_str()),
                ("field", "id_number"),
                ("field", "district"),
                ("purpose", "低保户籍核验"),
                ("legal_basis", "《社会救助暂行办法》第十一条"),
                ("valid_until", "2027-06-30"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let path = r.headers()["location"].to_str().unwrap().to_string();
        assert!(path.starts_with("/console/sharing/"));

        // A clerk of 公安局 may not review or decide.
        let clerk = browser();
        sign_in(&clerk, &s, "ga_clerk", PASSWORD).await;
        assert_eq!(
            act(&clerk, &s, &path, &[("action", "approve")]).await.status(),
            403
        );

        // The data authority approves; refusing without reasons is refused, naming the field.
        let da = browser();
        sign_in(&da, &s, "data_admin", PASSWORD).await;
        assert!(
            da.get(s.url("/console/sharing"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
                .contains("9901-GA-0001")
        );
        let r = act(&da, &s, &path, &[("action", "reject"), ("reasons", "")]).await;
        assert_eq!(r.status(), 422);
        assert_eq!(
            act(&da, &s, &path, &[("action", "approve"), ("note", "符合条件")])
                .await
                .status(),
            303
        );

        // 公安局 grants both fields, the ID number in clear; the decision form names the fields.
        let ga = browser();
        sign_in_with_mfa(&ga, &s, "ga_admin").await;
        let page = ga.get(s.url(&path)).send().await.unwrap().text().await.unwrap();
        assert!(
            !page.contains("<code>id_number</code>"),
            "names, not codes: {page}"
        );
        // The form asks what the grant may be used for: ordinary sharing is ticked, prefill not.
        assert!(
            page.contains("name=\"use\" value=\"exchange\" checked")
                && page.contains("name=\"use\" value=\"query\" checked")
                && page.contains("name=\"use\" value=\"prefill\">"),
            "{page}"
        );
        // Clear text cannot be granted for queries: refused on the uses, what was ticked kept.
        let r = act(
            &ga,
            &s,
            &path,
            &[
                ("action", "grant"),
                ("field", "district"),
                ("field", "id_number"),
                ("clear", "id_number"),
                ("clear_basis", "入户核查须核对完整证件号"),
                ("use", "exchange"),
                ("use", "query"),
            ],
        )
        .await;
        assert_eq!(r.status(), 422);
        let refused = r.text().await.unwrap();
        assert!(
            refused.contains("href=\"#uses\"") && refused.contains("不能用于查询分析"),
            "{refused}"
        );
        assert!(
            refused.contains("name=\"use\" value=\"query\" checked"),
            "{refused}"
        );
        let r = act(
            &ga,
            &s,
            &path,
            &[
                ("action", "grant"),
                ("field", "district"),
                ("field", "id_number"),
                ("clear", "id_number"),
                ("clear_basis", "入户核查须核对完整证件号"),
                ("use", "exchange"),
            ],
        )
        .await;
        assert_eq!(r.status(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_string();
        let page = ga.get(s.url(&to)).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("已授权"), "granted");
        assert!(
            page.contains("已同意共享，授权即时生效"),
            "told it was done: {page}"
        );
        // Wherever the grant is listed, the clear-text field is flagged with its basis.
        let list = ga
            .get(s.url("/console/sharing"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            list.contains("class=\"clear-warning\"") && list.contains("入户核查须核对完整证件号"),
            "{list}"
        );
        assert!(list.contains("<td>民政局</td>"), "the grantee by name: {list}");
        assert!(
            list.contains("可用于：系统对接查询"),
            "the grant says what it is for: {list}"
        );
        // The grant is for exchange lookups only: the requester's SQL page does not offer the
        // table. Granted again for queries without clear text, the page says why it is readable.
        load_people(&s, &code).await;
        crate::support::add_staff(&s, "mz_analyst", "9901-MZ", Role::Analyst).await;
        let mz_analyst = browser();
        sign_in(&mz_analyst, &s, "mz_analyst", PASSWORD).await;
        let q = mz_analyst
            .get(s.url("/console/query"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(q.contains("id=\"sql\"") && !q.contains(&code), "{q}");

        let mz_dept = s
            .identity
            .department_by_code(&Principal::system("test"), "9901-MZ")
            .await
            .unwrap();
        let grantee = tongban_catalog::Grantee::Department {
            id: mz_dept.id.to_string(),
            path: mz_dept.path,
        };
        let grant = s
            .catalog()
            .effective_grant(&grantee, &code, s.catalog().today())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            grant.fields,
            vec!["id_number".to_string(), "district".to_string()]
        );
        assert_eq!(grant.clear_fields, vec!["id_number".to_string()]);
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_open_data_catalog_lists_only_open_resources_and_exports_dcat() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let code = seed(&s).await;
        let page = reqwest::get(s.url("/open-data"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!page.contains(&code), "a conditional resource is not open data");
        assert_eq!(
            reqwest::get(s.url(&format!("/open-data/{code}")))
                .await
                .unwrap()
                .status(),
            404
        );
        let r = reqwest::get(s.url("/open-data/catalog.jsonld")).await.unwrap();
        assert_eq!(r.headers()["content-type"], "application/ld+json");
        let doc: serde_json::Value = r.json().await.unwrap();
        assert!(doc["@context"].is_object() || doc["@context"].is_array() || doc["@context"].is_string());
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_provider_uploads_a_csv_and_watches_it_load_into_a_new_version() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let code = seed(&s).await;
        let csv = "公民身份号码,姓名,区县\n11010519491231002X,张三,城东区\n110105194912310021,李四,城西区\n";
        let form = |csrf: &str| {
            reqwest::multipart::Form::new()
                .text("csrf", csrf.to_string())
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("hj.csv"),
                )
        };

        // Another bureau's admin may not upload; a missing token is refused.
        let mz = browser();
        sign_in_with_mfa(&mz, &s, "mz_admin").await;
        assert_eq!(
            mz.get(s.url(&format!("/console/catalog/{code}/upload")))
                .send()
                .await
                .unwrap()
                .status(),
            403
        );
        // Nor may the city-wide data authority: it keeps the catalogue, the provider loads data.
        let da = browser();
        sign_in(&da, &s, "data_admin", PASSWORD).await;
        assert_eq!(
            da.get(s.url(&format!("/console/catalog/{code}/upload")))
                .send()
                .await
                .unwrap()
                .status(),
            403
        );

        let ga = browser();
        sign_in_with_mfa(&ga, &s, "ga_admin").await;
        let page = ga
            .get(s.url(&format!("/console/catalog/{code}/upload")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = csrf_of(&page);
        let r = ga
            .post(s.url(&format!("/console/catalog/{code}/upload")))
            .multipart(form("forged"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);

        let r = ga
            .post(s.url(&format!("/console/catalog/{code}/upload")))
            .multipart(form(&csrf))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let load = r.headers()["location"].to_str().unwrap().to_string();
        let mut page = String::new();
        for _ in 0..100 {
            page = ga.get(s.url(&load)).send().await.unwrap().text().await.unwrap();
            if !page.contains("http-equiv=\"refresh\"") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(page.contains("v1"), "{page}");
        let rejects = ga
            .get(s.url(&format!("{load}/rejects.csv")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            rejects.contains("id_number") && !rejects.contains("110105194912310021"),
            "masked: {rejects}"
        );
        assert!(page.contains("rejects.xlsx"), "{page}");
        let xlsx = ga
            .get(s.url(&format!("{load}/rejects.xlsx")))
            .send()
            .await
            .unwrap();
        assert_eq!(xlsx.status(), 200);
        let disposition = xlsx.headers()["content-disposition"].to_str().unwrap().to_owned();
        assert!(disposition.ends_with(".xlsx\""), "{disposition}");
        let book = xlsx.bytes().await.unwrap();
        assert!(book.starts_with(b"PK\x03\x04"), "a workbook (zip)");
        let theirs = mz
            .get(s.url(&format!("{load}/rejects.xlsx")))
            .send()
            .await
            .unwrap();
        assert_eq!(theirs.status(), 404);
        // The load page is its owner's only.
        assert_eq!(mz.get(s.url(&load)).send().await.unwrap().status(), 404);
        let resource = s
            .catalog()
            .resource_by_code(&Principal::system("test"), &code)
            .await
            .unwrap();
        assert_eq!(resource.current_version, 1);
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_data_load_over_the_limit_is_refused_and_leaves_no_file_behind() {
    each_backend(&sets(), |db| async move {
        let dir = std::env::temp_dir().join(format!("tongban-uploads-{}", tongban_kernel::id::new_uuid_v7()));
        let spool = dir.clone();
        let s = Server::start_with(db, move |w| {
            w.upload_limit = 64;
            w.upload_dir = spool;
        })
        .await;
        let code = seed(&s).await;
        let ga = browser();
        sign_in_with_mfa(&ga, &s, "ga_admin").await;
        let page = ga
            .get(s.url(&format!("/console/catalog/{code}/upload")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csv = "公民身份号码,姓名,区县\n11010519491231002X,张三,城东区\n110105194912310021,李四,城西区\n";
        let form = reqwest::multipart::Form::new().text("csrf", csrf_of(&page)).part(
            "file",
            reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("hj.csv"),
        );
        let r = ga
            .post(s.url(&format!("/console/catalog/{code}/upload")))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 413);
        let body = r.text().await.unwrap();
        assert!(
            body.contains("上限") && body.contains("拆分"),
            "said in the page's language: {body}"
        );
        let left: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| d.flatten().collect())
            .unwrap_or_default();
        assert!(left.is_empty(), "the partial file is removed: {left:?}");
        s.stop().await;
        let _ = std::fs::remove_dir_all(&dir);
    })
    .await;
}

#[tokio::test]
async fn the_sql_page_answers_within_the_users_grants() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let code = seed(&s).await;
        load_people(&s, &code).await;

        // A window clerk has no SQL page; the provider's analyst (查询分析) sees its own data,
        // personal fields masked.
        let clerk = browser();
        sign_in(&clerk, &s, "ga_clerk", PASSWORD).await;
        assert_eq!(
            clerk.get(s.url("/console/query")).send().await.unwrap().status(),
            403
        );
        crate::support::add_staff(&s, "ga_analyst", "9901-GA", Role::Analyst).await;
        crate::support::add_staff(&s, "mz_analyst", "9901-MZ", Role::Analyst).await;
        let ga = browser();
        sign_in(&ga, &s, "ga_analyst", PASSWORD).await;
        let page = ga
            .get(s.url("/console/query"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(&format!("<code>\"{code}\"</code>")),
            "the table is listed: {page}"
        );
        assert!(page.contains("本部门提供的数据"), "why it is readable: {page}");
        let csrf = csrf_of(&page);
        let sql = format!("SELECT name, district FROM \"{code}\" ORDER BY district");
        let run = |c: &reqwest::Client, csrf: &str, action: &str, sql: &str| {
            c.post(s.url("/console/query"))
                .form(&[
                    ("csrf", csrf),
                    ("sql", sql),
                    ("purpose", "核对"),
                    ("action", action),
                ])
                .send()
        };
        let r = run(&ga, &csrf, "run", &sql).await.unwrap();
        assert_eq!(r.status(), 200);
        let body = r.text().await.unwrap();
        assert!(
            body.contains("城东区") && !body.contains("张三丰"),
            "masked names"
        );
        let r = run(&ga, &csrf, "csv", &sql).await.unwrap();
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let bytes = r.bytes().await.unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBFname,district"));
        let r = run(&ga, &csrf, "xlsx", &sql).await.unwrap();
        assert!(r.bytes().await.unwrap().starts_with(b"PK"));
        let r = run(&ga, &csrf, "explain", &sql).await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(run(&ga, "forged", "run", &sql).await.unwrap().status(), 403);
        // One row is one row in English; the figure is right-aligned, the text is not.
        let r = ga
            .post(s.url("/console/query"))
            .header("accept-language", "en")
            .form(&[
                ("csrf", csrf.as_str()),
                ("sql", "SELECT 1 AS n, 'abc' AS t"),
                ("purpose", "核对"),
                ("action", "run"),
            ])
            .send()
            .await
            .unwrap();
        let body = r.text().await.unwrap();
        assert!(body.contains(">1 row ·"), "{body}");
        assert!(body.contains("<td class=\"num\">1</td><td>abc</td>"), "{body}");

        // Another bureau without a grant is refused, with the reason next to the SQL box.
        let mz = browser();
        sign_in(&mz, &s, "mz_analyst", PASSWORD).await;
        let page = mz
            .get(s.url("/console/query"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!page.contains(&format!("<code>\"{code}\"</code>")));
        let r = run(&mz, &csrf_of(&page), "run", &sql).await.unwrap();
        assert_eq!(r.status(), 422);
        let body = r.text().await.unwrap();
        assert!(body.contains(&code) && body.contains("href=\"#sql\""), "{body}");
        // Beside the SQL box too, in Chinese only.
        let at_box = &body[body.find("id=\"sql-error\"").expect("the error beside the box")..];
        let at_box = &at_box[..at_box.find("</span>").unwrap()];
        assert!(
            at_box.contains(&code) && !at_box.contains("not permitted"),
            "{at_box}"
        );
        // A syntax error too: its position, in the page's language only.
        let r = run(&mz, &csrf_of(&page), "run", "SELEC 1").await.unwrap();
        let body = r.text().await.unwrap();
        let at_box = &body[body
            .find("id=\"sql-error\"")
            .expect("the syntax error beside the box")..];
        let at_box = &at_box[..at_box.find("</span>").unwrap()];
        assert!(
            at_box.contains("语法错误") && !at_box.contains("syntax error"),
            "{at_box}"
        );
        // A statement nested too deep for the parser is refused at once, beside the box.
        let deep = format!("SELECT {}", "POSITION(".repeat(30));
        let r = run(&mz, &csrf_of(&page), "run", &deep).await.unwrap();
        assert_eq!(r.status(), 422);
        let body = r.text().await.unwrap();
        let at_box = &body[body.find("id=\"sql-error\"").expect("beside the box")..];
        let at_box = &at_box[..at_box.find("</span>").unwrap()];
        assert!(
            at_box.contains("括号嵌套超过10层") && !at_box.contains("brackets"),
            "{at_box}"
        );

        s.stop().await;
    })
    .await;
}

/// An API client of 民政局 and a bearer token for it.
async fn mz_system(s: &Server) -> String {
    let sys = Principal::system("test");
    let mz = s.identity.department_by_code(&sys, "9901-MZ").await.unwrap();
    let (client, secret) = s
        .identity
        .create_api_client(&sys, &mz.id, "低保业务系统", &["exchange.read".to_string()])
        .await
        .unwrap();
    s.identity
        .issue_token(&client.client_id, &secret, &[])
        .await
        .unwrap()
        .token
}

/// The 民政局 request granted by the provider on `fields` (through the catalog directly).
async fn grant_mz(s: &Server, code: &str, fields: &[&str]) {
    let sys = Principal::system("test");
    let mz = s.identity.department_by_code(&sys, "9901-MZ").await.unwrap();
    let resource = s.catalog().resource_by_code(&sys, code).await.unwrap();
    let q = s
        .catalog()
        .request_sharing(
            &sys,
            tongban_catalog::NewRequest {
                requester: tongban_catalog::Grantee::Department {
                    id: mz.id.as_str().into(),
                    path: mz.path.clone(),
                },
                resource: resource.id.clone(),
                fields: fields.iter().map(|f| f.to_string()).collect(),
                purpose: "低保资格核查".into(),
                scenario: "低保审核".into(),
                legal_basis: "《社会救助暂行办法》".into(),
                valid_until: s
                    .catalog()
                    .today()
                    .checked_add(jiff::Span::new().days(200))
                    .unwrap(),
            },
        )
        .await
        .unwrap();
    s.catalog()
        .review(
            &sys,
            &q.request.id,
            tongban_catalog::Review::Approve { note: String::new() },
        )
        .await
        .unwrap();
    s.catalog()
        .decide(
            &sys,
            &q.request.id,
            tongban_catalog::Decision::Grant(tongban_catalog::GrantTerms::default()),
        )
        .await
        .unwrap();
}

async fn load_people(s: &Server, code: &str) {
    let file = std::env::temp_dir().join(format!("hj-{}.csv", tongban_kernel::id::new_uuid_v7()));
    std::fs::write(
        &file,
        "公民身份号码,姓名,区县\n11010519491231002X,张三丰,城东区\n110105194912310021,李四光,城西区\n",
    )
    .unwrap();
    s.pool
        .ingest_csv(
            &Principal::system("test"),
            code,
            &file,
            &tongban_pool::IngestOptions::default(),
        )
        .await
        .unwrap();
    let _ = std::fs::remove_file(&file);
}

#[tokio::test]
async fn the_exchange_api_answers_granted_fields_to_department_systems_only() {
    each_backend(&sets(), |db| async move {
        let s = Server::start_with(db, |w| {
            w.exchange_rate = 1;
            w.exchange_burst = 6;
        })
        .await;
        let code = seed(&s).await;
        load_people(&s, &code).await;
        let token = mz_system(&s).await;
        let http = reqwest::Client::new();
        let url = s.url(&format!(
            "/api/v1/exchange/{code}/records?id_number=11010519491231002X"
        ));
        let call = |token: Option<&str>, purpose: Option<&str>| {
            let mut r = http.get(&url);
            if let Some(t) = token {
                r = r.bearer_auth(t);
            }
            if let Some(p) = purpose {
                r = r.header("X-Purpose", p);
            }
            r.send()
        };

        // No token: 401. No grant yet: 403 naming the resource (and costing a token).
        assert_eq!(call(None, Some("核查")).await.unwrap().status(), 401);
        let r = call(Some(&token), Some("低保资格核查")).await.unwrap();
        assert_eq!(r.status(), 403);
        assert!(r.text().await.unwrap().contains(&code));

        grant_mz(&s, &code, &["id_number", "district"]).await;
        // Purpose required, named.
        let r = call(Some(&token), None).await.unwrap();
        assert_eq!(r.status(), 400);
        let p: serde_json::Value = r.json().await.unwrap();
        assert_eq!(p["field"], "X-Purpose");
        // Granted: masked ID, district, never the name.
        let r = call(
            Some(&token),
            Some("%E4%BD%8E%E4%BF%9D%E8%B5%84%E6%A0%BC%E6%A0%B8%E6%9F%A5"),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers().contains_key("ratelimit-remaining"));
        // A department system gets no browser cookies (no CSRF token, no session).
        assert!(r.headers().get("set-cookie").is_none(), "{:?}", r.headers());
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["fields"], serde_json::json!(["id_number", "district"]));
        let rec = &body["records"][0];
        assert_eq!(rec["district"], "城东区");
        assert!(rec["id_number"].as_str().unwrap().contains('*'));
        assert!(rec.get("name").is_none());
        // Asking for the name is refused by name.
        let r = http
            .get(s.url(&format!("/api/v1/exchange/{code}/records?name=张三丰")))
            .bearer_auth(&token)
            .header("X-Purpose", "核查")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert!(r.text().await.unwrap().contains("name"));
        // The change feed.
        let r = http
            .get(s.url(&format!("/api/v1/exchange/{code}/changes?since=0")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let feed: serde_json::Value = r.json().await.unwrap();
        assert_eq!(feed["current_version"], 1);
        assert_eq!(
            feed["changes"][0]["diff"]["added"], 1,
            "one of the two rows has a bad checksum"
        );

        // Usage shows on the provider's console.
        let ga = browser();
        sign_in_with_mfa(&ga, &s, "ga_admin").await;
        let page = ga
            .get(s.url("/console/usage"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("tbc_") && page.contains(&code), "{page}");
        let calling = page.split("<tbody>").nth(1).unwrap_or_default();
        assert!(
            calling.contains("示范市") && !calling.contains("/9901/"),
            "the calling department by its name, not its path: {calling}"
        );
        assert_eq!(
            ga.get(s.url("/console/usage?from=yesterday"))
                .send()
                .await
                .unwrap()
                .status(),
            400
        );

        // A person's session is not a department system.
        let person = browser();
        sign_in(&person, &s, "mz_clerk", PASSWORD).await;
        let login: serde_json::Value = http
            .post(s.url("/api/v1/auth/login"))
            .json(&serde_json::json!({"username": "mz_clerk", "password": PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let r = call(login["token"].as_str(), Some("核查")).await.unwrap();
        assert_eq!(r.status(), 403);

        // The burst is spent: 429 with Retry-After.
        let mut limited = None;
        for _ in 0..10 {
            let r = call(Some(&token), Some("核查")).await.unwrap();
            if r.status() == 429 {
                limited = Some(r);
                break;
            }
        }
        let r = limited.expect("the rate limit answers 429");
        assert!(
            r.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse::<u64>()
                .unwrap()
                >= 1
        );
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn open_versions_download_as_csv_xlsx_and_parquet_with_public_fields_only() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let closed = seed(&s).await;
        load_people(&s, &closed).await;
        let sys = Principal::system("test");
        let hj = s.identity.department_by_code(&sys, "9901-GA").await.unwrap();
        let input: ResourceInput = serde_json::from_value(serde_json::json!({
            "code": "9901-GA-0100", "name_zh": "派出所地址",
            "provider": { "id": hj.id.as_str(), "path": hj.path, "name_zh": "公安局" },
            "summary": "派出所名称与地址", "classification": { "class": "thematic", "category": "GG" }, "format": "table",
            "fields": [
                { "code": "station", "name_zh": "派出所", "data_type": "string", "sensitivity": "public", "is_key": true },
                { "code": "officers", "name_zh": "警力", "data_type": "integer", "sensitivity": "internal" },
                { "code": "duty_phone", "name_zh": "值班电话", "data_type": "string", "sensitivity": "public" }
            ],
            "sharing": { "class": "unconditional" }, "open_class": "open", "update_cycle": "yearly"
        }))
        .unwrap();
        let r = s.catalog().create_resource(&sys, input).await.unwrap();
        s.catalog().publish_resource(&sys, &r.id).await.unwrap();
        let file = std::env::temp_dir().join(format!("pcs-{}.csv", tongban_kernel::id::new_uuid_v7()));
        std::fs::write(&file, "派出所,警力,值班电话\n城东派出所,4711,0571-110\n=cmd|' /C calc'!A0,12,0571-120\n").unwrap();
        s.pool
            .ingest_csv(&sys, "9901-GA-0100", &file, &tongban_pool::IngestOptions::default())
            .await
            .unwrap();
        let _ = std::fs::remove_file(&file);

        let page = reqwest::get(s.url("/open-data/9901-GA-0100")).await.unwrap().text().await.unwrap();
        assert!(page.contains("/open-data/9901-GA-0100/v1.csv"));
        // The page says what a user needs before downloading: rows, last update, licence with
        // its terms, each file's size, the dictionary and a preview of public fields only.
        assert!(page.contains("数据条数") && page.contains("<td>2 条</td>"), "{page}");
        assert!(page.contains("数据更新时间") && page.contains("href=\"/open-data/terms\""), "{page}");
        assert!(page.contains("数据字典") && page.contains("数据预览"), "{page}");
        assert!(page.contains("<th scope=\"col\">值班电话</th>"), "names head the preview: {page}");
        assert!(page.contains("<td>城东派出所</td>") && !page.contains("4711"), "{page}");
        assert!(page.contains(" B · UTF-8") && page.contains(" KB</span>"), "sizes: {page}");
        let terms = reqwest::get(s.url("/open-data/terms")).await.unwrap();
        assert_eq!(terms.status(), 200);
        assert!(terms.text().await.unwrap().contains("注明数据来源"));
        let csv = reqwest::get(s.url("/open-data/9901-GA-0100/v1.csv")).await.unwrap();
        assert!(csv.headers()["content-disposition"].to_str().unwrap().contains("9901-GA-0100-v1.csv"));
        let csv = csv.text().await.unwrap();
        assert!(csv.starts_with('\u{feff}'));
        assert!(csv.contains("城东派出所") && csv.contains("'=cmd"), "formulas defused: {csv}");
        assert!(csv.contains("0571-110"));
        assert!(!csv.contains("officers") && !csv.contains("4711"), "public fields only: {csv}");
        let xlsx = reqwest::get(s.url("/open-data/9901-GA-0100/v1.xlsx")).await.unwrap();
        assert_eq!(xlsx.status(), 200);
        assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
        let parquet = reqwest::get(s.url("/open-data/9901-GA-0100/v1.parquet")).await.unwrap();
        assert_eq!(parquet.status(), 200);
        let bytes = parquet.bytes().await.unwrap();
        assert!(bytes.starts_with(b"PAR1") && !bytes.windows(8).any(|w| w == b"officers"));
        for path in [
            "/open-data/9901-GA-0100/v2.csv".to_string(),
            "/open-data/9901-GA-0100/v1.exe".to_string(),
            format!("/open-data/{closed}/v1.csv"),
        ] {
            assert_eq!(reqwest::get(s.url(&path)).await.unwrap().status(), 404, "{path}");
        }
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_provider_saves_a_column_mapping_that_later_loads_use() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let code = seed(&s).await;
        let path = format!("/console/catalog/{code}/mapping");

        let mz = browser();
        sign_in_with_mfa(&mz, &s, "mz_admin").await;
        assert_eq!(mz.get(s.url(&path)).send().await.unwrap().status(), 403);

        let ga = browser();
        sign_in_with_mfa(&ga, &s, "ga_admin").await;
        let page = ga.get(s.url(&path)).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("name=\"mapping.id_number\"") && page.contains("公民身份号码"));
        let csrf = csrf_of(&page);

        // A column name over 200 characters is refused on its field, and what was typed stays.
        let long = "列".repeat(201);
        let r = ga
            .post(s.url(&path))
            .form(&[
                ("csrf", csrf.as_str()),
                ("mapping.id_number", "身份证"),
                ("mapping.name", long.as_str()),
                ("mapping.district", ""),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body = r.text().await.unwrap();
        assert!(
            body.contains("id=\"mapping.name-error\""),
            "the error sits on its field"
        );
        assert!(body.contains("value=\"身份证\""), "what was typed stays");
        assert!(
            s.pool
                .saved_mapping(&Principal::system("test"), &code)
                .await
                .unwrap()
                .is_none()
        );

        let r = ga
            .post(s.url(&path))
            .form(&[
                ("csrf", csrf.as_str()),
                ("mapping.id_number", "身份证"),
                ("mapping.name", "户主姓名"),
                ("mapping.district", " "),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(to.ends_with("/mapping?saved=1"), "{to}");
        let page = ga.get(s.url(&to)).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("字段映射已保存") && page.contains("value=\"户主姓名\""));
        let saved = s
            .pool
            .saved_mapping(&Principal::system("test"), &code)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            saved.mapping.into_iter().collect::<Vec<_>>(),
            vec![
                ("id_number".to_string(), "身份证".to_string()),
                ("name".to_string(), "户主姓名".to_string())
            ],
            "blank boxes are left to matching by name"
        );

        // A forged token saves nothing.
        let r = ga
            .post(s.url(&path))
            .form(&[("csrf", "forged"), ("mapping.name", "别的列")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
    })
    .await;
}

#[tokio::test]
async fn department_systems_subscribe_to_new_versions_and_see_their_delivery_log() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let code = seed(&s).await;
        load_people(&s, &code).await;
        let token = mz_system(&s).await;
        let c = reqwest::Client::new();
        let url = s.url(&format!("/api/v1/exchange/{code}/subscriptions"));
        let hook = "https://mz.example.gov.cn/hooks/tongban";

        // Without a token: 401. Without a grant: 403 naming why.
        let r = c
            .post(&url)
            .json(&serde_json::json!({ "url": hook }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        let r = c
            .post(&url)
            .bearer_auth(&token)
            .json(&serde_json::json!({ "url": hook }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);

        grant_mz(&s, &code, &["district"]).await;
        // Plain http to another machine: 400 naming `url`.
        let r = c
            .post(&url)
            .bearer_auth(&token)
            .json(&serde_json::json!({ "url": "http://mz.example.gov.cn/hook" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let problem: serde_json::Value = r.json().await.unwrap();
        assert_eq!(problem["field"], "url", "{problem}");
        // This machine, the metadata service and private ranges (SSRF): 400 naming `url` and
        // only the kind of address, until the security administrator allows the range.
        for (callback, kind) in [
            ("http://127.0.0.1:9/hook", "loopback"),
            ("http://localhost:9/hook", "loopback"),
            ("https://169.254.169.254/latest/meta-data/", "metadata"),
            ("https://10.0.0.8/hook", "private"),
            ("https://[::ffff:7f00:1]/hook", "loopback"),
        ] {
            let r = c
                .post(&url)
                .bearer_auth(&token)
                .json(&serde_json::json!({ "url": callback }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 400, "{callback}");
            let problem: serde_json::Value = r.json().await.unwrap();
            assert_eq!(problem["field"], "url", "{problem}");
            assert!(problem.to_string().contains(kind), "{callback}: {problem}");
        }

        let r = c
            .post(&url)
            .bearer_auth(&token)
            .json(&serde_json::json!({ "url": hook }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let made: serde_json::Value = r.json().await.unwrap();
        assert!(made["secret"].as_str().unwrap().starts_with("whsec_"));
        let id = made["subscription"]["id"].as_str().unwrap().to_owned();

        // A new version queues a delivery, shown in the log.
        load_people(&s, &code).await;
        assert_eq!(s.pool.queue_webhooks().await.unwrap(), 1);
        let listed: serde_json::Value = c
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(listed["subscriptions"][0]["pending"], 1, "{listed}");
        assert!(
            !listed.to_string().contains("whsec_"),
            "the secret is never shown again"
        );
        let one: serde_json::Value = c
            .get(format!("{url}/{id}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(one["deliveries"][0]["version"], 2, "{one}");

        let r = c
            .delete(format!("{url}/{id}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        let listed: serde_json::Value = c
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(listed["subscriptions"].as_array().map(Vec::len), Some(0));
    })
    .await;
}

#[tokio::test]
async fn the_providing_departments_system_pushes_a_batch_and_bad_rows_are_rejected() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let code = seed(&s).await;
        let url = s.url(&format!("/api/v1/pool/{code}/records"));
        let batch = serde_json::json!({ "records": [
            { "公民身份号码": "11010519491231002X", "姓名": "张三丰", "区县": "城东区" },
            { "公民身份号码": "990101199003071237", "姓名": "张晓明", "区县": "城西区" },
            { "公民身份号码": "not-an-id", "姓名": "王五", "区县": "城南区" }
        ]});
        let push = |token: String, body: serde_json::Value| {
            reqwest::Client::new()
                .post(&url)
                .bearer_auth(token)
                .json(&body)
                .send()
        };
        // 公安局's own system with `pool.load`: loaded as version 1, the bad ID number rejected.
        let ga = system_token(&s, "9901-GA", &["pool.load"]).await;
        let r = push(ga.clone(), batch.clone()).await.unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
        let loaded: serde_json::Value = r.json().await.unwrap();
        assert_eq!(
            (
                loaded["version"].as_u64(),
                loaded["accepted"].as_u64(),
                loaded["rejected"].as_u64()
            ),
            (Some(1), Some(2), Some(1)),
            "{loaded}"
        );
        // Without the scope, from another department, as a person, or malformed: refused.
        let r = push(
            system_token(&s, "9901-GA", &["exchange.read"]).await,
            batch.clone(),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 403);
        let r = push(system_token(&s, "9901-MZ", &["pool.load"]).await, batch.clone())
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let r = push(api_token_with_mfa(&s, "ga_admin").await, batch.clone())
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let r = push(ga.clone(), serde_json::json!({ "rows": [] })).await.unwrap();
        assert_eq!(r.status(), 400);
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["field"], "records");
        let r = push(ga.clone(), serde_json::json!({ "records": [] }))
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        // Records without a single field are the caller's mistake, not a server error.
        for empty in [
            serde_json::json!({ "records": [{}] }),
            serde_json::json!({ "records": [{}, {}] }),
        ] {
            let r = push(ga.clone(), empty).await.unwrap();
            assert_eq!(r.status(), 400);
            assert_eq!(r.json::<serde_json::Value>().await.unwrap()["field"], "records");
        }
        let r = push(ga, batch).await.unwrap();
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["version"], 2);
        let r = reqwest::Client::new()
            .post(&url)
            .json(&serde_json::json!({"records": []}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_provider_schedules_a_pull_from_its_database_in_the_console() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let code = seed(&s).await;
        let admin = browser();
        sign_in_with_mfa(&admin, &s, "ga_admin").await;
        let url = s.url(&format!("/console/catalog/{code}/pulls"));
        let page = admin.get(&url).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("name=\"url\""), "{page}");
        let csrf = csrf_of(&page);
        let post = |form: &[(&str, &str)]| {
            let mut all = vec![("csrf", csrf.as_str())];
            all.extend_from_slice(form);
            admin.post(&url).form(&all).send()
        };
        // A wrong address is named, and the password never comes back in the page.
        let r = post(&[
            ("url", "postgres://etl:Secret-Pa55@127.0.0.1:1/x"),
            ("table", "t"),
            ("every", "60"),
        ])
        .await
        .unwrap();
        assert_eq!(r.status(), 422);
        let body = r.text().await.unwrap();
        assert!(
            body.contains("href=\"#url\"") && !body.contains("Secret-Pa55"),
            "{body}"
        );
        let r = post(&[
            ("url", "postgres://127.0.0.1/x"),
            ("table", "t"),
            ("every", "soon"),
        ])
        .await
        .unwrap();
        assert_eq!(r.status(), 422);

        // Against the test PostgreSQL server, a real table is pulled when run.
        if let Ok(pg) = std::env::var("TONGBAN_TEST_DATABASE_URL") {
            use sqlx::{Connection, Executor};
            let id = tongban_kernel::id::new_uuid_v7().replace('-', "");
            let table = format!("pull_web_{}", &id[20..]);
            let mut c = sqlx::PgConnection::connect(&pg).await.unwrap();
            c.execute(
                format!(
                    "CREATE TABLE {table} (id_number TEXT, name TEXT, district TEXT); \
                     INSERT INTO {table} VALUES ('110105194912310029', '张三', '西湖区')"
                )
                .as_str(),
            )
            .await
            .unwrap();
            // The test server is on this machine: refused until the range is allowed.
            let r = post(&[("url", pg.as_str()), ("table", table.as_str()), ("every", "60")])
                .await
                .unwrap();
            assert_eq!(r.status(), 422);
            let body = r.text().await.unwrap();
            assert!(body.contains("本机地址"), "{body}");
            for range in ["127.0.0.0/8", "::1"] {
                s.pool
                    .allow_egress(
                        &tongban_kernel::Principal::system("test"),
                        &tongban_kernel::DeptPath::root(),
                        range,
                        "测试数据库",
                    )
                    .await
                    .unwrap();
            }
            let r = post(&[("url", pg.as_str()), ("table", table.as_str()), ("every", "60")])
                .await
                .unwrap();
            assert_eq!(r.status(), 303);
            let page = admin.get(&url).send().await.unwrap().text().await.unwrap();
            let at = page
                .find("/pulls/")
                .and_then(|i| page[i..].find("/run").map(|j| i + j))
                .unwrap();
            let start = page[..at].rfind("/console/").unwrap();
            let run = s.url(&page[start..at + 4]);
            let r = admin
                .post(&run)
                .form(&[("csrf", csrf.as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 303);
            let page = admin.get(&url).send().await.unwrap().text().await.unwrap();
            assert!(page.contains("version 1") || page.contains("第1版"), "{page}");
            c.execute(format!("DROP TABLE {table}").as_str()).await.unwrap();
        }

        // Another department's administrator does not see the page.
        let other = browser();
        sign_in_with_mfa(&other, &s, "mz_admin").await;
        assert_eq!(other.get(&url).send().await.unwrap().status(), 403);
    })
    .await;
}

#[tokio::test]
async fn the_security_administrator_keeps_the_destination_allow_list_in_the_console() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        // Others do not see the page or the menu entry.
        let sys = browser();
        sign_in_with_mfa(&sys, &s, "sysadmin").await;
        let r = sys.get(s.url("/console/egress")).send().await.unwrap();
        assert_eq!(r.status(), 403);
        let home = sys
            .get(s.url("/console"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!home.contains("/console/egress"), "{home}");

        let sec = browser();
        sign_in_with_mfa(&sec, &s, "secadmin").await;
        let url = s.url("/console/egress");
        let page = sec.get(&url).send().await.unwrap().text().await.unwrap();
        assert!(
            page.contains("出站地址白名单") && page.contains("白名单为空"),
            "{page}"
        );
        assert!(page.contains("/console/egress\">"), "the menu names the page");
        // Departments are indented by their level in the tree.
        assert!(page.contains(">\u{3000}公安局</option>"), "{page}");
        let csrf = csrf_of(&page);
        let ga = "/9901/9901-GA/";
        let post = |form: Vec<(&'static str, String)>| {
            let mut all = vec![("csrf", csrf.clone())];
            all.extend(form);
            sec.post(&url).form(&all).send()
        };
        // Refusals are on their field, with what was typed kept.
        for (cidr, purpose, field) in [
            ("169.254.0.0/16", "元数据", "cidr"),
            ("10.0.0.0/4", "太宽", "cidr"),
            ("10.0.3.0/24", "", "purpose"),
        ] {
            let r = post(vec![
                ("department", ga.into()),
                ("cidr", cidr.into()),
                ("purpose", purpose.into()),
            ])
            .await
            .unwrap();
            assert_eq!(r.status(), 422, "{cidr}");
            let body = r.text().await.unwrap();
            assert!(body.contains(&format!("href=\"#{field}\"")), "{cidr}: {body}");
            assert!(body.contains(&format!("value=\"{cidr}\"")), "{cidr} kept");
        }
        // Every mistake is named at once.
        let r = post(vec![
            ("department", "".into()),
            ("cidr", "10.0.0.0/4".into()),
            ("purpose", " ".into()),
        ])
        .await
        .unwrap();
        assert_eq!(r.status(), 422);
        let body = r.text().await.unwrap();
        for field in ["department", "cidr", "purpose"] {
            assert!(body.contains(&format!("href=\"#{field}\"")), "{field}: {body}");
        }

        let r = post(vec![
            ("department", ga.into()),
            ("cidr", "10.0.3.7/24".into()),
            ("purpose", "公安局人口库（定时抽取）".into()),
        ])
        .await
        .unwrap();
        assert_eq!(r.status(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_string();
        let page = sec.get(s.url(&to)).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("已放行该网段"), "{page}");
        assert!(
            page.contains("10.0.3.0/24")
                && page.contains("公安局")
                && page.contains("公安局人口库（定时抽取）"),
            "{page}"
        );
        assert!(
            s.pool
                .destination(&tongban_kernel::DeptPath(ga.into()), "10.0.3.9", 5432)
                .await
                .is_ok()
        );
        // Removed from the page, the range closes.
        let at = page.find("/console/egress/").unwrap();
        let end = at + page[at..].find("/remove").unwrap() + "/remove".len();
        let r = sec
            .post(s.url(&page[at..end]))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert!(
            s.pool
                .destination(&tongban_kernel::DeptPath(ga.into()), "10.0.3.9", 5432)
                .await
                .is_err()
        );
        s.stop().await;
    })
    .await;
}
