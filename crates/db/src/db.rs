//! The database handle and its transactions, over SQLite or PostgreSQL.

use crate::event::{self, Event, EventDraft};
use crate::{Error, Result, Row, Value};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Column as _, Row as _, TypeInfo as _, ValueRef as _};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tongban_kernel::Principal;

/// Which database a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default: one file in the data directory.
    Sqlite,
    /// Production: a PostgreSQL server.
    Postgres,
}

/// How to open the database.
#[derive(Debug, Clone, Default)]
pub struct DbOptions {
    /// PostgreSQL only: a schema to use as `search_path` (the test harness gives each test its own).
    pub schema: Option<String>,
    /// Largest number of pooled connections (default 8).
    pub max_connections: Option<u32>,
}

#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A shared handle to the database. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    committed: Arc<Notify>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Db({:?})", self.backend())
    }
}

impl Db {
    /// Opens `url` (`sqlite://path?mode=rwc`, `sqlite:path`, `postgres://…`). SQLite is set to WAL,
    /// synchronous=NORMAL, a 10 s busy timeout and foreign keys on.
    pub async fn connect(url: &str, opts: &DbOptions) -> Result<Db> {
        let max = opts.max_connections.unwrap_or(8).max(1);
        let pool = if url.starts_with("sqlite:") {
            let o = SqliteConnectOptions::from_str(url)
                .map_err(|e| Error::Url(format!("{url}: {e}")))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .pragma("temp_store", "memory");
            Pool::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(max)
                    // A connection to a local file does not go stale; checking it on every
                    // acquire cost a round trip to the driver's thread.
                    .test_before_acquire(false)
                    .connect_with(o)
                    .await?,
            )
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let mut o = PgConnectOptions::from_str(url).map_err(|e| Error::Url(e.to_string()))?;
            if let Some(schema) = &opts.schema {
                o = o.options([("search_path", schema.as_str())]);
            }
            Pool::Postgres(
                PgPoolOptions::new()
                    .max_connections(max)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(o)
                    .await?,
            )
        } else {
            return Err(Error::Url(redact(url)));
        };
        Ok(Db {
            pool,
            committed: Arc::new(Notify::new()),
        })
    }

    /// The backend behind this handle.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs one statement outside a transaction; returns rows affected.
    pub async fn execute(&self, sql: &str, params: Vec<Value>) -> Result<u64> {
        match &self.pool {
            Pool::Sqlite(p) => sqlite::execute(&mut *p.acquire().await?, sql, params).await,
            Pool::Postgres(p) => pg::execute(&mut *p.acquire().await?, sql, params).await,
        }
    }

    /// All rows of a query.
    pub async fn fetch_all(&self, sql: &str, params: Vec<Value>) -> Result<Vec<Row>> {
        match &self.pool {
            Pool::Sqlite(p) => sqlite::fetch_all(&mut *p.acquire().await?, sql, params).await,
            Pool::Postgres(p) => pg::fetch_all(&mut *p.acquire().await?, sql, params).await,
        }
    }

    /// The first row of a query, if any.
    pub async fn fetch_optional(&self, sql: &str, params: Vec<Value>) -> Result<Option<Row>> {
        match &self.pool {
            Pool::Sqlite(p) => sqlite::fetch_optional(&mut *p.acquire().await?, sql, params).await,
            Pool::Postgres(p) => pg::fetch_optional(&mut *p.acquire().await?, sql, params).await,
        }
    }

    /// The first row of a query; [`Error::NotFound`] when there is none.
    pub async fn fetch_one(&self, sql: &str, params: Vec<Value>) -> Result<Row> {
        self.fetch_optional(sql, params).await?.ok_or(Error::NotFound)
    }

    /// Starts a write transaction. On SQLite it is `BEGIN IMMEDIATE`, so the write lock is taken
    /// up front and a read-then-write transaction cannot fail half way with SQLITE_BUSY.
    /// Dropping the [`Tx`] without [`Tx::commit`] rolls it back — also when the future using it
    /// is dropped half way (a request timed out): see [`Tx`].
    pub async fn begin_write(&self) -> Result<Tx> {
        // The connection is inside the guard before BEGIN is sent, so a cancelled BEGIN is undone too.
        let (mut tx, begin) = match &self.pool {
            Pool::Sqlite(p) => (self.guard(TxConn::Sqlite(p.acquire().await?)), "BEGIN IMMEDIATE"),
            Pool::Postgres(p) => (self.guard(TxConn::Postgres(p.acquire().await?)), "BEGIN"),
        };
        tx.control(begin).await?;
        Ok(tx)
    }

    fn guard(&self, conn: TxConn) -> Tx {
        Tx {
            conn: Some(conn),
            appended: 0,
            committed: self.committed.clone(),
        }
    }

    /// Resolves when some transaction that appended events commits (workers wait on this).
    pub async fn events_committed(&self) {
        self.committed.notified().await;
    }

    /// Closes every pooled connection.
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }

    /// Writes a consistent copy of an SQLite database to `path` (`VACUUM INTO`). PostgreSQL
    /// databases are copied table by table by the caller instead.
    pub async fn sqlite_snapshot(&self, path: &str) -> Result<()> {
        match &self.pool {
            Pool::Sqlite(p) => {
                sqlx::query("VACUUM INTO ?").bind(path).execute(p).await?;
                Ok(())
            }
            Pool::Postgres(_) => Err(Error::Storage("VACUUM INTO is SQLite only".into())),
        }
    }

    /// Runs a script of several statements in one transaction (migrations, test set-up).
    pub(crate) async fn run_script_in(&self, tx: &mut Tx, sql: &str) -> Result<()> {
        tx.conn()?.script(sql).await
    }
}

