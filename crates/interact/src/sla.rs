//! Time limits at work: the warning margin (yellow), the reminders to the handling department
//! when an item is due soon, and the escalation (督办) to the department's leader when an item or
//! a rectification is overdue. [`Interact::escalate_overdue`] is what a background worker calls;
//! it is idempotent (each item is reminded and escalated at most once per round) and each item
//! is handled in its own short transaction.

use crate::events::{DueDaySet, EscalationAcknowledged, EscalationRaised};
use crate::rating::{RECTIFICATION_COLUMNS, rectification_from_row};
use crate::sql::{col, open_statuses, path_in};
use crate::store::{
    Counter, ITEM_COLUMNS, LogDraft, bump, item_event, item_from_row, item_in, log, save_item,
};
use crate::{
    DeptRef, Error, Escalation, EscalationId, EscalationLevel, EscalationSubject, Interact, Item, ItemId,
    Listing, Result, parse_code, parse_date,
};
use jiff::civil::Date;
use tongban_db::sql::render;
use tongban_db::sql::sea_query::{Alias, Cond, Expr, Order, Query};
use tongban_db::{EventDraft, Row, Tx, params};
use tongban_kernel::{Arg, msg};
use tongban_kernel::{ClockState, DeptPath, Millis, Page, Permission, Principal, PrincipalKind};

/// Working days a department has to rectify after an unsatisfied rating (and to answer a
/// reopened item).
pub const RECTIFICATION_DAYS: u32 = 15;

/// Items handled per step of one [`Interact::escalate_overdue`] run; the next run goes on.
const BATCH: i64 = 500;

/// The warning margin of a limit: a fifth of it, at least one working day (5 → 1, 15 → 3).
pub fn warn_days(limit_days: u32) -> u32 {
    (limit_days / 5).max(1)
}

const ESCALATION_COLUMNS: &str = "id, item_id, item_number, subject, level, round, dept_path, dept_name, due_on, \
     created_ms, acknowledged_by, acknowledged_ms";

fn escalation_from_row(r: &Row) -> Result<Escalation> {
    Ok(Escalation {
        id: EscalationId(r.get("id")?),
        item_id: ItemId(r.get("item_id")?),
        item_number: r.get("item_number")?,
        subject: parse_code("subject", &r.get::<String>("subject")?, EscalationSubject::parse)?,
        level: parse_code("level", &r.get::<String>("level")?, EscalationLevel::parse)?,
        round: r.get("round")?,
        department: r.get("dept_path")?,
        department_name: r.get("dept_name")?,
        due_on: parse_date("due_on", &r.get::<String>("due_on")?)?,
        created: r.get("created_ms")?,
        acknowledged_by: r.get("acknowledged_by")?,
        acknowledged: r.get("acknowledged_ms")?,
    })
}

/// Records one reminder or escalation with its event.
async fn raise(tx: &mut Tx, actor: &Principal, e: &Escalation) -> Result<()> {
    tx.execute(
        &format!("INSERT INTO interact_escalations ({ESCALATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, NULL)"),
        params![
            e.id.as_str(),
            e.item_id.as_str(),
            e.item_number.clone(),
            e.subject.code(),
            e.level.code(),
            e.round,
            e.department.as_str(),
            e.department_name.clone(),
            e.due_on.to_string(),
            e.created
        ],
    )
    .await?;
    let (zh, en) = match e.level {
        EscalationLevel::Reminder => ("临期提醒", "due soon"),
        EscalationLevel::Overdue => ("超期督办", "overdue, escalated to the leader"),
    };
    tx.append_event(
        actor,
        EventDraft::of(
            &EscalationRaised {
                escalation: e.id.to_string(),
                level: e.level.code().into(),
                subject: e.subject.code().into(),
                round: e.round,
                due_on: e.due_on.to_string(),
            },
            e.item_id.as_str(),
            Some(&e.department),
            msg!(
                "escalation-opened",
                subject = Arg::name(e.subject.name_zh(), e.subject.name_en()),
                item_number = e.item_number,
                due_on = e.due_on,
                level = Arg::name(zh, en)
            ),
        ),
    )
    .await?;
    Ok(())
}

