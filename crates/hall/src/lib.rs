//! The one-stop service hall (一网通办): service items (事项) with their materials, typed form
//! fields, fees and time limits; the versioned workflow of each item (受理 → 审查 → 决定 → 办结,
//! each step assigned to a department and role, with parallel joint review 会签 / 或签 / ratio
//! across departments); and cases (办件) from submission to completion on the shared legal
//! clock — acceptance or refusal, one 补正 request that stops the clock, review, joint review,
//! decision, issue, transfer, delegation, internal notes, withdrawal and extension (延期) — with
//! the staff inbox per department and role and the supervisor's view of a department subtree.
//! Every operation that has an actor takes `&Principal` first and checks the right itself;
//! every write commits together with its event.
//!
//! It never touches HTTP (`web` maps these calls and [`Error`]s), never depends on identity
//! (departments are resolved through a [`Directory`] the caller supplies and recorded by id, path
//! and name), never reads the data pool or signs licences itself (a form field only *names* its source — a
//! shared resource field — and the hall reads it through a [`PrefillSource`] the caller wires;
//! a material names an e-licence type for the seal service to fill in), and never stores personal form values in clear (they are
//! field-encrypted and shown masked).

// `coded_enum!` for every module below.
#[macro_use]
extern crate tongban_kernel;

mod access;
mod action;
mod bundle;
mod case;
mod directory;
mod draft;
mod due;
mod error;
pub mod events;
mod extension;
mod form;
mod item;
mod letter;
mod licence;
mod material;
mod model;
mod notify;
mod pause;
mod prefill;
mod query;
mod rating;
mod reveal;
mod store;
mod supplement;
mod transfer;
mod workflow;

pub use access::STEP_ROLES;
pub use action::MAX_NOTE;
pub use bundle::{
    Bundle, BundleCaseId, BundleId, BundleInput, BundleView, MAX_BUNDLE_ITEMS, NewBundleCase, bundle_fields,
    bundle_materials, issued_in_bundle,
};
pub use directory::{DeptRef, Directory, DirectoryFuture, StaticDirectory};
pub use draft::{MAX_DRAFT_BYTES, MAX_DRAFTS, SavedDraft};
pub use error::{Error, Result};
pub use extension::MAX_EXTENSION_DAYS;
pub use form::MAX_FORM_VALUE;
pub use letter::{DecisionLetter, LetterKind};
pub use material::{
    CaseMaterial, FileId, MAX_PENDING_FILES, MAX_UPLOAD_BYTES, MaterialInput, Provided, StoredFile, Upload,
};
pub use model::*;
pub use notify::HallNotification;
pub use pause::reason_names as pause_reason_names;
pub use prefill::{
    HolderFuture, KnownAnswer, PersonalFuture, PrefillFuture, PrefillQuery, PrefillSource, RecordHolder,
    SourceRecord, prefill_marks,
};
pub use rating::{
    MAX_COMMENT, RECTIFY_DAYS, Rating, RatingInput, RatingLevel, Rectification, RectificationClose,
    RectificationStatus,
};
pub use reveal::{MAX_REVEAL_NOTE, RevealReason, Revealed};
pub(crate) use tongban_db::decode::{from_json, parse_code, parse_date, to_json};
pub use tongban_kernel::Recount;

tongban_kernel::catalog!("hall");

use jiff::civil::Date;
use jiff::tz::TimeZone;
use std::sync::Arc;
use tongban_crypto::FieldCipher;
use tongban_db::{Db, Migration};
use tongban_kernel::{Millis, WorkCalendar};

/// Working days before the due day at which a case or task is shown yellow (临期).
pub const WARN_DAYS: u32 = 2;

/// 行政许可法 第32条: a 补正 notice must be given within five working days of receipt.
pub const SUPPLEMENT_WINDOW_DAYS: u32 = 5;

