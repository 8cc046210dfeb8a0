//! The seal crate's vocabulary: seals with their public certificates, licence documents, the
//! signature structure over them, and the stored licence records.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tongban_kernel::{DeptPath, Millis};

define_id!(
    /// A department seal.
    SealId
);
define_id!(
    /// An issued e-licence (its record; people use the licence number).
    LicenceId
);

coded_enum! {
    /// The kind of seal (印章类型).
    SealType {
        /// 公章.
        Official = "official", "公章", "Official seal";
        /// 业务专用章.
        Business = "business", "业务专用章", "Business seal";
        /// 证照专用章.
        Licence = "licence", "证照专用章", "Licence seal";
    }
}

coded_enum! {
    /// Who holds a licence.
    HolderKind {
        /// A natural person, identified by the 身份证号.
        Person = "person", "自然人", "Natural person";
        /// A legal person or other organisation, identified by the 统一社会信用代码.
        Organisation = "organisation", "法人或其他组织", "Organisation";
    }
}

coded_enum! {
    /// A licence's state as of a day.
    LicenceStatus {
        /// In force.
        Valid = "valid", "有效", "Valid";
        /// Revoked by the issuing department.
        Revoked = "revoked", "已注销", "Revoked";
        /// Past its last valid day.
        Expired = "expired", "已过期", "Expired";
    }
}

/// The department that owns a seal and issues with it, as recorded at the time (the seal crate
/// never reads identity's tables).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issuer {
    /// Identity's department id.
    pub id: String,
    /// Place in the org tree, `/3301/3301-SCJ/`.
    pub path: DeptPath,
    /// The department's Chinese name.
    pub name_zh: String,
}

/// A seal picture (印模): PNG or JPEG, at most [`crate::MAX_PICTURE_BYTES`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealPicture {
    /// `image/png` or `image/jpeg`.
    pub media_type: String,
    /// The image file.
    pub bytes: Vec<u8>,
}

/// What a department administrator gives to make a seal.
#[derive(Debug, Clone)]
pub struct SealInput {
    /// The name on the seal, `某某市市场监督管理局证照专用章`.
    pub name: String,
    /// Its kind.
    pub seal_type: SealType,
    /// First day it may sign.
    pub valid_from: Date,
    /// Last day it may sign.
    pub valid_to: Date,
    /// An optional picture of the seal impression.
    pub picture: Option<SealPicture>,
}

/// The picture as the certificate names it: its type and SM3 digest (the image itself stays in
/// the database and is served with the licence page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PictureRef {
    /// Its media type.
    pub media_type: String,
    /// Lower-case hex SM3 of the image bytes.
    pub sm3: String,
}

/// A seal's public certificate, in the shape of GB/T 38540's seal data (印章数据): who owns it,
/// its validity and SM2 public key, signed by the platform as 制章者 (seal maker). It is what
/// `tongban seal export-certs` writes and what every signature structure embeds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealCertificate {
    /// Structure version (4, after the standard's current seal structure).
    pub version: u32,
    /// The seal's id.
    pub seal_id: String,
    /// The name on the seal.
    pub name: String,
    /// Its kind.
    pub seal_type: SealType,
    /// The owning department.
    pub issuer: Issuer,
    /// First day it may sign.
    pub valid_from: Date,
    /// Last day it may sign.
    pub valid_to: Date,
    /// The seal's SM2 public key, SEC1 uncompressed, lower-case hex.
    pub public_key: String,
    /// The seal picture, if any.
    pub picture: Option<PictureRef>,
    /// Fingerprint of the maker's (the platform's) SM2 public key.
    pub maker: String,
    /// When the seal was made, RFC 3339 UTC.
    pub made_at: String,
    /// The maker's SM2 signature (base64) over the canonical form of every other member.
    pub maker_signature: String,
}

/// A department seal as stored (the private key never leaves the crate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seal {
    /// Its id.
    pub id: SealId,
    /// The owning department.
    pub issuer: Issuer,
    /// The name on the seal.
    pub name: String,
    /// Its kind.
    pub seal_type: SealType,
    /// First day it may sign.
    pub valid_from: Date,
    /// Last day it may sign.
    pub valid_to: Date,
    /// The public certificate.
    pub certificate: SealCertificate,
    /// Whether a picture is stored.
    pub has_picture: bool,
    /// When it was made.
    pub created: Millis,
    /// Who made it.
    pub created_by: String,
    /// When its key was replaced: it signs nothing more, and its certificate stays to verify
    /// what it signed before.
    pub retired: Option<Millis>,
    /// The seal that took its place.
    pub successor: Option<SealId>,
}

impl Seal {
    /// Whether it may sign on `day`: valid then, and not retired.
    pub fn in_use_on(&self, day: Date) -> bool {
        self.retired.is_none() && self.valid_on(day)
    }

    /// Whether the seal may sign on `day`.
    pub fn valid_on(&self, day: Date) -> bool {
        self.valid_from <= day && day <= self.valid_to
    }
}

