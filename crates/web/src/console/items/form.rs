//! The item editor's form: an item as the editor's values, and the posted values read back
//! into what the hall takes (with the rows each list entry came from).

use super::rows::{BLANK_ROWS, Values, filled};
use tongban_hall::{
    ChoiceOption, Fee, FieldKind, FieldSource, FormField, ItemType, LicenceLine, LicenceSpec, LifeEvent,
    Material, MaterialSource, ServiceItem, ServiceItemInput, Topic,
};
use tongban_kernel::{DeptPath, Msg, msg};

/// The form values showing `i`.
pub(super) fn item_values(i: &ServiceItem) -> Values {
    let mut f = Values::default();
    f.set("code", &i.code);
    f.set("name", &i.name);
    f.set("name_en", &i.name_en);
    f.set("department", i.department.path.as_str());
    f.set("item_type", i.item_type.code());
    f.set("legal_basis", &i.legal_basis);
    f.set("conditions", &i.conditions);
    f.set("statutory_days", i.statutory_days.to_string());
    f.set("promised_days", i.promised_days.to_string());
    f.set("visits", i.visits.to_string());
    if i.active {
        f.set("active", "1");
    }
    for t in &i.topics {
        f.set(format!("topic_{}", t.code()), "1");
    }
    for e in &i.life_events {
        f.set(format!("event_{}", e.code()), "1");
    }
    for (n, m) in i.materials.iter().enumerate() {
        f.set(format!("m{n}_code"), &m.code);
        f.set(format!("m{n}_name"), &m.name);
        if m.required {
            f.set(format!("m{n}_required"), "1");
        }
        let (source, from) = match &m.source {
            MaterialSource::Upload => ("upload", String::new()),
            MaterialSource::SharedField { resource, field } => ("shared", format!("{resource}.{field}")),
            MaterialSource::Licence { licence_type } => ("licence", licence_type.clone()),
        };
        f.set(format!("m{n}_source"), source);
        f.set(format!("m{n}_from"), from);
    }
    for (n, x) in i.fields.iter().enumerate() {
        f.set(format!("f{n}_code"), &x.code);
        f.set(format!("f{n}_label"), &x.label);
        f.set(format!("f{n}_kind"), x.kind.code());
        let spec = match &x.kind {
            FieldKind::Text { max_chars } => max_chars.to_string(),
            FieldKind::Number { min, max } => format!(
                "{}..{}",
                min.map(|v| v.to_string()).unwrap_or_default(),
                max.map(|v| v.to_string()).unwrap_or_default()
            ),
            FieldKind::Choice { options } => options
                .iter()
                .map(|o| format!("{}={}", o.value, o.label))
                .collect::<Vec<_>>()
                .join("|"),
            _ => String::new(),
        };
        f.set(format!("f{n}_spec"), spec);
        if x.required {
            f.set(format!("f{n}_required"), "1");
        }
        // Shown as applied: an ID number, phone or address is personal whatever was stored.
        if x.is_personal() {
            f.set(format!("f{n}_personal"), "1");
        }
        if let Some(p) = &x.prefill {
            f.set(format!("f{n}_prefill"), format!("{}.{}", p.resource, p.field));
        }
    }
    for (n, fee) in i.fees.iter().enumerate() {
        f.set(format!("fee{n}_name"), &fee.name);
        f.set(format!("fee{n}_amount"), yuan(fee.amount_fen));
        f.set(format!("fee{n}_basis"), &fee.basis);
    }
    if let Some(l) = &i.licence {
        f.set("lic_type", &l.licence_type);
        f.set("lic_title", &l.title);
        f.set("lic_holder_name", &l.holder_name_field);
        f.set("lic_holder_id", &l.holder_id_field);
        f.set(
            "lic_lines",
            l.lines
                .iter()
                .map(|x| format!("{}={}", x.label, x.field))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        f.set(
            "lic_years",
            l.valid_years.map(|y| y.to_string()).unwrap_or_default(),
        );
    }
    f.rows.insert("m", i.materials.len() + BLANK_ROWS);
    f.rows.insert("f", i.fields.len() + BLANK_ROWS);
    f.rows.insert("fee", i.fees.len() + BLANK_ROWS);
    f
}

/// Fen as yuan text (`1250` → `12.50`, `300` → `3`).
pub(super) fn yuan(fen: i64) -> String {
    if fen % 100 == 0 {
        (fen / 100).to_string()
    } else {
        format!("{}.{:02}", fen / 100, fen % 100)
    }
}

/// Yuan text as fen: digits with at most two decimals.
pub(super) fn fen(text: &str) -> Option<i64> {
    let t = text.trim();
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty() || frac.len() > 2 || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().ok()?
    };
    whole.checked_mul(100)?.checked_add(frac)
}

