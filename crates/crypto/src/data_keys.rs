//! The contents of `data-keys.json`: the data keys (k1, k2, …) and the blind-index key, each
//! wrapped under the key-encryption key, and their unwrapped form in memory.

use crate::Error;
use crate::keyring::aad;
use crate::sm4gcm::Sm4GcmKey;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore};
use sm3::Sm3;
use std::path::Path;
use tongban_kernel::{Msg, msg};
use zeroize::Zeroizing;

/// Marks the file's layout, so a later layout is recognized rather than misread.
const FORMAT: &str = "tongban-keyring/1";
/// Id of the (single, never rotated) blind-index key: rotating it would mean re-indexing.
pub(crate) const BLIND_KEY_ID: &str = "b1";

/// One data key, unwrapped.
#[derive(Clone)]
pub(crate) struct DataKey {
    pub(crate) id: String,
    pub(crate) number: u32,
    pub(crate) key: Sm4GcmKey,
}

/// The data keys, oldest first; the last one is active.
#[derive(Clone)]
pub(crate) struct DataKeys(pub(crate) Vec<DataKey>);

impl DataKeys {
    pub(crate) fn active(&self) -> Option<&DataKey> {
        self.0.last()
    }
    pub(crate) fn find(&self, id: &str) -> Option<&DataKey> {
        self.0.iter().find(|k| k.id == id)
    }
    pub(crate) fn max_number(&self) -> u32 {
        self.0.iter().map(|k| k.number).max().unwrap_or(0)
    }
}

pub(crate) fn key_number(id: &str) -> Option<u32> {
    let digits = id.strip_prefix('k')?;
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|n| *n > 0)
}

/// A wrapped entry as stored in `data-keys.json`.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct WrappedEntry {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) created_ms: i64,
    pub(crate) wrapped: String,
}

/// The file as written: a format mark, the data keys, the blind-index key.
#[derive(serde::Serialize, serde::Deserialize)]
struct FileRepr {
    format: String,
    data_keys: Vec<WrappedEntry>,
    blind_index_key: WrappedEntry,
}

/// `data-keys.json`, still wrapped.
pub(crate) struct DataKeysFile {
    pub(crate) data_keys: Vec<WrappedEntry>,
    pub(crate) blind_index_key: WrappedEntry,
}

impl DataKeysFile {
    pub(crate) fn parse(path: &Path, text: &str) -> Result<Self, Error> {
        let bad = |why: Msg| Error::key_file(path, why);
        let doc: FileRepr =
            serde_json::from_str(text).map_err(|e| bad(msg!("not-valid-key-file", e = e.to_string())))?;
        if doc.format != FORMAT {
            return Err(bad(msg!("format-marker", format = FORMAT)));
        }
        let list = doc.data_keys;
        let mut data_keys = Vec::with_capacity(list.len());
        for e in list {
            if key_number(&e.id).is_none() {
                return Err(bad(msg!("data-key-id-shape", id = e.id)));
            }
            if data_keys.iter().any(|d: &WrappedEntry| d.id == e.id) {
                return Err(bad(msg!("duplicate-data-key-id", id = e.id)));
            }
            data_keys.push(e);
        }
        if data_keys.is_empty() {
            return Err(bad(msg!("no-data-keys")));
        }
        Ok(Self {
            data_keys,
            blind_index_key: doc.blind_index_key,
        })
    }

