//! Trust, online and offline. Online, the trusted seals and revocations come from the database;
//! offline, from a folder `tongban seal export-certs` wrote:
//!
//! ```text
//! maker.json          the seal maker's (the platform's) SM2 public key: the trust anchor
//! seals/<id>.json     one public seal certificate per seal, each signed by the maker
//! revocations.json    the licences revoked at export time, signed by the maker
//! ```
//!
//! Nothing in the folder is secret.

use crate::sign::canonical_without;
use crate::verify::{RevokedEntry, TrustedSeals, Verdict, certificate_signed_by, verify_document};
use crate::{Error, Licence, Result, SealCertificate, Seals};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use std::path::Path;
use tongban_crypto::VerifyingKey;
use tongban_db::params;
use tongban_kernel::Millis;
use tongban_kernel::{Msg, msg};

/// The trust anchor's file name.
pub const MAKER_FILE: &str = "maker.json";
/// The folder of seal certificates.
pub const SEALS_DIR: &str = "seals";
/// The revocation list's file name.
pub const REVOCATIONS_FILE: &str = "revocations.json";

const MAKER_FORMAT: &str = "tongban-seal-maker/1";
const REVOCATIONS_FORMAT: &str = "tongban-revocations/1";

#[derive(Debug, Serialize, Deserialize)]
struct MakerFile {
    format: String,
    algorithm: String,
    public_key: String,
    fingerprint: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct RevocationList {
    format: String,
    made_at: String,
    revoked: Vec<RevokedEntry>,
    signature: String,
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exported {
    /// Seal certificates written.
    pub seals: usize,
    /// Revocations listed.
    pub revocations: usize,
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| Error::io(path, &e))
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(path, &e))
}

fn pretty<T: Serialize>(what: &str, v: &T) -> Result<String> {
    serde_json::to_string_pretty(v).map_err(|e| crate::error::decode_err(what, e.to_string()))
}

fn bad_file(path: &Path, why: impl Into<Msg>) -> Error {
    Error::Io {
        path: path.display().to_string(),
        reason: why.into(),
    }
}

