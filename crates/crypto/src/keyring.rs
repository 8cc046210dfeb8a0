//! The keyring (密钥环): envelope keys kept under `DATA_DIR/keys/`.
//!
//! ```text
//! master key (32 bytes: TONGBAN_MASTER_KEY, or master.key)
//!   └─ KEK = first 16 bytes of SM3("tongban/keyring/v1/kek" || 0x00 || master key)
//!        ├─ data keys k1, k2, …  SM4, wrapped in data-keys.json; the newest encrypts, all decrypt
//!        ├─ blind-index key      32 bytes, wrapped in data-keys.json
//!        └─ platform SM2 key     PKCS#8 PEM, wrapped in platform-sm2.key (public: platform-sm2.pub)
//! ```
//!
//! Every wrapped value is SM4-GCM with associated data naming what it is (`…/data-key/k1`), so a
//! wrapped key moved to another slot, or any key opened under another master key, fails its
//! authentication tag instead of yielding garbage. Files are created whole (written to a temporary
//! file, then hard-linked into place) with mode 0600 in a 0700 directory, so two processes
//! opening a fresh directory at once agree on one set of keys.

use crate::data_keys::{BLIND_KEY_ID, BlindKey, DataKey, DataKeys, DataKeysFile, WrappedEntry, key_number};
use crate::hash::sm3;
use crate::keyfile::{RotationLock, create_file, ensure_private_dir, read_key_file, replace_file};
use crate::sign::{SigningKey, VerifyingKey};
use crate::sm4gcm::Sm4GcmKey;
use crate::{Error, FieldCipher};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rand_core::{OsRng, RngCore};
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use tongban_kernel::Millis;
use tongban_kernel::{Msg, msg};
use zeroize::Zeroizing;

/// The environment variable that may hold the master key (64 hex characters).
pub const MASTER_KEY_ENV: &str = "TONGBAN_MASTER_KEY";

/// The master key file, used when [`MASTER_KEY_ENV`] is not set.
pub const MASTER_KEY_FILE: &str = "master.key";
/// Another master key whose wrapped keys are accepted too, used when the master key comes from
/// [`MASTER_KEY_FILE`]: the one before a rotation (written by [`Keyring::finish_master_rotation`]).
pub const ACCEPTED_MASTER_KEY_FILE: &str = "master.key.accepted";
/// The environment variable naming an accepted master key when the master key comes from the
/// environment: the next key, set on every server before a rotation, or the previous one after.
pub const ACCEPTED_MASTER_KEY_ENV: &str = "TONGBAN_ACCEPTED_MASTER_KEY";

/// The wrapped data keys and blind-index key.
pub const DATA_KEYS_FILE: &str = "data-keys.json";
/// The wrapped platform SM2 private key.
pub const PLATFORM_KEY_FILE: &str = "platform-sm2.key";
/// The platform SM2 public key as SEC1 hex, for outside verifiers of ledger checkpoints.
pub const PLATFORM_PUB_FILE: &str = "platform-sm2.pub";

pub(crate) fn aad(slot: &str) -> Vec<u8> {
    format!("tongban/keyring/v1/{slot}").into_bytes()
}

/// Key-encryption key from the master key: SM3 with a domain label, truncated to SM4's 16 bytes.
fn derive_kek(master: &[u8; 32]) -> Sm4GcmKey {
    let mut input = Zeroizing::new(Vec::with_capacity(64));
    input.extend_from_slice(b"tongban/keyring/v1/kek\0");
    input.extend_from_slice(master);
    let digest = Zeroizing::new(sm3(&input));
    match Sm4GcmKey::from_bytes(&digest[..16]) {
        Ok(k) => k,
        Err(_) => unreachable!("16 bytes make an SM4 key"),
    }
}

/// A fresh random master key as 64 hex characters (what `TONGBAN_MASTER_KEY` expects).
pub fn new_master_key_hex() -> Zeroizing<String> {
    let mut k = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(k.as_mut());
    Zeroizing::new(hex::encode(k.as_ref()))
}

