//! The service hall over HTTP: a citizen finds a service, answers one question per page, checks
//! the answers and submits (twice: one case); staff accept, review, decide and issue from the
//! console, which signs the e-licence; the citizen follows the case to its licence. Bad input
//! comes back on the question it belongs to; another department's staff are refused.

use crate::support::{
    PASSWORD, Server, browser, csrf_of, get_and_follow, post_and_follow, sets, sign_in, sign_in_with_mfa,
};
use jiff::civil::date;
use tongban_hall::{
    AssigneeInput, ChoiceOption, FieldKind, FormField, ItemType, LicenceLine, LicenceSpec, Material,
    MaterialSource, ServiceItemInput, SignMode, StepInput, StepKind,
};
use tongban_identity::NewStaff;
use tongban_kernel::{Principal, Role};
use tongban_test_support::each_backend;

const CODE: &str = "9901-GA-JZZ";

fn field(code: &str, label: &str, kind: FieldKind) -> FormField {
    FormField {
        code: code.into(),
        label: label.into(),
        kind,
        required: true,
        personal: false,
        prefill: None,
    }
}

async fn setup(s: &Server) {
    let sys = Principal::system("test");
    let ga = s.identity.department_by_code(&sys, "9901-GA").await.unwrap();
    s.identity
        .create_staff(
            &sys,
            NewStaff {
                username: "ga_approver".into(),
                display_name: "ga_approver".into(),
                password: PASSWORD.into(),
                department: ga.id.clone(),
                roles: vec![Role::Approver],
                phone: None,
                is_demo: false,
            },
        )
        .await
        .unwrap();
    s.seals
        .create_seal(
            &sys,
            tongban_seal::Issuer {
                id: ga.id.to_string(),
                path: ga.path.clone(),
                name_zh: "示范市公安局".into(),
            },
            tongban_seal::SealInput {
                name: "示范市公安局证照专用章".into(),
                seal_type: tongban_seal::SealType::Licence,
                valid_from: date(2026, 1, 1),
                valid_to: date(2035, 12, 31),
                picture: None,
            },
        )
        .await
        .unwrap();
    let item = s
        .hall
        .create_item(
            &sys,
            ServiceItemInput {
                code: CODE.into(),
                name: "居住证办理".into(),
                name_en: String::new(),
                department: ga.path.clone(),
                item_type: ItemType::PublicService,
                legal_basis: "《居住证暂行条例》第九条".into(),
                conditions: "在居住地居住半年以上".into(),
                materials: vec![Material {
                    code: "household".into(),
                    name: "户籍信息".into(),
                    required: true,
                    source: MaterialSource::SharedField {
                        resource: "9901-GA-0001".into(),
                        field: "address".into(),
                    },
                }],
                fields: vec![
                    field("applicant_name", "申请人姓名", FieldKind::Text { max_chars: 40 }),
                    field("id_number", "公民身份号码", FieldKind::IdNumber),
                    field(
                        "reason",
                        "居住事由",
                        FieldKind::Choice {
                            options: vec![
                                ChoiceOption {
                                    value: "work".into(),
                                    label: "就业".into(),
                                },
                                ChoiceOption {
                                    value: "study".into(),
                                    label: "就学".into(),
                                },
                            ],
                        },
                    ),
                ],
                fees: Vec::new(),
                statutory_days: 15,
                promised_days: 7,
                visits: 0,
                active: true,
                licence: Some(LicenceSpec {
                    licence_type: "residence-permit".into(),
                    title: "居住证".into(),
                    holder_name_field: "applicant_name".into(),
                    holder_id_field: "id_number".into(),
                    lines: vec![LicenceLine {
                        label: "居住事由".into(),
                        field: "reason".into(),
                    }],
                    valid_years: Some(1),
                }),
                topics: vec![tongban_hall::Topic::Household],
                life_events: vec![tongban_hall::LifeEvent::Moving],
            },
        )
        .await
        .unwrap();
    let who = |role: &str| AssigneeInput {
        department: ga.path.0.clone(),
        role: role.into(),
    };
    let step = |kind, role| StepInput {
        kind,
        name: String::new(),
        assignees: vec![who(role)],
        mode: SignMode::All,
        limit_days: None,
    };
    s.hall
        .save_workflow(
            &sys,
            &item.id,
            vec![
                step(StepKind::Accept, "clerk"),
                step(StepKind::Review, "reviewer"),
                step(StepKind::Decide, "approver"),
                step(StepKind::Issue, "clerk"),
            ],
        )
        .await
        .unwrap();
}