/// One labelled line of a licence (经营者, 经营场所, 组成形式 …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenceField {
    /// The label, as printed.
    pub label: String,
    /// The value, as printed.
    pub value: String,
}

/// The holder as the signed document shows it: name and masked identifier only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// Person or organisation.
    pub kind: HolderKind,
    /// The holder's name (a person's name, or the organisation's).
    pub name: String,
    /// The 身份证号 or 统一社会信用代码, masked.
    pub id_masked: String,
}

/// The canonical licence document (证照数据): the signed bytes are its canonical JSON form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenceDocument {
    /// Always [`crate::DOCUMENT_FORMAT`].
    pub format: String,
    /// The licence number, `DZZZ-2026-00000123`.
    pub number: String,
    /// The licence type code, `individual-business-licence`.
    pub licence_type: String,
    /// The title printed on it, `个体工商户营业执照`.
    pub title: String,
    /// The holder.
    pub holder: Holder,
    /// The issuing department.
    pub issuer: Issuer,
    /// Day of issue.
    pub issued_on: Date,
    /// First day in force.
    pub valid_from: Date,
    /// Last day in force; `None` for 长期 (no end).
    pub valid_to: Option<Date>,
    /// The licence's own lines.
    pub fields: Vec<LicenceField>,
    /// The case it was issued on, if any.
    pub case_number: Option<String>,
}

/// The signature structure (电子签章数据, after GB/T 38540's signature): the seal, the signing
/// time, the SM3 digest of the canonical document and the seal's SM2 signature over the
/// canonical form of all of that.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureBlock {
    /// Structure version (4).
    pub version: u32,
    /// The seal that signed, with its certificate.
    pub seal: SealCertificate,
    /// When it was signed, RFC 3339 UTC.
    pub signed_at: String,
    /// `SM3`.
    pub data_hash_alg: String,
    /// Lower-case hex SM3 of the canonical document.
    pub data_hash: String,
    /// What was signed, `licence:DZZZ-2026-00000123`.
    pub property: String,
    /// `SM2-with-SM3`.
    pub signature_alg: String,
    /// Base64 SM2 signature over the canonical form of every other member.
    pub signature: String,
}

/// The signed JSON file a holder downloads and anyone can verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedLicence {
    /// The document.
    pub document: LicenceDocument,
    /// Its signature.
    pub signature: SignatureBlock,
}

/// What an issuing department gives to issue a licence.
#[derive(Debug, Clone)]
pub struct LicenceInput {
    /// The licence type code (`individual-business-licence`): 2–64 lower-case letters, digits, `-`.
    pub licence_type: String,
    /// The printed title.
    pub title: String,
    /// Person or organisation.
    pub holder_kind: HolderKind,
    /// The holder's name.
    pub holder_name: String,
    /// The holder's 身份证号 (person) or 统一社会信用代码 (organisation), checked.
    pub holder_id: String,
    /// The holder's platform account, for "my licences".
    pub holder_account: Option<String>,
    /// First day in force (default: the day of issue).
    pub valid_from: Option<Date>,
    /// Last day in force (`None`: no end).
    pub valid_to: Option<Date>,
    /// The licence's lines.
    pub fields: Vec<LicenceField>,
    /// The case it is issued on.
    pub case_number: Option<String>,
}

/// A revocation (注销) by the issuing department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    /// When.
    pub at: Millis,
    /// Why.
    pub reason: String,
    /// Who (login name).
    pub by: String,
}

/// An issued licence as stored: what lists and the verification page show. The signed file is
/// fetched separately ([`crate::Seals::signed_file`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Licence {
    /// Its record id.
    pub id: LicenceId,
    /// The licence number.
    pub number: String,
    /// The type code.
    pub licence_type: String,
    /// The title.
    pub title: String,
    /// Person or organisation.
    pub holder_kind: HolderKind,
    /// The holder's name, masked for a person.
    pub holder_masked: String,
    /// The holder's identifier, masked.
    pub holder_id_masked: String,
    /// The holder's platform account.
    pub holder_account: Option<String>,
    /// The issuing department.
    pub issuer: Issuer,
    /// The seal it was signed with.
    pub seal_id: SealId,
    /// First day in force.
    pub valid_from: Date,
    /// Last day in force.
    pub valid_to: Option<Date>,
    /// The case it was issued on.
    pub case_number: Option<String>,
    /// When it was issued.
    pub issued: Millis,
    /// Who issued it.
    pub issued_by: String,
    /// Its revocation, if revoked.
    pub revoked: Option<Revocation>,
}

impl Licence {
    /// Its state on `day`.
    pub fn status(&self, day: Date) -> LicenceStatus {
        if self.revoked.is_some() {
            LicenceStatus::Revoked
        } else if self.valid_to.is_some_and(|to| to < day) {
            LicenceStatus::Expired
        } else {
            LicenceStatus::Valid
        }
    }
}
