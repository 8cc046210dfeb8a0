//! 一件事一次办 over HTTP: the services list shows the bundle, its guide lists the items of both
//! departments, the one journey asks each shared question once, submission makes one case in
//! each department, and "my bundle" shows both on one timeline — to the applicant only. In the
//! console an administrator over both departments edits and defines bundles; refusals land on
//! the input they name.

use crate::support::{
    PASSWORD, Server, add_staff, browser, csrf_of, get_and_follow, post_and_follow, sets, sign_in,
    sign_in_with_mfa,
};
use tongban_hall::{
    AssigneeInput, BundleInput, FieldKind, FormField, ItemType, ServiceItemInput, SignMode, StepInput,
    StepKind,
};
use tongban_kernel::{Principal, Role};
use tongban_test_support::each_backend;

fn text(code: &str, label: &str) -> FormField {
    FormField {
        code: code.into(),
        label: label.into(),
        kind: FieldKind::Text { max_chars: 40 },
        required: true,
        personal: false,
        prefill: None,
    }
}

async fn setup(s: &Server) {
    let sys = Principal::system("test");
    for (dept, code, name, extra) in [
        (
            "9901-GA",
            "9901-GA-CSDJ",
            "出生登记",
            text("relation", "与户主关系"),
        ),
        ("9901-MZ", "9901-MZ-JSBT", "生育津贴", text("bank", "开户银行")),
    ] {
        let d = s.identity.department_by_code(&sys, dept).await.unwrap();
        let item = s
            .hall
            .create_item(
                &sys,
                ServiceItemInput {
                    code: code.into(),
                    name: name.into(),
                    // One of the two has an English name, for the English page below.
                    name_en: if code == "9901-MZ-JSBT" {
                        "Maternity allowance".into()
                    } else {
                        String::new()
                    },
                    department: d.path.clone(),
                    item_type: ItemType::PublicService,
                    legal_basis: "依法".into(),
                    conditions: "新生儿".into(),
                    materials: Vec::new(),
                    fields: vec![text("child_name", "新生儿姓名"), extra],
                    fees: Vec::new(),
                    statutory_days: 20,
                    promised_days: 5,
                    visits: 0,
                    active: true,
                    licence: None,
                    topics: Vec::new(),
                    life_events: Vec::new(),
                },
            )
            .await
            .unwrap();
        let steps = [StepKind::Accept, StepKind::Decide, StepKind::Issue]
            .into_iter()
            .map(|kind| StepInput {
                kind,
                name: String::new(),
                assignees: vec![AssigneeInput {
                    department: d.path.0.clone(),
                    role: "clerk".into(),
                }],
                mode: SignMode::All,
                limit_days: None,
            })
            .collect();
        s.hall.save_workflow(&sys, &item.id, steps).await.unwrap();
    }
    s.hall
        .create_bundle(
            &sys,
            BundleInput {
                code: "NEWBORN".into(),
                name: "新生儿出生一件事".into(),
                life_event: "出生".into(),
                description: "一次申请，两个部门同时办理".into(),
                items: vec!["9901-GA-CSDJ".into(), "9901-MZ-JSBT".into()],
                active: true,
            },
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn one_application_makes_a_case_in_each_department_on_one_timeline() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        setup(&s).await;
        let citizen = browser();
        sign_in(&citizen, &s, "citizen1", PASSWORD).await;
        let get = |c: &reqwest::Client, p: &str| c.get(s.url(p)).send();
        let list = get(&citizen, "/services").await.unwrap().text().await.unwrap();
        assert!(list.contains("href=\"/bundles/NEWBORN\""), "{list}");
        let guide = get(&citizen, "/bundles/NEWBORN")
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            guide.contains("出生登记")
                && guide.contains("生育津贴")
                && guide.contains("公安局")
                && guide.contains("民政局")
        );
        assert_eq!(get(&citizen, "/bundles/NOPE").await.unwrap().status(), 404);

        // Three questions: the child's name once, then each item's own.
        let mut page = get_and_follow(&citizen, &s.base, "/bundles/NEWBORN/apply")
            .await
            .text()
            .await
            .unwrap();
        for (n, answer) in ["小明", "子女", "示范银行"].iter().enumerate() {
            assert!(page.contains(&format!("{} / 3", n + 1)), "{page}");
            assert!(page.contains("action=\"/bundles/NEWBORN/apply\""));
            let form = vec![
                ("csrf".to_string(), csrf_of(&page)),
                ("key".to_string(), "web-bundle-test-01".to_string()),
                ("step".to_string(), n.to_string()),
                ("v".to_string(), answer.to_string()),
                ("go".to_string(), "next".to_string()),
            ];
            page = post_and_follow(&citizen, &s.base, "/bundles/NEWBORN/apply", &form)
                .await
                .text()
                .await
                .unwrap();
        }
        assert!(
            page.contains("核对您的填报内容") && page.contains("action=\"/bundles/NEWBORN/submit\""),
            "{page}"
        );
        let form = vec![
            ("csrf".to_string(), csrf_of(&page)),
            ("key".to_string(), "web-bundle-test-01".to_string()),
        ];
        let submit = s.url("/bundles/NEWBORN/submit");
        let r = citizen.post(&submit).form(&form).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_string();
        assert!(to.starts_with("/my/bundles/"), "{to}");
        // Submitting again (a double click) lands on the same application.
        let again = citizen.post(&submit).form(&form).send().await.unwrap();
        assert_eq!(again.headers()["location"].to_str().unwrap(), to);
        // Its draft went with the submission: its pages' address starts a new application.
        let r = get(&citizen, "/bundles/NEWBORN/apply/web-bundle-test-01/0")
            .await
            .unwrap();
        assert_eq!(
            r.headers()["location"].to_str().unwrap(),
            "/bundles/NEWBORN/apply"
        );

        let mine = get(&citizen, &to).await.unwrap().text().await.unwrap();
        assert!(mine.contains("一件事申请已提交"), "{mine}");
        assert_eq!(mine.matches("class=\"case-number\"").count(), 2, "{mine}");
        assert!(mine.contains("公安局") && mine.contains("民政局"));
        assert_eq!(
            mine.matches("提交申请").count(),
            2,
            "one timeline over both cases: {mine}"
        );
        let cases = get(&citizen, "/my/cases").await.unwrap().text().await.unwrap();
        assert!(cases.contains(to.split('?').next().unwrap()), "{cases}");
        // In English, services and departments are named in English where they have a name.
        let english = citizen
            .get(s.url(&to))
            .header("accept-language", "en")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            english.contains("Maternity allowance") && !english.contains("生育津贴"),
            "{english}"
        );
        // Departments by their official name in English (the test city's 民政局 has no English
        // name of its own), not the bare Chinese name the case recorded.
        assert!(
            english.contains("民政局, Demo City") && !english.contains(">民政局<"),
            "{english}"
        );

        // Each department's clerk has their case in the inbox; another person cannot open the
        // application.
        let clerk = browser();
        sign_in(&clerk, &s, "mz_clerk", PASSWORD).await;
        let inbox = get(&clerk, "/console/cases").await.unwrap().text().await.unwrap();
        assert!(
            inbox.contains("生育津贴") && !inbox.contains("出生登记"),
            "{inbox}"
        );
        assert_eq!(
            get(&clerk, to.split('?').next().unwrap()).await.unwrap().status(),
            404
        );
    })
    .await;
}

