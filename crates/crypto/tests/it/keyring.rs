use crate::{keys_dir, open, open_err};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use tongban_crypto::keyring::{
    ACCEPTED_MASTER_KEY_FILE, DATA_KEYS_FILE, MASTER_KEY_FILE, PLATFORM_KEY_FILE, PLATFORM_PUB_FILE,
    new_master_key_hex,
};
use tongban_crypto::{Error, Keyring, VerifyingKey};

fn mode(p: &Path) -> u32 {
    fs::metadata(p)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn first_open_creates_a_0700_dir_and_0600_key_files() {
    let (_tmp, dir) = keys_dir();
    open(&dir, None);
    assert_eq!(mode(&dir), 0o700);
    for f in [
        MASTER_KEY_FILE,
        DATA_KEYS_FILE,
        PLATFORM_KEY_FILE,
        PLATFORM_PUB_FILE,
    ] {
        assert_eq!(mode(&dir.join(f)), 0o600, "{f}");
    }
    assert_eq!(read(&dir.join(MASTER_KEY_FILE)).trim().len(), 64);
    // Nothing but the key files is left behind (no temporary files, no lock).
    let mut names: Vec<String> = fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            DATA_KEYS_FILE,
            MASTER_KEY_FILE,
            PLATFORM_KEY_FILE,
            PLATFORM_PUB_FILE
        ]
    );
}

#[test]
fn opening_the_same_dir_twice_yields_the_same_keys() {
    let (_tmp, dir) = keys_dir();
    let a = open(&dir, None);
    let b = open(&dir, None);
    assert_eq!(a.platform_verifier(), b.platform_verifier());
    assert_eq!(a.data_key_ids(), b.data_key_ids());
    let stored = a.fields().encrypt("phone", "13812345678");
    assert_eq!(
        b.fields().decrypt("phone", &stored).ok().as_deref(),
        Some("13812345678")
    );
    assert_eq!(
        a.fields().blind_index("phone", "13812345678"),
        b.fields().blind_index("phone", "13812345678")
    );
    let sig = a.platform_signer().sign(b"checkpoint");
    assert!(b.platform_verifier().verify(b"checkpoint", &sig));
}

#[test]
fn public_key_file_holds_the_platform_verifier_for_outside_checkers() {
    let (_tmp, dir) = keys_dir();
    let k = open(&dir, None);
    let on_disk = VerifyingKey::from_sec1_hex(&read(&dir.join(PLATFORM_PUB_FILE)));
    assert_eq!(on_disk.ok(), Some(k.platform_verifier()));
}

