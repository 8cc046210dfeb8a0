//! Prometheus metrics: requests by route and status, a latency histogram, and the gauges the
//! binary adds at scrape time (events appended, ledger lag). Routes are the matched templates
//! (`/console/users/{id}`), never raw paths, so cardinality stays bounded.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tracing::Instrument;

const BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

/// One route's figures.
#[derive(Default)]
struct Route {
    /// Requests by method and status.
    requests: Vec<(String, u16, u64)>,
    latency: Histogram,
}

/// One background worker's figures.
#[derive(Default)]
struct Worker {
    ok: u64,
    failed: u64,
    items: u64,
    seconds: f64,
}

#[derive(Default)]
struct Inner {
    /// By route template; looked up by `&str`, so a request already counted allocates nothing.
    routes: BTreeMap<String, Route>,
    /// By worker name.
    workers: BTreeMap<&'static str, Worker>,
}

/// The process's HTTP metrics. Cheap to clone.
#[derive(Clone, Default)]
pub struct Metrics {
    inner: Arc<Mutex<Inner>>,
}

impl Metrics {
    /// Records one finished request.
    pub fn observe(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let Ok(mut m) = self.inner.lock() else { return };
        let r = match m.routes.get_mut(route) {
            Some(r) => r,
            None => m.routes.entry(route.to_owned()).or_default(),
        };
        match r
            .requests
            .iter_mut()
            .find(|(m, s, _)| m == method && *s == status)
        {
            Some((_, _, n)) => *n += 1,
            None => r.requests.push((method.to_owned(), status, 1)),
        }
        let h = &mut r.latency;
        for (i, b) in BUCKETS.iter().enumerate() {
            if seconds <= *b {
                h.counts[i] += 1;
            }
        }
        h.sum += seconds;
        h.count += 1;
    }

    /// Records one round of the background worker `name`: how many things it did, or `None`
    /// when it failed.
    pub fn worker_round(&self, name: &'static str, items: Option<usize>, seconds: f64) {
        let Ok(mut m) = self.inner.lock() else { return };
        let w = m.workers.entry(name).or_default();
        match items {
            Some(n) => {
                w.ok += 1;
                w.items += n as u64;
            }
            None => w.failed += 1,
        }
        w.seconds += seconds;
    }

