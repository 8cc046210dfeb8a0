//! Replies (答复): every reply is read by the quality checks (vague phrasing, no next step, off
//! topic, sensitive words, someone's personal data) and carries their advice; a reply to an item
//! the citizen agreed to publish waits for a reviewer (`ReviewInteractionReplies`, never its own
//! author) who sends it and decides whether it goes on the public board; a reply to a private
//! item goes to the citizen at once. Sending finishes the clock and counts the reply in the
//! department's statistics.

use crate::Access;
use crate::check::{self, MAX_NOTE, MAX_TEXT};
use crate::events::{ReplyReviewed, ReplySent, ReplySubmitted};
use crate::item::fields;
use crate::store::{
    Counter, ITEM_COLUMNS, LogDraft, bump, item_event, item_from_row, item_in, log, notify, save_item,
};
use crate::{
    Error, Interact, Item, ItemId, ItemStatus, Reply, ReplyId, ReplyInput, ReplyStatus, Result,
    ReviewDecision, from_json, parse_code, to_json,
};
use tongban_db::{Row, Tx, Value, params};
use tongban_kernel::{Arg, msg};
use tongban_kernel::{Millis, Permission, Principal, PrincipalKind};
use tongban_text::reply::{ReplyFlag, public_text};

const REPLY_COLUMNS: &str = "id, item_id, round, author_id, author_name, dept_path, dept_name, body, public_body, \
     flags, status, publish, reviewer_id, review_note, created_ms, decided_ms";

fn reply_from_row(r: &Row) -> Result<Reply> {
    Ok(Reply {
        id: ReplyId(r.get("id")?),
        item_id: ItemId(r.get("item_id")?),
        round: r.get("round")?,
        author_id: r.get("author_id")?,
        author_name: r.get("author_name")?,
        department: r.get("dept_path")?,
        department_name: r.get("dept_name")?,
        text: r.get("body")?,
        public_text: r.get("public_body")?,
        flags: from_json("flags", &r.get::<String>("flags")?)?,
        status: parse_code("status", &r.get::<String>("status")?, ReplyStatus::parse)?,
        publish: r.get("publish")?,
        reviewer: r.get("reviewer_id")?,
        review_note: r.get("review_note")?,
        created: r.get("created_ms")?,
        decided: r.get("decided_ms")?,
    })
}

fn question(item: &Item) -> String {
    format!("{}\n{}", item.title, item.text)
}

impl Interact {
    /// The quality checks' advice on a draft reply to `id`, without saving anything (staff who
    /// may see the item). Each flag has a rule code and a bilingual reason to show inline.
    pub async fn check_reply(&self, actor: &Principal, id: &ItemId, text: &str) -> Result<Vec<ReplyFlag>> {
        let text = check::text("text", text, MAX_TEXT)?;
        let item = self.load_item(id).await?;
        if self.access(actor, &item).await? != Access::Staff {
            return Err(Error::forbidden(msg!("not-permitted-reply-item")));
        }
        Ok(self.checker.check(&question(&item), &text))
    }

    /// The submitter's contact name in clear, so the public version of a reply masks it even
    /// where the reply addresses them by name.
    async fn contact_name(&self, tx: &mut Tx, id: &ItemId) -> Result<String> {
        let row = tx
            .fetch_one(
                "SELECT contact_name FROM interact_items WHERE id = $1",
                params![id.as_str()],
            )
            .await?;
        Ok(match row.get::<Option<String>>("contact_name")? {
            Some(sealed) => self.fields.decrypt(fields::NAME, &sealed)?,
            None => String::new(),
        })
    }

