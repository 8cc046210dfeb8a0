//! Every demo service and every 一件事 bundle submitted through the pages by a citizen, one
//! question or upload per page, as a person would: a flagship service that cannot be submitted
//! must fail here, not in a city's first hour. And answers are checked on their own page.

use crate::harness::{Demo, browser, click_and_wait, fill, main_text, open, path, sign_in};
use headless_chrome::Tab;
use std::sync::Arc;

/// The hrefs of the links matching `selector` on the page.
fn hrefs(tab: &Arc<Tab>, selector: &str) -> Vec<String> {
    let js = format!(
        "JSON.stringify([...new Set([...document.querySelectorAll(\"{selector}\")].map(a => a.getAttribute('href')))])"
    );
    let v = tab.evaluate(&js, false).unwrap().value.unwrap();
    serde_json::from_str(v.as_str().unwrap()).unwrap()
}

fn js_bool(tab: &Arc<Tab>, js: &str) -> bool {
    tab.evaluate(js, false)
        .unwrap()
        .value
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

fn js_string(tab: &Arc<Tab>, js: &str) -> String {
    tab.evaluate(js, false)
        .unwrap()
        .value
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// A valid answer for a question page of input kind `kind`.
fn answer_for(kind: &str) -> &'static str {
    match kind {
        "id" => "11010519491231002X",
        "tel" => "13800000001",
        "number" => "1",
        "date" => "2026-01-01",
        "address" => "示范市城东区中山路1号",
        _ => "测试",
    }
}

/// Walks the application that `start` opens to its end and submits it; returns the page's text.
fn apply(tab: &Arc<Tab>, demo: &Demo, start: &str, pdf: &str) -> String {
    tab.navigate_to(&demo.url(start))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    click_and_wait(tab, "a.start");
    for _ in 0..60 {
        if js_bool(tab, "document.querySelector('.error-summary') !== null") {
            panic!(
                "{start}: a valid answer was refused at {}:\n{}",
                path(tab),
                main_text(tab)
            );
        }
        if js_bool(
            tab,
            "document.querySelector(\"form[action$='/submit']\") !== null",
        ) {
            click_and_wait(tab, "form[action$='/submit'] button");
            return main_text(tab);
        }
        if js_bool(tab, "document.getElementById('file') !== null") {
            let licence_chosen = js_bool(
                tab,
                "[...document.querySelectorAll('input[name=source]')].some(r => r.checked && r.value !== 'upload')",
            );
            if !licence_chosen {
                tab.wait_for_element("#file")
                    .unwrap()
                    .set_input_files(&[pdf])
                    .unwrap();
            }
        } else {
            let kind = js_string(tab, "document.querySelector('form[data-kind]').dataset.kind");
            if kind == "choice" {
                if !js_bool(
                    tab,
                    "[...document.querySelectorAll('input[name=v]')].some(r => r.checked)",
                ) {
                    tab.wait_for_element("input[name=v]").unwrap().click().unwrap();
                }
            } else if js_string(tab, "document.getElementById('v').value").is_empty() {
                let set = format!("document.getElementById('v').value = '{}'", answer_for(&kind));
                tab.evaluate(&set, false).unwrap();
            }
        }
        click_and_wait(tab, "button[value=next]");
    }
    panic!("{start}: no check page after 60 pages");
}

#[test]
#[ignore = "needs Chromium: cargo test --workspace --test e2e -- --ignored (CI installs it)"]
fn a_citizen_submits_every_demo_service_and_bundle_through_the_pages() {
    let browser = browser();
    let demo = Demo::start();
    let tab = open(&browser, &demo, "/services");
    sign_in(&tab, &demo, "citizen2", "/services");
    let services = hrefs(&tab, "main a[href^='/services/9901-']");
    let bundles = hrefs(&tab, "main a[href^='/bundles/']");
    assert!(services.len() >= 10, "{services:?}");
    assert!(!bundles.is_empty());
    let pdf = std::env::temp_dir().join(format!("material-{}.pdf", std::process::id()));
    std::fs::write(&pdf, b"%PDF-1.4\n% a material\n%%EOF\n").unwrap();
    let pdf = pdf.to_str().unwrap().to_string();
    for start in &services {
        let done = apply(&tab, &demo, start, &pdf);
        assert!(done.contains("申请已提交"), "{start}: {done}");
        assert!(path(&tab).starts_with("/my/cases/"), "{start}");
    }
    for start in &bundles {
        let done = apply(&tab, &demo, start, &pdf);
        assert!(path(&tab).starts_with("/my/bundles/"), "{start}: {done}");
    }
    let _ = std::fs::remove_file(&pdf);
}

#[test]
#[ignore = "needs Chromium: cargo test --workspace --test e2e -- --ignored (CI installs it)"]
fn a_wrong_answer_is_refused_on_its_own_page_and_a_file_question_is_asked() {
    let browser = browser();
    let demo = Demo::start();
    let tab = open(&browser, &demo, "/services/9901-RS-SBK");
    sign_in(&tab, &demo, "citizen1", "/services/9901-RS-SBK");
    click_and_wait(&tab, "a.start");
    // Walk to the phone question, type letters, and be stopped right there.
    for _ in 0..10 {
        let kind = js_string(&tab, "document.querySelector('form[data-kind]').dataset.kind");
        if kind == "tel" {
            tab.evaluate("document.getElementById('v').value = ''", false)
                .unwrap();
            fill(&tab, "v", "abcdefg");
            click_and_wait(&tab, "button[value=next]");
            let page = main_text(&tab);
            assert!(
                tab.find_element(".field.has-error #v").is_ok(),
                "the error is at the phone field: {page}"
            );
            assert_eq!(
                js_string(&tab, "document.querySelector('form[data-kind]').dataset.kind"),
                "tel",
                "still on the phone question"
            );
            break;
        }
        if kind == "choice" {
            tab.wait_for_element("input[name=v]").unwrap().click().unwrap();
        } else if js_string(&tab, "document.getElementById('v').value").is_empty() {
            let set = format!("document.getElementById('v').value = '{}'", answer_for(&kind));
            tab.evaluate(&set, false).unwrap();
        }
        click_and_wait(&tab, "button[value=next]");
    }
    // The photo asked as a form field gets an upload page of its own; leaving it empty is
    // refused there, naming it.
    for _ in 0..10 {
        if js_bool(&tab, "document.getElementById('file') !== null") {
            break;
        }
        let kind = js_string(&tab, "document.querySelector('form[data-kind]').dataset.kind");
        if kind == "choice" {
            tab.wait_for_element("input[name=v]").unwrap().click().unwrap();
        } else {
            let set = format!("document.getElementById('v').value = '{}'", answer_for(&kind));
            tab.evaluate(&set, false).unwrap();
        }
        click_and_wait(&tab, "button[value=next]");
    }
    assert!(main_text(&tab).contains("证件照"), "{}", main_text(&tab));
    click_and_wait(&tab, "button[value=next]");
    assert!(
        tab.find_element(".field.has-error #file").is_ok(),
        "{}",
        main_text(&tab)
    );
}

/// Waits until the browser shows a page whose path ends with `suffix`, fully loaded.
fn wait_for_path(tab: &Arc<Tab>, suffix: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !(path(tab).ends_with(suffix) && js_bool(tab, "document.readyState === 'complete'")) {
        assert!(
            std::time::Instant::now() < deadline,
            "not at …{suffix}: {}",
            path(tab)
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
#[ignore = "needs Chromium: cargo test --workspace --test e2e -- --ignored (CI installs it)"]
fn the_back_button_returns_to_the_last_question_with_its_answer() {
    let browser = browser();
    let demo = Demo::start();
    let tab = open(&browser, &demo, "/services/9901-RS-SBK");
    sign_in(&tab, &demo, "citizen1", "/services/9901-RS-SBK");
    click_and_wait(&tab, "a.start");
    // Every page of the application has an address of its own.
    let first = path(&tab);
    assert!(first.contains("/apply/") && first.ends_with("/0"), "{first}");
    let kind = js_string(&tab, "document.querySelector('form[data-kind]').dataset.kind");
    assert_ne!(kind, "choice", "the first question of 社会保障卡申领 is typed");
    // A refused answer comes back at the question's own address with the reason.
    tab.evaluate("document.getElementById('v').value = ''", false)
        .unwrap();
    click_and_wait(&tab, "button[value=next]");
    assert_eq!(path(&tab), first, "refused at its own address");
    assert!(js_bool(&tab, "document.querySelector('.error-summary') !== null"));
    let set = format!("document.getElementById('v').value = '{}'", answer_for(&kind));
    tab.evaluate(&set, false).unwrap();
    let question = main_text(&tab);
    let answer = js_string(
        &tab,
        "document.getElementById('v') && document.getElementById('v').value || ''",
    );
    click_and_wait(&tab, "button[value=next]");
    let second = path(&tab);
    assert_eq!(
        second,
        format!("{}1", first.trim_end_matches('0')),
        "the next page's address"
    );
    // The browser's Back shows the first question again with its answer — no form re-sent, no
    // "confirm form resubmission" page.
    tab.evaluate("history.back()", false).unwrap();
    wait_for_path(&tab, &first);
    let again = main_text(&tab);
    let heading = |t: &str| t.lines().find(|l| l.contains(" / ")).map(str::to_string);
    assert_eq!(heading(&again), heading(&question), "{again}");
    assert_eq!(
        js_string(
            &tab,
            "document.getElementById('v') && document.getElementById('v').value || ''"
        ),
        answer
    );
    // Reloading a page asks nothing either, and going on reaches the same second page.
    tab.reload(false, None).unwrap();
    wait_for_path(&tab, &first);
    click_and_wait(&tab, "button[value=next]");
    assert_eq!(path(&tab), second);
}
