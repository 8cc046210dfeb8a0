//! Consultations on draft policies (意见征集): a department publishes a draft in sections with an
//! open period; signed-in citizens comment on a section. Comments are post-moderated (shown at
//! once; reports hide one until staff review it, weighed by the reporting accounts' age so that
//! accounts made that day cannot) or, when the
//! department chooses, pre-moderated (shown after staff approve). Near-identical comments are
//! grouped (SimHash narrowed, then Jaccard of character shingles) so staff see "87 comments say
//! the same thing"; the department then publishes its feedback (采纳情况) per group — adopted,
//! partly adopted, or not adopted with the reason — linked from the draft.

use crate::events::{
    CommentAdded, CommentModerated, CommentReported, ConsultationCreated, FeedbackPublished,
};
use crate::{DeptRef, Error, Interact, Result, from_json, jaccard, shingles, simhash, to_json};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tongban_db::{EventDraft, Row, params};
use tongban_kernel::msg;
use tongban_kernel::{Millis, Permission, Principal, PrincipalKind, define_id, input};

define_id!(
    /// A consultation's id.
    ConsultationId
);
define_id!(
    /// A comment's id.
    CommentId
);

/// The weight of reports that hides a published comment until staff review it: three
/// accounts older than [`ESTABLISHED_MS`] (see [`report_weight`]).
pub const HIDE_AT_WEIGHT: i64 = 6;

/// An account this old reports with full weight.
pub const ESTABLISHED_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// How much a report by an account created at `created` weighs at `now`: nothing on the day it
/// was made (accounts made to hide a comment do not count), half while it is newer than
/// [`ESTABLISHED_MS`], whole after.
pub fn report_weight(created: Millis, now: Millis) -> i64 {
    let age = now.0 - created.0;
    if age < 24 * 60 * 60 * 1000 {
        0
    } else if age < ESTABLISHED_MS {
        1
    } else {
        2
    }
}
/// The longest comment, in characters.
pub const MAX_COMMENT_TEXT: usize = 2000;
/// Jaccard similarity at or above which two comments say the same thing.
const SAME_TEXT: f64 = 0.8;
/// SimHash bits two comments may differ in and still be compared exactly.
const SIMHASH_RADIUS: u32 = 18;

/// One section of a draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// Heading (第一条 …).
    pub heading: String,
    /// Its text.
    pub text: String,
}

/// A draft as a department publishes it for comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsultationInput {
    /// The department consulting.
    pub department: DeptRef,
    /// Title of the draft.
    pub title: String,
    /// What it is about and why comments are sought.
    pub summary: String,
    /// The draft's sections, in order.
    pub sections: Vec<Section>,
    /// First day comments are taken.
    pub opens_on: Date,
    /// Last day comments are taken.
    pub closes_on: Date,
    /// Whether comments wait for staff approval before they are shown.
    pub pre_moderation: bool,
}

/// A consultation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consultation {
    /// Its id.
    pub id: ConsultationId,
    /// The department consulting.
    pub department: DeptRef,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Sections.
    pub sections: Vec<Section>,
    /// First day open.
    pub opens_on: Date,
    /// Last day open.
    pub closes_on: Date,
    /// Pre-moderated.
    pub pre_moderation: bool,
    /// When the feedback report was published, once it is.
    pub feedback_published: Option<Millis>,
    /// When it was published.
    pub created: Millis,
}

impl Consultation {
    /// Whether it takes comments on `day`.
    pub fn open_on(&self, day: Date) -> bool {
        self.opens_on <= day && day <= self.closes_on
    }
}

coded_enum!(
    /// Where a comment stands.
    CommentStatus {
        /// Shown.
        Published = "published", "已公开", "Published";
        /// Waiting for staff: pre-moderated, or hidden after reports.
        Pending = "pending", "待审核", "Pending review";
        /// Refused by staff.
        Rejected = "rejected", "未通过", "Rejected";
    }
);

/// A comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// Its id.
    pub id: CommentId,
    /// The section (index) it is on.
    pub section: u32,
    /// The author's name, masked.
    pub author: String,
    /// Text.
    pub text: String,
    /// The first comment of the group saying the same thing (its own id when it is the first).
    pub group: CommentId,
    /// Status.
    pub status: CommentStatus,
    /// Reports received.
    pub reports: u32,
    /// When it was made.
    pub created: Millis,
}

/// Comments saying the same thing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommentGroup {
    /// The group's first comment.
    pub group: CommentId,
    /// The section.
    pub section: u32,
    /// The first comment's text.
    pub text: String,
    /// How many comments say it.
    pub count: u64,
}

