-- One integer type on PostgreSQL: these columns were created INTEGER (32-bit) while SQLite's
-- INTEGER, and every Rust value read from them, is 64-bit. BIGINT like the rest of the schema
-- (checked by crates/tongban/tests/it/schema.rs). Widening keeps every stored value.
ALTER TABLE accounts
    ALTER COLUMN email_code_tries TYPE BIGINT,
    ALTER COLUMN activation_tries TYPE BIGINT;
ALTER TABLE login_blocks
    ALTER COLUMN failures TYPE BIGINT,
    ALTER COLUMN blocks TYPE BIGINT;