fn parse_master_hex(text: &str) -> Result<Zeroizing<[u8; 32]>, Msg> {
    let t = text.trim();
    let n = t.chars().count();
    if n != 64 {
        return Err(msg!("must-be-64-hex-characters-32", n = n));
    }
    let mut out = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(t, out.as_mut()).map_err(|_| msg!("contains-characters-are-not").to_string())?;
    Ok(out)
}

/// The key-encryption keys: the current one wraps, any of them opens.
#[derive(Clone)]
pub(crate) struct Keks {
    current: Sm4GcmKey,
    accepted: Vec<Sm4GcmKey>,
}

impl Keks {
    fn of(master: &[u8; 32], accepted: &[Zeroizing<[u8; 32]>]) -> Keks {
        Keks {
            current: derive_kek(master),
            accepted: accepted.iter().map(|k| derive_kek(k)).collect(),
        }
    }

    /// Opens what any of the keys wrapped.
    pub(crate) fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        let mut result = self.current.open(aad, sealed);
        for other in &self.accepted {
            if !matches!(result, Err(Error::Decrypt)) {
                break;
            }
            result = other.open(aad, sealed);
        }
        result
    }

    /// Opens what the current key wrapped, and only that.
    fn open_current(&self, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        self.current.open(aad, sealed)
    }

    fn same_as(&self, other: &Keks) -> bool {
        self.current.as_bytes() == other.current.as_bytes()
            && self.accepted.len() == other.accepted.len()
            && self
                .accepted
                .iter()
                .zip(&other.accepted)
                .all(|(a, b)| a.as_bytes() == b.as_bytes())
    }

    fn seal(&self, aad: &[u8], plain: &[u8]) -> Vec<u8> {
        self.current.seal(aad, plain)
    }
}

struct Inner {
    dir: Option<PathBuf>,
    /// Whether the master key came from the caller (the environment) rather than the files.
    master_given: bool,
    keks: RwLock<Keks>,
    data: RwLock<DataKeys>,
    blind: BlindKey,
    platform: SigningKey,
}

/// The platform's keys: data keys for field encryption, the blind-index key, the platform SM2
/// signing key, and the key-encryption key that wraps them. Cheap to clone; clones share state,
/// so a rotation is seen by every clone and every [`FieldCipher`]. Debug prints no key material.
#[derive(Clone)]
pub struct Keyring {
    inner: Arc<Inner>,
}

impl Keyring {
    /// Opens the keyring in `keys_dir`, creating the directory (0700) and any missing key
    /// (0600) on first run.
    ///
    /// `master_key` is the value of `TONGBAN_MASTER_KEY` if set: 64 hex characters. Without it
    /// the master key is read from `keys_dir/master.key`, or generated there on first run. A
    /// master key that does not open the existing keys is [`Error::WrongMasterKey`].
    pub fn open(keys_dir: &Path, master_key: Option<&str>) -> Result<Keyring, Error> {
        Keyring::open_accepting(keys_dir, master_key, None)
    }

