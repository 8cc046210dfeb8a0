//! Checking a catalog entry as a whole: every string bounded, every code well-formed, the rules
//! fitting their field's type, and the sharing and opening attributes consistent with each other
//! and with the fields' sensitivity.

use crate::check;
use crate::{
    Classification, DataType, DeptRef, OpenClass, QualityRule, ResourceField, ResourceInput, Sensitivity,
    SharingClass, SharingTerms,
};
use tongban_kernel::Invalid;
use tongban_kernel::msg;

/// Most fields a resource may have.
pub const MAX_FIELDS: usize = 500;

/// Checks and normalises a resource entry: every string bounded, every code well-formed, the
/// sharing and opening attributes consistent.
pub(crate) fn check_input(input: ResourceInput) -> Result<ResourceInput, Invalid> {
    let code = check::resource_code("code", &input.code)?;
    let provider = DeptRef {
        id: check::uuid("provider.id", &input.provider.id)?,
        path: check::dept_path("provider.path", &input.provider.path)?,
        name_zh: check::line("provider.name_zh", &input.provider.name_zh, 100)?,
    };
    let c = &input.classification;
    let item = check::class_code("classification.item", &c.item, false)?;
    let detail = check::class_code("classification.detail", &c.detail, false)?;
    if item.is_empty() && !detail.is_empty() {
        return Err(Invalid::new(
            "classification.detail",
            msg!("detail-code-needs-item"),
        ));
    }
    let classification = Classification {
        class: c.class,
        category: check::class_code("classification.category", &c.category, true)?,
        item,
        detail,
    };

    if input.fields.is_empty() {
        return Err(Invalid::new("fields", msg!("least-one-field-required")));
    }
    if input.fields.len() > MAX_FIELDS {
        return Err(Invalid::new(
            "fields",
            msg!("most-max-fields-fields", max_fields = MAX_FIELDS),
        ));
    }
    let mut fields: Vec<ResourceField> = Vec::with_capacity(input.fields.len());
    for (i, f) in input.fields.into_iter().enumerate() {
        let f = check_field(i, f)?;
        if fields.iter().any(|g| g.code == f.code) {
            return Err(Invalid::new(
                format!("fields[{i}].code"),
                msg!("field-code-f-repeated", f = f.code),
            ));
        }
        fields.push(f);
    }

    let s = &input.sharing;
    let sharing = SharingTerms {
        class: s.class,
        condition: match s.class {
            SharingClass::Conditional => check::text("sharing.condition", &s.condition, 1000)?,
            _ => check::optional_text("sharing.condition", &s.condition, 1000)?,
        },
        legal_basis: match s.class {
            SharingClass::Unconditional => check::optional_text("sharing.legal_basis", &s.legal_basis, 1000)?,
            _ => check::text("sharing.legal_basis", &s.legal_basis, 1000)?,
        },
    };
    if input.open_class != OpenClass::NotOpen && sharing.class == SharingClass::NotShared {
        return Err(Invalid::new("open_class", msg!("resource-not-shared-between")));
    }
    if input.open_class == OpenClass::Open && fields.iter().any(|f| f.sensitivity == Sensitivity::Personal) {
        return Err(Invalid::new(
            "open_class",
            msg!("resource-personal-fields-cannot"),
        ));
    }

    if input.related.len() > 50 {
        return Err(Invalid::new("related", msg!("most-50-related-resources")));
    }
    let mut related = Vec::with_capacity(input.related.len());
    for (i, r) in input.related.iter().enumerate() {
        let r = check::resource_code(&format!("related[{i}]"), r)?;
        if r == code {
            return Err(Invalid::new(
                format!("related[{i}]"),
                msg!("resource-cannot-relate-itself"),
            ));
        }
        related.push(r);
    }
    let mut keywords = Vec::new();
    for (i, k) in input.keywords.iter().enumerate() {
        let k = check::optional_line(&format!("keywords[{i}]"), k, 32)?;
        if !k.is_empty() {
            keywords.push(k);
        }
    }
    let keywords = check::dedup(keywords);
    if keywords.len() > 20 {
        return Err(Invalid::new("keywords", msg!("most-20-keywords")));
    }

    Ok(ResourceInput {
        code,
        name_zh: check::line("name_zh", &input.name_zh, 200)?,
        name_en: check::optional_line("name_en", &input.name_en, 300)?,
        provider,
        summary: check::text("summary", &input.summary, 2000)?,
        classification,
        format: input.format,
        fields,
        sharing,
        open_class: input.open_class,
        update_cycle: input.update_cycle,
        related: check::dedup(related),
        keywords,
    })
}

