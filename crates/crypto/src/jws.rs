//! Compact JSON Web Signatures (RFC 7515) for the OIDC provider's ID tokens: ES256 (ECDSA on
//! P-256 with SHA-256, RFC 7518 §3.4), which every standard relying party verifies, and SM2 with
//! SM3 (GB/T 32918, default distinguishing ID) for systems that must use national algorithms.
//! Signatures are the raw `r || s` (64 bytes) both ways; keys are published as JWKs.

use crate::Error;
use crate::sign::{SigningKey as Sm2Key, VerifyingKey as Sm2Public};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use p256::ecdsa::signature::{Signer, Verifier};
use rand_core::OsRng;
use serde_json::{Value, json};
use tongban_kernel::msg;
use zeroize::Zeroizing;

/// A signing algorithm of ID tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwsAlg {
    /// ECDSA P-256 SHA-256.
    Es256,
    /// SM2 with SM3.
    Sm2,
}

impl JwsAlg {
    /// The `alg` header value.
    pub fn code(self) -> &'static str {
        match self {
            JwsAlg::Es256 => "ES256",
            JwsAlg::Sm2 => "SM2",
        }
    }

    /// Reads an `alg` value.
    pub fn parse(text: &str) -> Option<JwsAlg> {
        match text {
            "ES256" => Some(JwsAlg::Es256),
            "SM2" => Some(JwsAlg::Sm2),
            _ => None,
        }
    }
}

/// A private signing key of either algorithm.
pub enum JwsKey {
    /// P-256.
    Es256(p256::ecdsa::SigningKey),
    /// SM2.
    Sm2(Sm2Key),
}

impl std::fmt::Debug for JwsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwsKey")
            .field("alg", &self.alg())
            .finish_non_exhaustive()
    }
}

impl JwsKey {
    /// A fresh key from the operating system's random source.
    pub fn generate(alg: JwsAlg) -> JwsKey {
        match alg {
            JwsAlg::Es256 => JwsKey::Es256(p256::ecdsa::SigningKey::random(&mut OsRng)),
            JwsAlg::Sm2 => JwsKey::Sm2(Sm2Key::generate()),
        }
    }

    /// Its algorithm.
    pub fn alg(&self) -> JwsAlg {
        match self {
            JwsKey::Es256(_) => JwsAlg::Es256,
            JwsKey::Sm2(_) => JwsAlg::Sm2,
        }
    }

    /// The private key as bytes to wrap for storage (P-256: the 32-byte scalar; SM2: PKCS#8 PEM).
    pub fn secret_bytes(&self) -> Result<Zeroizing<Vec<u8>>, Error> {
        Ok(match self {
            JwsKey::Es256(k) => Zeroizing::new(k.to_bytes().to_vec()),
            JwsKey::Sm2(k) => Zeroizing::new(k.to_pkcs8_pem()?.as_bytes().to_vec()),
        })
    }

    /// Reads what [`secret_bytes`](Self::secret_bytes) wrote.
    pub fn from_secret_bytes(alg: JwsAlg, bytes: &[u8]) -> Result<JwsKey, Error> {
        match alg {
            JwsAlg::Es256 => p256::ecdsa::SigningKey::from_slice(bytes)
                .map(JwsKey::Es256)
                .map_err(|_| Error::Malformed(msg!("not-p-256-private"))),
            JwsAlg::Sm2 => {
                let pem =
                    std::str::from_utf8(bytes).map_err(|_| Error::Malformed(msg!("not-sm2-private-key")))?;
                Sm2Key::from_pkcs8_pem(pem).map(JwsKey::Sm2)
            }
        }
    }

    /// The public key as a JWK named `kid` (RFC 7517; SM2 as `crv` "SM2").
    pub fn public_jwk(&self, kid: &str) -> Value {
        let point = match self {
            JwsKey::Es256(k) => k.verifying_key().to_encoded_point(false).as_bytes().to_vec(),
            JwsKey::Sm2(k) => k.verifying_key().to_sec1_bytes(),
        };
        // Uncompressed SEC1: 04 || x || y, 32 bytes each.
        let (x, y) = point
            .get(1..)
            .unwrap_or_default()
            .split_at(32.min(point.len().saturating_sub(1)));
        json!({
            "kty": "EC",
            "crv": match self.alg() { JwsAlg::Es256 => "P-256", JwsAlg::Sm2 => "SM2" },
            "x": B64URL.encode(x),
            "y": B64URL.encode(y),
            "alg": self.alg().code(),
            "use": "sig",
            "kid": kid,
        })
    }

