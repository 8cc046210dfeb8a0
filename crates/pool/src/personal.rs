//! How personal fields (个人信息项) are kept and shown: the name a value is encrypted under, the
//! blind-index domain that makes equal values findable and joinable across resources, and the
//! mask a value gets when a grant does not allow clear text. Ingestion, SQL and the exchange
//! API all use these, so a value written one way is read back the same way.

use tongban_catalog::ResourceField;

/// The name a personal value of `field` in resource `code` is encrypted under (the associated
/// data: a value copied into another column or resource does not decrypt there).
pub fn cipher_name(code: &str, field: &ResourceField) -> String {
    format!("{code}.{}", field.code)
}

/// The blind-index domain of a personal field. Fields holding the same kind of identifier share
/// a domain (every field standardized as an ID number indexes under `id_number`), so a person's
/// rows in two resources join on their blind indexes without decrypting either; other fields
/// index under their own code.
pub fn blind_domain(field: &ResourceField) -> String {
    match field.standardizer.as_deref().map(str::trim) {
        Some(kind @ ("id_number" | "phone" | "credit_code")) => kind.to_owned(),
        _ => field.code.clone(),
    }
}

/// A personal value as shown without a clear-text grant: ID numbers, phones and credit codes
/// keep their usual visible parts, names their surname, anything else its first and last
/// character.
pub fn mask(field: &ResourceField, value: &str) -> String {
    let value = value.trim();
    match field.standardizer.as_deref().map(str::trim) {
        Some("id_number") => tongban_crypto::mask_id_number(value),
        Some("phone") => tongban_crypto::mask_phone(value),
        Some("credit_code") => tongban_crypto::mask_credit_code(value),
        _ if field.code.contains("name") || field.name_zh.contains('名') => tongban_crypto::mask_name(value),
        _ => tongban_crypto::mask_generic(value, 1, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(code: &str, name_zh: &str, standardizer: Option<&str>) -> ResourceField {
        serde_json::from_value(serde_json::json!({
            "code": code, "name_zh": name_zh, "data_type": "string", "sensitivity": "personal",
            "standardizer": standardizer,
        }))
        .expect("field")
    }

    #[test]
    fn identifiers_share_a_blind_index_domain_across_fields() {
        let own = field("id_number", "公民身份号码", Some("id_number"));
        let mother = field("mother_id_number", "母亲身份号码", Some("id_number"));
        assert_eq!(blind_domain(&own), blind_domain(&mother));
        assert_eq!(blind_domain(&field("address", "地址", None)), "address");
    }

    #[test]
    fn masks_follow_the_kind_of_value() {
        let id = field("id_number", "公民身份号码", Some("id_number"));
        let masked = mask(&id, "11010519491231002X");
        assert_eq!(
            masked, "1101*************X",
            "the sequence digits are hidden with the birth date"
        );
        let name = mask(&field("name", "姓名", None), "张三丰");
        assert!(name.starts_with('张') && !name.contains('丰'));
        let addr = mask(&field("address", "户籍地址", None), "朝阳区幸福路1号");
        assert!(!addr.contains("幸福路"));
    }
}
