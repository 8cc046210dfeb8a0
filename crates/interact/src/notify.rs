//! The citizen's in-app notifications: written in the transaction of every change to their item
//! (received, routed, transferred, returned, in review, replied, merged, reopened, closed), read
//! and marked read here. Only the recipient sees their notifications.

use crate::events::NotificationsRead;
use crate::sql::col;
use crate::{Error, Interact, ItemId, Listing, Notification, NotificationId, Result};
use tongban_db::sql::render;
use tongban_db::sql::sea_query::{Alias, Cond, Expr, Order, Query};
use tongban_db::{EventDraft, Row, Value, params};
use tongban_kernel::msg;
use tongban_kernel::{Page, Principal, PrincipalKind};

/// The most notifications one call marks read.
const MARK_LIMIT: usize = 500;

fn notification_from_row(r: &Row) -> Result<Notification> {
    Ok(Notification {
        id: NotificationId(r.get("id")?),
        item_id: ItemId(r.get("item_id")?),
        item_number: r.get("item_number")?,
        event: r.get("event")?,
        message: r.get("message")?,
        created: r.get("created_ms")?,
        read: r.get("read_ms")?,
    })
}

fn signed_in(actor: &Principal) -> Result<()> {
    if actor.kind == PrincipalKind::User {
        Ok(())
    } else {
        Err(Error::forbidden(msg!("please-sign")))
    }
}

impl Interact {
    /// A page of the actor's notifications, newest first (only unread ones when `unread_only`).
    pub async fn notifications(
        &self,
        actor: &Principal,
        unread_only: bool,
        page: Page,
    ) -> Result<Listing<Notification>> {
        signed_in(actor)?;
        let mut cond = Cond::all().add(col("recipient_id").eq(actor.id.as_str()));
        if unread_only {
            cond = cond.add(col("read_ms").is_null());
        }
        let base = || {
            Query::select()
                .from(Alias::new("interact_notifications"))
                .cond_where(cond.clone())
                .to_owned()
        };
        let mut count = base();
        count.expr_as(Expr::cust("COUNT(*)"), Alias::new("n"));
        let (sql, values) = render(self.db.backend(), &count);
        let total: i64 = self.db.fetch_one(&sql, values).await?.get("n")?;
        let mut select = base();
        select
            .expr(Expr::cust(
                "id, item_id, item_number, event, message, created_ms, read_ms",
            ))
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
            .map(notification_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(Listing::new(items, total, page))
    }

    /// How many of the actor's notifications are unread (for the badge in the page header).
    pub async fn unread_count(&self, actor: &Principal) -> Result<u64> {
        signed_in(actor)?;
        let n: i64 = self
            .db
            .fetch_one(
                "SELECT COUNT(*) AS n FROM interact_notifications WHERE recipient_id = $1 AND read_ms IS NULL",
                params![actor.id.clone()],
            )
            .await?
            .get("n")?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Marks the actor's notifications `ids` read (others' ids are ignored); returns how many
    /// changed. At most 500 at a time.
    pub async fn mark_read(&self, actor: &Principal, ids: &[NotificationId]) -> Result<u64> {
        signed_in(actor)?;
        if ids.len() > MARK_LIMIT {
            return Err(Error::invalid(
                "ids",
                msg!("most-mark-limit-time", mark_limit = MARK_LIMIT),
            ));
        }
        if ids.is_empty() {
            return Ok(0);
        }
        let marks: Vec<String> = (3..3 + ids.len()).map(|i| format!("${i}")).collect();
        let mut values: Vec<Value> = params![self.now(), actor.id.clone()];
        values.extend(ids.iter().map(|id| Value::Text(id.0.clone())));
        self.mark(
            actor,
            &format!(
                "UPDATE interact_notifications SET read_ms = $1 WHERE recipient_id = $2 AND read_ms IS NULL \
                 AND id IN ({})",
                marks.join(", ")
            ),
            values,
        )
        .await
    }

    /// Marks every notification of the actor read; returns how many changed.
    pub async fn mark_all_read(&self, actor: &Principal) -> Result<u64> {
        signed_in(actor)?;
        self.mark(
            actor,
            "UPDATE interact_notifications SET read_ms = $1 WHERE recipient_id = $2 AND read_ms IS NULL",
            params![self.now(), actor.id.clone()],
        )
        .await
    }

    async fn mark(&self, actor: &Principal, sql: &str, values: Vec<Value>) -> Result<u64> {
        let mut tx = self.db.begin_write().await?;
        let changed = tx.execute(sql, values).await?;
        if changed == 0 {
            return Ok(0);
        }
        tx.append_event(
            actor,
            EventDraft::of(
                &NotificationsRead { count: changed },
                &actor.id,
                None,
                msg!("read-changed-notifications", changed = changed),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(changed)
    }
}

impl Interact {
    /// Citizens' messages that no channel has taken yet, oldest first, for the delivery worker.
    pub async fn undelivered(&self, limit: u32) -> Result<Vec<tongban_kernel::channel::Outgoing>> {
        self.db
            .fetch_all(
                "SELECT id, recipient_id, item_number, message FROM interact_notifications \
                 WHERE delivered_ms IS NULL ORDER BY created_ms, id LIMIT $1",
                params![limit.clamp(1, 1000)],
            )
            .await?
            .iter()
            .map(|r| {
                let number: String = r.get("item_number")?;
                let message: String = r.get("message")?;
                Ok(tongban_kernel::channel::Outgoing {
                    id: r.get("id")?,
                    account: r.get("recipient_id")?,
                    subject: msg!("number-has-moved", number = number).to_string(),
                    body: format!("{message}\n\n/my/items"),
                })
            })
            .collect()
    }

    /// Marks messages as taken by a channel (sent, or the person has no address on it).
    #[tracing::instrument(skip_all)]
    pub async fn mark_delivered(&self, ids: &[String]) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        for id in ids {
            tx.execute(
                "UPDATE interact_notifications SET delivered_ms = $1 WHERE id = $2",
                params![now, id.as_str()],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
