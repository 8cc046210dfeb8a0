//! Opening the platform: the data directory, the keyring, the database and its migrations.

use crate::config::Store;
use anyhow::{Context, Result};
use tongban_crypto::Keyring;
use tongban_db::{Db, DbOptions};

/// Every crate's migrations, in dependency order.
pub use tongban_web::platform::migrations;

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
    /// The services' wiring: the zone and the session lengths `serve` sets (the defaults for
    /// other commands) and the lake under `DATA_DIR/lake`; see [`Platform::wiring_with_lake`]
    /// for the object store.
    pub fn wiring(&self, serve: Option<&crate::config::Serve>) -> tongban_web::platform::Wiring {
        let wiring = tongban_web::platform::Wiring::new(
            self.db.clone(),
            self.keyring.clone(),
            self.calendar.clone(),
            self.store.data_dir.join("lake"),
        );
        match serve {
            Some(s) => wiring
                .zone(&s.time_zone)
                .sessions(tongban_identity::SessionPolicy {
                    idle: std::time::Duration::from_secs(s.session_idle_minutes * 60),
                    absolute: std::time::Duration::from_secs(s.session_hours * 3600),
                }),
            None => wiring,
        }
    }

    /// [`Platform::wiring`] with the lake kept on object storage too when `lake_url` is set.
    pub fn wiring_with_lake(
        &self,
        serve: Option<&crate::config::Serve>,
    ) -> Result<tongban_web::platform::Wiring> {
        let wiring = self.wiring(serve);
        Ok(match &self.store.lake_url {
            Some(url) => wiring.object_lake(
                tongban_pool::ObjectLake::open(url).context("opening the lake's object store (lake_url)")?,
            ),
            None => wiring,
        })
    }

    /// The data pool over the lake (and the object store, when set).
    pub fn pool(&self, catalog: tongban_catalog::Catalog) -> Result<tongban_pool::Pool> {
        Ok(self.wiring_with_lake(None)?.pool(catalog))
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