#[test]
fn a_wrong_master_key_fails_clearly_and_never_yields_keys() {
    let (_tmp, dir) = keys_dir();
    let right = new_master_key_hex();
    open(&dir, Some(&right));
    let wrong = new_master_key_hex();
    let e = open_err(&dir, Some(&wrong));
    assert!(matches!(e, Error::WrongMasterKey { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains("TONGBAN_MASTER_KEY") && text.contains("主密钥"),
        "{text}"
    );
    assert!(!text.contains(wrong.as_str()) && !text.contains(right.as_str()));
}

#[test]
fn a_master_key_from_the_environment_is_never_written_to_disk() {
    let (_tmp, dir) = keys_dir();
    let master = new_master_key_hex();
    let a = open(&dir, Some(&master));
    assert!(!dir.join(MASTER_KEY_FILE).exists());
    // Upper case and surrounding whitespace are accepted (as pasted into an env file).
    let b = open(&dir, Some(&format!(" {}\n", master.to_uppercase())));
    assert_eq!(a.platform_verifier(), b.platform_verifier());
    for f in [DATA_KEYS_FILE, PLATFORM_KEY_FILE] {
        assert!(!read(&dir.join(f)).contains(master.as_str()));
    }
}

#[test]
fn a_bad_master_key_in_the_environment_names_tongban_master_key() {
    let (_tmp, dir) = keys_dir();
    for bad in ["", "abc", &"ab".repeat(16), &"gg".repeat(32), &"ab".repeat(33)] {
        let e = open_err(&dir, Some(bad));
        assert!(matches!(e, Error::MasterKey(_)), "{e:?}");
        assert!(e.to_string().contains("TONGBAN_MASTER_KEY"), "{e}");
    }
}

#[test]
fn a_missing_master_key_file_is_refused_rather_than_replaced() {
    let (_tmp, dir) = keys_dir();
    open(&dir, None);
    let before = read(&dir.join(DATA_KEYS_FILE));
    fs::remove_file(dir.join(MASTER_KEY_FILE)).unwrap_or_else(|e| panic!("{e}"));
    let e = open_err(&dir, None);
    assert!(matches!(e, Error::MasterKey(_)), "{e:?}");
    assert!(!dir.join(MASTER_KEY_FILE).exists());
    assert_eq!(read(&dir.join(DATA_KEYS_FILE)), before);
}

#[test]
fn a_corrupt_master_key_file_is_a_key_file_error() {
    let (_tmp, dir) = keys_dir();
    open(&dir, None);
    fs::write(dir.join(MASTER_KEY_FILE), "not hex\n").unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(open_err(&dir, None), Error::KeyFile { .. }));
}

#[test]
fn a_wrapped_key_moved_to_another_slot_fails_authentication() {
    let (_tmp, dir) = keys_dir();
    let mut k = open(&dir, None);
    k.rotate_data_key().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.join(DATA_KEYS_FILE);
    let text = read(&path);
    // Swap the ids of k1 and k2, keeping their wrapped bytes: the AAD names the slot.
    let swapped = text
        .replace("\"k1\"", "\"tmp\"")
        .replace("\"k2\"", "\"k1\"")
        .replace("\"tmp\"", "\"k2\"");
    assert_ne!(swapped, text);
    fs::write(&path, swapped).unwrap_or_else(|e| panic!("{e}"));
    let e = open_err(&dir, None);
    assert!(matches!(e, Error::KeyFile { .. }), "{e:?}");
    assert!(e.to_string().contains("altered"), "{e}");
}

#[test]
fn malformed_data_keys_files_are_key_file_errors_never_panics() {
    let (_tmp, dir) = keys_dir();
    open(&dir, None);
    let path = dir.join(DATA_KEYS_FILE);
    let good = read(&path);
    let cases = [
        String::new(),
        "{".into(),
        "[]".into(),
        "{\"format\": \"tongban-keyring/1\"}".into(),
        good.replace("tongban-keyring/1", "other/9"),
        good.replace("\"k1\"", "\"key-one\""),
        good.replace("\"wrapped\": \"", "\"wrapped\": \"!!"),
        good.replace("\"data_keys\": [", "\"data_keys\": [] , \"x\": ["),
    ];
    for bad in cases {
        fs::write(&path, &bad).unwrap_or_else(|e| panic!("{e}"));
        let e = open_err(&dir, None);
        assert!(matches!(e, Error::KeyFile { .. }), "{bad:?} -> {e:?}");
    }
}

#[test]
fn a_replaced_public_key_file_is_detected() {
    let (_tmp, dir) = keys_dir();
    open(&dir, None);
    let other = Keyring::ephemeral().platform_verifier().to_sec1_hex();
    fs::write(dir.join(PLATFORM_PUB_FILE), other).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(open_err(&dir, None), Error::KeyFile { .. }));
}

#[test]
fn a_deleted_public_key_file_is_written_again() {
    let (_tmp, dir) = keys_dir();
    let k = open(&dir, None);
    fs::remove_file(dir.join(PLATFORM_PUB_FILE)).unwrap_or_else(|e| panic!("{e}"));
    open(&dir, None);
    assert_eq!(
        read(&dir.join(PLATFORM_PUB_FILE)).trim(),
        k.platform_verifier().to_sec1_hex()
    );
    assert_eq!(mode(&dir.join(PLATFORM_PUB_FILE)), 0o600);
}

