//! Application forms: checking an item's field definitions when it is saved, and checking the
//! values an applicant submits against them — each refusal naming the field (`form.<code>`) —
//! then sealing personal values (encrypted per field) and masking them for every view.

use crate::{ChoiceOption, Error, FieldKind, FormField, FormValue, Prefilled, Result};
use std::collections::{BTreeMap, BTreeSet};
use tongban_crypto::FieldCipher;
use tongban_kernel::msg;
use tongban_kernel::{IdNumber, Invalid, PhoneNumber, input};

/// The longest value any form field takes, in characters.
pub const MAX_FORM_VALUE: usize = 2000;

/// Most fields a form may have.
pub(crate) const MAX_FIELDS: usize = 100;

/// The associated data personal values of field `code` are encrypted under, so a value copied
/// into another field does not decrypt there.
/// What a form entry's name is put after to name what it is sealed for.
pub(crate) const SEAL_PREFIX: &str = "hall.form.";

fn seal_name(code: &str) -> String {
    format!("{SEAL_PREFIX}{code}")
}

/// A code: 1–40 lower-case letters, digits or `_`, starting with a letter.
pub(crate) fn check_code(field: &str, text: &str) -> Result<String> {
    let t = text.trim();
    let ok = !t.is_empty()
        && t.len() <= 40
        && t.starts_with(|c: char| c.is_ascii_lowercase())
        && t.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(t.to_string())
    } else {
        Err(Error::invalid(field, msg!("field-code-format")))
    }
}

