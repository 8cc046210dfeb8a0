//! Fixtures: a small fictional city with five departments, citizens, staff and administrators
//! built directly as principals (the hall never reads identity), a service item with a typed
//! form built by a small builder, and a clock tests can move.

use jiff::civil::Date;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use tongban_crypto::Keyring;
use tongban_db::{Db, Event};
use tongban_hall::{
    AssigneeInput, CaseView, ChoiceOption, DeptRef, Error, Fee, FieldKind, FieldSource, FormField, Hall,
    ItemType, Material, MaterialSource, NewCase, ServiceItem, ServiceItemInput, SignMode, StaticDirectory,
    StepInput, StepKind, Workflow,
};
use tongban_kernel::{DeptPath, Millis, Principal, PrincipalKind, Role, RoleGrant, WorkCalendar};

pub struct World {
    pub hall: Hall,
    pub db: Db,
    pub now: Arc<AtomicI64>,
    /// 公安局: runs the test item.
    pub police: DeptRef,
    /// 民政局.
    pub civil: DeptRef,
    /// 人社局.
    pub labour: DeptRef,
    /// 卫健委.
    pub health: DeptRef,
    /// 市场监管局.
    pub market: DeptRef,
}

fn dept(code: &str, name: &str) -> DeptRef {
    DeptRef {
        id: tongban_kernel::id::new_uuid_v7(),
        path: DeptPath(format!("/3301/{code}/")),
        name_zh: name.into(),
    }
}

/// Milliseconds at 10:00 in Shanghai on `day`.
pub fn at(day: Date) -> i64 {
    day.at(10, 0, 0, 0)
        .to_zoned(tongban_kernel::time::zone("Asia/Shanghai"))
        .unwrap()
        .timestamp()
        .as_millisecond()
}

impl World {
    /// The city on Monday 2026-03-02.
    pub async fn new(db: Db) -> World {
        let now = Arc::new(AtomicI64::new(at(jiff::civil::date(2026, 3, 2))));
        let police = dept("3301-GA", "公安局");
        let civil = dept("3301-MZ", "民政局");
        let labour = dept("3301-RS", "人社局");
        let health = dept("3301-WJ", "卫健委");
        let market = dept("3301-SC", "市场监管局");
        let directory = StaticDirectory::new(vec![
            police.clone(),
            civil.clone(),
            labour.clone(),
            health.clone(),
            market.clone(),
        ]);
        let n = now.clone();
        let hall = Hall::new(
            db.clone(),
            Keyring::ephemeral().fields(),
            WorkCalendar::bundled(),
            Arc::new(directory),
        )
        .with_clock(move || Millis(n.load(Ordering::SeqCst)));
        World {
            hall,
            db,
            now,
            police,
            civil,
            labour,
            health,
            market,
        }
    }

    /// A seal service on the same database and clock (with a keyring of its own).
    pub fn seals(&self) -> tongban_seal::Seals {
        let n = self.now.clone();
        tongban_seal::Seals::new(self.db.clone(), Keyring::ephemeral())
            .with_clock(move || Millis(n.load(Ordering::SeqCst)))
    }

    /// Moves the service's clock to 10:00 on `day`.
    pub fn set_today(&self, day: Date) {
        self.now.store(at(day), Ordering::SeqCst);
    }

    pub async fn events(&self, action: &str) -> Vec<Event> {
        tongban_db::event::read_after(&self.db, 0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == action)
            .collect()
    }

    /// Creates the test item in 公安局 (statutory 20, promised `promised` working days) with
    /// the workflow `steps`, as 公安局's administrator.
    pub async fn item_with(
        &self,
        code: &str,
        promised: u32,
        steps: Vec<StepInput>,
    ) -> (ServiceItem, Workflow) {
        let admin = staff("ga-admin", &self.police, Role::DeptAdmin);
        let item = self
            .hall
            .create_item(&admin, item_input(code, &self.police))
            .await
            .unwrap();
        let item = self
            .hall
            .update_item(
                &admin,
                &item.id,
                item.version,
                ServiceItemInput {
                    promised_days: promised,
                    ..item_input(code, &self.police)
                },
            )
            .await
            .unwrap();
        let wf = self.hall.save_workflow(&admin, &item.id, steps).await.unwrap();
        let item = self.hall.item(&item.id).await.unwrap();
        (item, wf)
    }