fn bundle_form(csrf: &str, version: &str, name: &str, items: &[&str]) -> Vec<(String, String)> {
    let mut form: Vec<(String, String)> = [
        ("csrf", csrf),
        ("version", version),
        ("code", "NEWBORN"),
        ("name", name),
        ("life_event", "出生"),
        ("description", "一次申请，两个部门同时办理"),
        ("active", "1"),
        ("go", "save"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (i, code) in items.iter().enumerate() {
        form.push((format!("i{i}"), code.to_string()));
    }
    form
}

#[tokio::test]
async fn administrators_edit_bundles_in_the_console() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        setup(&s).await;
        add_staff(&s, "city_admin", "9901", Role::DeptAdmin).await;
        add_staff(&s, "ga_admin", "9901-GA", Role::DeptAdmin).await;
        let admin = browser();
        sign_in_with_mfa(&admin, &s, "city_admin").await;
        let text = |c: &reqwest::Client, p: &str| {
            let url = s.url(p);
            let c = c.clone();
            async move { c.get(url).send().await.unwrap().text().await.unwrap() }
        };
        let list = text(&admin, "/console/bundles").await;
        assert!(
            list.contains("href=\"/console/bundles/NEWBORN\"") && list.contains("出生登记"),
            "{list}"
        );
        let page = text(&admin, "/console/bundles/NEWBORN").await;
        assert!(
            page.contains("<option value=\"9901-GA-CSDJ\" selected>"),
            "{page}"
        );
        let csrf = csrf_of(&page);
        let post =
            |form: Vec<(String, String)>| admin.post(s.url("/console/bundles/NEWBORN")).form(&form).send();

        // A missing name and an item listed twice are named on their inputs; nothing changes.
        let r = post(bundle_form(&csrf, "1", "", &["9901-GA-CSDJ", "9901-MZ-JSBT"]))
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("href=\"#name\""));
        let r = post(bundle_form(
            &csrf,
            "1",
            "出生一件事",
            &["9901-GA-CSDJ", "", "9901-GA-CSDJ"],
        ))
        .await
        .unwrap();
        assert_eq!(r.status(), 422);
        let body = r.text().await.unwrap();
        assert!(
            body.contains("href=\"#i2\"") && body.contains("事项重复"),
            "{body}"
        );

        let r = post(bundle_form(
            &csrf,
            "1",
            "新生儿出生一件事（新版）",
            &["9901-MZ-JSBT", "9901-GA-CSDJ"],
        ))
        .await
        .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/console/bundles/NEWBORN?saved=1");
        let guide = text(&admin, "/bundles/NEWBORN").await;
        assert!(guide.contains("新生儿出生一件事（新版）"), "{guide}");
        let b = s.hall.bundle_by_code("NEWBORN").await.unwrap();
        assert_eq!(b.items, ["9901-MZ-JSBT", "9901-GA-CSDJ"]);
        // A second save from the page read before is refused rather than undoing the first.
        let r = post(bundle_form(
            &csrf,
            "1",
            "旧名称",
            &["9901-GA-CSDJ", "9901-MZ-JSBT"],
        ))
        .await
        .unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("已被他人修改"));

        // A new bundle from the console.
        let mut new = bundle_form(
            &csrf,
            "0",
            "出生一件事（试点）",
            &["9901-GA-CSDJ", "9901-MZ-JSBT"],
        );
        new[2].1 = "NEWBORN-PILOT".into();
        let r = admin
            .post(s.url("/console/bundles/new"))
            .form(&new)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert!(s.hall.bundle_by_code("NEWBORN-PILOT").await.is_ok());

        // One bureau's administrator may not change a bundle reaching another bureau's item; a
        // clerk has no bundle pages at all.
        let ga = browser();
        sign_in_with_mfa(&ga, &s, "ga_admin").await;
        let ga_csrf = csrf_of(&text(&ga, "/console/bundles").await);
        let r = ga
            .post(s.url("/console/bundles/NEWBORN"))
            .form(&bundle_form(
                &ga_csrf,
                "2",
                "改名",
                &["9901-GA-CSDJ", "9901-MZ-JSBT"],
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let clerk = browser();
        sign_in(&clerk, &s, "ga_clerk", PASSWORD).await;
        assert_eq!(
            clerk
                .get(s.url("/console/bundles"))
                .send()
                .await
                .unwrap()
                .status(),
            403
        );
        assert_eq!(
            s.hall.bundle_by_code("NEWBORN").await.unwrap().name,
            "新生儿出生一件事（新版）"
        );
    })
    .await;
}