/// Hides a password in a URL before it is shown in an error.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &url[..s], &url[at..]),
        _ => url.to_string(),
    }
}

/// A pooled connection holding an open transaction.
enum TxConn {
    Sqlite(PoolConnection<sqlx::Sqlite>),
    Postgres(PoolConnection<sqlx::Postgres>),
}

impl TxConn {
    /// One transaction-control statement (`BEGIN`, `COMMIT`, `ROLLBACK`).
    async fn control(&mut self, sql: &str) -> Result<()> {
        match self {
            TxConn::Sqlite(c) => sqlite::execute(c, sql, Vec::new()).await.map(drop),
            TxConn::Postgres(c) => pg::execute(c, sql, Vec::new()).await.map(drop),
        }
    }

    /// A script of several statements (migrations, test set-up).
    async fn script(&mut self, sql: &str) -> Result<()> {
        match self {
            TxConn::Sqlite(c) => sqlx::raw_sql(sql).execute(&mut **c).await.map(drop)?,
            TxConn::Postgres(c) => sqlx::raw_sql(sql).execute(&mut **c).await.map(drop)?,
        }
        Ok(())
    }

    /// Closes the connection instead of returning it to the pool: closing ends the transaction
    /// on the server (PostgreSQL) or in the file (SQLite), whatever state it was left in.
    fn close(self) {
        match self {
            TxConn::Sqlite(mut c) => c.close_on_drop(),
            TxConn::Postgres(mut c) => c.close_on_drop(),
        }
    }
}

/// A write transaction. Every domain write appends its event with [`Tx::append_event`] before
/// [`Tx::commit`]; dropping it uncommitted rolls everything back, events included.
///
/// A transaction survives cancellation: the future that uses it may be dropped at any await
/// (a request timed out, a client went away), BEGIN and COMMIT included, and the transaction
/// still ends. A transaction dropped before it ended closes its connection instead of returning
/// it to the pool: closing ends the transaction whatever state the connection was left in and,
/// on SQLite, releases the write lock. (The pool opens a new connection when it needs one; drops
/// happen on errors and cancellations, not on the normal path.)
pub struct Tx {
    /// `None` once committed or rolled back.
    conn: Option<TxConn>,
    appended: u64,
    committed: Arc<Notify>,
}

impl Drop for Tx {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            conn.close();
        }
    }
}

impl Tx {
    fn conn(&mut self) -> Result<&mut TxConn> {
        self.conn
            .as_mut()
            .ok_or_else(|| Error::Storage("the transaction has already ended".into()))
    }

    async fn control(&mut self, sql: &str) -> Result<()> {
        self.conn()?.control(sql).await
    }

    /// The backend of this transaction.
    pub fn backend(&self) -> Backend {
        match self.conn {
            Some(TxConn::Postgres(_)) => Backend::Postgres,
            _ => Backend::Sqlite,
        }
    }

