//! Verifying a signed licence file against a set of trusted seal certificates: the same check
//! online (seals and revocations from the database) and offline (from the exported
//! certificate folder). It works on the file as parsed JSON, not on our structs, so a member
//! added, removed or changed anywhere in the document or the signature structure is caught.

use crate::sign::{HASH_ALG, canonical_without, document_hash};
use crate::{LicenceDocument, SealCertificate};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use tongban_crypto::VerifyingKey;
use tongban_kernel::{Msg, msg};

coded_enum! {
    /// What verification found.
    Outcome {
        /// Signed by a trusted seal, unchanged, not revoked, in force.
        Valid = "valid", "有效", "Valid";
        /// The file is not a licence, or a byte of it changed since signing.
        Tampered = "tampered", "已被篡改", "Tampered with";
        /// Signed by a seal that is not among the trusted certificates (or was not valid then).
        UnknownSeal = "unknown_seal", "印章不可信", "Seal not trusted";
        /// Revoked by the issuing department.
        Revoked = "revoked", "已注销", "Revoked";
        /// Past its last valid day.
        Expired = "expired", "已过期", "Expired";
    }
}

/// A revoked licence as a revocation list carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokedEntry {
    /// The licence number.
    pub number: String,
    /// When it was revoked, RFC 3339 UTC.
    pub at: String,
    /// Why.
    pub reason: String,
}

/// The result of verifying one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Valid, or why not.
    pub outcome: Outcome,
    /// What was found, for people.
    pub reason: Msg,
    /// The document, when the file held one that parsed.
    pub document: Option<LicenceDocument>,
    /// The name of the seal that signed, when known.
    pub seal_name: Option<String>,
    /// When it was signed, when known.
    pub signed_at: Option<String>,
}

impl Verdict {
    /// Whether the licence is valid.
    pub fn is_valid(&self) -> bool {
        self.outcome == Outcome::Valid
    }

    /// The issuing department's name, when the document parsed.
    pub fn issuer(&self) -> Option<&str> {
        self.document.as_ref().map(|d| d.issuer.name_zh.as_str())
    }

    fn refuse(outcome: Outcome, reason: Msg) -> Self {
        Verdict {
            outcome,
            reason,
            document: None,
            seal_name: None,
            signed_at: None,
        }
    }
}

/// The seals a verifier trusts (each certificate signed by the known maker key) and the
/// revocations it knows of.
#[derive(Debug, Clone)]
pub struct TrustedSeals {
    maker: VerifyingKey,
    seals: HashMap<String, SealCertificate>,
    revoked: HashMap<String, RevokedEntry>,
}

/// Whether `cert` carries a good signature of `maker`.
pub fn certificate_signed_by(cert: &SealCertificate, maker: &VerifyingKey) -> bool {
    let Ok(value) = serde_json::to_value(cert) else {
        return false;
    };
    let Ok(tbs) = canonical_without(&value, "maker_signature") else {
        return false;
    };
    let Ok(sig) = B64.decode(&cert.maker_signature) else {
        return false;
    };
    cert.maker == maker.fingerprint() && maker.verify(&tbs, &sig)
}

impl TrustedSeals {
    /// Trusting nothing yet but seals made by `maker`.
    pub fn new(maker: VerifyingKey) -> Self {
        Self {
            maker,
            seals: HashMap::new(),
            revoked: HashMap::new(),
        }
    }

    /// Trusts `cert`, if the maker signed it; otherwise says why not.
    pub fn add_seal(&mut self, cert: SealCertificate) -> Result<(), Msg> {
        if !certificate_signed_by(&cert, &self.maker) {
            return Err(msg!("maker-signature-seal-certificate", seal_id = cert.seal_id));
        }
        self.seals.insert(cert.seal_id.clone(), cert);
        Ok(())
    }

    /// Records a revocation.
    pub fn add_revocation(&mut self, entry: RevokedEntry) {
        self.revoked.insert(entry.number.clone(), entry);
    }

    /// How many seals are trusted.
    pub fn seal_count(&self) -> usize {
        self.seals.len()
    }

    /// How many revocations are known.
    pub fn revocation_count(&self) -> usize {
        self.revoked.len()
    }

    /// The maker key.
    pub fn maker(&self) -> &VerifyingKey {
        &self.maker
    }
}

