//! Dynamic queries (optional filters, sorting) built with sea-query and rendered for the backend
//! in use, so a domain crate writes a filter once for both databases.

use crate::{Backend, Value};
pub use sea_query;
use sea_query::{
    Alias, Cond, Expr, Func, LikeExpr, PostgresQueryBuilder, SelectStatement, SimpleExpr, SqliteQueryBuilder,
};
use tongban_kernel::DeptPath;

/// `text` as a LIKE pattern matching itself: `\`, `%` and `_` escaped with `\` (write the
/// condition with `ESCAPE '\'`). Add `%` around it to match a prefix or a part.
pub fn like_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A column, `name` or `table.name`.
pub fn col(name: &str) -> Expr {
    match name.split_once('.') {
        Some((t, c)) => Expr::col((Alias::new(t), Alias::new(c))),
        None => Expr::col(Alias::new(name)),
    }
}

/// `column` names a department path inside the subtree `scope`.
pub fn path_in(column: &str, scope: &DeptPath) -> SimpleExpr {
    col(column).like(LikeExpr::new(format!("{}%", like_escaped(scope.as_str()))).escape('\\'))
}

/// Case-insensitive substring match of `text` in any of `columns`; an empty text matches all.
pub fn text_match(text: &str, columns: &[&str]) -> Cond {
    let t = text.trim();
    if t.is_empty() {
        return Cond::all();
    }
    let pattern = format!("%{}%", like_escaped(&t.to_lowercase()));
    let mut any = Cond::any();
    for c in columns {
        any = any.add(Expr::expr(Func::lower(col(c))).like(LikeExpr::new(pattern.clone()).escape('\\')));
    }
    any
}

/// Renders `stmt` for `backend`: the SQL text and its parameters.
pub fn render(backend: Backend, stmt: &SelectStatement) -> (String, Vec<Value>) {
    let (sql, values) = match backend {
        Backend::Sqlite => stmt.build(SqliteQueryBuilder),
        Backend::Postgres => stmt.build(PostgresQueryBuilder),
    };
    (sql, values.into_iter().map(convert).collect())
}

fn convert(v: sea_query::Value) -> Value {
    use sea_query::Value as S;
    match v {
        S::Bool(b) => b.map_or(Value::NullInt, |b| Value::Int(i64::from(b))),
        S::TinyInt(i) => i.map_or(Value::NullInt, |i| Value::Int(i64::from(i))),
        S::SmallInt(i) => i.map_or(Value::NullInt, |i| Value::Int(i64::from(i))),
        S::Int(i) => i.map_or(Value::NullInt, |i| Value::Int(i64::from(i))),
        S::BigInt(i) => i.map_or(Value::NullInt, Value::Int),
        S::TinyUnsigned(i) => i.map_or(Value::NullInt, |i| Value::Int(i64::from(i))),
        S::SmallUnsigned(i) => i.map_or(Value::NullInt, |i| Value::Int(i64::from(i))),
        S::Unsigned(i) => i.map_or(Value::NullInt, |i| Value::Int(i64::from(i))),
        S::BigUnsigned(i) => i.map_or(Value::NullInt, |i| {
            Value::Int(i64::try_from(i).unwrap_or(i64::MAX))
        }),
        S::Float(f) => f.map_or(Value::NullReal, |f| Value::Real(f64::from(f))),
        S::Double(f) => f.map_or(Value::NullReal, Value::Real),
        S::String(s) => s.map_or(Value::Null, |s| Value::Text(*s)),
        S::Char(c) => c.map_or(Value::Null, |c| Value::Text(c.to_string())),
        S::Bytes(b) => b.map_or(Value::NullBytes, |b| Value::Bytes(*b)),
        #[allow(unreachable_patterns)]
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_query::Query;

    #[test]
    fn a_text_search_and_a_subtree_render_with_their_escapes() {
        let q = Query::select()
            .column(Alias::new("id"))
            .from(Alias::new("items"))
            .cond_where(text_match(" 50%_off ", &["title", "i.body"]))
            .and_where(path_in("dept_path", &DeptPath("/99_01/".into())))
            .to_owned();
        let (sql, values) = render(Backend::Postgres, &q);
        assert!(sql.contains(r#"LOWER("title") LIKE $1 ESCAPE"#), "{sql}");
        assert!(sql.contains(r#"LOWER("i"."body")"#), "{sql}");
        assert_eq!(values[0], Value::Text("%50\\%\\_off%".into()));
        assert_eq!(values[2], Value::Text("/99\\_01/%".into()));
        // Nothing to search for matches everything.
        let all = Query::select()
            .column(Alias::new("id"))
            .from(Alias::new("items"))
            .cond_where(text_match("  ", &["title"]))
            .to_owned();
        assert!(!render(Backend::Sqlite, &all).0.contains("LIKE"));
    }

    #[test]
    fn like_wildcards_and_the_escape_are_escaped() {
        assert_eq!(like_escaped("role:clerk:/9_9/%/"), "role:clerk:/9\\_9/\\%/");
        assert_eq!(like_escaped("a\\b"), "a\\\\b");
        assert_eq!(like_escaped("公安局"), "公安局");
    }
}