    /// The plain workflow: 公安局 clerk accepts (2-day step limit), reviewer reviews, approver
    /// decides, clerk issues.
    pub fn plain_steps(&self) -> Vec<StepInput> {
        vec![
            step(
                StepKind::Accept,
                &[(&self.police, "clerk")],
                SignMode::All,
                Some(2),
            ),
            step(
                StepKind::Review,
                &[(&self.police, "reviewer")],
                SignMode::All,
                None,
            ),
            step(
                StepKind::Decide,
                &[(&self.police, "approver")],
                SignMode::All,
                None,
            ),
            step(StepKind::Issue, &[(&self.police, "clerk")], SignMode::All, None),
        ]
    }

    /// Accept by 公安局, then a joint review by 公安局, 民政局 and 人社局 reviewers in `mode`.
    pub fn joint_steps(&self, mode: SignMode) -> Vec<StepInput> {
        vec![
            step(StepKind::Accept, &[(&self.police, "clerk")], SignMode::All, None),
            step(
                StepKind::Review,
                &[
                    (&self.police, "reviewer"),
                    (&self.civil, "reviewer"),
                    (&self.labour, "reviewer"),
                ],
                mode,
                Some(5),
            ),
            step(
                StepKind::Decide,
                &[(&self.police, "approver")],
                SignMode::All,
                None,
            ),
            step(StepKind::Issue, &[(&self.police, "clerk")], SignMode::All, None),
        ]
    }

    /// Submits a valid application for `item` as `who` under `key`.
    pub async fn apply(&self, who: &Principal, item: &ServiceItem, key: &str) -> CaseView {
        self.hall.submit_case(who, application(item, key)).await.unwrap()
    }
}

pub fn step(kind: StepKind, who: &[(&DeptRef, &str)], mode: SignMode, limit_days: Option<u32>) -> StepInput {
    StepInput {
        kind,
        name: String::new(),
        assignees: who
            .iter()
            .map(|(d, r)| AssigneeInput {
                department: d.path.0.clone(),
                role: (*r).into(),
            })
            .collect(),
        mode,
        limit_days,
    }
}

/// 居住证办理: name, ID number, phone, address, a choice and a file.
pub fn item_input(code: &str, dept: &DeptRef) -> ServiceItemInput {
    ServiceItemInput {
        code: code.into(),
        name: "居住证办理".into(),
        name_en: String::new(),
        department: dept.path.clone(),
        item_type: ItemType::PublicService,
        legal_basis: "《居住证暂行条例》第九条".into(),
        conditions: "在居住地居住半年以上".into(),
        materials: vec![
            Material {
                code: "household_record".into(),
                name: "户籍信息".into(),
                required: true,
                source: MaterialSource::SharedField {
                    resource: "GA-HUJI".into(),
                    field: "household_no".into(),
                },
            },
            Material {
                code: "photo".into(),
                name: "近期免冠照片".into(),
                // Optional here so most tests need no upload; `material.rs` makes it required.
                required: false,
                source: MaterialSource::Upload,
            },
            Material {
                code: "business_licence".into(),
                name: "营业执照".into(),
                required: false,
                source: MaterialSource::Licence {
                    licence_type: "business_licence".into(),
                },
            },
        ],
        fields: vec![
            field("name", "姓名", FieldKind::Text { max_chars: 40 }, true),
            FormField {
                prefill: Some(FieldSource {
                    resource: "GA-HUJI".into(),
                    field: "id_number".into(),
                }),
                ..field("id_number", "身份证号", FieldKind::IdNumber, true)
            },
            field("phone", "手机号码", FieldKind::Phone, false),
            field("address", "居住地址", FieldKind::Address, true),
            field(
                "reason",
                "居住事由",
                FieldKind::Choice {
                    options: vec![
                        ChoiceOption {
                            value: "work".into(),
                            label: "就业".into(),
                        },
                        ChoiceOption {
                            value: "study".into(),
                            label: "就学".into(),
                        },
                    ],
                },
                true,
            ),
            field(
                "months",
                "已居住月数",
                FieldKind::Number {
                    min: Some(0.0),
                    max: Some(1200.0),
                },
                false,
            ),
            field("photo", "照片", FieldKind::File, false),
        ],
        fees: vec![Fee {
            name: "工本费".into(),
            amount_fen: 0,
            basis: "首次申领免费".into(),
        }],
        statutory_days: 20,
        promised_days: 10,
        visits: 0,
        active: true,
        licence: None,
        topics: Vec::new(),
        life_events: Vec::new(),
    }
}

