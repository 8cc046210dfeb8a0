//! `tongban`: the one binary. Wires configuration, the database, keys, background workers and the
//! web server, and offers the operator's commands (migrate, users, departments, ledger
//! verification, backup and restore).

#[macro_use]
mod say;
mod backup;
mod cli;
mod commands;
mod config;
mod demo;
mod demo_data;
mod demo_hall;
mod demo_interact;
mod demo_seal;
mod egress;
mod jobs;
mod keys;
mod licences;
mod mail;
mod oidc;
mod platform;
mod pulls;
mod serve;
mod webhooks;

tongban_kernel::catalog!("tongban");

use clap::Parser;
use std::process::ExitCode;

/// mimalloc: loads and queries allocate per cell on several threads, where the system allocator
/// spent a quarter of the time (see docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn init_logs(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TONGBAN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_logs(&cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{}", say!("error", e = say::error(&e).to_string()));
            ExitCode::FAILURE
        }
    }
}
