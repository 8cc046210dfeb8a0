//! What anyone may read without signing in (the public board and the department statistics)
//! and what a citizen finds in their inbox.

use super::{ItemId, ItemKind, NotificationId, Satisfaction};
use serde::{Deserialize, Serialize};
use tongban_kernel::{DeptPath, Millis};

/// An item as the public board shows it: personal data removed, no contact, no exact address.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoardEntry {
    /// Row id.
    pub id: ItemId,
    /// Human number.
    pub number: String,
    /// Kind.
    pub kind: ItemKind,
    /// Category code.
    pub category: String,
    /// Category's Chinese name.
    pub category_name: String,
    /// Title, redacted.
    pub title: String,
    /// Text, redacted.
    pub text: String,
    /// District code (may be empty).
    pub district: String,
    /// The replying department's name.
    pub department_name: String,
    /// When it was submitted.
    pub submitted: Millis,
    /// When it was answered.
    pub replied: Option<Millis>,
    /// The reply, redacted.
    pub reply: String,
    /// The citizen's rating, if any.
    pub satisfaction: Option<Satisfaction>,
}

/// Filters for [`crate::Interact::board`]; every filter is optional.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BoardFilter {
    /// Kind.
    pub kind: Option<ItemKind>,
    /// Category code.
    pub category: Option<String>,
    /// Departments inside this subtree.
    pub department: Option<DeptPath>,
    /// District code.
    pub district: Option<String>,
    /// Text in the title, text or reply (case-insensitive).
    pub text: Option<String>,
    /// Submitted at or after.
    pub from: Option<Millis>,
    /// Submitted before.
    pub to: Option<Millis>,
}

/// A department's counters, kept current by every write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeptStats {
    /// The department's path.
    pub department: DeptPath,
    /// Its name.
    pub department_name: String,
    /// Items assigned to it (routed, dispatched or transferred in).
    pub received: u64,
    /// Items it transferred to another department.
    pub transferred_out: u64,
    /// Items it returned for dispatch.
    pub returned: u64,
    /// Replies it sent.
    pub replied: u64,
    /// Replies sent within the time limit.
    pub replied_on_time: u64,
    /// Working days used by all its replies together.
    pub reply_days_total: u64,
    /// 满意 ratings.
    pub satisfied: u64,
    /// 基本满意 ratings.
    pub basic: u64,
    /// 不满意 ratings.
    pub unsatisfied: u64,
    /// Escalations to its leader.
    pub escalated: u64,
    /// Entries on its rectification list.
    pub rectifications: u64,
}

impl DeptStats {
    /// Share of replies sent on time, 0..=1; `None` before the first reply.
    pub fn on_time_rate(&self) -> Option<f64> {
        ratio(self.replied_on_time, self.replied)
    }

    /// Mean working days from receipt (or reopening) to reply; `None` before the first reply.
    pub fn average_reply_days(&self) -> Option<f64> {
        ratio(self.reply_days_total, self.replied)
    }

    /// Share of ratings that are 满意 or 基本满意, 0..=1; `None` before the first rating.
    pub fn satisfaction_rate(&self) -> Option<f64> {
        ratio(
            self.satisfied + self.basic,
            self.satisfied + self.basic + self.unsatisfied,
        )
    }
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// An in-app notification to a citizen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    /// Row id.
    pub id: NotificationId,
    /// The item it is about.
    pub item_id: ItemId,
    /// Its number.
    pub item_number: String,
    /// What happened (`submitted`, `transferred`, `replied`, …).
    pub event: String,
    /// Message, zh-CN first.
    pub message: String,
    /// When.
    pub created: Millis,
    /// When the citizen read it.
    pub read: Option<Millis>,
}
