//! The working-day calendar: Monday–Friday, minus national holidays, plus make-up workdays (调休上班),
//! as announced each year by the State Council. A year not yet announced is **provisional**: its
//! statutory holidays are known in advance (《全国年节及纪念日放假办法》 第二条: 元旦, 春节 from 除夕
//! through 初三, 清明节, 劳动节 two days, 端午节, 中秋节, 国庆节 three days — the lunar ones and
//! 清明 computed), only the bridging days and make-up workdays are announced late. Dates counted
//! through such a year are shown as provisional and recomputed when an administrator enters it.
//!
//! A `WorkCalendar` is a handle: its clones share the years, so a year entered through one of them
//! is seen at once by every service holding another.

use jiff::civil::{Date, Weekday};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The official calendars shipped with this release.
pub const BUNDLED: &str = include_str!("../data/cn-workday-calendar.toml");

/// The years whose statutory holidays can be computed (the lunar tables' range).
const COMPUTABLE: std::ops::RangeInclusive<i16> = 1901..=2099;

/// A calendar question that cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarError {
    /// The year is outside the range whose holidays can be known or computed.
    UnknownYear(i16),
    /// The calendar text is malformed.
    Malformed(String),
}

impl CalendarError {
    /// What to tell a person.
    pub fn message(&self) -> crate::Msg {
        match self {
            CalendarError::UnknownYear(year) => crate::msg!("holidays-not-entered", year = year.to_string()),
            CalendarError::Malformed(detail) => crate::msg!("calendar-malformed", detail = detail),
        }
    }
}

impl std::fmt::Display for CalendarError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.message().fmt(f)
    }
}

impl std::error::Error for CalendarError {}

#[derive(Debug, Deserialize)]
struct YearText {
    holidays: Vec<HolidayText>,
    makeup_workdays: Vec<Date>,
}

#[derive(Debug, Deserialize)]
struct HolidayText {
    name: String,
    from: Date,
    to: Date,
}

/// One holiday range, inclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    /// Its name, e.g. 国庆节.
    pub name: String,
    /// First day off.
    pub from: Date,
    /// Last day off.
    pub to: Date,
}

#[derive(Debug, Clone, Default)]
struct Year {
    holidays: Vec<Holiday>,
    makeup: BTreeSet<Date>,
}

impl Year {
    fn is_working_day(&self, date: Date) -> bool {
        if self.makeup.contains(&date) {
            return true;
        }
        if self.holidays.iter().any(|h| h.from <= date && date <= h.to) {
            return false;
        }
        !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
    }
}

#[derive(Debug, Default)]
struct Years {
    /// Years announced (shipped or entered by an administrator).
    announced: BTreeMap<i16, Year>,
    /// Provisional years computed so far (statutory holidays only, no make-up days).
    computed: BTreeMap<i16, Year>,
}

impl Years {
    fn year(&self, y: i16) -> Option<&Year> {
        self.announced.get(&y).or_else(|| self.computed.get(&y))
    }
}

/// What recounting the deadlines a newly entered year moves did, in one crate's records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recount {
    /// Open records whose due days were counted again.
    pub checked: usize,
    /// Of those, the records whose due day moved.
    pub moved: usize,
}

impl Recount {
    /// Counts one record checked, and moved when `moved`.
    pub fn count(&mut self, moved: bool) {
        self.checked += 1;
        self.moved += usize::from(moved);
    }
}

impl std::ops::Add for Recount {
    type Output = Recount;
    fn add(self, other: Recount) -> Recount {
        Recount {
            checked: self.checked + other.checked,
            moved: self.moved + other.moved,
        }
    }
}

/// Known years of holidays and make-up workdays, and provisional years computed from the
/// statutory holidays.
#[derive(Debug, Clone, Default)]
pub struct WorkCalendar {
    years: Arc<RwLock<Years>>,
}

