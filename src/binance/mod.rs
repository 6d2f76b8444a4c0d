//! Binance REST access: a reusable HTTP client with retries and rate-limit handling, and
//! paged kline downloads that keep only closed candles.
//!
//! The client ([`Client`]) owns the base URL, a `reqwest::Client` and a shared weight gate;
//! endpoint families live in their own files (`klines.rs` today, signed trading endpoints
//! later) and all go through [`Client::get_json`].

mod client;
mod error;
mod klines;
mod paging;
mod ratelimit;

pub use client::{Client, ClientConfig, ReplyMeta};
pub use error::BinanceError;
pub use klines::{to_ohlcv, Kline, KlinePage};
pub use paging::{PageRequest, Pager, Stored};
pub use ratelimit::{weight_delay, WeightGate};

/// Which Binance market a client talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Market {
    /// Spot (`/api/v3`).
    Spot,
    /// USDⓈ-M futures (`/fapi/v1`).
    Futures,
}

impl Market {
    pub fn as_str(self) -> &'static str {
        match self {
            Market::Spot => "spot",
            Market::Futures => "futures",
        }
    }

    /// The public production REST host.
    pub fn default_base_url(self) -> &'static str {
        match self {
            Market::Spot => "https://api.binance.com",
            Market::Futures => "https://fapi.binance.com",
        }
    }

    /// The environment variable that overrides [`Market::default_base_url`].
    pub fn base_url_env(self) -> &'static str {
        match self {
            Market::Spot => "QM_BINANCE_SPOT_URL",
            Market::Futures => "QM_BINANCE_FUTURES_URL",
        }
    }

    pub fn klines_path(self) -> &'static str {
        match self {
            Market::Spot => "/api/v3/klines",
            Market::Futures => "/fapi/v1/klines",
        }
    }

    pub fn time_path(self) -> &'static str {
        match self {
            Market::Spot => "/api/v3/time",
            Market::Futures => "/fapi/v1/time",
        }
    }

    /// Largest `limit` one klines request accepts.
    pub fn max_klines_limit(self) -> usize {
        match self {
            Market::Spot => 1000,
            Market::Futures => 1500,
        }
    }

    /// Request weight allowed per IP and minute (`X-MBX-USED-WEIGHT-1M` counts against it).
    pub fn weight_limit_1m(self) -> u32 {
        match self {
            Market::Spot => 6000,
            Market::Futures => 2400,
        }
    }
}

impl std::fmt::Display for Market {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
