//! Sharing requests (共享申请) and their course, after 《政务信息资源共享管理暂行办法》(国发〔2016〕51号):
//! 无条件共享 is granted at once (still recorded with its purpose); 不予共享 is refused citing the
//! catalog's legal basis; 有条件共享 is reviewed by the data authority within 2 working days, then
//! decided by the provider within 5 (10 when the platform holds no data for the resource yet). A
//! refusal needs reasons; the requester may dispute a provider's refusal, which the data authority
//! resolves within 5 working days, finally. Every deadline runs on the working-day calendar; a
//! deadline reaching into a year the calendar does not know is refused with
//! [`Error::Calendar`](crate::Error::Calendar), never guessed.

use crate::check;
use crate::events::{
    DisputeResolved, SharingDecided, SharingDisputed, SharingOutcome, SharingRequested, SharingReviewed,
    SharingWithdrawn,
};
use crate::grant::{build_grant, grant_event, insert_grant};
use crate::resource::{col, path_in, text_match};
use crate::{
    Catalog, Deadline, Decision, Error, Grant, Grantee, Listing, NewRequest, Refusal, RefusedBy,
    RequestFilter, RequestId, RequestStatus, RequestView, Resolution, Resource, ResourceStatus, Result,
    Review, SharingClass, SharingRequest, Stage, Step,
};
use jiff::ToSpan;
use jiff::civil::Date;
use tongban_db::event::With;
use tongban_db::sql::sea_query::Cond;
use tongban_db::{EventDraft, EventKind, params};
use tongban_kernel::msg;
use tongban_kernel::{DeptPath, LegalClock, Page, Permission, Principal};

mod store;

pub(crate) use store::grantee_from_row;
use store::{COLUMNS, FROM, already_open, from_row, insert_request, pending_request, save_request};

/// Working days the data authority has to review a conditional request.
pub const REVIEW_DAYS: u32 = 2;
/// Working days the provider has to decide once the review passed.
pub const DECISION_DAYS: u32 = 5;
/// Working days the provider has when the platform holds no data for the resource yet.
pub const DECISION_DAYS_NO_DATA: u32 = 10;
/// Working days the data authority has to resolve a dispute.
pub const DISPUTE_DAYS: u32 = 5;
/// Working days left at which a deadline turns yellow in the console.
pub const WARN_DAYS: u32 = 1;
/// The longest validity a request may ask for, in years from today.
pub const MAX_VALIDITY_YEARS: i16 = 3;

fn moved_on() -> Error {
    Error::conflict("status", msg!("request-was-handled-meanwhile"))
}

fn wrong_status(q: &SharingRequest, verb: (&str, &str)) -> Error {
    Error::conflict(
        "status",
        msg!(
            "request-status2-so-cannot",
            status = q.status.name_zh(),
            verb = verb.0,
            status2 = q.status.code(),
            verb2 = verb.1
        ),
    )
}

/// A refusal's reasons: required, bounded.
fn reasons(text: &str) -> Result<String> {
    check::text("reasons", text, 2000)
        .map_err(|_| Error::invalid("reasons", msg!("refusal-needs-reasons-most")))
}

/// Refuses unless `perm` covers both the requester and the provider (the data authority acts
/// over both sides).
fn require_both(actor: &Principal, perm: Permission, q: &SharingRequest) -> Result<()> {
    actor.require(perm, Some(q.requester.path()))?;
    actor.require(perm, Some(&q.provider.path))?;
    Ok(())
}

fn event_summary(q: &SharingRequest, zh: &str, en: &str) -> String {
    msg!(
        "sharing-event",
        what = tongban_kernel::Arg::name(zh, en),
        code = q.resource_code,
        name = q.resource_name_zh,
        requester = q.requester.path().as_str()
    )
    .to_string()
}

impl Catalog {
    /// A running clock of `days` working days started today, refused when its due day falls in
    /// a year the calendar does not know.
    fn start_clock(&self, today: Date, days: u32) -> Result<Step> {
        let clock = LegalClock::new(today, days, None);
        clock.read(&self.calendar, today, WARN_DAYS)?;
        Ok(Step {
            clock,
            by: None,
            note: String::new(),
        })
    }

