//! Materials over HTTP: after the questions the applicant uploads each material on its own page
//! (multipart, no JavaScript); a wrong type, an empty or an oversized file is refused on that
//! page with the reason; a required material cannot be skipped; the check page lists the file;
//! the case carries it; the applicant and the handling clerk can download it, staff of another
//! department cannot. Each side is told in its messages.

use crate::support::{PASSWORD, Server, browser, csrf_of, followed, get_and_follow, sets, sign_in};
use reqwest::multipart::{Form, Part};
use tongban_hall::{
    AssigneeInput, FieldKind, FormField, ItemType, Material, MaterialSource, ServiceItemInput, SignMode,
    StepInput, StepKind,
};
use tongban_kernel::{IdNumber, Principal};
use tongban_seal::{HolderKind, LicenceInput, SealType};
use tongban_test_support::each_backend;

const ITEM: &str = "9901-GA-JZZ";
const PDF: &[u8] = b"%PDF-1.4\n% lease contract\n%%EOF\n";

async fn setup(s: &Server) {
    item_with(
        s,
        ITEM,
        vec![
            Material {
                code: "lease".into(),
                name: "租赁合同".into(),
                required: true,
                source: MaterialSource::Upload,
            },
            Material {
                code: "household".into(),
                name: "户籍信息".into(),
                required: true,
                source: MaterialSource::SharedField {
                    resource: "9901-GA-0001".into(),
                    field: "address".into(),
                },
            },
        ],
    )
    .await;
}

/// A 公安局 service `code` asking one question (the address) and then for `materials`, with an
/// accept–decide–issue workflow.
async fn item_with(s: &Server, code: &str, materials: Vec<Material>) {
    item_with_fields(s, code, materials, Vec::new()).await;
}

