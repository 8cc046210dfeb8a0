//! Store tests for the ledger, each run on SQLite and (when configured) PostgreSQL.

mod chain;
mod support;
mod tamper;
mod view;
