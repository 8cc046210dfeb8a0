//! Checks that turn input into values the rest of the crate trusts: free text and one-line text
//! with their limits, category and district codes, department references, locations and
//! contact details.

use crate::{ContactInput, ContactPreference, DeptRef, GeoPoint, Location, LocationInput};
use tongban_kernel::msg;
use tongban_kernel::{DeptPath, Invalid, PhoneNumber};

/// The longest title.
pub const MAX_TITLE: usize = 100;
/// The longest text of an item or a reply (the Open311 description limit).
pub const MAX_TEXT: usize = 4000;
/// The longest note (transfer reason, assist request, review note, comment).
pub const MAX_NOTE: usize = 1000;
/// The longest rating comment.
pub const MAX_COMMENT: usize = 500;
/// The longest address.
pub const MAX_ADDRESS: usize = 200;

pub(crate) use tongban_kernel::input::{line, optional_line, optional_text, text};

/// Category codes (also Open311 service codes): 1–64 of `A-Z a-z 0-9 _ . -`.
pub(crate) fn category_code(field: &str, text: &str) -> Result<String, Invalid> {
    let code = text.trim();
    let ok = (1..=64).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok {
        Ok(code.to_string())
    } else {
        Err(Invalid::new(field, msg!("category-code-1-64")))
    }
}

/// District codes: empty, or 1–32 of `A-Z a-z 0-9 -`.
pub(crate) fn district_code(field: &str, text: &str) -> Result<String, Invalid> {
    let code = text.trim();
    let ok = code.len() <= 32 && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(code.to_string())
    } else {
        Err(Invalid::new(field, msg!("district-code-most-32")))
    }
}

/// A department reference as identity writes it: a UUID id, a path `/3301/3301-GA/` of segments
/// of letters, digits and `-`, and a name.
pub(crate) fn dept_ref(field: &str, d: &DeptRef) -> Result<DeptRef, Invalid> {
    let id = tongban_kernel::id::check_uuid(&format!("{field}.id"), &d.id)?;
    let p = d.path.as_str().trim();
    let inner = p.strip_prefix('/').and_then(|s| s.strip_suffix('/'));
    let ok = p.len() <= 1024
        && inner.is_some_and(|s| {
            !s.is_empty()
                && s.split('/').all(|seg| {
                    !seg.is_empty()
                        && seg.len() <= 32
                        && seg.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                })
        });
    if !ok {
        return Err(Invalid::new(
            format!("{field}.path"),
            msg!("malformed-department-path"),
        ));
    }
    Ok(DeptRef {
        id,
        path: DeptPath(p.to_string()),
        name_zh: line(&format!("{field}.name_zh"), &d.name_zh, 100)?,
    })
}

/// A location: bounded address, a district code, and a WGS84 point given whole or not at all.
pub(crate) fn location(input: &LocationInput) -> Result<Option<Location>, Invalid> {
    let address = optional_line("location.address", &input.address, MAX_ADDRESS)?;
    let district = district_code("location.district", &input.district)?;
    let point = match (input.latitude, input.longitude) {
        (None, None) => None,
        (Some(latitude), Some(longitude)) => {
            if !latitude.is_finite() || !(-90.0..=90.0).contains(&latitude) {
                return Err(Invalid::new("location.latitude", msg!("latitude-between-90-90")));
            }
            if !longitude.is_finite() || !(-180.0..=180.0).contains(&longitude) {
                return Err(Invalid::new(
                    "location.longitude",
                    msg!("longitude-between-180-180"),
                ));
            }
            Some(GeoPoint { latitude, longitude })
        }
        (Some(_), None) => {
            return Err(Invalid::new(
                "location.longitude",
                msg!("latitude-needs-longitude"),
            ));
        }
        (None, Some(_)) => {
            return Err(Invalid::new(
                "location.latitude",
                msg!("longitude-needs-latitude"),
            ));
        }
    };
    if address.is_empty() && district.is_empty() && point.is_none() {
        return Ok(None);
    }
    Ok(Some(Location {
        address,
        district,
        point,
    }))
}