/// `citizen1` applies for the residence permit directly through the hall (for tests that start
/// from a submitted case).
async fn citizen1_applies(s: &Server, key: &str) -> tongban_hall::Case {
    let me = s.identity.principal_for_username("citizen1").await.unwrap();
    let item = s.hall.item_by_code(CODE).await.unwrap();
    let form = [
        ("applicant_name", "张晓明"),
        ("id_number", "990101199003071237"),
        ("reason", "work"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    s.hall
        .submit_case(
            &me,
            tongban_hall::NewCase {
                item: item.id.clone(),
                form,
                submission_key: key.into(),
                prefilled: Default::default(),
                materials: Default::default(),
            },
        )
        .await
        .unwrap()
        .case
}

/// citizen1 complains about the queue at the household window (routed to 公安局).
async fn citizen1_complains(s: &Server) -> tongban_interact::ItemView {
    crate::interact_pages::household_to_police(s).await;
    s.interact
        .submit(
            &s.identity.principal_for_username("citizen1").await.unwrap(),
            tongban_interact::NewItem {
                kind: tongban_interact::ItemKind::Complaint,
                category: "household".into(),
                title: "户籍窗口排队太久".into(),
                text: "城东派出所户籍窗口排队两个小时。".into(),
                location: None,
                public: false,
                contact: Default::default(),
                channel: tongban_interact::Channel::Portal,
                source_key: None,
            },
        )
        .await
        .unwrap()
}

async fn page(c: &reqwest::Client, s: &Server, path: &str) -> (u16, String) {
    let r = c.get(s.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The page at `path` as a browser asking for English gets it.
async fn english_page(c: &reqwest::Client, s: &Server, path: &str) -> String {
    let r = c
        .get(s.url(path))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    r.text().await.unwrap()
}

/// The hidden inputs of the first form on a page, plus `extra`.
fn form_of(html: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for part in html.split("<input type=\"hidden\" name=\"").skip(1) {
        let name = &part[..part.find('"').unwrap()];
        let rest = &part[part.find("value=\"").unwrap() + 7..];
        let value = &rest[..rest.find('"').unwrap()];
        if !out.iter().any(|(n, _): &(String, String)| n == name) {
            out.push((
                name.to_string(),
                value.replace("&#x2d;", "-").replace("&#45;", "-"),
            ));
        }
    }
    out.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    out
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn post(c: &reqwest::Client, s: &Server, path: &str, form: &[(String, String)]) -> reqwest::Response {
    c.post(s.url(path)).form(form).send().await.unwrap()
}

#[tokio::test]
async fn a_citizen_applies_page_by_page_and_staff_take_the_case_to_its_licence() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        setup(&s).await;
        let citizen = browser();
        sign_in(&citizen, &s, "citizen1", PASSWORD).await;

        let (_, list) = page(&citizen, &s, "/services?q=居住").await;
        assert!(
            list.contains("居住证办理") && list.contains(&format!("/services/{CODE}")),
            "{list}"
        );
        let (_, guide) = page(&citizen, &s, &format!("/services/{CODE}")).await;
        assert!(
            guide.contains("免提交")
                && guide.contains("《居住证暂行条例》第九条")
                && guide.contains("居住证")
        );

        // One question per page; a required answer left empty stays on its page, named.
        let r = get_and_follow(&citizen, &s.base, &format!("/services/{CODE}/apply")).await;
        assert_eq!(r.status(), 200);
        let q1 = r.text().await.unwrap();
        assert!(q1.contains("申请人姓名") && q1.contains("1 / 3"), "{q1}");
        let apply = format!("/services/{CODE}/apply");
        // Refused, the browser is sent back to the question's own address (so Back never lands
        // on a posted form), where the reason is shown.
        let r = post(&citizen, &s, &apply, &form_of(&q1, &[("v", ""), ("go", "next")])).await;
        assert_eq!(r.status(), 303);
        let own = r.headers()["location"].to_str().unwrap().to_string();
        assert!(
            own.starts_with(&format!("{apply}/web-")) && own.ends_with("/0"),
            "{own}"
        );
        let r = citizen.get(s.url(&own)).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let again = r.text().await.unwrap();
        assert!(again.contains("v-error") && again.contains("请填写申请人姓名"));
        // Every page has its own address: an answer is saved and the browser sent on (303),
        // so Back and reload show a page instead of posting the form again.
        let key = form_of(&q1, &[]).into_iter().find(|(k, _)| k == "key").unwrap().1;
        let r = citizen
            .post(s.url(&apply))
            .form(&form_of(&q1, &[("v", "张晓"), ("go", "next")]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let q2_at = format!("/services/{CODE}/apply/{key}/1");
        assert_eq!(r.headers()["location"].to_str().unwrap(), q2_at);
        let (status, back) = page(&citizen, &s, &format!("/services/{CODE}/apply/{key}/0")).await;
        assert_eq!(status, 200);
        assert!(
            back.contains("value=\"张晓\"") && back.contains("1 / 3"),
            "the answer kept: {back}"
        );
        // Its hints read as sentences, never run together.
        assert!(
            back.contains("最多字数：40") && !back.contains("40 此项"),
            "{back}"
        );
        // Nobody else can open it: they are sent to the start of an application of their own.
        let stranger = browser();
        sign_in(&stranger, &s, "ga_clerk", PASSWORD).await;
        let r = stranger.get(s.url(&q2_at)).send().await.unwrap();
        assert_eq!(r.headers()["location"].to_str().unwrap(), apply);
        // Coming back to the service later takes up the same application, with a way to start
        // over.
        let r = citizen.get(s.url(&apply)).send().await.unwrap();
        assert_eq!(
            r.headers()["location"].to_str().unwrap(),
            format!("/services/{CODE}/apply/{key}/0?resumed=1")
        );
        let (_, resumed) = page(&citizen, &s, &format!("/services/{CODE}/apply/{key}/0?resumed=1")).await;
        assert!(
            resumed.contains("已恢复您上次未提交的填报内容")
                && resumed.contains(&format!("href=\"{apply}?new=1\"")),
            "{resumed}"
        );
        let q2 = post_and_follow(
            &citizen,
            &s.base,
            &apply,
            &form_of(&q1, &[("v", "张晓明"), ("go", "next")]),
        )
        .await
        .text()
        .await
        .unwrap();
        assert!(q2.contains("公民身份号码") && q2.contains("2 / 3"));
        // A wrong ID number is refused on its own page, with the reason at the field.
        let r = post_and_follow(
            &citizen,
            &s.base,
            &apply,
            &form_of(&q2, &[("v", "990101199003071230"), ("go", "next")]),
        )
        .await;
        assert_eq!(r.status(), 422);
        let wrong = r.text().await.unwrap();
        assert!(
            wrong.contains("公民身份号码") && wrong.contains("v-error") && wrong.contains("2 / 3"),
            "still on the ID question: {wrong}"
        );
        let q3 = post_and_follow(
            &citizen,
            &s.base,
            &apply,
            &form_of(&wrong, &[("v", "990101199003071237"), ("go", "next")]),
        )
        .await
        .text()
        .await
        .unwrap();
        assert!(q3.contains("居住事由") && q3.contains("type=\"radio\""));
        let check = post_and_follow(
            &citizen,
            &s.base,
            &apply,
            &form_of(&q3, &[("v", "work"), ("go", "next")]),
        )
        .await
        .text()
        .await
        .unwrap();
        assert!(check.contains("核对您的填报内容") && check.contains("就业") && check.contains("户籍信息"));
        // 修改 from the check page goes to that question and, once answered, straight back.
        let q1_again = post_and_follow(&citizen, &s.base, &apply, &form_of(&check, &[("change", "0")]))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            q1_again.contains("申请人姓名") && q1_again.contains("1 / 3"),
            "{q1_again}"
        );
        let back_to_check = post_and_follow(
            &citizen,
            &s.base,
            &apply,
            &form_of(&q1_again, &[("v", "张晓明"), ("go", "next")]),
        )
        .await
        .text()
        .await
        .unwrap();
        assert!(
            back_to_check.contains("核对您的填报内容") && back_to_check.contains("张晓明"),
            "back on the check page, not on question 2: {back_to_check}"
        );
        let submit_form = |html: &str| {
            let at = html.find(&format!("action=\"/services/{CODE}/submit\"")).unwrap();
            form_of(&html[at..], &[])
        };
        // The answers stay on the server: the pages carry none, and one posted beside the key
        // is not taken (the case below holds the ID number answered, ending in 7).
        assert!(!check.contains("name=\"a."), "{check}");
        let mut tampered = submit_form(&check);
        tampered.push(("a.id_number".to_string(), "990101199003071230".to_string()));
        let r = post(&citizen, &s, &format!("/services/{CODE}/submit"), &tampered).await;
        assert_eq!(r.status(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_string();
        let r = post(
            &citizen,
            &s,
            &format!("/services/{CODE}/submit"),
            &submit_form(&check),
        )
        .await;
        assert_eq!(
            r.headers()["location"].to_str().unwrap(),
            to,
            "the same key gives the same case"
        );
        let (_, done) = page(&citizen, &s, &to).await;
        assert!(
            done.contains("申请已提交") && done.contains("case-number"),
            "{done}"
        );
        // The application form is on the citizen's case page, personal answers masked.
        assert!(
            done.contains("id=\"application-form\"")
                && done.contains("张晓明")
                && done.contains("就业")
                && done.contains("9901*************7")
                && !done.contains("990101199003071237"),
            "{done}"
        );
        let case_path = to.split('?').next().unwrap().to_string();
        let id = case_path.rsplit('/').next().unwrap().to_string();
        let (_, mine) = page(&citizen, &s, "/my/cases").await;
        assert!(mine.contains(&id) && mine.contains("待受理"));
        // The submitted application's pages are gone: its address starts a new one.
        let r = citizen.get(s.url(&q2_at)).send().await.unwrap();
        assert_eq!(r.headers()["location"].to_str().unwrap(), apply);

        // The clerk's inbox has it; the case page masks the ID; each step acts in turn.
        let clerk = browser();
        sign_in(&clerk, &s, "ga_clerk", PASSWORD).await;
        let (_, inbox) = page(&clerk, &s, "/console/cases").await;
        assert!(inbox.contains(&id), "{inbox}");
        let (_, case) = page(&clerk, &s, &format!("/console/cases/{id}")).await;
        assert!(case.contains("9901*************7") && !case.contains("990101199003071237"));
        let act = format!("/console/cases/{id}/act");
        let csrf = csrf_of(&case);
        let go = |pairs: &[(&str, &str)]| {
            let mut f = vec![("csrf".to_string(), csrf.clone())];
            f.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            f
        };
        // The clerk chooses what to do first: nothing chosen is named on the choice.
        assert!(
            case.contains("class=\"actions choose-first\"")
                && case.contains("<input type=\"radio\" id=\"do-refuse\" name=\"do\" value=\"refuse\">")
                && !case.contains("name=\"do\" value=\"accept\" class")
                && !case.contains("<button type=\"submit\" name=\"do\" value=\"accept\""),
            "{case}"
        );
        let r = post(&clerk, &s, &act, &go(&[("reason", "材料不全")])).await;
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(
            html.contains("请选择办理结果") && html.contains("href=\"#do\""),
            "{html}"
        );
        assert!(
            html.contains(">材料不全</textarea>"),
            "what was typed is kept: {html}"
        );
        // A refusal without its reason is named on the page, the choice kept.
        let r = post(&clerk, &s, &act, &go(&[("do", "refuse"), ("reason", "")])).await;
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains("value=\"refuse\" checked"), "{html}");
        assert!(
            html.contains("请填写不予受理的理由"),
            "the missing answer is named: {html}"
        );
        let r = post(&clerk, &s, &act, &go(&[("do", "accept"), ("note", "材料齐全")])).await;
        assert_eq!(r.status(), 303);
        // The page it returns to says what was done.
        let (_, done) = page(&clerk, &s, r.headers()["location"].to_str().unwrap()).await;
        assert!(done.contains("role=\"status\">已受理。"), "{done}");
        // Staff of another department cannot open or act on it.
        let other = browser();
        sign_in(&other, &s, "mz_clerk", PASSWORD).await;
        let (status, _) = page(&other, &s, &format!("/console/cases/{id}")).await;
        assert_eq!(status, 403);
        let other_csrf = csrf_of(&page(&other, &s, "/console/cases").await.1);
        let r = other
            .post(s.url(&act))
            .form(&[("csrf", other_csrf.as_str()), ("do", "agree"), ("opinion", "")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);

        for (who, pairs) in [
            ("ga_colleague", vec![("do", "agree"), ("opinion", "符合条件")]),
            ("ga_approver", vec![("do", "approve")]),
        ] {
            let b = browser();
            sign_in(&b, &s, who, PASSWORD).await;
            let csrf = csrf_of(&page(&b, &s, &format!("/console/cases/{id}")).await.1);
            let mut f = vec![("csrf".to_string(), csrf)];
            f.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            assert_eq!(post(&b, &s, &act, &f).await.status(), 303, "{who}");
        }
        assert_eq!(
            post(&clerk, &s, &act, &go(&[("do", "issue")])).await.status(),
            303
        );

        // The citizen sees the result and the licence.
        let (_, finished) = page(&citizen, &s, &case_path).await;
        assert!(
            finished.contains("已办结") && finished.contains("/licences/DZZZ-"),
            "{finished}"
        );
        assert!(
            finished.contains("已受理") && finished.contains("准予办理") && !finished.contains("准予许可"),
            "a public service is approved as 准予办理: {finished}"
        );
        let (_, licences) = page(&citizen, &s, "/my/licences").await;
        assert!(licences.contains("居住证"));

        // The decision letter: the applicant's and the handling staff's, nobody else's.
        assert!(finished.contains(&format!("{case_path}/decision")), "{finished}");
        let (status, letter) = page(&citizen, &s, &format!("{case_path}/decision")).await;
        assert_eq!(status, 200, "{letter}");
        assert!(
            letter.contains("准予办理决定书")
                && letter.contains("居住证办理")
                && letter.contains("《居住证暂行条例》第九条")
                && letter.contains("公安局")
                && !letter.contains("行政复议"),
            "{letter}"
        );
        let console_letter = format!("/console/cases/{id}/decision");
        let (status, staff_letter) = page(&clerk, &s, &console_letter).await;
        assert_eq!(status, 200);
        assert!(
            staff_letter.contains("准予办理决定书") && staff_letter.contains(&format!("/console/cases/{id}"))
        );
        assert_eq!(page(&other, &s, &console_letter).await.0, 403);
        s.identity
            .register_citizen(
                &Principal::system("test"),
                tongban_identity::CitizenRegistration {
                    username: "citizen2".into(),
                    password: PASSWORD.into(),
                    real_name: "李四".into(),
                    id_number: "11010519491231002X".into(),
                    phone: None,
                    display_name: None,
                    is_demo: false,
                },
            )
            .await
            .unwrap();
        let stranger = browser();
        sign_in(&stranger, &s, "citizen2", PASSWORD).await;
        assert_eq!(page(&stranger, &s, &format!("{case_path}/decision")).await.0, 404);
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_bad_rating_needs_its_reason_and_the_department_closes_the_rectification() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        setup(&s).await;
        let sys = Principal::system("test");
        let ga = s.identity.department_by_code(&sys, "9901-GA").await.unwrap();
        s.identity
            .create_staff(
                &sys,
                NewStaff {
                    username: "ga_admin".into(),
                    display_name: "ga_admin".into(),
                    password: PASSWORD.into(),
                    department: ga.id.clone(),
                    roles: vec![Role::DeptAdmin],
                    phone: None,
                    is_demo: false,
                },
            )
            .await
            .unwrap();
        let case = citizen1_applies(&s, "rating-web-1").await;
        let clerk = s.identity.principal_for_username("ga_clerk").await.unwrap();
        s.hall
            .refuse_case(&clerk, &case.id, "不属于本部门受理范围")
            .await
            .unwrap();

        let citizen = browser();
        sign_in(&citizen, &s, "citizen1", PASSWORD).await;
        let path = format!("/my/cases/{}", case.id);
        let (_, page_html) = page(&citizen, &s, &path).await;
        assert!(
            page_html.contains("评价本次服务") && page_html.contains("非常不满意"),
            "{page_html}"
        );
        // A refusal to accept comes with its written notice: the reason, the law it is made
        // under, the issuer and the applicant's right to reconsideration or a lawsuit.
        assert!(page_html.contains("id=\"not-accepted-notice\""), "{page_html}");
        let (status, notice) = page(&citizen, &s, &format!("{path}/decision")).await;
        assert_eq!(status, 200);
        assert!(
            notice.contains("不予受理") && notice.contains("通知书"),
            "{notice}"
        );
        assert!(
            notice.contains("经审查，不属于本部门受理范围。根据") && notice.contains("决定不予受理。"),
            "{notice}"
        );
        assert!(
            notice.contains("行政复议") && notice.contains("行政诉讼"),
            "{notice}"
        );
        assert!(
            notice.contains("自收到本通知书之日起") && !notice.contains("决定书"),
            "the notice names itself: {notice}"
        );
        assert!(notice.contains(&format!("{}-BSL", case.number)), "{notice}");
        let rate = format!("{path}/rate");
        let csrf = crate::support::csrf_of(&page_html);
        let send = |level: &str, comment: &str| {
            vec![
                ("csrf".to_string(), csrf.clone()),
                ("level".to_string(), level.to_string()),
                ("comment".to_string(), comment.to_string()),
            ]
        };
        // No level chosen, then a bad rating without its reason: both named.
        let r = post(&citizen, &s, &rate, &send("", "")).await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("level-error"));
        let r = post(&citizen, &s, &rate, &send("1", " ")).await;
        assert_eq!(r.status(), 422);
        let refused = r.text().await.unwrap();
        assert!(refused.contains("comment-error"));
        // The rating chosen stays chosen.
        assert!(refused.contains("value=\"1\" checked"), "{refused}");
        let r = post(&citizen, &s, &rate, &send("1", "拒绝受理却没告诉我该去哪里办")).await;
        assert_eq!(r.status(), 303);
        let (_, rated) = page(&citizen, &s, &path).await;
        assert!(rated.contains("您的评价") && rated.contains("非常不满意") && !rated.contains("提交评价"));
        // Rating again is refused.
        let r = post(&citizen, &s, &rate, &send("5", "")).await;
        assert_eq!(r.status(), 400);

        // The clerk has no rectification page; the department administrator does.
        let clerk_web = browser();
        sign_in(&clerk_web, &s, "ga_clerk", PASSWORD).await;
        let (status, _) = page(&clerk_web, &s, "/console/rectifications").await;
        assert_eq!(status, 403);
        let admin = browser();
        sign_in_with_mfa(&admin, &s, "ga_admin").await;
        let (status, list) = page(&admin, &s, "/console/rectifications").await;
        assert_eq!(status, 200);
        assert!(
            list.contains(&case.number) && list.contains("拒绝受理却没告诉我该去哪里办"),
            "{list}"
        );
        let rect = s
            .hall
            .rectifications(
                &s.identity.principal_for_username("ga_admin").await.unwrap(),
                &ga.path,
                tongban_kernel::Page::default(),
            )
            .await
            .unwrap()
            .remove(0);
        let close = format!("/console/rectifications/{}/close", rect.id);
        let csrf = crate::support::csrf_of(&list);
        let form = |callback: &str| {
            vec![
                ("csrf".to_string(), csrf.clone()),
                ("version".to_string(), rect.version.to_string()),
                ("measures".to_string(), "窗口一次性告知受理部门".to_string()),
                ("callback".to_string(), callback.to_string()),
                ("satisfied".to_string(), "1".to_string()),
            ]
        };
        let r = post(&admin, &s, &close, &form("")).await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains(&format!("callback-{}", rect.id)));
        let r = post(&admin, &s, &close, &form("已电话回访，申请人认可")).await;
        assert_eq!(r.status(), 303);
        let (_, after) = page(&admin, &s, "/console/rectifications?closed=1").await;
        assert!(after.contains("已整改") && after.contains("已电话回访，申请人认可"));

        // 办件督查: the administrator sees the department's counts; the clerk may not.
        let (status, view) = page(&admin, &s, "/console/supervise").await;
        assert_eq!(status, 200);
        assert!(
            view.contains("办件督查") && view.contains("超过法定时限") && view.contains("公安局"),
            "{view}"
        );
        let (status, _) = page(&clerk_web, &s, "/console/supervise").await;
        assert_eq!(status, 403);
    })
    .await;
}

#[tokio::test]
async fn a_denial_letter_gives_the_reasons_the_basis_and_the_right_to_appeal() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        setup(&s).await;
        let case = citizen1_applies(&s, "denial-letter-1").await;
        let citizen = browser();
        sign_in(&citizen, &s, "citizen1", PASSWORD).await;
        let letter = format!("/my/cases/{}/decision", case.id);
        // No decision yet, no letter; a forged id is not found either.
        assert_eq!(page(&citizen, &s, &letter).await.0, 404);
        assert_eq!(page(&citizen, &s, "/my/cases/not-a-case/decision").await.0, 404);

        let as_user = |name: &'static str| s.identity.principal_for_username(name);
        s.hall
            .accept_case(&as_user("ga_clerk").await.unwrap(), &case.id, "")
            .await
            .unwrap();
        s.hall
            .review_case(
                &as_user("ga_colleague").await.unwrap(),
                &case.id,
                tongban_hall::ReviewInput {
                    agree: false,
                    opinion: "居住时间不足半年".into(),
                },
            )
            .await
            .unwrap();
        s.hall
            .decide_case(
                &as_user("ga_approver").await.unwrap(),
                &case.id,
                tongban_hall::DecisionInput {
                    outcome: tongban_hall::Outcome::Deny,
                    reasons: "申请人在本市居住不满半年".into(),
                    legal_basis: "《居住证暂行条例》第二条".into(),
                },
            )
            .await
            .unwrap();
        // A public service is refused as 不予办理 everywhere, never 不予许可 (that is a licence's).
        let (_, mine) = page(&citizen, &s, &format!("/my/cases/{}", case.id)).await;
        assert!(mine.contains("不予办理") && !mine.contains("不予许可"), "{mine}");
        assert!(
            mine.contains("<strong>不予办理</strong>") && !mine.contains("<strong>不予</strong>"),
            "the decision is named in full: {mine}"
        );
        let (_, messages) = page(&citizen, &s, "/my/messages").await;
        assert!(!messages.contains("不予许可"), "{messages}");
        let (_, list) = page(&citizen, &s, "/my/cases?tab=all").await;
        assert!(list.contains("不予办理") && !list.contains("不予许可"), "{list}");
        let clerk = browser();
        sign_in(&clerk, &s, "ga_clerk", PASSWORD).await;
        let (_, console) = page(&clerk, &s, &format!("/console/cases/{}", case.id)).await;
        assert!(
            console.contains("不予办理") && !console.contains("不予许可") && !console.contains("<td>不予 · "),
            "{console}"
        );
        let (status, html) = page(&citizen, &s, &letter).await;
        assert_eq!(status, 200, "{html}");
        assert!(
            html.contains("不予办理决定书")
                && html.contains("申请人在本市居住不满半年")
                && html.contains("《居住证暂行条例》第二条")
                && html.contains("行政复议")
                && html.contains("六个月"),
            "{html}"
        );
        assert!(!html.contains("990101199003071237"), "the ID number is masked");
        // The letter names its issuer with the city; a 证照专用章 is not stamped on letters, the
        // department's 公章 is, once it has one.
        assert!(
            html.contains("<p class=\"letter-issuer\">示范市公安局</p>"),
            "{html}"
        );
        assert!(!html.contains("seal-impression"), "{html}");
        crate::support::police_seal(&s, "示范市公安局", tongban_seal::SealType::Official).await;
        let (_, html) = page(&citizen, &s, &letter).await;
        let sign = &html[html.find("letter-sign").unwrap()..];
        assert!(
            sign.contains("class=\"seal-impression\"") && sign.contains(">示范市公安局</textPath>"),
            "{html}"
        );
        let english = english_page(&citizen, &s, &letter).await;
        assert!(
            english.contains("Decision to refuse")
                && english.contains("reconsideration")
                && english.contains("Public Security Bureau, Demo City"),
            "{english}"
        );
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_clerk_sees_a_masked_answer_in_full_only_with_a_reason_and_the_applicant_is_told() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        setup(&s).await;
        let case = citizen1_applies(&s, "reveal-page-1").await;
        let path = format!("/console/cases/{}", case.id);
        let reveal = format!("{path}/reveal");
        let clerk = browser();
        sign_in(&clerk, &s, "ga_clerk", PASSWORD).await;
        let (_, html) = page(&clerk, &s, &path).await;
        assert!(!html.contains("990101199003071237"), "masked on the case page");
        let form = &html[html.find(&format!("action=\"{reveal}\"")).expect("a reveal form")..];
        assert!(form.contains("<option value=\"id_number\""), "{form}");
        assert!(
            !form[..form.find("</form>").unwrap()].contains("value=\"reason\""),
            "only masked answers are offered"
        );
        let csrf = csrf_of(&html);
        // No reason: refused on the reason's input, nothing shown, the choice kept.
        let r = post(
            &clerk,
            &s,
            &reveal,
            &owned(&[
                ("csrf", csrf.as_str()),
                ("reveal_field", "id_number"),
                ("reveal_reason", ""),
            ]),
        )
        .await;
        assert_eq!(r.status(), 422);
        let body = r.text().await.unwrap();
        assert!(
            body.contains("href=\"#reveal_reason\"") && !body.contains("990101199003071237"),
            "{body}"
        );
        assert!(body.contains("<option value=\"id_number\" selected"), "{body}");
        // "Other" without a note: named on the note.
        let r = post(
            &clerk,
            &s,
            &reveal,
            &owned(&[
                ("csrf", csrf.as_str()),
                ("reveal_field", "id_number"),
                ("reveal_reason", "other"),
            ]),
        )
        .await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("href=\"#reveal_note\""));
        // With a reason: the value in full, on a page the browser does not keep.
        let r = post(
            &clerk,
            &s,
            &reveal,
            &owned(&[
                ("csrf", csrf.as_str()),
                ("reveal_field", "id_number"),
                ("reveal_reason", "identity_check"),
            ]),
        )
        .await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["cache-control"], "no-store");
        let body = r.text().await.unwrap();
        // Switching language from a page that answers a post comes back to the form's page.
        let r = clerk
            .post(s.url(&reveal))
            .header("referer", s.url(&path))
            .form(&owned(&[
                ("csrf", csrf.as_str()),
                ("reveal_field", "id_number"),
                ("reveal_reason", "contact_applicant"),
            ]))
            .send()
            .await
            .unwrap();
        let again = r.text().await.unwrap();
        assert!(
            again.contains(&format!("/lang/en?back={}", path.replace('/', "%2F"))),
            "{again}"
        );
        assert!(
            body.contains("<strong class=\"revealed\">990101199003071237</strong>")
                && body.contains("核对身份证件"),
            "{body}"
        );
        // Without the form's token, nothing.
        let r = post(
            &clerk,
            &s,
            &reveal,
            &owned(&[("reveal_field", "id_number"), ("reveal_reason", "identity_check")]),
        )
        .await;
        assert_eq!(r.status(), 403);
        // The applicant's timeline says it was looked at, and why.
        let citizen = browser();
        sign_in(&citizen, &s, "citizen1", PASSWORD).await;
        let (_, mine) = page(&citizen, &s, &format!("/my/cases/{}", case.id)).await;
        assert!(
            mine.contains("工作人员查看个人信息") && mine.contains("公民身份号码（核对身份证件）"),
            "{mine}"
        );
        let english = english_page(&citizen, &s, &format!("/my/cases/{}", case.id)).await;
        assert!(
            english.contains("公民身份号码 (Checking identity papers)"),
            "{english}"
        );
        // Another bureau's clerk cannot.
        crate::support::add_staff(&s, "mz_clerk2", "9901-MZ", Role::Clerk).await;
        let other = browser();
        sign_in(&other, &s, "mz_clerk2", PASSWORD).await;
        let csrf = csrf_of(&page(&other, &s, "/console").await.1);
        let r = post(
            &other,
            &s,
            &reveal,
            &owned(&[
                ("csrf", csrf.as_str()),
                ("reveal_field", "id_number"),
                ("reveal_reason", "identity_check"),
            ]),
        )
        .await;
        assert_eq!(r.status(), 403);
        assert!(!r.text().await.unwrap().contains("990101199003071237"));
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn staff_extend_delegate_and_transfer_from_the_case_page() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        setup(&s).await;
        crate::support::add_staff(&s, "ga_admin", "9901-GA", Role::DeptAdmin).await;
        crate::support::add_staff(&s, "ga_reviewer2", "9901-GA", Role::Reviewer).await;
        let case = citizen1_applies(&s, "staff-actions-1").await;
        let clerk = s.identity.principal_for_username("ga_clerk").await.unwrap();
        s.hall.accept_case(&clerk, &case.id, "").await.unwrap();

        let path = format!("/console/cases/{}", case.id);
        let act = format!("{path}/act");
        let reviewer = browser();
        sign_in(&reviewer, &s, "ga_colleague", PASSWORD).await;
        let (_, html) = page(&reviewer, &s, &path).await;
        assert!(
            html.contains("申请延期") && html.contains("委托同事办理") && html.contains("转办"),
            "{html}"
        );
        let csrf = csrf_of(&html);
        let send = |pairs: &[(&str, &str)]| {
            let mut f = vec![("csrf".to_string(), csrf.clone())];
            f.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            f
        };

        // 延期: bad days and a missing reason are named on their inputs.
        let r = post(
            &reviewer,
            &s,
            &act,
            &send(&[
                ("do", "extend"),
                ("days", "五"),
                ("extension_reason", "材料需外省核查"),
            ]),
        )
        .await;
        assert_eq!(r.status(), 422);
        let refused = r.text().await.unwrap();
        assert!(refused.contains("href=\"#days\""));
        // What was typed stays in its inputs.
        assert!(
            refused.contains("name=\"days\" class=\"w-6\" value=\"五\""),
            "{refused}"
        );
        assert!(refused.contains(">材料需外省核查</textarea>"), "{refused}");
        let r = post(
            &reviewer,
            &s,
            &act,
            &send(&[("do", "extend"), ("days", "5"), ("extension_reason", "")]),
        )
        .await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("href=\"#extension_reason\""));
        let r = post(
            &reviewer,
            &s,
            &act,
            &send(&[
                ("do", "extend"),
                ("days", "5"),
                ("extension_reason", "需要现场核查"),
            ]),
        )
        .await;
        assert_eq!(r.status(), 303);
        // The one who asked cannot approve it; the department administrator can.
        let (_, html) = page(&reviewer, &s, &path).await;
        assert!(
            html.contains("需要现场核查") && !html.contains("批准延期"),
            "{html}"
        );
        let admin = browser();
        sign_in_with_mfa(&admin, &s, "ga_admin").await;
        let (_, html) = page(&admin, &s, &path).await;
        assert!(html.contains("批准延期"), "{html}");
        let f = vec![
            ("csrf".to_string(), csrf_of(&html)),
            ("do".to_string(), "extension_approve".to_string()),
            ("extension_note".to_string(), "同意".to_string()),
        ];
        assert_eq!(post(&admin, &s, &act, &f).await.status(), 303);
        let sys = Principal::system("test");
        let v = s.hall.case(&sys, &case.id).await.unwrap();
        assert_eq!(
            v.case.extension.as_ref().map(|e| e.status),
            Some(tongban_hall::ExtensionStatus::Approved)
        );

        // 中止计时 for a hearing: the explanation is required; the page then offers to resume,
        // and the applicant's timeline says why the clock stood still.
        let r = post(
            &reviewer,
            &s,
            &act,
            &send(&[("do", "pause"), ("pause_reason", "hearing"), ("pause_note", "")]),
        )
        .await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("href=\"#pause_note\""));
        let r = post(
            &reviewer,
            &s,
            &act,
            &send(&[("do", "pause"), ("pause_reason", "sometime"), ("pause_note", "x")]),
        )
        .await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("href=\"#pause_reason\""));
        let r = post(
            &reviewer,
            &s,
            &act,
            &send(&[
                ("do", "pause"),
                ("pause_reason", "hearing"),
                ("pause_note", "依申请举行听证"),
            ]),
        )
        .await;
        assert_eq!(r.status(), 303);
        let (_, html) = page(&reviewer, &s, &path).await;
        assert!(
            html.contains("计时已中止") && html.contains("value=\"resume\""),
            "{html}"
        );
        let citizen = browser();
        sign_in(&citizen, &s, "citizen1", PASSWORD).await;
        let (_, mine) = page(&citizen, &s, &format!("/my/cases/{}", case.id)).await;
        assert!(
            mine.contains("中止计时") && mine.contains("依申请举行听证"),
            "{mine}"
        );
        let r = post(
            &reviewer,
            &s,
            &act,
            &send(&[("do", "resume"), ("resume_note", "听证结束")]),
        )
        .await;
        assert_eq!(r.status(), 303);
        assert!(!s.hall.case(&sys, &case.id).await.unwrap().case.clock.is_paused());

        // 委托: an unknown colleague is named; a colleague in the role takes the task over.
        let r = post(
            &reviewer,
            &s,
            &act,
            &send(&[("do", "delegate"), ("to_user", "nobody"), ("delegate_note", "")]),
        )
        .await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("href=\"#to_user\""));
        let r = post(
            &reviewer,
            &s,
            &act,
            &send(&[
                ("do", "delegate"),
                ("to_user", "ga_reviewer2"),
                ("delegate_note", "请代为审查"),
            ]),
        )
        .await;
        assert_eq!(r.status(), 303);

        // 转办: the reason is required; then the review moves to 民政局.
        let second = browser();
        sign_in(&second, &s, "ga_reviewer2", PASSWORD).await;
        let (_, html) = page(&second, &s, &path).await;
        assert!(html.contains("value=\"/9901/9901-MZ/\""), "{html}");
        let csrf2 = csrf_of(&html);
        let transfer = |reason: &str| {
            vec![
                ("csrf".to_string(), csrf2.clone()),
                ("do".to_string(), "transfer".to_string()),
                ("to".to_string(), "/9901/9901-MZ/".to_string()),
                ("transfer_reason".to_string(), reason.to_string()),
            ]
        };
        let r = post(&second, &s, &act, &transfer("")).await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("href=\"#transfer_reason\""));
        assert_eq!(
            post(&second, &s, &act, &transfer("属民政局职责")).await.status(),
            303
        );
        let v = s.hall.case(&sys, &case.id).await.unwrap();
        assert!(
            v.tasks
                .iter()
                .any(|t| t.state == tongban_hall::TaskState::Open && t.department.name_zh == "民政局"),
            "{:?}",
            v.tasks
        );
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn english_pages_name_departments_in_english_in_messages_and_timelines() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        setup(&s).await;
        let complaint = citizen1_complains(&s).await;
        let citizen = browser();
        sign_in(&citizen, &s, "citizen1", PASSWORD).await;
        // The message was composed with the department's Chinese name; the English page says
        // its English one, and the Chinese page keeps the Chinese.
        let messages = english_page(&citizen, &s, "/my/messages").await;
        assert!(
            messages.contains("was received and sent to Public Security Bureau")
                && !messages.contains("sent to 公安局"),
            "{messages}"
        );
        let item = english_page(&citizen, &s, &format!("/my/items/{}", complaint.item.id)).await;
        assert!(
            item.contains("Public Security Bureau") && !item.contains(">公安局<"),
            "{item}"
        );
        let (_, chinese) = page(&citizen, &s, "/my/messages").await;
        assert!(chinese.contains("公安局办理"), "{chinese}");
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_december_due_date_is_provisional_until_an_administrator_enters_next_year_in_the_console() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        setup(&s).await;
        // Thu 2026-12-24, promised 7 working days: Dec 25, 28–31 (5), 元旦 Jan 1 (statutory),
        // Mon Jan 4 (6), Tue Jan 5 (7).
        s.set_today(date(2026, 12, 24));
        let case = citizen1_applies(&s, "web-december-01").await;
        assert_eq!(case.due, Some(date(2027, 1, 5)));
        // A 12345 complaint the same day: 15 working days run to Fri 15 Jan, provisionally.
        let complaint = citizen1_complains(&s).await;
        assert_eq!(complaint.item.due_on, Some(date(2027, 1, 15)));
        let item_page = format!("/my/items/{}", complaint.item.id);

        // The citizen's JSON API lists it with its provisional date.
        let token = crate::support::api_token(&s, "citizen1").await;
        let mine: serde_json::Value = reqwest::Client::new()
            .get(s.url("/api/v1/hall/cases/mine"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let listed = &mine["cases"][0];
        assert_eq!(listed["number"], case.number.as_str());
        assert_eq!(listed["item"], "居住证办理");
        assert_eq!(listed["state"], "submitted");
        assert_eq!(listed["due_date"], "2027-01-05");
        assert_eq!(listed["due_provisional"], true);
        let r = reqwest::Client::new()
            .get(s.url("/api/v1/hall/cases/mine"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "no token, no cases");

        // The citizen's pages mark it 暂定 with the reason.
        let citizen = browser();
        sign_in(&citizen, &s, "citizen1", PASSWORD).await;
        let (_, list) = page(&citizen, &s, "/my/cases").await;
        assert!(list.contains("2027-01-05") && list.contains("暂定"), "{list}");
        let (_, one) = page(&citizen, &s, &format!("/my/cases/{}", case.id)).await;
        assert!(one.contains("id=\"due-provisional\""), "{one}");
        let (_, item) = page(&citizen, &s, &item_page).await;
        assert!(item.contains("2027-01-15") && item.contains("暂定"), "{item}");

        // A clerk cannot open the calendar; the system administrator can, and is warned from
        // October on that next year is missing.
        let clerk = browser();
        sign_in(&clerk, &s, "ga_clerk", PASSWORD).await;
        let (status, _) = page(&clerk, &s, "/console/calendar").await;
        assert_eq!(status, 403);
        let admin = browser();
        crate::support::sign_in_with_mfa(&admin, &s, "sysadmin").await;
        let (_, home) = page(&admin, &s, "/console").await;
        assert!(
            home.contains("id=\"calendar-missing\"") && home.contains("2027"),
            "{home}"
        );
        let (status, cal) = page(&admin, &s, "/console/calendar").await;
        assert_eq!(status, 200);
        // The form is one row per holiday, starting with 2027's statutory days; no TOML.
        assert!(
            cal.contains("name=\"year\" value=\"2027\"") && cal.contains("value=\"2027-02-05\""),
            "{cal}"
        );
        assert!(
            cal.contains("type=\"date\" id=\"w0\"") && !cal.contains("makeup_workdays"),
            "{cal}"
        );
        let row = |name: &str, from: &str, to: &str| {
            vec![
                ("csrf".to_string(), csrf_of(&cal)),
                ("year".to_string(), "2027".to_string()),
                ("h0_name".to_string(), name.to_string()),
                ("h0_from".to_string(), from.to_string()),
                ("h0_to".to_string(), to.to_string()),
                ("h1_name".to_string(), String::new()),
                ("h1_from".to_string(), String::new()),
                ("h1_to".to_string(), String::new()),
                ("w0".to_string(), String::new()),
                ("go".to_string(), "save".to_string()),
            ]
        };

        // A day that cannot be read, or one outside the year, is refused on its own input,
        // and what was typed is kept.
        let r = post(
            &admin,
            &s,
            "/console/calendar",
            &row("元旦", "2027-13-01", "2026-12-31"),
        )
        .await;
        assert_eq!(r.status(), 422);
        let refused = r.text().await.unwrap();
        assert!(
            refused.contains("href=\"#h0_from\"") && refused.contains("href=\"#h0_to\""),
            "{refused}"
        );
        assert!(
            refused.contains("value=\"2027-13-01\"") && refused.contains("日期应在2027年内"),
            "{refused}"
        );
        let r = post(&admin, &s, "/console/calendar", &row("元旦\"]", "2027-01-01", "")).await;
        assert_eq!(r.status(), 422, "a name cannot break out of the calendar text");

        // Entered with Jan 4 as a bridging day: the case moves to Jan 6 and is no longer
        // provisional; the applicant is told.
        let r = post(
            &admin,
            &s,
            "/console/calendar",
            &row("元旦", "2027-01-01", "2027-01-04"),
        )
        .await;
        assert_eq!(r.status(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_string();
        let (_, done) = page(&admin, &s, &to).await;
        assert!(
            done.contains("其中2个已调整"),
            "the case and the complaint: {done}"
        );
        let (_, home) = page(&admin, &s, "/console").await;
        assert!(!home.contains("id=\"calendar-missing\""));
        let (_, one) = page(&citizen, &s, &format!("/my/cases/{}", case.id)).await;
        assert!(
            one.contains("2027-01-06") && !one.contains("id=\"due-provisional\""),
            "{one}"
        );
        let (_, messages) = page(&citizen, &s, "/my/messages").await;
        assert!(messages.contains("2027-01-06"), "{messages}");
        let (_, item) = page(&citizen, &s, &item_page).await;
        assert!(item.contains("2027-01-18") && !item.contains("暂定"), "{item}");
        // An entered year can be corrected: its rows come back as entered.
        let (_, again) = page(&admin, &s, "/console/calendar?year=2027").await;
        assert!(
            again.contains("元旦 2027-01-01–01-04"),
            "the overview shortens the last day: {again}"
        );
        assert!(
            again.contains("value=\"2027-01-04\"") && !again.contains("value=\"2027-02-05\""),
            "{again}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_supplement_answer_uploads_the_file_the_clerk_asked_for() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        setup(&s).await;
        let case = citizen1_applies(&s, "web-supplement-01").await;
        let clerk = s.identity.principal_for_username("ga_clerk").await.unwrap();
        s.hall
            .request_supplement(
                &clerk,
                &case.id,
                tongban_hall::SupplementRequest {
                    missing: vec!["近期免冠照片".into(), "居住证明".into()],
                    note: String::new(),
                },
            )
            .await
            .unwrap();
        let citizen = browser();
        sign_in(&citizen, &s, "citizen1", PASSWORD).await;
        let (_, mine) = page(&citizen, &s, &format!("/my/cases/{}", case.id)).await;
        assert!(
            mine.contains("enctype=\"multipart/form-data\"")
                && mine.contains("name=\"file.0\"")
                && mine.contains("name=\"file.1\""),
            "an upload for each entry named: {mine}"
        );
        // The correction form does not write the ID number back in clear: the field is empty
        // and says what it holds, masked; left empty it keeps it.
        assert!(
            !mine.contains("990101199003071237"),
            "no ID number in clear: {mine}"
        );
        assert!(
            mine.contains("9901*************7") && mine.contains("不改请留空"),
            "{mine}"
        );
        let post_with = |file: reqwest::multipart::Part| {
            reqwest::multipart::Form::new()
                .text("csrf", csrf_of(&mine))
                .part("file.1", file)
                .text("note", "已上传居住证明")
        };
        // Not a PDF or image: refused at that entry's upload, the case still waiting.
        let exe = reqwest::multipart::Part::bytes(b"MZ\x90\x00 not a pdf".to_vec())
            .file_name("proof.pdf")
            .mime_str("application/pdf")
            .unwrap();
        let r = citizen
            .post(s.url(&format!("/my/cases/{}/supplement", case.id)))
            .multipart(post_with(exe))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let refused = r.text().await.unwrap();
        assert!(
            refused.contains("has-error") && refused.contains("file.1"),
            "{refused}"
        );
        let pdf = reqwest::multipart::Part::bytes(b"%PDF-1.4\n% proof\n%%EOF\n".to_vec())
            .file_name("居住证明.pdf")
            .mime_str("application/pdf")
            .unwrap();
        let r = citizen
            .post(s.url(&format!("/my/cases/{}/supplement", case.id)))
            .multipart(post_with(pdf))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let (_, after) = page(&citizen, &s, r.headers()["location"].to_str().unwrap()).await;
        assert!(
            after.contains("补正已提交")
                && after.contains("补正：居住证明")
                && after.contains("居住证明.pdf"),
            "{after}"
        );
        // The clerk sees it among the case's materials, with a download.
        let back = s.hall.case(&clerk, &case.id).await.unwrap();
        assert!(
            back.materials
                .iter()
                .any(|m| m.code == "supplement.1" && m.name == "补正：居住证明")
        );
        assert!(
            back.case
                .form
                .iter()
                .any(|f| f.code == "id_number" && f.value == "9901*************7"),
            "the ID number left empty was kept"
        );
    })
    .await;
}

#[tokio::test]
async fn my_cases_come_twenty_a_page_in_status_tabs_with_overdue_ones_flagged() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        setup(&s).await;
        s.set_today(date(2026, 11, 2));
        for n in 0..25 {
            citizen1_applies(&s, &format!("web-paging-{n:02}")).await;
        }
        // Promised 7 working days from Nov 2: due Nov 11; on Nov 20 every one is late.
        s.set_today(date(2026, 11, 20));
        let citizen = browser();
        sign_in(&citizen, &s, "citizen1", PASSWORD).await;
        let (_, first) = page(&citizen, &s, "/my/cases").await;
        assert_eq!(first.matches("<li class=\"case-card").count(), 20, "{first}");
        assert!(first.contains("第1页，共2页") && first.contains("rel=\"next\""));
        assert!(first.contains("办理中（25）") && first.contains("已办结（0）"));
        assert_eq!(
            first.matches("已超期").count(),
            20,
            "every open late case is flagged"
        );
        let (_, second) = page(&citizen, &s, "/my/cases?tab=open&page=2").await;
        assert_eq!(second.matches("<li class=\"case-card").count(), 5);
        assert!(second.contains("第2页，共2页") && second.contains("rel=\"prev\""));
        let (_, done) = page(&citizen, &s, "/my/cases?tab=done").await;
        assert_eq!(done.matches("<li class=\"case-card").count(), 0);
        // A page past the end shows the last one, never an error.
        let (status, past) = page(&citizen, &s, "/my/cases?page=99").await;
        assert_eq!(status, 200);
        assert!(!past.contains("rel=\"next\""));
    })
    .await;
}