    /// [`open`](Self::open), accepting keys wrapped under `accepted` too (when the master key is
    /// given; otherwise [`ACCEPTED_MASTER_KEY_FILE`] is read when present). New keys are always
    /// wrapped under the master key.
    pub fn open_accepting(
        keys_dir: &Path,
        master_key: Option<&str>,
        accepted: Option<&str>,
    ) -> Result<Keyring, Error> {
        ensure_private_dir(keys_dir)?;
        let master = load_master(keys_dir, master_key)?;
        let accepted = match (master_key, accepted) {
            (Some(_), Some(text)) => parse_master_list(text)
                .map_err(|why| Error::MasterKey(format!("{ACCEPTED_MASTER_KEY_ENV} {why}").into()))?,
            (Some(_), None) => Vec::new(),
            (None, _) => load_accepted(keys_dir)?,
        };
        let keks = Keks::of(&master, &accepted);
        drop(master);
        let (data, blind) = load_or_create_data_keys(keys_dir, &keks)?;
        let platform = load_or_create_platform_key(keys_dir, &keks)?;
        tracing::info!(
            keys_dir = %keys_dir.display(),
            active_data_key = data.active().map(|k| k.id.as_str()).unwrap_or(""),
            data_keys = data.0.len(),
            platform_key = %platform.verifying_key().fingerprint(),
            "keyring opened"
        );
        Ok(Keyring {
            inner: Arc::new(Inner {
                dir: Some(keys_dir.to_path_buf()),
                master_given: master_key.is_some(),
                keks: RwLock::new(keks),
                data: RwLock::new(data),
                blind,
                platform,
            }),
        })
    }

    /// An in-memory keyring with fresh random keys, gone when dropped (for tests and demos).
    pub fn ephemeral() -> Keyring {
        let mut master = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(master.as_mut());
        Keyring {
            inner: Arc::new(Inner {
                dir: None,
                master_given: true,
                keks: RwLock::new(Keks::of(&master, &[])),
                data: RwLock::new(DataKeys(vec![DataKey {
                    id: "k1".into(),
                    number: 1,
                    key: Sm4GcmKey::generate(),
                }])),
                blind: BlindKey::generate(),
                platform: SigningKey::generate(),
            }),
        }
    }

    /// Field encryption and blind indexes under this keyring's keys.
    pub fn fields(&self) -> FieldCipher {
        FieldCipher::new(self.clone())
    }

    /// The directory this keyring lives in (`None` for an ephemeral one).
    pub fn keys_dir(&self) -> Option<&Path> {
        self.inner.dir.as_deref()
    }

    /// The key that signs ledger checkpoints.
    pub fn platform_signer(&self) -> &SigningKey {
        &self.inner.platform
    }

    /// The public half of [`platform_signer`](Self::platform_signer).
    pub fn platform_verifier(&self) -> VerifyingKey {
        self.inner.platform.verifying_key()
    }

    /// The id of the data key new values are encrypted under.
    pub fn active_data_key_id(&self) -> String {
        self.read_data()
            .active()
            .map(|k| k.id.clone())
            .unwrap_or_default()
    }

    /// Ids of every data key this keyring can decrypt with, oldest first.
    pub fn data_key_ids(&self) -> Vec<String> {
        self.read_data().0.iter().map(|k| k.id.clone()).collect()
    }

    /// Adds a new data key and makes it active; older keys still decrypt. Returns the new id.
    /// On disk the file is re-read under a lock (`data-keys.lock`) and replaced atomically, so
    /// keys added by another process are kept. Every clone of this keyring sees the new key.
    pub fn rotate_data_key(&mut self) -> Result<String, Error> {
        let Some(dir) = self.inner.dir.clone() else {
            let mut data = self.write_data();
            let number = data.max_number() + 1;
            let id = format!("k{number}");
            data.0.push(DataKey {
                id: id.clone(),
                number,
                key: Sm4GcmKey::generate(),
            });
            return Ok(id);
        };
        let _lock = RotationLock::acquire(&dir)?;
        let path = dir.join(DATA_KEYS_FILE);
        let text =
            read_key_file(&path)?.ok_or_else(|| Error::key_file(&path, msg!("file-has-disappeared")))?;
        let mut file = DataKeysFile::parse(&path, &text)?;
        let keks = self.keks();
        let (mut keys, blind) = file.unwrap_all(&path, &keks)?;
        if blind.as_bytes() != self.inner.blind.as_bytes() {
            return Err(Error::key_file(&path, msg!("blind-index-key-differs")));
        }
        let number = keys.max_number() + 1;
        let id = format!("k{number}");
        let key = Sm4GcmKey::generate();
        file.data_keys.push(WrappedEntry {
            id: id.clone(),
            created_ms: Millis::now().0,
            wrapped: B64.encode(keks.seal(&aad(&format!("data-key/{id}")), key.as_bytes())),
        });
        replace_file(&path, file.render().as_bytes())?;
        keys.0.push(DataKey {
            id: id.clone(),
            number,
            key,
        });
        *self.write_data() = keys;
        tracing::info!(key_id = %id, keys_dir = %dir.display(), "data key rotated");
        Ok(id)
    }

