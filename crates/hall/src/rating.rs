//! 好差评: the applicant rates a finished case once, on five levels with a comment; a bad rating
//! (不满意 or 非常不满意, a reason required) opens a rectification (整改) for the case's
//! department, due in [`RECTIFY_DAYS`] working days on the legal calendar, which the
//! department's supervisors close with the measures taken and the call-back (回访) to the
//! applicant. Every step commits with its event.

use crate::access::Access;
use crate::error::decode_err;
use crate::events::{CaseRated, RectificationClosed, RectificationOpened};
use crate::store::{LogDraft, case_event, log};
use crate::{Case, CaseId, CaseStatus, Error, Hall, Result, Urgency};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tongban_db::{EventDraft, Row, params};
use tongban_kernel::msg;
use tongban_kernel::{DeptPath, Millis, Page, Permission, Principal, input};

/// Most characters of a rating comment, the measures or the call-back record.
pub const MAX_COMMENT: usize = 500;

/// Working days a department has to rectify after a bad rating.
pub const RECTIFY_DAYS: u32 = 15;

coded_enum!(
    /// The five levels of 好差评 (GB/T 39735 style).
    RatingLevel {
        /// 非常满意.
        VerySatisfied = "5", "非常满意", "Very satisfied";
        /// 满意.
        Satisfied = "4", "满意", "Satisfied";
        /// 基本满意.
        Neutral = "3", "基本满意", "Fairly satisfied";
        /// 不满意.
        Dissatisfied = "2", "不满意", "Dissatisfied";
        /// 非常不满意.
        VeryDissatisfied = "1", "非常不满意", "Very dissatisfied";
    }
);

impl RatingLevel {
    /// 1 (非常不满意) to 5 (非常满意).
    pub fn score(self) -> i64 {
        match self {
            RatingLevel::VerySatisfied => 5,
            RatingLevel::Satisfied => 4,
            RatingLevel::Neutral => 3,
            RatingLevel::Dissatisfied => 2,
            RatingLevel::VeryDissatisfied => 1,
        }
    }

    /// The level of a stored score.
    pub fn from_score(n: i64) -> Option<Self> {
        Self::parse(&n.to_string())
    }

    /// 差评: opens a rectification and needs a reason.
    pub fn is_bad(self) -> bool {
        self.score() <= 2
    }
}

/// What the applicant gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingInput {
    /// The level.
    pub level: RatingLevel,
    /// Comment; required for a bad rating.
    #[serde(default)]
    pub comment: String,
}

/// A case's rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rating {
    /// The case.
    pub case_id: CaseId,
    /// The level.
    pub level: RatingLevel,
    /// The comment (may be empty for good ratings).
    pub comment: String,
    /// When.
    pub rated: Millis,
}

coded_enum!(
    /// Where a rectification stands.
    RectificationStatus {
        /// 整改中.
        Open = "open", "整改中", "Open";
        /// 已整改并回访.
        Closed = "closed", "已整改", "Closed";
    }
);

/// 整改: what a bad rating asks of the department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rectification {
    /// Its id.
    pub id: String,
    /// The rated case.
    pub case_id: CaseId,
    /// Its number.
    pub case_number: String,
    /// The service.
    pub item_name: String,
    /// The department that must rectify.
    pub dept_path: DeptPath,
    /// Its name.
    pub dept_name: String,
    /// The rating level.
    pub level: RatingLevel,
    /// The applicant's reason.
    pub complaint: String,
    /// Opened on.
    pub opened_on: Date,
    /// Due on (15 working days later).
    pub due_on: Date,
    /// Open or closed.
    pub status: RectificationStatus,
    /// 整改措施 (when closed).
    pub measures: String,
    /// 回访记录 (when closed).
    pub callback: String,
    /// Whether the applicant was satisfied at the call-back.
    pub applicant_satisfied: Option<bool>,
    /// Closed when.
    pub closed: Option<Millis>,
    /// Yellow / red as of today (normal once closed).
    pub urgency: Urgency,
    /// The due day runs through a year whose holiday schedule is not announced yet (暂定).
    pub due_provisional: bool,
    /// Change counter.
    pub version: i64,
}

/// Closing a rectification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RectificationClose {
    /// 整改措施: what the department changed.
    pub measures: String,
    /// 回访记录: what the applicant said when called back.
    pub callback: String,
    /// Whether the applicant was satisfied.
    pub applicant_satisfied: bool,
    /// The version read (a stale one is refused).
    pub version: i64,
}

const RECT_COLUMNS: &str = "id, case_id, case_number, item_name, dept_path, dept_name, level, complaint, \
     opened_on, due_on, status, measures, callback, applicant_satisfied, closed_ms, version";

