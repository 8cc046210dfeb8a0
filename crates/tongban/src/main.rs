//! `tongban`: the one binary. Wires configuration, the database, keys, background workers and the
//! web server, and offers the operator's commands (migrate, users, departments, ledger
//! verification, backup and restore).

#[macro_use]
mod say;
mod backup;
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
mod webhooks;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use config::{ServeArgs, StoreArgs};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tongban_identity::{DeptKind, Identity, NewDepartment, NewStaff, UserFilter};
use tongban_kernel::{Page, Principal, Role};
use tongban_ledger::{Ledger, LedgerConfig};

/// mimalloc: loads and queries allocate per cell on several threads, where the system allocator
/// spent a quarter of the time (see docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Tongban (通办): integrated government information service platform.
#[derive(Parser)]
#[command(name = "tongban", version, about, long_about = None)]
struct Cli {
    #[command(flatten)]
    store: StoreArgs,
    /// Log format: `human` (default on a terminal) or `json`
    #[arg(long, env = "TONGBAN_LOG_FORMAT", global = true, default_value = "human")]
    log_format: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the platform: web portal, console, API and background workers.
    Serve(ServeArgs),
    /// Seed the fictional demo city (once; idempotent), then serve it.
    Demo {
        #[command(flatten)]
        serve: ServeArgs,
        /// Seed (or check) the demo city, print the accounts, and exit without serving
        #[arg(long)]
        seed_only: bool,
    },
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage the department tree.
    #[command(subcommand)]
    Department(DepartmentCommand),
    /// Department systems that call the API (client id + secret → short-lived bearer token).
    #[command(subcommand)]
    Client(ClientCommand),
    /// 统一身份认证: department systems that sign people in through the platform (OIDC), and
    /// the ID-token signing keys.
    #[command(subcommand)]
    Oidc(oidc::OidcCommand),
    /// 密钥轮换: the data keys that seal personal data — status, rotation, re-encryption.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// The tamper-evident ledger.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// The Open311 GeoReport v2 API at /open311/v2.
    #[command(subcommand)]
    Open311(Open311Command),
    /// Load a CSV (UTF-8 or GBK), XLSX or JSON Lines file into a new immutable version of a
    /// resource: standardized, validated row by row (bad rows go to a reject report, CSV and
    /// XLSX), written as Parquet to the lake. The format is found from the file's content.
    Ingest {
        /// Resource code, e.g. 9901-GA-0001
        resource: String,
        /// The file
        file: PathBuf,
        /// Print one JSON object {resource, version, accepted, rejected, reject_report, …}
        #[arg(long)]
        json: bool,
    },
    /// Scheduled pulls (定时抽取) of department database tables into resources.
    #[command(subcommand)]
    Pull(pulls::PullCommand),
    /// The reserved address ranges (内网、本机) a department's webhooks and pulls may reach.
    #[command(subcommand)]
    Egress(egress::EgressCommand),
    /// The working-day calendar (national holidays and make-up workdays).
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// Department seals (电子印章) and their public certificates.
    #[command(subcommand)]
    Seal(licences::SealCommand),
    /// Issued e-licences (电子证照).
    #[command(subcommand)]
    Licence(licences::LicenceCommand),
    /// Verify a signed e-licence file: exit 0 and "valid" with the issuer, or non-zero with the
    /// reason (2 tampered, 3 unknown seal, 4 revoked, 5 expired). With --certs it works offline
    /// from an exported certificate folder alone; without, against this platform's database.
    Verify {
        /// The signed licence file (JSON)
        file: PathBuf,
        /// Folder written by `tongban seal export-certs`
        #[arg(long)]
        certs: Option<PathBuf>,
        /// One JSON object instead of text
        #[arg(long)]
        json: bool,
    },
    /// The data resource catalog.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Run read-only SQL over the data pool as a user, under that user's grants: only granted
    /// resources and fields exist, personal fields masked unless granted in clear. A refused
    /// table or field exits non-zero with the reason.
    Query {
        /// Act as this account (its department's grants apply)
        #[arg(long = "as", value_name = "USERNAME")]
        as_user: String,
        /// 用途: why the data is read (recorded with the query)
        #[arg(long, default_value = "")]
        purpose: String,
        /// Output format
        #[arg(long, value_enum, default_value = "csv")]
        format: QueryFormat,
        /// Most rows printed (a cut result says so on stderr)
        #[arg(long, default_value_t = 10_000)]
        limit: usize,
        /// The SQL: SELECT, WITH or EXPLAIN; tables are resource codes in double quotes
        sql: String,
    },
    /// Write the database, keys, lake and search folders to one archive.
    Backup {
        /// Archive to write (.tar.gz, readable by its owner only)
        #[arg(long)]
        to: PathBuf,
        /// Put the master key in the archive too (then the archive alone opens the personal
        /// data: keep it as you keep the master key)
        #[arg(long)]
        include_master_key: bool,
    },
    /// Restore an archive made by `backup` into an empty data directory.
    Restore {
        /// Archive to read
        #[arg(long)]
        from: PathBuf,
        /// Overwrite a data directory or database that is not empty
        #[arg(long)]
        force: bool,
    },
}

