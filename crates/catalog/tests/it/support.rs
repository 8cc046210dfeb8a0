//! Fixtures: a small fictional city with four departments, staff principals built directly (the
//! catalog never reads identity), resources built by small builders, and a clock tests can move.

use jiff::civil::Date;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use tongban_catalog::{
    Catalog, Classification, DataType, DeptRef, Error, Grantee, NewRequest, OpenClass, QualityRule,
    RequestView, Resource, ResourceClass, ResourceField, ResourceFormat, ResourceInput, Sensitivity,
    SharingClass, SharingTerms, UpdateCycle,
};
use tongban_db::{Db, Event};
use tongban_kernel::{DeptPath, Millis, Principal, PrincipalKind, Role, RoleGrant, WorkCalendar};

pub struct World {
    pub cat: Catalog,
    pub db: Db,
    now: Arc<AtomicI64>,
    /// 公安局: provides the household register.
    pub police: DeptRef,
    /// 户政科, an office of the police.
    pub police_office: DeptRef,
    /// 民政局: asks for data.
    pub civil: DeptRef,
    /// 教育局: a bystander.
    pub education: DeptRef,
}

pub fn system() -> Principal {
    Principal::system("test")
}

fn dept(code: &str, parent: &str, name: &str) -> DeptRef {
    DeptRef {
        id: tongban_kernel::id::new_uuid_v7(),
        path: DeptPath(format!("{parent}{code}/")),
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
    pub async fn new(db: Db) -> World {
        Self::with_calendar(db, WorkCalendar::bundled()).await
    }

    pub async fn with_calendar(db: Db, calendar: WorkCalendar) -> World {
        let now = Arc::new(AtomicI64::new(at(jiff::civil::date(2026, 3, 2))));
        let n = now.clone();
        let cat = Catalog::new(db.clone(), calendar).with_clock(move || Millis(n.load(Ordering::SeqCst)));
        let police = dept("3301-GA", "/3301/", "公安局");
        let police_office = dept("3301-GA-HZ", police.path.as_str(), "户政科");
        World {
            cat,
            db,
            now,
            police,
            police_office,
            civil: dept("3301-MZ", "/3301/", "民政局"),
            education: dept("3301-JY", "/3301/", "教育局"),
        }
    }

    /// Moves the service's clock to 10:00 on `day`.
    pub fn set_today(&self, day: Date) {
        self.now.store(at(day), Ordering::SeqCst);
    }

    pub fn today(&self) -> Date {
        self.cat.today()
    }

    pub async fn events(&self, action: &str) -> Vec<Event> {
        tongban_db::event::read_after(&self.db, 0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == action)
            .collect()
    }

    /// Catalogues and publishes `input` as the platform.
    pub async fn published(&self, input: ResourceInput) -> Resource {
        let r = self.cat.create_resource(&system(), input).await.unwrap();
        self.cat.publish_resource(&system(), &r.id).await.unwrap()
    }

    /// A request by `actor` for `dept` asking `fields` of `resource`, valid until 2027-06-30.
    pub async fn request(
        &self,
        actor: &Principal,
        dept: &DeptRef,
        resource: &Resource,
        fields: &[&str],
    ) -> Result<RequestView, Error> {
        self.cat
            .request_sharing(actor, new_request(grantee(dept), resource, fields))
            .await
    }
}

pub fn grantee(d: &DeptRef) -> Grantee {
    Grantee::Department {
        id: d.id.clone(),
        path: d.path.clone(),
    }
}

pub fn new_request(requester: Grantee, resource: &Resource, fields: &[&str]) -> NewRequest {
    NewRequest {
        requester,
        resource: resource.id.clone(),
        fields: fields.iter().map(|f| f.to_string()).collect(),
        purpose: "最低生活保障资格核查".into(),
        scenario: "低保申请审核".into(),
        legal_basis: "《社会救助暂行办法》第十一条".into(),
        valid_until: jiff::civil::date(2027, 6, 30),
    }
}

/// A staff member of `dept` holding `role` over it.
pub fn staff(name: &str, dept: &DeptRef, role: Role) -> Principal {
    scoped(name, dept, role, &dept.path)
}

/// A staff member of `dept` holding `role` over `scope`.
pub fn scoped(name: &str, dept: &DeptRef, role: Role, scope: &DeptPath) -> Principal {
    Principal {
        kind: PrincipalKind::User,
        id: tongban_kernel::id::new_uuid_v7(),
        name: name.into(),
        department: Some(dept.path.clone()),
        grants: vec![RoleGrant {
            role,
            scope: scope.clone(),
        }],
        purpose: None,
    }
}

/// The data authority (数据局), scoped over the whole city.
pub fn data_admin(w: &World) -> Principal {
    scoped(
        "sj-admin",
        &w.education,
        Role::DataAdmin,
        &DeptPath("/3301/".into()),
    )
}

pub fn field(code: &str, name: &str, data_type: DataType, sensitivity: Sensitivity) -> ResourceField {
    ResourceField {
        code: code.into(),
        name_zh: name.into(),
        data_type,
        description: format!("{name}的说明"),
        sensitivity,
        is_key: code == "id_number",
        rules: if code == "id_number" {
            vec![QualityRule::Required, QualityRule::Unique]
        } else {
            Vec::new()
        },
        standardizer: (code == "id_number").then(|| "id_number".to_string()),
    }
}

/// A household-register style resource of `provider` with the sharing class given.
pub fn resource(code: &str, provider: &DeptRef, class: SharingClass) -> ResourceInput {
    ResourceInput {
        code: code.into(),
        name_zh: format!("户籍人口信息 {code}"),
        name_en: "Registered residents".into(),
        provider: provider.clone(),
        summary: "本市户籍人口的基本信息".into(),
        classification: Classification {
            class: ResourceClass::Basic,
            category: "01".into(),
            item: "01".into(),
            detail: String::new(),
        },
        format: ResourceFormat::Table,
        fields: vec![
            field("id_number", "身份证号", DataType::String, Sensitivity::Personal),
            field("name", "姓名", DataType::String, Sensitivity::Personal),
            field("district", "所属区县", DataType::String, Sensitivity::Internal),
            field("birth_date", "出生日期", DataType::Date, Sensitivity::Public),
        ],
        sharing: SharingTerms {
            class,
            condition: if class == SharingClass::Conditional {
                "仅用于政务服务办理".into()
            } else {
                String::new()
            },
            legal_basis: if class == SharingClass::Unconditional {
                String::new()
            } else {
                "《中华人民共和国个人信息保护法》第三十四条".into()
            },
        },
        open_class: OpenClass::NotOpen,
        update_cycle: UpdateCycle::Daily,
        related: Vec::new(),
        keywords: vec!["人口".into()],
    }
}

/// An open-data resource (no personal fields).
pub fn open_resource(code: &str, provider: &DeptRef) -> ResourceInput {
    ResourceInput {
        code: code.into(),
        name_zh: format!("空气质量日报 {code}"),
        name_en: "Daily air quality".into(),
        provider: provider.clone(),
        summary: "各监测站每日空气质量指数".into(),
        classification: Classification {
            class: ResourceClass::Thematic,
            category: "05".into(),
            item: String::new(),
            detail: String::new(),
        },
        format: ResourceFormat::Table,
        fields: vec![
            field("station", "监测站", DataType::String, Sensitivity::Public),
            field("aqi", "空气质量指数", DataType::Integer, Sensitivity::Public),
            field(
                "sensor_serial",
                "设备序列号",
                DataType::String,
                Sensitivity::Internal,
            ),
        ],
        sharing: SharingTerms {
            class: SharingClass::Unconditional,
            condition: String::new(),
            legal_basis: String::new(),
        },
        open_class: OpenClass::Open,
        update_cycle: UpdateCycle::Daily,
        related: Vec::new(),
        keywords: vec!["空气".into(), "环境".into()],
    }
}

pub fn forbidden<T: std::fmt::Debug>(r: Result<T, Error>) {
    match r {
        Err(Error::Forbidden { why }) => assert!(!why.to_string().is_empty()),
        other => panic!("expected Forbidden, got {other:?}"),
    }
}

/// Asserts an `Invalid` naming `field`.
pub fn invalid<T: std::fmt::Debug>(r: Result<T, Error>, field: &str) {
    match r {
        Err(Error::Invalid(i)) => assert_eq!(i.field, field, "{i}"),
        other => panic!("expected Invalid on {field}, got {other:?}"),
    }
}

/// Asserts a `Conflict` naming `field`.
pub fn conflict<T: std::fmt::Debug>(r: Result<T, Error>, field: &str) {
    match r {
        Err(Error::Conflict { field: f, reason }) => assert_eq!(f, field, "{reason}"),
        other => panic!("expected Conflict on {field}, got {other:?}"),
    }
}
