//! Table-level copy for backup and restore: list the tables in creation order, read a table in
//! pages, insert rows back. Works the same on both backends, so a backup taken on SQLite can be
//! restored onto PostgreSQL and back.

use crate::{Backend, Db, Error, Result, Row, Tx, Value, params};

fn check_identifier(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::Storage(format!("not a table or column name: {name:?}")))
    }
}

impl Db {
    /// The application's tables in the order they were created (parents before children), without
    /// the migration bookkeeping.
    pub async fn table_names(&self) -> Result<Vec<String>> {
        let sql = match self.backend() {
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
            }
            Backend::Postgres => {
                "SELECT CAST(c.relname AS TEXT) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind = 'r' AND n.nspname = current_schema() ORDER BY c.oid"
            }
        };
        let mut names = Vec::new();
        for r in self.fetch_all(sql, params![]).await? {
            let n: String = r.get("name")?;
            if n != "schema_migrations" {
                names.push(n);
            }
        }
        Ok(names)
    }

    /// Reads `table` in pages of `page` rows, in insertion order, calling `each` with every page.
    pub async fn dump_table<F>(&self, table: &str, page: u32, mut each: F) -> Result<u64>
    where
        F: FnMut(&[Row]) -> std::io::Result<()>,
    {
        check_identifier(table)?;
        let order = match self.backend() {
            Backend::Sqlite => "rowid",
            Backend::Postgres => "1",
        };
        let mut offset = 0u64;
        loop {
            let rows = self
                .fetch_all(
                    &format!("SELECT * FROM {table} ORDER BY {order} LIMIT $1 OFFSET $2"),
                    params![page, offset],
                )
                .await?;
            if rows.is_empty() {
                return Ok(offset);
            }
            each(&rows).map_err(|e| Error::Storage(format!("writing {table}: {e}")))?;
            offset += rows.len() as u64;
        }
    }
}

impl Tx {
    /// Inserts one row given as column names and values.
    pub async fn insert_row(&mut self, table: &str, columns: &[String], values: Vec<Value>) -> Result<()> {
        check_identifier(table)?;
        for c in columns {
            check_identifier(c)?;
        }
        // NULLs are written as literals: a dumped NULL has lost its column type, and PostgreSQL
        // would refuse a text-typed NULL parameter for an integer column.
        let mut placeholders = Vec::with_capacity(columns.len());
        let mut params = Vec::with_capacity(values.len());
        for v in values {
            if matches!(
                v,
                Value::Null | Value::NullInt | Value::NullReal | Value::NullBytes
            ) {
                placeholders.push("NULL".to_string());
            } else {
                params.push(v);
                placeholders.push(format!("${}", params.len()));
            }
        }
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            columns.join(", "),
            placeholders.join(", ")
        );
        self.execute(&sql, params).await.map(drop)
    }

    /// Removes every row of `table` (restore empties tables that migrations seeded).
    pub async fn clear_table(&mut self, table: &str) -> Result<()> {
        check_identifier(table)?;
        self.execute(&format!("DELETE FROM {table}"), params![])
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_plain_identifiers_reach_sql() {
        assert!(super::check_identifier("role_grants").is_ok());
        assert!(super::check_identifier("x; DROP TABLE y").is_err());
        assert!(super::check_identifier("").is_err());
        assert!(super::check_identifier("Events").is_err());
    }
}
