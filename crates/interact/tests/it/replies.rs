use crate::support::{World, citizen, conflict, forbidden, item, staff};
use tongban_interact::{
    BoardFilter, ItemKind, ItemStatus, MIGRATIONS, ReplyInput, ReplyRule, ReplyStatus, ReviewDecision,
};
use tongban_kernel::{ClockState, Page, Role};
use tongban_test_support::each_backend;

const QUESTION: &str = "翠苑小区门口的路灯坏了一个多月，晚上出行很不安全，请问什么时候能修好？";
/// Names the department, gives a date and a contact, addresses the street light.
const GOOD: &str = "您反映的翠苑小区门口路灯损坏问题，市城市管理局已安排维修人员，将于2026年3月6日前修复。\
                    如有疑问请致电0571-87654321。";

/// For each rule: a reply that raises it, and one that does not.
fn cases() -> Vec<(ReplyRule, String, String)> {
    vec![
        (
            ReplyRule::VaguePhrase,
            format!("{GOOD}此事我们正在研究。"),
            format!("{GOOD}经研究，依据《城市道路照明设施管理规定》第十二条处理。"),
        ),
        (
            ReplyRule::UnnamedDepartment,
            "您反映的小区门口路灯问题，我们已转交有关部门，将于2026年3月6日前修复，咨询电话12345。".into(),
            "您反映的小区门口路灯问题，已转市城市管理局等相关部门，将于2026年3月6日前修复，咨询电话12345。"
                .into(),
        ),
        (
            ReplyRule::NoNextStep,
            "您反映的小区门口路灯问题我们已经收到，感谢您对城市管理局工作的关注和支持。".into(),
            "您反映的小区门口路灯问题，城市管理局已安排人员维修。".into(),
        ),
        (
            ReplyRule::OffTopic,
            "您的医保报销申请已办结，款项将于2026年3月6日到账，咨询电话12345，市医疗保障局。".into(),
            GOOD.into(),
        ),
        (
            ReplyRule::SensitiveWord,
            format!("{GOOD}请不要无理取闹。"),
            format!("{GOOD}维修进度将在公众号滚动更新。"),
        ),
        (
            ReplyRule::PersonalData,
            format!("{GOOD}施工队负责人张建国13800138000。"),
            format!("{GOOD}工单编号2026-0302-000123。"),
        ),
    ]
}

#[tokio::test]
async fn each_reply_quality_rule_flags_its_case_and_not_the_other() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let view = w
            .submit(
                &citizen("zhang"),
                crate::support::street_light(QUESTION, 30.27, 120.15, ""),
            )
            .await;
        let clerk = staff("cg-clerk", &w.urban, Role::Clerk);
        assert_eq!(
            w.ix.check_reply(&clerk, &view.item.id, GOOD).await.unwrap(),
            vec![]
        );
        for (rule, positive, negative) in cases() {
            let flags = w.ix.check_reply(&clerk, &view.item.id, &positive).await.unwrap();
            assert!(
                flags.iter().any(|f| f.rule == rule),
                "{} should flag: {positive}\n{flags:?}",
                rule.code()
            );
            let flag = flags.iter().find(|f| f.rule == rule).unwrap();
            assert!(flag.reason.contains(" / "), "bilingual reason: {}", flag.reason);
            let flags = w.ix.check_reply(&clerk, &view.item.id, &negative).await.unwrap();
            assert!(
                !flags.iter().any(|f| f.rule == rule),
                "{} should not flag: {negative}\n{flags:?}",
                rule.code()
            );
        }
        forbidden(
            w.ix.check_reply(&staff("ga-clerk", &w.police, Role::Clerk), &view.item.id, GOOD)
                .await,
        );
    })
    .await;
}

