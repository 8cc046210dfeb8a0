//! The command line: every command, its flags and their environment variables.

use crate::config::{ServeArgs, StoreArgs};
use crate::{egress, keys, licences, oidc, pulls};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Tongban (通办): integrated government information service platform.
#[derive(Parser)]
#[command(name = "tongban", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// Log format: `human` (default on a terminal) or `json`
    #[arg(long, env = "TONGBAN_LOG_FORMAT", global = true, default_value = "human")]
    pub(crate) log_format: String,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
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
pub(crate) enum QueryFormat {
    /// A header row, then one line per row (spreadsheet formulas defused)
    Csv,
    /// A JSON array of row objects
    Json,
}

#[derive(Subcommand)]
pub(crate) enum UserCommand {
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
pub(crate) enum DepartmentCommand {
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
pub(crate) enum ClientCommand {
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
pub(crate) enum CalendarCommand {
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
pub(crate) enum CatalogCommand {
    /// Every resource: code, name, provider, sharing class, open class, current version.
    List {
        /// One JSON array instead of a table
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum Open311Command {
    /// API keys of the systems that file service requests (each submission records the key's name).
    #[command(subcommand)]
    Key(Open311KeyCommand),
}

#[derive(Subcommand)]
pub(crate) enum Open311KeyCommand {
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
pub(crate) enum LedgerCommand {
    /// Recompute the hash chain and every checkpoint signature; exit non-zero naming the first
    /// bad entry.
    Verify,
}
