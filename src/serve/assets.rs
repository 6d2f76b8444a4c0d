//! The dashboard: static files compiled into the binary (vendored libraries included), so
//! the server needs no files next to it and the browser loads nothing from elsewhere.

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

macro_rules! web {
    ($p:literal) => {
        ($p, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/", $p)) as &[u8])
    };
}

/// Path below `/` → contents.
pub const FILES: &[(&str, &[u8])] = &[
    web!("index.html"),
    web!("app.js"),
    web!("charts.js"),
    web!("style.css"),
    web!("vendor/htm-preact-standalone.mjs"),
    web!("vendor/uPlot.esm.js"),
    web!("vendor/uPlot.min.css"),
    web!("vendor/lightweight-charts.standalone.production.mjs"),
];

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn serve(path: &str) -> Response {
    match FILES.iter().find(|(p, _)| *p == path) {
        Some((p, bytes)) => ([(header::CONTENT_TYPE, content_type(p)), (header::CACHE_CONTROL, "no-cache")], *bytes).into_response(),
        None => super::error::ApiError::not_found(None, format!("no file `/{}`", super::params::clip(path))).into_response(),
    }
}

pub async fn index() -> Response {
    serve("index.html")
}

pub async fn file(Path(path): Path<String>) -> Response {
    if path.is_empty() {
        return serve("index.html");
    }
    serve(&path)
}
