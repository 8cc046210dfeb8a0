use crate::support::{World, citizen, city_wide, forbidden, invalid, item, staff, street_light};
use tongban_interact::{ItemKind, ItemStatus, LocationInput, MIGRATIONS, Settings};
use tongban_kernel::{Page, Role};
use tongban_test_support::each_backend;

#[tokio::test]
async fn items_of_the_same_category_nearby_are_possible_duplicates() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let zhang = citizen("zhang");
        let first = w
            .submit(
                &zhang,
                street_light("翠苑路口的路灯一直不亮", 30.2741, 120.1551, ""),
            )
            .await;
        // About 55 m north: another street light, written differently.
        let near = w
            .submit(
                &citizen("li"),
                street_light("晚上这里黑漆漆的，灯坏了", 30.2746, 120.1551, ""),
            )
            .await;
        // About 2 km away.
        let far = w
            .submit(
                &citizen("wang"),
                street_light("文三路路灯不亮", 30.2921, 120.1551, ""),
            )
            .await;
        // The same spot, another category.
        let mut other = item(
            ItemKind::Inquiry,
            "household",
            "落户",
            "就在翠苑路口，想问落户的事",
        );
        other.location = Some(LocationInput {
            latitude: Some(30.2741),
            longitude: Some(120.1551),
            ..Default::default()
        });
        w.submit(&zhang, other).await;

        let clerk = staff("cg-clerk", &w.urban, Role::Clerk);
        let found = w.ix.possible_duplicates(&clerk, &first.item.id).await.unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].item.id, near.item.id);
        assert!(found[0].nearby && !found[0].similar_text);
        let d = found[0].distance_m.unwrap();
        assert!((50.0..60.0).contains(&d), "{d}");
        assert_ne!(found[0].item.id, far.item.id);

        // A wider radius takes in the far one too.
        let wide = w.ix.clone().with_settings(Settings {
            duplicate_radius_m: 3000.0,
            ..Settings::default()
        });
        assert_eq!(
            wide.possible_duplicates(&clerk, &first.item.id)
                .await
                .unwrap()
                .len(),
            2
        );
    })
    .await;
}

#[tokio::test]
async fn near_identical_text_is_a_possible_duplicate_and_can_be_merged() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let zhang = citizen("zhang");
        let li = citizen("li");
        let text = "请问新生儿出生后落户需要准备哪些材料？在哪个派出所办理？需要父母双方都到场吗？";
        let first = w
            .submit(&zhang, item(ItemKind::Inquiry, "household", "落户咨询", text))
            .await;
        let copy = w
            .submit(
                &li,
                item(
                    ItemKind::Inquiry,
                    "household",
                    "新生儿落户",
                    "请问新生儿出生后落户需要准备哪些材料呢？在哪个派出所办理？需要父母双方都到场吗",
                ),
            )
            .await;
        let unrelated = w
            .submit(&li, item(ItemKind::Inquiry, "household", "身份证", "身份证丢了怎么补办？"))
            .await;
        let clerk = staff("ga-clerk", &w.police, Role::Clerk);
        let found = w.ix.possible_duplicates(&clerk, &copy.item.id).await.unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].item.id, first.item.id);
        assert!(found[0].similar_text && !found[0].nearby);
        assert!(found[0].text_similarity >= 0.7, "{}", found[0].text_similarity);

        // Merging needs the handler of both items.
        forbidden(
            w.ix.merge(&staff("mz-clerk", &w.civil, Role::Clerk), &copy.item.id, &first.item.id, "")
                .await,
        );
        invalid(w.ix.merge(&clerk, &copy.item.id, &copy.item.id, "").await, "into");
        let merged = w
            .ix
            .merge(&clerk, &copy.item.id, &first.item.id, "同一事项")
            .await
            .unwrap();
        assert_eq!(merged.item.status, ItemStatus::Merged);
        assert_eq!(merged.item.merged_into.as_ref(), Some(&first.item.id));
        crate::support::conflict(
            w.ix.merge(&clerk, &copy.item.id, &unrelated.item.id, "").await,
            "status",
        );
        assert!(
            w.ix.possible_duplicates(&clerk, &first.item.id)
                .await
                .unwrap()
                .is_empty(),
            "merged items are no longer candidates"
        );

        // One reply answers both citizens.
        w.answer(&first, "办理新生儿落户请携带出生医学证明、父母户口簿和身份证，到父亲或母亲户籍所在地派出所户籍窗口办理，一方到场即可。").await;
        let events = |who| {
            let ix = w.ix.clone();
            async move {
                ix.notifications(&who, false, Page::default())
                    .await
                    .unwrap()
                    .items
                    .into_iter()
                    .map(|n| n.event)
                    .collect::<Vec<String>>()
            }
        };
        assert_eq!(events(li.clone()).await, ["replied", "merged", "submitted", "submitted"]);
        assert_eq!(events(zhang.clone()).await, ["replied", "submitted"]);
        assert_eq!(w.events("interact.item.merged").await.len(), 1);
        // The city's dispatch centre sees duplicates across departments.
        assert_eq!(
            w.ix.possible_duplicates(&city_wide("12345", Role::Clerk), &unrelated.item.id)
                .await
                .unwrap()
                .len(),
            0
        );
    })
    .await;
}