coded_enum!(
    /// What the department did with a group of comments (采纳情况).
    Adoption {
        /// 采纳.
        Adopted = "adopted", "采纳", "Adopted";
        /// 部分采纳.
        Partly = "partly", "部分采纳", "Partly adopted";
        /// 未采纳.
        NotAdopted = "not_adopted", "未采纳", "Not adopted";
    }
);

/// The department's answer to one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackEntry {
    /// The group.
    pub group: CommentId,
    /// What was done.
    pub adoption: Adoption,
    /// Why (required unless adopted).
    pub reason: String,
}

/// One line of the public feedback report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicFeedback {
    /// The group's earliest published comment; `None` while none of its comments is public.
    pub text: Option<String>,
    /// How many comments say it (those waiting for review included).
    pub count: u64,
    /// What was done.
    pub adoption: Adoption,
    /// Why.
    pub reason: String,
}

/// A staff decision on a waiting comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Moderation {
    /// Show it.
    Publish,
    /// Refuse it.
    Reject,
}

const COLUMNS: &str = "id, dept_id, dept_path, dept_name, title, summary, sections, opens_on, closes_on, \
     pre_moderation, feedback_ms, created_ms";
const COMMENT_COLUMNS: &str = "id, section, author, text, group_id, status, reports, created_ms";

fn consultation_from_row(r: &Row) -> Result<Consultation> {
    let date = |col: &str| -> Result<Date> {
        r.get::<String>(col)?
            .parse()
            .map_err(|_| crate::error::decode_err(col, "not a date"))
    };
    Ok(Consultation {
        id: ConsultationId(r.get("id")?),
        department: DeptRef {
            id: r.get("dept_id")?,
            path: r.get("dept_path")?,
            name_zh: r.get("dept_name")?,
        },
        title: r.get("title")?,
        summary: r.get("summary")?,
        sections: from_json("sections", &r.get::<String>("sections")?)?,
        opens_on: date("opens_on")?,
        closes_on: date("closes_on")?,
        pre_moderation: r.get("pre_moderation")?,
        feedback_published: r.get("feedback_ms")?,
        created: r.get("created_ms")?,
    })
}

