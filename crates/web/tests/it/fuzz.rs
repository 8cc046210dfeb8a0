//! Fuzzing the parsers that take requests from outside, through the running server: Open311
//! form bodies and the portal's multipart uploads, mutated from valid ones
//! (`tongban_kernel::fuzz`). Whatever arrives, the answer is a 2xx, 3xx or 4xx — never a 5xx —
//! and the server keeps answering.

use crate::support::{PASSWORD, Server, browser, csrf_of, sets, sign_in};
use tongban_test_support::each_backend;

/// Sends the corpus and mutations of it with `send` until the budget is spent, failing on a
/// server error (with the seed that repeats the run). Awaited in the test's own loop.
async fn fuzz_http<F, Fut>(name: &str, corpus: &[Vec<u8>], send: F) -> u64
where
    F: Fn(Vec<u8>) -> Fut,
    Fut: std::future::Future<Output = u16>,
{
    let (budget, max_runs, seed) = tongban_kernel::fuzz::budget();
    let mut rng = tongban_kernel::fuzz::Rng::new(seed);
    let started = std::time::Instant::now();
    let mut runs = 0u64;
    while runs < max_runs && (runs < corpus.len() as u64 || started.elapsed() < budget) {
        let bytes = match corpus.get(runs as usize) {
            Some(valid) => valid.clone(),
            None => {
                let base = &corpus[rng.below(corpus.len())];
                tongban_kernel::fuzz::mutate(&mut rng, base, corpus)
            }
        };
        runs += 1;
        let status = send(bytes.clone()).await;
        assert!(
            status < 500,
            "{name}: answered {status} (TONGBAN_FUZZ_SEED={seed}) to {:?}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(2_000)])
        );
    }
    runs
}

#[tokio::test]
async fn no_open311_form_makes_the_server_fail() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let key = crate::open311::setup(&s).await;
        let valid = format!(
            "api_key={key}&service_code=street_light&lat=30.274085&long=120.155070&address_string=%E7%A4%BA%E8%8C%83%E8%B7%AF1%E5%8F%B7\
             &attribute%5Bpole%5D=P-0012&attribute%5Bfault%5D%5B%5D=dark&email=reporter%40example.cn&description=%E8%B7%AF%E7%81%AF%E4%B8%8D%E4%BA%AE"
        );
        let client = reqwest::Client::new();
        let url = s.url("/open311/v2/requests.json");
        let runs = fuzz_http("open311 forms", &[valid.into_bytes()], |body| {
            let (client, url) = (client.clone(), url.clone());
            async move {
                client
                    .post(url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body)
                    .send()
                    .await
                    .map_or(599, |r| r.status().as_u16())
            }
        })
        .await;
        assert!(runs > 5, "{runs}");
        assert_eq!(reqwest::get(s.url("/healthz")).await.unwrap().status(), 200);
        s.stop().await;
    })
    .await;
}

#[tokio::test]
async fn no_multipart_upload_makes_the_server_fail() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let citizen = browser();
        sign_in(&citizen, &s, "citizen1", PASSWORD).await;
        let form = citizen.get(s.url("/interact/new")).send().await.unwrap().text().await.unwrap();
        let csrf = csrf_of(&form);
        const B: &str = "----tongbanfuzz";
        // A valid submission with one PNG attachment (its header and end chunk).
        let png: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\x00IEND\xaeB`\x82";
        let mut valid = Vec::new();
        for (name, value) in [
            ("csrf", csrf.as_str()),
            ("kind", "suggestion"),
            ("category", "other"),
            ("title", "路灯不亮"),
            ("text", "示范路1号路灯连续三晚不亮。"),
        ] {
            valid.extend_from_slice(
                format!("--{B}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
            );
        }
        valid.extend_from_slice(
            format!("--{B}\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n")
                .as_bytes(),
        );
        valid.extend_from_slice(png);
        valid.extend_from_slice(format!("\r\n--{B}--\r\n").as_bytes());
        let url = s.url("/interact/new");
        let runs = fuzz_http("multipart uploads", &[valid], |body| {
            let (citizen, url) = (citizen.clone(), url.clone());
            async move {
                citizen
                    .post(url)
                    .header("content-type", format!("multipart/form-data; boundary={B}"))
                    .body(body)
                    .send()
                    .await
                    .map_or(599, |r| r.status().as_u16())
            }
        })
        .await;
        assert!(runs > 5, "{runs}");
        assert_eq!(reqwest::get(s.url("/healthz")).await.unwrap().status(), 200);
        s.stop().await;
    })
    .await;
}
