//! `qm serve`: the REST API under `/api` and the embedded dashboard at `/`, over one lake.
//!
//! Security defaults: loopback bind (anything else needs a token), loopback Host names only
//! on a loopback bind (DNS rebinding), a bearer token on every mutating request, no CORS
//! unless an origin is given, bounded bodies and request times.

pub mod api;
pub mod assets;
pub mod auth;
pub mod error;
pub mod jobs;
pub mod json;
pub mod params;
pub mod sql;
pub mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::TimeoutLayer;

use self::auth::TokenSource;
use self::state::AppState;

/// Largest request body accepted (pipelines and backtest requests are small).
pub const BODY_LIMIT: usize = 1 << 20;

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub bind: SocketAddr,
    pub lake: PathBuf,
    pub pipelines: PathBuf,
    pub cors_origin: Option<String>,
    /// `QM_API_TOKEN`, when set.
    pub token: Option<String>,
    pub request_timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("refusing to listen on `{0}`, which is not a loopback address, without a token; set QM_API_TOKEN (every mutating request then needs it) or bind 127.0.0.1")]
    PublicWithoutToken(SocketAddr),
    #[error(transparent)]
    Token(#[from] auth::TokenError),
    #[error("`--cors-origin` must be an origin such as `http://localhost:5173`, got `{0}`")]
    CorsOrigin(String),
    #[error("cannot listen on `{addr}`: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("the server stopped: {0}")]
    Io(#[from] std::io::Error),
}

/// The whole application: API, dashboard, and the layers every request passes.
pub fn router(state: Arc<AppState>, cors_origin: Option<HeaderValue>, timeout: Duration) -> Router {
    let mut app = api::routes()
        .route("/", get(assets::index))
        .route("/{*path}", get(assets::file))
        .fallback(not_found)
        .with_state(Arc::clone(&state))
        .layer(middleware::from_fn_with_state(Arc::clone(&state), auth::guard))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        // Inside `json_errors`, so a timeout is a JSON 408 too.
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
        .layer(middleware::from_fn(json_errors))
        .layer(middleware::from_fn(security_headers));
    if let Some(origin) = cors_origin {
        app = app.layer(
            CorsLayer::new()
                // Only the named origin gets an allow header (not one sent to everybody).
                .allow_origin(AllowOrigin::predicate(move |o: &HeaderValue, _| *o == origin))
                .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]),
        );
    }
    app
}

async fn not_found(req: Request) -> Response {
    error::ApiError::not_found(None, format!("no route `{} {}`", req.method(), params::clip(req.uri().path()))).into_response()
}

/// Turn the framework's own plain-text errors (405, 413, 408, bad UTF-8 bodies) into the
/// API's JSON errors, so a client handles one error shape.
async fn json_errors(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    let message = if text.trim().is_empty() { status.canonical_reason().unwrap_or("error").to_string() } else { text.trim().to_string() };
    let field = (status == StatusCode::PAYLOAD_TOO_LARGE).then_some("body");
    let mut out = (status, json::Json(error::error_body(&message, field))).into_response();
    for (k, v) in parts.headers.iter() {
        if *k == header::ALLOW || *k == header::WWW_AUTHENTICATE {
            out.headers_mut().insert(k, v.clone());
        }
    }
    out
}

/// The dashboard only talks to its own origin; nothing may frame it or sniff types.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    resp
}

/// Check the configuration, bind, print the address (and the token link), serve until Ctrl-C.
pub async fn run(cfg: ServeConfig) -> Result<(), ServeError> {
    let loopback = cfg.bind.ip().is_loopback();
    let env_token = cfg.token.clone().filter(|t| !t.trim().is_empty());
    if !loopback && env_token.is_none() {
        return Err(ServeError::PublicWithoutToken(cfg.bind));
    }
    let cors = match &cfg.cors_origin {
        None => None,
        Some(o) => {
            let ok = (o.starts_with("http://") || o.starts_with("https://")) && !o.ends_with('/');
            Some(HeaderValue::from_str(o).ok().filter(|_| ok).ok_or_else(|| ServeError::CorsOrigin(o.clone()))?)
        }
    };
    let (token, source) = auth::load_or_create(env_token, &cfg.lake)?;
    let listener = tokio::net::TcpListener::bind(cfg.bind).await.map_err(|source| ServeError::Bind { addr: cfg.bind, source })?;
    let addr = listener.local_addr()?;
    let shown = if addr.ip().is_unspecified() { SocketAddr::new([127, 0, 0, 1].into(), addr.port()) } else { addr };
    if !loopback {
        eprintln!("warning: listening on non-loopback `{addr}`: anyone who can reach it can read the lake; mutating requests need the token");
    }
    eprintln!("qm serve: listening on http://{addr} (lake `{}`)", cfg.lake.display());
    match source {
        // A token the user set is theirs; it is never echoed.
        TokenSource::Env => eprintln!("qm serve: open http://{shown}/ (token from QM_API_TOKEN)"),
        TokenSource::File | TokenSource::Generated => {
            eprintln!("qm serve: open http://{shown}/#token={token}  (token kept in `{}`)", cfg.lake.join(auth::TOKEN_FILE).display())
        }
    }
    let state = AppState::new(cfg.lake.clone(), cfg.pipelines.clone(), token, loopback);
    let app = router(state, cors, cfg.request_timeout);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
