//! The enforcement reads the exchange makes on every call — a resource by code and the grant a
//! caller holds on it — served from memory. A cached read is used only while no catalog write
//! has committed in this process since it was made (every write bumps one process-wide
//! generation, so a revocation here takes effect on the next call) and for at most
//! [`CACHE_FOR`], which bounds how long a change made by another process on the same database
//! can go unseen.

use crate::{Catalog, Grant, Grantee, Resource, Result};
use jiff::civil::Date;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tongban_kernel::Principal;

/// The longest a cached read serves without being read again.
pub const CACHE_FOR: Duration = Duration::from_secs(1);

/// Most entries per map; past it the map is emptied (callers are a few hundred systems).
const MAX_ENTRIES: usize = 10_000;

/// Bumped after every committed catalog write in this process.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// Marks everything cached so far as stale (called after each catalog write commits).
pub(crate) fn changed() {
    GENERATION.fetch_add(1, Ordering::SeqCst);
}

struct Entry<T> {
    value: T,
    generation: u64,
    at: Instant,
}

struct Map<K, T>(Mutex<HashMap<K, Entry<T>>>);

impl<K: Eq + Hash, T: Clone> Map<K, T> {
    fn get(&self, key: &K) -> Option<T> {
        let map = self.0.lock().ok()?;
        let e = map.get(key)?;
        (e.generation == GENERATION.load(Ordering::SeqCst) && e.at.elapsed() < CACHE_FOR)
            .then(|| e.value.clone())
    }

    /// Keeps `value`, read after `generation` was taken.
    fn put(&self, key: K, value: T, generation: u64) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
            map.insert(
                key,
                Entry {
                    value,
                    generation,
                    at: Instant::now(),
                },
            );
        }
    }
}

impl<K, T> Default for Map<K, T> {
    fn default() -> Self {
        Self(Mutex::new(HashMap::new()))
    }
}

/// The cached enforcement reads of one catalog.
#[derive(Default)]
pub(crate) struct ReadCache {
    resources: Map<String, Resource>,
    grants: Map<(Grantee, String, Date), Option<Grant>>,
}

impl Catalog {
    /// [`Catalog::resource_by_code`] as the system reads it, from memory when fresh.
    pub async fn resource_by_code_cached(&self, code: &str) -> Result<Resource> {
        let key = code.trim().to_uppercase();
        if let Some(r) = self.cache.resources.get(&key) {
            return Ok(r);
        }
        let generation = GENERATION.load(Ordering::SeqCst);
        let r = self
            .resource_by_code(&Principal::system("catalog-cache"), &key)
            .await?;
        self.cache.resources.put(key, r.clone(), generation);
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
        let generation = GENERATION.load(Ordering::SeqCst);
        let g = self.effective_grant(grantee, resource_code, today).await?;
        self.cache.grants.put(key, g.clone(), generation);
        Ok(g)
    }
}
