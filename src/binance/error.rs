//! Errors of the Binance client.

/// Everything that can go wrong talking to Binance.
#[derive(Debug, thiserror::Error)]
pub enum BinanceError {
    /// A bad setting (environment variable or constructor argument).
    #[error("invalid {name} `{value}`: {reason}")]
    Config { name: &'static str, value: String, reason: String },
    /// The exchange answered with an error code (not retried).
    #[error("binance rejected the request (HTTP {status}, code {code}): {msg}")]
    Api { status: u16, code: i64, msg: String },
    /// The exchange does not know the symbol (code -1121).
    #[error("unknown symbol `{symbol}`: binance says \"{msg}\"")]
    UnknownSymbol { symbol: String, msg: String },
    /// An HTTP status without a Binance error body.
    #[error("HTTP {status} from `{url}`: {body}")]
    Status { status: u16, url: String, body: String },
    /// Connection, timeout or body-read failure.
    #[error(transparent)]
    Transport(#[from] reqwest::Error),
    /// A body that is not the JSON the endpoint promises.
    #[error("malformed response from `{url}`: {reason}")]
    Malformed { url: String, reason: String },
    /// HTTP 429/418 asking for a longer pause than we are willing to take.
    #[error("rate limited (HTTP {status}): binance asks to wait {retry_after_s} s, more than the allowed {max_wait_s} s")]
    RateLimited { status: u16, retry_after_s: u64, max_wait_s: u64 },
    /// Retryable failures kept happening.
    #[error("giving up after {attempts} attempts")]
    Exhausted {
        attempts: u32,
        #[source]
        last: Box<BinanceError>,
    },
}

impl BinanceError {
    /// Failures worth another attempt: transport trouble, 5xx, truncated or malformed bodies.
    pub fn is_retryable(&self) -> bool {
        match self {
            BinanceError::Transport(_) | BinanceError::Malformed { .. } => true,
            BinanceError::Status { status, .. } => *status >= 500,
            BinanceError::Api { status, .. } => *status >= 500,
            _ => false,
        }
    }
}
