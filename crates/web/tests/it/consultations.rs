//! Consultations over HTTP: a citizen comments on a section; three people's reports hide the
//! comment from everyone but the department, whose administrator publishes it again; the
//! administrator publishes the feedback report (a reason is required when not adopted), shown
//! under the draft.

use crate::support::{PASSWORD, Server, browser, csrf_of, sets, sign_in, sign_in_with_mfa};
use jiff::ToSpan;
use tongban_interact::{ConsultationInput, DeptRef, Section};
use tongban_kernel::{Principal, Role};
use tongban_test_support::each_backend;

/// 民政局, with its administrator `mz_admin` added.
async fn mz_admin(s: &Server) -> tongban_identity::Department {
    crate::support::add_staff(s, "mz_admin", "9901-MZ", Role::DeptAdmin).await
}

#[tokio::test]
async fn comments_reports_moderation_and_feedback() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        let mz = mz_admin(&s).await;
        let sys = Principal::system("test");
        let today = s.interact.today();
        let k = s
            .interact
            .create_consultation(
                &sys,
                ConsultationInput {
                    department: DeptRef {
                        id: mz.id.to_string(),
                        path: mz.path.clone(),
                        name_zh: "民政局".into(),
                    },
                    title: "养老服务条例（征求意见稿）".into(),
                    summary: "公开征求意见".into(),
                    sections: vec![Section {
                        heading: "第一条".into(),
                        text: "为了规范养老服务，制定本条例。".into(),
                    }],
                    opens_on: today,
                    closes_on: today.checked_add(20.days()).unwrap(),
                    pre_moderation: false,
                },
            )
            .await
            .unwrap();
        let page_url = s.url(&format!("/consultations/{}", k.id));
        let citizen = browser();
        sign_in(&citizen, &s, "citizen1", PASSWORD).await;
        let list = citizen
            .get(s.url("/consultations"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(list.contains("养老服务条例"));
        let page = citizen.get(&page_url).send().await.unwrap().text().await.unwrap();
        let comment_url = format!("{page_url}/comment");
        let r = citizen
            .post(&comment_url)
            .form(&[
                ("csrf", csrf_of(&page)),
                ("section", "0".into()),
                ("text", "  ".into()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let r = citizen
            .post(&comment_url)
            .form(&[
                ("csrf", csrf_of(&page)),
                ("section", "0".into()),
                ("text", "建议增加<b>社区食堂</b>".into()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let page = citizen.get(&page_url).send().await.unwrap().text().await.unwrap();
        assert!(
            page.contains("建议增加&lt;b&gt;社区食堂&lt;/b&gt;")
                || page.contains("建议增加&#60;b&#62;社区食堂"),
            "{page}"
        );
        let report_path = page
            .split("action=\"")
            .filter_map(|p| p.split('"').next())
            .find(|p| p.ends_with("/report"))
            .unwrap()
            .to_string();

        // An account made today reports it: it stays (accounts made to hide comments weigh
        // nothing).
        let report_as = |who: &'static str| {
            let (s, page_url, report_path) = (&s, page_url.clone(), report_path.clone());
            async move {
                let b = browser();
                sign_in(&b, s, who, PASSWORD).await;
                let p = b.get(&page_url).send().await.unwrap().text().await.unwrap();
                b.post(s.url(&report_path))
                    .form(&[("csrf", csrf_of(&p))])
                    .send()
                    .await
                    .unwrap()
            }
        };
        assert_eq!(report_as("ga_colleague").await.status(), 303);
        let anon = browser()
            .get(&page_url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            anon.contains("社区食堂"),
            "one new account's report hides nothing: {anon}"
        );
        // Three established accounts report it: hidden from the public.
        let long_ago = tongban_kernel::Millis::now().plus_ms(-400 * 24 * 60 * 60 * 1000);
        for who in ["citizen1", "ga_clerk", "mz_clerk"] {
            s.identity
                .db()
                .execute(
                    "UPDATE accounts SET created_ms = $1 WHERE username = $2",
                    tongban_db::params![long_ago, who],
                )
                .await
                .unwrap();
        }
        for who in ["citizen1", "ga_clerk", "mz_clerk"] {
            let b = browser();
            sign_in(&b, &s, who, PASSWORD).await;
            let p = b.get(&page_url).send().await.unwrap().text().await.unwrap();
            let r = b
                .post(s.url(&report_path))
                .form(&[("csrf", csrf_of(&p))])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 303, "{who}");
            let to = r.headers()["location"].to_str().unwrap().to_string();
            let back = b.get(s.url(&to)).send().await.unwrap().text().await.unwrap();
            assert!(back.contains("已收到您的举报"), "the reporter is told: {back}");
        }
        let anon = browser()
            .get(&page_url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!anon.contains("社区食堂"), "{anon}");

        // The administrator sees it waiting and publishes the feedback while it is still hidden:
        // the public report must not show the hidden text.
        let admin = browser();
        sign_in_with_mfa(&admin, &s, "mz_admin").await;
        let p = admin.get(&page_url).send().await.unwrap().text().await.unwrap();
        assert!(p.contains("社区食堂") && p.contains("/moderate"), "{p}");
        assert!(p.contains("1 条意见内容相同"), "{p}");
        let group = p
            .split("name=\"a.")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let feedback_url = format!("{page_url}/feedback");
        let r = admin
            .post(&feedback_url)
            .form(&[
                ("csrf", csrf_of(&p)),
                (&format!("a.{group}"), "not_adopted".into()),
                (&format!("r.{group}"), String::new()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let r = admin
            .post(&feedback_url)
            .form(&[
                ("csrf", csrf_of(&p)),
                (&format!("a.{group}"), "partly".into()),
                (&format!("r.{group}"), "先在三个街道试点".into()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let anon = browser()
            .get(&page_url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            anon.contains("意见采纳情况") && anon.contains("部分采纳") && anon.contains("先在三个街道试点"),
            "{anon}"
        );
        assert!(
            !anon.contains("社区食堂") && anon.contains("该意见正在审核"),
            "{anon}"
        );

        // Published again after review: the comment and the report's line show it.
        let moderate = report_path.replace("/report", "/moderate");
        let r = admin
            .post(s.url(&moderate))
            .form(&[("csrf", csrf_of(&p)), ("decision", "publish".into())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let anon = browser()
            .get(&page_url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(anon.matches("社区食堂").count(), 2, "{anon}");
        assert!(!anon.contains("该意见正在审核"), "{anon}");
        // A clerk cannot moderate.
        let clerk = browser();
        sign_in(&clerk, &s, "mz_clerk", PASSWORD).await;
        let p = clerk.get(&page_url).send().await.unwrap().text().await.unwrap();
        assert!(!p.contains("/moderate"));
    })
    .await;
}

#[tokio::test]
async fn a_department_admin_publishes_a_consultation_and_a_survey_from_the_console() {
    each_backend(&sets(), |db| async move {
        let s = Server::start(db).await;
        mz_admin(&s).await;
        let clerk = browser();
        sign_in(&clerk, &s, "mz_clerk", PASSWORD).await;
        assert_eq!(
            clerk
                .get(s.url("/console/participation"))
                .send()
                .await
                .unwrap()
                .status(),
            403
        );
        let admin = browser();
        sign_in_with_mfa(&admin, &s, "mz_admin").await;
        let page = admin
            .get(s.url("/console/participation"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("发布问卷") && page.contains("发布意见征集"),
            "{page}"
        );
        let today = s.interact.today();
        let until = today.checked_add(10.days()).unwrap();
        let survey = |questions: &str| {
            vec![
                ("csrf", csrf_of(&page)),
                ("s_title", "便民服务满意度".to_string()),
                ("s_intro", "请花一分钟作答".to_string()),
                ("s_questions", questions.to_string()),
                ("s_opens", today.to_string()),
                ("s_closes", until.to_string()),
            ]
        };
        let url = s.url("/console/participation/surveys");
        let r = admin
            .post(&url)
            .form(&survey("*满意度 | 评分\n渠道 | 判断题"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let body = r.text().await.unwrap();
        assert!(
            body.contains("第2行") && body.contains("渠道 | 判断题"),
            "named and kept: {body}"
        );
        let r = admin
            .post(&url)
            .form(&survey("*满意度 | 单选 | 只有一项"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "one option is not a choice");
        let r = admin
            .post(&url)
            .form(&survey(
                "*总体满意度 | 评分\n常用渠道 | 多选 | 网站；手机；窗口\n建议 | 文本",
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_string();
        let shown = admin.get(s.url(&to)).send().await.unwrap().text().await.unwrap();
        assert!(
            shown.contains("便民服务满意度") && shown.contains("常用渠道"),
            "{shown}"
        );

        let r = admin
            .post(s.url("/console/participation/consultations"))
            .form(&[
                ("csrf", csrf_of(&page)),
                ("c_title", "社区养老服务办法（草案）".to_string()),
                ("c_summary", "征求意见".to_string()),
                (
                    "c_sections",
                    "第一条\n为了规范社区养老服务。\n\n第二条\n本办法自公布之日起施行。".to_string(),
                ),
                ("c_opens", today.to_string()),
                ("c_closes", until.to_string()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_string();
        let shown = browser()
            .get(s.url(&to))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            shown.contains("第二条") && shown.contains("本办法自公布之日起施行"),
            "{shown}"
        );
    })
    .await;
}