fn field(code: &str, label: &str, kind: FieldKind, required: bool) -> FormField {
    FormField {
        code: code.into(),
        label: label.into(),
        kind,
        required,
        personal: false,
        prefill: None,
    }
}

/// A fictional but valid ID number.
pub const ID: &str = "11010519491231002X";

pub fn form() -> BTreeMap<String, String> {
    [
        ("name", "张三"),
        ("id_number", ID),
        ("phone", "13812345678"),
        ("address", "浙江省杭州市西湖区文三路100号"),
        ("reason", "work"),
        ("months", "8"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

pub fn application(item: &ServiceItem, key: &str) -> NewCase {
    NewCase {
        item: item.id.clone(),
        form: form(),
        submission_key: key.into(),
        prefilled: Default::default(),
        materials: Default::default(),
    }
}

/// A signed-in citizen.
pub fn citizen(name: &str) -> Principal {
    Principal {
        kind: PrincipalKind::User,
        id: tongban_kernel::id::new_uuid_v7(),
        name: name.into(),
        department: None,
        grants: vec![RoleGrant {
            role: Role::Citizen,
            scope: DeptPath::root(),
        }],
        purpose: None,
    }
}

/// A staff member of `dept` holding `role` over it.
pub fn staff(name: &str, dept: &DeptRef, role: Role) -> Principal {
    Principal {
        kind: PrincipalKind::User,
        id: tongban_kernel::id::new_uuid_v7(),
        name: name.into(),
        department: Some(dept.path.clone()),
        grants: vec![RoleGrant {
            role,
            scope: dept.path.clone(),
        }],
        purpose: None,
    }
}

pub fn forbidden<T: std::fmt::Debug>(r: Result<T, Error>) {
    match r {
        Err(Error::Forbidden { why }) => tongban_test_support::said_in_both(&why),
        other => panic!("expected Forbidden, got {other:?}"),
    }
}

pub fn not_found<T: std::fmt::Debug>(r: Result<T, Error>) {
    match r {
        Err(Error::NotFound { what }) => assert_eq!(what, "case"),
        other => panic!("expected NotFound, got {other:?}"),
    }
}

/// Asserts an `Invalid` naming `field`.
pub fn invalid<T: std::fmt::Debug>(r: Result<T, Error>, field: &str) {
    match r {
        Err(Error::Invalid(i)) => {
            assert_eq!(i.field, field, "{i}");
            tongban_test_support::said_in_both(&i.reason);
        }
        other => panic!("expected Invalid on {field}, got {other:?}"),
    }
}

/// Asserts a `Conflict` naming `field`.
pub fn conflict<T: std::fmt::Debug>(r: Result<T, Error>, field: &str) {
    match r {
        Err(Error::Conflict { field: f, reason }) => {
            assert_eq!(f, field, "{reason}");
            tongban_test_support::said_in_both(&reason);
        }
        other => panic!("expected Conflict on {field}, got {other:?}"),
    }
}
