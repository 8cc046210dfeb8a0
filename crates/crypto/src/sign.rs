//! SM2 digital signatures (GB/T 32918.2-2016) over the recommended curve, with the default
//! distinguishing identifier `1234567812345678` (GB/T 35276-2017) that other SM2 tools assume.
//! Signatures travel as 64 bytes `r || s`; public keys as uncompressed SEC1 hex.

use crate::{Error, hash::sm3};
use rand_core::OsRng;
use sm2::dsa::signature::{RandomizedSigner, Signer, Verifier};
use sm2::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use sm2::{NonZeroScalar, SecretKey};
use tongban_kernel::msg;
use zeroize::Zeroizing;

/// The default SM2 distinguishing identifier (用户可辨别标识) of GB/T 35276.
pub const DEFAULT_DIST_ID: &str = "1234567812345678";

/// Length of an encoded signature, `r || s`.
pub const SIGNATURE_LEN: usize = 64;

/// An SM2 private key that signs. Debug shows only the public fingerprint.
#[derive(Clone)]
pub struct SigningKey(sm2::dsa::SigningKey);

/// An SM2 public key that verifies signatures. Equal when the points are equal.
#[derive(Clone)]
pub struct VerifyingKey(sm2::dsa::VerifyingKey);

impl PartialEq for VerifyingKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_affine() == other.0.as_affine()
    }
}

impl Eq for VerifyingKey {}

fn from_scalar(scalar: NonZeroScalar) -> sm2::dsa::SigningKey {
    match sm2::dsa::SigningKey::from_nonzero_scalar(DEFAULT_DIST_ID, scalar) {
        Ok(k) => k,
        // The only failure is a distinguishing id longer than 8191 bytes; ours has 16.
        Err(_) => unreachable!("the default distinguishing id is valid"),
    }
}

impl SigningKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Self {
        Self(from_scalar(NonZeroScalar::random(&mut OsRng)))
    }

    /// Reads an unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`) holding an SM2 key.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, Error> {
        let secret = SecretKey::from_pkcs8_pem(pem.trim())
            .map_err(|_| Error::Malformed(msg!("not-sm2-private-key-2")))?;
        Ok(Self(from_scalar(secret.to_nonzero_scalar())))
    }

    /// Writes the key as unencrypted PKCS#8 PEM (LF line endings); the text is wiped on drop.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, Error> {
        SecretKey::from(self.0.as_nonzero_scalar())
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| Error::Malformed(msg!("pkcs-8-encoding-failed", e = e.to_string())))
    }

    /// Signs `msg` (SM3 over `Z_A || msg`), returning 64 bytes `r || s`. The nonce is derived as
    /// in RFC 6979 and hedged with fresh randomness.
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        // GB/T 32918.2 step A5/A6: a nonce giving r = 0, r + k = n or s = 0 is discarded and
        // another one drawn; with fresh randomness each attempt, a repeat is never expected.
        for _ in 0..4 {
            if let Ok(sig) = self.0.try_sign_with_rng(&mut OsRng, msg) {
                return sig.to_bytes().to_vec();
            }
        }
        // Only reachable if the OS random source fails: fall back to deterministic RFC 6979.
        // If even that fails (probability ~2^-256) the empty signature never verifies.
        let sig: Result<sm2::dsa::Signature, _> = self.0.try_sign(msg);
        sig.map(|s| s.to_bytes().to_vec()).unwrap_or_default()
    }

    /// The public half of this key.
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey(self.0.verifying_key().clone())
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("fingerprint", &self.verifying_key().fingerprint())
            .finish_non_exhaustive()
    }
}

