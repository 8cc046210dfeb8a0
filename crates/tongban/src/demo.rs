//! The demo city (示范市): departments, staff with roles, citizens and a business, all fictional,
//! seeded deterministically and idempotently — running it twice creates nothing twice.

use anyhow::{Context, Result};
use tongban_identity::{
    AccountView, BusinessRegistration, CitizenRegistration, DeptKind, Error as IdError, Identity,
    NewDepartment, NewStaff,
};
use tongban_kernel::{CreditCode, IdNumber, Principal, Role, RoleGrant};

/// Every demo account's password.
pub const PASSWORD: &str = "Tongban@2026";

/// The city's code (fictional: no real prefecture uses 99).
const CITY: &str = "9901";

/// A seeded bureau: its code suffix, names, the prefix of its staff accounts, and one office.
struct DemoDept {
    suffix: &'static str,
    zh: &'static str,
    en: &'static str,
    prefix: &'static str,
    office: (&'static str, &'static str, &'static str),
}

const DEPARTMENTS: &[DemoDept] = &[
    DemoDept {
        suffix: "GA",
        zh: "公安局",
        en: "Public Security Bureau",
        prefix: "ga",
        office: ("HZ", "户政科", "Household Registration Section"),
    },
    DemoDept {
        suffix: "MZ",
        zh: "民政局",
        en: "Civil Affairs Bureau",
        prefix: "mz",
        office: ("SW", "社会事务科", "Social Affairs Section"),
    },
    DemoDept {
        suffix: "RS",
        zh: "人力资源和社会保障局",
        en: "Human Resources and Social Security Bureau",
        prefix: "rs",
        office: ("SB", "社会保险科", "Social Insurance Section"),
    },
    DemoDept {
        suffix: "SJ",
        zh: "市场监督管理局",
        en: "Market Regulation Bureau",
        prefix: "sj",
        office: ("DJ", "登记注册科", "Registration Section"),
    },
    DemoDept {
        suffix: "WJ",
        zh: "卫生健康委员会",
        en: "Health Commission",
        prefix: "wj",
        office: ("YZ", "医政科", "Medical Administration Section"),
    },
    DemoDept {
        suffix: "HJ",
        zh: "生态环境局",
        en: "Ecology and Environment Bureau",
        prefix: "hj",
        office: ("JC", "监测科", "Monitoring Section"),
    },
    DemoDept {
        suffix: "JY",
        zh: "教育局",
        en: "Education Bureau",
        prefix: "jy",
        office: ("JW", "基础教育科", "Basic Education Section"),
    },
    DemoDept {
        suffix: "SJJ",
        zh: "数据局",
        en: "Data Bureau",
        prefix: "sjj",
        office: ("ZY", "数据资源科", "Data Resources Section"),
    },
];

/// One seeded account, for the printout.
pub struct DemoAccount {
    /// Login name.
    pub username: String,
    /// What it is for.
    pub what: String,
}

fn is_conflict(e: &IdError) -> bool {
    matches!(e, IdError::Conflict { .. })
}

/// Seeds the demo city if not yet seeded. Returns the demo accounts.
pub async fn seed(identity: &Identity) -> Result<Vec<DemoAccount>> {
    let actor = Principal::system("demo");
    let mut accounts = Vec::new();

    let city = ensure_department(
        identity,
        &actor,
        CITY,
        "示范市",
        "Demo City",
        None,
        DeptKind::City,
    )
    .await?;
    let mut depts = Vec::new();
    for DemoDept {
        suffix,
        zh,
        en,
        office,
        ..
    } in DEPARTMENTS
    {
        let code = format!("{CITY}-{suffix}");
        let d = ensure_department(identity, &actor, &code, zh, en, Some(&city), DeptKind::Department).await?;
        let (osuffix, ozh, oen) = office;
        let ocode = format!("{code}-{osuffix}");
        ensure_department(identity, &actor, &ocode, ozh, oen, Some(&d), DeptKind::Office).await?;
        depts.push(d);
    }

    let staff =
        |username: &str, name: &str, dept: &tongban_identity::Department, roles: Vec<Role>| NewStaff {
            username: username.to_string(),
            display_name: name.to_string(),
            password: PASSWORD.to_string(),
            department: dept.id.clone(),
            roles,
            phone: None,
            is_demo: true,
        };
    let data_bureau = depts
        .iter()
        .find(|d| d.code.ends_with("-SJJ"))
        .unwrap_or(&city)
        .clone();
    let mut plan = vec![
        (
            staff("sysadmin", "系统管理员", &city, vec![Role::SysAdmin]),
            say!("system-admin-mfa-set-up"),
            true,
        ),
        (
            staff("secadmin", "安全管理员", &city, vec![Role::SecurityAdmin]),
            say!("security-admin-ledger-mfa-set"),
            true,
        ),
        (
            staff("leader", "市领导", &city, vec![Role::Leader]),
            say!("leader"),
            true,
        ),
        (
            // Service items and bundles across the bureaus; no accounts, no cases.
            staff("hall_admin", "政务服务管理员", &city, vec![Role::ServiceAdmin]),
            say!("city-service-administrator-items-bundles"),
            true,
        ),
        (
            staff("sjj_data", "数据管理员", &data_bureau, vec![Role::DataAdmin]),
            say!("data-authority"),
            true,
        ),
    ];
    for (DemoDept { zh, en, prefix, .. }, d) in DEPARTMENTS.iter().zip(&depts) {
        for (suffix, role) in [
            ("clerk", Role::Clerk),
            ("reviewer", Role::Reviewer),
            ("approver", Role::Approver),
            ("admin", Role::DeptAdmin),
        ] {
            let username = format!("{prefix}_{suffix}");
            let name = format!("{zh}{}", role.name_zh());
            let what = say!(
                "demo-staff-role",
                dept = tongban_kernel::Arg::name(*zh, *en),
                role = tongban_kernel::Arg::name(role.name_zh(), role.name_en().to_lowercase())
            );
            plan.push((staff(&username, &name, d, vec![role]), what, false));
        }
    }
    for (new, what, always_print) in plan {
        let username = new.username.clone();
        let created = ensure(identity.create_staff(&actor, new).await)?;
        // The data authority and the leader act for the whole city, not only their own office.
        if let Some(view) = created
            && (username == "sjj_data" || username == "leader")
        {
            let grants = view
                .grants
                .iter()
                .map(|g| RoleGrant {
                    role: g.role,
                    scope: city.path.clone(),
                })
                .collect();
            identity.set_roles(&actor, &view.id, grants).await?;
        }
        if always_print || username.starts_with("ga_") || username.starts_with("mz_") {
            accounts.push(DemoAccount { username, what });
        }
    }

    // Fictional people: region 990101 exists nowhere; the check digits are real.
    for (username, name, body, phone) in [
        ("citizen1", "张晓明", "99010119900307123", "13800000001"),
        ("citizen2", "李芳", "99010119851122456", "13800000002"),
    ] {
        let id = IdNumber::with_check(body).context("demo ID number")?;
        let reg = CitizenRegistration {
            username: username.into(),
            password: PASSWORD.into(),
            real_name: name.into(),
            id_number: id.as_str().into(),
            phone: Some(phone.into()),
            display_name: None,
            is_demo: true,
        };
        ensure(identity.register_citizen(&actor, reg).await)?;
        accounts.push(DemoAccount {
            username: username.into(),
            what: say!("citizen"),
        });
    }
    let code = CreditCode::with_check("91990100MA0000001").context("demo credit code")?;
    let reg = BusinessRegistration {
        username: "business1".into(),
        password: PASSWORD.into(),
        credit_code: code.as_str().into(),
        company_name: "示范市通达科技有限公司".into(),
        contact_name: "王强".into(),
        phone: Some("13800000003".into()),
        is_demo: true,
    };
    ensure(identity.register_business(&actor, reg).await)?;
    accounts.push(DemoAccount {
        username: "business1".into(),
        what: say!("business"),
    });
    Ok(accounts)
}

/// The account if it was created now; `None` if it already existed.
fn ensure(r: Result<AccountView, IdError>) -> Result<Option<AccountView>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if is_conflict(&e) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

async fn ensure_department(
    identity: &Identity,
    actor: &Principal,
    code: &str,
    zh: &str,
    en: &str,
    parent: Option<&tongban_identity::Department>,
    kind: DeptKind,
) -> Result<tongban_identity::Department> {
    if let Ok(d) = identity.department_by_code(actor, code).await {
        return Ok(d);
    }
    let new = NewDepartment {
        code: code.into(),
        name_zh: zh.into(),
        name_en: en.into(),
        parent: parent.map(|p| p.id.clone()),
        kind,
    };
    Ok(identity.create_department(actor, new).await?)
}

/// The demo city's shared data resources (a data file, so the catalog reads like a catalog).
const DEMO_CATALOG: &str = include_str!("demo_catalog.json");

/// Seeds the catalog: every demo resource published; 人社局 holding an unconditional grant on the
/// business registry; 民政局's conditional request for household data waiting for the data
/// authority, so the sharing workflow can be tried; the departments running person services
/// granted the household fields their application forms prefill. Idempotent.
pub async fn seed_catalog(identity: &Identity, catalog: &tongban_catalog::Catalog) -> Result<()> {
    use tongban_catalog::{
        Decision, Error as CatError, GrantTerms, GrantUse, Grantee, NewRequest, ResourceInput,
        ResourceStatus, Review,
    };
    let actor = Principal::system("demo");
    let entries: Vec<serde_json::Value> = serde_json::from_str(DEMO_CATALOG).context("demo catalog data")?;
    for mut entry in entries {
        let provider_code = entry["provider"].as_str().unwrap_or_default().to_string();
        let dept = identity.department_by_code(&actor, &provider_code).await?;
        entry["provider"] =
            serde_json::json!({ "id": dept.id.as_str(), "path": dept.path, "name_zh": dept.name_zh });
        let input: ResourceInput = serde_json::from_value(entry).context("demo resource")?;
        let resource = match catalog.resource_by_code(&actor, &input.code).await {
            Ok(r) => r,
            Err(CatError::NotFound { .. }) => catalog.create_resource(&actor, input).await?,
            Err(e) => return Err(e.into()),
        };
        if resource.status == ResourceStatus::Draft {
            catalog.publish_resource(&actor, &resource.id).await?;
        }
    }

    let today = catalog.today();
    let valid_until = today
        .checked_add(jiff::Span::new().days(365))
        .context("date arithmetic")?;
    let plans = [
        (
            "9901-RS",
            "9901-SJ-0001",
            vec!["credit_code", "entity_name", "status"],
            "核验参保单位的登记状态",
            "《社会保险法》第五十七条",
        ),
        (
            "9901-MZ",
            "9901-GA-0001",
            vec!["id_number", "name", "district"],
            "最低生活保障申请人的户籍核验（免提交户口簿）",
            "《社会救助暂行办法》第十一条",
        ),
    ];
    for (requester, code, fields, purpose, basis) in plans {
        let d = identity.department_by_code(&actor, requester).await?;
        let grantee = Grantee::Department {
            id: d.id.to_string(),
            path: d.path,
        };
        if catalog.effective_grant(&grantee, code, today).await?.is_some() {
            continue;
        }
        let resource = catalog.resource_by_code(&actor, code).await?;
        let new = NewRequest {
            requester: grantee,
            resource: resource.id,
            fields: fields.into_iter().map(str::to_string).collect(),
            purpose: purpose.into(),
            scenario: "示范市一网通办".into(),
            legal_basis: basis.into(),
            valid_until,
        };
        match catalog.request_sharing(&actor, new).await {
            Ok(_) => {}
            // Already asked and still open: nothing to seed twice.
            Err(CatError::Conflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }

    // The hall's services prefill the applicant's name, ID number and address from the
    // household registry: each department running such a service holds a grant on those three
    // fields, in clear because the values are shown only to the applicant they are about — and
    // for that use only: no SQL over the register, no exchange lookups (least privilege).
    let prefill_basis = "申请人本人办事时预填申请表，仅向本人展示 / prefilled for the applicant only";
    for requester in ["9901-SJ", "9901-RS", "9901-WJ", "9901-JY"] {
        let d = identity.department_by_code(&actor, requester).await?;
        let grantee = Grantee::Department {
            id: d.id.to_string(),
            path: d.path,
        };
        if catalog
            .effective_grant(&grantee, "9901-GA-0001", today)
            .await?
            .is_some()
        {
            continue;
        }
        let resource = catalog.resource_by_code(&actor, "9901-GA-0001").await?;
        let fields = vec!["id_number".to_string(), "name".to_string(), "address".to_string()];
        let new = NewRequest {
            requester: grantee,
            resource: resource.id,
            fields: fields.clone(),
            purpose: "一网通办申请表预填（免提交身份证明和户口簿）".into(),
            scenario: "示范市一网通办".into(),
            legal_basis: "《国务院关于加快推进全国一体化在线政务服务平台建设的指导意见》".into(),
            valid_until,
        };
        let id = match catalog.request_sharing(&actor, new).await {
            Ok(v) => v.request.id,
            Err(CatError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        };
        catalog
            .review(&actor, &id, Review::Approve { note: String::new() })
            .await?;
        let terms = GrantTerms {
            clear_fields: fields,
            clear_basis: prefill_basis.into(),
            uses: vec![GrantUse::Prefill],
            ..GrantTerms::default()
        };
        catalog.decide(&actor, &id, Decision::Grant(terms)).await?;
    }
    Ok(())
}
