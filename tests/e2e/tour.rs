//! The README tour's pages, rendered by the real demo as each role sees them, must never show
//! what is meant for machines: department paths, blind-index columns, parser internals, UTC
//! timestamps, codes of choices and department kinds, bilingual text glued into one line.

use crate::harness::Demo;

/// The text a person sees: tags, attributes and the `<head>` removed.
fn visible(html: &str) -> String {
    let body = html.split_once("<body").map_or(html, |(_, b)| b);
    let mut out = String::with_capacity(body.len());
    let mut in_tag = false;
    for ch in body.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(ch),
            _ => {}
        }
    }
    out.replace("&#x2f;", "/").replace("&#47;", "/")
}

/// What must never be shown, found in `text` (a Chinese page's visible text).
fn leaks(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for needle in [
        "/9901/",
        "__bidx",
        "ParserError",
        "Expected: ",
        "免提交（9901",
        ".id_number",
    ] {
        if text.contains(needle) {
            found.push(needle.to_string());
        }
    }
    // Codes of choices and department kinds, as whole words.
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    for code in [
        "personal",
        "in_app",
        "shop",
        "city",
        "department",
        "office",
        "sms",
    ] {
        if words.contains(&code) {
            found.push(code.to_string());
        }
    }
    // A UTC timestamp (2026-12-06T07:12:48Z or with fractions).
    let bytes = text.as_bytes();
    for (i, _) in text.match_indices('T') {
        let time = bytes.get(i + 1..i + 9);
        let is_time = time
            .is_some_and(|t| t[0].is_ascii_digit() && t[1].is_ascii_digit() && t[2] == b':' && t[5] == b':');
        if is_time && i >= 10 && bytes[i - 1].is_ascii_digit() {
            found.push(text[i - 10..(i + 9).min(text.len())].to_string());
        }
    }
    // The same words said twice in a row, as a guide's fee once read (工本费：不收费 不收费).
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for doubled in ["不收费 不收费", "经审查，经审查"] {
        if flat.contains(doubled) {
            found.push(doubled.to_string());
        }
    }
    // "中文 / English" glued on one line.
    for line in text.lines() {
        if let Some((zh, en)) = line.split_once(" / ") {
            // Chinese text (ending in a Han character or full-width mark) glued to English.
            let has_han = zh.chars().last().is_some_and(|c| !c.is_ascii());
            let latin = en.chars().filter(|c| c.is_ascii_alphabetic()).count();
            if has_han && latin > 12 {
                found.push(format!("glued: {}", line.trim()));
            }
        }
    }
    found
}

