//! Each service's typed attributes (GeoReport v2 service definitions): set by the rules
//! administrator, read by reporting apps, and checked on every submission.

use crate::check::{self, MAX_ADDRESS, MAX_TEXT};
use crate::events::ServiceAttributesSet;
use crate::{Category, Error, Interact, Result, from_json, parse_code, to_json};
use serde::{Deserialize, Serialize};
use tongban_db::{EventDraft, Row, params};
use tongban_kernel::{Arg, msg};
use tongban_kernel::{Permission, Principal};

coded_enum!(
    /// The datatype of a service attribute (GeoReport v2 service definition).
    AttributeType {
        /// One line of text.
        String = "string", "单行文本", "String";
        /// A number.
        Number = "number", "数字", "Number";
        /// An ISO 8601 date-time with zone.
        Datetime = "datetime", "日期时间", "Date and time";
        /// Text that may span lines.
        Text = "text", "多行文本", "Text";
        /// One of the listed values.
        SingleValueList = "singlevaluelist", "单选", "Single choice";
        /// Any of the listed values.
        MultiValueList = "multivaluelist", "多选", "Multiple choice";
    }
);

/// One choice of a list attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceChoice {
    /// The value submitted.
    pub key: String,
    /// What people see.
    pub name: String,
}

/// A typed attribute of a service: a question the reporting app asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAttribute {
    /// Unique within the service: 1–64 of `A-Z a-z 0-9 _ . -`.
    pub code: String,
    /// The type of the answer.
    pub datatype: AttributeType,
    /// Whether an answer is required.
    pub required: bool,
    /// `false` for an attribute that only shows information (no answer is taken).
    pub variable: bool,
    /// The question.
    pub description: String,
    /// How to answer it.
    #[serde(default)]
    pub datatype_description: String,
    /// Position, 1 first.
    pub order: u32,
    /// The choices of a list attribute.
    #[serde(default)]
    pub values: Vec<ServiceChoice>,
}

/// A service (category) with its attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceDefinition {
    /// The category.
    pub category: Category,
    /// Its attributes, by `order`.
    pub attributes: Vec<ServiceAttribute>,
}

/// Submitted attribute values: code and its values (one, or several for a multi-value list).
pub type AttributeValues = Vec<(String, Vec<String>)>;

fn attribute_from_row(r: &Row) -> Result<ServiceAttribute> {
    Ok(ServiceAttribute {
        code: r.get("code")?,
        datatype: parse_code("datatype", &r.get::<String>("datatype")?, AttributeType::parse)?,
        required: r.get("required")?,
        variable: r.get("variable")?,
        description: r.get("description")?,
        datatype_description: r.get("datatype_description")?,
        order: r.get("sort_order")?,
        values: from_json("choices", &r.get::<String>("choices")?)?,
    })
}

/// Checks submitted attribute values against the service's definition: every required
/// attribute answered, every answer of its type, list answers among the choices, no unknown
/// code and no several values where one is expected.
pub(super) fn check_attributes(
    defs: &[ServiceAttribute],
    given: &AttributeValues,
) -> Result<AttributeValues> {
    let field = |code: &str| format!("attribute[{code}]");
    let mut out: AttributeValues = Vec::new();
    for (code, values) in given {
        let Some(def) = defs.iter().find(|d| d.code == *code && d.variable) else {
            return Err(Error::invalid(field(code), msg!("service-has-no-such")));
        };
        if out.iter().any(|(c, _)| c == code) {
            return Err(Error::invalid(field(code), msg!("attribute-given-twice")));
        }
        let values: Vec<String> = values
            .iter()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        if values.len() > 1 && def.datatype != AttributeType::MultiValueList {
            return Err(Error::invalid(field(code), msg!("attribute-takes-one-value")));
        }
        for v in &values {
            let ok = match def.datatype {
                AttributeType::String => !v.contains(['\n', '\r']) && v.chars().count() <= MAX_ADDRESS,
                AttributeType::Text => v.chars().count() <= MAX_TEXT,
                AttributeType::Number => v.parse::<f64>().is_ok_and(f64::is_finite),
                AttributeType::Datetime => v.parse::<jiff::Timestamp>().is_ok(),
                AttributeType::SingleValueList | AttributeType::MultiValueList => {
                    def.values.iter().any(|c| c.key == *v)
                }
            };
            if !ok {
                return Err(Error::invalid(
                    field(code),
                    msg!(
                        "value-not-valid-datatype2",
                        datatype = Arg::name(def.datatype.name_zh(), def.datatype.name_en()),
                    ),
                ));
            }
        }
        if !values.is_empty() {
            out.push((code.clone(), values));
        }
    }
    for def in defs.iter().filter(|d| d.required && d.variable) {
        if !out.iter().any(|(c, _)| *c == def.code) {
            return Err(Error::invalid(field(&def.code), msg!("attribute-required")));
        }
    }
    Ok(out)
}