    fn view(&self, request: SharingRequest) -> Result<RequestView> {
        let today = self.today();
        let deadline = match request.current_step() {
            Some((stage, step)) => Some(Deadline::new(
                stage,
                step.clock.read(&self.calendar, today, WARN_DAYS)?,
            )),
            None => None,
        };
        Ok(RequestView { request, deadline })
    }

    async fn load_request(&self, id: &RequestId) -> Result<SharingRequest> {
        self.db
            .fetch_optional(
                &format!("SELECT {COLUMNS} FROM {FROM} WHERE q.id = $1"),
                params![id.as_str()],
            )
            .await?
            .map(|r| from_row(&r))
            .transpose()?
            .ok_or(Error::NotFound { what: "request" })
    }

    /// Files a request on behalf of `new.requester` (`RequestSharing` over its department). The
    /// resource must be published and provided by another department; the fields must exist in
    /// it; purpose and legal basis are required; `valid_until` lies after today and at most
    /// three years ahead. By the resource's sharing class the request is granted at once,
    /// refused citing the catalog's basis, or sent to the data authority for review.
    #[tracing::instrument(skip_all)]
    pub async fn request_sharing(&self, actor: &Principal, new: NewRequest) -> Result<RequestView> {
        let requester = match &new.requester {
            Grantee::Department { id, path } => Grantee::Department {
                id: check::uuid("requester.id", id)?,
                path: check::dept_path("requester.path", path)?,
            },
            Grantee::ApiClient { id, department } => Grantee::ApiClient {
                id: check::uuid("requester.id", id)?,
                department: check::dept_path("requester.department", department)?,
            },
        };
        actor.require(Permission::RequestSharing, Some(requester.path()))?;
        let resource = self.require_resource(&new.resource).await?;
        if resource.status != ResourceStatus::Published {
            return Err(Error::conflict("resource", msg!("resource-not-published")));
        }
        if resource.provider.path.contains(requester.path()) {
            return Err(Error::conflict("resource", msg!("department-need-not-request")));
        }
        let fields = requested_fields(&resource, &new.fields)?;
        let purpose = check::text("purpose", &new.purpose, 500)?;
        let scenario = check::optional_text("scenario", &new.scenario, 500)?;
        let legal_basis = check::text("legal_basis", &new.legal_basis, 1000)?;
        let today = self.today();
        let latest = today
            .checked_add(MAX_VALIDITY_YEARS.years())
            .map_err(|_| Error::invalid("valid_until", "date out of range"))?;
        if new.valid_until <= today || new.valid_until > latest {
            return Err(Error::invalid(
                "valid_until",
                msg!("validity-end-within", years = MAX_VALIDITY_YEARS),
            ));
        }

        let now = self.now();
        let mut q = SharingRequest {
            id: RequestId::new(),
            resource_id: resource.id.clone(),
            resource_code: resource.code.clone(),
            resource_name_zh: resource.name_zh.clone(),
            provider: resource.provider.clone(),
            requester,
            fields,
            purpose,
            scenario,
            legal_basis,
            valid_until: new.valid_until,
            sharing_class: resource.sharing.class,
            status: RequestStatus::InReview,
            refusal: None,
            review: None,
            decision: None,
            dispute: None,
            dispute_reasons: String::new(),
            grant_id: None,
            filed_by: actor.id.clone(),
            filed_on: today,
            created: now,
            updated: now,
        };
        let mut grant: Option<Grant> = None;
        match resource.sharing.class {
            SharingClass::Unconditional => {
                let g = build_grant(&resource, &q, &Default::default(), actor, today, now)?;
                q.status = RequestStatus::Granted;
                q.grant_id = Some(g.id.clone());
                grant = Some(g);
            }
            SharingClass::NotShared => {
                q.status = RequestStatus::Refused;
                q.refusal = Some(Refusal {
                    by: RefusedBy::Catalog,
                    reasons: resource.sharing.legal_basis.clone(),
                });
            }
            SharingClass::Conditional => {
                q.review = Some(self.start_clock(today, REVIEW_DAYS)?);
            }
        }

        let review_due = match &q.review {
            Some(s) => Some(s.clock.read(&self.calendar, today, WARN_DAYS)?.due.to_string()),
            None => None,
        };
        let mut tx = self.db.begin_write().await?;
        if q.status.is_open() {
            let pending = pending_request(&mut tx, &q).await?;
            if pending {
                return Err(already_open(tongban_db::Error::Conflict(String::new())));
            }
        }
        insert_request(&mut tx, &q).await?;
        let replaced = match &grant {
            Some(g) => insert_grant(&mut tx, actor, g).await?,
            None => Vec::new(),
        };
        let (zh, en) = match q.status {
            RequestStatus::Granted => ("共享申请即时获准", "sharing request granted at once"),
            RequestStatus::Refused => ("共享申请不予共享", "sharing request refused (not shared)"),
            _ => ("提交有条件共享申请", "conditional sharing request filed"),
        };
        let summary = event_summary(&q, zh, en);
        tx.append_event(
            actor,
            EventDraft::of(
                &SharingRequested {
                    resource: q.resource_code.clone(),
                    requester: q.requester.clone(),
                    fields: q.fields.clone(),
                    purpose: q.purpose.clone(),
                    legal_basis: q.legal_basis.clone(),
                    valid_until: q.valid_until.to_string(),
                    sharing_class: q.sharing_class.code().into(),
                    status: q.status.code().into(),
                    review_due,
                },
                q.id.as_str(),
                Some(q.requester.path()),
                summary,
            ),
        )
        .await?;
        if let Some(g) = &grant {
            grant_event(&mut tx, actor, g, &replaced).await?;
        }
        tx.commit().await?;
        crate::cache::changed();
        self.view(q)
    }

