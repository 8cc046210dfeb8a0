//! 出站地址白名单: only a security administrator over the department allows a reserved range,
//! with its purpose; wide ranges and the metadata service are refused; a range applies to the
//! department and its subtree only; every change is an event; names are resolved and every
//! address checked.

use crate::support::{Fixture, sets, system};
use tongban_kernel::{DeptPath, Principal, PrincipalKind, Role, RoleGrant};
use tongban_pool::Error;
use tongban_test_support::each_backend;

fn person(role: Role, scope: &str) -> Principal {
    Principal {
        kind: PrincipalKind::User,
        id: format!("{}-{scope}", role.code()),
        name: role.code().into(),
        department: Some(DeptPath(scope.into())),
        grants: vec![RoleGrant {
            role,
            scope: DeptPath(scope.into()),
        }],
        purpose: None,
    }
}

#[tokio::test]
async fn only_the_security_administrator_opens_a_range_and_only_below_its_department() {
    each_backend(&sets(), |db| async move {
        let f = Fixture::new(db).await;
        let civil = DeptPath("/3301/3301-MZ/".into());
        let police = DeptPath("/3301/3301-GA/".into());
        let security = person(Role::SecurityAdmin, "/3301/");
        let sysadmin = person(Role::SysAdmin, "/3301/");
        let dept_admin = person(Role::DeptAdmin, "/3301/3301-MZ/");

        // Not the system administrator (三员分立), not the department's own administrator.
        for who in [&sysadmin, &dept_admin] {
            let r = f
                .pool
                .allow_egress(who, &civil, "10.20.0.0/16", "民政业务库")
                .await;
            assert!(matches!(r, Err(Error::Forbidden { .. })), "{r:?}");
        }
        // Bad ranges and a missing purpose are named on their field.
        for (cidr, purpose, field) in [
            ("10.20.0.0/33", "x", "cidr"),
            ("10.0.0.0/7", "x", "cidr"),
            ("169.254.0.0/16", "x", "cidr"),
            ("host.example", "x", "cidr"),
            ("10.20.0.0/16", "  ", "purpose"),
        ] {
            match f.pool.allow_egress(&security, &civil, cidr, purpose).await {
                Err(Error::Invalid(i)) => assert_eq!(i.field, field, "{cidr}: {i}"),
                other => panic!("{cidr}: {other:?}"),
            }
        }

        let rule = f
            .pool
            .allow_egress(&security, &civil, "10.20.3.4/16", "民政业务库（变更通知）")
            .await
            .unwrap();
        assert_eq!(rule.cidr, "10.20.0.0/16");
        match f
            .pool
            .allow_egress(&security, &civil, "10.20.0.0/16", "again")
            .await
        {
            Err(Error::Invalid(i)) => assert_eq!(i.field, "cidr"),
            other => panic!("a duplicate must be refused: {other:?}"),
        }
        assert_eq!(f.pool.egress_rules(&security).await.unwrap().len(), 1);
        assert!(f.pool.egress_rules(&dept_admin).await.unwrap().is_empty());

        // The range opens for 民政 and below, not for 公安.
        let inside = civil.child("3301-MZ-01");
        assert!(f.pool.destination(&civil, "10.20.9.9", 443).await.is_ok());
        assert!(f.pool.destination(&inside, "10.20.9.9", 443).await.is_ok());
        match f.pool.destination(&police, "10.20.9.9", 443).await {
            Err(Error::Destination { reason }) => {
                assert!(reason.to_string().contains("内网地址"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        // Outside the range and public addresses.
        assert!(f.pool.destination(&civil, "10.21.0.1", 443).await.is_err());
        assert!(f.pool.destination(&police, "202.96.134.133", 443).await.is_ok());
        // A name is resolved and each of its addresses checked.
        match f.pool.destination(&civil, "localhost", 80).await {
            Err(Error::Destination { reason }) => {
                assert!(reason.to_string().contains("本机地址"), "{reason}")
            }
            other => panic!("{other:?}"),
        }

        let r = f.pool.remove_egress(&dept_admin, &rule.id).await;
        assert!(matches!(r, Err(Error::Forbidden { .. })), "{r:?}");
        f.pool.remove_egress(&security, &rule.id).await.unwrap();
        assert!(f.pool.destination(&civil, "10.20.9.9", 443).await.is_err());
        assert!(matches!(
            f.pool.remove_egress(&security, &rule.id).await,
            Err(Error::NotFound)
        ));

        let actions: Vec<String> = f
            .events()
            .await
            .into_iter()
            .filter(|e| e.action.starts_with("pool.egress."))
            .map(|e| e.action)
            .collect();
        assert_eq!(actions, ["pool.egress.allowed", "pool.egress.removed"]);
        // The platform's own command line may allow too.
        assert!(
            f.pool
                .allow_egress(&system(), &police, "fd12:3456::/48", "公安专网")
                .await
                .is_ok()
        );
    })
    .await;
}
