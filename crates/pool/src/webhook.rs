//! 变更通知 (webhooks): department systems subscribe a callback URL to new versions of a
//! resource they may read. Deliveries are queued from the events table by cursor (at least once,
//! never twice for one subscription and version), each body signed with HMAC-SM3 under the
//! subscription's own secret, retried with exponential back-off and given up after a set number
//! of attempts, every attempt kept in the subscription's delivery log.
//!
//! This module decides what is sent, to whom, signed how, and when to try again; it never makes
//! a network call itself: the sender that does lives with the binary's workers.

use crate::events::{WebhookGaveUp, WebhookSubscribed, WebhookUnsubscribed};
use crate::{Error, Pool, Result};
use rand_core::{OsRng, RngCore};
use serde::Serialize;
use serde_json::json;
use std::net::IpAddr;
use std::time::Duration;
use tongban_catalog::events::VersionRecorded;
use tongban_db::{EventDraft, Feed, Row, params};
use tongban_kernel::msg;
use tongban_kernel::{DeptPath, Invalid, Millis, Principal, PrincipalKind};

/// The worker cursor the queue keeps in `worker_cursors`.
pub const CURSOR: &str = "pool.webhooks";
/// The signature header: `hmac-sm3=<hex>` over `<timestamp>.<body>`.
pub const SIGNATURE_HEADER: &str = "X-Tongban-Signature";
/// The header with the Unix time (seconds) the signature covers.
pub const TIMESTAMP_HEADER: &str = "X-Tongban-Timestamp";
/// The header naming the delivery (the same on every retry, for idempotent receivers).
pub const DELIVERY_HEADER: &str = "X-Tongban-Delivery";
/// Most live subscriptions one department system holds on one resource.
pub const MAX_SUBSCRIPTIONS: usize = 5;
/// Longest callback URL.
const MAX_URL_CHARS: usize = 2000;
/// Events read per queueing transaction.
const QUEUE_BATCH: u32 = 500;
/// How long a claimed delivery is held by its sender before another may try it.
const LEASE: Duration = Duration::from_secs(120);
/// The name the secret is encrypted under.
pub(crate) const SECRET_FIELD: &str = "pool.webhook.secret";

/// When to try a failed delivery again, and when to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts before giving up (at least 1).
    pub max_attempts: u32,
    /// The wait after the first failure; each further failure doubles it.
    pub base: Duration,
    /// The longest wait between attempts.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    /// Eight attempts, 30 s after the first failure doubling up to an hour (about two hours in
    /// all).
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base: Duration::from_secs(30),
            cap: Duration::from_secs(3600),
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt number `attempt` (from 1).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(30);
        self.base.saturating_mul(1u32 << doublings).min(self.cap)
    }
}

/// A subscription as its owner sees it (never with its secret).
#[derive(Debug, Clone, Serialize)]
pub struct Subscription {
    /// Its id.
    pub id: String,
    /// The resource code.
    pub resource: String,
    /// The callback URL.
    pub url: String,
    /// When it was made (ms since the epoch).
    pub created_ms: i64,
    /// Deliveries by status: pending, delivered, failed.
    pub pending: i64,
    /// Deliveries that reached the callback.
    pub delivered: i64,
    /// Deliveries given up.
    pub failed: i64,
}

/// One entry of a subscription's delivery log.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    /// Its id (also sent in [`DELIVERY_HEADER`]).
    pub id: String,
    /// The version announced.
    pub version: u32,
    /// `pending`, `delivered`, `failed` or `cancelled`.
    pub status: String,
    /// Attempts made so far.
    pub attempts: u32,
    /// The HTTP status of the last answer, if there was one.
    pub last_status: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the next attempt is due (pending deliveries).
    pub next_ms: i64,
    /// When it was queued.
    pub created_ms: i64,
    /// When it last changed.
    pub updated_ms: i64,
}

/// A delivery claimed for sending: where, what, and the signed headers.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The delivery id.
    pub id: String,
    /// The callback URL.
    pub url: String,
    /// The subscribing system's department, whose allow-list the callback's address is
    /// checked against.
    pub department: DeptPath,
    /// The JSON body, exactly as signed.
    pub body: String,
    /// Headers to send besides `Content-Type: application/json`.
    pub headers: Vec<(&'static str, String)>,
    /// Which attempt this is (from 1).
    pub attempt: u32,
}

