//! The legal clock (法定时限): a time limit counted in working days from the day after receipt,
//! stopped while the law lets it stop — 补正 (the applicant supplements materials), third-party
//! consultation (征求意见), hearings (听证), testing and inspection (检验检测) — with the statutory
//! limit and the (usually shorter) promised limit (承诺时限) kept side by side.
//!
//! One implementation, used by every module that has a deadline: sharing requests, cases,
//! inquiries, disclosure requests.

use crate::calendar::{CalendarError, WorkCalendar};
use crate::msg;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Why a clock stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseReason {
    /// 补正: waiting for the applicant to supplement materials.
    Supplement,
    /// 征求意见: consulting a third party.
    Consultation,
    /// 听证: a hearing.
    Hearing,
    /// 检验检测: testing, inspection, expert review.
    Testing,
}

impl PauseReason {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            PauseReason::Supplement => "supplement",
            PauseReason::Consultation => "consultation",
            PauseReason::Hearing => "hearing",
            PauseReason::Testing => "testing",
        }
    }

    /// Parses a stored code.
    pub fn parse(code: &str) -> Option<Self> {
        [
            PauseReason::Supplement,
            PauseReason::Consultation,
            PauseReason::Hearing,
            PauseReason::Testing,
        ]
        .into_iter()
        .find(|r| r.code() == code)
    }
}

/// A stretch of time the clock did not run: from `from` (inclusive) to `to` (the day it restarted,
/// exclusive), or still stopped when `to` is `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    /// Why.
    pub reason: PauseReason,
    /// First day stopped.
    pub from: Date,
    /// Day it ran again (not counted as stopped); `None` while still stopped.
    pub to: Option<Date>,
}

/// Where a clock stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    /// Running, with more than the warning margin left.
    OnTime,
    /// Running, due within the warning margin (shown yellow).
    DueSoon,
    /// Past the due day (shown red).
    Overdue,
    /// Stopped for a pause.
    Paused,
    /// Finished (the decision was made) — on time or not is in `finished_late`.
    Finished,
}

/// A time limit in working days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalClock {
    /// Day of receipt (受理日); counting starts the next day.
    pub started: Date,
    /// The statutory limit in working days.
    pub statutory_days: u32,
    /// The promised limit, when shorter than the statutory one.
    pub promised_days: Option<u32>,
    /// Stops, in order.
    pub pauses: Vec<Pause>,
    /// Day the matter was finished, if it was.
    pub finished: Option<Date>,
}

/// A reading of a clock on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClockReading {
    /// State on that day.
    pub state: ClockState,
    /// Working days used (pauses not counted).
    pub used: u32,
    /// Statutory due day, pauses included (for an open pause: as if it ended today).
    pub due: Date,
    /// Promised due day, if there is a promise.
    pub promised_due: Option<Date>,
    /// Working days left before the limit that applies (the promised one when set); negative
    /// when overdue.
    pub remaining: i64,
    /// For a finished clock: whether it finished after the limit that applies.
    pub finished_late: bool,
    /// Whether the due days were counted through a year whose holiday schedule has not been
    /// announced (weekends and statutory holidays only): shown as 暂定 and recomputed when the
    /// year is entered.
    pub provisional: bool,
}

impl LegalClock {
    /// A running clock started on `started`.
    pub fn new(started: Date, statutory_days: u32, promised_days: Option<u32>) -> Self {
        Self {
            started,
            statutory_days,
            promised_days: promised_days.filter(|p| *p < statutory_days),
            pauses: Vec::new(),
            finished: None,
        }
    }

    /// Whether the clock is stopped now.
    pub fn is_paused(&self) -> bool {
        self.pauses.last().is_some_and(|p| p.to.is_none())
    }

