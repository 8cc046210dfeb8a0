//! Open311 GeoReport v2 at `/open311/v2/`: discovery, the service list and definitions (a
//! service is an interaction category), filing a service request with an API key, reading
//! requests and tokens. XML and JSON; every error is the spec's list of `{code, description}`
//! with 400, 403 or 404. Optional parameters that are empty count as absent. Extensions:
//! `page`/`page_size` on `GET requests`, and `extensions=true` for attribute values, the public
//! history and the mySociety extended status (which, with the notes, keeps our richer states
//! whole behind Open311's open/closed).

mod encode;

use crate::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use encode::{Format, Node, error, respond};
use tongban_interact::{
    Error as IxError, MAX_OPEN311_PAGE, Open311Submission, RequestQuery, ServiceDefinition, ServiceRequest,
};
use tongban_kernel::{Millis, Principal, msg};

/// When this endpoint's interface last changed (discovery's `changeset`).
const CHANGESET: &str = "2026-03-01T00:00:00+08:00";

/// The Open311 routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/open311/v2/{file}", get(read_root).post(file_request))
        .route("/open311/v2/{dir}/{file}", get(read_one))
}

/// Parameters of a query string or form body; repeated names kept in order.
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(raw: &[u8], what: &str) -> Result<Params, String> {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(raw)
            .map(Params)
            .map_err(|_| msg!("malformed-what", what = what).to_string())
    }

    /// The value of a parameter that may appear once; empty counts as absent.
    fn one(&self, name: &str) -> Result<Option<&str>, String> {
        let mut found = self.0.iter().filter(|(k, v)| k == name && !v.trim().is_empty());
        let first = found.next().map(|(_, v)| v.as_str());
        if found.next().is_some() {
            return Err(msg!("given-more-than-once", name = name).to_string());
        }
        Ok(first)
    }

    /// A comma-separated list, from one or more occurrences; empty items dropped.
    fn list(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }
}

fn bad(format: Format, msg: &str) -> Response {
    error(format, StatusCode::BAD_REQUEST, msg)
}

fn not_found(format: Format) -> Response {
    error(format, StatusCode::NOT_FOUND, &msg!("not-found").to_string())
}

/// A domain error in the spec's terms.
fn domain_error(format: Format, e: IxError) -> Response {
    match e {
        IxError::NotFound { what } => error(
            format,
            StatusCode::NOT_FOUND,
            &msg!("what-not-found", what = what).to_string(),
        ),
        IxError::Forbidden { why } => error(format, StatusCode::FORBIDDEN, &why.to_string()),
        e @ (IxError::Invalid(_)
        | IxError::Conflict { .. }
        | IxError::RateLimited { .. }
        | IxError::Calendar(_)) => bad(format, &e.to_string()),
        e @ IxError::Storage(_) => {
            tracing::error!(error = %e, "open311 call failed");
            error(
                format,
                StatusCode::INTERNAL_SERVER_ERROR,
                &msg!("service-unavailable").to_string(),
            )
        }
    }
}

/// The caller's key: `Ok(None)` without one, 403 for a key that is unknown or revoked.
async fn caller(state: &AppState, format: Format, key: Option<&str>) -> Result<Option<Principal>, Response> {
    let Some(key) = key else { return Ok(None) };
    match state.interact.open311_caller(key).await {
        Ok(Some(p)) => Ok(Some(p)),
        Ok(None) => Err(error(
            format,
            StatusCode::FORBIDDEN,
            &msg!("api-key-invalid-or-revoked").to_string(),
        )),
        Err(e) => Err(domain_error(format, e)),
    }
}