/// `resource.field` split at its last dot.
pub(super) fn source_ref(text: &str) -> Option<(String, String)> {
    let (r, f) = text.trim().rsplit_once('.')?;
    (!r.trim().is_empty() && !f.trim().is_empty()).then(|| (r.trim().to_string(), f.trim().to_string()))
}

/// What the posted form says, or the inputs that cannot be read (before the hall sees it).
/// Also returns the rows the domain's list indexes came from.
pub(super) struct Parsed {
    pub(super) input: ServiceItemInput,
    pub(super) materials: Vec<usize>,
    pub(super) fields: Vec<usize>,
    pub(super) fees: Vec<usize>,
}

pub(super) fn parse_item(f: &Values, errors: &mut Vec<(String, Msg)>) -> Parsed {
    let mut bad = |field: String, msg: Msg| errors.push((field, msg));
    let number = |k: &str, bad: &mut dyn FnMut(String, Msg)| -> u32 {
        match f.v(k).trim().parse() {
            Ok(n) => n,
            Err(_) => {
                bad(k.into(), msg!("must-be-whole-number"));
                0
            }
        }
    };
    let item_type = ItemType::parse(f.v("item_type")).unwrap_or_else(|| {
        bad("item_type".into(), msg!("choose-kind-of-item"));
        ItemType::Other
    });
    let statutory_days = number("statutory_days", &mut bad);
    let promised_days = number("promised_days", &mut bad);
    let visits = number("visits", &mut bad);

    let materials = filled(f, "m", &["code", "name"]);
    let material_list = materials
        .iter()
        .map(|&i| {
            let from = f.r("m", i, "from");
            let source = match f.r("m", i, "source") {
                "shared" => match source_ref(from) {
                    Some((resource, field)) => MaterialSource::SharedField { resource, field },
                    None => {
                        bad(format!("m{i}_from"), msg!("shared-data-written-resource-field"));
                        MaterialSource::Upload
                    }
                },
                "licence" => MaterialSource::Licence {
                    licence_type: from.trim().to_string(),
                },
                _ => MaterialSource::Upload,
            };
            Material {
                code: f.r("m", i, "code").trim().to_string(),
                name: f.r("m", i, "name").to_string(),
                required: f.r("m", i, "required") == "1",
                source,
            }
        })
        .collect();

    let fields = filled(f, "f", &["code", "label"]);
    let field_list = fields
        .iter()
        .map(|&i| {
            let spec = f.r("f", i, "spec").trim();
            let spec_field = format!("f{i}_spec");
            let kind = match f.r("f", i, "kind") {
                "text" => FieldKind::Text {
                    max_chars: if spec.is_empty() {
                        100
                    } else {
                        spec.parse().unwrap_or_else(|_| {
                            bad(spec_field.clone(), msg!("give-longest-text"));
                            100
                        })
                    },
                },
                "number" => {
                    let (lo, hi) = spec.split_once("..").unwrap_or((spec, ""));
                    let mut bound = |s: &str| -> Option<f64> {
                        let s = s.trim();
                        if s.is_empty() {
                            return None;
                        }
                        s.parse()
                            .map_err(|_| bad(spec_field.clone(), msg!("write-range-min-max")))
                            .ok()
                    };
                    FieldKind::Number {
                        min: bound(lo),
                        max: bound(hi),
                    }
                }
                "date" => FieldKind::Date,
                "past_date" => FieldKind::PastDate,
                "choice" => FieldKind::Choice {
                    options: spec
                        .split('|')
                        .filter(|o| !o.trim().is_empty())
                        .map(|o| {
                            let (value, label) = o.split_once('=').unwrap_or((o, o));
                            ChoiceOption {
                                value: value.trim().to_string(),
                                label: label.trim().to_string(),
                            }
                        })
                        .collect(),
                },
                "id_number" => FieldKind::IdNumber,
                "phone" => FieldKind::Phone,
                "address" => FieldKind::Address,
                "file" => FieldKind::File,
                _ => {
                    bad(format!("f{i}_kind"), msg!("choose-field-type"));
                    FieldKind::Text { max_chars: 100 }
                }
            };
            let prefill_text = f.r("f", i, "prefill");
            let prefill = if prefill_text.trim().is_empty() {
                None
            } else {
                match source_ref(prefill_text) {
                    Some((resource, field)) => Some(FieldSource { resource, field }),
                    None => {
                        bad(
                            format!("f{i}_prefill"),
                            msg!("prefill-source-written-resource-field"),
                        );
                        None
                    }
                }
            };
            FormField {
                code: f.r("f", i, "code").trim().to_string(),
                label: f.r("f", i, "label").to_string(),
                kind,
                required: f.r("f", i, "required") == "1",
                personal: f.r("f", i, "personal") == "1",
                prefill,
            }
        })
        .collect();

    let fees = filled(f, "fee", &["name", "amount"]);
    let fee_list = fees
        .iter()
        .map(|&i| Fee {
            name: f.r("fee", i, "name").to_string(),
            amount_fen: fen(f.r("fee", i, "amount")).unwrap_or_else(|| {
                bad(format!("fee{i}_amount"), msg!("amount-in-yuan"));
                0
            }),
            basis: f.r("fee", i, "basis").to_string(),
        })
        .collect();

    let licence = if f.v("lic_type").trim().is_empty() {
        None
    } else {
        let lines = f
            .v("lic_lines")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let (label, field) = l.split_once('=').unwrap_or((l, ""));
                LicenceLine {
                    label: label.trim().to_string(),
                    field: field.trim().to_string(),
                }
            })
            .collect();
        let years = f.v("lic_years").trim();
        let valid_years = if years.is_empty() {
            None
        } else {
            years
                .parse()
                .map_err(|_| bad("lic_years".into(), msg!("validity-whole-years")))
                .ok()
        };
        Some(LicenceSpec {
            licence_type: f.v("lic_type").to_string(),
            title: f.v("lic_title").to_string(),
            holder_name_field: f.v("lic_holder_name").to_string(),
            holder_id_field: f.v("lic_holder_id").to_string(),
            lines,
            valid_years,
        })
    };

    Parsed {
        input: ServiceItemInput {
            code: f.v("code").to_string(),
            name: f.v("name").to_string(),
            name_en: f.v("name_en").to_string(),
            department: DeptPath(f.v("department").to_string()),
            item_type,
            legal_basis: f.v("legal_basis").to_string(),
            conditions: f.v("conditions").to_string(),
            materials: material_list,
            fields: field_list,
            fees: fee_list,
            statutory_days,
            promised_days,
            visits,
            active: f.on("active"),
            licence,
            topics: Topic::ALL
                .iter()
                .copied()
                .filter(|t| f.on(&format!("topic_{}", t.code())))
                .collect(),
            life_events: LifeEvent::ALL
                .iter()
                .copied()
                .filter(|e| f.on(&format!("event_{}", e.code())))
                .collect(),
        },
        materials,
        fields,
        fees,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn money_reads_and_writes_in_yuan() {
        assert_eq!(fen("12.5"), Some(1250));
        assert_eq!(fen("12.05"), Some(1205));
        assert_eq!(fen("0"), Some(0));
        for bad in ["", "1.234", "-1", "1,000", "十元", ".5"] {
            assert_eq!(fen(bad), None, "{bad}");
        }
        assert_eq!(yuan(1250), "12.50");
        assert_eq!(yuan(300), "3");
    }
}
