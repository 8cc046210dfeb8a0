#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Store and workflow tests for citizen interaction, each run on SQLite and (when
//! `TONGBAN_TEST_DATABASE_URL` is set) PostgreSQL.

mod attachments;
mod bad_input;
mod consultations;
mod duplicates;
mod privacy;
mod replies;
mod routing;
mod sla;
mod support;
mod surveys;