impl VerifyingKey {
    /// True when `sig` (64 bytes `r || s`) is a valid signature of `msg` by this key. Any other
    /// length or an out-of-range `r`/`s` is simply false.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Ok(sig) = sm2::dsa::Signature::from_slice(sig) else {
            return false;
        };
        self.0.verify(msg, &sig).is_ok()
    }

    /// The uncompressed SEC1 encoding (`04 || x || y`, 65 bytes).
    pub fn to_sec1_bytes(&self) -> Vec<u8> {
        self.0.to_sec1_bytes().into_vec()
    }

    /// The uncompressed SEC1 encoding as lowercase hex (130 characters).
    pub fn to_sec1_hex(&self) -> String {
        hex::encode(self.to_sec1_bytes())
    }

    /// Reads a SEC1 point (compressed or uncompressed) in hex; the point must lie on the curve.
    pub fn from_sec1_hex(text: &str) -> Result<Self, Error> {
        let bytes = hex::decode(text.trim()).map_err(|_| Error::Malformed(msg!("sm2-public-key-hex")))?;
        sm2::dsa::VerifyingKey::from_sec1_bytes(DEFAULT_DIST_ID, &bytes)
            .map(Self)
            .map_err(|_| Error::Malformed(msg!("not-public-key-sm2")))
    }

    /// A short name for the key: the first 16 hex characters of SM3 over its SEC1 bytes.
    pub fn fingerprint(&self) -> String {
        let mut h = hex::encode(sm3(&self.to_sec1_bytes()));
        h.truncate(16);
        h
    }
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("VerifyingKey").field(&self.fingerprint()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_under_its_key_and_no_other() {
        let k = SigningKey::generate();
        let sig = k.sign(b"checkpoint 42");
        assert_eq!(sig.len(), SIGNATURE_LEN);
        assert!(k.verifying_key().verify(b"checkpoint 42", &sig));
        assert!(
            !SigningKey::generate()
                .verifying_key()
                .verify(b"checkpoint 42", &sig)
        );
    }

    #[test]
    fn a_flipped_bit_in_message_or_signature_fails() {
        let k = SigningKey::generate();
        let vk = k.verifying_key();
        let msg = b"ledger head".to_vec();
        let sig = k.sign(&msg);
        for bit in [0, 7, 100, 255, 256, 511] {
            let mut s = sig.clone();
            s[bit / 8] ^= 1 << (bit % 8);
            assert!(!vk.verify(&msg, &s), "signature bit {bit}");
        }
        for i in 0..msg.len() {
            let mut m = msg.clone();
            m[i] ^= 0x01;
            assert!(!vk.verify(&m, &sig), "message byte {i}");
        }
    }

    #[test]
    fn malformed_signature_bytes_are_false_never_a_panic() {
        let vk = SigningKey::generate().verifying_key();
        let cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![0; 63],
            vec![0; 64],
            vec![0xff; 64],
            vec![1; 65],
            vec![0x30, 0x44, 0x02, 0x20],
        ];
        for c in cases {
            assert!(!vk.verify(b"m", &c));
        }
    }

    #[test]
    fn pkcs8_pem_round_trip_keeps_the_key() {
        let k = SigningKey::generate();
        let pem = k.to_pkcs8_pem().unwrap_or_default();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let back = SigningKey::from_pkcs8_pem(&pem);
        assert!(back.is_ok());
        if let Ok(back) = back {
            assert_eq!(back.verifying_key(), k.verifying_key());
            assert!(k.verifying_key().verify(b"x", &back.sign(b"x")));
        }
    }

    #[test]
    fn garbage_pem_and_hex_are_malformed_errors() {
        for pem in [
            "",
            "hello",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
        ] {
            assert!(matches!(
                SigningKey::from_pkcs8_pem(pem),
                Err(Error::Malformed(_))
            ));
        }
        for h in [
            "",
            "zz",
            "04",
            &"04".repeat(65),
            &format!("04{}", "00".repeat(64)),
        ] {
            assert!(matches!(VerifyingKey::from_sec1_hex(h), Err(Error::Malformed(_))));
        }
    }

    #[test]
    fn sec1_hex_round_trip_and_fingerprint_is_16_hex_of_sm3() {
        let vk = SigningKey::generate().verifying_key();
        let h = vk.to_sec1_hex();
        assert_eq!(h.len(), 130);
        assert!(h.starts_with("04"));
        let back = VerifyingKey::from_sec1_hex(&h).ok();
        assert_eq!(back.as_ref(), Some(&vk));
        assert_eq!(vk.fingerprint(), hex::encode(sm3(&vk.to_sec1_bytes()))[..16]);
    }

    #[test]
    fn debug_of_a_signing_key_shows_no_secret() {
        let k = SigningKey::generate();
        let secret_hex = hex::encode(k.0.to_bytes());
        let d = format!("{k:?}");
        assert!(d.contains(&k.verifying_key().fingerprint()));
        assert!(!d.contains(&secret_hex));
    }
}
