//! HTTP tests: a real server on a random loopback port, driven by a real client, on SQLite and
//! (when configured) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod bundles;
mod consultations;
mod fuzz;
mod hall;
mod interact_pages;
mod items;
mod licences;
mod materials;
mod oidc;
mod open311;
mod pages;
mod prefill;
mod sharing;
mod support;
mod surveys;
mod tls;
