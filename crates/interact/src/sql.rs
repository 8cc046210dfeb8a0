//! The query-building pieces every store module of interaction uses: column references,
//! a department subtree, a text search over columns, and the open statuses.

use crate::ItemStatus;
use tongban_db::sql::sea_query::{Alias, Cond, Expr, Func, LikeExpr, SimpleExpr};
use tongban_kernel::DeptPath;

/// A column, `name` or `table.name`.
pub(crate) fn col(name: &str) -> Expr {
    match name.split_once('.') {
        Some((t, c)) => Expr::col((Alias::new(t), Alias::new(c))),
        None => Expr::col(Alias::new(name)),
    }
}

/// `column` names a path inside the subtree `scope`.
pub(crate) fn path_in(column: &str, scope: &DeptPath) -> SimpleExpr {
    col(column)
        .like(LikeExpr::new(format!("{}%", tongban_db::sql::like_escaped(scope.as_str()))).escape('\\'))
}

/// Case-insensitive substring match of `text` in any of `columns`; an empty text matches all.
pub(crate) fn text_match(text: &str, columns: &[&str]) -> Cond {
    let t = text.trim();
    if t.is_empty() {
        return Cond::all();
    }
    let pattern = format!("%{}%", tongban_db::sql::like_escaped(&t.to_lowercase()));
    let mut any = Cond::any();
    for c in columns {
        any = any.add(Expr::expr(Func::lower(col(c))).like(LikeExpr::new(pattern.clone()).escape('\\')));
    }
    any
}

/// The open statuses, for SQL.
pub(crate) fn open_statuses() -> [&'static str; 3] {
    [
        ItemStatus::Unassigned.code(),
        ItemStatus::InProgress.code(),
        ItemStatus::InReview.code(),
    ]
}
