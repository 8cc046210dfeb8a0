use crate::support::{World, conflict, forbidden, invalid, open_resource, resource, staff, system};
use jiff::civil::date;
use tongban_catalog::{
    Error, MIGRATIONS, NewVersion, OpenClass, ResourceFilter, ResourceStatus, Sensitivity, SharingClass,
};
use tongban_db::params;
use tongban_kernel::{Page, Principal, Role};
use tongban_test_support::each_backend;

#[tokio::test]
async fn a_resource_is_catalogued_edited_published_and_retired_with_revisions_and_events() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let admin = staff("ga-admin", &w.police, Role::DeptAdmin);
        w.set_today(date(2026, 4, 1));
        let r = w
            .cat
            .create_resource(
                &admin,
                resource("9901-ga-0201", &w.police, SharingClass::Conditional),
            )
            .await
            .unwrap();
        assert_eq!(r.code, "9901-GA-0201");
        assert_eq!(
            (r.status, r.revision, r.current_version),
            (ResourceStatus::Draft, 1, 0)
        );
        assert_eq!(r.provider.code(), "3301-GA");
        let loaded = w.cat.get_resource(&admin, &r.id).await.unwrap();
        assert_eq!(loaded, r, "what is stored reads back the same");

        let mut input = r.to_input();
        input.summary = "本市户籍人口的基本信息（含迁入迁出）".into();
        let edited = w
            .cat
            .update_resource(&admin, &r.id, 1, input.clone())
            .await
            .unwrap();
        assert_eq!(edited.revision, 2);
        // Saving the same content again changes nothing.
        let same = w
            .cat
            .update_resource(&admin, &r.id, 2, input.clone())
            .await
            .unwrap();
        assert_eq!(same.revision, 2);
        // An editor holding revision 1 is told someone changed it meanwhile.
        input.name_zh = "户籍人口".into();
        conflict(w.cat.update_resource(&admin, &r.id, 1, input).await, "revision");

        let published = w.cat.publish_resource(&admin, &r.id).await.unwrap();
        assert_eq!(published.status, ResourceStatus::Published);
        assert_eq!(published.published_on, Some(date(2026, 4, 1)));
        assert_eq!(published.revision, 3);
        conflict(w.cat.publish_resource(&admin, &r.id).await, "status");
        // The code is fixed once published.
        let mut input = published.to_input();
        input.code = "9901-GA-0299".into();
        invalid(w.cat.update_resource(&admin, &r.id, 3, input).await, "code");

        let retired = w.cat.retire_resource(&admin, &r.id).await.unwrap();
        assert_eq!((retired.status, retired.revision), (ResourceStatus::Retired, 4));
        conflict(
            w.cat.update_resource(&admin, &r.id, 4, retired.to_input()).await,
            "status",
        );

        let history = w.cat.resource_history(&admin, &r.id).await.unwrap();
        let revisions: Vec<(u32, &str)> = history.iter().map(|h| (h.revision, h.action.as_str())).collect();
        assert_eq!(
            revisions,
            [
                (1, "catalog.resource.created"),
                (2, "catalog.resource.updated"),
                (3, "catalog.resource.published"),
                (4, "catalog.resource.retired"),
            ]
        );
        assert_eq!(
            history[1].snapshot["summary"],
            "本市户籍人口的基本信息（含迁入迁出）"
        );
        for action in [
            "catalog.resource.created",
            "catalog.resource.updated",
            "catalog.resource.published",
            "catalog.resource.retired",
        ] {
            assert_eq!(w.events(action).await.len(), 1, "{action}");
        }
        let updated = &w.events("catalog.resource.updated").await[0];
        assert!(updated.detail.contains("summary"), "{}", updated.detail);
        assert_eq!(updated.object_dept.as_deref(), Some("/3301/3301-GA/"));
    })
    .await;
}

