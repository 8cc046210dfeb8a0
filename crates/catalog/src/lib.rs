//! The data resource catalog (政务信息资源目录, after GB/T 21063) and the sharing it enforces:
//! each resource's 信息项 fields with their sensitivity and quality rules, its sharing class
//! (无条件 / 有条件 / 不予共享) and open class, its data versions as the pool records them; the
//! sharing requests between departments with their working-day deadlines (data authority review,
//! provider decision, disputes); and the per-department (or per-system), per-resource, per-field
//! grants with purpose, expiry and row filter that the pool and the exchange API enforce. It also
//! exports the open part of the catalog as DCAT-AP JSON-LD. Every operation that has an actor
//! takes `&Principal` first and checks the permission itself; every write commits together with
//! its event.
//!
//! It never reads or stores the data itself (that is the pool's), never touches HTTP (`web` maps
//! these calls and [`Error`]s), and never depends on identity: departments are recorded by id and
//! path as the caller gives them ([`DeptRef`], [`Grantee`]), never joined to identity's tables.

// `coded_enum!` for every module below.
#[macro_use]
extern crate tongban_kernel;

mod access;
mod cache;
mod check;
pub mod dcat;
mod entry;
mod error;
pub mod events;
mod grant;
mod model;
mod open;
mod resource;
mod sharing;
mod version;

pub use access::*;
pub use cache::CACHE_FOR;
pub use entry::MAX_FIELDS;
pub use error::{Error, Result};
pub use model::*;
pub use sharing::{
    DECISION_DAYS, DECISION_DAYS_NO_DATA, DISPUTE_DAYS, MAX_VALIDITY_YEARS, REVIEW_DAYS, WARN_DAYS,
};
pub(crate) use tongban_db::decode::{from_json, parse_code, parse_date, to_json};

tongban_kernel::catalog!("catalog");

use jiff::civil::Date;
use jiff::tz::TimeZone;
use std::sync::Arc;
use tongban_db::{Db, Migration};
use tongban_kernel::{Millis, WorkCalendar};

/// This crate's tables: resources, resource_revisions, resource_versions, sharing_requests,
/// grants.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        owner: "catalog",
        version: 1,
        name: "catalog",
        sqlite: include_str!("../migrations/sqlite/0001_catalog.sql"),
        postgres: include_str!("../migrations/postgres/0001_catalog.sql"),
    },
    Migration {
        owner: "catalog",
        version: 2,
        name: "grant_uses",
        sqlite: include_str!("../migrations/sqlite/0002_grant_uses.sql"),
        postgres: include_str!("../migrations/postgres/0002_grant_uses.sql"),
    },
];

/// The catalog service: cheap to clone, shared by the web layer, the pool, the CLI and workers.
#[derive(Clone)]
pub struct Catalog {
    db: Db,
    calendar: Arc<WorkCalendar>,
    clock: tongban_kernel::Clock,
    zone: TimeZone,
    cache: Arc<cache::ReadCache>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("db", &self.db)
            .field("calendar_years", &self.calendar.years())
            .finish_non_exhaustive()
    }
}

impl Catalog {
    /// The service over `db` (migrated with [`MIGRATIONS`]), counting deadlines on `calendar`
    /// (the bundled years plus those an administrator added), with dates in Asia/Shanghai.
    pub fn new(db: Db, calendar: WorkCalendar) -> Self {
        Self {
            db,
            calendar: Arc::new(calendar),
            clock: tongban_kernel::Clock::system(),
            zone: tongban_kernel::time::zone(tongban_kernel::time::DEFAULT_ZONE),
            cache: Arc::default(),
        }
    }

    /// The same service reading time from `clock` (tests move time with it).
    pub fn with_clock(mut self, clock: impl Fn() -> Millis + Send + Sync + 'static) -> Self {
        self.clock = tongban_kernel::Clock::from_fn(clock);
        self
    }

    /// The same service taking "today" in the zone named `zone` (unknown names fall back to
    /// Asia/Shanghai).
    pub fn with_zone(mut self, zone: &str) -> Self {
        self.zone = tongban_kernel::time::zone(zone);
        self
    }

    /// The database handle.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The working-day calendar deadlines are counted on.
    pub fn calendar(&self) -> &WorkCalendar {
        &self.calendar
    }

    /// Now, by the service's clock.
    pub fn now(&self) -> Millis {
        self.clock.now()
    }

    /// Today's date in the service's zone.
    pub fn today(&self) -> Date {
        self.now().date_in(&self.zone)
    }
}
