//! E-licences over HTTP: public verification by number and by uploaded file (valid, tampered,
//! revoked), the holder's "my licences", licence page with its QR code and file download, the
//! console's seals and licences pages, and who may see what.

use crate::support::{PASSWORD, Server, browser, csrf_of, sets, sign_in, sign_in_with_mfa};
use tongban_identity::NewStaff;
use tongban_kernel::{IdNumber, Principal, Role};
use tongban_seal::{HolderKind, LicenceField, LicenceInput, SealType};
use tongban_test_support::each_backend;

async fn get(c: &reqwest::Client, s: &Server, path: &str) -> (u16, String) {
    let r = c.get(s.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn post_file(c: &reqwest::Client, s: &Server, csrf: &str, bytes: Vec<u8>) -> (u16, String) {
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("licence.json"),
        );
    let r = c.post(s.url("/verify")).multipart(form).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// A seal for 公安局 and a licence for citizen1; returns its number.
/// The verification code printed on licence `number`.
async fn code_of(s: &Server, number: &str) -> String {
    let file = s
        .seals
        .signed_file(&Principal::system("test"), number)
        .await
        .unwrap();
    tongban_seal::verification_code(&tongban_seal::file_data_hash(&file))
}

async fn issue(s: &Server) -> String {
    let sys = Principal::system("test");
    let seal = crate::support::police_seal(s, "示范市公安局证照专用章", SealType::Licence).await;
    let citizen = s.identity.principal_for_username("citizen1").await.unwrap();
    let (licence, _) = s
        .seals
        .issue_licence(
            &sys,
            &seal.id,
            LicenceInput {
                licence_type: "residence-permit".into(),
                title: "居住证".into(),
                holder_kind: HolderKind::Person,
                holder_name: "张晓明".into(),
                holder_id: IdNumber::with_check("99010119900307123").unwrap().as_str().into(),
                holder_account: Some(citizen.id),
                valid_from: None,
                valid_to: None,
                fields: vec![LicenceField {
                    label: "居住地址".into(),
                    value: "示范市中山路88号".into(),
                }],
                case_number: None,
            },
        )
        .await
        .unwrap();
    licence.number
}

#[tokio::test]
async fn anyone_verifies_a_licence_by_number_or_file_and_the_holder_sees_and_downloads_it() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let number = issue(&s).await;

        // Anonymous: the form, the redirect from ?number=, the verdict by number.
        let anon = browser();
        let (status, form) = get(&anon, &s, "/verify").await;
        assert_eq!(status, 200);
        assert!(form.contains("enctype=\"multipart/form-data\""));
        // A number alone is not enough: the code printed beside it is asked for, and nothing
        // about the licence is shown.
        let code = code_of(&s, &number).await;
        let (status, page) = get(&anon, &s, &format!("/verify?number={number}")).await;
        assert_eq!(status, 422);
        assert!(
            page.contains("请输入证照上的校验码") && !page.contains("张**"),
            "{page}"
        );
        let (status, page) = get(&anon, &s, &format!("/verify/licence/{number}")).await;
        assert_eq!(status, 200);
        assert!(
            page.contains("请输入证照上的校验码") && !page.contains("张**"),
            "{page}"
        );
        // A wrong code is answered as an unknown number is.
        let (status, wrong) = get(&anon, &s, &format!("/verify/licence/{number}?code=00000000")).await;
        assert_eq!(status, 404);
        let (_, unknown) = get(&anon, &s, "/verify/licence/DZZZ-2026-99999999?code=00000000").await;
        assert!(
            wrong.contains("没有找到该证照，或校验码不正确")
                && unknown.contains("没有找到该证照，或校验码不正确")
        );
        let r = anon
            .get(s.url(&format!(
                "/verify?number={}&code={}",
                number.to_lowercase(),
                code.to_lowercase()
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(
            r.headers()["location"],
            format!("/verify/licence/{number}?code={code}")
        );
        let (status, verdict) = get(&anon, &s, &format!("/verify/licence/{number}?code={code}")).await;
        assert_eq!(status, 200);
        assert!(
            verdict.contains("verdict-valid") && verdict.contains("示范市公安局"),
            "{verdict}"
        );
        // The verdict is said in the page's language only.
        assert!(!verdict.contains("valid, issued by"), "{verdict}");
        assert!(
            verdict.contains("张**") && !verdict.contains("张晓明"),
            "the holder is masked"
        );
        let (status, _) = get(&anon, &s, "/verify/licence/DZZZ-2026-99999999?code=12345678").await;
        assert_eq!(status, 404);
        // Guessing codes from one address is slowed down: 429 with the wait, said on the page.
        let mut limited = None;
        for n in 0..40 {
            let r = anon
                .get(s.url(&format!("/verify/licence/{number}?code={n:08}")))
                .send()
                .await
                .unwrap();
            if r.status() == 429 {
                limited = Some((r.headers().contains_key("retry-after"), r.text().await.unwrap()));
                break;
            }
        }
        let (waits, page) = limited.expect("guesses from one address are limited");
        assert!(waits && page.contains("秒后再试"), "{page}");
        // Only the holder and the issuer open the licence itself.
        let (status, _) = get(&anon, &s, &format!("/licences/{number}")).await;
        assert_eq!(status, 303, "sign in first");

        // The holder: my licences, the printable page with its QR code, the file.
        let holder = browser();
        sign_in(&holder, &s, "citizen1", PASSWORD).await;
        let (_, mine) = get(&holder, &s, "/my/licences").await;
        assert!(mine.contains(&number) && mine.contains("居住证"), "{mine}");
        let (status, page) = get(&holder, &s, &format!("/licences/{number}")).await;
        assert_eq!(status, 200);
        assert!(page.contains("<svg") && page.contains(&format!("/verify/licence/{number}?code={code}")));
        assert!(
            page.contains(&format!("<code>{code}</code>")),
            "the code is printed beside the number"
        );
        assert!(page.contains("示范市中山路88号") && page.contains("9901**********"));
        assert!(!page.contains("<?xml"));
        // The signing seal's impression is stamped over the issuer's name.
        let issuer = &page[page.find("class=\"sealed\"").unwrap()..];
        assert!(
            issuer.contains("class=\"seal-impression\"")
                && issuer.contains(">示范市公安局</textPath>")
                && issuer.contains(">证照专用章</text>"),
            "{page}"
        );
        let r = holder
            .get(s.url(&format!("/licences/{number}/file")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains(&format!("{number}.json"))
        );
        let file = r.bytes().await.unwrap().to_vec();

        // Uploading the file: valid; one changed character: tampered; not a file: asked again.
        let csrf = csrf_of(&get(&anon, &s, "/verify").await.1);
        let (status, body) = post_file(&anon, &s, &csrf, file.clone()).await;
        assert_eq!(status, 200);
        assert!(body.contains("verdict-valid"), "{body}");
        let changed = String::from_utf8(file.clone())
            .unwrap()
            .replacen("中山路88号", "中山路99号", 1);
        let (_, body) = post_file(&anon, &s, &csrf, changed.into_bytes()).await;
        assert!(
            body.contains("verdict-tampered") && body.contains("已被篡改"),
            "{body}"
        );
        let (status, body) = post_file(&anon, &s, &csrf, Vec::new()).await;
        assert_eq!(status, 422);
        assert!(body.contains("file-error"));
        let (status, _) = post_file(&anon, &s, "forged", file.clone()).await;
        assert_eq!(status, 403, "the upload needs its CSRF token");

        // Another signed-in person may not open it.
        let other = browser();
        sign_in(&other, &s, "mz_clerk", PASSWORD).await;
        let (status, _) = get(&other, &s, &format!("/licences/{number}")).await;
        assert_eq!(status, 403);
        let (status, _) = get(&other, &s, &format!("/licences/{number}/file")).await;
        assert_eq!(status, 403);
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn department_admins_make_seals_and_revoke_licences_in_the_console() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let number = issue(&s).await;
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
        let admin = browser();
        sign_in_with_mfa(&admin, &s, "ga_admin").await;
        let (status, page) = get(&admin, &s, "/console/seals").await;
        assert_eq!(status, 200);
        assert!(page.contains("示范市公安局证照专用章") && page.contains("name=\"valid_to\""));
        let csrf = csrf_of(&page);

        // A bad date and an empty name are named next to their fields; nothing is made.
        let r = admin
            .post(s.url("/console/seals"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("department", "9901-GA"),
                ("name", ""),
                ("seal_type", "official"),
                ("valid_from", "2026-01-01"),
                ("valid_to", "someday"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("valid_to-error"));
        let r = admin
            .post(s.url("/console/seals"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("department", "9901-GA"),
                ("name", "示范市公安局公章"),
                ("seal_type", "official"),
                ("valid_from", "2026-01-01"),
                ("valid_to", "2030-12-31"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(s.seals.seals(None).await.unwrap().len(), 2);
        let made = s.seals.letter_seal(&ga.path).await.unwrap().unwrap();
        assert_eq!(
            made.issuer.name_zh, "示范市公安局",
            "the issuer is named with its city"
        );

        // Revoking: the list offers it; afterwards public verification says revoked.
        let (_, list) = get(&admin, &s, "/console/licences").await;
        assert!(
            list.contains(&format!("/console/licences/{number}/revoke")),
            "{list}"
        );
        let r = admin
            .post(s.url(&format!("/console/licences/{number}/revoke")))
            .form(&[("csrf", csrf.as_str()), ("reason", "持证人迁出本市")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let code = code_of(&s, &number).await;
        let (_, verdict) = get(&browser(), &s, &format!("/verify/licence/{number}?code={code}")).await;
        assert!(
            verdict.contains("verdict-revoked") && verdict.contains("持证人迁出本市"),
            "{verdict}"
        );
        // Said once, at local time (no UTC stamp).
        assert_eq!(verdict.matches("持证人迁出本市").count(), 1, "{verdict}");
        let line = &verdict[verdict.find("已于").unwrap()..];
        let line = &line[..line.find('<').unwrap()];
        assert!(!line.contains('T') && !line.contains('Z'), "{line}");

        // Replacing the licence seal's key: the successor keeps the name and signs from now
        // on, the old one is shown retired and offers no second replacement; the licence it
        // signed still verifies.
        let licence_seal = s
            .seals
            .seals(Some(&ga.path))
            .await
            .unwrap()
            .into_iter()
            .find(|x| x.name == "示范市公安局证照专用章")
            .unwrap();
        let rotate = format!("/console/seals/{}/rotate", licence_seal.id);
        let (_, page) = get(&admin, &s, "/console/seals").await;
        assert!(page.contains(&format!("action=\"{rotate}\"")), "{page}");
        let r = admin
            .post(s.url(&rotate))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let (_, page) = get(&admin, &s, "/console/seals?done=rotated").await;
        assert!(
            page.contains("密钥已更换") && page.contains("已更换密钥，停用"),
            "{page}"
        );
        assert!(!page.contains(&format!("action=\"{rotate}\"")), "{page}");
        let r = admin
            .post(s.url(&rotate))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("href=\"#seal\""));
        let now_signing = s
            .seals
            .seals(Some(&ga.path))
            .await
            .unwrap()
            .into_iter()
            .find(|x| x.name == "示范市公安局证照专用章")
            .unwrap();
        assert!(now_signing.retired.is_none());
        assert_ne!(now_signing.id, licence_seal.id);

        // A clerk elsewhere sees neither page's data; a citizen is refused the console.
        let clerk = browser();
        sign_in(&clerk, &s, "mz_clerk", PASSWORD).await;
        let r = clerk
            .post(s.url(&format!("/console/seals/{}/rotate", now_signing.id)))
            .form(&[("csrf", csrf_of(&get(&clerk, &s, "/console").await.1).as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let (status, _) = get(&clerk, &s, "/console/seals").await;
        assert_eq!(status, 403);
        let (status, _) = get(&clerk, &s, "/console/licences").await;
        assert_eq!(status, 403);
        let citizen = browser();
        sign_in(&citizen, &s, "citizen1", PASSWORD).await;
        let (status, _) = get(&citizen, &s, "/console/seals").await;
        assert_eq!(status, 403);
        s.stop().await;
    })
    .await;
}
