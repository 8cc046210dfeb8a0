#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Seals and e-licences end to end, on SQLite and (when `TONGBAN_TEST_DATABASE_URL` is set)
//! PostgreSQL: making a seal, issuing and numbering licences, verification online and offline
//! (a changed byte, a wrong seal, a revoked and an expired licence), who may do what, and the
//! events every write leaves.

use jiff::civil::{Date, date};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use tongban_crypto::Keyring;
use tongban_db::{Db, MIGRATIONS as DB_MIGRATIONS};
use tongban_kernel::Lang;
use tongban_kernel::{DeptPath, IdNumber, Millis, Principal, PrincipalKind, Role, RoleGrant};
use tongban_seal::{
    Error, HolderKind, Issuer, LicenceField, LicenceInput, LicenceStatus, MIGRATIONS, Outcome, Seal,
    SealInput, SealPicture, SealType, Seals, TrustedSeals, verify_document,
};
use tongban_test_support::each_backend;

struct World {
    seals: Seals,
    db: Db,
    now: Arc<AtomicI64>,
    market: Issuer,
    police: Issuer,
}

fn at(day: Date) -> i64 {
    day.at(10, 0, 0, 0)
        .to_zoned(tongban_kernel::time::zone("Asia/Shanghai"))
        .unwrap()
        .timestamp()
        .as_millisecond()
}

fn issuer(code: &str, name: &str) -> Issuer {
    Issuer {
        id: tongban_kernel::id::new_uuid_v7(),
        path: DeptPath(format!("/3301/{code}/")),
        name_zh: name.into(),
    }
}

fn staff(name: &str, role: Role, dept: &Issuer) -> Principal {
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

fn citizen(id: &str) -> Principal {
    Principal {
        kind: PrincipalKind::User,
        id: id.into(),
        name: format!("citizen-{id}"),
        department: None,
        grants: Vec::new(),
        purpose: None,
    }
}

fn person_id() -> String {
    IdNumber::with_check("33010219900307002")
        .unwrap()
        .as_str()
        .to_string()
}

impl World {
    fn new(db: Db) -> World {
        let now = Arc::new(AtomicI64::new(at(date(2026, 3, 2))));
        let n = now.clone();
        let seals =
            Seals::new(db.clone(), Keyring::ephemeral()).with_clock(move || Millis(n.load(Ordering::SeqCst)));
        World {
            seals,
            db,
            now,
            market: issuer("3301-SC", "杭州市市场监督管理局"),
            police: issuer("3301-GA", "杭州市公安局"),
        }
    }

    fn set_day(&self, day: Date) {
        self.now.store(at(day), Ordering::SeqCst);
    }

    async fn seal(&self, dept: &Issuer) -> Seal {
        let admin = staff("admin", Role::DeptAdmin, dept);
        self.seals
            .create_seal(
                &admin,
                dept.clone(),
                SealInput {
                    name: format!("{}证照专用章", dept.name_zh),
                    seal_type: SealType::Licence,
                    valid_from: date(2026, 1, 1),
                    valid_to: date(2030, 12, 31),
                    picture: Some(SealPicture {
                        media_type: "image/png".into(),
                        bytes: b"\x89PNG\r\n\x1a\nfake-but-typed".to_vec(),
                    }),
                },
            )
            .await
            .unwrap()
    }

    fn licence(&self, account: Option<&str>) -> LicenceInput {
        LicenceInput {
            licence_type: "individual-business-licence".into(),
            title: "个体工商户营业执照".into(),
            holder_kind: HolderKind::Person,
            holder_name: "王小明".into(),
            holder_id: person_id(),
            holder_account: account.map(String::from),
            valid_from: None,
            valid_to: None,
            fields: vec![
                LicenceField {
                    label: "名称".into(),
                    value: "杭州小明便利店".into(),
                },
                LicenceField {
                    label: "经营场所".into(),
                    value: "浙江省杭州市上城区清泰街1号".into(),
                },
            ],
            case_number: Some("2026-0302-000001".into()),
        }
    }
}

async fn events(db: &Db, action: &str) -> usize {
    db.fetch_all(
        "SELECT seq FROM events WHERE action = $1",
        tongban_db::params![action],
    )
    .await
    .unwrap()
    .len()
}

fn sets() -> Vec<&'static [tongban_db::Migration]> {
    vec![DB_MIGRATIONS, MIGRATIONS]
}

