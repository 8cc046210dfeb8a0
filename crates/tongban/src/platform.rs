//! Opening the platform: the data directory, the keyring, the database and its migrations.

use crate::config::Store;
use anyhow::{Context, Result};
use tongban_crypto::Keyring;
use tongban_db::{Db, DbOptions, Migration};

/// Every crate's migrations, in dependency order.
pub fn migrations() -> Vec<&'static [Migration]> {
    vec![
        tongban_db::MIGRATIONS,
        tongban_identity::MIGRATIONS,
        tongban_ledger::MIGRATIONS,
        tongban_catalog::MIGRATIONS,
        tongban_pool::MIGRATIONS,
        tongban_interact::MIGRATIONS,
        tongban_seal::MIGRATIONS,
        tongban_hall::MIGRATIONS,
    ]
}

/// An opened platform.
pub struct Platform {
    /// Resolved storage settings.
    pub store: Store,
    /// The database, migrated.
    pub db: Db,
    /// Keys.
    pub keyring: Keyring,
    /// The working-day calendar in force (shipped years plus entered ones), one handle shared by
    /// every service so a year entered in the console reaches them all at once.
    pub calendar: tongban_kernel::WorkCalendar,
}

impl Platform {
    /// The data pool over `DATA_DIR/lake`, kept on object storage too when `lake_url` is set.
    pub fn pool(&self, catalog: tongban_catalog::Catalog) -> Result<tongban_pool::Pool> {
        let pool = tongban_pool::Pool::new(self.store.data_dir.join("lake"), catalog, self.keyring.fields());
        Ok(match &self.store.lake_url {
            Some(url) => pool.with_object_lake(
                tongban_pool::ObjectLake::open(url).context("opening the lake's object store (lake_url)")?,
            ),
            None => pool,
        })
    }
}

/// Creates the data dir if needed, opens keys and database, and migrates.
pub async fn open(store: Store) -> Result<Platform> {
    std::fs::create_dir_all(&store.data_dir)
        .with_context(|| format!("creating data directory {}", store.data_dir.display()))?;
    let accepted = std::env::var(tongban_crypto::keyring::ACCEPTED_MASTER_KEY_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty());
    let keyring = Keyring::open_accepting(
        &store.data_dir.join("keys"),
        store.master_key.as_deref(),
        accepted.as_deref(),
    )
    .context("opening the keyring")?;
    let db = Db::connect(&store.database_url, &DbOptions::default())
        .await
        .context("opening the database")?;
    db.migrate(&migrations())
        .await
        .context("migrating the database")?;
    let calendar = tongban_db::calendar::load(&db)
        .await
        .context("loading the working-day calendar")?;
    Ok(Platform {
        store,
        db,
        keyring,
        calendar,
    })
}
