//! The lake on object storage (S3-compatible, or a shared folder): every version is uploaded
//! there before the catalog records it, so the object store always holds every recorded
//! version, and a machine whose local lake lacks one fetches it before reading. The local lake
//! is then a cache of immutable versions: it never goes stale, and it can be emptied at any
//! time. Distributed engines (Spark, Trino) read the object store directly.

use crate::{Error, Result, lake};
use futures_util::StreamExt;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::buffered::BufWriter;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::AsyncWriteExt;
use tongban_kernel::Invalid;
use tongban_kernel::msg;

/// The object store a lake is kept in, and the prefix of its keys.
#[derive(Clone)]
pub struct ObjectLake {
    store: Arc<dyn ObjectStore>,
    prefix: ObjectPath,
    url: String,
}

impl std::fmt::Debug for ObjectLake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectLake").field("url", &self.url).finish()
    }
}

impl ObjectLake {
    /// The lake at `url`:
    /// - `s3://bucket/prefix`: S3 or an S3-compatible store. Credentials, region and endpoint
    ///   come from the usual `AWS_*` environment variables (`AWS_ACCESS_KEY_ID`,
    ///   `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT` for MinIO and the like,
    ///   `AWS_ALLOW_HTTP=true` for a plain-HTTP endpoint).
    /// - `file:///absolute/folder`: a folder, for a shared mount.
    ///
    /// Anything else is [`Error::Invalid`] naming `lake_url`.
    pub fn open(url: &str) -> Result<Self> {
        Self::open_with(url, &[])
    }