/// Verifies the signed licence file `bytes` against `trusted`, as of `today`.
pub fn verify_document(bytes: &[u8], trusted: &TrustedSeals, today: Date) -> Verdict {
    let tampered = |why: Msg| Verdict::refuse(Outcome::Tampered, why);
    let Ok(file) = serde_json::from_slice::<Value>(bytes) else {
        return tampered(msg!("not-json-file"));
    };
    let (Some(doc_value), Some(sig_value)) = (file.get("document"), file.get("signature")) else {
        return tampered(msg!("not-licence-file-no"));
    };
    // Nothing beside the signed document and its signature: a member added next to them would
    // travel with a valid verdict while no signature covers it (found by the fuzz test).
    if file.as_object().is_some_and(|o| o.len() != 2) {
        return tampered(msg!("file-holds-content-outside"));
    }
    let Ok(document) = serde_json::from_value::<LicenceDocument>(doc_value.clone()) else {
        return tampered(msg!("licence-document-malformed"));
    };
    let Ok(block) = serde_json::from_value::<crate::SignatureBlock>(sig_value.clone()) else {
        return tampered(msg!("signature-structure-malformed"));
    };
    let with_doc = |outcome: Outcome, reason: Msg| Verdict {
        outcome,
        reason,
        document: Some(document.clone()),
        seal_name: Some(block.seal.name.clone()),
        signed_at: Some(block.signed_at.clone()),
    };

    // The seal: one we trust, exactly as we know it.
    let Some(known) = trusted.seals.get(&block.seal.seal_id) else {
        return with_doc(
            Outcome::UnknownSeal,
            msg!("seal-seal-id-not", seal_id = block.seal.seal_id),
        );
    };
    if *known != block.seal {
        return with_doc(Outcome::UnknownSeal, msg!("seal-certificate-file-differs"));
    }
    let Ok(seal_key) = VerifyingKey::from_sec1_hex(&known.public_key) else {
        return with_doc(Outcome::UnknownSeal, msg!("seal-s-public-key"));
    };

    // The bytes: digest of the document and the seal's signature over the structure.
    let digest_ok = block.data_hash_alg == HASH_ALG
        && document_hash(doc_value).is_ok_and(|h| h == block.data_hash.to_ascii_lowercase());
    if !digest_ok {
        return with_doc(Outcome::Tampered, msg!("document-does-not-match"));
    }
    let signature_ok = match (
        canonical_without(sig_value, "signature"),
        B64.decode(&block.signature),
    ) {
        (Ok(tbs), Ok(sig)) => seal_key.verify(&tbs, &sig),
        _ => false,
    };
    if !signature_ok || block.property != format!("licence:{}", document.number) {
        return with_doc(Outcome::Tampered, msg!("signature-does-not-verify"));
    }

    // The seal was valid on the day it signed.
    let signed_on = block.signed_at.parse::<jiff::Timestamp>().map(|t| {
        t.to_zoned(tongban_kernel::time::zone(tongban_kernel::time::DEFAULT_ZONE))
            .date()
    });
    match signed_on {
        Ok(day) if known.valid_from <= day && day <= known.valid_to => {}
        _ => {
            return with_doc(Outcome::UnknownSeal, msg!("seal-was-not-valid"));
        }
    }

    if let Some(r) = trusted.revoked.get(&document.number) {
        // People read local time, not the UTC the list carries.
        let at =
            r.at.parse::<jiff::Timestamp>()
                .map(|ts| {
                    tongban_kernel::Millis(ts.as_millisecond())
                        .display_in(&tongban_kernel::time::zone(tongban_kernel::time::DEFAULT_ZONE))
                })
                .unwrap_or_else(|_| r.at.clone());
        // The issuer's reason may be written in both languages (`中文 / English`): each reads its own.
        let why = Msg::from(r.reason.as_str());
        return with_doc(
            Outcome::Revoked,
            msg!(
                "licence-revoked",
                issuer = document.issuer.name_zh,
                at = at,
                why = why
            ),
        );
    }
    if let Some(to) = document.valid_to
        && to < today
    {
        return with_doc(Outcome::Expired, msg!("expired-valid-until", to = to));
    }
    let reason = msg!(
        "valid-issued-issuer-name",
        issuer = document.issuer.name_zh,
        name = known.name
    );
    with_doc(Outcome::Valid, reason)
}