/// The statutory public holidays of `year` (《全国年节及纪念日放假办法》, as revised in 2024):
/// what is known of a year before its schedule is announced. `None` outside the computable range.
pub fn statutory_holidays(year: i16) -> Option<Vec<Holiday>> {
    use tyme4rs::tyme::Tyme;
    use tyme4rs::tyme::lunar::LunarDay;
    use tyme4rs::tyme::solar::{SolarDay, SolarTerm};
    if !COMPUTABLE.contains(&year) {
        return None;
    }
    let y = isize::from(year);
    let civil = |d: SolarDay| -> Option<Date> {
        Date::new(
            i16::try_from(d.get_solar_month().get_year()).ok()?,
            i8::try_from(d.get_month()).ok()?,
            i8::try_from(d.get_day()).ok()?,
        )
        .ok()
    };
    let day = |m: i8, d: i8| Date::new(year, m, d).ok();
    let lunar = |m: isize, d: usize| civil(LunarDay::from_ymd(y, m, d).get_solar_day());
    let new_year = LunarDay::from_ymd(y, 1, 1).get_solar_day();
    let qingming = civil(SolarTerm::new(y, "清明").ok()?.get_solar_day())?;
    let spring = (civil(new_year.next(-1))?, civil(new_year.next(2))?);
    let ranges = [
        ("元旦", day(1, 1)?, day(1, 1)?),
        ("春节", spring.0, spring.1),
        ("清明节", qingming, qingming),
        ("劳动节", day(5, 1)?, day(5, 2)?),
        ("端午节", lunar(5, 5)?, lunar(5, 5)?),
        ("中秋节", lunar(8, 15)?, lunar(8, 15)?),
        ("国庆节", day(10, 1)?, day(10, 3)?),
    ];
    Some(
        ranges
            .into_iter()
            .map(|(name, from, to)| Holiday {
                name: name.to_string(),
                from,
                to,
            })
            .collect(),
    )
}

impl WorkCalendar {
    /// The calendar shipped with this release.
    pub fn bundled() -> Self {
        // The bundled data is checked by a unit test, so it always parses.
        Self::from_toml(BUNDLED).unwrap_or_default()
    }

    /// Parses calendar text in the bundled format (`[2026] holidays = [...] makeup_workdays = [...]`).
    pub fn from_toml(text: &str) -> Result<Self, CalendarError> {
        let cal = Self::default();
        cal.merge_toml(text)?;
        Ok(cal)
    }

    fn read_years(&self) -> RwLockReadGuard<'_, Years> {
        // A panic while holding the lock cannot leave the maps half-written (each write is one
        // insert), so a poisoned lock is still consistent.
        self.years.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_years(&self) -> RwLockWriteGuard<'_, Years> {
        self.years.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds or replaces the years in `text` (every clone of this calendar sees them).
    pub fn merge_toml(&self, text: &str) -> Result<(), CalendarError> {
        let parsed: BTreeMap<String, YearText> =
            toml::from_str(text).map_err(|e| CalendarError::Malformed(e.message().to_string()))?;
        let mut entries = Vec::new();
        for (key, y) in parsed {
            let year: i16 = key
                .parse()
                .map_err(|_| CalendarError::Malformed(format!("year `{key}`")))?;
            let mut entry = Year::default();
            for h in y.holidays {
                if h.from.year() != year || h.to < h.from {
                    return Err(CalendarError::Malformed(format!(
                        "{year}: {} {}..{}",
                        h.name, h.from, h.to
                    )));
                }
                entry.holidays.push(Holiday {
                    name: h.name,
                    from: h.from,
                    to: h.to,
                });
            }
            for d in y.makeup_workdays {
                if d.year() != year {
                    return Err(CalendarError::Malformed(format!("{year}: make-up day {d}")));
                }
                entry.makeup.insert(d);
            }
            entries.push((year, entry));
        }
        let mut years = self.write_years();
        for (year, entry) in entries {
            years.computed.remove(&year);
            years.announced.insert(year, entry);
        }
        Ok(())
    }

    /// The years whose schedule has been announced.
    pub fn years(&self) -> Vec<i16> {
        self.read_years().announced.keys().copied().collect()
    }

    /// Whether `year`'s schedule has not been announced, so dates in it are provisional.
    pub fn is_provisional(&self, year: i16) -> bool {
        !self.read_years().announced.contains_key(&year)
    }

    /// Whether any year from `from`'s to `to`'s is provisional: a limit counted across it is.
    pub fn provisional_between(&self, from: Date, to: Date) -> bool {
        let years = self.read_years();
        (from.year()..=to.year()).any(|y| !years.announced.contains_key(&y))
    }

