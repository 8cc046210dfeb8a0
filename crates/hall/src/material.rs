//! Materials (申请材料): files the applicant uploads before submitting — checked by size and by
//! their first bytes (PDF, PNG, JPEG), stored SM4-GCM encrypted and owned by the applicant until
//! a submission attaches them — and, at submission, what satisfies each material of the item:
//! an upload, an e-licence the applicant holds (免提交), or a field of a shared resource the
//! department reads itself (免提交). A required material left unsatisfied is named.

use crate::access::{Access, access, applicant_of};
use crate::events::{FileUploaded, MaterialRead};
use crate::store::case_event;
use crate::{Case, CaseId, Error, FieldKind, Hall, Material, MaterialSource, Result, ServiceItem};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tongban_db::{EventDraft, Row, Tx, params};
use tongban_kernel::msg;
use tongban_kernel::{Millis, Principal, define_id, upload};
use zeroize::Zeroizing;

define_id!(
    /// An uploaded file's id.
    FileId
);

/// The largest file accepted, in bytes (10 MiB).
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// The most uploads an applicant may hold that no submission has used yet.
pub const MAX_PENDING_FILES: i64 = 50;

/// The column the encrypted bodies are bound to (associated data).
pub(crate) const BODY_FIELD: &str = "hall_files.body";

pub use tongban_kernel::upload::Upload;

/// A stored file's description (the content is read with [`Hall::file`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFile {
    /// Its id.
    pub id: FileId,
    /// Display name.
    pub file_name: String,
    /// The media type its content was recognised as.
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
    /// SM3 digest of the content, hex.
    pub sm3: String,
    /// The case it was submitted with, once submitted.
    pub case_id: Option<CaseId>,
    /// The material it satisfies, once submitted.
    pub material_code: Option<String>,
    /// When it was uploaded.
    pub uploaded: Millis,
}

/// How the applicant satisfies one material at submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MaterialInput {
    /// A file uploaded with [`Hall::upload_file`] and not yet used.
    Upload {
        /// The file.
        file: FileId,
    },
    /// An e-licence the applicant holds, of the type the material names (免提交).
    Licence {
        /// The licence number.
        number: String,
    },
}

/// What satisfied one material of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Provided {
    /// An uploaded file.
    Upload {
        /// The file.
        file: FileId,
        /// Its display name.
        file_name: String,
        /// Its media type.
        media_type: String,
        /// Its size in bytes.
        size: u64,
    },
    /// An e-licence the applicant holds (免提交).
    Licence {
        /// The licence number.
        number: String,
    },
    /// A field of a shared resource the department reads itself (免提交).
    Shared {
        /// The resource code.
        resource: String,
        /// The field code.
        field: String,
    },
    /// An e-licence another service of the same bundle issues in this application (一件事
    /// 一并签发): the applicant cannot hold it yet, and the department reads it once issued.
    IssuedInBundle {
        /// The licence type.
        licence_type: String,
        /// The service of the bundle that issues it.
        issuer: String,
    },
}

/// One material of a case and what satisfied it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseMaterial {
    /// The material's code within the item.
    pub code: String,
    /// Its name.
    pub name: String,
    /// What satisfied it.
    pub provided: Provided,
}

/// Checks an upload's size and content and returns its media type.
fn check_upload(u: &Upload) -> Result<&'static str> {
    Ok(upload::check("file", u, MAX_UPLOAD_BYTES)?.mime())
}

const FILE_COLUMNS: &str = "id, file_name, media_type, size_bytes, sm3, case_id, material_code, uploaded_ms";

fn file_from_row(r: &Row) -> Result<StoredFile> {
    Ok(StoredFile {
        id: FileId(r.get("id")?),
        file_name: r.get("file_name")?,
        media_type: r.get("media_type")?,
        size: u64::try_from(r.get::<i64>("size_bytes")?).unwrap_or_default(),
        sm3: r.get("sm3")?,
        case_id: r.get::<Option<String>>("case_id")?.map(CaseId),
        material_code: r.get("material_code")?,
        uploaded: r.get("uploaded_ms")?,
    })
}

