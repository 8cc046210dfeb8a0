//! Storage for every Tongban crate: one [`Db`] that is SQLite (the embedded default) or
//! PostgreSQL, chosen by URL; per-crate migrations for each backend; transactions whose writes
//! always append their [`Event`] in the same commit; and a harness that runs a store test on both
//! backends.
//!
//! Domain crates see only this crate's types ([`Value`], [`Row`], [`Tx`]), never sqlx. Where
//! SQLite and PostgreSQL really differ, the difference lives here. This crate knows no domain.

pub mod calendar;
mod db;
pub mod decode;
mod dump;
mod error;
pub mod event;
mod migrate;
pub mod sql;
mod value;

pub use db::{Backend, Db, DbOptions, Tx};
pub use error::Error;
pub use event::{Batch, Event, EventDraft, EventKind, Feed};
pub use migrate::Migration;
pub use value::{FromValue, Row, ToValue, Value};

tongban_kernel::catalog!("db");

/// The result of a storage call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Builds a `Vec<Value>` of query parameters: `params![name, 42, maybe_text]`.
#[macro_export]
macro_rules! params {
    () => { ::std::vec::Vec::<$crate::Value>::new() };
    ($($p:expr),+ $(,)?) => { ::std::vec![$($crate::ToValue::to_value(&$p)),+] };
}

/// This crate's own tables: the events every write appends, and the cursors of the workers that
/// read them.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        owner: "db",
        version: 1,
        name: "events",
        sqlite: include_str!("../migrations/sqlite/0001_events.sql"),
        postgres: include_str!("../migrations/postgres/0001_events.sql"),
    },
    Migration {
        owner: "db",
        version: 2,
        name: "calendar",
        sqlite: include_str!("../migrations/sqlite/0002_calendar.sql"),
        postgres: include_str!("../migrations/postgres/0002_calendar.sql"),
    },
];
