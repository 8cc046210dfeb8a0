//! Chinese text tools shared by the data pool's ingestion standardizers and the checks on what
//! citizens write: reading GB18030/GBK and UTF-8 files as text, full-width to half-width and a
//! trim that knows U+3000, Chinese dates and numbers (`2026年1月2日`, `3.5万`), ID numbers, credit
//! codes and phones normalised into the kernel's typed values, code tables (性别, 是否, per-field
//! enumerations), per-field `Standardizer`s a catalog stores as JSON, header-to-field similarity
//! for suggesting column mappings, and detection and masking of personal data in free text.
//!
//! Everything here is a pure function of its input: it never touches storage, the network or
//! the clock, reads only from bytes or a reader it is handed, never panics on any input, and
//! returns its input borrowed when there is nothing to change.

pub mod date;
pub mod encoding;
pub mod enums;
mod error;
pub mod id;
pub mod number;
pub mod pii;
pub mod reply;
pub mod similarity;
pub mod standardize;
pub mod width;

pub use date::{parse_date, parse_datetime};
pub use encoding::{Decoded, DecodingReader, Encoding, decode, detect};
pub use enums::{EnumValue, Enumeration, Gender, parse_yes_no, yes_no_code};
pub use error::Error;
pub use id::{normalize_credit_code, normalize_id_number, normalize_phone};
pub use number::{Decimal, parse_number};
pub use pii::{PiiKind, PiiSpan, find_pii, mask_pii};

tongban_kernel::catalog!("text");
pub use similarity::{field_similarity, name_similarity, suggest_mapping};
pub use standardize::Standardizer;
pub use width::{clean, half_width, trim};
