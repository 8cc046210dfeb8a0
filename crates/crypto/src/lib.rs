//! Chinese national cryptography for Tongban and the keys it runs on: SM3 digests and HMAC-SM3,
//! SM2 signatures, SM4-GCM authenticated encryption, the keyring under `DATA_DIR/keys/` (data
//! keys and the platform signing key wrapped by a master key), field-level encryption of personal
//! data with blind indexes for equality lookup, and masking of personal data for display.
//!
//! It owns key material and never lets it out: no error, log line or `Debug` output carries a
//! key, a plaintext or a master key. It never touches the database or the network, and never
//! decides *who* may see a value unmasked: callers check the grant, this crate only transforms.

mod data_keys;
mod error;
pub mod field;
pub mod hash;
pub mod jws;
mod keyfile;
pub mod keyring;
pub mod mask;
pub mod reseal;
pub mod sign;
pub mod sm4gcm;
pub mod token;

pub use error::Error;
pub use field::FieldCipher;
pub use hash::{Digest, Sm3, hmac_sm3, sm3};
pub use keyring::{Keyring, MASTER_KEY_ENV};
pub use mask::{mask_credit_code, mask_email, mask_generic, mask_id_number, mask_name, mask_phone};
pub use reseal::{Sealed, SealedColumn, WrappedColumn};
pub use sign::{SigningKey, VerifyingKey};
pub use sm4gcm::Sm4GcmKey;
pub use zeroize::Zeroizing;

tongban_kernel::catalog!("crypto");
