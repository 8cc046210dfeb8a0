use crate::support::{World, by_phone, citizen, forbidden, item, staff};
use tongban_interact::{BoardFilter, ItemFilter, ItemKind, MIGRATIONS, NewItem, NotificationId};
use tongban_kernel::{Page, Principal, Role};
use tongban_test_support::each_backend;

const NAME: &str = "张伟";
const PHONE: &str = "13800138000";
const ID_NUMBER: &str = "11010519491231002X";
const NEIGHBOUR: &str = "李娜";
const NEIGHBOUR_PHONE: &str = "13912345678";

fn leaky_submission() -> NewItem {
    let mut new = item(
        ItemKind::Complaint,
        "road_lighting",
        &format!("路灯坏了，请联系{PHONE}"),
        &format!(
            "我叫{NAME}，电话{PHONE}，身份证号{ID_NUMBER}。翠苑小区门口的路灯坏了一个多月，\
             邻居{NEIGHBOUR}（{NEIGHBOUR_PHONE}）晚上摔了一跤。"
        ),
    );
    new.public = true;
    new.contact = by_phone(NAME, PHONE);
    new
}

#[tokio::test]
async fn the_public_board_never_shows_a_name_phone_or_id_number_from_the_submission() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let zhang = citizen("zhang");
        let view = w.submit(&zhang, leaky_submission()).await;
        // The reply addresses the citizen by name; its public version must not.
        w.answer(
            &view,
            &format!(
                "{NAME}先生您好：您反映的翠苑小区门口路灯损坏问题，市城市管理局已于3月3日修复，\
                 咨询电话0571-87654321。"
            ),
        )
        .await;
        let board =
            w.ix.board(&BoardFilter::default(), Page::default())
                .await
                .unwrap();
        assert_eq!(board.total, 1);
        let entry = w.ix.board_entry(&view.item.id).await.unwrap();
        let shown = format!(
            "{}\n{}",
            serde_json::to_string(&board).unwrap(),
            serde_json::to_string(&entry).unwrap()
        );
        for secret in [NAME, PHONE, ID_NUMBER, NEIGHBOUR, NEIGHBOUR_PHONE, "翠苑路"] {
            assert!(!shown.contains(secret), "the board shows {secret}: {shown}");
        }
        assert!(
            entry.text.contains("路灯坏了一个多月"),
            "the matter itself is shown"
        );
        assert!(entry.reply.contains("已于3月3日修复"));
        // Searching the board by a phone number finds nothing; by the matter, the entry.
        let by_phone = BoardFilter {
            text: Some(PHONE.into()),
            ..Default::default()
        };
        assert_eq!(w.ix.board(&by_phone, Page::default()).await.unwrap().total, 0);
        let by_matter = BoardFilter {
            text: Some("路灯".into()),
            kind: Some(ItemKind::Complaint),
            category: Some("road_lighting".into()),
            ..Default::default()
        };
        assert_eq!(w.ix.board(&by_matter, Page::default()).await.unwrap().total, 1);

        // Views mask the contact; events never carry it.
        assert_eq!(view.item.contact.phone, "138****8000");
        assert_eq!(view.item.contact.name, "张*");
        let events = tongban_db::event::read_after(&w.db, 0, 1000).await.unwrap();
        for e in &events {
            for secret in [NAME, PHONE, ID_NUMBER] {
                assert!(
                    !e.summary.contains(secret) && !e.detail.contains(secret),
                    "event {} leaks {secret}",
                    e.action
                );
            }
        }
        // The contact is stored encrypted: the raw row does not hold it.
        let row =
            w.db.fetch_one(
                "SELECT contact_name, contact_phone, contact_masked FROM interact_items WHERE id = $1",
                tongban_db::params![view.item.id.as_str()],
            )
            .await
            .unwrap();
        for column in ["contact_name", "contact_phone", "contact_masked"] {
            let stored: String = row.get(column).unwrap();
            assert!(
                !stored.contains(PHONE) && !stored.contains(NAME),
                "{column}: {stored}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_clerk_of_one_department_cannot_read_another_departments_private_items() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let zhang = citizen("zhang");
        let mut new = item(
            ItemKind::Inquiry,
            "household",
            "户口迁移",
            "我想把户口迁到配偶所在地，需要什么手续？",
        );
        new.contact = by_phone(NAME, PHONE);
        let view = w.submit(&zhang, new).await;
        let id = view.item.id.clone();
        let police_clerk = staff("ga-clerk", &w.police, Role::Clerk);
        let civil_clerk = staff("mz-clerk", &w.civil, Role::Clerk);
        let civil_leader = staff("mz-leader", &w.civil, Role::Leader);

        assert_eq!(w.ix.get_item(&police_clerk, &id).await.unwrap().item.id, id);
        for outsider in [
            &civil_clerk,
            &civil_leader,
            &citizen("li"),
            &Principal::anonymous(),
        ] {
            forbidden(w.ix.get_item(outsider, &id).await);
            forbidden(w.ix.history(outsider, &id).await);
            forbidden(w.ix.replies(outsider, &id).await);
            forbidden(w.ix.contact_of(outsider, &id).await);
            forbidden(w.ix.possible_duplicates(outsider, &id).await);
        }
        let theirs =
            w.ix.list_items(&civil_clerk, &ItemFilter::default(), Page::default())
                .await
                .unwrap();
        assert_eq!(theirs.total, 0);
        let searched =
            w.ix.list_items(
                &civil_clerk,
                &ItemFilter {
                    text: Some("户口".into()),
                    department: Some(w.police.path.clone()),
                    ..Default::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(searched.total, 0, "a filter cannot widen what one may see");

        // The handling department reads the contact in clear, and that reading is recorded.
        let contact = w.ix.contact_of(&police_clerk, &id).await.unwrap();
        assert_eq!((contact.name.as_str(), contact.phone.as_str()), (NAME, PHONE));
        assert_eq!(w.events("interact.contact.read").await.len(), 1);
        // The submitter reads their own item; another citizen's list does not hold it.
        assert_eq!(w.ix.get_item(&zhang, &id).await.unwrap().item.id, id);
        assert_eq!(w.ix.my_items(&zhang, Page::default()).await.unwrap().total, 1);
        assert_eq!(
            w.ix.my_items(&citizen("li"), Page::default())
                .await
                .unwrap()
                .total,
            0
        );
    })
    .await;
}

#[tokio::test]
async fn notifications_belong_to_their_recipient() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let zhang = citizen("zhang");
        let li = citizen("li");
        w.submit(
            &zhang,
            item(ItemKind::Inquiry, "household", "落户", "新生儿落户需要什么材料？"),
        )
        .await;
        let list = w.ix.notifications(&zhang, true, Page::default()).await.unwrap();
        assert_eq!(list.total, 1);
        assert!(
            list.items[0].message.contains("公安局"),
            "{}",
            list.items[0].message
        );
        assert!(list.items[0].message.contains(" / "), "bilingual");
        let ids: Vec<NotificationId> = list.items.iter().map(|n| n.id.clone()).collect();
        assert_eq!(w.ix.mark_read(&li, &ids).await.unwrap(), 0, "not hers");
        assert_eq!(w.ix.unread_count(&zhang).await.unwrap(), 1);
        assert_eq!(w.ix.mark_read(&zhang, &ids).await.unwrap(), 1);
        assert_eq!(w.ix.unread_count(&zhang).await.unwrap(), 0);
        assert_eq!(w.ix.mark_all_read(&zhang).await.unwrap(), 0);
        forbidden(
            w.ix.notifications(&Principal::anonymous(), false, Page::default())
                .await,
        );
        assert_eq!(w.events("interact.notification.read").await.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn public_text_is_moderated_and_the_department_can_withdraw_it() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let zhang = citizen("zhang");
        let mut new = item(
            ItemKind::Complaint,
            "road_lighting",
            "路灯坏了一个月",
            "翠苑小区路灯坏了一个月，打电话还被说神经病，滚蛋。",
        );
        new.public = true;
        let view = w.submit(&zhang, new).await;
        let now = w.ix.now();
        let listed =
            w.ix.open311_requests(None, &tongban_interact::RequestQuery::recent(now))
                .await
                .unwrap();
        assert_eq!(listed.len(), 1);
        assert!(
            listed[0].description.contains("＊＊＊") && !listed[0].description.contains("神经病"),
            "{}",
            listed[0].description
        );
        // Staff still read what was written.
        let clerk = staff("clerk", &w.urban, Role::Clerk);
        let seen = w.ix.get_item(&clerk, &view.item.id).await.unwrap();
        assert!(seen.item.text.contains("神经病"));

        // Only the handling department withdraws it, with a reason; then nobody lists it.
        forbidden(
            w.ix.withdraw_from_public(&staff("clerk", &w.police, Role::Clerk), &view.item.id, "x")
                .await,
        );
        crate::support::invalid(
            w.ix.withdraw_from_public(&clerk, &view.item.id, " ").await,
            "reason",
        );
        w.ix.withdraw_from_public(&clerk, &view.item.id, "含有他人信息，不宜公开")
            .await
            .unwrap();
        let listed =
            w.ix.open311_requests(None, &tongban_interact::RequestQuery::recent(now))
                .await
                .unwrap();
        assert!(listed.is_empty());
        crate::support::conflict(
            w.ix.withdraw_from_public(&clerk, &view.item.id, "again").await,
            "public",
        );
        assert_eq!(w.events("interact.item.withdrawn_from_public").await.len(), 1);
        let told = w.ix.notifications(&zhang, false, Page::default()).await.unwrap();
        assert!(
            told.items.iter().any(|n| n.message.contains("不予公开")),
            "{told:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_submissions_own_words_are_stored_sealed_and_read_back_by_those_who_may() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let zhang = citizen("zhang");
        let view = w.submit(&zhang, leaky_submission()).await;
        let raw =
            w.db.fetch_one(
                "SELECT title, body FROM interact_items WHERE id = $1",
                tongban_db::params![view.item.id.as_str()],
            )
            .await
            .unwrap();
        let stored = format!(
            "{}\n{}",
            raw.get::<String>("title").unwrap(),
            raw.get::<String>("body").unwrap()
        );
        for secret in [NAME, PHONE, ID_NUMBER, NEIGHBOUR, "路灯"] {
            assert!(!stored.contains(secret), "stored in clear: {secret}");
        }
        // The citizen reads their own words back in full.
        let mine = w.ix.get_item(&zhang, &view.item.id).await.unwrap();
        assert!(mine.item.text.contains(NAME) && mine.item.title.contains("路灯坏了"));
    })
    .await;
}