impl Interact {
    /// Replaces the attributes of service `category` (`ManageInteractionRules` over the whole
    /// tree). Codes are unique, orders positive and unique, list attributes have choices.
    #[tracing::instrument(skip_all)]
    pub async fn set_service_attributes(
        &self,
        actor: &Principal,
        category: &str,
        attributes: Vec<ServiceAttribute>,
    ) -> Result<ServiceDefinition> {
        actor.require(Permission::ManageInteractionRules, None)?;
        let category = self.category(category).await?;
        for (i, a) in attributes.iter().enumerate() {
            let field = format!("attributes[{i}]");
            check::category_code(&format!("{field}.code"), &a.code)?;
            check::line(&format!("{field}.description"), &a.description, 500)?;
            check::optional_line(
                &format!("{field}.datatype_description"),
                &a.datatype_description,
                500,
            )?;
            if a.order == 0 || attributes[..i].iter().any(|b| b.order == a.order) {
                return Err(Error::invalid(
                    format!("{field}.order"),
                    msg!("order-positive-integer-used"),
                ));
            }
            if attributes[..i].iter().any(|b| b.code == a.code) {
                return Err(Error::invalid(format!("{field}.code"), msg!("code-used-twice")));
            }
            let is_list = matches!(
                a.datatype,
                AttributeType::SingleValueList | AttributeType::MultiValueList
            );
            if is_list == a.values.is_empty() {
                return Err(Error::invalid(
                    format!("{field}.values"),
                    msg!("list-attributes-need-choices"),
                ));
            }
            for c in &a.values {
                check::line(&format!("{field}.values.key"), &c.key, 100)?;
                check::line(&format!("{field}.values.name"), &c.name, 200)?;
            }
        }
        let mut tx = self.db.begin_write().await?;
        tx.execute(
            "DELETE FROM interact_service_attributes WHERE category = $1",
            params![category.code.clone()],
        )
        .await?;
        for a in &attributes {
            tx.execute(
                "INSERT INTO interact_service_attributes (category, code, datatype, required, variable, \
                 description, datatype_description, sort_order, choices) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                params![
                    category.code.clone(),
                    a.code.trim(),
                    a.datatype.code(),
                    a.required,
                    a.variable,
                    a.description.trim(),
                    a.datatype_description.trim(),
                    a.order,
                    to_json("choices", &a.values)?
                ],
            )
            .await?;
        }
        tx.append_event(
            actor,
            EventDraft::of(
                &ServiceAttributesSet {
                    attributes: attributes.iter().map(|a| a.code.clone()).collect(),
                },
                &category.code,
                None,
                msg!("set-service-attributes-category", category = category.code),
            ),
        )
        .await?;
        tx.commit().await?;
        self.service_definition(&category.code).await
    }

    /// Service `code` (an active category) with its attributes.
    pub async fn service_definition(&self, code: &str) -> Result<ServiceDefinition> {
        let category = self.category(code).await?;
        if !category.active {
            return Err(Error::NotFound { what: "category" });
        }
        let attributes = self
            .db
            .fetch_all(
                "SELECT code, datatype, required, variable, description, datatype_description, sort_order, \
                 choices FROM interact_service_attributes WHERE category = $1 ORDER BY sort_order, code",
                params![category.code.clone()],
            )
            .await?
            .iter()
            .map(attribute_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(ServiceDefinition { category, attributes })
    }

    /// The codes of the active services that have attributes (their `metadata` is true).
    pub async fn services_with_attributes(&self) -> Result<Vec<String>> {
        self.db
            .fetch_all(
                "SELECT DISTINCT category FROM interact_service_attributes ORDER BY category",
                params![],
            )
            .await?
            .iter()
            .map(|r| Ok(r.get("category")?))
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn attr(code: &str, datatype: AttributeType, required: bool, values: &[&str]) -> ServiceAttribute {
        ServiceAttribute {
            code: code.into(),
            datatype,
            required,
            variable: true,
            description: code.into(),
            datatype_description: String::new(),
            order: 1,
            values: values
                .iter()
                .map(|v| ServiceChoice {
                    key: (*v).into(),
                    name: (*v).into(),
                })
                .collect(),
        }
    }

    #[test]
    fn attributes_are_checked_against_their_definition() {
        let defs = vec![
            attr("pole", AttributeType::String, true, &[]),
            attr("kind", AttributeType::MultiValueList, false, &["a", "b"]),
            attr("count", AttributeType::Number, false, &[]),
        ];
        let ok = check_attributes(
            &defs,
            &vec![
                ("pole".into(), vec!["P-12".into()]),
                ("kind".into(), vec!["a".into(), "b".into()]),
            ],
        )
        .unwrap();
        assert_eq!(ok.len(), 2);
        let missing = check_attributes(&defs, &vec![]).unwrap_err();
        assert_eq!(missing.field(), Some("attribute[pole]"));
        let bad_choice = check_attributes(
            &defs,
            &vec![
                ("pole".into(), vec!["x".into()]),
                ("kind".into(), vec!["z".into()]),
            ],
        )
        .unwrap_err();
        assert_eq!(bad_choice.field(), Some("attribute[kind]"));
        let not_number = check_attributes(
            &defs,
            &vec![
                ("pole".into(), vec!["x".into()]),
                ("count".into(), vec!["many".into()]),
            ],
        )
        .unwrap_err();
        assert_eq!(not_number.field(), Some("attribute[count]"));
        let unknown = check_attributes(&defs, &vec![("nope".into(), vec!["x".into()])]).unwrap_err();
        assert_eq!(unknown.field(), Some("attribute[nope]"));
        let two = check_attributes(&defs, &vec![("pole".into(), vec!["x".into(), "y".into()])]).unwrap_err();
        assert_eq!(two.field(), Some("attribute[pole]"));
    }
}
