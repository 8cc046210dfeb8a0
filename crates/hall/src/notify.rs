//! In-app messages (站内消息) about cases, written in the same transaction as the change they
//! report: the applicant hears of every step of their case the public timeline shows; the staff
//! holding a role in a department hear when a task reaches them and when the applicant acts
//! (supplements, withdraws, rates). Messages to staff are addressed to the role in the
//! department, not to a person, so whoever holds it sees them. Delivery on other channels
//! (e-mail, SMS) reads these rows; this module only writes and lists them.

use crate::access::STEP_ROLES;
use crate::access::applicant_of;
use crate::events::{
    CaseAccepted, CaseCompleted, CaseDecided, CaseNotAccepted, CaseRated, CaseSubmitted, CaseSupplemented,
    CaseTransferred, CaseWithdrawn, DueRecounted, ExtensionDecided, NotificationsRead, SupplementRequested,
};
use crate::{Case, CaseId, Hall, NewTask, Result};
use serde::{Deserialize, Serialize};
use tongban_db::{EventDraft, EventKind, Row, ToValue, Tx, Value, params};
use tongban_kernel::{Arg, msg};
use tongban_kernel::{Millis, Page, Principal, PrincipalKind, Role};

/// Case actions the applicant is told of.
const TO_APPLICANT: &[&str] = &[
    CaseSubmitted::ACTION,
    CaseAccepted::ACTION,
    CaseNotAccepted::ACTION,
    SupplementRequested::ACTION,
    CaseSupplemented::ACTION,
    CaseDecided::ACTION,
    CaseCompleted::ACTION,
    CaseWithdrawn::ACTION,
    DueRecounted::ACTION,
    CaseTransferred::ACTION,
    ExtensionDecided::ACTION,
];

/// Applicant actions the handling department's clerks are told of.
const TO_CLERKS: &[&str] = &[CaseSupplemented::ACTION, CaseWithdrawn::ACTION, CaseRated::ACTION];

/// One in-app message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HallNotification {
    /// Its id.
    pub id: String,
    /// The case it is about.
    pub case_id: CaseId,
    /// The case number.
    pub case_number: String,
    /// The service's name.
    pub item_name: String,
    /// The event action it reports (`hall.case.accepted`, `hall.task.opened`, …).
    pub action: String,
    /// The message, zh-CN then English.
    pub message: String,
    /// When it was written.
    pub created: Millis,
    /// When its recipient read it (`None` while unread, and always for role messages).
    pub read: Option<Millis>,
    /// The role it was addressed to, for messages to staff.
    pub role: Option<Role>,
}

/// The address of the staff holding `role` in the department at `path`.
fn role_address(role: Role, path: &str) -> String {
    format!("role:{}:{path}", role.code())
}

async fn insert(
    tx: &mut Tx,
    recipient: &str,
    case: &Case,
    action: &str,
    message: &str,
    at: Millis,
) -> Result<()> {
    tx.execute(
        "INSERT INTO hall_notifications (id, recipient, case_id, case_number, item_name, action, message, created_ms, read_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)",
        params![
            tongban_kernel::id::new_uuid_v7(),
            recipient,
            case.id.as_str(),
            case.number.as_str(),
            case.item_name.as_str(),
            action,
            message,
            at
        ],
    )
    .await?;
    Ok(())
}

/// Tells whom `action` on `case` concerns (called with every case event).
pub(crate) async fn case_changed(
    tx: &mut Tx,
    action: &str,
    case: &Case,
    (zh, en): (&str, &str),
) -> Result<()> {
    let at = case.updated;
    if TO_APPLICANT.contains(&action) {
        // A refusal is named as the item's kind is refused (不予许可 for a licence only).
        let item_type = tx
            .fetch_optional(
                "SELECT item_type FROM hall_items WHERE id = $1",
                params![case.item_id.as_str()],
            )
            .await?
            .map(|r| r.get::<String>("item_type"))
            .transpose()?
            .and_then(|code| crate::ItemType::parse(&code));
        let (status_zh, status_en) = match item_type {
            Some(t) => case.status.names_for(t),
            None => (case.status.name_zh(), case.status.name_en()),
        };
        // What happened, and the state it left when that says more (不予受理 is both).
        let what = Arg::name(zh, en);
        let (number, item) = (&case.number, &case.item_name);
        let message = if zh == status_zh {
            msg!("your-case-moved", number = number, item = item, what = what)
        } else {
            let status = Arg::name(status_zh, status_en);
            msg!(
                "your-case-moved-now",
                number = number,
                item = item,
                what = what,
                status = status
            )
        }
        .to_string();
        insert(tx, &case.applicant_id, case, action, &message, at).await?;
    }
    if TO_CLERKS.contains(&action) {
        let message = msg!(
            "applicant-acted",
            number = &case.number,
            item = &case.item_name,
            what = Arg::name(zh, en)
        )
        .to_string();
        let to = role_address(Role::Clerk, case.department.path.as_str());
        insert(tx, &to, case, action, &message, at).await?;
    }
    Ok(())
}