    /// Replies to an item the actor's department handles (`HandleInteractions` over it). The
    /// reply carries the quality checks' advice (flags never block it). For an item the citizen
    /// agreed to publish the reply waits for a reviewer; otherwise it reaches the citizen now.
    #[tracing::instrument(skip_all)]
    pub async fn reply(&self, actor: &Principal, id: &ItemId, input: ReplyInput) -> Result<Reply> {
        let text = check::text("text", &input.text, MAX_TEXT)?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let mut item = item_in(&mut tx, id, &self.fields).await?;
        Self::require_handler(actor, &item)?;
        let Some(dept) = item
            .department
            .clone()
            .filter(|_| item.status == ItemStatus::InProgress)
        else {
            return Err(Error::conflict(
                "status",
                msg!(
                    "status-forbids-reply",
                    status = Arg::name(item.status.name_zh(), item.status.name_en()),
                ),
            ));
        };
        let name = self.contact_name(&mut tx, id).await?;
        let known: Vec<&str> = [name.as_str()].into_iter().filter(|n| !n.is_empty()).collect();
        let mut reply = Reply {
            id: ReplyId::new(),
            item_id: id.clone(),
            round: item.round,
            author_id: actor.id.clone(),
            author_name: actor.name.clone(),
            department: dept.path.clone(),
            department_name: dept.name_zh.clone(),
            flags: self.checker.check(&question(&item), &text),
            public_text: public_text(&text, &known),
            text,
            status: if item.public {
                ReplyStatus::AwaitingReview
            } else {
                ReplyStatus::Sent
            },
            publish: false,
            reviewer: None,
            review_note: String::new(),
            created: now,
            decided: (!item.public).then_some(now),
        };
        tx.execute(
            &format!(
                "INSERT INTO interact_replies ({REPLY_COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
            ),
            vec![
                Value::Text(reply.id.0.clone()),
                Value::Text(id.0.clone()),
                Value::Int(i64::from(reply.round)),
                Value::Text(reply.author_id.clone()),
                Value::Text(reply.author_name.clone()),
                Value::Text(reply.department.0.clone()),
                Value::Text(reply.department_name.clone()),
                Value::Text(reply.text.clone()),
                Value::Text(reply.public_text.clone()),
                Value::Text(to_json("flags", &reply.flags)?),
                Value::Text(reply.status.code().into()),
                Value::Int(0),
                Value::Null,
                Value::Text(String::new()),
                Value::Int(now.0),
                reply.decided.map_or(Value::NullInt, |d| Value::Int(d.0)),
            ],
        )
        .await?;
        let flags: Vec<String> = reply.flags.iter().map(|f| f.rule.code().into()).collect();
        if reply.status == ReplyStatus::Sent {
            self.deliver(&mut tx, actor, &mut item, &mut reply, now).await?;
        } else {
            item.status = ItemStatus::InReview;
            item.updated = now;
            save_item(&mut tx, &mut item).await?;
            log(
                &mut tx,
                id,
                actor,
                now,
                LogDraft {
                    action: "reply_submitted",
                    department: Some(&dept.path),
                    note: "",
                    public: false,
                },
            )
            .await?;
            notify(
                &mut tx,
                &item,
                "in_review",
                "的答复已拟定，正在审核",
                "has a reply being reviewed",
                now,
            )
            .await?;
        }
        let (reply_id, reply_status) = (reply.id.to_string(), reply.status.code().to_owned());
        let summary = ("答复诉求", "reply written");
        if reply.status == ReplyStatus::Sent {
            let sent = ReplySent {
                reply: reply_id,
                flags,
                reply_status,
            };
            item_event(&mut tx, actor, sent, &item, summary).await?;
        } else {
            let submitted = ReplySubmitted {
                reply: reply_id,
                flags,
                reply_status,
            };
            item_event(&mut tx, actor, submitted, &item, summary).await?;
        }
        tx.commit().await?;
        Ok(reply)
    }