#[tokio::test]
async fn staff_land_on_the_console_and_see_no_citizen_links_and_phones_get_a_menu_button() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let clerk = browser();
        let login = clerk
            .get(s.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let r = post(
            &clerk,
            &s,
            "/login",
            &[
                ("csrf".to_string(), csrf_of(&login)),
                ("username".to_string(), "ga_clerk".to_string()),
                ("password".to_string(), PASSWORD.to_string()),
                ("next".to_string(), "/".to_string()),
            ],
        )
        .await;
        assert_eq!(r.headers()["location"], "/console", "staff land on their console");
        let (_, home) = page(&clerk, &s, "/").await;
        assert!(!home.contains("href=\"/my/cases\""), "no citizen links for staff");
        assert!(home.contains("href=\"/console\""));
        // A window clerk's menu is its work: cases and 12345 items, no SQL, catalogue or users,
        // and those pages refuse it.
        let (_, console) = page(&clerk, &s, "/console").await;
        assert!(console.contains("href=\"/console/cases\""), "{console}");
        for link in ["/console/query", "/console/catalog", "/console/users"] {
            assert!(
                !console.contains(&format!("href=\"{link}\"")),
                "{link} offered: {console}"
            );
            assert_eq!(page(&clerk, &s, link).await.0, 403, "{link}");
        }
        // Granted 查询分析 as well, the same clerk gets the SQL page and the catalogue.
        let ga = s
            .identity
            .department_by_code(&Principal::system("test"), "9901-GA")
            .await
            .unwrap();
        let account = s.identity.principal_for_username("ga_clerk").await.unwrap();
        s.identity
            .set_roles(
                &Principal::system("test"),
                &tongban_identity::AccountId(account.id.clone()),
                vec![
                    tongban_kernel::RoleGrant {
                        role: Role::Clerk,
                        scope: ga.path.clone(),
                    },
                    tongban_kernel::RoleGrant {
                        role: Role::Analyst,
                        scope: ga.path.clone(),
                    },
                ],
            )
            .await
            .unwrap();
        let again = browser();
        sign_in(&again, &s, "ga_clerk", PASSWORD).await;
        let (_, console) = page(&again, &s, "/console").await;
        assert!(console.contains("href=\"/console/query\"") && console.contains("href=\"/console/catalog\""));
        assert_eq!(page(&again, &s, "/console/query").await.0, 200);
        // The city's service administrator edits services and bundles across the bureaus, and
        // sees no cases, users or 12345 items: neither in the menu nor by address.
        crate::support::add_staff(&s, "hall_admin", "9901", Role::ServiceAdmin).await;
        let admin = browser();
        sign_in(&admin, &s, "hall_admin", PASSWORD).await;
        let (_, console) = page(&admin, &s, "/console").await;
        assert!(console.contains("href=\"/console/items\""), "{console}");
        for link in [
            "/console/cases",
            "/console/users",
            "/console/interact",
            "/console/query",
        ] {
            assert!(
                !console.contains(&format!("href=\"{link}\"")),
                "{link} offered: {console}"
            );
            assert_eq!(page(&admin, &s, link).await.0, 403, "{link}");
        }
        assert_eq!(page(&admin, &s, "/console/bundles").await.0, 200);
        let citizen = browser();
        sign_in(&citizen, &s, "citizen1", PASSWORD).await;
        let (_, home) = page(&citizen, &s, "/").await;
        assert!(home.contains("href=\"/my/cases\""));
        // The header's links sit behind a 菜单 button on narrow screens (no JavaScript).
        assert!(home.contains("id=\"menu-toggle\"") && home.contains("for=\"menu-toggle\""));
    })
    .await;
}

