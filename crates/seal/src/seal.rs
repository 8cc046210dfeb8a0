//! Department seals: made by the department's administrator (`ManageSeals`), an SM2 key pair
//! whose private half is stored only wrapped under the keyring's master key, and a public
//! certificate the platform signs as seal maker.

use crate::events::{SealCreated, SealRotated};
use crate::sign::{STRUCTURE_VERSION, sign_certificate};
use crate::{
    Error, Issuer, MAX_PICTURE_BYTES, PictureRef, Result, Seal, SealCertificate, SealId, SealInput,
    SealPicture, Seals, parse_code, parse_date,
};
use tongban_crypto::{SigningKey, VerifyingKey, sm3};
use tongban_db::{EventDraft, Row, params};
use tongban_kernel::msg;
use tongban_kernel::{DeptPath, Permission, Principal, input};

/// The longest validity a seal may be given, in years.
const MAX_VALID_YEARS: i16 = 20;

pub(crate) const SEAL_COLUMNS: &str = "id, dept_id, dept_path, dept_name, name, seal_type, valid_from, valid_to, \
     certificate, picture_type, created_ms, created_by, retired_ms, successor_id";

pub(crate) fn seal_from_row(r: &Row) -> Result<Seal> {
    let certificate: SealCertificate = serde_json::from_str(&r.get::<String>("certificate")?)
        .map_err(|e| crate::error::decode_err("certificate", e.to_string()))?;
    Ok(Seal {
        id: SealId(r.get("id")?),
        issuer: Issuer {
            id: r.get("dept_id")?,
            path: r.get("dept_path")?,
            name_zh: r.get("dept_name")?,
        },
        name: r.get("name")?,
        seal_type: parse_code(
            "seal_type",
            &r.get::<String>("seal_type")?,
            crate::SealType::parse,
        )?,
        valid_from: parse_date("valid_from", &r.get::<String>("valid_from")?)?,
        valid_to: parse_date("valid_to", &r.get::<String>("valid_to")?)?,
        certificate,
        has_picture: r.get::<Option<String>>("picture_type")?.is_some(),
        created: r.get("created_ms")?,
        created_by: r.get("created_by")?,
        retired: r.get("retired_ms")?,
        successor: r.get::<Option<String>>("successor_id")?.map(SealId),
    })
}

/// Checks a picture's type against its first bytes and its size.
fn check_picture(p: &SealPicture) -> Result<()> {
    let looks_right = match p.media_type.as_str() {
        "image/png" => p.bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => p.bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        _ => {
            return Err(Error::invalid("picture", msg!("seal-picture-png-jpeg")));
        }
    };
    if !looks_right {
        return Err(Error::invalid("picture", msg!("picture-s-content-does")));
    }
    if p.bytes.len() > MAX_PICTURE_BYTES {
        return Err(Error::invalid(
            "picture",
            msg!(
                "seal-picture-most-max",
                max_picture_bytes = MAX_PICTURE_BYTES / 1024
            ),
        ));
    }
    Ok(())
}

/// A seal about to be stored.
struct Made<'a> {
    id: &'a SealId,
    key: &'a SigningKey,
    issuer: &'a Issuer,
    name: &'a str,
    seal_type: crate::SealType,
    valid_from: jiff::civil::Date,
    valid_to: jiff::civil::Date,
    picture: Option<&'a SealPicture>,
}

fn key_purpose(id: &SealId) -> String {
    format!("seal/{}", id.as_str())
}