impl Interact {
    /// One step of the deadline worker (the platform, or a leader over the whole tree with
    /// `SuperviseInteractions`): fills in due days the calendar could not count before, reminds
    /// handling departments of items due soon, escalates overdue items and overdue
    /// rectifications to the department's leader (with a counter for the statistics). Returns
    /// what it raised; running it again raises nothing new.
    pub async fn escalate_overdue(&self, actor: &Principal) -> Result<Vec<Escalation>> {
        if actor.kind != PrincipalKind::System && !actor.allows(Permission::SuperviseInteractions, None) {
            return Err(Error::forbidden(msg!("not-permitted-run-escalations")));
        }
        let today = self.today();
        let last = self.last_working_day(today);
        self.fill_due_days(actor).await?;
        let mut raised = Vec::new();
        let working = [
            crate::ItemStatus::InProgress.code(),
            crate::ItemStatus::InReview.code(),
        ];

        let due_soon = Cond::all()
            .add(col("status").is_in(working))
            .add(col("warn_on").lte(today.to_string()))
            .add(col("due_on").gte(last.to_string()))
            .add(Expr::cust("reminded_round < round"));
        for item in self.items_where(due_soon).await? {
            if let Some(e) = self
                .escalate_item(actor, &item.id, EscalationLevel::Reminder)
                .await?
            {
                raised.push(e);
            }
        }
        let overdue = Cond::all()
            .add(col("status").is_in(working))
            .add(col("due_on").lt(last.to_string()))
            .add(Expr::cust("escalated_round < round"));
        for item in self.items_where(overdue).await? {
            if let Some(e) = self
                .escalate_item(actor, &item.id, EscalationLevel::Overdue)
                .await?
            {
                raised.push(e);
            }
        }
        raised.extend(self.escalate_rectifications(actor, last).await?);
        Ok(raised)
    }

    async fn items_where(&self, cond: Cond) -> Result<Vec<Item>> {
        let mut select = Query::select();
        select
            .from(Alias::new("interact_items"))
            .expr(Expr::cust(ITEM_COLUMNS))
            .cond_where(cond)
            .order_by(Alias::new("due_on"), Order::Asc)
            .limit(BATCH as u64);
        let (sql, values) = render(self.db.backend(), &select);
        self.db
            .fetch_all(&sql, values)
            .await?
            .iter()
            .map(|r| item_from_row(r, &self.fields))
            .collect()
    }