#[tokio::test]
async fn only_the_provider_side_may_catalogue_and_codes_are_unique() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let input = resource("9901-GA-0202", &w.police, SharingClass::Unconditional);
        forbidden(
            w.cat
                .create_resource(&staff("mz-admin", &w.civil, Role::DeptAdmin), input.clone())
                .await,
        );
        forbidden(
            w.cat
                .create_resource(&staff("ga-clerk", &w.police, Role::Analyst), input.clone())
                .await,
        );
        forbidden(
            w.cat
                .create_resource(&Principal::anonymous(), input.clone())
                .await,
        );
        // An office's admin cannot catalogue for the whole bureau; the bureau's admin can.
        forbidden(
            w.cat
                .create_resource(
                    &staff("hz-admin", &w.police_office, Role::DeptAdmin),
                    input.clone(),
                )
                .await,
        );
        let r = w
            .cat
            .create_resource(&staff("ga-admin", &w.police, Role::DeptAdmin), input.clone())
            .await
            .unwrap();
        conflict(w.cat.create_resource(&system(), input.clone()).await, "code");
        // Nobody else may edit it, nor move it to their own department.
        let mz = staff("mz-admin", &w.civil, Role::DeptAdmin);
        forbidden(w.cat.update_resource(&mz, &r.id, 1, input.clone()).await);
        let mut moved = input;
        moved.provider = w.civil.clone();
        forbidden(
            w.cat
                .update_resource(&staff("ga-admin", &w.police, Role::DeptAdmin), &r.id, 1, moved)
                .await,
        );
        forbidden(w.cat.publish_resource(&mz, &r.id).await);
        forbidden(w.cat.retire_resource(&mz, &r.id).await);
    })
    .await;
}

#[tokio::test]
async fn field_codes_carrying_sql_are_refused_naming_the_field_and_nothing_is_stored() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        for (i, bad) in [
            "name; DROP TABLE resources; --",
            "name\" OR \"1\"=\"1",
            "Name",
            "1name",
            "select",
        ]
        .iter()
        .enumerate()
        {
            let mut input = resource("9901-GA-0203", &w.police, SharingClass::Unconditional);
            input.fields[1].code = (*bad).into();
            invalid(w.cat.create_resource(&system(), input).await, "fields[1].code");
            let n: i64 =
                w.db.fetch_one("SELECT COUNT(*) AS n FROM resources", params![])
                    .await
                    .unwrap()
                    .get("n")
                    .unwrap();
            assert_eq!(n, 0, "case {i}");
        }
        let mut input = resource("../../etc/passwd", &w.police, SharingClass::Unconditional);
        invalid(w.cat.create_resource(&system(), input.clone()).await, "code");
        input.code = "9901-GA-0203".into();
        input.provider.path = tongban_kernel::DeptPath("/3301/' OR 1=1 --/".into());
        invalid(w.cat.create_resource(&system(), input).await, "provider.path");
        assert!(w.events("catalog.resource.created").await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn drafts_are_seen_only_inside_the_provider_and_lists_filter_and_page() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let draft = w
            .cat
            .create_resource(
                &system(),
                resource("9901-GA-0204", &w.police, SharingClass::Conditional),
            )
            .await
            .unwrap();
        w.published(resource("9901-GA-0205", &w.police, SharingClass::Unconditional))
            .await;
        w.published(resource("9901-MZ-0206", &w.civil, SharingClass::NotShared))
            .await;
        w.published(open_resource("9901-MZ-0207", &w.civil)).await;

        let ga = staff("ga-clerk", &w.police, Role::Analyst);
        let mz = staff("mz-clerk", &w.civil, Role::Analyst);
        assert_eq!(
            w.cat.get_resource(&ga, &draft.id).await.unwrap().code,
            "9901-GA-0204"
        );
        forbidden(w.cat.get_resource(&mz, &draft.id).await);
        forbidden(w.cat.resource_by_code(&mz, "9901-ga-0204").await);
        assert_eq!(
            w.cat.resource_by_code(&mz, "9901-ga-0205").await.unwrap().code,
            "9901-GA-0205"
        );
        assert!(matches!(
            w.cat.resource_by_code(&mz, "NOPE-0000").await,
            Err(Error::NotFound { .. })
        ));

        let list = |p: Principal, f: ResourceFilter, page: Page| {
            let w = &w;
            async move {
                let l = w.cat.list_resources(&p, &f, page).await.unwrap();
                (l.total, l.items.into_iter().map(|r| r.code).collect::<Vec<_>>())
            }
        };
        assert_eq!(
            list(ga.clone(), ResourceFilter::default(), Page::default())
                .await
                .0,
            4
        );
        assert_eq!(
            list(mz.clone(), ResourceFilter::default(), Page::default())
                .await
                .1,
            ["9901-GA-0205", "9901-MZ-0206", "9901-MZ-0207"]
        );
        let f = ResourceFilter {
            provider: Some(w.civil.path.clone()),
            ..Default::default()
        };
        assert_eq!(list(ga.clone(), f, Page::default()).await.0, 2);
        let f = ResourceFilter {
            sharing_class: Some(SharingClass::NotShared),
            ..Default::default()
        };
        assert_eq!(list(ga.clone(), f, Page::default()).await.1, ["9901-MZ-0206"]);
        let f = ResourceFilter {
            open_class: Some(OpenClass::Open),
            ..Default::default()
        };
        assert_eq!(list(ga.clone(), f, Page::default()).await.1, ["9901-MZ-0207"]);
        let f = ResourceFilter {
            status: Some(ResourceStatus::Draft),
            ..Default::default()
        };
        assert_eq!(list(mz.clone(), f, Page::default()).await.0, 0);
        let f = ResourceFilter {
            text: Some("空气".into()),
            ..Default::default()
        };
        assert_eq!(list(mz.clone(), f, Page::default()).await.1, ["9901-MZ-0207"]);
        let f = ResourceFilter {
            text: Some("%".into()),
            ..Default::default()
        };
        assert_eq!(
            list(mz.clone(), f, Page::default()).await.0,
            0,
            "LIKE wildcards are literal"
        );
        let (total, page) = list(ga.clone(), ResourceFilter::default(), Page::new(2, 2)).await;
        assert_eq!(
            (total, page),
            (4, vec!["9901-MZ-0206".to_string(), "9901-MZ-0207".to_string()])
        );
        forbidden(
            w.cat
                .list_resources(
                    &Principal::anonymous(),
                    &ResourceFilter::default(),
                    Page::default(),
                )
                .await,
        );
    })
    .await;
}