    /// Runs one statement; returns rows affected.
    pub async fn execute(&mut self, sql: &str, params: Vec<Value>) -> Result<u64> {
        match self.conn()? {
            TxConn::Sqlite(c) => sqlite::execute(c, sql, params).await,
            TxConn::Postgres(c) => pg::execute(c, sql, params).await,
        }
    }

    /// All rows of a query.
    pub async fn fetch_all(&mut self, sql: &str, params: Vec<Value>) -> Result<Vec<Row>> {
        match self.conn()? {
            TxConn::Sqlite(c) => sqlite::fetch_all(c, sql, params).await,
            TxConn::Postgres(c) => pg::fetch_all(c, sql, params).await,
        }
    }

    /// The first row of a query, if any.
    pub async fn fetch_optional(&mut self, sql: &str, params: Vec<Value>) -> Result<Option<Row>> {
        match self.conn()? {
            TxConn::Sqlite(c) => sqlite::fetch_optional(c, sql, params).await,
            TxConn::Postgres(c) => pg::fetch_optional(c, sql, params).await,
        }
    }

    /// The first row of a query; [`Error::NotFound`] when there is none.
    pub async fn fetch_one(&mut self, sql: &str, params: Vec<Value>) -> Result<Row> {
        self.fetch_optional(sql, params).await?.ok_or(Error::NotFound)
    }

    /// Appends the event that records this transaction's change, done by `actor`.
    /// Append it after the change's own statements: from here to commit this transaction holds
    /// the event counter, which keeps the event sequence gapless and in commit order.
    pub async fn append_event(&mut self, actor: &Principal, draft: EventDraft<'_>) -> Result<Event> {
        let e = event::append(self, actor, draft).await?;
        self.appended += 1;
        Ok(e)
    }

    /// Appends several events in one go (one counter step, multi-row inserts): for callers that
    /// record many things in one transaction, such as the exchange's group commits.
    pub async fn append_events(&mut self, drafts: Vec<(&Principal, EventDraft<'_>)>) -> Result<Vec<Event>> {
        let events = event::append_many(self, drafts).await?;
        self.appended += events.len() as u64;
        Ok(events)
    }

    /// Commits the change and its events.
    pub async fn commit(mut self) -> Result<()> {
        self.control("COMMIT").await?;
        // Committed: the connection goes back to the pool.
        drop(self.conn.take());
        if self.appended > 0 {
            event::count_appended(self.appended);
            self.committed.notify_waiters();
        }
        Ok(())
    }

    /// Rolls everything back (also what dropping does).
    pub async fn rollback(mut self) -> Result<()> {
        self.control("ROLLBACK").await?;
        drop(self.conn.take());
        Ok(())
    }
}

mod sqlite {
    use super::*;

    fn bind(
        sql: &str,
        params: Vec<Value>,
    ) -> sqlx::query::Query<'_, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'_>> {
        let mut q = sqlx::query(sql);
        for p in params {
            q = match p {
                Value::Null => q.bind(None::<String>),
                Value::NullInt => q.bind(None::<i64>),
                Value::NullReal => q.bind(None::<f64>),
                Value::NullBytes => q.bind(None::<Vec<u8>>),
                Value::Int(i) => q.bind(i),
                Value::Real(f) => q.bind(f),
                Value::Text(s) => q.bind(s),
                Value::Bytes(b) => q.bind(b),
            };
        }
        q
    }

    fn convert(rows: Vec<SqliteRow>) -> Result<Vec<Row>> {
        let Some(first) = rows.first() else {
            return Ok(Vec::new());
        };
        let columns: Arc<[String]> = first.columns().iter().map(|c| c.name().to_string()).collect();
        rows.iter()
            .map(|r| {
                let mut values = Vec::with_capacity(columns.len());
                for i in 0..columns.len() {
                    let raw = r.try_get_raw(i)?;
                    let v = if raw.is_null() {
                        Value::Null
                    } else {
                        match raw.type_info().name() {
                            "INTEGER" | "BOOLEAN" => Value::Int(r.try_get(i)?),
                            "REAL" => Value::Real(r.try_get(i)?),
                            "BLOB" => Value::Bytes(r.try_get(i)?),
                            _ => Value::Text(r.try_get(i)?),
                        }
                    };
                    values.push(v);
                }
                Ok(Row {
                    columns: columns.clone(),
                    values,
                })
            })
            .collect()
    }

