//! Exchange errors, classified by what they mean for an order: rejected (nothing happened),
//! unknown (it may have executed), or the venue asking us to slow down.

use crate::live::filters::FilterError;

/// Binance codes meaning "sent, but the outcome is unknown".
pub const UNKNOWN_CODES: [i64; 2] = [-1006, -1007];

#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// A definite rejection: the request did not execute.
    #[error("exchange rejected `{path}` (HTTP {status}, code {code}): {msg}")]
    Api { path: String, status: u16, code: i64, msg: String },
    /// The request may have executed (timeout after sending, -1006, -1007, 503 "Unknown error").
    #[error("outcome of `{path}` is unknown: {detail}")]
    Unknown { path: String, detail: String },
    /// HTTP 429 lasting longer than we wait.
    #[error("rate limited by the exchange: retry after {retry_after_s} s")]
    RateLimited { retry_after_s: u64 },
    /// HTTP 418: the IP is banned for a while.
    #[error("banned by the exchange (HTTP 418) for {retry_after_s} s after ignoring rate limits")]
    Banned { retry_after_s: u64 },
    /// The request never reached the exchange, or a read failed that is safe to repeat.
    #[error("cannot reach the exchange at `{path}`: {detail}")]
    Transport { path: String, detail: String },
    #[error("malformed reply from `{path}`: {reason}")]
    Malformed { path: String, reason: String },
    #[error(transparent)]
    Filter(#[from] FilterError),
    #[error("{0}")]
    Config(String),
}

impl ExchangeError {
    /// The Binance error code of a definite rejection.
    pub fn code(&self) -> Option<i64> {
        match self {
            ExchangeError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, ExchangeError::Unknown { .. })
    }

    /// Worth trying again later without changing anything (the cycle is repeated).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ExchangeError::Transport { .. } | ExchangeError::RateLimited { .. } | ExchangeError::Banned { .. } | ExchangeError::Malformed { .. }
        ) || matches!(self, ExchangeError::Api { status, .. } if *status >= 500)
            // Timestamp outside the window even after a resync: not executed; try again.
            || self.code() == Some(-1021)
    }
}
