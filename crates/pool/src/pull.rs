//! 定时抽取: a table of a department's own PostgreSQL or MySQL (MariaDB) database read on a
//! schedule into one of its resources, each run a new version governed exactly like an upload.
//! A run reads the table row by row as JSON objects (PostgreSQL `row_to_json`, MySQL
//! `JSON_OBJECT` over the table's columns) into a JSON Lines file beside the lake, then loads
//! that file: memory stays bounded however large the table is, and the reject report numbers
//! rows by their position in the read.
//!
//! The connection URL carries a password: it is stored encrypted, shown only without the
//! password, and never written to an event, a log line or an error message.

use crate::events::{PullAdded, PullFailed, PullRemoved};
use crate::model::{IngestOptions, IngestReport, SourceFormat};
use crate::source::Source;
use crate::{Error, Pool, Result};
use futures_util::TryStreamExt;
use serde::Serialize;
use sqlx::Connection;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;
use tongban_db::{EventDraft, Row, params};
use tongban_kernel::msg;
use tongban_kernel::{DeptPath, Invalid, Millis, Permission, Principal};

/// The longest interval between runs, in minutes (one week).
pub const MAX_PULL_MINUTES: u32 = 7 * 24 * 60;

/// How long connecting may take before the run is given up.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// The field the URL is encrypted under.
pub(crate) const URL_FIELD: &str = "pool_pulls.url";

/// A configured pull.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PullSource {
    /// Its id.
    pub id: String,
    /// The resource it loads.
    pub resource_code: String,
    /// The connection URL without its password.
    pub url: String,
    /// The table read (`schema.table` or `table`).
    pub table: String,
    /// Minutes between runs.
    pub every_minutes: u32,
    /// When it runs next.
    pub next_run: Millis,
    /// When it last ran.
    pub last_run: Option<Millis>,
    /// How the last run went (bilingual), empty before the first.
    pub last_status: String,
    /// The version the last successful run stored.
    pub last_version: Option<u32>,
}

/// What an administrator configures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPull {
    /// The resource to load (the actor manages its provider's catalog).
    pub resource_code: String,
    /// `postgres://user:password@host:port/db` or `mysql://user:password@host:port/db`.
    pub url: String,
    /// The table: `table` or `schema.table` (letters, digits and `_`).
    pub table: String,
    /// Minutes between runs, 5 to [`MAX_PULL_MINUTES`].
    pub every_minutes: u32,
}

/// The kinds of database a pull reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    Postgres,
    MySql,
}

/// The engine a URL names, or a refusal naming `url`.
fn engine_of(url: &str) -> Result<Engine> {
    let scheme = url
        .split_once("://")
        .map(|(s, _)| s.to_ascii_lowercase())
        .unwrap_or_default();
    match scheme.as_str() {
        "postgres" | "postgresql" => Ok(Engine::Postgres),
        "mysql" | "mariadb" => Ok(Engine::MySql),
        _ => Err(Invalid::new("url", msg!("postgres-mysql-url")).into()),
    }
}

/// `url` as sqlx takes it (`mariadb://` is MySQL's protocol).
fn driver_url(url: &str) -> String {
    match url.split_once("://") {
        Some((s, rest)) if s.eq_ignore_ascii_case("mariadb") => format!("mysql://{rest}"),
        _ => url.to_string(),
    }
}

/// `url` without the password of its user part (and without its query string, which may hold
/// one too).
fn shown_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return String::new();
    };
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    match rest.rsplit_once('@') {
        Some((user, host)) => {
            let user = user.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}@{host}")
        }
        None => format!("{scheme}://{rest}"),
    }
}

/// The table's name parts, each 1–63 letters, digits or `_` not starting with a digit.
fn table_parts(table: &str) -> Result<Vec<String>> {
    let bad = || Error::from(Invalid::new("table", msg!("table-table-schema-table")));
    let parts: Vec<String> = table.trim().split('.').map(str::to_string).collect();
    if parts.is_empty() || parts.len() > 2 {
        return Err(bad());
    }
    for p in &parts {
        let ok = (1..=63).contains(&p.len())
            && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !p.as_bytes()[0].is_ascii_digit();
        if !ok {
            return Err(bad());
        }
    }
    Ok(parts)
}

