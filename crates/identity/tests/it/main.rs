//! Store and workflow tests for unified identity, each run on SQLite and (when configured)
//! PostgreSQL.

#![allow(clippy::unwrap_used)]

mod access;
mod approval;
mod clients;
mod login;
mod mfa;
mod privacy;
mod registration;
mod sessions;
mod spans;
mod support;
