//! 好差评: the applicant rates a finished case once; a bad rating needs a reason and opens a
//! rectification due in 15 working days (counted across 劳动节 and its make-up Saturday), which
//! only the department's supervisors see and close with measures and a call-back record.

use crate::support::{World, citizen, conflict, forbidden, invalid, staff};
use jiff::civil::date;
use tongban_hall::{MIGRATIONS, RatingInput, RatingLevel, RectificationClose, RectificationStatus, Urgency};
use tongban_kernel::{Page, Role};
use tongban_test_support::each_backend;

#[tokio::test]
async fn a_bad_rating_opens_a_rectification_due_in_fifteen_working_days_that_supervisors_close() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        w.set_today(date(2026, 4, 30));
        let (item, _) = w.item_with("GA-RATE", 10, w.plain_steps()).await;
        let zhang = citizen("zhang");
        let clerk = staff("ga-clerk", &w.police, Role::Clerk);
        let case = w.apply(&zhang, &item, "rate-000001").await.case;
        let good = |level| RatingInput {
            level,
            comment: String::new(),
        };

        // Not before it is finished.
        conflict(
            w.hall
                .rate_case(&zhang, &case.id, good(RatingLevel::VerySatisfied))
                .await,
            "status",
        );
        w.hall
            .refuse_case(&clerk, &case.id, "材料不属于本部门受理范围")
            .await
            .unwrap();
        // Only the applicant rates; a bad rating needs its reason.
        forbidden(
            w.hall
                .rate_case(&clerk, &case.id, good(RatingLevel::Satisfied))
                .await,
        );
        invalid(
            w.hall
                .rate_case(&zhang, &case.id, good(RatingLevel::VeryDissatisfied))
                .await,
            "comment",
        );
        invalid(
            w.hall
                .rate_case(
                    &zhang,
                    &case.id,
                    RatingInput {
                        level: RatingLevel::Satisfied,
                        comment: "好".repeat(501),
                    },
                )
                .await,
            "comment",
        );
        let rating = w
            .hall
            .rate_case(
                &zhang,
                &case.id,
                RatingInput {
                    level: RatingLevel::Dissatisfied,
                    comment: "窗口说不清楚该去哪个部门".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(rating.level, RatingLevel::Dissatisfied);
        // Once.
        conflict(
            w.hall
                .rate_case(&zhang, &case.id, good(RatingLevel::VerySatisfied))
                .await,
            "rating",
        );
        assert_eq!(
            w.hall.rating(&clerk, &case.id).await.unwrap().unwrap().comment,
            "窗口说不清楚该去哪个部门"
        );
        let view = w.hall.case(&zhang, &case.id).await.unwrap();
        assert!(
            view.log
                .iter()
                .any(|e| e.action == "rated" && e.note.starts_with("不满意"))
        );

        // The rectification: 15 working days from Thursday 30 April, skipping 1–5 May and
        // counting Saturday 9 May (调休), is Monday 25 May.
        let leader = staff("ga-leader", &w.police, Role::Leader);
        let list = w
            .hall
            .rectifications(&leader, &w.police.path, Page::default())
            .await
            .unwrap();
        assert_eq!(list.len(), 1);
        let r = &list[0];
        assert_eq!((r.opened_on, r.due_on), (date(2026, 4, 30), date(2026, 5, 25)));
        assert_eq!(r.status, RectificationStatus::Open);
        assert_eq!(r.case_number, case.number);
        assert_eq!(w.events("hall.rectification.opened").await.len(), 1);
        // Yellow two working days before, red after.
        w.set_today(date(2026, 5, 21));
        let r = w.hall.rectification(&leader, &list[0].id).await.unwrap();
        assert_eq!(r.urgency, Urgency::DueSoon);
        w.set_today(date(2026, 5, 26));
        let r = w.hall.rectification(&leader, &list[0].id).await.unwrap();
        assert_eq!(r.urgency, Urgency::Overdue);

        // A clerk, or another department's supervisor, may neither see nor close it.
        forbidden(
            w.hall
                .rectifications(&clerk, &w.police.path, Page::default())
                .await,
        );
        let other = staff("mz-leader", &w.civil, Role::Leader);
        forbidden(w.hall.rectification(&other, &r.id).await);
        let close = |version| RectificationClose {
            measures: "窗口增设首问负责引导岗".into(),
            callback: "电话回访，申请人表示认可".into(),
            applicant_satisfied: true,
            version,
        };
        forbidden(w.hall.close_rectification(&other, &r.id, close(r.version)).await);
        invalid(
            w.hall
                .close_rectification(
                    &leader,
                    &r.id,
                    RectificationClose {
                        callback: " ".into(),
                        ..close(r.version)
                    },
                )
                .await,
            "callback",
        );
        conflict(
            w.hall
                .close_rectification(&leader, &r.id, close(r.version + 5))
                .await,
            "version",
        );
        let closed = w
            .hall
            .close_rectification(&leader, &r.id, close(r.version))
            .await
            .unwrap();
        assert_eq!(closed.status, RectificationStatus::Closed);
        assert_eq!(closed.applicant_satisfied, Some(true));
        assert_eq!(closed.urgency, Urgency::Normal);
        conflict(
            w.hall
                .close_rectification(&leader, &r.id, close(closed.version))
                .await,
            "status",
        );
        let events = w.events("hall.rectification.closed").await;
        assert_eq!(events.len(), 1);
        assert!(events[0].detail.contains("\"late\":true"));

        // A good rating opens nothing.
        let second = w.apply(&zhang, &item, "rate-000002").await.case;
        w.hall.refuse_case(&clerk, &second.id, "重复申请").await.unwrap();
        w.hall
            .rate_case(&zhang, &second.id, good(RatingLevel::Neutral))
            .await
            .unwrap();
        assert_eq!(w.events("hall.rectification.opened").await.len(), 1);
    })
    .await;
}