    /// Wraps another secret (a department seal key, the OIDC signing key) under the master key
    /// for storage; `purpose` is bound as associated data and must be given again to unwrap.
    pub fn wrap_secret(&self, purpose: &str, secret: &[u8]) -> String {
        // Wrapped under the newest master key: another process may have rotated it.
        if let Err(e) = self.refresh_master() {
            tracing::warn!(error = %e, "reading the master key files failed");
        }
        self.wrap_now(purpose, secret)
    }

    /// Wraps under this keyring's current master key as it stands (a rotation in progress
    /// here has set it; the files may not say so yet).
    fn wrap_now(&self, purpose: &str, secret: &[u8]) -> String {
        B64.encode(self.keks().seal(&aad(&format!("secret/{purpose}")), secret))
    }

    /// Whether a value [`wrap_secret`](Self::wrap_secret) made is wrapped under the current
    /// master key (not only under an accepted one).
    pub fn wrapped_under_current(&self, purpose: &str, wrapped: &str) -> bool {
        B64.decode(wrapped.trim()).is_ok_and(|sealed| {
            self.keks()
                .open_current(&aad(&format!("secret/{purpose}")), &sealed)
                .is_ok()
        })
    }

    /// Opens a value made by [`wrap_secret`](Self::wrap_secret) with the same `purpose`.
    pub fn unwrap_secret(&self, purpose: &str, wrapped: &str) -> Result<Zeroizing<Vec<u8>>, Error> {
        let sealed = B64
            .decode(wrapped.trim())
            .map_err(|_| Error::Malformed(msg!("wrapped-secret-base64")))?;
        let slot = aad(&format!("secret/{purpose}"));
        match self.keks().open(&slot, &sealed) {
            // Another process may have rotated the master key: read the key files once more.
            Err(Error::Decrypt) if self.refresh_master()? => self.keks().open(&slot, &sealed),
            done => done,
        }
    }

    /// A value [`wrap_secret`](Self::wrap_secret) made for `purpose` (under either accepted
    /// master key), wrapped again under the current one.
    pub fn rewrap_secret(&self, purpose: &str, wrapped: &str) -> Result<String, Error> {
        let secret = self.unwrap_secret(purpose, wrapped)?;
        Ok(self.wrap_now(purpose, &secret))
    }

