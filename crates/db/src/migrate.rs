//! Migrations: each crate ships its own, one SQL script per backend, applied in order at start.

use crate::{Backend, Db, Error, Result, params};
use tongban_kernel::Millis;

/// One schema change of one crate.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// The crate that owns the tables (`db`, `identity`, `ledger`, …).
    pub owner: &'static str,
    /// Increasing from 1 within the owner.
    pub version: i64,
    /// Short name.
    pub name: &'static str,
    /// Script for SQLite.
    pub sqlite: &'static str,
    /// Script for PostgreSQL.
    pub postgres: &'static str,
}

const BOOKKEEPING: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (\
    owner TEXT NOT NULL, version BIGINT NOT NULL, name TEXT NOT NULL, applied_ms BIGINT NOT NULL, \
    PRIMARY KEY (owner, version))";

impl Db {
    /// Applies every migration not yet applied, each in its own transaction, in the order given.
    /// Safe to run from several processes at once. Refuses a database whose schema is newer than
    /// this binary knows.
    pub async fn migrate(&self, sets: &[&[Migration]]) -> Result<()> {
        self.execute(BOOKKEEPING, params![]).await?;
        for set in sets {
            for m in set.iter() {
                self.apply(m).await?;
            }
            if let Some(owner) = set.first().map(|m| m.owner) {
                let known = set.iter().map(|m| m.version).max().unwrap_or(0);
                let applied: Option<i64> = self
                    .fetch_one(
                        "SELECT MAX(version) AS v FROM schema_migrations WHERE owner = $1",
                        params![owner],
                    )
                    .await?
                    .get("v")?;
                if applied.unwrap_or(0) > known {
                    return Err(Error::Migration {
                        name: owner.into(),
                        reason: format!(
                            "database schema version {} is newer than this binary ({known})",
                            applied.unwrap_or(0)
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    async fn apply(&self, m: &Migration) -> Result<()> {
        let mut tx = self.begin_write().await?;
        if tx.backend() == Backend::Postgres {
            // Serialise concurrent migrators; SQLite's BEGIN IMMEDIATE already does.
            tx.execute("SELECT pg_advisory_xact_lock(7355608)", params![])
                .await?;
        }
        let done = tx
            .fetch_optional(
                "SELECT 1 AS one FROM schema_migrations WHERE owner = $1 AND version = $2",
                params![m.owner, m.version],
            )
            .await?
            .is_some();
        if done {
            return Ok(());
        }
        let script = match tx.backend() {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        let label = format!("{}/{:04}_{}", m.owner, m.version, m.name);
        self.run_script_in(&mut tx, script)
            .await
            .map_err(|e| Error::Migration {
                name: label.clone(),
                reason: e.to_string(),
            })?;
        tx.execute(
            "INSERT INTO schema_migrations (owner, version, name, applied_ms) VALUES ($1, $2, $3, $4)",
            params![m.owner, m.version, m.name, Millis::now()],
        )
        .await?;
        tx.commit().await?;
        tracing::info!(migration = %label, "applied");
        Ok(())
    }
}