/// What came of one attempt.
#[derive(Debug, Clone)]
pub enum Attempt {
    /// The callback answered with this status.
    Answered(u16),
    /// No answer: connection refused, timeout, TLS failure, bad URL.
    Unreachable(String),
}

/// `hmac-sm3=<hex>`: the signature of `body` sent at `timestamp` (Unix seconds) under `secret`.
/// The signed text is `<timestamp>.<body>`, so a captured delivery cannot be replayed later with
/// another time.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    let text = format!("{timestamp}.{body}");
    format!(
        "hmac-sm3={}",
        hex::encode(tongban_crypto::hmac_sm3(secret.as_bytes(), text.as_bytes()))
    )
}

/// Whether `header` is the signature of `body` at `timestamp` under `secret` (what a receiver
/// checks), compared in constant time.
pub fn verify_signature(secret: &str, timestamp: i64, body: &str, header: &str) -> bool {
    let expected = sign(secret, timestamp, body);
    let (a, b) = (expected.as_bytes(), header.trim().as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks a callback URL: `https://`, or `http://` only to this machine (loopback) unless
/// `allow_http`; no user name or password in it; at most 2,000 characters.
pub fn check_callback_url(url: &str, allow_http: bool) -> std::result::Result<String, Invalid> {
    let url = url.trim();
    let bad = |reason: &str| Invalid::new("url", reason);
    if url.is_empty() {
        return Err(bad(&msg!("callback-url-required").to_string()));
    }
    if url.chars().count() > MAX_URL_CHARS {
        return Err(bad(&msg!("most-2000-characters").to_string()));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad(&msg!("no-spaces-control-characters").to_string()));
    }
    let lower = url.to_ascii_lowercase();
    let (secure, rest) = if let Some(rest) = lower.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = lower.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err(bad(&msg!("callback-url-start-https").to_string()));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(bad(&msg!("no-user-name-password").to_string()));
    }
    let host = host_of(&lower).unwrap_or_default();
    if host.is_empty() {
        return Err(bad(&msg!("url-has-no-host").to_string()));
    }
    let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !secure && !loopback && !allow_http {
        return Err(bad(&msg!("callback-use-https-http").to_string()));
    }
    Ok(url.to_owned())
}

/// The host of an `http(s)://` URL: the name, or the address without IPv6 brackets.
fn host_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    Some(match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => authority.split(':').next()?,
    })
}

/// The API client behind a stored subscription, as the exchange checks it.
fn subscriber(r: &Row) -> Result<Principal> {
    Ok(Principal {
        kind: PrincipalKind::ApiClient,
        id: r.get("client_id")?,
        name: r.get("client_name")?,
        department: Some(DeptPath(r.get("client_path")?)),
        grants: Vec::new(),
        purpose: None,
    })
}

fn only_systems(actor: &Principal) -> Result<()> {
    if actor.kind != PrincipalKind::ApiClient {
        return Err(Error::Forbidden {
            why: msg!("only-department-systems-subscribe"),
        });
    }
    Ok(())
}

fn subscription_from(r: &Row) -> Result<Subscription> {
    Ok(Subscription {
        id: r.get("id")?,
        resource: r.get("resource_code")?,
        url: r.get("url")?,
        created_ms: r.get("created_ms")?,
        pending: r.get("pending")?,
        delivered: r.get("delivered")?,
        failed: r.get("failed")?,
    })
}

const SUBSCRIPTION_COLUMNS: &str = "s.id, s.resource_code, s.url, s.created_ms, \
    CAST(COALESCE(SUM(CASE WHEN d.status = 'pending' THEN 1 ELSE 0 END), 0) AS BIGINT) AS pending, \
    CAST(COALESCE(SUM(CASE WHEN d.status = 'delivered' THEN 1 ELSE 0 END), 0) AS BIGINT) AS delivered, \
    CAST(COALESCE(SUM(CASE WHEN d.status = 'failed' THEN 1 ELSE 0 END), 0) AS BIGINT) AS failed";