    /// The holidays of `year`: the announced ranges, or for a provisional year the statutory days.
    pub fn holidays(&self, year: i16) -> Result<Vec<Holiday>, CalendarError> {
        self.ensure(year)?;
        Ok(self
            .read_years()
            .year(year)
            .map(|y| y.holidays.clone())
            .unwrap_or_default())
    }

    /// The make-up workdays (调休上班日) of `year`: none for a provisional year.
    pub fn makeup_workdays(&self, year: i16) -> Vec<Date> {
        self.read_years()
            .year(year)
            .map(|y| y.makeup.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Makes sure `year` can be read: announced, or computed now as provisional.
    fn ensure(&self, year: i16) -> Result<(), CalendarError> {
        if self.read_years().year(year).is_some() {
            return Ok(());
        }
        let holidays = statutory_holidays(year).ok_or(CalendarError::UnknownYear(year))?;
        self.write_years().computed.entry(year).or_insert(Year {
            holidays,
            makeup: BTreeSet::new(),
        });
        Ok(())
    }

    /// Whether government offices work on `date` (provisionally in a year not yet announced).
    pub fn is_working_day(&self, date: Date) -> Result<bool, CalendarError> {
        self.ensure(date.year())?;
        Ok(self
            .read_years()
            .year(date.year())
            .is_some_and(|y| y.is_working_day(date)))
    }

    /// Walks the days after `start` while `go` says so, telling it whether each is a working day;
    /// returns the last day walked.
    fn walk(&self, start: Date, mut go: impl FnMut(Date, bool) -> bool) -> Result<Date, CalendarError> {
        let step = |d: Date| d.tomorrow().map_err(|_| CalendarError::UnknownYear(d.year()));
        let mut current = step(start)?;
        loop {
            let year = current.year();
            self.ensure(year)?;
            // The whole year under one lock, then the next one.
            let years = self.read_years();
            let Some(y) = years.year(year) else {
                return Err(CalendarError::UnknownYear(year));
            };
            while current.year() == year {
                if !go(current, y.is_working_day(current)) {
                    return Ok(current);
                }
                current = step(current)?;
            }
        }
    }

    /// The day on which a limit of `days` working days ends when counting starts after `start`
    /// (the day of receipt itself is not counted). Zero days is `start` itself.
    pub fn add_working_days(&self, start: Date, days: u32) -> Result<Date, CalendarError> {
        if days == 0 {
            return Ok(start);
        }
        let mut left = days;
        self.walk(start, |_, working| {
            if working {
                left -= 1;
            }
            left > 0
        })
    }

    /// Working days in `(from, to]`: how many have been used by `to` of a limit started on `from`.
    pub fn working_days_between(&self, from: Date, to: Date) -> Result<u32, CalendarError> {
        if to <= from {
            return Ok(0);
        }
        let mut n = 0;
        self.walk(from, |d, working| {
            if working {
                n += 1;
            }
            d < to
        })?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn bundled_calendar_parses_with_2025_and_2026() {
        let cal = WorkCalendar::from_toml(BUNDLED).unwrap();
        assert_eq!(cal.years(), vec![2025, 2026]);
        assert_eq!(cal.holidays(2026).unwrap().len(), 7);
    }

    #[test]
    fn make_up_saturday_is_a_working_day_and_holiday_weekday_is_not() {
        let cal = WorkCalendar::bundled();
        assert!(cal.is_working_day(date(2026, 10, 10)).unwrap()); // Saturday, 调休上班
        assert!(!cal.is_working_day(date(2026, 10, 5)).unwrap()); // Monday, 国庆节
        assert!(cal.is_working_day(date(2026, 10, 8)).unwrap()); // Thursday after the holiday
        assert!(!cal.is_working_day(date(2026, 10, 11)).unwrap()); // plain Sunday
    }

    #[test]
    fn five_working_days_from_the_eve_of_national_day_end_after_the_holiday() {
        let cal = WorkCalendar::bundled();
        // Received Wed 2026-09-30: Oct 1–7 off, Thu 8, Fri 9, Sat 10 (make-up), Mon 12, Tue 13.
        assert_eq!(
            cal.add_working_days(date(2026, 9, 30), 5).unwrap(),
            date(2026, 10, 13)
        );
        assert_eq!(
            cal.working_days_between(date(2026, 9, 30), date(2026, 10, 13))
                .unwrap(),
            5
        );
    }

    #[test]
    fn a_year_not_announced_is_provisional_with_its_statutory_holidays() {
        let cal = WorkCalendar::bundled();
        assert!(cal.is_provisional(2027));
        assert!(!cal.is_provisional(2026));
        // 2027: 元旦 Fri 1 Jan; 春节 除夕 Fri 5 Feb to 初三 Mon 8 Feb (正月初一 is 6 Feb).
        assert!(!cal.is_working_day(date(2027, 1, 1)).unwrap());
        assert!(!cal.is_working_day(date(2027, 2, 5)).unwrap());
        assert!(!cal.is_working_day(date(2027, 2, 8)).unwrap());
        assert!(cal.is_working_day(date(2027, 2, 9)).unwrap());
        // Received Wed 30 Dec 2026: Thu 31 (1), Jan 1 off, Mon 4 .. Fri 8 (6), Mon 11 .. Wed 13 (9).
        assert_eq!(
            cal.add_working_days(date(2026, 12, 30), 9).unwrap(),
            date(2027, 1, 13)
        );
        assert!(cal.provisional_between(date(2026, 12, 30), date(2027, 1, 13)));
        assert!(!cal.provisional_between(date(2026, 3, 1), date(2026, 12, 31)));
        assert_eq!(
            cal.is_working_day(date(2100, 3, 1)),
            Err(CalendarError::UnknownYear(2100))
        );
    }

    #[test]
    fn computed_statutory_days_fall_inside_the_announced_holidays_of_2025_and_2026() {
        let cal = WorkCalendar::bundled();
        for year in [2025, 2026] {
            let announced = cal.holidays(year).unwrap();
            for h in statutory_holidays(year).unwrap() {
                let mut d = h.from;
                while d <= h.to {
                    assert!(
                        announced.iter().any(|a| a.from <= d && d <= a.to),
                        "{} {d} is not in the announced {year} holidays",
                        h.name
                    );
                    d = d.tomorrow().unwrap();
                }
            }
        }
        // Known dates: 清明 2026-04-05, 端午 2026-06-19, 中秋 2026-09-25, 除夕 2026-02-16.
        let h2026 = statutory_holidays(2026).unwrap();
        let find = |n: &str| h2026.iter().find(|h| h.name == n).unwrap().clone();
        assert_eq!(find("清明节").from, date(2026, 4, 5));
        assert_eq!(find("端午节").from, date(2026, 6, 19));
        assert_eq!(find("中秋节").from, date(2026, 9, 25));
        assert_eq!(find("春节").from, date(2026, 2, 16));
        assert_eq!(find("春节").to, date(2026, 2, 19));
    }

    #[test]
    fn entering_a_year_through_one_handle_reaches_every_clone() {
        let cal = WorkCalendar::bundled();
        let other = cal.clone();
        assert!(!other.is_working_day(date(2027, 2, 20)).unwrap()); // a Saturday, until…
        cal.merge_toml("[2027]\nholidays = []\nmakeup_workdays = [\"2027-02-20\"]\n")
            .unwrap();
        assert!(!other.is_provisional(2027));
        assert!(other.is_working_day(date(2027, 2, 20)).unwrap());
        assert!(!other.is_working_day(date(2027, 2, 21)).unwrap());
    }

    #[test]
    fn an_administrator_can_add_a_year_and_bad_data_is_refused() {
        let cal = WorkCalendar::bundled();
        cal.merge_toml("[2027]\nholidays = [{ name = \"元旦\", from = \"2027-01-01\", to = \"2027-01-01\" }]\nmakeup_workdays = []\n")
            .unwrap();
        assert!(!cal.is_working_day(date(2027, 1, 1)).unwrap());
        assert!(WorkCalendar::from_toml("[2027]\nholidays = [{ name = \"x\", from = \"2026-01-01\", to = \"2026-01-01\" }]\nmakeup_workdays = []").is_err());
        assert!(WorkCalendar::from_toml("not toml [").is_err());
    }
}