/// A material as it will be recorded for a new case.
pub(crate) struct Resolved {
    code: String,
    name: String,
    provided: Provided,
    /// Whether this case takes the upload over (false when an earlier case of the same
    /// bundle application already did: the file then serves both).
    pub(crate) attach: bool,
}

impl Resolved {
    /// The uploaded file, if this material is an upload.
    pub(crate) fn file(&self) -> Option<&FileId> {
        match &self.provided {
            Provided::Upload { file, .. } => Some(file),
            _ => None,
        }
    }
}

impl From<StoredFile> for Provided {
    /// A stored upload as what satisfies a material.
    fn from(f: StoredFile) -> Self {
        Provided::Upload {
            file: f.id,
            file_name: f.file_name,
            media_type: f.media_type,
            size: f.size,
        }
    }
}

fn missing(m: &Material) -> Error {
    let what = match m.source {
        MaterialSource::Licence { .. } => {
            msg!("choose-e-licence-you")
        }
        _ => msg!("please-upload"),
    };
    Error::invalid(
        format!("materials.{}", m.code),
        format!("缺少材料「{}」：{what}", m.name),
    )
}

impl Hall {
    /// Stores a file the applicant will submit as a material: at most [`MAX_UPLOAD_BYTES`],
    /// a PDF, PNG or JPEG by its content (a declared type that disagrees is refused), encrypted
    /// at rest. It stays the applicant's until a submission uses it.
    #[tracing::instrument(skip_all)]
    pub async fn upload_file(&self, actor: &Principal, upload: Upload) -> Result<StoredFile> {
        applicant_of(actor)?;
        let media_type = check_upload(&upload)?;
        let pending: i64 = self
            .db
            .fetch_one(
                "SELECT COUNT(*) AS n FROM hall_files WHERE owner_id = $1 AND case_id IS NULL",
                params![actor.id.as_str()],
            )
            .await?
            .get("n")?;
        if pending >= MAX_PENDING_FILES {
            return Err(Error::conflict(
                "file",
                msg!("you-already-have-max", max_pending_files = MAX_PENDING_FILES),
            ));
        }
        let file = StoredFile {
            id: FileId::new(),
            file_name: upload::clean_name(&upload.file_name),
            media_type: media_type.to_string(),
            size: upload.bytes.len() as u64,
            sm3: hex::encode(tongban_crypto::sm3(&upload.bytes)),
            case_id: None,
            material_code: None,
            uploaded: self.now(),
        };
        let body = self.fields.encrypt_bytes(BODY_FIELD, &upload.bytes);
        let mut tx = self.db.begin_write().await?;
        tx.execute(
            "INSERT INTO hall_files (id, owner_id, case_id, material_code, file_name, media_type, size_bytes, sm3, body, uploaded_ms) \
             VALUES ($1, $2, NULL, NULL, $3, $4, $5, $6, $7, $8)",
            params![
                file.id.as_str(),
                actor.id.as_str(),
                file.file_name.as_str(),
                media_type,
                file.size as i64,
                file.sm3.as_str(),
                body,
                file.uploaded
            ],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &FileUploaded {
                    media_type: media_type.to_string(),
                    size: file.size,
                    sm3: file.sm3.clone(),
                },
                file.id.as_str(),
                None,
                msg!("file-uploaded", bytes = file.size),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(file)
    }

    /// A file with its content: for the applicant who uploaded it, and for staff handling the
    /// case it was submitted with (their reading leaves an event). Anyone else is told it does
    /// not exist.
    #[tracing::instrument(skip_all)]
    pub async fn file(&self, actor: &Principal, id: &FileId) -> Result<(StoredFile, Zeroizing<Vec<u8>>)> {
        let row = self
            .db
            .fetch_optional(
                &format!("SELECT {FILE_COLUMNS}, owner_id, body FROM hall_files WHERE id = $1"),
                params![id.as_str()],
            )
            .await?
            .ok_or(Error::NotFound { what: "file" })?;
        let file = file_from_row(&row)?;
        let owner: String = row.get("owner_id")?;
        let staff_case = if owner == actor.id {
            None
        } else {
            // Any case the file was submitted with (one upload may serve every case of a
            // bundle application) that the actor handles.
            let cases = self
                .db
                .fetch_all(
                    "SELECT DISTINCT case_id FROM hall_case_materials WHERE file_id = $1 ORDER BY case_id",
                    params![id.as_str()],
                )
                .await?;
            let mut refusal = Error::NotFound { what: "file" };
            let mut found = None;
            for r in &cases {
                let case_id = CaseId(r.get("case_id")?);
                let case = self.case_row(&case_id).await?;
                let tasks = self.case_tasks(&case_id).await?;
                match access(actor, &case, &tasks) {
                    Ok(Access::Staff) => {
                        found = Some(case);
                        break;
                    }
                    Ok(Access::Applicant) | Err(Error::NotFound { .. }) => {}
                    Err(e) => refusal = e,
                }
            }
            match found {
                Some(case) => Some(case),
                None => return Err(refusal),
            }
        };
        let body: Vec<u8> = row.get("body")?;
        let clear = self
            .fields
            .decrypt_bytes(BODY_FIELD, &body)
            .map_err(|_| Error::conflict("file", msg!("file-cannot-decrypted")))?;
        if let Some(case) = staff_case {
            let mut tx = self.db.begin_write().await?;
            case_event(
                &mut tx,
                actor,
                MaterialRead {
                    file: file.id.as_str().into(),
                    material: file.material_code.clone(),
                },
                &case,
                ("查看申请材料", "read a material"),
            )
            .await?;
            tx.commit().await?;
        }
        Ok((file, clear))
    }

    /// The actor's uploads that no submission has used yet, newest first.
    pub async fn pending_files(&self, actor: &Principal) -> Result<Vec<StoredFile>> {
        applicant_of(actor)?;
        self.db
            .fetch_all(
                &format!(
                    "SELECT {FILE_COLUMNS} FROM hall_files WHERE owner_id = $1 AND case_id IS NULL \
                     ORDER BY uploaded_ms DESC, id DESC LIMIT $2"
                ),
                params![actor.id.as_str(), MAX_PENDING_FILES],
            )
            .await?
            .iter()
            .map(file_from_row)
            .collect()
    }

    /// Checks what the applicant gives for each material of `item`: every input names a
    /// material of the item, uploads are the actor's own unused files, licences are the
    /// actor's, of the material's type and in force today; shared-resource materials need
    /// nothing. A required material left without one is named (`materials.<code>`).
    pub(crate) async fn resolve_materials(
        &self,
        actor: &Principal,
        item: &ServiceItem,
        inputs: &BTreeMap<String, MaterialInput>,
        issued_here: &[(String, String)],
    ) -> Result<Vec<Resolved>> {
        if let Some(code) = inputs
            .keys()
            .find(|c| !item.materials.iter().any(|m| &m.code == *c))
        {
            return Err(Error::invalid(
                format!("materials.{code}"),
                msg!("service-has-no-such"),
            ));
        }
        let mut out = Vec::new();
        for m in &item.materials {
            let field = format!("materials.{}", m.code);
            let issued = match &m.source {
                MaterialSource::Licence { licence_type } => {
                    issued_here.iter().find(|(t, _)| t == licence_type)
                }
                _ => None,
            };
            let provided = match (&m.source, inputs.get(&m.code)) {
                (MaterialSource::Licence { licence_type }, _) if issued.is_some() => {
                    Some(Provided::IssuedInBundle {
                        licence_type: licence_type.clone(),
                        issuer: issued.map(|(_, name)| name.clone()).unwrap_or_default(),
                    })
                }
                (MaterialSource::SharedField { resource, field }, _) => Some(Provided::Shared {
                    resource: resource.clone(),
                    field: field.clone(),
                }),
                (_, Some(MaterialInput::Upload { file })) => {
                    Some(self.own_unused_file(actor, file, &field).await?.into())
                }
                (MaterialSource::Licence { licence_type }, Some(MaterialInput::Licence { number })) => {
                    self.check_own_licence(actor, licence_type, number, &field)
                        .await?;
                    Some(Provided::Licence {
                        number: number.trim().to_string(),
                    })
                }
                (MaterialSource::Upload, Some(MaterialInput::Licence { .. })) => {
                    return Err(Error::invalid(field, msg!("material-uploaded")));
                }
                (_, None) => None,
            };
            match provided {
                Some(provided) => out.push(Resolved {
                    code: m.code.clone(),
                    name: m.name.clone(),
                    provided,
                    attach: true,
                }),
                None if m.required => return Err(missing(m)),
                None => {}
            }
        }
        Ok(out)
    }

    /// The uploads answering `item`'s file fields (a photo asked as a form question): each must
    /// be the actor's own unused upload; recorded beside the materials as `form.<code>`.
    pub(crate) async fn resolve_file_fields(
        &self,
        actor: &Principal,
        item: &ServiceItem,
        form: &BTreeMap<String, String>,
    ) -> Result<Vec<Resolved>> {
        let mut out = Vec::new();
        for f in item.fields.iter().filter(|f| matches!(f.kind, FieldKind::File)) {
            let Some(id) = form.get(&f.code).map(|v| v.trim()).filter(|v| !v.is_empty()) else {
                continue;
            };
            let field = format!("form.{}", f.code);
            let file = self
                .own_unused_file(actor, &FileId(id.to_string()), &field)
                .await?;
            out.push(Resolved {
                code: field,
                name: f.label.clone(),
                provided: file.into(),
                attach: true,
            });
        }
        Ok(out)
    }

    /// The uploads answering a 补正 request: each supplies one entry of its `missing` list and
    /// is recorded as the case's material `supplement.<n>` named after that entry.
    pub(crate) async fn resolve_supplement_files(
        &self,
        actor: &Principal,
        case: &Case,
        files: &BTreeMap<usize, FileId>,
    ) -> Result<Vec<Resolved>> {
        let missing = case
            .supplement
            .as_ref()
            .map(|s| s.missing.as_slice())
            .unwrap_or_default();
        let mut out = Vec::new();
        for (n, id) in files {
            let field = format!("files.{n}");
            let Some(name) = missing.get(*n) else {
                return Err(Error::invalid(field, msg!("request-has-no-such")));
            };
            let file = self.own_unused_file(actor, id, &field).await?;
            out.push(Resolved {
                code: format!("supplement.{n}"),
                name: format!("补正：{name}"),
                provided: file.into(),
                attach: true,
            });
        }
        Ok(out)
    }

    async fn own_unused_file(&self, actor: &Principal, id: &FileId, field: &str) -> Result<StoredFile> {
        let not_yours = || Error::invalid(field, msg!("no-such-upload-yours"));
        let row = self
            .db
            .fetch_optional(
                &format!("SELECT {FILE_COLUMNS}, owner_id FROM hall_files WHERE id = $1"),
                params![id.as_str()],
            )
            .await?
            .ok_or_else(not_yours)?;
        if row.get::<String>("owner_id")? != actor.id {
            return Err(not_yours());
        }
        let file = file_from_row(&row)?;
        if file.case_id.is_some() {
            return Err(Error::conflict(field, msg!("file-was-already-submitted")));
        }
        Ok(file)
    }

    async fn check_own_licence(
        &self,
        actor: &Principal,
        licence_type: &str,
        number: &str,
        field: &str,
    ) -> Result<()> {
        let Some(seals) = &self.seals else {
            return Err(Error::invalid(field, msg!("e-licences-are-not")));
        };
        let licence = match seals.licence(number.trim()).await {
            Ok(l) => l,
            Err(tongban_seal::Error::NotFound { .. }) => {
                return Err(Error::invalid(field, msg!("no-such-e-licence")));
            }
            Err(e) => return Err(e.into()),
        };
        if licence.holder_account.as_deref() != Some(actor.id.as_str()) {
            return Err(Error::invalid(field, msg!("no-such-e-licence")));
        }
        if licence.licence_type != licence_type {
            return Err(Error::invalid(field, msg!("licence-not-type-material")));
        }
        if licence.status(self.today()) != tongban_seal::LicenceStatus::Valid {
            return Err(Error::invalid(field, msg!("licence-no-longer-force")));
        }
        Ok(())
    }

    /// The materials recorded for `case`, by code.
    pub(crate) async fn case_materials(&self, case: &Case) -> Result<Vec<CaseMaterial>> {
        let rows = self
            .db
            .fetch_all(
                "SELECT m.material_code, m.name, m.source, m.file_id, m.licence_number, m.resource, m.field, \
                 f.file_name, f.media_type, f.size_bytes \
                 FROM hall_case_materials m LEFT JOIN hall_files f ON f.id = m.file_id \
                 WHERE m.case_id = $1 ORDER BY m.material_code",
                params![case.id.as_str()],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let source: String = r.get("source")?;
                let provided = match source.as_str() {
                    "upload" => Provided::Upload {
                        file: FileId(r.get::<Option<String>>("file_id")?.unwrap_or_default()),
                        file_name: r.get::<Option<String>>("file_name")?.unwrap_or_default(),
                        media_type: r.get::<Option<String>>("media_type")?.unwrap_or_default(),
                        size: u64::try_from(r.get::<Option<i64>>("size_bytes")?.unwrap_or_default())
                            .unwrap_or_default(),
                    },
                    "licence" => Provided::Licence {
                        number: r.get::<Option<String>>("licence_number")?.unwrap_or_default(),
                    },
                    "bundle" => Provided::IssuedInBundle {
                        licence_type: r.get::<Option<String>>("resource")?.unwrap_or_default(),
                        issuer: r.get::<Option<String>>("field")?.unwrap_or_default(),
                    },
                    _ => Provided::Shared {
                        resource: r.get::<Option<String>>("resource")?.unwrap_or_default(),
                        field: r.get::<Option<String>>("field")?.unwrap_or_default(),
                    },
                };
                Ok(CaseMaterial {
                    code: r.get("material_code")?,
                    name: r.get("name")?,
                    provided,
                })
            })
            .collect()
    }
}