#[tokio::test]
async fn a_private_reply_goes_out_at_once_with_its_advice() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let zhang = citizen("zhang");
        let view = w
            .submit(&zhang, crate::support::street_light(QUESTION, 30.27, 120.15, ""))
            .await;
        let clerk = staff("cg-clerk", &w.urban, Role::Clerk);
        let reply =
            w.ix.reply(
                &clerk,
                &view.item.id,
                ReplyInput {
                    text: "您反映的问题我们已经收到，正在研究。".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(reply.status, ReplyStatus::Sent, "flags advise; they never block");
        let rules: Vec<ReplyRule> = reply.flags.iter().map(|f| f.rule).collect();
        assert!(rules.contains(&ReplyRule::VaguePhrase), "{rules:?}");
        assert!(rules.contains(&ReplyRule::NoNextStep), "{rules:?}");
        let item = w.ix.get_item(&zhang, &view.item.id).await.unwrap();
        assert_eq!(item.item.status, ItemStatus::Replied);
        assert_eq!(item.deadline.unwrap().state, ClockState::Finished);
        conflict(
            w.ix.reply(&clerk, &view.item.id, ReplyInput { text: GOOD.into() })
                .await,
            "status",
        );
        // The citizen sees the reply without the advice or the author.
        let seen = w.ix.replies(&zhang, &view.item.id).await.unwrap();
        assert_eq!(seen.len(), 1);
        assert!(seen[0].flags.is_empty() && seen[0].author_name.is_empty());
        let staff_view = w.ix.replies(&clerk, &view.item.id).await.unwrap();
        assert_eq!(staff_view[0].flags, reply.flags);
        assert_eq!(
            w.ix.board(&BoardFilter::default(), Page::default())
                .await
                .unwrap()
                .total,
            0
        );
        let stats = w.ix.department_stats(Some(&w.urban.path)).await.unwrap();
        assert_eq!((stats[0].replied, stats[0].replied_on_time), (1, 1));
        assert_eq!(stats[0].average_reply_days(), Some(0.0));
        assert_eq!(w.events("interact.reply.sent").await.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_reply_to_a_public_item_needs_a_reviewer_other_than_its_author() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let zhang = citizen("zhang");
        let mut new = item(ItemKind::Inquiry, "social_aid", "低保", "请问低保申请需要哪些材料？");
        new.public = true;
        let view = w.submit(&zhang, new).await;
        let author = staff("mz-reviewer-a", &w.civil, Role::Reviewer);
        let clerk = staff("mz-clerk", &w.civil, Role::Clerk);
        let reviewer = staff("mz-reviewer-b", &w.civil, Role::Reviewer);
        let text = "申请低保请携带身份证、户口簿和收入证明，到户籍所在地街道办事处社会救助窗口提交，咨询电话0571-87654321。";
        let draft = w
            .ix
            .reply(&author, &view.item.id, ReplyInput { text: text.into() })
            .await
            .unwrap();
        assert_eq!(draft.status, ReplyStatus::AwaitingReview);
        assert_eq!(
            w.ix.get_item(&zhang, &view.item.id).await.unwrap().item.status,
            ItemStatus::InReview
        );
        forbidden(
            w.ix.review_reply(&author, &draft.id, ReviewDecision::Approve { publish: true })
                .await,
        );
        forbidden(
            w.ix.review_reply(&clerk, &draft.id, ReviewDecision::Approve { publish: true })
                .await,
        );
        forbidden(
            w.ix.review_reply(
                &staff("ga-reviewer", &w.police, Role::Reviewer),
                &draft.id,
                ReviewDecision::Approve { publish: true },
            )
            .await,
        );
        let back = w
            .ix
            .review_reply(
                &reviewer,
                &draft.id,
                ReviewDecision::SendBack {
                    note: "请补充办理时限".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(back.status, ReplyStatus::SentBack);
        assert_eq!(
            w.ix.get_item(&clerk, &view.item.id).await.unwrap().item.status,
            ItemStatus::InProgress
        );
        assert_eq!(w.ix.board(&BoardFilter::default(), Page::default()).await.unwrap().total, 0);

        let second = w
            .ix
            .reply(
                &clerk,
                &view.item.id,
                ReplyInput {
                    text: format!("{text}材料齐全的，街道将于10个工作日内完成审核。"),
                },
            )
            .await
            .unwrap();
        let sent = w
            .ix
            .review_reply(&reviewer, &second.id, ReviewDecision::Approve { publish: true })
            .await
            .unwrap();
        assert_eq!(sent.status, ReplyStatus::Sent);
        assert!(sent.publish);
        conflict(
            w.ix.review_reply(&reviewer, &second.id, ReviewDecision::Approve { publish: true })
                .await,
            "status",
        );
        let board = w.ix.board(&BoardFilter::default(), Page::default()).await.unwrap();
        assert_eq!(board.total, 1);
        assert_eq!(board.items[0].department_name, "民政局");
        assert!(board.items[0].reply.contains("10个工作日内"));
        let seen = w.ix.replies(&zhang, &view.item.id).await.unwrap();
        assert_eq!(seen.len(), 1, "the citizen never sees the draft sent back");
        let notes: Vec<String> = w
            .ix
            .notifications(&zhang, true, Page::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|n| n.event)
            .collect();
        assert_eq!(notes, ["replied", "in_review", "in_progress", "in_review", "submitted"]);
        assert_eq!(w.events("interact.reply.reviewed").await.len(), 2);
    })
    .await;
}

#[tokio::test]
async fn a_reviewer_may_send_a_public_item_reply_without_publishing_it() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let mut new = item(
            ItemKind::HelpRequest,
            "social_aid",
            "求助",
            "家中老人行动不便，能否申请上门服务？",
        );
        new.public = true;
        let view = w.submit(&citizen("wang"), new).await;
        let draft =
            w.ix.reply(
                &staff("mz-clerk", &w.civil, Role::Clerk),
                &view.item.id,
                ReplyInput {
                    text: "已安排社区工作人员于3月4日上门了解老人上门服务需求，联系电话0571-87654321。"
                        .into(),
                },
            )
            .await
            .unwrap();
        w.ix.review_reply(
            &staff("mz-reviewer", &w.civil, Role::Reviewer),
            &draft.id,
            ReviewDecision::Approve { publish: false },
        )
        .await
        .unwrap();
        assert_eq!(
            w.ix.board(&BoardFilter::default(), Page::default())
                .await
                .unwrap()
                .total,
            0
        );
        assert!(matches!(
            w.ix.board_entry(&view.item.id).await,
            Err(tongban_interact::Error::NotFound { .. })
        ));
    })
    .await;
}
