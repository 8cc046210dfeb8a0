//! The data pool (数据池): governed ingestion of department files (CSV, XLSX, JSON Lines) and
//! pushed JSON batches (and tables pulled on a schedule from departments' own PostgreSQL or
//! MySQL databases) into an immutable Parquet lake at `lake/<resource_code>/v<version>/`
//! (Hive-style, readable by Spark, Hive and DuckDB). Every load standardizes, type checks and
//! rule checks each cell against the resource's catalog fields (references against the other
//! resource's current version), sets bad rows aside in a masked reject report (CSV and XLSX),
//! encrypts personal fields with a blind index beside them, and records the new version with its
//! quality score and change summary in the catalog. It keeps each resource's saved column
//! mapping.
//!
//! It never changes the catalog's description of a resource, never rewrites a stored version,
//! and never puts personal data in clear text on disk or in logs.

mod egress;
mod error;
pub mod events;
mod exchange;
pub mod export;
mod govern;
mod ingest;
mod lake;
pub mod limits;
mod load;
mod mapping;
mod model;
mod open;
pub mod personal;
pub mod policy;
mod pull;
mod query;
mod reference;
mod rejects;
mod remote;
mod source;
pub mod webhook;

pub use egress::EgressRule;
pub use error::{Error, Result};
pub use exchange::{Change, Lookup, MAX_RECORDS, Prefill, Records, Subject, Usage};
pub use ingest::MAX_BATCH_RECORDS;
pub use lake::{BIDX_SUFFIX, ROW_HASH};
pub use mapping::{MAX_COLUMN_CHARS, SavedMapping};
pub use model::{BATCH_ROWS, IngestOptions, IngestReport, PROGRESS_EVERY, ProgressFn, Quality, SourceFormat};
pub use open::{OpenFile, OpenFormat, OpenPreview};
pub use policy::{Access, Basis, FieldAccess, Shown};
pub use pull::{MAX_PULL_MINUTES, NewPull, PullSource};
pub use query::{
    Column, LIVE_QUERIES, LIVE_QUERIES_EACH, MAX_SQL_CHARS, QueryError, QueryOptions, QueryResult, TableInfo,
};
pub use rejects::neutralise;
pub use remote::ObjectLake;
pub use webhook::{Attempt, Delivery, Outgoing, RetryPolicy, Subscription};

tongban_kernel::catalog!("pool");

use std::path::{Path, PathBuf};
use std::sync::Arc;
use tongban_catalog::Catalog;
use tongban_crypto::FieldCipher;
use tongban_db::Migration;

/// This crate's tables: the column mappings saved per resource, the exchange's usage
/// counters, and webhook subscriptions with their delivery log.
/// Where this crate keeps values sealed under the data keys (for re-encryption after a rotation).
/// Versions in the lake are not here: they never change, and a new load seals under the
/// active key.
pub const SEALED_COLUMNS: &[tongban_crypto::SealedColumn] = {
    use tongban_crypto::{Sealed, SealedColumn};
    &[
        SealedColumn {
            table: "webhook_subscriptions",
            key: &["id"],
            column: "secret",
            form: Sealed::Text {
                field: webhook::SECRET_FIELD,
            },
        },
        SealedColumn {
            table: "pool_pulls",
            key: &["id"],
            column: "url",
            form: Sealed::Text {
                field: pull::URL_FIELD,
            },
        },
    ]
};

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        owner: "pool",
        version: 1,
        name: "mappings",
        sqlite: include_str!("../migrations/sqlite/0001_mappings.sql"),
        postgres: include_str!("../migrations/postgres/0001_mappings.sql"),
    },
    Migration {
        owner: "pool",
        version: 2,
        name: "exchange_usage",
        sqlite: include_str!("../migrations/sqlite/0002_exchange_usage.sql"),
        postgres: include_str!("../migrations/postgres/0002_exchange_usage.sql"),
    },
    Migration {
        owner: "pool",
        version: 3,
        name: "webhooks",
        sqlite: include_str!("../migrations/sqlite/0003_webhooks.sql"),
        postgres: include_str!("../migrations/postgres/0003_webhooks.sql"),
    },
    Migration {
        owner: "pool",
        version: 4,
        name: "pulls",
        sqlite: include_str!("../migrations/sqlite/0004_pulls.sql"),
        postgres: include_str!("../migrations/postgres/0004_pulls.sql"),
    },
    Migration {
        owner: "pool",
        version: 5,
        name: "egress",
        sqlite: include_str!("../migrations/sqlite/0005_egress.sql"),
        postgres: include_str!("../migrations/postgres/0005_egress.sql"),
    },
    Migration {
        owner: "pool",
        version: 6,
        name: "bigint",
        sqlite: include_str!("../migrations/sqlite/0006_bigint.sql"),
        postgres: include_str!("../migrations/postgres/0006_bigint.sql"),
    },
];

/// The pool service: cheap to clone, shared by the web layer, the CLI and workers.
#[derive(Clone, Debug)]
pub struct Pool {
    lake_dir: PathBuf,
    /// Where every version is also kept, when the lake lives on object storage.
    remote: Option<ObjectLake>,
    catalog: Catalog,
    fields: FieldCipher,
    loads: Arc<tokio::sync::Mutex<()>>,
    scans: Arc<query::Scans>,
    /// The queries whose threads still run, by who asked (see [`query::LiveQueries`]).
    live: Arc<query::LiveQueries>,
    recorder: Arc<exchange::Recorder>,
    /// Download sizes of open versions, by resource code and version (versions never change).
    open_sizes: Arc<std::sync::Mutex<open::SizeCache>>,
}

impl Pool {
    /// The pool over the lake at `lake_dir` (usually `DATA_DIR/lake`), recording versions in
    /// `catalog` and encrypting personal fields with `fields`.
    pub fn new(lake_dir: impl Into<PathBuf>, catalog: Catalog, fields: FieldCipher) -> Self {
        Self {
            lake_dir: lake_dir.into(),
            remote: None,
            catalog,
            fields,
            loads: Arc::new(tokio::sync::Mutex::new(())),
            scans: Arc::new(query::Scans::default()),
            live: Arc::default(),
            recorder: Arc::new(exchange::Recorder::default()),
            open_sizes: Arc::default(),
        }
    }

    /// The same pool with its lake on object storage: every version is uploaded there before
    /// it is recorded, and the local lake becomes a cache of versions fetched on first read.
    pub fn with_object_lake(mut self, remote: ObjectLake) -> Self {
        self.remote = Some(remote);
        self
    }

    /// The object store the lake lives on, when there is one.
    pub fn object_lake(&self) -> Option<&ObjectLake> {
        self.remote.as_ref()
    }

    /// The local directory of one stored version, fetched from the object store first when the
    /// local lake does not hold it.
    pub(crate) async fn local_version(&self, code: &str, version: u32) -> Result<PathBuf> {
        let dir = lake::version_dir(&self.lake_dir, code, version);
        if let Some(remote) = &self.remote
            && !dir.is_dir()
            && !remote.fetch(&self.lake_dir, code, version).await?
        {
            tracing::warn!(
                resource = code,
                version,
                "a recorded version is missing from the object store"
            );
        }
        Ok(dir)
    }

    /// The lake's root directory.
    pub fn lake_dir(&self) -> &Path {
        &self.lake_dir
    }

    /// The directory of one stored version (`lake/<code>/v<version>`).
    pub fn version_dir(&self, code: &str, version: u32) -> PathBuf {
        lake::version_dir(&self.lake_dir, code, version)
    }
}
