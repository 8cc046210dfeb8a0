//! Open311 GeoReport v2 conformance: every endpoint in XML and JSON, the error bodies and codes,
//! the api_key rule, the 90-day rule, empty optional parameters, and bad input.

use crate::support::{Server, sets, system_token};
use serde_json::Value;
use tongban_interact::{AttributeType, DeptRef, NewCategory, NewRule, ServiceAttribute, ServiceChoice};
use tongban_kernel::Principal;
use tongban_test_support::each_backend;

/// Categories `street_light` (→ 公安局, with two typed attributes) and `noise` (→ 民政局, none),
/// and a key for the system `city-app`; returns the key.
pub(crate) async fn setup(s: &Server) -> String {
    let sys = Principal::system("test");
    for (code, zh, en, dept) in [
        ("street_light", "路灯照明", "Street lighting", "9901-GA"),
        ("noise", "噪声扰民", "Noise", "9901-MZ"),
    ] {
        s.interact
            .add_category(
                &sys,
                NewCategory {
                    code: code.into(),
                    name_zh: zh.into(),
                    name_en: en.into(),
                },
            )
            .await
            .unwrap();
        let d = s.identity.department_by_code(&sys, dept).await.unwrap();
        s.interact
            .set_rule(
                &sys,
                NewRule {
                    category: code.into(),
                    district: None,
                    department: DeptRef {
                        id: d.id.to_string(),
                        path: d.path.clone(),
                        name_zh: d.name_zh.clone(),
                    },
                },
            )
            .await
            .unwrap();
    }
    s.interact
        .set_service_attributes(
            &sys,
            "street_light",
            vec![
                ServiceAttribute {
                    code: "pole".into(),
                    datatype: AttributeType::String,
                    required: true,
                    variable: true,
                    description: "灯杆编号 / Pole number".into(),
                    datatype_description: String::new(),
                    order: 1,
                    values: Vec::new(),
                },
                ServiceAttribute {
                    code: "fault".into(),
                    datatype: AttributeType::MultiValueList,
                    required: false,
                    variable: true,
                    description: "故障 / Fault".into(),
                    datatype_description: String::new(),
                    order: 2,
                    values: vec![
                        ServiceChoice {
                            key: "dark".into(),
                            name: "不亮 / Dark".into(),
                        },
                        ServiceChoice {
                            key: "flicker".into(),
                            name: "闪烁 / Flickering".into(),
                        },
                    ],
                },
            ],
        )
        .await
        .unwrap();
    s.interact.add_open311_key(&sys, "city-app").await.unwrap().1
}

async fn get(s: &Server, path: &str) -> (u16, String, String) {
    let r = reqwest::get(s.url(path)).await.unwrap();
    let status = r.status().as_u16();
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    (status, ct, r.text().await.unwrap())
}

