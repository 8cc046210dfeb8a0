//! Field-level encryption (字段级加密) of personal data at rest, and blind indexes (盲索引) that
//! let a store find a row by an encrypted value without decrypting every row.
//!
//! A stored value reads `sm4gcm:v1:<key id>:<base64(nonce || ciphertext || tag)>`. The column
//! name is the associated data, so a value copied into another column does not decrypt there.

use crate::{Error, Keyring};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use tongban_kernel::msg;
use zeroize::Zeroizing;

/// The prefix every encrypted field value starts with.
pub const FIELD_PREFIX: &str = "sm4gcm:v1:";

/// Encrypts and decrypts columns holding personal data and computes their blind indexes.
/// Obtained from [`Keyring::fields`]; cheap to clone.
#[derive(Clone, Debug)]
pub struct FieldCipher {
    keyring: Keyring,
}

impl FieldCipher {
    pub(crate) fn new(keyring: Keyring) -> Self {
        Self { keyring }
    }

    /// Encrypts `plaintext` for the column `field` under the active data key.
    pub fn encrypt(&self, field: &str, plaintext: &str) -> String {
        let (id, key) = self.keyring.active_data_key();
        let sealed = key.seal(field.as_bytes(), plaintext.as_bytes());
        format!("{FIELD_PREFIX}{id}:{}", B64.encode(sealed))
    }

    /// Decrypts a value [`encrypt`](Self::encrypt) made for the same `field`, under whichever
    /// data key it names. A value altered, made for another field or not in this format fails.
    pub fn decrypt(&self, field: &str, stored: &str) -> Result<String, Error> {
        let (id, sealed) = split_stored(stored)?;
        let key = self.keyring.data_key(id)?;
        let plain = key.open(field.as_bytes(), &sealed)?;
        String::from_utf8(plain.to_vec()).map_err(|_| Error::Decrypt)
    }

    /// Encrypts a binary `plaintext` (an uploaded file) for `field` under the active data key:
    /// one byte giving the key id's length, the key id, then nonce, ciphertext and tag.
    pub fn encrypt_bytes(&self, field: &str, plaintext: &[u8]) -> Vec<u8> {
        let (id, key) = self.keyring.active_data_key();
        let sealed = key.seal(field.as_bytes(), plaintext);
        let id = id.as_bytes();
        // Key ids are short generated names; a longer one is cut off by `u8` and fails to open.
        let len = u8::try_from(id.len()).unwrap_or(u8::MAX);
        let mut out = Vec::with_capacity(1 + id.len() + sealed.len());
        out.push(len);
        out.extend_from_slice(&id[..usize::from(len)]);
        out.extend_from_slice(&sealed);
        out
    }

    /// Decrypts what [`encrypt_bytes`](Self::encrypt_bytes) made for the same `field`.
    pub fn decrypt_bytes(&self, field: &str, stored: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        let (&len, rest) = stored.split_first().ok_or(Error::Decrypt)?;
        let len = usize::from(len);
        if rest.len() < len {
            return Err(Error::Decrypt);
        }
        let (id, sealed) = rest.split_at(len);
        let id = std::str::from_utf8(id).map_err(|_| Error::Decrypt)?;
        self.keyring.data_key(id)?.open(field.as_bytes(), sealed)
    }

    /// The id of the data key new values are sealed under.
    pub fn active_key_id(&self) -> String {
        self.keyring.active_data_key_id()
    }

    /// The data key id a stored value was encrypted under (for re-encryption after rotation).
    pub fn key_id_of(stored: &str) -> Option<&str> {
        let rest = stored.strip_prefix(FIELD_PREFIX)?;
        rest.split_once(':').map(|(id, _)| id)
    }

    /// True when `stored` looks like a value this cipher writes (it may still fail to decrypt).
    pub fn is_encrypted(stored: &str) -> bool {
        Self::key_id_of(stored).is_some()
    }

    /// The blind index of `value` in `field`: hex HMAC-SM3 under the blind-index key of
    /// `field || 0x00 || normalized value`, where normalizing trims and upper-cases ASCII
    /// (so `33010219900101123x` and `33010219900101123X ` match). Equal inputs give equal
    /// indexes; the same value in another field gives another index.
    pub fn blind_index(&self, field: &str, value: &str) -> String {
        let normalized = value.trim().to_ascii_uppercase();
        let mut msg = Vec::with_capacity(field.len() + 1 + normalized.len());
        msg.extend_from_slice(field.as_bytes());
        msg.push(0);
        msg.extend_from_slice(normalized.as_bytes());
        hex::encode(self.keyring.blind_key().mac(&msg))
    }
}

fn split_stored(stored: &str) -> Result<(&str, Vec<u8>), Error> {
    let rest = stored
        .trim()
        .strip_prefix(FIELD_PREFIX)
        .ok_or_else(|| Error::Malformed(msg!("encrypted-field-start-field", field_prefix = FIELD_PREFIX)))?;
    let (id, b64) = rest
        .split_once(':')
        .ok_or_else(|| Error::Malformed(msg!("encrypted-field-lacks-key")))?;
    let sealed = B64
        .decode(b64)
        .map_err(|_| Error::Malformed(msg!("ciphertext-not-base64")))?;
    Ok((id, sealed))
}
