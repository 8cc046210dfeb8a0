use crate::harness::{Demo, browser, click_and_wait, fill, main_text, open, path, sign_in, totp_now};

#[test]
fn a_citizen_signs_in_sees_only_masked_personal_data_and_signs_out() {
    let Some(browser) = browser() else { return };
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
fn registration_points_at_the_bad_id_number_then_succeeds() {
    let Some(browser) = browser() else { return };
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
fn the_security_admin_sets_up_two_step_verification_and_sees_every_action_in_the_ledger() {
    let Some(browser) = browser() else { return };
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
    assert!(
        text.contains("identity.mfa"),
        "the MFA set-up is in the ledger: {text}"
    );
    assert!(text.contains("identity.login.succeeded"));
    // Filter by action.
    fill(&tab, "action", "identity.login");
    click_and_wait(&tab, "form.filters button");
    let rows = main_text(&tab);
    assert!(!rows.contains("identity.department.created"), "filtered: {rows}");
}

#[test]
fn the_system_admin_cannot_read_the_ledger_but_manages_users() {
    let Some(browser) = browser() else { return };
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
fn a_clerk_queries_the_pool_and_sees_only_granted_fields() {
    let Some(browser) = browser() else { return };
    let demo = Demo::start();
    let tab = open(&browser, &demo, "/");
    // 人社局 holds a grant on three fields of the business registry.
    sign_in(&tab, &demo, "rs_clerk", "/console/query");
    assert_eq!(path(&tab), "/console/query");
    assert!(
        main_text(&tab).contains("9901-SJ-0001"),
        "the granted table is listed"
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
}