fn check_field(i: usize, f: ResourceField) -> Result<ResourceField, Invalid> {
    let name = |part: &str| format!("fields[{i}].{part}");
    let code = check::field_code(&name("code"), &f.code)?;
    let standardizer = match f.standardizer.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(check::short_code(&name("standardizer"), s)?),
    };
    let mut rules: Vec<QualityRule> = Vec::with_capacity(f.rules.len());
    for (j, rule) in f.rules.into_iter().enumerate() {
        let field = format!("fields[{i}].rules[{j}]");
        if rules.iter().any(|r| r.code() == rule.code()) {
            return Err(Invalid::new(
                field,
                msg!("rule-rule-repeated", rule = rule.code()),
            ));
        }
        rules.push(check_rule(&field, f.data_type, rule)?);
    }
    Ok(ResourceField {
        code,
        name_zh: check::line(&name("name_zh"), &f.name_zh, 100)?,
        data_type: f.data_type,
        description: check::optional_text(&name("description"), &f.description, 1000)?,
        sensitivity: f.sensitivity,
        is_key: f.is_key,
        rules,
        standardizer,
    })
}

fn check_rule(field: &str, data_type: DataType, rule: QualityRule) -> Result<QualityRule, Invalid> {
    Ok(match rule {
        QualityRule::Required | QualityRule::Unique => rule,
        QualityRule::Range { min, max } => {
            if !matches!(data_type, DataType::Integer | DataType::Decimal) {
                return Err(Invalid::new(field, msg!("range-applies-numeric-fields")));
            }
            if min.is_none() && max.is_none() {
                return Err(Invalid::new(field, msg!("range-needs-minimum-maximum")));
            }
            if min.iter().chain(max.iter()).any(|v| !v.is_finite()) {
                return Err(Invalid::new(field, msg!("bounds-finite")));
            }
            if let (Some(a), Some(b)) = (min, max)
                && a > b
            {
                return Err(Invalid::new(field, msg!("minimum-exceeds-maximum")));
            }
            QualityRule::Range { min, max }
        }
        QualityRule::Regex { pattern } => {
            if data_type != DataType::String {
                return Err(Invalid::new(field, msg!("pattern-applies-string-fields")));
            }
            QualityRule::Regex {
                pattern: check::line(field, &pattern, 500)?,
            }
        }
        QualityRule::Enumeration { values } => {
            if values.is_empty() || values.len() > 500 {
                return Err(Invalid::new(field, msg!("enumeration-needs-1-500")));
            }
            let mut clean = Vec::with_capacity(values.len());
            for v in &values {
                clean.push(check::line(field, v, 100)?);
            }
            let unique = check::dedup(clean.clone());
            if unique.len() != clean.len() {
                return Err(Invalid::new(field, msg!("repeated-values")));
            }
            QualityRule::Enumeration { values: clean }
        }
        QualityRule::Reference {
            resource_code,
            field_code,
        } => QualityRule::Reference {
            resource_code: check::resource_code(field, &resource_code)?,
            field_code: check::field_code(field, &field_code)?,
        },
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{ResourceClass, ResourceFormat, UpdateCycle};
    use tongban_kernel::DeptPath;

    fn field(code: &str, data_type: DataType, sensitivity: Sensitivity) -> ResourceField {
        ResourceField {
            code: code.into(),
            name_zh: "字段".into(),
            data_type,
            description: String::new(),
            sensitivity,
            is_key: false,
            rules: Vec::new(),
            standardizer: None,
        }
    }

    fn sample() -> ResourceInput {
        ResourceInput {
            code: " 9901-ga-0001 ".into(),
            name_zh: "户籍人口基本信息".into(),
            name_en: "Registered residents".into(),
            provider: DeptRef {
                id: "0190a0b0-0000-7000-8000-000000000001".into(),
                path: DeptPath("/3301/3301-GA/".into()),
                name_zh: "公安局".into(),
            },
            summary: "户籍人口的基本信息".into(),
            classification: Classification {
                class: ResourceClass::Basic,
                category: "01".into(),
                item: "02".into(),
                detail: String::new(),
            },
            format: ResourceFormat::Table,
            fields: vec![
                field("id_number", DataType::String, Sensitivity::Personal),
                field("age", DataType::Integer, Sensitivity::Internal),
            ],
            sharing: SharingTerms {
                class: SharingClass::Conditional,
                condition: "仅限政务服务办理".into(),
                legal_basis: "《居民身份证法》".into(),
            },
            open_class: OpenClass::NotOpen,
            update_cycle: UpdateCycle::Daily,
            related: vec!["9901-mz-0001".into()],
            keywords: vec!["人口".into(), " 人口 ".into(), "".into()],
        }
    }

    fn field_of(input: ResourceInput) -> String {
        check_input(input).unwrap_err().field
    }

    #[test]
    fn a_good_entry_is_normalised() {
        let ok = check_input(sample()).unwrap();
        assert_eq!(ok.code, "9901-GA-0001");
        assert_eq!(ok.related, ["9901-MZ-0001"]);
        assert_eq!(ok.keywords, ["人口"]);
        assert_eq!(ok.provider.code(), "3301-GA");
    }

    #[test]
    fn an_injection_in_a_field_code_is_refused_naming_the_field() {
        let mut i = sample();
        i.fields[1].code = "age; DROP TABLE grants; --".into();
        assert_eq!(field_of(i), "fields[1].code");
        let mut i = sample();
        i.fields[1].code = "id_number".into();
        assert_eq!(field_of(i), "fields[1].code");
        let mut i = sample();
        i.fields.clear();
        assert_eq!(field_of(i), "fields");
    }

    #[test]
    fn rules_must_fit_their_field_type() {
        let mut i = sample();
        i.fields[0].rules = vec![QualityRule::Range {
            min: Some(0.0),
            max: None,
        }];
        assert_eq!(field_of(i), "fields[0].rules[0]");
        let mut i = sample();
        i.fields[1].rules = vec![
            QualityRule::Required,
            QualityRule::Range {
                min: Some(150.0),
                max: Some(0.0),
            },
        ];
        assert_eq!(field_of(i), "fields[1].rules[1]");
        let mut i = sample();
        i.fields[1].rules = vec![QualityRule::Regex {
            pattern: "^[0-9]+$".into(),
        }];
        assert_eq!(field_of(i), "fields[1].rules[0]");
        let mut i = sample();
        i.fields[0].rules = vec![QualityRule::Unique, QualityRule::Unique];
        assert_eq!(field_of(i), "fields[0].rules[1]");
        let mut i = sample();
        i.fields[0].rules = vec![QualityRule::Enumeration {
            values: vec!["1".into(), "1".into()],
        }];
        assert_eq!(field_of(i), "fields[0].rules[0]");
        let mut i = sample();
        i.fields[0].rules = vec![QualityRule::Reference {
            resource_code: "9901-MZ-0001".into(),
            field_code: "x' OR 1=1".into(),
        }];
        assert_eq!(field_of(i), "fields[0].rules[0]");
        let mut i = sample();
        i.fields[0].standardizer = Some("Id Number".into());
        assert_eq!(field_of(i), "fields[0].standardizer");
    }

    #[test]
    fn sharing_and_opening_attributes_must_agree() {
        let mut i = sample();
        i.sharing.condition = " ".into();
        assert_eq!(field_of(i), "sharing.condition");
        let mut i = sample();
        i.sharing.class = SharingClass::NotShared;
        i.sharing.legal_basis = String::new();
        assert_eq!(field_of(i), "sharing.legal_basis");
        let mut i = sample();
        i.sharing.class = SharingClass::Unconditional;
        i.sharing.legal_basis = String::new();
        assert!(check_input(i).is_ok());
        let mut i = sample();
        i.open_class = OpenClass::Open;
        assert_eq!(field_of(i), "open_class", "personal data cannot be open to all");
        let mut i = sample();
        i.fields.remove(0);
        i.sharing.class = SharingClass::NotShared;
        i.open_class = OpenClass::Conditional;
        assert_eq!(field_of(i), "open_class");
        let mut i = sample();
        i.classification.item = String::new();
        i.classification.detail = "03".into();
        assert_eq!(field_of(i), "classification.detail");
        let mut i = sample();
        i.related = vec!["9901-GA-0001".into()];
        assert_eq!(field_of(i), "related[0]");
    }

    #[test]
    fn quality_rules_are_stored_as_tagged_json() {
        let rules: Vec<QualityRule> = serde_json::from_str(
            r#"[{"rule":"required"},{"rule":"range","min":0,"max":150},
                {"rule":"reference","resource_code":"9901-MZ-0001","field_code":"id_number"}]"#,
        )
        .unwrap();
        assert_eq!(
            rules[1],
            QualityRule::Range {
                min: Some(0.0),
                max: Some(150.0)
            }
        );
        assert_eq!(
            serde_json::to_value(&rules[0]).unwrap(),
            serde_json::json!({"rule": "required"})
        );
        assert!(serde_json::from_str::<QualityRule>(r#"{"rule":"drop_table"}"#).is_err());
    }
}
