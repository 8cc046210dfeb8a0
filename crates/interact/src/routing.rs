//! Moving an item between departments: dispatch (分派) of an item no rule placed, transfer (转办)
//! to the department actually responsible, return (退回) for dispatch when the department is not,
//! and assistance (协办) from another department while the handling department keeps the item.

use crate::check::{self, MAX_NOTE};
use crate::events::{AssistAnswered, AssistRequested, ItemDispatched, ItemReturned, ItemTransferred};
use crate::item::{ASSIST_COLUMNS, assist_from_row};
use crate::store::{Counter, LogDraft, bump, item_event, item_in, log, notify, save_item};
use crate::{Assist, AssistId, AssistStatus, DeptRef, Error, Interact, ItemId, ItemStatus, ItemView, Result};
use tongban_db::{EventDraft, params};
use tongban_kernel::{Arg, msg};
use tongban_kernel::{Permission, Principal};

fn wrong_status(status: ItemStatus, verb: (&str, &str)) -> Error {
    Error::conflict(
        "status",
        msg!(
            "status-forbids",
            status = Arg::name(status.name_zh(), status.name_en()),
            verb = Arg::name(verb.0, verb.1)
        ),
    )
}

impl Interact {
    /// Assigns an item awaiting dispatch to `department` (`HandleInteractions` over the whole
    /// tree: the city's dispatch centre). Its clock keeps running from receipt.
    #[tracing::instrument(skip_all)]
    pub async fn dispatch(&self, actor: &Principal, id: &ItemId, department: DeptRef) -> Result<ItemView> {
        let department = check::dept_ref("department", &department)?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let mut item = item_in(&mut tx, id, &self.fields).await?;
        Self::require_handler(actor, &item)?;
        if item.status != ItemStatus::Unassigned {
            return Err(wrong_status(item.status, ("分派", "dispatched")));
        }
        item.department = Some(department.clone());
        item.status = ItemStatus::InProgress;
        item.updated = now;
        save_item(&mut tx, &mut item).await?;
        log(
            &mut tx,
            id,
            actor,
            now,
            LogDraft {
                action: "dispatched",
                department: Some(&department.path),
                note: &department.name_zh,
                public: true,
            },
        )
        .await?;
        bump(&mut tx, &department, &[(Counter::Received, 1)], now).await?;
        notify(
            &mut tx,
            &item,
            "dispatched",
            &format!("已分派至{}办理", department.name_zh),
            &format!("was sent to {}", department.name_zh),
            now,
        )
        .await?;
        item_event(
            &mut tx,
            actor,
            ItemDispatched {},
            &item,
            ("分派诉求", "item dispatched"),
        )
        .await?;
        tx.commit().await?;
        Ok(self.view(item))
    }

    /// Transfers an item to the department responsible (转办), with a reason the citizen sees
    /// (`HandleInteractions` over the current department). The clock keeps running from receipt.
    #[tracing::instrument(skip_all)]
    pub async fn transfer(
        &self,
        actor: &Principal,
        id: &ItemId,
        department: DeptRef,
        reason: &str,
    ) -> Result<ItemView> {
        let department = check::dept_ref("department", &department)?;
        let reason = check::text("reason", reason, MAX_NOTE)?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let mut item = item_in(&mut tx, id, &self.fields).await?;
        Self::require_handler(actor, &item)?;
        if item.status != ItemStatus::InProgress {
            return Err(wrong_status(item.status, ("转办", "transferred")));
        }
        let Some(from) = item.department.clone() else {
            return Err(wrong_status(item.status, ("转办", "transferred")));
        };
        if from.path == department.path {
            return Err(Error::invalid(
                "department",
                msg!("cannot-transfer-same-department"),
            ));
        }
        item.department = Some(department.clone());
        item.transfers += 1;
        item.updated = now;
        save_item(&mut tx, &mut item).await?;
        log(
            &mut tx,
            id,
            actor,
            now,
            LogDraft {
                action: "transferred",
                department: Some(&department.path),
                note: &reason,
                public: true,
            },
        )
        .await?;
        bump(&mut tx, &from, &[(Counter::TransferredOut, 1)], now).await?;
        bump(&mut tx, &department, &[(Counter::Received, 1)], now).await?;
        notify(
            &mut tx,
            &item,
            "transferred",
            &format!("已由{}转至{}办理", from.name_zh, department.name_zh),
            &format!("was transferred from {} to {}", from.name_zh, department.name_zh),
            now,
        )
        .await?;
        item_event(
            &mut tx,
            actor,
            ItemTransferred {
                from: from.path,
                to: department.path,
                reason,
            },
            &item,
            ("转办诉求", "item transferred"),
        )
        .await?;
        tx.commit().await?;
        Ok(self.view(item))
    }

