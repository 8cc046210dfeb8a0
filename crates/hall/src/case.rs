//! Cases (办件): submission — the form checked against the item's fields, personal values
//! sealed, a gapless human number, the legal clock started, the first step's tasks opened, and
//! the same case returned for the same submission key — and reading a case within the actor's
//! rights (its applicant; staff holding a handling role in a department the case has passed
//! through or sits in).

use crate::access::{Access, access, applicant_of};
use crate::draft::check_submission_key;
use crate::events::{CaseSubmitted, FormRead};
use crate::form::{check_values, mark_prefilled, open_values};
use crate::material::record_materials;
use crate::store::{
    CASE_COLUMNS, LogDraft, TASK_COLUMNS, case_event, case_from_row, insert_case, insert_task, log,
    next_number, task_from_row,
};
use crate::{
    ApplicantKind, Case, CaseId, CaseStatus, CaseView, Error, Hall, LogEntry, MyCases, NewCase, NewTask,
    Result, Task, Urgency, WARN_DAYS, Workflow, from_json,
};
use jiff::civil::Date;
use std::collections::BTreeMap;
use tongban_db::{Row, Tx, params};
use tongban_kernel::msg;
use tongban_kernel::{ClockState, LegalClock, Page, Principal};

/// A submission checked and ready to write.
pub(crate) struct Prepared {
    kind: ApplicantKind,
    item: crate::ServiceItem,
    checked: crate::form::CheckedForm,
    materials: Vec<crate::material::Resolved>,
    key: String,
}

impl Prepared {
    /// Lets uploads already taken over by an earlier case of the same application (listed in
    /// `attached`) serve this one too, and adds this case's own.
    pub(crate) fn share_uploads(&mut self, attached: &mut std::collections::HashSet<crate::FileId>) {
        for m in &mut self.materials {
            if let Some(file) = m.file() {
                m.attach = attached.insert(file.clone());
            }
        }
    }
}

impl Hall {
    /// The due days of `case`'s clock as of today: nothing while stopped; provisional (暂定)
    /// where they are counted through a year whose holidays have not been announced.
    pub(crate) fn refresh_due(&self, case: &mut Case) {
        if case.clock.is_paused() {
            case.due = None;
            case.statutory_due = None;
            case.due_provisional = false;
            return;
        }
        match case.clock.read(&self.calendar, self.today(), WARN_DAYS) {
            Ok(r) => {
                case.statutory_due = Some(r.due);
                let due = r.promised_due.unwrap_or(r.due);
                case.due = Some(due);
                case.due_provisional = self.calendar.provisional_between(case.clock.started, due);
            }
            Err(e) => {
                // Only outside the years the calendar can compute (before 1901, after 2099).
                tracing::warn!(error = %e, case = %case.number, "case clock cannot be counted");
                case.due = None;
                case.statutory_due = None;
                case.due_provisional = false;
            }
        }
    }

    /// Marks a stored case's due day (the one shown) provisional when it runs through a year not
    /// announced.
    pub(crate) fn mark_provisional(&self, mut case: Case) -> Case {
        case.due_provisional = case
            .due
            .is_some_and(|d| self.calendar.provisional_between(case.clock.started, d));
        case
    }

    /// Yellow / red of a due day as of today.
    pub(crate) fn urgency_fn(&self) -> impl Fn(Option<Date>) -> Urgency + Copy + use<> {
        let today = self.today();
        let soon = self.calendar.add_working_days(today, WARN_DAYS).ok();
        move |due: Option<Date>| match due {
            Some(d) if d < today => Urgency::Overdue,
            Some(d) if soon.is_some_and(|s| d <= s) => Urgency::DueSoon,
            _ => Urgency::Normal,
        }
    }

