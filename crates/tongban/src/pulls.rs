//! 定时抽取 from the command line and in the serving process: `tongban pull add|list|run|remove`
//! configure and run pulls of department database tables into resources; `serve` runs the due
//! ones every minute. The pool does the reading and governing; this only schedules and prints.

use anyhow::Result;
use clap::Subcommand;
use tongban_kernel::Principal;
use tongban_pool::{NewPull, Pool};

#[derive(Subcommand)]
pub enum PullCommand {
    /// Pull TABLE from a department's PostgreSQL or MySQL database into RESOURCE on a schedule.
    /// The database and table are tried at once; the first run is due immediately.
    Add {
        /// Resource code, e.g. 9901-GA-0001
        resource: String,
        /// postgres://user:password@host:port/db or mysql://user:password@host:port/db (stored
        /// encrypted, never printed with its password)
        #[arg(long)]
        url: String,
        /// The table: table or schema.table
        #[arg(long)]
        table: String,
        /// Minutes between runs (5 to 10080)
        #[arg(long, default_value_t = 1440)]
        every: u32,
    },
    /// Every pull: id, resource, table, source (without password), interval, next and last run.
    List {
        /// One JSON array instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Run one pull now (or, with --due, every pull that is due).
    Run {
        /// The pull's id
        id: Option<String>,
        /// Run every due pull instead
        #[arg(long)]
        due: bool,
    },
    /// Stop a pull (the versions it stored stay).
    Remove {
        /// The pull's id
        id: String,
    },
}

fn platform() -> Principal {
    Principal::system("cli")
}

/// Carries out `cmd`.
pub async fn pull_command(pool: &Pool, cmd: PullCommand) -> Result<()> {
    match cmd {
        PullCommand::Add {
            resource,
            url,
            table,
            every,
        } => {
            let new = NewPull {
                resource_code: resource,
                url,
                table,
                every_minutes: every,
            };
            let p = pool.add_pull(&platform(), new).await?;
            println!("{}", p.id);
            println!(
                "{}",
                say!(
                    "every-minutes",
                    resource_code = p.resource_code.to_string(),
                    url = p.url.to_string(),
                    table = p.table.to_string(),
                    every_minutes = p.every_minutes.to_string()
                )
            );
        }
        PullCommand::List { json } => {
            let list = pool.pulls(&platform()).await?;
            if json {
                println!("{}", serde_json::to_string(&list)?);
            } else if list.is_empty() {
                println!("{}", say!("no-pulls"));
            } else {
                for p in list {
                    println!(
                        "{}  {} ← {} {}  every {} min  next {}  last: {}",
                        p.id,
                        p.resource_code,
                        p.url,
                        p.table,
                        p.every_minutes,
                        p.next_run
                            .display_in(&tongban_kernel::time::zone(tongban_kernel::time::DEFAULT_ZONE)),
                        if p.last_status.is_empty() {
                            "—"
                        } else {
                            &p.last_status
                        }
                    );
                }
            }
        }
        PullCommand::Run { id, due } => {
            let outcomes = match (id, due) {
                (Some(id), false) => {
                    let r = pool.run_pull(&platform(), &id).await?;
                    println!(
                        "{}",
                        say!(
                            "v-accepted-rejected",
                            resource = r.resource.to_string(),
                            version = r.version.to_string(),
                            accepted = r.accepted.to_string(),
                            rejected = r.rejected.to_string()
                        )
                    );
                    return Ok(());
                }
                (None, true) => pool.run_due_pulls().await?,
                _ => anyhow::bail!("give a pull id or --due"),
            };
            for (p, outcome) in outcomes {
                match outcome {
                    Ok(r) => println!(
                        "{} {}: v{} accepted {} rejected {}",
                        p.id, p.resource_code, r.version, r.accepted, r.rejected
                    ),
                    Err(e) => println!("{} {}: {e}", p.id, p.resource_code),
                }
            }
        }
        PullCommand::Remove { id } => {
            pool.remove_pull(&platform(), &id).await?;
            println!("{}", say!("stopped", id = id));
        }
    }
    Ok(())
}

/// The due pulls as a background job: each pull's outcome is logged; a failed pull does not
/// fail the round (it is retried on its own schedule), failing to list them does.
pub struct Pulls(pub Pool);

impl tongban_kernel::worker::Job for Pulls {
    fn name(&self) -> &'static str {
        "pulls"
    }

    async fn round(&self) -> std::result::Result<usize, String> {
        let outcomes = self.0.run_due_pulls().await.map_err(|e| e.to_string())?;
        for (p, outcome) in &outcomes {
            match outcome {
                Ok(r) => tracing::info!(pull = %p.id, resource = %r.resource, version = r.version,
                    accepted = r.accepted, rejected = r.rejected, "pull loaded"),
                Err(e) => {
                    tracing::warn!(pull = %p.id, resource = %p.resource_code, error = %e, "pull failed")
                }
            }
        }
        Ok(outcomes.len())
    }
}