/// Tells the staff a task reached them.
pub(crate) async fn task_opened(tx: &mut Tx, t: &NewTask<'_>) -> Result<()> {
    let (item, number, step) = (
        &t.case.item_name,
        &t.case.number,
        Arg::name(t.kind.name_zh(), t.kind.name_en()),
    );
    let message = match t.due {
        Some(due) => msg!(
            "new-task-due",
            item = item,
            number = number,
            step = step,
            due = due.to_string()
        ),
        None => msg!("new-task", item = item, number = number, step = step),
    }
    .to_string();
    let to = role_address(t.role, t.department.path.as_str());
    insert(tx, &to, t.case, "hall.task.opened", &message, t.at).await
}

const COLUMNS: &str = "id, recipient, case_id, case_number, item_name, action, message, created_ms, read_ms";

fn from_row(r: &Row) -> Result<HallNotification> {
    let recipient: String = r.get("recipient")?;
    let role = recipient
        .strip_prefix("role:")
        .and_then(|rest| rest.split(':').next())
        .and_then(Role::parse);
    Ok(HallNotification {
        id: r.get("id")?,
        case_id: CaseId(r.get("case_id")?),
        case_number: r.get("case_number")?,
        item_name: r.get("item_name")?,
        action: r.get("action")?,
        message: r.get("message")?,
        created: r.get("created_ms")?,
        read: r.get("read_ms")?,
        role,
    })
}

/// The SQL condition on `recipient` selecting what `actor` receives, with its parameters
/// starting at `$first`: their own messages and those to each handling role they hold, in
/// every department of its scope.
fn addressed_to(actor: &Principal, first: usize) -> (String, Vec<Value>) {
    let mut sql = format!("(recipient = ${first}");
    let mut values: Vec<Value> = vec![actor.id.to_value()];
    for g in actor.grants.iter().filter(|g| STEP_ROLES.contains(&g.role)) {
        values.push(
            format!(
                "{}%",
                tongban_db::sql::like_escaped(&role_address(g.role, g.scope.as_str()))
            )
            .to_value(),
        );
        sql.push_str(&format!(
            " OR recipient LIKE ${} ESCAPE '\\'",
            first + values.len() - 1
        ));
    }
    sql.push(')');
    (sql, values)
}

impl Hall {
    /// The actor's messages, newest first: their own and those to the handling roles they
    /// hold (staff of a department subtree see its departments' role messages).
    pub async fn notifications(&self, actor: &Principal, page: Page) -> Result<Vec<HallNotification>> {
        signed_in(actor)?;
        let (cond, mut values) = addressed_to(actor, 1);
        let n = values.len();
        values.push(page.limit.to_value());
        values.push(page.offset.to_value());
        self.db
            .fetch_all(
                &format!(
                    "SELECT {COLUMNS} FROM hall_notifications WHERE {cond} \
                     ORDER BY created_ms DESC, id DESC LIMIT ${} OFFSET ${}",
                    n + 1,
                    n + 2
                ),
                values,
            )
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    /// How many of the actor's own messages are unread.
    pub async fn unread_notifications(&self, actor: &Principal) -> Result<u64> {
        signed_in(actor)?;
        let n: i64 = self
            .db
            .fetch_one(
                "SELECT COUNT(*) AS n FROM hall_notifications WHERE recipient = $1 AND read_ms IS NULL",
                params![actor.id.as_str()],
            )
            .await?
            .get("n")?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    /// Marks all the actor's own messages read; returns how many were unread.
    #[tracing::instrument(skip_all)]
    pub async fn mark_notifications_read(&self, actor: &Principal) -> Result<u64> {
        signed_in(actor)?;
        let mut tx = self.db.begin_write().await?;
        let changed = tx
            .execute(
                "UPDATE hall_notifications SET read_ms = $1 WHERE recipient = $2 AND read_ms IS NULL",
                params![self.now(), actor.id.as_str()],
            )
            .await?;
        if changed > 0 {
            tx.append_event(
                actor,
                EventDraft::of(
                    &NotificationsRead { count: changed },
                    &actor.id,
                    None,
                    msg!("read-changed-case-messages", changed = changed),
                ),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(changed)
    }
}

impl Hall {
    /// People's messages (not roles') that no channel has taken yet, oldest first, for the
    /// delivery worker.
    pub async fn undelivered(&self, limit: u32) -> Result<Vec<tongban_kernel::channel::Outgoing>> {
        self.db
            .fetch_all(
                "SELECT id, recipient, case_id, case_number, message FROM hall_notifications \
                 WHERE delivered_ms IS NULL AND recipient NOT LIKE 'role:%' ORDER BY created_ms, id LIMIT $1",
                params![limit.clamp(1, 1000)],
            )
            .await?
            .iter()
            .map(|r| {
                let number: String = r.get("case_number")?;
                let case: String = r.get("case_id")?;
                let message: String = r.get("message")?;
                Ok(tongban_kernel::channel::Outgoing {
                    id: r.get("id")?,
                    account: r.get("recipient")?,
                    subject: msg!("case-number-has-moved", number = &number).to_string(),
                    body: format!("{message}\n\n/my/cases/{case}"),
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
                "UPDATE hall_notifications SET delivered_ms = $1 WHERE id = $2",
                params![now, id.as_str()],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

fn signed_in(actor: &Principal) -> Result<()> {
    if actor.kind == PrincipalKind::User {
        return Ok(());
    }
    // Department systems and the platform receive no in-app messages.
    applicant_of(actor).map(|_| ())
}
