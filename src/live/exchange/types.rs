//! What the exchange reports, decoded into plain values.

/// Order side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderSide {
    Buy,
    Sell,
}

impl OrderSide {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderSide::Buy => "BUY",
            OrderSide::Sell => "SELL",
        }
    }

    pub fn parse(s: &str) -> Option<OrderSide> {
        match s {
            "BUY" => Some(OrderSide::Buy),
            "SELL" => Some(OrderSide::Sell),
            _ => None,
        }
    }

    /// The side that opens a position of sign `side` (`> 0` long).
    pub fn opening(side: i8) -> OrderSide {
        if side > 0 {
            OrderSide::Buy
        } else {
            OrderSide::Sell
        }
    }

    /// The side that closes a position of sign `side`.
    pub fn closing(side: i8) -> OrderSide {
        Self::opening(-side)
    }
}

/// Conditional order types of the Algo Order API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlgoKind {
    StopMarket,
    TakeProfitMarket,
}

impl AlgoKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlgoKind::StopMarket => "STOP_MARKET",
            AlgoKind::TakeProfitMarket => "TAKE_PROFIT_MARKET",
        }
    }

    pub fn parse(s: &str) -> Option<AlgoKind> {
        match s {
            "STOP_MARKET" => Some(AlgoKind::StopMarket),
            "TAKE_PROFIT_MARKET" => Some(AlgoKind::TakeProfitMarket),
            _ => None,
        }
    }
}

/// Isolated or cross margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MarginType {
    Isolated,
    Crossed,
}

impl MarginType {
    pub fn as_str(self) -> &'static str {
        match self {
            MarginType::Isolated => "ISOLATED",
            MarginType::Crossed => "CROSSED",
        }
    }
}

/// A (market) order as the exchange reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub order_id: i64,
    pub client_id: String,
    /// `NEW`, `PARTIALLY_FILLED`, `FILLED`, `CANCELED`, `EXPIRED`, `REJECTED`.
    pub status: String,
    pub side: OrderSide,
    pub avg_price: f64,
    pub executed_qty: f64,
    pub orig_qty: f64,
    pub reduce_only: bool,
    pub update_time: i64,
}

impl Order {
    pub fn is_filled(&self) -> bool {
        self.status == "FILLED"
    }

    /// Still working on the book.
    pub fn is_open(&self) -> bool {
        matches!(self.status.as_str(), "NEW" | "PARTIALLY_FILLED")
    }
}

/// A conditional order of the Algo Order API.
#[derive(Debug, Clone, PartialEq)]
pub struct AlgoOrder {
    pub algo_id: i64,
    pub client_id: String,
    pub kind: AlgoKind,
    pub side: OrderSide,
    pub trigger_price: f64,
    /// `NEW`, `TRIGGERING`, `TRIGGERED`, `FINISHED`, `CANCELED`, `EXPIRED`, `REJECTED`.
    pub status: String,
    /// The market order it became once triggered.
    pub actual_order_id: Option<i64>,
    pub create_time: i64,
}

impl AlgoOrder {
    /// Waiting for its trigger.
    pub fn is_open(&self) -> bool {
        matches!(self.status.as_str(), "NEW" | "TRIGGERING")
    }

    /// Triggered (its market order was sent).
    pub fn has_triggered(&self) -> bool {
        matches!(self.status.as_str(), "TRIGGERED" | "FINISHED") || self.actual_order_id.is_some()
    }
}

/// The one-way position of a symbol.
#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    /// Signed size: `> 0` long, `< 0` short.
    pub qty: f64,
    pub entry_price: f64,
    pub mark_price: f64,
    pub unrealized: f64,
    pub leverage: Option<f64>,
}

impl Position {
    pub fn side(&self) -> i8 {
        if self.qty > 0.0 {
            1
        } else if self.qty < 0.0 {
            -1
        } else {
            0
        }
    }
}

/// One fill (`/fapi/v1/userTrades`).
#[derive(Debug, Clone, PartialEq)]
pub struct UserTrade {
    pub id: i64,
    pub order_id: i64,
    pub side: OrderSide,
    pub price: f64,
    pub qty: f64,
    pub realized_pnl: f64,
    pub commission: f64,
    pub commission_asset: String,
    pub time: i64,
}

/// The USDT wallet.
#[derive(Debug, Clone, PartialEq)]
pub struct Balance {
    pub balance: f64,
    pub available: f64,
    pub unrealized: f64,
}
