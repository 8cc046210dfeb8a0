//! Surveys over HTTP: listed on the portal, answered on one page once per account (a second
//! answer and a missing required answer are refused on the page), results drawn as SVG bars
//! with free text for the department's staff only (escaped), and the staff's CSV/XLSX export.

use crate::support::{PASSWORD, Server, browser, csrf_of, sets, sign_in};
use jiff::ToSpan;
use tongban_interact::{DeptRef, Question, QuestionKind, SurveyInput};
use tongban_kernel::Principal;
use tongban_test_support::each_backend;

#[tokio::test]
async fn a_citizen_answers_once_and_the_department_reads_and_exports_the_results() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let sys = Principal::system("test");
        let mz = s.identity.department_by_code(&sys, "9901-MZ").await.unwrap();
        let today = s.interact.today();
        let survey = s
            .interact
            .create_survey(
                &sys,
                SurveyInput {
                    department: DeptRef {
                        id: mz.id.to_string(),
                        path: mz.path.clone(),
                        name_zh: "民政局".into(),
                    },
                    title: "养老服务需求调查".into(),
                    intro: "了解老年人照护需求".into(),
                    questions: vec![
                        Question {
                            text: "家中是否有80岁以上老人？".into(),
                            kind: QuestionKind::Single {
                                options: vec!["有".into(), "没有".into()],
                            },
                            required: true,
                        },
                        Question {
                            text: "对社区养老服务的评价".into(),
                            kind: QuestionKind::Rating,
                            required: true,
                        },
                        Question {
                            text: "其他建议".into(),
                            kind: QuestionKind::Text,
                            required: false,
                        },
                    ],
                    opens_on: today,
                    closes_on: today.checked_add(30.days()).unwrap(),
                },
            )
            .await
            .unwrap();
        let id = survey.id.to_string();
        let citizen = browser();
        sign_in(&citizen, &s, "citizen1", PASSWORD).await;
        let get = |c: &reqwest::Client, p: String| c.get(s.url(&p)).send();
        let list = get(&citizen, "/surveys".into())
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(list.contains("养老服务需求调查") && list.contains(&format!("/surveys/{id}")));
        let page = get(&citizen, format!("/surveys/{id}"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("name=\"q1\"") && page.contains("非常满意"),
            "{page}"
        );

        let post =
            |form: Vec<(&str, String)>| citizen.post(s.url(&format!("/surveys/{id}"))).form(&form).send();
        let csrf = csrf_of(&page);
        let r = post(vec![("csrf", csrf.clone()), ("q0", "0".into())])
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("请回答：对社区养老服务的评价"));
        let r = post(vec![
            ("csrf", csrf.clone()),
            ("q0", "0".into()),
            ("q1", "4".into()),
            ("q2", "<script>alert(1)</script>希望增加助餐点".into()),
        ])
        .await
        .unwrap();
        assert_eq!(r.status(), 303);
        let results = get(&citizen, format!("/surveys/{id}/results?thanks=1"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            results.contains("感谢您的参与") && results.contains("<svg"),
            "{results}"
        );
        assert!(results.contains("1 · 100.0%"));
        assert!(!results.contains("希望增加助餐点"), "free text is not public");
        // What the figures mean is said: the rating scale, and that words are not public.
        assert!(results.contains("1分最不满意，5分最满意"), "{results}");
        assert!(results.contains("文字回答仅向组织部门展示"), "{results}");
        assert!(!results.contains("export.csv"));
        let again = post(vec![("csrf", csrf), ("q0", "1".into()), ("q1", "1".into())])
            .await
            .unwrap();
        assert_eq!(again.status(), 422);
        assert!(again.text().await.unwrap().contains("您已作答过此问卷"));

        let clerk = browser();
        sign_in(&clerk, &s, "mz_clerk", PASSWORD).await;
        let theirs = get(&clerk, format!("/surveys/{id}/results"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            theirs.contains("希望增加助餐点") && theirs.contains("export.csv"),
            "{theirs}"
        );
        assert!(!theirs.contains("<script>alert(1)</script>"), "escaped");
        let csv = get(&clerk, format!("/surveys/{id}/export.csv")).await.unwrap();
        assert_eq!(csv.status(), 200);
        let body = csv.text().await.unwrap();
        assert!(
            body.contains("家中是否有80岁以上老人？") && body.contains("希望增加助餐点"),
            "{body}"
        );
        let xlsx = get(&clerk, format!("/surveys/{id}/export.xlsx")).await.unwrap();
        assert_eq!(xlsx.status(), 200);
        assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
        assert_eq!(
            get(&citizen, format!("/surveys/{id}/export.csv"))
                .await
                .unwrap()
                .status(),
            403
        );
        assert_eq!(
            get(&clerk, format!("/surveys/{id}/export.pdf"))
                .await
                .unwrap()
                .status(),
            404
        );
        assert_eq!(
            get(&citizen, "/surveys/not-an-id".into()).await.unwrap().status(),
            404
        );
    })
    .await;
}
