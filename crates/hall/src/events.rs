//! The events the hall appends, as types (see `tongban_db::EventKind`). Details never hold a
//! clear personal form value.
//!
//! Every event about a case that changes it (`hall_case`, through the hall's case event helper)
//! also says the case's number, status and step: read one as
//! `event.read::<With<CaseFacts, CaseAccepted>>()` (`tongban_db::event::With`). A bundle's
//! creation and edit say its [`BundleFacts`] the same way.

use serde::{Deserialize, Serialize};
use tongban_kernel::DeptPath;

/// What every event of a change to a case says about the case after the change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseFacts {
    /// The case number (`2026-1123-000123`).
    pub number: String,
    /// Its status code (`submitted`, `in_progress`, …).
    pub status: String,
    /// Index of its current workflow step.
    pub step: u32,
}

/// What a bundle's creation or edit says about the bundle as saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleFacts {
    /// The bundle's code.
    pub code: String,
    /// The codes of its items, in order.
    pub items: Vec<String>,
    /// Whether it takes applications.
    pub active: bool,
    /// Its version after the change.
    pub version: u32,
}

tongban_db::event_kinds! {
    prefix "hall.";
    /// An applicant submitted a case.
    CaseSubmitted = "hall.case.submitted" on "hall_case" {
        /// The item's code.
        item: String,
        /// The workflow version the case runs on.
        workflow_version: u32,
    }
    /// 受理: staff accepted a case.
    CaseAccepted = "hall.case.accepted" on "hall_case" {}
    /// 不予受理: staff refused to accept a case; it ended.
    CaseNotAccepted = "hall.case.not_accepted" on "hall_case" {}
    /// 审查 / 会签: a department gave its opinion on a review step.
    CaseReviewed = "hall.case.reviewed" on "hall_case" {
        /// Whether it agreed.
        agree: bool,
        /// Whether the step is a joint review.
        joint: bool,
        /// How the step came out, once decided (`None` while other departments' opinions are
        /// awaited).
        step_outcome: Option<bool>,
    }
    /// 决定: staff approved or denied a case.
    CaseDecided = "hall.case.decided" on "hall_case" {
        /// The outcome's code (`approve`, `deny`).
        outcome: String,
    }
    /// 办结: staff issued the result of an approved case and closed it.
    CaseCompleted = "hall.case.completed" on "hall_case" {
        /// Working days used, when the clock could tell.
        used_days: Option<u32>,
        /// The e-licence issued, if the item produces one.
        licence: Option<String>,
    }
    /// Staff added an internal note.
    CaseNoted = "hall.case.noted" on "hall_case" {}
    /// The applicant withdrew the application; the case ended.
    CaseWithdrawn = "hall.case.withdrawn" on "hall_case" {}
    /// Staff asked for an extension (延期).
    ExtensionRequested = "hall.case.extension_requested" on "hall_case" {
        /// Working days asked for.
        days: u32,
    }
    /// An extension was approved or rejected.
    ExtensionDecided = "hall.case.extension_decided" on "hall_case" {
        /// Whether it was approved.
        approve: bool,
        /// Working days asked for.
        days: u32,
    }
    /// 中止计时: staff stopped a case's clock.
    ClockPaused = "hall.case.clock_paused" on "hall_case" {
        /// The pause reason's code.
        reason: String,
    }
    /// 恢复计时: staff started a case's clock again.
    ClockResumed = "hall.case.clock_resumed" on "hall_case" {
        /// The code of the reason it had stopped for.
        reason: String,
    }
    /// 补正: staff asked the applicant for what is missing.
    SupplementRequested = "hall.case.supplement_requested" on "hall_case" {
        /// How many entries the list of what is missing has.
        missing: usize,
    }
    /// The applicant supplemented a case.
    CaseSupplemented = "hall.case.supplemented" on "hall_case" {
        /// How many files they gave.
        files: usize,
    }
    /// 转办: staff passed a task to another department.
    CaseTransferred = "hall.case.transferred" on "hall_case" {
        /// The department it left.
        from: DeptPath,
        /// The department it went to.
        to: DeptPath,
    }
    /// 委派: staff gave a task to a colleague.
    CaseDelegated = "hall.case.delegated" on "hall_case" {
        /// The colleague's account id.
        to: String,
    }
    /// Staff read a case's form values in clear.
    FormRead = "hall.case.form_read" on "hall_case" {}
    /// Staff read a material submitted with a case.
    MaterialRead = "hall.case.material_read" on "hall_case" {
        /// The file's id.
        file: String,
        /// The code of the material it was given for, if any.
        material: Option<String>,
    }
    /// A case's due dates were counted again after a year's holiday schedule was entered.
    DueRecounted = "hall.case.due_recounted" on "hall_case" {
        /// The due day before (`YYYY-MM-DD`, empty when there was none).
        old_due: String,
        /// The due day now (`YYYY-MM-DD`, empty when there is none).
        new_due: String,
        /// The statutory due day before (empty when there was none).
        old_statutory_due: String,
        /// The statutory due day now (empty when there is none).
        new_statutory_due: String,
    }
    /// 好差评: the applicant rated a finished case.
    CaseRated = "hall.case.rated" on "hall_case" {
        /// The rating's score, 1 (非常不满意) to 5 (非常满意).
        level: i64,
    }
    /// 查看完整信息: staff revealed one personal form value of a case.
    ValueRevealed = "hall.case.value_revealed" on "hall_case" {
        /// The case number.
        number: String,
        /// The field's code.
        field: String,
        /// The reveal reason's code.
        reason: String,
        /// The explanation given (may be empty).
        note: String,
    }
    /// A bad rating opened a rectification (整改) for the case's department.
    RectificationOpened = "hall.rectification.opened" on "hall_rectification" {
        /// The case's id.
        case: String,
        /// The case number.
        number: String,
        /// The rating's score.
        level: i64,
        /// The day it is due (`YYYY-MM-DD`).
        due_on: String,
    }
    /// A rectification was closed with the measures taken and the call-back.
    RectificationClosed = "hall.rectification.closed" on "hall_rectification" {
        /// The case's id.
        case: String,
        /// Whether the applicant was satisfied at the call-back.
        satisfied: bool,
        /// Whether it was closed after its due day.
        late: bool,
    }
    /// A rectification's due day was counted again after a year's holiday schedule was entered.
    RectificationDueRecounted = "hall.rectification.due_recounted" on "hall_rectification" {
        /// The case number.
        case: String,
        /// The due day before (`YYYY-MM-DD`).
        old_due: String,
        /// The due day now (`YYYY-MM-DD`).
        new_due: String,
    }
    /// A service item was created.
    ItemCreated = "hall.item.created" on "hall_item" {
        /// Its code.
        code: String,
        /// Its name.
        name: String,
        /// Its item type's code.
        #[serde(rename = "type")]
        item_type: String,
    }
    /// A service item was edited.
    ItemUpdated = "hall.item.updated" on "hall_item" {
        /// Its code.
        code: String,
        /// Its name.
        name: String,
        /// Its version after the edit.
        version: u32,
    }
    /// A new version of an item's workflow was saved.
    WorkflowSaved = "hall.workflow.saved" on "hall_item" {
        /// The item's code.
        code: String,
        /// The workflow's new version.
        version: u32,
        /// How many steps it has.
        steps: usize,
    }
    /// A bundle (一件事) was created; read with [`BundleFacts`].
    BundleCreated = "hall.bundle.created" on "hall_bundle" {}
    /// A bundle was edited; read with [`BundleFacts`].
    BundleUpdated = "hall.bundle.updated" on "hall_bundle" {}
    /// An applicant applied for a bundle: one case per item.
    BundleSubmitted = "hall.bundle.submitted" on "hall_bundle_case" {
        /// The bundle's code.
        bundle: String,
        /// The numbers of the cases made, in the bundle's order.
        cases: Vec<String>,
    }
    /// An applicant started an application in progress (草稿).
    DraftStarted = "hall.draft.started" on "hall_draft" {
        /// What it applies for (the pages' address of the service or bundle).
        target: String,
        /// The size of its body, in bytes.
        bytes: usize,
    }
    /// An applicant saved an application in progress again.
    DraftSaved = "hall.draft.saved" on "hall_draft" {
        /// What it applies for (the pages' address of the service or bundle).
        target: String,
        /// The size of its body, in bytes.
        bytes: usize,
    }
    /// An applicant uploaded a file for a material.
    FileUploaded = "hall.file.uploaded" on "hall_file" {
        /// Its media type.
        media_type: String,
        /// Its size, in bytes.
        size: u64,
        /// Its SM3 digest (hex).
        sm3: String,
    }
    /// Someone marked their in-app messages read.
    NotificationsRead = "hall.notification.read" on "account" {
        /// How many were unread.
        count: u64,
    }
}
