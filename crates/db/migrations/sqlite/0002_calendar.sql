-- Working-day calendars an administrator added after release (years the bundled data lacks).
CREATE TABLE calendar_years (
    year INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    added_ms INTEGER NOT NULL,
    added_by TEXT NOT NULL
);