    /// Starts replacing the master key with `new_master` (64 hex characters): from now on this
    /// keyring wraps under it and opens what either wrapped, and the data keys, the blind-index
    /// key and the platform key are wrapped again under it in their files. When the master key
    /// lives in [`MASTER_KEY_FILE`], the new one is first written to
    /// [`ACCEPTED_MASTER_KEY_FILE`], so every process accepts both at every step. The caller
    /// then rewraps what it keeps elsewhere ([`rewrap_secret`](Self::rewrap_secret)) and calls
    /// [`finish_master_rotation`](Self::finish_master_rotation). Starting again with the same
    /// key after a failure is safe. A rotation is refused while a previous master key is still
    /// accepted from the files ([`pending_master_rotation`](Self::pending_master_rotation) says
    /// whether one was left half done).
    pub fn begin_master_rotation(&self, new_master: &str) -> Result<(), Error> {
        let dir = self.rotating_dir()?;
        let new = parse_master_hex(new_master).map_err(Error::MasterKey)?;
        let _lock = RotationLock::acquire(&dir)?;
        let old = self.keks();
        if !self.inner.master_given {
            let accepted = load_accepted(&dir)?;
            let resuming = accepted.len() == 1 && accepted[0].as_ref() == new.as_ref();
            if !accepted.is_empty() && !resuming {
                return Err(Error::MasterKey(format!(
                    "{ACCEPTED_MASTER_KEY_FILE} 仍保存着上次轮换前的主密钥：确认所有密钥都已在当前主密钥下（tongban keys rewrap）并另行保管后删除它，再轮换 / \
                     {ACCEPTED_MASTER_KEY_FILE} still holds the master key from before the last rotation: run tongban keys rewrap, escrow it, delete it, then rotate"
                ).into()));
            }
            // Both keys open everything from here on, whatever happens next.
            replace_file(
                &dir.join(ACCEPTED_MASTER_KEY_FILE),
                format!("{new_master}\n").as_bytes(),
            )?;
        }
        let next = Keks {
            current: derive_kek(&new),
            accepted: std::iter::once(old.current.clone())
                .chain(old.accepted.iter().cloned())
                .collect(),
        };
        let path = dir.join(DATA_KEYS_FILE);
        let text =
            read_key_file(&path)?.ok_or_else(|| Error::key_file(&path, msg!("file-has-disappeared")))?;
        let mut file = DataKeysFile::parse(&path, &text)?;
        let (keys, blind) = file.unwrap_all(&path, &next)?;
        for entry in &mut file.data_keys {
            if let Some(k) = keys.find(&entry.id) {
                entry.wrapped =
                    B64.encode(next.seal(&aad(&format!("data-key/{}", entry.id)), k.key.as_bytes()));
            }
        }
        file.blind_index_key.wrapped = B64.encode(next.seal(&aad("blind-index-key"), blind.as_bytes()));
        replace_file(&path, file.render().as_bytes())?;
        let pem = self.inner.platform.to_pkcs8_pem()?;
        let wrapped = format!(
            "{}\n",
            B64.encode(next.seal(&aad("platform-sm2"), pem.as_bytes()))
        );
        replace_file(&dir.join(PLATFORM_KEY_FILE), wrapped.as_bytes())?;
        *self.inner.keks.write().unwrap_or_else(PoisonError::into_inner) = next;
        Ok(())
    }

    /// Ends a rotation begun with [`begin_master_rotation`](Self::begin_master_rotation) once
    /// everything is wrapped under `new_master`: with the master key in the files, the new key
    /// becomes [`MASTER_KEY_FILE`] and the old one stays accepted in
    /// [`ACCEPTED_MASTER_KEY_FILE`] — both keys are on disk at every step.
    pub fn finish_master_rotation(&self, new_master: &str) -> Result<(), Error> {
        let dir = self.rotating_dir()?;
        if self.inner.master_given {
            return Ok(());
        }
        let _lock = RotationLock::acquire(&dir)?;
        let master_path = dir.join(MASTER_KEY_FILE);
        let old = read_key_file(&master_path)?
            .ok_or_else(|| Error::key_file(&master_path, msg!("file-has-disappeared")))?;
        let old = old.trim();
        let accepted_path = dir.join(ACCEPTED_MASTER_KEY_FILE);
        replace_file(&accepted_path, format!("{new_master}\n{old}\n").as_bytes())?;
        replace_file(&master_path, format!("{new_master}\n").as_bytes())?;
        replace_file(&accepted_path, format!("{old}\n").as_bytes())?;
        self.refresh_master()?;
        tracing::info!(keys_dir = %dir.display(), "master key rotated");
        Ok(())
    }

