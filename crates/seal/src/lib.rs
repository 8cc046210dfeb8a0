//! Electronic seals and e-licences (电子印章与电子证照), in the shape of GB/T 38540: each
//! department's seals (an SM2 key pair, metadata and a certificate the platform signs as 制章者),
//! the e-licences a department issues (a canonical document plus a signature structure: SM3
//! digest, SM2 signature, signing time and the seal), their gapless per-year numbers, revocation
//! by the issuing department, the holder's "my licences", and verification that works offline
//! from the exported public certificates alone. Every operation that has an actor takes
//! `&Principal` first and checks the permission itself; every write commits with its event.
//!
//! It never keeps a seal's private key in clear (it is wrapped by the keyring's master key), never
//! stores an ID number in clear (field-encrypted, with a blind index), never touches HTTP or
//! renders pages (`web` draws the licence page and the public verification page from what this
//! crate returns, QR code included), and never depends on identity: departments are recorded by
//! id, path and name as the caller gives them ([`Issuer`]).

// `coded_enum!` for every module below.
#[macro_use]
extern crate tongban_kernel;

pub mod canonical;
mod error;
pub mod events;
mod impression;
mod licence;
mod model;
pub mod offline;
mod qr;
mod seal;
pub mod sign;
mod verify;

pub use error::{Error, Result};
pub use impression::impression_svg;
pub use licence::{MAX_FIELDS, UsableLicence};
pub use model::*;
pub use offline::Exported;
pub use qr::{code_matches, file_data_hash, normalised_code, qr_svg, verification_code, verification_path};
pub use sign::DOCUMENT_FORMAT;
pub(crate) use tongban_db::decode::{parse_code, parse_date};
tongban_kernel::catalog!("seal");

pub use verify::{Outcome, RevokedEntry, TrustedSeals, Verdict, certificate_signed_by, verify_document};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use tongban_crypto::Keyring;
use tongban_db::{Db, Migration};
use tongban_kernel::Millis;

/// The largest seal picture accepted.
pub const MAX_PICTURE_BYTES: usize = 256 * 1024;

/// This crate's tables: seals, licence_counters, licences.
/// Where this crate keeps values sealed under the data keys (for re-encryption after a rotation).
pub const SEALED_COLUMNS: &[tongban_crypto::SealedColumn] = {
    use tongban_crypto::{Sealed, SealedColumn};
    &[
        SealedColumn {
            table: "licences",
            key: &["id"],
            column: "holder_id_enc",
            form: Sealed::Text {
                field: licence::HOLDER_FIELD,
            },
        },
        SealedColumn {
            table: "licences",
            key: &["id"],
            column: "signed_enc",
            form: Sealed::Text {
                field: licence::SIGNED_FIELD,
            },
        },
    ]
};

/// Where this crate keeps secrets wrapped under the master key (rewrapped when it is rotated).
pub const WRAPPED_COLUMNS: &[tongban_crypto::WrappedColumn] = &[tongban_crypto::WrappedColumn {
    table: "seals",
    key: "id",
    column: "private_key",
    prefix: "seal/",
}];

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        owner: "seal",
        version: 1,
        name: "seal",
        sqlite: include_str!("../migrations/sqlite/0001_seal.sql"),
        postgres: include_str!("../migrations/postgres/0001_seal.sql"),
    },
    Migration {
        owner: "seal",
        version: 2,
        name: "seal_rotation",
        sqlite: include_str!("../migrations/sqlite/0002_seal_rotation.sql"),
        postgres: include_str!("../migrations/postgres/0002_seal_rotation.sql"),
    },
];

/// The seal service: cheap to clone, shared by the web layer, the case hall, the CLI and the demo.
#[derive(Clone)]
pub struct Seals {
    db: Db,
    keyring: Keyring,
    clock: tongban_kernel::Clock,
    zone: TimeZone,
}

impl std::fmt::Debug for Seals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seals")
            .field("db", &self.db)
            .field("keyring", &self.keyring)
            .finish_non_exhaustive()
    }
}

impl Seals {
    /// The service over `db` (migrated with [`MIGRATIONS`]); seal keys are wrapped, ID numbers
    /// encrypted and certificates signed with `keyring`. Dates are taken in Asia/Shanghai.
    pub fn new(db: Db, keyring: Keyring) -> Self {
        Self {
            db,
            keyring,
            clock: tongban_kernel::Clock::system(),
            zone: tongban_kernel::time::zone(tongban_kernel::time::DEFAULT_ZONE),
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

    /// Now, by the service's clock.
    pub fn now(&self) -> Millis {
        self.clock.now()
    }

    /// Today's date in the service's zone.
    pub fn today(&self) -> Date {
        self.now().date_in(&self.zone)
    }
}
