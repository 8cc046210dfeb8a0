-- One integer type on PostgreSQL: these columns were created INTEGER (32-bit) while SQLite's
-- INTEGER, and every Rust value read from them, is 64-bit. BIGINT like the rest of the schema
-- (checked by crates/tongban/tests/it/schema.rs). Widening keeps every stored value.
ALTER TABLE interact_survey_counts
    ALTER COLUMN question TYPE BIGINT,
    ALTER COLUMN slot TYPE BIGINT;
ALTER TABLE interact_consultations
    ALTER COLUMN pre_moderation TYPE BIGINT;
ALTER TABLE interact_consultation_comments
    ALTER COLUMN section TYPE BIGINT,
    ALTER COLUMN reports TYPE BIGINT;
ALTER TABLE interact_attachments
    ALTER COLUMN position TYPE BIGINT,
    ALTER COLUMN metadata_removed TYPE BIGINT;
ALTER TABLE interact_comment_reports
    ALTER COLUMN weight TYPE BIGINT;
