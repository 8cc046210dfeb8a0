//! The router (every route and layer in one place) and the listener, plain or TLS (rustls).

use crate::{AppState, api, console, context, metrics, open311, portal, problem, security};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

/// Builds the whole application.
pub fn router(state: AppState) -> Router {
    let settings = state.settings.clone();
    // Every route but the upload routes refuses a body over the limit before reading it.
    let limited = Router::new()
        .merge(portal::routes())
        .merge(console::routes())
        .merge(api::routes())
        .merge(open311::routes())
        .merge(crate::oidc::routes())
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .route("/static/app.css", get(css))
        .route("/static/favicon.svg", get(favicon))
        .route(
            "/favicon.ico",
            get(|| async { axum::response::Redirect::permanent("/static/favicon.svg") }),
        )
        .route("/lang/{code}", get(switch_lang))
        .route("/care/{state}", get(switch_care))
        .layer(RequestBodyLimitLayer::new(settings.body_limit));
    limited
        .merge(portal::upload_routes())
        .merge(console::upload_routes())
        .merge(api::upload_routes())
        .fallback(portal::not_found)
        // Innermost first: each layer wraps the ones above it.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            context::resolve,
        ))
        .layer(DefaultBodyLimit::max(settings.body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            settings.request_timeout,
        ))
        .layer(axum::middleware::from_fn(problem::api_errors_as_problems))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::track,
        ))
        .layer(axum::middleware::from_fn_with_state(
            settings.clone(),
            security::headers,
        ))
        .with_state(state)
}

async fn healthz(State(state): State<AppState>) -> Response {
    match state.db.fetch_one("SELECT 1 AS one", tongban_db::params![]).await {
        Ok(_) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({ "status": "ok", "database": "ok" })),
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({ "status": "degraded", "database": "unreachable" })),
            )
                .into_response()
        }
    }
}

async fn metrics_text(State(state): State<AppState>) -> Response {
    let mut extra = vec![(
        "tongban_events_appended_total",
        "Events committed by this process.",
        "counter",
        tongban_db::event::appended_total() as f64,
    )];
    extra.push((
        "tongban_pool_queries_running",
        "SQL queries whose threads still run (answered or stopped ones included until they end).",
        "gauge",
        state.pool.queries_running() as f64,
    ));
    if let Ok(s) = tongban_ledger::status(&state.db).await {
        extra.push((
            "tongban_events_last_seq",
            "Highest committed event sequence number.",
            "gauge",
            s.last_event_seq as f64,
        ));
        extra.push((
            "tongban_ledger_head_seq",
            "Highest event chained into the ledger.",
            "gauge",
            s.head_seq as f64,
        ));
        extra.push((
            "tongban_ledger_lag",
            "Committed events not yet chained into the ledger.",
            "gauge",
            s.lag as f64,
        ));
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.metrics.render(&extra),
    )
        .into_response()
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("static/app.css"),
    )
        .into_response()
}

async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("static/favicon.svg"),
    )
        .into_response()
}

#[derive(serde::Deserialize)]
struct Back {
    back: Option<String>,
}

/// Sets the language cookie and returns to the page the switch was clicked on.
async fn switch_lang(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(back): Query<Back>,
) -> Response {
    let lang = crate::i18n::Lang::from_code(&code).unwrap_or_default();
    let mut resp = Redirect::to(&crate::page::safe_next(back.back.as_deref())).into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        security::set_cookie("lang", lang.code(), Some(365 * 24 * 3600), state.settings.tls),
    );
    resp
}

/// Turns 关怀模式 on or off (a cookie, so it works without JavaScript) and returns to the page.
async fn switch_care(
    State(state): State<AppState>,
    Path(to): Path<String>,
    Query(back): Query<Back>,
) -> Response {
    let mut resp = Redirect::to(&crate::page::safe_next(back.back.as_deref())).into_response();
    let cookie = if to == "on" {
        security::set_cookie("care", "1", Some(365 * 24 * 3600), state.settings.tls)
    } else {
        security::set_cookie("care", "", Some(0), state.settings.tls)
    };
    resp.headers_mut().append(header::SET_COOKIE, cookie);
    resp
}

/// A certificate chain and private key, PEM.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// Certificate chain.
    pub cert: PathBuf,
    /// Private key.
    pub key: PathBuf,
}

fn tls_config(files: &TlsFiles) -> std::io::Result<tokio_rustls::rustls::ServerConfig> {
    use std::io::{BufReader, Error, ErrorKind};
    let certs = rustls_pemfile::certs(&mut BufReader::new(std::fs::File::open(&files.cert)?))
        .collect::<Result<Vec<_>, _>>()?;
    let key = rustls_pemfile::private_key(&mut BufReader::new(std::fs::File::open(&files.key)?))?
        .ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidData,
                format!("no private key in {}", files.key.display()),
            )
        })?;
    let mut cfg = tokio_rustls::rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| Error::new(ErrorKind::InvalidData, e))?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(cfg)
}

/// Serves `app` on `listener` until `shutdown` resolves; over TLS when `tls` is given.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<TlsFiles>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let Some(files) = tls else {
        return axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown)
            .await;
    };
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls_config(&files)?));
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(x) => x,
                Err(e) => { tracing::warn!(error = %e, "accept failed"); continue; }
            },
            () = &mut shutdown => return Ok(()),
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let stream = match acceptor.accept(tcp).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::debug!(error = %e, %peer, "TLS handshake failed");
                    return;
                }
            };
            let svc =
                tower::ServiceExt::map_request(app, move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                    req
                });
            let hyper_svc = hyper_util::service::TowerToHyperService::new(svc);
            let builder = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            if let Err(e) = builder
                .serve_connection(hyper_util::rt::TokioIo::new(stream), hyper_svc)
                .await
            {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
        });
    }
}
