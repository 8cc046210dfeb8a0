use crate::support::{PASSWORD, World, ctx, id_number, system};
use tongban_db::params;
use tongban_identity::{CitizenRegistration, Error, MIGRATIONS, NewStaff, StaffChanges, UserFilter};
use tongban_kernel::{Page, Principal, Role};
use tongban_test_support::each_backend;

#[tokio::test]
async fn id_numbers_are_not_stored_in_clear_and_are_masked_in_views_and_events() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let number = id_number(41);
        let view =
            w.id.register_citizen(
                &Principal::anonymous(),
                CitizenRegistration {
                    username: "wang5".into(),
                    password: PASSWORD.into(),
                    real_name: "王小五".into(),
                    id_number: number.clone(),
                    phone: Some("+86 139 0013 9000".into()),
                    display_name: None,
                    is_demo: false,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            view.id_number_masked.as_deref(),
            Some(format!("3301*************{}", &number[17..]).as_str())
        );
        assert_eq!(view.real_name_masked.as_deref(), Some("王**"));
        assert_eq!(view.display_name, "王**");
        assert_eq!(view.phone_masked.as_deref(), Some("139****9000"));

        let row =
            w.db.fetch_one(
                "SELECT id_number_enc, id_number_bidx, real_name_enc, phone_enc FROM accounts \
                 WHERE username = $1",
                params!["wang5"],
            )
            .await
            .unwrap();
        for column in ["id_number_enc", "id_number_bidx", "real_name_enc", "phone_enc"] {
            let stored: String = row.get(column).unwrap();
            assert!(!stored.contains(&number), "{column} holds the ID number");
            assert!(
                !stored.contains("王小五") && !stored.contains("13900139000"),
                "{column}"
            );
        }
        let enc: String = row.get("id_number_enc").unwrap();
        assert!(enc.starts_with("sm4gcm:"), "{enc}");
        // Nothing anywhere in the events holds the clear values.
        for e in w.all_events().await {
            for text in [&e.summary, &e.detail] {
                assert!(!text.contains(&number) && !text.contains("王小五"), "{text}");
                assert!(!text.contains("13900139000"), "{text}");
            }
        }
        // Serialized views carry masks only.
        let json = serde_json::to_string(&w.id.get_user(&system(), &view.id).await.unwrap()).unwrap();
        assert!(!json.contains(&number) && !json.contains("王小五"));
    })
    .await;
}

#[tokio::test]
async fn injection_strings_are_plain_data_or_refused_as_usernames() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let evil = "Robert'); DROP TABLE accounts; -- 小明";
        let staff =
            w.id.create_staff(
                &system(),
                NewStaff {
                    username: "bobby".into(),
                    display_name: evil.into(),
                    password: PASSWORD.into(),
                    department: w.police.id.clone(),
                    roles: vec![Role::Clerk],
                    phone: None,
                    is_demo: false,
                },
            )
            .await
            .unwrap();
        assert_eq!(staff.display_name, evil);
        assert_eq!(
            w.id.get_user(&system(), &staff.id).await.unwrap().display_name,
            evil
        );

        let e =
            w.id.create_staff(
                &system(),
                NewStaff {
                    username: "x' OR '1'='1".into(),
                    display_name: "x".into(),
                    password: PASSWORD.into(),
                    department: w.police.id.clone(),
                    roles: vec![],
                    phone: None,
                    is_demo: false,
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(e, Error::Invalid(ref i) if i.field == "username"),
            "{e:?}"
        );

        let e = w.id.login("admin' --", PASSWORD, ctx()).await.unwrap_err();
        assert!(matches!(e, Error::BadCredentials), "{e:?}");
        let e = w.id.login("' OR 1=1 --", "' OR 1=1 --", ctx()).await.unwrap_err();
        assert!(matches!(e, Error::BadCredentials), "{e:?}");

        // LIKE wildcards and quotes in a search are literal text.
        for text in ["%", "_", "' OR '1'='1", "\\"] {
            let found =
                w.id.list_users(
                    &system(),
                    &UserFilter {
                        text: Some(text.into()),
                        ..Default::default()
                    },
                    Page::default(),
                )
                .await
                .unwrap();
            assert_eq!(found.total, 0, "{text}");
        }
        let found =
            w.id.list_users(
                &system(),
                &UserFilter {
                    text: Some("drop table".into()),
                    ..Default::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(found.total, 1);

        let renamed =
            w.id.update_staff(
                &system(),
                &staff.id,
                StaffChanges {
                    display_name: Some("\u{202e}'; DELETE FROM sessions; --".into()),
                    department: Some(w.civil.id.clone()),
                },
            )
            .await
            .unwrap();
        assert_eq!(renamed.display_name, "\u{202e}'; DELETE FROM sessions; --");
        assert_eq!(renamed.department.unwrap().code, "3301-MZ");
        let n: i64 =
            w.db.fetch_one("SELECT COUNT(*) AS n FROM accounts", params![])
                .await
                .unwrap()
                .get("n")
                .unwrap();
        assert_eq!(n, 1);
    })
    .await;
}

#[tokio::test]
async fn an_email_address_is_used_only_once_confirmed_with_its_code() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        w.citizen("mail1", 51).await;
        let (_, me) = w.sign_in("mail1").await;
        let me = me.principal;
        w.id.set_email(&me, "Li@Example.CN").await.unwrap();
        assert_eq!(
            w.id.email_of(&me.id).await.unwrap(),
            None,
            "not before it is confirmed"
        );
        assert!(matches!(
            w.id.confirm_email(&me, "123456").await,
            Err(Error::Conflict { .. })
        ));
        let sent = w.id.email_codes_to_send(10).await.unwrap();
        assert_eq!(sent.len(), 1);
        assert!(
            w.id.email_codes_to_send(10).await.unwrap().is_empty(),
            "one code at a time"
        );
        // Five wrong tries use the code up, even before it expires.
        let wrong = if sent[0].code == "000000" {
            "111111"
        } else {
            "000000"
        };
        for _ in 0..5 {
            assert!(
                matches!(w.id.confirm_email(&me, wrong).await, Err(Error::Invalid(i)) if i.field == "code")
            );
        }
        assert!(matches!(
            w.id.confirm_email(&me, &sent[0].code).await,
            Err(Error::Conflict { .. })
        ));
        // Saving the address again sends a new code; an expired one does not work either.
        w.id.set_email(&me, "li@example.cn").await.unwrap();
        let again = w.id.email_codes_to_send(10).await.unwrap();
        w.advance_ms(31 * 60 * 1000);
        assert!(matches!(
            w.id.confirm_email(&me, &again[0].code).await,
            Err(Error::Conflict { .. })
        ));
        w.id.set_email(&me, "li@example.cn").await.unwrap();
        let fresh = w.id.email_codes_to_send(10).await.unwrap();
        w.id.confirm_email(&me, &fresh[0].code).await.unwrap();
        assert_eq!(
            w.id.email_of(&me.id).await.unwrap().as_deref(),
            Some("li@example.cn")
        );
        let status = w.id.email_status(&me).await.unwrap().unwrap();
        assert!(status.confirmed && !status.masked.contains("li@"));
    })
    .await;
}
