use crate::support::{PASSWORD, Server, add_staff, browser, csrf_of, sets, sign_in, sign_in_with_mfa};
use tongban_kernel::Role;
use tongban_test_support::each_backend;

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
            page.contains("9901*************7"),
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
async fn wrong_passwords_show_the_error_next_to_the_field_and_pause_the_address_after_five() {
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
        let r = sign_in(&c, &s, "ga_clerk", PASSWORD).await;
        assert_eq!(r.status(), 429, "this address is paused after five failures");
        assert!(r.headers().contains_key("retry-after"));
        let page = r.text().await.unwrap();
        assert!(
            page.contains("登录失败次数过多") && page.contains("后再试"),
            "{page}"
        );
        let said = &page[page.find("登录失败次数过多").unwrap()..];
        let said = &said[..said.find('<').unwrap()];
        assert!(!said.contains('Z'), "local time, not UTC: {said}");
        // The holder is told on their account page once signed in (elsewhere, or later).
        let id = s
            .identity
            .get_user_by_username(&tongban_kernel::Principal::system("test"), "ga_clerk")
            .await
            .unwrap()
            .id;
        // The security administrator sees the pause on the account's page and lifts it there.
        let sec = browser();
        crate::support::sign_in_with_mfa(&sec, &s, "secadmin").await;
        let user_url = s.url(&format!("/console/users/{id}"));
        let account_page = sec.get(&user_url).send().await.unwrap().text().await.unwrap();
        assert!(account_page.contains("登录暂停"), "{account_page}");
        let r = sec
            .post(format!("{user_url}/unlock"))
            .form(&[("csrf", csrf_of(&account_page))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_string();
        let after = sec.get(s.url(&to)).send().await.unwrap().text().await.unwrap();
        assert!(
            after.contains("已解锁") && !after.contains("的尝试暂停至"),
            "{after}"
        );
        sign_in(&c, &s, "ga_clerk", PASSWORD).await;
        let account = c
            .get(s.url("/account"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            account.contains("安全提醒") && account.contains("连续错误尝试"),
            "{account}"
        );
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_city_security_administrator_finds_a_paused_citizen_and_lifts_the_pause_but_a_bureau_cannot() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let c = browser();
        for _ in 0..5 {
            sign_in(&c, &s, "citizen1", "Wrong@2026x").await;
        }
        assert_eq!(sign_in(&c, &s, "citizen1", PASSWORD).await.status(), 429);

        // Citizens belong to no department: the city's security administrator finds them under
        // 用户与角色 and sees the pause on the account page.
        let sec = browser();
        crate::support::sign_in_with_mfa(&sec, &s, "secadmin").await;
        let list = sec
            .get(s.url("/console/users?q=citizen1"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let id = s
            .identity
            .get_user_by_username(&tongban_kernel::Principal::system("test"), "citizen1")
            .await
            .unwrap()
            .id;
        assert!(list.contains(&format!("/console/users/{id}")), "{list}");
        let user_url = s.url(&format!("/console/users/{id}"));
        let account_page = sec.get(&user_url).send().await.unwrap().text().await.unwrap();
        assert!(
            account_page.contains("登录暂停") && account_page.contains("/unlock"),
            "{account_page}"
        );

        // A bureau's administrator neither lists nor opens a citizen's account.
        add_staff(&s, "ga_admin", "9901-GA", tongban_kernel::Role::DeptAdmin).await;
        let bureau = browser();
        crate::support::sign_in_with_mfa(&bureau, &s, "ga_admin").await;
        let theirs = bureau
            .get(s.url("/console/users?q=citizen1"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!theirs.contains(&format!("/console/users/{id}")), "{theirs}");
        assert_eq!(bureau.get(&user_url).send().await.unwrap().status(), 403);

        let r = sec
            .post(format!("{user_url}/unlock"))
            .form(&[("csrf", csrf_of(&account_page))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(
            sign_in(&c, &s, "citizen1", PASSWORD).await.status(),
            303,
            "the pause is lifted"
        );

        // The city may lock and unlock a citizen's account, never set its password.
        let sys = s.identity.principal_for_username("sysadmin").await.unwrap();
        let reset = s.identity.reset_password(&sys, &id, "Taken@2026over").await;
        assert!(
            matches!(reset, Err(tongban_identity::Error::Forbidden { .. })),
            "{reset:?}"
        );
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_flood_of_sign_ins_from_one_address_is_answered_429_with_the_wait_before_any_hashing() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let c = browser();
        let (burst, _) = tongban_identity::PER_ADDRESS;
        for n in 0..burst {
            let r = sign_in(&c, &s, &format!("nobody{n}"), "Wrong@2026x").await;
            assert_eq!(r.status(), 422, "attempt {n}");
        }
        let r = sign_in(&c, &s, "nobody-more", "Wrong@2026x").await;
        assert_eq!(r.status(), 429);
        let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!(wait >= 1);
        let page = r.text().await.unwrap();
        assert!(
            page.contains("error-summary") && page.contains("秒后再试"),
            "said on the page, in Chinese"
        );
        // The JSON sign-in counts the same address and answers a problem with Retry-After.
        let r = reqwest::Client::new()
            .post(s.url("/api/v1/auth/login"))
            .json(&serde_json::json!({ "username": "nobody-api", "password": "Wrong@2026x" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 429);
        assert!(r.headers().contains_key("retry-after"));
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["status"], 429);
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
        // A refusal in English is a sentence: capital first letter, the field marked invalid.
        let r = sign_in(&c, &s, "ga_clerk", "Wrong@2026x").await;
        let refused = r.text().await.unwrap();
        assert!(refused.contains("Wrong username or password"), "{refused}");
        assert!(refused.contains("aria-invalid=\"true\""), "{refused}");
        // The switch never redirects off-site.
        let r = c.get(s.url("/lang/zh?back=//evil.example")).send().await.unwrap();
        assert_eq!(r.headers()["location"], "/");
        // Nor through a tab a browser drops, and a CR/LF is refused, not a server error.
        for back in [
            "/%09/evil.example",
            "/%0d%0aSet-Cookie:%20x=1",
            "/%0a/evil.example",
        ] {
            for switch in ["/lang/en", "/care/on"] {
                let r = c
                    .get(s.url(&format!("{switch}?back={back}")))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 303, "{switch} {back}");
                assert_eq!(r.headers()["location"], "/", "{switch} {back}");
            }
        }
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn an_address_or_a_form_that_does_not_read_is_a_400_page_not_plain_text() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let r = reqwest::get(s.url("/open-data?page=abc")).await.unwrap();
        assert_eq!(r.status(), 400);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let page = r.text().await.unwrap();
        assert!(
            page.contains("请求有误") && page.contains("网址中的参数有误"),
            "{page}"
        );

        // A form with a field sent twice (no page of ours posts one) and a good token.
        let c = browser();
        let login = c.get(s.url("/login")).send().await.unwrap().text().await.unwrap();
        let csrf = csrf_of(&login);
        let r = c
            .post(s.url("/login"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("username", "citizen1"),
                ("username", "citizen2"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("表单内容有误"));
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413_page_in_the_page_language_not_plain_text() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        // Over the 1 MiB a form may carry: the limit layer refuses it before any handler runs.
        let big = "x".repeat(1024 * 1024 + 1);
        for (lang, says) in [
            ("zh-CN", "提交的内容太大。请返回上一页"),
            ("en", "What you sent is too large. Go back"),
        ] {
            let r = reqwest::Client::new()
                .post(s.url("/login"))
                .header("accept-language", lang)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("username={big}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 413, "{lang}");
            assert!(
                r.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/html"),
                "{lang}"
            );
            let page = r.text().await.unwrap();
            assert!(page.contains(says), "{lang}: {page}");
            assert!(page.contains("<header"), "{lang}: the site's own look");
        }
        // The API keeps its problem documents.
        let r = reqwest::Client::new()
            .post(s.url("/api/v1/auth/login"))
            .header("content-type", "application/json")
            .body(format!("{{\"username\":\"{big}\"}}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 413);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/problem+json")
        );
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
        // The refusal keeps the console's look, menu and a way back to the console.
        let body = r.text().await.unwrap();
        assert!(
            body.contains("class=\"site console\"") && body.contains("返回工作台首页"),
            "{body}"
        );
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
        // Someone tries ga_clerk's password; a citizen signs in (no department on either).
        sign_in(&browser(), &s, "ga_clerk", "wrong-password").await;
        sign_in(&browser(), &s, "citizen1", PASSWORD).await;
        // A department administrator, who can create accounts, must use it too.
        crate::support::add_staff(&s, "ga_admin", "9901-GA", tongban_kernel::Role::DeptAdmin).await;
        let r = sign_in(&browser(), &s, "ga_admin", PASSWORD).await;
        assert!(
            r.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/mfa/setup")
        );
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
        // The city's security administrator sees the citizen's sign-in too.
        assert!(page.contains("<td>citizen1</td>"), "{page}");
        // 操作 and 部门 are choices.
        assert!(page.contains("<select id=\"action\"") && page.contains("<select id=\"department\""));
        // The attacked account finds the anonymous attempt on it.
        let mine = c
            .get(s.url("/console/ledger?actor=ga_clerk&action=identity.login.failed"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            mine.contains("未登录访问者") && mine.contains("登录失败"),
            "{mine}"
        );
        assert!(mine.contains("1 条记录"), "{mine}");
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
    tongban_test_support::each_backend(&crate::support::sets(), |db| async move {
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

#[tokio::test]
async fn a_department_admin_is_offered_only_roles_they_may_grant_and_sees_a_refusal_on_the_field() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        crate::support::add_staff(&s, "ga_admin", "9901-GA", tongban_kernel::Role::DeptAdmin).await;
        let clerk = s
            .identity
            .get_user_by_username(&tongban_kernel::Principal::system("test"), "ga_clerk")
            .await
            .unwrap();
        let c = browser();
        crate::support::sign_in_with_mfa(&c, &s, "ga_admin").await;
        let url = s.url(&format!("/console/users/{}", clerk.id));
        let page = c.get(&url).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("value=\"reviewer\""), "{page}");
        assert!(
            !page.contains("value=\"security_admin\"") && !page.contains("value=\"sys_admin\""),
            "not offered: {page}"
        );
        // Forced anyway: refused on the field, with the boxes as they were sent.
        let r = c
            .post(format!("{url}/roles"))
            .form(&[
                ("csrf", csrf_of(&page)),
                ("role", "clerk".into()),
                ("role", "security_admin".into()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let body = r.text().await.unwrap();
        assert!(
            body.contains("class=\"field-error\"") && body.contains("只有系统管理员"),
            "{body}"
        );
        assert!(body.contains("class=\"site console\""), "{body}");
        // Allowed: saved, and told so.
        let r = c
            .post(format!("{url}/roles"))
            .form(&[
                ("csrf", csrf_of(&page)),
                ("role", "clerk".into()),
                ("role", "reviewer".into()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_string();
        let page = c.get(s.url(&to)).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("角色已保存"), "{page}");
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn care_mode_is_switched_on_every_page_without_javascript_and_stays_on() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let c = browser();
        let page = c
            .get(s.url("/services"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("<body>") && page.contains("关怀模式"), "{page}");
        assert!(page.contains("href=\"/care/on?back=%2Fservices\""), "{page}");
        let r = c.get(s.url("/care/on?back=%2Fservices")).send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/services");
        // On: larger text and targets, simpler navigation, and the way out on every page.
        for path in ["/services", "/interact", "/login"] {
            let page = c.get(s.url(path)).send().await.unwrap().text().await.unwrap();
            assert!(page.contains("<body class=\"care\">"), "{path}: {page}");
            assert!(page.contains("退出关怀模式"), "{path}");
        }
        // Never an open redirect.
        let r = c
            .get(s.url("/care/off?back=https%3A%2F%2Fevil.example"))
            .send()
            .await
            .unwrap();
        assert!(!r.headers()["location"].to_str().unwrap().contains("evil"));
        let page = c
            .get(s.url("/services"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("<body>"), "off again");
        let css = c
            .get(s.url("/static/app.css"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(css.contains("body.care {") && css.contains("min-height: 2.75rem"));
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_home_page_searches_services_and_gives_a_citizen_their_own_centre() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let anon = browser()
            .get(s.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            anon.contains("role=\"search\"")
                && anon.contains("action=\"/services\"")
                && anon.contains("name=\"q\""),
            "a search box at the top: {anon}"
        );
        assert!(
            anon.contains("通知公告") && anon.contains("登录开始办事"),
            "{anon}"
        );
        assert!(!anon.contains("件在办"), "no personal centre when signed out");
        let c = browser();
        sign_in(&c, &s, "citizen1", PASSWORD).await;
        let home = c.get(s.url("/")).send().await.unwrap().text().await.unwrap();
        assert!(
            home.contains("件在办") && home.contains("href=\"/my/licences\"") && home.contains("条未读消息"),
            "the citizen's centre: {home}"
        );
        // Staff get the console, not a citizen's centre.
        let staff = browser();
        sign_in(&staff, &s, "ga_clerk", PASSWORD).await;
        let home = staff.get(s.url("/")).send().await.unwrap().text().await.unwrap();
        assert!(!home.contains("件在办"), "{home}");
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_security_administrator_made_in_the_console_waits_for_a_second_administrator_and_sets_their_own_password()
 {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let city = s
            .identity
            .department_by_code(&tongban_kernel::Principal::system("test"), "9901")
            .await
            .unwrap();
        // sysadmin creates a security administrator with a password of its choosing.
        let sys = browser();
        crate::support::sign_in_with_mfa(&sys, &s, "sysadmin").await;
        let page = sys
            .get(s.url("/console/users/new"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        // Sent empty, the form names every missing answer at once.
        let r = sys
            .post(s.url("/console/users"))
            .form(&[("csrf", csrf_of(&page)), ("department", city.id.to_string())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let empty = r.text().await.unwrap();
        for field in ["username", "display_name", "password"] {
            assert!(empty.contains(&format!("href=\"#{field}\"")), "{field}: {empty}");
        }
        let chosen = "Chosen-By-Sysadmin-26";
        let r = sys
            .post(s.url("/console/users"))
            .form(&[
                ("csrf", csrf_of(&page)),
                ("username", "new_sec".into()),
                ("display_name", "新安全员".into()),
                ("password", chosen.into()),
                ("department", city.id.to_string()),
                ("role", "security_admin".into()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_string();
        let page = sys.get(s.url(&to)).send().await.unwrap().text().await.unwrap();
        assert!(
            page.contains("待审批的角色") && page.contains("须另一位管理员批准"),
            "{page}"
        );
        assert!(page.contains("已创建工作人员账号"), "{page}");
        // The role does not hold: the chosen password opens no ledger.
        let through = browser();
        sign_in(&through, &s, "new_sec", chosen).await;
        assert_eq!(
            through
                .get(s.url("/console/ledger"))
                .send()
                .await
                .unwrap()
                .status(),
            403
        );
        // The one who asked cannot decide it.
        let list = sys
            .get(s.url("/console/approvals"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            list.contains("new_sec") && list.contains("须由其他管理员审批"),
            "{list}"
        );
        assert!(!list.contains("/approve\""), "{list}");
        let id = {
            let requests = s
                .identity
                .role_requests(&tongban_kernel::Principal::system("test"), None)
                .await
                .unwrap();
            requests[0].id.clone()
        };
        let r = sys
            .post(s.url(&format!("/console/approvals/{id}/approve")))
            .form(&[("csrf", csrf_of(&list))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        // A clerk has no such page.
        let clerk = browser();
        sign_in(&clerk, &s, "ga_clerk", PASSWORD).await;
        assert_eq!(
            clerk
                .get(s.url("/console/approvals"))
                .send()
                .await
                .unwrap()
                .status(),
            403
        );

        // The security administrator approves and is shown the code once.
        let sec = browser();
        crate::support::sign_in_with_mfa(&sec, &s, "secadmin").await;
        let list = sec
            .get(s.url("/console/approvals"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            list.contains(&format!("/console/approvals/{id}/approve")),
            "{list}"
        );
        let r = sec
            .post(s.url(&format!("/console/approvals/{id}/approve")))
            .form(&[("csrf", csrf_of(&list))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["cache-control"], "no-store");
        let shown = r.text().await.unwrap();
        let at = shown.find("id=\"activation-code\">").unwrap() + "id=\"activation-code\">".len();
        let code = shown[at..at + 14].to_string();
        assert_eq!(code.matches('-').count(), 2, "{code}");
        // The chosen password is void; the holder activates with the code.
        let r = sign_in(&browser(), &s, "new_sec", chosen).await;
        assert_eq!(r.status(), 422);
        let holder = browser();
        let form = holder
            .get(s.url("/activate"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(form.contains("账号激活"), "{form}");
        let post = |code: String, password: &'static str, again: &'static str| {
            holder
                .post(s.url("/activate"))
                .form(&[
                    ("csrf", csrf_of(&form)),
                    ("username", "new_sec".into()),
                    ("code", code),
                    ("password", password.into()),
                    ("password2", again.into()),
                ])
                .send()
        };
        let r = post("2222-3333-4444".into(), "Own-Secret-2026!", "Own-Secret-2026!")
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let body = r.text().await.unwrap();
        assert!(
            body.contains("href=\"#code\"") && body.contains("激活码不正确"),
            "{body}"
        );
        let r = post(code.clone(), "Own-Secret-2026!", "Own-Secret-2027!")
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let body = r.text().await.unwrap();
        assert!(body.contains("href=\"#password2\""), "{body}");
        assert!(
            body.contains(&format!("value=\"{code}\"")),
            "the code is kept: {body}"
        );
        // Before activating, the administrators see the account waits for its holder.
        let account = sys.get(s.url(&to)).send().await.unwrap().text().await.unwrap();
        assert!(account.contains("待本人凭激活码设置密码"), "{account}");
        let r = post(code.to_lowercase(), "Own-Secret-2026!", "Own-Secret-2026!")
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/login?activated=1");
        let login = holder
            .get(s.url("/login?activated=1"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(login.contains("密码已设置"), "{login}");
        let r = sign_in(&holder, &s, "new_sec", "Own-Secret-2026!").await;
        assert!(
            r.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/mfa/setup"),
            "the holder sets up their own second factor"
        );
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn registration_does_not_tell_whether_an_id_number_has_an_account_and_is_rate_limited() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let c = browser();
        let page = c
            .get(s.url("/register"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = csrf_of(&page);
        let id_number = tongban_kernel::IdNumber::with_check("99010119920505123").unwrap();
        let register = |username: String, id: String| {
            c.post(s.url("/register"))
                .form(&[
                    ("csrf", csrf.clone()),
                    ("real_name", "赵小燕".into()),
                    ("id_number", id),
                    ("username", username),
                    ("password", "Zhao@2026x".into()),
                    ("password2", "Zhao@2026x".into()),
                ])
                .send()
        };
        let first = register("zhao.xy".into(), id_number.as_str().into())
            .await
            .unwrap();
        let again = register("someone.else".into(), id_number.as_str().into())
            .await
            .unwrap();
        // The same answer either way: the second opens no account.
        assert_eq!((first.status().as_u16(), again.status().as_u16()), (303, 303));
        assert_eq!(first.headers()["location"], again.headers()["location"]);
        let login = c
            .get(s.url("/login?registered=1"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(login.contains("注册申请已受理"), "{login}");
        assert!(
            s.identity
                .get_user_by_username(&tongban_kernel::Principal::system("test"), "someone.else")
                .await
                .is_err()
        );
        let events = tongban_db::event::read_after(s.identity.db(), 0, 100_000)
            .await
            .unwrap();
        let repeated: Vec<_> = events
            .iter()
            .filter(|e| e.action == "identity.account.registration_repeated")
            .collect();
        assert_eq!(repeated.len(), 1);
        assert!(
            !repeated[0].detail.contains(id_number.as_str()),
            "masked in the record"
        );
        // A taken user name is still said (names are not personal data).
        let r = register(
            "zhao.xy".into(),
            tongban_kernel::IdNumber::with_check("99010119920505124")
                .unwrap()
                .as_str()
                .into(),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 422);
        // Driven at speed from one address: 429 with the wait, before any account is made.
        let mut limited = None;
        for n in 0..12 {
            let r = register(
                format!("burst.{n}"),
                tongban_kernel::IdNumber::with_check(&format!("990101199001{:02}123", n + 1))
                    .unwrap()
                    .as_str()
                    .into(),
            )
            .await
            .unwrap();
            if r.status() == 429 {
                limited = Some(r);
                break;
            }
        }
        let r = limited.expect("a burst of registrations is limited");
        assert!(r.headers().contains_key("retry-after"));
        assert!(r.text().await.unwrap().contains("尝试过于频繁"));
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn blank_forms_name_every_missing_answer_at_once() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let c = browser();
        // Sign-in: a blank form is not a wrong password.
        let r = sign_in(&c, &s, "", "").await;
        assert_eq!(r.status(), 422);
        let page = r.text().await.unwrap();
        assert!(
            page.contains("请输入用户名")
                && page.contains("请输入密码")
                && !page.contains("用户名或密码错误"),
            "{page}"
        );
        assert!(page.contains("id=\"password-error\""));
        // Registration: every empty field at once.
        let form = c
            .get(s.url("/register"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let r = c
            .post(s.url("/register"))
            .form(&[("csrf", csrf_of(&form))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let page = r.text().await.unwrap();
        for field in ["real_name", "id_number", "username", "password", "password2"] {
            assert!(page.contains(&format!("id=\"{field}-error\"")), "{field}: {page}");
            // The input itself says it is wrong and points at why (screen readers read it).
            let at = page.find(&format!("id=\"{field}\" name=\"{field}\"")).unwrap();
            let tag = &page[at..at + page[at..].find('>').unwrap()];
            assert!(
                tag.contains("aria-invalid=\"true\"") && tag.contains(&format!("{field}-error")),
                "{tag}"
            );
        }
        // Verification by number: the form sent empty says what is missing.
        let r = c.get(s.url("/verify?number=&code=")).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let page = r.text().await.unwrap();
        assert!(
            page.contains("请输入证照编号") && page.contains("请输入证照上的校验码"),
            "{page}"
        );
        let first = c.get(s.url("/verify")).send().await.unwrap();
        assert_eq!(first.status(), 200, "the first visit is not an error");
        s.stop().await;
    })
    .await;
}

/// The text of the element with `id` on `html` (a `<code>`).
fn code_with_id(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}: {html}"));
    let rest = &html[at..];
    let start = rest.find('>').unwrap() + 1;
    rest[start..start + rest[start..].find('<').unwrap()]
        .replace("&#x2d;", "-")
        .replace("&#45;", "-")
        .replace("&#x5f;", "_")
}

#[tokio::test]
async fn a_department_administrator_registers_rotates_and_disables_a_system_in_the_console() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let ga = add_staff(&s, "ga_admin", "9901-GA", Role::DeptAdmin).await;
        let c = browser();
        sign_in_with_mfa(&c, &s, "ga_admin").await;
        let form = c.get(s.url("/console/clients")).send().await.unwrap();
        assert_eq!(form.status(), 200);
        let form = form.text().await.unwrap();
        assert!(
            form.contains("还没有登记接入系统") && form.contains(ga.id.as_str()),
            "{form}"
        );
        // An empty form names every missing answer.
        let r = c
            .post(s.url("/console/clients"))
            .form(&[("csrf", csrf_of(&form))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let page = r.text().await.unwrap();
        for field in ["name", "department", "scopes"] {
            assert!(page.contains(&format!("id=\"{field}-error\"")), "{field}: {page}");
        }
        // Registered: the secret is shown once, on a page that is not kept.
        let r = c
            .post(s.url("/console/clients"))
            .form(&[
                ("csrf", csrf_of(&form).as_str()),
                ("name", "户籍业务系统"),
                ("department", ga.id.as_str()),
                ("scopes", "exchange:read"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["cache-control"], "no-store");
        let shown = r.text().await.unwrap();
        let client_id = code_with_id(&shown, "client-id");
        let secret = code_with_id(&shown, "client-secret");
        assert!(client_id.starts_with("tbc_") && secret.len() > 20, "{shown}");
        let token = |secret: String| {
            let (s, client_id) = (&s, client_id.clone());
            async move {
                reqwest::Client::new()
                    .post(s.url("/api/v1/auth/token"))
                    .json(&serde_json::json!({ "client_id": client_id, "client_secret": secret }))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        };
        assert_eq!(token(secret.clone()).await, 200);
        let list = c
            .get(s.url("/console/clients"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            list.contains(&client_id) && !list.contains(&secret),
            "never shown again: {list}"
        );
        let id = {
            let at = list.find("/console/clients/").unwrap() + "/console/clients/".len();
            list[at..at + 36].to_string()
        };
        // A new secret: the old one stops working.
        let r = c
            .post(s.url(&format!("/console/clients/{id}/rotate")))
            .form(&[("csrf", csrf_of(&list))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let rotated = r.text().await.unwrap();
        assert!(rotated.contains("原密钥及其令牌已失效") && !shown.contains("原密钥"));
        let fresh = code_with_id(&rotated, "client-secret");
        assert_ne!(fresh, secret);
        assert_eq!(token(secret).await, 401);
        assert_eq!(token(fresh.clone()).await, 200);
        // Disabled: said so, and its secret no longer gets a token.
        let r = c
            .post(s.url(&format!("/console/clients/{id}/disable")))
            .form(&[("csrf", csrf_of(&list))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["location"], "/console/clients?disabled=1");
        assert_ne!(token(fresh).await, 200);
        // A window clerk has no say over systems.
        add_staff(&s, "ga_window", "9901-GA", Role::Clerk).await;
        let clerk = browser();
        sign_in(&clerk, &s, "ga_window", PASSWORD).await;
        assert_eq!(
            clerk
                .get(s.url("/console/clients"))
                .send()
                .await
                .unwrap()
                .status(),
            403
        );
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_department_administrator_registers_a_system_that_signs_people_in_and_disables_it() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let ga = add_staff(&s, "ga_admin", "9901-GA", Role::DeptAdmin).await;
        let c = browser();
        sign_in_with_mfa(&c, &s, "ga_admin").await;
        let form = c
            .get(s.url("/console/clients"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            form.contains("/.well-known/openid-configuration")
                && form.contains("还没有登记使用统一身份认证的系统"),
            "{form}"
        );
        // Empty answers are each named; a plain-http redirect URI is refused at its field.
        let r = c
            .post(s.url("/console/clients/sso"))
            .form(&[("csrf", csrf_of(&form))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let page = r.text().await.unwrap();
        for field in ["sso_name", "sso_department", "sso_redirects"] {
            assert!(page.contains(&format!("id=\"{field}-error\"")), "{field}: {page}");
        }
        let send = |uri: &'static str| {
            c.post(s.url("/console/clients/sso"))
                .form(&[
                    ("csrf", csrf_of(&form).as_str()),
                    ("sso_name", "公安综合业务系统"),
                    ("sso_department", ga.id.as_str()),
                    ("sso_redirects", uri),
                    ("sso_alg", "SM2"),
                ])
                .send()
        };
        let r = send("http://gov.example/cb").await.unwrap();
        assert_eq!(r.status(), 422);
        let refused = r.text().await.unwrap();
        assert!(
            refused.contains("id=\"sso_redirects-error\"") && refused.contains("http://gov.example/cb"),
            "{refused}"
        );
        let r = send("https://ga.example.gov.cn/callback\r\nhttps://ga.example.gov.cn/cb2")
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["cache-control"], "no-store");
        let shown = r.text().await.unwrap();
        let client_id = code_with_id(&shown, "client-id");
        assert!(
            client_id.starts_with("tbo_") && shown.contains("id=\"discovery\""),
            "{shown}"
        );
        let listed = s
            .oidc
            .list_clients(&tongban_kernel::Principal::system("test"))
            .await
            .unwrap();
        assert_eq!(listed[0].redirect_uris.len(), 2);
        assert_eq!(listed[0].id_token_alg, "SM2");
        let list = c
            .get(s.url("/console/clients"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            list.contains(&client_id) && list.contains("https://ga.example.gov.cn/cb2"),
            "{list}"
        );
        let r = c
            .post(s.url(&format!("/console/clients/sso/{client_id}/rotate")))
            .form(&[("csrf", csrf_of(&list))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("原密钥及其令牌已失效"));
        let r = c
            .post(s.url(&format!("/console/clients/sso/{client_id}/disable")))
            .form(&[("csrf", csrf_of(&list))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["location"], "/console/clients?disabled=1");
        assert!(
            s.oidc
                .list_clients(&tongban_kernel::Principal::system("test"))
                .await
                .unwrap()[0]
                .disabled
        );
        // Another bureau's administrator neither sees nor disables it.
        add_staff(&s, "mz_admin", "9901-MZ", Role::DeptAdmin).await;
        let other = browser();
        sign_in_with_mfa(&other, &s, "mz_admin").await;
        let theirs = other
            .get(s.url("/console/clients"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!theirs.contains(&client_id));
        let r = other
            .post(s.url(&format!("/console/clients/sso/{client_id}/rotate")))
            .form(&[("csrf", csrf_of(&theirs))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        s.stop().await;
    })
    .await;
}
