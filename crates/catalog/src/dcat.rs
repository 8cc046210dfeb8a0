//! The open catalog as DCAT-AP JSON-LD (W3C DCAT with the EU application profile's vocabularies
//! for frequency and file type), so data portals can harvest it. Only published resources with
//! open class `open` appear; a resource's distributions (CSV and Parquet downloads of its current
//! version) appear once the platform holds data for it.

use crate::{Catalog, Error, OpenResource, Result, UpdateCycle};
use serde_json::{Value, json};
use tongban_kernel::msg;

/// EU Publications Office frequency vocabulary, used by DCAT-AP for `dct:accrualPeriodicity`.
const FREQUENCY: &str = "http://publications.europa.eu/resource/authority/frequency/";
/// EU Publications Office file-type vocabulary, used by DCAT-AP for `dct:format`.
const FILE_TYPE: &str = "http://publications.europa.eu/resource/authority/file-type/";
/// IANA media types.
const MEDIA_TYPE: &str = "https://www.iana.org/assignments/media-types/";

/// The DCAT-AP frequency code for an update cycle.
pub fn frequency(cycle: UpdateCycle) -> &'static str {
    match cycle {
        UpdateCycle::Realtime => "UPDATE_CONT",
        UpdateCycle::Daily => "DAILY",
        UpdateCycle::Weekly => "WEEKLY",
        UpdateCycle::Monthly => "MONTHLY",
        UpdateCycle::Quarterly => "QUARTERLY",
        UpdateCycle::Yearly => "ANNUAL",
        UpdateCycle::Irregular => "IRREG",
    }
}

/// Checks a base URL (`https://data.example.gov.cn`) and drops a trailing `/`.
pub fn check_base_url(base_url: &str) -> Result<String> {
    let base = base_url.trim().trim_end_matches('/');
    let ok = (base.starts_with("https://") || base.starts_with("http://"))
        && base.len() > "https://".len()
        && base.len() <= 500
        && !base
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>' | '#' | '?'));
    if ok {
        Ok(base.to_string())
    } else {
        Err(Error::invalid("base_url", msg!("http-s-url")))
    }
}

fn lang(text: &str, tag: &str) -> Value {
    json!({ "@value": text, "@language": tag })
}

/// A title or description in Chinese, plus English when there is one.
fn zh_en(zh: &str, en: &str) -> Value {
    if en.is_empty() {
        json!([lang(zh, "zh")])
    } else {
        json!([lang(zh, "zh"), lang(en, "en")])
    }
}

fn distribution(base: &str, r: &OpenResource, ext: &str, file_type: &str, media: &str) -> Value {
    let url = format!("{base}/open-data/{}/v{}.{ext}", r.code, r.current_version);
    json!({
        "@id": url,
        "@type": "dcat:Distribution",
        "dct:title": lang(&format!("{} 第{}版 ({})", r.name_zh, r.current_version, ext.to_uppercase()), "zh"),
        "dcat:accessURL": { "@id": url },
        "dcat:downloadURL": { "@id": url },
        "dct:format": { "@id": format!("{FILE_TYPE}{file_type}") },
        "dcat:mediaType": { "@id": format!("{MEDIA_TYPE}{media}") },
    })
}

fn dataset(base: &str, r: &OpenResource) -> Value {
    let mut d = json!({
        "@id": format!("{base}/open-data/{}", r.code),
        "@type": "dcat:Dataset",
        "dct:identifier": r.code,
        "dct:title": zh_en(&r.name_zh, &r.name_en),
        "dct:description": [lang(&r.summary, "zh")],
        "dct:publisher": {
            "@id": format!("{base}/departments/{}", r.provider_code),
            "@type": "foaf:Agent",
            "dct:identifier": r.provider_code,
            "foaf:name": lang(&r.provider_name, "zh"),
        },
        "dct:accrualPeriodicity": { "@id": format!("{FREQUENCY}{}", frequency(r.update_cycle)) },
        "dct:modified": { "@value": r.updated.rfc3339(), "@type": "xsd:dateTime" },
        "dcat:landingPage": { "@id": format!("{base}/open-data/{}", r.code) },
        "dct:accessRights": {
            "@id": "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
        },
    });
    if let Some(day) = r.published_on {
        d["dct:issued"] = json!({ "@value": day.to_string(), "@type": "xsd:date" });
    }
    if !r.keywords.is_empty() {
        d["dcat:keyword"] = Value::Array(r.keywords.iter().map(|k| lang(k, "zh")).collect());
    }
    if r.current_version > 0 {
        d["dcat:distribution"] = json!([
            distribution(base, r, "csv", "CSV", "text/csv"),
            distribution(base, r, "parquet", "PARQUET", "application/vnd.apache.parquet"),
        ]);
    }
    d
}

