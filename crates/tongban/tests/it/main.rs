//! The binary end to end: the demo seeds once, backups restore into a new data directory, and
//! the ledger verifies from the command line.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