impl Seals {
    /// Makes a seal for `issuer` (电子印章制作: `ManageSeals` over that department).
    #[tracing::instrument(skip_all)]
    pub async fn create_seal(&self, actor: &Principal, issuer: Issuer, new: SealInput) -> Result<Seal> {
        actor.require(Permission::ManageSeals, Some(&issuer.path))?;
        let name = input::line("name", &new.name, 60)?;
        if new.valid_to < new.valid_from {
            return Err(Error::invalid("valid_to", msg!("end-date-not-before")));
        }
        if new.valid_to.year() - new.valid_from.year() > MAX_VALID_YEARS {
            return Err(Error::invalid(
                "valid_to",
                msg!("seal-may-valid-most", max_valid_years = MAX_VALID_YEARS),
            ));
        }
        if let Some(p) = &new.picture {
            check_picture(p)?;
        }
        let id = SealId::new();
        let key = SigningKey::generate();
        let made = Made {
            id: &id,
            key: &key,
            issuer: &issuer,
            name: &name,
            seal_type: new.seal_type,
            valid_from: new.valid_from,
            valid_to: new.valid_to,
            picture: new.picture.as_ref(),
        };
        let mut tx = self.db.begin_write().await?;
        self.insert_seal(&mut tx, actor, made).await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &SealCreated {
                    name: name.to_string(),
                    seal_type: new.seal_type.code().into(),
                    valid_from: new.valid_from.to_string(),
                    valid_to: new.valid_to.to_string(),
                    public_key_fingerprint: key.verifying_key().fingerprint(),
                },
                id.as_str(),
                Some(&issuer.path),
                msg!("made-seal-name", name = name),
            ),
        )
        .await?;
        tx.commit().await?;
        self.seal(&id).await
    }

    /// Signs the certificate of a seal being made and stores it, its key wrapped.
    async fn insert_seal(&self, tx: &mut tongban_db::Tx, actor: &Principal, m: Made<'_>) -> Result<()> {
        let now = self.now();
        let mut certificate = SealCertificate {
            version: STRUCTURE_VERSION,
            seal_id: m.id.0.clone(),
            name: m.name.to_string(),
            seal_type: m.seal_type,
            issuer: m.issuer.clone(),
            valid_from: m.valid_from,
            valid_to: m.valid_to,
            public_key: m.key.verifying_key().to_sec1_hex(),
            picture: m.picture.map(|p| PictureRef {
                media_type: p.media_type.clone(),
                sm3: hex::encode(sm3(&p.bytes)),
            }),
            maker: String::new(),
            made_at: now.rfc3339(),
            maker_signature: String::new(),
        };
        sign_certificate(&mut certificate, self.keyring.platform_signer())
            .map_err(|e| crate::error::decode_err("certificate", e.0))?;
        let pem = m.key.to_pkcs8_pem()?;
        let wrapped = self.keyring.wrap_secret(&key_purpose(m.id), pem.as_bytes());
        let cert_json = serde_json::to_string(&certificate)
            .map_err(|e| crate::error::decode_err("certificate", e.to_string()))?;
        let inserted = tx
            .execute(
                "INSERT INTO seals (id, dept_id, dept_path, dept_name, name, seal_type, valid_from, valid_to, \
                 public_key, private_key, certificate, picture_type, picture, created_ms, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                params![
                    m.id.as_str(),
                    m.issuer.id.as_str(),
                    &m.issuer.path,
                    m.issuer.name_zh.as_str(),
                    m.name,
                    m.seal_type.code(),
                    m.valid_from.to_string(),
                    m.valid_to.to_string(),
                    certificate.public_key.as_str(),
                    wrapped,
                    cert_json,
                    m.picture.map(|p| p.media_type.clone()),
                    m.picture.map(|p| p.bytes.as_slice()),
                    now,
                    actor.name.as_str(),
                ],
            )
            .await;
        match inserted {
            Ok(_) => Ok(()),
            Err(tongban_db::Error::Conflict(_)) => {
                Err(Error::conflict("name", msg!("department-already-has-seal")))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Replaces a seal's key pair (更换印章密钥) without a pause in signing: a successor seal of
    /// the same name, type, picture and end of validity gets a new key and a certificate valid
    /// from today, and in the same transaction the old seal is retired — it signs nothing more,
    /// its name gets the day and its key's fingerprint (`…（2026-12-07停用，密钥1a2b3c4d）`) and its certificate stays to verify what it
    /// signed. Needs `ManageSeals` over the issuer.
    #[tracing::instrument(skip_all)]
    pub async fn rotate_seal(&self, actor: &Principal, id: &SealId) -> Result<Seal> {
        let old = self.seal(id).await?;
        actor.require(Permission::ManageSeals, Some(&old.issuer.path))?;
        let today = self.today();
        if old.retired.is_some() {
            return Err(Error::conflict("seal", msg!("seal-retired-replace-successor")));
        }
        if old.valid_to < today {
            return Err(Error::conflict("seal", msg!("seal-has-expired-make")));
        }
        let picture = self.picture(id).await?;
        let old_fingerprint = VerifyingKey::from_sec1_hex(&old.certificate.public_key)
            .map(|k| k.fingerprint())
            .unwrap_or_default();
        let new_id = SealId::new();
        let key = SigningKey::generate();
        let mut tx = self.db.begin_write().await?;
        // Retired first, so the successor can take the name; only a seal still in use is.
        let retired = tx
            .execute(
                "UPDATE seals SET retired_ms = $1, successor_id = $2, name = $3 \
                 WHERE id = $4 AND retired_ms IS NULL",
                params![
                    self.now(),
                    new_id.as_str(),
                    // The key's fingerprint keeps names apart when one is replaced twice a day.
                    format!(
                        "{}（{today}停用，密钥{}）",
                        old.name,
                        &old_fingerprint[..old_fingerprint.len().min(8)]
                    ),
                    id.as_str()
                ],
            )
            .await?;
        if retired == 0 {
            return Err(Error::conflict("seal", msg!("seal-was-just-replaced")));
        }
        let made = Made {
            id: &new_id,
            key: &key,
            issuer: &old.issuer,
            name: &old.name,
            seal_type: old.seal_type,
            valid_from: today.max(old.valid_from),
            valid_to: old.valid_to,
            picture: picture.as_ref(),
        };
        self.insert_seal(&mut tx, actor, made).await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &SealRotated {
                    retired: id.as_str().into(),
                    retired_fingerprint: old_fingerprint.clone(),
                    public_key_fingerprint: key.verifying_key().fingerprint(),
                },
                new_id.as_str(),
                Some(&old.issuer.path),
                msg!("replaced-key-seal-name", name = old.name),
            ),
        )
        .await?;
        tx.commit().await?;
        self.seal(&new_id).await
    }

    /// A seal by id.
    pub async fn seal(&self, id: &SealId) -> Result<Seal> {
        self.db
            .fetch_optional(
                &format!("SELECT {SEAL_COLUMNS} FROM seals WHERE id = $1"),
                params![id.as_str()],
            )
            .await?
            .map(|r| seal_from_row(&r))
            .transpose()?
            .ok_or(Error::NotFound { what: "seal" })
    }

    /// Every seal (of the department subtree `under`, when given), by department then name.
    pub async fn seals(&self, under: Option<&DeptPath>) -> Result<Vec<Seal>> {
        let prefix = under.map(|d| d.0.clone()).unwrap_or_else(|| "/".into());
        let rows = self
            .db
            .fetch_all(
                &format!(
                    "SELECT {SEAL_COLUMNS} FROM seals WHERE substr(dept_path, 1, length($1)) = $1 \
                     ORDER BY dept_path, name"
                ),
                params![prefix],
            )
            .await?;
        rows.iter().map(seal_from_row).collect()
    }

    /// The seal's picture, if it has one (shown on licence pages; public like the certificate).
    pub async fn picture(&self, id: &SealId) -> Result<Option<SealPicture>> {
        let row = self
            .db
            .fetch_optional(
                "SELECT picture_type, picture FROM seals WHERE id = $1",
                params![id.as_str()],
            )
            .await?
            .ok_or(Error::NotFound { what: "seal" })?;
        let media_type: Option<String> = row.get("picture_type")?;
        let bytes: Option<Vec<u8>> = row.get("picture")?;
        Ok(media_type
            .zip(bytes)
            .map(|(media_type, bytes)| SealPicture { media_type, bytes }))
    }

    /// The seal `dept` signs licences with today, read in `tx`: its valid 证照专用章, or else any
    /// valid seal of the department (the one made first).
    pub async fn department_seal_in(&self, tx: &mut tongban_db::Tx, dept: &DeptPath) -> Result<Seal> {
        let today = self.today();
        let rows = tx
            .fetch_all(
                &format!("SELECT {SEAL_COLUMNS} FROM seals WHERE dept_path = $1 ORDER BY created_ms, id"),
                params![dept],
            )
            .await?;
        let valid: Vec<Seal> = rows
            .iter()
            .map(seal_from_row)
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .filter(|s| s.in_use_on(today))
            .collect();
        let licence_seal = valid.iter().position(|s| s.seal_type == crate::SealType::Licence);
        match licence_seal.or(if valid.is_empty() { None } else { Some(0) }) {
            Some(i) => Ok(valid.into_iter().nth(i).ok_or(Error::NotFound { what: "seal" })?),
            None => Err(Error::conflict("seal", msg!("department-has-no-seal"))),
        }
    }

    /// The seal a department's letters (决定书) carry, if it has one valid today: its 公章, else a
    /// 业务专用章 — never the 证照专用章, which is for licences only.
    pub async fn letter_seal(&self, dept: &DeptPath) -> Result<Option<Seal>> {
        let today = self.today();
        let mut valid: Vec<Seal> = self
            .seals(Some(dept))
            .await?
            .into_iter()
            .filter(|s| {
                &s.issuer.path == dept && s.in_use_on(today) && s.seal_type != crate::SealType::Licence
            })
            .collect();
        valid.sort_by_key(|s| (s.seal_type != crate::SealType::Official, s.created));
        Ok(valid.into_iter().next())
    }

    /// The seal's private key, unwrapped for one signature.
    pub(crate) async fn signing_key(&self, id: &SealId) -> Result<SigningKey> {
        let wrapped: String = self
            .db
            .fetch_optional(
                "SELECT private_key FROM seals WHERE id = $1",
                params![id.as_str()],
            )
            .await?
            .ok_or(Error::NotFound { what: "seal" })?
            .get("private_key")?;
        let pem = self.keyring.unwrap_secret(&key_purpose(id), &wrapped)?;
        let pem = std::str::from_utf8(&pem)
            .map_err(|_| crate::error::decode_err("private_key", "not UTF-8 PEM"))?;
        Ok(SigningKey::from_pkcs8_pem(pem)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_are_checked_by_content_and_size() {
        let png = |n: usize| SealPicture {
            media_type: "image/png".into(),
            bytes: [b"\x89PNG\r\n\x1a\n".as_slice(), &vec![0u8; n]].concat(),
        };
        assert!(check_picture(&png(10)).is_ok());
        assert!(check_picture(&png(MAX_PICTURE_BYTES)).is_err());
        let fake = SealPicture {
            media_type: "image/jpeg".into(),
            bytes: b"\x89PNG\r\n\x1a\n".to_vec(),
        };
        assert_eq!(
            check_picture(&fake)
                .err()
                .and_then(|e| e.field().map(String::from))
                .as_deref(),
            Some("picture")
        );
        let svg = SealPicture {
            media_type: "image/svg+xml".into(),
            bytes: b"<svg><script>alert(1)</script></svg>".to_vec(),
        };
        assert!(
            check_picture(&svg).is_err(),
            "SVG can carry script; only raster pictures"
        );
        let gif = SealPicture {
            media_type: "image/gif".into(),
            bytes: b"GIF89a".to_vec(),
        };
        assert!(check_picture(&gif).is_err());
    }
}