    /// Stops the clock on `day`. Refused when already stopped, finished, or before the last event.
    pub fn pause(&mut self, reason: PauseReason, day: Date) -> Result<(), crate::Invalid> {
        if self.finished.is_some() {
            return Err(crate::Invalid::new("clock", msg!("clock-has-finished")));
        }
        if self.is_paused() {
            return Err(crate::Invalid::new("clock", msg!("clock-already-stopped")));
        }
        let last = self.pauses.last().and_then(|p| p.to).unwrap_or(self.started);
        if day < last {
            return Err(crate::Invalid::new("day", msg!("date-before-last-clock")));
        }
        self.pauses.push(Pause {
            reason,
            from: day,
            to: None,
        });
        Ok(())
    }

    /// Restarts a stopped clock on `day`.
    pub fn resume(&mut self, day: Date) -> Result<(), crate::Invalid> {
        match self.pauses.last_mut() {
            Some(p) if p.to.is_none() => {
                if day < p.from {
                    return Err(crate::Invalid::new("day", msg!("resumed-before-stopped")));
                }
                p.to = Some(day);
                Ok(())
            }
            _ => Err(crate::Invalid::new("clock", msg!("clock-not-stopped"))),
        }
    }

    /// Marks the matter finished on `day` (an open pause ends that day).
    pub fn finish(&mut self, day: Date) -> Result<(), crate::Invalid> {
        if self.is_paused() {
            self.resume(day)?;
        }
        self.finished = Some(day);
        Ok(())
    }

    /// Working days inside pauses; an open pause counts through `today` inclusive.
    fn paused_days(&self, cal: &WorkCalendar, today: Date) -> Result<u32, CalendarError> {
        let mut n = 0;
        for p in &self.pauses {
            let end = match p.to {
                Some(restarted) => restarted,
                None => today
                    .tomorrow()
                    .map_err(|_| CalendarError::UnknownYear(today.year()))?,
            };
            if end > p.from {
                // Working days in [from, end): the pause's first day up to the day before it ended.
                let before = p
                    .from
                    .yesterday()
                    .map_err(|_| CalendarError::UnknownYear(p.from.year()))?;
                let last = end
                    .yesterday()
                    .map_err(|_| CalendarError::UnknownYear(end.year()))?;
                n += cal.working_days_between(before, last)?;
            }
        }
        Ok(n)
    }

