//! Surveys: published by the department's administrator with checked questions; answered once
//! per verified account — a burst of simultaneous answers from one account stores exactly one;
//! answers must fit their questions; results come from the counters, with free text for staff
//! only; a closed survey takes no answers; the export has every answer and no identity.

use crate::support::{World, citizen, conflict, forbidden, invalid, staff};
use jiff::civil::date;
use std::collections::BTreeMap;
use tongban_interact::{Answer, MIGRATIONS, Question, QuestionKind, SurveyInput};
use tongban_kernel::Role;
use tongban_test_support::each_backend;

fn questions() -> Vec<Question> {
    vec![
        Question {
            text: "您使用过哪些办事渠道？".into(),
            kind: QuestionKind::Multiple {
                options: vec!["网站".into(), "手机".into(), "窗口".into()],
            },
            required: true,
        },
        Question {
            text: "最常用的是？".into(),
            kind: QuestionKind::Single {
                options: vec!["网站".into(), "手机".into(), "窗口".into()],
            },
            required: true,
        },
        Question {
            text: "总体满意度".into(),
            kind: QuestionKind::Rating,
            required: true,
        },
        Question {
            text: "还有什么建议？".into(),
            kind: QuestionKind::Text,
            required: false,
        },
    ]
}

fn input(w: &World) -> SurveyInput {
    SurveyInput {
        department: w.civil.clone(),
        title: "政务服务渠道满意度调查".into(),
        intro: "了解您使用各渠道的体验，结果用于改进服务。".into(),
        questions: questions(),
        opens_on: date(2026, 3, 1),
        closes_on: date(2026, 3, 31),
    }
}

fn answers(channels: &[u32], main: u32, rating: u32, text: &str) -> BTreeMap<usize, Answer> {
    let mut a = BTreeMap::new();
    a.insert(0, Answer::Choices(channels.to_vec()));
    a.insert(1, Answer::Choices(vec![main]));
    a.insert(2, Answer::Choices(vec![rating]));
    if !text.is_empty() {
        a.insert(3, Answer::Text(text.into()));
    }
    a
}

#[tokio::test]
async fn one_answer_per_account_counted_as_it_arrives() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let admin = staff("mz-admin", &w.civil, Role::DeptAdmin);
        let clerk = staff("mz-clerk", &w.civil, Role::Clerk);

        // Publishing: the administrator only, with sound questions and dates.
        forbidden(w.ix.create_survey(&clerk, input(&w)).await);
        forbidden(
            w.ix.create_survey(&staff("ga-admin", &w.police, Role::DeptAdmin), input(&w))
                .await,
        );
        invalid(
            w.ix.create_survey(
                &admin,
                SurveyInput {
                    questions: Vec::new(),
                    ..input(&w)
                },
            )
            .await,
            "questions",
        );
        let mut one_option = input(&w);
        one_option.questions[1].kind = QuestionKind::Single {
            options: vec!["仅一项".into()],
        };
        invalid(
            w.ix.create_survey(&admin, one_option).await,
            "questions[1].options",
        );
        invalid(
            w.ix.create_survey(
                &admin,
                SurveyInput {
                    closes_on: date(2026, 2, 1),
                    ..input(&w)
                },
            )
            .await,
            "closes_on",
        );
        let survey = w.ix.create_survey(&admin, input(&w)).await.unwrap();

        // Answers must fit; staff cannot answer as the public.
        let zhang = citizen("zhang");
        forbidden(
            w.ix.answer_survey(&clerk, &survey.id, &answers(&[0], 0, 5, ""))
                .await,
        );
        let mut missing = answers(&[0], 0, 5, "");
        missing.remove(&1);
        invalid(
            w.ix.answer_survey(&zhang, &survey.id, &missing).await,
            "answers[1]",
        );
        invalid(
            w.ix.answer_survey(&zhang, &survey.id, &answers(&[0], 0, 6, ""))
                .await,
            "answers[2]",
        );
        invalid(
            w.ix.answer_survey(&zhang, &survey.id, &answers(&[7], 0, 5, ""))
                .await,
            "answers[0]",
        );
        let mut extra = answers(&[0], 0, 5, "");
        extra.insert(9, Answer::Text("?".into()));
        invalid(w.ix.answer_survey(&zhang, &survey.id, &extra).await, "answers[9]");

        // The same account answering many times at once: exactly one answer is stored.
        let mut burst = Vec::new();
        for _ in 0..8 {
            let ix = w.ix.clone();
            let who = zhang.clone();
            let id = survey.id.clone();
            burst.push(tokio::spawn(async move {
                ix.answer_survey(&who, &id, &answers(&[0, 1], 1, 4, "希望增加夜间窗口"))
                    .await
            }));
        }
        let mut stored = 0;
        for b in burst {
            match b.await.unwrap() {
                Ok(()) => stored += 1,
                Err(e) => assert_eq!(e.field(), Some("survey"), "{e}"),
            }
        }
        assert_eq!(stored, 1);
        conflict(
            w.ix.answer_survey(&zhang, &survey.id, &answers(&[0], 0, 5, ""))
                .await,
            "survey",
        );
        assert!(w.ix.has_answered(&zhang, &survey.id).await.unwrap());

        for (n, (ch, main, rating)) in [(vec![2], 2, 2), (vec![0, 2], 0, 5)].into_iter().enumerate() {
            let who = citizen(&format!("c{n}"));
            w.ix.answer_survey(&who, &survey.id, &answers(&ch, main, rating, ""))
                .await
                .unwrap();
        }

        // Results from the counters.
        let public = w.ix.survey_results(None, &survey.id).await.unwrap();
        assert_eq!(public.survey.responses, 3);
        let counts = |q: usize| {
            public.questions[q]
                .counts
                .iter()
                .map(|(_, n)| *n)
                .collect::<Vec<_>>()
        };
        assert_eq!(counts(0), [2, 1, 2]);
        assert_eq!(counts(1), [1, 1, 1]);
        assert_eq!(counts(2), [0, 1, 0, 1, 1]);
        assert_eq!(public.questions[2].average, Some((4.0 + 2.0 + 5.0) / 3.0));
        assert_eq!(public.questions[3].answered, 1);
        assert!(public.questions[3].texts.is_empty(), "free text is not public");
        let staff_view = w.ix.survey_results(Some(&clerk), &survey.id).await.unwrap();
        assert_eq!(staff_view.questions[3].texts, ["希望增加夜间窗口"]);

        // The export: a header and one row per answer, without who gave it.
        forbidden(w.ix.survey_rows(&zhang, &survey.id).await);
        let (header, rows) = w.ix.survey_rows(&clerk, &survey.id).await.unwrap();
        assert_eq!(header.len(), 5);
        assert_eq!(rows.len(), 3);
        assert!(
            rows.iter()
                .any(|r| r[1] == "网站；手机" && r[4] == "希望增加夜间窗口")
        );
        assert!(rows.iter().all(|r| !r.iter().any(|c| c.contains(&zhang.id))));

        // Closed: no more answers.
        w.set_today(date(2026, 4, 1));
        conflict(
            w.ix.answer_survey(&citizen("late"), &survey.id, &answers(&[0], 0, 5, ""))
                .await,
            "survey",
        );
        assert_eq!(w.events("interact.survey.answered").await.len(), 3);
    })
    .await;
}