    pub(super) async fn execute(c: &mut SqliteConnection, sql: &str, params: Vec<Value>) -> Result<u64> {
        Ok(bind(sql, params).execute(c).await?.rows_affected())
    }

    pub(super) async fn fetch_all(
        c: &mut SqliteConnection,
        sql: &str,
        params: Vec<Value>,
    ) -> Result<Vec<Row>> {
        convert(bind(sql, params).fetch_all(c).await?)
    }

    pub(super) async fn fetch_optional(
        c: &mut SqliteConnection,
        sql: &str,
        params: Vec<Value>,
    ) -> Result<Option<Row>> {
        let row = bind(sql, params).fetch_optional(c).await?;
        Ok(convert(row.into_iter().collect())?.pop())
    }
}

mod pg {
    use super::*;

    fn bind(
        sql: &str,
        params: Vec<Value>,
    ) -> sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments> {
        let mut q = sqlx::query(sql);
        for p in params {
            q = match p {
                Value::Null => q.bind(None::<String>),
                Value::NullInt => q.bind(None::<i64>),
                Value::NullReal => q.bind(None::<f64>),
                Value::NullBytes => q.bind(None::<Vec<u8>>),
                Value::Int(i) => q.bind(i),
                Value::Real(f) => q.bind(f),
                Value::Text(s) => q.bind(s),
                Value::Bytes(b) => q.bind(b),
            };
        }
        q
    }

    fn convert(rows: Vec<PgRow>) -> Result<Vec<Row>> {
        let Some(first) = rows.first() else {
            return Ok(Vec::new());
        };
        let columns: Arc<[String]> = first.columns().iter().map(|c| c.name().to_string()).collect();
        let types: Vec<String> = first
            .columns()
            .iter()
            .map(|c| c.type_info().name().to_string())
            .collect();
        rows.iter()
            .map(|r| {
                let mut values = Vec::with_capacity(columns.len());
                for (i, ty) in types.iter().enumerate() {
                    let v = match ty.as_str() {
                        "INT8" => r.try_get::<Option<i64>, _>(i)?.map(Value::Int),
                        "INT4" => r.try_get::<Option<i32>, _>(i)?.map(|x| Value::Int(x.into())),
                        "INT2" => r.try_get::<Option<i16>, _>(i)?.map(|x| Value::Int(x.into())),
                        "BOOL" => r.try_get::<Option<bool>, _>(i)?.map(|x| Value::Int(x.into())),
                        "FLOAT8" => r.try_get::<Option<f64>, _>(i)?.map(Value::Real),
                        "FLOAT4" => r.try_get::<Option<f32>, _>(i)?.map(|x| Value::Real(x.into())),
                        "BYTEA" => r.try_get::<Option<Vec<u8>>, _>(i)?.map(Value::Bytes),
                        "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" | "CHAR" => {
                            r.try_get::<Option<String>, _>(i)?.map(Value::Text)
                        }
                        other => {
                            return Err(Error::Decode {
                                column: columns[i].clone(),
                                reason: format!("unsupported PostgreSQL type {other}; cast it in SQL"),
                            });
                        }
                    };
                    values.push(v.unwrap_or(Value::Null));
                }
                Ok(Row {
                    columns: columns.clone(),
                    values,
                })
            })
            .collect()
    }

    pub(super) async fn execute(c: &mut PgConnection, sql: &str, params: Vec<Value>) -> Result<u64> {
        Ok(bind(sql, params).execute(c).await?.rows_affected())
    }

    pub(super) async fn fetch_all(c: &mut PgConnection, sql: &str, params: Vec<Value>) -> Result<Vec<Row>> {
        convert(bind(sql, params).fetch_all(c).await?)
    }

    pub(super) async fn fetch_optional(
        c: &mut PgConnection,
        sql: &str,
        params: Vec<Value>,
    ) -> Result<Option<Row>> {
        let row = bind(sql, params).fetch_optional(c).await?;
        Ok(convert(row.into_iter().collect())?.pop())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_reach_error_messages() {
        assert_eq!(super::redact("postgres://u:secret@h/db"), "postgres://***@h/db");
        assert_eq!(super::redact("mysql://h/db"), "mysql://h/db");
    }
}
