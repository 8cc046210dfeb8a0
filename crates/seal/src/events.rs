//! The events seals and e-licences append, as types (see `tongban_db::EventKind`). Details
//! never hold a private key or a clear identity number.

tongban_db::event_kinds! {
    prefix "seal.";
    /// A department's seal was made.
    SealCreated = "seal.seal.created" on "seal" {
        /// The seal's name.
        name: String,
        /// The seal type's code.
        #[serde(rename = "type")]
        seal_type: String,
        /// First valid day (`YYYY-MM-DD`).
        valid_from: String,
        /// Last valid day (`YYYY-MM-DD`).
        valid_to: String,
        /// The fingerprint of the seal's public key.
        public_key_fingerprint: String,
    }
    /// A seal's key was replaced: the old seal retired and a new one (this event's object) made.
    SealRotated = "seal.seal.rotated" on "seal" {
        /// The retired seal's id.
        retired: String,
        /// The fingerprint of the retired seal's public key.
        retired_fingerprint: String,
        /// The fingerprint of the new seal's public key.
        public_key_fingerprint: String,
    }
    /// An e-licence was issued.
    LicenceIssued = "seal.licence.issued" on "licence" {
        /// The licence's number.
        number: String,
        /// The licence type.
        #[serde(rename = "type")]
        licence_type: String,
        /// The holder's name, masked for a person.
        holder: String,
        /// The holder's identifier, masked.
        holder_id: String,
        /// The id of the seal that signed it.
        seal: String,
        /// The SM3 digest of the signed document (hex).
        data_hash: String,
        /// The case it was issued for, if any.
        case_number: Option<String>,
    }
    /// An e-licence was revoked (注销).
    LicenceRevoked = "seal.licence.revoked" on "licence" {
        /// The licence's number.
        number: String,
        /// Why.
        reason: String,
    }
}
