//! Fixtures: a small fictional city with four departments, citizens and staff principals built
//! directly (interaction never reads identity), categories and rules set up by the platform,
//! items built by a small builder, and a clock tests can move.

use jiff::civil::Date;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use tongban_crypto::Keyring;
use tongban_db::{Db, Event};
use tongban_interact::{
    Channel, ContactInput, ContactPreference, DeptRef, Error, Interact, ItemKind, ItemView, LocationInput,
    NewCategory, NewItem, NewRule, Reply, ReplyInput, ReviewDecision,
};
use tongban_kernel::{DeptPath, Millis, Principal, PrincipalKind, Role, RoleGrant, WorkCalendar};

pub struct World {
    pub ix: Interact,
    pub db: Db,
    now: Arc<AtomicI64>,
    /// 城市管理局: street lights, roads.
    pub urban: DeptRef,
    /// 公安局.
    pub police: DeptRef,
    /// 民政局.
    pub civil: DeptRef,
    /// 住房和城乡建设局.
    pub housing: DeptRef,
}

pub fn system() -> Principal {
    Principal::system("test")
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
    /// The city on Monday 2026-03-02 with categories `road_lighting` (→ 城管局; in district
    /// `XH` → 住建局), `household` (→ 公安局), `social_aid` (→ 民政局) and `other` (no rule).
    pub async fn new(db: Db) -> World {
        let now = Arc::new(AtomicI64::new(at(jiff::civil::date(2026, 3, 2))));
        let n = now.clone();
        let ix = Interact::new(db.clone(), Keyring::ephemeral().fields(), WorkCalendar::bundled())
            .with_clock(move || Millis(n.load(Ordering::SeqCst)));
        let w = World {
            ix,
            db,
            now,
            urban: dept("3301-CG", "城市管理局"),
            police: dept("3301-GA", "公安局"),
            civil: dept("3301-MZ", "民政局"),
            housing: dept("3301-ZJ", "住房和城乡建设局"),
        };
        let sys = system();
        for (code, zh, en) in [
            ("road_lighting", "路灯照明", "Street lighting"),
            ("household", "户籍管理", "Household registration"),
            ("social_aid", "社会救助", "Social assistance"),
            ("other", "其他", "Other"),
        ] {
            w.ix.add_category(
                &sys,
                NewCategory {
                    code: code.into(),
                    name_zh: zh.into(),
                    name_en: en.into(),
                },
            )
            .await
            .unwrap();
        }
        for (category, district, d) in [
            ("road_lighting", None, &w.urban),
            ("road_lighting", Some("XH"), &w.housing),
            ("household", None, &w.police),
            ("social_aid", None, &w.civil),
        ] {
            w.ix.set_rule(
                &sys,
                NewRule {
                    category: category.into(),
                    district: district.map(str::to_string),
                    department: d.clone(),
                },
            )
            .await
            .unwrap();
        }
        w
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

    /// Submits `new` as `actor`, expecting success.
    pub async fn submit(&self, actor: &Principal, new: NewItem) -> ItemView {
        self.ix.submit(actor, new).await.unwrap()
    }

    /// Replies as a clerk of the item's department and, for a public item, approves and
    /// publishes as that department's reviewer.
    pub async fn answer(&self, view: &ItemView, text: &str) -> Reply {
        let dept = view.item.department.clone().unwrap();
        let reply = self
            .ix
            .reply(
                &staff("clerk", &dept, Role::Clerk),
                &view.item.id,
                ReplyInput { text: text.into() },
            )
            .await
            .unwrap();
        if view.item.public {
            self.ix
                .review_reply(
                    &staff("reviewer", &dept, Role::Reviewer),
                    &reply.id,
                    ReviewDecision::Approve { publish: true },
                )
                .await
                .unwrap()
        } else {
            reply
        }
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

/// A member of the city's dispatch centre (12345): `role` over the whole tree.
pub fn city_wide(name: &str, role: Role) -> Principal {
    Principal {
        kind: PrincipalKind::User,
        id: tongban_kernel::id::new_uuid_v7(),
        name: name.into(),
        department: Some(DeptPath("/3301/".into())),
        grants: vec![RoleGrant {
            role,
            scope: DeptPath::root(),
        }],
        purpose: None,
    }
}

/// An inquiry of `kind` in `category`, private, contact in-app.
pub fn item(kind: ItemKind, category: &str, title: &str, text: &str) -> NewItem {
    NewItem {
        kind,
        category: category.into(),
        title: title.into(),
        text: text.into(),
        location: None,
        public: false,
        contact: ContactInput::default(),
        channel: Channel::Portal,
        source_key: None,
    }
}

/// A street-light complaint at a point (in district `district`).
pub fn street_light(text: &str, lat: f64, lon: f64, district: &str) -> NewItem {
    NewItem {
        location: Some(LocationInput {
            address: "翠苑路".into(),
            district: district.into(),
            latitude: Some(lat),
            longitude: Some(lon),
        }),
        ..item(ItemKind::Complaint, "road_lighting", "路灯不亮", text)
    }
}

/// Contact by phone.
pub fn by_phone(name: &str, phone: &str) -> ContactInput {
    ContactInput {
        preference: ContactPreference::Phone,
        name: name.into(),
        phone: phone.into(),
        email: String::new(),
    }
}

pub fn forbidden<T: std::fmt::Debug>(r: Result<T, Error>) {
    match r {
        Err(Error::Forbidden { why }) => tongban_test_support::said_in_both(&why),
        other => panic!("expected Forbidden, got {other:?}"),
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
        Err(Error::Conflict { field: f, reason }) => assert_eq!(f, field, "{reason}"),
        other => panic!("expected Conflict on {field}, got {other:?}"),
    }
}