/// Checks an item's field definitions; returns them trimmed.
pub(crate) fn check_definitions(fields: &[FormField]) -> Result<Vec<FormField>> {
    if fields.len() > MAX_FIELDS {
        return Err(Error::invalid(
            "fields",
            msg!("form-has-most-max", max_fields = MAX_FIELDS),
        ));
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(fields.len());
    for (i, f) in fields.iter().enumerate() {
        let at = |name: &str| format!("fields[{i}].{name}");
        let code = check_code(&at("code"), &f.code)?;
        if !seen.insert(code.clone()) {
            return Err(Error::invalid(at("code"), msg!("duplicate-field-code")));
        }
        let label = input::line(&at("label"), &f.label, 60)?;
        let kind = match &f.kind {
            FieldKind::Text { max_chars } => {
                if *max_chars == 0 || *max_chars as usize > MAX_FORM_VALUE {
                    return Err(Error::invalid(
                        at("kind.max_chars"),
                        msg!("value-range", max_form_value = MAX_FORM_VALUE),
                    ));
                }
                f.kind.clone()
            }
            FieldKind::Number { min, max } => {
                let finite = |v: &Option<f64>| v.is_none_or(f64::is_finite);
                if !finite(min) || !finite(max) {
                    return Err(Error::invalid(at("kind"), msg!("bounds-finite-numbers")));
                }
                if let (Some(lo), Some(hi)) = (min, max)
                    && lo > hi
                {
                    return Err(Error::invalid(at("kind.min"), msg!("min-above-max")));
                }
                f.kind.clone()
            }
            FieldKind::Choice { options } => {
                if options.is_empty() {
                    return Err(Error::invalid(at("kind.options"), msg!("least-one-option")));
                }
                let mut values = BTreeSet::new();
                let mut checked = Vec::with_capacity(options.len());
                for (j, o) in options.iter().enumerate() {
                    let value = input::line(&format!("fields[{i}].kind.options[{j}].value"), &o.value, 60)?;
                    if !values.insert(value.clone()) {
                        return Err(Error::invalid(
                            format!("fields[{i}].kind.options[{j}].value"),
                            msg!("duplicate-option"),
                        ));
                    }
                    let label = input::line(&format!("fields[{i}].kind.options[{j}].label"), &o.label, 60)?;
                    checked.push(ChoiceOption { value, label });
                }
                FieldKind::Choice { options: checked }
            }
            other => other.clone(),
        };
        let prefill = match &f.prefill {
            Some(p) => Some(crate::FieldSource {
                resource: input::line(&at("prefill.resource"), &p.resource, 64)?,
                field: input::line(&at("prefill.field"), &p.field, 64)?,
            }),
            None => None,
        };
        out.push(FormField {
            code,
            label,
            kind,
            required: f.required,
            personal: f.personal,
            prefill,
        });
    }
    Ok(out)
}

/// A form checked against its fields: what is stored and what is shown.
pub(crate) struct CheckedForm {
    /// Values by code; personal ones encrypted.
    pub sealed: BTreeMap<String, String>,
    /// Values as shown, in field order; personal ones masked.
    pub masked: Vec<FormValue>,
}

/// Checks `values` against `fields`: unknown keys and missing required fields are refused
/// naming the field; each value is checked for its type.
pub(crate) fn check_values(
    fields: &[FormField],
    values: &BTreeMap<String, String>,
    cipher: &FieldCipher,
) -> Result<CheckedForm> {
    for key in values.keys() {
        if !fields.iter().any(|f| &f.code == key) {
            return Err(Error::invalid(format!("form.{key}"), msg!("form-has-no-such")));
        }
    }
    let mut sealed = BTreeMap::new();
    let mut masked = Vec::new();
    for f in fields {
        let name = format!("form.{}", f.code);
        let raw = values.get(&f.code).map(|v| v.trim()).unwrap_or_default();
        if raw.is_empty() {
            // A required field left empty is refused, naming it, as on its own page.
            f.check_answer(raw)?;
            continue;
        }
        let value = check_value(&name, &f.kind, raw)?;
        let shown = if f.is_personal() {
            sealed.insert(f.code.clone(), cipher.encrypt(&seal_name(&f.code), &value));
            mask(&f.kind, &value)
        } else {
            sealed.insert(f.code.clone(), value.clone());
            if matches!(f.kind, FieldKind::File) {
                // An upload's id means nothing to people: it is shown with the materials.
                continue;
            }
            f.shown_value(&value)
        };
        masked.push(FormValue {
            code: f.code.clone(),
            label: f.label.clone(),
            value: shown,
            personal: f.is_personal(),
            prefilled: None,
        });
    }
    Ok(CheckedForm { sealed, masked })
}

impl FormField {
    /// How a stored value reads to people: a choice's label rather than its code.
    pub fn shown_value(&self, value: &str) -> String {
        match &self.kind {
            FieldKind::Choice { options } => options
                .iter()
                .find(|o| o.value == value)
                .map_or_else(|| value.to_string(), |o| o.label.clone()),
            _ => value.to_string(),
        }
    }

    /// Checks one answer to this field as the submission will (required, type, range), so the
    /// application can refuse it on its own page; returns the value as it will be stored.
    pub fn check_answer(&self, raw: &str) -> Result<String> {
        let name = format!("form.{}", self.code);
        let raw = raw.trim();
        if raw.is_empty() {
            return if self.required {
                let verb = if matches!(self.kind, FieldKind::Choice { .. }) {
                    ("请选择", "choose")
                } else {
                    ("请填写", "fill in")
                };
                Err(Error::invalid(
                    name,
                    format!("{}{} / please {} {}", verb.0, self.label, verb.1, self.label),
                ))
            } else {
                Ok(String::new())
            };
        }
        check_value(&name, &self.kind, raw)
    }
}

/// Most characters of a prefill source's description.
const MAX_SOURCE: usize = 100;

/// Marks the values in `shown` that were prefilled: each key of `prefilled` must be a field whose
/// definition names a prefill source and that has a value.
pub(crate) fn mark_prefilled(
    fields: &[FormField],
    shown: &mut [FormValue],
    prefilled: &BTreeMap<String, Prefilled>,
) -> Result<()> {
    for (code, mark) in prefilled {
        let name = format!("prefilled.{code}");
        if !fields.iter().any(|f| &f.code == code && f.prefill.is_some()) {
            return Err(Error::invalid(name, msg!("field-has-no-prefill")));
        }
        let source = mark.source.trim();
        if source.is_empty() || source.chars().count() > MAX_SOURCE {
            return Err(Error::invalid(
                name,
                msg!("source-1-max-source", max_source = MAX_SOURCE),
            ));
        }
        if let Some(v) = shown.iter_mut().find(|v| &v.code == code) {
            v.prefilled = Some(Prefilled {
                source: source.to_string(),
                corrected: mark.corrected,
            });
        }
    }
    Ok(())
}

/// The clear values of a stored form (for the applicant's 补正 and the handling staff).
pub(crate) fn open_values(
    fields: &[FormField],
    sealed: &BTreeMap<String, String>,
    cipher: &FieldCipher,
) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (code, stored) in sealed {
        let personal = fields.iter().any(|f| &f.code == code && f.is_personal());
        let clear = if personal {
            cipher.decrypt(&seal_name(code), stored)?
        } else {
            stored.clone()
        };
        out.insert(code.clone(), clear);
    }
    Ok(out)
}

