//! In-app messages: the applicant hears of each public step of their own case, the staff of a
//! role hear when a task reaches them and when the applicant acts; nobody else hears anything;
//! reading marks one's own messages read.

use crate::support::{World, citizen, staff};
use tongban_hall::MIGRATIONS;
use tongban_kernel::{Page, Principal, Role};
use tongban_test_support::each_backend;

fn page() -> Page {
    Page { limit: 50, offset: 0 }
}

async fn actions(w: &World, who: &Principal) -> Vec<String> {
    let mut a: Vec<String> = w
        .hall
        .notifications(who, page())
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.action)
        .collect();
    a.reverse();
    a
}

#[tokio::test]
async fn each_change_reaches_the_people_it_concerns_and_no_one_else() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let (item, _) = w.item_with("GA-MSG", 10, w.plain_steps()).await;
        let zhang = citizen("zhang");
        let li = citizen("li");
        let clerk = staff("ga-clerk", &w.police, Role::Clerk);
        let reviewer = staff("ga-reviewer", &w.police, Role::Reviewer);
        let other = staff("mz-clerk", &w.civil, Role::Clerk);

        let case = w.apply(&zhang, &item, "msg-000001").await.case;
        assert_eq!(actions(&w, &zhang).await, ["hall.case.submitted"]);
        assert_eq!(actions(&w, &clerk).await, ["hall.task.opened"], "the accept task");
        assert!(actions(&w, &reviewer).await.is_empty());
        w.hall.accept_case(&clerk, &case.id, "").await.unwrap();
        assert_eq!(
            actions(&w, &zhang).await,
            ["hall.case.submitted", "hall.case.accepted"]
        );
        assert_eq!(
            actions(&w, &reviewer).await,
            ["hall.task.opened"],
            "now the review task"
        );
        let first = &w.hall.notifications(&zhang, page()).await.unwrap()[0];
        assert!(
            first.message.contains(&case.number)
                && first.message.contains("受理")
                && first.message.contains(" / "),
            "{}",
            first.message
        );
        assert_eq!(first.role, None);
        assert_eq!(
            w.hall.notifications(&reviewer, page()).await.unwrap()[0].role,
            Some(Role::Reviewer)
        );

        // The applicant withdraws: the clerks hear of it.
        w.hall.withdraw_case(&zhang, &case.id, "不再需要").await.unwrap();
        assert_eq!(
            actions(&w, &clerk).await,
            ["hall.task.opened", "hall.case.withdrawn"]
        );
        assert_eq!(
            actions(&w, &zhang).await.last().map(String::as_str),
            Some("hall.case.withdrawn")
        );

        // Nobody else hears anything.
        assert!(actions(&w, &li).await.is_empty());
        assert!(actions(&w, &other).await.is_empty());
        // A leader over the whole city holding the clerk role there hears the clerks' messages.
        let city = tongban_hall::DeptRef {
            id: "city".into(),
            path: tongban_kernel::DeptPath("/3301/".into()),
            name_zh: "市".into(),
        };
        assert_eq!(
            actions(&w, &staff("city-clerk", &city, Role::Clerk)).await.len(),
            2
        );

        // Reading marks one's own messages read (role messages have no read state).
        assert_eq!(w.hall.unread_notifications(&zhang).await.unwrap(), 3);
        assert_eq!(w.hall.mark_notifications_read(&zhang).await.unwrap(), 3);
        assert_eq!(w.hall.unread_notifications(&zhang).await.unwrap(), 0);
        assert_eq!(w.hall.mark_notifications_read(&zhang).await.unwrap(), 0);
        assert!(
            w.hall
                .notifications(&zhang, page())
                .await
                .unwrap()
                .iter()
                .all(|n| n.read.is_some())
        );
        assert_eq!(w.events("hall.notification.read").await.len(), 1);
        assert!(
            w.hall
                .notifications(&Principal::system("test"), page())
                .await
                .is_err()
        );
    })
    .await;
}

#[tokio::test]
async fn a_refusal_is_told_in_the_words_of_the_items_kind_and_once() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        // The test item is a public service (公共服务), not an administrative licence.
        let (item, _) = w.item_with("GA-NO", 10, w.plain_steps()).await;
        assert_eq!(item.item_type, tongban_hall::ItemType::PublicService);
        let zhang = citizen("zhang");
        let clerk = staff("ga-clerk", &w.police, Role::Clerk);
        let reviewer = staff("ga-reviewer", &w.police, Role::Reviewer);
        let approver = staff("ga-approver", &w.police, Role::Approver);
        let latest = |w: &World| {
            let hall = w.hall.clone();
            let zhang = zhang.clone();
            async move {
                hall.notifications(&zhang, page()).await.unwrap()[0]
                    .message
                    .clone()
            }
        };

        let refused = w.apply(&zhang, &item, "no-0000001").await.case;
        w.hall
            .refuse_case(&clerk, &refused.id, "不属于本部门职权范围")
            .await
            .unwrap();
        let told = latest(&w).await;
        assert_eq!(told.matches("不予受理").count(), 1, "said once: {told}");

        let denied = w.apply(&zhang, &item, "no-0000002").await.case;
        w.hall.accept_case(&clerk, &denied.id, "").await.unwrap();
        w.hall
            .review_case(
                &reviewer,
                &denied.id,
                tongban_hall::ReviewInput {
                    agree: true,
                    opinion: "同意".into(),
                },
            )
            .await
            .unwrap();
        w.hall
            .decide_case(
                &approver,
                &denied.id,
                tongban_hall::DecisionInput {
                    outcome: tongban_hall::Outcome::Deny,
                    reasons: "居住不满半年".into(),
                    legal_basis: "第九条".into(),
                },
            )
            .await
            .unwrap();
        let told = latest(&w).await;
        assert!(told.contains("不予办理") && !told.contains("不予许可"), "{told}");
    })
    .await;
}