    /// The data authority reviews a conditional request (`ReviewSharing` over the requester and
    /// the provider). Approval passes it to the provider and starts the provider's clock: 5
    /// working days, or 10 when the platform holds no data for the resource yet. Rejection needs
    /// reasons.
    #[tracing::instrument(skip_all)]
    pub async fn review(&self, actor: &Principal, id: &RequestId, review: Review) -> Result<RequestView> {
        let mut q = self.load_request(id).await?;
        require_both(actor, Permission::ReviewSharing, &q)?;
        if q.status != RequestStatus::InReview {
            return Err(wrong_status(&q, ("审核", "reviewed")));
        }
        let today = self.today();
        let was = q.status;
        let outcome;
        match review {
            Review::Approve { note } => {
                let note = check::optional_text("note", &note, 2000)?;
                let resource = self.require_resource(&q.resource_id).await?;
                if resource.status != ResourceStatus::Published {
                    return Err(Error::conflict("resource", msg!("resource-has-been-retired")));
                }
                let days = if resource.current_version == 0 {
                    DECISION_DAYS_NO_DATA
                } else {
                    DECISION_DAYS
                };
                finish_step(q.review.as_mut(), today, actor, note)?;
                q.decision = Some(self.start_clock(today, days)?);
                q.status = RequestStatus::WithProvider;
                outcome = "approved";
            }
            Review::Reject { reasons: text } => {
                let text = reasons(&text)?;
                finish_step(q.review.as_mut(), today, actor, text.clone())?;
                q.status = RequestStatus::Refused;
                q.refusal = Some(Refusal {
                    by: RefusedBy::Authority,
                    reasons: text,
                });
                outcome = "rejected";
            }
        }
        q.updated = self.now();
        let mut tx = self.db.begin_write().await?;
        save_request(&mut tx, &q, was).await?;
        let (zh, en) = if outcome == "approved" {
            ("共享申请审核通过", "sharing request passed review")
        } else {
            ("共享申请审核未通过", "sharing request rejected at review")
        };
        tx.append_event(
            actor,
            EventDraft::of(
                &SharingReviewed {
                    resource: q.resource_code.clone(),
                    outcome: outcome.into(),
                    status: q.status.code().into(),
                    decision_days: q.decision.as_ref().map(|s| s.clock.statutory_days),
                    reasons: q.refusal.as_ref().map(|r| r.reasons.clone()),
                },
                q.id.as_str(),
                Some(q.requester.path()),
                event_summary(&q, zh, en),
            ),
        )
        .await?;
        tx.commit().await?;
        crate::cache::changed();
        self.view(q)
    }

