//! 事项管理 in the console: a department administrator creates a service item (unreadable
//! inputs and the hall's refusals are named against the row they came from), is sent on to its
//! workflow, saves version 1 with a joint review across two bureaus, then version 2; the guide
//! shows the item; edits read at an old version are refused; nobody manages another department's
//! items.

use crate::support::{PASSWORD, Server, add_staff, browser, csrf_of, sets, sign_in, sign_in_with_mfa};
use tongban_hall::{FieldKind, MaterialSource, SignMode};
use tongban_kernel::Role;
use tongban_test_support::each_backend;

const CODE: &str = "9901-GA-T01";

fn item_form(csrf: &str, version: &str, name: &str, amount: &str, from: &str) -> Vec<(String, String)> {
    [
        ("csrf", csrf),
        ("version", version),
        ("code", CODE),
        ("name", name),
        ("name_en", "Residence permit application"),
        ("department", "/9901/9901-GA/"),
        ("item_type", "public_service"),
        ("legal_basis", "《居住证暂行条例》第十条"),
        ("conditions", "在本市居住半年以上"),
        ("statutory_days", "20"),
        ("promised_days", "10"),
        ("visits", "0"),
        ("active", "1"),
        ("m0_code", "lease"),
        ("m0_name", "租赁合同"),
        ("m0_required", "1"),
        ("m0_source", "upload"),
        ("m0_from", ""),
        ("m1_code", ""),
        ("m1_name", ""),
        ("m1_source", "upload"),
        ("m1_from", ""),
        ("m2_code", "household"),
        ("m2_name", "户籍信息"),
        ("m2_source", "shared"),
        ("m2_from", from),
        ("f0_code", "address"),
        ("f0_label", "居住地址"),
        ("f0_kind", "address"),
        ("f0_spec", ""),
        ("f0_required", "1"),
        ("f1_code", "purpose"),
        ("f1_label", "居住性质"),
        ("f1_kind", "choice"),
        ("f1_spec", "own=自有住房|rent=租赁"),
        ("f0_prefill", ""),
        ("fee0_name", "工本费"),
        ("fee0_amount", amount),
        ("fee0_basis", "价费〔2026〕1号"),
        ("lic_type", ""),
        ("topic_household", "1"),
        ("event_moving", "1"),
        ("go", "save"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// The workflow form: each step's assignees as `DEPT:role` pairs, chosen in the department and
/// role selects of as many slots (three at least, as the page offers).
fn steps(csrf: &str, review: &str) -> Vec<(String, String)> {
    let mut form = vec![
        ("csrf".to_string(), csrf.to_string()),
        ("go".into(), "save".into()),
        ("slots".into(), "3".into()),
    ];
    for (i, (kind, name, who, mode)) in [
        ("accept", "受理", "9901-GA:clerk", "all"),
        ("review", "联合审查", review, "all"),
        ("decide", "", "9901-GA:reviewer", "all"),
        ("issue", "", "9901-GA:clerk", "all"),
        ("accept", "", "", "all"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut pairs = who.split(", ").filter(|p| !p.is_empty());
        for j in 0..3 {
            let (dept, role) = pairs
                .next()
                .and_then(|p| p.split_once(':'))
                .unwrap_or(("", "clerk"));
            form.push((format!("s{i}_d{j}"), dept.to_string()));
            form.push((format!("s{i}_r{j}"), role.to_string()));
        }
        for (k, v) in [
            ("kind", kind),
            ("name", name),
            ("mode", mode),
            ("required", ""),
            ("limit", ""),
        ] {
            form.push((format!("s{i}_{k}"), v.to_string()));
        }
    }
    form
}

#[tokio::test]
async fn an_administrator_creates_an_item_and_versions_its_workflow() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        add_staff(&s, "ga_admin", "9901-GA", Role::DeptAdmin).await;
        let admin = browser();
        sign_in_with_mfa(&admin, &s, "ga_admin").await;
        let list = admin.get(s.url("/console/items")).send().await.unwrap().text().await.unwrap();
        assert!(list.contains("/console/items/new"), "{list}");
        let page = admin.get(s.url("/console/items/new")).send().await.unwrap().text().await.unwrap();
        let csrf = csrf_of(&page);
        assert!(page.contains("公安局") && page.contains("name=\"m0_code\""), "{page}");

        // What the page cannot read is named against its row; so is what the hall refuses.
        let post = |form: Vec<(String, String)>| admin.post(s.url("/console/items/new")).form(&form).send();
        let r = post(item_form(&csrf, "0", "居住证申领", "十元", "9901-GA-0001.address")).await.unwrap();
        assert_eq!(r.status(), 422);
        let body = r.text().await.unwrap();
        assert!(body.contains("href=\"#fee0_amount\"") && body.contains("租赁合同"), "kept: {body}");
        let r = post(item_form(&csrf, "0", "居住证申领", "10.5", "no-dot")).await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("href=\"#m2_from\""));
        let r = post(item_form(&csrf, "0", "", "10.5", "9901-GA-0001.address")).await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("href=\"#name\""));

        // Created, it goes on to its workflow (a new item has none yet).
        let r = post(item_form(&csrf, "0", "居住证申领", "10.5", "9901-GA-0001.address")).await.unwrap();
        assert_eq!(r.status(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_string();
        assert_eq!(to, format!("/console/items/{CODE}/workflow?created=1"));
        let item = s.hall.item_by_code(CODE).await.unwrap();
        assert_eq!(item.name_en, "Residence permit application", "the English name is kept");
        assert_eq!(item.fees[0].amount_fen, 1050);
        assert_eq!(item.materials.len(), 2, "the blank row is skipped");
        assert!(matches!(&item.materials[1].source, MaterialSource::SharedField { resource, field }
            if resource == "9901-GA-0001" && field == "address"));
        assert!(matches!(&item.fields[1].kind, FieldKind::Choice { options } if options.len() == 2 && options[1].label == "租赁"));

        let wf_url = s.url(&format!("/console/items/{CODE}/workflow"));
        let page = admin.get(s.url(&to)).send().await.unwrap().text().await.unwrap();
        // Departments and roles are chosen by name in selects, never typed as codes.
        assert!(
            page.contains("<option value=\"9901-GA\" selected>") && page.contains("<option value=\"clerk\" selected>窗口受理"),
            "starts from the usual shape: {page}"
        );
        assert!(page.contains("<option value=\"9901-MZ\">") && !page.contains("9901-GA:clerk"), "{page}");
        let r = admin.post(&wf_url).form(&steps(&csrf, "9901-XX:clerk")).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("href=\"#s1_d0\""));
        // A role a step cannot take is named on its own select, in the slot it was chosen in.
        let r = admin.post(&wf_url).form(&steps(&csrf, "9901-GA:reviewer, 9901-MZ:sys_admin")).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("href=\"#s1_r1\""));
        let mut wrong_order = steps(&csrf, "9901-GA:reviewer");
        for (k, v) in &mut wrong_order {
            if k == "s2_kind" {
                *v = "issue".into();
            }
        }
        let r = admin.post(&wf_url).form(&wrong_order).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("href=\"#s2_kind\""));
        let r = admin
            .post(&wf_url)
            .form(&steps(&csrf, "9901-GA:reviewer, 9901-MZ:clerk"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let r = admin.post(&wf_url).form(&steps(&csrf, "9901-GA:reviewer")).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let saved = admin.get(s.url(r.headers()["location"].to_str().unwrap())).send().await.unwrap().text().await.unwrap();
        assert!(saved.contains("已保存为 v2"), "the save is confirmed: {saved}");
        let item = s.hall.item_by_code(CODE).await.unwrap();
        assert_eq!(item.workflow_version, 2);
        let v1 = s.hall.workflow(&item.id, 1).await.unwrap();
        assert_eq!(v1.steps.len(), 4);
        assert_eq!(v1.steps[1].assignees.len(), 2);
        assert_eq!(v1.steps[1].mode, SignMode::All);
        assert_eq!(s.hall.workflow(&item.id, 2).await.unwrap().steps[1].assignees.len(), 1);
        let page = admin.get(&wf_url).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("v1") && page.contains("v2") && page.contains("联合审查"), "{page}");
        // The history names roles and who saved each version, never their codes or ids.
        let history = &page[page.find("<h2>").unwrap()..];
        assert!(history.contains("公安局·窗口受理") && !history.contains("·clerk"), "{history}");
        let admin_id = s.identity.principal_for_username("ga_admin").await.unwrap().id;
        assert!(!history.contains(&admin_id), "{history}");

        // The guide shows it; an edit read at version 1 after another edit is refused.
        let guide = browser().get(s.url(&format!("/services/{CODE}"))).send().await.unwrap().text().await.unwrap();
        assert!(guide.contains("居住证申领") && guide.contains("工本费"), "{guide}");
        assert!(guide.contains("/services?event=moving"), "{guide}");
        // Browsed by topic and by life event.
        let get = |q: &str| browser().get(s.url(&format!("/services?{q}"))).send();
        assert!(get("topic=household").await.unwrap().text().await.unwrap().contains(CODE));
        assert!(get("event=moving").await.unwrap().text().await.unwrap().contains(CODE));
        assert!(!get("event=birth").await.unwrap().text().await.unwrap().contains(CODE));
        assert!(!get("topic=business").await.unwrap().text().await.unwrap().contains(CODE));
        let edit_url = s.url(&format!("/console/items/{CODE}"));
        let page = admin.get(&edit_url).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("value=\"10.50\"") && page.contains("own=自有住房|rent=租赁"), "{page}");
        assert!(page.contains("name=\"topic_household\" value=\"1\" checked"), "{page}");
        // An address is personal whatever the form said: the box shows it as applied.
        assert!(page.contains("name=\"f0_personal\" value=\"1\" checked"), "{page}");
        assert!(!page.contains("name=\"f1_personal\" value=\"1\" checked"), "{page}");
        let version = item.version.to_string();
        let r = admin
            .post(&edit_url)
            .form(&item_form(&csrf, &version, "居住证申领（新）", "10.5", "9901-GA-0001.address"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(s.hall.item_by_code(CODE).await.unwrap().name, "居住证申领（新）");
        let to = r.headers()["location"].to_str().unwrap().to_string();
        let saved = admin.get(s.url(&to)).send().await.unwrap().text().await.unwrap();
        assert!(saved.contains("已保存事项。"), "the save is confirmed: {saved}");
        let r = admin
            .post(&edit_url)
            .form(&item_form(&csrf, &version, "居住证申领（旧）", "10.5", "9901-GA-0001.address"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(s.hall.item_by_code(CODE).await.unwrap().name, "居住证申领（新）");

        // 民政局's administrator does not manage 公安局's items; a clerk manages none.
        add_staff(&s, "mz_admin", "9901-MZ", Role::DeptAdmin).await;
        let other = browser();
        sign_in_with_mfa(&other, &s, "mz_admin").await;
        let list = other.get(s.url("/console/items")).send().await.unwrap().text().await.unwrap();
        assert!(!list.contains(CODE));
        assert_eq!(other.get(&edit_url).send().await.unwrap().status(), 403);
        assert_eq!(other.post(&wf_url).form(&steps(&csrf_of(&list), "9901-MZ:clerk")).send().await.unwrap().status(), 403);
        let clerk = browser();
        sign_in(&clerk, &s, "ga_clerk", PASSWORD).await;
        assert_eq!(clerk.get(s.url("/console/items")).send().await.unwrap().status(), 403);
    })
    .await;
}

#[tokio::test]
async fn a_field_prefilled_from_personal_data_is_personal_whatever_the_box_says() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        add_staff(&s, "ga_admin", "9901-GA", Role::DeptAdmin).await;
        // The household register, whose names are personal data.
        crate::support::publish_household_register(&s).await;

        let admin = browser();
        sign_in_with_mfa(&admin, &s, "ga_admin").await;
        let page = admin
            .get(s.url("/console/items/new"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let mut form = item_form(
            &csrf_of(&page),
            "0",
            "居住证申领",
            "10.5",
            "9901-GA-0001.district",
        );
        // The first question: the holder's name as text, prefilled from the register, the
        // 个人信息 box left unticked.
        for (k, v) in [
            ("f0_code", "holder_name"),
            ("f0_label", "申请人姓名"),
            ("f0_kind", "text"),
            ("f0_spec", "50"),
            ("f0_prefill", "9901-GA-0001.name"),
        ] {
            form.retain(|(key, _)| key != k);
            form.push((k.to_string(), v.to_string()));
        }
        let r = admin
            .post(s.url("/console/items/new"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
        let item = s.hall.item_by_code(CODE).await.unwrap();
        assert!(
            item.fields[0].personal,
            "a name from the register is personal here too"
        );
        assert!(
            !item.fields[1].personal,
            "a choice prefilled from nothing stays as it was"
        );
        s.stop().await;
    })
    .await;
}
