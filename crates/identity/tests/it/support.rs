//! Fixtures: a small fictional city with two departments, built by small builders.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use tongban_crypto::Keyring;
use tongban_db::{Db, Event};
use tongban_identity::{
    AccountView, CitizenRegistration, Department, DeptKind, Identity, LoginContext, LoginOutcome,
    NewDepartment, NewStaff, SessionPolicy, SignedIn, totp,
};
use tongban_kernel::{IdNumber, Millis, Principal, Role};

/// The password every fixture account gets.
pub const PASSWORD: &str = "Tongban-2026!";

pub struct World {
    pub id: Identity,
    pub db: Db,
    offset: Arc<AtomicI64>,
    pub city: Department,
    /// 公安局
    pub police: Department,
    /// 户政科, an office of the police.
    pub police_office: Department,
    /// 民政局
    pub civil: Department,
}

pub fn system() -> Principal {
    Principal::system("test")
}

pub fn ctx() -> LoginContext {
    LoginContext {
        ip: Some("192.0.2.7".into()),
        user_agent: Some("integration-test".into()),
    }
}

/// A fictional 18-digit ID number with a valid check digit.
pub fn id_number(seq: u32) -> String {
    IdNumber::with_check(&format!("33010219900101{:03}", seq % 1000))
        .expect("valid body")
        .as_str()
        .to_string()
}

impl World {
    pub async fn new(db: Db) -> World {
        let offset = Arc::new(AtomicI64::new(0));
        let o = offset.clone();
        let id = Identity::new(
            db.clone(),
            Keyring::ephemeral().fields(),
            SessionPolicy::default(),
        )
        .with_clock(move || Millis::now().plus_ms(o.load(Ordering::SeqCst)));
        let sys = system();
        let city = id
            .create_department(&sys, dept("3301", "示范市", "Demo City", None, DeptKind::City))
            .await
            .unwrap();
        let police = id
            .create_department(
                &sys,
                dept(
                    "3301-GA",
                    "公安局",
                    "Public Security Bureau",
                    Some(&city),
                    DeptKind::Department,
                ),
            )
            .await
            .unwrap();
        let civil = id
            .create_department(
                &sys,
                dept(
                    "3301-MZ",
                    "民政局",
                    "Civil Affairs Bureau",
                    Some(&city),
                    DeptKind::Department,
                ),
            )
            .await
            .unwrap();
        let police_office = id
            .create_department(
                &sys,
                dept(
                    "3301-GA-HZ",
                    "户政科",
                    "Household Registration",
                    Some(&police),
                    DeptKind::Office,
                ),
            )
            .await
            .unwrap();
        World {
            id,
            db,
            offset,
            city,
            police,
            police_office,
            civil,
        }
    }

    /// Moves the service's clock forward.
    pub fn advance_ms(&self, ms: i64) {
        self.offset.fetch_add(ms, Ordering::SeqCst);
    }

    pub fn now(&self) -> Millis {
        Millis::now().plus_ms(self.offset.load(Ordering::SeqCst))
    }

    pub async fn staff(&self, username: &str, dept: &Department, roles: &[Role]) -> AccountView {
        self.id
            .create_staff(
                &system(),
                NewStaff {
                    username: username.into(),
                    display_name: format!("员工 {username}"),
                    password: PASSWORD.into(),
                    department: dept.id.clone(),
                    roles: roles.to_vec(),
                    phone: None,
                    is_demo: false,
                },
            )
            .await
            .unwrap()
    }

    pub async fn citizen(&self, username: &str, seq: u32) -> AccountView {
        self.id
            .register_citizen(
                &Principal::anonymous(),
                CitizenRegistration {
                    username: username.into(),
                    password: PASSWORD.into(),
                    real_name: "张三丰".into(),
                    id_number: id_number(seq),
                    phone: Some("13800138000".into()),
                    display_name: None,
                    is_demo: false,
                },
            )
            .await
            .unwrap()
    }

    /// Signs in an account that needs no second factor.
    pub async fn sign_in(&self, username: &str) -> (String, SignedIn) {
        match self.id.login(username, PASSWORD, ctx()).await.unwrap() {
            LoginOutcome::Full(s) => {
                let signed = self.id.authenticate_full(&s.token).await.unwrap();
                (s.token, signed)
            }
            other => panic!("expected a full session, got {other:?}"),
        }
    }

    /// Signs in an administrator, setting up TOTP on the way.
    pub async fn sign_in_admin(&self, username: &str) -> (String, SignedIn) {
        let outcome = self.id.login(username, PASSWORD, ctx()).await.unwrap();
        let LoginOutcome::MfaSetupRequired(s) = outcome else {
            panic!("expected set-up required, got {outcome:?}");
        };
        let setup = self.id.begin_totp_setup(&s.token).await.unwrap();
        let code = self.code_for(&setup.secret_base32, 0);
        let signed = self.id.confirm_totp_setup(&s.token, &code).await.unwrap();
        (s.token, signed)
    }

    /// The TOTP code for `secret` at the service's now, `steps` steps later.
    pub fn code_for(&self, secret_base32: &str, steps: i64) -> String {
        let secret = totp::decode_secret(secret_base32).unwrap();
        totp::code_at(
            &secret,
            self.now().0 / 1000 + steps * totp::STEP_SECS,
            totp::DIGITS,
        )
    }

    pub async fn events(&self, action: &str) -> Vec<Event> {
        tongban_db::event::read_after(&self.db, 0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == action)
            .collect()
    }

    pub async fn all_events(&self) -> Vec<Event> {
        tongban_db::event::read_after(&self.db, 0, 10_000).await.unwrap()
    }
}

fn dept(code: &str, zh: &str, en: &str, parent: Option<&Department>, kind: DeptKind) -> NewDepartment {
    NewDepartment {
        code: code.into(),
        name_zh: zh.into(),
        name_en: en.into(),
        parent: parent.map(|p| p.id.clone()),
        kind,
    }
}

pub fn new_dept(code: &str, zh: &str, parent: &Department) -> NewDepartment {
    dept(code, zh, "", Some(parent), DeptKind::Office)
}
