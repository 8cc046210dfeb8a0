//! Citizen interaction (政民互动): inquiries, complaints, suggestions, help requests and praise
//! (咨询 / 投诉 / 建议 / 求助 / 表扬) from submission to rating. It owns the categories and the
//! routing rules that send an item to the responsible department (category + district), transfer
//! (转办), assistance (协办) and return (退回) between departments, possible-duplicate detection
//! and merging, the working-day time limits per kind and category on the shared legal clock with
//! their reminders and escalations to the department's leader (督办), the reply-quality checks
//! and the reviewer's approval of replies that will be public, the citizen's rating (满意 / 基本满意
//! / 不满意) with one reopening and a rectification entry (整改), the public board (政民互动公开)
//! with personal data removed, per-department statistics kept as counters on every write, and the
//! citizen's in-app notifications. Every operation that has an actor takes `&Principal` first and
//! checks the permission itself; every write commits together with its event (and, where a
//! citizen's item changes state, the citizen's notification).
//!
//! Attachments (photos, PDFs) are checked by content, lose their camera metadata (GPS Exif and
//! the like) and are stored encrypted, readable by the submitter and the staff who see the item.
//!
//! It never touches HTTP (`web` maps these calls and [`Error`]s, and owns Open311 encoding and
//! pages), never depends on identity (departments are recorded by id and path as the
//! caller gives them, [`DeptRef`]), never stores contact details in clear (they are
//! field-encrypted) and never shows a submission's personal data outside the handling department.

// `coded_enum!` for every module below.
#[macro_use]
extern crate tongban_kernel;

mod attachment;
mod board;
mod check;
mod config;
mod consultation;
mod due;
mod duplicate;
mod error;
pub mod events;
mod item;
mod model;
mod moderation;
mod notify;
mod open311;
mod rating;
mod reply;
mod routing;
mod sla;
mod sql;
mod store;
mod survey;

pub use attachment::{Attachment, AttachmentId, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS};
pub use board::BOARD_COUNT_CAP;
pub use check::{MAX_ADDRESS, MAX_COMMENT, MAX_NOTE, MAX_TEXT, MAX_TITLE};
pub use config::MAX_LIMIT_DAYS;
pub use consultation::{
    Adoption, Comment, CommentGroup, CommentId, CommentStatus, Consultation, ConsultationId,
    ConsultationInput, ESTABLISHED_MS, FeedbackEntry, HIDE_AT_WEIGHT, MAX_COMMENT_TEXT, Moderation,
    PublicFeedback, Section, report_weight,
};
pub use duplicate::{jaccard, shingles, simhash};
pub use error::{Error, Result};
pub use model::*;
pub use open311::{
    AttributeType, AttributeValues, MAX_OPEN311_PAGE, Open311Key, Open311Submission, RequestQuery,
    ServiceAttribute, ServiceChoice, ServiceDefinition, ServiceRequest, ServiceRequestNote,
};
pub use sla::{RECTIFICATION_DAYS, warn_days};
pub use survey::{
    Answer, MAX_ANSWER, MAX_OPTIONS, MAX_QUESTIONS, Question, QuestionKind, QuestionResult, Survey, SurveyId,
    SurveyInput, SurveyResults,
};
pub(crate) use tongban_db::decode::{from_json, parse_code, parse_date, to_json};
pub use tongban_kernel::upload::Upload;
pub use tongban_text::reply::{ReplyChecker, ReplyFlag, ReplyRule};

tongban_kernel::catalog!("interact");

use jiff::civil::Date;
use jiff::tz::TimeZone;
use std::sync::Arc;
use tongban_crypto::FieldCipher;
use tongban_db::{Db, Migration};
use tongban_kernel::{Millis, WorkCalendar};

