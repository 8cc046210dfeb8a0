//! Reads kept in memory while they are fresh: a value is served again only if nothing that could
//! change it has committed in this process since it was read (a process-wide [`Generation`],
//! bumped by every such write) and it is younger than the map's time to live, which bounds how
//! long a change made by another process on the same database goes unseen. The exchange's
//! enforcement reads (resources, grants, client tokens) use it on every call.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Most entries a map keeps; past it the map is emptied and fills again.
const MAX_ENTRIES: usize = 10_000;

/// A counter of committed writes that cached reads depend on.
#[derive(Debug, Default)]
pub struct Generation(AtomicU64);

impl Generation {
    /// A counter at zero (for a `static`).
    pub const fn new() -> Self {
        Self(AtomicU64::new(0))
    }

    /// Marks everything read so far as stale (call after the write commits).
    pub fn bump(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    /// The current value: take it before a read, and give it to [`FreshMap::put`].
    pub fn current(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Values by key, each served while its generation is current and it is younger than the TTL.
#[derive(Debug)]
pub struct FreshMap<K, V> {
    entries: Mutex<HashMap<K, (V, u64, Instant)>>,
    generation: &'static Generation,
    ttl: Duration,
}

impl<K: Eq + Hash, V: Clone> FreshMap<K, V> {
    /// An empty map invalidated by `generation`, keeping values at most `ttl`.
    pub fn new(generation: &'static Generation, ttl: Duration) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            generation,
            ttl,
        }
    }

    /// The value for `key`, if it is still fresh.
    pub fn get(&self, key: &K) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        let (value, generation, at) = entries.get(key)?;
        (*generation == self.generation.current() && at.elapsed() < self.ttl).then(|| value.clone())
    }

    /// Keeps `value`, read after the generation was `read_at` (so a write committed during the
    /// read leaves it stale).
    pub fn put(&self, key: K, value: V, read_at: u64) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(key, (value, read_at, Instant::now()));
        }
    }

    /// The generation to take before a read.
    pub fn generation(&self) -> u64 {
        self.generation.current()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static TEST_GENERATION: Generation = Generation::new();

    #[test]
    fn a_value_is_served_until_a_write_or_its_age_makes_it_stale() {
        let map = FreshMap::new(&TEST_GENERATION, Duration::from_millis(200));
        let read_at = map.generation();
        map.put("a", 1, read_at);
        assert_eq!(map.get(&"a"), Some(1));
        TEST_GENERATION.bump();
        assert_eq!(map.get(&"a"), None, "a write since the read");
        // Read before a write that committed during the read: stale at once.
        let before = map.generation();
        TEST_GENERATION.bump();
        map.put("b", 2, before);
        assert_eq!(map.get(&"b"), None);
        map.put("c", 3, map.generation());
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(map.get(&"c"), None, "older than its time to live");
    }
}
