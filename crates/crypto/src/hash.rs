//! SM3 (GB/T 32905-2016) digests and HMAC-SM3 (RFC 2104 over SM3).

use hmac::{Hmac, Mac};
pub use sm3::{Digest, Sm3};

/// The SM3 digest of `data`.
pub fn sm3(data: &[u8]) -> [u8; 32] {
    Sm3::digest(data).into()
}

/// HMAC-SM3 of `data` under `key` (any key length, as RFC 2104 allows).
pub fn hmac_sm3(key: &[u8], data: &[u8]) -> [u8; 32] {
    let Ok(mut mac) = <Hmac<Sm3> as Mac>::new_from_slice(key) else {
        unreachable!("HMAC accepts keys of every length")
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sm3_of_abc_matches_gbt_32905_example_1() {
        assert_eq!(
            hex::encode(sm3(b"abc")),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
    }

    #[test]
    fn sm3_of_64_bytes_matches_gbt_32905_example_2() {
        assert_eq!(
            hex::encode(sm3(&b"abcd".repeat(16))),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
        );
    }

    #[test]
    fn incremental_sm3_equals_one_shot() {
        let mut h = Sm3::new();
        h.update(b"a");
        h.update(b"bc");
        assert_eq!(<[u8; 32]>::from(h.finalize()), sm3(b"abc"));
    }

    #[test]
    fn hmac_sm3_follows_rfc_2104_with_a_64_byte_block() {
        // RFC 2104 written out by hand: H((K ^ opad) || H((K ^ ipad) || m)), keys longer than
        // the block are hashed first.
        fn by_hand(key: &[u8], msg: &[u8]) -> [u8; 32] {
            let mut k = [0u8; 64];
            if key.len() > 64 {
                k[..32].copy_from_slice(&sm3(key));
            } else {
                k[..key.len()].copy_from_slice(key);
            }
            let inner: Vec<u8> = k.iter().map(|b| b ^ 0x36).chain(msg.iter().copied()).collect();
            let outer: Vec<u8> = k
                .iter()
                .map(|b| b ^ 0x5c)
                .chain(sm3(&inner).iter().copied())
                .collect();
            sm3(&outer)
        }
        for key in [&b""[..], b"key", &[7u8; 64], &[9u8; 100]] {
            assert_eq!(hmac_sm3(key, b"message"), by_hand(key, b"message"));
        }
        assert_ne!(hmac_sm3(b"k1", b"m"), hmac_sm3(b"k2", b"m"));
    }
}
