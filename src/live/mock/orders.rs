//! `/fapi/v1/order` and the account settings: MARKET orders with Binance's checks in
//! Binance's order, queries, cancels, leverage and margin type.

use super::account::Exec;
use super::engine::Engine;
use super::error::ApiError;
use super::state::{AlgoStatus, MarginType, Order, OrderOrigin, OrderStatus, Side};

/// Whether `id` is a valid client order / algo id: 1–36 characters of `[.A-Za-z0-9:/_-]`.
pub fn valid_client_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 36 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b".:/_-".contains(&b))
}

/// Whether `x` is a whole multiple of `step` (within float residue).
pub fn is_multiple(x: f64, step: f64) -> bool {
    let n = x / step;
    (n - n.round()).abs() <= 1e-7 * n.abs().max(1.0)
}

impl Engine {
    /// Quantity checks of a market-lot-size filter.
    pub fn check_market_qty(&self, qty: f64) -> Result<(), ApiError> {
        let f = &self.filters;
        if !(qty > 0.0) {
            return Err(ApiError::new(-4003, "Quantity less than or equal to zero."));
        }
        if !is_multiple(qty, f.market_step) {
            return Err(ApiError::new(-1111, "Precision is over the maximum defined for this asset."));
        }
        if qty < f.market_min - 1e-12 || (f.market_max > 0.0 && qty > f.market_max + 1e-12) {
            return Err(ApiError::new(-1013, "Filter failure: MARKET_LOT_SIZE"));
        }
        Ok(())
    }

    /// Place a MARKET order at `now`; it fills at once at the forming bar's open (with
    /// slippage). Returns the order id.
    pub fn market(&mut self, side: Side, qty: f64, reduce_only: bool, client_id: Option<String>, now: i64) -> Result<i64, ApiError> {
        self.check_market_qty(qty)?;
        let client_id = match client_id {
            Some(id) if !valid_client_id(&id) => return Err(ApiError::illegal("newClientOrderId")),
            Some(id) => id,
            None => self.generated_id("mock-"),
        };
        if self.state.orders.iter().any(|o| o.status == OrderStatus::New && o.client_order_id == client_id) {
            return Err(ApiError::new(-4116, "ClientOrderId is duplicated."));
        }
        let pos = self.state.position.qty;
        let fill_qty = if reduce_only {
            if pos == 0.0 || Side::closing(pos) != side {
                return Err(ApiError::new(-2022, "ReduceOnly Order is rejected."));
            }
            qty.min(pos.abs())
        } else {
            qty
        };
        let Some(bar) = self.forming(now) else {
            return Err(ApiError::new(-1000, format!("mock: no market data at {now}")));
        };
        let price = self.taker_price(bar.open, side);
        let notional = qty * price;
        if !reduce_only && notional < self.filters.min_notional {
            return Err(ApiError::new(
                -4164,
                format!("Order's notional must be no smaller than {} (unless you choose reduce only).", self.filters.min_notional),
            ));
        }
        let opening = if pos == 0.0 || pos.signum() == side.sign() { fill_qty } else { (fill_qty - pos.abs()).max(0.0) };
        let required = opening * price / f64::from(self.state.position.leverage.max(1)) + fill_qty * price * self.commission;
        if opening > 0.0 && required > self.available() + 1e-9 {
            return Err(ApiError::new(-2019, "Margin is insufficient."));
        }
        Ok(self.execute(Exec { side, orig_qty: qty, qty: fill_qty, price, reduce_only, close_position: false, origin: OrderOrigin::Client, client_id, time: now }))
    }

