//! Sending orders so that none is ever sent twice.
//!
//! Every order has a deterministic client id (bot, bar, action). Before sending, the intent
//! is journaled; if the journal already knows the id the exchange is asked first (a crash may
//! have happened after sending). An unknown outcome (timeout after sending, -1006, -1007, 503)
//! is resolved by querying the id until `recvWindow` has certainly passed — after that the
//! exchange can no longer execute the lost request — and only then is it sent again.

use super::journal::{Journal, JournalError, OrderRow};
use crate::live::exchange::{AlgoKind, AlgoOrder, ExchangeError, Order, OrderSide, Venue};

/// Errors of order handling.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error(transparent)]
    Exchange(#[from] ExchangeError),
    #[error(transparent)]
    Journal(#[from] JournalError),
}

/// A market order to send.
#[derive(Debug, Clone)]
pub struct MarketReq<'a> {
    pub client_id: &'a str,
    pub action: &'a str,
    pub bar: i64,
    pub side: OrderSide,
    pub qty: String,
    pub reduce_only: bool,
    pub reason: &'a str,
}

/// How a conditional order ended up.
#[derive(Debug, Clone, PartialEq)]
pub enum AlgoOutcome {
    /// Working on the exchange.
    Open(AlgoOrder),
    /// Already triggered.
    Triggered(AlgoOrder),
    /// The price is already beyond the trigger (-2021).
    WouldTrigger,
}

fn row(client_id: &str, kind: &str, action: &str, bar: i64, side: OrderSide, qty: &str, trigger: &str, reason: &str) -> OrderRow {
    OrderRow {
        client_id: client_id.into(),
        kind: kind.into(),
        action: action.into(),
        bar,
        side: side.as_str().into(),
        qty: qty.into(),
        trigger: trigger.into(),
        status: String::new(),
        exchange_id: None,
        avg_price: None,
        executed_qty: None,
        reason: reason.into(),
        error: String::new(),
    }
}

fn record_order(j: &Journal, bot: &str, o: &Order) -> Result<(), JournalError> {
    let status = if o.is_filled() { "filled" } else { &o.status.to_ascii_lowercase() };
    j.order_result(bot, &o.client_id, status, Some(o.order_id), Some(o.avg_price), Some(o.executed_qty), "")
}