fn date_of(r: &Row, column: &str) -> Result<Date> {
    let text: String = r.get(column)?;
    text.parse::<Date>()
        .map_err(|e| decode_err(column, e.to_string()))
}

fn level_of(n: i64) -> Result<RatingLevel> {
    RatingLevel::from_score(n).ok_or_else(|| decode_err("level", format!("unknown level {n}")))
}

/// Finished cases may be rated.
const RATEABLE: [CaseStatus; 3] = [CaseStatus::Completed, CaseStatus::Denied, CaseStatus::NotAccepted];

impl Hall {
    fn rectification_from_row(&self, r: &Row) -> Result<Rectification> {
        let status: String = r.get("status")?;
        let status = RectificationStatus::parse(&status)
            .ok_or_else(|| decode_err("status", format!("unknown status {status}")))?;
        let due_on = date_of(r, "due_on")?;
        let urgency = if status == RectificationStatus::Closed {
            Urgency::Normal
        } else {
            (self.urgency_fn())(Some(due_on))
        };
        let satisfied: Option<i64> = r.get("applicant_satisfied")?;
        let opened_on = date_of(r, "opened_on")?;
        Ok(Rectification {
            due_provisional: status != RectificationStatus::Closed
                && self.calendar.provisional_between(opened_on, due_on),
            id: r.get("id")?,
            case_id: CaseId(r.get("case_id")?),
            case_number: r.get("case_number")?,
            item_name: r.get("item_name")?,
            dept_path: DeptPath(r.get("dept_path")?),
            dept_name: r.get("dept_name")?,
            level: level_of(r.get("level")?)?,
            complaint: r.get("complaint")?,
            opened_on,
            due_on,
            status,
            measures: r.get("measures")?,
            callback: r.get("callback")?,
            applicant_satisfied: satisfied.map(|n| n != 0),
            closed: r.get::<Option<i64>>("closed_ms")?.map(Millis),
            urgency,
            version: r.get("version")?,
        })
    }

    /// 好差评: the applicant rates their finished case (办结, 不予许可 or 不予受理) once. A bad
    /// rating needs a reason and opens a rectification for the department, due in
    /// [`RECTIFY_DAYS`] working days.
    pub async fn rate_case(&self, actor: &Principal, id: &CaseId, rating: RatingInput) -> Result<Rating> {
        let comment = if rating.level.is_bad() {
            input::text("comment", &rating.comment, MAX_COMMENT).map_err(|_| {
                Error::invalid(
                    "comment",
                    msg!("bad-rating-needs-reason", max_comment = MAX_COMMENT),
                )
            })?
        } else {
            input::optional_text("comment", &rating.comment, MAX_COMMENT)?
        };
        let mut l = self.load(actor, id).await?;
        if l.access != Access::Applicant {
            return Err(Error::forbidden(msg!("only-applicant-may-rate")));
        }
        if !RATEABLE.contains(&l.case.status) {
            return Err(Error::conflict("status", msg!("case-can-rated-once")));
        }
        let now = self.now();
        let inserted =
            l.tx.execute(
                "INSERT INTO hall_ratings (case_id, applicant_id, dept_path, level, comment, rated_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (case_id) DO NOTHING",
                params![
                    id.as_str(),
                    actor.id.clone(),
                    l.case.department.path.0.clone(),
                    rating.level.score(),
                    comment.clone(),
                    now.0
                ],
            )
            .await?;
        if inserted == 0 {
            return Err(Error::conflict("rating", msg!("case-can-rated-once-2")));
        }
        let note = if comment.is_empty() {
            rating.level.name_zh().to_string()
        } else {
            format!("{}：{comment}", rating.level.name_zh())
        };
        log(
            &mut l.tx,
            id,
            actor,
            now,
            LogDraft {
                action: "rated",
                department: None,
                note: &note,
                public: true,
            },
        )
        .await?;
        case_event(
            &mut l.tx,
            actor,
            CaseRated {
                level: rating.level.score(),
            },
            &l.case,
            ("好差评", "rated"),
        )
        .await?;
        if rating.level.is_bad() {
            self.open_rectification(&mut l.tx, actor, &l.case, rating.level, &comment)
                .await?;
        }
        l.tx.commit().await?;
        Ok(Rating {
            case_id: id.clone(),
            level: rating.level,
            comment,
            rated: now,
        })
    }