    /// The provider decides a reviewed request (`DecideSharing` over the provider's department):
    /// grant on `terms` (fewer fields, a row filter, clear text for personal fields the purpose
    /// justifies) or refuse with reasons.
    pub async fn decide(&self, actor: &Principal, id: &RequestId, decision: Decision) -> Result<RequestView> {
        let mut q = self.load_request(id).await?;
        actor.require(Permission::DecideSharing, Some(&q.provider.path))?;
        if q.status != RequestStatus::WithProvider {
            return Err(wrong_status(&q, ("答复", "decided")));
        }
        let was = q.status;
        let (grant, outcome) = match decision {
            Decision::Grant(terms) => {
                let g = self.grant_on(&mut q, &terms, actor, Stage::Decision).await?;
                (Some(g), "granted")
            }
            Decision::Refuse { reasons: text } => {
                let text = reasons(&text)?;
                finish_step(q.decision.as_mut(), self.today(), actor, text.clone())?;
                q.status = RequestStatus::Refused;
                q.refusal = Some(Refusal {
                    by: RefusedBy::Provider,
                    reasons: text,
                });
                (None, "refused")
            }
        };
        let summary = if grant.is_some() {
            ("提供部门同意共享", "provider granted sharing")
        } else {
            ("提供部门不同意共享", "provider refused sharing")
        };
        self.commit_outcome(actor, q, was, grant, SharingDecided {}, outcome, summary)
            .await
    }

