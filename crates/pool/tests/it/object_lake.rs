//! The lake on object storage: versions uploaded before they are recorded, fetched back when
//! the local lake lacks them, and a failed upload leaving nothing recorded. A `file://` store
//! stands in for S3 here (the same code path through `object_store`).

use crate::query::clerk;
use crate::support::{CODE, Fixture, csv, row, system};
use tongban_pool::{Error, IngestOptions, ObjectLake, QueryOptions};
use tongban_test_support::each_backend;

async fn count(pool: &tongban_pool::Pool) -> String {
    let sql = format!("SELECT count(*) AS n FROM \"{CODE}\"");
    let result = pool
        .query(&clerk("/3301/3301-GA/"), &sql, &QueryOptions::default())
        .await
        .unwrap();
    result.text_rows().concat().join("")
}

#[tokio::test]
async fn versions_go_to_the_object_store_and_come_back_when_the_local_lake_is_emptied() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        let remote_dir = f.dir.path().join("object-store");
        let remote = ObjectLake::open(&format!("file://{}", remote_dir.display())).unwrap();
        let pool = f.pool.clone().with_object_lake(remote);
        let path = f.upload("v1.csv", csv(&[row(1, 30), row(2, 40), row(3, 50)]).as_bytes());
        let report = pool
            .ingest_csv(&system(), CODE, &path, &IngestOptions::default())
            .await
            .unwrap();
        assert_eq!((report.version, report.accepted), (1, 3));
        let stored = remote_dir.join(CODE);
        assert!(
            stored.join("v1").join("part-0.parquet").is_file(),
            "the data is uploaded"
        );
        assert!(stored.join("v1.rejects.csv").is_file(), "and its reject report");

        // A new machine (or an emptied cache): the version is fetched on first read, also when
        // several readers ask for it at once.
        std::fs::remove_dir_all(pool.lake_dir()).unwrap();
        let readers: Vec<_> = (0..6)
            .map(|_| {
                let pool = pool.clone();
                tokio::spawn(async move { count(&pool).await })
            })
            .collect();
        for reader in readers {
            assert_eq!(reader.await.unwrap(), "3");
        }
        let leftovers: Vec<_> = std::fs::read_dir(pool.lake_dir().join(CODE))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".partial"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        assert!(pool.version_dir(CODE, 1).join("part-0.parquet").is_file());

        // The next load diffs against the fetched previous version.
        std::fs::remove_dir_all(pool.lake_dir()).unwrap();
        let path = f.upload("v2.csv", csv(&[row(1, 30), row(2, 41), row(4, 20)]).as_bytes());
        let report = pool
            .ingest_csv(&system(), CODE, &path, &IngestOptions::default())
            .await
            .unwrap();
        assert_eq!(report.version, 2);
        assert_eq!(
            report.diff,
            serde_json::json!({ "added": 1, "changed": 1, "removed": 1 })
        );
        assert!(stored.join("v2").join("part-0.parquet").is_file());
    })
    .await;
}

#[tokio::test]
async fn a_failed_upload_records_nothing_and_leaves_no_local_version() {
    each_backend(&[tongban_catalog::MIGRATIONS], |db| async move {
        let f = Fixture::new(db).await;
        let remote_dir = f.dir.path().join("object-store");
        let remote = ObjectLake::open(&format!("file://{}", remote_dir.display())).unwrap();
        let pool = f.pool.clone().with_object_lake(remote);
        // The store breaks after it was opened: where its folder was, there is now a file.
        std::fs::remove_dir_all(&remote_dir).unwrap();
        std::fs::write(&remote_dir, b"not a folder").unwrap();
        let path = f.upload("v1.csv", csv(&[row(1, 30)]).as_bytes());
        let err = pool
            .ingest_csv(&system(), CODE, &path, &IngestOptions::default())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Io(_)), "{err:?}");
        assert_eq!(f.current_version().await, 0, "nothing recorded");
        assert!(
            !pool.version_dir(CODE, 1).exists(),
            "no local version left behind"
        );
    })
    .await;
}

#[test]
fn a_bad_lake_url_is_refused_naming_the_setting() {
    for url in ["ftp://host/lake", "lake", "file://relative/lake", "s3:///prefix"] {
        match ObjectLake::open(url) {
            Err(Error::Invalid(invalid)) => assert_eq!(invalid.field, "lake_url", "{url}"),
            other => panic!("{url}: expected an invalid setting, got {other:?}"),
        }
    }
}

/// Against a real S3 API when one is given (CI runs an S3-compatible server and sets
/// `TONGBAN_TEST_S3_URL=s3://bucket/prefix` and `TONGBAN_TEST_S3_ENDPOINT`).
#[tokio::test]
async fn an_s3_compatible_store_holds_and_returns_versions() {
    let (Ok(url), Ok(endpoint)) = (
        std::env::var("TONGBAN_TEST_S3_URL"),
        std::env::var("TONGBAN_TEST_S3_ENDPOINT"),
    ) else {
        eprintln!("TONGBAN_TEST_S3_URL / TONGBAN_TEST_S3_ENDPOINT not set: S3 not tried");
        return;
    };
    each_backend(&[tongban_catalog::MIGRATIONS], |db| {
        let (url, endpoint) = (url.clone(), endpoint.clone());
        async move {
            let f = Fixture::new(db).await;
            // Each run (and backend) under its own prefix in the shared bucket.
            let url = format!("{url}/{}", tongban_kernel::id::new_uuid_v7());
            let settings = [
                ("aws_endpoint", endpoint.as_str()),
                ("aws_allow_http", "true"),
                ("aws_access_key_id", "test"),
                ("aws_secret_access_key", "test"),
                ("aws_region", "us-east-1"),
            ];
            let pool = f
                .pool
                .clone()
                .with_object_lake(ObjectLake::open_with(&url, &settings).unwrap());
            let path = f.upload("v1.csv", csv(&[row(1, 30), row(2, 40)]).as_bytes());
            let report = pool
                .ingest_csv(&system(), CODE, &path, &IngestOptions::default())
                .await
                .unwrap();
            assert_eq!(report.accepted, 2);
            std::fs::remove_dir_all(pool.lake_dir()).unwrap();
            assert_eq!(count(&pool).await, "2", "fetched back from S3");
        }
    })
    .await;
}
