//! The tamper-evident ledger (账本): a background worker reads committed `events` in `seq`
//! order and chains each into an SM3 hash chain (`ledger_entries`), signs a checkpoint of the
//! chain with the platform's SM2 key every N events or T seconds (`ledger_checkpoints`), and
//! [`verify`] recomputes everything and names the first bad entry. It also serves security
//! admins a filtered view and CSV export of the events with their chain links.
//!
//! It never changes an event, never appends events of its own, never re-orders or skips one, and
//! never trusts a key it finds in the database: verification keys come from the keys directory.
//!
//! # The chain, for auditors who re-implement it
//!
//! All hashes are SM3 (GB/T 32905-2016); integers are 64-bit two's complement, big-endian.
//!
//! 1. **Canonical event bytes.** The columns of `events` in this order: `seq, id, at_ms,
//!    actor_kind, actor_id, actor_name, actor_dept, action, object_type, object_id, object_dept,
//!    summary, detail`, each written as
//!    - `seq`, `at_ms` (integers): 8 bytes;
//!    - a NOT NULL text column: its UTF-8 byte length as 8 bytes, then the bytes;
//!    - a nullable text column (`actor_dept`, `object_dept`): the byte `0x00` when NULL, else the
//!      byte `0x01` followed by the length-prefixed text as above.
//! 2. **Event hash.** `event_hash_n = SM3(canonical bytes of event n)`.
//! 3. **Chain.** `chain_0 = SM3("tongban-ledger-v1")` (the 17 ASCII bytes, the genesis), and
//!    `chain_n = SM3(chain_{n-1} || event_hash_n || seq_n)`: 32 + 32 + 8 bytes. Sequence numbers
//!    start at 1 and have no gaps. `ledger_entries` stores both hashes as lower-case hex.
//! 4. **Checkpoint.** The platform signs, with SM2 (GB/T 32918.2, distinguishing id
//!    `1234567812345678`, signature `r || s` stored as 128 hex characters), the 76-byte message
//!    `"tongban-ledger-checkpoint-v1" || upto_seq || chain_{upto_seq} || signed_ms`
//!    (28 ASCII bytes, 8, 32 raw digest bytes, 8). `key_fingerprint` names the signing key: the
//!    first 16 hex characters of SM3 over its uncompressed SEC1 public key.
//!
//! A verifier walks events and entries together from seq 1, recomputing both hashes, and checks
//! every checkpoint against the recomputed chain and against keys it trusts from elsewhere.
//! Entries after the last checkpoint are protected by the chain only until the next one is signed.

mod chain;
mod error;
pub mod hash;
mod report;
mod verify;
mod view;
mod watch;

pub use chain::{Checkpoint, Ledger, LedgerConfig};
pub use error::Error;
pub use report::{Problem, ProblemKind, VerifyReport};
pub use verify::verify;
pub use view::{
    ChainLink, CsvExport, EntryFilter, EntryPage, LedgerEntry, LedgerStatus, export_csv, list_entries, status,
};
pub use watch::{Checked, LedgerWatch};

tongban_kernel::catalog!("ledger");

use tongban_db::Migration;

/// The result of a ledger call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The ledger's tables: entries, checkpoints and the writer lock.
pub const MIGRATIONS: &[Migration] = &[Migration {
    owner: "ledger",
    version: 1,
    name: "ledger",
    sqlite: include_str!("../migrations/sqlite/0001_ledger.sql"),
    postgres: include_str!("../migrations/postgres/0001_ledger.sql"),
}];