/// This crate's tables: service items, workflow versions, cases with their tasks and timeline,
/// and the per-day case number counters.
/// Where this crate keeps values sealed under the data keys (for re-encryption after a rotation).
pub const SEALED_COLUMNS: &[tongban_crypto::SealedColumn] = {
    use tongban_crypto::{Sealed, SealedColumn};
    &[
        SealedColumn {
            table: "hall_cases",
            key: &["id"],
            column: "form_sealed",
            form: Sealed::TextMap {
                prefix: form::SEAL_PREFIX,
            },
        },
        SealedColumn {
            table: "hall_drafts",
            key: &["owner_id", "id"],
            column: "body",
            form: Sealed::Text {
                field: draft::BODY_FIELD,
            },
        },
        SealedColumn {
            table: "hall_files",
            key: &["id"],
            column: "body",
            form: Sealed::Bytes {
                field: material::BODY_FIELD,
            },
        },
    ]
};

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        owner: "hall",
        version: 1,
        name: "hall",
        sqlite: include_str!("../migrations/sqlite/0001_hall.sql"),
        postgres: include_str!("../migrations/postgres/0001_hall.sql"),
    },
    Migration {
        owner: "hall",
        version: 2,
        name: "licence",
        sqlite: include_str!("../migrations/sqlite/0002_licence.sql"),
        postgres: include_str!("../migrations/postgres/0002_licence.sql"),
    },
    Migration {
        owner: "hall",
        version: 3,
        name: "rating",
        sqlite: include_str!("../migrations/sqlite/0003_rating.sql"),
        postgres: include_str!("../migrations/postgres/0003_rating.sql"),
    },
    Migration {
        owner: "hall",
        version: 4,
        name: "material",
        sqlite: include_str!("../migrations/sqlite/0004_material.sql"),
        postgres: include_str!("../migrations/postgres/0004_material.sql"),
    },
    Migration {
        owner: "hall",
        version: 5,
        name: "notification",
        sqlite: include_str!("../migrations/sqlite/0005_notification.sql"),
        postgres: include_str!("../migrations/postgres/0005_notification.sql"),
    },
    Migration {
        owner: "hall",
        version: 6,
        name: "watch_index",
        sqlite: include_str!("../migrations/sqlite/0006_watch_index.sql"),
        postgres: include_str!("../migrations/postgres/0006_watch_index.sql"),
    },
    Migration {
        owner: "hall",
        version: 7,
        name: "bundle",
        sqlite: include_str!("../migrations/sqlite/0007_bundle.sql"),
        postgres: include_str!("../migrations/postgres/0007_bundle.sql"),
    },
    Migration {
        owner: "hall",
        version: 8,
        name: "delivery",
        sqlite: include_str!("../migrations/sqlite/0008_delivery.sql"),
        postgres: include_str!("../migrations/postgres/0008_delivery.sql"),
    },
    Migration {
        owner: "hall",
        version: 9,
        name: "topics",
        sqlite: include_str!("../migrations/sqlite/0009_topics.sql"),
        postgres: include_str!("../migrations/postgres/0009_topics.sql"),
    },
    Migration {
        owner: "hall",
        version: 10,
        name: "item_name_en",
        sqlite: include_str!("../migrations/sqlite/0010_item_name_en.sql"),
        postgres: include_str!("../migrations/postgres/0010_item_name_en.sql"),
    },
    Migration {
        owner: "hall",
        version: 11,
        name: "drafts",
        sqlite: include_str!("../migrations/sqlite/0011_drafts.sql"),
        postgres: include_str!("../migrations/postgres/0011_drafts.sql"),
    },
    Migration {
        owner: "hall",
        version: 12,
        name: "bigint",
        sqlite: include_str!("../migrations/sqlite/0012_bigint.sql"),
        postgres: include_str!("../migrations/postgres/0012_bigint.sql"),
    },
];

/// The hall service: cheap to clone, shared by the web layer, the CLI and workers.
#[derive(Clone)]
pub struct Hall {
    db: Db,
    fields: FieldCipher,
    calendar: Arc<WorkCalendar>,
    directory: Arc<dyn Directory>,
    prefill: Option<Arc<dyn PrefillSource>>,
    seals: Option<tongban_seal::Seals>,
    clock: tongban_kernel::Clock,
    zone: TimeZone,
}

impl std::fmt::Debug for Hall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hall")
            .field("db", &self.db)
            .field("calendar_years", &self.calendar.years())
            .finish_non_exhaustive()
    }
}

impl Hall {
    /// The service over `db` (migrated with [`MIGRATIONS`]), encrypting personal form values
    /// with `fields`, counting time limits on `calendar` (the bundled years plus those an
    /// administrator added), resolving departments through `directory`, with dates in
    /// Asia/Shanghai.
    pub fn new(db: Db, fields: FieldCipher, calendar: WorkCalendar, directory: Arc<dyn Directory>) -> Self {
        Self {
            db,
            fields,
            calendar: Arc::new(calendar),
            directory,
            prefill: None,
            seals: None,
            clock: tongban_kernel::Clock::system(),
            zone: tongban_kernel::time::zone(tongban_kernel::time::DEFAULT_ZONE),
        }
    }

    /// The same service issuing e-licences through `seals` when an item that produces one is
    /// completed (办结). Without it, completing such an item is refused.
    pub fn with_seals(mut self, seals: tongban_seal::Seals) -> Self {
        self.seals = Some(seals);
        self
    }

    /// The same service prefilling forms from `source` (预填). Without it, no answer is
    /// prefilled.
    pub fn with_prefill(mut self, source: Arc<dyn PrefillSource>) -> Self {
        self.prefill = Some(source);
        self
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

    /// The working-day calendar time limits are counted on.
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