#[tokio::test]
async fn a_licence_is_issued_numbered_and_verifies_online_and_offline() {
    each_backend(&sets(), |db| async move {
        let w = World::new(db);
        let seal = w.seal(&w.market).await;
        assert!(seal.has_picture);
        assert_eq!(seal.certificate.issuer, w.market);
        let clerk = staff("clerk", Role::Approver, &w.market);
        let (first, signed) = w
            .seals
            .issue_licence(&clerk, &seal.id, w.licence(Some("acct-1")))
            .await
            .unwrap();
        let (second, _) = w
            .seals
            .issue_licence(&clerk, &seal.id, w.licence(None))
            .await
            .unwrap();
        assert_eq!(first.number, "DZZZ-2026-00000001");
        assert_eq!(second.number, "DZZZ-2026-00000002");
        assert_eq!(first.holder_masked, "王**");
        assert!(first.holder_id_masked.starts_with("3301**********"));
        assert_eq!(signed.document.holder.id_masked, first.holder_id_masked);
        assert_eq!(signed.signature.seal, seal.certificate);
        assert_eq!(events(&w.db, "seal.seal.created").await, 1);
        assert_eq!(events(&w.db, "seal.licence.issued").await, 2);

        // The holder downloads the file; it verifies online…
        let holder = citizen("acct-1");
        let file = w.seals.signed_file(&holder, &first.number).await.unwrap();
        assert!(
            !file.contains(&person_id()),
            "the file carries only the masked ID"
        );
        let verdict = w.seals.verify_file(file.as_bytes()).await.unwrap();
        assert_eq!(verdict.outcome, Outcome::Valid, "{}", verdict.reason);
        assert_eq!(verdict.issuer(), Some("杭州市市场监督管理局"));
        let digest: serde_json::Value = serde_json::from_str(&file).unwrap();
        let code = tongban_seal::verification_code(digest["signature"]["data_hash"].as_str().unwrap());
        assert!(
            w.seals.verify_number(&first.number, "00000000").await.is_err(),
            "the code is needed"
        );
        let (record, by_number) = w.seals.verify_number(&first.number, &code).await.unwrap();
        assert_eq!(by_number.outcome, Outcome::Valid);
        assert_eq!(record.status(date(2026, 3, 2)), LicenceStatus::Valid);

        // …and offline from the exported certificates only.
        let dir = tempfile::tempdir().unwrap();
        let exported = w.seals.export_certs(dir.path()).await.unwrap();
        assert_eq!((exported.seals, exported.revocations), (1, 0));
        let trusted = TrustedSeals::from_dir(dir.path()).unwrap();
        assert_eq!(trusted.seal_count(), 1);
        let offline = verify_document(file.as_bytes(), &trusted, date(2026, 3, 2));
        assert_eq!(offline.outcome, Outcome::Valid, "{}", offline.reason);

        // "My licences" and the hall's lookup by holder.
        let mine = w.seals.licences_of_account("acct-1").await.unwrap();
        assert_eq!(
            mine.iter().map(|l| l.number.as_str()).collect::<Vec<_>>(),
            vec![first.number.as_str()]
        );
        let held = w
            .seals
            .licences_of_holder(&person_id().to_lowercase(), Some("individual-business-licence"))
            .await
            .unwrap();
        assert_eq!(held.len(), 2);
        assert!(
            w.seals
                .licences_of_holder(&person_id(), Some("other-type"))
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

#[tokio::test]
async fn a_changed_byte_a_wrong_seal_a_revocation_and_expiry_are_all_caught() {
    each_backend(&sets(), |db| async move {
        let w = World::new(db);
        let seal = w.seal(&w.market).await;
        let other = w.seal(&w.police).await;
        let system = Principal::system("test");
        let (licence, _) = w
            .seals
            .issue_licence(&system, &seal.id, w.licence(None))
            .await
            .unwrap();
        let file = w.seals.signed_file(&system, &licence.number).await.unwrap();

        // One changed character in the document, and in the signature structure.
        let changed = file.replacen("杭州小明便利店", "杭州小明超市店", 1);
        assert_ne!(changed, file);
        let v = w.seals.verify_file(changed.as_bytes()).await.unwrap();
        assert_eq!(v.outcome, Outcome::Tampered, "{}", v.reason);
        let mut value: serde_json::Value = serde_json::from_str(&file).unwrap();
        value["signature"]["signed_at"] = serde_json::json!("2026-03-02T01:00:00Z");
        let v = w.seals.verify_file(value.to_string().as_bytes()).await.unwrap();
        assert_eq!(v.outcome, Outcome::Tampered);
        // A member added to the document is a change too.
        let mut value: serde_json::Value = serde_json::from_str(&file).unwrap();
        value["document"]["note"] = serde_json::json!("x");
        let v = w.seals.verify_file(value.to_string().as_bytes()).await.unwrap();
        assert_eq!(v.outcome, Outcome::Tampered);
        // Re-indenting is not.
        let compact =
            serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&file).unwrap()).unwrap();
        assert_eq!(
            w.seals.verify_file(compact.as_bytes()).await.unwrap().outcome,
            Outcome::Valid
        );
        // Not a licence at all.
        assert_eq!(
            w.seals.verify_file(b"%PDF-1.7").await.unwrap().outcome,
            Outcome::Tampered
        );

        // The police seal's certificate swapped in: the signature no longer matches that key.
        let mut value: serde_json::Value = serde_json::from_str(&file).unwrap();
        value["signature"]["seal"] = serde_json::to_value(&other.certificate).unwrap();
        let v = w.seals.verify_file(value.to_string().as_bytes()).await.unwrap();
        assert_eq!(v.outcome, Outcome::Tampered);

        // Signed by a seal of another platform: unknown.
        let foreign_seals = Seals::new(w.db.clone(), Keyring::ephemeral());
        let foreign = foreign_seals
            .create_seal(
                &system,
                issuer("9999-X", "外地某局"),
                SealInput {
                    name: "外地章".into(),
                    seal_type: SealType::Official,
                    valid_from: date(2026, 1, 1),
                    valid_to: date(2027, 1, 1),
                    picture: None,
                },
            )
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        w.seals.export_certs(dir.path()).await.unwrap();
        let trusted = TrustedSeals::from_dir(dir.path()).unwrap();
        // Market and police; the other platform's seal shares the database but not our maker key.
        assert_eq!(trusted.seal_count(), 2);
        let (_, foreign_signed) = foreign_seals
            .issue_licence(&system, &foreign.id, w.licence(None))
            .await
            .unwrap();
        let foreign_file = serde_json::to_string(&foreign_signed).unwrap();
        let v = verify_document(foreign_file.as_bytes(), &trusted, date(2026, 3, 2));
        assert_eq!(v.outcome, Outcome::UnknownSeal, "{}", v.reason);
        assert_eq!(
            w.seals
                .verify_file(foreign_file.as_bytes())
                .await
                .unwrap()
                .outcome,
            Outcome::UnknownSeal
        );

        // Revoked: online at once, offline after the next export.
        let clerk = staff("clerk", Role::Approver, &w.market);
        let refused = w.seals.revoke_licence(&clerk, &licence.number, "材料虚假").await;
        assert!(
            matches!(refused, Err(Error::Forbidden { .. })),
            "approvers issue, administrators revoke"
        );
        let admin = staff("admin", Role::DeptAdmin, &w.market);
        let revoked = w
            .seals
            .revoke_licence(
                &admin,
                &licence.number,
                "以欺骗手段取得，依法撤销 / obtained by deception",
            )
            .await
            .unwrap();
        assert!(revoked.revoked.is_some());
        assert!(matches!(
            w.seals.revoke_licence(&admin, &licence.number, "again").await,
            Err(Error::Conflict { .. })
        ));
        assert_eq!(events(&w.db, "seal.licence.revoked").await, 1);
        assert_eq!(
            w.seals.verify_file(file.as_bytes()).await.unwrap().outcome,
            Outcome::Revoked
        );
        assert_eq!(
            verify_document(file.as_bytes(), &trusted, date(2026, 3, 2)).outcome,
            Outcome::Valid
        );
        let exported = w.seals.export_certs(dir.path()).await.unwrap();
        assert_eq!(exported.revocations, 1);
        let trusted = TrustedSeals::from_dir(dir.path()).unwrap();
        let v = verify_document(file.as_bytes(), &trusted, date(2026, 3, 2));
        assert_eq!(v.outcome, Outcome::Revoked);
        // Each language reads its own half of a reason written in both.
        let (zh, en) = (v.reason.render(Lang::Zh), v.reason.render(Lang::En));
        assert!(zh.ends_with("以欺骗手段取得，依法撤销"), "{zh}");
        assert!(
            en.starts_with("Revoked by the issuer on ")
                && en.ends_with(": obtained by deception")
                && !en.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{en}"
        );

        // A forged revocation list (an entry removed) is refused as a whole.
        let list_path = dir.path().join("revocations.json");
        let list = std::fs::read_to_string(&list_path).unwrap();
        let mut value: serde_json::Value = serde_json::from_str(&list).unwrap();
        value["revoked"] = serde_json::json!([]);
        std::fs::write(&list_path, value.to_string()).unwrap();
        assert!(TrustedSeals::from_dir(dir.path()).is_err());

        // Expired: a licence valid to the end of March, checked in April.
        let mut short = w.licence(None);
        short.valid_to = Some(date(2026, 3, 31));
        let (expiring, _) = w.seals.issue_licence(&system, &seal.id, short).await.unwrap();
        let expiring_file = w.seals.signed_file(&system, &expiring.number).await.unwrap();
        assert_eq!(
            w.seals
                .verify_file(expiring_file.as_bytes())
                .await
                .unwrap()
                .outcome,
            Outcome::Valid
        );
        w.set_day(date(2026, 4, 1));
        let v = w.seals.verify_file(expiring_file.as_bytes()).await.unwrap();
        assert_eq!(v.outcome, Outcome::Expired);
        assert_eq!(expiring.status(date(2026, 4, 1)), LicenceStatus::Expired);
    })
    .await;
}

#[tokio::test]
async fn only_the_right_people_make_seals_issue_and_read_files() {
    each_backend(&sets(), |db| async move {
        let w = World::new(db);
        let seal = w.seal(&w.market).await;
        let police_admin = staff("p-admin", Role::DeptAdmin, &w.police);
        let police_clerk = staff("p-clerk", Role::Approver, &w.police);

        // Another department cannot make a seal for the market authority or sign with its seal.
        let input = SealInput {
            name: "冒用章".into(),
            seal_type: SealType::Official,
            valid_from: date(2026, 1, 1),
            valid_to: date(2027, 1, 1),
            picture: None,
        };
        assert!(matches!(
            w.seals
                .create_seal(&police_admin, w.market.clone(), input.clone())
                .await,
            Err(Error::Forbidden { .. })
        ));
        assert!(matches!(
            w.seals
                .issue_licence(&police_clerk, &seal.id, w.licence(None))
                .await,
            Err(Error::Forbidden { .. })
        ));
        assert!(matches!(
            w.seals.create_seal(&citizen("c1"), w.market.clone(), input).await,
            Err(Error::Forbidden { .. })
        ));

        // The file: its holder and the issuer, nobody else.
        let clerk = staff("clerk", Role::Approver, &w.market);
        let (licence, _) = w
            .seals
            .issue_licence(&clerk, &seal.id, w.licence(Some("acct-9")))
            .await
            .unwrap();
        assert!(
            w.seals
                .signed_file(&citizen("acct-9"), &licence.number)
                .await
                .is_ok()
        );
        assert!(w.seals.signed_file(&clerk, &licence.number).await.is_ok());
        for outsider in [citizen("acct-8"), police_clerk.clone(), Principal::anonymous()] {
            assert!(matches!(
                w.seals.signed_file(&outsider, &licence.number).await,
                Err(Error::Forbidden { .. })
            ));
        }
        assert!(matches!(
            w.seals.signed_file(&clerk, "DZZZ-2026-99999999").await,
            Err(Error::NotFound { .. })
        ));

        // Lists are scoped to where the actor issues.
        assert_eq!(w.seals.licences(&clerk, None, 50).await.unwrap().len(), 1);
        assert!(
            w.seals
                .licences(&police_clerk, None, 50)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            w.seals.licences(&police_clerk, Some(&w.market.path), 50).await,
            Err(Error::Forbidden { .. })
        ));
        assert!(matches!(
            w.seals.licences(&citizen("acct-9"), None, 50).await,
            Err(Error::Forbidden { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn bad_input_names_its_field_and_leaves_nothing_behind() {
    each_backend(&sets(), |db| async move {
        let w = World::new(db);
        let admin = staff("admin", Role::DeptAdmin, &w.market);
        let field = |r: Result<Seal, Error>| r.err().and_then(|e| e.field().map(String::from));
        let mut input = SealInput {
            name: "  ".into(),
            seal_type: SealType::Official,
            valid_from: date(2026, 1, 1),
            valid_to: date(2027, 1, 1),
            picture: None,
        };
        assert_eq!(
            field(w.seals.create_seal(&admin, w.market.clone(), input.clone()).await).as_deref(),
            Some("name")
        );
        input.name = "公章".into();
        input.valid_to = date(2025, 1, 1);
        assert_eq!(
            field(w.seals.create_seal(&admin, w.market.clone(), input.clone()).await).as_deref(),
            Some("valid_to")
        );
        input.valid_to = date(2027, 1, 1);
        input.picture = Some(SealPicture {
            media_type: "image/png".into(),
            bytes: b"GIF89a".to_vec(),
        });
        assert_eq!(
            field(w.seals.create_seal(&admin, w.market.clone(), input.clone()).await).as_deref(),
            Some("picture")
        );
        input.picture = None;
        w.seals
            .create_seal(&admin, w.market.clone(), input.clone())
            .await
            .unwrap();
        assert_eq!(
            field(w.seals.create_seal(&admin, w.market.clone(), input).await).as_deref(),
            Some("name")
        );
        assert_eq!(events(&w.db, "seal.seal.created").await, 1);

        // A licence with a bad holder ID takes no number: the next good one is still 00000001.
        let seal = w.seal(&w.market).await;
        let mut bad = w.licence(None);
        bad.holder_id = "330102199003070021".into();
        let err = w.seals.issue_licence(&admin, &seal.id, bad).await.err().unwrap();
        assert_eq!(err.field(), Some("holder_id"));
        let mut bad = w.licence(None);
        bad.valid_from = Some(date(2026, 5, 1));
        bad.valid_to = Some(date(2026, 4, 1));
        assert_eq!(
            w.seals
                .issue_licence(&admin, &seal.id, bad)
                .await
                .err()
                .unwrap()
                .field(),
            Some("valid_to")
        );
        let (good, _) = w
            .seals
            .issue_licence(&admin, &seal.id, w.licence(None))
            .await
            .unwrap();
        assert_eq!(good.number, "DZZZ-2026-00000001");

        // A seal outside its validity cannot sign; an unknown seal is named.
        w.set_day(date(2031, 1, 2));
        let err = w
            .seals
            .issue_licence(&admin, &seal.id, w.licence(None))
            .await
            .err()
            .unwrap();
        assert_eq!(err.field(), Some("seal"));
        let err = w
            .seals
            .issue_licence(&admin, &tongban_seal::SealId::new(), w.licence(None))
            .await
            .err()
            .unwrap();
        assert_eq!(err.field(), Some("seal"));
        assert_eq!(events(&w.db, "seal.licence.issued").await, 1);
    })
    .await;
}

/// A department's letters carry its 公章 (else a 业务专用章), never the 证照专用章, and only a
/// seal valid today; the document of a licence is read by those who may read its file.
#[tokio::test]
async fn letters_carry_the_official_seal_valid_today() {
    each_backend(&sets(), |db| async move {
        let w = World::new(db);
        w.seal(&w.market).await;
        assert!(
            w.seals.letter_seal(&w.market.path).await.unwrap().is_none(),
            "a licence seal does not sign letters"
        );
        let admin = staff("admin", Role::DeptAdmin, &w.market);
        let make = |name: &str, seal_type, valid_to| {
            w.seals.create_seal(
                &admin,
                w.market.clone(),
                SealInput {
                    name: name.into(),
                    seal_type,
                    valid_from: date(2026, 1, 1),
                    valid_to,
                    picture: None,
                },
            )
        };
        let business = make(
            "杭州市市场监督管理局行政审批专用章",
            SealType::Business,
            date(2030, 12, 31),
        )
        .await
        .unwrap();
        assert_eq!(
            w.seals.letter_seal(&w.market.path).await.unwrap().unwrap().id,
            business.id
        );
        let official = make("杭州市市场监督管理局", SealType::Official, date(2026, 6, 30))
            .await
            .unwrap();
        assert_eq!(
            w.seals.letter_seal(&w.market.path).await.unwrap().unwrap().id,
            official.id
        );
        assert!(
            w.seals.letter_seal(&w.police.path).await.unwrap().is_none(),
            "another department's seal is not used"
        );
        w.set_day(date(2026, 7, 1));
        assert_eq!(
            w.seals.letter_seal(&w.market.path).await.unwrap().unwrap().id,
            business.id,
            "an expired 公章 gives way"
        );

        let seal = w.seal(&w.police).await;
        let holder = citizen("acct-1");
        let (licence, _) = w
            .seals
            .issue_licence(
                &staff("approver", Role::Approver, &w.police),
                &seal.id,
                w.licence(Some("acct-1")),
            )
            .await
            .unwrap();
        let doc = w.seals.document(&holder, &licence.number).await.unwrap();
        assert_eq!(doc.holder.name, "王小明");
        assert!(matches!(
            w.seals.document(&citizen("acct-2"), &licence.number).await,
            Err(Error::Forbidden { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn no_licence_file_makes_the_verifier_panic() {
    each_backend(&sets(), |db| async move {
        let w = World::new(db);
        let seal = w.seal(&w.market).await;
        let clerk = staff("clerk", Role::Approver, &w.market);
        let (first, _) = w
            .seals
            .issue_licence(&clerk, &seal.id, w.licence(Some("acct-1")))
            .await
            .unwrap();
        let file = w
            .seals
            .signed_file(&citizen("acct-1"), &first.number)
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        w.seals.export_certs(dir.path()).await.unwrap();
        let trusted = TrustedSeals::from_dir(dir.path()).unwrap();
        let today = date(2026, 3, 2);
        assert_eq!(
            verify_document(file.as_bytes(), &trusted, today).outcome,
            Outcome::Valid
        );
        // Changed files never verify, and none crashes the verifier.
        let original = file.as_bytes().to_vec();
        let runs = tongban_kernel::fuzz::run("licence files", &[original.clone(), b"{}".to_vec()], |bytes| {
            let verdict = verify_document(bytes, &trusted, today);
            if bytes != original.as_slice() && verdict.outcome == Outcome::Valid {
                // Only a change the canonical form ignores (white space between tokens) may
                // still verify; the document's content must be the same.
                let a: serde_json::Value = serde_json::from_slice(bytes).expect("a valid file is JSON");
                let b: serde_json::Value = serde_json::from_slice(&original).unwrap();
                assert_eq!(a, b, "a changed licence verified");
            }
        });
        assert!(runs > 10, "{runs}");
    })
    .await;
}

#[tokio::test]
async fn a_seals_key_is_replaced_without_a_pause_and_what_the_old_key_signed_still_verifies() {
    each_backend(&sets(), |db| async move {
        let w = World::new(db);
        let old = w.seal(&w.market).await;
        let clerk = staff("clerk", Role::Approver, &w.market);
        let (before, _) = w
            .seals
            .issue_licence(&clerk, &old.id, w.licence(Some("acct-1")))
            .await
            .unwrap();
        w.set_day(date(2026, 6, 1));
        // Only the department's administrator replaces it.
        assert!(matches!(
            w.seals.rotate_seal(&clerk, &old.id).await,
            Err(Error::Forbidden { .. })
        ));
        let other = staff("admin", Role::DeptAdmin, &w.police);
        assert!(matches!(
            w.seals.rotate_seal(&other, &old.id).await,
            Err(Error::Forbidden { .. })
        ));
        let admin = staff("admin", Role::DeptAdmin, &w.market);
        let new = w.seals.rotate_seal(&admin, &old.id).await.unwrap();
        assert_ne!(new.certificate.public_key, old.certificate.public_key);
        assert_eq!(new.name, old.name, "the successor keeps the name");
        assert_eq!(
            (new.seal_type, new.valid_from, new.valid_to, new.has_picture),
            (old.seal_type, date(2026, 6, 1), old.valid_to, true)
        );
        let retired = w.seals.seal(&old.id).await.unwrap();
        assert!(retired.retired.is_some());
        assert_eq!(retired.successor.as_ref(), Some(&new.id));
        assert!(
            retired
                .name
                .starts_with(&format!("{}（2026-06-01停用，密钥", old.name)),
            "{}",
            retired.name
        );
        assert_eq!(events(&w.db, "seal.seal.rotated").await, 1);
        // The department signs with the successor from now on; the old key signs nothing.
        let mut tx = w.db.begin_write().await.unwrap();
        let in_use = w.seals.department_seal_in(&mut tx, &w.market.path).await.unwrap();
        tx.rollback().await.unwrap();
        assert_eq!(in_use.id, new.id);
        assert!(matches!(
            w.seals.issue_licence(&clerk, &old.id, w.licence(None)).await,
            Err(Error::Conflict { .. })
        ));
        let (after, signed) = w
            .seals
            .issue_licence(&clerk, &new.id, w.licence(None))
            .await
            .unwrap();
        assert_eq!(signed.signature.seal, new.certificate);
        // Both verify, online and from exported certificates alone.
        let dir = tempfile::tempdir().unwrap();
        w.seals.export_certs(dir.path()).await.unwrap();
        let trusted = TrustedSeals::from_dir(dir.path()).unwrap();
        for (licence, holder) in [(&before, citizen("acct-1")), (&after, citizen("nobody"))] {
            let file = match w.seals.signed_file(&holder, &licence.number).await {
                Ok(f) => f,
                Err(_) => w.seals.signed_file(&admin, &licence.number).await.unwrap(),
            };
            let online = w.seals.verify_file(file.as_bytes()).await.unwrap();
            assert_eq!(
                online.outcome,
                Outcome::Valid,
                "{}: {}",
                licence.number,
                online.reason
            );
            let offline = verify_document(file.as_bytes(), &trusted, date(2026, 6, 2));
            assert_eq!(
                offline.outcome,
                Outcome::Valid,
                "{}: {}",
                licence.number,
                offline.reason
            );
        }
        // A retired seal is not replaced again; its successor is.
        assert!(matches!(
            w.seals.rotate_seal(&admin, &old.id).await,
            Err(Error::Conflict { .. })
        ));
        let third = w.seals.rotate_seal(&admin, &new.id).await.unwrap();
        assert_eq!(third.name, old.name);
    })
    .await;
}
