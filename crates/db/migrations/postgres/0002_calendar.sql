-- Working-day calendars an administrator added after release (years the bundled data lacks).
CREATE TABLE calendar_years (
    year BIGINT PRIMARY KEY,
    source TEXT NOT NULL,
    added_ms BIGINT NOT NULL,
    added_by TEXT NOT NULL
);
