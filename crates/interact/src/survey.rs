//! Surveys and polls (问卷调查): a department publishes questions — single choice, multiple
//! choice, a rating from 1 to 5, free text — open between two dates; each signed-in citizen or
//! business answers once (the database refuses a second answer, however close together the two
//! arrive); the results are counters updated in the answer's own transaction, so reading them
//! costs the same at four hundred or four hundred thousand answers. Free-text answers are shown
//! to the department only; the public results are counts.

use crate::events::{SurveyAnswered, SurveyCreated};
use crate::{DeptRef, Error, Interact, Result, from_json, to_json};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tongban_db::{EventDraft, Row, params};
use tongban_kernel::msg;
use tongban_kernel::{Millis, Permission, Principal, PrincipalKind, Role, define_id, input};

define_id!(
    /// A survey's id.
    SurveyId
);

/// The most questions a survey may have.
pub const MAX_QUESTIONS: usize = 50;
/// The most options a choice question may have.
pub const MAX_OPTIONS: usize = 20;
/// The longest free-text answer, in characters.
pub const MAX_ANSWER: usize = 2000;

/// What kind of answer a question takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum QuestionKind {
    /// Exactly one of the options.
    Single {
        /// The options, in order.
        options: Vec<String>,
    },
    /// Any number of the options (at least one when required).
    Multiple {
        /// The options, in order.
        options: Vec<String>,
    },
    /// 1 (worst) to 5 (best).
    Rating,
    /// Free text.
    Text,
}

/// One question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    /// The question as asked.
    pub text: String,
    /// Its kind.
    pub kind: QuestionKind,
    /// Whether an answer is needed.
    pub required: bool,
}

/// A survey as a department publishes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyInput {
    /// The department running it.
    pub department: DeptRef,
    /// Title.
    pub title: String,
    /// What it is for and how answers are used.
    pub intro: String,
    /// The questions, in order.
    pub questions: Vec<Question>,
    /// First day answers are taken.
    pub opens_on: Date,
    /// Last day answers are taken.
    pub closes_on: Date,
}

/// A survey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Survey {
    /// Its id.
    pub id: SurveyId,
    /// The department running it.
    pub department: DeptRef,
    /// Title.
    pub title: String,
    /// Introduction.
    pub intro: String,
    /// The questions.
    pub questions: Vec<Question>,
    /// First day open.
    pub opens_on: Date,
    /// Last day open.
    pub closes_on: Date,
    /// Answers received.
    pub responses: u64,
    /// When it was published.
    pub created: Millis,
}

impl Survey {
    /// Whether it takes answers on `day`.
    pub fn open_on(&self, day: Date) -> bool {
        self.opens_on <= day && day <= self.closes_on
    }
}

/// One answer to one question, as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    /// Chosen option indexes (one for a single choice) or the rating.
    Choices(Vec<u32>),
    /// Free text.
    Text(String),
}

/// The results of one question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionResult {
    /// The question.
    pub question: Question,
    /// (label, count) for each option or rating level, in order; empty for free text.
    pub counts: Vec<(String, u64)>,
    /// How many answered it.
    pub answered: u64,
    /// The mean rating, for a rating question with answers.
    pub average: Option<f64>,
    /// The newest free-text answers (department staff only; empty for others).
    pub texts: Vec<String>,
}

/// A survey with its results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurveyResults {
    /// The survey.
    pub survey: Survey,
    /// Per question, in order.
    pub questions: Vec<QuestionResult>,
}

/// How many free-text answers the results show.
const SHOWN_TEXTS: i64 = 10;

fn check_question(n: usize, q: &Question) -> Result<Question> {
    let field = format!("questions[{n}]");
    let text = input::line(&format!("{field}.text"), &q.text, 200)?;
    let options = |options: &[String]| -> Result<Vec<String>> {
        if !(2..=MAX_OPTIONS).contains(&options.len()) {
            return Err(Error::invalid(
                format!("{field}.options"),
                msg!("choice-needs-2-max", max_options = MAX_OPTIONS),
            ));
        }
        options
            .iter()
            .enumerate()
            .map(|(i, o)| Ok(input::line(&format!("{field}.options[{i}]"), o, 100)?))
            .collect()
    };
    let kind = match &q.kind {
        QuestionKind::Single { options: o } => QuestionKind::Single { options: options(o)? },
        QuestionKind::Multiple { options: o } => QuestionKind::Multiple { options: options(o)? },
        QuestionKind::Rating => QuestionKind::Rating,
        QuestionKind::Text => QuestionKind::Text,
    };
    Ok(Question {
        text,
        kind,
        required: q.required,
    })
}

