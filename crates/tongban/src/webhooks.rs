//! The sender of webhook deliveries (变更通知): every few seconds it queues deliveries for new
//! versions, claims those that are due, POSTs each signed body to its callback, and records what
//! came of it — the pool decides retries and giving up. Network calls live here, never in a
//! domain crate.

use std::net::SocketAddr;
use std::time::Duration;
use tongban_pool::{Attempt, Outgoing, Pool, RetryPolicy};

/// How long one callback may take to answer.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries claimed per round.
const PER_ROUND: u32 = 32;

/// The HTTP client one delivery is sent with: a timeout, no redirects (a callback answers
/// itself), no proxy, our name, and the callback's `host` pinned to `addrs` — the addresses
/// that were checked as its destination, so the name is not resolved again.
pub fn client(host: &str, addrs: &[SocketAddr]) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(SEND_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .resolve_to_addrs(host, addrs)
        .user_agent(concat!("Tongban-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Sends one delivery: its body as JSON with the signature headers. What went wrong is said
/// in general words only; the department reads it in its delivery log.
pub async fn deliver(client: &reqwest::Client, out: &Outgoing) -> Attempt {
    let mut request = client
        .post(&out.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(out.body.clone());
    for (name, value) in &out.headers {
        request = request.header(*name, value);
    }
    match request.send().await {
        Ok(answer) => Attempt::Answered(answer.status().as_u16()),
        Err(e) if e.is_timeout() => {
            Attempt::Unreachable(tongban_kernel::msg!("callback-timed-out").to_string())
        }
        Err(e) if e.is_connect() => {
            Attempt::Unreachable(tongban_kernel::msg!("callback-not-connected").to_string())
        }
        Err(e) => {
            tracing::debug!(delivery = %out.id, error = %e, "webhook sending failed");
            Attempt::Unreachable(tongban_kernel::msg!("sending-failed").to_string())
        }
    }
}

/// Checks the callback of `out` as a destination of the subscriber's department (every address
/// its name resolves to, against the allow-list), then sends it to those addresses only.
pub async fn send(pool: &Pool, out: &Outgoing) -> Attempt {
    let url = match reqwest::Url::parse(&out.url) {
        Ok(url) => url,
        Err(_) => return Attempt::Unreachable(tongban_kernel::msg!("callback-url-not-valid").to_string()),
    };
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
        return Attempt::Unreachable(tongban_kernel::msg!("callback-url-not-valid").to_string());
    };
    let addrs = match pool.destination(&out.department, host, port).await {
        Ok(addrs) => addrs,
        Err(e) => return Attempt::Unreachable(e.to_string()),
    };
    match client(host.trim_start_matches('[').trim_end_matches(']'), &addrs) {
        Ok(client) => deliver(&client, out).await,
        Err(e) => {
            tracing::warn!(error = %e, "the webhook client cannot be built");
            Attempt::Unreachable(tongban_kernel::msg!("sending-failed").to_string())
        }
    }
}

/// One round: queue new versions' deliveries, send those due, record each outcome. Returns
/// how many were sent.
pub async fn round(pool: &Pool, policy: &RetryPolicy) -> tongban_pool::Result<usize> {
    pool.queue_webhooks().await?;
    let due = pool.claim_webhooks(PER_ROUND).await?;
    for out in &due {
        let outcome = send(pool, out).await;
        if let Attempt::Unreachable(why) = &outcome {
            tracing::info!(delivery = %out.id, attempt = out.attempt, reason = %why, "webhook not delivered");
        }
        pool.record_webhook_attempt(out, &outcome, policy).await?;
    }
    Ok(due.len())
}

/// The webhook sender as a background job: a [`round`] each time.
pub struct Webhooks {
    pub pool: Pool,
    pub policy: RetryPolicy,
}

impl tongban_kernel::worker::Job for Webhooks {
    fn name(&self) -> &'static str {
        "webhooks"
    }

    async fn round(&self) -> Result<usize, String> {
        round(&self.pool, &self.policy).await.map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A one-shot HTTP server on loopback answering `status`; hands back the request it read.
    async fn receiver(status: u16) -> (String, tokio::task::JoinHandle<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            let (mut conn, _) = listener.accept().await.expect("accept");
            let mut seen = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                let n = conn.read(&mut buf).await.expect("read");
                seen.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&seen).to_string();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().to_owned())
                        })
                        .and_then(|v| v.parse::<usize>().ok())
                        .unwrap_or(0);
                    if body.len() >= length {
                        break;
                    }
                }
                if n == 0 {
                    break;
                }
            }
            let answer = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            conn.write_all(answer.as_bytes()).await.expect("write");
            String::from_utf8_lossy(&seen).to_string()
        });
        (url, task)
    }

    fn outgoing(url: &str) -> Outgoing {
        let body = r#"{"resource":"9901-GA-0001","version":2}"#.to_owned();
        Outgoing {
            id: "d1".into(),
            url: url.to_owned(),
            headers: vec![
                (
                    tongban_pool::webhook::SIGNATURE_HEADER,
                    tongban_pool::webhook::sign("whsec_t", 1_700_000_000, &body),
                ),
                (tongban_pool::webhook::TIMESTAMP_HEADER, "1700000000".into()),
                (tongban_pool::webhook::DELIVERY_HEADER, "d1".into()),
            ],
            department: tongban_kernel::DeptPath::root(),
            body,
            attempt: 1,
        }
    }

    #[tokio::test]
    async fn a_delivery_reaches_the_callback_signed_and_its_answer_is_reported() {
        let (url, seen) = receiver(204).await;
        let client = client("127.0.0.1", &[]).expect("client");
        let outcome = deliver(&client, &outgoing(&url)).await;
        assert!(matches!(outcome, Attempt::Answered(204)), "{outcome:?}");
        let request = seen.await.expect("receiver");
        let lower = request.to_ascii_lowercase();
        assert!(request.starts_with("POST /hook "));
        assert!(lower.contains("x-tongban-signature: hmac-sm3="));
        assert!(lower.contains("x-tongban-timestamp: 1700000000"));
        assert!(lower.contains("content-type: application/json"));
        let body = request.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
        let signature = request
            .lines()
            .find_map(|l| l.strip_prefix("x-tongban-signature: "))
            .unwrap_or_default();
        assert!(tongban_pool::webhook::verify_signature(
            "whsec_t",
            1_700_000_000,
            body,
            signature
        ));
    }

    #[tokio::test]
    async fn an_error_answer_and_a_closed_port_are_told_apart() {
        let (url, _seen) = receiver(500).await;
        let client = client("127.0.0.1", &[]).expect("client");
        assert!(matches!(
            deliver(&client, &outgoing(&url)).await,
            Attempt::Answered(500)
        ));
        // Nothing listens on a port just released.
        let port = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let outcome = deliver(&client, &outgoing(&format!("http://127.0.0.1:{port}/hook"))).await;
        assert!(matches!(outcome, Attempt::Unreachable(_)), "{outcome:?}");
    }

    /// A pool over a fresh store and lake, for the destination checks.
    fn pool_on(db: tongban_db::Db, dir: &std::path::Path) -> Pool {
        let catalog = tongban_catalog::Catalog::new(db, tongban_kernel::WorkCalendar::bundled());
        Pool::new(
            dir.join("lake"),
            catalog,
            tongban_crypto::Keyring::ephemeral().fields(),
        )
    }

    #[tokio::test]
    async fn a_callback_on_this_machine_is_not_contacted_until_its_range_is_allowed() {
        tongban_test_support::each_backend(
            &[tongban_catalog::MIGRATIONS, tongban_pool::MIGRATIONS],
            |db| async move {
                let dir = tempfile::tempdir().expect("dir");
                let pool = pool_on(db, dir.path());
                let (url, seen) = receiver(204).await;
                let port = url
                    .split(':')
                    .nth(2)
                    .and_then(|p| p.split('/').next())
                    .expect("port");
                for url in [url.clone(), format!("http://localhost:{port}/hook")] {
                    match send(&pool, &outgoing(&url)).await {
                        Attempt::Unreachable(why) => assert!(why.contains("本机地址"), "{why}"),
                        other => panic!("{url} must be refused: {other:?}"),
                    }
                }
                // Nothing reached the receiver.
                let waited = tokio::time::timeout(Duration::from_millis(200), seen).await;
                assert!(waited.is_err(), "the receiver was contacted");

                let sys = tongban_kernel::Principal::system("test");
                let department = tongban_kernel::DeptPath::root().child("9901");
                let rule = pool
                    .allow_egress(&sys, &department, "127.0.0.0/8", "测试回调")
                    .await
                    .expect("allow");
                // Allowed for 9901 and below, not for the whole platform.
                let (url, seen) = receiver(204).await;
                let mut out = outgoing(&url);
                assert!(matches!(send(&pool, &out).await, Attempt::Unreachable(_)));
                out.department = department.child("9901-MZ");
                assert!(matches!(send(&pool, &out).await, Attempt::Answered(204)));
                assert!(seen.await.expect("receiver").starts_with("POST /hook "));

                // A redirect is reported, never followed.
                let (url, _seen) = receiver(302).await;
                out.url = url;
                assert!(matches!(send(&pool, &out).await, Attempt::Answered(302)));

                // Taken off the list, the range is closed again.
                pool.remove_egress(&sys, &rule.id).await.expect("remove");
                let (url, _seen) = receiver(204).await;
                out.url = url;
                assert!(matches!(send(&pool, &out).await, Attempt::Unreachable(_)));
                // The metadata service is never a destination.
                out.url = "http://169.254.169.254/latest/meta-data/".into();
                match send(&pool, &out).await {
                    Attempt::Unreachable(why) => assert!(why.contains("元数据"), "{why}"),
                    other => panic!("{other:?}"),
                }
            },
        )
        .await;
    }
}
