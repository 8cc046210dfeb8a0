//! The working-day calendar in force: the years shipped with this release plus the years an
//! administrator added (each addition an event, like every other change).

use crate::{Db, EventDraft, Result, params};
use tongban_kernel::calendar::{BUNDLED, CalendarError, WorkCalendar};
use tongban_kernel::msg;
use tongban_kernel::{Invalid, Millis, Permission, Principal};

crate::event_kinds! {
    /// An administrator entered a year's holidays and make-up working days.
    YearAdded = "kernel.calendar.year_added" on "calendar_year" {
        /// The year.
        year: i16,
        /// How many holidays it has.
        holidays: usize,
    }
}

/// Why a year could not be added.
#[derive(Debug, thiserror::Error)]
pub enum AddYearError {
    /// The text is not a calendar, or names a year shipped with this release.
    #[error("{0}")]
    Invalid(#[from] Invalid),
    /// The actor may not enter holiday schedules.
    #[error("{0}")]
    Forbidden(tongban_kernel::Msg),
    /// The database refused.
    #[error(transparent)]
    Storage(#[from] crate::Error),
}

/// The bundled calendar with every stored year merged in.
pub async fn load(db: &Db) -> Result<WorkCalendar> {
    let cal = WorkCalendar::bundled();
    refresh(db, &cal).await?;
    Ok(cal)
}

/// Merges the stored years into `cal` (every clone of it sees them): how a running server
/// learns of a year entered by the CLI or by another server on the same database. Returns the
/// years that were provisional in `cal` before.
pub async fn refresh(db: &Db, cal: &WorkCalendar) -> Result<Vec<i16>> {
    let mut announced = Vec::new();
    for row in db
        .fetch_all("SELECT year, source FROM calendar_years ORDER BY year", params![])
        .await?
    {
        let year = i16::try_from(row.get::<i64>("year")?).unwrap_or(0);
        let source: String = row.get("source")?;
        let was_provisional = cal.is_provisional(year);
        match cal.merge_toml(&source) {
            Ok(()) if was_provisional => announced.push(year),
            Ok(()) => {}
            // Stored text was validated when added; if it no longer parses, say so and go on.
            Err(e) => tracing::error!(year, error = %e, "stored calendar year ignored"),
        }
    }
    Ok(announced)
}

/// Adds (or corrects) the years in `text` — the same format as the bundled data, one `[YEAR]`
/// table per year — refusing years shipped with this release. Returns the years stored.
pub async fn add_years(
    db: &Db,
    actor: &Principal,
    text: &str,
) -> std::result::Result<Vec<i16>, AddYearError> {
    // The holiday schedule is national: any grant of the permission will do.
    if !actor.allows_somewhere(Permission::ManageCalendar) {
        return Err(AddYearError::Forbidden(msg!("not-permitted-enter-holiday")));
    }
    let parsed = WorkCalendar::from_toml(text).map_err(|e| match e {
        CalendarError::Malformed(m) => Invalid::new("calendar", msg!("calendar-data-malformed-m", m = m)),
        other => Invalid::new("calendar", other.to_string()),
    })?;
    let shipped = WorkCalendar::from_toml(BUNDLED)
        .map(|c| c.years())
        .unwrap_or_default();
    let years = parsed.years();
    if years.is_empty() {
        return Err(Invalid::new("calendar", msg!("no-year-given")).into());
    }
    let mut tx = db.begin_write().await?;
    for year in &years {
        if shipped.contains(year) {
            return Err(Invalid::new("calendar", msg!("year-ships-release-cannot", year = year)).into());
        }
        // Store each year on its own, re-rendered from the parsed data's source slice.
        let one = single_year_source(text, *year).unwrap_or_else(|| text.to_string());
        tx.execute(
            "INSERT INTO calendar_years (year, source, added_ms, added_by) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (year) DO UPDATE SET source = excluded.source, added_ms = excluded.added_ms, added_by = excluded.added_by",
            params![i64::from(*year), one, Millis::now(), actor.name.clone()],
        )
        .await?;
        let holidays = parsed.holidays(*year).map(|h| h.len()).unwrap_or(0);
        tx.append_event(
            actor,
            EventDraft::of(
                &YearAdded {
                    year: *year,
                    holidays,
                },
                &year.to_string(),
                None,
                msg!("entered-year-holiday-calendar", holidays = holidays, year = year),
            ),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(years)
}

/// The `[YEAR]` table of `text` on its own, so each stored row parses by itself.
fn single_year_source(text: &str, year: i16) -> Option<String> {
    let table: toml::Table = toml::from_str(text).ok()?;
    let value = table.get(&year.to_string())?.clone();
    let mut one = toml::Table::new();
    one.insert(year.to_string(), value);
    toml::to_string(&one).ok()
}

/// The years in force: (year, shipped with the release?).
pub async fn years(db: &Db) -> Result<Vec<(i16, bool)>> {
    let shipped = WorkCalendar::from_toml(BUNDLED)
        .map(|c| c.years())
        .unwrap_or_default();
    let cal = load(db).await?;
    Ok(cal
        .years()
        .into_iter()
        .map(|y| (y, shipped.contains(&y)))
        .collect())
}

#[cfg(test)]
mod catalog_tests {
    #[test]
    fn every_message_exists_in_every_language_and_is_used() {
        let problems =
            crate::MESSAGES.problems_with(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
