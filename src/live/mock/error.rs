//! Rejections in Binance's shape: `{"code":-1021,"msg":"..."}` with an HTTP status.

/// An error answer of the mock exchange.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {msg}")]
pub struct ApiError {
    /// HTTP status (400 for most rejections, like Binance).
    pub status: u16,
    /// Binance error code (negative).
    pub code: i64,
    pub msg: String,
}

impl ApiError {
    /// A rejection with HTTP 400.
    pub fn new(code: i64, msg: impl Into<String>) -> ApiError {
        ApiError { status: 400, code, msg: msg.into() }
    }

    pub fn with_status(mut self, status: u16) -> ApiError {
        self.status = status;
        self
    }

    /// -1102: a mandatory parameter is missing or malformed.
    pub fn mandatory(name: &str) -> ApiError {
        ApiError::new(-1102, format!("Mandatory parameter '{name}' was not sent, was empty/null, or malformed."))
    }

    /// -1100: a parameter has an illegal value.
    pub fn illegal(name: &str) -> ApiError {
        ApiError::new(-1100, format!("Illegal characters found in parameter '{name}'; legal range is '^[A-Z0-9_.:/-]{{1,36}}$'."))
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({ "code": self.code, "msg": self.msg })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_is_binance_shaped() {
        let e = ApiError::new(-1021, "Timestamp for this request is outside of the recvWindow.");
        assert_eq!(e.status, 400);
        assert_eq!(e.body().to_string(), r#"{"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}"#);
        assert_eq!(ApiError::mandatory("symbol").code, -1102);
    }
}