/// The counter slots an answer adds one to: option indexes (0-based), rating levels (1–5), or
/// slot 0 for a free-text answer. `None` for a question left unanswered.
fn check_answer(n: usize, q: &Question, a: Option<&Answer>) -> Result<Option<Vec<u32>>> {
    let field = format!("answers[{n}]");
    let empty = match a {
        None => true,
        Some(Answer::Choices(c)) => c.is_empty(),
        Some(Answer::Text(t)) => t.trim().is_empty(),
    };
    if empty {
        return if q.required {
            Err(Error::invalid(
                field,
                msg!("question-needs-answer", text = q.text),
            ))
        } else {
            Ok(None)
        };
    }
    let wrong = || Error::invalid(field.clone(), msg!("answer-does-not-fit"));
    let slots = match (&q.kind, a) {
        (QuestionKind::Single { options }, Some(Answer::Choices(c))) => {
            if c.len() != 1 || c[0] as usize >= options.len() {
                return Err(wrong());
            }
            c.clone()
        }
        (QuestionKind::Multiple { options }, Some(Answer::Choices(c))) => {
            let mut c = c.clone();
            c.sort_unstable();
            c.dedup();
            if c.iter().any(|&i| i as usize >= options.len()) {
                return Err(wrong());
            }
            c
        }
        (QuestionKind::Rating, Some(Answer::Choices(c))) => {
            if c.len() != 1 || !(1..=5).contains(&c[0]) {
                return Err(Error::invalid(field, msg!("rating-1-5")));
            }
            c.clone()
        }
        (QuestionKind::Text, Some(Answer::Text(t))) => {
            if t.chars().count() > MAX_ANSWER {
                return Err(Error::invalid(
                    field,
                    msg!("most-max-answer-characters", max_answer = MAX_ANSWER),
                ));
            }
            vec![0]
        }
        _ => return Err(wrong()),
    };
    Ok(Some(slots))
}

const COLUMNS: &str =
    "id, dept_id, dept_path, dept_name, title, intro, questions, opens_on, closes_on, responses, created_ms";

fn survey_from_row(r: &Row) -> Result<Survey> {
    let date = |col: &str| -> Result<Date> {
        r.get::<String>(col)?
            .parse()
            .map_err(|_| crate::error::decode_err(col, "not a date"))
    };
    Ok(Survey {
        id: SurveyId(r.get("id")?),
        department: DeptRef {
            id: r.get("dept_id")?,
            path: r.get("dept_path")?,
            name_zh: r.get("dept_name")?,
        },
        title: r.get("title")?,
        intro: r.get("intro")?,
        questions: from_json("questions", &r.get::<String>("questions")?)?,
        opens_on: date("opens_on")?,
        closes_on: date("closes_on")?,
        responses: u64::try_from(r.get::<i64>("responses")?).unwrap_or_default(),
        created: r.get("created_ms")?,
    })
}

/// Whether `actor` answers as a real-name citizen or business.
fn respondent(actor: &Principal) -> Result<()> {
    if actor.kind == PrincipalKind::User && (actor.has_role(Role::Citizen) || actor.has_role(Role::Business))
    {
        Ok(())
    } else {
        Err(Error::forbidden(msg!("sign-verified-citizen-business")))
    }
}

