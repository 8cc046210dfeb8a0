//! The HTTP face of Tongban: the public portal and the staff console as server-rendered pages,
//! the JSON API under `/api/v1` (described at `/api/openapi.json`), `/healthz` and `/metrics`.
//!
//! It maps HTTP to domain calls and domain errors to HTTP, and holds no business rule: every
//! permission check and every write happens in the domain crates, which see a `Principal`, never a
//! request. Pages are plain forms that work without JavaScript, zh-CN first with an English switch.

// `Problem` is the body of a failed HTTP request, built once per failure and returned at once:
// boxing it would only add an allocation.
#![allow(clippy::result_large_err)]

pub(crate) mod api;
mod case_text;
mod chart;
mod console;
mod context;
pub mod directory;
mod errors;
pub mod i18n;
mod json;
pub mod markup;
pub mod metrics;
mod multipart;
mod oidc;
mod open311;
mod page;
pub mod platform;
mod portal;
pub mod prefill;
pub mod problem;
mod security;
mod server;

pub use context::Ctx;
pub use server::{TlsFiles, serve};

use std::sync::Arc;
use std::time::Duration;
use tongban_db::Db;
use tongban_identity::Identity;

// The messages this crate's refusals and field errors carry (`msg!`), from
// `locales/<language>/messages.ftl`; page texts are the other files there, read by `i18n`.
tongban_kernel::catalog!("messages");

/// Settings the web layer needs.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Zone dates are shown in.
    pub zone: jiff::tz::TimeZone,
    /// Served over TLS (cookies get `Secure`, responses get HSTS).
    pub tls: bool,
    /// Show the demo banner.
    pub demo: bool,
    /// Largest request body in bytes.
    pub body_limit: usize,
    /// Largest file a console data load accepts, in bytes.
    pub upload_limit: u64,
    /// Time a request may take.
    pub request_timeout: Duration,
    /// Where uploads are streamed before they are loaded.
    pub upload_dir: std::path::PathBuf,
    /// Exchange API calls each department system may make per second (sustained).
    pub exchange_rate: u32,
    /// Exchange API calls a department system may make at once before the rate applies.
    pub exchange_burst: u32,
}

impl Default for WebSettings {
    fn default() -> Self {
        Self {
            zone: tongban_kernel::time::zone(tongban_kernel::time::DEFAULT_ZONE),
            tls: false,
            demo: false,
            body_limit: 1024 * 1024,
            upload_limit: 1 << 30,
            request_timeout: Duration::from_secs(30),
            upload_dir: std::env::temp_dir().join("tongban-uploads"),
            exchange_rate: 200,
            exchange_burst: 400,
        }
    }
}

/// Everything a handler can reach: the [`Services`] behind one shared pointer, so the clone
/// every extractor and layer makes is a single reference count, not one per service.
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    /// The state handlers share.
    pub fn new(services: Services) -> Self {
        Self(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// The services behind [`AppState`].
pub struct Services {
    /// The database.
    pub db: Db,
    /// Accounts, sessions, departments.
    pub identity: Identity,
    /// The OIDC provider that signs people into department systems.
    pub oidc: tongban_identity::oidc::Oidc,
    /// The data resource catalog, sharing requests and grants.
    pub catalog: tongban_catalog::Catalog,
    /// The data pool: ingestion into the lake.
    pub pool: tongban_pool::Pool,
    /// Loads started from the console.
    pub loads: console::upload::Loads,
    /// Background verification of the ledger, with its latest result.
    pub ledger_watch: tongban_ledger::LedgerWatch,
    /// Settings.
    pub settings: Arc<WebSettings>,
    /// HTTP metrics.
    pub metrics: metrics::Metrics,
    /// Rate limits of the exchange API, per department system.
    pub limiter: tongban_kernel::ratelimit::Limiter,
    /// Citizen interaction (政民互动): items, replies, ratings, the public board, Open311.
    pub interact: tongban_interact::Interact,
    /// Department seals and e-licences: issue, revoke, "my licences", public verification.
    pub seals: tongban_seal::Seals,
    /// The service hall (一网通办): items, cases, the staff inbox.
    pub hall: tongban_hall::Hall,
}

pub use server::router;
