use crate::support::{World, by_phone, citizen, forbidden, invalid, item, staff, street_light, system};
use tongban_interact::{
    ContactInput, ContactPreference, DeptRef, Error, ItemId, ItemKind, LocationInput, MIGRATIONS,
    NewCategory, RatingInput, ReplyInput, Satisfaction,
};
use tongban_kernel::{DeptPath, Page, Principal, Role};
use tongban_test_support::each_backend;

async fn item_count(w: &World) -> i64 {
    w.db.fetch_one("SELECT COUNT(*) AS n FROM interact_items", tongban_db::params![])
        .await
        .unwrap()
        .get("n")
        .unwrap()
}

#[tokio::test]
async fn oversized_text_bad_coordinates_and_unknown_categories_are_named_by_field() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let zhang = citizen("zhang");
        let ok = || item(ItemKind::Inquiry, "household", "落户", "新生儿落户需要什么材料？");

        let mut long = ok();
        long.text = "字".repeat(4001);
        invalid(w.ix.submit(&zhang, long).await, "text");
        let mut empty = ok();
        empty.text = " \n ".into();
        invalid(w.ix.submit(&zhang, empty).await, "text");
        let mut title = ok();
        title.title = "标".repeat(101);
        invalid(w.ix.submit(&zhang, title).await, "title");
        let mut control = ok();
        control.title = "落户\u{0}".into();
        invalid(w.ix.submit(&zhang, control).await, "title");

        for (lat, lon, field) in [
            (91.0, 120.0, "location.latitude"),
            (-90.5, 120.0, "location.latitude"),
            (f64::NAN, 120.0, "location.latitude"),
            (30.0, 181.0, "location.longitude"),
            (30.0, f64::NEG_INFINITY, "location.longitude"),
        ] {
            invalid(
                w.ix.submit(&zhang, street_light("路灯", lat, lon, "")).await,
                field,
            );
        }
        let mut half = ok();
        half.location = Some(LocationInput {
            latitude: Some(30.0),
            ..Default::default()
        });
        invalid(w.ix.submit(&zhang, half).await, "location.longitude");
        let mut district = ok();
        district.location = Some(LocationInput {
            district: "../../etc".into(),
            ..Default::default()
        });
        invalid(w.ix.submit(&zhang, district).await, "location.district");
        let mut address = ok();
        address.location = Some(LocationInput {
            address: "路".repeat(201),
            ..Default::default()
        });
        invalid(w.ix.submit(&zhang, address).await, "location.address");

        for category in ["no_such_category", "", "x' OR '1'='1", "路灯"] {
            let mut unknown = ok();
            unknown.category = category.into();
            invalid(w.ix.submit(&zhang, unknown).await, "category");
        }
        // An inactive category takes no new items.
        w.ix.update_category(
            &system(),
            NewCategory {
                code: "other".into(),
                name_zh: "其他".into(),
                name_en: String::new(),
            },
            false,
        )
        .await
        .unwrap();
        let mut retired = ok();
        retired.category = "other".into();
        invalid(w.ix.submit(&zhang, retired).await, "category");

        let mut phone = ok();
        phone.contact = by_phone("张三", "12345");
        invalid(w.ix.submit(&zhang, phone).await, "contact.phone");
        let mut sms = ok();
        sms.contact = ContactInput {
            preference: ContactPreference::Sms,
            ..Default::default()
        };
        invalid(w.ix.submit(&zhang, sms).await, "contact.phone");
        let mut email = ok();
        email.contact = ContactInput {
            preference: ContactPreference::Email,
            email: "<script>@x".into(),
            ..Default::default()
        };
        invalid(w.ix.submit(&zhang, email).await, "contact.email");

        assert_eq!(item_count(&w).await, 0, "nothing was saved");
        assert!(w.events("interact.item.submitted").await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn who_may_submit_and_how_often_anonymously() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let anonymous = Principal::anonymous();
        let suggestion = |key: Option<&str>| {
            let mut s = item(ItemKind::Suggestion, "other", "建议", "建议在翠苑路增设公交站。");
            s.source_key = key.map(str::to_string);
            s
        };
        forbidden(
            w.ix.submit(
                &anonymous,
                item(ItemKind::Complaint, "household", "投诉", "态度差"),
            )
            .await,
        );
        invalid(w.ix.submit(&anonymous, suggestion(None)).await, "source_key");
        for _ in 0..3 {
            w.submit(&anonymous, suggestion(Some("ip-hash-a"))).await;
        }
        match w.ix.submit(&anonymous, suggestion(Some("ip-hash-a"))).await {
            Err(Error::RateLimited { why }) => tongban_test_support::said_in_both(&why),
            other => panic!("expected RateLimited, got {other:?}"),
        }
        // Another source is not limited by the first; an hour later the first may go on.
        w.submit(&anonymous, suggestion(Some("ip-hash-b"))).await;
        w.set_today(jiff::civil::date(2026, 3, 3));
        w.submit(&anonymous, suggestion(Some("ip-hash-a"))).await;
        // The source key is never stored as given.
        let raw: i64 =
            w.db.fetch_one(
                "SELECT COUNT(*) AS n FROM interact_items WHERE source_hash = $1",
                tongban_db::params!["ip-hash-a"],
            )
            .await
            .unwrap()
            .get("n")
            .unwrap();
        assert_eq!(raw, 0);
        // Staff accounts file nothing in their own name.
        forbidden(
            w.ix.submit(
                &staff("cg-clerk", &w.urban, Role::Clerk),
                item(ItemKind::Inquiry, "household", "落户", "问题"),
            )
            .await,
        );
        // Anonymous items have no inbox and nobody can rate them as their submitter.
        let mine = w.ix.my_items(&citizen("li"), Page::default()).await.unwrap();
        assert_eq!(mine.total, 0);
        forbidden(w.ix.my_items(&anonymous, Page::default()).await);
    })
    .await;
}