    /// The order with `order_id`, else the latest with `client_id` (-2013 when none).
    pub fn find_order(&self, order_id: Option<i64>, client_id: Option<&str>) -> Result<&Order, ApiError> {
        let found = match (order_id, client_id) {
            (Some(id), _) => self.state.orders.iter().find(|o| o.order_id == id),
            (None, Some(c)) => self.state.order_by_client_id(c),
            (None, None) => return Err(ApiError::new(-1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!")),
        };
        found.ok_or_else(|| ApiError::new(-2013, "Order does not exist."))
    }

    /// Cancel an open order (-2011 when there is no open order like that).
    pub fn cancel_order(&mut self, order_id: Option<i64>, client_id: Option<&str>, now: i64) -> Result<Order, ApiError> {
        let id = match self.find_order(order_id, client_id) {
            Ok(o) if o.status == OrderStatus::New => o.order_id,
            Err(e) if e.code == -1102 => return Err(e),
            _ => return Err(ApiError::new(-2011, "Unknown order sent.")),
        };
        let o = self.state.orders.iter_mut().find(|o| o.order_id == id).expect("found above");
        o.status = OrderStatus::Canceled;
        o.update_time = now;
        Ok(o.clone())
    }

    /// Open (NEW) orders.
    pub fn open_orders(&self) -> Vec<&Order> {
        self.state.orders.iter().filter(|o| o.status == OrderStatus::New).collect()
    }

    /// `POST /fapi/v1/leverage`: 1..=125 (-4028 otherwise).
    pub fn set_leverage(&mut self, leverage: i64) -> Result<u32, ApiError> {
        if !(1..=125).contains(&leverage) {
            return Err(ApiError::new(-4028, format!("Leverage {leverage} is not valid")));
        }
        self.state.position.leverage = leverage as u32;
        Ok(leverage as u32)
    }

    /// `POST /fapi/v1/marginType`: -4046 unchanged, -4048 with a position, -4047 with open orders.
    pub fn set_margin_type(&mut self, value: &str, now: i64) -> Result<(), ApiError> {
        let Some(mt) = MarginType::parse(value) else {
            return Err(ApiError::new(-1116, "Invalid marginType."));
        };
        if mt == self.state.position.margin_type {
            return Err(ApiError::new(-4046, "No need to change margin type."));
        }
        if self.state.position.qty != 0.0 {
            return Err(ApiError::new(-4048, "Margin type cannot be changed if there exists position."));
        }
        let open_algos = self.state.algo_orders.iter().any(|a| a.status == AlgoStatus::New);
        if open_algos || !self.open_orders().is_empty() {
            return Err(ApiError::new(-4047, "Margin type cannot be changed if there exists open orders."));
        }
        self.state.position.margin_type = mt;
        self.state.position.update_time = now;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::mock::engine::tests::{engine_with, MIN, T0};

    #[test]
    fn market_orders_fill_at_the_forming_open() {
        let mut e = engine_with(&[(1, 101.0, 102.0, 100.0, 101.0)]);
        let id = e.market(Side::Buy, 0.5, false, Some("x1".into()), T0 + MIN + 5).unwrap();
        let o = e.find_order(Some(id), None).unwrap();
        assert_eq!((o.avg_price, o.executed_qty, o.status), (101.0, 0.5, OrderStatus::Filled));
        assert_eq!(e.find_order(None, Some("x1")).unwrap().order_id, id);
        // A filled order's client id can be used again; the count shows it.
        e.market(Side::Sell, 0.5, true, Some("x1".into()), T0 + MIN + 6).unwrap();
        assert_eq!(e.state.orders_per_client_id["x1"], 2);
        assert_ne!(e.find_order(None, Some("x1")).unwrap().order_id, id);
        assert_eq!(e.find_order(Some(1), None).unwrap_err().code, -2013);
        assert_eq!(e.cancel_order(Some(id), None, T0).unwrap_err().code, -2011);
        assert!(e.state.trades.iter().all(|t| t.commission > 0.0));
    }

    #[test]
    fn rejections() {
        let mut e = engine_with(&[]);
        let t = T0 + 5;
        let code = |r: Result<i64, ApiError>| r.unwrap_err().code;
        assert_eq!(code(e.market(Side::Buy, 0.0, false, None, t)), -4003);
        assert_eq!(code(e.market(Side::Buy, 0.0015, false, None, t)), -1111);
        assert_eq!(code(e.market(Side::Buy, 500.0, false, None, t)), -1013);
        assert_eq!(code(e.market(Side::Buy, 0.01, false, None, t)), -4164);
        assert_eq!(code(e.market(Side::Sell, 0.01, true, None, t)), -2022);
        assert_eq!(code(e.market(Side::Buy, 1.0, false, None, T0 - 1)), -1000);
        assert_eq!(code(e.market(Side::Buy, 1.0, false, None, T0 + 10 * MIN)), -1000);
        assert_eq!(code(e.market(Side::Buy, 1.0, false, Some("bad id!".into()), t)), -1100);
        e.set_leverage(1).unwrap();
        assert_eq!(code(e.market(Side::Buy, 100.0, false, None, t)), -2019);
        e.market(Side::Buy, 1.0, false, None, t).unwrap();
        assert_eq!(code(e.market(Side::Buy, 1.0, true, None, t)), -2022);
        // Reduce-only is capped at the position and exempt from the notional minimum.
        let id = e.market(Side::Sell, 2.0, true, None, t).unwrap();
        assert_eq!(e.find_order(Some(id), None).unwrap().executed_qty, 1.0);
        assert_eq!(e.state.position.qty, 0.0);
    }

    #[test]
    fn settings() {
        let mut e = engine_with(&[]);
        assert_eq!(e.set_leverage(0).unwrap_err().code, -4028);
        assert_eq!(e.set_leverage(126).unwrap_err().code, -4028);
        assert_eq!(e.set_leverage(5).unwrap(), 5);
        assert_eq!(e.set_margin_type("CROSSED", T0).unwrap_err().code, -4046);
        e.set_margin_type("ISOLATED", T0).unwrap();
        e.market(Side::Buy, 1.0, false, None, T0).unwrap();
        assert_eq!(e.set_margin_type("CROSSED", T0).unwrap_err().code, -4048);
        assert!(valid_client_id("qm:a/b_c-1.2") && !valid_client_id("") && !valid_client_id(&"x".repeat(37)));
    }
}