    /// The requester disputes the provider's refusal (`RequestSharing` over its department),
    /// giving reasons; the data authority then has 5 working days to resolve it. Refusals by the
    /// catalog, at review, or upheld on dispute cannot be disputed.
    #[tracing::instrument(skip_all)]
    pub async fn dispute(
        &self,
        actor: &Principal,
        id: &RequestId,
        reasons_text: &str,
    ) -> Result<RequestView> {
        let mut q = self.load_request(id).await?;
        actor.require(Permission::RequestSharing, Some(q.requester.path()))?;
        let by_provider = q.refusal.as_ref().is_some_and(|r| r.by == RefusedBy::Provider);
        if q.status != RequestStatus::Refused || !by_provider {
            return Err(Error::conflict("status", msg!("only-provider-s-refusal")));
        }
        let text = check::text("reasons", reasons_text, 2000)?;
        let was = q.status;
        q.dispute = Some(self.start_clock(self.today(), DISPUTE_DAYS)?);
        q.dispute_reasons = text;
        q.status = RequestStatus::Disputed;
        q.updated = self.now();
        let mut tx = self.db.begin_write().await?;
        save_request(&mut tx, &q, was).await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &SharingDisputed {
                    resource: q.resource_code.clone(),
                    reasons: q.dispute_reasons.clone(),
                },
                q.id.as_str(),
                Some(q.requester.path()),
                event_summary(&q, "对不予共享提出争议", "refusal disputed"),
            ),
        )
        .await?;
        tx.commit().await?;
        crate::cache::changed();
        self.view(q)
    }

    /// The data authority resolves a dispute, finally (`ReviewSharing` over both sides): grant on
    /// `terms` or uphold the refusal with reasons.
    pub async fn resolve_dispute(
        &self,
        actor: &Principal,
        id: &RequestId,
        resolution: Resolution,
    ) -> Result<RequestView> {
        let mut q = self.load_request(id).await?;
        require_both(actor, Permission::ReviewSharing, &q)?;
        if q.status != RequestStatus::Disputed {
            return Err(wrong_status(&q, ("裁决", "resolved")));
        }
        let was = q.status;
        let (grant, outcome) = match resolution {
            Resolution::Grant(terms) => {
                let g = self.grant_on(&mut q, &terms, actor, Stage::Dispute).await?;
                q.refusal = None;
                (Some(g), "granted")
            }
            Resolution::Uphold { reasons: text } => {
                let text = reasons(&text)?;
                finish_step(q.dispute.as_mut(), self.today(), actor, text.clone())?;
                q.status = RequestStatus::Refused;
                q.refusal = Some(Refusal {
                    by: RefusedBy::Resolution,
                    reasons: text,
                });
                (None, "upheld")
            }
        };
        let summary = if grant.is_some() {
            ("争议裁决：同意共享", "dispute resolved: granted")
        } else {
            ("争议裁决：维持不予共享", "dispute resolved: refusal upheld")
        };
        self.commit_outcome(actor, q, was, grant, DisputeResolved {}, outcome, summary)
            .await
    }

    /// Saves a decided request, its grant (replacing an older one) and their events in one
    /// transaction: how both the provider's decision and a dispute's resolution end, each with
    /// its own kind of event.
    #[allow(clippy::too_many_arguments)]
    async fn commit_outcome<K: EventKind>(
        &self,
        actor: &Principal,
        mut q: SharingRequest,
        was: RequestStatus,
        grant: Option<Grant>,
        kind: K,
        outcome: &str,
        (zh, en): (&str, &str),
    ) -> Result<RequestView> {
        q.updated = self.now();
        let mut tx = self.db.begin_write().await?;
        save_request(&mut tx, &q, was).await?;
        let replaced = match &grant {
            Some(g) => insert_grant(&mut tx, actor, g).await?,
            None => Vec::new(),
        };
        tx.append_event(
            actor,
            EventDraft::of(
                &With {
                    about: SharingOutcome {
                        resource: q.resource_code.clone(),
                        outcome: outcome.into(),
                        grant: q.grant_id.as_ref().map(|g| g.as_str().to_owned()),
                        reasons: q.refusal.as_ref().map(|r| r.reasons.clone()),
                    },
                    detail: kind,
                },
                q.id.as_str(),
                Some(q.requester.path()),
                event_summary(&q, zh, en),
            ),
        )
        .await?;
        if let Some(g) = &grant {
            grant_event(&mut tx, actor, g, &replaced).await?;
        }
        tx.commit().await?;
        crate::cache::changed();
        self.view(q)
    }

    /// The requester withdraws a request still waiting for a decision (`RequestSharing` over its
    /// department); the running clock stops today.
    #[tracing::instrument(skip_all)]
    pub async fn withdraw(&self, actor: &Principal, id: &RequestId) -> Result<RequestView> {
        let mut q = self.load_request(id).await?;
        actor.require(Permission::RequestSharing, Some(q.requester.path()))?;
        if !q.status.is_open() {
            return Err(wrong_status(&q, ("撤回", "withdrawn")));
        }
        let was = q.status;
        let today = self.today();
        let step = match q.status {
            RequestStatus::InReview => q.review.as_mut(),
            RequestStatus::WithProvider => q.decision.as_mut(),
            _ => q.dispute.as_mut(),
        };
        finish_step(step, today, actor, String::new())?;
        q.status = RequestStatus::Withdrawn;
        q.updated = self.now();
        let mut tx = self.db.begin_write().await?;
        save_request(&mut tx, &q, was).await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &SharingWithdrawn {
                    resource: q.resource_code.clone(),
                    was: was.code().into(),
                },
                q.id.as_str(),
                Some(q.requester.path()),
                event_summary(&q, "撤回共享申请", "sharing request withdrawn"),
            ),
        )
        .await?;
        tx.commit().await?;
        crate::cache::changed();
        self.view(q)
    }

    /// Builds the grant for `q` on `terms`, finishing the step `stage` and marking it granted.
    async fn grant_on(
        &self,
        q: &mut SharingRequest,
        terms: &crate::GrantTerms,
        actor: &Principal,
        stage: Stage,
    ) -> Result<Grant> {
        let resource = self.require_resource(&q.resource_id).await?;
        if resource.status != ResourceStatus::Published {
            return Err(Error::conflict("resource", msg!("resource-has-been-retired")));
        }
        let today = self.today();
        let g = build_grant(&resource, q, terms, actor, today, self.now())?;
        let note = check::optional_text("note", &terms.note, 2000)?;
        let step = match stage {
            Stage::Dispute => q.dispute.as_mut(),
            _ => q.decision.as_mut(),
        };
        finish_step(step, today, actor, note)?;
        q.status = RequestStatus::Granted;
        q.grant_id = Some(g.id.clone());
        Ok(g)
    }

    /// One request with its deadline, if the actor may see it (`ReadCatalog` over the requester
    /// or the provider).
    pub async fn get_request(&self, actor: &Principal, id: &RequestId) -> Result<RequestView> {
        let q = self.load_request(id).await?;
        if !actor.allows(Permission::ReadCatalog, Some(q.requester.path()))
            && !actor.allows(Permission::ReadCatalog, Some(&q.provider.path))
        {
            return Err(Error::forbidden(msg!("not-permitted-see-request")));
        }
        self.view(q)
    }

    /// A page of the requests the actor may see (`ReadCatalog` over the requester or the
    /// provider), newest first, each with its current deadline read today (yellow when
    /// [`WARN_DAYS`] or fewer working days are left, red when overdue).
    pub async fn list_requests(
        &self,
        actor: &Principal,
        filter: &RequestFilter,
        page: Page,
    ) -> Result<Listing<RequestView>> {
        let scopes = actor.scopes_for(Permission::ReadCatalog);
        if scopes.is_empty() {
            return Err(Error::forbidden(msg!("not-permitted-see-sharing")));
        }
        let mut cond = Cond::all();
        if !scopes.contains(&DeptPath::root()) {
            let mut any = Cond::any();
            for s in &scopes {
                any = any
                    .add(path_in("q.requester_path", s))
                    .add(path_in("r.provider_path", s));
            }
            cond = cond.add(any);
        }
        if let Some(s) = filter.status {
            cond = cond.add(col("q.status").eq(s.code()));
        }
        if let Some(r) = &filter.resource {
            cond = cond.add(col("q.resource_id").eq(r.as_str()));
        }
        if let Some(p) = &filter.requester {
            cond = cond.add(path_in("q.requester_path", p));
        }
        if let Some(p) = &filter.provider {
            cond = cond.add(path_in("r.provider_path", p));
        }
        if let Some(t) = filter.text.as_deref() {
            cond = cond.add(text_match(t, &["r.code", "r.name_zh", "q.purpose"]));
        }
        let (total, rows) = crate::resource::page_joined_to_resource(
            &self.db,
            ("sharing_requests", "q"),
            COLUMNS,
            cond,
            page,
        )
        .await?;
        let items = rows
            .iter()
            .map(|r| from_row(r).and_then(|q| self.view(q)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Listing::new(items, total, page))
    }
}

/// The request's fields, checked against the resource: at least one, all present, in the
/// resource's order.
fn requested_fields(resource: &Resource, wanted: &[String]) -> Result<Vec<String>> {
    let wanted: Vec<String> = wanted.iter().map(|f| f.trim().to_string()).collect();
    if wanted.iter().all(String::is_empty) {
        return Err(Error::invalid("fields", msg!("choose-least-one-field")));
    }
    if let Some(missing) = wanted
        .iter()
        .find(|w| !w.is_empty() && resource.field(w).is_none())
    {
        let shown: String = missing.chars().take(64).collect();
        return Err(Error::invalid(
            "fields",
            msg!(
                "resource-resource-has-no",
                resource = resource.code,
                shown = shown
            ),
        ));
    }
    Ok(resource
        .fields
        .iter()
        .filter(|f| wanted.contains(&f.code))
        .map(|f| f.code.clone())
        .collect())
}

/// Finishes a step today, recording who and their note.
fn finish_step(step: Option<&mut Step>, today: Date, actor: &Principal, note: String) -> Result<()> {
    if let Some(s) = step {
        if s.clock.finished.is_none() {
            s.clock.finish(today)?;
        }
        s.by = Some(actor.id.clone());
        s.note = note;
    }
    Ok(())
}
