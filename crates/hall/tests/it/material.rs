//! Materials: uploads checked by size and content and stored encrypted; a required material must
//! be given and is named when it is not; an upload serves one submission of its own uploader; an
//! e-licence the applicant holds satisfies a material of its type (免提交) while another's, a
//! wrong type or a revoked one does not; the case lists what satisfied each material; files are
//! read by their uploader and the handling staff only.

use crate::licence::spec;
use crate::support::{World, application, citizen, conflict, forbidden, invalid, item_input, staff};
use jiff::civil::date;
use std::collections::BTreeMap;
use tongban_hall::{
    DecisionInput, FileId, MAX_UPLOAD_BYTES, MIGRATIONS, Material, MaterialInput, MaterialSource, Outcome,
    Provided, ReviewInput, ServiceItem, ServiceItemInput, Upload,
};
use tongban_kernel::{Principal, Role};
use tongban_seal::{Issuer, SealInput, SealType};
use tongban_test_support::each_backend;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR photo";

fn png(name: &str) -> Upload {
    Upload {
        file_name: name.into(),
        declared_type: "image/png".into(),
        bytes: PNG.to_vec(),
    }
}

/// The test item with its photo required.
async fn item_with_required_photo(w: &World, code: &str) -> ServiceItem {
    let admin = staff("ga-admin", &w.police, Role::DeptAdmin);
    let mut input = item_input(code, &w.police);
    for m in &mut input.materials {
        if m.code == "photo" {
            m.required = true;
        }
    }
    let item = w.hall.create_item(&admin, input).await.unwrap();
    w.hall
        .save_workflow(&admin, &item.id, w.plain_steps())
        .await
        .unwrap();
    w.hall.item(&item.id).await.unwrap()
}

fn with(item: &ServiceItem, key: &str, materials: &[(&str, MaterialInput)]) -> tongban_hall::NewCase {
    let mut new = application(item, key);
    new.materials = materials
        .iter()
        .map(|(c, m)| (c.to_string(), m.clone()))
        .collect::<BTreeMap<_, _>>();
    new
}

/// Asserts the file is reported as not existing.
fn gone<T: std::fmt::Debug>(r: Result<T, tongban_hall::Error>) {
    assert!(
        matches!(r, Err(tongban_hall::Error::NotFound { what: "file" })),
        "{r:?}"
    );
}

fn upload_of(file: &FileId) -> MaterialInput {
    MaterialInput::Upload { file: file.clone() }
}