#[test]
fn rotation_persists_and_the_newest_key_encrypts() {
    let (_tmp, dir) = keys_dir();
    let mut k = open(&dir, None);
    assert_eq!(k.active_data_key_id(), "k1");
    assert_eq!(k.rotate_data_key().ok().as_deref(), Some("k2"));
    assert_eq!(k.rotate_data_key().ok().as_deref(), Some("k3"));
    let again = open(&dir, None);
    assert_eq!(again.data_key_ids(), ["k1", "k2", "k3"]);
    assert_eq!(again.active_data_key_id(), "k3");
    assert_eq!(mode(&dir.join(DATA_KEYS_FILE)), 0o600);
    assert!(!dir.join("data-keys.lock").exists());
}

#[test]
fn a_rotation_by_another_process_is_picked_up_when_its_values_arrive() {
    let (_tmp, dir) = keys_dir();
    let server = open(&dir, None);
    let mut admin = open(&dir, None);
    admin.rotate_data_key().unwrap_or_else(|e| panic!("{e}"));
    let stored = admin.fields().encrypt("address", "杭州市西湖区文三路1号");
    assert!(stored.starts_with("sm4gcm:v1:k2:"));
    assert_eq!(
        server.fields().decrypt("address", &stored).ok().as_deref(),
        Some("杭州市西湖区文三路1号")
    );
    assert_eq!(server.active_data_key_id(), "k2");
}

#[test]
fn a_running_server_takes_up_a_rotation_by_refreshing_and_seals_under_the_new_key() {
    let (_tmp, dir) = keys_dir();
    let server = open(&dir, None);
    assert!(
        !server.refresh().unwrap_or_else(|e| panic!("{e}")),
        "nothing new yet"
    );
    let mut admin = open(&dir, None);
    admin.rotate_data_key().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        server
            .fields()
            .encrypt("address", "x")
            .starts_with("sm4gcm:v1:k1:")
    );
    assert!(server.refresh().unwrap_or_else(|e| panic!("{e}")));
    assert!(
        server
            .fields()
            .encrypt("address", "x")
            .starts_with("sm4gcm:v1:k2:")
    );
    assert!(Keyring::ephemeral().refresh().is_ok_and(|changed| !changed));
}

#[test]
fn rotations_from_two_handles_keep_every_key() {
    let (_tmp, dir) = keys_dir();
    let mut a = open(&dir, None);
    let mut b = open(&dir, None);
    let ka = a.rotate_data_key().unwrap_or_else(|e| panic!("{e}"));
    let v = a.fields().encrypt("f", "from a");
    let kb = b.rotate_data_key().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((ka.as_str(), kb.as_str()), ("k2", "k3"));
    assert_eq!(b.fields().decrypt("f", &v).ok().as_deref(), Some("from a"));
    assert_eq!(open(&dir, None).data_key_ids(), ["k1", "k2", "k3"]);
}

#[test]
fn a_rotation_in_progress_elsewhere_is_refused() {
    let (_tmp, dir) = keys_dir();
    let mut k = open(&dir, None);
    fs::write(dir.join("data-keys.lock"), "123\n").unwrap_or_else(|e| panic!("{e}"));
    let e = k.rotate_data_key().err();
    assert!(matches!(e, Some(Error::KeyFile { .. })), "{e:?}");
    assert_eq!(k.data_key_ids(), ["k1"]);
}

#[test]
fn concurrent_first_opens_agree_on_one_set_of_keys() {
    let (_tmp, dir) = keys_dir();
    let barrier = std::sync::Barrier::new(6);
    let keys: Vec<Keyring> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    open(&dir, None)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| panic!("thread panicked")))
            .collect()
    });
    let stored = keys[0].fields().encrypt("f", "v");
    for k in &keys {
        assert_eq!(k.platform_verifier(), keys[0].platform_verifier());
        assert_eq!(k.fields().decrypt("f", &stored).ok().as_deref(), Some("v"));
        assert_eq!(
            k.fields().blind_index("f", "v"),
            keys[0].fields().blind_index("f", "v")
        );
    }
}

#[test]
fn debug_output_carries_no_key_material() {
    let (_tmp, dir) = keys_dir();
    let k = open(&dir, None);
    let master = read(&dir.join(MASTER_KEY_FILE));
    let pem = k
        .platform_signer()
        .to_pkcs8_pem()
        .unwrap_or_else(|e| panic!("{e}"));
    let pem_body: String = pem.lines().nth(1).unwrap_or_default().to_string();
    for d in [
        format!("{k:?}"),
        format!("{:?}", k.fields()),
        format!("{:?}", k.platform_signer()),
    ] {
        assert!(!d.contains(master.trim()), "{d}");
        assert!(!d.contains(&pem_body), "{d}");
        assert!(d.contains(&k.platform_verifier().fingerprint()), "{d}");
    }
}

