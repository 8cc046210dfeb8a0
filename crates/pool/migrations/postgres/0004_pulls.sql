-- 定时抽取: a table in a department's own PostgreSQL or MySQL database, read on a schedule into a
-- resource as its next version. The connection URL (it holds a password) is stored encrypted under
-- the keyring; `url_shown` is the same URL without the password. Times are UTC milliseconds.

CREATE TABLE pool_pulls (
    id TEXT PRIMARY KEY,
    resource_id TEXT NOT NULL,
    resource_code TEXT NOT NULL,
    provider_path TEXT NOT NULL,
    url TEXT NOT NULL,
    url_shown TEXT NOT NULL,
    table_name TEXT NOT NULL,
    every_minutes INTEGER NOT NULL,
    next_ms BIGINT NOT NULL,
    last_ms BIGINT,
    last_status TEXT NOT NULL,
    last_version INTEGER,
    created_by TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    deleted_ms BIGINT
);
CREATE INDEX pool_pulls_due ON pool_pulls (deleted_ms, next_ms);
