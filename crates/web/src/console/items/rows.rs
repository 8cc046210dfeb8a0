//! The numbered-rows form both editors post: inputs by name, most of them in numbered rows
//! (`m3_code`, `f1_label`, `fee0_amount`, `s2_d1`), and where a hall field name lands on it.

use serde::Deserialize;
use std::collections::HashMap;

/// Blank rows offered under each list, and how many more the "more rows" button adds.
pub(super) const BLANK_ROWS: usize = 2;

/// An editor page as posted: its inputs by name, most of them in numbered rows (`m3_code`,
/// `f1_label`, `fee0_amount`, `s2_d1`), as many rows as the page offered, so the names are only
/// known from the rows.
#[derive(Deserialize)]
#[serde(transparent)]
pub(in crate::console) struct Posted(HashMap<String, String>);

/// Posted form values by input name, with the number of rows of each list.
#[derive(Debug, Clone, Default)]
pub(super) struct Values {
    pub(super) map: HashMap<String, String>,
    /// Rows per list prefix (`m` materials, `f` form fields, `fee` fees, `s` steps).
    pub(super) rows: HashMap<&'static str, usize>,
}

impl Values {
    pub(super) fn from_posted(Posted(map): Posted, prefixes: &[&'static str]) -> Values {
        let mut rows = HashMap::new();
        for p in prefixes {
            let n = map
                .keys()
                .filter_map(|k| row_of(k, p))
                .map(|i| i + 1)
                .max()
                .unwrap_or(0);
            rows.insert(*p, n);
        }
        Values { map, rows }
    }

    pub(super) fn v(&self, k: &str) -> &str {
        self.map.get(k).map_or("", |s| s.as_str())
    }

    pub(super) fn set(&mut self, k: impl Into<String>, v: impl Into<String>) {
        self.map.insert(k.into(), v.into());
    }

    pub(super) fn on(&self, k: &str) -> bool {
        self.v(k) == "1"
    }

    pub(super) fn rows(&self, p: &str) -> usize {
        self.rows.get(p).copied().unwrap_or(0)
    }

    pub(super) fn add_rows(&mut self, p: &'static str, n: usize) {
        *self.rows.entry(p).or_insert(0) += n;
    }

    pub(super) fn r(&self, p: &str, i: usize, k: &str) -> &str {
        self.v(&format!("{p}{i}_{k}"))
    }
}

/// The row number of input `key` in list `prefix` (`m3_code` → 3 for `m`).
pub(super) fn row_of(key: &str, prefix: &str) -> Option<usize> {
    let rest = key.strip_prefix(prefix)?;
    let (n, _) = rest.split_once('_')?;
    n.parse().ok()
}

/// The rows of list `p` that hold anything besides the unchecked defaults, in order.
pub(super) fn filled(v: &Values, p: &str, keys: &[&str]) -> Vec<usize> {
    (0..v.rows(p))
        .filter(|i| keys.iter().any(|k| !v.r(p, *i, k).trim().is_empty()))
        .collect()
}

/// Where a hall field name (`materials[2].source.resource`) is on the page: the input of the
/// row the domain's index came from.
pub(super) fn input_of(field: &str, lists: &[(&str, &str, &[usize])]) -> String {
    for (domain, prefix, rows) in lists {
        let Some(rest) = field.strip_prefix(&format!("{domain}[")) else {
            continue;
        };
        let Some((n, tail)) = rest.split_once(']') else {
            continue;
        };
        let row = n
            .parse::<usize>()
            .ok()
            .and_then(|n| rows.get(n).copied())
            .unwrap_or(0);
        let sub = tail
            .trim_start_matches('.')
            .split(['.', '['])
            .next()
            .unwrap_or_default();
        let input = match (*prefix, sub) {
            ("m", "source") => "from",
            ("f", "kind") => "spec",
            ("fee", "amount_fen") => "amount",
            ("s", "assignees") => "assignees",
            ("s", "limit_days") => "limit",
            // A sign-off mode is refused for its count of agreements.
            ("s", "mode") => "required",
            (_, "") => "code",
            (_, s) => s,
        };
        let input = if *prefix == "s" && input == "code" {
            "kind"
        } else {
            input
        };
        return format!("{prefix}{row}_{input}");
    }
    match field {
        "licence.licence_type" => "lic_type".into(),
        "licence.title" => "lic_title".into(),
        "licence.holder_name_field" => "lic_holder_name".into(),
        "licence.holder_id_field" => "lic_holder_id".into(),
        "licence.valid_years" => "lic_years".into(),
        f if f.starts_with("licence.lines") => "lic_lines".into(),
        "steps" => "s0_kind".into(),
        "materials" => "m0_code".into(),
        "fields" => "f0_code".into(),
        "fees" => "fee0_name".into(),
        f => f.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn domain_field_names_land_on_the_row_they_came_from() {
        let rows = [1, 4];
        let lists: [(&str, &str, &[usize]); 1] = [("materials", "m", &rows)];
        assert_eq!(input_of("materials[1].source.resource", &lists), "m4_from");
        assert_eq!(input_of("materials[0].name", &lists), "m1_name");
        assert_eq!(input_of("licence.lines[2].field", &lists), "lic_lines");
        assert_eq!(input_of("statutory_days", &lists), "statutory_days");
        let steps = [0, 2];
        let lists: [(&str, &str, &[usize]); 1] = [("steps", "s", &steps)];
        assert_eq!(input_of("steps[1].assignees[0].role", &lists), "s2_assignees");
        assert_eq!(input_of("steps[0].kind", &lists), "s0_kind");
    }
}
