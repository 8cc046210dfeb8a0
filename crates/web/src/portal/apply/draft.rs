//! An application in progress, kept sealed in the hall between its pages.

use crate::AppState;
use crate::errors::hall_page;
use crate::page::{PageError, PageResult};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use std::collections::BTreeMap;

/// An application in progress, kept sealed in the hall between the pages: its key, the page
/// reached, the answers so far, and the sources of prefilled answers (for display only:
/// submission looks them up again).
#[derive(Clone, Default, serde::Serialize, Deserialize)]
#[serde(default)]
pub(super) struct Draft {
    /// The application's submission key, the draft's name in the hall.
    #[serde(skip)]
    pub(super) key: String,
    pub(super) step: usize,
    pub(super) answers: BTreeMap<String, String>,
    pub(super) sources: BTreeMap<String, String>,
    /// The prefilled values as found, so a changed one is shown as corrected.
    pub(super) prefilled: BTreeMap<String, String>,
    /// Material answers by code (see [`super::uploads::answer`]).
    pub(super) materials: BTreeMap<String, String>,
    /// Where the journey's pages post: `/services/{code}` or `/bundles/{code}` (from the
    /// route, never from the form).
    #[serde(skip)]
    pub(super) base: String,
    /// Came from 修改 on the check page: the next valid answer goes straight back there.
    pub(super) review: bool,
    /// Why the last answer posted was refused, shown on its page (step, field, message) until
    /// an answer is taken: a refused answer is redirected to its page like any other, so Back
    /// never lands on a posted form.
    pub(super) refused: Option<(usize, String, String)>,
}

impl Draft {
    /// Where the answer to `code` came from, and whether the applicant changed it since: `None`
    /// for an answer not prefilled.
    pub(super) fn prefill_of(&self, code: &str) -> Option<(&str, bool)> {
        let source = self.sources.get(code)?;
        // A draft kept before the prefilled values were is not called corrected.
        let corrected = self
            .prefilled
            .get(code)
            .is_some_and(|found| self.answers.get(code) != Some(found));
        Some((source.as_str(), corrected))
    }

    /// The address of page `step` of this application.
    pub(super) fn page(&self, step: usize) -> String {
        format!("{}/apply/{}/{step}", self.base, self.key)
    }

    /// Keeps the draft in the hall (sealed) for the next page.
    pub(super) async fn save(
        &self,
        state: &AppState,
        applicant: &tongban_kernel::Principal,
    ) -> Result<(), PageError> {
        let body = serde_json::to_string(self).map_err(|e| PageError::Internal(e.to_string()))?;
        state
            .hall
            .save_draft(applicant, &self.key, &self.base, &body)
            .await
            .map_err(hall_page)
    }

    /// Saves the draft and sends the browser to page `step` (303: the next request is a GET).
    pub(super) async fn save_and_go(
        &self,
        state: &AppState,
        applicant: &tongban_kernel::Principal,
        step: usize,
    ) -> PageResult {
        self.save(state, applicant).await?;
        Ok(Redirect::to(&self.page(step)).into_response())
    }

    /// `applicant`'s draft `key` of the application at `base`; empty (a new draft under that
    /// key) when there is none any more, so a page posted after the draft expired starts over
    /// rather than failing.
    pub(super) async fn load(
        state: &AppState,
        applicant: &tongban_kernel::Principal,
        key: &str,
        base: String,
    ) -> Result<Draft, PageError> {
        let empty = || Draft {
            key: key.to_string(),
            base: base.clone(),
            ..Draft::default()
        };
        match state.hall.draft(applicant, key, &base).await {
            Ok(saved) => Ok(Draft::opened(saved, base)),
            Err(tongban_hall::Error::NotFound { .. }) => Ok(empty()),
            Err(e) => Err(hall_page(e)),
        }
    }

    /// Saves the draft with `msg` against `field` on page `step` and sends the browser there.
    pub(super) async fn refuse_at(
        mut self,
        state: &AppState,
        applicant: &tongban_kernel::Principal,
        step: usize,
        field: &str,
        msg: impl Into<tongban_kernel::Msg>,
    ) -> PageResult {
        // Kept with the draft in both languages: the page may be switched before it is shown.
        self.refused = Some((step, field.to_string(), msg.into().to_string()));
        self.save_and_go(state, applicant, step).await
    }

    /// A draft as the hall kept it (a body from an older layout reads as empty answers).
    pub(super) fn opened(saved: tongban_hall::SavedDraft, base: String) -> Draft {
        let mut d: Draft = serde_json::from_str(&saved.body).unwrap_or_default();
        d.key = saved.key;
        d.base = base;
        d
    }
}

pub(super) fn new_key() -> String {
    format!("web-{}", tongban_kernel::id::new_uuid_v7())
}

/// The draft a posted page belongs to (by its `key`), with the page it was on (`step`).
pub(super) async fn posted_draft(
    state: &AppState,
    applicant: &tongban_kernel::Principal,
    (key, step): (&str, &str),
    base: String,
) -> Result<Draft, PageError> {
    let mut d = Draft::load(state, applicant, key, base).await?;
    d.step = step.parse().unwrap_or(0);
    d.refused = None;
    Ok(d)
}
