//! One response tree rendered as GeoReport v2 XML or JSON. JSON follows the Spark convention the
//! spec names: a list element becomes an array of its items, an element with children an object.
//! Text is escaped for XML (characters XML 1.0 cannot hold are dropped), and in JSON `<`, `>` and
//! `&` are written as `\u003c`, `\u003e`, `\u0026`, so no submitted text can become markup in a
//! page that embeds either format.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

/// The two formats of GeoReport v2, chosen by the resource's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `text/xml`.
    Xml,
    /// `application/json`.
    Json,
}

impl Format {
    /// Splits `name.xml` / `name.json` into the name and its format.
    pub fn split(file: &str) -> Option<(&str, Format)> {
        if let Some(name) = file.strip_suffix(".xml") {
            Some((name, Format::Xml))
        } else {
            file.strip_suffix(".json").map(|name| (name, Format::Json))
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Xml => "text/xml; charset=utf-8",
            Format::Json => "application/json; charset=utf-8",
        }
    }
}

/// A response tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// Text (empty is an empty element, `""` in JSON).
    Text(String),
    /// A number as written.
    Number(String),
    /// `true` / `false`.
    Bool(bool),
    /// Absent: an empty element in XML, `null` in JSON.
    Null,
    /// Named children, in order.
    Object(Vec<(&'static str, Node)>),
    /// Repeated children, each wrapped in an element named by the first field.
    List(&'static str, Vec<Node>),
}

impl Node {
    /// Text.
    pub fn text(s: impl Into<String>) -> Node {
        Node::Text(s.into())
    }

    /// Text, or absent when empty.
    pub fn text_or_null(s: &str) -> Node {
        if s.is_empty() { Node::Null } else { Node::text(s) }
    }

    /// A number, or absent.
    pub fn number(v: Option<f64>) -> Node {
        v.filter(|f| f.is_finite())
            .map_or(Node::Null, |f| Node::Number(f.to_string()))
    }
}

/// Escapes text for an XML element, dropping characters XML 1.0 cannot contain.
pub fn escape_xml(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

fn write_xml(tag: &str, node: &Node, out: &mut String) {
    match node {
        Node::Null => {
            out.push('<');
            out.push_str(tag);
            out.push_str("/>");
        }
        Node::Text(t) | Node::Number(t) => {
            out.push('<');
            out.push_str(tag);
            out.push('>');
            escape_xml(t, out);
            out.push_str("</");
            out.push_str(tag);
            out.push('>');
        }
        Node::Bool(b) => {
            out.push('<');
            out.push_str(tag);
            out.push('>');
            out.push_str(if *b { "true" } else { "false" });
            out.push_str("</");
            out.push_str(tag);
            out.push('>');
        }
        Node::Object(fields) => {
            out.push('<');
            out.push_str(tag);
            out.push('>');
            for (name, child) in fields {
                write_xml(name, child, out);
            }
            out.push_str("</");
            out.push_str(tag);
            out.push('>');
        }
        Node::List(item, items) => {
            out.push('<');
            out.push_str(tag);
            out.push('>');
            for child in items {
                write_xml(item, child, out);
            }
            out.push_str("</");
            out.push_str(tag);
            out.push('>');
        }
    }
}

/// The document: the XML declaration and the root element `root`.
pub fn to_xml(root: &str, node: &Node) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    write_xml(root, node, &mut out);
    out.push('\n');
    out
}

fn to_value(node: &Node) -> Value {
    match node {
        Node::Null => Value::Null,
        Node::Text(t) => Value::String(t.clone()),
        Node::Number(n) => n
            .parse::<serde_json::Number>()
            .map_or_else(|_| Value::String(n.clone()), Value::Number),
        Node::Bool(b) => Value::Bool(*b),
        Node::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_string(), to_value(v)))
                .collect::<Map<_, _>>(),
        ),
        Node::List(_, items) => Value::Array(items.iter().map(to_value).collect()),
    }
}

/// The JSON text, with markup characters escaped inside strings (they occur nowhere else).
pub fn to_json(node: &Node) -> String {
    let text = serde_json::to_string(&to_value(node)).unwrap_or_else(|_| "[]".into());
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            c => out.push(c),
        }
    }
    out
}

/// A response in `format` with root element `root`.
pub fn respond(format: Format, status: StatusCode, root: &str, node: &Node) -> Response {
    let body = match format {
        Format::Xml => to_xml(root, node),
        Format::Json => to_json(node),
    };
    (status, [(header::CONTENT_TYPE, format.content_type())], body).into_response()
}

/// The spec's error body: a list of `{code, description}`.
pub fn error(format: Format, status: StatusCode, description: &str) -> Response {
    let node = Node::List(
        "error",
        vec![Node::Object(vec![
            ("code", Node::Number(status.as_u16().to_string())),
            ("description", Node::text(description)),
        ])],
    );
    respond(format, status, "errors", &node)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_in_both_formats() {
        let n = Node::List(
            "request",
            vec![Node::Object(vec![
                (
                    "description",
                    Node::text("<script>alert('x')</script> & \"q\"\u{1}"),
                ),
                ("lat", Node::number(Some(30.25))),
                ("address", Node::Null),
            ])],
        );
        let xml = to_xml("service_requests", &n);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"));
        assert!(xml.contains(
            "<description>&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; &quot;q&quot;</description>"
        ));
        assert!(xml.contains("<lat>30.25</lat><address/>"));
        let json = to_json(&n);
        assert!(!json.contains('<') && !json.contains('&'), "{json}");
        let back: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back[0]["description"], "<script>alert('x')</script> & \"q\"\u{1}");
        assert_eq!(back[0]["lat"], 30.25);
        assert!(back[0]["address"].is_null());
    }

    #[test]
    fn formats_come_from_the_extension() {
        assert_eq!(Format::split("services.xml"), Some(("services", Format::Xml)));
        assert_eq!(Format::split("requests.json"), Some(("requests", Format::Json)));
        assert_eq!(Format::split("requests.html"), None);
    }
}
