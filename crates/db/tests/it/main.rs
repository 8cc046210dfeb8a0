//! Store tests for the database layer, run on SQLite and (when configured) PostgreSQL.

mod events;
