//! The working-day calendar: Monday–Friday, minus national holidays, plus make-up workdays (调休上班),
//! as announced each year by the State Council. Years not announced are unknown and reported as
//! such, never guessed; an administrator adds them as data.

use jiff::civil::{Date, Weekday};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// The official calendars shipped with this release.
pub const BUNDLED: &str = include_str!("../data/cn-workday-calendar.toml");

/// A calendar question that cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The year's holidays have not been entered.
    #[error("{0}年节假日安排尚未录入 / holidays for {0} have not been entered")]
    UnknownYear(i16),
    /// The calendar text is malformed.
    #[error("节假日数据格式错误 / calendar data malformed: {0}")]
    Malformed(String),
}

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

/// Known years of holidays and make-up workdays.
#[derive(Debug, Clone, Default)]
pub struct WorkCalendar {
    years: BTreeMap<i16, Year>,
}

impl WorkCalendar {
    /// The calendar shipped with this release.
    pub fn bundled() -> Self {
        // The bundled data is checked by a unit test, so it always parses.
        Self::from_toml(BUNDLED).unwrap_or_default()
    }

    /// Parses calendar text in the bundled format (`[2026] holidays = [...] makeup_workdays = [...]`).
    pub fn from_toml(text: &str) -> Result<Self, CalendarError> {
        let mut cal = Self::default();
        cal.merge_toml(text)?;
        Ok(cal)
    }

    /// Adds or replaces the years in `text`.
    pub fn merge_toml(&mut self, text: &str) -> Result<(), CalendarError> {
        let parsed: BTreeMap<String, YearText> =
            toml::from_str(text).map_err(|e| CalendarError::Malformed(e.message().to_string()))?;
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
            self.years.insert(year, entry);
        }
        Ok(())
    }

    /// The years this calendar knows.
    pub fn years(&self) -> Vec<i16> {
        self.years.keys().copied().collect()
    }

    /// The holidays of `year`.
    pub fn holidays(&self, year: i16) -> Result<&[Holiday], CalendarError> {
        self.years
            .get(&year)
            .map(|y| y.holidays.as_slice())
            .ok_or(CalendarError::UnknownYear(year))
    }

    /// Whether government offices work on `date`.
    pub fn is_working_day(&self, date: Date) -> Result<bool, CalendarError> {
        let year = self
            .years
            .get(&date.year())
            .ok_or(CalendarError::UnknownYear(date.year()))?;
        if year.makeup.contains(&date) {
            return Ok(true);
        }
        if year.holidays.iter().any(|h| h.from <= date && date <= h.to) {
            return Ok(false);
        }
        Ok(!matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday))
    }

    /// The day on which a limit of `days` working days ends when counting starts after `start`
    /// (the day of receipt itself is not counted). Zero days is `start` itself.
    pub fn add_working_days(&self, start: Date, days: u32) -> Result<Date, CalendarError> {
        let mut d = start;
        let mut left = days;
        while left > 0 {
            d = d.tomorrow().map_err(|_| CalendarError::UnknownYear(d.year()))?;
            if self.is_working_day(d)? {
                left -= 1;
            }
        }
        Ok(d)
    }

    /// Working days in `(from, to]`: how many have been used by `to` of a limit started on `from`.
    pub fn working_days_between(&self, from: Date, to: Date) -> Result<u32, CalendarError> {
        let mut n = 0;
        let mut d = from;
        while d < to {
            d = d.tomorrow().map_err(|_| CalendarError::UnknownYear(d.year()))?;
            if self.is_working_day(d)? {
                n += 1;
            }
        }
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
    fn unknown_years_are_reported_not_guessed() {
        let cal = WorkCalendar::bundled();
        assert_eq!(
            cal.is_working_day(date(2027, 3, 1)),
            Err(CalendarError::UnknownYear(2027))
        );
        assert_eq!(
            cal.add_working_days(date(2026, 12, 30), 5),
            Err(CalendarError::UnknownYear(2027))
        );
    }

    #[test]
    fn an_administrator_can_add_a_year_and_bad_data_is_refused() {
        let mut cal = WorkCalendar::bundled();
        cal.merge_toml("[2027]\nholidays = [{ name = \"元旦\", from = \"2027-01-01\", to = \"2027-01-01\" }]\nmakeup_workdays = []\n")
            .unwrap();
        assert!(!cal.is_working_day(date(2027, 1, 1)).unwrap());
        assert!(WorkCalendar::from_toml("[2027]\nholidays = [{ name = \"x\", from = \"2026-01-01\", to = \"2026-01-01\" }]\nmakeup_workdays = []").is_err());
        assert!(WorkCalendar::from_toml("not toml [").is_err());
    }
}