async fn post(s: &Server, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let r = reqwest::Client::new()
        .post(s.url(path))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// Asserts the spec's error body in JSON with `code`.
fn assert_json_error(status: u16, body: &str, code: u16) {
    assert_eq!(status, code, "{body}");
    let v = json(body);
    assert_eq!(v[0]["code"], code, "{body}");
    assert!(!v[0]["description"].as_str().unwrap().is_empty());
}

fn assert_xml_error(status: u16, body: &str, code: u16) {
    assert_eq!(status, code, "{body}");
    assert!(
        body.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"),
        "{body}"
    );
    assert!(
        body.contains(&format!("<errors><error><code>{code}</code><description>")),
        "{body}"
    );
}

/// Files a street-light request with `key`; returns its service_request_id.
async fn file(s: &Server, key: &str, description: &str) -> String {
    let (status, body) = post(
        s,
        "/open311/v2/requests.json",
        &[
            ("api_key", key),
            ("service_code", "street_light"),
            ("lat", "30.274085"),
            ("long", "120.155070"),
            ("address_string", "示范路1号"),
            ("attribute[pole]", "P-0012"),
            ("attribute[fault][]", "dark"),
            ("attribute[fault][]", "flicker"),
            ("email", "reporter@example.cn"),
            ("description", description),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    json(&body)[0]["service_request_id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn discovery_and_services_conform_in_xml_and_json() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        setup(&s).await;

        let (st, ct, body) = get(&s, "/open311/v2/discovery.json").await;
        assert_eq!((st, ct.as_str()), (200, "application/json; charset=utf-8"));
        let d = json(&body);
        assert_eq!(
            d["endpoints"][0]["specification"],
            "http://wiki.open311.org/GeoReport_v2"
        );
        assert!(
            d["endpoints"][0]["url"]
                .as_str()
                .unwrap()
                .ends_with("/open311/v2")
        );
        assert_eq!(
            d["endpoints"][0]["formats"],
            serde_json::json!(["text/xml", "application/json"])
        );
        let (st, ct, body) = get(&s, "/open311/v2/discovery.xml").await;
        assert_eq!((st, ct.as_str()), (200, "text/xml; charset=utf-8"));
        assert!(body.contains("<discovery><changeset>"));
        assert!(
            body.contains("<formats><format>text/xml</format><format>application/json</format></formats>")
        );

        let (st, _, body) = get(&s, "/open311/v2/services.json").await;
        assert_eq!(st, 200);
        let list = json(&body);
        let light = list
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["service_code"] == "street_light")
            .unwrap()
            .clone();
        assert_eq!(light["service_name"], "路灯照明");
        assert_eq!(light["metadata"], true);
        assert_eq!(light["type"], "realtime");
        let noise = list
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["service_code"] == "noise")
            .unwrap();
        assert_eq!(noise["metadata"], false);
        let (_, ct, body) = get(&s, "/open311/v2/services.xml").await;
        assert_eq!(ct, "text/xml; charset=utf-8");
        assert!(body.contains("<services><service><service_code>"));
        assert!(body.contains("<metadata>true</metadata>"));

        let (st, _, body) = get(&s, "/open311/v2/services/street_light.json").await;
        assert_eq!(st, 200);
        let def = json(&body);
        assert_eq!(def["service_code"], "street_light");
        assert_eq!(def["attributes"][0]["code"], "pole");
        assert_eq!(def["attributes"][0]["datatype"], "string");
        assert_eq!(def["attributes"][0]["required"], true);
        assert_eq!(def["attributes"][0]["order"], 1);
        assert_eq!(def["attributes"][1]["datatype"], "multivaluelist");
        assert_eq!(def["attributes"][1]["values"][1]["key"], "flicker");
        let (st, _, body) = get(&s, "/open311/v2/services/street_light.xml").await;
        assert_eq!(st, 200);
        assert!(body.contains(
            "<service_definition><service_code>street_light</service_code><attributes><attribute>"
        ));
        assert!(body.contains("<values><value><key>dark</key>"));

        let (st, _, body) = get(&s, "/open311/v2/services/nope.json").await;
        assert_json_error(st, &body, 404);
        let (st, _, body) = get(&s, "/open311/v2/services/nope.xml").await;
        assert_xml_error(st, &body, 404);
        let (st, _, body) = get(&s, "/open311/v2/unknown.json").await;
        assert_json_error(st, &body, 404);
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn filing_needs_a_valid_api_key_and_records_the_system() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let key = setup(&s).await;
        let form = [
            ("service_code", "noise"),
            ("address_string", "示范路2号"),
            ("description", "夜间施工"),
        ];
        let (st, body) = post(&s, "/open311/v2/requests.json", &form).await;
        assert_json_error(st, &body, 403);
        let (st, body) = post(&s, "/open311/v2/requests.xml", &form).await;
        assert_xml_error(st, &body, 403);
        let mut with_empty = form.to_vec();
        with_empty.push(("api_key", ""));
        let (st, body) = post(&s, "/open311/v2/requests.json", &with_empty).await;
        assert_json_error(st, &body, 403);
        let mut wrong = form.to_vec();
        wrong.push(("api_key", "o311_not-a-key"));
        let (st, body) = post(&s, "/open311/v2/requests.json", &wrong).await;
        assert_json_error(st, &body, 403);

        let mut good = form.to_vec();
        good.push(("api_key", key.as_str()));
        let (st, body) = post(&s, "/open311/v2/requests.xml", &good).await;
        assert_eq!(st, 200, "{body}");
        assert!(body.contains("<service_requests><request><service_request_id>"), "{body}");
        assert!(body.contains("<account_id/>"), "{body}");

        let number = file(&s, &key, "路灯不亮").await;
        let events = tongban_db::event::read_after(s.interact.db(), 0, 10_000).await.unwrap();
        let submitted = events
            .iter()
            .rfind(|e| e.action == "interact.item.submitted")
            .unwrap();
        assert_eq!(submitted.actor_name, "city-app");
        assert_eq!(submitted.actor_id, "open311:city-app");
        assert_eq!(json(&submitted.detail)["channel"], "open311");

        // The record of a request, in both formats; the token leads back to it.
        let (st, _, body) = get(&s, &format!("/open311/v2/requests/{number}.json")).await;
        assert_eq!(st, 200, "{body}");
        let r = &json(&body)[0];
        assert_eq!(r["service_request_id"], number.as_str());
        assert_eq!(r["status"], "open");
        assert_eq!(r["service_code"], "street_light");
        assert_eq!(r["agency_responsible"], "公安局");
        assert_eq!(r["description"], "路灯不亮");
        assert!(r["requested_datetime"].as_str().unwrap().ends_with("+08:00"), "{r}");
        assert!(r["expected_datetime"].as_str().unwrap().ends_with("+08:00"), "{r}");
        // Read without the key: position rounded, address withheld.
        assert_eq!(r["lat"], 30.274);
        assert!(r["address"].is_null());
        assert!(r.get("extended_attributes").is_none());
        let (_, _, body) = get(
            &s,
            &format!("/open311/v2/requests/{number}.json?extensions=true&api_key={key}"),
        )
        .await;
        let r = &json(&body)[0];
        assert_eq!(r["lat"], 30.274085);
        assert_eq!(r["address"], "示范路1号");
        let ext = &r["extended_attributes"];
        assert_eq!(ext["status"], "in_progress");
        assert_eq!(ext["state"], "in_progress");
        assert_eq!(ext["attributes"][1]["code"], "fault");
        assert_eq!(ext["attributes"][1]["values"], serde_json::json!(["dark", "flicker"]));
        assert_eq!(ext["notes"][0]["action"], "submitted");
        assert_eq!(ext["notes"][1]["action"], "routed");
        let (st, _, body) = get(&s, &format!("/open311/v2/requests/{number}.xml?extensions=true")).await;
        assert_eq!(st, 200);
        assert!(body.contains(&format!("<service_requests><request><service_request_id>{number}</service_request_id><status>open</status>")));
        assert!(body.contains("<extended_attributes><status>in_progress</status>"), "{body}");

        let view = s.interact.open311_request(None, &number).await.unwrap();
        let (st, _, body) = get(&s, &format!("/open311/v2/tokens/{}.json", view.token.as_str())).await;
        assert_eq!(st, 200);
        assert_eq!(json(&body)[0]["service_request_id"], number.as_str());
        assert_eq!(json(&body)[0]["token"], view.token.as_str());
        let (st, _, body) = get(&s, &format!("/open311/v2/tokens/{}.xml", view.token.as_str())).await;
        assert_eq!(st, 200);
        assert!(body.contains("<token>"));
        let (st, _, body) = get(&s, "/open311/v2/tokens/0190aaaa-0000-7000-8000-000000000000.json").await;
        assert_json_error(st, &body, 404);
        let (st, _, body) = get(&s, "/open311/v2/requests/2000-0101-999999.xml").await;
        assert_xml_error(st, &body, 404);

        // A revoked key stops working at once, for filing and for reading.
        s.interact
            .revoke_open311_key(&Principal::system("test"), "city-app")
            .await
            .unwrap();
        let (st, body) = post(&s, "/open311/v2/requests.json", &good).await;
        assert_json_error(st, &body, 403);
        let (st, _, body) = get(&s, &format!("/open311/v2/requests.json?api_key={key}")).await;
        assert_json_error(st, &body, 403);
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn listing_filters_pages_and_keeps_the_ninety_day_rule() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let key = setup(&s).await;
        let a = file(&s, &key, "第一盏").await;
        let b = file(&s, &key, "第二盏").await;
        let (st, body) = post(
            &s,
            "/open311/v2/requests.json",
            &[
                ("api_key", key.as_str()),
                ("service_code", "noise"),
                ("address_id", "ADDR-0042"),
                ("description", "广场舞噪声"),
            ],
        )
        .await;
        assert_eq!(st, 200, "{body}");
        let c = json(&body)[0]["service_request_id"].as_str().unwrap().to_string();

        let ids = |body: &str| -> Vec<String> {
            json(body)
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["service_request_id"].as_str().unwrap().to_string())
                .collect()
        };
        let (st, _, all) = get(&s, "/open311/v2/requests.json").await;
        assert_eq!(st, 200);
        assert_eq!(ids(&all), vec![c.clone(), b.clone(), a.clone()]);
        let (_, _, body) = get(&s, "/open311/v2/requests.json?service_code=noise").await;
        assert_eq!(ids(&body), vec![c.clone()]);
        let (_, _, body) = get(&s, "/open311/v2/requests.json?service_code=noise,street_light").await;
        assert_eq!(ids(&body).len(), 3);
        let (_, _, body) = get(&s, &format!("/open311/v2/requests.json?service_request_id={a},{c}")).await;
        assert_eq!(ids(&body), vec![c.clone(), a.clone()]);
        let (_, _, body) = get(&s, "/open311/v2/requests.json?status=closed").await;
        assert!(ids(&body).is_empty());
        let (_, _, body) = get(&s, "/open311/v2/requests.json?status=open,closed").await;
        assert_eq!(ids(&body).len(), 3);
        let (_, _, body) = get(&s, "/open311/v2/requests.json?page=2&page_size=2").await;
        assert_eq!(ids(&body), vec![a.clone()]);
        let (_, _, xml) = get(&s, "/open311/v2/requests.xml?page_size=1").await;
        assert_eq!(xml.matches("<request>").count(), 1);

        // Empty optional parameters are the same as absent ones.
        let (st, _, empty) = get(
            &s,
            "/open311/v2/requests.json?service_code=&status=&start_date=&end_date=&service_request_id=&page=&page_size=&extensions=&api_key=",
        )
        .await;
        assert_eq!(st, 200, "{empty}");
        assert_eq!(json(&empty), json(&all));

        // The 90-day rule, and dates that must carry a zone.
        let (st, _, body) = get(
            &s,
            "/open311/v2/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-04-02T00:00:00Z",
        )
        .await;
        assert_json_error(st, &body, 400);
        assert!(body.contains("90"), "{body}");
        let (st, _, body) = get(
            &s,
            "/open311/v2/requests.xml?start_date=2026-01-01T00:00:00%2B08:00&end_date=2026-03-31T00:00:00%2B08:00",
        )
        .await;
        assert_eq!(st, 200, "{body}");
        let (st, _, body) = get(
            &s,
            "/open311/v2/requests.json?start_date=2026-03-01T00:00:00Z&end_date=2026-02-01T00:00:00Z",
        )
        .await;
        assert_json_error(st, &body, 400);
        let (st, _, body) = get(&s, "/open311/v2/requests.xml?start_date=2026-03-01").await;
        assert_xml_error(st, &body, 400);
        let (_, _, body) = get(&s, "/open311/v2/requests.json?end_date=2000-01-01T00:00:00Z").await;
        assert!(ids(&body).is_empty());
        let (st, _, body) = get(&s, "/open311/v2/requests.json?status=pending").await;
        assert_json_error(st, &body, 400);
        let (st, _, body) = get(&s, "/open311/v2/requests.json?page_size=5000").await;
        assert_json_error(st, &body, 400);
        let (st, _, body) = get(&s, "/open311/v2/requests.json?page=0").await;
        assert_json_error(st, &body, 400);
        s.stop().await;
    })
    .await;
}

