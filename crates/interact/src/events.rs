//! The events interaction appends, as types (see `tongban_db::EventKind`). Details never hold a
//! submitter's contact details or an item's text.
//!
//! Every event about an item (object `interact_item`, appended by one helper) carries the
//! item's [`ItemFacts`] beside its own detail: read one as
//! `event.read::<With<ItemFacts, ItemRated>>()` (`tongban_db::event::With`).

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tongban_kernel::DeptPath;

/// What every event about an item says of it, as it stands after the change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemFacts {
    /// The item's number, `2026-0315-000042`.
    pub number: String,
    /// Its status code (`unassigned`, `in_progress`, `closed`, …).
    pub status: String,
    /// The handling department's path, `None` while it awaits dispatch.
    pub department: Option<DeptPath>,
}

tongban_db::event_kinds! {
    prefix "interact.";
    /// An item was submitted (by a citizen, anonymously or through a channel).
    ItemSubmitted = "interact.item.submitted" on "interact_item" {
        /// Its kind code (`inquiry`, `complaint`, …).
        kind: String,
        /// Its category code.
        category: String,
        /// The channel code it came through.
        channel: String,
        /// Whether the citizen agreed to publication.
        public: bool,
        /// The submitter's kind code (`citizen`, `anonymous`, …).
        submitter: String,
        /// How many attachments came with it.
        attachments: usize,
        /// Its time limit in working days.
        limit_days: u32,
        /// Its due day (`2026-03-20`), `None` where the calendar cannot count it yet.
        due_on: Option<String>,
    }
    /// Staff read the submitter's contact details in clear.
    ContactRead = "interact.contact.read" on "interact_item" {}
    /// Someone read an item's attachment.
    AttachmentRead = "interact.attachment.read" on "interact_item" {
        /// The attachment's id.
        attachment: String,
    }
    /// An item no rule placed was dispatched to a department.
    ItemDispatched = "interact.item.dispatched" on "interact_item" {}
    /// An item was transferred to another department (转办).
    ItemTransferred = "interact.item.transferred" on "interact_item" {
        /// The department that had it.
        from: DeptPath,
        /// The department that has it now.
        to: DeptPath,
        /// Why, as the citizen sees it.
        reason: String,
    }
    /// An item was returned for dispatch (退回).
    ItemReturned = "interact.item.returned" on "interact_item" {
        /// The department that returned it.
        from: DeptPath,
        /// Why.
        reason: String,
    }
    /// The handling department asked another to assist (协办).
    AssistRequested = "interact.assist.requested" on "interact_item" {
        /// The request's id.
        assist: String,
        /// The department asked.
        assisting: DeptPath,
    }
    /// The assisting department answered.
    AssistAnswered = "interact.assist.answered" on "interact_assist" {
        /// The item's id.
        item: String,
    }
    /// A reply was written and sent to the citizen at once (a private item's).
    ReplySent = "interact.reply.sent" on "interact_item" {
        /// The reply's id.
        reply: String,
        /// The codes of the quality checks it raised.
        flags: Vec<String>,
        /// The reply's status code.
        reply_status: String,
    }
    /// A reply was written and waits for a reviewer (a public item's).
    ReplySubmitted = "interact.reply.submitted" on "interact_item" {
        /// The reply's id.
        reply: String,
        /// The codes of the quality checks it raised.
        flags: Vec<String>,
        /// The reply's status code.
        reply_status: String,
    }
    /// A reviewer decided on a reply.
    ReplyReviewed = "interact.reply.reviewed" on "interact_item" {
        /// The reply's id.
        reply: String,
        /// `approved` or `sent_back`.
        outcome: String,
        /// Whether it goes on the public board.
        publish: bool,
    }
    /// The citizen rated the reply.
    ItemRated = "interact.item.rated" on "interact_item" {
        /// The satisfaction code (`satisfied`, `basic`, `unsatisfied`).
        satisfaction: String,
        /// Whether the citizen reopened the item.
        reopened: bool,
        /// Whether the rating put the item on the rectification list.
        rectification: bool,
    }
    /// Staff withdrew an item from public view.
    ItemWithdrawnFromPublic = "interact.item.withdrawn_from_public" on "interact_item" {
        /// Why, as the citizen sees it.
        reason: String,
    }
    /// An item was merged into another on the same matter.
    ItemMerged = "interact.item.merged" on "interact_item" {
        /// The number of the item it was merged into.
        into: String,
        /// The staff's note.
        note: String,
    }
    /// An item filed before the calendar knew its due day's year got its due day.
    DueDaySet = "interact.item.due_day_set" on "interact_item" {
        /// The due day (`2027-01-12`).
        due_on: Option<String>,
    }
    /// An item's due day moved when a year's holiday schedule was announced.
    DueRecounted = "interact.item.due_recounted" on "interact_item" {
        /// The due day before (`2027-01-12`; empty when there was none).
        old_due: String,
        /// The due day now.
        new_due: String,
    }
    /// A department completed a rectification (整改).
    RectificationCompleted = "interact.rectification.completed" on "interact_rectification" {
        /// The item's id.
        item: String,
    }
    /// A rectification's due day moved when a year's holiday schedule was announced.
    RectificationDueRecounted = "interact.rectification.due_recounted" on "interact_rectification" {
        /// The item's number (not its id).
        item: String,
        /// The due day before (`2027-01-12`; empty when there was none).
        old_due: String,
        /// The due day now.
        new_due: String,
    }
    /// An item or rectification was reminded of or escalated to the department's leader (督办).
    EscalationRaised = "interact.escalation.raised" on "interact_item" {
        /// The escalation's id.
        escalation: String,
        /// The level code (`reminder`, `overdue`).
        level: String,
        /// What is late or due soon: `item` or `rectification`.
        subject: String,
        /// The item's round.
        round: u32,
        /// The due day (`2027-01-12`).
        due_on: String,
    }
    /// A reminder or escalation was acknowledged.
    EscalationAcknowledged = "interact.escalation.acknowledged" on "interact_item" {
        /// The escalation's id.
        escalation: String,
    }
    /// A category was added.
    CategoryAdded = "interact.category.added" on "interact_category" {
        /// Its code.
        code: String,
        /// Its Chinese name.
        name_zh: String,
        /// Its English name.
        name_en: String,
    }
    /// A category was renamed or (de)activated.
    CategoryUpdated = "interact.category.updated" on "interact_category" {
        /// Its code.
        code: String,
        /// Its Chinese name.
        name_zh: String,
        /// Its English name.
        name_en: String,
        /// Whether new items may be filed under it.
        active: bool,
    }
    /// The time limit of a kind of item (for one category or every one) was set.
    LimitSet = "interact.limit.set" on "interact_time_limit" {
        /// The item kind's code.
        kind: String,
        /// The category's code, `None` for every category.
        category: Option<String>,
        /// The limit in working days.
        days: u32,
    }
    /// A routing rule was set.
    RuleSet = "interact.rule.set" on "interact_rule" {
        /// The category's code.
        category: String,
        /// The district's code, `None` for any district.
        district: Option<String>,
        /// The responsible department's path.
        department: DeptPath,
    }
    /// A routing rule was removed.
    RuleRemoved = "interact.rule.removed" on "interact_rule" {
        /// The category's code.
        category: String,
        /// The district's code, `None` for any district.
        district: Option<String>,
    }
    /// A category's Open311 service attributes were set.
    ServiceAttributesSet = "interact.service_attributes.set" on "interact_category" {
        /// The attributes' codes, in order.
        attributes: Vec<String>,
    }
    /// An Open311 API key was issued.
    Open311KeyAdded = "interact.open311_key.added" on "open311_key" {
        /// The key's name.
        name: String,
    }
    /// An Open311 API key was revoked.
    Open311KeyRevoked = "interact.open311_key.revoked" on "open311_key" {
        /// The key's name.
        name: String,
    }
    /// A citizen marked notifications read.
    NotificationsRead = "interact.notification.read" on "account" {
        /// How many changed.
        count: u64,
    }
    /// A survey was published.
    SurveyCreated = "interact.survey.created" on "survey" {
        /// How many questions it asks.
        questions: usize,
        /// The first day it takes answers.
        opens_on: Date,
        /// The last day it takes answers.
        closes_on: Date,
    }
    /// Someone answered a survey.
    SurveyAnswered = "interact.survey.answered" on "survey" {
        /// How many questions were answered.
        questions: usize,
    }
    /// A consultation on a draft was opened.
    ConsultationCreated = "interact.consultation.created" on "consultation" {
        /// How many sections the draft has.
        sections: usize,
        /// Whether comments wait for staff before they are shown.
        pre_moderation: bool,
    }
    /// Someone commented on a consultation's section.
    CommentAdded = "interact.consultation.commented" on "consultation_comment" {
        /// The consultation's id.
        consultation: String,
        /// The section's index, from 0.
        section: u32,
        /// The comment's status code.
        status: String,
    }
    /// Someone reported a comment.
    CommentReported = "interact.consultation.reported" on "consultation_comment" {
        /// Reports so far.
        reports: u32,
        /// This report's weight (by the reporting account's age).
        weight: i64,
        /// The reports' weight so far.
        weighed: i64,
        /// Whether the comment is now hidden until staff review it.
        hidden: bool,
    }
    /// Staff published or rejected a waiting comment.
    CommentModerated = "interact.consultation.moderated" on "consultation_comment" {
        /// The comment's new status code.
        status: String,
    }
    /// A consultation's feedback report was published.
    FeedbackPublished = "interact.consultation.feedback" on "consultation" {
        /// How many entries it has.
        entries: usize,
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn item_events_keep_their_stored_shape() {
        use super::{ContactRead, ItemFacts, ItemRated};
        use tongban_db::event::With;
        let stored = serde_json::json!({
            "satisfaction": "unsatisfied", "reopened": true, "rectification": true,
            "number": "2026-0315-000042", "status": "in_progress", "department": null,
        });
        let read: With<ItemFacts, ItemRated> = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(read.about.department, None);
        assert_eq!(serde_json::to_value(&read).unwrap(), stored);
        let facts = serde_json::json!({ "number": "n", "status": "closed", "department": "/3301/" });
        let read: With<ItemFacts, ContactRead> = serde_json::from_value(facts.clone()).unwrap();
        assert_eq!(serde_json::to_value(&read).unwrap(), facts);
    }
}
