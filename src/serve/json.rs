//! JSON responses. axum's own `Json` needs its `json` feature, which turns on serde_json's
//! `raw_value` and with it a rebuild of every crate that depends on serde_json (DataFusion
//! included); this small type avoids that.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(bytes) => ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], bytes).into_response(),
            Err(e) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
                format!("{{\"error\":\"cannot encode the response: {}\"}}", e.to_string().replace(['"', '\\'], "'")),
            )
                .into_response(),
        }
    }
}
