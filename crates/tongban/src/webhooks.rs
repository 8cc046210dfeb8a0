//! The sender of webhook deliveries (变更通知): every few seconds it queues deliveries for new
//! versions, claims those that are due, POSTs each signed body to its callback, and records what
//! came of it — the pool decides retries and giving up. Network calls live here, never in a
//! domain crate.

use std::time::Duration;
use tokio::sync::watch;
use tongban_pool::{Attempt, Outgoing, Pool, RetryPolicy};

/// How long one callback may take to answer.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries claimed per round.
const PER_ROUND: u32 = 32;

/// The HTTP client deliveries are sent with: a timeout, no redirects (a callback answers
/// itself), and our name.
pub fn client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(SEND_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Tongban-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Sends one delivery: its body as JSON with the signature headers.
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
        Err(e) if e.is_timeout() => Attempt::Unreachable("回调超时 / the callback timed out".into()),
        Err(e) if e.is_connect() => {
            Attempt::Unreachable("无法连接回调地址 / could not connect to the callback".into())
        }
        Err(e) => Attempt::Unreachable(format!("发送失败 / sending failed: {e}")),
    }
}

/// One round: queue new versions' deliveries, send those due, record each outcome. Returns
/// how many were sent.
pub async fn round(
    pool: &Pool,
    client: &reqwest::Client,
    policy: &RetryPolicy,
) -> tongban_pool::Result<usize> {
    pool.queue_webhooks().await?;
    let due = pool.claim_webhooks(PER_ROUND).await?;
    for out in &due {
        let outcome = deliver(client, out).await;
        if let Attempt::Unreachable(why) = &outcome {
            tracing::info!(delivery = %out.id, attempt = out.attempt, reason = %why, "webhook not delivered");
        }
        pool.record_webhook_attempt(out, &outcome, policy).await?;
    }
    Ok(due.len())
}

/// Runs rounds every `every` until `stop` changes.
pub async fn run(pool: Pool, every: Duration, mut stop: watch::Receiver<bool>) {
    let client = match client() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "the webhook sender cannot start");
            return;
        }
    };
    let policy = RetryPolicy::default();
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Err(e) = round(&pool, &client, &policy).await {
                    tracing::warn!(error = %e, "sending webhooks failed");
                }
            }
            _ = stop.changed() => break,
        }
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
            body,
            attempt: 1,
        }
    }

    #[tokio::test]
    async fn a_delivery_reaches_the_callback_signed_and_its_answer_is_reported() {
        let (url, seen) = receiver(204).await;
        let client = client().expect("client");
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
        let client = client().expect("client");
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
}