/// The DCAT-AP JSON-LD document for `resources` under `base` (already checked, no trailing `/`).
pub fn catalog_document(base: &str, resources: &[OpenResource]) -> Value {
    json!({
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@id": format!("{base}/open-data/catalog.jsonld"),
        "@type": "dcat:Catalog",
        "dct:title": zh_en("政务数据开放目录", "Open government data catalog"),
        "dct:description": zh_en(
            "本平台无条件开放的政务数据资源",
            "Government data resources open to all on this platform",
        ),
        "foaf:homepage": { "@id": format!("{base}/") },
        "dcat:dataset": resources.iter().map(|r| dataset(base, r)).collect::<Vec<_>>(),
    })
}

impl Catalog {
    /// The open catalog as DCAT-AP JSON-LD, for anyone; download URLs are
    /// `{base_url}/open-data/{code}/v{version}.csv|.parquet`.
    pub async fn dcat_catalog(&self, base_url: &str) -> Result<Value> {
        let base = check_base_url(base_url)?;
        Ok(catalog_document(&base, &self.all_open_resources().await?))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{Classification, OpenField, ResourceClass, ResourceFormat, Sensitivity};
    use tongban_kernel::Millis;

    fn open(version: u32) -> OpenResource {
        OpenResource {
            code: "9901-HB-0001".into(),
            name_zh: "空气质量日报".into(),
            name_en: "Daily air quality".into(),
            provider_code: "3301-HB".into(),
            provider_name: "生态环境局".into(),
            summary: "各监测站每日空气质量指数".into(),
            classification: Classification {
                class: ResourceClass::Thematic,
                category: "05".into(),
                item: String::new(),
                detail: String::new(),
            },
            format: ResourceFormat::Table,
            update_cycle: UpdateCycle::Daily,
            published_on: Some(jiff::civil::date(2026, 3, 2)),
            keywords: vec!["空气".into()],
            current_version: version,
            updated: Millis(0),
            fields: vec![OpenField {
                code: "aqi".into(),
                name_zh: "空气质量指数".into(),
                data_type: crate::DataType::Integer,
                sensitivity: Sensitivity::Public,
                description: None,
            }],
        }
    }

    #[test]
    fn datasets_carry_distributions_only_when_data_exists() {
        let doc = catalog_document("https://data.example.gov.cn", &[open(3), open(0)]);
        assert_eq!(doc["@type"], "dcat:Catalog");
        assert_eq!(doc["@context"]["dcat"], "http://www.w3.org/ns/dcat#");
        let with = &doc["dcat:dataset"][0];
        assert_eq!(with["dct:identifier"], "9901-HB-0001");
        assert_eq!(with["dct:title"][0]["@language"], "zh");
        assert_eq!(
            with["dct:accrualPeriodicity"]["@id"],
            "http://publications.europa.eu/resource/authority/frequency/DAILY"
        );
        assert_eq!(
            with["dcat:distribution"][0]["dcat:downloadURL"]["@id"],
            "https://data.example.gov.cn/open-data/9901-HB-0001/v3.csv"
        );
        assert_eq!(
            with["dcat:distribution"][1]["dcat:downloadURL"]["@id"],
            "https://data.example.gov.cn/open-data/9901-HB-0001/v3.parquet"
        );
        assert!(doc["dcat:dataset"][1].get("dcat:distribution").is_none());
    }

    #[test]
    fn base_urls_are_checked() {
        assert_eq!(
            check_base_url(" https://data.example.gov.cn/ ").unwrap(),
            "https://data.example.gov.cn"
        );
        for bad in [
            "",
            "ftp://x",
            "https://",
            "javascript:alert(1)",
            "https://a b",
            "https://x\"y",
        ] {
            assert!(check_base_url(bad).is_err(), "{bad}");
        }
    }
}