/// The service list offers only the topics and life events some service answers: a choice that
/// lists nothing is not offered.
#[tokio::test]
async fn the_service_list_offers_only_topics_and_life_events_that_have_services() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        setup(&s).await;
        let (status, html) = page(&browser(), &s, "/services").await;
        assert_eq!(status, 200);
        assert!(html.contains("/services?event=moving"), "{html}");
        assert!(html.contains("value=\"household\""), "{html}");
        for none in ["event=birth", "event=retirement", "event=bereavement"] {
            assert!(!html.contains(none), "{none} has no service: {html}");
        }
        for none in ["value=\"social_security\"", "value=\"education\""] {
            assert!(!html.contains(none), "{none} has no service: {html}");
        }
        let (_, html) = page(&browser(), &s, "/services?event=moving").await;
        assert!(html.contains(CODE), "{html}");
        // Departments are named as citizens know them, with the city.
        assert!(html.contains("<p class=\"hint\">示范市公安局 · "), "{html}");
        let (_, guide) = page(&browser(), &s, &format!("/services/{CODE}")).await;
        assert!(guide.contains("<p class=\"lead\">示范市公安局 · "), "{guide}");
        // In English: English names with the city, the filter too, and ASCII punctuation.
        let english = english_page(&browser(), &s, "/services").await;
        assert!(
            english.contains(">Public Security Bureau, Demo City</option>")
                && english.contains("Public Security Bureau, Demo City · "),
            "{english}"
        );
        assert!(
            !english.contains("：") && !english.contains(">公安局<"),
            "{english}"
        );
    })
    .await;
}

