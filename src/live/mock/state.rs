//! What the mock exchange holds about the account: the wallet, the one-way position, every
//! order, algo order and fill, and counters of what clients did. [`MockState`] is a plain
//! clone of it so tests can assert on the exchange's side of a conversation.

use std::collections::BTreeMap;

/// Order side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    pub fn parse(s: &str) -> Option<Side> {
        match s {
            "BUY" => Some(Side::Buy),
            "SELL" => Some(Side::Sell),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        }
    }

    /// +1 for a buy, -1 for a sell.
    pub fn sign(self) -> f64 {
        match self {
            Side::Buy => 1.0,
            Side::Sell => -1.0,
        }
    }

    /// The side that reduces a position of signed quantity `qty`.
    pub fn closing(qty: f64) -> Side {
        if qty > 0.0 {
            Side::Sell
        } else {
            Side::Buy
        }
    }
}

/// `ISOLATED` or `CROSSED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarginType {
    Isolated,
    Crossed,
}

impl MarginType {
    pub fn parse(s: &str) -> Option<MarginType> {
        match s {
            "ISOLATED" => Some(MarginType::Isolated),
            "CROSSED" => Some(MarginType::Crossed),
            _ => None,
        }
    }

    /// The spelling of `/fapi/v2/positionRisk`.
    pub fn risk_text(self) -> &'static str {
        match self {
            MarginType::Isolated => "isolated",
            MarginType::Crossed => "cross",
        }
    }
}

/// The one-way (`BOTH`) position of the symbol.
#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    /// Signed quantity: > 0 long, < 0 short, 0 flat.
    pub qty: f64,
    /// Weighted average entry price (0 when flat).
    pub entry_price: f64,
    /// Margin held by the position: notional / leverage at entry, released pro rata on reduce.
    pub isolated_margin: f64,
    pub leverage: u32,
    pub margin_type: MarginType,
    /// Server time of the last change.
    pub update_time: i64,
}

/// Order status of `/fapi/v1/order`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    New,
    Filled,
    Canceled,
    Expired,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::New => "NEW",
            OrderStatus::Filled => "FILLED",
            OrderStatus::Canceled => "CANCELED",
            OrderStatus::Expired => "EXPIRED",
        }
    }
}

/// Why an order exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderOrigin {
    /// Sent by the client to `/fapi/v1/order`.
    Client,
    /// The child of the triggered algo order with this id.
    Algo(i64),
    /// The exchange closed the position at its liquidation price.
    Liquidation,
}

/// One (market) order.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub order_id: i64,
    pub client_order_id: String,
    pub side: Side,
    /// Requested quantity.
    pub orig_qty: f64,
    /// Filled quantity (may be below `orig_qty` for a reduce-only order larger than the position).
    pub executed_qty: f64,
    pub avg_price: f64,
    /// executed quantity × average price.
    pub cum_quote: f64,
    pub status: OrderStatus,
    pub reduce_only: bool,
    pub close_position: bool,
    pub origin: OrderOrigin,
    pub time: i64,
    pub update_time: i64,
}

/// `STOP_MARKET` or `TAKE_PROFIT_MARKET`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlgoType {
    StopMarket,
    TakeProfitMarket,
}

impl AlgoType {
    pub fn as_str(self) -> &'static str {
        match self {
            AlgoType::StopMarket => "STOP_MARKET",
            AlgoType::TakeProfitMarket => "TAKE_PROFIT_MARKET",
        }
    }
}

/// Lifecycle of an algo order: NEW → TRIGGERED → FINISHED, or CANCELED / EXPIRED.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlgoStatus {
    New,
    Triggered,
    Finished,
    Canceled,
    Expired,
}

impl AlgoStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlgoStatus::New => "NEW",
            AlgoStatus::Triggered => "TRIGGERED",
            AlgoStatus::Finished => "FINISHED",
            AlgoStatus::Canceled => "CANCELED",
            AlgoStatus::Expired => "EXPIRED",
        }
    }
}

/// One conditional algo order (`/fapi/v1/algoOrder`).
#[derive(Debug, Clone, PartialEq)]
pub struct AlgoOrder {
    pub algo_id: i64,
    pub client_algo_id: String,
    pub algo_type: AlgoType,
    pub side: Side,
    pub trigger_price: f64,
    /// Closes the whole position when triggered (else `quantity` is used).
    pub close_position: bool,
    /// Quantity of a non-closePosition order.
    pub quantity: f64,
    pub reduce_only: bool,
    /// `CONTRACT_PRICE` or `MARK_PRICE` (both watch the last price here).
    pub working_type: String,
    pub price_protect: bool,
    pub status: AlgoStatus,
    pub create_time: i64,
    pub update_time: i64,
    /// The child market order, once triggered.
    pub actual_order_id: Option<i64>,
    /// The child's fill price, once triggered.
    pub actual_price: Option<f64>,
}

/// One fill (`/fapi/v1/userTrades`).
#[derive(Debug, Clone, PartialEq)]
pub struct Trade {
    pub id: i64,
    pub order_id: i64,
    pub side: Side,
    pub price: f64,
    pub qty: f64,
    pub quote_qty: f64,
    /// Profit realised by the part of the fill that reduced the position, before commission
    /// (a liquidation books the lost margin here).
    pub realized_pnl: f64,
    /// Commission in USDT, deducted from the wallet.
    pub commission: f64,
    pub time: i64,
}

/// What clients did and how the exchange answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// Every HTTP request received.
    pub requests: u64,
    /// Responses with HTTP 429.
    pub rate_limited: u64,
    /// Responses with HTTP 418.
    pub banned: u64,
    /// Responses with code -1021 (timestamp outside the recvWindow).
    pub timestamp_rejections: u64,
}

/// A snapshot of the whole exchange side.
#[derive(Debug, Clone, PartialEq)]
pub struct MockState {
    /// USDT wallet balance: start balance + realised PnL − commissions − liquidation losses.
    pub wallet: f64,
    pub position: Position,
    pub orders: Vec<Order>,
    pub algo_orders: Vec<AlgoOrder>,
    pub trades: Vec<Trade>,
    /// Orders created per clientOrderId (a value above 1 means a client id was used twice).
    pub orders_per_client_id: BTreeMap<String, u32>,
    pub counters: Counters,
}

impl MockState {
    pub fn new(balance: f64) -> MockState {
        MockState {
            wallet: balance,
            position: Position { qty: 0.0, entry_price: 0.0, isolated_margin: 0.0, leverage: 20, margin_type: MarginType::Crossed, update_time: 0 },
            orders: Vec::new(),
            algo_orders: Vec::new(),
            trades: Vec::new(),
            orders_per_client_id: BTreeMap::new(),
            counters: Counters::default(),
        }
    }

    /// The latest order with this client order id.
    pub fn order_by_client_id(&self, id: &str) -> Option<&Order> {
        self.orders.iter().rev().find(|o| o.client_order_id == id)
    }

    /// The latest algo order with this client algo id.
    pub fn algo_by_client_id(&self, id: &str) -> Option<&AlgoOrder> {
        self.algo_orders.iter().rev().find(|o| o.client_algo_id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_and_lookups() {
        assert_eq!(Side::parse("SELL"), Some(Side::Sell));
        assert_eq!(Side::closing(-1.0), Side::Buy);
        assert_eq!(MarginType::parse("CROSSED").unwrap().risk_text(), "cross");
        let s = MockState::new(100.0);
        assert!(s.order_by_client_id("x").is_none());
        assert_eq!(s.position.leverage, 20);
    }
}