impl TrustedSeals {
    /// The trust a certificate folder carries: its maker key, every seal certificate the maker
    /// signed and the maker-signed revocation list. A certificate or list that does not verify
    /// under the maker key makes the whole folder refused, naming the file.
    pub fn from_dir(dir: &Path) -> Result<TrustedSeals> {
        let maker_path = dir.join(MAKER_FILE);
        let maker: MakerFile = serde_json::from_slice(&read(&maker_path)?)
            .map_err(|e| bad_file(&maker_path, msg!("not-maker-key-file", e = e.to_string())))?;
        if maker.format != MAKER_FORMAT {
            return Err(bad_file(&maker_path, msg!("unknown-format")));
        }
        let key = VerifyingKey::from_sec1_hex(&maker.public_key)
            .map_err(|e| bad_file(&maker_path, e.to_string()))?;
        let mut trusted = TrustedSeals::new(key);

        let seals_dir = dir.join(SEALS_DIR);
        let mut entries: Vec<_> = std::fs::read_dir(&seals_dir)
            .map_err(|e| Error::io(&seals_dir, &e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        entries.sort();
        for path in entries {
            let cert: SealCertificate = serde_json::from_slice(&read(&path)?)
                .map_err(|e| bad_file(&path, msg!("not-seal-certificate-e", e = e.to_string())))?;
            trusted.add_seal(cert).map_err(|why| bad_file(&path, why))?;
        }

        let list_path = dir.join(REVOCATIONS_FILE);
        if list_path.exists() {
            let raw: serde_json::Value = serde_json::from_slice(&read(&list_path)?)
                .map_err(|e| bad_file(&list_path, msg!("not-revocation-list-e", e = e.to_string())))?;
            let list: RevocationList = serde_json::from_value(raw.clone())
                .map_err(|e| bad_file(&list_path, msg!("not-revocation-list-e", e = e.to_string())))?;
            let signed = match (
                canonical_without(&raw, "signature"),
                B64.decode(list.signature.trim()),
            ) {
                (Ok(tbs), Ok(sig)) => trusted.maker().verify(&tbs, &sig),
                _ => false,
            };
            if list.format != REVOCATIONS_FORMAT || !signed {
                return Err(bad_file(&list_path, msg!("revocation-list-s-signature")));
            }
            for entry in list.revoked {
                trusted.add_revocation(entry);
            }
        }
        Ok(trusted)
    }
}

impl Seals {
    async fn certificates(&self) -> Result<Vec<SealCertificate>> {
        let rows = self
            .db
            .fetch_all("SELECT certificate FROM seals ORDER BY id", params![])
            .await?;
        rows.iter()
            .map(|r| {
                serde_json::from_str(&r.get::<String>("certificate")?)
                    .map_err(|e| crate::error::decode_err("certificate", e.to_string()))
            })
            .collect()
    }

    async fn revocations(&self, number: Option<&str>) -> Result<Vec<RevokedEntry>> {
        let rows = self
            .db
            .fetch_all(
                "SELECT number, revoked_ms, revoked_reason FROM licences \
                 WHERE revoked_ms IS NOT NULL AND ($1 = '' OR number = $1) ORDER BY number",
                params![number.unwrap_or_default()],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(RevokedEntry {
                    number: r.get("number")?,
                    at: Millis(r.get("revoked_ms")?).rfc3339(),
                    reason: r.get::<Option<String>>("revoked_reason")?.unwrap_or_default(),
                })
            })
            .collect()
    }

    /// The seals this platform trusts (every seal it made) with the revocation of `number`, or
    /// of every licence when `None`.
    pub async fn trusted(&self, number: Option<&str>) -> Result<TrustedSeals> {
        let maker = self.keyring.platform_verifier();
        let mut trusted = TrustedSeals::new(maker.clone());
        for cert in self.certificates().await? {
            if certificate_signed_by(&cert, &maker) {
                trusted
                    .add_seal(cert)
                    .map_err(|why| crate::error::decode_err("certificate", why.to_string()))?;
            } else {
                tracing::warn!(seal = %cert.seal_id, "stored seal certificate is not signed by this platform's key");
            }
        }
        for entry in self.revocations(number).await? {
            trusted.add_revocation(entry);
        }
        Ok(trusted)
    }

    /// Writes the public certificate folder to `dir` (created if missing).
    pub async fn export_certs(&self, dir: &Path) -> Result<Exported> {
        let seals_dir = dir.join(SEALS_DIR);
        std::fs::create_dir_all(&seals_dir).map_err(|e| Error::io(&seals_dir, &e))?;
        let maker = self.keyring.platform_verifier();
        write(
            &dir.join(MAKER_FILE),
            &pretty(
                "maker",
                &MakerFile {
                    format: MAKER_FORMAT.into(),
                    algorithm: "SM2".into(),
                    public_key: maker.to_sec1_hex(),
                    fingerprint: maker.fingerprint(),
                },
            )?,
        )?;
        // Only what this platform made: a certificate the maker key does not verify is not ours.
        let certs: Vec<SealCertificate> = self
            .certificates()
            .await?
            .into_iter()
            .filter(|c| certificate_signed_by(c, &maker))
            .collect();
        for cert in &certs {
            write(
                &seals_dir.join(format!("{}.json", cert.seal_id)),
                &pretty("certificate", cert)?,
            )?;
        }
        let revoked = self.revocations(None).await?;
        let mut list = RevocationList {
            format: REVOCATIONS_FORMAT.into(),
            made_at: self.now().rfc3339(),
            revoked,
            signature: String::new(),
        };
        let value = serde_json::to_value(&list)
            .map_err(|e| crate::error::decode_err("revocations", e.to_string()))?;
        let tbs = canonical_without(&value, "signature")
            .map_err(|e| crate::error::decode_err("revocations", e.0))?;
        list.signature = B64.encode(self.keyring.platform_signer().sign(&tbs));
        write(&dir.join(REVOCATIONS_FILE), &pretty("revocations", &list)?)?;
        Ok(Exported {
            seals: certs.len(),
            revocations: list.revoked.len(),
        })
    }

    /// Verifies a signed licence file against this platform's seals and revocations, today.
    pub async fn verify_file(&self, bytes: &[u8]) -> Result<Verdict> {
        let number = serde_json::from_slice::<serde_json::Value>(bytes)
            .ok()
            .and_then(|v| {
                v.pointer("/document/number")
                    .and_then(|n| n.as_str())
                    .map(String::from)
            });
        // An unparsable file needs no revocations: it is refused before they are consulted.
        let trusted = self.trusted(Some(number.as_deref().unwrap_or("-"))).await?;
        Ok(verify_document(bytes, &trusted, self.today()))
    }

    /// The public record of licence `number` and the verdict on its stored file (the public
    /// verification page by number), given the verification code printed on it
    /// ([`crate::verification_code`]). A wrong code is answered as an unknown number is, so
    /// neither tells whether the number exists.
    pub async fn verify_number(&self, number: &str, code: &str) -> Result<(Licence, Verdict)> {
        let licence = self.licence(number).await?;
        let file = self.stored_file(&licence.number).await?;
        if !crate::code_matches(&crate::file_data_hash(&file), code) {
            return Err(Error::NotFound { what: "licence" });
        }
        let verdict = self.verify_file(file.as_bytes()).await?;
        Ok((licence, verdict))
    }
}
