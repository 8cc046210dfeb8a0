//! Recounting due days when a year's holiday schedule is announced, as the hall does for cases.
//! Until then a limit that runs into the year is provisional (暂定: weekends and the statutory
//! holidays only, see [`Interact::provisional`]); once an administrator enters the year, every
//! open item and every open rectification due in it or later is counted again. Where an item's
//! date moved, its timeline shows the old and new dates, an event records them and the citizen
//! is told; a moved rectification is recorded on the item's staff timeline and in an event.

use crate::events::{DueRecounted, RectificationDueRecounted};
use crate::rating::{RECTIFICATION_COLUMNS, rectification_from_row};
use crate::sql::{col, open_statuses};
use crate::store::{LogDraft, item_event, item_in, log, notify, save_item};
use crate::{Error, Interact, ItemId, Result};
use jiff::civil::Date;
use tongban_db::sql::render;
use tongban_db::sql::sea_query::{Alias, Cond, Order, Query};
use tongban_db::{EventDraft, params};
use tongban_kernel::msg;
use tongban_kernel::{LegalClock, Permission, Principal, Recount};

fn shown(d: Option<Date>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

impl Interact {
    /// Whether `clock`'s due day `due` is provisional: it runs through a year whose schedule is
    /// not announced yet.
    pub fn provisional(&self, clock: &LegalClock, due: Option<Date>) -> bool {
        due.is_some_and(|d| self.calendar.provisional_between(clock.started, d))
    }

    /// Counts again the due days of every open item and open rectification due in `from_year`
    /// or later, after that year's schedule was entered (needs [`Permission::ManageCalendar`]).
    /// One transaction per record, so a long recount never holds the database.
    pub async fn recount_due_days(&self, actor: &Principal, from_year: i16) -> Result<Recount> {
        // The holiday schedule is national: any grant of the permission will do.
        if !actor.allows_somewhere(Permission::ManageCalendar) {
            return Err(Error::forbidden(msg!("not-permitted-enter-holiday")));
        }
        let since = format!("{from_year:04}-01-01");
        let mut select = Query::select();
        select
            .from(Alias::new("interact_items"))
            .column(Alias::new("id"))
            .cond_where(
                Cond::all()
                    .add(col("status").is_in(open_statuses()))
                    .add(col("due_on").gte(since.clone())),
            )
            .order_by(Alias::new("id"), Order::Asc);
        let (sql, values) = render(self.db.backend(), &select);
        let items: Vec<ItemId> = self
            .db
            .fetch_all(&sql, values)
            .await?
            .iter()
            .map(|r| r.get::<String>("id").map(ItemId))
            .collect::<std::result::Result<_, _>>()?;
        let rectifications: Vec<String> = self
            .db
            .fetch_all(
                "SELECT id FROM interact_rectifications WHERE status = 'open' AND due_on >= $1 ORDER BY id",
                params![since],
            )
            .await?
            .iter()
            .map(|r| r.get::<String>("id"))
            .collect::<std::result::Result<_, _>>()?;
        let mut out = Recount::default();
        for id in items {
            out.count(self.recount_item(actor, &id).await?);
        }
        for id in rectifications {
            out.count(self.recount_rectification(actor, &id).await?);
        }
        Ok(out)
    }

    /// Recounts one item; true when its due day moved.
    async fn recount_item(&self, actor: &Principal, id: &ItemId) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        let mut item = item_in(&mut tx, id, &self.fields).await?;
        let (warn_on, due_on) = self.clock_days(&item.clock);
        if due_on.is_none() || (warn_on, due_on) == (item.warn_on, item.due_on) {
            return Ok(false);
        }
        let (old, new) = (shown(item.due_on), shown(due_on));
        let now = self.now();
        item.warn_on = warn_on;
        item.due_on = due_on;
        item.updated = now;
        save_item(&mut tx, &mut item).await?;
        log(
            &mut tx,
            &item.id,
            actor,
            now,
            LogDraft {
                action: "due_recounted",
                department: None,
                note: &format!("{old} → {new}"),
                public: true,
            },
        )
        .await?;
        let zh = format!("节假日安排公布，办理期限由 {old} 改为 {new}");
        let en = format!("the holiday schedule was announced; due date changed from {old} to {new}");
        item_event(
            &mut tx,
            actor,
            DueRecounted {
                old_due: old.clone(),
                new_due: new.clone(),
            },
            &item,
            (&zh, &en),
        )
        .await?;
        notify(
            &mut tx,
            &item,
            "due_recounted",
            &format!("的办理期限因节假日安排公布，由 {old} 改为 {new}"),
            &format!("is now due {new} (was {old}): the holiday schedule was announced"),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Recounts one open rectification; true when its due day moved.
    async fn recount_rectification(&self, actor: &Principal, id: &str) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        let Some(row) = tx
            .fetch_optional(
                &format!(
                    "SELECT {RECTIFICATION_COLUMNS} FROM interact_rectifications r JOIN interact_items i \
                     ON i.id = r.item_id WHERE r.id = $1 AND r.status = 'open'"
                ),
                params![id],
            )
            .await?
        else {
            return Ok(false);
        };
        let r = rectification_from_row(&row)?;
        let (_, due_on) = self.clock_days(&r.clock);
        if due_on.is_none() || due_on == r.due_on {
            return Ok(false);
        }
        let (old, new) = (shown(r.due_on), shown(due_on));
        let now = self.now();
        tx.execute(
            "UPDATE interact_rectifications SET due_on = $1, updated_ms = $2 WHERE id = $3",
            params![new.clone(), now, id],
        )
        .await?;
        log(
            &mut tx,
            &r.item_id,
            actor,
            now,
            LogDraft {
                action: "rectification_due_recounted",
                department: Some(&r.department.path),
                note: &format!("{old} → {new}"),
                public: false,
            },
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &RectificationDueRecounted {
                    item: r.item_number.clone(),
                    old_due: old.clone(),
                    new_due: new.clone(),
                },
                id,
                Some(&r.department.path),
                msg!(
                    "rectification-due-date-changed",
                    item_number = r.item_number,
                    new = new,
                    old = old
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
