use crate::support::{PASSWORD, Server, browser, csrf_of, sets, sign_in};
use tongban_catalog::{ResourceInput, SharingClass};
use tongban_db::testing::each_backend;
use tongban_kernel::{Principal, Role, RoleGrant};

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
    let ga = s.identity.department_by_code(&sys, "9901-GA").await.unwrap();
    let input: ResourceInput = serde_json::from_value(serde_json::json!({
        "code": "9901-GA-0001", "name_zh": "户籍人口基本信息",
        "provider": { "id": ga.id.as_str(), "path": ga.path, "name_zh": "公安局" },
        "summary": "户籍人口", "classification": { "class": "basic", "category": "RK", "item": "HJ" }, "format": "table",
        "fields": [
            { "code": "id_number", "name_zh": "公民身份号码", "data_type": "string", "sensitivity": "personal", "is_key": true, "standardizer": "id_number" },
            { "code": "name", "name_zh": "姓名", "data_type": "string", "sensitivity": "personal" },
            { "code": "district", "name_zh": "区县", "data_type": "string", "sensitivity": "internal" }
        ],
        "sharing": { "class": "conditional", "condition": "依法履职", "legal_basis": "《居民身份证法》" },
        "open_class": "not_open", "update_cycle": "daily"
    }))
    .unwrap();
    let r = s.catalog().create_resource(&sys, input).await.unwrap();
    assert_eq!(r.sharing.class, SharingClass::Conditional);
    s.catalog().publish_resource(&sys, &r.id).await.unwrap();
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
        sign_in(&mz, &s, "mz_admin", PASSWORD).await;
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

        // 公安局 grants fewer fields than asked.
        let ga = browser();
        sign_in(&ga, &s, "ga_admin", PASSWORD).await;
        assert_eq!(
            act(&ga, &s, &path, &[("action", "grant"), ("field", "district")])
                .await
                .status(),
            303
        );
        let page = ga.get(s.url(&path)).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("已授权"), "granted");

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
        assert_eq!(grant.fields, vec!["district".to_string()]);
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
        sign_in(&mz, &s, "mz_admin", PASSWORD).await;
        assert_eq!(
            mz.get(s.url(&format!("/console/catalog/{code}/upload")))
                .send()
                .await
                .unwrap()
                .status(),
            403
        );

        let ga = browser();
        sign_in(&ga, &s, "ga_admin", PASSWORD).await;
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
