//! Making the signed bytes: the maker's signature on a seal certificate and a seal's signature
//! structure over a licence document. Both sign the canonical JSON form ([`crate::canonical`])
//! of the structure without its signature member, so a verifier rebuilds the bytes from the file
//! as parsed, whatever its whitespace or member order.

use crate::canonical;
use crate::{LicenceDocument, SealCertificate, SignatureBlock, SignedLicence};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value;
use tongban_crypto::{SigningKey, sm3};
use tongban_kernel::Millis;
use tongban_kernel::msg;

/// The `format` of every licence document this crate signs.
pub const DOCUMENT_FORMAT: &str = "tongban-licence/1";
/// The version of the seal and signature structures.
pub const STRUCTURE_VERSION: u32 = 4;
/// The digest algorithm named in signature structures.
pub const HASH_ALG: &str = "SM3";
/// The signature algorithm named in signature structures.
pub const SIGNATURE_ALG: &str = "SM2-with-SM3";

/// The canonical bytes of `value` with its member `skip` left out (the signature itself).
pub(crate) fn canonical_without(value: &Value, skip: &str) -> Result<Vec<u8>, canonical::NotCanonical> {
    match value {
        Value::Object(map) => {
            let mut rest = map.clone();
            rest.remove(skip);
            canonical::to_bytes(&Value::Object(rest))
        }
        _ => Err(canonical::NotCanonical(msg!("expected-json-object").to_string())),
    }
}

fn value_of<T: serde::Serialize>(v: &T) -> Result<Value, canonical::NotCanonical> {
    serde_json::to_value(v).map_err(|e| canonical::NotCanonical(e.to_string()))
}

/// Signs `cert` as the seal maker: fills in `maker` and `maker_signature`.
pub fn sign_certificate(
    cert: &mut SealCertificate,
    maker: &SigningKey,
) -> Result<(), canonical::NotCanonical> {
    cert.maker = maker.verifying_key().fingerprint();
    cert.maker_signature = String::new();
    let tbs = canonical_without(&value_of(cert)?, "maker_signature")?;
    cert.maker_signature = B64.encode(maker.sign(&tbs));
    Ok(())
}

/// Lower-case hex SM3 of the canonical form of `document`.
pub fn document_hash(document: &Value) -> Result<String, canonical::NotCanonical> {
    Ok(hex::encode(sm3(&canonical::to_bytes(document)?)))
}

/// Signs `document` with the seal whose certificate is `seal` and private key `key`, at
/// `signed_at`: the signed file a holder downloads.
pub fn sign_licence(
    document: LicenceDocument,
    seal: &SealCertificate,
    key: &SigningKey,
    signed_at: Millis,
) -> Result<SignedLicence, canonical::NotCanonical> {
    let mut block = SignatureBlock {
        version: STRUCTURE_VERSION,
        seal: seal.clone(),
        signed_at: signed_at.rfc3339(),
        data_hash_alg: HASH_ALG.into(),
        data_hash: document_hash(&value_of(&document)?)?,
        property: format!("licence:{}", document.number),
        signature_alg: SIGNATURE_ALG.into(),
        signature: String::new(),
    };
    let tbs = canonical_without(&value_of(&block)?, "signature")?;
    block.signature = B64.encode(key.sign(&tbs));
    Ok(SignedLicence {
        document,
        signature: block,
    })
}
