//! Per-caller rate limits (token buckets): each key earns `rate` requests per second up to a
//! burst of `burst`; a request without a token is answered 429 with the seconds to wait.

use crate::time::Millis;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Buckets by key (an API client id, a client address, an account). Cheap to clone; shared by
/// every request.
#[derive(Debug, Clone, Default)]
pub struct Limiter {
    buckets: Arc<Mutex<HashMap<String, Bucket>>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    /// Seconds on the limiter's clock when last filled.
    at: f64,
}

/// Seconds since the first use in this process (a monotonic clock for [`Limiter::take`]).
fn monotonic_s() -> f64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

/// Buckets this large are forgotten when full again (so the map does not grow without end).
const MAX_KEYS: usize = 10_000;

impl Limiter {
    /// Takes one token for `key`: `Ok(tokens left)` or `Err(seconds until one is earned)`.
    pub fn take(&self, key: &str, rate: u32, burst: u32) -> Result<u32, u64> {
        self.take_at(key, f64::from(rate.max(1)), burst, monotonic_s())
    }

    /// [`Limiter::take`] for slow limits, `per_minute` tokens a minute, on a caller's clock
    /// (`now`: milliseconds that only move forward; a service's own clock, which tests move).
    pub fn take_per_minute(&self, key: &str, per_minute: u32, burst: u32, now: Millis) -> Result<u32, u64> {
        self.take_at(
            key,
            f64::from(per_minute.max(1)) / 60.0,
            burst,
            now.0 as f64 / 1000.0,
        )
    }

    /// Returns a token taken for `key` (the attempt turned out not to count), up to `burst`.
    pub fn give_back(&self, key: &str, burst: u32) {
        if let Ok(mut buckets) = self.buckets.lock()
            && let Some(b) = buckets.get_mut(key)
        {
            b.tokens = (b.tokens + 1.0).min(f64::from(burst.max(1)));
        }
    }

    fn take_at(&self, key: &str, rate: f64, burst: u32, now: f64) -> Result<u32, u64> {
        let burst = f64::from(burst.max(1));
        let Ok(mut buckets) = self.buckets.lock() else {
            // A poisoned lock only means a panic elsewhere; fail open rather than stop the API.
            return Ok(0);
        };
        if buckets.len() > MAX_KEYS {
            buckets.retain(|_, b| b.tokens + (now - b.at).max(0.0) * rate < burst);
        }
        let b = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        b.tokens = (b.tokens + (now - b.at).max(0.0) * rate).min(burst);
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
    use crate::time::Millis;

    #[test]
    fn a_burst_is_allowed_then_refused_with_the_wait() {
        let l = Limiter::default();
        for _ in 0..3 {
            assert!(l.take("a", 1, 3).is_ok());
        }
        assert_eq!(l.take("a", 1, 3), Err(1));
        assert!(l.take("b", 1, 3).is_ok(), "each key has its own bucket");
    }

    #[test]
    fn slow_limits_say_the_wait_and_a_returned_token_can_be_used_again() {
        let l = Limiter::default();
        let t0 = Millis(1_000_000);
        assert!(l.take_per_minute("ip", 6, 2, t0).is_ok());
        assert!(l.take_per_minute("ip", 6, 2, t0).is_ok());
        assert_eq!(l.take_per_minute("ip", 6, 2, t0), Err(10));
        assert_eq!(l.take_per_minute("ip", 6, 2, t0.plus_ms(4_000)), Err(6));
        l.give_back("ip", 2);
        assert!(l.take_per_minute("ip", 6, 2, t0.plus_ms(4_000)).is_ok());
        // The clock moved on a minute: the bucket is full again.
        assert!(l.take_per_minute("ip", 6, 2, t0.plus_ms(64_000)).is_ok());
        assert!(l.take_per_minute("ip", 6, 2, t0.plus_ms(64_000)).is_ok());
    }
}
