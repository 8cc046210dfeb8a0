//! The query-building pieces every store module of interaction uses: column references,
//! a department subtree and a text search over columns (the database crate's), and the open
//! statuses.

use crate::ItemStatus;

pub(crate) use tongban_db::sql::{col, path_in, text_match};

/// The open statuses, for SQL.
pub(crate) fn open_statuses() -> [&'static str; 3] {
    [
        ItemStatus::Unassigned.code(),
        ItemStatus::InProgress.code(),
        ItemStatus::InReview.code(),
    ]
}
