-- One integer type on PostgreSQL: these columns were created INTEGER (32-bit) while SQLite's
-- INTEGER, and every Rust value read from them, is 64-bit. BIGINT like the rest of the schema
-- (checked by crates/tongban/tests/it/schema.rs). Widening keeps every stored value.
ALTER TABLE hall_bundles
    ALTER COLUMN active TYPE BIGINT,
    ALTER COLUMN version TYPE BIGINT;
ALTER TABLE hall_bundle_members
    ALTER COLUMN position TYPE BIGINT;