    /// Opens the tasks of step `index` of `wf` for `case`, due at the step's own limit or the
    /// case's, whichever comes first.
    pub(crate) async fn open_step(&self, tx: &mut Tx, case: &Case, wf: &Workflow, index: u32) -> Result<()> {
        let Some(step) = wf.steps.get(index as usize) else {
            return Err(crate::error::decode_err(
                "step",
                format!("workflow has no step {index}"),
            ));
        };
        let today = self.today();
        let step_due = match step.limit_days {
            Some(d) => self.calendar.add_working_days(today, d).ok(),
            None => None,
        };
        let due = match (step_due, case.due) {
            (Some(s), Some(c)) => Some(s.min(c)),
            (s, c) => s.or(c),
        };
        for a in &step.assignees {
            insert_task(
                tx,
                NewTask {
                    case,
                    step: index,
                    kind: step.kind,
                    department: &a.department,
                    role: a.role,
                    step_due,
                    due,
                    at: self.now(),
                },
            )
            .await?;
        }
        Ok(())
    }

    pub(crate) async fn existing_case(&self, applicant: &str, key: &str) -> Result<Option<CaseId>> {
        Ok(self
            .db
            .fetch_optional(
                "SELECT id FROM hall_cases WHERE applicant_id = $1 AND submission_key = $2",
                params![applicant, key],
            )
            .await?
            .map(|r| r.get::<String>("id").map(CaseId))
            .transpose()?)
    }

    /// Submits an application as a citizen or business. The item must be active with a
    /// workflow; the form is checked against its fields (a missing required field is named);
    /// personal values are sealed; the case gets a gapless number of today, starts on the
    /// item's current workflow version, and its legal clock starts today. Submitting again
    /// with the same `submission_key` returns the case already made.
    #[tracing::instrument(skip_all)]
    pub async fn submit_case(&self, actor: &Principal, new: NewCase) -> Result<CaseView> {
        let key = check_submission_key(&new.submission_key)?;
        if let Some(id) = self.existing_case(&actor.id, &key).await? {
            return self.case(actor, &id).await;
        }
        let ready = self.prepare(actor, &new, key.clone(), &[]).await?;
        let mut tx = self.db.begin_write().await?;
        let case = match self.write_case(&mut tx, actor, ready).await {
            Ok(case) => case,
            Err(Error::Storage(tongban_db::Error::Conflict(_))) => {
                // The same key committed meanwhile (a double click racing itself): that case.
                drop(tx);
                return match self.existing_case(&actor.id, &key).await? {
                    Some(id) => self.case(actor, &id).await,
                    None => Err(Error::conflict("submission_key", msg!("please-submit-again"))),
                };
            }
            Err(e) => return Err(e),
        };
        crate::draft::discard(&mut tx, &actor.id, &key).await?;
        tx.commit().await?;
        self.case(actor, &case.id).await
    }

    /// Everything about a submission that can be checked before writing: the applicant, the
    /// item taking applications, the form and the materials.
    /// `issued_here`: licence types (with the issuing service's name) that another service of
    /// the same bundle issues in this application; a material asking for one needs nothing.
    pub(crate) async fn prepare(
        &self,
        actor: &Principal,
        new: &NewCase,
        key: String,
        issued_here: &[(String, String)],
    ) -> Result<Prepared> {
        let kind = applicant_of(actor)?;
        let item = self.item(&new.item).await?;
        if !item.takes_applications() {
            return Err(Error::conflict("item", msg!("service-not-taking-applications")));
        }
        let mut checked = check_values(&item.fields, &new.form, &self.fields)?;
        mark_prefilled(&item.fields, &mut checked.masked, &new.prefilled)?;
        let mut materials = self
            .resolve_materials(actor, &item, &new.materials, issued_here)
            .await?;
        materials.extend(self.resolve_file_fields(actor, &item, &new.form).await?);
        Ok(Prepared {
            kind,
            item,
            checked,
            materials,
            key,
        })
    }

