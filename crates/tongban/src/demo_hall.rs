//! The demo city's service hall: ten service items across seven bureaus (the newborn's
//! birth certificate, household registration, social security card and medical insurance; the
//! 个体工商户 opening with its e-licence; a food business licence with a joint review; …), each
//! with its workflow, and a few hundred cases in every state — waiting for acceptance (some
//! overdue), in 补正, under review, approved, completed with their sealed licences, refused,
//! denied and withdrawn — submitted over the past weeks on the legal clock. Idempotent: nothing
//! is added once any item exists. `TONGBAN_DEMO_CASES` sets the number of cases (default 300).

use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use tongban_hall::{
    AssigneeInput, BundleInput, CaseId, ChoiceOption, DecisionInput, Fee, FieldKind, FieldSource, FormField,
    Hall, ItemType, LicenceLine, LicenceSpec, LifeEvent, Material, MaterialInput, MaterialSource,
    NewBundleCase, NewCase, Outcome, RatingInput, RatingLevel, RectificationClose, ReviewInput, ServiceItem,
    ServiceItemInput, SignMode, StepInput, StepKind, SupplementAnswer, SupplementRequest, Topic, Upload,
};
use tongban_identity::Identity;
use tongban_kernel::{CreditCode, IdNumber, Millis, Page, Principal};

