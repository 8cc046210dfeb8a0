//! Ingestion tests: files in, governed parquet versions out, recorded in the catalog; each run
//! on SQLite and (when `TONGBAN_TEST_DATABASE_URL` is set) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The allocator the `tongban` binary runs loads with (memory bounds are checked as it runs there).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod bad_input;
mod egress;
mod exchange;
mod ingest;
mod mappings;
mod object_lake;
mod pulls;
mod query;
mod references;
mod sources;
mod support;
mod webhooks;