    /// Returns an item for dispatch (退回) because the department is not responsible, with a
    /// reason (`HandleInteractions` over the current department).
    #[tracing::instrument(skip_all)]
    pub async fn return_item(&self, actor: &Principal, id: &ItemId, reason: &str) -> Result<ItemView> {
        let reason = check::text("reason", reason, MAX_NOTE)?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let mut item = item_in(&mut tx, id, &self.fields).await?;
        Self::require_handler(actor, &item)?;
        let Some(from) = item
            .department
            .clone()
            .filter(|_| item.status == ItemStatus::InProgress)
        else {
            return Err(wrong_status(item.status, ("退回", "returned")));
        };
        item.department = None;
        item.status = ItemStatus::Unassigned;
        item.updated = now;
        save_item(&mut tx, &mut item).await?;
        log(
            &mut tx,
            id,
            actor,
            now,
            LogDraft {
                action: "returned",
                department: Some(&from.path),
                note: &reason,
                public: true,
            },
        )
        .await?;
        bump(&mut tx, &from, &[(Counter::Returned, 1)], now).await?;
        notify(
            &mut tx,
            &item,
            "returned",
            &format!("已由{}退回，正在重新分办", from.name_zh),
            &format!("was returned by {} and awaits dispatch", from.name_zh),
            now,
        )
        .await?;
        item_event(
            &mut tx,
            actor,
            ItemReturned {
                from: from.path,
                reason,
            },
            &item,
            ("退回诉求", "item returned"),
        )
        .await?;
        tx.commit().await?;
        Ok(self.view(item))
    }

    /// Asks `department` to assist (协办) with an item the actor's department handles
    /// (`HandleInteractions` over it). The assisting department may then read the item and
    /// answer; the handling department still replies.
    #[tracing::instrument(skip_all)]
    pub async fn request_assist(
        &self,
        actor: &Principal,
        id: &ItemId,
        department: DeptRef,
        note: &str,
    ) -> Result<Assist> {
        let department = check::dept_ref("department", &department)?;
        let note = check::text("note", note, MAX_NOTE)?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let item = item_in(&mut tx, id, &self.fields).await?;
        Self::require_handler(actor, &item)?;
        if !matches!(item.status, ItemStatus::InProgress | ItemStatus::InReview) {
            return Err(wrong_status(item.status, ("请求协办", "given an assistant")));
        }
        if item.dept_path() == Some(&department.path) {
            return Err(Error::invalid("department", msg!("cannot-ask-same-department")));
        }
        let pending = tx
            .fetch_optional(
                "SELECT id FROM interact_assists WHERE item_id = $1 AND dept_path = $2 AND status = 'open'",
                params![id.as_str(), department.path.as_str()],
            )
            .await?;
        if pending.is_some() {
            return Err(Error::conflict(
                "department",
                msg!("department-was-already-asked"),
            ));
        }
        let assist = Assist {
            id: AssistId::new(),
            item_id: id.clone(),
            department,
            note,
            requested_by: actor.id.clone(),
            requested: now,
            status: AssistStatus::Open,
            answer: String::new(),
            answered_by: None,
            answered: None,
        };
        tx.execute(
            &format!(
                "INSERT INTO interact_assists ({ASSIST_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
            ),
            params![
                assist.id.as_str(),
                id.as_str(),
                assist.department.id.clone(),
                assist.department.path.as_str(),
                assist.department.name_zh.clone(),
                assist.note.clone(),
                assist.requested_by.clone(),
                now,
                AssistStatus::Open.code(),
                "",
                None::<String>,
                None::<i64>
            ],
        )
        .await?;
        log(
            &mut tx,
            id,
            actor,
            now,
            LogDraft {
                action: "assist_requested",
                department: Some(&assist.department.path),
                note: &assist.note,
                public: false,
            },
        )
        .await?;
        item_event(
            &mut tx,
            actor,
            AssistRequested {
                assist: assist.id.to_string(),
                assisting: assist.department.path.clone(),
            },
            &item,
            ("请求协办", "assistance requested"),
        )
        .await?;
        tx.commit().await?;
        Ok(assist)
    }

    /// The assisting department answers (`HandleInteractions` over it).
    #[tracing::instrument(skip_all)]
    pub async fn answer_assist(&self, actor: &Principal, id: &AssistId, answer: &str) -> Result<Assist> {
        let answer = check::text("answer", answer, crate::check::MAX_TEXT)?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let mut assist = tx
            .fetch_optional(
                &format!("SELECT {ASSIST_COLUMNS} FROM interact_assists WHERE id = $1"),
                params![id.as_str()],
            )
            .await?
            .map(|r| assist_from_row(&r))
            .transpose()?
            .ok_or(Error::NotFound { what: "assist" })?;
        actor.require(Permission::HandleInteractions, Some(&assist.department.path))?;
        if assist.status != AssistStatus::Open {
            return Err(Error::conflict("status", msg!("request-was-already-answered")));
        }
        let changed = tx
            .execute(
                "UPDATE interact_assists SET status = 'answered', answer = $1, answered_by = $2, answered_ms = $3 \
                 WHERE id = $4 AND status = 'open'",
                params![answer.clone(), actor.id.clone(), now, id.as_str()],
            )
            .await?;
        if changed == 0 {
            return Err(crate::store::moved_on());
        }
        assist.status = AssistStatus::Answered;
        assist.answer = answer;
        assist.answered_by = Some(actor.id.clone());
        assist.answered = Some(now);
        log(
            &mut tx,
            &assist.item_id,
            actor,
            now,
            LogDraft {
                action: "assist_answered",
                department: Some(&assist.department.path),
                note: &assist.answer,
                public: false,
            },
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &AssistAnswered {
                    item: assist.item_id.to_string(),
                },
                assist.id.as_str(),
                Some(&assist.department.path),
                msg!(
                    "path-answered-assistance-request",
                    department = assist.department.name_zh,
                    path = assist.department.path.as_str()
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(assist)
    }
}
