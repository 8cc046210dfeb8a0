//! SM4-GCM authenticated encryption: the SM4 block cipher (GB/T 32907-2016) in Galois/Counter
//! mode with a 12-byte random nonce and a 16-byte tag, sealed as `nonce || ciphertext || tag`.

use crate::Error;
use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{AesGcm, Nonce};
use rand_core::{OsRng, RngCore};
use sm4::Sm4;
use zeroize::Zeroizing;

type Sm4Gcm = AesGcm<Sm4, U12>;

/// Length of the random nonce at the front of a sealed value.
pub const NONCE_LEN: usize = 12;
/// Length of the authentication tag at the end of a sealed value.
pub const TAG_LEN: usize = 16;

/// A 128-bit SM4 key used for SM4-GCM. The bytes are wiped on drop and never printed.
#[derive(Clone)]
pub struct Sm4GcmKey(Zeroizing<[u8; 16]>);

impl Sm4GcmKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Self {
        let mut k = Zeroizing::new([0u8; 16]);
        OsRng.fill_bytes(k.as_mut());
        Self(k)
    }

    /// A key from exactly 16 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let arr: [u8; 16] = bytes.try_into().map_err(|_| {
            Error::Malformed(format!(
                "SM4 密钥应为16字节 / an SM4 key must be 16 bytes, got {}",
                bytes.len()
            ))
        })?;
        Ok(Self(Zeroizing::new(arr)))
    }

    /// The raw key bytes (for wrapping under another key).
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    fn cipher(&self) -> Sm4Gcm {
        Sm4Gcm::new(self.0.as_ref().into())
    }

    /// Encrypts `plaintext` bound to `aad` under a fresh random nonce; returns
    /// `nonce || ciphertext || tag`.
    ///
    /// # Panics
    /// Only if the operating system's random source fails, or `plaintext` exceeds GCM's
    /// 64 GiB limit.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher()
            .encrypt(Nonce::<U12>::from_slice(&nonce), Payload { msg: plaintext, aad });
        let Ok(ct) = sealed else {
            panic!("SM4-GCM input exceeds the GCM length limit (64 GiB)")
        };
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// Decrypts a value made by [`seal`](Self::seal) with the same `aad`. Any change to the
    /// nonce, ciphertext, tag or `aad`, or another key, gives [`Error::Decrypt`].
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return Err(Error::Decrypt);
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        self.cipher()
            .decrypt(Nonce::<U12>::from_slice(nonce), Payload { msg: ct, aad })
            .map(Zeroizing::new)
            .map_err(|_| Error::Decrypt)
    }
}

impl std::fmt::Debug for Sm4GcmKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sm4GcmKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_value_opens_with_the_same_key_and_aad() {
        let k = Sm4GcmKey::generate();
        let s = k.seal(b"aad", b"hello");
        assert_eq!(s.len(), NONCE_LEN + 5 + TAG_LEN);
        assert_eq!(
            k.open(b"aad", &s).ok().as_deref().map(|v| &v[..]),
            Some(&b"hello"[..])
        );
    }

    #[test]
    fn the_same_plaintext_seals_differently_each_time() {
        let k = Sm4GcmKey::generate();
        assert_ne!(k.seal(b"", b"x"), k.seal(b"", b"x"));
    }

    #[test]
    fn any_flipped_bit_or_other_aad_or_key_fails_to_open() {
        let k = Sm4GcmKey::generate();
        let s = k.seal(b"aad", b"secret value");
        for i in 0..s.len() {
            let mut t = s.clone();
            t[i] ^= 1;
            assert!(matches!(k.open(b"aad", &t), Err(Error::Decrypt)), "byte {i}");
        }
        assert!(matches!(k.open(b"aae", &s), Err(Error::Decrypt)));
        assert!(matches!(
            Sm4GcmKey::generate().open(b"aad", &s),
            Err(Error::Decrypt)
        ));
    }

    #[test]
    fn truncated_input_fails_without_panicking() {
        let k = Sm4GcmKey::generate();
        for n in 0..(NONCE_LEN + TAG_LEN) {
            assert!(k.open(b"", &vec![0u8; n]).is_err());
        }
    }

    #[test]
    fn sm4_key_must_be_16_bytes_and_debug_hides_it() {
        assert!(Sm4GcmKey::from_bytes(&[1; 15]).is_err());
        let k = Sm4GcmKey::from_bytes(&[0xab; 16]).ok();
        assert_eq!(format!("{:?}", k), "Some(Sm4GcmKey(..))");
    }
}

#[cfg(test)]
mod block_tests {
    use sm4::cipher::{BlockEncrypt, KeyInit, generic_array::GenericArray};

    #[test]
    fn sm4_block_matches_gbt_32907_example_1() {
        let kp = hex::decode("0123456789abcdeffedcba9876543210").unwrap_or_default();
        let c = sm4::Sm4::new(GenericArray::from_slice(&kp));
        let mut block = GenericArray::clone_from_slice(&kp);
        c.encrypt_block(&mut block);
        assert_eq!(hex::encode(block), "681edf34d206965e86b3e94f536e4246");
    }
}