    /// The new master key of a rotation left half done (its key files already wrapped under
    /// the key in [`ACCEPTED_MASTER_KEY_FILE`], not yet under [`MASTER_KEY_FILE`]), to begin
    /// again with.
    pub fn pending_master_rotation(&self) -> Result<Option<Zeroizing<String>>, Error> {
        let (Some(dir), false) = (&self.inner.dir, self.inner.master_given) else {
            return Ok(None);
        };
        let path = dir.join(ACCEPTED_MASTER_KEY_FILE);
        let Some(text) = read_key_file(&path)? else {
            return Ok(None);
        };
        let master = read_key_file(&dir.join(MASTER_KEY_FILE))?.unwrap_or_default();
        let Some(data) = read_key_file(&dir.join(DATA_KEYS_FILE))? else {
            return Ok(None);
        };
        let file = DataKeysFile::parse(&dir.join(DATA_KEYS_FILE), &data)?;
        let under = |hex: &str| -> bool {
            parse_master_hex(hex).is_ok_and(|k| {
                let keks = Keks::of(&k, &[]);
                file.unwrap_all(&dir.join(DATA_KEYS_FILE), &keks).is_ok()
            })
        };
        let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        Ok(match lines.as_slice() {
            [next] if under(next) && !under(&master) => Some(Zeroizing::new((*next).to_string())),
            _ => None,
        })
    }

    fn rotating_dir(&self) -> Result<PathBuf, Error> {
        self.inner
            .dir
            .clone()
            .ok_or_else(|| Error::MasterKey(msg!("ephemeral-keyring-has-no")))
    }

    pub(crate) fn active_data_key(&self) -> (String, Sm4GcmKey) {
        let data = self.read_data();
        match data.active() {
            Some(k) => (k.id.clone(), k.key.clone()),
            None => unreachable!("a keyring always holds at least one data key"),
        }
    }

    /// The data key `id`. An id newer than any held means another process rotated: the file is
    /// read again once to pick it up.
    pub(crate) fn data_key(&self, id: &str) -> Result<Sm4GcmKey, Error> {
        let Some(number) = key_number(id) else {
            return Err(Error::Malformed(msg!("key-id-look-like")));
        };
        let max = {
            let data = self.read_data();
            if let Some(k) = data.find(id) {
                return Ok(k.key.clone());
            }
            data.max_number()
        };
        if number > max
            && let Some(dir) = &self.inner.dir
        {
            self.reload(dir)?;
            if let Some(k) = self.read_data().find(id) {
                return Ok(k.key.clone());
            }
        }
        Err(Error::UnknownKey(id.to_string()))
    }

    /// Takes up data keys another process added (`tongban keys rotate` while the server runs):
    /// from then on new values are sealed under the newest. Returns whether the active key
    /// changed. An ephemeral keyring has nothing to read.
    pub fn refresh(&self) -> Result<bool, Error> {
        let Some(dir) = &self.inner.dir else {
            return Ok(false);
        };
        self.refresh_master()?;
        let before = self.active_data_key_id();
        self.reload(dir)?;
        Ok(self.active_data_key_id() != before)
    }

    /// Takes up a master key rotated by another process, when the master key lives in the key
    /// files. Returns whether the keys changed.
    fn refresh_master(&self) -> Result<bool, Error> {
        let (Some(dir), false) = (&self.inner.dir, self.inner.master_given) else {
            return Ok(false);
        };
        let path = dir.join(MASTER_KEY_FILE);
        let Some(text) = read_key_file(&path)? else {
            return Ok(false);
        };
        let master = parse_master_hex(&text).map_err(|why| Error::key_file(&path, why))?;
        let accepted = load_accepted(dir)?;
        let keks = Keks::of(&master, &accepted);
        let mut current = self.inner.keks.write().unwrap_or_else(PoisonError::into_inner);
        if current.same_as(&keks) {
            return Ok(false);
        }
        *current = keks;
        tracing::info!(keys_dir = %dir.display(), "master key change taken up");
        Ok(true)
    }

