//! 预填 over HTTP: the application of a 民政局 service is prefilled from 公安局's household
//! registry with exactly the fields 民政局 is granted, each showing its source; a value the
//! applicant corrects is marked so for the clerk; a source forged in the posted form marks
//! nothing; every prefill read is in the ledger.

use crate::support::{PASSWORD, Server, browser, followed, sets, sign_in};
use tongban_catalog::{Decision, GrantTerms, Grantee, NewRequest, Review};
use tongban_hall::{
    AssigneeInput, FieldKind, FieldSource, FormField, ItemType, ServiceItemInput, SignMode, StepInput,
    StepKind,
};
use tongban_kernel::Principal;
use tongban_test_support::each_backend;

const ITEM: &str = "9901-MZ-DB";
const REGISTRY: &str = "9901-GA-0001";

fn from_registry(code: &str, label: &str, kind: FieldKind, field: &str) -> FormField {
    FormField {
        code: code.into(),
        label: label.into(),
        kind,
        required: true,
        personal: false,
        prefill: Some(FieldSource {
            resource: REGISTRY.into(),
            field: field.into(),
        }),
    }
}

async fn setup(s: &Server) {
    let sys = Principal::system("test");
    let mz = s.identity.department_by_code(&sys, "9901-MZ").await.unwrap();
    let r = crate::support::publish_household_register(s).await;
    let file = std::env::temp_dir().join(format!("prefill-{}.csv", tongban_kernel::id::new_uuid_v7()));
    std::fs::write(
        &file,
        "公民身份号码,姓名,区县\n990101199003071237,张晓明,城东区\n11010519491231002X,张三丰,城西区\n",
    )
    .unwrap();
    s.pool
        .ingest_csv(&sys, REGISTRY, &file, &tongban_pool::IngestOptions::default())
        .await
        .unwrap();
    let _ = std::fs::remove_file(&file);

    // 民政局 is granted the ID number and the name — not the district.
    let q = s
        .catalog()
        .request_sharing(
            &sys,
            NewRequest {
                requester: Grantee::Department {
                    id: mz.id.as_str().into(),
                    path: mz.path.clone(),
                },
                resource: r.id.clone(),
                fields: vec!["id_number".into(), "name".into()],
                purpose: "低保申请表预填".into(),
                scenario: "一网通办".into(),
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
        .review(&sys, &q.request.id, Review::Approve { note: String::new() })
        .await
        .unwrap();
    s.catalog()
        .decide(
            &sys,
            &q.request.id,
            Decision::Grant(GrantTerms {
                uses: vec![tongban_catalog::GrantUse::Prefill],
                ..GrantTerms::default()
            }),
        )
        .await
        .unwrap();

    let item = s
        .hall
        .create_item(
            &sys,
            ServiceItemInput {
                code: ITEM.into(),
                name: "最低生活保障申请".into(),
                name_en: String::new(),
                department: mz.path.clone(),
                item_type: ItemType::Benefit,
                legal_basis: "《社会救助暂行办法》第十一条".into(),
                conditions: "家庭人均收入低于当地低保标准".into(),
                materials: Vec::new(),
                fields: vec![
                    from_registry(
                        "applicant_name",
                        "申请人姓名",
                        FieldKind::Text { max_chars: 40 },
                        "name",
                    ),
                    from_registry("id_number", "公民身份号码", FieldKind::IdNumber, "id_number"),
                    from_registry(
                        "district",
                        "所属区县",
                        FieldKind::Text { max_chars: 20 },
                        "district",
                    ),
                ],
                fees: Vec::new(),
                statutory_days: 30,
                promised_days: 20,
                visits: 0,
                active: true,
                licence: None,
                topics: Vec::new(),
                life_events: Vec::new(),
            },
        )
        .await
        .unwrap();
    s.hall
        .save_workflow(
            &sys,
            &item.id,
            [StepKind::Accept, StepKind::Decide, StepKind::Issue]
                .into_iter()
                .map(|kind| StepInput {
                    kind,
                    name: String::new(),
                    assignees: vec![AssigneeInput {
                        department: mz.path.0.clone(),
                        role: "clerk".into(),
                    }],
                    mode: SignMode::All,
                    limit_days: None,
                })
                .collect(),
        )
        .await
        .unwrap();
}

/// The hidden inputs of a page's first form with the given ones replaced or added.
fn form_of(html: &str, set: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for part in html.split("<input type=\"hidden\" name=\"").skip(1) {
        let name = &part[..part.find('"').unwrap()];
        let rest = &part[part.find("value=\"").unwrap() + 7..];
        let value = &rest[..rest.find('"').unwrap()];
        if !out.iter().any(|(n, _)| n == name) {
            out.push((
                name.to_string(),
                value.replace("&#x2d;", "-").replace("&#45;", "-"),
            ));
        }
    }
    for (k, v) in set {
        out.retain(|(n, _)| n != k);
        out.push((k.to_string(), v.to_string()));
    }
    out
}

/// The value of the page's `#v` text input.
fn value_of(html: &str) -> String {
    let at = html
        .find("id=\"v\" name=\"v\" value=\"")
        .map(|i| i + 23)
        .unwrap_or(0);
    html[at..at + html[at..].find('"').unwrap_or(0)].to_string()
}

#[tokio::test]
async fn an_application_is_prefilled_with_granted_fields_only_and_corrections_are_marked() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        setup(&s).await;
        let citizen = browser();
        sign_in(&citizen, &s, "citizen1", PASSWORD).await;
        let apply = s.url(&format!("/services/{ITEM}/apply"));

        let q1 = followed(&citizen, &s.base, citizen.get(&apply).send().await.unwrap())
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(value_of(&q1), "张晓明", "the name comes from the registry");
        assert!(
            q1.contains("已为您预填") && q1.contains("示范市公安局 · 户籍人口基本信息"),
            "{q1}"
        );
        // The applicant says the name is wrong and gives another.
        let next = |html: &str, v: &str| form_of(html, &[("v", v), ("go", "next")]);
        let q2 = followed(
            &citizen,
            &s.base,
            citizen
                .post(&apply)
                .form(&next(&q1, "张晓明明"))
                .send()
                .await
                .unwrap(),
        )
        .await
        .text()
        .await
        .unwrap();
        assert_eq!(value_of(&q2), "990101199003071237");
        let q3 = followed(
            &citizen,
            &s.base,
            citizen
                .post(&apply)
                .form(&next(&q2, "990101199003071237"))
                .send()
                .await
                .unwrap(),
        )
        .await
        .text()
        .await
        .unwrap();
        // The district is not granted to 民政局: asked, not filled.
        assert!(q3.contains("所属区县"), "{q3}");
        assert_eq!(value_of(&q3), "");
        assert!(!q3.contains("已为您预填"));
        // A source posted beside the answer is not taken: the draft keeps what the lookup found.
        let mut forged = next(&q3, "城东区");
        forged.push(("s.district".into(), "公安局 · 户籍人口基本信息".into()));
        let check = followed(
            &citizen,
            &s.base,
            citizen.post(&apply).form(&forged).send().await.unwrap(),
        )
        .await
        .text()
        .await
        .unwrap();
        assert!(check.contains("核对您的填报内容"), "{check}");
        assert!(
            !check.contains("预填 · 公安局"),
            "the posted source is not shown: {check}"
        );
        // The changed name is marked corrected, the ID number as prefilled.
        assert!(
            check.contains("预填（已更正） · 示范市公安局 · 户籍人口基本信息")
                && check.contains("预填 · 示范市公安局 · 户籍人口基本信息"),
            "{check}"
        );
        let at = check
            .find(&format!("action=\"/services/{ITEM}/submit\""))
            .unwrap();
        let r = citizen
            .post(s.url(&format!("/services/{ITEM}/submit")))
            .form(&form_of(&check[at..], &[]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_string();
        let id = to
            .split('?')
            .next()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();

        let sys = Principal::system("test");
        let case = s
            .hall
            .case(&sys, &tongban_hall::CaseId(id.clone()))
            .await
            .unwrap()
            .case;
        let mark = |code: &str| {
            case.form
                .iter()
                .find(|v| v.code == code)
                .unwrap()
                .prefilled
                .clone()
        };
        let name = mark("applicant_name").expect("the name was prefilled");
        assert!(name.corrected && name.source == "示范市公安局 · 户籍人口基本信息");
        let idn = mark("id_number").expect("the ID number was prefilled");
        assert!(!idn.corrected);
        assert_eq!(mark("district"), None, "the forged source marks nothing");

        // So does the applicant's own case page.
        let mine = citizen
            .get(s.url(&format!("/my/cases/{id}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(mine.contains("预填（已更正）"), "{mine}");

        // The clerk sees where values came from and that one was corrected.
        let clerk = browser();
        sign_in(&clerk, &s, "mz_clerk", PASSWORD).await;
        let page = clerk
            .get(s.url(&format!("/console/cases/{id}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("预填 · 示范市公安局 · 户籍人口基本信息") && page.contains("申请人已更正预填值"),
            "{page}"
        );

        // Each prefill read (the first page, and again at submission) is in the ledger.
        let reads: Vec<_> = tongban_db::event::read_after(&s.hall.db().clone(), 0, 100_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "pool.exchange.read" && e.detail.contains("\"use\":\"prefill\""))
            .collect();
        let calls: u64 = reads
            .iter()
            .map(|e| {
                serde_json::from_str::<serde_json::Value>(&e.detail).unwrap()["reads"]
                    .as_u64()
                    .unwrap()
            })
            .sum();
        assert_eq!(calls, 2);
        assert!(reads.iter().all(|e| !e.detail.contains("990101199003071237")));
    })
    .await;
}

#[tokio::test]
async fn a_bundle_is_prefilled_as_each_of_its_departments_may_read() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        setup(&s).await;
        // A 公安局 service asking for the district too: 公安局 provides the registry, so it may
        // read the district that 民政局 may not.
        let sys = Principal::system("test");
        let ga = s.identity.department_by_code(&sys, "9901-GA").await.unwrap();
        let item = s
            .hall
            .create_item(
                &sys,
                ServiceItemInput {
                    code: "9901-GA-HJZM".into(),
                    name: "户籍证明".into(),
                    name_en: String::new(),
                    department: ga.path.clone(),
                    item_type: ItemType::Confirmation,
                    legal_basis: "《户口登记条例》".into(),
                    conditions: String::new(),
                    materials: Vec::new(),
                    fields: vec![from_registry(
                        "district",
                        "所属区县",
                        FieldKind::Text { max_chars: 20 },
                        "district",
                    )],
                    fees: Vec::new(),
                    statutory_days: 10,
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
        let step = |kind| StepInput {
            kind,
            name: String::new(),
            assignees: vec![AssigneeInput {
                department: ga.path.0.clone(),
                role: "clerk".into(),
            }],
            mode: SignMode::All,
            limit_days: None,
        };
        s.hall
            .save_workflow(
                &sys,
                &item.id,
                vec![
                    step(StepKind::Accept),
                    step(StepKind::Decide),
                    step(StepKind::Issue),
                ],
            )
            .await
            .unwrap();
        s.hall
            .create_bundle(
                &sys,
                tongban_hall::BundleInput {
                    code: "9901-DIBAO".into(),
                    name: "低保申请一件事".into(),
                    life_event: "困难救助".into(),
                    description: "低保申请与户籍证明一次办".into(),
                    items: vec![ITEM.into(), "9901-GA-HJZM".into()],
                    active: true,
                },
            )
            .await
            .unwrap();
        let citizen = browser();
        sign_in(&citizen, &s, "citizen1", PASSWORD).await;
        let apply = s.url("/bundles/9901-DIBAO/apply");
        let q1 = followed(&citizen, &s.base, citizen.get(&apply).send().await.unwrap())
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(value_of(&q1), "张晓明", "as 民政局: {q1}");
        let next = |html: &str, v: &str| form_of(html, &[("v", v), ("go", "next")]);
        let q2 = followed(
            &citizen,
            &s.base,
            citizen
                .post(&apply)
                .form(&next(&q1, "张晓明"))
                .send()
                .await
                .unwrap(),
        )
        .await
        .text()
        .await
        .unwrap();
        let q3 = followed(
            &citizen,
            &s.base,
            citizen
                .post(&apply)
                .form(&next(&q2, "990101199003071237"))
                .send()
                .await
                .unwrap(),
        )
        .await
        .text()
        .await
        .unwrap();
        assert!(q3.contains("所属区县"), "{q3}");
        assert_eq!(value_of(&q3), "城东区", "as 公安局, which asks for it too: {q3}");
        assert!(q3.contains("示范市公安局 · 户籍人口基本信息"));
    })
    .await;
}