#[test]
fn keyring_is_cheap_to_share_across_threads() {
    fn shareable<T: Clone + Send + Sync + 'static>() {}
    shareable::<Keyring>();
    shareable::<tongban_crypto::FieldCipher>();
    let mut k = Keyring::ephemeral();
    let clone = k.clone();
    k.rotate_data_key().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(clone.active_data_key_id(), "k2");
}

#[test]
fn ephemeral_keyrings_hold_independent_random_keys() {
    let a = Keyring::ephemeral();
    let b = Keyring::ephemeral();
    assert!(a.keys_dir().is_none());
    assert_ne!(a.platform_verifier(), b.platform_verifier());
    assert_ne!(a.fields().blind_index("f", "v"), b.fields().blind_index("f", "v"));
    let stored = a.fields().encrypt("f", "v");
    assert!(matches!(b.fields().decrypt("f", &stored), Err(Error::Decrypt)));
}

#[test]
fn wrapped_secrets_open_only_for_their_purpose_and_keyring() {
    let (_tmp, dir) = keys_dir();
    let k = open(&dir, None);
    let w = k.wrap_secret("seal/dept-42", b"private bytes");
    let again = open(&dir, None);
    assert_eq!(
        again.unwrap_secret("seal/dept-42", &w).ok().map(|v| v.to_vec()),
        Some(b"private bytes".to_vec())
    );
    assert!(matches!(k.unwrap_secret("seal/dept-43", &w), Err(Error::Decrypt)));
    assert!(matches!(
        Keyring::ephemeral().unwrap_secret("seal/dept-42", &w),
        Err(Error::Decrypt)
    ));
    assert!(matches!(
        k.unwrap_secret("seal/dept-42", "%%%"),
        Err(Error::Malformed(_))
    ));
}

#[test]
fn a_master_key_in_the_files_rotates_while_another_process_keeps_working() {
    let (_tmp, dir) = keys_dir();
    let server = open(&dir, None);
    let sealed = server.fields().encrypt("address", "杭州市西湖区文三路1号");
    let seal_key = server.wrap_secret("seal/1", b"seal private key");
    let old = read(&dir.join(MASTER_KEY_FILE));
    let admin = open(&dir, None);
    let new = new_master_key_hex();
    admin
        .begin_master_rotation(&new)
        .unwrap_or_else(|e| panic!("{e}"));
    let rewrapped = admin
        .rewrap_secret("seal/1", &seal_key)
        .unwrap_or_else(|e| panic!("{e}"));
    admin
        .finish_master_rotation(&new)
        .unwrap_or_else(|e| panic!("{e}"));
    // The new key is the master key; the old one is accepted (so nothing can be lost).
    assert_eq!(read(&dir.join(MASTER_KEY_FILE)).trim(), new.as_str());
    assert_eq!(read(&dir.join(ACCEPTED_MASTER_KEY_FILE)).trim(), old.trim());
    assert_eq!(mode(&dir.join(ACCEPTED_MASTER_KEY_FILE)), 0o600);
    // What the admin wrapped opens in the running server, which reads the key files again
    // when something does not open, and wraps under the new key from then on.
    assert_eq!(
        server
            .unwrap_secret("seal/1", &rewrapped)
            .map(|s| s.to_vec())
            .ok(),
        Some(b"seal private key".to_vec())
    );
    assert!(server.wrapped_under_current("oidc/x", &server.wrap_secret("oidc/x", b"k")));
    assert!(!server.wrapped_under_current("seal/1", &seal_key));
    // A second rotation waits until the old key has been let go of.
    let again = admin.begin_master_rotation(&new_master_key_hex());
    assert!(
        matches!(again, Err(Error::MasterKey(ref m)) if m.to_string().contains("rewrap")),
        "{again:?}"
    );
    // Personal data is untouched (the data keys are the same, only wrapped anew).
    assert_eq!(
        server.fields().decrypt("address", &sealed).ok().as_deref(),
        Some("杭州市西湖区文三路1号")
    );
    // Without the old key the files open: they are wrapped under the new one.
    fs::remove_file(dir.join(ACCEPTED_MASTER_KEY_FILE)).unwrap_or_else(|e| panic!("{e}"));
    let fresh = open(&dir, None);
    assert_eq!(
        fresh.fields().decrypt("address", &sealed).ok().as_deref(),
        Some("杭州市西湖区文三路1号")
    );
    assert_eq!(fresh.platform_verifier(), server.platform_verifier());
    assert!(fresh.unwrap_secret("seal/1", &rewrapped).is_ok());
    assert!(
        fresh.unwrap_secret("seal/1", &seal_key).is_err(),
        "the old wrapping needs the old key"
    );
}

