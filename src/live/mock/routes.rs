//! The endpoints the mock serves: which method and path, whether signed, their weight and
//! what kind of request they are for faults.

use super::fault::RequestKind;
use super::params::Params;

/// One endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Ping,
    Time,
    ExchangeInfo,
    Klines,
    Leverage,
    MarginType,
    DualGet,
    DualPost,
    OrderNew,
    OrderGet,
    OrderCancel,
    OpenOrders,
    AlgoNew,
    AlgoGet,
    AlgoCancel,
    OpenAlgos,
    PositionRisk,
    Balance,
    UserTrades,
}

impl Route {
    pub fn of(method: &str, path: &str) -> Option<Route> {
        Some(match (method, path) {
            ("GET", "/fapi/v1/ping") => Route::Ping,
            ("GET", "/fapi/v1/time") => Route::Time,
            ("GET", "/fapi/v1/exchangeInfo") => Route::ExchangeInfo,
            ("GET", "/fapi/v1/klines") => Route::Klines,
            ("POST", "/fapi/v1/leverage") => Route::Leverage,
            ("POST", "/fapi/v1/marginType") => Route::MarginType,
            ("GET", "/fapi/v1/positionSide/dual") => Route::DualGet,
            ("POST", "/fapi/v1/positionSide/dual") => Route::DualPost,
            ("POST", "/fapi/v1/order") => Route::OrderNew,
            ("GET", "/fapi/v1/order") => Route::OrderGet,
            ("DELETE", "/fapi/v1/order") => Route::OrderCancel,
            ("GET", "/fapi/v1/openOrders") => Route::OpenOrders,
            ("POST", "/fapi/v1/algoOrder") => Route::AlgoNew,
            ("GET", "/fapi/v1/algoOrder") => Route::AlgoGet,
            ("DELETE", "/fapi/v1/algoOrder") => Route::AlgoCancel,
            ("GET", "/fapi/v1/openAlgoOrders") => Route::OpenAlgos,
            ("GET", "/fapi/v2/positionRisk") => Route::PositionRisk,
            ("GET", "/fapi/v3/balance") => Route::Balance,
            ("GET", "/fapi/v1/userTrades") => Route::UserTrades,
            _ => return None,
        })
    }

    /// Whether the endpoint needs the API key and a signature.
    pub fn signed(self) -> bool {
        !matches!(self, Route::Ping | Route::Time | Route::ExchangeInfo | Route::Klines)
    }

    /// Whether the endpoint places or cancels orders (order-count headers).
    pub fn is_order(self) -> bool {
        matches!(self, Route::OrderNew | Route::OrderCancel | Route::AlgoNew | Route::AlgoCancel)
    }

    /// Whether the endpoint places an order (counted against the order rate).
    pub fn places(self) -> bool {
        matches!(self, Route::OrderNew | Route::AlgoNew)
    }

    /// Request weight.
    pub fn weight(self, p: &Params) -> u32 {
        match self {
            Route::Klines => match p.get("limit").and_then(|l| l.parse::<u32>().ok()).unwrap_or(500) {
                0..=99 => 1,
                100..=499 => 2,
                500..=1000 => 5,
                _ => 10,
            },
            Route::PositionRisk | Route::Balance | Route::UserTrades => 5,
            Route::OpenOrders | Route::OpenAlgos if p.get("symbol").is_none() => 40,
            _ => 1,
        }
    }

    pub fn kind(self) -> RequestKind {
        match self {
            Route::OrderNew => RequestKind::NewOrder,
            Route::AlgoNew => RequestKind::NewAlgoOrder,
            r if r.signed() && matches!(r, Route::OrderGet | Route::OpenOrders | Route::AlgoGet | Route::OpenAlgos | Route::PositionRisk | Route::Balance | Route::UserTrades | Route::DualGet) => {
                RequestKind::Query
            }
            _ => RequestKind::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert_eq!(Route::of("POST", "/fapi/v1/algoOrder"), Some(Route::AlgoNew));
        assert_eq!(Route::of("PUT", "/fapi/v1/order"), None);
        assert!(!Route::Klines.signed() && Route::Balance.signed());
        assert_eq!(Route::Klines.weight(&Params::parse("limit=1500", "")), 10);
        assert_eq!(Route::Klines.weight(&Params::parse("limit=10", "")), 1);
        assert_eq!(Route::OrderGet.kind(), RequestKind::Query);
        assert_eq!(Route::Time.kind(), RequestKind::Other);
    }
}