    async fn open_rectification(
        &self,
        tx: &mut tongban_db::Tx,
        actor: &Principal,
        case: &Case,
        level: RatingLevel,
        complaint: &str,
    ) -> Result<()> {
        let today = self.today();
        let due = self
            .calendar
            .add_working_days(today, RECTIFY_DAYS)
            .map_err(|e| Error::invalid("calendar", e.to_string()))?;
        let rid = tongban_kernel::id::new_uuid_v7();
        tx.execute(
            &format!(
                "INSERT INTO hall_rectifications ({RECT_COLUMNS}, dept_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', '', '', NULL, NULL, 1, $11)"
            ),
            params![
                rid.clone(),
                case.id.as_str(),
                case.number.clone(),
                case.item_name.clone(),
                case.department.path.0.clone(),
                case.department.name_zh.clone(),
                level.score(),
                complaint.to_string(),
                today.to_string(),
                due.to_string(),
                case.department.id.clone()
            ],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &RectificationOpened {
                    case: case.id.as_str().into(),
                    number: case.number.clone(),
                    level: level.score(),
                    due_on: due.to_string(),
                },
                &rid,
                Some(&case.department.path),
                msg!(
                    "rectification-opened",
                    number = &case.number,
                    due = due.to_string()
                ),
            ),
        )
        .await?;
        Ok(())
    }

    /// A case's rating, for its applicant and handling staff.
    pub async fn rating(&self, actor: &Principal, id: &CaseId) -> Result<Option<Rating>> {
        self.case(actor, id).await?;
        let Some(r) = self
            .db
            .fetch_optional(
                "SELECT level, comment, rated_ms FROM hall_ratings WHERE case_id = $1",
                params![id.as_str()],
            )
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(Rating {
            case_id: id.clone(),
            level: level_of(r.get("level")?)?,
            comment: r.get("comment")?,
            rated: Millis(r.get("rated_ms")?),
        }))
    }

    /// The rectifications of the subtree `scope` (`SuperviseCases` over it): open ones first,
    /// soonest due first.
    pub async fn rectifications(
        &self,
        actor: &Principal,
        scope: &DeptPath,
        page: Page,
    ) -> Result<Vec<Rectification>> {
        actor.require(Permission::SuperviseCases, Some(scope))?;
        let hi = crate::query::subtree_end(scope);
        self.db
            .fetch_all(
                &format!(
                    "SELECT {RECT_COLUMNS} FROM hall_rectifications WHERE dept_path >= $1 AND dept_path < $2 \
                     ORDER BY CASE WHEN status = 'open' THEN 0 ELSE 1 END, due_on, id LIMIT $3 OFFSET $4"
                ),
                params![scope.0.clone(), hi, page.limit, page.offset],
            )
            .await?
            .iter()
            .map(|r| self.rectification_from_row(r))
            .collect()
    }

    /// One rectification, for `SuperviseCases` over its department.
    pub async fn rectification(&self, actor: &Principal, id: &str) -> Result<Rectification> {
        let r = self
            .db
            .fetch_optional(
                &format!("SELECT {RECT_COLUMNS} FROM hall_rectifications WHERE id = $1"),
                params![id],
            )
            .await?
            .ok_or(Error::NotFound {
                what: "rectification",
            })?;
        let rect = self.rectification_from_row(&r)?;
        actor.require(Permission::SuperviseCases, Some(&rect.dept_path))?;
        Ok(rect)
    }

    /// Closes a rectification with the measures taken and the call-back record
    /// (`SuperviseCases` over its department).
    #[tracing::instrument(skip_all)]
    pub async fn close_rectification(
        &self,
        actor: &Principal,
        id: &str,
        close: RectificationClose,
    ) -> Result<Rectification> {
        let measures = input::text("measures", &close.measures, MAX_COMMENT)?;
        let callback = input::text("callback", &close.callback, MAX_COMMENT)?;
        let rect = self.rectification(actor, id).await?;
        if rect.status == RectificationStatus::Closed {
            return Err(Error::conflict("status", msg!("already-closed")));
        }
        let mut tx = self.db.begin_write().await?;
        let n = tx
            .execute(
                "UPDATE hall_rectifications SET status = 'closed', measures = $1, callback = $2, \
                 applicant_satisfied = $3, closed_by = $4, closed_ms = $5, version = version + 1 \
                 WHERE id = $6 AND version = $7 AND status = 'open'",
                params![
                    measures.clone(),
                    callback.clone(),
                    i64::from(close.applicant_satisfied),
                    actor.id.clone(),
                    self.now().0,
                    id,
                    close.version
                ],
            )
            .await?;
        if n == 0 {
            return Err(Error::conflict("version", msg!("changed-someone-else-reload")));
        }
        tx.append_event(
            actor,
            EventDraft::of(
                &RectificationClosed {
                    case: rect.case_id.as_str().into(),
                    satisfied: close.applicant_satisfied,
                    late: self.today() > rect.due_on,
                },
                id,
                Some(&rect.dept_path),
                msg!("rectification-closed", number = &rect.case_number),
            ),
        )
        .await?;
        tx.commit().await?;
        self.rectification(actor, id).await
    }
}
