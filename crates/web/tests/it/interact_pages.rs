//! 政民互动 on the portal: a citizen sends a complaint (a missing title is named on the page), it
//! is routed to 公安局, whose clerk checks a draft reply (flags inline) and sends one that a
//! reviewer approves for the board; the citizen sees the reply under
//! "my items" and rates it; the public board shows it without the phone number the citizen
//! wrote, and 公安局's figures. Photos sent with an item lose their GPS position and reach only
//! the submitter and the handling department; without signing in only a suggestion may be sent,
//! a few an hour from one address.

use crate::support::{PASSWORD, Server, browser, csrf_of, sets, sign_in, sign_in_with_mfa};
use reqwest::multipart::{Form, Part};
use tongban_interact::{DeptRef, NewCategory, NewRule};
use tongban_kernel::Principal;
use tongban_test_support::each_backend;

/// The new-item form's text fields as a multipart body (the form carries files).
fn text_form(fields: &[(&str, &str)]) -> Form {
    fields
        .iter()
        .fold(Form::new(), |f, (k, v)| f.text(k.to_string(), v.to_string()))
}

/// The category `household`, routed to 公安局.
pub(crate) async fn household_to_police(s: &Server) {
    let sys = Principal::system("test");
    let ga = s.identity.department_by_code(&sys, "9901-GA").await.unwrap();
    s.interact
        .add_category(
            &sys,
            NewCategory {
                code: "household".into(),
                name_zh: "户籍管理".into(),
                name_en: "Household registration".into(),
            },
        )
        .await
        .unwrap();
    s.interact
        .set_rule(
            &sys,
            NewRule {
                category: "household".into(),
                district: None,
                department: DeptRef {
                    id: ga.id.to_string(),
                    path: ga.path.clone(),
                    name_zh: "公安局".into(),
                },
            },
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_complaint_from_the_form_to_the_public_board() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        household_to_police(&s).await;
        let citizen = browser();
        sign_in(&citizen, &s, "citizen1", PASSWORD).await;
        let form = citizen.get(s.url("/interact/new")).send().await.unwrap().text().await.unwrap();
        assert!(form.contains("户籍管理") && form.contains("投诉"), "{form}");
        let post = |title: &str| {
            citizen
                .post(s.url("/interact/new"))
                .multipart(text_form(&[
                    ("csrf", &csrf_of(&form)),
                    ("kind", "complaint"),
                    ("category", "household"),
                    ("title", title),
                    ("text", "户口迁移办理了三周还没有结果，联系电话13812345678。"),
                    ("public", "1"),
                ]))
                .send()
        };
        let r = post("").await.unwrap();
        assert_eq!(r.status(), 422);
        let page = r.text().await.unwrap();
        assert!(page.contains("field-error") && page.contains("户口迁移办理了三周"), "kept what was typed: {page}");
        let r = post("户口迁移办理太慢").await.unwrap();
        assert_eq!(r.status(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_string();
        let id = to.split('?').next().unwrap().rsplit('/').next().unwrap().to_string();
        let mine = citizen.get(s.url(&to)).send().await.unwrap().text().await.unwrap();
        assert!(mine.contains("已收到您的诉求") && mine.contains("公安局"), "{mine}");

        // 公安局's clerk finds it in the console, checks a vague draft (flags shown inline, the
        // text kept), then sends a concrete reply; a reviewer approves it for the board.
        let clerk = browser();
        sign_in(&clerk, &s, "ga_clerk", PASSWORD).await;
        let inbox = clerk.get(s.url("/console/interact")).send().await.unwrap().text().await.unwrap();
        assert!(inbox.contains(&format!("/console/interact/{id}")), "{inbox}");
        let page_url = s.url(&format!("/console/interact/{id}"));
        let page = clerk.get(&page_url).send().await.unwrap().text().await.unwrap();
        // How to reach the citizen is said by name, never by its code.
        let contact = &page[page.find("联系方式").unwrap()..];
        let contact = &contact[..contact.find("</tr>").unwrap()];
        assert!(
            ["站内消息", "电话", "短信", "电子邮件", "无需联系"].iter().any(|p| contact.contains(p))
                && !["in_app", "phone ·", "sms", "email ·", ">none"].iter().any(|code| contact.contains(code)),
            "{contact}"
        );
        let reply_url = format!("{page_url}/reply");
        let checked = clerk
            .post(&reply_url)
            .form(&[("csrf", csrf_of(&page)), ("text", "此事正在研究，将按有关规定办理。".into()), ("go", "check".into())])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(checked.contains("答复质量提示") && checked.contains("正在研究，将按有关规定办理"), "{checked}");
        let r = clerk
            .post(&reply_url)
            .form(&[
                ("csrf", csrf_of(&page)),
                ("text", "您的户口迁移已于3月5日办结，请携带身份证到城东派出所领取，咨询电话0571-12345678（户籍科）。".into()),
                ("go", "send".into()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let other = browser();
        sign_in(&other, &s, "mz_clerk", PASSWORD).await;
        assert_eq!(other.get(&page_url).send().await.unwrap().status(), 403);
        let reviewer = browser();
        sign_in(&reviewer, &s, "ga_colleague", PASSWORD).await;
        let page = reviewer.get(&page_url).send().await.unwrap().text().await.unwrap();
        let review = page
            .split("action=\"")
            .filter_map(|p| p.split('"').next())
            .find(|p| p.ends_with("/review"))
            .expect("the reviewer can approve")
            .to_string();
        let r = reviewer
            .post(s.url(&review))
            .form(&[("csrf", csrf_of(&page)), ("decision", "approve".into()), ("publish", "1".into())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);

        let mine = citizen.get(s.url(&format!("/my/items/{id}"))).send().await.unwrap().text().await.unwrap();
        assert!(mine.contains("城东派出所") && mine.contains("评价答复"), "{mine}");
        let r = citizen
            .post(s.url(&format!("/my/items/{id}/rate")))
            .form(&[("csrf", csrf_of(&mine))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "a rating must be chosen");
        let r = citizen
            .post(s.url(&format!("/my/items/{id}/rate")))
            .form(&[("csrf", csrf_of(&mine)), ("satisfaction", "satisfied".into())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let list = citizen.get(s.url("/my/items")).send().await.unwrap().text().await.unwrap();
        assert!(list.contains("户口迁移办理太慢"));

        // The public board: no phone number, the reply, 公安局's figures.
        let board = browser().get(s.url("/interact?kind=complaint")).send().await.unwrap().text().await.unwrap();
        assert!(board.contains("户口迁移办理太慢") && board.contains("城东派出所"), "{board}");
        assert!(!board.contains("13812345678"), "{board}");
        assert!(board.contains("各部门办理情况") && board.contains("100%"), "{board}");
        let entry = browser().get(s.url(&format!("/interact/{id}"))).send().await.unwrap().text().await.unwrap();
        assert!(entry.contains("满意") && !entry.contains("13812345678"));
        let none = browser().get(s.url("/interact?q=不存在的内容")).send().await.unwrap().text().await.unwrap();
        assert!(none.contains("0 条公开记录"), "{none}");
        assert_eq!(browser().get(s.url("/interact/not-an-id")).send().await.unwrap().status(), 404);
    })
    .await;
}

#[tokio::test]
async fn the_clerk_merges_a_duplicate_and_another_department_assists() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let sys = Principal::system("test");
        household_to_police(&s).await;
        let citizen = s.identity.principal_for_username("citizen1").await.unwrap();
        let mut ids = Vec::new();
        for text in [
            "城东派出所户籍窗口周六不开放，上班族无法办理。",
            "城东派出所户籍窗口周六不开放，上班族无法办理！",
        ] {
            let v = s
                .interact
                .submit(
                    &citizen,
                    tongban_interact::NewItem {
                        kind: tongban_interact::ItemKind::Suggestion,
                        category: "household".into(),
                        title: "建议周六开放户籍窗口".into(),
                        text: text.into(),
                        location: None,
                        public: false,
                        contact: Default::default(),
                        channel: tongban_interact::Channel::Portal,
                        source_key: None,
                    },
                )
                .await
                .unwrap();
            ids.push(v.item.id.to_string());
        }
        let clerk = browser();
        sign_in(&clerk, &s, "ga_clerk", PASSWORD).await;
        let page_url = |id: &str| s.url(&format!("/console/interact/{id}"));
        let page = clerk
            .get(page_url(&ids[1]))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("疑似重复") && page.contains(&format!("value=\"{}\"", ids[0])),
            "{page}"
        );

        // Ask 民政局 to assist on the first; its clerk answers on the same page.
        let first = clerk
            .get(page_url(&ids[0]))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let r = clerk
            .post(format!("{}/assist", page_url(&ids[0])))
            .form(&[
                ("csrf", csrf_of(&first)),
                ("assist_department", "9901-MZ".into()),
                ("assist_note", "请提供周末值班安排".into()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let helper = browser();
        sign_in(&helper, &s, "mz_clerk", PASSWORD).await;
        let theirs = helper
            .get(page_url(&ids[0]))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let answer_to = theirs
            .split("action=\"")
            .filter_map(|p| p.split('"').next())
            .find(|p| p.ends_with("/answer"))
            .expect("the assisting department can answer")
            .to_string();
        let r = helper
            .post(s.url(&answer_to))
            .form(&[
                ("csrf", csrf_of(&theirs)),
                ("assist_answer", "民政局周六上午有工作人员值班。".into()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let first = clerk
            .get(page_url(&ids[0]))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(first.contains("民政局周六上午有工作人员值班"), "{first}");

        // Merge the second into the first.
        let r = clerk
            .post(format!("{}/merge", page_url(&ids[1])))
            .form(&[("csrf", csrf_of(&page)), ("into", ids[0].clone())])
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            303,
            "{}",
            r.text()
                .await
                .unwrap_or_default()
                .split("field-error")
                .nth(1)
                .unwrap_or_default()
                .chars()
                .take(300)
                .collect::<String>()
        );
        let merged = s
            .interact
            .get_item(&sys, &tongban_interact::ItemId(ids[1].clone()))
            .await
            .unwrap();
        assert_eq!(merged.item.status, tongban_interact::ItemStatus::Merged);

        // Transfer the first to 民政局 (a clerk may send it to any department).
        let first = clerk
            .get(page_url(&ids[0]))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            first.contains("<option value=\"9901-MZ\">"),
            "the clerk can choose 民政局"
        );
        let r = clerk
            .post(format!("{}/transfer", page_url(&ids[0])))
            .form(&[
                ("csrf", csrf_of(&first)),
                ("department", "9901-MZ".into()),
                ("reason", "属民政局职责".into()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
    })
    .await;
}

/// A phone photo whose Exif block carries a GPS position.
fn photo() -> Vec<u8> {
    let mut exif = b"Exif\0\0II\x2a\0\x08\0\0\0\0\0\0\0\0\0GPSLatitude 30.2741".to_vec();
    exif.extend_from_slice(b" GPSLongitude 120.1551");
    let mut j = vec![0xFF, 0xD8];
    for (marker, payload) in [(0xE1, &exif[..]), (0xDA, &[1, 1, 0, 0, 63, 0][..])] {
        j.extend_from_slice(&[0xFF, marker]);
        j.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        j.extend_from_slice(payload);
    }
    j.extend_from_slice(&[0x55, 0xAA, 0xFF, 0xD9]);
    j
}

fn file(name: &str, mime: &str, bytes: Vec<u8>) -> Part {
    Part::bytes(bytes)
        .file_name(name.to_string())
        .mime_str(mime)
        .unwrap()
}

#[tokio::test]
async fn attachments_lose_their_gps_position_and_reach_only_the_handling_department() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        household_to_police(&s).await;
        let citizen = browser();
        sign_in(&citizen, &s, "citizen1", PASSWORD).await;
        let form = citizen
            .get(s.url("/interact/new"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(form.contains("multipart/form-data") && form.contains("name=\"attachments\""));
        let fields = |title: &'static str| {
            text_form(&[
                ("csrf", &csrf_of(&form)),
                ("kind", "complaint"),
                ("category", "household"),
                ("title", title),
                ("text", "派出所门口的路面塌陷，见照片。"),
            ])
        };

        // A program disguised as a photo, and four files, are refused naming the field.
        let r = citizen
            .post(s.url("/interact/new"))
            .multipart(
                fields("路面塌陷").part("attachments", file("a.jpg", "image/jpeg", b"MZ\x90\0".to_vec())),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let page = r.text().await.unwrap();
        assert!(
            page.contains("only PDF, PNG or JPEG") || page.contains("只接受"),
            "{page}"
        );
        assert!(page.contains("派出所门口的路面塌陷"), "the text is kept");
        let mut four = fields("路面塌陷");
        for n in 0..4 {
            four = four.part(
                "attachments",
                file(&format!("{n}.pdf"), "application/pdf", b"%PDF-1.7".to_vec()),
            );
        }
        let r = citizen
            .post(s.url("/interact/new"))
            .multipart(four)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("attachments-error"));

        // A photo and a PDF go through.
        let r = citizen
            .post(s.url("/interact/new"))
            .multipart(
                fields("路面塌陷")
                    .part("attachments", file("塌陷.jpg", "image/jpeg", photo()))
                    .part(
                        "attachments",
                        file("说明.pdf", "application/pdf", b"%PDF-1.7\n".to_vec()),
                    ),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_string();
        let mine = citizen
            .get(s.url(&to))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(mine.contains("塌陷.jpg") && mine.contains("说明.pdf"), "{mine}");
        let link = |html: &str| {
            let at = html.find("/interact/files/").expect("an attachment link");
            html[at..at + html[at..].find('"').unwrap()].to_string()
        };
        let photo_url = s.url(&link(&mine));
        let got = citizen.get(&photo_url).send().await.unwrap();
        assert_eq!(got.status(), 200);
        assert!(
            got.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment")
        );
        let body = got.bytes().await.unwrap();
        assert!(body.starts_with(&[0xFF, 0xD8]));
        assert!(
            !body.windows(11).any(|w| w == b"GPSLatitude"),
            "the position is gone"
        );

        // 公安局's clerk sees and opens it; 民政局's clerk cannot.
        let id = to
            .split('?')
            .next()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        let clerk = browser();
        sign_in(&clerk, &s, "ga_clerk", PASSWORD).await;
        let page = clerk
            .get(s.url(&format!("/console/interact/{id}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(s.url(&link(&page)), photo_url);
        assert_eq!(clerk.get(&photo_url).send().await.unwrap().status(), 200);
        let other = browser();
        sign_in(&other, &s, "mz_clerk", PASSWORD).await;
        assert_eq!(other.get(&photo_url).send().await.unwrap().status(), 404);
        assert_eq!(
            browser().get(&photo_url).send().await.unwrap().status(),
            303,
            "sign in first"
        );
    })
    .await;
}

#[tokio::test]
async fn without_signing_in_only_suggestions_a_few_an_hour() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        household_to_police(&s).await;
        let visitor = browser();
        let form = visitor
            .get(s.url("/interact/new"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            form.contains("value=\"suggestion\"") && !form.contains("value=\"complaint\""),
            "{form}"
        );
        let send = |kind: &'static str| {
            visitor
                .post(s.url("/interact/new"))
                .multipart(text_form(&[
                    ("csrf", &csrf_of(&form)),
                    ("kind", kind),
                    ("category", "household"),
                    ("title", "建议延长户籍窗口周六办公时间"),
                    ("text", "上班族工作日难以请假，建议周六全天开放户籍窗口。"),
                ]))
                .send()
        };
        // No category is chosen for the citizen: the form starts at 请选择 and sending it so is
        // refused at the field, with nothing filed.
        assert!(
            form.contains("<option value=\"\" selected>请选择</option>"),
            "{form}"
        );
        let r = visitor
            .post(s.url("/interact/new"))
            .multipart(text_form(&[
                ("csrf", &csrf_of(&form)),
                ("kind", "suggestion"),
                ("category", ""),
                ("title", "建议在便民服务中心设置母婴室"),
                ("text", "办事大厅没有母婴室，哺乳期妈妈很不方便。"),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let page = r.text().await.unwrap();
        assert!(
            page.contains("href=\"#category\"") && page.contains("请选择诉求类别"),
            "{page}"
        );
        assert!(
            page.contains("建议在便民服务中心设置母婴室"),
            "what was typed is kept"
        );
        // Sent empty: every missing answer is named at once.
        let r = visitor
            .post(s.url("/interact/new"))
            .multipart(text_form(&[
                ("csrf", &csrf_of(&form)),
                ("kind", "suggestion"),
                ("category", ""),
                ("title", " "),
                ("text", ""),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let page = r.text().await.unwrap();
        for field in ["category", "title", "text"] {
            assert!(page.contains(&format!("href=\"#{field}\"")), "{field}: {page}");
        }
        assert_eq!(send("complaint").await.unwrap().status(), 403);
        for _ in 0..3 {
            let r = send("suggestion").await.unwrap();
            assert_eq!(r.status(), 200);
            let page = r.text().await.unwrap();
            assert!(
                page.contains("已收到您的诉求") && page.contains("case-number"),
                "{page}"
            );
        }
        let r = send("suggestion").await.unwrap();
        assert_eq!(r.status(), 429);
        let page = r.text().await.unwrap();
        assert!(page.contains("匿名提交过于频繁"), "{page}");
    })
    .await;
}

#[tokio::test]
async fn administrators_configure_categories_limits_and_routing() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        // The platform's administrator for the whole tree (the 12345 centre's, say).
        let sys = Principal::system("test");
        let city_dept = s.identity.department_by_code(&sys, "9901").await.unwrap();
        let created = s
            .identity
            .create_staff(
                &sys,
                tongban_identity::NewStaff {
                    username: "city_admin".into(),
                    display_name: "city_admin".into(),
                    password: PASSWORD.into(),
                    department: city_dept.id.clone(),
                    roles: vec![tongban_kernel::Role::DeptAdmin],
                    phone: None,
                    is_demo: false,
                },
            )
            .await
            .unwrap();
        let root = tongban_kernel::RoleGrant {
            role: tongban_kernel::Role::DeptAdmin,
            scope: tongban_kernel::DeptPath::root(),
        };
        s.identity.set_roles(&sys, &created.id, vec![root]).await.unwrap();
        crate::support::add_staff(&s, "ga_admin", "9901-GA", tongban_kernel::Role::DeptAdmin).await;
        let city = browser();
        sign_in_with_mfa(&city, &s, "city_admin").await;
        let page = city
            .get(s.url("/console/interact/rules"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("name=\"cat_code\""),
            "a city-wide administrator edits categories: {page}"
        );
        let csrf = csrf_of(&page);
        let post = |client: &reqwest::Client, csrf: &str, path: &str, form: &[(&str, &str)]| {
            let mut body: Vec<(String, String)> = vec![("csrf".into(), csrf.to_string())];
            body.extend(form.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            client.post(s.url(path)).form(&body).send()
        };
        let add = [
            ("mode", "add"),
            ("cat_code", "noise"),
            ("cat_name_zh", "噪声扰民"),
            ("cat_name_en", "Noise"),
        ];
        assert_eq!(
            post(&city, &csrf, "/console/interact/rules/categories", &add)
                .await
                .unwrap()
                .status(),
            303
        );
        let r = post(&city, &csrf, "/console/interact/rules/categories", &add)
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "the code is taken");
        assert!(r.text().await.unwrap().contains("href=\"#cat_code\""));
        let r = post(
            &city,
            &csrf,
            "/console/interact/rules/categories",
            &[("mode", "add"), ("cat_code", "no ise!"), ("cat_name_zh", "x")],
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 422);
        let limit = |days: &'static str| {
            [
                ("lim_kind", "complaint"),
                ("lim_category", "noise"),
                ("lim_days", days),
            ]
        };
        let r = post(&city, &csrf, "/console/interact/rules/limits", &limit("99"))
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("href=\"#lim_days\""));
        assert_eq!(
            post(&city, &csrf, "/console/interact/rules/limits", &limit("10"))
                .await
                .unwrap()
                .status(),
            303
        );
        assert_eq!(
            s.interact
                .time_limit(tongban_interact::ItemKind::Complaint, "noise")
                .await
                .unwrap(),
            10
        );

        // 公安局's administrator routes the category to 公安局, not to 民政局, and edits no
        // categories.
        let ga = browser();
        sign_in_with_mfa(&ga, &s, "ga_admin").await;
        let page = ga
            .get(s.url("/console/interact/rules"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            !page.contains("name=\"cat_code\"") && page.contains("噪声扰民"),
            "{page}"
        );
        let ga_csrf = csrf_of(&page);
        let r = post(
            &ga,
            &ga_csrf,
            "/console/interact/rules/categories",
            &[("mode", "add"), ("cat_code", "x1"), ("cat_name_zh", "x")],
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 403);
        let rule = |dept: &'static str| {
            [
                ("rule_category", "noise"),
                ("rule_district", ""),
                ("rule_department", dept),
            ]
        };
        assert_eq!(
            post(&ga, &ga_csrf, "/console/interact/rules/routes", &rule("9901-MZ"))
                .await
                .unwrap()
                .status(),
            403
        );
        assert_eq!(
            post(&ga, &ga_csrf, "/console/interact/rules/routes", &rule("9901-GA"))
                .await
                .unwrap()
                .status(),
            303
        );
        assert_eq!(
            s.interact.route("noise", "").await.unwrap().unwrap().name_zh,
            "公安局"
        );
        let page = ga
            .get(s.url("/console/interact/rules"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let at = page
            .find("/console/interact/rules/routes/")
            .expect("a remove button");
        let remove = page[at..at + page[at..].find('"').unwrap()].to_string();
        assert_eq!(post(&ga, &ga_csrf, &remove, &[]).await.unwrap().status(), 303);
        assert!(s.interact.route("noise", "").await.unwrap().is_none());

        let clerk = browser();
        sign_in(&clerk, &s, "ga_clerk", PASSWORD).await;
        assert_eq!(
            clerk
                .get(s.url("/console/interact/rules"))
                .send()
                .await
                .unwrap()
                .status(),
            403
        );
    })
    .await;
}

#[tokio::test]
async fn rude_words_are_masked_in_public_and_the_clerk_can_withdraw_an_item() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        household_to_police(&s).await;
        let citizen = browser();
        sign_in(&citizen, &s, "citizen1", PASSWORD).await;
        let form = citizen
            .get(s.url("/interact/new"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let r = citizen
            .post(s.url("/interact/new"))
            .multipart(text_form(&[
                ("csrf", &csrf_of(&form)),
                ("kind", "complaint"),
                ("category", "household"),
                ("title", "窗口态度差"),
                ("text", "户籍窗口工作人员说我神经病，让我滚蛋。"),
                ("public", "1"),
            ]))
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
        let public = reqwest::get(s.url("/open311/v2/requests.json"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            public.contains("＊＊＊") && !public.contains("神经病"),
            "{public}"
        );

        // The item is answered, approved and rated — closed — before anyone asks to withdraw it:
        // the handling department may still take it out of public view.
        let item_id = tongban_interact::ItemId::parse("id", &id).unwrap();
        let ids = &s.identity;
        let as_user = |name: &'static str| async move { ids.principal_for_username(name).await.unwrap() };
        let reply = s
            .interact
            .reply(
                &as_user("ga_clerk").await,
                &item_id,
                tongban_interact::ReplyInput {
                    text:
                        "您反映的窗口服务态度问题已核实，当事工作人员已批评教育并调离窗口岗位，感谢您的监督。"
                            .into(),
                },
            )
            .await
            .unwrap();
        s.interact
            .review_reply(
                &as_user("ga_colleague").await,
                &reply.id,
                tongban_interact::ReviewDecision::Approve { publish: false },
            )
            .await
            .unwrap();
        let rated = s
            .interact
            .rate(
                &as_user("citizen1").await,
                &item_id,
                tongban_interact::RatingInput {
                    satisfaction: tongban_interact::Satisfaction::Satisfied,
                    comment: String::new(),
                    reopen: false,
                },
            )
            .await
            .unwrap();
        assert_eq!(rated.item.status, tongban_interact::ItemStatus::Closed);

        let clerk = browser();
        sign_in(&clerk, &s, "ga_clerk", PASSWORD).await;
        let page_url = s.url(&format!("/console/interact/{id}"));
        let page = clerk.get(&page_url).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("神经病"), "staff read the original");
        assert!(
            page.contains(&format!("action=\"/console/interact/{id}/withdraw\"")),
            "the closed item can still be withdrawn from public view"
        );
        let withdraw = |reason: &str| {
            clerk
                .post(format!("{page_url}/withdraw"))
                .form(&[("csrf", csrf_of(&page)), ("withdraw_reason", reason.to_string())])
                .send()
        };
        let r = withdraw("").await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("href=\"#withdraw_reason\""));
        assert_eq!(withdraw("涉及工作人员个人信息").await.unwrap().status(), 303);
        let public = reqwest::get(s.url("/open311/v2/requests.json"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(public.trim(), "[]");
        let mine = citizen
            .get(s.url(&to))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            mine.contains("涉及工作人员个人信息"),
            "the citizen sees why: {mine}"
        );
    })
    .await;
}