/// Records `resolved` for `case` in `tx` and attaches the uploads to it. An upload another
/// submission attached meanwhile makes the whole submission fail.
pub(crate) async fn record_materials(tx: &mut Tx, case: &Case, resolved: &[Resolved]) -> Result<()> {
    for r in resolved {
        let (source, file, licence, resource, field) = match &r.provided {
            Provided::Upload { file, .. } => ("upload", Some(file.as_str()), None, None, None),
            Provided::Licence { number } => ("licence", None, Some(number.as_str()), None, None),
            Provided::Shared { resource, field } => (
                "shared",
                None,
                None,
                Some(resource.as_str()),
                Some(field.as_str()),
            ),
            // Stored in the resource/field columns: the licence type and the issuing service.
            Provided::IssuedInBundle { licence_type, issuer } => (
                "bundle",
                None,
                None,
                Some(licence_type.as_str()),
                Some(issuer.as_str()),
            ),
        };
        if let Some(file) = file.filter(|_| r.attach) {
            let n = tx
                .execute(
                    "UPDATE hall_files SET case_id = $1, material_code = $2 \
                     WHERE id = $3 AND owner_id = $4 AND case_id IS NULL",
                    params![
                        case.id.as_str(),
                        r.code.as_str(),
                        file,
                        case.applicant_id.as_str()
                    ],
                )
                .await?;
            if n != 1 {
                let field = if r.code.starts_with("form.") {
                    r.code.clone()
                } else if let Some(n) = r.code.strip_prefix("supplement.") {
                    format!("files.{n}")
                } else {
                    format!("materials.{}", r.code)
                };
                return Err(Error::conflict(&field, msg!("file-was-already-submitted")));
            }
        }
        tx.execute(
            "INSERT INTO hall_case_materials (case_id, material_code, name, source, file_id, licence_number, resource, field) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            params![case.id.as_str(), r.code.as_str(), r.name.as_str(), source, file, licence, resource, field],
        )
        .await?;
    }
    Ok(())
}
