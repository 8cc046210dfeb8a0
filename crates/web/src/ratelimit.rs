//! Per-caller rate limits (token buckets): each key earns `rate` requests per second up to a
//! burst of `burst`; a request without a token is answered 429 with the seconds to wait.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Buckets by key (an API client id). Cheap to clone; shared by every request.
#[derive(Debug, Clone, Default)]
pub struct Limiter {
    buckets: Arc<Mutex<HashMap<String, Bucket>>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Buckets this large are forgotten when full again (so the map does not grow without end).
const MAX_KEYS: usize = 10_000;

impl Limiter {
    /// Takes one token for `key`: `Ok(tokens left)` or `Err(seconds until one is earned)`.
    pub fn take(&self, key: &str, rate: u32, burst: u32) -> Result<u32, u64> {
        let rate = f64::from(rate.max(1));
        let burst = f64::from(burst.max(1));
        let now = Instant::now();
        let Ok(mut buckets) = self.buckets.lock() else {
            // A poisoned lock only means a panic elsewhere; fail open rather than stop the API.
            return Ok(0);
        };
        if buckets.len() > MAX_KEYS {
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * rate < burst);
        }
        let b = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * rate).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(b.tokens as u32)
        } else {
            Err(((1.0 - b.tokens) / rate).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Limiter;

    #[test]
    fn a_burst_is_allowed_then_refused_with_the_wait() {
        let l = Limiter::default();
        for _ in 0..3 {
            assert!(l.take("a", 1, 3).is_ok());
        }
        assert_eq!(l.take("a", 1, 3), Err(1));
        assert!(l.take("b", 1, 3).is_ok(), "each key has its own bucket");
    }
}
