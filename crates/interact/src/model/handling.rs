//! The handling of an item: assistance between departments, replies and their review, the
//! citizen's rating, rectification entries, reminders and escalations, and possible duplicates.

use super::{
    AssistId, AssistStatus, DeptRef, EscalationId, EscalationLevel, EscalationSubject, Item, ItemId,
};
use super::{RectificationId, RectificationStatus, ReplyId, ReplyStatus, Satisfaction};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tongban_kernel::{ClockReading, DeptPath, LegalClock, Millis};
use tongban_text::reply::ReplyFlag;

/// A request that another department assist (协办).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assist {
    /// Row id.
    pub id: AssistId,
    /// The item.
    pub item_id: ItemId,
    /// The department asked.
    pub department: DeptRef,
    /// What is asked.
    pub note: String,
    /// Who asked (principal id).
    pub requested_by: String,
    /// When.
    pub requested: Millis,
    /// Open or answered.
    pub status: AssistStatus,
    /// The assisting department's answer.
    pub answer: String,
    /// Who answered.
    pub answered_by: Option<String>,
    /// When.
    pub answered: Option<Millis>,
}

/// Input for [`crate::Interact::reply`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReplyInput {
    /// The reply, 1–4000 characters.
    pub text: String,
}

/// A reply to an item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reply {
    /// Row id.
    pub id: ReplyId,
    /// The item.
    pub item_id: ItemId,
    /// The item's round it answers.
    pub round: u32,
    /// Author (principal id).
    pub author_id: String,
    /// Author (login name).
    pub author_name: String,
    /// The replying department.
    pub department: DeptPath,
    /// Its name.
    pub department_name: String,
    /// The reply as written.
    pub text: String,
    /// The reply as the public board shows it.
    pub public_text: String,
    /// The quality checks' advice when it was written.
    pub flags: Vec<ReplyFlag>,
    /// Awaiting review, sent, or sent back.
    pub status: ReplyStatus,
    /// Whether it is (to be) published on the board.
    pub publish: bool,
    /// The reviewer (principal id).
    pub reviewer: Option<String>,
    /// The reviewer's note.
    pub review_note: String,
    /// When it was written.
    pub created: Millis,
    /// When it was sent or sent back.
    pub decided: Option<Millis>,
}

/// A reviewer's decision on a reply to a public item.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum ReviewDecision {
    /// Send it to the citizen; publish it on the board when `publish` (and the item is public).
    Approve {
        /// Publish item and reply on the board.
        publish: bool,
    },
    /// Send it back to the author with a note.
    SendBack {
        /// What to change (required).
        note: String,
    },
}

/// Input for [`crate::Interact::rate`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RatingInput {
    /// 满意 / 基本满意 / 不满意.
    pub satisfaction: Satisfaction,
    /// Comment, up to 500 characters.
    #[serde(default)]
    pub comment: String,
    /// With 不满意: ask the department to handle it again (once per item).
    #[serde(default)]
    pub reopen: bool,
}

/// An entry on a department's rectification list (整改).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rectification {
    /// Row id.
    pub id: RectificationId,
    /// The item.
    pub item_id: ItemId,
    /// The item's number.
    pub item_number: String,
    /// The department that must rectify.
    pub department: DeptRef,
    /// The citizen's comment.
    pub reason: String,
    /// Its clock (15 working days).
    pub clock: LegalClock,
    /// Due day, when the calendar can count it.
    pub due_on: Option<Date>,
    /// Open or done.
    pub status: RectificationStatus,
    /// The department's note on completion.
    pub note: String,
    /// When it was created.
    pub created: Millis,
}

/// A rectification entry with its clock read today.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RectificationView {
    /// The entry.
    pub rectification: Rectification,
    /// Its clock read today; `None` when the calendar cannot count it yet.
    pub deadline: Option<ClockReading>,
}

/// A reminder to a department or an escalation to its leader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Escalation {
    /// Row id.
    pub id: EscalationId,
    /// The item.
    pub item_id: ItemId,
    /// Its number.
    pub item_number: String,
    /// Late reply or late rectification.
    pub subject: EscalationSubject,
    /// Reminder or overdue.
    pub level: EscalationLevel,
    /// The item's round.
    pub round: u32,
    /// The department concerned.
    pub department: DeptPath,
    /// Its name.
    pub department_name: String,
    /// The due day that was (about to be) missed.
    pub due_on: Date,
    /// When it was raised.
    pub created: Millis,
    /// Who acknowledged it (principal id).
    pub acknowledged_by: Option<String>,
    /// When.
    pub acknowledged: Option<Millis>,
}

/// A possible duplicate of an item, for staff to compare and perhaps merge.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DuplicateCandidate {
    /// The other item.
    pub item: Item,
    /// Metres between the two points, when both have one.
    pub distance_m: Option<f64>,
    /// Text similarity, 0..=1 (Jaccard of character shingles).
    pub text_similarity: f64,
    /// Same category within the configured radius.
    pub nearby: bool,
    /// Near-identical text.
    pub similar_text: bool,
}
