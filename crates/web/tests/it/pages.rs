use crate::support::{PASSWORD, Server, browser, csrf_of, sets, sign_in};
use tongban_db::testing::each_backend;

#[tokio::test]
async fn a_citizen_signs_in_sees_masked_data_and_signs_out() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let c = browser();
        let r = sign_in(&c, &s, "citizen1", PASSWORD).await;
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/account");
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect::<Vec<_>>();
        assert!(
            cookie.iter().any(|c| c.starts_with("tb_session=")
                && c.contains("HttpOnly")
                && c.contains("SameSite=Lax"))
        );

        let page = c
            .get(s.url("/account"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("9901**********1237"),
            "ID number masked on the page"
        );
        assert!(!page.contains("990101199003071237"), "full ID number never shown");

        let csrf = csrf_of(&page);
        let r = c
            .post(s.url("/logout"))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let r = c.get(s.url("/account")).send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert!(r.headers()["location"].to_str().unwrap().starts_with("/login"));
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_state_changing_form_without_its_csrf_token_is_refused() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let c = browser();
        // Visit first so the CSRF cookie exists, then post without and with a forged token.
        c.get(s.url("/login")).send().await.unwrap();
        for form in [
            vec![("username", "citizen1"), ("password", PASSWORD)],
            vec![
                ("csrf", "forged"),
                ("username", "citizen1"),
                ("password", PASSWORD),
            ],
        ] {
            let r = c.post(s.url("/login")).form(&form).send().await.unwrap();
            assert_eq!(r.status(), 403);
            assert!(
                r.headers()
                    .get("set-cookie")
                    .is_none_or(|v| !v.to_str().unwrap().starts_with("tb_session="))
            );
        }
        // Signed in, a token from another visitor does not work either.
        sign_in(&c, &s, "citizen1", PASSWORD).await;
        let r = c
            .post(s.url("/logout"))
            .form(&[("csrf", "0".repeat(43))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn wrong_passwords_show_the_error_next_to_the_field_and_lock_after_five() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let c = browser();
        let r = sign_in(&c, &s, "ga_clerk", "Wrong@2026x").await;
        assert_eq!(r.status(), 422);
        let page = r.text().await.unwrap();
        assert!(page.contains("error-summary") && page.contains("用户名或密码错误"));
        for _ in 0..4 {
            sign_in(&c, &s, "ga_clerk", "Wrong@2026x").await;
        }
        let page = sign_in(&c, &s, "ga_clerk", PASSWORD).await.text().await.unwrap();
        assert!(page.contains("锁定"), "locked after five failures");
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn pages_speak_chinese_by_default_and_english_on_request() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let c = browser();
        let zh = c.get(s.url("/")).send().await.unwrap().text().await.unwrap();
        assert!(zh.contains("lang=\"zh-CN\"") && zh.contains("一网通办"));
        let en = c
            .get(s.url("/"))
            .header("accept-language", "en-GB,en;q=0.9")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(en.contains("lang=\"en\"") && en.contains("One window"));
        let r = c.get(s.url("/lang/en?back=/login")).send().await.unwrap();
        assert_eq!(r.headers()["location"], "/login");
        let page = c.get(s.url("/login")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("Sign in"));
        // The switch never redirects off-site.
        let r = c.get(s.url("/lang/zh?back=//evil.example")).send().await.unwrap();
        assert_eq!(r.headers()["location"], "/");
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn every_page_carries_the_security_headers_and_unknown_pages_are_friendly_404s() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let r = reqwest::get(s.url("/no/such/page")).await.unwrap();
        assert_eq!(r.status(), 404);
        let h = r.headers();
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
        assert!(
            !h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("unsafe-inline")
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "same-origin");
        assert!(
            h.get("strict-transport-security").is_none(),
            "no HSTS over plain HTTP"
        );
        assert!(r.text().await.unwrap().contains("找不到"));
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_ledger_view_is_for_security_admins_only() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        // Admins must set up MFA first: a clerk has no second factor and no ledger access.
        let c = browser();
        sign_in(&c, &s, "ga_clerk", PASSWORD).await;
        let r = c.get(s.url("/console/ledger")).send().await.unwrap();
        assert_eq!(r.status(), 403);
        let r = c.get(s.url("/console/ledger.csv")).send().await.unwrap();
        assert_eq!(r.status(), 403);
        let page = c
            .get(s.url("/account"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let r = c
            .post(s.url("/console/ledger/verify"))
            .form(&[("csrf", csrf_of(&page))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "only auditors may start a verification");
        // A citizen cannot open the console at all.
        let c = browser();
        sign_in(&c, &s, "citizen1", PASSWORD).await;
        assert_eq!(c.get(s.url("/console")).send().await.unwrap().status(), 403);
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn admins_are_sent_to_set_up_two_step_verification_before_the_console() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let c = browser();
        let r = sign_in(&c, &s, "secadmin", PASSWORD).await;
        assert!(
            r.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/mfa/setup")
        );
        let r = c.get(s.url("/console/ledger")).send().await.unwrap();
        assert!(
            r.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/mfa/setup")
        );
        let page = c
            .get(s.url("/mfa/setup"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let at = page.find("id=\"totp-secret\">").unwrap() + "id=\"totp-secret\">".len();
        let secret = &page[at..at + page[at..].find('<').unwrap()];
        let key = tongban_identity::totp::decode_secret(secret).unwrap();
        let now = jiff::Timestamp::now().as_second();
        let code = tongban_identity::totp::code_at(&key, now, 6);
        let csrf = csrf_of(&page);
        let r = c
            .post(s.url("/mfa/setup"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("code", code.as_str()),
                ("next", "/console/ledger"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["location"], "/console/ledger");
        let r = c.get(s.url("/console/ledger")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let page = r.text().await.unwrap();
        assert!(
            page.contains("identity.login.succeeded"),
            "sign-ins show up in the ledger view"
        );
        assert!(page.contains("最近一次校验"));
        let r = c
            .post(s.url("/console/ledger/verify"))
            .form(&[("csrf", csrf_of(&page))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["location"], "/console/ledger");
        let csv = c
            .get(s.url("/console/ledger.csv?action=identity."))
            .send()
            .await
            .unwrap();
        assert_eq!(csv.status(), 200);
        assert!(
            csv.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_citizen_sets_an_address_for_notification_emails() {
    tongban_db::testing::each_backend(&crate::support::sets(), |db| async move {
        let s = crate::support::Server::start(db).await;
        let c = crate::support::browser();
        crate::support::sign_in(&c, &s, "citizen1", crate::support::PASSWORD).await;
        let page = c
            .get(s.url("/account"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("邮件通知"), "{page}");
        let csrf = crate::support::csrf_of(&page);
        let r = c
            .post(s.url("/account/email"))
            .form(&[("csrf", csrf.as_str()), ("email", "not-an-address")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("电子邮箱格式不正确"));
        let r = c
            .post(s.url("/account/email"))
            .form(&[("csrf", csrf.as_str()), ("email", "xiaoming@example.cn")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let page = c
            .get(s.url("/account"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("@example.cn") && !page.contains("xiaoming@example.cn"),
            "shown masked: {page}"
        );
        // It awaits the code the notification worker mails; the page takes it.
        assert!(
            page.contains("待验证") && page.contains("/account/email/confirm"),
            "{page}"
        );
        let confirm = |code: &str| {
            c.post(s.url("/account/email/confirm"))
                .form(&[("csrf", csrf.as_str()), ("code", code)])
                .send()
        };
        assert_eq!(confirm("123456").await.unwrap().status(), 422, "no code sent yet");
        let sent = s.identity.email_codes_to_send(10).await.unwrap();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].email, "xiaoming@example.cn");
        let wrong = if sent[0].code == "000000" {
            "111111"
        } else {
            "000000"
        };
        let r = confirm(wrong).await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("验证码不正确"));
        assert_eq!(confirm(&sent[0].code).await.unwrap().status(), 303);
        let page = c
            .get(s.url("/account"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("已验证") && !page.contains("/account/email/confirm"),
            "{page}"
        );
    })
    .await;
}
