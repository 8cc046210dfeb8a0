//! Consultations: a draft in sections takes comments while open; three reports from different
//! people hide a comment until staff review it (one person's reports count once); pre-moderated
//! comments wait for approval; near-identical comments form one group; the feedback report needs
//! reasons for what is not adopted.

use crate::support::{World, citizen, conflict, forbidden, invalid, staff};
use jiff::civil::date;
use tongban_interact::{
    Adoption, CommentStatus, ConsultationInput, FeedbackEntry, MIGRATIONS, Moderation, Section,
};
use tongban_kernel::Role;
use tongban_test_support::each_backend;

fn draft(w: &World, pre_moderation: bool) -> ConsultationInput {
    ConsultationInput {
        department: w.civil.clone(),
        title: "《示范市养老服务条例（征求意见稿）》".into(),
        summary: "现公开征求社会各界意见。".into(),
        sections: vec![
            Section {
                heading: "第一条".into(),
                text: "为了规范养老服务……".into(),
            },
            Section {
                heading: "第二条".into(),
                text: "本市行政区域内的养老服务……".into(),
            },
        ],
        opens_on: date(2026, 3, 1),
        closes_on: date(2026, 3, 31),
        pre_moderation,
    }
}

#[tokio::test]
async fn reports_weighed_by_account_age_hide_a_comment_and_the_same_views_are_grouped() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let admin = staff("mz-admin", &w.civil, Role::DeptAdmin);
        forbidden(
            w.ix.create_consultation(&staff("mz-clerk", &w.civil, Role::Clerk), draft(&w, false))
                .await,
        );
        invalid(
            w.ix.create_consultation(
                &admin,
                ConsultationInput {
                    sections: Vec::new(),
                    ..draft(&w, false)
                },
            )
            .await,
            "sections",
        );
        let c = w.ix.create_consultation(&admin, draft(&w, false)).await.unwrap();

        // Comments: on an existing section, while open; the same view joins one group.
        let zhang = citizen("张三");
        invalid(w.ix.comment(&zhang, &c.id, 5, "意见").await, "section");
        invalid(w.ix.comment(&zhang, &c.id, 0, "  ").await, "text");
        let first =
            w.ix.comment(&zhang, &c.id, 0, "建议将社区养老服务站的开放时间延长到晚上八点")
                .await
                .unwrap();
        assert_eq!(first.status, CommentStatus::Published);
        assert_eq!(first.author, "张*");
        let mut same = Vec::new();
        for (n, text) in [
            "建议将社区养老服务站的开放时间延长到晚上八点。",
            "建议将社区养老服务站的开放时间延长到晚上八点！！",
            "建议 将社区养老服务站的开放时间延长到晚上八点",
        ]
        .iter()
        .enumerate()
        {
            same.push(
                w.ix.comment(&citizen(&format!("c{n}")), &c.id, 0, text)
                    .await
                    .unwrap(),
            );
        }
        assert!(same.iter().all(|s| s.group == first.id), "{same:?}");
        let other =
            w.ix.comment(&citizen("李四"), &c.id, 1, "第二条应明确农村地区的适用范围")
                .await
                .unwrap();
        assert_eq!(other.group, other.id);
        let groups = w.ix.comment_groups(&c.id).await.unwrap();
        assert_eq!((groups[0].group.clone(), groups[0].count), (first.id.clone(), 4));
        assert_eq!(groups[1].count, 1);

        // Reports weigh by the account's age: accounts made today do not hide a comment however
        // many there are, a fortnight-old one counts half, an established one whole.
        let today = w.ix.now();
        let fortnight = today.plus_ms(-14 * 24 * 60 * 60 * 1000);
        let long_ago = today.plus_ms(-400 * 24 * 60 * 60 * 1000);
        for n in 0..5 {
            let after =
                w.ix.report_comment(&citizen(&format!("new{n}")), &other.id, today)
                    .await
                    .unwrap();
            assert_eq!(
                after.status,
                CommentStatus::Published,
                "made-today accounts do not hide it"
            );
        }
        // One person's report counts once.
        let r1 = citizen("r1");
        w.ix.report_comment(&r1, &other.id, long_ago).await.unwrap();
        conflict(w.ix.report_comment(&r1, &other.id, long_ago).await, "comment");
        let after =
            w.ix.report_comment(&citizen("r2"), &other.id, long_ago)
                .await
                .unwrap();
        assert_eq!((after.reports, after.status), (7, CommentStatus::Published));
        let after =
            w.ix.report_comment(&citizen("r3"), &other.id, fortnight)
                .await
                .unwrap();
        assert_eq!(
            after.status,
            CommentStatus::Published,
            "two and a half established reports"
        );
        let after =
            w.ix.report_comment(&citizen("r4"), &other.id, fortnight)
                .await
                .unwrap();
        assert_eq!((after.reports, after.status), (9, CommentStatus::Pending));
        let public = w.ix.consultation_comments(None, &c.id).await.unwrap();
        assert!(!public.iter().any(|x| x.id == other.id), "hidden from the public");
        let staff_view = w.ix.consultation_comments(Some(&admin), &c.id).await.unwrap();
        assert!(
            staff_view
                .iter()
                .any(|x| x.id == other.id && x.status == CommentStatus::Pending)
        );
        // Staff review it: shown again.
        forbidden(
            w.ix.moderate_comment(
                &staff("ga-admin", &w.police, Role::DeptAdmin),
                &other.id,
                Moderation::Publish,
            )
            .await,
        );
        let back =
            w.ix.moderate_comment(&admin, &other.id, Moderation::Publish)
                .await
                .unwrap();
        assert_eq!(back.status, CommentStatus::Published);
        conflict(
            w.ix.moderate_comment(&admin, &other.id, Moderation::Reject).await,
            "status",
        );

        // Pre-moderation: nothing shows before approval.
        let pre = w.ix.create_consultation(&admin, draft(&w, true)).await.unwrap();
        let waiting = w.ix.comment(&zhang, &pre.id, 0, "支持").await.unwrap();
        assert_eq!(waiting.status, CommentStatus::Pending);
        assert!(
            w.ix.consultation_comments(None, &pre.id)
                .await
                .unwrap()
                .is_empty()
        );
        w.ix.moderate_comment(&admin, &waiting.id, Moderation::Reject)
            .await
            .unwrap();
        assert!(
            w.ix.consultation_comments(None, &pre.id)
                .await
                .unwrap()
                .is_empty()
        );

        // The feedback report: a reason for what is not adopted.
        let entries = vec![
            FeedbackEntry {
                group: first.id.clone(),
                adoption: Adoption::Partly,
                reason: String::new(),
            },
            FeedbackEntry {
                group: other.id.clone(),
                adoption: Adoption::Adopted,
                reason: String::new(),
            },
        ];
        invalid(
            w.ix.publish_feedback(&admin, &c.id, &entries).await,
            "entries[0].reason",
        );
        let mut entries = entries;
        entries[0].reason = "延长至晚上七点，兼顾运营成本".into();
        w.ix.publish_feedback(&admin, &c.id, &entries).await.unwrap();
        let report = w.ix.feedback(&c.id).await.unwrap();
        assert_eq!(report.len(), 2);
        assert_eq!(report[0].count, 4);
        assert_eq!(report[0].adoption, Adoption::Partly);
        assert!(
            w.ix.consultation(&c.id)
                .await
                .unwrap()
                .feedback_published
                .is_some()
        );

        // Closed: no more comments.
        w.set_today(date(2026, 4, 1));
        conflict(w.ix.comment(&zhang, &c.id, 0, "迟到的意见").await, "consultation");
        assert_eq!(w.events("interact.consultation.reported").await.len(), 9);
    })
    .await;
}