    /// Writes a prepared case in `tx`: its number, row, materials, first step's tasks, timeline
    /// and event. A submission key already used surfaces as a storage conflict.
    pub(crate) async fn write_case(&self, tx: &mut Tx, actor: &Principal, p: Prepared) -> Result<Case> {
        let Prepared {
            kind,
            item,
            checked,
            materials,
            key,
        } = p;
        let wf = self.workflow_in(tx, &item.id, item.workflow_version).await?;
        let today = self.today();
        let now = self.now();
        let mut case = Case {
            id: CaseId::new(),
            number: next_number(tx, today).await?,
            item_id: item.id.clone(),
            item_code: item.code.clone(),
            item_name: item.name.clone(),
            department: item.department.clone(),
            workflow_version: wf.version,
            applicant_id: actor.id.clone(),
            applicant_kind: kind,
            status: CaseStatus::Submitted,
            step: 0,
            form: checked.masked,
            clock: LegalClock::new(today, item.statutory_days, Some(item.promised_days)),
            statutory_due: None,
            due: None,
            due_provisional: false,
            supplement: None,
            extension: None,
            decision: None,
            submitted: now,
            updated: now,
            finished: None,
            licence_number: None,
            version: 1,
        };
        self.refresh_due(&mut case);
        insert_case(tx, &case, &key, &checked.sealed).await?;
        record_materials(tx, &case, &materials).await?;
        self.open_step(tx, &case, &wf, 0).await?;
        log(
            tx,
            &case.id,
            actor,
            now,
            LogDraft {
                action: "submitted",
                department: None,
                note: "",
                public: true,
            },
        )
        .await?;
        case_event(
            tx,
            actor,
            CaseSubmitted {
                item: case.item_code.clone(),
                workflow_version: case.workflow_version,
            },
            &case,
            ("提交申请", "submitted"),
        )
        .await?;
        Ok(case)
    }

    pub(crate) async fn case_row(&self, id: &CaseId) -> Result<Case> {
        self.db
            .fetch_optional(
                &format!("SELECT {CASE_COLUMNS} FROM hall_cases WHERE id = $1"),
                params![id.as_str()],
            )
            .await?
            .map(|r| case_from_row(&r).map(|c| self.mark_provisional(c)))
            .transpose()?
            .ok_or(Error::NotFound { what: "case" })
    }

    pub(crate) async fn case_tasks(&self, id: &CaseId) -> Result<Vec<Task>> {
        let urgency = self.urgency_fn();
        self.db
            .fetch_all(
                &format!(
                    "SELECT {TASK_COLUMNS} FROM hall_tasks WHERE case_id = $1 ORDER BY step, created_ms, id"
                ),
                params![id.as_str()],
            )
            .await?
            .iter()
            .map(|r| task_from_row(r, urgency))
            .collect()
    }

    /// A case with its tasks and timeline, as `actor` may see it: the applicant sees the public
    /// timeline and no tasks; handling staff see everything.
    pub async fn case(&self, actor: &Principal, id: &CaseId) -> Result<CaseView> {
        let case = self.case_row(id).await?;
        let tasks = self.case_tasks(id).await?;
        let who = access(actor, &case, &tasks)?;
        let rows = self
            .db
            .fetch_all(
                "SELECT at_ms, action, actor_id, actor_name, dept_path, note, is_public FROM hall_log \
                 WHERE case_id = $1 AND (is_public = 1 OR $2 = 1) ORDER BY at_ms, id",
                params![id.as_str(), who == Access::Staff],
            )
            .await?;
        let log = rows.iter().map(log_from_row).collect::<Result<Vec<_>>>()?;
        let (urgency, remaining_days) = match case.clock.read(&self.calendar, self.today(), WARN_DAYS) {
            Ok(r) => (
                match r.state {
                    ClockState::Overdue => Urgency::Overdue,
                    ClockState::DueSoon => Urgency::DueSoon,
                    _ => Urgency::Normal,
                },
                Some(r.remaining),
            ),
            Err(_) => (Urgency::Normal, None),
        };
        let materials = self.case_materials(&case).await?;
        Ok(CaseView {
            case,
            materials,
            tasks: if who == Access::Staff { tasks } else { Vec::new() },
            log,
            urgency,
            remaining_days,
        })
    }

