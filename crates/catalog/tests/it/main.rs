//! Store and workflow tests for the catalog and the sharing it enforces, each run on SQLite and
//! (when `TONGBAN_TEST_DATABASE_URL` is set) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod grants;
mod resources;
mod sharing;
mod support;
