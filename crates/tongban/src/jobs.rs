//! The serving process's small background jobs, each a [`Job`] the platform's workers run on
//! its period: years entered in the holiday calendar, data keys added by `tongban keys
//! rotate`, expired sessions, and the 12345 reminders and escalations (督办). The larger ones
//! live beside their code: [`crate::webhooks::Webhooks`], [`crate::pulls::Pulls`],
//! [`crate::mail::Mail`].

use tongban_crypto::Keyring;
use tongban_db::Db;
use tongban_identity::Identity;
use tongban_interact::Interact;
use tongban_kernel::worker::Job;
use tongban_kernel::{Principal, WorkCalendar};

/// Years entered by the CLI or by another server on the same database reach this one.
pub struct CalendarRefresh {
    pub db: Db,
    pub calendar: WorkCalendar,
}

impl Job for CalendarRefresh {
    fn name(&self) -> &'static str {
        "calendar"
    }

    async fn round(&self) -> Result<usize, String> {
        let years = tongban_db::calendar::refresh(&self.db, &self.calendar)
            .await
            .map_err(|e| e.to_string())?;
        if !years.is_empty() {
            tracing::info!(?years, "holiday calendar years entered");
        }
        Ok(years.len())
    }
}

/// Data keys added by `tongban keys rotate` while the server runs seal what it writes next.
pub struct KeyRefresh(pub Keyring);

impl Job for KeyRefresh {
    fn name(&self) -> &'static str {
        "keys"
    }

    async fn round(&self) -> Result<usize, String> {
        let taken = self.0.refresh().map_err(|e| e.to_string())?;
        if taken {
            tracing::info!(key_id = %self.0.active_data_key_id(), "new data key taken up");
        }
        Ok(usize::from(taken))
    }
}

/// Ended and expired sign-in sessions are removed.
pub struct SessionPurge(pub Identity);

impl Job for SessionPurge {
    fn name(&self) -> &'static str {
        "sessions"
    }

    async fn round(&self) -> Result<usize, String> {
        let purged = self
            .0
            .purge_expired(&Principal::system("sessions"))
            .await
            .map_err(|e| e.to_string())?;
        Ok(usize::try_from(purged).unwrap_or(usize::MAX))
    }
}

/// Reminders near the time limit and escalations to the leader once it has passed (督办).
pub struct Escalation(pub Interact);

impl Job for Escalation {
    fn name(&self) -> &'static str {
        "escalation"
    }

    async fn round(&self) -> Result<usize, String> {
        let raised = self
            .0
            .escalate_overdue(&Principal::system("interact-sla"))
            .await
            .map_err(|e| e.to_string())?;
        Ok(raised.len())
    }
}
