//! Re-encryption after a data-key rotation (重新加密). Each crate that seals values declares
//! where it keeps them ([`SealedColumn`]); the re-encryption job walks those columns and, for a
//! value under an older data key, opens it under that key and seals it again under the active
//! one ([`FieldCipher::reseal_text`], [`FieldCipher::reseal_bytes`]). A value already under the
//! active key is left as it is, so the job can stop anywhere and start again.

use crate::{Error, FieldCipher};
use std::collections::BTreeMap;
use tongban_kernel::msg;

/// A column of sealed values: where it is and how its values were sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealedColumn {
    /// The table.
    pub table: &'static str,
    /// The columns naming one row, in order (one or two).
    pub key: &'static [&'static str],
    /// The column holding the sealed value (NULL where there is none).
    pub column: &'static str,
    /// How its values are sealed.
    pub form: Sealed,
}

/// How the values of a [`SealedColumn`] are sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sealed {
    /// Text made by [`FieldCipher::encrypt`] for `field`.
    Text {
        /// The name the value is sealed for.
        field: &'static str,
    },
    /// Bytes made by [`FieldCipher::encrypt_bytes`] for `field`.
    Bytes {
        /// The name the value is sealed for.
        field: &'static str,
    },
    /// A JSON object of texts; each entry that is sealed was made by [`FieldCipher::encrypt`]
    /// for `prefix` followed by the entry's name (the others are plain).
    TextMap {
        /// What each entry's name is put after.
        prefix: &'static str,
    },
}

/// A column of secrets wrapped under the master key ([`crate::Keyring::wrap_secret`]), each for
/// `prefix` followed by its row's key: rewrapped when the master key is rotated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrappedColumn {
    /// The table.
    pub table: &'static str,
    /// The one column naming a row.
    pub key: &'static str,
    /// The column holding the wrapped secret.
    pub column: &'static str,
    /// What the row's key is put after to name the secret's purpose.
    pub prefix: &'static str,
}

impl FieldCipher {
    /// The value sealed again under the active data key, or `None` when it already is (or is a
    /// map with nothing under an older key). A value that does not open is an error naming
    /// nothing of it.
    pub fn reseal_text(&self, form: &Sealed, stored: &str) -> Result<Option<String>, Error> {
        let active = self.active_key_id();
        match form {
            Sealed::Text { field } | Sealed::Bytes { field } => {
                // Under the active key already, or never sealed (text kept from before the
                // column was): nothing to do here.
                match FieldCipher::key_id_of(stored) {
                    None => return Ok(None),
                    Some(id) if id == active => return Ok(None),
                    Some(_) => {}
                }
                let plain = crate::Zeroizing::new(self.decrypt(field, stored)?);
                Ok(Some(self.encrypt(field, &plain)))
            }
            Sealed::TextMap { prefix } => {
                let mut map: BTreeMap<String, String> = serde_json::from_str(stored)
                    .map_err(|_| Error::Malformed(msg!("sealed-map-not-json")))?;
                let mut changed = false;
                for (name, value) in &mut map {
                    let Some(id) = FieldCipher::key_id_of(value) else {
                        continue;
                    };
                    if id == active {
                        continue;
                    }
                    let field = format!("{prefix}{name}");
                    let plain = crate::Zeroizing::new(self.decrypt(&field, value)?);
                    *value = self.encrypt(&field, &plain);
                    changed = true;
                }
                if !changed {
                    return Ok(None);
                }
                serde_json::to_string(&map)
                    .map(Some)
                    .map_err(|_| Error::Malformed(msg!("sealed-map-cannot-written")))
            }
        }
    }

    /// Bytes made by [`encrypt_bytes`](Self::encrypt_bytes) for `field`, sealed again under the
    /// active data key, or `None` when they already are.
    pub fn reseal_bytes(&self, field: &str, stored: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        if FieldCipher::bytes_key_id(stored) == Some(self.active_key_id().as_str()) {
            return Ok(None);
        }
        let plain = self.decrypt_bytes(field, stored)?;
        Ok(Some(self.encrypt_bytes(field, &plain)))
    }

    /// The data key id sealed bytes name, read from their first bytes (`None` when they are
    /// not in that form).
    pub fn bytes_key_id(stored: &[u8]) -> Option<&str> {
        let (&len, rest) = stored.split_first()?;
        std::str::from_utf8(rest.get(..usize::from(len))?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::Sealed;
    use crate::Keyring;

    #[test]
    fn values_under_an_older_key_are_sealed_again_and_current_ones_are_left() {
        let mut keyring = Keyring::ephemeral();
        let cipher = keyring.fields();
        let text = Sealed::Text { field: "t.name" };
        let old = cipher.encrypt("t.name", "张三");
        let old_bytes = cipher.encrypt_bytes("t.file", b"%PDF");
        let map = serde_json::json!({
            "name": cipher.encrypt("form.name", "李四"),
            "count": "3",
        })
        .to_string();
        assert_eq!(cipher.reseal_text(&text, &old).unwrap(), None, "already current");
        let k2 = keyring.rotate_data_key().unwrap();

        let new = cipher.reseal_text(&text, &old).unwrap().expect("resealed");
        assert_eq!(crate::FieldCipher::key_id_of(&new), Some(k2.as_str()));
        assert_eq!(cipher.decrypt("t.name", &new).unwrap(), "张三");
        assert_eq!(cipher.reseal_text(&text, &new).unwrap(), None);

        let bytes = cipher
            .reseal_bytes("t.file", &old_bytes)
            .unwrap()
            .expect("resealed");
        assert_eq!(crate::FieldCipher::bytes_key_id(&bytes), Some(k2.as_str()));
        assert_eq!(
            cipher.decrypt_bytes("t.file", &bytes).unwrap().as_slice(),
            b"%PDF"
        );
        assert_eq!(cipher.reseal_bytes("t.file", &bytes).unwrap(), None);

        let form = Sealed::TextMap { prefix: "form." };
        let resealed = cipher.reseal_text(&form, &map).unwrap().expect("resealed");
        let v: std::collections::BTreeMap<String, String> = serde_json::from_str(&resealed).unwrap();
        assert_eq!(v["count"], "3", "plain entries stay");
        assert!(v["name"].starts_with(&format!("sm4gcm:v1:{k2}:")));
        assert_eq!(cipher.decrypt("form.name", &v["name"]).unwrap(), "李四");
        assert_eq!(cipher.reseal_text(&form, &resealed).unwrap(), None);

        // Sealed for another field, or altered: refused, not rewritten.
        assert!(
            cipher
                .reseal_text(&Sealed::Text { field: "t.other" }, &old)
                .is_err()
        );
        assert!(cipher.reseal_text(&form, "not json").is_err());
        // Text never sealed is left as it is.
        assert_eq!(cipher.reseal_text(&text, "路灯不亮").unwrap(), None);
    }
}