    fn keks(&self) -> Keks {
        self.inner
            .keks
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn reload(&self, dir: &Path) -> Result<(), Error> {
        let path = dir.join(DATA_KEYS_FILE);
        let Some(text) = read_key_file(&path)? else {
            return Ok(());
        };
        let (keys, blind) = DataKeysFile::parse(&path, &text)?.unwrap_all(&path, &self.keks())?;
        let mut data = self.write_data();
        let keeps_all = data.0.iter().all(|k| keys.find(&k.id).is_some());
        if blind.as_bytes() == self.inner.blind.as_bytes() && keeps_all {
            *data = keys;
        } else {
            tracing::warn!(path = %path.display(), "data-keys.json changed incompatibly on disk; not reloaded");
        }
        Ok(())
    }

    pub(crate) fn blind_key(&self) -> &BlindKey {
        &self.inner.blind
    }

    fn read_data(&self) -> std::sync::RwLockReadGuard<'_, DataKeys> {
        self.inner.data.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_data(&self) -> std::sync::RwLockWriteGuard<'_, DataKeys> {
        self.inner.data.write().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("keys_dir", &self.inner.dir)
            .field("data_keys", &self.data_key_ids())
            .field("platform_key", &self.platform_verifier().fingerprint())
            .finish_non_exhaustive()
    }
}

fn load_master(dir: &Path, from_env: Option<&str>) -> Result<Zeroizing<[u8; 32]>, Error> {
    if let Some(text) = from_env {
        tracing::debug!("master key taken from {MASTER_KEY_ENV}");
        return parse_master_hex(text)
            .map_err(|why| Error::MasterKey(format!("{MASTER_KEY_ENV} {why}").into()));
    }
    let path = dir.join(MASTER_KEY_FILE);
    let from_file = |text: &str| parse_master_hex(text).map_err(|why| Error::key_file(&path, why));
    if let Some(text) = read_key_file(&path)? {
        return from_file(&text);
    }
    let wrapped_exist = [DATA_KEYS_FILE, PLATFORM_KEY_FILE]
        .iter()
        .any(|f| dir.join(f).exists());
    if wrapped_exist {
        return Err(Error::MasterKey(format!(
            "{} 不存在，但 {} 中已有用主密钥封装的密钥；请设置 {MASTER_KEY_ENV} 或恢复 {MASTER_KEY_FILE} / \
             {MASTER_KEY_FILE} is missing but {} holds keys wrapped by a master key: set {MASTER_KEY_ENV} or restore {MASTER_KEY_FILE}",
            path.display(),
            dir.display(),
            dir.display()
        ).into()));
    }
    let fresh = new_master_key_hex();
    if create_file(&path, format!("{}\n", fresh.as_str()).as_bytes())? {
        tracing::info!(path = %path.display(), "new master key created; back it up, or move it into {MASTER_KEY_ENV}");
        return from_file(&fresh);
    }
    // Another process created it first: use theirs.
    let text = read_key_file(&path)?.ok_or_else(|| Error::key_file(&path, msg!("file-has-disappeared")))?;
    from_file(&text)
}

/// The accepted master keys of [`ACCEPTED_MASTER_KEY_FILE`] (one a line), when there are any.
fn load_accepted(dir: &Path) -> Result<Vec<Zeroizing<[u8; 32]>>, Error> {
    let path = dir.join(ACCEPTED_MASTER_KEY_FILE);
    match read_key_file(&path)? {
        Some(text) => parse_master_list(&text).map_err(|why| Error::key_file(&path, why)),
        None => Ok(Vec::new()),
    }
}

/// Master keys separated by white space or commas.
fn parse_master_list(text: &str) -> Result<Vec<Zeroizing<[u8; 32]>>, Msg> {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .map(parse_master_hex)
        .collect()
}

