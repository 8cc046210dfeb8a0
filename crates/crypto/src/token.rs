//! Every secret token and random identifier of the platform, made one way: from the operating
//! system's CSPRNG. Session and API tokens, CSRF tokens, client ids, key ids, approval codes and
//! generated passwords all come from here, so how much randomness each carries is read in one
//! place.

use base64::Engine as _;
use rand_core::{OsRng, RngCore};

/// `N` random bytes.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut raw = [0u8; N];
    OsRng.fill_bytes(&mut raw);
    raw
}

/// `N` random bytes in URL-safe base64 without padding (32 bytes: 43 characters).
pub fn url_token<const N: usize>() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<N>())
}

/// `N` random bytes in lower-case hex (for ids shown to people: client ids, key ids).
pub fn hex_id<const N: usize>() -> String {
    hex::encode(random_bytes::<N>())
}

/// A secret handed to its holder once and stored only as its hash.
#[derive(Debug)]
pub struct SecretToken {
    /// The token (32 random bytes, URL-safe base64: 43 characters).
    pub text: String,
    /// What is stored: hex SM3 of the 32 raw bytes (see [`secret_hash`]).
    pub hash: String,
}

/// A fresh [`SecretToken`].
pub fn secret_token() -> SecretToken {
    let raw = random_bytes::<32>();
    SecretToken {
        text: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw),
        hash: hex::encode(crate::sm3(&raw)),
    }
}

/// The stored hash of a token presented as `text`; `None` when it is not a token of ours
/// (not base64 of exactly 32 bytes).
pub fn secret_hash(text: &str) -> Option<String> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim())
        .ok()?;
    (raw.len() == 32).then(|| hex::encode(crate::sm3(&raw)))
}

/// `len` characters drawn uniformly from `alphabet` (rejection sampling, so no character is
/// likelier than another whatever the alphabet's size). `alphabet` must not be empty and has
/// at most 256 characters.
pub fn code_from(alphabet: &[u8], len: usize) -> String {
    assert!(
        !alphabet.is_empty() && alphabet.len() <= 256,
        "alphabet of 1 to 256 characters"
    );
    // The largest multiple of the alphabet's size that a byte can reach.
    let limit = 256 - 256 % alphabet.len();
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let [b] = random_bytes::<1>();
        if usize::from(b) < limit {
            out.push(char::from(alphabet[usize::from(b) % alphabet.len()]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_their_length_and_differ() {
        assert_eq!(url_token::<32>().len(), 43);
        assert_ne!(url_token::<32>(), url_token::<32>());
        assert_eq!(hex_id::<12>().len(), 24);
    }

    #[test]
    fn a_secret_token_is_found_again_by_its_hash_and_nothing_else_is() {
        let t = secret_token();
        assert_eq!(secret_hash(&t.text).as_deref(), Some(t.hash.as_str()));
        assert_eq!(
            secret_hash(&format!(" {} ", t.text)).as_deref(),
            Some(t.hash.as_str())
        );
        assert_eq!(secret_hash("short"), None);
        assert_eq!(secret_hash("not base64 at all!"), None);
        assert_ne!(secret_token().hash, t.hash);
    }

    #[test]
    fn codes_use_only_their_alphabet_evenly() {
        let code = code_from(b"ABC", 3000);
        assert_eq!(code.len(), 3000);
        for c in ['A', 'B', 'C'] {
            let n = code.chars().filter(|x| *x == c).count();
            assert!((800..1200).contains(&n), "{c}: {n} of 3000");
        }
    }
}
