use crate::harness::{Demo, browser, click_and_wait, fill, main_text, open, path, phone, sign_in, totp_now};

#[test]
#[ignore = "needs Chromium: cargo test --workspace --test e2e -- --ignored (CI installs it)"]
fn a_citizen_signs_in_sees_only_masked_personal_data_and_signs_out() {
    let browser = browser();
    let demo = Demo::start();
    let tab = open(&browser, &demo, "/");
    sign_in(&tab, &demo, "citizen1", "/account");
    assert_eq!(path(&tab), "/account");
    let text = main_text(&tab);
    assert!(text.contains("我的账户"), "{text}");
    assert!(text.contains("**********"), "ID number masked: {text}");
    assert!(text.contains("演示账户"), "demo accounts are marked");
    // The language switch keeps the page.
    click_and_wait(&tab, "a[lang=en]");
    assert_eq!(path(&tab), "/account");
    assert!(main_text(&tab).contains("My account"));
    click_and_wait(&tab, "header form button");
    assert_eq!(path(&tab), "/");
    tab.navigate_to(&demo.url("/account"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    assert!(path(&tab).starts_with("/login"), "signed out: {}", path(&tab));
}

#[test]
#[ignore = "needs Chromium: cargo test --workspace --test e2e -- --ignored (CI installs it)"]
fn registration_points_at_the_bad_id_number_then_succeeds() {
    let browser = browser();
    let demo = Demo::start();
    let tab = open(&browser, &demo, "/register");
    fill(&tab, "real_name", "赵小燕");
    fill(&tab, "id_number", "990101199205051230");
    fill(&tab, "username", "zhao.xy");
    fill(&tab, "password", "Zhao@2026x");
    fill(&tab, "password2", "Zhao@2026x");
    click_and_wait(&tab, "main button[type=submit]");
    let summary = tab
        .wait_for_element(".error-summary")
        .unwrap()
        .get_inner_text()
        .unwrap();
    assert!(summary.contains("校验码"), "{summary}");
    let link = tab
        .find_element(".error-summary a")
        .unwrap()
        .get_attributes()
        .unwrap()
        .unwrap_or_default();
    assert!(
        link.iter().any(|a| a == "#id_number"),
        "the summary links to the field: {link:?}"
    );
    // Correct the check digit (computed, not guessed) and re-enter the passwords.
    let good = tongban_kernel::IdNumber::with_check("99010119920505123").unwrap();
    tab.wait_for_element("#id_number").unwrap().click().unwrap();
    tab.press_key("End").unwrap();
    for _ in 0..18 {
        tab.press_key("Backspace").unwrap();
    }
    tab.type_str(good.as_str()).unwrap();
    fill(&tab, "password", "Zhao@2026x");
    fill(&tab, "password2", "Zhao@2026x");
    click_and_wait(&tab, "main button[type=submit]");
    assert!(path(&tab).starts_with("/login"), "{}", path(&tab));
    fill(&tab, "username", "zhao.xy");
    fill(&tab, "password", "Zhao@2026x");
    click_and_wait(&tab, "main button[type=submit]");
    assert_eq!(path(&tab), "/");
}

#[test]
#[ignore = "needs Chromium: cargo test --workspace --test e2e -- --ignored (CI installs it)"]
fn the_security_admin_sets_up_two_step_verification_and_sees_every_action_in_the_ledger() {
    let browser = browser();
    let demo = Demo::start();
    let tab = open(&browser, &demo, "/");
    sign_in(&tab, &demo, "secadmin", "/console/ledger");
    assert!(path(&tab).starts_with("/mfa/setup"), "{}", path(&tab));
    let secret = tab
        .wait_for_element("#totp-secret")
        .unwrap()
        .get_inner_text()
        .unwrap();
    fill(&tab, "code", &totp_now(&secret));
    click_and_wait(&tab, "main button[type=submit]");
    tab.navigate_to(&demo.url("/console/ledger"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    let text = main_text(&tab);
    assert!(text.contains("校验通过"), "ledger verifies: {text}");
    // Actions are shown by name; the dotted code stays on the element for whoever needs it.
    let actions = |tab: &std::sync::Arc<headless_chrome::Tab>| -> String {
        tab.evaluate(
            "[...document.querySelectorAll('[data-action]')].map(e => e.dataset.action).join(' ')",
            false,
        )
        .unwrap()
        .value
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
    };
    assert!(
        text.contains("两步验证"),
        "the two-step set-up is in the ledger: {text}"
    );
    assert!(
        !text.contains("identity.login.succeeded"),
        "names, not codes: {text}"
    );
    assert!(actions(&tab).contains("identity.mfa.enabled"));
    // Filter by action: a choice of what the events are about, by name.
    tab.evaluate(
        "document.getElementById('action').value = 'identity.login.'",
        false,
    )
    .unwrap();
    click_and_wait(&tab, "form.filters button");
    let rows = main_text(&tab);
    assert!(rows.contains("登录"), "{rows}");
    let codes = actions(&tab);
    assert!(
        !codes.is_empty() && codes.split(' ').all(|a| a.starts_with("identity.login.")),
        "filtered: {codes}"
    );
}

#[test]
#[ignore = "needs Chromium: cargo test --workspace --test e2e -- --ignored (CI installs it)"]
fn the_system_admin_cannot_read_the_ledger_but_manages_users() {
    let browser = browser();
    let demo = Demo::start();
    let tab = open(&browser, &demo, "/");
    sign_in(&tab, &demo, "sysadmin", "/console");
    let secret = tab
        .wait_for_element("#totp-secret")
        .unwrap()
        .get_inner_text()
        .unwrap();
    fill(&tab, "code", &totp_now(&secret));
    click_and_wait(&tab, "main button[type=submit]");
    tab.navigate_to(&demo.url("/console"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    let nav = tab
        .wait_for_element("header nav")
        .unwrap()
        .get_inner_text()
        .unwrap();
    assert!(nav.contains("用户与角色") && !nav.contains("安全账本"), "{nav}");
    tab.navigate_to(&demo.url("/console/ledger"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    assert!(main_text(&tab).contains("没有权限"));
    // Find a clerk and lock the account.
    tab.navigate_to(&demo.url("/console/users?q=mz_clerk"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    click_and_wait(&tab, "main table a");
    click_and_wait(&tab, "button.warning");
    assert!(main_text(&tab).contains("已锁定"));
}

#[test]
#[ignore = "needs Chromium: cargo test --workspace --test e2e -- --ignored (CI installs it)"]
fn a_clerk_queries_the_pool_and_sees_only_granted_fields() {
    let browser = browser();
    let demo = Demo::start();
    let tab = open(&browser, &demo, "/");
    // 人社局 holds a grant on three fields of the business registry; its approver queries (a
    // window clerk has no SQL page).
    sign_in(&tab, &demo, "rs_approver", "/console/query");
    assert_eq!(path(&tab), "/console/query");
    let tables = main_text(&tab);
    assert!(tables.contains("9901-SJ-0001"), "the granted table is listed");
    // 人社局 holds the household register for prefilling applications only: no SQL over it.
    assert!(
        !tables.contains("9901-GA-0001"),
        "the household register is not queryable: {tables}"
    );
    let sql = tab.wait_for_element("#sql").unwrap();
    sql.click().unwrap();
    tab.press_key("End").unwrap();
    tab.evaluate("document.getElementById('sql').value = ''", false)
        .unwrap();
    fill(
        &tab,
        "sql",
        "SELECT status, count(*) AS n FROM \"9901-SJ-0001\" GROUP BY status ORDER BY n DESC",
    );
    click_and_wait(&tab, "button[value=run]");
    let text = main_text(&tab);
    assert!(text.contains("查询结果") && text.contains("存续"), "{text}");

    tab.evaluate("document.getElementById('sql').value = ''", false)
        .unwrap();
    fill(&tab, "sql", "SELECT legal_rep FROM \"9901-SJ-0001\"");
    click_and_wait(&tab, "button[value=run]");
    let text = main_text(&tab);
    assert!(
        text.contains("legal_rep") && text.contains("未获授权"),
        "refused by name: {text}"
    );

    tab.evaluate("document.getElementById('sql').value = ''", false)
        .unwrap();
    fill(
        &tab,
        "sql",
        "SELECT id_number, name, address FROM \"9901-GA-0001\"",
    );
    click_and_wait(&tab, "button[value=run]");
    let text = main_text(&tab);
    assert!(
        text.contains("9901-GA-0001") && !text.contains("查询结果"),
        "refused: {text}"
    );
}

#[test]
#[ignore = "needs Chromium: cargo test --workspace --test e2e -- --ignored (CI installs it)"]
fn a_citizen_opens_a_shop_online_and_the_clerk_accepts_it() {
    let browser = browser();
    let demo = Demo::start();
    let tab = open(&browser, &demo, "/services");
    sign_in(&tab, &demo, "citizen1", "/services");
    assert_eq!(path(&tab), "/services");
    click_and_wait(&tab, "a[href='/services/9901-SJ-GTKY']");
    let guide = main_text(&tab);
    assert!(
        guide.contains("个体工商户开业登记") && guide.contains("免提交"),
        "{guide}"
    );
    click_and_wait(&tab, "a.start");
    // One question per page, in the form's order; what 公安局's household registry holds
    // (市场监管局 is granted it) is already filled in, with its source.
    for (answer, prefilled) in [
        ("张晓明", true),
        ("990101199003071237", true),
        ("13800000001", false),
        ("示范市城东区中山路88号", true),
        ("示范市晓明文具店", false),
        ("示范市中山路90号", false),
        ("文具零售", false),
    ] {
        if prefilled {
            let shown = tab
                .evaluate("document.getElementById('v').value", false)
                .unwrap()
                .value
                .and_then(|v| v.as_str().map(String::from));
            assert_eq!(shown.as_deref(), Some(answer));
            let text = main_text(&tab);
            assert!(
                text.contains("示范市公安局 · 户籍人口基本信息") && !text.contains("9901-GA-0001"),
                "the source is shown by name: {text}"
            );
        } else {
            fill(&tab, "v", answer);
        }
        click_and_wait(&tab, "button[value=next]");
    }
    // The last question is a choice.
    tab.wait_for_element("#v-1").unwrap().click().unwrap();
    click_and_wait(&tab, "button[value=next]");
    // Then the one material government does not hold: the lease, uploaded as a PDF.
    assert!(main_text(&tab).contains("经营场所使用证明"));
    let lease = std::env::temp_dir().join(format!("lease-{}.pdf", std::process::id()));
    std::fs::write(&lease, b"%PDF-1.4\n% lease of the shop\n%%EOF\n").unwrap();
    tab.wait_for_element("#file")
        .unwrap()
        .set_input_files(&[lease.to_str().unwrap()])
        .unwrap();
    click_and_wait(&tab, "button[value=next]");
    let _ = std::fs::remove_file(&lease);
    let check = main_text(&tab);
    assert!(
        check.contains("核对您的填报内容")
            && check.contains("示范市晓明文具店")
            && check.contains("个人经营")
            && check.contains("已上传 lease-"),
        "{check}"
    );
    click_and_wait(&tab, "form[action$='/submit'] button");
    let done = main_text(&tab);
    assert!(done.contains("申请已提交"), "{done}");
    let number = tab
        .wait_for_element(".case-number")
        .unwrap()
        .get_inner_text()
        .unwrap();
    assert!(number.len() == 16 && number.starts_with("20"), "{number}");

    // The 市场监管局 clerk finds it in the inbox and accepts it.
    let staff = open(&browser, &demo, "/");
    sign_in(&staff, &demo, "sj_clerk", "/console/cases");
    assert!(main_text(&staff).contains(&number), "in the inbox");
    let href = staff
        .evaluate(
            &format!(
                "[...document.querySelectorAll('a[href^=\"/console/cases/\"]')].find(a => a.textContent.includes('{number}')).getAttribute('href')"
            ),
            false,
        )
        .unwrap()
        .value
        .and_then(|v| v.as_str().map(String::from))
        .expect("a link to the case");
    staff
        .navigate_to(&demo.url(&href))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    assert!(
        main_text(&staff).contains("9901*************7"),
        "the ID is masked for staff"
    );
    assert!(
        staff.find_element("a[href^='/files/']").is_ok(),
        "the clerk can open the uploaded lease"
    );
    // The clerk chooses what to do first: only that choice's fields show.
    let shown = |id: &str| {
        staff
            .evaluate(
                &format!(
                    "getComputedStyle(document.getElementById('{id}').closest('.field')).display !== 'none'"
                ),
                false,
            )
            .unwrap()
            .value
            .and_then(|v| v.as_bool())
            .unwrap()
    };
    assert!(!shown("reason") && !shown("missing"), "no action chosen yet");
    staff.wait_for_element("#do-refuse").unwrap().click().unwrap();
    assert!(shown("reason") && !shown("missing") && !shown("note"));
    staff.wait_for_element("#do").unwrap().click().unwrap();
    assert!(shown("note") && !shown("reason"));
    click_and_wait(&staff, "form.choose-first button[type=submit]");
    assert!(main_text(&staff).contains("办理中"));
    // Back on the citizen's side (tabs share the browser's cookies: sign in again in a fresh
    // tab), the case shows it was accepted.
    let again = open(&browser, &demo, "/");
    sign_in(&again, &demo, "citizen1", "/my/cases");
    let mine = main_text(&again);
    assert!(mine.contains(&number) && mine.contains("办理中"), "{mine}");
}

#[test]
#[ignore = "needs Chromium: cargo test --workspace --test e2e -- --ignored (CI installs it)"]
fn anyone_verifies_a_demo_licence_and_a_revoked_one_says_so() {
    let browser = browser();
    let demo = Demo::start();
    let tab = open(&browser, &demo, "/verify");
    // A number alone says nothing: the page asks for the code printed beside it.
    fill(&tab, "number", "DZZZ-2026-00000001");
    click_and_wait(&tab, "form[role=search] button");
    assert!(
        main_text(&tab).contains("请输入证照上的校验码"),
        "{}",
        main_text(&tab)
    );
    fill(
        &tab,
        "code",
        &demo.licence_code("DZZZ-2026-00000001").to_lowercase(),
    );
    click_and_wait(&tab, "form[role=search] button");
    let text = main_text(&tab);
    assert!(
        text.contains("有效") && text.contains("示范市市场监督管理局"),
        "{text}"
    );
    // The fourth demo licence was revoked when it was reissued.
    let code = demo.licence_code("DZZZ-2026-00000004");
    tab.navigate_to(&demo.url(&format!("/verify/licence/DZZZ-2026-00000004?code={code}")))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    let text = main_text(&tab);
    assert!(text.contains("已注销") && text.contains("换发新证"), "{text}");
}

#[test]
#[ignore = "needs Chromium: cargo test --workspace --test e2e -- --ignored (CI installs it)"]
fn a_citizen_complains_and_the_clerk_sees_the_reply_checked_before_sending() {
    let browser = browser();
    let demo = Demo::start();
    let tab = open(&browser, &demo, "/interact");
    sign_in(&tab, &demo, "citizen1", "/interact/new");
    assert_eq!(path(&tab), "/interact/new");
    tab.wait_for_element("#kind-complaint").unwrap().click().unwrap();
    tab.evaluate("document.getElementById('category').value = 'household'", false)
        .unwrap();
    fill(&tab, "title", "新生儿落户材料反复补交");
    fill(
        &tab,
        "text",
        "在城东派出所办理新生儿落户，已经第三次被要求补交材料。",
    );
    click_and_wait(&tab, "form[action='/interact/new'] button[type=submit]");
    let done = main_text(&tab);
    assert!(
        done.contains("已收到您的诉求") && done.contains("公安局"),
        "{done}"
    );
    let number = tab
        .wait_for_element(".case-number")
        .unwrap()
        .get_inner_text()
        .unwrap();

    // 公安局's clerk finds it and checks a vague draft: the flags appear, nothing is sent.
    let staff = open(&browser, &demo, "/");
    sign_in(&staff, &demo, "ga_clerk", "/console/interact");
    let href = staff
        .evaluate(
            &format!(
                "[...document.querySelectorAll('a[href^=\"/console/interact/\"]')].find(a => a.textContent.includes('{number}')).getAttribute('href')"
            ),
            false,
        )
        .unwrap()
        .value
        .and_then(|v| v.as_str().map(String::from))
        .expect("the complaint is in the clerk's inbox");
    staff
        .navigate_to(&demo.url(&href))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    fill(&staff, "text", "此事正在研究，将按有关规定办理。");
    click_and_wait(&staff, "button[value=check]");
    let page = main_text(&staff);
    assert!(page.contains("答复质量提示"), "{page}");
    assert!(page.contains("正在研究"), "the draft is kept: {page}");
}

#[test]
#[ignore = "needs Chromium: cargo test --workspace --test e2e -- --ignored (CI installs it)"]
fn a_licence_carries_its_seal_fits_a_phone_and_prints_without_the_demo_banner() {
    use headless_chrome::protocol::cdp::Emulation;
    let browser = browser();
    let demo = Demo::start();
    let tab = open(&browser, &demo, "/");
    sign_in(&tab, &demo, "citizen1", "/licences/DZZZ-2026-00000001");
    assert_eq!(path(&tab), "/licences/DZZZ-2026-00000001");
    let truth = |expr: &str| -> bool {
        tab.evaluate(expr, false)
            .unwrap()
            .value
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    };
    assert!(
        truth("document.querySelector('td.sealed svg.seal-impression') !== null"),
        "the seal impression is stamped over the issuer"
    );
    // Over the issuer and the day of issue, leaving the validity line above it readable.
    let clear_of_validity = "document.querySelector('td.sealed .seal-mark').getBoundingClientRect().top \
         >= document.querySelector('tr.validity').getBoundingClientRect().bottom - 1";
    let rects = tab
        .evaluate(
            "JSON.stringify([document.querySelector('td.sealed .seal-mark').getBoundingClientRect(), document.querySelector('tr.validity').getBoundingClientRect(), document.querySelector('td.sealed').getBoundingClientRect()])",
            false,
        )
        .unwrap()
        .value;
    assert!(
        truth(clear_of_validity),
        "the seal covers the validity line: {rects:?}"
    );
    // A phone: nothing runs past the screen's edge.
    phone(&tab);
    assert!(
        truth("document.documentElement.scrollWidth <= window.innerWidth"),
        "the licence scrolls sideways at 390 px"
    );
    assert!(
        truth(clear_of_validity),
        "the seal covers the validity line on a phone"
    );
    // Printed: the demo banner stays off the paper, the seal stays on it.
    tab.call_method(Emulation::SetEmulatedMedia {
        media: Some("print".into()),
        features: None,
    })
    .unwrap();
    assert!(truth(
        "getComputedStyle(document.querySelector('.banner')).display === 'none'"
    ));
    assert!(truth(
        "getComputedStyle(document.querySelector('svg.seal-impression')).display !== 'none'"
    ));
}

#[test]
#[ignore = "needs Chromium: cargo test --workspace --test e2e -- --ignored (CI installs it)"]
fn the_work_lists_are_cards_on_a_phone() {
    let browser = browser();
    let demo = Demo::start();
    for (user, list) in [
        ("sj_clerk", "/console/cases"),
        ("ga_clerk", "/console/interact"),
        ("citizen2", "/my/cases"),
    ] {
        let tab = open(&browser, &demo, "/");
        sign_in(&tab, &demo, user, list);
        phone(&tab);
        tab.navigate_to(&demo.url(list))
            .unwrap()
            .wait_until_navigated()
            .unwrap();
        if user == "citizen2" {
            // The newborn bundle's page lists its cases, one per department.
            click_and_wait(&tab, "a[href^='/my/bundles/']");
        }
        let truth = |expr: &str| -> bool {
            tab.evaluate(expr, false)
                .unwrap()
                .value
                .and_then(|v| v.as_bool())
                .unwrap_or(false)
        };
        assert!(
            truth("document.querySelectorAll('table.stack tbody tr').length > 0"),
            "{list}: {}",
            main_text(&tab)
        );
        assert!(
            truth("getComputedStyle(document.querySelector('table.stack tbody tr')).display === 'block'"),
            "{list}: a row is a card"
        );
        assert!(
            truth("document.documentElement.scrollWidth <= window.innerWidth"),
            "{list} scrolls sideways at 390 px"
        );
        // Each value says what it is.
        assert!(
            truth(
                "getComputedStyle(document.querySelector('table.stack tbody td'), '::before').content.includes('：')"
            ),
            "{list}: the column's name before the value"
        );
        tab.close(true).unwrap();
    }
}
