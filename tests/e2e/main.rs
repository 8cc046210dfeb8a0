//! Real-browser tests of the main journeys: Chromium (headless) drives the real `tongban demo`
//! binary on a loopback port, typing into the forms and clicking the buttons a person would;
//! and a scan of the tour's pages as the demo serves them to each role (`tour`, no browser).
//!
//! Chromium is found at `TONGBAN_CHROMIUM`, `/usr/bin/chromium` or `/usr/bin/chromium-browser`.
//! The tests that need it (or axe-core, or schemathesis) are `#[ignore]`d with the reason, so
//! `cargo test --workspace` lists them as ignored instead of passing them unrun;
//! `cargo test --workspace --test e2e -- --ignored` runs them, and fails when what they need is
//! missing. The CI script installs everything and runs both.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accessibility;
mod applications;
mod attacks;
mod harness;
mod journeys;
mod schema;
mod tour;