#[test]
fn a_master_key_from_the_environment_rotates_when_servers_accept_the_next_one_first() {
    let (_tmp, dir) = keys_dir();
    let old = new_master_key_hex();
    let new = new_master_key_hex();
    let _first = open(&dir, Some(&old));
    // 1. Servers restart accepting the next key; 2. the rotation wraps everything under it.
    let server = Keyring::open_accepting(&dir, Some(&old), Some(&new)).unwrap_or_else(|e| panic!("{e}"));
    let admin = Keyring::open_accepting(&dir, Some(&old), Some(&new)).unwrap_or_else(|e| panic!("{e}"));
    admin
        .begin_master_rotation(&new)
        .unwrap_or_else(|e| panic!("{e}"));
    admin
        .finish_master_rotation(&new)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !dir.join(MASTER_KEY_FILE).exists(),
        "a key from the environment is never written"
    );
    let wrapped = admin.wrap_secret("oidc/k", b"signing key");
    assert!(server.unwrap_secret("oidc/k", &wrapped).is_ok());
    assert!(server.refresh().is_ok(), "the rewrapped data keys still read");
    // 3. Servers restart on the new key alone.
    let after = open(&dir, Some(&new));
    assert!(after.unwrap_secret("oidc/k", &wrapped).is_ok());
    assert!(matches!(
        open_err(&dir, Some(&old)),
        Error::WrongMasterKey { .. } | Error::KeyFile { .. }
    ));
}

#[test]
fn a_master_rotation_cut_short_keeps_both_keys_and_is_finished_by_running_it_again() {
    let (_tmp, dir) = keys_dir();
    let first = open(&dir, None);
    let wrapped = first.wrap_secret("seal/9", b"seal key");
    let old = read(&dir.join(MASTER_KEY_FILE));
    let new = new_master_key_hex();
    // Cut short after the files were wrapped anew, before the rest was.
    first
        .begin_master_rotation(&new)
        .unwrap_or_else(|e| panic!("{e}"));
    drop(first);
    // Every process still opens everything: both keys are on disk.
    let next = open(&dir, None);
    assert!(next.unwrap_secret("seal/9", &wrapped).is_ok());
    assert_eq!(read(&dir.join(MASTER_KEY_FILE)), old);
    // The half-done rotation is found, and finished with its own key.
    let pending = next.pending_master_rotation().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pending.as_deref().map(String::as_str), Some(new.as_str()));
    next.begin_master_rotation(&new).unwrap_or_else(|e| panic!("{e}"));
    let again = next
        .rewrap_secret("seal/9", &wrapped)
        .unwrap_or_else(|e| panic!("{e}"));
    next.finish_master_rotation(&new)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(read(&dir.join(MASTER_KEY_FILE)).trim(), new.as_str());
    assert_eq!(read(&dir.join(ACCEPTED_MASTER_KEY_FILE)).trim(), old.trim());
    assert_eq!(
        next.pending_master_rotation()
            .ok()
            .flatten()
            .as_deref()
            .map(String::as_str),
        None
    );
    fs::remove_file(dir.join(ACCEPTED_MASTER_KEY_FILE)).unwrap_or_else(|e| panic!("{e}"));
    assert!(open(&dir, None).unwrap_secret("seal/9", &again).is_ok());
}