    /// Items whose due day fell in a year the calendar did not know when they were filed get it
    /// now that an administrator entered the year.
    async fn fill_due_days(&self, actor: &Principal) -> Result<()> {
        let missing = Cond::all()
            .add(col("status").is_in(open_statuses()))
            .add(col("due_on").is_null());
        for candidate in self.items_where(missing).await? {
            let (warn_on, due_on) = self.clock_days(&candidate.clock);
            if due_on.is_none() {
                continue;
            }
            let mut tx = self.db.begin_write().await?;
            let mut item = item_in(&mut tx, &candidate.id, &self.fields).await?;
            if item.due_on.is_some() {
                continue;
            }
            item.warn_on = warn_on;
            item.due_on = due_on;
            save_item(&mut tx, &mut item).await?;
            item_event(
                &mut tx,
                actor,
                DueDaySet {
                    due_on: due_on.map(|d| d.to_string()),
                },
                &item,
                ("确定办理期限", "due day set"),
            )
            .await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Reminds or escalates one item if its clock, read today, says so and nobody did it for
    /// this round yet.
    async fn escalate_item(
        &self,
        actor: &Principal,
        id: &ItemId,
        level: EscalationLevel,
    ) -> Result<Option<Escalation>> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let item = item_in(&mut tx, id, &self.fields).await?;
        let (Some(dept), Some(due_on)) = (item.department.clone(), item.due_on) else {
            return Ok(None);
        };
        let Some(reading) = self.read_clock(&item.clock) else {
            return Ok(None);
        };
        let (wanted, column) = match level {
            EscalationLevel::Reminder => (ClockState::DueSoon, "reminded_round"),
            EscalationLevel::Overdue => (ClockState::Overdue, "escalated_round"),
        };
        if reading.state != wanted {
            return Ok(None);
        }
        let claimed = tx
            .execute(
                &format!("UPDATE interact_items SET {column} = round WHERE id = $1 AND {column} < round AND round = $2"),
                params![id.as_str(), item.round],
            )
            .await?;
        if claimed == 0 {
            return Ok(None);
        }
        let e = Escalation {
            id: EscalationId::new(),
            item_id: id.clone(),
            item_number: item.number.clone(),
            subject: EscalationSubject::Item,
            level,
            round: item.round,
            department: dept.path.clone(),
            department_name: dept.name_zh.clone(),
            due_on,
            created: now,
            acknowledged_by: None,
            acknowledged: None,
        };
        raise(&mut tx, actor, &e).await?;
        if level == EscalationLevel::Overdue {
            bump(&mut tx, &dept, &[(Counter::Escalated, 1)], now).await?;
        }
        log(
            &mut tx,
            id,
            actor,
            now,
            LogDraft {
                action: e.level.code(),
                department: Some(&dept.path),
                note: &format!("{} {}", e.level.name_zh(), due_on),
                public: false,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Some(e))
    }

    async fn escalate_rectifications(&self, actor: &Principal, last: Date) -> Result<Vec<Escalation>> {
        let rows = self
            .db
            .fetch_all(
                &format!(
                    "SELECT {RECTIFICATION_COLUMNS} FROM interact_rectifications r JOIN interact_items i \
                     ON i.id = r.item_id WHERE r.status = 'open' AND r.escalated = 0 AND r.due_on < $1 \
                     ORDER BY r.due_on LIMIT $2"
                ),
                params![last.to_string(), BATCH],
            )
            .await?;
        let mut raised = Vec::new();
        for row in rows {
            let r = rectification_from_row(&row)?;
            let (Some(due_on), Some(reading)) = (r.due_on, self.read_clock(&r.clock)) else {
                continue;
            };
            if reading.state != ClockState::Overdue {
                continue;
            }
            let now = self.now();
            let mut tx = self.db.begin_write().await?;
            let claimed = tx
                .execute(
                    "UPDATE interact_rectifications SET escalated = 1, updated_ms = $1 \
                     WHERE id = $2 AND escalated = 0 AND status = 'open'",
                    params![now, r.id.as_str()],
                )
                .await?;
            if claimed == 0 {
                continue;
            }
            let e = Escalation {
                id: EscalationId::new(),
                item_id: r.item_id.clone(),
                item_number: r.item_number.clone(),
                subject: EscalationSubject::Rectification,
                level: EscalationLevel::Overdue,
                round: 0,
                department: r.department.path.clone(),
                department_name: r.department.name_zh.clone(),
                due_on,
                created: now,
                acknowledged_by: None,
                acknowledged: None,
            };
            raise(&mut tx, actor, &e).await?;
            let dept = DeptRef {
                id: r.department.id.clone(),
                path: r.department.path.clone(),
                name_zh: r.department.name_zh.clone(),
            };
            bump(&mut tx, &dept, &[(Counter::Escalated, 1)], now).await?;
            tx.commit().await?;
            raised.push(e);
        }
        Ok(raised)
    }

    /// A page of reminders and escalations, newest first: reminders of departments where the
    /// actor holds `HandleInteractions`, escalations of departments where they hold
    /// `SuperviseInteractions` (the leaders). `open_only` leaves out acknowledged ones.
    pub async fn escalations(
        &self,
        actor: &Principal,
        open_only: bool,
        page: Page,
    ) -> Result<Listing<Escalation>> {
        let handle = actor.scopes_for(Permission::HandleInteractions);
        let supervise = actor.scopes_for(Permission::SuperviseInteractions);
        if handle.is_empty() && supervise.is_empty() {
            return Err(Error::forbidden(msg!("not-permitted-see-escalations")));
        }
        let within = |scopes: &[DeptPath]| {
            if scopes.contains(&DeptPath::root()) {
                return Cond::all();
            }
            let mut any = Cond::any();
            for s in scopes {
                any = any.add(path_in("dept_path", s));
            }
            if scopes.is_empty() {
                // Nothing: an empty `any` would match everything.
                Cond::all().add(Expr::cust("1 = 0"))
            } else {
                any
            }
        };
        let mut cond = Cond::all().add(
            Cond::any()
                .add(
                    Cond::all()
                        .add(col("level").eq(EscalationLevel::Reminder.code()))
                        .add(within(&handle)),
                )
                .add(
                    Cond::all()
                        .add(col("level").eq(EscalationLevel::Overdue.code()))
                        .add(within(&supervise)),
                ),
        );
        if open_only {
            cond = cond.add(col("acknowledged_ms").is_null());
        }
        let base = || {
            Query::select()
                .from(Alias::new("interact_escalations"))
                .cond_where(cond.clone())
                .to_owned()
        };
        let mut count = base();
        count.expr_as(Expr::cust("COUNT(*)"), Alias::new("n"));
        let (sql, values) = render(self.db.backend(), &count);
        let total: i64 = self.db.fetch_one(&sql, values).await?.get("n")?;
        let mut select = base();
        select
            .expr(Expr::cust(ESCALATION_COLUMNS))
            .order_by(Alias::new("created_ms"), Order::Desc)
            .order_by(Alias::new("id"), Order::Desc)
            .limit(u64::from(page.limit))
            .offset(page.offset);
        let (sql, values) = render(self.db.backend(), &select);
        let items = self
            .db
            .fetch_all(&sql, values)
            .await?
            .iter()
            .map(escalation_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(Listing::new(items, total, page))
    }

    /// Acknowledges a reminder (`HandleInteractions` over its department) or an escalation
    /// (`SuperviseInteractions` over it: the leader has seen it and follows it up).
    #[tracing::instrument(skip_all)]
    pub async fn acknowledge_escalation(&self, actor: &Principal, id: &EscalationId) -> Result<Escalation> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let mut e = tx
            .fetch_optional(
                &format!("SELECT {ESCALATION_COLUMNS} FROM interact_escalations WHERE id = $1"),
                params![id.as_str()],
            )
            .await?
            .map(|r| escalation_from_row(&r))
            .transpose()?
            .ok_or(Error::NotFound { what: "escalation" })?;
        let perm = match e.level {
            EscalationLevel::Reminder => Permission::HandleInteractions,
            EscalationLevel::Overdue => Permission::SuperviseInteractions,
        };
        actor.require(perm, Some(&e.department))?;
        let changed = tx
            .execute(
                "UPDATE interact_escalations SET acknowledged_by = $1, acknowledged_ms = $2 \
                 WHERE id = $3 AND acknowledged_ms IS NULL",
                params![actor.id.clone(), now, id.as_str()],
            )
            .await?;
        if changed == 0 {
            return Err(Error::conflict("status", msg!("already-acknowledged")));
        }
        e.acknowledged_by = Some(actor.id.clone());
        e.acknowledged = Some(Millis(now.0));
        tx.append_event(
            actor,
            EventDraft::of(
                &EscalationAcknowledged {
                    escalation: e.id.to_string(),
                },
                e.item_id.as_str(),
                Some(&e.department),
                msg!(
                    "escalation-acknowledged",
                    level = Arg::name(e.level.name_zh(), e.level.name_en()),
                    item_number = e.item_number,
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(e)
    }
}