fn load_or_create_data_keys(dir: &Path, kek: &Keks) -> Result<(DataKeys, BlindKey), Error> {
    let path = dir.join(DATA_KEYS_FILE);
    if let Some(text) = read_key_file(&path)? {
        return DataKeysFile::parse(&path, &text)?.unwrap_all(&path, kek);
    }
    let now = Millis::now().0;
    let data_key = Sm4GcmKey::generate();
    let blind = BlindKey::generate();
    let file = DataKeysFile {
        data_keys: vec![WrappedEntry {
            id: "k1".into(),
            created_ms: now,
            wrapped: B64.encode(kek.seal(&aad("data-key/k1"), data_key.as_bytes())),
        }],
        blind_index_key: WrappedEntry {
            id: BLIND_KEY_ID.into(),
            created_ms: now,
            wrapped: B64.encode(kek.seal(&aad("blind-index-key"), blind.as_bytes())),
        },
    };
    if create_file(&path, file.render().as_bytes())? {
        let keys = DataKeys(vec![DataKey {
            id: "k1".into(),
            number: 1,
            key: data_key,
        }]);
        return Ok((keys, blind));
    }
    let text = read_key_file(&path)?.ok_or_else(|| Error::key_file(&path, msg!("file-has-disappeared")))?;
    DataKeysFile::parse(&path, &text)?.unwrap_all(&path, kek)
}

fn load_or_create_platform_key(dir: &Path, kek: &Keks) -> Result<SigningKey, Error> {
    let path = dir.join(PLATFORM_KEY_FILE);
    let slot = aad("platform-sm2");
    let signer = match read_key_file(&path)? {
        Some(text) => open_platform_key(&path, kek, &slot, &text)?,
        None => {
            let fresh = SigningKey::generate();
            let pem = fresh.to_pkcs8_pem()?;
            let wrapped = format!("{}\n", B64.encode(kek.seal(&slot, pem.as_bytes())));
            if create_file(&path, wrapped.as_bytes())? {
                fresh
            } else {
                let text = read_key_file(&path)?
                    .ok_or_else(|| Error::key_file(&path, msg!("file-has-disappeared")))?;
                open_platform_key(&path, kek, &slot, &text)?
            }
        }
    };
    let pub_path = dir.join(PLATFORM_PUB_FILE);
    let expected = signer.verifying_key().to_sec1_hex();
    let on_disk = match read_key_file(&pub_path)? {
        Some(text) => text,
        None if create_file(&pub_path, format!("{expected}\n").as_bytes())? => expected.clone(),
        None => read_key_file(&pub_path)?.unwrap_or_default(),
    };
    if !on_disk.trim().eq_ignore_ascii_case(&expected) {
        return Err(Error::key_file(
            &pub_path,
            msg!("does-not-match-platform", platform_key_file = PLATFORM_KEY_FILE),
        ));
    }
    Ok(signer)
}

fn open_platform_key(path: &Path, kek: &Keks, slot: &[u8], text: &str) -> Result<SigningKey, Error> {
    let sealed = B64
        .decode(text.trim())
        .map_err(|_| Error::key_file(path, msg!("not-base64")))?;
    let pem = kek
        .open(slot, &sealed)
        .map_err(|_| Error::key_file(path, msg!("does-not-open-under")))?;
    let pem = std::str::from_utf8(&pem).map_err(|_| Error::key_file(path, msg!("content-not-pem")))?;
    SigningKey::from_pkcs8_pem(pem).map_err(|_| Error::key_file(path, msg!("content-not-sm2-private")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_key_must_be_64_hex_characters() {
        assert!(parse_master_hex(&"ab".repeat(32)).is_ok());
        assert!(parse_master_hex(&format!("  {}\n", "AB".repeat(32))).is_ok());
        for bad in [
            "",
            "abc",
            &"ab".repeat(31),
            &"ab".repeat(33),
            &"zz".repeat(32),
            &"é".repeat(64),
        ] {
            assert!(parse_master_hex(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_kek_depends_on_every_byte_of_the_master_key() {
        let a = [1u8; 32];
        let mut b = a;
        b[31] = 2;
        assert_ne!(derive_kek(&a).as_bytes(), derive_kek(&b).as_bytes());
    }
}
