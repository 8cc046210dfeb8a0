//! Recounting due days when a year's holiday schedule is announced. Until then a deadline that
//! runs into the year is provisional (暂定: weekends and the statutory holidays only); once an
//! administrator enters the year, every open case whose due day lies in it or later is counted
//! again, and where a date moved, the case records the old and new dates on its timeline and in
//! an event, and its applicant is told. Open rectifications (差评整改) due in the year are
//! counted again too, each move recorded in an event.

use crate::events::{DueRecounted, RectificationDueRecounted};
use crate::store::{LogDraft, case_event, case_in, log, recap_open_tasks, save_case};
use crate::{CaseId, Error, Hall, Result};
use tongban_db::params;
use tongban_kernel::msg;
use tongban_kernel::{Permission, Principal, Recount};

impl Hall {
    /// Counts again the due days of every open case due in `from_year` or later, after that
    /// year's schedule was entered (needs [`Permission::ManageCalendar`]). One transaction per
    /// case, so a long recount never holds the database.
    pub async fn recount_due_days(&self, actor: &Principal, from_year: i16) -> Result<Recount> {
        // The holiday schedule is national: any grant of the permission will do.
        if !actor.allows_somewhere(Permission::ManageCalendar) {
            return Err(Error::forbidden(msg!("not-permitted-enter-holiday")));
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
        let rectifications: Vec<String> = self
            .db
            .fetch_all(
                "SELECT id FROM hall_rectifications WHERE status = 'open' AND due_on >= $1 ORDER BY id",
                params![since],
            )
            .await?
            .iter()
            .map(|r| r.get::<String>("id"))
            .collect::<std::result::Result<_, _>>()?;
        let mut out = Recount::default();
        for id in ids {
            out.count(self.recount_one(actor, &id).await?);
        }
        for id in rectifications {
            out.count(self.recount_rectification(actor, &id).await?);
        }
        Ok(out)
    }

    /// Recounts one open rectification (差评整改); true when its due day moved.
    async fn recount_rectification(&self, actor: &Principal, id: &str) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        let Some(row) = tx
            .fetch_optional(
                "SELECT opened_on, due_on, case_number, dept_path FROM hall_rectifications \
                 WHERE id = $1 AND status = 'open'",
                params![id],
            )
            .await?
        else {
            return Ok(false);
        };
        let day = |column: &str| -> Result<jiff::civil::Date> {
            let text: String = row.get(column)?;
            text.parse()
                .map_err(|e: jiff::Error| crate::error::decode_err(column, e.to_string()))
        };
        let (opened, old) = (day("opened_on")?, day("due_on")?);
        let Ok(new) = self.calendar.add_working_days(opened, crate::RECTIFY_DAYS) else {
            return Ok(false);
        };
        if new == old {
            return Ok(false);
        }
        let number: String = row.get("case_number")?;
        let dept = tongban_kernel::DeptPath(row.get("dept_path")?);
        tx.execute(
            "UPDATE hall_rectifications SET due_on = $1, version = version + 1 WHERE id = $2",
            params![new.to_string(), id],
        )
        .await?;
        tx.append_event(
            actor,
            tongban_db::EventDraft::of(
                &RectificationDueRecounted {
                    case: number.clone(),
                    old_due: old.to_string(),
                    new_due: new.to_string(),
                },
                id,
                Some(&dept),
                msg!(
                    "rectification-due-date-changed",
                    new = new,
                    number = &number,
                    old = old
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
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
            DueRecounted {
                old_due: old,
                new_due: new,
                old_statutory_due: shown(before.1),
                new_statutory_due: shown(case.statutory_due),
            },
            &case,
            (&zh, &en),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
