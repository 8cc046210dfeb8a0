use tongban_crypto::field::FIELD_PREFIX;
use tongban_crypto::{Error, FieldCipher, Keyring};

fn fields() -> (Keyring, FieldCipher) {
    let k = Keyring::ephemeral();
    let f = k.fields();
    (k, f)
}

#[test]
fn encrypted_field_round_trips_and_describes_itself() {
    let (_k, f) = fields();
    for plain in ["330102199001011234", "", "欧阳娜娜", "a:b:c", &"长".repeat(1000)] {
        let stored = f.encrypt("id_number", plain);
        assert!(stored.starts_with("sm4gcm:v1:k1:"), "{stored}");
        assert!(!stored.contains(plain) || plain.is_empty());
        assert_eq!(f.decrypt("id_number", &stored).ok().as_deref(), Some(plain));
    }
}

#[test]
fn the_same_value_encrypts_differently_each_time() {
    let (_k, f) = fields();
    assert_ne!(
        f.encrypt("phone", "13812345678"),
        f.encrypt("phone", "13812345678")
    );
}

#[test]
fn a_value_copied_into_another_column_does_not_decrypt() {
    let (_k, f) = fields();
    let stored = f.encrypt("citizen.id_number", "330102199001011234");
    assert!(matches!(f.decrypt("citizen.phone", &stored), Err(Error::Decrypt)));
}

#[test]
fn tampered_ciphertext_fails_to_decrypt() {
    let (_k, f) = fields();
    let stored = f.encrypt("name", "张三");
    let body_start = stored.rfind(':').map(|i| i + 1).unwrap_or(0);
    let bytes = stored.as_bytes();
    for i in body_start..stored.len() {
        if bytes[i] == b'=' {
            continue;
        }
        let mut t = bytes.to_vec();
        t[i] = if t[i] == b'A' { b'B' } else { b'A' };
        let t = String::from_utf8(t).unwrap_or_default();
        let r = f.decrypt("name", &t);
        assert!(r.is_err(), "position {i} still decrypted");
    }
}

#[test]
fn malformed_stored_values_are_errors_never_panics() {
    let (_k, f) = fields();
    let cases = [
        "",
        "330102199001011234",
        "sm4gcm:v1:",
        "sm4gcm:v1:k1",
        "sm4gcm:v1:k1:",
        "sm4gcm:v1:k1:!!!",
        "sm4gcm:v1:k1:AAAA",
        "sm4gcm:v2:k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "sm4gcm:v1:kx:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "sm4gcm:v1:../../etc:AAAA",
    ];
    for c in cases {
        let r = f.decrypt("f", c);
        assert!(
            matches!(r, Err(Error::Malformed(_) | Error::Decrypt)),
            "{c:?} -> {r:?}"
        );
    }
}

#[test]
fn a_value_under_an_unknown_key_says_which_key() {
    let (_k, f) = fields();
    let stored = f.encrypt("f", "v").replacen(":k1:", ":k9:", 1);
    match f.decrypt("f", &stored) {
        Err(Error::UnknownKey(id)) => assert_eq!(id, "k9"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn after_rotation_old_values_decrypt_and_new_values_use_the_new_key() {
    let (mut k, f) = fields();
    let old = f.encrypt("phone", "13812345678");
    let new_id = k.rotate_data_key().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(new_id, "k2");
    let new = f.encrypt("phone", "13912345678");
    assert_eq!(FieldCipher::key_id_of(&old), Some("k1"));
    assert_eq!(FieldCipher::key_id_of(&new), Some("k2"));
    assert_eq!(f.decrypt("phone", &old).ok().as_deref(), Some("13812345678"));
    assert_eq!(f.decrypt("phone", &new).ok().as_deref(), Some("13912345678"));
}

#[test]
fn the_same_value_gives_the_same_blind_index_after_normalizing() {
    let (_k, f) = fields();
    let a = f.blind_index("id_number", "33010219900101123x");
    assert_eq!(a, f.blind_index("id_number", " 33010219900101123X\t"));
    assert_eq!(a.len(), 64);
    assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_ne!(a, f.blind_index("id_number", "330102199001011234"));
}

#[test]
fn the_same_value_in_another_field_gives_another_blind_index() {
    let (_k, f) = fields();
    assert_ne!(f.blind_index("phone", "123"), f.blind_index("landline", "123"));
    // The separator keeps field and value apart: ("ab", "c") is not ("a", "bc").
    assert_ne!(f.blind_index("ab", "c"), f.blind_index("a", "bc"));
}

#[test]
fn blind_index_survives_data_key_rotation() {
    let (mut k, f) = fields();
    let before = f.blind_index("phone", "13812345678");
    k.rotate_data_key().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f.blind_index("phone", "13812345678"), before);
}

#[test]
fn stored_values_are_recognized_by_their_prefix() {
    let (_k, f) = fields();
    assert!(FieldCipher::is_encrypted(&f.encrypt("f", "v")));
    assert!(!FieldCipher::is_encrypted("13812345678"));
    assert!(FIELD_PREFIX.ends_with(':'));
}

#[test]
fn encrypted_bytes_round_trip_only_in_their_field_and_untampered() {
    let (_, f) = fields();
    let file = b"%PDF-1.4 \x00\xff binary".to_vec();
    let stored = f.encrypt_bytes("hall_files.body", &file);
    assert!(!stored.windows(8).any(|w| w == b"%PDF-1.4"));
    assert_eq!(
        &f.decrypt_bytes("hall_files.body", &stored).unwrap()[..],
        &file[..]
    );
    assert!(f.decrypt_bytes("other.body", &stored).is_err());
    let mut bad = stored.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert!(f.decrypt_bytes("hall_files.body", &bad).is_err());
    for junk in [&b""[..], &b"\x05ab"[..], &b"\xffshort"[..]] {
        assert!(f.decrypt_bytes("hall_files.body", junk).is_err());
    }
}