    /// Reads the clock on `today`, warning (`DueSoon`) when `warn_days` or fewer working days are
    /// left.
    pub fn read(
        &self,
        cal: &WorkCalendar,
        today: Date,
        warn_days: u32,
    ) -> Result<ClockReading, CalendarError> {
        let until = self.finished.unwrap_or(today);
        let paused = self.paused_days(cal, until)?;
        let due = cal.add_working_days(self.started, self.statutory_days + paused)?;
        let promised_due = match self.promised_days {
            Some(p) => Some(cal.add_working_days(self.started, p + paused)?),
            None => None,
        };
        let elapsed = cal.working_days_between(self.started, until)?;
        let used = elapsed.saturating_sub(paused);
        let limit = self.promised_days.unwrap_or(self.statutory_days);
        let remaining = i64::from(limit) - i64::from(used);
        let state = if self.finished.is_some() {
            ClockState::Finished
        } else if self.is_paused() {
            ClockState::Paused
        } else if remaining < 0 {
            ClockState::Overdue
        } else if remaining <= i64::from(warn_days) {
            ClockState::DueSoon
        } else {
            ClockState::OnTime
        };
        let last = promised_due.map_or(due, |p| p.max(due)).max(until);
        Ok(ClockReading {
            provisional: cal.provisional_between(self.started, last),
            state,
            used,
            due,
            promised_due,
            remaining,
            finished_late: self.finished.is_some() && remaining < 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn cal() -> WorkCalendar {
        WorkCalendar::bundled()
    }

    #[test]
    fn a_twenty_day_limit_runs_across_national_day() {
        // 行政许可法 第42条: 20 working days. Received Fri 2026-09-25 (中秋节, a holiday — counting
        // starts the next day anyway).
        let clock = LegalClock::new(date(2026, 9, 25), 20, None);
        let r = clock.read(&cal(), date(2026, 9, 30), 3).unwrap();
        // Sep 28 (Mon), 29, 30 are working days; Sep 26–27 are holiday/weekend.
        assert_eq!(r.used, 3);
        assert_eq!(r.state, ClockState::OnTime);
        // Sep 28–30 (3), Oct 1–7 off, Oct 8–9 (5), Sat 10 make-up (6), Oct 12–16 (11),
        // Oct 19–23 (16), Oct 26–29 (20).
        assert_eq!(r.due, date(2026, 10, 29));
    }

    #[test]
    fn a_supplement_pause_stops_the_clock_and_extends_the_due_day() {
        let mut clock = LegalClock::new(date(2026, 3, 2), 5, None); // Monday
        clock.pause(PauseReason::Supplement, date(2026, 3, 4)).unwrap(); // Tue 3 ran; stopped from Wed 4
        let during = clock.read(&cal(), date(2026, 3, 10), 1).unwrap();
        assert_eq!(during.state, ClockState::Paused);
        assert_eq!(during.used, 1, "only Tue 3 ran before the stop on Wed 4");
        clock.resume(date(2026, 3, 11)).unwrap(); // Wed 11 runs again
        let after = clock.read(&cal(), date(2026, 3, 11), 1).unwrap();
        assert_eq!(after.used, 2);
        // Without the stop it would have been due Mon 9; five paused working days (4,5,6,9,10) push it to Mon 16.
        assert_eq!(after.due, date(2026, 3, 16));
        assert_eq!(after.remaining, 3);
    }

    #[test]
    fn promised_limits_warn_earlier_than_statutory_ones() {
        let clock = LegalClock::new(date(2026, 6, 1), 20, Some(5));
        let r = clock.read(&cal(), date(2026, 6, 5), 1).unwrap(); // Tue–Fri used: 4
        assert_eq!(r.used, 4);
        assert_eq!(r.state, ClockState::DueSoon);
        let late = clock.read(&cal(), date(2026, 6, 10), 1).unwrap();
        assert_eq!(late.state, ClockState::Overdue);
        assert!(late.remaining < 0);
        assert!(late.due > late.promised_due.unwrap());
    }

    #[test]
    fn finishing_late_is_recorded_and_bad_pauses_are_refused() {
        let mut clock = LegalClock::new(date(2026, 6, 1), 2, None);
        assert!(clock.resume(date(2026, 6, 2)).is_err());
        clock.pause(PauseReason::Testing, date(2026, 6, 2)).unwrap();
        assert!(clock.pause(PauseReason::Hearing, date(2026, 6, 3)).is_err());
        assert!(clock.resume(date(2026, 6, 1)).is_err());
        clock.finish(date(2026, 6, 12)).unwrap();
        let r = clock.read(&cal(), date(2026, 6, 30), 1).unwrap();
        assert_eq!(r.state, ClockState::Finished);
        assert!(!r.finished_late, "the whole wait was a stop");
        assert!(clock.pause(PauseReason::Hearing, date(2026, 6, 13)).is_err());
    }

    #[test]
    fn a_clock_reaching_into_a_year_not_announced_is_provisional_not_blank() {
        // Received Mon 2026-12-14, 20 working days: Dec 15–31 (13), Jan 1 off (元旦), Jan 4–8 (18),
        // Jan 11–12 (20).
        let clock = LegalClock::new(date(2026, 12, 14), 20, Some(10));
        let r = clock.read(&cal(), date(2026, 12, 29), 1).unwrap();
        assert!(r.provisional);
        assert_eq!(r.due, date(2027, 1, 12));
        assert_eq!(r.promised_due, Some(date(2026, 12, 28)));
        assert_eq!(r.state, ClockState::Overdue, "yellow and red keep working on it");
        let inside = LegalClock::new(date(2026, 6, 1), 5, None);
        assert!(!inside.read(&cal(), date(2026, 6, 2), 1).unwrap().provisional);
    }
}