    /// As [`ObjectLake::open`], with S3 settings given here overriding the environment, by
    /// their `object_store` names (`aws_endpoint`, `aws_access_key_id`,
    /// `aws_secret_access_key`, `aws_region`, `aws_allow_http`, …).
    pub fn open_with(url: &str, settings: &[(&str, &str)]) -> Result<Self> {
        let bad = |why: &str| Error::Invalid(Invalid::new("lake_url", why));
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad(&msg!("expected-s3-bucket-prefix").to_string()))?;
        let (store, prefix): (Arc<dyn ObjectStore>, &str) = match scheme {
            "s3" => {
                let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
                if bucket.is_empty() {
                    return Err(bad(&msg!("bucket-name-missing").to_string()));
                }
                let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
                for (key, value) in settings {
                    let key = key
                        .parse::<AmazonS3ConfigKey>()
                        .map_err(|_| bad(&msg!("unknown-object-store-setting", key = key).to_string()))?;
                    builder = builder.with_config(key, *value);
                }
                let s3 = builder
                    .build()
                    .map_err(|e| bad(&msg!("cannot-use-object-store", e = e.to_string()).to_string()))?;
                (Arc::new(s3), prefix)
            }
            "file" => {
                let folder = Path::new(rest);
                if !folder.is_absolute() {
                    return Err(bad(&msg!("file-needs-absolute-path").to_string()));
                }
                std::fs::create_dir_all(folder)?;
                let local = LocalFileSystem::new_with_prefix(folder)
                    .map_err(|e| bad(&msg!("folder-cannot-used-e", e = e.to_string()).to_string()))?;
                (Arc::new(local), "")
            }
            _ => {
                return Err(bad(&msg!("only-s3-file-are").to_string()));
            }
        };
        let prefix = ObjectPath::parse(prefix.trim_matches('/'))
            .map_err(|e| bad(&msg!("bad-prefix-e", e = e.to_string()).to_string()))?;
        Ok(Self {
            store,
            prefix,
            url: url.to_owned(),
        })
    }

    /// Where the lake is, as configured.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The key of a file of one version: `<prefix>/<code>/v<N>/…` or `<prefix>/<code>/v<N>.…`,
    /// the same layout as the local lake.
    fn key(&self, code: &str, name: &str) -> ObjectPath {
        let mut key = self.prefix.clone();
        for part in [code, name] {
            for piece in part.split('/').filter(|p| !p.is_empty()) {
                key = key.join(piece);
            }
        }
        key
    }

    /// The files of one version, relative to the resource's folder: the version's own files
    /// and its reject reports.
    fn files(local: &Path, code: &str, version: u32) -> Result<Vec<(String, PathBuf)>> {
        let dir = lake::version_dir(local, code, version);
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                let name = entry.file_name().to_string_lossy().into_owned();
                files.push((format!("v{version}/{name}"), entry.path()));
            }
        }
        files.sort();
        for path in [
            lake::reject_report(local, code, version),
            lake::reject_report_xlsx(local, code, version),
        ] {
            if path.is_file()
                && let Some(name) = path.file_name()
            {
                files.push((name.to_string_lossy().into_owned(), path.clone()));
            }
        }
        Ok(files)
    }

    /// Uploads one version written to the local lake (multipart for large files). The reject
    /// reports go first and the version's data last, so a version whose data is in the store
    /// has its reports.
    pub(crate) async fn upload(&self, local: &Path, code: &str, version: u32) -> Result<()> {
        let mut files = Self::files(local, code, version)?;
        files.sort_by_key(|(name, _)| name.starts_with('v') && name.contains('/'));
        for (name, path) in files {
            let mut writer = BufWriter::new(Arc::clone(&self.store), self.key(code, &name));
            let mut file = tokio::fs::File::open(&path).await?;
            tokio::io::copy(&mut file, &mut writer).await?;
            writer.shutdown().await?;
        }
        Ok(())
    }

    /// Fetches one version into the local lake when it is not there: downloaded under
    /// `.partial` names and renamed into place, like a load. False when the store does not
    /// hold it either.
    pub(crate) async fn fetch(&self, local: &Path, code: &str, version: u32) -> Result<bool> {
        let target = lake::version_dir(local, code, version);
        if target.is_dir() {
            return Ok(true);
        }
        let folder = self.key(code, &format!("v{version}"));
        let mut listed = self.store.list(Some(&folder));
        let mut names = Vec::new();
        while let Some(meta) = listed.next().await {
            let meta = meta.map_err(remote_error)?;
            if let Some(name) = meta.location.filename() {
                names.push(name.to_owned());
            }
        }
        if names.is_empty() {
            return Ok(false);
        }
        // A staging name of its own, so that two readers fetching the same version at once do
        // not write into each other's files; the first rename wins, the other is discarded.
        let staging = unique_partial(&target);
        tokio::fs::create_dir_all(&staging).await?;
        let fetched = self
            .fetch_into(local, code, version, &folder, &names, &staging)
            .await;
        let placed = match fetched {
            Ok(()) => tokio::fs::rename(&staging, &target).await,
            Err(e) => {
                let _ = tokio::fs::remove_dir_all(&staging).await;
                return Err(e);
            }
        };
        if let Err(e) = placed {
            let _ = tokio::fs::remove_dir_all(&staging).await;
            if !target.is_dir() {
                return Err(e.into());
            }
        }
        tracing::info!(resource = code, version, from = %self.url, "fetched a version from the object store");
        Ok(true)
    }

    /// Downloads a version's files into `staging`, and its reject reports beside it when the
    /// local lake lacks them.
    async fn fetch_into(
        &self,
        local: &Path,
        code: &str,
        version: u32,
        folder: &ObjectPath,
        names: &[String],
        staging: &Path,
    ) -> Result<()> {
        for name in names {
            self.download(&folder.clone().join(name.as_str()), &staging.join(name))
                .await?;
        }
        for report in [
            lake::reject_report(local, code, version),
            lake::reject_report_xlsx(local, code, version),
        ] {
            let Some(name) = report.file_name().map(|n| n.to_string_lossy().into_owned()) else {
                continue;
            };
            let key = self.key(code, &name);
            if !report.is_file() && self.store.head(&key).await.is_ok() {
                self.download(&key, &report).await?;
            }
        }
        Ok(())
    }

    /// Streams one object to a local file (written under a `.partial` name of its own, then
    /// renamed).
    async fn download(&self, key: &ObjectPath, to: &Path) -> Result<()> {
        let partial = unique_partial(to);
        let mut file = tokio::fs::File::create(&partial).await?;
        let mut stream = self.store.get(key).await.map_err(remote_error)?.into_stream();
        while let Some(chunk) = stream.next().await {
            file.write_all(&chunk.map_err(remote_error)?).await?;
        }
        file.sync_all().await?;
        drop(file);
        tokio::fs::rename(&partial, to).await?;
        Ok(())
    }
}

/// `<name>.<unique>.partial` beside `path`: removed like any `.partial` by the next load if left.
fn unique_partial(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".{}.partial", tongban_kernel::id::new_uuid_v7()));
    path.with_file_name(name)
}

fn remote_error(e: object_store::Error) -> Error {
    Error::Io(std::io::Error::other(
        msg!("object-store-error-e", e = e.to_string()).to_string(),
    ))
}