fn comment_from_row(r: &Row) -> Result<Comment> {
    Ok(Comment {
        id: CommentId(r.get("id")?),
        section: u32::try_from(r.get::<i64>("section")?).unwrap_or_default(),
        author: r.get("author")?,
        text: r.get("text")?,
        group: CommentId(r.get("group_id")?),
        status: CommentStatus::parse(&r.get::<String>("status")?)
            .ok_or_else(|| crate::error::decode_err("status", "unknown comment status"))?,
        reports: u32::try_from(r.get::<i64>("reports")?).unwrap_or_default(),
        created: r.get("created_ms")?,
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
    /// Publishes a draft for comment (the actor manages participation in its department).
    #[tracing::instrument(skip_all)]
    pub async fn create_consultation(
        &self,
        actor: &Principal,
        new: ConsultationInput,
    ) -> Result<Consultation> {
        actor.require(Permission::ManageParticipation, Some(&new.department.path))?;
        let title = input::line("title", &new.title, 100)?;
        let summary = input::text("summary", &new.summary, 4000)?;
        if new.sections.is_empty() || new.sections.len() > 200 {
            return Err(Error::invalid("sections", msg!("draft-has-1-200")));
        }
        let sections = new
            .sections
            .iter()
            .enumerate()
            .map(|(n, s)| {
                Ok(Section {
                    heading: input::line(&format!("sections[{n}].heading"), &s.heading, 100)?,
                    text: input::text(&format!("sections[{n}].text"), &s.text, 20_000)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if new.closes_on < new.opens_on {
            return Err(Error::invalid("closes_on", msg!("closing-day-cannot-before")));
        }
        let c = Consultation {
            id: ConsultationId::new(),
            department: new.department,
            title,
            summary,
            sections,
            opens_on: new.opens_on,
            closes_on: new.closes_on,
            pre_moderation: new.pre_moderation,
            feedback_published: None,
            created: self.now(),
        };
        let mut tx = self.db.begin_write().await?;
        tx.execute(
            &format!("INSERT INTO interact_consultations ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, $11)"),
            params![
                c.id.as_str(),
                c.department.id.as_str(),
                c.department.path.as_str(),
                c.department.name_zh.as_str(),
                c.title.as_str(),
                c.summary.as_str(),
                to_json("sections", &c.sections)?,
                c.opens_on.to_string(),
                c.closes_on.to_string(),
                c.pre_moderation,
                c.created
            ],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &ConsultationCreated {
                    sections: c.sections.len(),
                    pre_moderation: c.pre_moderation,
                },
                c.id.as_str(),
                Some(&c.department.path),
                msg!("opened-consultation", title = c.title),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    /// The consultation `id`.
    pub async fn consultation(&self, id: &ConsultationId) -> Result<Consultation> {
        self.db
            .fetch_optional(
                &format!("SELECT {COLUMNS} FROM interact_consultations WHERE id = $1"),
                params![id.as_str()],
            )
            .await?
            .map(|r| consultation_from_row(&r))
            .transpose()?
            .ok_or(Error::NotFound { what: "consultation" })
    }

    /// Consultations, newest first.
    pub async fn consultations(&self, limit: u32) -> Result<Vec<Consultation>> {
        self.db
            .fetch_all(
                &format!(
                    "SELECT {COLUMNS} FROM interact_consultations ORDER BY created_ms DESC, id DESC LIMIT $1"
                ),
                params![limit.clamp(1, 500)],
            )
            .await?
            .iter()
            .map(consultation_from_row)
            .collect()
    }

    /// Comments on section `section` of a draft while it is open. It joins the group of an
    /// earlier comment on the same section that says the same thing.
    #[tracing::instrument(skip_all)]
    pub async fn comment(
        &self,
        actor: &Principal,
        id: &ConsultationId,
        section: u32,
        text: &str,
    ) -> Result<Comment> {
        signed_in(actor)?;
        let c = self.consultation(id).await?;
        if !c.open_on(self.today()) {
            return Err(Error::conflict(
                "consultation",
                msg!("consultation-not-open-comments"),
            ));
        }
        if section as usize >= c.sections.len() {
            return Err(Error::invalid("section", msg!("no-such-section")));
        }
        let text = input::text("text", text, MAX_COMMENT_TEXT)?;
        let hash = simhash(&text);
        let mine = shingles(&text);
        // Narrow by SimHash over the section's comments (ids and hashes only), then compare.
        let rows = self
            .db
            .fetch_all(
                "SELECT id, group_id, simhash, text FROM interact_consultation_comments \
                 WHERE consultation_id = $1 AND section = $2 ORDER BY created_ms, id LIMIT 20000",
                params![id.as_str(), i64::from(section)],
            )
            .await?;
        let mut group = None;
        for r in &rows {
            let other = u64::from_str_radix(&r.get::<String>("simhash")?, 16).unwrap_or_default();
            if (other ^ hash).count_ones() > SIMHASH_RADIUS {
                continue;
            }
            if jaccard(&mine, &shingles(&r.get::<String>("text")?)) >= SAME_TEXT {
                group = Some(CommentId(r.get("group_id")?));
                break;
            }
        }
        let comment_id = CommentId::new();
        let comment = Comment {
            group: group.unwrap_or_else(|| comment_id.clone()),
            id: comment_id,
            section,
            author: tongban_crypto::mask_name(&actor.name),
            text,
            status: if c.pre_moderation {
                CommentStatus::Pending
            } else {
                CommentStatus::Published
            },
            reports: 0,
            created: self.now(),
        };
        let mut tx = self.db.begin_write().await?;
        tx.execute(
            "INSERT INTO interact_consultation_comments (id, consultation_id, section, author_id, author, text, simhash, \
             group_id, status, reports, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10)",
            params![
                comment.id.as_str(),
                id.as_str(),
                i64::from(section),
                actor.id.as_str(),
                comment.author.as_str(),
                comment.text.as_str(),
                format!("{hash:016x}"),
                comment.group.as_str(),
                comment.status.code(),
                comment.created
            ],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &CommentAdded {
                    consultation: id.to_string(),
                    section,
                    status: comment.status.code().into(),
                },
                comment.id.as_str(),
                Some(&c.department.path),
                msg!("commented", title = c.title, section = section + 1),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(comment)
    }

    /// Reports a published comment as abusive or off-topic, as an account created at
    /// `account_created` (the caller reads it from the account). Each person's report counts
    /// once and weighs by the account's age ([`report_weight`]); at [`HIDE_AT_WEIGHT`] the
    /// comment is hidden until staff review it.
    #[tracing::instrument(skip_all)]
    pub async fn report_comment(
        &self,
        actor: &Principal,
        id: &CommentId,
        account_created: Millis,
    ) -> Result<Comment> {
        signed_in(actor)?;
        let weight = report_weight(account_created, self.now());
        let mut tx = self.db.begin_write().await?;
        let row = tx
            .fetch_optional(
                &format!("SELECT {COMMENT_COLUMNS}, consultation_id FROM interact_consultation_comments WHERE id = $1"),
                params![id.as_str()],
            )
            .await?
            .ok_or(Error::NotFound { what: "comment" })?;
        let comment = comment_from_row(&row)?;
        if comment.status != CommentStatus::Published {
            return Err(Error::NotFound { what: "comment" });
        }
        let inserted = tx
            .execute(
                "INSERT INTO interact_comment_reports (comment_id, reporter_id, reported_ms, weight) \
                 VALUES ($1, $2, $3, $4)",
                params![id.as_str(), actor.id.as_str(), self.now(), weight],
            )
            .await;
        match inserted {
            Ok(_) => {}
            Err(tongban_db::Error::Conflict(_)) => {
                return Err(Error::conflict("comment", msg!("you-have-already-reported")));
            }
            Err(e) => return Err(e.into()),
        }
        let weighed: i64 = tx
            .fetch_one(
                "SELECT CAST(COALESCE(SUM(weight), 0) AS BIGINT) AS w FROM interact_comment_reports WHERE comment_id = $1",
                params![id.as_str()],
            )
            .await?
            .get("w")?;
        tx.execute(
            "UPDATE interact_consultation_comments SET reports = reports + 1, \
             status = CASE WHEN $2 >= $3 THEN 'pending' ELSE status END WHERE id = $1",
            params![id.as_str(), weighed, HIDE_AT_WEIGHT],
        )
        .await?;
        let after = comment_from_row(
            &tx.fetch_one(
                &format!("SELECT {COMMENT_COLUMNS} FROM interact_consultation_comments WHERE id = $1"),
                params![id.as_str()],
            )
            .await?,
        )?;
        tx.append_event(
            actor,
            EventDraft::of(
                &CommentReported {
                    reports: after.reports,
                    weight,
                    weighed,
                    hidden: after.status == CommentStatus::Pending,
                },
                id.as_str(),
                None,
                msg!("reported-comment", reports = after.reports),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Publishes or rejects a waiting comment (pre-moderated, or hidden after reports).
    #[tracing::instrument(skip_all)]
    pub async fn moderate_comment(
        &self,
        actor: &Principal,
        id: &CommentId,
        decision: Moderation,
    ) -> Result<Comment> {
        let row = self
            .db
            .fetch_optional(
                "SELECT consultation_id, status FROM interact_consultation_comments WHERE id = $1",
                params![id.as_str()],
            )
            .await?
            .ok_or(Error::NotFound { what: "comment" })?;
        let c = self
            .consultation(&ConsultationId(row.get("consultation_id")?))
            .await?;
        actor.require(Permission::ManageParticipation, Some(&c.department.path))?;
        if row.get::<String>("status")? != CommentStatus::Pending.code() {
            return Err(Error::conflict("status", msg!("comment-not-waiting-review")));
        }
        let status = match decision {
            Moderation::Publish => CommentStatus::Published,
            Moderation::Reject => CommentStatus::Rejected,
        };
        let mut tx = self.db.begin_write().await?;
        tx.execute(
            "UPDATE interact_consultation_comments SET status = $2 WHERE id = $1",
            params![id.as_str(), status.code()],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &CommentModerated {
                    status: status.code().into(),
                },
                id.as_str(),
                Some(&c.department.path),
                msg!("moderated-comment", status = status.name_zh()),
            ),
        )
        .await?;
        let after = comment_from_row(
            &tx.fetch_one(
                &format!("SELECT {COMMENT_COLUMNS} FROM interact_consultation_comments WHERE id = $1"),
                params![id.as_str()],
            )
            .await?,
        )?;
        tx.commit().await?;
        Ok(after)
    }

    /// The comments on a consultation, oldest first: the published ones for everyone; every
    /// comment with its status for the department's participation managers.
    pub async fn consultation_comments(
        &self,
        actor: Option<&Principal>,
        id: &ConsultationId,
    ) -> Result<Vec<Comment>> {
        let c = self.consultation(id).await?;
        let staff =
            actor.is_some_and(|a| a.allows(Permission::ManageParticipation, Some(&c.department.path)));
        self.db
            .fetch_all(
                &format!(
                    "SELECT {COMMENT_COLUMNS} FROM interact_consultation_comments WHERE consultation_id = $1 \
                     AND ($2 = 1 OR status = 'published') ORDER BY created_ms, id LIMIT 5000"
                ),
                params![id.as_str(), staff],
            )
            .await?
            .iter()
            .map(comment_from_row)
            .collect()
    }

    /// Groups of comments saying the same thing (rejected ones left out), largest first.
    pub async fn comment_groups(&self, id: &ConsultationId) -> Result<Vec<CommentGroup>> {
        let rows = self
            .db
            .fetch_all(
                "SELECT g.group_id, COUNT(*) AS n, MIN(g.section) AS section, f.text AS text \
                 FROM interact_consultation_comments g JOIN interact_consultation_comments f ON f.id = g.group_id \
                 WHERE g.consultation_id = $1 AND g.status <> 'rejected' \
                 GROUP BY g.group_id, f.text ORDER BY n DESC, g.group_id",
                params![id.as_str()],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(CommentGroup {
                    group: CommentId(r.get("group_id")?),
                    section: u32::try_from(r.get::<i64>("section")?).unwrap_or_default(),
                    text: r.get("text")?,
                    count: u64::try_from(r.get::<i64>("n")?).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Publishes the feedback report (采纳情况): one entry per group; anything not adopted needs
    /// its reason. It replaces an earlier report.
    #[tracing::instrument(skip_all)]
    pub async fn publish_feedback(
        &self,
        actor: &Principal,
        id: &ConsultationId,
        entries: &[FeedbackEntry],
    ) -> Result<()> {
        let c = self.consultation(id).await?;
        actor.require(Permission::ManageParticipation, Some(&c.department.path))?;
        let groups = self.comment_groups(id).await?;
        for (n, e) in entries.iter().enumerate() {
            if !groups.iter().any(|g| g.group == e.group) {
                return Err(Error::invalid(
                    format!("entries[{n}].group"),
                    msg!("no-such-group-comments"),
                ));
            }
            if e.adoption != Adoption::Adopted && e.reason.trim().is_empty() {
                return Err(Error::invalid(
                    format!("entries[{n}].reason"),
                    msg!("give-reason-when-not"),
                ));
            }
        }
        let mut tx = self.db.begin_write().await?;
        tx.execute(
            "DELETE FROM interact_consultation_feedback WHERE consultation_id = $1",
            params![id.as_str()],
        )
        .await?;
        for (n, e) in entries.iter().enumerate() {
            let reason = input::optional_text(&format!("entries[{n}].reason"), &e.reason, 2000)?;
            tx.execute(
                "INSERT INTO interact_consultation_feedback (consultation_id, group_id, adoption, reason) VALUES ($1, $2, $3, $4)",
                params![id.as_str(), e.group.as_str(), e.adoption.code(), reason],
            )
            .await?;
        }
        tx.execute(
            "UPDATE interact_consultations SET feedback_ms = $2 WHERE id = $1",
            params![id.as_str(), self.now()],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &FeedbackPublished {
                    entries: entries.len(),
                },
                id.as_str(),
                Some(&c.department.path),
                msg!("published-feedback-report", title = c.title),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The published feedback report: each group with what was done and why. It is public, so a
    /// group shows the text of its earliest *published* comment; a group whose comments are all
    /// waiting for review (pre-moderated, or hidden after reports) shows no text (`None`).
    pub async fn feedback(&self, id: &ConsultationId) -> Result<Vec<PublicFeedback>> {
        let groups = self.comment_groups(id).await?;
        let rows = self
            .db
            .fetch_all(
                "SELECT f.group_id, f.adoption, f.reason, \
                 (SELECT p.text FROM interact_consultation_comments p WHERE p.consultation_id = f.consultation_id \
                  AND p.group_id = f.group_id AND p.status = 'published' ORDER BY p.created_ms, p.id LIMIT 1) AS shown \
                 FROM interact_consultation_feedback f WHERE f.consultation_id = $1",
                params![id.as_str()],
            )
            .await?;
        let mut out = Vec::new();
        for g in groups {
            if let Some(r) = rows
                .iter()
                .find(|r| r.get::<String>("group_id").is_ok_and(|x| x == g.group.as_str()))
            {
                let adoption = Adoption::parse(&r.get::<String>("adoption")?)
                    .ok_or_else(|| crate::error::decode_err("adoption", "unknown adoption"))?;
                out.push(PublicFeedback {
                    text: r.get("shown")?,
                    count: g.count,
                    adoption,
                    reason: r.get("reason")?,
                });
            }
        }
        Ok(out)
    }
}