/// A database error in words that never repeat the URL.
fn remote_error(e: &sqlx::Error) -> Error {
    let reason = match e {
        sqlx::Error::Database(d) => msg!("database-refused-message", message = d.message()).to_string(),
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut => msg!("cannot-reach-database").to_string(),
        sqlx::Error::Tls(_) => msg!("tls-connection-failed").to_string(),
        sqlx::Error::Configuration(_) => msg!("connection-url-not-valid").to_string(),
        _ => msg!("reading-database-failed").to_string(),
    };
    Error::Remote { reason }
}

fn timed_out() -> Error {
    Error::Remote {
        reason: msg!("connecting-database-timed-out").to_string(),
    }
}

/// Where a pull connects: the URL's options, with the host replaced by the address that was
/// checked as a destination (a name is resolved once, so it cannot be re-pointed in between).
#[derive(Debug)]
enum Target {
    Postgres(sqlx::postgres::PgConnectOptions),
    MySql(sqlx::mysql::MySqlConnectOptions),
}

impl Pool {
    /// The connection target of `url` for a pull of `department`'s: a network address (no local
    /// socket), each address its host resolves to permitted by [`Pool::destination`]. A
    /// connection that verifies the server's certificate against its name keeps the name.
    async fn remote_target(&self, department: &DeptPath, url: &str) -> Result<Target> {
        use sqlx::mysql::{MySqlConnectOptions, MySqlSslMode};
        use sqlx::postgres::{PgConnectOptions, PgSslMode};
        use std::str::FromStr;
        let engine = engine_of(url)?;
        let url = driver_url(url);
        let invalid = || Error::from(Invalid::new("url", msg!("connection-url-not-valid")));
        let no_socket = || Error::from(Invalid::new("url", msg!("network-address-required-not")));
        match engine {
            Engine::Postgres => {
                let o = PgConnectOptions::from_str(&url).map_err(|_| invalid())?;
                if o.get_socket().is_some() || o.get_host().starts_with('/') {
                    return Err(no_socket());
                }
                let addrs = self.destination(department, o.get_host(), o.get_port()).await?;
                let named = matches!(o.get_ssl_mode(), PgSslMode::VerifyFull);
                Ok(Target::Postgres(match addrs.first() {
                    Some(a) if !named => o.host(&a.ip().to_string()),
                    _ => o,
                }))
            }
            Engine::MySql => {
                let o = MySqlConnectOptions::from_str(&url).map_err(|_| invalid())?;
                if o.get_socket().is_some() || o.get_host().starts_with('/') {
                    return Err(no_socket());
                }
                let addrs = self.destination(department, o.get_host(), o.get_port()).await?;
                let named = matches!(o.get_ssl_mode(), MySqlSslMode::VerifyIdentity);
                Ok(Target::MySql(match addrs.first() {
                    Some(a) if !named => o.host(&a.ip().to_string()),
                    _ => o,
                }))
            }
        }
    }
}

/// An open connection to a department database.
enum Remote {
    Postgres(sqlx::PgConnection),
    MySql(sqlx::MySqlConnection),
}

impl Remote {
    /// Connects to `target` within [`CONNECT_TIMEOUT`]: the outer error is the timeout, the
    /// inner one what the database answered.
    async fn connect(target: &Target) -> Result<std::result::Result<Remote, sqlx::Error>> {
        let connecting = async {
            match target {
                Target::Postgres(o) => sqlx::PgConnection::connect_with(o).await.map(Remote::Postgres),
                Target::MySql(o) => sqlx::MySqlConnection::connect_with(o).await.map(Remote::MySql),
            }
        };
        tokio::time::timeout(CONNECT_TIMEOUT, connecting)
            .await
            .map_err(|_| timed_out())
    }

    /// The table's name parts quoted for this engine (`"schema"."table"`, `` `table` ``).
    fn quoted(&self, parts: &[String]) -> String {
        let q = match self {
            Remote::Postgres(_) => '"',
            Remote::MySql(_) => '`',
        };
        parts
            .iter()
            .map(|p| format!("{q}{p}{q}"))
            .collect::<Vec<_>>()
            .join(".")
    }
}

/// Writes each text the stream yields as one line of `w`; returns how many.
async fn write_lines<S>(mut stream: S, w: &mut tokio::io::BufWriter<tokio::fs::File>) -> Result<u64>
where
    S: futures_util::Stream<Item = std::result::Result<String, sqlx::Error>> + Unpin,
{
    let mut rows = 0u64;
    while let Some(line) = stream.try_next().await.map_err(|e| remote_error(&e))? {
        w.write_all(line.as_bytes()).await?;
        w.write_all(b"\n").await?;
        rows += 1;
    }
    Ok(rows)
}