/// Contact details, validated: a name of at most 50 characters, a mainland phone number, an
/// e-mail address; the preferred way must have its detail.
pub(crate) fn contact(input: &ContactInput) -> Result<ContactInput, Invalid> {
    let name = optional_line("contact.name", &input.name, 50)?;
    let phone = if input.phone.trim().is_empty() {
        String::new()
    } else {
        PhoneNumber::parse("contact.phone", &input.phone)?
            .as_str()
            .to_string()
    };
    let email = optional_line("contact.email", &input.email, 254)?;
    if !email.is_empty() {
        let ok = email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.contains(char::is_whitespace)
                && email.matches('@').count() == 1
        });
        if !ok {
            return Err(Invalid::new("contact.email", msg!("not-valid-e-mail")));
        }
    }
    match input.preference {
        ContactPreference::Phone | ContactPreference::Sms if phone.is_empty() => {
            Err(Invalid::new("contact.phone", msg!("phone-number-needed-phone")))
        }
        ContactPreference::Email if email.is_empty() => {
            Err(Invalid::new("contact.email", msg!("e-mail-address-needed")))
        }
        _ => Ok(ContactInput {
            preference: input.preference,
            name,
            phone,
            email,
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_are_wgs84_and_come_in_pairs() {
        let at = |lat, lon| LocationInput {
            latitude: lat,
            longitude: lon,
            ..Default::default()
        };
        assert!(location(&at(Some(30.27), Some(120.15))).unwrap().is_some());
        assert!(location(&at(None, None)).unwrap().is_none());
        for (input, field) in [
            (at(Some(91.0), Some(120.0)), "location.latitude"),
            (at(Some(f64::NAN), Some(120.0)), "location.latitude"),
            (at(Some(30.0), Some(-180.5)), "location.longitude"),
            (at(Some(30.0), Some(f64::INFINITY)), "location.longitude"),
            (at(Some(30.0), None), "location.longitude"),
            (at(None, Some(120.0)), "location.latitude"),
        ] {
            assert_eq!(location(&input).unwrap_err().field, field);
        }
    }

    #[test]
    fn contact_needs_the_detail_of_its_preference() {
        let c = |pref, phone: &str, email: &str| ContactInput {
            preference: pref,
            name: "张三".into(),
            phone: phone.into(),
            email: email.into(),
        };
        assert_eq!(
            contact(&c(ContactPreference::Phone, "138 0013 8000", ""))
                .unwrap()
                .phone,
            "13800138000"
        );
        assert_eq!(
            contact(&c(ContactPreference::Sms, "", "")).unwrap_err().field,
            "contact.phone"
        );
        assert_eq!(
            contact(&c(ContactPreference::InApp, "12345", ""))
                .unwrap_err()
                .field,
            "contact.phone"
        );
        assert_eq!(
            contact(&c(ContactPreference::Email, "", "not-an-address"))
                .unwrap_err()
                .field,
            "contact.email"
        );
        assert!(contact(&c(ContactPreference::Email, "", "a@example.cn")).is_ok());
    }

    #[test]
    fn codes_and_text_are_bounded() {
        assert_eq!(category_code("category", " road_light ").unwrap(), "road_light");
        assert!(category_code("category", "路灯").is_err());
        assert!(category_code("category", "x' OR 1=1 --").is_err());
        assert_eq!(district_code("d", "").unwrap(), "");
        assert!(district_code("d", "../x").is_err());
        assert!(text("text", &"字".repeat(MAX_TEXT + 1), MAX_TEXT).is_err());
        assert!(text("text", &"字".repeat(MAX_TEXT), MAX_TEXT).is_ok());
        assert!(line("title", "a\u{7}b", 10).is_err());
    }
}
