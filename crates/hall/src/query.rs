//! The staff inbox (待办) per department and role, and the supervisor's view of a department
//! subtree. Both read stored due days, so they are plain range scans on indexes:
//! `hall_tasks (dept_path, role, is_open, due_on, created_ms)` for the inbox and
//! `hall_cases (is_open, due_on, dept_path)` / `(dept_path, is_open, due_on)` for supervision,
//! whose averages read the per-department totals kept as cases finish. Department
//! subtrees are byte ranges of paths (`/3301/GA/` ≤ path < `/3301/GA0`), never `LIKE`, so they
//! use the index with bound parameters on both databases.

use crate::access::holds;
use crate::store::{TASK_COLUMNS, task_from_row};
use crate::{
    CaseId, CaseStatus, DeptRef, Error, Hall, Inbox, InboxCounts, InboxFilter, Result, Supervision, Urgency,
    WARN_DAYS, WatchedCase, parse_code, parse_date,
};
use tongban_db::{Value, params};
use tongban_kernel::msg;
use tongban_kernel::{DeptPath, Page, Permission, Principal};

/// The exclusive upper bound of the paths in the subtree `scope` (`/3301/GA/` → `/3301/GA0`:
/// `0` follows `/` in byte order).
pub(crate) fn subtree_end(scope: &DeptPath) -> String {
    let p = scope.as_str();
    match p.strip_suffix('/') {
        Some(head) => format!("{head}0"),
        None => format!("{p}\u{10FFFF}"),
    }
}

/// One page of the inbox: tasks matching `cond`, soonest due first, the page size and offset
/// in parameters `$limit` and `$offset`.
fn inbox_sql(cond: &str, limit: usize, offset: usize) -> String {
    format!(
        "SELECT {TASK_COLUMNS} FROM hall_tasks WHERE {cond} ORDER BY due_on, created_ms, id LIMIT ${limit} OFFSET ${offset}"
    )
}

/// One page of open cases of a subtree (`$1` ≤ path < `$2`) due by `$3`, soonest first.
const WATCHED_SQL: &str = "SELECT id, number, item_name, dept_id, dept_path, dept_name, status, due_on \
     FROM hall_cases WHERE is_open = 1 AND dept_path >= $1 AND dept_path < $2 AND due_on <= $3 \
     ORDER BY due_on, number LIMIT $4 OFFSET $5";

/// A `WHERE` clause under construction, numbering its parameters.
struct Where {
    parts: Vec<String>,
    values: Vec<Value>,
}