/// Reads `table` at `target` into `out` as JSON Lines, one object per row; returns the rows
/// read.
async fn export_table(target: &Target, table: &str, out: &Path) -> Result<u64> {
    let parts = table_parts(table)?;
    let mut remote = Remote::connect(target).await?.map_err(|e| remote_error(&e))?;
    let from = remote.quoted(&parts);
    let file = tokio::fs::File::create(out).await?;
    let mut w = tokio::io::BufWriter::new(file);
    let rows = match &mut remote {
        Remote::Postgres(conn) => {
            let sql = format!("SELECT row_to_json(t)::text FROM {from} t");
            write_lines(sqlx::query_scalar::<_, String>(&sql).fetch(conn), &mut w).await?
        }
        Remote::MySql(conn) => {
            let (schema, name) = match parts.as_slice() {
                [s, n] => (Some(s.clone()), n.clone()),
                [n] => (None, n.clone()),
                _ => return Err(Invalid::new("table", msg!("table-name-not-valid")).into()),
            };
            let columns: Vec<String> = sqlx::query_scalar(
                "SELECT CAST(COLUMN_NAME AS CHAR) FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
            )
            .bind(schema.as_deref())
            .bind(&name)
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| remote_error(&e))?;
            if columns.is_empty() {
                return Err(Invalid::new("table", msg!("no-such-table-has")).into());
            }
            let pairs: Vec<String> = columns
                .iter()
                .map(|c| format!("'{}', `{}`", c.replace('\'', "''"), c.replace('`', "``")))
                .collect();
            let sql = format!(
                "SELECT CAST(JSON_OBJECT({}) AS CHAR) FROM {from}",
                pairs.join(", ")
            );
            write_lines(sqlx::query_scalar::<_, String>(&sql).fetch(conn), &mut w).await?
        }
    };
    w.flush().await?;
    Ok(rows)
}

const COLUMNS: &str =
    "id, resource_code, url_shown, table_name, every_minutes, next_ms, last_ms, last_status, last_version";

fn from_row(r: &Row) -> Result<PullSource> {
    Ok(PullSource {
        id: r.get("id")?,
        resource_code: r.get("resource_code")?,
        url: r.get("url_shown")?,
        table: r.get("table_name")?,
        every_minutes: r.get("every_minutes")?,
        next_run: r.get("next_ms")?,
        last_run: r.get("last_ms")?,
        last_status: r.get("last_status")?,
        last_version: r.get("last_version")?,
    })
}