/// Wait until the exchange certainly cannot execute a request sent now: `recvWindow` plus
/// slack, polling the order meanwhile. `Some` as soon as it is found.
async fn resolve<V: Venue, T, F, Fut>(venue: &V, recv_window_ms: i64, mut query: F) -> Result<Option<T>, ExchangeError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, ExchangeError>>,
{
    let deadline = venue.now_ms() + recv_window_ms + 2_000;
    loop {
        match query().await {
            Ok(Some(x)) => return Ok(Some(x)),
            Ok(None) => {}
            Err(e) if e.is_transient() || e.is_unknown() => {}
            Err(e) => return Err(e),
        }
        if venue.now_ms() >= deadline {
            return Ok(None);
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// Send a market order at most once; returns the (filled) order.
pub async fn ensure_market<V: Venue>(venue: &V, j: &Journal, bot: &str, symbol: &str, recv_window_ms: i64, r: &MarketReq<'_>) -> Result<Order, OrderError> {
    if let Some(prev) = j.order(bot, r.client_id)? {
        if prev.status != "rejected" {
            // Sent before (perhaps just before a crash): the exchange knows. A request that
            // may still be in flight is waited for until it can no longer execute.
            let found = if matches!(prev.status.as_str(), "sent" | "unknown") {
                resolve(venue, recv_window_ms, || venue.order_by_client_id(symbol, r.client_id)).await?
            } else {
                venue.order_by_client_id(symbol, r.client_id).await?
            };
            if let Some(o) = found {
                record_order(j, bot, &o)?;
                return Ok(o);
            }
            if prev.status == "filled" {
                // The journal saw it filled but the exchange no longer lists it (very old):
                // never send it again.
                return Err(ExchangeError::Config(format!("order `{}` is journaled as filled but unknown to the exchange", r.client_id)).into());
            }
        }
    }
    j.order_intent(bot, &row(r.client_id, "market", r.action, r.bar, r.side, &r.qty, "", r.reason))?;
    for attempt in 0..2 {
        j.order_sent(bot, r.client_id)?;
        match venue.market_order(symbol, r.side, &r.qty, r.reduce_only, r.client_id).await {
            Ok(o) => {
                record_order(j, bot, &o)?;
                return Ok(o);
            }
            Err(e) if e.is_unknown() => {
                j.order_result(bot, r.client_id, "unknown", None, None, None, &e.to_string())?;
                j.log(bot, "warn", &format!("order `{}`: {e}; querying it by client id", r.client_id))?;
                if let Some(o) = resolve(venue, recv_window_ms, || venue.order_by_client_id(symbol, r.client_id)).await? {
                    record_order(j, bot, &o)?;
                    j.log(bot, "info", &format!("order `{}` was executed ({}); not sent again", r.client_id, o.status))?;
                    return Ok(o);
                }
                if attempt == 0 {
                    j.log(bot, "warn", &format!("order `{}` not found after the receive window: sending it again", r.client_id))?;
                    continue;
                }
                return Err(e.into());
            }
            Err(e) => {
                let status = if e.code().is_some() { "rejected" } else { "error" };
                j.order_result(bot, r.client_id, status, None, None, None, &e.to_string())?;
                return Err(e.into());
            }
        }
    }
    unreachable!("the loop returns")
}

/// Place a `closePosition` conditional order at most once.
#[allow(clippy::too_many_arguments)]
pub async fn ensure_algo<V: Venue>(
    venue: &V,
    j: &Journal,
    bot: &str,
    symbol: &str,
    recv_window_ms: i64,
    client_id: &str,
    kind: AlgoKind,
    side: OrderSide,
    trigger: &str,
    bar: i64,
) -> Result<AlgoOutcome, OrderError> {
    let action = match kind {
        AlgoKind::StopMarket => "stop_loss",
        AlgoKind::TakeProfitMarket => "take_profit",
    };
    if j.order(bot, client_id)?.is_some() {
        if let Some(a) = venue.algo_by_client_id(symbol, client_id).await? {
            j.order_result(bot, client_id, &a.status.to_ascii_lowercase(), Some(a.algo_id), None, None, "")?;
            if a.is_open() {
                return Ok(AlgoOutcome::Open(a));
            }
            if a.has_triggered() {
                return Ok(AlgoOutcome::Triggered(a));
            }
        }
    }
    j.order_intent(bot, &row(client_id, "algo", action, bar, side, "close", trigger, action))?;
    for attempt in 0..2 {
        j.order_sent(bot, client_id)?;
        match venue.algo_order(symbol, kind, side, trigger, client_id).await {
            Ok(a) => {
                j.order_result(bot, client_id, "new", Some(a.algo_id), None, None, "")?;
                return Ok(AlgoOutcome::Open(a));
            }
            Err(e) if e.code() == Some(-2021) => {
                j.order_result(bot, client_id, "rejected", None, None, None, &e.to_string())?;
                return Ok(AlgoOutcome::WouldTrigger);
            }
            Err(e) if e.is_unknown() => {
                j.order_result(bot, client_id, "unknown", None, None, None, &e.to_string())?;
                if let Some(a) = resolve(venue, recv_window_ms, || venue.algo_by_client_id(symbol, client_id)).await? {
                    j.order_result(bot, client_id, &a.status.to_ascii_lowercase(), Some(a.algo_id), None, None, "")?;
                    return Ok(if a.has_triggered() { AlgoOutcome::Triggered(a) } else { AlgoOutcome::Open(a) });
                }
                if attempt == 0 {
                    continue;
                }
                return Err(e.into());
            }
            Err(e) => {
                j.order_result(bot, client_id, "rejected", None, None, None, &e.to_string())?;
                return Err(e.into());
            }
        }
    }
    unreachable!("the loop returns")
}