/// The CSRF token of a page's first form.
fn csrf_in(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

/// A client signed in as `username` (password of every demo account).
async fn signed_in(base: &str, username: &str) -> reqwest::Client {
    let c = reqwest::Client::builder().cookie_store(true).build().unwrap();
    signed_in_with(c, base, username).await
}

/// `c` (keeping cookies) signed in as `username`.
async fn signed_in_with(c: reqwest::Client, base: &str, username: &str) -> reqwest::Client {
    let page = c
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_in(&page);
    let r = c
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", username),
            ("password", "Tongban@2026"),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{username} signs in");
    c
}

/// The first link on `path` whose href starts with `prefix`.
async fn first_link(c: &reqwest::Client, base: &str, path: &str, prefix: &str) -> Option<String> {
    let html = c
        .get(format!("{base}{path}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let needle = format!("href=\"{prefix}");
    let at = html.find(&needle)? + "href=\"".len();
    Some(html[at..at + html[at..].find('"')?].to_string())
}

#[test]
fn the_tour_pages_show_names_and_local_times_never_internal_values() {
    let demo = Demo::start();
    let base = demo.url("");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let problems = rt.block_on(async move {
        let mut pages: Vec<(String, String, reqwest::Client)> = Vec::new();
        let anyone = reqwest::Client::builder().cookie_store(true).build().unwrap();
        for p in [
            "/",
            "/services",
            "/services/9901-SJ-GTKY",
            "/services/9901-GA-JZZ",
            "/bundles/9901-NEWBORN",
            "/open-data",
            "/interact",
            "/verify",
        ] {
            pages.push(("anyone".into(), p.into(), anyone.clone()));
        }
        let citizen = signed_in(&base, "citizen2").await;
        for p in ["/my/cases", "/my/licences", "/my/messages", "/account"] {
            pages.push(("citizen2".into(), p.into(), citizen.clone()));
        }
        if let Some(case) = first_link(&citizen, &base, "/my/cases", "/my/cases/").await {
            pages.push(("citizen2".into(), case, citizen.clone()));
        }
        if let Some(licence) = first_link(&citizen, &base, "/my/licences", "/licences/").await {
            // The printed licence's QR code carries the number and its verification code.
            let page = citizen
                .get(format!("{base}{licence}"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let at = page
                .find("/verify/licence/")
                .expect("the licence links its verification");
            let verify = page[at..at + page[at..].find('"').unwrap()].replace("&#x3d;", "=");
            pages.push(("citizen2".into(), licence, citizen.clone()));
            pages.push(("anyone".into(), verify, anyone.clone()));
        }
        let clerk = signed_in(&base, "sj_clerk").await;
        for p in ["/console", "/console/cases", "/console/departments"] {
            pages.push(("sj_clerk".into(), p.into(), clerk.clone()));
        }
        // SQL and the catalogue are not a window clerk's: the approver has them.
        let approver = signed_in(&base, "sj_approver").await;
        for p in ["/console/query", "/console/catalog"] {
            pages.push(("sj_approver".into(), p.into(), approver.clone()));
        }
        if let Some(case) = first_link(&clerk, &base, "/console/cases", "/console/cases/0").await {
            pages.push(("sj_clerk".into(), case, clerk.clone()));
        }
        let mut problems = Vec::new();
        for (who, path, c) in pages {
            let r = c.get(format!("{base}{path}")).send().await.unwrap();
            let status = r.status();
            let html = r.text().await.unwrap();
            assert!(status.is_success(), "{who} {path}: {status}");
            for leak in leaks(&visible(&html)) {
                problems.push(format!("{who} {path}: {leak}"));
            }
        }
        // A query with a syntax error reads as a position, not the parser's debug form; a
        // personal field's blind index is not shown unless asked for.
        let page = approver
            .get(format!("{base}/console/query"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = csrf_in(&page);
        for sql in ["SELEC name FROM x", "SELECT * FROM \"9901-SJ-0001\" LIMIT 5"] {
            let html = approver
                .post(format!("{base}/console/query"))
                .form(&[("csrf", csrf.as_str()), ("sql", sql), ("purpose", "核查")])
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            for leak in leaks(&visible(&html)) {
                problems.push(format!("sj_approver query `{sql}`: {leak}"));
            }
        }
        problems
    });
    assert!(
        problems.is_empty(),
        "internal values shown:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_leak_scan_finds_what_it_looks_for() {
    let found = leaks(
        "办件 2026-12-06T07:12:48Z 部门 /9901/9901-SJ/ 组成形式 personal 错误 / the field is required here",
    );
    assert_eq!(found.len(), 4, "{found:?}");
    assert!(leaks("组成形式 个人经营 提交时间 2026-12-06 15:12:48").is_empty());
    assert!(leaks("只读查询（SELECT / WITH / EXPLAIN）。表名是资源代码").is_empty());
    assert_eq!(leaks("工本费：不收费\n 不收费"), ["不收费 不收费"]);
}

/// The Chinese text on an English page that is not inside an element marked `lang="zh…"`.
fn unmarked_chinese(html: &str) -> Vec<String> {
    const VOID: [&str; 9] = ["br", "img", "input", "meta", "link", "hr", "wbr", "source", "col"];
    let chinese = |c: char| ('\u{3000}'..='\u{9fff}').contains(&c) || ('\u{ff00}'..='\u{ffef}').contains(&c);
    let body = html.split_once("<body").map_or(html, |(_, b)| b);
    // Open elements with whether each marks its content Chinese.
    let mut open: Vec<(String, bool)> = Vec::new();
    let mut found = Vec::new();
    let mut rest = body;
    while let Some(lt) = rest.find('<') {
        let text = &rest[..lt];
        let skipped = open.iter().any(|(t, _)| t == "script" || t == "style");
        if !skipped && text.chars().any(chinese) && !open.iter().any(|(_, zh)| *zh) {
            found.push(text.trim().chars().take(40).collect());
        }
        let Some(gt) = rest[lt..].find('>') else { break };
        let tag = &rest[lt + 1..lt + gt];
        rest = &rest[lt + gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim().to_ascii_lowercase();
            if let Some(at) = open.iter().rposition(|(t, _)| *t == name) {
                open.truncate(at);
            }
            continue;
        }
        if tag.starts_with('!') {
            continue;
        }
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if VOID.contains(&name.as_str()) || tag.ends_with('/') {
            continue;
        }
        open.push((name, tag.contains("lang=\"zh")));
    }
    found
}

#[test]
fn english_pages_mark_every_chinese_text_as_chinese() {
    let demo = Demo::start();
    let base = demo.url("");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let problems = rt.block_on(async move {
        let english = |c: reqwest::ClientBuilder| {
            let mut h = reqwest::header::HeaderMap::new();
            h.insert("accept-language", reqwest::header::HeaderValue::from_static("en"));
            c.cookie_store(true).default_headers(h).build().unwrap()
        };
        let anyone = english(reqwest::Client::builder());
        let mut pages: Vec<(String, String, reqwest::Client)> = Vec::new();
        for p in [
            "/",
            "/services",
            "/services/9901-GA-JZZ",
            "/bundles/9901-NEWBORN",
            "/open-data",
            "/open-data/9901-HJ-0001",
            "/interact",
            "/consultations",
            "/surveys",
        ] {
            pages.push(("anyone".into(), p.into(), anyone.clone()));
        }
        for (list, prefix) in [
            ("/interact", "/interact/0"),
            ("/consultations", "/consultations/0"),
            ("/surveys", "/surveys/0"),
        ] {
            if let Some(entry) = first_link(&anyone, &base, list, prefix).await {
                pages.push(("anyone".into(), entry, anyone.clone()));
            }
        }
        let citizen = signed_in_with(english(reqwest::Client::builder()), &base, "citizen1").await;
        for p in ["/my/cases", "/my/items", "/my/licences", "/account"] {
            pages.push(("citizen1".into(), p.into(), citizen.clone()));
        }
        let clerk = signed_in_with(english(reqwest::Client::builder()), &base, "ga_clerk").await;
        for p in ["/console", "/console/cases", "/console/interact"] {
            pages.push(("ga_clerk".into(), p.into(), clerk.clone()));
        }
        let mut problems = Vec::new();
        for (who, path, c) in pages {
            let html = c
                .get(format!("{base}{path}"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(html.contains("<html lang=\"en\""), "{who} {path} is in English");
            for text in unmarked_chinese(&html) {
                problems.push(format!("{who} {path}: {text}"));
            }
        }
        problems
    });
    assert!(
        problems.is_empty(),
        "Chinese not marked lang=\"zh-CN\" on English pages:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_chinese_scan_sees_what_is_unmarked_only() {
    let html =
        "<body><p>Hello <span lang=\"zh-CN\">公安局</span></p><p>民政局<br>x</p><script>'中'</script></body>";
    assert_eq!(unmarked_chinese(html), vec!["民政局".to_string()]);
}
