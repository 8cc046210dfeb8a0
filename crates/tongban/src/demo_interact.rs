//! The demo city's citizen interaction (政民互动): categories (also the Open311 services) routed to
//! the demo bureaus, typed attributes for the pollution report service, and a handful of items in
//! different states — waiting for dispatch, in progress, a reply awaiting review, replied and
//! rated — so the board, the statistics and the staff inbox have something to show. Idempotent:
//! categories and rules are set again harmlessly, items only when none were seeded before.

use anyhow::{Context, Result};
use tongban_identity::Identity;
use tongban_interact::{
    Answer, AttributeType, Channel, ConsultationInput, ContactInput, ContactPreference, DeptRef,
    Error as IxError, Interact, ItemKind, LocationInput, NewCategory, NewItem, NewRule, Question,
    QuestionKind, RatingInput, ReplyInput, ReviewDecision, Satisfaction, Section, ServiceAttribute,
    ServiceChoice, SurveyInput,
};
use tongban_kernel::{Page, Principal};

/// Category code, names, and the department code its items go to (`None`: dispatched by hand).
const CATEGORIES: &[(&str, &str, &str, Option<&str>)] = &[
    ("household", "户籍管理", "Household registration", Some("9901-GA")),
    ("social_aid", "社会救助", "Social assistance", Some("9901-MZ")),
    (
        "social_insurance",
        "社会保险",
        "Social insurance",
        Some("9901-RS"),
    ),
    ("food_safety", "食品安全", "Food safety", Some("9901-SJ")),
    ("environment", "环境污染", "Pollution", Some("9901-HJ")),
    ("school", "入学教育", "Schools and enrolment", Some("9901-JY")),
    // The common 12345 hotline categories; the demo city has no bureau for them, so the hotline's
    // staff dispatch them by hand.
    ("city_management", "城市管理", "City management", None),
    ("municipal", "市政设施", "Municipal facilities", None),
    ("transport", "交通出行", "Transport", None),
    ("housing", "住房建设", "Housing and construction", None),
    ("property", "物业管理", "Property management", None),
    ("other", "其他", "Other", None),
];