/// One demo item: code, Chinese and English names, bureau, type, basis, statutory and promised days, visits, the
/// extra form fields, the materials, the licence it ends in, and a second bureau that joins
/// the review (会签) if any.
struct DemoItem {
    code: &'static str,
    name: &'static str,
    name_en: &'static str,
    bureau: &'static str,
    item_type: ItemType,
    basis: &'static str,
    days: (u32, u32),
    visits: u32,
    business: bool,
    extra: Vec<FormField>,
    materials: Vec<Material>,
    licence: Option<LicenceSpec>,
    joint: Option<&'static str>,
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

fn text(code: &str, label: &str, required: bool) -> FormField {
    field(code, label, FieldKind::Text { max_chars: 100 }, required)
}

/// A person's name or other words about one person: personal data, stored encrypted and shown
/// masked (the household register calls names personal too).
fn personal(code: &str, label: &str) -> FormField {
    FormField {
        personal: true,
        ..text(code, label, true)
    }
}

fn choice(code: &str, label: &str, options: &[(&str, &str)]) -> FormField {
    let options = options
        .iter()
        .map(|(v, l)| ChoiceOption {
            value: (*v).into(),
            label: (*l).into(),
        })
        .collect();
    field(code, label, FieldKind::Choice { options }, true)
}

fn material(code: &str, name: &str, source: MaterialSource) -> Material {
    Material {
        code: code.into(),
        name: name.into(),
        required: true,
        source,
    }
}

fn shared(resource: &str, field: &str) -> MaterialSource {
    MaterialSource::SharedField {
        resource: resource.into(),
        field: field.into(),
    }
}

fn line(label: &str, field: &str) -> LicenceLine {
    LicenceLine {
        label: label.into(),
        field: field.into(),
    }
}

/// The applicant's own fields, asked by every item (a person's, or a business's).
fn applicant_fields(business: bool) -> Vec<FormField> {
    if business {
        vec![
            text("applicant_name", "申请单位名称", true),
            field(
                "credit_code",
                "统一社会信用代码",
                FieldKind::Text { max_chars: 18 },
                true,
            ),
            personal("contact_name", "联系人"),
            field("phone", "联系电话", FieldKind::Phone, true),
        ]
    } else {
        vec![
            FormField {
                prefill: Some(FieldSource {
                    resource: "9901-GA-0001".into(),
                    field: "name".into(),
                }),
                ..personal("applicant_name", "申请人姓名")
            },
            FormField {
                prefill: Some(FieldSource {
                    resource: "9901-GA-0001".into(),
                    field: "id_number".into(),
                }),
                ..field("id_number", "公民身份号码", FieldKind::IdNumber, true)
            },
            field("phone", "手机号码", FieldKind::Phone, true),
            FormField {
                prefill: Some(FieldSource {
                    resource: "9901-GA-0001".into(),
                    field: "address".into(),
                }),
                ..field("address", "户籍地址", FieldKind::Address, true)
            },
        ]
    }
}

/// Where the portal lists a demo item: its topics and life events.
fn browse(code: &str) -> (Vec<Topic>, Vec<LifeEvent>) {
    use LifeEvent as E;
    use Topic as T;
    match code {
        "9901-WJ-CSYXZM" => (vec![T::Health], vec![E::Birth]),
        "9901-GA-CSDJ" => (vec![T::Household], vec![E::Birth]),
        "9901-RS-SBK" => (vec![T::SocialSecurity], vec![E::Birth, E::Work]),
        "9901-RS-YBCB" => (vec![T::SocialSecurity, T::Health], vec![E::Birth, E::Retirement]),
        "9901-SJ-GTKY" | "9901-SJ-SPJY" => (vec![T::Business], vec![E::Work]),
        "9901-MZ-DB" => (vec![T::CivilAffairs], vec![E::Retirement]),
        "9901-GA-JZZ" => (vec![T::Household, T::Housing], vec![E::Moving, E::Work]),
        "9901-JY-RX" => (vec![T::Education], vec![E::Schooling]),
        "9901-HJ-PWDJ" => (vec![T::Environment, T::Business], vec![]),
        _ => (vec![], vec![]),
    }
}

fn items() -> Vec<DemoItem> {
    let person_licence = |licence_type: &str, title: &str, lines: Vec<LicenceLine>, years| LicenceSpec {
        licence_type: licence_type.into(),
        title: title.into(),
        holder_name_field: "applicant_name".into(),
        holder_id_field: "id_number".into(),
        lines,
        valid_years: years,
    };
    vec![
        DemoItem {
            code: "9901-WJ-CSYXZM",
            name: "出生医学证明签发",
            name_en: "Birth medical certificate",
            bureau: "9901-WJ",
            item_type: ItemType::Confirmation,
            basis: "《中华人民共和国母婴保健法》第二十三条",
            days: (10, 3),
            visits: 0,
            business: false,
            extra: vec![
                personal("baby_name", "新生儿姓名"),
                field("birth_date", "出生日期", FieldKind::PastDate, true),
                choice("baby_gender", "新生儿性别", &[("1", "男"), ("2", "女")]),
                text("hospital", "出生医院", true),
            ],
            materials: vec![material(
                "birth_record",
                "分娩记录",
                shared("9901-WJ-0001", "certificate_no"),
            )],
            licence: Some(person_licence(
                "birth-medical-certificate",
                "出生医学证明",
                vec![
                    line("新生儿姓名", "baby_name"),
                    line("性别", "baby_gender"),
                    line("出生日期", "birth_date"),
                    line("出生地点", "hospital"),
                ],
                None,
            )),
            joint: None,
        },
        DemoItem {
            code: "9901-GA-CSDJ",
            name: "出生登记（户口登记）",
            name_en: "Birth registration (household register)",
            bureau: "9901-GA",
            item_type: ItemType::Confirmation,
            basis: "《中华人民共和国户口登记条例》第七条",
            days: (20, 5),
            visits: 0,
            business: false,
            extra: vec![
                personal("baby_name", "新生儿姓名"),
                field("birth_date", "出生日期", FieldKind::PastDate, true),
                choice(
                    "relation",
                    "与户主关系",
                    &[("child", "子女"), ("grandchild", "孙子女")],
                ),
            ],
            materials: vec![
                material(
                    "birth_certificate",
                    "出生医学证明",
                    MaterialSource::Licence {
                        licence_type: "birth-medical-certificate".into(),
                    },
                ),
                material("household_book", "户口簿", shared("9901-GA-0001", "address")),
            ],
            licence: None,
            joint: None,
        },
        DemoItem {
            code: "9901-RS-SBK",
            name: "社会保障卡申领",
            name_en: "Social security card application",
            bureau: "9901-RS",
            item_type: ItemType::PublicService,
            basis: "《社会保障卡管理办法》",
            days: (20, 10),
            visits: 0,
            business: false,
            extra: vec![
                choice(
                    "bank",
                    "合作银行",
                    &[("icbc", "工商银行"), ("ccb", "建设银行"), ("abc", "农业银行")],
                ),
                field("photo", "证件照（用于制卡）", FieldKind::File, true),
            ],
            // The photo is asked once, as the form's file field above.
            materials: Vec::new(),
            licence: Some(person_licence(
                "social-security-card",
                "社会保障卡申领凭证",
                vec![line("合作银行", "bank")],
                None,
            )),
            joint: None,
        },
        DemoItem {
            code: "9901-RS-YBCB",
            name: "城乡居民基本医疗保险参保登记",
            name_en: "Resident basic medical insurance enrolment",
            bureau: "9901-RS",
            item_type: ItemType::PublicService,
            basis: "《中华人民共和国社会保险法》第二十五条",
            days: (15, 5),
            visits: 0,
            business: false,
            extra: vec![choice(
                "category",
                "参保类别",
                &[
                    ("newborn", "新生儿"),
                    ("resident", "城乡居民"),
                    ("student", "学生"),
                ],
            )],
            materials: vec![material(
                "id_card",
                "居民身份证",
                shared("9901-GA-0001", "id_number"),
            )],
            licence: Some(person_licence(
                "medical-insurance-record",
                "医疗保险参保凭证",
                vec![line("参保类别", "category")],
                Some(1),
            )),
            joint: None,
        },
        DemoItem {
            code: "9901-SJ-GTKY",
            name: "个体工商户开业登记",
            name_en: "Sole proprietorship registration",
            bureau: "9901-SJ",
            item_type: ItemType::Licensing,
            basis: "《促进个体工商户发展条例》；《市场主体登记管理条例》第十九条",
            days: (15, 3),
            visits: 0,
            business: false,
            extra: vec![
                text("shop_name", "个体工商户名称", true),
                text("premises", "经营场所", true),
                text("scope", "经营范围", true),
                choice(
                    "form",
                    "组成形式",
                    &[("personal", "个人经营"), ("family", "家庭经营")],
                ),
            ],
            materials: vec![
                material("id_card", "经营者身份证明", shared("9901-GA-0001", "id_number")),
                material("premises_proof", "经营场所使用证明", MaterialSource::Upload),
            ],
            licence: Some(person_licence(
                "individual-business-licence",
                "个体工商户营业执照",
                vec![
                    line("名称", "shop_name"),
                    line("经营者", "applicant_name"),
                    line("组成形式", "form"),
                    line("经营场所", "premises"),
                    line("经营范围", "scope"),
                ],
                None,
            )),
            joint: None,
        },
        DemoItem {
            code: "9901-SJ-SPJY",
            name: "食品经营许可",
            name_en: "Food business licence",
            bureau: "9901-SJ",
            item_type: ItemType::Licensing,
            basis: "《中华人民共和国食品安全法》第三十五条；《食品经营许可和备案管理办法》",
            days: (20, 10),
            visits: 1,
            business: true,
            extra: vec![
                text("premises", "经营场所", true),
                choice(
                    "format",
                    "主体业态",
                    &[
                        ("shop", "食品销售经营者"),
                        ("canteen", "单位食堂"),
                        ("restaurant", "餐饮服务经营者"),
                    ],
                ),
                text("items", "经营项目", true),
            ],
            materials: vec![
                material(
                    "business_licence",
                    "营业执照",
                    shared("9901-SJ-0001", "credit_code"),
                ),
                material("layout", "经营场所平面图", MaterialSource::Upload),
            ],
            licence: Some(LicenceSpec {
                licence_type: "food-business-licence".into(),
                title: "食品经营许可证".into(),
                holder_name_field: "applicant_name".into(),
                holder_id_field: "credit_code".into(),
                lines: vec![
                    line("经营者名称", "applicant_name"),
                    line("经营场所", "premises"),
                    line("主体业态", "format"),
                    line("经营项目", "items"),
                ],
                valid_years: Some(5),
            }),
            joint: Some("9901-WJ"),
        },
        DemoItem {
            code: "9901-MZ-DB",
            name: "最低生活保障审核确认",
            name_en: "Minimum living allowance confirmation",
            bureau: "9901-MZ",
            item_type: ItemType::Benefit,
            basis: "《社会救助暂行办法》第十一条",
            days: (30, 20),
            visits: 0,
            business: false,
            extra: vec![
                field(
                    "family_size",
                    "家庭人口数",
                    FieldKind::Number {
                        min: Some(1.0),
                        max: Some(20.0),
                    },
                    true,
                ),
                field(
                    "monthly_income",
                    "家庭月收入（元）",
                    FieldKind::Number {
                        min: Some(0.0),
                        max: Some(1_000_000.0),
                    },
                    true,
                ),
            ],
            materials: vec![material("income_proof", "收入证明", MaterialSource::Upload)],
            licence: None,
            joint: Some("9901-RS"),
        },
        DemoItem {
            code: "9901-GA-JZZ",
            name: "居住证办理",
            name_en: "Residence permit",
            bureau: "9901-GA",
            item_type: ItemType::PublicService,
            basis: "《居住证暂行条例》第九条",
            days: (15, 7),
            visits: 1,
            business: false,
            extra: vec![
                personal("residence", "居住地址"),
                choice(
                    "reason",
                    "居住事由",
                    &[("work", "就业"), ("study", "就学"), ("family", "投亲")],
                ),
            ],
            materials: vec![material(
                "lease",
                "居住证明（租赁合同等）",
                MaterialSource::Upload,
            )],
            licence: Some(person_licence(
                "residence-permit",
                "居住证",
                vec![line("居住地址", "residence")],
                Some(1),
            )),
            joint: None,
        },
        DemoItem {
            code: "9901-JY-RX",
            name: "义务教育阶段入学登记",
            name_en: "Compulsory education enrolment",
            bureau: "9901-JY",
            item_type: ItemType::PublicService,
            basis: "《中华人民共和国义务教育法》第十二条",
            days: (20, 10),
            visits: 0,
            business: false,
            extra: vec![
                personal("child_name", "适龄儿童姓名"),
                choice(
                    "stage",
                    "入学阶段",
                    &[("primary", "小学一年级"), ("junior", "初中一年级")],
                ),
            ],
            materials: vec![material(
                "household_book",
                "户口簿",
                shared("9901-GA-0001", "address"),
            )],
            licence: None,
            joint: None,
        },
        DemoItem {
            code: "9901-HJ-PWDJ",
            name: "排污登记",
            name_en: "Pollutant discharge registration",
            bureau: "9901-HJ",
            item_type: ItemType::Other,
            basis: "《排污许可管理条例》第二十四条",
            days: (10, 5),
            visits: 0,
            business: true,
            extra: vec![
                text("outlet", "排放口位置", true),
                text("pollutants", "主要污染物", true),
            ],
            materials: vec![material(
                "business_licence",
                "营业执照",
                shared("9901-SJ-0001", "credit_code"),
            )],
            licence: None,
            joint: None,
        },
    ]
}

fn steps(bureau: &str, path: &str, joint: Option<&str>) -> Vec<StepInput> {
    let who = |p: &str, role: &str| AssigneeInput {
        department: p.into(),
        role: role.into(),
    };
    let mut review = vec![who(path, "reviewer")];
    if let Some(other) = joint {
        review.push(who(&path.replace(bureau, other), "reviewer"));
    }
    vec![
        StepInput {
            kind: StepKind::Accept,
            name: "受理".into(),
            assignees: vec![who(path, "clerk")],
            mode: SignMode::All,
            limit_days: Some(2),
        },
        StepInput {
            kind: StepKind::Review,
            name: if joint.is_some() {
                "联合审查".into()
            } else {
                "审查".into()
            },
            assignees: review,
            mode: SignMode::All,
            limit_days: None,
        },
        StepInput {
            kind: StepKind::Decide,
            name: "决定".into(),
            assignees: vec![who(path, "approver")],
            mode: SignMode::All,
            limit_days: None,
        },
        StepInput {
            kind: StepKind::Issue,
            name: "办结".into(),
            assignees: vec![who(path, "clerk")],
            mode: SignMode::All,
            limit_days: None,
        },
    ]
}

/// A demo applicant: principal, name, identifier, phone, address.
struct Applicant {
    who: Principal,
    name: &'static str,
    id: String,
    phone: &'static str,
    address: &'static str,
}

fn form_for(item: &DemoItem, a: &Applicant, n: usize) -> BTreeMap<String, String> {
    let mut form = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        form.insert(k.to_string(), v);
    };
    put("applicant_name", a.name.into());
    put("phone", a.phone.into());
    if item.business {
        put("credit_code", a.id.clone());
        put("contact_name", "王强".into());
    } else {
        put("id_number", a.id.clone());
        put("address", a.address.into());
    }
    for f in &item.extra {
        let v = match &f.kind {
            FieldKind::Text { .. } => match f.code.as_str() {
                "baby_name" | "child_name" => ["张小宝", "张一诺", "李安安"][n % 3].into(),
                "shop_name" => format!("示范市晓明便利店{}号店", n % 7 + 1),
                "premises" | "residence" | "outlet" => format!("示范市中山路{}号", 10 + n % 90),
                "scope" => "食品销售；日用百货销售".into(),
                "hospital" => "示范市妇幼保健院".into(),
                "items" => "热食类食品制售".into(),
                "pollutants" => "化学需氧量、氨氮".into(),
                _ => "—".into(),
            },
            FieldKind::Date | FieldKind::PastDate => "2026-10-18".into(),
            FieldKind::Choice { options } => options
                .get(n % options.len().max(1))
                .map(|o| o.value.clone())
                .unwrap_or_default(),
            FieldKind::Number { .. } => match f.code.as_str() {
                "family_size" => format!("{}", 1 + n % 5),
                _ => format!("{}", 800 + (n % 10) * 100),
            },
            // Uploaded by `upload_file_fields`.
            FieldKind::File | FieldKind::IdNumber | FieldKind::Phone | FieldKind::Address => continue,
        };
        put(&f.code, v);
    }
    form
}

