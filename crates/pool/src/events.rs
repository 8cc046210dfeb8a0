//! The events the pool appends, as types (see `tongban_db::EventKind`). Details never hold a
//! password, a secret or a personal value read: URLs are shown without their password and SQL
//! and queries with their values masked.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

tongban_db::event_kinds! {
    prefix "pool.";
    /// A department system subscribed to a resource's new versions (change notices).
    WebhookSubscribed = "pool.webhook.subscribed" on "webhook_subscription" {
        /// The resource's code.
        resource: String,
        /// The callback URL.
        url: String,
    }
    /// A subscription was ended; its pending deliveries were cancelled.
    WebhookUnsubscribed = "pool.webhook.unsubscribed" on "webhook_subscription" {
        /// The resource's code.
        resource: String,
    }
    /// A delivery failed its last attempt and will not be tried again.
    WebhookGaveUp = "pool.webhook.gave_up" on "webhook_subscription" {
        /// The delivery's id.
        delivery: String,
        /// The resource's code.
        resource: String,
        /// Attempts made.
        attempts: u32,
        /// Why the last attempt failed.
        last_error: String,
    }
    /// A pool query ran.
    QueryRan = "pool.query.ran" on "query" {
        /// Each resource read (by code), with the basis it was read on (`provider`, `grant`,
        /// `open`).
        resources: BTreeMap<String, String>,
        /// The purpose given.
        purpose: String,
        /// Rows returned.
        rows: usize,
        /// Whether the rows were cut at the limit.
        truncated: bool,
        /// How long it took, in ms.
        elapsed_ms: u64,
        /// The SQL's shape, values masked.
        sql: String,
    }
    /// A pool query was stopped at its time limit.
    QueryTimedOut = "pool.query.timed_out" on "query" {
        /// The codes of the resources it read.
        resources: Vec<String>,
        /// The purpose given.
        purpose: String,
        /// The time limit, in seconds.
        timeout_s: u64,
        /// The SQL's shape, values masked.
        sql: String,
    }
    /// A pool query was refused before it ran.
    QueryRefused = "pool.query.refused" on "query" {
        /// Why.
        reason: String,
        /// The SQL's shape, values masked.
        sql: String,
    }
    /// A scheduled pull from a department database was configured.
    PullAdded = "pool.pull.added" on "pool_pull" {
        /// The resource's code.
        resource: String,
        /// The connection URL without its password.
        url: String,
        /// The table read.
        table: String,
        /// Minutes between runs.
        every_minutes: u32,
    }
    /// A scheduled pull was stopped.
    PullRemoved = "pool.pull.removed" on "pool_pull" {
        /// The resource's code.
        resource: String,
        /// The table it read.
        table: String,
    }
    /// A run of a scheduled pull failed (a successful run is told by its version event).
    PullFailed = "pool.pull.failed" on "pool_pull" {
        /// The resource's code.
        resource: String,
        /// The table read.
        table: String,
        /// How the run went (bilingual).
        status: String,
    }
    /// An address range was allowed as a destination for a department.
    EgressAllowed = "pool.egress.allowed" on "egress_rule" {
        /// The range, in CIDR form.
        cidr: String,
        /// What it is for.
        purpose: String,
    }
    /// An address range was taken off a department's allow-list.
    EgressRemoved = "pool.egress.removed" on "egress_rule" {
        /// The range, in CIDR form.
        cidr: String,
    }
    /// A resource's column mapping was saved (empty: cleared).
    MappingSaved = "pool.mapping.saved" on "resource" {
        /// The resource's code.
        code: String,
        /// Field code ← source column.
        mapping: BTreeMap<String, String>,
    }
    /// A caller read a resource through the exchange or a prefill: one event per caller,
    /// resource and use in a group commit, listing its reads in order.
    ExchangeRead = "pool.exchange.read" on "resource" {
        /// `exchange` or `prefill`.
        #[serde(rename = "use")]
        reader: String,
        /// How many reads.
        reads: usize,
        /// Records returned by them all.
        records: usize,
        /// The reads.
        calls: Vec<ExchangeCall>,
    }
}

/// One read as its event lists it. Personal values in the query are masked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExchangeCall {
    /// When it was made (ms since the epoch).
    pub at_ms: i64,
    /// The purpose given.
    pub purpose: String,
    /// What was looked up, personal values masked.
    pub query: Map<String, Value>,
    /// The fields returned.
    pub fields: Vec<String>,
    /// Records returned.
    pub count: usize,
    /// The version read.
    pub version: u32,
    /// `provider`, `grant` or `open`.
    pub basis: String,
    /// The grant read under, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant: Option<String>,
}
