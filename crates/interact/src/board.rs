//! The public board (政民互动公开) and the per-department statistics, for anyone without signing
//! in. The board shows only items the citizen agreed to publish whose reply a reviewer approved
//! for publication, and only their redacted text: no name, phone, ID number, contact or exact
//! address. The statistics are the counters every write keeps, read as they stand.

use crate::sql::{col, path_in, text_match};
use crate::store::counter_columns;
use crate::{
    BoardEntry, BoardFilter, DeptStats, Error, Interact, ItemId, ItemKind, Listing, Result, Satisfaction,
    parse_code,
};
use tongban_db::sql::render;
use tongban_db::sql::sea_query::{Alias, Cond, Expr, Order, Query};
use tongban_db::{Row, params};
use tongban_kernel::{DeptPath, Page};

const BOARD_COLUMNS: &str = "id, number, kind, category, category_name, public_title, public_body, district, \
     reply_dept_name, created_ms, replied_ms, public_reply, satisfaction";

fn entry_from_row(r: &Row) -> Result<BoardEntry> {
    Ok(BoardEntry {
        id: ItemId(r.get("id")?),
        number: r.get("number")?,
        kind: parse_code("kind", &r.get::<String>("kind")?, ItemKind::parse)?,
        category: r.get("category")?,
        category_name: r.get("category_name")?,
        title: r.get("public_title")?,
        text: r.get("public_body")?,
        district: r.get("district")?,
        department_name: r.get::<Option<String>>("reply_dept_name")?.unwrap_or_default(),
        submitted: r.get("created_ms")?,
        replied: r.get("replied_ms")?,
        reply: r.get::<Option<String>>("public_reply")?.unwrap_or_default(),
        satisfaction: r
            .get::<Option<String>>("satisfaction")?
            .map(|s| parse_code("satisfaction", &s, Satisfaction::parse))
            .transpose()?,
    })
}

fn published() -> Cond {
    Cond::all()
        .add(col("published_ms").is_not_null())
        .add(col("is_public").eq(1))
}

/// How far the board counts its entries: a larger total is reported as `BOARD_COUNT_CAP + 1`
/// ("more than `BOARD_COUNT_CAP`").
pub const BOARD_COUNT_CAP: u64 = 10_000;

impl Interact {
    /// A page of the public board, newest reply first, for anyone: published items with their
    /// published reply, personal data removed, filtered by kind, category, department, district,
    /// submission date and text (in the redacted title, text and reply).
    pub async fn board(&self, filter: &BoardFilter, page: Page) -> Result<Listing<BoardEntry>> {
        let mut cond = published();
        if let Some(k) = filter.kind {
            cond = cond.add(col("kind").eq(k.code()));
        }
        if let Some(c) = &filter.category {
            cond = cond.add(col("category").eq(c.trim()));
        }
        if let Some(p) = &filter.department {
            cond = cond.add(path_in("dept_path", p));
        }
        if let Some(d) = &filter.district {
            cond = cond.add(col("district").eq(d.trim()));
        }
        if let Some(from) = filter.from {
            cond = cond.add(col("created_ms").gte(from.0));
        }
        if let Some(to) = filter.to {
            cond = cond.add(col("created_ms").lt(to.0));
        }
        if let Some(t) = filter.text.as_deref() {
            cond = cond.add(text_match(t, &["public_title", "public_body", "public_reply"]));
        }
        let base = || {
            Query::select()
                .from(Alias::new("interact_items"))
                .cond_where(cond.clone())
                .to_owned()
        };
        // Counted up to a cap, so a page costs the same at a million items: past the cap the
        // board says "more than".
        let mut count = base();
        count.expr(Expr::cust("1")).limit(BOARD_COUNT_CAP + 1);
        let (inner, values) = render(self.db.backend(), &count);
        let total: i64 = self
            .db
            .fetch_one(&format!("SELECT COUNT(*) AS n FROM ({inner}) AS capped"), values)
            .await?
            .get("n")?;
        let mut select = base();
        select
            .expr(Expr::cust(BOARD_COLUMNS))
            .order_by(Alias::new("published_ms"), Order::Desc)
            .order_by(Alias::new("id"), Order::Desc)
            .limit(u64::from(page.limit))
            .offset(page.offset);
        let (sql, values) = render(self.db.backend(), &select);
        let items = self
            .db
            .fetch_all(&sql, values)
            .await?
            .iter()
            .map(entry_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(Listing::new(items, total, page))
    }

    /// One entry of the public board, for anyone; [`Error::NotFound`] unless it is published.
    pub async fn board_entry(&self, id: &ItemId) -> Result<BoardEntry> {
        let mut select = Query::select();
        select
            .from(Alias::new("interact_items"))
            .expr(Expr::cust(BOARD_COLUMNS))
            .cond_where(published().add(col("id").eq(id.as_str())));
        let (sql, values) = render(self.db.backend(), &select);
        self.db
            .fetch_optional(&sql, values)
            .await?
            .map(|r| entry_from_row(&r))
            .transpose()?
            .ok_or(Error::NotFound { what: "item" })
    }

    /// Every department's counters (those inside `within`, when given), by path, for anyone:
    /// volume, transfers, returns, replies and how many were on time, working days used,
    /// ratings, escalations and rectifications. Read as they stand; nothing is recomputed.
    pub async fn department_stats(&self, within: Option<&DeptPath>) -> Result<Vec<DeptStats>> {
        let columns: Vec<&str> = counter_columns().collect();
        let rows = match within {
            Some(p) => {
                self.db
                    .fetch_all(
                        &format!(
                            "SELECT dept_path, dept_name, {} FROM interact_dept_stats \
                             WHERE dept_path LIKE $1 ESCAPE '\\' ORDER BY dept_path",
                            columns.join(", ")
                        ),
                        params![format!("{}%", tongban_db::sql::like_escaped(p.as_str()))],
                    )
                    .await?
            }
            None => {
                self.db
                    .fetch_all(
                        &format!(
                            "SELECT dept_path, dept_name, {} FROM interact_dept_stats ORDER BY dept_path",
                            columns.join(", ")
                        ),
                        params![],
                    )
                    .await?
            }
        };
        rows.iter()
            .map(|r| {
                let n = |c: &str| -> Result<u64> { Ok(u64::try_from(r.get::<i64>(c)?).unwrap_or(0)) };
                Ok(DeptStats {
                    department: r.get("dept_path")?,
                    department_name: r.get("dept_name")?,
                    received: n("received")?,
                    transferred_out: n("transferred_out")?,
                    returned: n("returned")?,
                    replied: n("replied")?,
                    replied_on_time: n("replied_on_time")?,
                    reply_days_total: n("reply_days_total")?,
                    satisfied: n("satisfied")?,
                    basic: n("basic")?,
                    unsatisfied: n("unsatisfied")?,
                    escalated: n("escalated")?,
                    rectifications: n("rectifications")?,
                })
            })
            .collect()
    }
}
