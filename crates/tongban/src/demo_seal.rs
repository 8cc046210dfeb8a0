//! The demo city's seals and e-licences: a 公章 for each bureau (its decision letters carry its
//! impression), a 证照专用章 for each bureau that issues licences, and a
//! few licences held by the demo citizen and business (one of them revoked), so "my licences",
//! the verification page and `tongban licence list` have something to show. Idempotent: seals
//! are made only where the bureau has none, licences only when none exist yet.

use anyhow::{Context, Result};
use jiff::civil::date;
use tongban_identity::Identity;
use tongban_kernel::{CreditCode, IdNumber, Principal};
use tongban_seal::{HolderKind, Issuer, LicenceField, LicenceInput, SealInput, SealType, Seals};

/// The bureaus that issue licences in the demo.
const ISSUERS: &[&str] = &["9901-GA", "9901-MZ", "9901-RS", "9901-SJ", "9901-WJ"];

/// The bureaus that decide cases and so sign letters with their 公章.
const OFFICIAL: &[&str] = &[
    "9901-GA", "9901-MZ", "9901-RS", "9901-SJ", "9901-WJ", "9901-HJ", "9901-JY", "9901-SJJ",
];

fn line(label: &str, value: &str) -> LicenceField {
    LicenceField {
        label: label.into(),
        value: value.into(),
    }
}

/// Seeds the seals and licences.
pub async fn seed(identity: &Identity, seals: &Seals) -> Result<()> {
    let actor = Principal::system("demo");
    let existing = seals.seals(None).await?;
    // Every bureau signs its letters with its 公章; those issuing licences also hold a 证照专用章.
    let wanted = OFFICIAL
        .iter()
        .map(|code| (*code, SealType::Official))
        .chain(ISSUERS.iter().map(|code| (*code, SealType::Licence)));
    for (code, kind) in wanted {
        let d = identity.department_by_code(&actor, code).await?;
        if existing
            .iter()
            .any(|s| s.issuer.path == d.path && s.seal_type == kind)
        {
            continue;
        }
        let (official, _) = identity.official_name(&d.path).await?;
        let issuer = Issuer {
            id: d.id.to_string(),
            path: d.path.clone(),
            name_zh: official.clone(),
        };
        let name = match kind {
            SealType::Official => official,
            other => format!("{official}{}", other.name_zh()),
        };
        seals
            .create_seal(
                &actor,
                issuer,
                SealInput {
                    name,
                    seal_type: kind,
                    valid_from: date(2026, 1, 1),
                    valid_to: date(2030, 12, 31),
                    picture: None,
                },
            )
            .await
            .with_context(|| format!("making the {} of {code}", kind.name_zh()))?;
    }
    if !seals.licences(&actor, None, 1).await?.is_empty() {
        return Ok(());
    }
    let all = seals.seals(None).await?;
    let seal_of = |code: &str| {
        all.iter()
            .find(|s| {
                s.seal_type == SealType::Licence && s.issuer.path.as_str().ends_with(&format!("/{code}/"))
            })
            .map(|s| s.id.clone())
            .with_context(|| format!("no demo seal for {code}"))
    };
    let citizen1 = identity.principal_for_username("citizen1").await?;
    let business1 = identity.principal_for_username("business1").await?;
    let zhang = IdNumber::with_check("99010119900307123").context("demo ID number")?;
    let tongda = CreditCode::with_check("91990100MA0000001").context("demo credit code")?;

    let shop = LicenceInput {
        licence_type: "individual-business-licence".into(),
        title: "个体工商户营业执照".into(),
        holder_kind: HolderKind::Person,
        holder_name: "张晓明".into(),
        holder_id: zhang.as_str().into(),
        holder_account: Some(citizen1.id.clone()),
        valid_from: None,
        valid_to: None,
        fields: vec![
            line("名称", "示范市晓明便利店"),
            line("经营者", "张晓明"),
            line("组成形式", "个人经营"),
            line("经营场所", "示范市中山路88号"),
            line("经营范围", "食品销售；日用百货销售"),
        ],
        case_number: None,
    };
    seals.issue_licence(&actor, &seal_of("9901-SJ")?, shop).await?;

    let food = LicenceInput {
        licence_type: "food-business-licence".into(),
        title: "食品经营许可证".into(),
        holder_kind: HolderKind::Organisation,
        holder_name: "示范市通达科技有限公司".into(),
        holder_id: tongda.as_str().into(),
        holder_account: Some(business1.id.clone()),
        valid_from: None,
        valid_to: Some(date(2031, 6, 30)),
        fields: vec![
            line("经营者名称", "示范市通达科技有限公司"),
            line("经营场所", "示范市科技园区创新路1号"),
            line("主体业态", "单位食堂"),
            line("经营项目", "热食类食品制售"),
        ],
        case_number: None,
    };
    seals.issue_licence(&actor, &seal_of("9901-SJ")?, food).await?;

    let insured = LicenceInput {
        licence_type: "social-insurance-record".into(),
        title: "社会保险参保证明".into(),
        holder_kind: HolderKind::Person,
        holder_name: "张晓明".into(),
        holder_id: zhang.as_str().into(),
        holder_account: Some(citizen1.id.clone()),
        valid_from: None,
        valid_to: None,
        fields: vec![
            line("参保险种", "城镇职工基本养老保险；职工基本医疗保险"),
            line("参保单位", "示范市通达科技有限公司"),
        ],
        case_number: None,
    };
    seals.issue_licence(&actor, &seal_of("9901-RS")?, insured).await?;

    // A superseded licence, revoked, so verification shows that outcome too.
    let mut old = LicenceInput {
        licence_type: "individual-business-licence".into(),
        title: "个体工商户营业执照".into(),
        holder_kind: HolderKind::Person,
        holder_name: "张晓明".into(),
        holder_id: zhang.as_str().into(),
        holder_account: Some(citizen1.id.clone()),
        valid_from: None,
        valid_to: None,
        fields: vec![
            line("名称", "示范市晓明小卖部"),
            line("经营场所", "示范市中山路86号"),
        ],
        case_number: None,
    };
    old.fields.push(line("备注", "已变更登记"));
    let (revoked, _) = seals.issue_licence(&actor, &seal_of("9901-SJ")?, old).await?;
    seals
        .revoke_licence(
            &actor,
            &revoked.number,
            "经营场所变更，换发新证 / reissued after a change of premises",
        )
        .await?;
    Ok(())
}
