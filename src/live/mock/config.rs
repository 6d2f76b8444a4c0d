//! What a mock exchange is started with: the candles it replays and the account it simulates.

use crate::live::clock::Clock;
use crate::live::filters::SymbolFilters;

/// One candle of the replayed market.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MockCandle {
    /// Open time, ms since the epoch.
    pub open_time: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
}

/// Settings of a mock exchange.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// The only symbol traded (others are rejected with -1121).
    pub symbol: String,
    /// Candle length in ms.
    pub interval_ms: i64,
    /// Sorted, contiguous candles (`open_time` steps by `interval_ms`).
    pub candles: Vec<MockCandle>,
    pub filters: SymbolFilters,
    /// Taker commission rate, charged on every fill's notional.
    pub commission: f64,
    /// Fraction by which fills are worse than the reference price.
    pub slippage: f64,
    /// Maintenance margin rate (liquidation when margin + unrealised ≤ notional × rate).
    pub maintenance_margin: f64,
    /// USDT wallet balance at the start.
    pub balance: f64,
    /// The `X-MBX-APIKEY` clients must send.
    pub api_key: String,
    /// The secret requests must be signed with.
    pub api_secret: String,
    /// The exchange's time.
    pub clock: Clock,
    /// Request weight allowed per minute of server time (Binance: 2400).
    pub weight_limit_1m: u32,
}

impl MockConfig {
    /// A BTC-like symbol (tick 0.1, step 0.001, minimum notional 5), commission 0.04 %, no
    /// slippage, maintenance margin 0.5 %, 10 000 USDT, key `mock-key`, secret `mock-secret`.
    pub fn new(symbol: impl Into<String>, interval_ms: i64, candles: Vec<MockCandle>, clock: Clock) -> MockConfig {
        MockConfig {
            symbol: symbol.into(),
            interval_ms,
            candles,
            filters: SymbolFilters {
                tick_size: 0.1,
                lot_step: 0.001,
                lot_min: 0.001,
                lot_max: 1000.0,
                market_step: 0.001,
                market_min: 0.001,
                market_max: 120.0,
                min_notional: 5.0,
            },
            commission: 0.0004,
            slippage: 0.0,
            maintenance_margin: 0.005,
            balance: 10_000.0,
            api_key: "mock-key".into(),
            api_secret: "mock-secret".into(),
            clock,
            weight_limit_1m: 2400,
        }
    }
}
