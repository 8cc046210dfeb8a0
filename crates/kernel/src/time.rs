//! Time as UTC milliseconds (how the database stores it) and its display in the deployment's zone.

use crate::msg;
use serde::{Deserialize, Serialize};

/// A moment as milliseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Millis(pub i64);

/// Where a service reads the time: the system's clock, or one a test moves. Cheap to clone;
/// every service takes one, so a test moves them all at once.
#[derive(Clone)]
pub struct Clock(std::sync::Arc<dyn Fn() -> Millis + Send + Sync>);

impl Clock {
    /// The system's clock.
    pub fn system() -> Self {
        Self(std::sync::Arc::new(Millis::now))
    }

    /// A clock reading `now` each time.
    pub fn from_fn(now: impl Fn() -> Millis + Send + Sync + 'static) -> Self {
        Self(std::sync::Arc::new(now))
    }

    /// The time now.
    pub fn now(&self) -> Millis {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Clock").field(&self.now()).finish()
    }
}

/// The zone dates are shown in unless configured otherwise.
pub const DEFAULT_ZONE: &str = "Asia/Shanghai";

impl Millis {
    /// Now.
    pub fn now() -> Self {
        Self(jiff::Timestamp::now().as_millisecond())
    }

    /// This moment plus `ms` milliseconds.
    pub fn plus_ms(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// This moment as a `jiff` timestamp (clamped to jiff's range).
    pub fn timestamp(self) -> jiff::Timestamp {
        jiff::Timestamp::from_millisecond(self.0).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }

    /// The civil date and time in `zone`, `Y-m-d H:M:S`.
    pub fn display_in(self, zone: &jiff::tz::TimeZone) -> String {
        self.timestamp()
            .to_zoned(zone.clone())
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string()
    }

    /// The civil date in `zone`, `Y-m-d`.
    pub fn date_in(self, zone: &jiff::tz::TimeZone) -> jiff::civil::Date {
        self.timestamp().to_zoned(zone.clone()).date()
    }

    /// RFC 3339 in UTC (for APIs and exports).
    pub fn rfc3339(self) -> String {
        self.timestamp().to_string()
    }
}

/// The time zone named `name`, or the default zone when `name` is unknown.
pub fn zone(name: &str) -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(name)
        .or_else(|_| jiff::tz::TimeZone::get(DEFAULT_ZONE))
        .unwrap_or(jiff::tz::TimeZone::UTC)
}

/// Parses a civil date `Y-m-d` (as typed in a filter form) into the first millisecond of that
/// day in `zone`.
pub fn parse_day_start(field: &str, text: &str, zone: &jiff::tz::TimeZone) -> Result<Millis, crate::Invalid> {
    let date: jiff::civil::Date = text
        .trim()
        .parse()
        .map_err(|_| crate::Invalid::new(field, msg!("date-format")))?;
    date.to_zoned(zone.clone())
        .map(|z| Millis(z.timestamp().as_millisecond()))
        .map_err(|_| crate::Invalid::new(field, msg!("date-out-range")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shanghai_shows_utc_plus_eight() {
        let m = Millis(0);
        assert_eq!(m.display_in(&zone("Asia/Shanghai")), "1970-01-01 08:00:00");
        assert_eq!(m.display_in(&zone("Nowhere/Unknown")), "1970-01-01 08:00:00");
    }

    #[test]
    fn day_start_is_midnight_local() {
        let z = zone("Asia/Shanghai");
        let m = parse_day_start("from", "2026-01-02", &z).unwrap();
        assert_eq!(m.display_in(&z), "2026-01-02 00:00:00");
        assert_eq!(
            parse_day_start("from", "2026/01/02", &z).unwrap_err().field,
            "from"
        );
    }
}