/// Seeds categories, rules, service attributes and sample items.
pub async fn seed(identity: &Identity, interact: &Interact) -> Result<()> {
    let actor = Principal::system("demo");
    let existing = interact.list_rules(&actor).await?;
    for (code, zh, en, dept) in CATEGORIES {
        let new = NewCategory {
            code: (*code).into(),
            name_zh: (*zh).into(),
            name_en: (*en).into(),
        };
        match interact.add_category(&actor, new).await {
            Ok(_) | Err(IxError::Conflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        if let Some(dept_code) = dept {
            let d = identity.department_by_code(&actor, dept_code).await?;
            let already = existing
                .iter()
                .any(|r| r.category == *code && r.district.is_none() && r.department.path == d.path);
            if already {
                continue;
            }
            let rule = NewRule {
                category: (*code).into(),
                district: None,
                department: DeptRef {
                    id: d.id.to_string(),
                    path: d.path.clone(),
                    name_zh: d.name_zh.clone(),
                },
            };
            interact.set_rule(&actor, rule).await?;
        }
    }
    if !interact
        .service_definition("environment")
        .await?
        .attributes
        .is_empty()
    {
        return seed_items(identity, interact).await;
    }
    let choice = |key: &str, name: &str| ServiceChoice {
        key: key.into(),
        name: name.into(),
    };
    interact
        .set_service_attributes(
            &actor,
            "environment",
            vec![
                ServiceAttribute {
                    code: "pollution_type".into(),
                    datatype: AttributeType::SingleValueList,
                    required: true,
                    variable: true,
                    description: "污染类型 / Kind of pollution".into(),
                    datatype_description: String::new(),
                    order: 1,
                    values: vec![
                        choice("air", "大气 / Air"),
                        choice("water", "水体 / Water"),
                        choice("noise", "噪声 / Noise"),
                        choice("waste", "固体废物 / Waste"),
                    ],
                },
                ServiceAttribute {
                    code: "observed_at".into(),
                    datatype: AttributeType::Datetime,
                    required: false,
                    variable: true,
                    description: "发现时间 / When it was noticed".into(),
                    datatype_description: "ISO 8601, 例 2026-03-02T21:30:00+08:00".into(),
                    order: 2,
                    values: Vec::new(),
                },
            ],
        )
        .await?;
    seed_items(identity, interact).await?;
    seed_survey(identity, interact).await?;
    seed_consultation(identity, interact).await
}

/// A draft of 民政局 open for comment, with comments from the demo citizens, several of them
/// saying the same thing (so the grouping shows).
async fn seed_consultation(identity: &Identity, interact: &Interact) -> Result<()> {
    if !interact.consultations(1).await?.is_empty() {
        return Ok(());
    }
    let actor = Principal::system("demo");
    let d = identity.department_by_code(&actor, "9901-MZ").await?;
    let today = interact.today();
    let section = |heading: &str, text: &str| Section {
        heading: heading.into(),
        text: text.into(),
    };
    let k = interact
        .create_consultation(
            &actor,
            ConsultationInput {
                department: DeptRef {
                    id: d.id.to_string(),
                    path: d.path.clone(),
                    name_zh: d.name_zh.clone(),
                },
                title: "《示范市居家和社区养老服务条例（征求意见稿）》".into(),
                summary: "为完善居家和社区养老服务体系，现将征求意见稿全文公布，欢迎社会各界逐条提出意见。".into(),
                sections: vec![
                    section("第一条", "为了规范居家和社区养老服务，满足老年人基本养老服务需求，根据有关法律法规，结合本市实际，制定本条例。"),
                    section("第二条", "本条例适用于本市行政区域内居家和社区养老服务及其监督管理活动。"),
                    section("第三条", "街道（乡镇）应当设置社区养老服务站，提供助餐、助洁、助浴、日间照料等服务。"),
                ],
                opens_on: today.saturating_sub(jiff::Span::new().days(5)),
                closes_on: today.saturating_add(jiff::Span::new().days(25)),
                pre_moderation: false,
            },
        )
        .await
        .context("demo consultation")?;
    let c1 = identity.principal_for_username("citizen1").await?;
    let c2 = identity.principal_for_username("citizen2").await?;
    for (who, n, text) in [
        (
            &c1,
            2,
            "建议社区养老服务站开放到晚上八点，方便子女下班后接送老人。",
        ),
        (&c2, 2, "建议社区养老服务站开放到晚上八点，方便子女下班后接送老人"),
        (&c1, 1, "第二条建议明确农村地区参照执行。"),
        (&c2, 2, "助餐服务应当对八十岁以上老人给予补贴。"),
    ] {
        interact
            .comment(who, &k.id, n, text)
            .await
            .context("demo comment")?;
    }
    Ok(())
}

/// A survey of 民政局 on the channels people use, open for the month around today, answered by
/// the two demo citizens and 150 demo respondents (principals made for the demo, counted like
/// any answer).
async fn seed_survey(identity: &Identity, interact: &Interact) -> Result<()> {
    if !interact.surveys(1).await?.is_empty() {
        return Ok(());
    }
    let actor = Principal::system("demo");
    let d = identity.department_by_code(&actor, "9901-MZ").await?;
    let today = interact.today();
    let channels = vec![
        "政务网站".to_string(),
        "手机App/小程序".into(),
        "大厅窗口".into(),
        "12345热线".into(),
    ];
    let survey = interact
        .create_survey(
            &actor,
            SurveyInput {
                department: DeptRef {
                    id: d.id.to_string(),
                    path: d.path.clone(),
                    name_zh: d.name_zh.clone(),
                },
                title: "政务服务渠道满意度调查".into(),
                intro: "了解您办事时使用的渠道和体验，结果用于改进一网通办。每个实名账号可作答一次。".into(),
                questions: vec![
                    Question {
                        text: "您办过事的渠道有哪些？".into(),
                        kind: QuestionKind::Multiple {
                            options: channels.clone(),
                        },
                        required: true,
                    },
                    Question {
                        text: "您最常用哪个渠道？".into(),
                        kind: QuestionKind::Single { options: channels },
                        required: true,
                    },
                    Question {
                        text: "总体满意度".into(),
                        kind: QuestionKind::Rating,
                        required: true,
                    },
                    Question {
                        text: "还有什么建议？".into(),
                        kind: QuestionKind::Text,
                        required: false,
                    },
                ],
                opens_on: today.saturating_sub(jiff::Span::new().days(14)),
                closes_on: today.saturating_add(jiff::Span::new().days(16)),
            },
        )
        .await
        .context("demo survey")?;
    let suggestions = [
        "希望延长周末窗口时间",
        "App 上传材料时经常超时",
        "热线等待时间较长",
        "",
    ];
    for n in 0..152u32 {
        let who = match n {
            0 => identity.principal_for_username("citizen1").await?,
            1 => identity.principal_for_username("citizen2").await?,
            _ => Principal {
                kind: tongban_kernel::PrincipalKind::User,
                id: format!("demo-respondent-{n:04}"),
                name: format!("示范受访者{n}"),
                department: None,
                grants: vec![tongban_kernel::RoleGrant {
                    role: tongban_kernel::Role::Citizen,
                    scope: tongban_kernel::DeptPath::root(),
                }],
                purpose: None,
            },
        };
        let mut answers = std::collections::BTreeMap::new();
        answers.insert(0, Answer::Choices(vec![n % 4, (n / 4) % 4]));
        answers.insert(1, Answer::Choices(vec![(n * 7) % 4]));
        answers.insert(2, Answer::Choices(vec![[5, 4, 4, 3, 5, 2, 4, 1][n as usize % 8]]));
        let text = suggestions[n as usize % suggestions.len()];
        if !text.is_empty() && n % 3 == 0 {
            answers.insert(3, Answer::Text(text.into()));
        }
        interact
            .answer_survey(&who, &survey.id, &answers)
            .await
            .with_context(|| format!("demo survey answer {n}"))?;
    }
    Ok(())
}

fn item(kind: ItemKind, category: &str, title: &str, text: &str, public: bool, address: &str) -> NewItem {
    NewItem {
        kind,
        category: category.into(),
        title: title.into(),
        text: text.into(),
        location: (!address.is_empty()).then(|| LocationInput {
            address: address.into(),
            ..LocationInput::default()
        }),
        public,
        contact: ContactInput {
            preference: ContactPreference::InApp,
            ..ContactInput::default()
        },
        channel: Channel::Portal,
        source_key: None,
    }
}

async fn seed_items(identity: &Identity, interact: &Interact) -> Result<()> {
    let citizen1 = identity.principal_for_username("citizen1").await?;
    let citizen2 = identity.principal_for_username("citizen2").await?;
    if interact.my_items(&citizen1, Page::new(1, 0)).await?.total > 0 {
        return Ok(());
    }
    // 办理中: a question to the police.
    interact
        .submit(
            &citizen1,
            item(
                ItemKind::Inquiry,
                "household",
                "新生儿落户需要哪些材料？",
                "孩子上个月出生，想咨询新生儿落户需要准备哪些材料，是否可以网上办理？",
                true,
                "",
            ),
        )
        .await?;
    // 已答复并评价: a noise complaint answered, approved for the board and rated.
    let noise = interact
        .submit(
            &citizen1,
            item(
                ItemKind::Complaint,
                "environment",
                "夜间施工噪音扰民",
                "示范路88号工地连续一周晚上十一点后仍在施工，噪音很大，影响休息。",
                true,
                "示范市示范路88号",
            ),
        )
        .await?;
    let hj_clerk = identity.principal_for_username("hj_clerk").await?;
    let hj_reviewer = identity.principal_for_username("hj_reviewer").await?;
    let reply = interact
        .reply(
            &hj_clerk,
            &noise.item.id,
            ReplyInput {
                text: "您反映的示范路88号工地夜间施工噪音问题，生态环境局执法队已于3月3日夜间到场核查，\
                       责令施工单位停止22时后作业并处罚款。如仍有夜间施工，请拨打12345或联系执法队\
                       0571-88880000。"
                    .into(),
            },
        )
        .await?;
    interact
        .review_reply(&hj_reviewer, &reply.id, ReviewDecision::Approve { publish: true })
        .await?;
    interact
        .rate(
            &citizen1,
            &noise.item.id,
            RatingInput {
                satisfaction: Satisfaction::Satisfied,
                comment: "处理及时，谢谢！".into(),
                reopen: false,
            },
        )
        .await?;
    // 答复审核中: a reply written, waiting for the reviewer.
    let pension = interact
        .submit(
            &citizen2,
            item(
                ItemKind::Inquiry,
                "social_insurance",
                "养老保险转移接续怎么办理？",
                "我从外省调动到示范市工作，之前缴纳的养老保险如何转移到本市？",
                true,
                "",
            ),
        )
        .await?;
    let rs_clerk = identity.principal_for_username("rs_clerk").await?;
    interact
        .reply(
            &rs_clerk,
            &pension.item.id,
            ReplyInput {
                text: "养老保险关系转移可在国家社会保险公共服务平台网上申请，提交后45个工作日内完成。\
                       如需帮助，请到市民中心社保窗口办理，咨询电话0571-88881234。"
                    .into(),
            },
        )
        .await?;
    // 办理中 (private): a help request to civil affairs.
    interact
        .submit(
            &citizen2,
            item(
                ItemKind::HelpRequest,
                "social_aid",
                "家中老人生病，申请临时救助",
                "家中老人突发重病住院，医疗费用负担很重，想了解临时救助的申请条件。",
                false,
                "",
            ),
        )
        .await?;
    // 待分办: an anonymous suggestion no rule routes.
    let mut suggestion = item(
        ItemKind::Suggestion,
        "other",
        "建议在市民中心增加自助服务终端",
        "市民中心排队时间较长，建议增加自助打印和自助查询终端。",
        true,
        "",
    );
    suggestion.source_key = Some("demo-seed".into());
    interact
        .submit(&Principal::anonymous(), suggestion)
        .await
        .context("demo anonymous suggestion")?;
    Ok(())
}
