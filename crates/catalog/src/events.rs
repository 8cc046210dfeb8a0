//! The events the catalog appends, as types (see `tongban_db::EventKind`).

use serde::{Deserialize, Serialize};

tongban_db::event_kinds! {
    prefix "catalog.";
    /// A resource was catalogued (as a draft).
    ResourceCreated = "catalog.resource.created" on "resource" {
        /// The resource's code.
        code: String,
        /// Its revision (1).
        revision: u32,
        /// The providing department's path.
        provider: String,
        /// Its sharing class code.
        sharing_class: String,
        /// Its open-data class code.
        open_class: String,
        /// The codes of its fields (信息项).
        fields: Vec<String>,
    }
    /// A resource's entry was edited.
    ResourceUpdated = "catalog.resource.updated" on "resource" {
        /// The resource's code (after the edit).
        code: String,
        /// Its new revision.
        revision: u32,
        /// The entry's keys that changed.
        changed: Vec<String>,
    }
    /// A draft resource was published into the catalog; the event also holds
    /// [`ResourceFacts`] (read it as `With<ResourceFacts, ResourcePublished>`).
    ResourcePublished = "catalog.resource.published" on "resource" {}
    /// A resource was retired; the event also holds [`ResourceFacts`] (read it as
    /// `With<ResourceFacts, ResourceRetired>`).
    ResourceRetired = "catalog.resource.retired" on "resource" {}
    /// A new version of a resource's data was recorded (a load or a pull). Change notices
    /// (webhooks) and the search index follow it.
    VersionRecorded = "catalog.resource.version_recorded" on "resource" {
        /// The resource's code.
        code: String,
        /// Its version number, from 1.
        version: u32,
        /// Rows in the version.
        row_count: u64,
        /// Quality score, 0..=1.
        quality_score: f64,
        /// What changed against the previous version.
        diff: serde_json::Value,
    }
    /// A sharing request was filed (and, by the resource's sharing class, granted at once,
    /// refused, or sent to review).
    SharingRequested = "catalog.sharing.requested" on "sharing_request" {
        /// The resource's code.
        resource: String,
        /// The department or system asking.
        requester: crate::Grantee,
        /// The field codes asked for.
        fields: Vec<String>,
        /// 用途.
        purpose: String,
        /// 申请依据.
        legal_basis: String,
        /// Last day the data is wanted, `YYYY-MM-DD`.
        valid_until: String,
        /// The resource's sharing class code when filed.
        sharing_class: String,
        /// The request's status code after filing.
        status: String,
        /// The review's due day, `YYYY-MM-DD`, for a conditional request.
        review_due: Option<String>,
    }
    /// The data authority reviewed a conditional request.
    SharingReviewed = "catalog.sharing.reviewed" on "sharing_request" {
        /// The resource's code.
        resource: String,
        /// `approved` or `rejected`.
        outcome: String,
        /// The request's status code after the review.
        status: String,
        /// Working days the provider has to decide, when approved.
        decision_days: Option<u32>,
        /// The reasons, when rejected.
        reasons: Option<String>,
    }
    /// The provider decided a reviewed request; the event also holds [`SharingOutcome`] (read
    /// it as `With<SharingOutcome, SharingDecided>`).
    SharingDecided = "catalog.sharing.decided" on "sharing_request" {}
    /// The requester disputed the provider's refusal.
    SharingDisputed = "catalog.sharing.disputed" on "sharing_request" {
        /// The resource's code.
        resource: String,
        /// The requester's reasons.
        reasons: String,
    }
    /// The data authority resolved a dispute, finally; the event also holds
    /// [`SharingOutcome`] (read it as `With<SharingOutcome, DisputeResolved>`).
    DisputeResolved = "catalog.sharing.dispute_resolved" on "sharing_request" {}
    /// The requester withdrew a request still waiting for a decision.
    SharingWithdrawn = "catalog.sharing.withdrawn" on "sharing_request" {
        /// The resource's code.
        resource: String,
        /// The status code it was withdrawn from.
        was: String,
    }
    /// A grant was made (on a request), replacing the grantee's older grants on the resource.
    GrantCreated = "catalog.grant.created" on "grant" {
        /// The resource's code.
        resource: String,
        /// Who may read.
        grantee: crate::Grantee,
        /// Field codes that may be read.
        fields: Vec<String>,
        /// Personal fields that may be read in clear text.
        clear_fields: Vec<String>,
        /// 用途.
        purpose: String,
        /// The reads the grant is honoured by.
        uses: Vec<crate::GrantUse>,
        /// Last day the grant counts, `YYYY-MM-DD`.
        expires_on: String,
        /// The row filter, when there is one (its field and how many values it allows).
        row_filter: Option<RowFilterSummary>,
        /// The id of the request it was made on.
        request: Option<String>,
        /// The ids of the grants it replaces.
        replaces: Vec<String>,
    }
    /// A grant was revoked.
    GrantRevoked = "catalog.grant.revoked" on "grant" {
        /// The resource's code.
        resource: String,
        /// Who could read.
        grantee: crate::Grantee,
        /// Why.
        reason: String,
    }
}

/// What every status change of a resource (publication, retirement) says about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceFacts {
    /// The resource's code.
    pub code: String,
    /// Its new revision.
    pub revision: u32,
    /// Its new status code.
    pub status: String,
    /// Its publication day, `YYYY-MM-DD`, once published.
    pub published_on: Option<String>,
}

/// How a sharing request ended (a provider's decision or a dispute's resolution).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharingOutcome {
    /// The resource's code.
    pub resource: String,
    /// `granted`, `refused` (a decision) or `upheld` (a resolution).
    pub outcome: String,
    /// The id of the grant made, when granted.
    pub grant: Option<String>,
    /// The reasons, when refused or upheld.
    pub reasons: Option<String>,
}

/// A grant's row filter as its event tells it: the field, and how many values it allows (not
/// the values).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowFilterSummary {
    /// The filtered field.
    pub field: String,
    /// How many values it allows.
    pub values: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongban_db::event::With;

    #[test]
    fn a_status_change_reads_back_with_its_facts() -> Result<(), serde_json::Error> {
        let stored = r#"{"code":"R1","revision":3,"status":"retired","published_on":"2025-01-02"}"#;
        let read: With<ResourceFacts, ResourceRetired> = serde_json::from_str(stored)?;
        assert_eq!(read.about.code, "R1");
        assert_eq!(read.about.published_on.as_deref(), Some("2025-01-02"));
        assert_eq!(serde_json::to_string(&read)?, stored);
        Ok(())
    }
}