#[tokio::test]
async fn bad_input_to_staff_operations_is_named_and_forged_ids_find_nothing() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let zhang = citizen("zhang");
        let view = w
            .submit(
                &zhang,
                item(ItemKind::Inquiry, "household", "落户", "新生儿落户需要什么材料？"),
            )
            .await;
        let id = view.item.id.clone();
        let clerk = staff("ga-clerk", &w.police, Role::Clerk);

        let bad_path = DeptRef {
            path: DeptPath("/3301/../../".into()),
            ..w.civil.clone()
        };
        invalid(
            w.ix.transfer(&clerk, &id, bad_path, "原因").await,
            "department.path",
        );
        let bad_id = DeptRef {
            id: "1 OR 1=1".into(),
            ..w.civil.clone()
        };
        invalid(w.ix.transfer(&clerk, &id, bad_id, "原因").await, "department.id");
        invalid(w.ix.transfer(&clerk, &id, w.civil.clone(), "  ").await, "reason");
        invalid(
            w.ix.transfer(&clerk, &id, w.civil.clone(), &"因".repeat(1001))
                .await,
            "reason",
        );
        invalid(
            w.ix.reply(
                &clerk,
                &id,
                ReplyInput {
                    text: "答".repeat(4001),
                },
            )
            .await,
            "text",
        );
        invalid(w.ix.check_reply(&clerk, &id, "").await, "text");
        invalid(
            w.ix.set_time_limit(&system(), ItemKind::Inquiry, None, 0).await,
            "days",
        );
        invalid(
            w.ix.set_time_limit(&system(), ItemKind::Inquiry, Some("nope"), 5)
                .await,
            "category",
        );
        invalid(
            w.ix.add_category(
                &system(),
                NewCategory {
                    code: "bad code!".into(),
                    name_zh: "坏".into(),
                    name_en: String::new(),
                },
            )
            .await,
            "code",
        );
        crate::support::conflict(
            w.ix.add_category(
                &system(),
                NewCategory {
                    code: "household".into(),
                    name_zh: "重复".into(),
                    name_en: String::new(),
                },
            )
            .await,
            "code",
        );

        w.answer(
            &view,
            "办理新生儿落户请携带出生医学证明和父母户口簿，到户籍所在地派出所户籍窗口办理。",
        )
        .await;
        invalid(
            w.ix.rate(
                &zhang,
                &id,
                RatingInput {
                    satisfaction: Satisfaction::Satisfied,
                    comment: "评".repeat(501),
                    reopen: false,
                },
            )
            .await,
            "comment",
        );
        invalid(
            w.ix.rate(
                &zhang,
                &id,
                RatingInput {
                    satisfaction: Satisfaction::Satisfied,
                    comment: String::new(),
                    reopen: true,
                },
            )
            .await,
            "reopen",
        );

        let forged = ItemId::new();
        assert!(matches!(
            w.ix.get_item(&clerk, &forged).await,
            Err(Error::NotFound { what: "item" })
        ));
        assert!(matches!(
            w.ix.board_entry(&forged).await,
            Err(Error::NotFound { .. })
        ));
        assert_eq!(ItemId::parse("id", "../../etc/passwd").unwrap_err().field, "id");
        let too_many: Vec<tongban_interact::NotificationId> = (0..501)
            .map(|_| tongban_interact::NotificationId::new())
            .collect();
        invalid(w.ix.mark_read(&zhang, &too_many).await, "ids");
    })
    .await;
}