/// How `tongban query` prints its result.
#[derive(Clone, Copy, clap::ValueEnum)]
enum QueryFormat {
    /// A header row, then one line per row (spreadsheet formulas defused)
    Csv,
    /// A JSON array of row objects
    Json,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a staff account.
    Add {
        /// Login name
        #[arg(long)]
        username: String,
        /// Name shown to others
        #[arg(long)]
        display_name: String,
        /// Department code (see `department list`)
        #[arg(long)]
        department: String,
        /// Role to grant over the department; repeat for several
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Initial password [env TONGBAN_NEW_PASSWORD; generated and printed when absent]
        #[arg(long, env = "TONGBAN_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// List accounts.
    List {
        /// Only this department's subtree (code)
        #[arg(long)]
        department: Option<String>,
    },
    /// Lock an account.
    Lock {
        /// Login name
        username: String,
    },
    /// Unlock an account (also clears a lockout).
    Unlock {
        /// Login name
        username: String,
    },
    /// Set a new password.
    ResetPassword {
        /// Login name
        username: String,
        /// New password [env TONGBAN_NEW_PASSWORD; generated and printed when absent]
        #[arg(long, env = "TONGBAN_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

#[derive(Subcommand)]
enum DepartmentCommand {
    /// Add a department (or the city itself, without --parent).
    Add {
        /// Unique code
        #[arg(long)]
        code: String,
        /// Chinese name
        #[arg(long)]
        name_zh: String,
        /// English name
        #[arg(long, default_value = "")]
        name_en: String,
        /// Parent department code
        #[arg(long)]
        parent: Option<String>,
    },
    /// List the department tree.
    List,
}

#[derive(Subcommand)]
enum ClientCommand {
    /// Register a department system; prints its client id and secret (shown once).
    Add {
        /// Owning department code
        #[arg(long)]
        department: String,
        /// Name of the system
        #[arg(long)]
        name: String,
        /// Scope it may request; repeat for several
        #[arg(long = "scope")]
        scopes: Vec<String>,
    },
    /// List registered systems.
    List,
    /// Disable a system (its tokens stop working).
    Disable {
        /// Client id (tbc_…)
        client_id: String,
    },
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Enter a year's holidays from the State Council's notice (TOML, the format of the shipped
    /// data: `[2027]` with `holidays = [{ name, from, to }]` and `makeup_workdays = [...]`).
    /// Restart a running server to apply it.
    Add {
        /// The TOML file
        #[arg(long)]
        file: PathBuf,
    },
    /// List the years the calendar knows.
    List,
}

#[derive(Subcommand)]
enum CatalogCommand {
    /// Every resource: code, name, provider, sharing class, open class, current version.
    List {
        /// One JSON array instead of a table
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum Open311Command {
    /// API keys of the systems that file service requests (each submission records the key's name).
    #[command(subcommand)]
    Key(Open311KeyCommand),
}

#[derive(Subcommand)]
enum Open311KeyCommand {
    /// Issue a key for a system; prints the key (shown once, stored only as a hash).
    Add {
        /// Name of the system (1–64 of A-Z a-z 0-9 _ . -)
        name: String,
    },
    /// List issued keys.
    List,
    /// Revoke a system's key (it stops working at once).
    Revoke {
        /// Name of the system
        name: String,
    },
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Recompute the hash chain and every checkpoint signature; exit non-zero naming the first
    /// bad entry.
    Verify,
}

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
    let cli = Cli::parse();
    init_logs(&cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{}", say!("错误：{}", "error: {}", say::error(&e)));
            ExitCode::FAILURE
        }
    }
}

fn system() -> Principal {
    Principal::system("cli")
}

fn identity_for(p: &platform::Platform, serve: Option<&config::Serve>) -> Identity {
    p.wiring(serve).identity()
}

/// The interaction service with the calendar in force (shipped years plus entered ones).
async fn interact_for(p: &platform::Platform, zone: &str) -> Result<tongban_interact::Interact> {
    Ok(p.wiring(None).zone(zone).interact())
}

/// The service hall with the calendar in force, departments from identity, and licences signed
/// by the seal service (commands that need no prefill).
async fn hall_for(p: &platform::Platform, identity: &Identity, zone: &str) -> Result<tongban_hall::Hall> {
    let wiring = p.wiring(None).zone(zone);
    Ok(wiring.hall(identity, &wiring.seals(), None))
}

async fn open311_command(interact: &tongban_interact::Interact, cmd: Open311Command) -> Result<()> {
    let actor = system();
    let Open311Command::Key(cmd) = cmd;
    match cmd {
        Open311KeyCommand::Add { name } => {
            let (key, secret) = interact.add_open311_key(&actor, &name).await?;
            println!(
                "{}",
                say!("已为 {} 签发 Open311 密钥", "issued Open311 key for {}", key.name)
            );
            println!("api_key: {secret}");
            println!("{}", say!("密钥只显示这一次", "the key is shown only this once"));
        }
        Open311KeyCommand::List => {
            for k in interact.open311_keys(&actor).await? {
                println!(
                    "{:<32} {}{}",
                    k.name,
                    k.created.rfc3339(),
                    if k.revoked.is_some() { "  [revoked]" } else { "" }
                );
            }
        }
        Open311KeyCommand::Revoke { name } => {
            interact.revoke_open311_key(&actor, &name).await?;
            println!(
                "{}",
                say!("已吊销 {} 的 Open311 密钥", "revoked Open311 key for {}", name)
            );
        }
    }
    Ok(())
}

/// The catalog service with the calendar in force (shipped years plus entered ones).
async fn catalog_for(p: &platform::Platform) -> Result<tongban_catalog::Catalog> {
    Ok(p.wiring(None).catalog())
}

async fn catalog_list(catalog: &tongban_catalog::Catalog, json: bool) -> Result<()> {
    let actor = system();
    let mut all = Vec::new();
    let mut offset = 0;
    loop {
        let page = catalog
            .list_resources(
                &actor,
                &tongban_catalog::ResourceFilter::default(),
                Page::new(500, offset),
            )
            .await?;
        offset += page.items.len() as u64;
        let done = page.items.is_empty() || offset >= page.total;
        all.extend(page.items);
        if done {
            break;
        }
    }
    if json {
        let rows: Vec<serde_json::Value> = all
            .iter()
            .map(|r| {
                serde_json::json!({
                    "code": r.code,
                    "name": r.name_zh,
                    "provider_code": r.provider.code(),
                    "provider_name": r.provider.name_zh,
                    "sharing_class": r.sharing.class.code(),
                    "open_class": r.open_class.code(),
                    "current_version": r.current_version,
                    "status": r.status.code(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        for r in &all {
            println!(
                "{:<16} {:<14} {:<14} {:<12} v{:<3} {}",
                r.code,
                r.provider.code(),
                r.sharing.class.code(),
                r.open_class.code(),
                r.current_version,
                r.name_zh
            );
        }
    }
    Ok(())
}

fn new_password(given: Option<String>) -> (String, bool) {
    match given {
        Some(p) => (p, false),
        None => {
            // Upper, lower, digit and symbol are always present, whatever the random part holds.
            let token = format!("Tb{}#7", tongban_crypto::token::url_token::<12>());
            (token, true)
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let (store, file) = config::resolve_store(&cli.store)?;
    match cli.command {
        Command::Serve(args) => {
            let serve = config::resolve_serve(&args, &file)?;
            let p = platform::open(store).await?;
            serve_platform(p, serve, None).await?;
        }
        Command::Demo {
            serve: args,
            seed_only,
        } => {
            let serve = config::resolve_serve(&args, &file)?;
            let p = platform::open(store).await?;
            let identity = identity_for(&p, Some(&serve));
            let accounts = demo::seed(&identity).await.context("seeding the demo city")?;
            let catalog = catalog_for(&p).await?;
            demo::seed_catalog(&identity, &catalog)
                .await
                .context("seeding the demo catalog")?;
            let pool = p.pool(catalog.clone())?;
            demo_data::load(&pool, &catalog, &p.store.data_dir.join("demo-files")).await?;
            demo_interact::seed(&identity, &interact_for(&p, &serve.time_zone).await?)
                .await
                .context("seeding the demo interactions")?;
            demo_seal::seed(&identity, &licences::seals_for(&p, &serve.time_zone))
                .await
                .context("seeding the demo seals and licences")?;
            demo_hall::seed(&identity, &hall_for(&p, &identity, &serve.time_zone).await?)
                .await
                .context("seeding the demo service hall")?;
            if seed_only {
                print_accounts(&accounts);
                p.db.close().await;
            } else {
                serve_platform(p, serve, Some(accounts)).await?;
            }
        }
        Command::Migrate => {
            let p = platform::open(store).await?;
            println!(
                "{}",
                say!(
                    "数据库已是最新（{:?}）",
                    "database schema is up to date ({:?})",
                    p.db.backend()
                )
            );
        }
        Command::User(cmd) => {
            let p = platform::open(store).await?;
            user_command(&identity_for(&p, None), cmd).await?;
        }
        Command::Department(cmd) => {
            let p = platform::open(store).await?;
            department_command(&identity_for(&p, None), cmd).await?;
        }
        Command::Client(cmd) => {
            let p = platform::open(store).await?;
            client_command(&identity_for(&p, None), cmd).await?;
        }
        Command::Calendar(CalendarCommand::Add { file }) => {
            let p = platform::open(store).await?;
            let text =
                std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let years = tongban_db::calendar::add_years(&p.db, &system(), &text).await?;
            p.calendar.merge_toml(&text)?;
            let hall = hall_for(&p, &identity_for(&p, None), tongban_kernel::time::DEFAULT_ZONE).await?;
            let first = years.iter().copied().min().unwrap_or_default();
            let cases = hall.recount_due_days(&system(), first).await?;
            let interact = interact_for(&p, tongban_kernel::time::DEFAULT_ZONE).await?;
            let items = interact.recount_due_days(&system(), first).await?;
            println!(
                "{}",
                say!(
                    "已录入：{:?}；在办件和整改 {} 个中调整了 {} 个，诉求和整改 {} 个中调整了 {} 个（运行中的服务一分钟内生效）",
                    "entered: {0:?}; {2} of {1} open cases and rectifications moved, {4} of {3} open interaction items and rectifications moved (running servers pick it up within a minute)",
                    years,
                    cases.checked,
                    cases.moved,
                    items.checked,
                    items.moved
                )
            );
        }
        Command::Calendar(CalendarCommand::List) => {
            let p = platform::open(store).await?;
            for (year, shipped) in tongban_db::calendar::years(&p.db).await? {
                println!(
                    "{year} {}",
                    if shipped {
                        say!("随版本发布", "shipped")
                    } else {
                        say!("管理员录入", "entered by an administrator")
                    }
                );
            }
        }
        Command::Ingest { resource, file, json } => {
            let p = platform::open(store).await?;
            let pool = p.pool(catalog_for(&p).await?)?;
            let progress: Arc<tongban_pool::ProgressFn> =
                Arc::new(|rows| eprint!("\r{}", say!("已读取 {} 行", "rows read: {}", rows)));
            let opts = tongban_pool::IngestOptions {
                progress: Some(progress),
                ..Default::default()
            };
            let report = match pool.ingest_file(&system(), &resource, &file, &opts).await {
                Ok(r) => r,
                Err(e) => {
                    eprintln!();
                    return Err(e.into());
                }
            };
            eprintln!();
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!(
                    "{}",
                    say!(
                        "{} v{}：接收 {}，拒绝 {}（质量 {:.0}%）",
                        "{} v{}: accepted {}, rejected {} (quality {:.0}%)",
                        report.resource,
                        report.version,
                        report.accepted,
                        report.rejected,
                        report.quality.score * 100.0
                    )
                );
                if report.rejected > 0 {
                    println!(
                        "{}",
                        say!(
                            "拒绝报告：{}",
                            "reject report: {}",
                            report.reject_report.display()
                        )
                    );
                    println!(
                        "{}",
                        say!(
                            "拒绝报告（XLSX）：{}",
                            "reject report (XLSX): {}",
                            report.reject_report_xlsx.display()
                        )
                    );
                }
            }
        }
        Command::Query {
            as_user,
            purpose,
            format,
            limit,
            sql,
        } => {
            let p = platform::open(store).await?;
            let actor = identity_for(&p, None).principal_for_username(&as_user).await?;
            let pool = p.pool(catalog_for(&p).await?)?;
            let opts = tongban_pool::QueryOptions {
                purpose,
                row_limit: limit,
                ..Default::default()
            };
            let result = pool.query(&actor, &sql, &opts).await?;
            let mut out = std::io::stdout().lock();
            match format {
                QueryFormat::Csv => out.write_all(&result.to_csv(false)?)?,
                QueryFormat::Json => writeln!(out, "{}", serde_json::to_string(&result.json_rows())?)?,
            }
            if result.truncated {
                eprintln!(
                    "{}",
                    say!(
                        "结果已截断为前 {} 行（--limit）",
                        "result cut to the first {} rows (--limit)",
                        limit
                    )
                );
            }
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
            catalog_list(&catalog_for(&p).await?, json).await?;
        }
        Command::Open311(cmd) => {
            let p = platform::open(store).await?;
            let interact = interact_for(&p, tongban_kernel::time::DEFAULT_ZONE).await?;
            open311_command(&interact, cmd).await?;
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

async fn user_command(identity: &Identity, cmd: UserCommand) -> Result<()> {
    let actor = system();
    match cmd {
        UserCommand::Add {
            username,
            display_name,
            department,
            roles,
            password,
        } => {
            let dept = identity.department_by_code(&actor, &department).await?;
            let roles = roles
                .iter()
                .map(|r| Role::parse(r).with_context(|| format!("unknown role {r}")))
                .collect::<Result<Vec<_>>>()?;
            let (password, generated) = new_password(password);
            let v = identity
                .create_staff(
                    &actor,
                    NewStaff {
                        username,
                        display_name,
                        password: password.clone(),
                        department: dept.id,
                        roles,
                        phone: None,
                        is_demo: false,
                    },
                )
                .await?;
            println!(
                "{}",
                say!("已创建：{}（{}）", "created {} ({})", v.username, v.id)
            );
            if generated {
                println!("{}", say!("初始密码：{}", "initial password: {}", password));
            }
        }
        UserCommand::List { department } => {
            let department = match department {
                Some(code) => Some(identity.department_by_code(&actor, &code).await?.id),
                None => None,
            };
            let mut offset = 0;
            loop {
                let list = identity
                    .list_users(
                        &actor,
                        &UserFilter {
                            department: department.clone(),
                            ..Default::default()
                        },
                        Page::new(500, offset),
                    )
                    .await?;
                for u in &list.items {
                    let roles: Vec<&str> = u.grants.iter().map(|g| g.role.code()).collect();
                    println!(
                        "{:<20} {:<10} {:<9} {:<16} {}{}",
                        u.username,
                        u.kind.code(),
                        u.status.code(),
                        u.department.as_ref().map_or("-", |d| d.code.as_str()),
                        roles.join(","),
                        if u.is_demo { "  [demo]" } else { "" }
                    );
                }
                offset += list.items.len() as u64;
                if list.items.is_empty() || offset >= list.total {
                    break;
                }
            }
        }
        UserCommand::Lock { username } => {
            let u = identity.get_user_by_username(&actor, &username).await?;
            identity.lock_account(&actor, &u.id).await?;
            println!("{}", say!("已锁定：{}", "locked {}", username));
        }
        UserCommand::Unlock { username } => {
            let u = identity.get_user_by_username(&actor, &username).await?;
            identity.unlock_account(&actor, &u.id).await?;
            println!("{}", say!("已解锁：{}", "unlocked {}", username));
        }
        UserCommand::ResetPassword { username, password } => {
            let u = identity.get_user_by_username(&actor, &username).await?;
            let (password, generated) = new_password(password);
            identity.reset_password(&actor, &u.id, &password).await?;
            println!("{}", say!("已重置密码：{}", "password reset for {}", username));
            if generated {
                println!("{}", say!("新密码：{}", "new password: {}", password));
            }
        }
    }
    Ok(())
}

async fn client_command(identity: &Identity, cmd: ClientCommand) -> Result<()> {
    let actor = system();
    match cmd {
        ClientCommand::Add {
            department,
            name,
            scopes,
        } => {
            let dept = identity.department_by_code(&actor, &department).await?;
            let (client, secret) = identity
                .create_api_client(&actor, &dept.id, &name, &scopes)
                .await?;
            println!(
                "{}",
                say!(
                    "已登记：{}（{}）",
                    "registered {} ({})",
                    client.name,
                    client.department.code
                )
            );
            println!("client_id:     {}", client.client_id);
            println!("client_secret: {secret}");
            println!(
                "{}",
                say!("密钥只显示这一次", "the secret is shown only this once")
            );
        }
        ClientCommand::List => {
            for c in identity.list_api_clients(&actor).await? {
                println!(
                    "{:<28} {:<16} {:<24} {}{}",
                    c.client_id,
                    c.department.code,
                    c.name,
                    c.scopes.join(" "),
                    if c.disabled { "  [disabled]" } else { "" }
                );
            }
        }
        ClientCommand::Disable { client_id } => {
            let c = identity
                .list_api_clients(&actor)
                .await?
                .into_iter()
                .find(|c| c.client_id == client_id)
                .with_context(|| format!("no client {client_id}"))?;
            identity.disable_api_client(&actor, &c.id).await?;
            println!("{}", say!("已停用：{}", "disabled {}", client_id));
        }
    }
    Ok(())
}

async fn department_command(identity: &Identity, cmd: DepartmentCommand) -> Result<()> {
    let actor = system();
    match cmd {
        DepartmentCommand::Add {
            code,
            name_zh,
            name_en,
            parent,
        } => {
            let (parent, kind) = match parent {
                Some(code) => {
                    let p = identity.department_by_code(&actor, &code).await?;
                    let kind = if p.kind == DeptKind::City {
                        DeptKind::Department
                    } else {
                        DeptKind::Office
                    };
                    (Some(p.id), kind)
                }
                None => (None, DeptKind::City),
            };
            let d = identity
                .create_department(
                    &actor,
                    NewDepartment {
                        code,
                        name_zh,
                        name_en,
                        parent,
                        kind,
                    },
                )
                .await?;
            println!(
                "{}",
                say!(
                    "已创建：{} {}（{}）",
                    "created {} {} ({})",
                    d.code,
                    d.name_zh,
                    d.path.as_str()
                )
            );
        }
        DepartmentCommand::List => {
            for d in identity.list_departments(&actor).await? {
                println!(
                    "{}{} {} / {}",
                    "  ".repeat(d.depth()),
                    d.code,
                    d.name_zh,
                    d.name_en
                );
            }
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down");
}

fn print_accounts(accounts: &[demo::DemoAccount]) {
    println!();
    println!(
        "{}",
        say!(
            "演示账户（密码均为 {}）：",
            "demo accounts (password {} for all):",
            demo::PASSWORD
        )
    );
    for a in accounts {
        println!("  {:<14} {}", a.username, say::half(&a.what));
    }
    println!(
        "{}",
        say!(
            "  以及各部门的 <部门>_clerk、_reviewer、_approver、_admin（ga mz rs sj wj hj jy sjj）",
            "  … and <dept>_clerk, _reviewer, _approver, _admin for ga mz rs sj wj hj jy sjj"
        )
    );
}

async fn serve_platform(
    p: platform::Platform,
    serve: config::Serve,
    demo: Option<Vec<demo::DemoAccount>>,
) -> Result<()> {
    let ledger = Ledger::new(
        p.db.clone(),
        p.keyring.platform_signer().clone(),
        LedgerConfig {
            checkpoint_every: serve.checkpoint_every,
            checkpoint_interval: Duration::from_secs(serve.checkpoint_seconds),
            ..LedgerConfig::default()
        },
    );
    ledger
        .catch_up()
        .await
        .context("chaining pending events into the ledger")?;
    // Bound first: the OIDC issuer defaults to the address actually listened on (a port of 0
    // gets one from the system).
    let listener = tokio::net::TcpListener::bind(serve.listen)
        .await
        .with_context(|| format!("listening on {}", serve.listen))?;
    let addr = listener.local_addr()?;
    let issuer = serve.public_url.clone().unwrap_or_else(|| {
        let scheme = if serve.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{addr}")
    });
    let settings = tongban_web::WebSettings {
        zone: tongban_kernel::time::zone(&serve.time_zone),
        tls: serve.tls.is_some(),
        demo: demo.is_some(),
        body_limit: serve.body_limit,
        upload_limit: serve.upload_limit,
        request_timeout: Duration::from_secs(serve.request_timeout),
        upload_dir: p.store.data_dir.join("uploads"),
        exchange_rate: serve.exchange_rate,
        exchange_burst: serve.exchange_rate.saturating_mul(2),
    };
    let mut services = p.wiring_with_lake(Some(&serve))?.services(settings, &issuer);
    services.interact = services
        .interact
        .with_reply_checker(config::reply_checker(serve.reply_lists.as_deref())?);

    let mut workers = tongban_web::platform::Workers::new(services.metrics.clone());
    workers.spawn("ledger", ledger.run(workers.stopping()));
    // Full verification in the background: at start, every ten minutes, and on request.
    workers.spawn(
        "ledger-verify",
        services
            .ledger_watch
            .clone()
            .run(Duration::from_secs(600), workers.stopping()),
    );
    workers.every(
        Duration::from_secs(60),
        jobs::CalendarRefresh {
            db: p.db.clone(),
            calendar: p.calendar.clone(),
        },
    );
    workers.every(keys::REFRESH_EVERY, jobs::KeyRefresh(p.keyring.clone()));
    workers.every(
        Duration::from_secs(600),
        jobs::SessionPurge(services.identity.clone()),
    );
    workers.every(
        Duration::from_secs(300),
        jobs::Escalation(services.interact.clone()),
    );
    // Deliveries of new versions to the department systems that subscribed (变更通知).
    workers.every(
        Duration::from_secs(5),
        webhooks::Webhooks {
            pool: services.pool.clone(),
            policy: tongban_pool::RetryPolicy::default(),
        },
    );
    // Scheduled pulls of department database tables (定时抽取), checked every minute.
    workers.every(Duration::from_secs(60), pulls::Pulls(services.pool.clone()));
    // Notifications by e-mail, when an SMTP relay is configured.
    if let Some(url) = &serve.smtp_url {
        workers.every(
            Duration::from_secs(10),
            mail::Mail {
                hall: services.hall.clone(),
                interact: services.interact.clone(),
                identity: services.identity.clone(),
                channel: mail::SmtpChannel::new(url, &serve.mail_from, serve.smtp_ca.as_deref())?,
            },
        );
    }
    let state = tongban_web::AppState::new(services);
    let scheme = if serve.tls.is_some() { "https" } else { "http" };
    println!();
    println!(
        "{}",
        say!(
            "通办已启动（{:?}，数据在 {}）",
            "Tongban is running ({:?}, data in {})",
            p.db.backend(),
            p.store.data_dir.display()
        )
    );
    println!(
        "{}",
        say!("  门户：  {}://{}/", "  Portal:   {}://{}/", scheme, addr)
    );
    println!(
        "{}",
        say!(
            "  工作台：{}://{}/console",
            "  Console:  {}://{}/console",
            scheme,
            addr
        )
    );
    println!("  API:          {scheme}://{addr}/api/openapi.json");
    println!("  Open311:      {scheme}://{addr}/open311/v2/discovery.json");
    if let Some(accounts) = &demo {
        print_accounts(accounts);
    }
    println!();
    let tls = serve.tls.map(|(cert, key)| tongban_web::TlsFiles { cert, key });
    tongban_web::serve(listener, tongban_web::router(state), tls, shutdown_signal()).await?;
    workers.stop().await;
    p.db.close().await;
    Ok(())
}