#[tokio::test]
async fn data_versions_are_recorded_in_order_without_touching_the_entry_revision() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let r = w
            .published(resource("9901-GA-0208", &w.police, SharingClass::Unconditional))
            .await;
        let admin = staff("ga-admin", &w.police, Role::DeptAdmin);
        let v = |version, quality| NewVersion {
            version,
            row_count: 5000,
            quality_score: quality,
            diff: serde_json::json!({"added": 5000, "removed": 0, "changed": 0}),
        };
        forbidden(
            w.cat
                .record_version(&staff("mz-admin", &w.civil, Role::DeptAdmin), &r.id, v(1, 0.9))
                .await,
        );
        conflict(w.cat.record_version(&admin, &r.id, v(2, 0.9)).await, "version");
        invalid(
            w.cat.record_version(&admin, &r.id, v(1, 1.5)).await,
            "quality_score",
        );
        invalid(
            w.cat.record_version(&admin, &r.id, v(1, f64::NAN)).await,
            "quality_score",
        );
        let mut bad = v(1, 0.9);
        bad.diff = serde_json::json!([1, 2]);
        invalid(w.cat.record_version(&admin, &r.id, bad).await, "diff");
        let one = w.cat.record_version(&admin, &r.id, v(1, 0.97)).await.unwrap();
        assert_eq!(one.version, 1);
        w.cat.record_version(&system(), &r.id, v(2, 0.5)).await.unwrap();
        conflict(w.cat.record_version(&admin, &r.id, v(2, 0.5)).await, "version");
        let now = w.cat.get_resource(&admin, &r.id).await.unwrap();
        assert_eq!((now.current_version, now.revision), (2, r.revision));
        let versions = w.cat.resource_versions(&admin, &r.id).await.unwrap();
        assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), [2, 1]);
        assert_eq!(versions[1].quality_score, 0.97);
        assert_eq!(versions[1].row_count, 5000);
        assert_eq!(versions[1].diff["added"], 5000);
        assert_eq!(w.events("catalog.resource.version_recorded").await.len(), 2);
    })
    .await;
}