/// What happens to the `n`-th case after it is submitted.
#[derive(Clone, Copy)]
enum Fate {
    Waiting,
    InSupplement,
    Supplemented,
    InReview,
    Approved,
    Completed,
    Refused,
    Denied,
    Withdrawn,
}

const FATES: [Fate; 12] = [
    Fate::Waiting,
    Fate::Completed,
    Fate::InSupplement,
    Fate::InReview,
    Fate::Completed,
    Fate::Approved,
    Fate::Supplemented,
    Fate::Completed,
    Fate::Refused,
    Fate::Denied,
    Fate::Completed,
    Fate::Withdrawn,
];

/// Seeds the items, their workflows and the cases.
pub async fn seed(identity: &Identity, hall: &Hall) -> Result<()> {
    let demo = Principal::system("demo");
    if !hall.items(None, true).await?.is_empty() {
        return Ok(());
    }
    let total: usize = std::env::var("TONGBAN_DEMO_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    // The cases are made over the past weeks: the hall's clock is moved as they go.
    let start = Millis::now().plus_ms(-45 * 86_400_000);
    let clock = Arc::new(AtomicI64::new(start.0));
    let c = clock.clone();
    let hall = hall.clone().with_clock(move || Millis(c.load(Ordering::SeqCst)));

    let mut made: Vec<(DemoItem, ServiceItem)> = Vec::new();
    for item in items() {
        let dept = identity.department_by_code(&demo, item.bureau).await?;
        let mut fields = applicant_fields(item.business);
        fields.extend(item.extra.iter().cloned());
        let input = ServiceItemInput {
            code: item.code.into(),
            name: item.name.into(),
            name_en: item.name_en.into(),
            department: dept.path.clone(),
            item_type: item.item_type,
            legal_basis: item.basis.into(),
            conditions: "申请人身份真实、材料齐全、符合法定条件".into(),
            materials: item.materials.clone(),
            fields,
            fees: vec![Fee {
                name: "工本费".into(),
                amount_fen: 0,
                basis: "不在行政事业性收费目录清单内".into(),
            }],
            statutory_days: item.days.0,
            promised_days: item.days.1,
            visits: item.visits,
            active: true,
            licence: item.licence.clone(),
            topics: browse(item.code).0,
            life_events: browse(item.code).1,
        };
        let created = hall
            .create_item(&demo, input)
            .await
            .with_context(|| format!("creating demo item {}", item.code))?;
        hall.save_workflow(
            &demo,
            &created.id,
            steps(item.bureau, dept.path.as_str(), item.joint),
        )
        .await
        .with_context(|| format!("saving the workflow of {}", item.code))?;
        let created = hall.item(&created.id).await?;
        made.push((item, created));
    }

    let person = |username: &'static str| async move { identity.principal_for_username(username).await };
    let people = [
        Applicant {
            who: person("citizen1").await?,
            name: "张晓明",
            id: IdNumber::with_check("99010119900307123")
                .context("demo ID")?
                .as_str()
                .into(),
            phone: "13800000001",
            address: "示范市中山路88号",
        },
        Applicant {
            who: person("citizen2").await?,
            name: "李芳",
            id: IdNumber::with_check("99010119851122456")
                .context("demo ID")?
                .as_str()
                .into(),
            phone: "13800000002",
            address: "示范市解放路12号",
        },
    ];
    let business = Applicant {
        who: person("business1").await?,
        name: "示范市通达科技有限公司",
        id: CreditCode::with_check("91990100MA0000001")
            .context("demo credit code")?
            .as_str()
            .into(),
        phone: "13800000003",
        address: "示范市科技园区创新路1号",
    };
    let staff = |prefix: &str, role: &str| format!("{}_{role}", prefix.to_ascii_lowercase());
    let span = 44 * 86_400_000 / total.max(1) as i64;
    let day = 86_400_000;
    for n in 0..total {
        let (item, stored) = &made[n % made.len()];
        let a = if item.business { &business } else { &people[n % 2] };
        let prefix = item.bureau.trim_start_matches("9901-");
        let clerk = identity.principal_for_username(&staff(prefix, "clerk")).await?;
        let leader = identity.principal_for_username("leader").await?;
        let reviewer = identity
            .principal_for_username(&staff(prefix, "reviewer"))
            .await?;
        let approver = identity
            .principal_for_username(&staff(prefix, "approver"))
            .await?;
        clock.store(start.0 + span * n as i64, Ordering::SeqCst);
        let mut form = form_for(item, a, n);
        upload_file_fields(&hall, &a.who, stored, &mut form, n).await?;
        let view = hall
            .submit_case(
                &a.who,
                NewCase {
                    item: stored.id.clone(),
                    form,
                    submission_key: format!("demo-{n:06}"),
                    prefilled: Default::default(),
                    materials: upload_materials(&hall, &a.who, stored, n).await?,
                },
            )
            .await
            .with_context(|| format!("submitting demo case {n} ({})", item.code))?;
        let id = view.case.id;
        let fate = FATES[(n / made.len() + n) % FATES.len()];
        let tick = |days: i64| {
            clock.fetch_add(days * day, Ordering::SeqCst);
        };
        // A recent case cannot have got far yet.
        let age_days = (Millis::now().0 - clock.load(Ordering::SeqCst)) / day;
        let fate = if age_days < 8 && !matches!(fate, Fate::Waiting | Fate::InSupplement | Fate::Withdrawn) {
            Fate::InReview
        } else {
            fate
        };
        match fate {
            Fate::Waiting => {}
            Fate::Withdrawn => {
                tick(1);
                hall.withdraw_case(&a.who, &id, "信息填写有误，重新申请").await?;
            }
            Fate::InSupplement | Fate::Supplemented => {
                tick(1);
                let request = SupplementRequest {
                    missing: vec!["经营场所使用证明未盖章".into(), "联系电话无法接通，请核对".into()],
                    note: "请一次性补齐后重新提交".into(),
                };
                hall.request_supplement(&clerk, &id, request).await?;
                if matches!(fate, Fate::Supplemented) {
                    tick(2);
                    let answer = SupplementAnswer {
                        form: BTreeMap::from([("phone".to_string(), "13900000009".to_string())]),
                        note: "已补充盖章证明并更正电话".into(),
                        files: BTreeMap::new(),
                    };
                    hall.supplement_case(&a.who, &id, answer).await?;
                    tick(1);
                    hall.accept_case(&clerk, &id, "补正后材料齐全").await?;
                }
            }
            Fate::Refused => {
                tick(1);
                hall.refuse_case(&clerk, &id, "不属于本机关职权范围，请向户籍所在地申请")
                    .await?;
            }
            Fate::InReview | Fate::Approved | Fate::Completed | Fate::Denied => {
                tick(1);
                hall.accept_case(&clerk, &id, "材料齐全，予以受理").await?;
                if matches!(fate, Fate::InReview) {
                    continue;
                }
                tick(1);
                let review = ReviewInput {
                    agree: true,
                    opinion: "符合法定条件".into(),
                };
                hall.review_case(&reviewer, &id, review.clone()).await?;
                if let Some(other) = item.joint {
                    let other = other.trim_start_matches("9901-");
                    let joint = identity.principal_for_username(&staff(other, "reviewer")).await?;
                    hall.review_case(&joint, &id, review).await?;
                }
                tick(1);
                let decision = if matches!(fate, Fate::Denied) {
                    DecisionInput {
                        outcome: Outcome::Deny,
                        reasons: format!("经审查，申请不符合{}的法定条件", item.name),
                        legal_basis: item.basis.into(),
                    }
                } else {
                    DecisionInput {
                        outcome: Outcome::Approve,
                        reasons: String::new(),
                        legal_basis: String::new(),
                    }
                };
                hall.decide_case(&approver, &id, decision).await?;
                if matches!(fate, Fate::Completed) {
                    tick(1);
                    hall.issue_case(&clerk, &id, "结果已送达").await?;
                }
            }
        }
        if matches!(fate, Fate::Completed | Fate::Denied | Fate::Refused) {
            rate(&hall, &a.who, &leader, &id, n).await?;
        }
    }
    newborn(&hall, &demo, &made, &people[1]).await
}

/// The newborn bundle (新生儿出生一件事): birth medical certificate, household registration,
/// social security card and medical insurance in one application; 李芳 has applied for it.
async fn newborn(
    hall: &Hall,
    demo: &Principal,
    made: &[(DemoItem, ServiceItem)],
    a: &Applicant,
) -> Result<()> {
    let codes = ["9901-WJ-CSYXZM", "9901-GA-CSDJ", "9901-RS-SBK", "9901-RS-YBCB"];
    hall.create_bundle(
        demo,
        BundleInput {
            code: "9901-NEWBORN".into(),
            name: "新生儿出生一件事".into(),
            life_event: "出生".into(),
            description:
                "孩子出生后，一次申请办好出生医学证明、出生登记（落户）、社会保障卡和城乡居民医保参保，\
                          不用分别跑卫健委、公安局、人社局。"
                    .into(),
            items: codes.iter().map(|c| c.to_string()).collect(),
            active: true,
        },
    )
    .await
    .context("creating the newborn bundle")?;
    let mut form = BTreeMap::new();
    let mut materials = BTreeMap::new();
    // The birth certificate the bundle itself issues is not asked of the parents.
    let stored: Vec<ServiceItem> = made
        .iter()
        .filter(|(i, _)| codes.contains(&i.code))
        .map(|(_, s)| s.clone())
        .collect();
    let issued = tongban_hall::issued_in_bundle(&stored);
    for (n, code) in codes.iter().enumerate() {
        let Some((item, stored)) = made.iter().find(|(i, _)| i.code == *code) else {
            continue;
        };
        for (k, v) in form_for(item, a, n) {
            form.entry(k).or_insert(v);
        }
        let mut own = BTreeMap::new();
        upload_file_fields(hall, &a.who, stored, &mut own, 1000 + n).await?;
        for (k, v) in own {
            form.entry(k).or_insert(v);
        }
        // Each material once: an upload serves every item that asks for it.
        let mut rest = stored.clone();
        rest.materials.retain(|m| {
            !materials.contains_key(&m.code)
                && !matches!(&m.source, MaterialSource::Licence { licence_type }
                    if issued.iter().any(|(t, _)| t == licence_type))
        });
        materials.extend(upload_materials(hall, &a.who, &rest, 1000 + n).await?);
    }
    hall.submit_bundle(
        &a.who,
        NewBundleCase {
            bundle: "9901-NEWBORN".into(),
            form,
            submission_key: "demo-newborn-0001".into(),
            prefilled: BTreeMap::new(),
            materials,
        },
    )
    .await
    .context("applying for the newborn bundle")?;
    Ok(())
}

/// 好差评 of a finished demo case: most are rated well, one in four is not rated, and some are
/// rated badly, opening a rectification that the city's leader closes for half of them.
async fn rate(hall: &Hall, applicant: &Principal, leader: &Principal, id: &CaseId, n: usize) -> Result<()> {
    let (level, comment) = match n % 8 {
        0 | 4 => (RatingLevel::VerySatisfied, "全程网办，没跑腿"),
        1 | 5 => (RatingLevel::Satisfied, ""),
        2 => (RatingLevel::Neutral, "进度提醒可以再及时些"),
        3 => (RatingLevel::Dissatisfied, "补正要求前后说法不一致，多跑了一次"),
        7 if n % 16 == 7 => (
            RatingLevel::VeryDissatisfied,
            "超过承诺时限仍未办结，电话无人接听",
        ),
        _ => return Ok(()),
    };
    let rating = RatingInput {
        level,
        comment: comment.into(),
    };
    hall.rate_case(applicant, id, rating).await?;
    if level.is_bad() && n % 2 == 1 && n.is_multiple_of(3) {
        // The leader supervises the whole city.
        let scope = leader
            .grants
            .first()
            .map(|g| g.scope.clone())
            .context("the demo leader has a grant")?;
        if let Some(r) = hall
            .rectifications(
                leader,
                &scope,
                Page {
                    limit: 1000,
                    offset: 0,
                },
            )
            .await?
            .into_iter()
            .find(|r| &r.case_id == id)
        {
            let close = RectificationClose {
                measures: "组织窗口人员学习一次性告知制度，补正清单统一模板".into(),
                callback: "电话回访申请人，说明整改情况，申请人表示认可".into(),
                applicant_satisfied: true,
                version: r.version,
            };
            hall.close_rectification(leader, &r.id, close).await?;
        }
    }
    Ok(())
}

/// Uploads a small PDF for every material of `item` that government does not already hold
/// (the demo applicants hold no e-licences of the types asked for, so they upload those too).
async fn upload_materials(
    hall: &Hall,
    who: &Principal,
    item: &ServiceItem,
    n: usize,
) -> Result<BTreeMap<String, MaterialInput>> {
    let mut out = BTreeMap::new();
    for m in item
        .materials
        .iter()
        .filter(|m| !matches!(m.source, MaterialSource::SharedField { .. }))
    {
        let file = hall
            .upload_file(
                who,
                Upload {
                    file_name: format!("{}.pdf", m.name),
                    declared_type: "application/pdf".into(),
                    bytes: demo_pdf(&format!("Tongban demo material {} for case {n}", m.code)),
                },
            )
            .await
            .with_context(|| format!("uploading demo material {}", m.code))?;
        out.insert(m.code.clone(), MaterialInput::Upload { file: file.id });
    }
    Ok(out)
}

/// Uploads a small PDF for every file field of `item` (a photo asked as a question) and puts
/// its id in `form` as the answer.
async fn upload_file_fields(
    hall: &Hall,
    who: &Principal,
    item: &ServiceItem,
    form: &mut BTreeMap<String, String>,
    n: usize,
) -> Result<()> {
    for f in item.fields.iter().filter(|f| matches!(f.kind, FieldKind::File)) {
        let file = hall
            .upload_file(
                who,
                Upload {
                    file_name: format!("{}.pdf", f.label),
                    declared_type: "application/pdf".into(),
                    bytes: demo_pdf(&format!("Tongban demo file {} for case {n}", f.code)),
                },
            )
            .await
            .with_context(|| format!("uploading demo file {}", f.code))?;
        form.insert(f.code.clone(), file.id.to_string());
    }
    Ok(())
}

/// A one-page PDF showing `line` (ASCII), with a correct cross-reference table.
fn demo_pdf(line: &str) -> Vec<u8> {
    let text: String = line
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .filter(|c| !matches!(c, '(' | ')' | '\\'))
        .collect();
    let content = format!("BT /F1 14 Tf 72 760 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_string(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_demo_pdf_has_its_cross_references_where_it_says() {
        let pdf = super::demo_pdf("case (1) \\ done");
        let text = String::from_utf8(pdf.clone()).unwrap();
        assert!(text.starts_with("%PDF-1.4") && text.ends_with("%%EOF\n"));
        let start: usize = text
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(text[start..].starts_with("xref"));
        for (i, line) in text[start..].lines().skip(3).take(5).enumerate() {
            let at: usize = line[..10].parse().unwrap();
            assert!(
                text[at..].starts_with(&format!("{} 0 obj", i + 1)),
                "object {}",
                i + 1
            );
        }
        assert!(text.contains("(case 1  done)"));
    }
}