fn iso(ms: Millis, state: &AppState) -> String {
    ms.timestamp()
        .to_zoned(state.settings.zone.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or("localhost");
    let scheme = if state.settings.tls { "https" } else { "http" };
    format!("{scheme}://{host}/open311/v2")
}

/// `GET /open311/v2/{discovery|services|requests}.{xml|json}`.
async fn read_root(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some((name, format)) = Format::split(&file) else {
        return not_found(Format::Xml);
    };
    let params = match Params::parse(query.unwrap_or_default().as_bytes(), "query") {
        Ok(p) => p,
        Err(m) => return bad(format, &m),
    };
    match name {
        "discovery" => discovery(&state, format, &headers),
        "services" => services(&state, format).await,
        "requests" => list_requests(&state, format, &params).await,
        _ => not_found(format),
    }
}

fn discovery(state: &AppState, format: Format, headers: &HeaderMap) -> Response {
    let url = base_url(state, headers);
    let node = Node::Object(vec![
        ("changeset", Node::text(CHANGESET)),
        ("contact", Node::text(msg!("open311-contact").to_string())),
        (
            "key_service",
            Node::text(msg!("api-keys-issued-by-operator").to_string()),
        ),
        (
            "endpoints",
            Node::List(
                "endpoint",
                vec![Node::Object(vec![
                    (
                        "specification",
                        Node::text("http://wiki.open311.org/GeoReport_v2"),
                    ),
                    ("url", Node::text(url)),
                    ("changeset", Node::text(CHANGESET)),
                    ("type", Node::text("production")),
                    (
                        "formats",
                        Node::List(
                            "format",
                            vec![Node::text("text/xml"), Node::text("application/json")],
                        ),
                    ),
                ])],
            ),
        ),
    ]);
    respond(format, StatusCode::OK, "discovery", &node)
}

async fn services(state: &AppState, format: Format) -> Response {
    let categories = match state.interact.categories(false).await {
        Ok(c) => c,
        Err(e) => return domain_error(format, e),
    };
    let with_attributes = match state.interact.services_with_attributes().await {
        Ok(c) => c,
        Err(e) => return domain_error(format, e),
    };
    let items = categories
        .iter()
        .map(|c| {
            Node::Object(vec![
                ("service_code", Node::text(&c.code)),
                ("service_name", Node::text(&c.name_zh)),
                (
                    "description",
                    Node::text(if c.name_en.is_empty() {
                        c.name_zh.clone()
                    } else {
                        format!("{} / {}", c.name_zh, c.name_en)
                    }),
                ),
                ("metadata", Node::Bool(with_attributes.contains(&c.code))),
                ("type", Node::text("realtime")),
                (
                    "keywords",
                    Node::text(
                        [c.name_zh.as_str(), c.name_en.as_str()]
                            .iter()
                            .filter(|s| !s.is_empty())
                            .copied()
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                ),
                ("group", Node::text(msg!("citizen-interaction").to_string())),
            ])
        })
        .collect();
    respond(format, StatusCode::OK, "services", &Node::List("service", items))
}

fn definition_node(d: &ServiceDefinition) -> Node {
    let attributes = d
        .attributes
        .iter()
        .map(|a| {
            Node::Object(vec![
                ("variable", Node::Bool(a.variable)),
                ("code", Node::text(&a.code)),
                ("datatype", Node::text(a.datatype.code())),
                ("required", Node::Bool(a.required)),
                (
                    "datatype_description",
                    Node::text_or_null(&a.datatype_description),
                ),
                ("order", Node::Number(a.order.to_string())),
                ("description", Node::text(&a.description)),
                (
                    "values",
                    Node::List(
                        "value",
                        a.values
                            .iter()
                            .map(|v| {
                                Node::Object(vec![("key", Node::text(&v.key)), ("name", Node::text(&v.name))])
                            })
                            .collect(),
                    ),
                ),
            ])
        })
        .collect();
    Node::Object(vec![
        ("service_code", Node::text(&d.category.code)),
        ("attributes", Node::List("attribute", attributes)),
    ])
}

/// `GET /open311/v2/{services|requests|tokens}/{id}.{xml|json}`.
async fn read_one(
    State(state): State<AppState>,
    Path((dir, file)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some((id, format)) = Format::split(&file) else {
        return not_found(Format::Xml);
    };
    let params = match Params::parse(query.unwrap_or_default().as_bytes(), "query") {
        Ok(p) => p,
        Err(m) => return bad(format, &m),
    };
    match dir.as_str() {
        "services" => match state.interact.service_definition(id).await {
            Ok(d) => respond(format, StatusCode::OK, "service_definition", &definition_node(&d)),
            Err(IxError::NotFound { .. }) => error(
                format,
                StatusCode::NOT_FOUND,
                &msg!("unknown-service-code").to_string(),
            ),
            Err(e) => domain_error(format, e),
        },
        "requests" | "tokens" => {
            let (key, extensions) = match (params.one("api_key"), extensions_flag(&params)) {
                (Ok(k), Ok(x)) => (k, x),
                (Err(m), _) | (_, Err(m)) => return bad(format, &m),
            };
            let viewer = match caller(&state, format, key).await {
                Ok(v) => v,
                Err(r) => return r,
            };
            let found = if dir == "requests" {
                state.interact.open311_request(viewer.as_ref(), id).await
            } else {
                state.interact.open311_token(viewer.as_ref(), id).await
            };
            match found {
                Ok(r) if dir == "requests" => respond(
                    format,
                    StatusCode::OK,
                    "service_requests",
                    &Node::List("request", vec![request_node(&state, &r, extensions)]),
                ),
                Ok(r) => respond(
                    format,
                    StatusCode::OK,
                    "service_requests",
                    &Node::List(
                        "request",
                        vec![Node::Object(vec![
                            ("service_request_id", Node::text(&r.number)),
                            ("token", Node::text(id)),
                        ])],
                    ),
                ),
                Err(IxError::NotFound { .. }) => error(
                    format,
                    StatusCode::NOT_FOUND,
                    &if dir == "requests" {
                        msg!("service-request-id-not-found")
                    } else {
                        msg!("token-not-found")
                    }
                    .to_string(),
                ),
                Err(e) => domain_error(format, e),
            }
        }
        _ => not_found(format),
    }
}

fn extensions_flag(params: &Params) -> Result<bool, String> {
    match params.one("extensions")? {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(_) => Err(msg!("extensions-true-or-false").to_string()),
    }
}

fn request_node(state: &AppState, r: &ServiceRequest, extensions: bool) -> Node {
    let expected = r.expected.and_then(|d| {
        d.at(23, 59, 59, 0)
            .to_zoned(state.settings.zone.clone())
            .ok()
            .map(|z| z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string())
    });
    let mut fields = vec![
        ("service_request_id", Node::text(&r.number)),
        ("status", Node::text(r.status)),
        ("status_notes", Node::text_or_null(&r.status_notes)),
        ("service_name", Node::text(&r.service_name)),
        ("service_code", Node::text(&r.service_code)),
        ("description", Node::text(&r.description)),
        ("agency_responsible", Node::text_or_null(&r.agency_responsible)),
        ("service_notice", Node::text_or_null(&r.service_notice)),
        ("requested_datetime", Node::text(iso(r.requested, state))),
        ("updated_datetime", Node::text(iso(r.updated, state))),
        ("expected_datetime", expected.map_or(Node::Null, Node::Text)),
        ("address", Node::text_or_null(&r.address)),
        ("address_id", Node::text_or_null(&r.address_id)),
        ("zipcode", Node::Null),
        ("lat", Node::number(r.latitude)),
        ("long", Node::number(r.longitude)),
        ("media_url", Node::text_or_null(&r.media_url)),
    ];
    if extensions {
        let attributes = r
            .attributes
            .iter()
            .map(|(code, values)| {
                Node::Object(vec![
                    ("code", Node::text(code)),
                    (
                        "values",
                        Node::List("value", values.iter().map(Node::text).collect()),
                    ),
                ])
            })
            .collect();
        let notes = r
            .notes
            .iter()
            .map(|n| {
                Node::Object(vec![
                    ("datetime", Node::text(iso(n.at, state))),
                    ("action", Node::text(&n.action)),
                    ("note", Node::text(&n.note)),
                ])
            })
            .collect();
        fields.push((
            "extended_attributes",
            Node::Object(vec![
                ("status", Node::text(r.extended_status)),
                ("state", Node::text(r.state.code())),
                (
                    "state_name",
                    Node::text(format!("{} / {}", r.state.name_zh(), r.state.name_en())),
                ),
                ("attributes", Node::List("attribute", attributes)),
                ("notes", Node::List("note", notes)),
            ]),
        ));
    }
    Node::Object(fields)
}

fn parse_time(params: &Params, name: &str) -> Result<Option<Millis>, String> {
    match params.one(name)? {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse::<jiff::Timestamp>()
            .map(|t| Some(Millis(t.as_millisecond())))
            .map_err(|_| msg!("iso-8601-with-zone", name = name).to_string()),
    }
}

fn parse_positive(params: &Params, name: &str, max: u32) -> Result<Option<u32>, String> {
    match params.one(name)? {
        None => Ok(None),
        Some(v) => match v.trim().parse::<u32>() {
            Ok(n) if (1..=max).contains(&n) => Ok(Some(n)),
            _ => Err(msg!("whole-number-from-1-to", name = name, max = max).to_string()),
        },
    }
}

fn request_query(state: &AppState, params: &Params) -> Result<RequestQuery, String> {
    let now = state.interact.now();
    let start = parse_time(params, "start_date")?;
    let end = parse_time(params, "end_date")?;
    let mut q = RequestQuery::recent(now)
        .with_dates(start, end, now)
        .map_err(|e| e.to_string())?;
    q.numbers = params.list("service_request_id");
    q.service_codes = params.list("service_code");
    let statuses = params.list("status");
    let mut open = false;
    let mut closed = false;
    for s in &statuses {
        match s.as_str() {
            "open" => open = true,
            "closed" => closed = true,
            _ => return Err(msg!("status-open-or-closed").to_string()),
        }
    }
    q.open = match (open, closed) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    };
    q.page = parse_positive(params, "page", 1_000_000)?.unwrap_or(1);
    q.page_size = parse_positive(params, "page_size", MAX_OPEN311_PAGE)?.unwrap_or(MAX_OPEN311_PAGE);
    Ok(q)
}

async fn list_requests(state: &AppState, format: Format, params: &Params) -> Response {
    let (key, extensions) = match (params.one("api_key"), extensions_flag(params)) {
        (Ok(k), Ok(x)) => (k, x),
        (Err(m), _) | (_, Err(m)) => return bad(format, &m),
    };
    let query = match request_query(state, params) {
        Ok(q) => q,
        Err(m) => return bad(format, &m),
    };
    let viewer = match caller(state, format, key).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match state.interact.open311_requests(viewer.as_ref(), &query).await {
        Ok(list) => respond(
            format,
            StatusCode::OK,
            "service_requests",
            &Node::List(
                "request",
                list.iter().map(|r| request_node(state, r, extensions)).collect(),
            ),
        ),
        Err(e) => domain_error(format, e),
    }
}

/// The submission in a form body: the spec's parameters, `attribute[code]` and
/// `attribute[code][]` for several values.
fn submission(params: &Params) -> Result<Open311Submission, String> {
    let text =
        |name: &str| -> Result<String, String> { Ok(params.one(name)?.unwrap_or_default().to_string()) };
    let coordinate = |name: &str| -> Result<Option<f64>, String> {
        match params.one(name)? {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(Some)
                .ok_or_else(|| msg!("wgs84-degrees", name = name).to_string()),
        }
    };
    let mut attributes: Vec<(String, Vec<String>)> = Vec::new();
    for (k, v) in &params.0 {
        let Some(rest) = k.strip_prefix("attribute[") else {
            continue;
        };
        let (code, multi) = if let Some(code) = rest.strip_suffix("][]") {
            (code, true)
        } else if let Some(code) = rest.strip_suffix(']') {
            (code, false)
        } else {
            return Err(msg!("malformed-attribute-parameter", name = k).to_string());
        };
        if code.is_empty() || code.contains(['[', ']']) {
            return Err(msg!("malformed-attribute-parameter", name = k).to_string());
        }
        if v.trim().is_empty() {
            continue;
        }
        match attributes.iter_mut().find(|(c, _)| c == code) {
            Some((_, values)) if multi => values.push(v.clone()),
            Some(_) => {
                return Err(msg!("attribute-given-twice", code = code).to_string());
            }
            None => attributes.push((code.to_string(), vec![v.clone()])),
        }
    }
    Ok(Open311Submission {
        service_code: text("service_code")?,
        latitude: coordinate("lat")?,
        longitude: coordinate("long")?,
        address_string: text("address_string")?,
        address_id: text("address_id")?,
        attributes,
        email: text("email")?,
        phone: text("phone")?,
        first_name: text("first_name")?,
        last_name: text("last_name")?,
        description: text("description")?,
        media_url: text("media_url")?,
        device_id: text("device_id")?,
        account_id: text("account_id")?,
    })
}

/// `POST /open311/v2/requests.{xml|json}`: form-encoded, `api_key` required.
async fn file_request(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some((name, format)) = Format::split(&file) else {
        return not_found(Format::Xml);
    };
    if name != "requests" {
        return not_found(format);
    }
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !form {
        return bad(format, &msg!("send-form-urlencoded").to_string());
    }
    let params = match Params::parse(&body, "body") {
        Ok(p) => p,
        Err(m) => return bad(format, &m),
    };
    let key = match params.one("api_key") {
        Ok(k) => k,
        Err(m) => return bad(format, &m),
    };
    let actor = match caller(&state, format, key).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            return error(
                format,
                StatusCode::FORBIDDEN,
                &msg!("api-key-required-to-file").to_string(),
            );
        }
        Err(r) => return r,
    };
    let sub = match submission(&params) {
        Ok(s) => s,
        Err(m) => return bad(format, &m),
    };
    let account_id = sub.account_id.clone();
    match state.interact.submit_open311(&actor, sub).await {
        Ok(view) => {
            let days = view.item.clock.statutory_days;
            let node = Node::List(
                "request",
                vec![Node::Object(vec![
                    ("service_request_id", Node::text(&view.item.number)),
                    (
                        "service_notice",
                        Node::text(msg!("received-reply-within", days = days).to_string()),
                    ),
                    ("account_id", Node::text_or_null(account_id.trim())),
                ])],
            );
            respond(format, StatusCode::OK, "service_requests", &node)
        }
        Err(IxError::NotFound { .. }) => error(
            format,
            StatusCode::NOT_FOUND,
            &msg!("unknown-service-code").to_string(),
        ),
        Err(e) => domain_error(format, e),
    }
}
