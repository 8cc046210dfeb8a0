//! Recounting due days when a year's holiday schedule is announced. Until then a deadline that
//! runs into the year is provisional (暂定: weekends and the statutory holidays only); once an
//! administrator enters the year, every open case whose due day lies in it or later is counted
//! again, and where a date moved, the case records the old and new dates on its timeline and in
//! an event, and its applicant is told.

use crate::store::{LogDraft, case_event, case_in, log, recap_open_tasks, save_case};
use crate::{CaseId, Error, Hall, Result};
use serde_json::json;
use tongban_db::params;
use tongban_kernel::{Permission, Principal};

/// What a recount did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recount {
    /// Open cases whose due days were counted again.
    pub checked: usize,
    /// Of those, the cases whose due day moved.
    pub moved: usize,
}

impl Hall {
    /// Counts again the due days of every open case due in `from_year` or later, after that
    /// year's schedule was entered (needs [`Permission::ManageCalendar`]). One transaction per
    /// case, so a long recount never holds the database.
    pub async fn recount_due_days(&self, actor: &Principal, from_year: i16) -> Result<Recount> {
        // The holiday schedule is national: any grant of the permission will do.
        if !actor.allows_somewhere(Permission::ManageCalendar) {
            return Err(Error::forbidden(
                "无权录入节假日安排 / not permitted to enter holiday schedules",
            ));
        }
        let since = format!("{from_year:04}-01-01");
        let ids: Vec<CaseId> = self
            .db
            .fetch_all(
                "SELECT id FROM hall_cases WHERE is_open = 1 AND statutory_due_on >= $1 ORDER BY id",
                params![since],
            )
            .await?
            .iter()
            .map(|r| r.get::<String>("id").map(CaseId))
            .collect::<std::result::Result<_, _>>()?;
        let mut out = Recount::default();
        for id in ids {
            out.checked += 1;
            if self.recount_one(actor, &id).await? {
                out.moved += 1;
            }
        }
        Ok(out)
    }

    /// Recounts one case; true when its due day moved.
    async fn recount_one(&self, actor: &Principal, id: &CaseId) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        let mut case = case_in(&mut tx, id).await?;
        let before = (case.due, case.statutory_due);
        self.refresh_due(&mut case);
        if (case.due, case.statutory_due) == before {
            return Ok(false);
        }
        let shown = |d: Option<jiff::civil::Date>| d.map(|d| d.to_string()).unwrap_or_default();
        let (old, new) = (shown(before.0), shown(case.due));
        case.updated = self.now();
        save_case(&mut tx, &mut case, None, None).await?;
        recap_open_tasks(&mut tx, &case.id, case.due).await?;
        let note = format!("{old} → {new}");
        log(
            &mut tx,
            &case.id,
            actor,
            self.now(),
            LogDraft {
                action: "due_recounted",
                department: None,
                note: &note,
                public: true,
            },
        )
        .await?;
        let zh = format!("节假日安排公布，办理期限由 {old} 改为 {new}");
        let en = format!("the holiday schedule was announced; due date changed from {old} to {new}");
        case_event(
            &mut tx,
            actor,
            "hall.case.due_recounted",
            &case,
            (&zh, &en),
            json!({
                "old_due": old,
                "new_due": new,
                "old_statutory_due": shown(before.1),
                "new_statutory_due": shown(case.statutory_due),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
