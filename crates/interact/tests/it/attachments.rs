use crate::support::{World, citizen, invalid, staff, street_light};
use tongban_interact::{Error, ItemFilter, MAX_ATTACHMENT_BYTES, MIGRATIONS, Upload};
use tongban_kernel::{Page, Role};
use tongban_test_support::each_backend;

const GPS: &[u8] = b"GPSLatitude 30.2741 GPSLongitude 120.1551";

/// A phone photo: JFIF, an Exif block with a GPS position, scan data.
fn photo() -> Vec<u8> {
    let mut exif = b"Exif\0\0II\x2a\0\x08\0\0\0\0\0\0\0\0\0".to_vec();
    exif.extend_from_slice(GPS);
    let mut j = vec![0xFF, 0xD8];
    for (marker, payload) in [
        (0xE0, &b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"[..]),
        (0xE1, &exif),
        (0xDA, &[1, 1, 0, 0, 63, 0]),
    ] {
        j.extend_from_slice(&[0xFF, marker]);
        j.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        j.extend_from_slice(payload);
    }
    j.extend_from_slice(&[0x55, 0xAA, 0xFF, 0xD9]);
    j
}

fn upload(name: &str, declared: &str, bytes: Vec<u8>) -> Upload {
    Upload {
        file_name: name.into(),
        declared_type: declared.into(),
        bytes,
    }
}

fn has(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn photos_lose_their_gps_position_and_only_those_who_see_the_item_read_them() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let zhang = citizen("zhang");
        let files = vec![
            upload("C:\\相册\\路灯.jpg", "image/jpeg", photo()),
            upload("说明.pdf", "application/pdf", b"%PDF-1.7\n1 0 obj\n".to_vec()),
        ];
        let view =
            w.ix.submit_with_attachments(&zhang, street_light("路灯不亮，附照片", 30.27, 120.15, ""), files)
                .await
                .unwrap();
        let list = w.ix.attachments(&zhang, &view.item.id).await.unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].file_name, "路灯.jpg");
        assert_eq!(list[0].media_type, "image/jpeg");
        assert_eq!(list[0].metadata_removed, 1);
        assert_eq!(list[1].media_type, "application/pdf");

        // The stored photo has no GPS position; its digest is of what is stored.
        let (meta, body) = w.ix.attachment(&zhang, &list[0].id).await.unwrap();
        assert!(!has(&body, GPS) && has(&body, b"JFIF"));
        assert_eq!(meta.size, body.len() as u64);
        assert_eq!(meta.sm3, hex::encode(tongban_crypto::sm3(&body)));
        // Nor does the database hold it in clear.
        let raw: Vec<u8> =
            w.db.fetch_one(
                "SELECT body FROM interact_attachments WHERE id = $1",
                tongban_db::params![meta.id.as_str()],
            )
            .await
            .unwrap()
            .get("body")
            .unwrap();
        assert!(!has(&raw, b"JFIF"));

        // The handling clerk reads it, and the reading is recorded.
        let clerk = staff("clerk", &w.urban, Role::Clerk);
        let (_, seen) = w.ix.attachment(&clerk, &list[1].id).await.unwrap();
        assert!(seen.starts_with(b"%PDF-"));
        assert_eq!(w.events("interact.attachment.read").await.len(), 1);
        // The submitter's own readings are not events; nobody else reads it at all.
        for stranger in [citizen("li"), staff("clerk", &w.police, Role::Clerk)] {
            assert!(matches!(
                w.ix.attachment(&stranger, &list[0].id).await,
                Err(Error::NotFound { .. })
            ));
            assert!(w.ix.attachments(&stranger, &view.item.id).await.is_err());
        }
        let submitted = w.events("interact.item.submitted").await;
        let detail: serde_json::Value = serde_json::from_str(&submitted[0].detail).unwrap();
        assert_eq!(detail["attachments"], 2);
    })
    .await;
}

#[tokio::test]
async fn bad_attachments_are_refused_naming_the_field_and_nothing_is_stored() {
    each_backend(&[MIGRATIONS], |db| async move {
        let w = World::new(db).await;
        let zhang = citizen("zhang");
        let pdf = || upload("a.pdf", "application/pdf", b"%PDF-1.7".to_vec());
        let mut damaged = photo();
        damaged.truncate(25);
        for files in [
            vec![pdf(), pdf(), pdf(), pdf()],
            vec![upload(
                "run.exe",
                "application/octet-stream",
                b"MZ\x90\0".to_vec(),
            )],
            vec![upload("a.png", "image/png", b"%PDF-1.7".to_vec())],
            vec![upload("a.pdf", "application/pdf", Vec::new())],
            vec![
                pdf(),
                upload(
                    "big.pdf",
                    "",
                    [b"%PDF-".as_slice(), &vec![0; MAX_ATTACHMENT_BYTES]].concat(),
                ),
            ],
            vec![upload("cut.jpg", "image/jpeg", damaged)],
        ] {
            invalid(
                w.ix.submit_with_attachments(&zhang, street_light("路灯不亮", 30.27, 120.15, ""), files)
                    .await,
                "attachments",
            );
        }
        let clerk = staff("clerk", &w.urban, Role::Clerk);
        let listed =
            w.ix.list_items(&clerk, &ItemFilter::default(), Page::default())
                .await
                .unwrap();
        assert_eq!(listed.total, 0);
        let stored: i64 =
            w.db.fetch_one(
                "SELECT COUNT(*) AS n FROM interact_attachments",
                tongban_db::params![],
            )
            .await
            .unwrap()
            .get("n")
            .unwrap();
        assert_eq!(stored, 0);
    })
    .await;
}
