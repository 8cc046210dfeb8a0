//! Completing a case of an item that ends in an e-licence: signed by the department's seal in
//! the same transaction, held by the applicant, verifiable; refused (the case stays approved)
//! while the department has no valid seal; a licence spec naming unknown form fields is refused.

use crate::support::{ID, World, citizen, invalid, item_input, staff};
use jiff::civil::date;
use tongban_hall::{
    CaseStatus, DecisionInput, LicenceLine, LicenceSpec, MIGRATIONS, Outcome, ReviewInput, ServiceItemInput,
};
use tongban_kernel::Role;
use tongban_seal::{Issuer, SealInput, SealType};
use tongban_test_support::each_backend;

pub fn spec() -> LicenceSpec {
    LicenceSpec {
        licence_type: "residence-permit".into(),
        title: "居住证".into(),
        holder_name_field: "name".into(),
        holder_id_field: "id_number".into(),
        lines: vec![
            LicenceLine {
                label: "居住地址".into(),
                field: "address".into(),
            },
            LicenceLine {
                label: "已居住月数".into(),
                field: "months".into(),
            },
        ],
        valid_years: Some(1),
    }
}

#[tokio::test]
async fn completing_a_case_issues_its_sealed_licence_to_the_applicant() {
    each_backend(&[MIGRATIONS, tongban_seal::MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let seals = w.seals();
        let hall = w.hall.clone().with_seals(seals.clone());
        let admin = staff("ga-admin", &w.police, Role::DeptAdmin);
        let item = hall
            .create_item(
                &admin,
                ServiceItemInput {
                    licence: Some(spec()),
                    ..item_input("GA-JZZ", &w.police)
                },
            )
            .await
            .unwrap();
        hall.save_workflow(&admin, &item.id, w.plain_steps())
            .await
            .unwrap();
        let item = hall.item(&item.id).await.unwrap();
        assert_eq!(item.licence, Some(spec()));

        let zhang = citizen("zhang");
        let clerk = staff("ga-clerk", &w.police, Role::Clerk);
        let reviewer = staff("ga-reviewer", &w.police, Role::Reviewer);
        let approver = staff("ga-approver", &w.police, Role::Approver);
        let case = w.apply(&zhang, &item, "licence-0001").await.case;
        hall.accept_case(&clerk, &case.id, "").await.unwrap();
        let agree = ReviewInput {
            agree: true,
            opinion: "符合条件".into(),
        };
        hall.review_case(&reviewer, &case.id, agree).await.unwrap();
        let approve = DecisionInput {
            outcome: Outcome::Approve,
            reasons: String::new(),
            legal_basis: String::new(),
        };
        hall.decide_case(&approver, &case.id, approve).await.unwrap();

        // No seal yet: refused, naming the seal; the case stays approved and nothing is issued.
        let refused = hall.issue_case(&clerk, &case.id, "").await;
        assert_eq!(
            refused.as_ref().err().and_then(|e| e.field()),
            Some("seal"),
            "{refused:?}"
        );
        let still = hall.case(&zhang, &case.id).await.unwrap();
        assert_eq!(still.case.status, CaseStatus::Approved);
        assert!(w.events("seal.licence.issued").await.is_empty());

        // The department's administrator makes a seal; now 办结 issues the licence.
        seals
            .create_seal(
                &admin,
                Issuer {
                    id: w.police.id.clone(),
                    path: w.police.path.clone(),
                    name_zh: w.police.name_zh.clone(),
                },
                SealInput {
                    name: "公安局证照专用章".into(),
                    seal_type: SealType::Licence,
                    valid_from: date(2026, 1, 1),
                    valid_to: date(2028, 12, 31),
                    picture: None,
                },
            )
            .await
            .unwrap();
        let done = hall.issue_case(&clerk, &case.id, "").await.unwrap();
        assert_eq!(done.case.status, CaseStatus::Completed);
        let number = done.case.licence_number.clone().unwrap();
        assert_eq!(w.events("seal.licence.issued").await.len(), 1);

        let mine = seals.licences_of_account(&zhang.id).await.unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].number, number);
        assert_eq!(mine[0].case_number.as_deref(), Some(done.case.number.as_str()));
        assert_eq!(
            mine[0].valid_to,
            Some(date(2027, 3, 1)),
            "one year from 2026-03-02"
        );
        assert_eq!(
            seals
                .licences_of_holder(ID, Some("residence-permit"))
                .await
                .unwrap()
                .len(),
            1
        );
        let file = seals.signed_file(&zhang, &number).await.unwrap();
        assert!(file.contains("浙江省杭州市西湖区文三路100号") && !file.contains(ID));
        assert!(seals.verify_file(file.as_bytes()).await.unwrap().is_valid());
        // The applicant sees the number on the case.
        let seen = hall.case(&zhang, &case.id).await.unwrap();
        assert_eq!(seen.case.licence_number.as_deref(), Some(number.as_str()));
    })
    .await;
}

#[tokio::test]
async fn a_licence_spec_must_name_fields_of_the_form() {
    each_backend(&[MIGRATIONS, tongban_seal::MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let admin = staff("ga-admin", &w.police, Role::DeptAdmin);
        let with = |spec: LicenceSpec| ServiceItemInput {
            licence: Some(spec),
            ..item_input("GA-BAD", &w.police)
        };
        let mut bad = spec();
        bad.holder_id_field = "passport".into();
        invalid(
            w.hall.create_item(&admin, with(bad)).await,
            "licence.holder_id_field",
        );
        let mut bad = spec();
        bad.lines[1].field = "nope".into();
        invalid(
            w.hall.create_item(&admin, with(bad)).await,
            "licence.lines[1].field",
        );
        let mut bad = spec();
        bad.licence_type = "居住证".into();
        invalid(
            w.hall.create_item(&admin, with(bad)).await,
            "licence.licence_type",
        );
        let mut bad = spec();
        bad.valid_years = Some(0);
        invalid(w.hall.create_item(&admin, with(bad)).await, "licence.valid_years");
    })
    .await;
}