    /// Signs `claims` as a compact JWS with header `{"alg", "typ": "JWT", "kid"}`.
    pub fn sign_compact(&self, kid: &str, claims: &Value) -> String {
        let header = json!({ "alg": self.alg().code(), "typ": "JWT", "kid": kid });
        let input = format!(
            "{}.{}",
            B64URL.encode(header.to_string()),
            B64URL.encode(claims.to_string())
        );
        let sig = match self {
            JwsKey::Es256(k) => {
                let s: p256::ecdsa::Signature = k.sign(input.as_bytes());
                s.to_bytes().to_vec()
            }
            JwsKey::Sm2(k) => k.sign(input.as_bytes()),
        };
        format!("{input}.{}", B64URL.encode(sig))
    }
}

/// The header and claims of a compact JWS if `jwk` (as [`JwsKey::public_jwk`] writes it) signed
/// it; `None` for anything else — a bad shape, another key, another algorithm.
pub fn verify_compact(jwk: &Value, token: &str) -> Option<(Value, Value)> {
    let mut parts = token.split('.');
    let (h, c, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: Value = serde_json::from_slice(&B64URL.decode(h).ok()?).ok()?;
    let claims: Value = serde_json::from_slice(&B64URL.decode(c).ok()?).ok()?;
    let sig = B64URL.decode(s).ok()?;
    let alg = JwsAlg::parse(header.get("alg")?.as_str()?)?;
    if jwk.get("alg")?.as_str()? != alg.code() {
        return None;
    }
    let coord = |k: &str| B64URL.decode(jwk.get(k)?.as_str()?).ok();
    let mut point = vec![4u8];
    point.extend(coord("x")?);
    point.extend(coord("y")?);
    let input = format!("{h}.{c}");
    let ok = match alg {
        JwsAlg::Es256 => {
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&point).ok()?;
            let sig = p256::ecdsa::Signature::from_slice(&sig).ok()?;
            key.verify(input.as_bytes(), &sig).is_ok()
        }
        JwsAlg::Sm2 => Sm2Public::from_sec1_hex(&hex::encode(&point))
            .ok()?
            .verify(input.as_bytes(), &sig),
    };
    ok.then_some((header, claims))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_algorithm_signs_what_its_public_jwk_verifies_and_nothing_else() {
        for alg in [JwsAlg::Es256, JwsAlg::Sm2] {
            let key = JwsKey::generate(alg);
            let jwk = key.public_jwk("k1");
            let token = key.sign_compact("k1", &json!({"sub": "a", "aud": "c"}));
            let (header, claims) = verify_compact(&jwk, &token).expect("verifies");
            assert_eq!(header["alg"], alg.code());
            assert_eq!(claims["sub"], "a");
            // Stored and read back, the same key.
            let again = JwsKey::from_secret_bytes(alg, &key.secret_bytes().unwrap()).unwrap();
            assert_eq!(again.public_jwk("k1"), jwk);
            // A changed claim, another key or a truncated token does not verify.
            let mut parts: Vec<&str> = token.split('.').collect();
            let forged = B64URL.encode(json!({"sub": "b", "aud": "c"}).to_string());
            parts[1] = &forged;
            assert!(verify_compact(&jwk, &parts.join(".")).is_none());
            let other = JwsKey::generate(alg).public_jwk("k1");
            assert!(verify_compact(&other, &token).is_none());
            assert!(verify_compact(&jwk, &token[..token.len() - 4]).is_none());
        }
        // An ES256 key never verifies an SM2 token (no algorithm confusion).
        let sm2 = JwsKey::generate(JwsAlg::Sm2);
        let es = JwsKey::generate(JwsAlg::Es256);
        assert!(verify_compact(&es.public_jwk("k"), &sm2.sign_compact("k", &json!({}))).is_none());
    }

    #[test]
    fn an_es256_jwk_has_the_p256_shape() {
        let jwk = JwsKey::generate(JwsAlg::Es256).public_jwk("k9");
        assert_eq!(jwk["crv"], "P-256");
        assert_eq!(B64URL.decode(jwk["x"].as_str().unwrap()).unwrap().len(), 32);
        assert_eq!(B64URL.decode(jwk["y"].as_str().unwrap()).unwrap().len(), 32);
    }
}