impl Pool {
    /// Configures a pull of `new.table` into `new.resource_code` every `new.every_minutes`
    /// (`LoadData` over the resource's provider). The database is tried at once — a wrong
    /// URL, credentials or table is refused now rather than at the first run — and the first
    /// run is due immediately.
    #[tracing::instrument(skip_all)]
    pub async fn add_pull(&self, actor: &Principal, new: NewPull) -> Result<PullSource> {
        let resource = self.catalog.resource_by_code(actor, &new.resource_code).await?;
        actor.require(Permission::LoadData, Some(&resource.provider.path))?;
        engine_of(&new.url)?;
        let table = table_parts(&new.table)?.join(".");
        if !(5..=MAX_PULL_MINUTES).contains(&new.every_minutes) {
            return Err(Invalid::new(
                "every_minutes",
                msg!("interval-5-max-pull", max_pull_minutes = MAX_PULL_MINUTES),
            )
            .into());
        }
        // Try it: read nothing but the table's shape.
        let target = self
            .remote_target(&resource.provider.path, &new.url)
            .await
            .map_err(Error::on_url_field)?;
        probe_table(&target, &table).await?;
        let id = tongban_kernel::id::new_uuid_v7();
        let now = self.catalog.now();
        let shown = shown_url(&new.url);
        let mut tx = self.catalog.db().begin_write().await?;
        tx.execute(
            "INSERT INTO pool_pulls (id, resource_id, resource_code, provider_path, url, url_shown, table_name, \
             every_minutes, next_ms, last_ms, last_status, last_version, created_by, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, '', NULL, $10, $11)",
            params![
                id.as_str(),
                resource.id.as_str(),
                resource.code.as_str(),
                resource.provider.path.as_str(),
                self.fields.encrypt(URL_FIELD, &new.url),
                shown.as_str(),
                table.as_str(),
                new.every_minutes,
                now,
                actor.id.as_str(),
                now
            ],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &PullAdded {
                    resource: resource.code.clone(),
                    url: shown,
                    table: table.clone(),
                    every_minutes: new.every_minutes,
                },
                &id,
                Some(&resource.provider.path),
                msg!(
                    "scheduled-pull-table-into",
                    resource = resource.code,
                    table = table
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        self.pull(&id).await
    }

    /// The pulls into resources whose provider the actor manages (every pull for the platform).
    pub async fn pulls(&self, actor: &Principal) -> Result<Vec<PullSource>> {
        let rows = self
            .catalog
            .db()
            .fetch_all(
                &format!(
                    "SELECT {COLUMNS}, provider_path FROM pool_pulls WHERE deleted_ms IS NULL ORDER BY resource_code, id"
                ),
                params![],
            )
            .await?;
        let mut out = Vec::new();
        for r in &rows {
            let provider = tongban_kernel::DeptPath(r.get("provider_path")?);
            if actor.allows(Permission::LoadData, Some(&provider)) {
                out.push(from_row(r)?);
            }
        }
        Ok(out)
    }

    async fn pull(&self, id: &str) -> Result<PullSource> {
        self.catalog
            .db()
            .fetch_optional(
                &format!("SELECT {COLUMNS} FROM pool_pulls WHERE id = $1 AND deleted_ms IS NULL"),
                params![id.trim()],
            )
            .await?
            .map(|r| from_row(&r))
            .transpose()?
            .ok_or(Error::NotFound)
    }

    /// The pull `id` with its decrypted URL and its provider, when the actor manages the
    /// provider.
    async fn pull_for(&self, actor: &Principal, id: &str) -> Result<(PullSource, String, DeptPath)> {
        let row = self
            .catalog
            .db()
            .fetch_optional(
                &format!("SELECT {COLUMNS}, provider_path, url FROM pool_pulls WHERE id = $1 AND deleted_ms IS NULL"),
                params![id.trim()],
            )
            .await?
            .ok_or(Error::NotFound)?;
        let provider = DeptPath(row.get("provider_path")?);
        actor.require(Permission::LoadData, Some(&provider))?;
        let sealed: String = row.get("url")?;
        let url = self
            .fields
            .decrypt(URL_FIELD, &sealed)
            .map_err(|_| Error::Unreadable {
                reason: msg!("connection-url-cannot-decrypted").to_string().into(),
            })?;
        Ok((from_row(&row)?, url, provider))
    }

    /// Stops a pull (`LoadData` over its provider). Versions it stored stay.
    #[tracing::instrument(skip_all)]
    pub async fn remove_pull(&self, actor: &Principal, id: &str) -> Result<()> {
        let (p, ..) = self.pull_for(actor, id).await?;
        let mut tx = self.catalog.db().begin_write().await?;
        tx.execute(
            "UPDATE pool_pulls SET deleted_ms = $1 WHERE id = $2",
            params![self.catalog.now(), p.id.as_str()],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &PullRemoved {
                    resource: p.resource_code.clone(),
                    table: p.table.clone(),
                },
                &p.id,
                None,
                msg!(
                    "stopped-pull-into-resource",
                    table = p.table,
                    resource_code = p.resource_code
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Runs pull `id` now as `actor` (`LoadData` over its provider): reads the table and
    /// loads it as the resource's next version. The outcome is kept on the pull either way, and
    /// the next run is due one interval from now.
    #[tracing::instrument(skip_all)]
    pub async fn run_pull(&self, actor: &Principal, id: &str) -> Result<IngestReport> {
        let (p, url, provider) = self.pull_for(actor, id).await?;
        let file = self.scratch_file(&p.id)?;
        let read = match self.remote_target(&provider, &url).await {
            Ok(target) => export_table(&target, &p.table, &file).await,
            Err(Error::Destination { reason }) => Err(Error::Remote {
                reason: reason.to_string(),
            }),
            Err(Error::Invalid(Invalid { reason, .. })) => Err(Error::Remote {
                reason: reason.to_string(),
            }),
            Err(e) => Err(e),
        };
        let result = match read {
            Ok(0) => Err(Error::Remote {
                reason: msg!("table-holds-no-rows").to_string(),
            }),
            Ok(_) => {
                let source = Source::File {
                    path: file.clone(),
                    format: Some(SourceFormat::JsonLines),
                };
                self.ingest(actor, &p.resource_code, source, &IngestOptions::default())
                    .await
            }
            Err(e) => Err(e),
        };
        let _ = tokio::fs::remove_file(&file).await;
        let (status, version) = match &result {
            Ok(r) => (
                msg!(
                    "pull-done",
                    version = r.version,
                    accepted = r.accepted,
                    rejected = r.rejected
                )
                .to_string(),
                Some(r.version),
            ),
            Err(e) => (msg!("pull-failed", e = e.to_string()).to_string(), None),
        };
        let now = self.catalog.now();
        let next = now.plus_ms(i64::from(p.every_minutes) * 60_000);
        let mut tx = self.catalog.db().begin_write().await?;
        tx.execute(
            "UPDATE pool_pulls SET last_ms = $1, last_status = $2, last_version = COALESCE($3, last_version), \
             next_ms = $4 WHERE id = $5",
            params![now, status.as_str(), version, next, p.id.as_str()],
        )
        .await?;
        if result.is_err() {
            // A successful run is recorded by the load's own version event; a failed one here.
            tx.append_event(
                actor,
                EventDraft::of(
                    &PullFailed {
                        resource: p.resource_code.clone(),
                        table: p.table.clone(),
                        status,
                    },
                    &p.id,
                    None,
                    msg!("pull-into-resource-code", resource_code = p.resource_code),
                ),
            )
            .await?;
        }
        tx.commit().await?;
        result
    }

    /// Runs every pull that is due, one after another, as the platform; returns each pull's id
    /// with its outcome. The serving process calls this every minute.
    pub async fn run_due_pulls(&self) -> Result<Vec<(PullSource, Result<IngestReport>)>> {
        let due = self
            .catalog
            .db()
            .fetch_all(
                &format!("SELECT {COLUMNS} FROM pool_pulls WHERE deleted_ms IS NULL AND next_ms <= $1 ORDER BY next_ms"),
                params![self.catalog.now()],
            )
            .await?
            .iter()
            .map(from_row)
            .collect::<Result<Vec<_>>>()?;
        let platform = Principal::system("pull");
        let mut out = Vec::with_capacity(due.len());
        for p in due {
            let outcome = self.run_pull(&platform, &p.id).await;
            out.push((p, outcome));
        }
        Ok(out)
    }

    /// A file beside the lake for one pull's rows.
    fn scratch_file(&self, name: &str) -> Result<PathBuf> {
        let dir = self.lake_dir.join(".incoming");
        std::fs::create_dir_all(&dir)?;
        Ok(dir.join(format!("pull-{name}.jsonl")))
    }
}

/// Connects and reads the table's shape only (no rows), to refuse a wrong URL, credentials or
/// table when the pull is configured.
async fn probe_table(target: &Target, table: &str) -> Result<()> {
    let parts = table_parts(table)?;
    let mut remote = Remote::connect(target)
        .await?
        .map_err(|e| Error::from(Invalid::new("url", remote_error(&e).to_string())))?;
    let sql = format!("SELECT * FROM {} LIMIT 0", remote.quoted(&parts));
    let probed = match &mut remote {
        Remote::Postgres(conn) => sqlx::query(&sql).execute(conn).await.map(drop),
        Remote::MySql(conn) => sqlx::query(&sql).execute(conn).await.map(drop),
    };
    probed.map_err(|_| Error::from(Invalid::new("table", msg!("no-such-table"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_password_when_shown() {
        assert_eq!(
            shown_url("postgres://etl:s3cret@10.1.2.3:5432/hz?sslmode=require&password=x"),
            "postgres://etl@10.1.2.3:5432/hz"
        );
        assert_eq!(
            shown_url("mysql://root@127.0.0.1/test"),
            "mysql://root@127.0.0.1/test"
        );
        assert_eq!(shown_url("mysql://127.0.0.1/test"), "mysql://127.0.0.1/test");
        assert_eq!(driver_url("mariadb://u:p@h/db"), "mysql://u:p@h/db");
    }

    #[test]
    fn only_plain_table_names_and_known_engines() {
        assert_eq!(table_parts("public.household").unwrap(), ["public", "household"]);
        for bad in ["", "a.b.c", "t; DROP TABLE x", "1abc", "表", "a.\"b\""] {
            assert!(table_parts(bad).is_err(), "{bad}");
        }
        assert!(engine_of("postgresql://h/db").is_ok());
        assert!(engine_of("mariadb://h/db").is_ok());
        assert!(engine_of("sqlite://x.db").is_err());
        assert!(engine_of("h/db").is_err());
    }
}
