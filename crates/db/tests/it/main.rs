//! Store tests for the database layer, run on SQLite and (when configured) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cancel;
mod events;
mod feeds;