/// A December rectification runs into a year whose holidays are not announced: its date is
/// provisional (暂定) until the year is entered, then recounted with an event.
#[tokio::test]
async fn a_december_rectification_is_provisional_and_recounted_when_next_year_is_entered() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        w.set_today(date(2026, 12, 21));
        let (item, _) = w.item_with("GA-RATE-12", 10, w.plain_steps()).await;
        let zhang = citizen("zhang");
        let clerk = staff("ga-clerk", &w.police, Role::Clerk);
        let case = w.apply(&zhang, &item, "rate-december-1").await.case;
        w.hall
            .refuse_case(&clerk, &case.id, "材料不属于本部门受理范围")
            .await
            .unwrap();
        w.hall
            .rate_case(
                &zhang,
                &case.id,
                RatingInput {
                    level: RatingLevel::Dissatisfied,
                    comment: "窗口说不清楚该去哪个部门".into(),
                },
            )
            .await
            .unwrap();
        let leader = staff("ga-leader", &w.police, Role::Leader);
        let open = |w: &World| {
            let (hall, path) = (w.hall.clone(), w.police.path.clone());
            let leader = leader.clone();
            async move { hall.rectifications(&leader, &path, Page::default()).await.unwrap().remove(0) }
        };
        // Mon 21 Dec + 15 working days, 元旦 (1 Jan) statutory: Tue 12 Jan, provisional.
        let r = open(&w).await;
        assert_eq!(r.due_on, date(2027, 1, 12));
        assert!(r.due_provisional);
        w.hall
            .calendar()
            .merge_toml(
                "[2027]\nholidays = [{ name = \"元旦\", from = \"2027-01-01\", to = \"2027-01-04\" }]\nmakeup_workdays = []\n",
            )
            .unwrap();
        let recount = w
            .hall
            .recount_due_days(&tongban_kernel::Principal::system("calendar"), 2027)
            .await
            .unwrap();
        assert_eq!((recount.checked, recount.moved), (1, 1), "the refused case is closed; its rectification is open");
        let r = open(&w).await;
        assert_eq!(r.due_on, date(2027, 1, 13));
        assert!(!r.due_provisional);
        assert_eq!(w.events("hall.rectification.due_recounted").await.len(), 1);
    })
    .await;
}