    pub(crate) fn render(&self) -> String {
        let repr = FileRepr {
            format: FORMAT.to_string(),
            data_keys: self.data_keys.clone(),
            blind_index_key: self.blind_index_key.clone(),
        };
        // Serialising plain strings and integers cannot fail.
        let mut text = serde_json::to_string_pretty(&repr).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Unwraps every key. If none opens, the master key is wrong; if only some do, the file was
    /// altered.
    pub(crate) fn unwrap_all(
        &self,
        path: &Path,
        kek: &crate::keyring::Keks,
    ) -> Result<(DataKeys, BlindKey), Error> {
        let open = |slot: &str, e: &WrappedEntry| -> Result<Zeroizing<Vec<u8>>, Error> {
            let sealed = B64
                .decode(e.wrapped.trim())
                .map_err(|_| Error::key_file(path, msg!("wrapped-not-base64", id = e.id)))?;
            kek.open(&aad(slot), &sealed)
        };
        let mut keys = Vec::with_capacity(self.data_keys.len());
        let mut failed = Vec::new();
        for e in &self.data_keys {
            match open(&format!("data-key/{}", e.id), e) {
                Ok(raw) => {
                    let key = Sm4GcmKey::from_bytes(&raw)
                        .map_err(|_| Error::key_file(path, msg!("wrong-data-key-length", id = e.id)))?;
                    let number = key_number(&e.id).unwrap_or(0);
                    keys.push(DataKey {
                        id: e.id.clone(),
                        number,
                        key,
                    });
                }
                Err(Error::Decrypt) => failed.push(e.id.clone()),
                Err(other) => return Err(other),
            }
        }
        let blind = match open("blind-index-key", &self.blind_index_key) {
            Ok(raw) => Some(
                BlindKey::from_bytes(&raw)
                    .ok_or_else(|| Error::key_file(path, msg!("wrong-blind-index-key")))?,
            ),
            Err(Error::Decrypt) => None,
            Err(other) => return Err(other),
        };
        match blind {
            None if keys.is_empty() => Err(Error::WrongMasterKey { path: path.into() }),
            Some(blind) if failed.is_empty() => {
                keys.sort_by_key(|k| k.number);
                Ok((DataKeys(keys), blind))
            }
            _ => {
                if blind.is_none() {
                    failed.push(self.blind_index_key.id.clone());
                }
                Err(Error::key_file(
                    path,
                    msg!("key-s-join-fail", join = failed.join(",")),
                ))
            }
        }
    }
}

/// The 32-byte key of the blind index.
#[derive(Clone)]
pub(crate) struct BlindKey {
    key: Zeroizing<[u8; 32]>,
    /// HMAC-SM3 already keyed: every index clones it instead of hashing the key pads again.
    keyed: Hmac<Sm3>,
}

impl BlindKey {
    pub(crate) fn generate() -> Self {
        let mut k = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(k.as_mut());
        Self::new(k)
    }
    pub(crate) fn from_bytes(b: &[u8]) -> Option<Self> {
        let arr: [u8; 32] = b.try_into().ok()?;
        Some(Self::new(Zeroizing::new(arr)))
    }
    fn new(key: Zeroizing<[u8; 32]>) -> Self {
        let Ok(keyed) = <Hmac<Sm3> as Mac>::new_from_slice(key.as_ref()) else {
            unreachable!("HMAC accepts keys of every length")
        };
        Self { key, keyed }
    }
    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.key
    }
    /// HMAC-SM3 of `msg` under this key.
    pub(crate) fn mac(&self, msg: &[u8]) -> [u8; 32] {
        let mut mac = self.keyed.clone();
        mac.update(msg);
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_are_k_and_a_positive_number() {
        assert_eq!(key_number("k1"), Some(1));
        assert_eq!(key_number("k42"), Some(42));
        for bad in ["", "k", "k0", "1", "kk1", "k-1", "k1x", "k9999999999", "k１"] {
            assert_eq!(key_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn data_keys_file_renders_and_parses_back() {
        let f = DataKeysFile {
            data_keys: vec![
                WrappedEntry {
                    id: "k1".into(),
                    created_ms: 5,
                    wrapped: "QUFB".into(),
                },
                WrappedEntry {
                    id: "k2".into(),
                    created_ms: 6,
                    wrapped: "QkJC".into(),
                },
            ],
            blind_index_key: WrappedEntry {
                id: "b1".into(),
                created_ms: 5,
                wrapped: "Q0ND".into(),
            },
        };
        let text = f.render();
        let back = DataKeysFile::parse(Path::new("x"), &text);
        assert!(back.is_ok());
        if let Ok(back) = back {
            assert_eq!(back.data_keys.len(), 2);
            assert_eq!(back.data_keys[1].id, "k2");
            assert_eq!(back.data_keys[1].created_ms, 6);
            assert_eq!(back.blind_index_key.wrapped, "Q0ND");
            assert_eq!(back.render(), text);
        }
    }
}