    /// The Prometheus text exposition of the HTTP metrics followed by `extra` gauges/counters
    /// (`(name, help, type, value)`).
    pub fn render(&self, extra: &[(&str, &str, &str, f64)]) -> String {
        let mut out = String::new();
        let Ok(m) = self.inner.lock() else { return out };
        out.push_str("# HELP tongban_http_requests_total HTTP requests by route, method and status.\n");
        out.push_str("# TYPE tongban_http_requests_total counter\n");
        for (route, r) in &m.routes {
            let mut requests: Vec<_> = r.requests.iter().collect();
            requests.sort();
            for (method, status, n) in requests {
                let _ = writeln!(
                    out,
                    "tongban_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
        }
        out.push_str("# HELP tongban_http_request_duration_seconds HTTP request latency by route.\n");
        out.push_str("# TYPE tongban_http_request_duration_seconds histogram\n");
        for (route, Route { latency: h, .. }) in &m.routes {
            let r = escape(route);
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "tongban_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{b}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "tongban_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "tongban_http_request_duration_seconds_sum{{route=\"{r}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "tongban_http_request_duration_seconds_count{{route=\"{r}\"}} {}",
                h.count
            );
        }
        if !m.workers.is_empty() {
            let mut family = |name: &str, help: &str, rows: Vec<(String, String)>| {
                let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
                for (labels, value) in rows {
                    let _ = writeln!(out, "{name}{{{labels}}} {value}");
                }
            };
            let workers = &m.workers;
            family(
                "tongban_worker_rounds_total",
                "Background worker rounds by worker and outcome.",
                workers
                    .iter()
                    .flat_map(|(n, w)| {
                        [
                            (format!("worker=\"{n}\",outcome=\"ok\""), w.ok.to_string()),
                            (format!("worker=\"{n}\",outcome=\"failed\""), w.failed.to_string()),
                        ]
                    })
                    .collect(),
            );
            family(
                "tongban_worker_items_total",
                "What background workers did: deliveries, pulls, escalations.",
                workers
                    .iter()
                    .map(|(n, w)| (format!("worker=\"{n}\""), w.items.to_string()))
                    .collect(),
            );
            family(
                "tongban_worker_seconds_total",
                "Time background workers spent in rounds.",
                workers
                    .iter()
                    .map(|(n, w)| (format!("worker=\"{n}\""), w.seconds.to_string()))
                    .collect(),
            );
        }
        for (name, help, kind, value) in extra {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
        }
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// The method as a label: the standard methods by name, anything else as `OTHER`, so made-up
/// method names cannot grow the exposition without bound.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// Middleware that times every request and runs it inside its span, `request`: the method, the
/// route as declared (`/console/cases/{id}`, never the path with its ids or a query), the status,
/// the latency and the signed-in principal's id (recorded by [`crate::context::resolve`]) —
/// never a name, a form or anything personal. Whatever is logged while the request runs carries
/// them; the answer itself is logged at `debug`.
pub async fn track(State(metrics): State<Metrics>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().cloned();
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    let method = method_label(req.method());
    let span = tracing::info_span!(
        "request",
        method,
        route,
        status = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
        principal = tracing::field::Empty,
    );
    let start = Instant::now();
    let resp = next.run(req).instrument(span.clone()).await;
    let elapsed = start.elapsed();
    let status = resp.status().as_u16();
    span.record("status", status);
    span.record("latency_ms", elapsed.as_secs_f64() * 1000.0);
    tracing::debug!(parent: &span, "answered");
    metrics.observe(route, method, status, elapsed.as_secs_f64());
    resp
}

#[cfg(test)]
mod tests {
    use super::Metrics;

    #[test]
    fn exposition_has_counters_buckets_and_extras() {
        let m = Metrics::default();
        m.observe("/login", "POST", 200, 0.02);
        m.observe("/login", "POST", 200, 3.0);
        m.observe("/login", "GET", 404, 0.03);
        let text = m.render(&[("tongban_ledger_lag", "Events not yet chained.", "gauge", 4.0)]);
        assert!(
            text.contains("tongban_http_requests_total{route=\"/login\",method=\"POST\",status=\"200\"} 2")
        );
        assert!(
            text.contains("tongban_http_request_duration_seconds_bucket{route=\"/login\",le=\"0.025\"} 1")
        );
        assert!(
            text.contains("tongban_http_requests_total{route=\"/login\",method=\"GET\",status=\"404\"} 1")
        );
        let get = text.find("method=\"GET\"").unwrap_or(usize::MAX);
        let post = text.find("method=\"POST\"").unwrap_or(0);
        assert!(get < post, "methods in order:\n{text}");
        assert!(text.contains("tongban_http_request_duration_seconds_count{route=\"/login\"} 3"));
        assert!(text.contains("tongban_ledger_lag 4"));
    }

    #[test]
    fn made_up_methods_share_one_label() {
        use axum::http::Method;
        for made_up in ["FOO", "BAR", "X-ANYTHING"] {
            assert_eq!(
                super::method_label(&Method::from_bytes(made_up.as_bytes()).unwrap()),
                "OTHER"
            );
        }
        assert_eq!(super::method_label(&Method::PATCH), "PATCH");
    }
}

#[cfg(test)]
mod span_tests {
    use super::{Metrics, track};
    use axum::Router;
    use axum::body::Body;
    use axum::http::Request;
    use axum::routing::get;
    use std::sync::{Arc, Mutex};
    use tower::ServiceExt;
    use tracing::field::{Field, Visit};
    use tracing_subscriber::layer::{Context, SubscriberExt};

    /// Every field value any span was given, as `name=value`.
    #[derive(Clone, Default)]
    struct Fields(Arc<Mutex<Vec<String>>>);

    impl Visit for Fields {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            if let Ok(mut seen) = self.0.lock() {
                seen.push(format!("{}={value:?}", field.name()).replace('"', ""));
            }
        }
    }

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Fields {
        fn on_new_span(
            &self,
            attrs: &tracing::span::Attributes<'_>,
            _: &tracing::span::Id,
            _: Context<'_, S>,
        ) {
            attrs.record(&mut self.clone());
        }
        fn on_record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>, _: Context<'_, S>) {
            values.record(&mut self.clone());
        }
    }

    #[tokio::test]
    async fn a_request_runs_in_a_span_naming_its_route_status_and_latency_never_its_ids() {
        let fields = Fields::default();
        let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(fields.clone()));
        // Other tests of this binary may have met the span's call site first, with no subscriber,
        // which caches "never"; ask every call site again now that this one listens.
        tracing::callsite::rebuild_interest_cache();
        let app = Router::new()
            .route("/cases/{id}", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(Metrics::default(), track));
        let resp = app
            .oneshot(
                Request::get("/cases/0190-secret-id?name=张三")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let seen = fields.0.lock().unwrap().clone();
        assert!(seen.contains(&"route=/cases/{id}".to_string()), "{seen:?}");
        assert!(seen.contains(&"method=GET".to_string()), "{seen:?}");
        assert!(seen.contains(&"status=200".to_string()), "{seen:?}");
        assert!(seen.iter().any(|f| f.starts_with("latency_ms=")), "{seen:?}");
        assert!(
            !seen.iter().any(|f| f.contains("secret") || f.contains("张三")),
            "a path id or a query reached the span: {seen:?}"
        );
    }
}
