//! Applications in progress (草稿): what an applicant has answered so far, kept on the server
//! between the pages so that every page of an application has its own address — the browser's
//! Back button and a reload show the page again instead of re-posting a form, and closing the
//! browser loses nothing. The body is the caller's (the pages' own layout) and holds personal
//! data, so it is sealed with SM4 like a submitted form. Only its owner reads or writes it (a key
//! names a draft of one owner, as it names a case of one applicant); a submission with the
//! draft's key removes it in the same transaction.

use crate::access::applicant_of;
use crate::events::{DraftSaved, DraftStarted};
use crate::{Error, Hall, Result};
use tongban_db::{EventDraft, Tx, params};
use tongban_kernel::msg;
use tongban_kernel::{Millis, Principal};

/// Largest draft body (the pages' answers, sources and material choices).
pub const MAX_DRAFT_BYTES: usize = 256 * 1024;

/// Drafts kept per applicant: starting one more drops the oldest.
pub const MAX_DRAFTS: usize = 20;

/// Days a draft is kept after its last change.
const KEEP_DAYS: i64 = 30;

pub(crate) const BODY_FIELD: &str = "hall_drafts.body";

/// An application in progress as its owner saved it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedDraft {
    /// The application's submission key: the case it becomes carries it.
    pub key: String,
    /// What it applies for (the pages' address of the service or bundle).
    pub target: String,
    /// The pages' own record of the answers, opened.
    pub body: String,
    pub updated: Millis,
}

fn check_target(target: &str) -> Result<()> {
    if target.is_empty() || target.len() > 200 {
        return Err(Error::invalid("target", msg!("not-service-apply")));
    }
    Ok(())
}

impl Hall {
    /// Saves `actor`'s draft `key` for `target` (new, or replacing its body). A new draft beyond
    /// [`MAX_DRAFTS`] drops the owner's oldest; drafts untouched for 30 days are dropped.
    #[tracing::instrument(skip_all)]
    pub async fn save_draft(&self, actor: &Principal, key: &str, target: &str, body: &str) -> Result<()> {
        applicant_of(actor)?;
        let key = check_submission_key(key)?;
        check_target(target)?;
        if body.len() > MAX_DRAFT_BYTES {
            return Err(Error::invalid(
                "draft",
                msg!("draft-too-long", kib = MAX_DRAFT_BYTES >> 10),
            ));
        }
        let sealed = self.fields.encrypt(BODY_FIELD, body);
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let existing = tx
            .fetch_optional(
                "SELECT target FROM hall_drafts WHERE owner_id = $1 AND id = $2",
                params![actor.id.as_str(), key.as_str()],
            )
            .await?;
        let created = match existing {
            Some(r) => {
                // The same key for another service: not this draft.
                if r.get::<String>("target")? != target {
                    return Err(Error::NotFound { what: "draft" });
                }
                tx.execute(
                    "UPDATE hall_drafts SET body = $1, updated_ms = $2 WHERE owner_id = $3 AND id = $4",
                    params![sealed, now, actor.id.as_str(), key.as_str()],
                )
                .await?;
                false
            }
            None => {
                prune(&mut tx, &actor.id, now).await?;
                tx.execute(
                    "INSERT INTO hall_drafts (owner_id, id, target, body, created_ms, updated_ms) \
                     VALUES ($1, $2, $3, $4, $5, $5)",
                    params![actor.id.as_str(), key.as_str(), target, sealed, now],
                )
                .await?;
                true
            }
        };
        let summary = msg!("draft-saved", target = target);
        let (target, bytes) = (target.to_string(), body.len());
        let event = if created {
            EventDraft::of(&DraftStarted { target, bytes }, key.as_str(), None, summary)
        } else {
            EventDraft::of(&DraftSaved { target, bytes }, key.as_str(), None, summary)
        };
        tx.append_event(actor, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `actor`'s draft `key` for `target`; anyone else's, another service's or an expired one
    /// is not found.
    pub async fn draft(&self, actor: &Principal, key: &str, target: &str) -> Result<SavedDraft> {
        let row = self
            .db
            .fetch_optional(
                "SELECT id, target, body, updated_ms FROM hall_drafts \
                 WHERE owner_id = $1 AND id = $2 AND target = $3 AND updated_ms > $4",
                params![actor.id.as_str(), key, target, expiry(self.now())],
            )
            .await?
            .ok_or(Error::NotFound { what: "draft" })?;
        self.opened(&row)
    }

    /// `actor`'s latest draft for `target`, to take up again.
    pub async fn latest_draft(&self, actor: &Principal, target: &str) -> Result<Option<SavedDraft>> {
        let row = self
            .db
            .fetch_optional(
                "SELECT id, target, body, updated_ms FROM hall_drafts \
                 WHERE owner_id = $1 AND target = $2 AND updated_ms > $3 \
                 ORDER BY updated_ms DESC LIMIT 1",
                params![actor.id.as_str(), target, expiry(self.now())],
            )
            .await?;
        row.map(|r| self.opened(&r)).transpose()
    }

    fn opened(&self, r: &tongban_db::Row) -> Result<SavedDraft> {
        Ok(SavedDraft {
            key: r.get("id")?,
            target: r.get("target")?,
            body: self.fields.decrypt(BODY_FIELD, &r.get::<String>("body")?)?,
            updated: r.get("updated_ms")?,
        })
    }
}

fn expiry(now: Millis) -> i64 {
    now.0 - KEEP_DAYS * 24 * 3600 * 1000
}

/// Drops `owner`'s expired drafts and, beyond the cap, the oldest ones, before one more is made.
async fn prune(tx: &mut Tx, owner: &str, now: Millis) -> Result<()> {
    tx.execute(
        "DELETE FROM hall_drafts WHERE owner_id = $1 AND updated_ms <= $2",
        params![owner, expiry(now)],
    )
    .await?;
    let kept = tx
        .fetch_all(
            "SELECT id FROM hall_drafts WHERE owner_id = $1 ORDER BY updated_ms DESC",
            params![owner],
        )
        .await?;
    for r in kept.iter().skip(MAX_DRAFTS - 1) {
        let id: String = r.get("id")?;
        tx.execute(
            "DELETE FROM hall_drafts WHERE owner_id = $1 AND id = $2",
            params![owner, id],
        )
        .await?;
    }
    Ok(())
}

/// Removes the draft a submission with `key` came from (inside the submission's transaction).
pub(crate) async fn discard(tx: &mut Tx, owner: &str, key: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM hall_drafts WHERE owner_id = $1 AND id = $2",
        params![owner, key],
    )
    .await?;
    Ok(())
}

/// A submission key as the hall keeps it (a draft is named by its application's key).
pub(crate) fn check_submission_key(key: &str) -> Result<String> {
    let k = key.trim();
    if (8..=64).contains(&k.len())
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        Ok(k.to_string())
    } else {
        Err(Error::invalid("submission_key", msg!("submission-key-8-64")))
    }
}