/// This crate's tables: categories, time limits, rules, items with their log, assists, replies,
/// ratings, rectifications, escalations, department counters and notifications; then the
/// Open311 keys, service attributes and what an Open311 submission carries.
/// Where this crate keeps values sealed under the data keys (for re-encryption after a rotation).
pub const SEALED_COLUMNS: &[tongban_crypto::SealedColumn] = {
    use tongban_crypto::{Sealed, SealedColumn};
    &[
        SealedColumn {
            table: "interact_items",
            key: &["id"],
            column: "title",
            form: Sealed::Text {
                field: store::TITLE_FIELD,
            },
        },
        SealedColumn {
            table: "interact_items",
            key: &["id"],
            column: "body",
            form: Sealed::Text {
                field: store::BODY_FIELD,
            },
        },
        SealedColumn {
            table: "interact_items",
            key: &["id"],
            column: "contact_name",
            form: Sealed::Text {
                field: item::fields::NAME,
            },
        },
        SealedColumn {
            table: "interact_items",
            key: &["id"],
            column: "contact_phone",
            form: Sealed::Text {
                field: item::fields::PHONE,
            },
        },
        SealedColumn {
            table: "interact_items",
            key: &["id"],
            column: "contact_email",
            form: Sealed::Text {
                field: item::fields::EMAIL,
            },
        },
        SealedColumn {
            table: "interact_attachments",
            key: &["id"],
            column: "body",
            form: Sealed::Bytes {
                field: attachment::BODY_FIELD,
            },
        },
    ]
};

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        owner: "interact",
        version: 1,
        name: "interact",
        sqlite: include_str!("../migrations/sqlite/0001_interact.sql"),
        postgres: include_str!("../migrations/postgres/0001_interact.sql"),
    },
    Migration {
        owner: "interact",
        version: 2,
        name: "open311",
        sqlite: include_str!("../migrations/sqlite/0002_open311.sql"),
        postgres: include_str!("../migrations/postgres/0002_open311.sql"),
    },
    Migration {
        owner: "interact",
        version: 3,
        name: "survey",
        sqlite: include_str!("../migrations/sqlite/0003_survey.sql"),
        postgres: include_str!("../migrations/postgres/0003_survey.sql"),
    },
    Migration {
        owner: "interact",
        version: 4,
        name: "consultation",
        sqlite: include_str!("../migrations/sqlite/0004_consultation.sql"),
        postgres: include_str!("../migrations/postgres/0004_consultation.sql"),
    },
    Migration {
        owner: "interact",
        version: 5,
        name: "board_index",
        sqlite: include_str!("../migrations/sqlite/0005_board_index.sql"),
        postgres: include_str!("../migrations/postgres/0005_board_index.sql"),
    },
    Migration {
        owner: "interact",
        version: 6,
        name: "delivery",
        sqlite: include_str!("../migrations/sqlite/0006_delivery.sql"),
        postgres: include_str!("../migrations/postgres/0006_delivery.sql"),
    },
    Migration {
        owner: "interact",
        version: 7,
        name: "attachment",
        sqlite: include_str!("../migrations/sqlite/0007_attachment.sql"),
        postgres: include_str!("../migrations/postgres/0007_attachment.sql"),
    },
    Migration {
        owner: "interact",
        version: 8,
        name: "report_weight",
        sqlite: include_str!("../migrations/sqlite/0008_report_weight.sql"),
        postgres: include_str!("../migrations/postgres/0008_report_weight.sql"),
    },
    Migration {
        owner: "interact",
        version: 9,
        name: "bigint",
        sqlite: include_str!("../migrations/sqlite/0009_bigint.sql"),
        postgres: include_str!("../migrations/postgres/0009_bigint.sql"),
    },
];

/// Tunable limits of the service; [`Settings::default`] holds the values a city starts with.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Anonymous suggestions accepted per source (e.g. a hashed IP address) in one hour.
    pub anonymous_per_hour: u32,
    /// Items of the same category within this many metres are possible duplicates.
    pub duplicate_radius_m: f64,
    /// Only items submitted within this many days of each other are compared.
    pub duplicate_window_days: i64,
    /// Texts at least this similar (Jaccard of character shingles, 0..=1) are possible duplicates.
    pub duplicate_text_similarity: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            anonymous_per_hour: 3,
            duplicate_radius_m: 200.0,
            duplicate_window_days: 30,
            duplicate_text_similarity: 0.7,
        }
    }
}

/// The interaction service: cheap to clone, shared by the web layer, the CLI and workers.
#[derive(Clone)]
pub struct Interact {
    db: Db,
    fields: FieldCipher,
    calendar: Arc<WorkCalendar>,
    clock: tongban_kernel::Clock,
    zone: TimeZone,
    settings: Arc<Settings>,
    checker: Arc<ReplyChecker>,
}

impl std::fmt::Debug for Interact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interact")
            .field("db", &self.db)
            .field("calendar_years", &self.calendar.years())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Interact {
    /// The service over `db` (migrated with [`MIGRATIONS`]), encrypting contact details with
    /// `fields`, counting time limits on `calendar` (the bundled years plus those an
    /// administrator added), with dates in Asia/Shanghai.
    pub fn new(db: Db, fields: FieldCipher, calendar: WorkCalendar) -> Self {
        Self {
            db,
            fields,
            calendar: Arc::new(calendar),
            clock: tongban_kernel::Clock::system(),
            zone: tongban_kernel::time::zone(tongban_kernel::time::DEFAULT_ZONE),
            settings: Arc::new(Settings::default()),
            checker: Arc::new(ReplyChecker::default()),
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

    /// The same service with other limits.
    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.settings = Arc::new(settings);
        self
    }

    /// The same service checking replies with `checker` (the maintained phrase lists).
    pub fn with_reply_checker(mut self, checker: ReplyChecker) -> Self {
        self.checker = Arc::new(checker);
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

    /// The limits in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
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