/// A form body as name/value pairs.
type Form<'a> = Vec<(&'a str, &'a str)>;

#[tokio::test]
async fn bad_input_is_refused_with_the_spec_errors() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let key = setup(&s).await;
        let k = key.as_str();
        let cases: Vec<(Form, u16, &str)> = vec![
            (
                vec![("service_code", "nope"), ("address_string", "x")],
                404,
                "service_code",
            ),
            (vec![("address_string", "x")], 400, "service_code"),
            (vec![("service_code", "noise")], 400, "lat"),
            (
                vec![("service_code", "noise"), ("lat", "91"), ("long", "120")],
                400,
                "lat",
            ),
            (
                vec![("service_code", "noise"), ("lat", "30"), ("long", "181")],
                400,
                "long",
            ),
            (
                vec![("service_code", "noise"), ("lat", "north"), ("long", "120")],
                400,
                "lat",
            ),
            (
                vec![("service_code", "noise"), ("lat", "NaN"), ("long", "120")],
                400,
                "lat",
            ),
            (vec![("service_code", "noise"), ("lat", "30")], 400, "long"),
            (
                vec![("service_code", "street_light"), ("address_string", "x")],
                400,
                "attribute[pole]",
            ),
            (
                vec![
                    ("service_code", "street_light"),
                    ("address_string", "x"),
                    ("attribute[pole]", "1"),
                    ("attribute[fault][]", "smoke"),
                ],
                400,
                "attribute[fault]",
            ),
            (
                vec![
                    ("service_code", "street_light"),
                    ("address_string", "x"),
                    ("attribute[pole]", "1"),
                    ("attribute[pole]", "2"),
                ],
                400,
                "attribute[pole]",
            ),
            (
                vec![
                    ("service_code", "noise"),
                    ("address_string", "x"),
                    ("attribute[pole", "1"),
                ],
                400,
                "attribute",
            ),
            (
                vec![
                    ("service_code", "noise"),
                    ("address_string", "x"),
                    ("attribute[colour]", "red"),
                ],
                400,
                "attribute[colour]",
            ),
            (
                vec![
                    ("service_code", "noise"),
                    ("service_code", "street_light"),
                    ("address_string", "x"),
                ],
                400,
                "service_code",
            ),
            (
                vec![
                    ("service_code", "noise"),
                    ("address_string", "x"),
                    ("email", "not-an-address"),
                ],
                400,
                "email",
            ),
            (
                vec![
                    ("service_code", "noise"),
                    ("address_string", "x"),
                    ("media_url", "javascript:alert(1)"),
                ],
                400,
                "media_url",
            ),
        ];
        for (mut form, code, field) in cases {
            form.push(("api_key", k));
            let (st, body) = post(&s, "/open311/v2/requests.json", &form).await;
            assert_json_error(st, &body, code);
            assert!(
                json(&body)[0]["description"].as_str().unwrap().contains(field),
                "{field}: {body}"
            );
            let (st, body) = post(&s, "/open311/v2/requests.xml", &form).await;
            assert_xml_error(st, &body, code);
        }

        // Description: 4,000 characters are accepted, one more is not.
        let long = "路".repeat(4000);
        let (st, body) = post(
            &s,
            "/open311/v2/requests.json",
            &[
                ("api_key", k),
                ("service_code", "noise"),
                ("address_string", "x"),
                ("description", &long),
            ],
        )
        .await;
        assert_eq!(st, 200, "{body}");
        let too_long = "路".repeat(4001);
        let (st, body) = post(
            &s,
            "/open311/v2/requests.json",
            &[
                ("api_key", k),
                ("service_code", "noise"),
                ("address_string", "x"),
                ("description", &too_long),
            ],
        )
        .await;
        assert_json_error(st, &body, 400);
        assert!(body.contains("description"), "{body}");

        // Malformed bodies: not a form, or not UTF-8 text at all.
        let c = reqwest::Client::new();
        let r = c
            .post(s.url("/open311/v2/requests.json"))
            .header("content-type", "application/json")
            .body(format!("{{\"api_key\":\"{k}\",\"service_code\":\"noise\"}}"))
            .send()
            .await
            .unwrap();
        let st = r.status().as_u16();
        assert_json_error(st, &r.text().await.unwrap(), 400);
        let r = c
            .post(s.url("/open311/v2/requests.xml"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "api_key={k}&service_code=noise&address_string=%E8%B7&&&=="
            ))
            .send()
            .await
            .unwrap();
        let st = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert!(st == 200 || st == 400, "{st} {body}");
        assert!(body.starts_with("<?xml"), "{body}");

        // Markup in text comes back escaped in both formats.
        let evil = "<script>alert('x')</script>&<b onmouseover=\"x\">";
        let number = file(&s, &key, evil).await;
        let (_, _, body) = get(&s, &format!("/open311/v2/requests/{number}.xml")).await;
        assert!(!body.contains("<script>") && !body.contains("<b "), "{body}");
        assert!(
            body.contains("&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt;&amp;&lt;b"),
            "{body}"
        );
        let (_, _, body) = get(&s, &format!("/open311/v2/requests/{number}.json")).await;
        assert!(!body.contains('<') && !body.contains('>'), "{body}");
        assert!(body.contains("\\u003cscript\\u003e"), "{body}");
        assert_eq!(json(&body)[0]["description"], evil);
        let (_, _, body) = get(&s, "/open311/v2/discovery.xml").await;
        assert!(!body.contains("<script"));
        let r = c
            .get(s.url("/open311/v2/discovery.xml"))
            .header("host", "evil<script>")
            .send()
            .await
            .unwrap();
        assert!(!r.text().await.unwrap().contains("<script"));
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_interaction_api_submits_replies_with_flags_reviews_and_rates() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        setup(&s).await;
        let citizen = crate::support::api_token(&s, "citizen1").await;
        let clerk = crate::support::api_token(&s, "ga_clerk").await;
        let reviewer = crate::support::api_token(&s, "ga_colleague").await;
        let c = reqwest::Client::new();
        let r = c
            .post(s.url("/api/v1/interact/items"))
            .bearer_auth(&citizen)
            .json(&serde_json::json!({
                "kind": "complaint", "category": "street_light", "title": "路灯不亮",
                "text": "示范路路灯连续三晚不亮，联系电话13800000009", "public": true
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let item: Value = r.json().await.unwrap();
        let id = item["item"]["id"].as_str().unwrap().to_string();
        assert_eq!(item["item"]["status"], "in_progress");

        // Attachments travel as base64; a PNG loses its text chunk; bad base64 is named.
        use base64::Engine as _;
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        let chunk = |kind: &[u8], data: &[u8]| {
            [&(data.len() as u32).to_be_bytes()[..], kind, data, &[0, 0, 0, 0]].concat()
        };
        let png = [
            &b"\x89PNG\r\n\x1a\n"[..],
            &chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]),
            &chunk(b"tEXt", b"GPS\0lat 30.27 lon 120.15"),
            &chunk(b"IEND", b""),
        ]
        .concat();
        let send = |attachments: Value| {
            c.post(s.url("/api/v1/interact/items"))
                .bearer_auth(&citizen)
                .json(&serde_json::json!({
                    "kind": "complaint", "category": "street_light", "title": "路灯杆倾斜",
                    "text": "示范路12号路灯杆倾斜，见照片。", "attachments": attachments
                }))
                .send()
        };
        let r = send(serde_json::json!([{ "file_name": "a.png", "content_base64": "not base64!" }])).await.unwrap();
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("attachments[0].content_base64"));
        let r = send(serde_json::json!([{ "file_name": "x.png", "media_type": "image/png", "content_base64": b64(b"%PDF-1.7") }]))
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let r = send(serde_json::json!([{ "file_name": "杆.png", "media_type": "image/png", "content_base64": b64(&png) }]))
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let tilted: Value = r.json().await.unwrap();
        let full: Value = c
            .get(s.url(&format!("/api/v1/interact/items/{}", tilted["item"]["id"].as_str().unwrap())))
            .bearer_auth(&clerk)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let a = &full["attachments"][0];
        assert_eq!(a["media_type"], "image/png");
        assert_eq!(a["metadata_removed"], 1);
        let got = c
            .get(s.url(&format!("/api/v1/interact/attachments/{}", a["id"].as_str().unwrap())))
            .bearer_auth(&clerk)
            .send()
            .await
            .unwrap();
        assert_eq!(got.status(), 200);
        let body = got.bytes().await.unwrap();
        assert!(body.starts_with(b"\x89PNG") && !body.windows(3).any(|w| w == b"GPS"));

        let mine: Value = c
            .get(s.url("/api/v1/interact/items/mine"))
            .bearer_auth(&citizen)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(mine["total"], 2);
        let inbox: Value = c
            .get(s.url("/api/v1/interact/inbox?status=in_progress&kind="))
            .bearer_auth(&clerk)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(inbox["total"], 2);
        let r = c
            .get(s.url("/api/v1/interact/inbox?clock=late"))
            .bearer_auth(&clerk)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let r = c
            .get(s.url("/api/v1/interact/inbox"))
            .bearer_auth(&citizen)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);

        // A vague reply comes back with its flags; the reviewer approves and publishes it.
        let r = c
            .post(s.url(&format!("/api/v1/interact/items/{id}/replies")))
            .bearer_auth(&clerk)
            .json(&serde_json::json!({ "text": "您反映的问题我们正在研究，将按有关规定办理。" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let reply: Value = r.json().await.unwrap();
        assert_eq!(reply["status"], "awaiting_review");
        assert!(!reply["flags"].as_array().unwrap().is_empty(), "{reply}");
        let r = c
            .post(s.url(&format!(
                "/api/v1/interact/replies/{}/review",
                reply["id"].as_str().unwrap()
            )))
            .bearer_auth(&reviewer)
            .json(&serde_json::json!({ "decision": "approve", "publish": true }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let r = c
            .post(s.url(&format!("/api/v1/interact/items/{id}/rating")))
            .bearer_auth(&citizen)
            .json(&serde_json::json!({ "satisfaction": "satisfied", "comment": "好" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let full: Value = c
            .get(s.url(&format!("/api/v1/interact/items/{id}")))
            .bearer_auth(&citizen)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(full["item"]["item"]["status"], "closed");
        assert!(!full["history"].as_array().unwrap().is_empty());

        // The board shows it without the phone number; the statistics count it.
        let board = reqwest::get(s.url("/api/v1/interact/board?q=路灯"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(board.contains("路灯不亮"), "{board}");
        assert!(!board.contains("13800000009"), "{board}");
        let stats: Value = reqwest::get(s.url("/api/v1/interact/stats"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ga = stats["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["department_name"] == "公安局")
            .unwrap();
        assert_eq!(ga["replied"], 1);
        assert_eq!(ga["satisfaction_rate"], 1.0);
        // The closed item reads as closed through Open311 too, with the reply as its notes.
        let (_, _, body) = get(&s, "/open311/v2/requests.json?status=closed&extensions=true").await;
        let list = json(&body);
        assert_eq!(list[0]["status"], "closed");
        assert_eq!(list[0]["extended_attributes"]["state"], "closed");
        assert!(list[0]["status_notes"].as_str().unwrap().contains("正在研究"));
        // A department system files items for its channel only when its token says so.
        let filed = |token: String| {
            let (c, s) = (c.clone(), &s);
            async move {
                c.post(s.url("/api/v1/interact/items"))
                    .bearer_auth(token)
                    .json(&serde_json::json!({
                        "kind": "complaint", "category": "street_light", "title": "路灯不亮",
                        "text": "示范路路灯不亮", "public": false
                    }))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        };
        assert_eq!(filed(system_token(&s, "9901-GA", &["exchange.read"]).await).await, 403);
        assert_eq!(filed(system_token(&s, "9901-GA", &["interact.submit"]).await).await, 201);
        s.stop().await;
    })
    .await;
}
