//! API errors: every failure leaves the server as JSON `{"error": ..., "field": ...}` with a
//! status that says whose fault it was (4xx: the request's, 5xx: the server's).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use crate::serve::json::Json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A parameter or body field has a value the endpoint cannot use.
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// The request names something that does not exist (a table, a symbol's candles).
    #[error("{message}")]
    NotFound { field: Option<String>, message: String },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    /// The request is valid but clashes with the server's state (a job already running).
    #[error("{0}")]
    Conflict(String),
    /// The exchange failed or could not be reached (the request was fine).
    #[error("{0}")]
    Upstream(String),
    /// A failure of the server or the lake (unreadable files), never of the input.
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::Invalid { field: field.into(), message: message.into() }
    }

    pub fn not_found(field: Option<&str>, message: impl Into<String>) -> ApiError {
        ApiError::NotFound { field: field.map(str::to_string), message: message.into() }
    }

    pub fn internal(message: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(message.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Invalid { .. } => StatusCode::BAD_REQUEST,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Upstream(_) => StatusCode::BAD_GATEWAY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            ApiError::Invalid { field, .. } => Some(field),
            ApiError::NotFound { field, .. } => field.as_deref(),
            _ => None,
        }
    }
}

/// The JSON body of an error response.
pub fn error_body(message: &str, field: Option<&str>) -> serde_json::Value {
    let mut body = serde_json::json!({ "error": message });
    if let Some(f) = field {
        body["field"] = serde_json::Value::from(f);
    }
    body
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut resp = (status, Json(error_body(&self.to_string(), self.field()))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert("www-authenticate", axum::http::HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
