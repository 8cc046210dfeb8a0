//! The citizen's rating of a reply (满意 / 基本满意 / 不满意) and the rectification list (整改): an
//! unsatisfied rating puts the item on its department's list with a clock of
//! [`RECTIFICATION_DAYS`](crate::RECTIFICATION_DAYS) working days and, when the citizen asks,
//! reopens the item once under that clock.

use crate::check::{self, MAX_COMMENT, MAX_NOTE};
use crate::events::{ItemRated, RectificationCompleted};
use crate::sql::path_in;
use crate::store::{Counter, LogDraft, bump, item_event, item_in, log, notify, save_item};
use crate::{
    DeptRef, Error, Interact, ItemId, ItemStatus, ItemView, Listing, RECTIFICATION_DAYS, Rating, RatingInput,
    Rectification, RectificationId, RectificationStatus, RectificationView, Result, Satisfaction, parse_code,
    parse_date,
};
use tongban_db::sql::render;
use tongban_db::sql::sea_query::{Alias, Cond, Expr, JoinType, Order, Query};
use tongban_db::{EventDraft, Row, params};
use tongban_kernel::{Arg, msg};
use tongban_kernel::{DeptPath, LegalClock, Page, Permission, Principal, PrincipalKind};

pub(crate) const RECTIFICATION_COLUMNS: &str = "r.id, r.item_id, i.number AS item_number, r.dept_id, r.dept_path, \
     r.dept_name, r.reason, r.clock_started, r.limit_days, r.due_on, r.clock_finished, r.status, r.note, r.created_ms";

pub(crate) fn rectification_from_row(r: &Row) -> Result<Rectification> {
    Ok(Rectification {
        id: RectificationId(r.get("id")?),
        item_id: ItemId(r.get("item_id")?),
        item_number: r.get("item_number")?,
        department: DeptRef {
            id: r.get("dept_id")?,
            path: r.get("dept_path")?,
            name_zh: r.get("dept_name")?,
        },
        reason: r.get("reason")?,
        clock: LegalClock {
            started: parse_date("clock_started", &r.get::<String>("clock_started")?)?,
            statutory_days: r.get("limit_days")?,
            promised_days: None,
            pauses: Vec::new(),
            finished: r
                .get::<Option<String>>("clock_finished")?
                .map(|d| parse_date("clock_finished", &d))
                .transpose()?,
        },
        due_on: r
            .get::<Option<String>>("due_on")?
            .map(|d| parse_date("due_on", &d))
            .transpose()?,
        status: parse_code("status", &r.get::<String>("status")?, RectificationStatus::parse)?,
        note: r.get("note")?,
        created: r.get("created_ms")?,
    })
}