#[tokio::test]
async fn uploads_are_checked_and_a_required_material_is_named_when_missing() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let item = item_with_required_photo(&w, "GA-MAT").await;
        let zhang = citizen("zhang");

        // Bad uploads: another type, a type that lies, empty, too large; staff cannot upload.
        let exe = Upload {
            file_name: "photo.png".into(),
            declared_type: "image/png".into(),
            bytes: b"MZ\x90\x00\x03".to_vec(),
        };
        invalid(w.hall.upload_file(&zhang, exe).await, "file");
        let lying = Upload {
            declared_type: "application/pdf".into(),
            ..png("photo.pdf")
        };
        invalid(w.hall.upload_file(&zhang, lying).await, "file");
        let empty = Upload {
            bytes: Vec::new(),
            ..png("empty.png")
        };
        invalid(w.hall.upload_file(&zhang, empty).await, "file");
        let huge = Upload {
            bytes: [PNG, &vec![0u8; MAX_UPLOAD_BYTES]].concat(),
            ..png("huge.png")
        };
        invalid(w.hall.upload_file(&zhang, huge).await, "file");
        let clerk = staff("ga-clerk", &w.police, Role::Clerk);
        forbidden(w.hall.upload_file(&clerk, png("x.png")).await);

        // Missing required material: named. Unknown material: named.
        invalid(
            w.hall.submit_case(&zhang, application(&item, "mat-00001")).await,
            "materials.photo",
        );
        let photo = w
            .hall
            .upload_file(&zhang, png("C:\\照片\\zhang.png"))
            .await
            .unwrap();
        assert_eq!(
            (photo.file_name.as_str(), photo.media_type.as_str()),
            ("zhang.png", "image/png")
        );
        assert_eq!(photo.size, PNG.len() as u64);
        let unknown = with(
            &item,
            "mat-00002",
            &[
                ("photo", upload_of(&photo.id)),
                ("passport", upload_of(&photo.id)),
            ],
        );
        invalid(w.hall.submit_case(&zhang, unknown).await, "materials.passport");

        // Someone else's upload is not yours to submit.
        let li = citizen("li");
        let theirs = with(&item, "mat-00003", &[("photo", upload_of(&photo.id))]);
        invalid(w.hall.submit_case(&li, theirs).await, "materials.photo");
        // A licence cannot stand in for an upload-only material.
        let wrong = with(
            &item,
            "mat-00004",
            &[("photo", MaterialInput::Licence { number: "X".into() })],
        );
        invalid(w.hall.submit_case(&zhang, wrong).await, "materials.photo");
        assert_eq!(w.hall.pending_files(&zhang).await.unwrap().len(), 1);

        let view = w
            .hall
            .submit_case(
                &zhang,
                with(&item, "mat-00005", &[("photo", upload_of(&photo.id))]),
            )
            .await
            .unwrap();
        let codes: Vec<_> = view.materials.iter().map(|m| m.code.as_str()).collect();
        assert_eq!(
            codes,
            ["household_record", "photo"],
            "the shared material is recorded too"
        );
        assert!(matches!(&view.materials[1].provided, Provided::Upload { file, .. } if *file == photo.id));
        assert!(
            matches!(&view.materials[0].provided, Provided::Shared { resource, .. } if resource == "GA-HUJI")
        );
        assert!(w.hall.pending_files(&zhang).await.unwrap().is_empty());
        // Submitting again with the same key is the same case; the file cannot serve another case.
        let again = w
            .hall
            .submit_case(
                &zhang,
                with(&item, "mat-00005", &[("photo", upload_of(&photo.id))]),
            )
            .await
            .unwrap();
        assert_eq!(again.case.id, view.case.id);
        conflict(
            w.hall
                .submit_case(
                    &zhang,
                    with(&item, "mat-00006", &[("photo", upload_of(&photo.id))]),
                )
                .await,
            "materials.photo",
        );

        // Stored encrypted: the bytes are not in the table.
        let row =
            w.db.fetch_one(
                "SELECT body FROM hall_files WHERE id = $1",
                tongban_db::params![photo.id.as_str()],
            )
            .await
            .unwrap();
        let body: Vec<u8> = row.get("body").unwrap();
        assert!(!body.windows(8).any(|w| w == &PNG[..8]));

        // Read back by the uploader and the handling clerk (recorded); not by another department
        // or another citizen.
        let (_, bytes) = w.hall.file(&zhang, &photo.id).await.unwrap();
        assert_eq!(&bytes[..], PNG);
        assert!(w.events("hall.case.material_read").await.is_empty());
        let (_, bytes) = w.hall.file(&clerk, &photo.id).await.unwrap();
        assert_eq!(&bytes[..], PNG);
        assert_eq!(w.events("hall.case.material_read").await.len(), 1);
        forbidden(
            w.hall
                .file(&staff("mz-clerk", &w.civil, Role::Clerk), &photo.id)
                .await,
        );
        gone(w.hall.file(&li, &photo.id).await);
        gone(w.hall.file(&zhang, &FileId::new()).await);
        assert_eq!(w.events("hall.file.uploaded").await.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn an_e_licence_the_applicant_holds_satisfies_a_material_of_its_type() {
    each_backend(&[MIGRATIONS, tongban_seal::MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let seals = w.seals();
        let hall = w.hall.clone().with_seals(seals.clone());
        let admin = staff("ga-admin", &w.police, Role::DeptAdmin);
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
        // 张 gets a residence permit through a case.
        let permit = hall
            .create_item(
                &admin,
                ServiceItemInput {
                    licence: Some(spec()),
                    ..item_input("GA-JZZ", &w.police)
                },
            )
            .await
            .unwrap();
        hall.save_workflow(&admin, &permit.id, w.plain_steps())
            .await
            .unwrap();
        let permit = hall.item(&permit.id).await.unwrap();
        let zhang = citizen("zhang");
        let (clerk, reviewer, approver) = (
            staff("ga-clerk", &w.police, Role::Clerk),
            staff("ga-reviewer", &w.police, Role::Reviewer),
            staff("ga-approver", &w.police, Role::Approver),
        );
        let case = hall
            .submit_case(&zhang, application(&permit, "permit-01"))
            .await
            .unwrap()
            .case;
        hall.accept_case(&clerk, &case.id, "").await.unwrap();
        let agree = ReviewInput {
            agree: true,
            opinion: "符合".into(),
        };
        hall.review_case(&reviewer, &case.id, agree).await.unwrap();
        let approve = DecisionInput {
            outcome: Outcome::Approve,
            reasons: String::new(),
            legal_basis: String::new(),
        };
        hall.decide_case(&approver, &case.id, approve).await.unwrap();
        let number = hall
            .issue_case(&clerk, &case.id, "")
            .await
            .unwrap()
            .case
            .licence_number
            .unwrap();

        // A second service asks for a residence permit (and its test item's business licence).
        let mut input = item_input("GA-ZZ2", &w.police);
        input.materials.push(Material {
            code: "permit".into(),
            name: "居住证".into(),
            required: true,
            source: MaterialSource::Licence {
                licence_type: "residence-permit".into(),
            },
        });
        let second = hall.create_item(&admin, input).await.unwrap();
        hall.save_workflow(&admin, &second.id, w.plain_steps())
            .await
            .unwrap();
        let second = hall.item(&second.id).await.unwrap();
        let by_licence = |key: &str, code: &str, number: &str| {
            with(
                &second,
                key,
                &[(
                    code,
                    MaterialInput::Licence {
                        number: number.into(),
                    },
                )],
            )
        };

        invalid(
            hall.submit_case(&zhang, application(&second, "second-00")).await,
            "materials.permit",
        );
        // Not of the type asked for; not the holder's; unknown.
        invalid(
            hall.submit_case(&zhang, by_licence("second-01", "business_licence", &number))
                .await,
            "materials.business_licence",
        );
        let li: Principal = citizen("li");
        invalid(
            hall.submit_case(&li, by_licence("second-02", "permit", &number))
                .await,
            "materials.permit",
        );
        invalid(
            hall.submit_case(&zhang, by_licence("second-03", "permit", "GA-0000-NONE"))
                .await,
            "materials.permit",
        );

        let view = hall
            .submit_case(&zhang, by_licence("second-04", "permit", &number))
            .await
            .unwrap();
        let permit_row = view.materials.iter().find(|m| m.code == "permit").unwrap();
        assert_eq!(
            permit_row.provided,
            Provided::Licence {
                number: number.clone()
            }
        );

        // Revoked, it no longer serves.
        seals.revoke_licence(&admin, &number, "信息有误").await.unwrap();
        invalid(
            hall.submit_case(&zhang, by_licence("second-05", "permit", &number))
                .await,
            "materials.permit",
        );
        // Without the seal service, licences cannot be used at all.
        invalid(
            w.hall
                .submit_case(&zhang, by_licence("second-06", "permit", &number))
                .await,
            "materials.permit",
        );
    })
    .await;
}

#[tokio::test]
async fn a_file_field_takes_the_applicants_own_upload_and_lists_it_with_the_materials() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let admin = staff("ga-admin", &w.police, Role::DeptAdmin);
        let mut input = item_input("GA-PHOTO", &w.police);
        for f in &mut input.fields {
            if f.code == "photo" {
                f.required = true;
            }
        }
        let item = w.hall.create_item(&admin, input).await.unwrap();
        w.hall
            .save_workflow(&admin, &item.id, w.plain_steps())
            .await
            .unwrap();
        let item = w.hall.item(&item.id).await.unwrap();
        let zhang = citizen("zhang");
        let li = citizen("li");

        // Without the photo the refusal names the field, so the page can go back to it.
        invalid(
            w.hall
                .submit_case(&zhang, application(&item, "photo-000001"))
                .await,
            "form.photo",
        );
        // Another applicant's upload is not Zhang's to give.
        let lis = w.hall.upload_file(&li, png("li.png")).await.unwrap();
        let mut forged = application(&item, "photo-000002");
        forged.form.insert("photo".into(), lis.id.to_string());
        invalid(w.hall.submit_case(&zhang, forged).await, "form.photo");

        let own = w.hall.upload_file(&zhang, png("证件照.png")).await.unwrap();
        let mut new = application(&item, "photo-000003");
        new.form.insert("photo".into(), own.id.to_string());
        let view = w.hall.submit_case(&zhang, new).await.unwrap();
        let photo = view
            .materials
            .iter()
            .find(|m| m.code == "form.photo")
            .expect("the photo is listed with the materials");
        assert_eq!(photo.name, "照片");
        assert!(matches!(&photo.provided, Provided::Upload { file, .. } if *file == own.id));
        // The same upload cannot serve a second application.
        let mut again = application(&item, "photo-000004");
        again.form.insert("photo".into(), own.id.to_string());
        conflict(w.hall.submit_case(&zhang, again).await, "form.photo");
    })
    .await;
}

