//! The operator's commands: `run` dispatches to them, and the helpers here build the services
//! a command needs from the opened platform, acting as the platform itself.

mod accounts;
mod calendar;
mod data;
mod open311;

use crate::cli::{CalendarCommand, CatalogCommand, Cli, Command, LedgerCommand};
use crate::{backup, config, egress, keys, licences, oidc, platform, pulls, serve};
use anyhow::Result;
use std::process::ExitCode;
use tongban_identity::Identity;
use tongban_kernel::Principal;
use tongban_ledger::{Ledger, LedgerConfig};

pub(crate) fn system() -> Principal {
    Principal::system("cli")
}

pub(crate) fn identity_for(p: &platform::Platform, serve: Option<&config::Serve>) -> Identity {
    p.wiring(serve).identity()
}

/// The interaction service with the calendar in force (shipped years plus entered ones).
pub(crate) async fn interact_for(p: &platform::Platform, zone: &str) -> Result<tongban_interact::Interact> {
    Ok(p.wiring(None).zone(zone).interact())
}

/// The service hall with the calendar in force, departments from identity, and licences signed
/// by the seal service (commands that need no prefill).
pub(crate) async fn hall_for(
    p: &platform::Platform,
    identity: &Identity,
    zone: &str,
) -> Result<tongban_hall::Hall> {
    let wiring = p.wiring(None).zone(zone);
    Ok(wiring.hall(identity, &wiring.seals(), None))
}

/// The catalog service with the calendar in force (shipped years plus entered ones).
pub(crate) async fn catalog_for(p: &platform::Platform) -> Result<tongban_catalog::Catalog> {
    Ok(p.wiring(None).catalog())
}

/// Runs the command `cli` names.
pub(crate) async fn run(cli: Cli) -> Result<ExitCode> {
    let (store, file) = config::resolve_store(&cli.store)?;
    match cli.command {
        Command::Serve(args) => {
            let serve = config::resolve_serve(&args, &file)?;
            let p = platform::open(store).await?;
            serve::serve(p, serve, None).await?;
        }
        Command::Demo {
            serve: args,
            seed_only,
        } => {
            let serve = config::resolve_serve(&args, &file)?;
            serve::demo(platform::open(store).await?, serve, seed_only).await?;
        }
        Command::Migrate => {
            let p = platform::open(store).await?;
            println!(
                "{}",
                say!(
                    "database-schema-up-date",
                    backend = format!("{:?}", p.db.backend())
                )
            );
        }
        Command::User(cmd) => {
            let p = platform::open(store).await?;
            accounts::user_command(&identity_for(&p, None), cmd).await?;
        }
        Command::Department(cmd) => {
            let p = platform::open(store).await?;
            accounts::department_command(&identity_for(&p, None), cmd).await?;
        }
        Command::Client(cmd) => {
            let p = platform::open(store).await?;
            accounts::client_command(&identity_for(&p, None), cmd).await?;
        }
        Command::Calendar(CalendarCommand::Add { file }) => {
            calendar::add(&platform::open(store).await?, &file).await?;
        }
        Command::Calendar(CalendarCommand::List) => {
            calendar::list(&platform::open(store).await?).await?;
        }
        Command::Ingest { resource, file, json } => {
            data::ingest(&platform::open(store).await?, &resource, &file, json).await?;
        }
        Command::Query {
            as_user,
            purpose,
            format,
            limit,
            sql,
        } => {
            let p = platform::open(store).await?;
            data::query(&p, &as_user, purpose, format, limit, &sql).await?;
        }
        Command::Pull(cmd) => {
            let p = platform::open(store).await?;
            pulls::pull_command(&p.pool(catalog_for(&p).await?)?, cmd).await?;
        }
        Command::Oidc(cmd) => {
            let p = platform::open(store).await?;
            let identity = identity_for(&p, None);
            // The issuer only matters to tokens, which the command line does not issue.
            let provider =
                tongban_identity::oidc::Oidc::new(identity.clone(), p.keyring.clone(), "http://127.0.0.1");
            oidc::oidc_command(&identity, &provider, cmd).await?;
        }
        Command::Keys(cmd) => {
            let p = platform::open(store).await?;
            let from_env = p.store.master_key.is_some();
            keys::keys_command(&p.db, &p.keyring, from_env, cmd).await?;
        }
        Command::Egress(cmd) => {
            let p = platform::open(store).await?;
            let pool = p.pool(catalog_for(&p).await?)?;
            egress::egress_command(&identity_for(&p, None), &pool, cmd).await?;
        }
        Command::Catalog(CatalogCommand::List { json }) => {
            let p = platform::open(store).await?;
            data::catalog_list(&catalog_for(&p).await?, json).await?;
        }
        Command::Open311(cmd) => {
            let p = platform::open(store).await?;
            let interact = interact_for(&p, tongban_kernel::time::DEFAULT_ZONE).await?;
            open311::command(&interact, cmd).await?;
        }
        Command::Ledger(LedgerCommand::Verify) => {
            let p = platform::open(store).await?;
            // Chain what has been committed but not yet chained, so the report covers everything.
            let ledger = Ledger::new(
                p.db.clone(),
                p.keyring.platform_signer().clone(),
                LedgerConfig::default(),
            );
            ledger.catch_up().await?;
            let report = tongban_ledger::verify(&p.db, &[p.keyring.platform_verifier()]).await?;
            println!("{}", crate::say::half(&report.summary()));
            if !report.ok {
                return Ok(ExitCode::from(2));
            }
        }
        Command::Seal(cmd) => {
            let p = platform::open(store).await?;
            licences::seal_command(&licences::seals_for(&p, tongban_kernel::time::DEFAULT_ZONE), cmd).await?;
        }
        Command::Licence(cmd) => {
            let p = platform::open(store).await?;
            licences::licence_command(&licences::seals_for(&p, tongban_kernel::time::DEFAULT_ZONE), cmd)
                .await?;
        }
        Command::Verify { file, certs, json } => {
            let verdict = match certs {
                Some(dir) => licences::verify_offline(&file, &dir)?,
                None => {
                    let p = platform::open(store).await?;
                    licences::verify_online(
                        &licences::seals_for(&p, tongban_kernel::time::DEFAULT_ZONE),
                        &file,
                    )
                    .await?
                }
            };
            licences::print_verdict(&verdict, json)?;
            return Ok(licences::exit_code(&verdict));
        }
        Command::Backup {
            to,
            include_master_key,
        } => backup::backup(store, &to, include_master_key).await?,
        Command::Restore { from, force } => backup::restore(store, &from, force).await?,
    }
    Ok(ExitCode::SUCCESS)
}