    /// The actor's own cases, newest first.
    pub async fn my_cases(&self, actor: &Principal, page: Page) -> Result<Vec<Case>> {
        applicant_of(actor)?;
        self.db
            .fetch_all(
                &format!(
                    "SELECT {CASE_COLUMNS} FROM hall_cases WHERE applicant_id = $1 \
                     ORDER BY submitted_ms DESC, id DESC LIMIT $2 OFFSET $3"
                ),
                params![actor.id.clone(), page.limit, page.offset],
            )
            .await?
            .iter()
            .map(|r| case_from_row(r).map(|c| self.mark_provisional(c)))
            .collect()
    }

    /// One page of the actor's own cases, newest first: the open ones (`Some(true)`), the
    /// finished ones (`Some(false)`) or all; with how many are open and finished in all.
    pub async fn my_cases_page(&self, actor: &Principal, open: Option<bool>, page: Page) -> Result<MyCases> {
        applicant_of(actor)?;
        let flag: i64 = match open {
            Some(true) => 1,
            Some(false) => 0,
            None => -1,
        };
        let items = self
            .db
            .fetch_all(
                &format!(
                    "SELECT {CASE_COLUMNS} FROM hall_cases WHERE applicant_id = $1 AND ($2 = -1 OR is_open = $2) \
                     ORDER BY submitted_ms DESC, id DESC LIMIT $3 OFFSET $4"
                ),
                params![actor.id.clone(), flag, page.limit, page.offset],
            )
            .await?
            .iter()
            .map(|r| case_from_row(r).map(|c| self.mark_provisional(c)))
            .collect::<Result<Vec<_>>>()?;
        let (mut open_n, mut finished_n) = (0u64, 0u64);
        for r in self
            .db
            .fetch_all(
                "SELECT is_open, COUNT(*) AS n FROM hall_cases WHERE applicant_id = $1 GROUP BY is_open",
                params![actor.id.clone()],
            )
            .await?
        {
            let n = u64::try_from(r.get::<i64>("n")?).unwrap_or_default();
            if r.get::<i64>("is_open")? == 1 {
                open_n = n;
            } else {
                finished_n = n;
            }
        }
        Ok(MyCases {
            items,
            open: open_n,
            finished: finished_n,
        })
    }

    /// The form values of a case in clear, for its applicant (to correct them in a 补正) and its
    /// handling staff; staff reading them leaves an event.
    #[tracing::instrument(skip_all)]
    pub async fn case_form(&self, actor: &Principal, id: &CaseId) -> Result<BTreeMap<String, String>> {
        let case = self.case_row(id).await?;
        let tasks = self.case_tasks(id).await?;
        let who = access(actor, &case, &tasks)?;
        let item = self.item(&case.item_id).await?;
        let row = self
            .db
            .fetch_one(
                "SELECT form_sealed FROM hall_cases WHERE id = $1",
                params![id.as_str()],
            )
            .await?;
        let sealed: BTreeMap<String, String> = from_json("form_sealed", &row.get::<String>("form_sealed")?)?;
        let clear = open_values(&item.fields, &sealed, &self.fields)?;
        if who == Access::Staff {
            let mut tx = self.db.begin_write().await?;
            case_event(
                &mut tx,
                actor,
                FormRead {},
                &case,
                ("查看申请表明文", "read the form in clear"),
            )
            .await?;
            tx.commit().await?;
        }
        Ok(clear)
    }
}

fn log_from_row(r: &Row) -> Result<LogEntry> {
    Ok(LogEntry {
        at: r.get("at_ms")?,
        action: r.get("action")?,
        actor_id: r.get("actor_id")?,
        actor_name: r.get("actor_name")?,
        department: r.get("dept_path")?,
        note: r.get("note")?,
        public: r.get("is_public")?,
    })
}
