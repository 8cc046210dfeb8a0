//! Background work in rounds. A [`Job`] does one round of whatever is due — deliver the waiting
//! e-mails, run the due pulls, escalate the overdue items — and says how much it did; the
//! platform's worker runner calls it on its period, waits longer after a failed round, counts
//! the rounds for the metrics and stops it with the server. A new capability's background work
//! (the search indexer, the publishing scheduler) is one more `Job`.

use std::future::Future;
use std::time::Duration;

/// One kind of background work, done in rounds.
pub trait Job: Send + Sync + 'static {
    /// Its name in logs and metrics: `webhooks`, `mail`.
    fn name(&self) -> &'static str;

    /// One round: how many things it did, or why it failed (the next round comes after a
    /// longer wait; see [`backoff`]).
    fn round(&self) -> impl Future<Output = Result<usize, String>> + Send;
}

/// The wait before the next round of a job run every `period` after `failures` failed rounds
/// in a row: the period itself while rounds succeed, then twice as long per failure, at most
/// 32 periods or an hour (whichever is shorter, but never less than the period).
pub fn backoff(period: Duration, failures: u32) -> Duration {
    let cap = period
        .saturating_mul(32)
        .min(Duration::from_secs(3600))
        .max(period);
    period.saturating_mul(1 << failures.min(5)).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_job_waits_longer_each_time_up_to_a_cap() {
        let s = Duration::from_secs;
        assert_eq!(backoff(s(5), 0), s(5));
        assert_eq!(backoff(s(5), 1), s(10));
        assert_eq!(backoff(s(5), 3), s(40));
        assert_eq!(backoff(s(5), 40), s(160), "32 periods");
        assert_eq!(backoff(s(600), 9), s(3600), "an hour");
        assert_eq!(backoff(s(7200), 3), s(7200), "never less than the period");
    }
}
