use crate::support::{PASSWORD, World, id_number, system};
use tongban_identity::{AccountKind, BusinessRegistration, CitizenRegistration, Error, MIGRATIONS, NewStaff};
use tongban_kernel::{CreditCode, Principal, Role};
use tongban_test_support::each_backend;

fn citizen(username: &str, id: &str) -> CitizenRegistration {
    CitizenRegistration {
        username: username.into(),
        password: PASSWORD.into(),
        real_name: "李四".into(),
        id_number: id.into(),
        phone: None,
        display_name: None,
        is_demo: false,
    }
}

fn field_of(e: Error) -> String {
    match e {
        Error::Invalid(i) => i.field,
        Error::Conflict { field, .. } => field,
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[tokio::test]
async fn registration_with_a_bad_id_checksum_is_refused_naming_id_number() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let good = id_number(1);
        let last = good.chars().last().unwrap();
        let wrong = if last == '0' { '1' } else { '0' };
        let bad = format!("{}{wrong}", &good[..17]);
        let err =
            w.id.register_citizen(&Principal::anonymous(), citizen("lisi", &bad))
                .await
                .unwrap_err();
        assert!(err.to_string().contains("校验码"), "{err}");
        assert_eq!(field_of(err), "id_number");
        assert!(w.events("identity.account.registered").await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_registered_id_number_cannot_register_again() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        // 11010519491231002X is the standard's specimen; its lower-case form is the same number.
        let first =
            w.id.register_citizen(&Principal::anonymous(), citizen("lisi", "11010519491231002X"))
                .await
                .unwrap();
        assert_eq!(first.kind, AccountKind::Citizen);
        assert_eq!(first.grants[0].role, Role::Citizen);
        let err =
            w.id.register_citizen(&Principal::anonymous(), citizen("lisi2", "11010519491231002x"))
                .await
                .unwrap_err();
        assert!(err.to_string().contains("already registered"), "{err}");
        assert_eq!(field_of(err), "id_number");

        let err =
            w.id.register_citizen(&Principal::anonymous(), citizen("LiSi", &id_number(2)))
                .await
                .unwrap_err();
        assert_eq!(field_of(err), "username");
        assert_eq!(w.events("identity.account.registered").await.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn weak_passwords_are_refused_naming_the_password_field() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        for weak in ["short1!", "alllowercaseletters", "Lisi-2026-pass"] {
            let mut reg = citizen("lisi", &id_number(3));
            reg.password = weak.into();
            let err =
                w.id.register_citizen(&Principal::anonymous(), reg)
                    .await
                    .unwrap_err();
            assert_eq!(field_of(err), "password", "{weak}");
        }
    })
    .await;
}

#[tokio::test]
async fn businesses_register_with_a_checked_credit_code() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let code = CreditCode::with_check("91330106MA27XYQ12").unwrap();
        let reg = |code: &str| BusinessRegistration {
            username: "shifan-tech".into(),
            password: PASSWORD.into(),
            credit_code: code.into(),
            company_name: "示范科技有限公司".into(),
            contact_name: "王五".into(),
            phone: Some("0571-87654321".into()),
            is_demo: false,
        };
        let mut bad = code.as_str().to_string();
        bad.replace_range(17.., if bad.ends_with('0') { "1" } else { "0" });
        let err =
            w.id.register_business(&Principal::anonymous(), reg(&bad))
                .await
                .unwrap_err();
        assert_eq!(field_of(err), "credit_code");

        let view =
            w.id.register_business(&Principal::anonymous(), reg(code.as_str()))
                .await
                .unwrap();
        assert_eq!(view.kind, AccountKind::Business);
        assert_eq!(view.company_name.as_deref(), Some("示范科技有限公司"));
        assert_eq!(view.display_name, "示范科技有限公司");
        assert_eq!(view.contact_name_masked.as_deref(), Some("王*"));
        assert_eq!(view.phone_masked.as_deref(), Some("0571****4321"));
        let masked = view.credit_code_masked.unwrap();
        assert!(masked.starts_with("913301") && masked.contains('*'), "{masked}");
        assert_ne!(masked, code.as_str());
    })
    .await;
}

#[tokio::test]
async fn only_the_system_creates_demo_accounts() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let mut reg = citizen("demo-citizen", &id_number(4));
        reg.is_demo = true;
        let err =
            w.id.register_citizen(&Principal::anonymous(), reg.clone())
                .await
                .unwrap_err();
        assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
        let view = w.id.register_citizen(&system(), reg).await.unwrap();
        assert!(view.is_demo);
    })
    .await;
}

#[tokio::test]
async fn staff_are_created_in_a_department_with_scoped_roles() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let clerk = w.staff("ga-clerk", &w.police, &[Role::Clerk]).await;
        assert_eq!(clerk.kind, AccountKind::Staff);
        assert_eq!(clerk.department.as_ref().unwrap().code, "3301-GA");
        assert_eq!(clerk.grants.len(), 1);
        assert_eq!(clerk.grants[0].scope, w.police.path);
        let created = w.events("identity.account.created").await;
        assert_eq!(created.len(), 1);
        assert!(created[0].summary.contains("创建账号 ga-clerk"));
        assert!(created[0].summary.contains("created account ga-clerk"));

        let err =
            w.id.create_staff(
                &system(),
                NewStaff {
                    username: "nowhere".into(),
                    display_name: "x".into(),
                    password: PASSWORD.into(),
                    department: tongban_identity::DeptId::new(),
                    roles: vec![],
                    phone: None,
                    is_demo: false,
                },
            )
            .await
            .unwrap_err();
        assert_eq!(field_of(err), "department");
    })
    .await;
}