#[tokio::test]
async fn a_supplement_answer_uploads_a_file_for_each_entry_the_clerk_named() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let (item, _) = w.item_with("GA-SUPP", 10, w.plain_steps()).await;
        let zhang = citizen("zhang");
        let view = w.apply(&zhang, &item, "supp-000001").await;
        let clerk = staff("ga-clerk", &w.police, Role::Clerk);
        w.hall
            .request_supplement(
                &clerk,
                &view.case.id,
                tongban_hall::SupplementRequest {
                    missing: vec!["近期免冠照片".into(), "居住证明".into()],
                    note: String::new(),
                },
            )
            .await
            .unwrap();
        let answer = |files: BTreeMap<usize, FileId>| tongban_hall::SupplementAnswer {
            form: BTreeMap::new(),
            note: "已上传".into(),
            files,
        };
        // An answer that supplies nothing is refused: it would use up the one 补正.
        let empty = tongban_hall::SupplementAnswer {
            form: BTreeMap::from([("name".to_string(), "张三".to_string())]),
            note: String::new(),
            files: BTreeMap::new(),
        };
        invalid(
            w.hall.supplement_case(&zhang, &view.case.id, empty).await,
            "files",
        );
        // An entry the request does not have, and another's upload, are refused by name.
        let own = w.hall.upload_file(&zhang, png("photo.png")).await.unwrap();
        invalid(
            w.hall
                .supplement_case(
                    &zhang,
                    &view.case.id,
                    answer(BTreeMap::from([(5, own.id.clone())])),
                )
                .await,
            "files.5",
        );
        let lis = w.hall.upload_file(&citizen("li"), png("li.png")).await.unwrap();
        invalid(
            w.hall
                .supplement_case(&zhang, &view.case.id, answer(BTreeMap::from([(0, lis.id)])))
                .await,
            "files.0",
        );
        let back = w
            .hall
            .supplement_case(
                &zhang,
                &view.case.id,
                answer(BTreeMap::from([(0, own.id.clone())])),
            )
            .await
            .unwrap();
        let supplied = back
            .materials
            .iter()
            .find(|m| m.code == "supplement.0")
            .expect("the upload is recorded on the case");
        assert_eq!(supplied.name, "补正：近期免冠照片");
        // The handling clerk can read it.
        let (f, _) = w.hall.file(&clerk, &own.id).await.unwrap();
        assert_eq!(f.file_name, "photo.png");
    })
    .await;
}
