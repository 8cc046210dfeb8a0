//! The enforcement reads the exchange makes on every call — a resource by code and the grant a
//! caller holds on it — served from memory while fresh ([`tongban_kernel::fresh`]): every
//! committed catalog write in this process makes them stale at once (so a revocation here takes
//! effect on the next call), and none is older than [`CACHE_FOR`], which bounds how long a
//! change made by another process on the same database can go unseen.

use crate::{Catalog, Grant, Grantee, Resource, Result};
use jiff::civil::Date;
use std::time::Duration;
use tongban_kernel::Principal;
use tongban_kernel::fresh::{FreshMap, Generation};

/// The longest a cached read serves without being read again.
pub const CACHE_FOR: Duration = Duration::from_secs(1);

/// Bumped after every committed catalog write in this process.
static GENERATION: Generation = Generation::new();

/// Marks everything cached so far as stale (called after each catalog write commits).
pub(crate) fn changed() {
    GENERATION.bump();
}

/// The cached enforcement reads of one catalog.
pub(crate) struct ReadCache {
    resources: FreshMap<String, Resource>,
    grants: FreshMap<(Grantee, String, Date), Option<Grant>>,
}

impl Default for ReadCache {
    fn default() -> Self {
        Self {
            resources: FreshMap::new(&GENERATION, CACHE_FOR),
            grants: FreshMap::new(&GENERATION, CACHE_FOR),
        }
    }
}

impl Catalog {
    /// [`Catalog::resource_by_code`] as the system reads it, from memory when fresh.
    pub async fn resource_by_code_cached(&self, code: &str) -> Result<Resource> {
        let key = code.trim().to_uppercase();
        if let Some(r) = self.cache.resources.get(&key) {
            return Ok(r);
        }
        let read_at = self.cache.resources.generation();
        let r = self
            .resource_by_code(&Principal::system("catalog-cache"), &key)
            .await?;
        self.cache.resources.put(key, r.clone(), read_at);
        Ok(r)
    }

    /// [`Catalog::effective_grant`], from memory when fresh.
    pub async fn effective_grant_cached(
        &self,
        grantee: &Grantee,
        resource_code: &str,
        today: Date,
    ) -> Result<Option<Grant>> {
        let key = (grantee.clone(), resource_code.trim().to_uppercase(), today);
        if let Some(g) = self.cache.grants.get(&key) {
            return Ok(g);
        }
        let read_at = self.cache.grants.generation();
        let g = self.effective_grant(grantee, resource_code, today).await?;
        self.cache.grants.put(key, g.clone(), read_at);
        Ok(g)
    }
}