#[tokio::test]
async fn english_pages_name_services_in_english_and_mark_what_is_only_in_chinese() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        setup(&s).await;
        let c = reqwest::Client::new();
        // No English name yet: the Chinese one, marked as Chinese for readers and fonts.
        let list = english_page(&c, &s, "/services").await;
        assert!(list.contains("<span lang=\"zh-CN\">居住证办理</span>"), "{list}");
        let (_, zh) = page(&c, &s, "/services").await;
        assert!(
            zh.contains("居住证办理") && !zh.contains("lang=\"zh-CN\">居住证"),
            "a Chinese page marks nothing"
        );

        // The department administrator gives it one.
        let sys = Principal::system("test");
        let item = s.hall.item_by_code(CODE).await.unwrap();
        let mut input = ServiceItemInput {
            code: item.code.clone(),
            name: item.name.clone(),
            name_en: "Residence permit".into(),
            department: item.department.path.clone(),
            item_type: item.item_type,
            legal_basis: item.legal_basis.clone(),
            conditions: item.conditions.clone(),
            materials: item.materials.clone(),
            fields: item.fields.clone(),
            fees: item.fees.clone(),
            statutory_days: item.statutory_days,
            promised_days: item.promised_days,
            visits: item.visits,
            active: item.active,
            licence: item.licence.clone(),
            topics: item.topics.clone(),
            life_events: item.life_events.clone(),
        };
        s.hall
            .update_item(&sys, &item.id, item.version, input.clone())
            .await
            .unwrap();
        let list = english_page(&c, &s, "/services?q=residence").await;
        assert!(
            list.contains(">Residence permit</a>"),
            "found by its English name: {list}"
        );
        let guide = english_page(&c, &s, &format!("/services/{CODE}")).await;
        assert!(guide.contains("<title>Residence permit"), "{guide}");
        assert!(guide.contains("<h1>Residence permit</h1>"), "{guide}");
        // What has no English form (the legal basis, the form's questions) is marked as Chinese,
        // and English pages use ASCII punctuation around it.
        assert!(
            guide.contains("<span lang=\"zh-CN\">《居住证暂行条例》第九条</span>"),
            "{guide}"
        );
        assert!(
            guide.contains("<span lang=\"zh-CN\">申请人姓名</span>"),
            "{guide}"
        );
        assert!(
            !guide.contains('（') && !guide.contains('：'),
            "no full-width brackets or colons: {guide}"
        );
        let (_, zh) = page(&c, &s, &format!("/services/{CODE}")).await;
        assert!(zh.contains("<h1>居住证办理</h1>"));

        // A citizen's cases are listed under the English name on English pages.
        citizen1_applies(&s, "en-names").await;
        let citizen = browser();
        sign_in(&citizen, &s, "citizen1", PASSWORD).await;
        let mine = citizen
            .get(s.url("/my/cases"))
            .header("accept-language", "en")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(mine.contains("Residence permit"), "{mine}");

        // A control character in the English name is refused on its field.
        input.name_en = "Residence\u{7}permit".into();
        let item = s.hall.item_by_code(CODE).await.unwrap();
        let e = s
            .hall
            .update_item(&sys, &item.id, item.version, input)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("控制字符"), "{e}");
        s.stop().await;
    })
    .await;
}
