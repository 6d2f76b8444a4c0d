//! The exchange a bot trades on, as the bot sees it: orders, conditional (algo) orders,
//! the position, fills and the wallet — and the errors that decide what a bot may do next.
//!
//! [`Venue`] is implemented by the signed Binance USDⓈ-M REST client ([`rest::FuturesRest`],
//! for demo, testnet, live and replays against the mock exchange) and by the paper venue
//! (`live::paper`), which fills orders in-process.

pub mod error;
pub mod rest;
pub mod types;
mod wire;

pub use error::ExchangeError;
pub use types::{AlgoKind, AlgoOrder, Balance, MarginType, Order, OrderSide, Position, UserTrade};

use std::future::Future;

use crate::binance::Kline;
use crate::live::filters::SymbolFilters;
use crate::timeframe::Timeframe;

/// What a bot needs from an exchange. Every method is one logical request (the REST client
/// may retry safe ones); order placements never retry by themselves — an unknown outcome is
/// reported as [`ExchangeError::Unknown`] for the caller to resolve by client id.
pub trait Venue: Send + Sync {
    /// The venue's clock (ms): exchange time for REST venues.
    fn now_ms(&self) -> i64;
    /// Re-measure the offset between the local and the exchange clock.
    fn sync_time(&self) -> impl Future<Output = Result<(), ExchangeError>> + Send;
    fn filters(&self, symbol: &str) -> impl Future<Output = Result<SymbolFilters, ExchangeError>> + Send;
    /// Klines oldest first; the newest may still be forming.
    fn klines(&self, symbol: &str, tf: Timeframe, start: Option<i64>, limit: usize) -> impl Future<Output = Result<Vec<Kline>, ExchangeError>> + Send;
    /// One-way position mode, the margin type and the leverage (no-ops when already set).
    fn prepare(&self, symbol: &str, leverage: u32, margin: MarginType) -> impl Future<Output = Result<(), ExchangeError>> + Send;
    fn market_order(&self, symbol: &str, side: OrderSide, qty: &str, reduce_only: bool, client_id: &str) -> impl Future<Output = Result<Order, ExchangeError>> + Send;
    /// `None` when the exchange has no order with this client id (-2013).
    fn order_by_client_id(&self, symbol: &str, client_id: &str) -> impl Future<Output = Result<Option<Order>, ExchangeError>> + Send;
    /// A `closePosition` stop-loss / take-profit triggered on the contract (last) price.
    fn algo_order(&self, symbol: &str, kind: AlgoKind, side: OrderSide, trigger: &str, client_id: &str) -> impl Future<Output = Result<AlgoOrder, ExchangeError>> + Send;
    fn algo_by_client_id(&self, symbol: &str, client_id: &str) -> impl Future<Output = Result<Option<AlgoOrder>, ExchangeError>> + Send;
    /// Cancel an algo order; `Ok(false)` when it was no longer open.
    fn cancel_algo(&self, symbol: &str, client_id: &str) -> impl Future<Output = Result<bool, ExchangeError>> + Send;
    fn open_algo_orders(&self, symbol: &str) -> impl Future<Output = Result<Vec<AlgoOrder>, ExchangeError>> + Send;
    fn position(&self, symbol: &str) -> impl Future<Output = Result<Position, ExchangeError>> + Send;
    /// Fills with an id above `after_id` (all when `None`), oldest first.
    fn user_trades(&self, symbol: &str, after_id: Option<i64>) -> impl Future<Output = Result<Vec<UserTrade>, ExchangeError>> + Send;
    fn balance(&self) -> impl Future<Output = Result<Balance, ExchangeError>> + Send;
}
