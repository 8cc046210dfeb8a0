//! SM4-GCM authenticated encryption: the SM4 block cipher (GB/T 32907-2016) in Galois/Counter
//! mode with a 12-byte random nonce and a 16-byte tag, sealed as `nonce || ciphertext || tag`.
//!
//! A key is prepared once (SM4 round keys and the GHASH key) and shared by its clones, so
//! sealing a short value costs its blocks, not a key schedule. Nonces come from a per-thread
//! ChaCha20 generator seeded from the operating system (see [`fill_nonce`]).

use crate::Error;
use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{AesGcm, Nonce};
use rand_chacha::ChaCha20Rng;
use rand_core::{OsRng, RngCore, SeedableRng};
use sm4::Sm4;
use std::cell::RefCell;
use std::sync::Arc;
use tongban_kernel::msg;
use zeroize::Zeroizing;

type Sm4Gcm = AesGcm<Sm4, U12>;

/// Length of the random nonce at the front of a sealed value.
pub const NONCE_LEN: usize = 12;
/// Length of the authentication tag at the end of a sealed value.
pub const TAG_LEN: usize = 16;

/// Nonces a thread's generator gives before it is seeded again from the operating system.
const NONCES_PER_SEED: u32 = 1 << 16;

thread_local! {
    static NONCES: RefCell<Option<(ChaCha20Rng, u32)>> = const { RefCell::new(None) };
}

/// Fills `nonce` with 96 random bits. Each thread draws from its own ChaCha20 generator (a
/// CSPRNG), seeded from the operating system's random source and seeded again every
/// [`NONCES_PER_SEED`] nonces: one system call per 65,536 values instead of one per value,
/// and random 96-bit nonces repeat with negligible probability at any realistic volume.
///
/// # Panics
/// Only if the operating system's random source fails.
fn fill_nonce(nonce: &mut [u8; NONCE_LEN]) {
    NONCES.with(|cell| {
        let mut slot = cell.borrow_mut();
        let (mut rng, used) = match slot.take() {
            Some((rng, used)) if used < NONCES_PER_SEED => (rng, used),
            _ => (
                ChaCha20Rng::from_rng(OsRng)
                    .unwrap_or_else(|e| panic!("the operating system's random source failed: {e}")),
                0,
            ),
        };
        rng.fill_bytes(nonce);
        *slot = Some((rng, used + 1));
    });
}

/// A 128-bit SM4 key used for SM4-GCM, with its cipher prepared. The bytes (and, on drop of
/// the last clone, the round keys) are wiped and never printed. Clones share one preparation.
#[derive(Clone)]
pub struct Sm4GcmKey(Arc<Prepared>);

struct Prepared {
    key: Zeroizing<[u8; 16]>,
    cipher: Sm4Gcm,
}

impl Sm4GcmKey {
    fn new(key: Zeroizing<[u8; 16]>) -> Self {
        let cipher = Sm4Gcm::new(key.as_ref().into());
        Self(Arc::new(Prepared { key, cipher }))
    }

    /// A fresh key from the operating system's random source.
    pub fn generate() -> Self {
        let mut k = Zeroizing::new([0u8; 16]);
        OsRng.fill_bytes(k.as_mut());
        Self::new(k)
    }

    /// A key from exactly 16 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let arr: [u8; 16] = bytes
            .try_into()
            .map_err(|_| Error::Malformed(msg!("sm4-key-16-bytes", bytes = bytes.len())))?;
        Ok(Self::new(Zeroizing::new(arr)))
    }

    /// The raw key bytes (for wrapping under another key).
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0.key
    }

    /// Encrypts `plaintext` bound to `aad` under a fresh random nonce; returns
    /// `nonce || ciphertext || tag`.
    ///
    /// # Panics
    /// Only if the operating system's random source fails, or `plaintext` exceeds GCM's
    /// 64 GiB limit.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        fill_nonce(&mut nonce);
        let sealed = self
            .0
            .cipher
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
        self.0
            .cipher
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
    fn nonces_do_not_repeat_across_reseeds_and_threads() {
        let draw = || {
            (0..NONCES_PER_SEED * 2 + 10)
                .map(|_| {
                    let mut n = [0u8; NONCE_LEN];
                    fill_nonce(&mut n);
                    n
                })
                .collect::<Vec<_>>()
        };
        let other = std::thread::spawn(draw).join().unwrap_or_default();
        let mut seen = std::collections::HashSet::new();
        for n in draw().into_iter().chain(other) {
            assert!(seen.insert(n), "a nonce repeated");
        }
        assert_eq!(seen.len() as u32, (NONCES_PER_SEED * 2 + 10) * 2);
    }

    #[test]
    fn clones_share_the_key_and_open_each_others_values() {
        let k = Sm4GcmKey::from_bytes(&[7; 16]).unwrap_or_else(|_| Sm4GcmKey::generate());
        let c = k.clone();
        let again = Sm4GcmKey::from_bytes(k.as_bytes()).unwrap_or_else(|_| Sm4GcmKey::generate());
        let s = k.seal(b"f", b"value");
        assert_eq!(
            c.open(b"f", &s).ok().as_deref().map(|v| &v[..]),
            Some(&b"value"[..])
        );
        assert_eq!(
            again.open(b"f", &s).ok().as_deref().map(|v| &v[..]),
            Some(&b"value"[..])
        );
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