impl Interact {
    /// Publishes a survey for `new.department` (the actor manages participation there).
    #[tracing::instrument(skip_all)]
    pub async fn create_survey(&self, actor: &Principal, new: SurveyInput) -> Result<Survey> {
        actor.require(Permission::ManageParticipation, Some(&new.department.path))?;
        let title = input::line("title", &new.title, 100)?;
        let intro = input::text("intro", &new.intro, 4000)?;
        if new.questions.is_empty() || new.questions.len() > MAX_QUESTIONS {
            return Err(Error::invalid(
                "questions",
                msg!("survey-has-1-max", max_questions = MAX_QUESTIONS),
            ));
        }
        let questions = new
            .questions
            .iter()
            .enumerate()
            .map(|(n, q)| check_question(n, q))
            .collect::<Result<Vec<_>>>()?;
        if new.closes_on < new.opens_on {
            return Err(Error::invalid("closes_on", msg!("closing-day-cannot-before")));
        }
        let survey = Survey {
            id: SurveyId::new(),
            department: new.department,
            title,
            intro,
            questions,
            opens_on: new.opens_on,
            closes_on: new.closes_on,
            responses: 0,
            created: self.now(),
        };
        let mut tx = self.db.begin_write().await?;
        tx.execute(
            &format!(
                "INSERT INTO interact_surveys ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10)"
            ),
            params![
                survey.id.as_str(),
                survey.department.id.as_str(),
                survey.department.path.as_str(),
                survey.department.name_zh.as_str(),
                survey.title.as_str(),
                survey.intro.as_str(),
                to_json("questions", &survey.questions)?,
                survey.opens_on.to_string(),
                survey.closes_on.to_string(),
                survey.created
            ],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &SurveyCreated {
                    questions: survey.questions.len(),
                    opens_on: survey.opens_on,
                    closes_on: survey.closes_on,
                },
                survey.id.as_str(),
                Some(&survey.department.path),
                msg!("published-survey", title = survey.title),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(survey)
    }

    /// The survey `id`.
    pub async fn survey(&self, id: &SurveyId) -> Result<Survey> {
        self.db
            .fetch_optional(
                &format!("SELECT {COLUMNS} FROM interact_surveys WHERE id = $1"),
                params![id.as_str()],
            )
            .await?
            .map(|r| survey_from_row(&r))
            .transpose()?
            .ok_or(Error::NotFound { what: "survey" })
    }

    /// Surveys, newest first (all of them, open or closed).
    pub async fn surveys(&self, limit: u32) -> Result<Vec<Survey>> {
        self.db
            .fetch_all(
                &format!("SELECT {COLUMNS} FROM interact_surveys ORDER BY created_ms DESC, id DESC LIMIT $1"),
                params![limit.clamp(1, 500)],
            )
            .await?
            .iter()
            .map(survey_from_row)
            .collect()
    }

    /// Whether `actor` has answered survey `id`.
    pub async fn has_answered(&self, actor: &Principal, id: &SurveyId) -> Result<bool> {
        Ok(self
            .db
            .fetch_optional(
                "SELECT 1 AS one FROM interact_survey_responses WHERE survey_id = $1 AND respondent_id = $2",
                params![id.as_str(), actor.id.as_str()],
            )
            .await?
            .is_some())
    }

    /// Records `actor`'s answers (by question index) while the survey is open. A second answer
    /// from the same account is refused (`survey`), even when both arrive at once; the counters
    /// move in the same transaction.
    #[tracing::instrument(skip_all)]
    pub async fn answer_survey(
        &self,
        actor: &Principal,
        id: &SurveyId,
        answers: &BTreeMap<usize, Answer>,
    ) -> Result<()> {
        respondent(actor)?;
        let survey = self.survey(id).await?;
        if !survey.open_on(self.today()) {
            return Err(Error::conflict("survey", msg!("survey-not-open-answers")));
        }
        if let Some(n) = answers.keys().find(|&&n| n >= survey.questions.len()) {
            return Err(Error::invalid(format!("answers[{n}]"), msg!("no-such-question")));
        }
        let mut slots = Vec::new();
        for (n, q) in survey.questions.iter().enumerate() {
            if let Some(s) = check_answer(n, q, answers.get(&n))? {
                slots.push((n, s));
            }
        }
        let stored: BTreeMap<String, &Answer> = answers.iter().map(|(k, v)| (k.to_string(), v)).collect();
        let mut tx = self.db.begin_write().await?;
        let inserted = tx
            .execute(
                "INSERT INTO interact_survey_responses (survey_id, respondent_id, answers, submitted_ms) VALUES ($1, $2, $3, $4)",
                params![id.as_str(), actor.id.as_str(), to_json("answers", &stored)?, self.now()],
            )
            .await;
        match inserted {
            Ok(_) => {}
            Err(tongban_db::Error::Conflict(_)) => {
                return Err(Error::conflict("survey", msg!("you-have-already-answered")));
            }
            Err(e) => return Err(e.into()),
        }
        for (n, s) in &slots {
            for slot in s {
                tx.execute(
                    "INSERT INTO interact_survey_counts (survey_id, question, slot, n) VALUES ($1, $2, $3, 1) \
                     ON CONFLICT (survey_id, question, slot) DO UPDATE SET n = interact_survey_counts.n + 1",
                    params![id.as_str(), *n as i64, i64::from(*slot)],
                )
                .await?;
            }
            // Slot -1 counts who answered the question at all.
            tx.execute(
                "INSERT INTO interact_survey_counts (survey_id, question, slot, n) VALUES ($1, $2, -1, 1) \
                 ON CONFLICT (survey_id, question, slot) DO UPDATE SET n = interact_survey_counts.n + 1",
                params![id.as_str(), *n as i64],
            )
            .await?;
        }
        tx.execute(
            "UPDATE interact_surveys SET responses = responses + 1 WHERE id = $1",
            params![id.as_str()],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &SurveyAnswered {
                    questions: slots.len(),
                },
                id.as_str(),
                Some(&survey.department.path),
                msg!("answered-survey", title = survey.title),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The results: counts per option or rating level from the counters (never by reading the
    /// answers), the mean rating, and — for staff handling the department's interactions — the
    /// newest free-text answers.
    pub async fn survey_results(&self, actor: Option<&Principal>, id: &SurveyId) -> Result<SurveyResults> {
        let survey = self.survey(id).await?;
        let staff =
            actor.is_some_and(|a| a.allows(Permission::HandleInteractions, Some(&survey.department.path)));
        let rows = self
            .db
            .fetch_all(
                "SELECT question, slot, n FROM interact_survey_counts WHERE survey_id = $1",
                params![id.as_str()],
            )
            .await?;
        let mut counts: BTreeMap<(i64, i64), u64> = BTreeMap::new();
        for r in &rows {
            counts.insert(
                (r.get("question")?, r.get("slot")?),
                u64::try_from(r.get::<i64>("n")?).unwrap_or_default(),
            );
        }
        let texts = if staff {
            self.latest_texts(&survey).await?
        } else {
            BTreeMap::new()
        };
        let questions = survey
            .questions
            .iter()
            .enumerate()
            .map(|(n, q)| {
                let at = |slot: i64| counts.get(&(n as i64, slot)).copied().unwrap_or(0);
                let labels: Vec<(String, i64)> = match &q.kind {
                    QuestionKind::Single { options } | QuestionKind::Multiple { options } => options
                        .iter()
                        .enumerate()
                        .map(|(i, o)| (o.clone(), i as i64))
                        .collect(),
                    QuestionKind::Rating => (1..=5).map(|l| (l.to_string(), l)).collect(),
                    QuestionKind::Text => Vec::new(),
                };
                let counts: Vec<(String, u64)> = labels.into_iter().map(|(l, s)| (l, at(s))).collect();
                let answered = at(-1);
                let average = (matches!(q.kind, QuestionKind::Rating) && answered > 0).then(|| {
                    let sum: u64 = counts
                        .iter()
                        .enumerate()
                        .map(|(i, (_, c))| (i as u64 + 1) * c)
                        .sum();
                    sum as f64 / answered as f64
                });
                QuestionResult {
                    question: q.clone(),
                    counts,
                    answered,
                    average,
                    texts: texts.get(&n).cloned().unwrap_or_default(),
                }
            })
            .collect();
        Ok(SurveyResults { survey, questions })
    }

    /// The newest free-text answers per text question.
    async fn latest_texts(&self, survey: &Survey) -> Result<BTreeMap<usize, Vec<String>>> {
        let text_questions: Vec<usize> = survey
            .questions
            .iter()
            .enumerate()
            .filter(|(_, q)| q.kind == QuestionKind::Text)
            .map(|(n, _)| n)
            .collect();
        let mut out: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        if text_questions.is_empty() {
            return Ok(out);
        }
        // The newest answers carry the texts; a few hundred rows at most are read.
        let rows = self
            .db
            .fetch_all(
                "SELECT answers FROM interact_survey_responses WHERE survey_id = $1 \
                 ORDER BY submitted_ms DESC LIMIT $2",
                params![survey.id.as_str(), SHOWN_TEXTS * 20],
            )
            .await?;
        for r in &rows {
            let answers: BTreeMap<String, Answer> = from_json("answers", &r.get::<String>("answers")?)?;
            for &n in &text_questions {
                let list = out.entry(n).or_default();
                if list.len() < SHOWN_TEXTS as usize
                    && let Some(Answer::Text(t)) = answers.get(&n.to_string())
                    && !t.trim().is_empty()
                {
                    list.push(t.clone());
                }
            }
        }
        Ok(out)
    }

    /// Every answer as rows for export by the department's staff: a header of the questions,
    /// then one row per response (no respondent identity), oldest first.
    pub async fn survey_rows(
        &self,
        actor: &Principal,
        id: &SurveyId,
    ) -> Result<(Vec<String>, Vec<Vec<String>>)> {
        let survey = self.survey(id).await?;
        actor.require(Permission::HandleInteractions, Some(&survey.department.path))?;
        let header: Vec<String> = std::iter::once(msg!("submitted").to_string())
            .chain(survey.questions.iter().map(|q| q.text.clone()))
            .collect();
        let rows = self
            .db
            .fetch_all(
                "SELECT answers, submitted_ms FROM interact_survey_responses WHERE survey_id = $1 \
                 ORDER BY submitted_ms, respondent_id",
                params![id.as_str()],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let answers: BTreeMap<String, Answer> = from_json("answers", &r.get::<String>("answers")?)?;
            let at: Millis = r.get("submitted_ms")?;
            let mut line = vec![at.display_in(&self.zone)];
            for (n, q) in survey.questions.iter().enumerate() {
                line.push(match (answers.get(&n.to_string()), &q.kind) {
                    (Some(Answer::Text(t)), _) => t.clone(),
                    (
                        Some(Answer::Choices(c)),
                        QuestionKind::Single { options } | QuestionKind::Multiple { options },
                    ) => c
                        .iter()
                        .filter_map(|&i| options.get(i as usize).cloned())
                        .collect::<Vec<_>>()
                        .join("；"),
                    (Some(Answer::Choices(c)), _) => {
                        c.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
                    }
                    (None, _) => String::new(),
                });
            }
            out.push(line);
        }
        Ok((header, out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(kind: QuestionKind, required: bool) -> Question {
        Question {
            text: "q".into(),
            kind,
            required,
        }
    }

    #[test]
    fn answers_must_fit_their_question() {
        let single = q(
            QuestionKind::Single {
                options: vec!["a".into(), "b".into()],
            },
            true,
        );
        assert_eq!(
            check_answer(0, &single, Some(&Answer::Choices(vec![1]))).unwrap(),
            Some(vec![1])
        );
        assert!(check_answer(0, &single, Some(&Answer::Choices(vec![0, 1]))).is_err());
        assert!(check_answer(0, &single, Some(&Answer::Choices(vec![2]))).is_err());
        assert!(check_answer(0, &single, None).is_err(), "required");
        let multiple = q(
            QuestionKind::Multiple {
                options: vec!["a".into(), "b".into()],
            },
            false,
        );
        assert_eq!(
            check_answer(0, &multiple, Some(&Answer::Choices(vec![1, 0, 1]))).unwrap(),
            Some(vec![0, 1])
        );
        assert_eq!(check_answer(0, &multiple, None).unwrap(), None);
        let rating = q(QuestionKind::Rating, true);
        assert!(check_answer(0, &rating, Some(&Answer::Choices(vec![0]))).is_err());
        assert!(check_answer(0, &rating, Some(&Answer::Choices(vec![6]))).is_err());
        assert!(check_answer(0, &rating, Some(&Answer::Text("5".into()))).is_err());
        let text = q(QuestionKind::Text, false);
        assert!(check_answer(0, &text, Some(&Answer::Text("长".repeat(MAX_ANSWER + 1)))).is_err());
        assert_eq!(
            check_answer(0, &text, Some(&Answer::Text("  ".into()))).unwrap(),
            None
        );
    }
}