impl Interact {
    /// The submitter rates the reply to their item (only a signed-in citizen who submitted it,
    /// once per reply). 满意 and 基本满意 close the item. 不满意 after the first reply puts the
    /// item on the department's rectification list with a 15-working-day clock and, when
    /// `reopen`, sends it back to the department under that clock; 不满意 after a reopening
    /// closes it.
    #[tracing::instrument(skip_all)]
    pub async fn rate(&self, actor: &Principal, id: &ItemId, input: RatingInput) -> Result<ItemView> {
        let comment = check::optional_text("comment", &input.comment, MAX_COMMENT)?;
        let now = self.now();
        let today = self.today();
        let mut tx = self.db.begin_write().await?;
        let mut item = item_in(&mut tx, id, &self.fields).await?;
        if actor.kind != PrincipalKind::User || item.submitter.citizen() != Some(actor.id.as_str()) {
            return Err(Error::forbidden(msg!("only-submitter-may-rate")));
        }
        if item.status != ItemStatus::Replied {
            return Err(Error::conflict(
                "status",
                msg!(
                    "status-forbids-rating",
                    status = Arg::name(item.status.name_zh(), item.status.name_en()),
                ),
            ));
        }
        if input.reopen && input.satisfaction != Satisfaction::Unsatisfied {
            return Err(Error::invalid("reopen", msg!("only-unsatisfied-rating-may")));
        }
        if input.reopen && item.round > 0 {
            return Err(Error::conflict("reopen", msg!("item-can-reopened-only")));
        }
        let Some(dept) = item.department.clone() else {
            return Err(crate::store::moved_on());
        };
        tx.execute(
            "INSERT INTO interact_ratings (item_id, round, satisfaction, comment, dept_path, rated_ms) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            params![
                id.as_str(),
                item.round,
                input.satisfaction.code(),
                comment.clone(),
                dept.path.as_str(),
                now
            ],
        )
        .await
        .map_err(|e| match e {
            tongban_db::Error::Conflict(_) => Error::conflict("satisfaction", msg!("already-rated")),
            e => e.into(),
        })?;
        item.rating = Some(Rating {
            satisfaction: input.satisfaction,
            comment: comment.clone(),
            at: now,
        });
        item.updated = now;
        let counter = match input.satisfaction {
            Satisfaction::Satisfied => Counter::Satisfied,
            Satisfaction::Basic => Counter::Basic,
            Satisfaction::Unsatisfied => Counter::Unsatisfied,
        };
        let mut counters = vec![(counter, 1)];
        let rectify = input.satisfaction == Satisfaction::Unsatisfied && item.round == 0;
        if rectify {
            counters.push((Counter::Rectifications, 1));
            let clock = LegalClock::new(today, RECTIFICATION_DAYS, None);
            let (_, due_on) = self.clock_days(&clock);
            let reason = if comment.is_empty() {
                "不满意".to_string()
            } else {
                comment.clone()
            };
            tx.execute(
                "INSERT INTO interact_rectifications (id, item_id, dept_id, dept_path, dept_name, reason, \
                 clock_started, limit_days, due_on, clock_finished, status, escalated, note, created_ms, updated_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, 'open', 0, '', $10, $10)",
                params![
                    RectificationId::new().as_str(),
                    id.as_str(),
                    dept.id.clone(),
                    dept.path.as_str(),
                    dept.name_zh.clone(),
                    reason,
                    today.to_string(),
                    RECTIFICATION_DAYS,
                    due_on.map(|d| d.to_string()),
                    now
                ],
            )
            .await?;
        }
        let (event, zh, en) = if input.reopen {
            item.round += 1;
            item.status = ItemStatus::InProgress;
            item.clock = LegalClock::new(today, RECTIFICATION_DAYS, None);
            (item.warn_on, item.due_on) = self.clock_days(&item.clock);
            item.replied = None;
            ("reopened", "已按您的要求重新办理", "was reopened as you asked")
        } else {
            item.status = ItemStatus::Closed;
            (
                "closed",
                "已办结，感谢您的评价",
                "is closed; thank you for rating it",
            )
        };
        save_item(&mut tx, &mut item).await?;
        bump(&mut tx, &dept, &counters, now).await?;
        log(
            &mut tx,
            id,
            actor,
            now,
            LogDraft {
                action: if input.reopen { "reopened" } else { "rated" },
                department: Some(&dept.path),
                note: input.satisfaction.name_zh(),
                public: true,
            },
        )
        .await?;
        notify(&mut tx, &item, event, zh, en, now).await?;
        item_event(
            &mut tx,
            actor,
            ItemRated {
                satisfaction: input.satisfaction.code().into(),
                reopened: input.reopen,
                rectification: rectify,
            },
            &item,
            ("评价答复", "reply rated"),
        )
        .await?;
        tx.commit().await?;
        Ok(self.view(item))
    }

    /// A page of the rectification list (`HandleInteractions` over the departments; city-wide
    /// staff see every department), open entries first, each with its clock read today.
    pub async fn rectifications(
        &self,
        actor: &Principal,
        status: Option<RectificationStatus>,
        page: Page,
    ) -> Result<Listing<RectificationView>> {
        let scopes = actor.scopes_for(Permission::HandleInteractions);
        if scopes.is_empty() {
            return Err(Error::forbidden(msg!("not-permitted-see-rectification")));
        }
        let mut cond = Cond::all();
        if !scopes.contains(&DeptPath::root()) {
            let mut any = Cond::any();
            for s in &scopes {
                any = any.add(path_in("r.dept_path", s));
            }
            cond = cond.add(any);
        }
        if let Some(s) = status {
            cond = cond.add(crate::sql::col("r.status").eq(s.code()));
        }
        let base = || {
            Query::select()
                .from_as(Alias::new("interact_rectifications"), Alias::new("r"))
                .join_as(
                    JoinType::InnerJoin,
                    Alias::new("interact_items"),
                    Alias::new("i"),
                    crate::sql::col("i.id").equals((Alias::new("r"), Alias::new("item_id"))),
                )
                .cond_where(cond.clone())
                .to_owned()
        };
        let mut count = base();
        count.expr_as(Expr::cust("COUNT(*)"), Alias::new("n"));
        let (sql, values) = render(self.db.backend(), &count);
        let total: i64 = self.db.fetch_one(&sql, values).await?.get("n")?;
        let mut select = base();
        select
            .expr(Expr::cust(RECTIFICATION_COLUMNS))
            .order_by((Alias::new("r"), Alias::new("status")), Order::Desc)
            .order_by((Alias::new("r"), Alias::new("created_ms")), Order::Desc)
            .limit(u64::from(page.limit))
            .offset(page.offset);
        let (sql, values) = render(self.db.backend(), &select);
        let items = self
            .db
            .fetch_all(&sql, values)
            .await?
            .iter()
            .map(|r| {
                rectification_from_row(r).map(|rectification| RectificationView {
                    deadline: self.read_clock(&rectification.clock),
                    rectification,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Listing::new(items, total, page))
    }

    /// Marks a rectification done with a note on what was changed (`HandleInteractions` over its
    /// department), for entries whose item was not reopened (a reopened item's entry is done
    /// when the department replies again).
    #[tracing::instrument(skip_all)]
    pub async fn complete_rectification(
        &self,
        actor: &Principal,
        id: &RectificationId,
        note: &str,
    ) -> Result<Rectification> {
        let note = check::text("note", note, MAX_NOTE)?;
        let now = self.now();
        let today = self.today();
        let mut tx = self.db.begin_write().await?;
        let mut r = tx
            .fetch_optional(
                &format!(
                    "SELECT {RECTIFICATION_COLUMNS} FROM interact_rectifications r \
                     JOIN interact_items i ON i.id = r.item_id WHERE r.id = $1"
                ),
                params![id.as_str()],
            )
            .await?
            .map(|row| rectification_from_row(&row))
            .transpose()?
            .ok_or(Error::NotFound {
                what: "rectification",
            })?;
        actor.require(Permission::HandleInteractions, Some(&r.department.path))?;
        if r.status != RectificationStatus::Open {
            return Err(Error::conflict("status", msg!("rectification-already-done")));
        }
        let changed = tx
            .execute(
                "UPDATE interact_rectifications SET status = 'done', clock_finished = $1, note = $2, updated_ms = $3 \
                 WHERE id = $4 AND status = 'open'",
                params![today.to_string(), note.clone(), now, id.as_str()],
            )
            .await?;
        if changed == 0 {
            return Err(crate::store::moved_on());
        }
        r.status = RectificationStatus::Done;
        r.clock.finish(today)?;
        r.note = note;
        tx.append_event(
            actor,
            EventDraft::of(
                &RectificationCompleted {
                    item: r.item_id.to_string(),
                },
                r.id.as_str(),
                Some(&r.department.path),
                msg!("rectification-done-item-number", item_number = r.item_number),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(r)
    }
}