    /// A reviewer decides on a reply to a public item (`ReviewInteractionReplies` over the
    /// handling department; never the reply's author): approve it — sending it to the citizen
    /// and, when `publish`, putting item and reply on the public board — or send it back with a
    /// note.
    #[tracing::instrument(skip_all)]
    pub async fn review_reply(
        &self,
        actor: &Principal,
        id: &ReplyId,
        decision: ReviewDecision,
    ) -> Result<Reply> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let mut reply = tx
            .fetch_optional(
                &format!("SELECT {REPLY_COLUMNS} FROM interact_replies WHERE id = $1"),
                params![id.as_str()],
            )
            .await?
            .map(|r| reply_from_row(&r))
            .transpose()?
            .ok_or(Error::NotFound { what: "reply" })?;
        let mut item = item_in(&mut tx, &reply.item_id, &self.fields).await?;
        actor.require(Permission::ReviewInteractionReplies, item.dept_path())?;
        if actor.kind != PrincipalKind::System && actor.id == reply.author_id {
            return Err(Error::forbidden(msg!("reply-cannot-approved-own")));
        }
        if reply.status != ReplyStatus::AwaitingReview || item.status != ItemStatus::InReview {
            return Err(Error::conflict("status", msg!("reply-not-awaiting-review")));
        }
        reply.reviewer = Some(actor.id.clone());
        reply.decided = Some(now);
        let outcome;
        match decision {
            ReviewDecision::Approve { publish } => {
                reply.status = ReplyStatus::Sent;
                reply.publish = publish && item.public;
                self.save_review(&mut tx, &reply).await?;
                self.deliver(&mut tx, actor, &mut item, &mut reply, now).await?;
                outcome = "approved";
            }
            ReviewDecision::SendBack { note } => {
                let note = check::text("note", &note, MAX_NOTE)?;
                reply.status = ReplyStatus::SentBack;
                reply.review_note = note;
                self.save_review(&mut tx, &reply).await?;
                item.status = ItemStatus::InProgress;
                item.updated = now;
                save_item(&mut tx, &mut item).await?;
                log(
                    &mut tx,
                    &item.id,
                    actor,
                    now,
                    LogDraft {
                        action: "reply_sent_back",
                        department: item.dept_path(),
                        note: &reply.review_note,
                        public: false,
                    },
                )
                .await?;
                notify(
                    &mut tx,
                    &item,
                    "in_progress",
                    "的答复正在完善",
                    "has its reply being revised",
                    now,
                )
                .await?;
                outcome = "sent_back";
            }
        }
        item_event(
            &mut tx,
            actor,
            ReplyReviewed {
                reply: reply.id.to_string(),
                outcome: outcome.into(),
                publish: reply.publish,
            },
            &item,
            ("审核答复", "reply reviewed"),
        )
        .await?;
        tx.commit().await?;
        Ok(reply)
    }

    async fn save_review(&self, tx: &mut Tx, reply: &Reply) -> Result<()> {
        let changed = tx
            .execute(
                "UPDATE interact_replies SET status = $1, publish = $2, reviewer_id = $3, review_note = $4, \
                 decided_ms = $5 WHERE id = $6 AND status = 'awaiting_review'",
                params![
                    reply.status.code(),
                    reply.publish,
                    reply.reviewer.clone(),
                    reply.review_note.clone(),
                    reply.decided,
                    reply.id.as_str()
                ],
            )
            .await?;
        if changed == 0 {
            return Err(crate::store::moved_on());
        }
        Ok(())
    }

    /// Sends `reply` to the citizen: finishes the clock, counts the reply for the department,
    /// publishes it when the reply says so, closes an open rectification, and tells the submitter
    /// and the submitters of items merged into this one.
    async fn deliver(
        &self,
        tx: &mut Tx,
        actor: &Principal,
        item: &mut Item,
        reply: &mut Reply,
        now: Millis,
    ) -> Result<()> {
        let today = self.today();
        item.clock.finish(today)?;
        let reading = self.read_clock(&item.clock);
        let on_time = match &reading {
            Some(r) => !r.finished_late,
            None => item.due_on.is_none_or(|due| today <= due),
        };
        let used = reading.map_or(0, |r| i64::from(r.used));
        item.status = ItemStatus::Replied;
        item.replied = Some(now);
        if reply.publish {
            item.published = Some(now);
        }
        item.updated = now;
        save_item(tx, item).await?;
        if reply.publish {
            tx.execute(
                "UPDATE interact_items SET public_reply = $1, reply_dept_name = $2 WHERE id = $3",
                params![
                    reply.public_text.clone(),
                    reply.department_name.clone(),
                    item.id.as_str()
                ],
            )
            .await?;
        }
        if let Some(dept) = &item.department {
            bump(
                tx,
                dept,
                &[
                    (Counter::Replied, 1),
                    (Counter::RepliedOnTime, i64::from(on_time)),
                    (Counter::ReplyDaysTotal, used),
                ],
                now,
            )
            .await?;
        }
        tx.execute(
            "UPDATE interact_rectifications SET status = 'done', clock_finished = $1, note = $2, updated_ms = $3 \
             WHERE item_id = $4 AND status = 'open'",
            params![
                today.to_string(),
                msg!("replied-again-id", id = reply.id.as_str()).to_string(),
                now,
                item.id.as_str()
            ],
        )
        .await?;
        log(
            tx,
            &item.id,
            actor,
            now,
            LogDraft {
                action: "replied",
                department: item.dept_path(),
                note: "",
                public: true,
            },
        )
        .await?;
        notify(
            tx,
            item,
            "replied",
            "已答复，欢迎评价",
            "has been answered; please rate the reply",
            now,
        )
        .await?;
        let merged = tx
            .fetch_all(
                &format!("SELECT {ITEM_COLUMNS} FROM interact_items WHERE merged_into = $1"),
                params![item.id.as_str()],
            )
            .await?;
        for row in merged {
            let m = item_from_row(&row, &self.fields)?;
            notify(
                tx,
                &m,
                "replied",
                &format!("所并入的 {} 已答复", item.number),
                &format!("was answered through {}", item.number),
                now,
            )
            .await?;
        }
        Ok(())
    }

    /// The replies to an item, oldest first: every reply for staff who may see it, the sent
    /// ones for its submitter.
    pub async fn replies(&self, actor: &Principal, id: &ItemId) -> Result<Vec<Reply>> {
        let item = self.load_item(id).await?;
        let access = self.access(actor, &item).await?;
        let all = self
            .db
            .fetch_all(
                &format!(
                    "SELECT {REPLY_COLUMNS} FROM interact_replies WHERE item_id = $1 ORDER BY created_ms, id"
                ),
                params![id.as_str()],
            )
            .await?
            .iter()
            .map(reply_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(match access {
            Access::Staff => all,
            Access::Submitter => all
                .into_iter()
                .filter(|r| r.status == ReplyStatus::Sent)
                .map(|r| Reply {
                    flags: Vec::new(),
                    author_id: String::new(),
                    author_name: String::new(),
                    reviewer: None,
                    review_note: String::new(),
                    ..r
                })
                .collect(),
        })
    }
}