impl Pool {
    /// Subscribes the calling department system to new versions of resource `code` (it must be
    /// able to read the resource through the exchange). Returns the subscription and its signing
    /// secret, shown this once and never again. `allow_http` admits plain-HTTP callbacks to
    /// other machines (a deployment setting; loopback is always allowed).
    #[tracing::instrument(skip_all)]
    pub async fn subscribe(
        &self,
        actor: &Principal,
        code: &str,
        url: &str,
        allow_http: bool,
    ) -> Result<(Subscription, String)> {
        only_systems(actor)?;
        let url = check_callback_url(url, allow_http)?;
        // An address written out (or this machine's own name) is checked now; other names are
        // resolved and checked at every delivery.
        if let Some(host) =
            host_of(&url).filter(|h| h.parse::<IpAddr>().is_ok() || h.eq_ignore_ascii_case("localhost"))
        {
            let department = actor.department.clone().unwrap_or_else(DeptPath::root);
            self.destination(&department, host, 0)
                .await
                .map_err(Error::on_url_field)?;
        }
        let access = self
            .exchange_access(actor, code, tongban_catalog::GrantUse::Exchange)
            .await?;
        let resource = &access.resource;
        let live: i64 = self
            .catalog
            .db()
            .fetch_one(
                "SELECT COUNT(*) AS n FROM webhook_subscriptions \
                 WHERE client_id = $1 AND resource_id = $2 AND deleted_ms IS NULL",
                params![actor.id.as_str(), resource.id.as_str()],
            )
            .await?
            .get("n")?;
        if usize::try_from(live).unwrap_or(usize::MAX) >= MAX_SUBSCRIPTIONS {
            return Err(Invalid::new(
                "url",
                msg!(
                    "most-max-subscriptions-subscriptions",
                    max_subscriptions = MAX_SUBSCRIPTIONS
                ),
            )
            .into());
        }
        let mut raw = [0u8; 32];
        OsRng.fill_bytes(&mut raw);
        let secret = format!("whsec_{}", hex::encode(raw));
        let sealed = self.fields.encrypt(SECRET_FIELD, &secret);
        let id = tongban_kernel::id::new_uuid_v7();
        let now = self.catalog.now();
        let mut tx = self.catalog.db().begin_write().await?;
        let e = tx
            .append_event(
                actor,
                EventDraft::of(
                    &WebhookSubscribed {
                        resource: resource.code.clone(),
                        url: url.clone(),
                    },
                    &id,
                    Some(&resource.provider.path),
                    msg!(
                        "name-subscribed-new-versions",
                        name = actor.name,
                        resource = resource.code
                    ),
                ),
            )
            .await?;
        tx.execute(
            "INSERT INTO webhook_subscriptions (id, resource_id, resource_code, client_id, client_name, \
             client_path, url, secret, since_seq, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            params![
                id.as_str(),
                resource.id.as_str(),
                resource.code.as_str(),
                actor.id.as_str(),
                actor.name.as_str(),
                actor.department.as_ref().map(|d| d.as_str().to_owned()),
                url.as_str(),
                sealed,
                e.seq,
                now
            ],
        )
        .await?;
        tx.commit().await?;
        let sub = Subscription {
            id,
            resource: resource.code.clone(),
            url,
            created_ms: now.0,
            pending: 0,
            delivered: 0,
            failed: 0,
        };
        Ok((sub, secret))
    }

    /// The calling system's live subscriptions to resource `code`, oldest first.
    pub async fn subscriptions(&self, actor: &Principal, code: &str) -> Result<Vec<Subscription>> {
        only_systems(actor)?;
        let code = code.trim().to_uppercase();
        self.catalog
            .db()
            .fetch_all(
                &format!(
                    "SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions s \
                     LEFT JOIN webhook_deliveries d ON d.subscription_id = s.id \
                     WHERE s.client_id = $1 AND s.resource_code = $2 AND s.deleted_ms IS NULL \
                     GROUP BY s.id, s.resource_code, s.url, s.created_ms ORDER BY s.created_ms, s.id"
                ),
                params![actor.id.as_str(), code],
            )
            .await?
            .iter()
            .map(subscription_from)
            .collect()
    }

    /// One of the calling system's live subscriptions with its delivery log (newest first, at
    /// most `limit` entries). Another system's subscription is [`Error::NotFound`].
    pub async fn subscription(
        &self,
        actor: &Principal,
        code: &str,
        id: &str,
        limit: u32,
    ) -> Result<(Subscription, Vec<Delivery>)> {
        only_systems(actor)?;
        let code = code.trim().to_uppercase();
        let row = self
            .catalog
            .db()
            .fetch_optional(
                &format!(
                    "SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions s \
                     LEFT JOIN webhook_deliveries d ON d.subscription_id = s.id \
                     WHERE s.id = $1 AND s.client_id = $2 AND s.resource_code = $3 AND s.deleted_ms IS NULL \
                     GROUP BY s.id, s.resource_code, s.url, s.created_ms"
                ),
                params![id.trim(), actor.id.as_str(), code],
            )
            .await?
            .ok_or(Error::NotFound)?;
        let sub = subscription_from(&row)?;
        let log = self
            .catalog
            .db()
            .fetch_all(
                "SELECT id, version, status, attempts, last_status, last_error, next_ms, created_ms, updated_ms \
                 FROM webhook_deliveries WHERE subscription_id = $1 ORDER BY event_seq DESC LIMIT $2",
                params![sub.id.as_str(), i64::from(limit.clamp(1, 500))],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(Delivery {
                    id: r.get("id")?,
                    version: r.get("version")?,
                    status: r.get("status")?,
                    attempts: r.get("attempts")?,
                    last_status: r.get("last_status")?,
                    last_error: r.get("last_error")?,
                    next_ms: r.get("next_ms")?,
                    created_ms: r.get("created_ms")?,
                    updated_ms: r.get("updated_ms")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((sub, log))
    }

    /// Ends one of the calling system's subscriptions; deliveries still waiting are cancelled.
    #[tracing::instrument(skip_all)]
    pub async fn unsubscribe(&self, actor: &Principal, code: &str, id: &str) -> Result<()> {
        only_systems(actor)?;
        let code = code.trim().to_uppercase();
        let db = self.catalog.db();
        let row = db
            .fetch_optional(
                "SELECT id, resource_id FROM webhook_subscriptions \
                 WHERE id = $1 AND client_id = $2 AND resource_code = $3 AND deleted_ms IS NULL",
                params![id.trim(), actor.id.as_str(), code.as_str()],
            )
            .await?
            .ok_or(Error::NotFound)?;
        let id: String = row.get("id")?;
        let provider = self
            .catalog
            .resource_by_code(&Principal::system("exchange"), &code)
            .await
            .ok()
            .map(|r| r.provider.path);
        let now = self.catalog.now();
        let mut tx = db.begin_write().await?;
        let n = tx
            .execute(
                "UPDATE webhook_subscriptions SET deleted_ms = $1 WHERE id = $2 AND deleted_ms IS NULL",
                params![now, id.as_str()],
            )
            .await?;
        if n == 0 {
            return Err(Error::NotFound);
        }
        tx.execute(
            "UPDATE webhook_deliveries SET status = 'cancelled', updated_ms = $1 \
             WHERE subscription_id = $2 AND status = 'pending'",
            params![now, id.as_str()],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &WebhookUnsubscribed {
                    resource: code.clone(),
                },
                &id,
                provider.as_ref(),
                msg!("name-unsubscribed-from-code", name = actor.name, code = code),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Queues a delivery for every live subscription to each version recorded since the
    /// queue's cursor, in the transaction that moves the cursor (at least once; a replayed
    /// event queues nothing twice). A subscriber that can no longer read the resource (grant
    /// revoked or expired) is skipped. Returns the deliveries queued.
    #[tracing::instrument(skip_all)]
    pub async fn queue_webhooks(&self) -> Result<u64> {
        let db = self.catalog.db();
        let feed = Feed::new(db, CURSOR).of::<VersionRecorded>().batch(QUEUE_BATCH);
        let mut queued = 0;
        while let Some(batch) = feed.next().await? {
            let mut rows = Vec::new();
            for read in batch.read::<VersionRecorded>() {
                let (e, v) = read?;
                let subs = db
                    .fetch_all(
                        "SELECT id, client_id, client_name, client_path FROM webhook_subscriptions \
                         WHERE resource_id = $1 AND deleted_ms IS NULL AND since_seq < $2",
                        params![e.object_id.as_str(), e.seq],
                    )
                    .await?;
                for s in subs {
                    let who = subscriber(&s)?;
                    match self
                        .exchange_access(&who, &v.code, tongban_catalog::GrantUse::Exchange)
                        .await
                    {
                        Ok(_) => {}
                        Err(Error::Forbidden { .. } | Error::NotFound) => continue,
                        Err(other) => return Err(other),
                    }
                    let id = tongban_kernel::id::new_uuid_v7();
                    let body = json!({
                        "delivery": id,
                        "event": "resource.version",
                        "resource": v.code,
                        "version": v.version,
                        "rows": v.row_count,
                        "quality": v.quality_score,
                        "diff": v.diff,
                        "recorded_ms": e.at.0,
                        "changes": format!("/api/v1/exchange/{}/changes?since={}", v.code, v.version.saturating_sub(1)),
                    });
                    rows.push((id, s.get::<String>("id")?, e.seq, v.version, body.to_string()));
                }
            }
            let now = Millis::now();
            let mut tx = db.begin_write().await?;
            for (id, sub, seq, version, body) in &rows {
                queued += tx
                    .execute(
                        "INSERT INTO webhook_deliveries (id, subscription_id, event_seq, version, body, status, \
                         attempts, next_ms, created_ms, updated_ms) \
                         VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6, $6) \
                         ON CONFLICT (subscription_id, event_seq) DO NOTHING",
                        params![id.as_str(), sub.as_str(), *seq, *version, body.as_str(), now],
                    )
                    .await?;
            }
            batch.done(&mut tx).await?;
            tx.commit().await?;
        }
        Ok(queued)
    }

    /// Claims up to `limit` deliveries that are due, signs each for sending now, and holds them
    /// for a lease so that another sender does not send them too. The attempt is counted here:
    /// a sender that dies mid-way leaves the delivery to be tried again after the lease.
    pub async fn claim_webhooks(&self, limit: u32) -> Result<Vec<Outgoing>> {
        let db = self.catalog.db();
        let now = Millis::now();
        let due = db
            .fetch_all(
                "SELECT d.id, d.attempts, d.next_ms, d.body, s.url, s.secret, s.client_path FROM webhook_deliveries d \
                 JOIN webhook_subscriptions s ON s.id = d.subscription_id \
                 WHERE d.status = 'pending' AND d.next_ms <= $1 ORDER BY d.next_ms, d.id LIMIT $2",
                params![now, i64::from(limit.clamp(1, 1000))],
            )
            .await?;
        let lease = now.plus_ms(i64::try_from(LEASE.as_millis()).unwrap_or(i64::MAX));
        let mut out = Vec::with_capacity(due.len());
        for r in due {
            let id: String = r.get("id")?;
            let was: i64 = r.get("next_ms")?;
            let claimed = db
                .execute(
                    "UPDATE webhook_deliveries SET next_ms = $1, attempts = attempts + 1, updated_ms = $2 \
                     WHERE id = $3 AND status = 'pending' AND next_ms = $4",
                    params![lease, now, id.as_str(), was],
                )
                .await?;
            if claimed == 0 {
                continue;
            }
            let secret = self
                .fields
                .decrypt(SECRET_FIELD, &r.get::<String>("secret")?)
                .map_err(|e| Error::Io(std::io::Error::other(format!("webhook secret: {e}"))))?;
            let body: String = r.get("body")?;
            let timestamp = now.0.div_euclid(1000);
            out.push(Outgoing {
                headers: vec![
                    (SIGNATURE_HEADER, sign(&secret, timestamp, &body)),
                    (TIMESTAMP_HEADER, timestamp.to_string()),
                    (DELIVERY_HEADER, id.clone()),
                ],
                id,
                url: r.get("url")?,
                department: DeptPath(r.get("client_path")?),
                body,
                attempt: r.get::<u32>("attempts")? + 1,
            });
        }
        Ok(out)
    }

    /// Records what came of sending `sent`: a 2xx answer delivers it; anything else schedules
    /// the next attempt after the back-off, or gives up after `policy.max_attempts` (an event
    /// says so).
    #[tracing::instrument(skip_all)]
    pub async fn record_webhook_attempt(
        &self,
        sent: &Outgoing,
        outcome: &Attempt,
        policy: &RetryPolicy,
    ) -> Result<()> {
        let db = self.catalog.db();
        let now = Millis::now();
        let (status, error) = match outcome {
            Attempt::Answered(code) if (200..300).contains(code) => {
                db.execute(
                    "UPDATE webhook_deliveries SET status = 'delivered', last_status = $1, last_error = NULL, \
                     updated_ms = $2 WHERE id = $3 AND status = 'pending'",
                    params![i64::from(*code), now, sent.id.as_str()],
                )
                .await?;
                return Ok(());
            }
            Attempt::Answered(code) => (Some(i64::from(*code)), format!("HTTP {code}")),
            Attempt::Unreachable(why) => (None, why.chars().take(500).collect()),
        };
        if sent.attempt < policy.max_attempts.max(1) {
            let wait = i64::try_from(policy.backoff(sent.attempt).as_millis()).unwrap_or(i64::MAX);
            db.execute(
                "UPDATE webhook_deliveries SET next_ms = $1, last_status = $2, last_error = $3, updated_ms = $4 \
                 WHERE id = $5 AND status = 'pending'",
                params![now.plus_ms(wait), status, error.as_str(), now, sent.id.as_str()],
            )
            .await?;
            return Ok(());
        }
        let row = db
            .fetch_optional(
                "SELECT s.id, s.resource_code, s.url FROM webhook_deliveries d \
                 JOIN webhook_subscriptions s ON s.id = d.subscription_id WHERE d.id = $1",
                params![sent.id.as_str()],
            )
            .await?
            .ok_or(Error::NotFound)?;
        let (sub, code): (String, String) = (row.get("id")?, row.get("resource_code")?);
        let mut tx = db.begin_write().await?;
        let n = tx
            .execute(
                "UPDATE webhook_deliveries SET status = 'failed', last_status = $1, last_error = $2, updated_ms = $3 \
                 WHERE id = $4 AND status = 'pending'",
                params![status, error.as_str(), now, sent.id.as_str()],
            )
            .await?;
        if n == 0 {
            return Ok(());
        }
        tx.append_event(
            &Principal::system("webhooks"),
            EventDraft::of(
                &WebhookGaveUp {
                    delivery: sent.id.clone(),
                    resource: code.clone(),
                    attempts: sent.attempt,
                    last_error: error,
                },
                &sub,
                None,
                msg!("gave-up-webhook-delivery", attempt = sent.attempt, code = code),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn callback_urls_need_https_except_to_loopback() {
        assert!(check_callback_url("https://dept.example.gov.cn/hook", false).is_ok());
        assert!(check_callback_url("http://127.0.0.1:9000/hook", false).is_ok());
        assert!(check_callback_url("http://[::1]:9000/hook", false).is_ok());
        assert!(check_callback_url("http://localhost/hook", false).is_ok());
        let refused = check_callback_url("http://10.1.2.3/hook", false).unwrap_err();
        assert_eq!(refused.field, "url");
        assert!(check_callback_url("http://10.1.2.3/hook", true).is_ok());
        assert!(check_callback_url("ftp://x/hook", true).is_err());
        assert!(check_callback_url("https://user:pw@x.gov.cn/", false).is_err());
        assert!(check_callback_url("https:///nohost", false).is_err());
        assert!(check_callback_url("https://x.gov.cn/a b", false).is_err());
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy {
            max_attempts: 5,
            base: Duration::from_secs(10),
            cap: Duration::from_secs(60),
        };
        let waits: Vec<u64> = (1..=5).map(|a| p.backoff(a).as_secs()).collect();
        assert_eq!(waits, [10, 20, 40, 60, 60]);
    }

    #[test]
    fn a_signature_covers_time_and_body() {
        let s = sign("whsec_k", 1_700_000_000, "{\"v\":1}");
        assert!(s.starts_with("hmac-sm3=") && s.len() == "hmac-sm3=".len() + 64);
        assert!(verify_signature("whsec_k", 1_700_000_000, "{\"v\":1}", &s));
        assert!(!verify_signature("whsec_k", 1_700_000_001, "{\"v\":1}", &s));
        assert!(!verify_signature("whsec_k", 1_700_000_000, "{\"v\":2}", &s));
        assert!(!verify_signature("other", 1_700_000_000, "{\"v\":1}", &s));
    }
}
