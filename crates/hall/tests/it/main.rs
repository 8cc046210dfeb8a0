#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Store and workflow tests for the service hall, each run on SQLite and (when
//! `TONGBAN_TEST_DATABASE_URL` is set) PostgreSQL.

mod access;
mod bundle;
mod clock;
mod definitions;
mod draft;
mod handling;
mod joint;
mod licence;
mod material;
mod notify;
mod prefill;
mod rating;
mod submission;
mod support;
