//! Real-browser tests of the main journeys: Chromium (headless) drives the real `tongban demo`
//! binary on a loopback port, typing into the forms and clicking the buttons a person would;
//! and a scan of the tour's pages as the demo serves them to each role (`tour`, no browser).
//!
//! Chromium is found at `TONGBAN_CHROMIUM`, `/usr/bin/chromium` or `/usr/bin/chromium-browser`.
//! Without it these tests say so and pass on a developer's machine, but fail under CI (`CI` set),
//! whose script installs it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accessibility;
mod applications;
mod attacks;
mod harness;
mod journeys;
mod schema;
mod tour;