#[tokio::test]
async fn the_open_catalog_lists_only_published_open_resources_for_anyone_without_private_descriptions() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let open = w.published(open_resource("9901-HB-0301", &w.education)).await;
        w.cat
            .create_resource(&system(), open_resource("9901-HB-0302", &w.education))
            .await
            .unwrap();
        let retired = w.published(open_resource("9901-HB-0303", &w.education)).await;
        w.cat.retire_resource(&system(), &retired.id).await.unwrap();
        let mut conditional = open_resource("9901-HB-0304", &w.education);
        conditional.open_class = OpenClass::Conditional;
        w.published(conditional).await;
        w.published(resource("9901-GA-0305", &w.police, SharingClass::Unconditional))
            .await;

        let list = w.cat.list_open_resources(None, Page::default()).await.unwrap();
        assert_eq!(list.total, 1);
        let item = &list.items[0];
        assert_eq!(item.code, open.code);
        assert_eq!(item.provider_code, "3301-JY");
        let station = item.fields.iter().find(|f| f.code == "station").unwrap();
        assert_eq!(station.description.as_deref(), Some("监测站的说明"));
        let serial = item.fields.iter().find(|f| f.code == "sensor_serial").unwrap();
        assert_eq!(serial.sensitivity, Sensitivity::Internal);
        assert_eq!(
            serial.description, None,
            "internal fields are marked, not described"
        );
        assert_eq!(
            w.cat
                .list_open_resources(Some("nothing"), Page::default())
                .await
                .unwrap()
                .total,
            0
        );
        assert_eq!(
            w.cat.open_resource("9901-hb-0301").await.unwrap().code,
            "9901-HB-0301"
        );
        for hidden in [
            "9901-HB-0302",
            "9901-HB-0303",
            "9901-HB-0304",
            "9901-GA-0305",
            "../x",
        ] {
            assert!(
                matches!(w.cat.open_resource(hidden).await, Err(Error::NotFound { .. })),
                "{hidden}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn the_dcat_export_is_json_ld_of_the_open_catalog() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let open = w.published(open_resource("9901-HB-0401", &w.education)).await;
        w.published(open_resource("9901-HB-0402", &w.education)).await;
        w.published(resource("9901-GA-0403", &w.police, SharingClass::Unconditional))
            .await;
        w.cat
            .record_version(
                &system(),
                &open.id,
                NewVersion {
                    version: 1,
                    row_count: 10,
                    quality_score: 1.0,
                    diff: serde_json::Value::Null,
                },
            )
            .await
            .unwrap();
        let doc = w.cat.dcat_catalog("https://data.example.gov.cn/").await.unwrap();
        assert_eq!(doc["@context"]["dct"], "http://purl.org/dc/terms/");
        assert_eq!(doc["@type"], "dcat:Catalog");
        let datasets = doc["dcat:dataset"].as_array().unwrap();
        assert_eq!(datasets.len(), 2);
        let d = &datasets[0];
        assert_eq!(d["@type"], "dcat:Dataset");
        assert_eq!(d["dct:identifier"], "9901-HB-0401");
        assert_eq!(d["dct:title"][0]["@value"], "空气质量日报 9901-HB-0401");
        assert_eq!(d["dct:title"][0]["@language"], "zh");
        assert_eq!(d["dct:publisher"]["foaf:name"]["@value"], "教育局");
        assert_eq!(d["dcat:keyword"].as_array().unwrap().len(), 2);
        assert_eq!(
            d["dcat:distribution"][0]["dcat:downloadURL"]["@id"],
            "https://data.example.gov.cn/open-data/9901-HB-0401/v1.csv"
        );
        assert!(
            datasets[1].get("dcat:distribution").is_none(),
            "no data, no download"
        );
        // It round-trips as JSON text.
        let text = serde_json::to_string(&doc).unwrap();
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), doc);
        invalid(w.cat.dcat_catalog("javascript:alert(1)").await, "base_url");
    })
    .await;
}