fn check_value(name: &str, kind: &FieldKind, raw: &str) -> Result<String> {
    let v = match kind {
        FieldKind::Text { max_chars } => input::line(name, raw, *max_chars as usize)?,
        FieldKind::Number { min, max } => {
            let n: f64 = raw
                .parse()
                .ok()
                .filter(|n: &f64| n.is_finite())
                .ok_or_else(|| Invalid::new(name, msg!("number")))?;
            if min.is_some_and(|lo| n < lo) || max.is_some_and(|hi| n > hi) {
                return Err(Error::invalid(
                    name,
                    msg!(
                        "out-of-range",
                        min = min.map(|v| v.to_string()).unwrap_or_default(),
                        max = max.map(|v| v.to_string()).unwrap_or_default()
                    ),
                ));
            }
            raw.to_string()
        }
        FieldKind::Date => raw
            .parse::<jiff::civil::Date>()
            .map(|d| d.to_string())
            .map_err(|_| Invalid::new(name, msg!("date-y-m-d")))?,
        FieldKind::PastDate => {
            let day = raw
                .parse::<jiff::civil::Date>()
                .map_err(|_| Invalid::new(name, msg!("date-y-m-d")))?;
            // Today in China Standard Time, the platform's local time for people.
            let today = jiff::Timestamp::now()
                .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
                .date();
            if day > today {
                return Err(Error::invalid(name, msg!("date-cannot-later-than")));
            }
            day.to_string()
        }
        FieldKind::Choice { options } => {
            if !options.iter().any(|o| o.value == raw) {
                return Err(Error::invalid(name, msg!("not-one-options")));
            }
            raw.to_string()
        }
        FieldKind::IdNumber => IdNumber::parse(name, raw)?.as_str().to_string(),
        FieldKind::Phone => PhoneNumber::parse(name, raw)?.as_str().to_string(),
        FieldKind::Address => input::line(name, raw, 200)?,
        FieldKind::File => tongban_kernel::id::check_uuid(name, raw)?,
    };
    Ok(v)
}

/// How a personal value of `kind` is shown.
fn mask(kind: &FieldKind, value: &str) -> String {
    match kind {
        FieldKind::IdNumber => tongban_crypto::mask_id_number(value),
        FieldKind::Phone => tongban_crypto::mask_phone(value),
        // An address keeps its first six characters (province, city, district).
        FieldKind::Address => tongban_crypto::mask_generic(value, 6, 0),
        _ => tongban_crypto::mask_generic(value, 1, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(code: &str, kind: FieldKind, required: bool) -> FormField {
        FormField {
            code: code.into(),
            label: code.into(),
            kind,
            required,
            personal: false,
            prefill: None,
        }
    }

    #[test]
    fn values_are_typed_sealed_and_masked() {
        let cipher = tongban_crypto::Keyring::ephemeral().fields();
        let fields = vec![
            field("id_number", FieldKind::IdNumber, true),
            field(
                "age",
                FieldKind::Number {
                    min: Some(0.0),
                    max: Some(150.0),
                },
                false,
            ),
            field("born", FieldKind::Date, false),
        ];
        let mut v = BTreeMap::new();
        v.insert("id_number".to_string(), "11010519491231002X".to_string());
        v.insert("age".to_string(), "76".to_string());
        let form = check_values(&fields, &v, &cipher).unwrap();
        assert!(FieldCipher::is_encrypted(&form.sealed["id_number"]));
        assert_eq!(form.masked[0].value, "1101*************X");
        assert_eq!(
            open_values(&fields, &form.sealed, &cipher).unwrap()["id_number"],
            "11010519491231002X"
        );

        v.insert("age".to_string(), "200".to_string());
        assert_eq!(
            check_values(&fields, &v, &cipher).err().unwrap().field(),
            Some("form.age")
        );
        v.insert("age".to_string(), "1".to_string());
        v.insert("born".to_string(), "2026/01/01".to_string());
        assert_eq!(
            check_values(&fields, &v, &cipher).err().unwrap().field(),
            Some("form.born")
        );
        v.remove("born");
        v.insert("id_number".to_string(), "110105194912310021".to_string());
        assert_eq!(
            check_values(&fields, &v, &cipher).err().unwrap().field(),
            Some("form.id_number")
        );
        v.insert("colour".to_string(), "red".to_string());
        assert_eq!(
            check_values(&fields, &v, &cipher).err().unwrap().field(),
            Some("form.colour")
        );
    }

    #[test]
    fn a_past_date_cannot_be_later_than_today() {
        let f = field("birth_date", FieldKind::PastDate, true);
        let tomorrow = jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
            .date()
            .tomorrow()
            .unwrap();
        let err = f.check_answer(&tomorrow.to_string()).unwrap_err();
        assert_eq!(err.field(), Some("form.birth_date"));
        assert!(err.to_string().contains("不能晚于今天"), "{err}");
        assert_eq!(f.check_answer("2026-01-01").unwrap(), "2026-01-01");
        assert!(f.check_answer("2026/01/01").is_err());
    }

    #[test]
    fn definitions_name_the_bad_field() {
        let bad = vec![
            field("name", FieldKind::Text { max_chars: 20 }, true),
            field("name", FieldKind::Date, false),
        ];
        assert_eq!(
            check_definitions(&bad).err().unwrap().field(),
            Some("fields[1].code")
        );
        let empty_choice = vec![field("kind", FieldKind::Choice { options: vec![] }, true)];
        assert_eq!(
            check_definitions(&empty_choice).err().unwrap().field(),
            Some("fields[0].kind.options")
        );
    }
}