/// As [`item_with`], with `more` fields after the address.
async fn item_with_fields(s: &Server, code: &str, materials: Vec<Material>, more: Vec<FormField>) {
    let sys = Principal::system("test");
    let ga = s.identity.department_by_code(&sys, "9901-GA").await.unwrap();
    let item = s
        .hall
        .create_item(
            &sys,
            ServiceItemInput {
                code: code.into(),
                name: "居住证申领".into(),
                name_en: String::new(),
                department: ga.path.clone(),
                item_type: ItemType::PublicService,
                legal_basis: "《居住证暂行条例》".into(),
                conditions: "在居住地居住半年以上".into(),
                materials,
                fields: [FormField {
                    code: "address".into(),
                    label: "居住地址".into(),
                    kind: FieldKind::Address,
                    required: true,
                    personal: false,
                    prefill: None,
                }]
                .into_iter()
                .chain(more)
                .collect(),
                fees: Vec::new(),
                statutory_days: 15,
                promised_days: 10,
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
                        department: ga.path.0.clone(),
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

/// The hidden inputs of `html`'s first form, as multipart text parts, with `file` attached.
fn material_form(html: &str, file: Option<(&str, &str, Vec<u8>)>, go: &str) -> Form {
    let mut form = Form::new().text("csrf", csrf_of(html));
    for part in html.split("<input type=\"hidden\" name=\"").skip(1) {
        let name = &part[..part.find('"').unwrap()];
        if name == "csrf" {
            continue;
        }
        let rest = &part[part.find("value=\"").unwrap() + 7..];
        let value = rest[..rest.find('"').unwrap()]
            .replace("&#x2d;", "-")
            .replace("&#45;", "-")
            .replace("&#x3a;", ":")
            .replace("&#58;", ":");
        form = form.text(name.to_string(), value);
    }
    if let Some((name, mime, bytes)) = file {
        form = form.part(
            "file",
            Part::bytes(bytes)
                .file_name(name.to_string())
                .mime_str(mime)
                .unwrap(),
        );
    }
    form.text("go", go.to_string())
}

#[tokio::test]
async fn the_guide_lists_a_photo_asked_as_a_field_among_what_to_hand_in() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let photo = FormField {
            code: "photo".into(),
            label: "证件照".into(),
            kind: FieldKind::File,
            required: true,
            personal: false,
            prefill: None,
        };
        item_with_fields(&s, "9901-GA-PHOTO", Vec::new(), vec![photo]).await;
        item_with(&s, "9901-GA-NONE", Vec::new()).await;
        let guide = |code: &'static str| {
            let url = s.url(&format!("/services/{code}"));
            async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
        };
        let page = guide("9901-GA-PHOTO").await;
        let handed = &page[page.find("申请材料").unwrap()..page.find("需要填写").unwrap()];
        assert!(handed.contains("证件照"), "{handed}");
        let asked = &page[page.find("需要填写").unwrap()..];
        assert!(asked.contains("居住地址") && !asked[..asked.find("</ul>").unwrap()].contains("证件照"));
        let page = guide("9901-GA-NONE").await;
        let handed = &page[page.find("申请材料").unwrap()..page.find("需要填写").unwrap()];
        assert!(handed.contains("无需提交材料。"), "{handed}");
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn materials_are_uploaded_checked_and_reach_the_clerk() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        setup(&s).await;
        let citizen = browser();
        sign_in(&citizen, &s, "citizen1", PASSWORD).await;
        let apply = s.url(&format!("/services/{ITEM}/apply"));
        let material = s.url(&format!("/services/{ITEM}/material"));
        let q1 = get_and_follow(&citizen, &s.base, &format!("/services/{ITEM}/apply"))
            .await
            .text()
            .await
            .unwrap();
        let form = [
            ("csrf", csrf_of(&q1)),
            ("key", "web-materials-test-1".to_string()),
            ("step", "0".to_string()),
            ("v", "示范市城东区中山路88号".to_string()),
            ("go", "next".to_string()),
        ];
        let page = followed(
            &citizen,
            &s.base,
            citizen.post(&apply).form(&form).send().await.unwrap(),
        )
        .await
        .text()
        .await
        .unwrap();
        assert!(
            page.contains("租赁合同") && page.contains("enctype=\"multipart/form-data\""),
            "{page}"
        );
        assert!(!page.contains("户籍信息"), "shared data is not asked for");

        // A required material cannot be skipped; a wrong type, an empty file and one too large are
        // refused on the same page, naming why.
        // A posted page is answered with a redirect to the page that follows, or back to its
        // own with the reason; the browser goes there.
        let post = |form: Form| {
            let (citizen, material, base) = (&citizen, &material, &s.base);
            async move {
                let r = citizen.post(material).multipart(form).send().await.unwrap();
                followed(citizen, base, r).await
            }
        };
        let r = post(material_form(&page, None, "next")).await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("请提供材料「租赁合同」"));
        let r = post(material_form(
            &page,
            Some(("合同.pdf", "application/pdf", b"MZ\x90\x00".to_vec())),
            "next",
        ))
        .await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("只接受 PDF、PNG 或 JPEG 文件"));
        let r = post(material_form(
            &page,
            Some(("合同.png", "image/png", PDF.to_vec())),
            "next",
        ))
        .await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("文件内容与声明的类型不符"));
        let big = [PDF, &vec![b' '; tongban_hall::MAX_UPLOAD_BYTES]].concat();
        let r = post(material_form(
            &page,
            Some(("big.pdf", "application/pdf", big)),
            "next",
        ))
        .await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("10 MB"));
        // A form without its CSRF token is refused before the file is read.
        let r = citizen
            .post(&material)
            .multipart(Form::new().part("file", Part::bytes(PDF.to_vec()).file_name("a.pdf")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);

        // Reached by its address before the upload, the check page says the required upload is
        // missing (not "optional"); an address past the check page is sent to it.
        let draft = format!("/services/{ITEM}/apply/web-materials-test-1");
        let early = citizen
            .get(s.url(&format!("{draft}/2")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(early.contains("核对您的填报内容"), "{early}");
        assert!(
            early.contains("未提交（必需）") && !early.contains("非必需"),
            "{early}"
        );
        let past = citizen.get(s.url(&format!("{draft}/99"))).send().await.unwrap();
        assert_eq!(past.status(), 303);
        assert_eq!(past.headers()["location"], format!("{draft}/2").as_str());
        // A new application's check page says which questions are not answered yet.
        let fresh = citizen
            .get(s.url(&format!("/services/{ITEM}/apply?new=1")))
            .send()
            .await
            .unwrap();
        let first = fresh.headers()["location"].to_str().unwrap().to_string();
        let unanswered = citizen
            .get(s.url(&format!("{}/2", first.trim_end_matches("/0"))))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(unanswered.contains("未填写（必填）"), "{unanswered}");

        let check = post(material_form(
            &page,
            Some(("C:\\docs\\租赁合同.pdf", "application/pdf", PDF.to_vec())),
            "next",
        ))
        .await
        .text()
        .await
        .unwrap();
        assert!(check.contains("核对您的填报内容"), "{check}");
        assert!(check.contains("已上传 租赁合同.pdf"), "{check}");
        assert!(check.contains("户籍信息") && check.contains("免提交"));
        let at = check
            .find(&format!("action=\"/services/{ITEM}/submit\""))
            .unwrap();
        let submit: Vec<(String, String)> = {
            let html = &check[at..];
            let mut out = Vec::new();
            for part in html.split("<input type=\"hidden\" name=\"").skip(1) {
                let name = &part[..part.find('"').unwrap()];
                let rest = &part[part.find("value=\"").unwrap() + 7..];
                let value = rest[..rest.find('"').unwrap()]
                    .replace("&#x2d;", "-")
                    .replace("&#45;", "-")
                    .replace("&#x3a;", ":")
                    .replace("&#58;", ":");
                out.push((name.to_string(), value));
            }
            out
        };
        let r = citizen
            .post(s.url(&format!("/services/{ITEM}/submit")))
            .form(&submit)
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
        let view = s
            .hall
            .case(&sys, &tongban_hall::CaseId(id.clone()))
            .await
            .unwrap();
        let file = view
            .materials
            .iter()
            .find_map(|m| match &m.provided {
                tongban_hall::Provided::Upload { file, .. } => Some(file.clone()),
                _ => None,
            })
            .expect("the upload is on the case");
        let mine = citizen
            .get(s.url(&format!("/my/cases/{id}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            mine.contains(&format!("/files/{file}")) && mine.contains("租赁合同.pdf"),
            "{mine}"
        );
        let r = citizen
            .get(s.url(&format!("/files/{file}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/pdf");
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment")
        );
        assert_eq!(&r.bytes().await.unwrap()[..], PDF);

        let clerk = browser();
        sign_in(&clerk, &s, "ga_clerk", PASSWORD).await;
        let page = clerk
            .get(s.url(&format!("/console/cases/{id}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains(&format!("/files/{file}")), "{page}");
        let r = clerk.get(s.url(&format!("/files/{file}"))).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(&r.bytes().await.unwrap()[..], PDF);
        let other = browser();
        sign_in(&other, &s, "mz_clerk", PASSWORD).await;
        let r = other.get(s.url(&format!("/files/{file}"))).send().await.unwrap();
        assert_eq!(r.status(), 403);
        let r = other.get(s.url("/files/not-an-id")).send().await.unwrap();
        assert_eq!(r.status(), 404);

        // Messages: the applicant was told of the submission; the clerks of a new task; the
        // other department of nothing.
        let number = view.case.number.clone();
        let get = |c: &reqwest::Client, path: &str| c.get(s.url(path)).send();
        let mine = get(&citizen, "/my/messages").await.unwrap().text().await.unwrap();
        assert!(
            mine.contains(&number) && mine.contains("提交申请") && mine.contains("未读：1"),
            "{mine}"
        );
        let r = citizen
            .post(s.url("/my/messages/read"))
            .form(&[("csrf", csrf_of(&mine))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let mine = get(&citizen, "/my/messages").await.unwrap().text().await.unwrap();
        assert!(mine.contains("未读：0"), "{mine}");
        let theirs = get(&clerk, "/console/messages")
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            theirs.contains(&format!("新待办：居住证申领 {number}")),
            "{theirs}"
        );
        assert!(theirs.contains(&format!("/console/cases/{id}")));
        let others = get(&other, "/console/messages")
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!others.contains(&number));
    })
    .await;
}

/// A material an e-licence serves offers each of the applicant's licences of that type by whose
/// it is and when it was issued: a parent with two children's birth certificates can tell them
/// apart.
#[tokio::test]
async fn a_licence_material_names_whose_licence_each_choice_is() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let sys = Principal::system("test");
        item_with(
            &s,
            "9901-GA-HK",
            vec![Material {
                code: "birth".into(),
                name: "出生医学证明".into(),
                required: true,
                source: MaterialSource::Licence {
                    licence_type: "birth-certificate".into(),
                },
            }],
        )
        .await;
        let seal = crate::support::police_seal(&s, "示范市公安局证照专用章", SealType::Licence).await;
        let parent = s.identity.principal_for_username("citizen1").await.unwrap();
        // A birth certificate is held by the parent; its first line names the child.
        for (child, id) in [("张小宝", "99010120260101001"), ("张小贝", "99010120260101002")] {
            s.seals
                .issue_licence(
                    &sys,
                    &seal.id,
                    LicenceInput {
                        licence_type: "birth-certificate".into(),
                        title: "出生医学证明".into(),
                        holder_kind: HolderKind::Person,
                        holder_name: "张晓明".into(),
                        holder_id: IdNumber::with_check(id).unwrap().as_str().into(),
                        holder_account: Some(parent.id.clone()),
                        valid_from: None,
                        valid_to: None,
                        fields: vec![tongban_seal::LicenceField {
                            label: "新生儿姓名".into(),
                            value: child.into(),
                        }],
                        case_number: None,
                    },
                )
                .await
                .unwrap();
        }
        let citizen = browser();
        sign_in(&citizen, &s, "citizen1", PASSWORD).await;
        let apply = s.url("/services/9901-GA-HK/apply");
        let q1 = get_and_follow(&citizen, &s.base, "/services/9901-GA-HK/apply")
            .await
            .text()
            .await
            .unwrap();
        let form = [
            ("csrf", csrf_of(&q1)),
            ("key", "web-materials-licences".to_string()),
            ("step", "0".to_string()),
            ("v", "示范市城东区中山路88号".to_string()),
            ("go", "next".to_string()),
        ];
        let page = followed(
            &citizen,
            &s.base,
            citizen.post(&apply).form(&form).send().await.unwrap(),
        )
        .await
        .text()
        .await
        .unwrap();
        let choices: Vec<&str> = page
            .split("<div class=\"radio\">")
            .skip(1)
            .filter(|c| c.contains("出生医学证明"))
            .collect();
        assert_eq!(choices.len(), 2, "{page}");
        let today = s.seals.today();
        let issued = format!("{}年{}月{}日签发", today.year(), today.month(), today.day());
        for choice in &choices {
            assert!(choice.contains(&issued), "{choice}");
            assert!(choice.contains("示范市公安局"), "{choice}");
        }
        assert!(
            choices.iter().all(|c| c.contains("张晓明")),
            "the holder in full: {page}"
        );
        for child in ["新生儿姓名：张小宝", "新生儿姓名：张小贝"] {
            assert_eq!(choices.iter().filter(|c| c.contains(child)).count(), 1, "{page}");
        }
    })
    .await;
}
