//! The binary end to end: the demo seeds once, backups restore into a new data directory, and
//! the ledger verifies from the command line, and a killed process loses nothing it committed.
//! And the schema: every crate's migrations give SQLite and PostgreSQL the same one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod drills;
mod layout;
mod schema;
