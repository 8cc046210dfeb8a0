//! axe-core (the accessibility engine, installed from npm by the CI script, never kept in the
//! repository) run inside Chromium on the tour's pages as a visitor, a citizen and a clerk: no
//! violations of WCAG 2.1 A/AA rules.
//!
//! axe is found at `TONGBAN_AXE_JS`, or where the CI script installs it
//! (`~/.cache/tongban-npm/node_modules/axe-core/axe.min.js`). Without it the test says so and
//! passes on a developer's machine, but fails under CI (`CI` set).

use crate::harness::{Demo, browser, open, sign_in};
use headless_chrome::Tab;
use std::sync::Arc;

fn axe_source() -> Option<String> {
    let path = std::env::var_os("TONGBAN_AXE_JS")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| std::path::Path::new(&h).join(".cache/tongban-npm/node_modules/axe-core/axe.min.js"))
        })?;
    std::fs::read_to_string(path).ok()
}

/// The violations axe finds on the page `tab` shows, as `rule (impact) ×nodes: first target`.
fn violations(tab: &Arc<Tab>, axe: &str) -> Vec<String> {
    tab.evaluate(axe, false).unwrap();
    let run = "axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })\
               .then(r => JSON.stringify(r.violations.map(v => `${v.id} (${v.impact}) ×${v.nodes.length}: ${v.nodes[0].target.join(' ')}`)))";
    let out = tab.evaluate(run, true).unwrap();
    let text = out
        .value
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    serde_json::from_str(&text).unwrap_or_else(|_| vec![format!("axe did not run: {text}")])
}

fn visit(tab: &Arc<Tab>, demo: &Demo, path: &str, axe: &str, found: &mut Vec<String>) {
    tab.navigate_to(&demo.url(path))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    for v in violations(tab, axe) {
        found.push(format!("{path}: {v}"));
    }
}

#[test]
#[ignore = "needs Chromium and axe-core: cargo test --workspace --test e2e -- --ignored (CI installs them)"]
fn the_tour_pages_have_no_accessibility_violations() {
    let browser = browser();
    let axe = axe_source().expect("axe-core: npm install axe-core, or set TONGBAN_AXE_JS");
    let demo = Demo::start();
    let mut found = Vec::new();
    let tab = open(&browser, &demo, "/");
    for path in [
        "/",
        "/services",
        "/services/9901-GA-JZZ",
        "/bundles/9901-NEWBORN",
        "/open-data",
        "/open-data/9901-HJ-0001",
        "/open-data/terms",
        "/interact",
        "/consultations",
        "/surveys",
        "/verify",
        "/login",
        "/register",
    ] {
        visit(&tab, &demo, path, &axe, &mut found);
    }
    // 关怀模式 changes colours and sizes: checked too.
    visit(&tab, &demo, "/care/on?back=%2Fservices", &axe, &mut found);
    visit(&tab, &demo, "/care/off?back=%2F", &axe, &mut found);
    sign_in(&tab, &demo, "citizen1", "/");
    for path in [
        "/",
        "/my/cases",
        "/my/licences",
        "/my/messages",
        "/account",
        "/interact/new",
    ] {
        visit(&tab, &demo, path, &axe, &mut found);
    }
    let staff = open(&browser, &demo, "/");
    sign_in(&staff, &demo, "ga_clerk", "/console");
    for path in ["/console", "/console/cases", "/console/interact"] {
        visit(&staff, &demo, path, &axe, &mut found);
    }
    let approver = open(&browser, &demo, "/");
    sign_in(&approver, &demo, "ga_approver", "/console");
    for path in ["/console/query", "/console/sharing"] {
        visit(&approver, &demo, path, &axe, &mut found);
    }
    assert!(found.is_empty(), "axe-core found:\n{}", found.join("\n"));
}
