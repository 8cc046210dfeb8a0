-- One integer type on PostgreSQL: these columns were created INTEGER (32-bit) while SQLite's
-- INTEGER, and every Rust value read from them, is 64-bit. BIGINT like the rest of the schema
-- (checked by crates/tongban/tests/it/schema.rs). Widening keeps every stored value.
ALTER TABLE webhook_deliveries
    ALTER COLUMN version TYPE BIGINT,
    ALTER COLUMN attempts TYPE BIGINT,
    ALTER COLUMN last_status TYPE BIGINT;
ALTER TABLE pool_pulls
    ALTER COLUMN every_minutes TYPE BIGINT,
    ALTER COLUMN last_version TYPE BIGINT;