impl Where {
    fn new() -> Self {
        Self {
            parts: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Adds `sql` with `?` standing for the next parameter.
    fn and(&mut self, sql: &str, value: Value) {
        self.values.push(value);
        self.parts
            .push(sql.replace('?', &format!("${}", self.values.len())));
    }

    fn and_plain(&mut self, sql: &str) {
        self.parts.push(sql.to_string());
    }

    fn sql(&self) -> String {
        self.parts.join(" AND ")
    }
}

impl Hall {
    /// Today and the last day that is still yellow, as stored text.
    fn due_bounds(&self) -> (String, String) {
        let today = self.today();
        let soon = self.calendar.add_working_days(today, WARN_DAYS).unwrap_or(today);
        (today.to_string(), soon.to_string())
    }

    async fn count(&self, sql: &str, values: Vec<Value>) -> Result<u64> {
        let n: i64 = self.db.fetch_one(sql, values).await?.get("n")?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The open tasks of one department and role, soonest due first, with the yellow and red
    /// counts. The actor must hold that role over that department.
    pub async fn inbox(&self, actor: &Principal, filter: &InboxFilter, page: Page) -> Result<Inbox> {
        if !holds(actor, filter.role, &filter.department) {
            return Err(Error::forbidden(msg!("you-do-not-hold-2")));
        }
        let (today, soon) = self.due_bounds();
        let mut w = Where::new();
        w.and("dept_path = ?", Value::Text(filter.department.0.clone()));
        w.and("role = ?", Value::Text(filter.role.code().into()));
        w.and_plain("is_open = 1");
        if let Some(k) = filter.step_kind {
            w.and("step_kind = ?", Value::Text(k.code().into()));
        }
        if let Some(item) = &filter.item {
            w.and("item_id = ?", Value::Text(item.0.clone()));
        }
        if filter.mine_only {
            w.and("assignee_id = ?", Value::Text(actor.id.clone()));
        }
        let base = w.sql();
        let counts = {
            let total = self
                .count(
                    &format!("SELECT COUNT(*) AS n FROM hall_tasks WHERE {base}"),
                    w.values.clone(),
                )
                .await?;
            let mut red = Where {
                parts: w.parts.clone(),
                values: w.values.clone(),
            };
            red.and("due_on < ?", Value::Text(today.clone()));
            let overdue = self
                .count(
                    &format!("SELECT COUNT(*) AS n FROM hall_tasks WHERE {}", red.sql()),
                    red.values,
                )
                .await?;
            let mut yellow = Where {
                parts: w.parts.clone(),
                values: w.values.clone(),
            };
            yellow.and("due_on >= ?", Value::Text(today.clone()));
            yellow.and("due_on <= ?", Value::Text(soon.clone()));
            let due_soon = self
                .count(
                    &format!("SELECT COUNT(*) AS n FROM hall_tasks WHERE {}", yellow.sql()),
                    yellow.values,
                )
                .await?;
            InboxCounts {
                total,
                due_soon,
                overdue,
            }
        };
        match filter.urgency {
            Some(Urgency::Overdue) => w.and("due_on < ?", Value::Text(today.clone())),
            Some(Urgency::DueSoon) => {
                w.and("due_on >= ?", Value::Text(today.clone()));
                w.and("due_on <= ?", Value::Text(soon.clone()));
            }
            Some(Urgency::Normal) => w.and("due_on > ?", Value::Text(soon.clone())),
            None => {}
        }
        let total = match filter.urgency {
            None => counts.total,
            Some(Urgency::Overdue) => counts.overdue,
            Some(Urgency::DueSoon) => counts.due_soon,
            Some(Urgency::Normal) => counts.total.saturating_sub(counts.overdue + counts.due_soon),
        };
        let mut values = w.values.clone();
        values.push(Value::Int(i64::from(page.limit)));
        values.push(Value::Int(i64::try_from(page.offset).unwrap_or(i64::MAX)));
        let n = values.len();
        let urgency = self.urgency_fn();
        let tasks = self
            .db
            .fetch_all(&inbox_sql(&w.sql(), n - 1, n), values)
            .await?
            .iter()
            .map(|r| task_from_row(r, urgency))
            .collect::<Result<Vec<_>>>()?;
        Ok(Inbox { counts, tasks, total })
    }

    /// The supervisor's view of the subtree `scope` (`SuperviseCases` over it): open cases past
    /// or near their due day, soonest first, with counts and the average handling time of the
    /// cases finished there.
    pub async fn supervise(&self, actor: &Principal, scope: &DeptPath, page: Page) -> Result<Supervision> {
        actor.require(Permission::SuperviseCases, Some(scope))?;
        let (today, soon) = self.due_bounds();
        let lo = scope.0.clone();
        let hi = subtree_end(scope);
        let in_scope = "dept_path >= $1 AND dept_path < $2";
        // One pass over the subtree's open cases (the covering index `hall_cases_watch` holds
        // both due days), counting past the promise, near it, and past the statutory limit
        // (the ones that break the law).
        let counts = self
            .db
            .fetch_one(
                &format!(
                    "SELECT COUNT(*) AS open, \
                     COALESCE(SUM(CASE WHEN due_on < $3 THEN 1 ELSE 0 END), 0) AS overdue, \
                     COALESCE(SUM(CASE WHEN due_on >= $3 AND due_on <= $4 THEN 1 ELSE 0 END), 0) AS due_soon, \
                     COALESCE(SUM(CASE WHEN statutory_due_on < $3 THEN 1 ELSE 0 END), 0) AS statutory_overdue \
                     FROM hall_cases WHERE is_open = 1 AND {in_scope}"
                ),
                params![lo.clone(), hi.clone(), today.clone(), soon.clone()],
            )
            .await?;
        let n = |name: &str| -> Result<u64> { Ok(u64::try_from(counts.get::<i64>(name)?).unwrap_or(0)) };
        let (open, overdue, due_soon, statutory_overdue) =
            (n("open")?, n("overdue")?, n("due_soon")?, n("statutory_overdue")?);
        let urgency = self.urgency_fn();
        let rows = self
            .db
            .fetch_all(
                WATCHED_SQL,
                params![
                    lo.clone(),
                    hi.clone(),
                    soon,
                    i64::from(page.limit),
                    i64::try_from(page.offset).unwrap_or(i64::MAX)
                ],
            )
            .await?;
        let mut cases = Vec::with_capacity(rows.len());
        for r in &rows {
            let due = parse_date("due_on", &r.get::<String>("due_on")?)?;
            cases.push(WatchedCase {
                id: CaseId(r.get("id")?),
                number: r.get("number")?,
                item_name: r.get("item_name")?,
                department: DeptRef {
                    id: r.get("dept_id")?,
                    path: r.get("dept_path")?,
                    name_zh: r.get("dept_name")?,
                },
                status: parse_code("status", &r.get::<String>("status")?, CaseStatus::parse)?,
                due,
                urgency: urgency(Some(due)),
            });
        }
        let stats = self
            .db
            .fetch_one(
                "SELECT CAST(COALESCE(SUM(finished), 0) AS BIGINT) AS n, \
                 CAST(COALESCE(SUM(used_days_total), 0) AS BIGINT) AS days, \
                 CAST(COALESCE(SUM(handling_ms_total), 0) AS BIGINT) AS ms FROM hall_dept_stats \
                 WHERE dept_path >= $1 AND dept_path < $2",
                params![lo, hi],
            )
            .await?;
        let finished: i64 = stats.get("n")?;
        let (days, ms): (i64, i64) = (stats.get("days")?, stats.get("ms")?);
        let average = |total: i64| (finished > 0).then(|| total as f64 / finished as f64);
        let average_working_days = average(days);
        let average_ms = average(ms);
        Ok(Supervision {
            overdue,
            statutory_overdue,
            due_soon,
            open,
            cases,
            finished: u64::try_from(finished).unwrap_or(0),
            average_working_days,
            average_hours: average_ms.map(|ms| ms / 3_600_000.0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NO_DUE;

    #[test]
    fn a_subtree_is_a_byte_range_that_excludes_siblings_sharing_a_prefix() {
        let ga = DeptPath("/3301/GA/".into());
        let end = subtree_end(&ga);
        assert_eq!(end, "/3301/GA0");
        for inside in ["/3301/GA/", "/3301/GA/office1/"] {
            assert!(inside >= ga.as_str() && inside < end.as_str(), "{inside}");
        }
        for outside in ["/3301/GAX/", "/3301/GA", "/3301/MZ/"] {
            assert!(!(outside >= ga.as_str() && outside < end.as_str()), "{outside}");
        }
        assert!(NO_DUE > "2026-12-31");
    }

    /// The SQLite plan of `sql`, one line per step.
    async fn plan(db: &tongban_db::Db, sql: &str, values: Vec<Value>) -> String {
        let rows = db
            .fetch_all(&format!("EXPLAIN QUERY PLAN {sql}"), values)
            .await
            .unwrap();
        rows.iter()
            .map(|r| r.get::<String>("detail").unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[tokio::test]
    async fn the_inbox_and_the_watch_list_read_an_index_in_order_without_sorting() {
        let t = tongban_test_support::TestDb::sqlite(&[crate::MIGRATIONS]).await;
        let inbox = plan(
            &t.db,
            &inbox_sql("dept_path = $1 AND role = $2 AND is_open = 1", 3, 4),
            params!["/3301/GA/", "clerk", 50i64, 0i64],
        )
        .await;
        assert!(inbox.contains("hall_tasks_inbox"), "{inbox}");
        assert!(!inbox.contains("TEMP B-TREE"), "{inbox}");
        let overdue = plan(
            &t.db,
            "SELECT COUNT(*) AS n FROM hall_cases WHERE is_open = 1 AND dept_path >= $1 AND dept_path < $2 AND due_on < $3",
            params!["/3301/", "/33010", "2026-03-02"],
        )
        .await;
        assert!(overdue.contains("COVERING INDEX"), "{overdue}");
        let watched = plan(
            &t.db,
            WATCHED_SQL,
            params!["/3301/", "/33010", "2026-03-04", 50i64, 0i64],
        )
        .await;
        assert!(watched.contains("hall_cases_"), "{watched}");
        t.remove().await;
    }
}
