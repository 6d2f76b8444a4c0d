//! Position and wallet arithmetic of the one-way position: fills (weighted entry, realised
//! PnL on reduce, commission, margin), liquidation and the figures of positionRisk/balance.

use super::engine::Engine;
use super::state::{MarginType, Order, OrderOrigin, OrderStatus, Side, Trade};
use crate::live::filters::decimals;

/// One execution to book: an order that fills at once.
#[derive(Debug, Clone)]
pub struct Exec {
    pub side: Side,
    /// Quantity the order asked for.
    pub orig_qty: f64,
    /// Quantity that fills (≤ `orig_qty`).
    pub qty: f64,
    pub price: f64,
    pub reduce_only: bool,
    pub close_position: bool,
    pub origin: OrderOrigin,
    pub client_id: String,
    pub time: i64,
}

impl Engine {
    /// `x` rounded to the market lot step (drops float residue from sums of quantities).
    pub fn round_qty(&self, x: f64) -> f64 {
        let step = self.filters.market_step;
        format!("{:.*}", decimals(step), (x / step).round() * step).parse().expect("a formatted float parses")
    }

    /// What backs the position against liquidation: its isolated margin, or the whole
    /// wallet in cross mode.
    pub fn collateral(&self) -> f64 {
        match self.state.position.margin_type {
            MarginType::Isolated => self.state.position.isolated_margin,
            MarginType::Crossed => self.state.wallet,
        }
    }

    /// Unrealised PnL of the position at `price`.
    pub fn unrealized(&self, price: f64) -> f64 {
        let p = &self.state.position;
        p.qty * (price - p.entry_price)
    }

    /// Wallet minus the margin held by the position.
    pub fn available(&self) -> f64 {
        self.state.wallet - self.state.position.isolated_margin
    }

    /// The price at which the position is liquidated (None when flat).
    pub fn liquidation_price(&self) -> Option<f64> {
        let p = &self.state.position;
        if p.qty == 0.0 {
            return None;
        }
        let (q, e, c, mm) = (p.qty.abs(), p.entry_price, self.collateral(), self.maintenance_margin);
        let price = if p.qty > 0.0 { (q * e - c) / (q * (1.0 - mm)) } else { (c + q * e) / (q * (1.0 + mm)) };
        Some(price.max(0.0))
    }

    /// Book `x`: a FILLED order and its trade; returns the order id.
    pub fn execute(&mut self, x: Exec) -> i64 {
        let order_id = self.take_order_id();
        let (realized, commission) = self.apply_fill(x.side, x.qty, x.price, x.time);
        let trade_id = self.take_trade_id();
        self.state.trades.push(Trade {
            id: trade_id,
            order_id,
            side: x.side,
            price: x.price,
            qty: x.qty,
            quote_qty: x.qty * x.price,
            realized_pnl: realized,
            commission,
            time: x.time,
        });
        *self.state.orders_per_client_id.entry(x.client_id.clone()).or_insert(0) += 1;
        self.state.orders.push(Order {
            order_id,
            client_order_id: x.client_id,
            side: x.side,
            orig_qty: x.orig_qty,
            executed_qty: x.qty,
            avg_price: x.price,
            cum_quote: x.qty * x.price,
            status: OrderStatus::Filled,
            reduce_only: x.reduce_only,
            close_position: x.close_position,
            origin: x.origin,
            time: x.time,
            update_time: x.time,
        });
        order_id
    }

    /// Move the position by a fill; returns (realised PnL, commission) already booked to the wallet.
    fn apply_fill(&mut self, side: Side, qty: f64, price: f64, time: i64) -> (f64, f64) {
        let lev = f64::from(self.state.position.leverage.max(1));
        let pos_qty = self.state.position.qty;
        let mut realized = 0.0;
        if pos_qty == 0.0 || pos_qty.signum() == side.sign() {
            let new_qty = self.round_qty(pos_qty + side.sign() * qty);
            let p = &mut self.state.position;
            p.entry_price = (p.entry_price * pos_qty.abs() + price * qty) / new_qty.abs();
            p.isolated_margin += qty * price / lev;
            p.qty = new_qty;
        } else {
            let close = qty.min(pos_qty.abs());
            let rest = self.round_qty(qty - close);
            let left = self.round_qty(pos_qty + side.sign() * close);
            let p = &mut self.state.position;
            realized = close * (price - p.entry_price) * pos_qty.signum();
            p.isolated_margin -= p.isolated_margin * close / pos_qty.abs();
            p.qty = left;
            if left == 0.0 {
                p.entry_price = 0.0;
                p.isolated_margin = 0.0;
            }
            if rest > 0.0 {
                p.qty = side.sign() * rest;
                p.entry_price = price;
                p.isolated_margin = rest * price / lev;
            }
        }
        let commission = qty * price * self.commission;
        self.state.wallet += realized - commission;
        self.state.position.update_time = time;
        (realized, commission)
    }

    /// Close the position at its liquidation price; the collateral is lost.
    pub(super) fn liquidate(&mut self, time: i64) {
        let Some(price) = self.liquidation_price() else { return };
        let qty = self.state.position.qty;
        let side = Side::closing(qty);
        let loss = self.collateral();
        let order_id = self.take_order_id();
        let trade_id = self.take_trade_id();
        let client_id = format!("autoclose-{time}");
        self.state.trades.push(Trade {
            id: trade_id,
            order_id,
            side,
            price,
            qty: qty.abs(),
            quote_qty: qty.abs() * price,
            realized_pnl: -loss,
            commission: 0.0,
            time,
        });
        *self.state.orders_per_client_id.entry(client_id.clone()).or_insert(0) += 1;
        self.state.orders.push(Order {
            order_id,
            client_order_id: client_id,
            side,
            orig_qty: qty.abs(),
            executed_qty: qty.abs(),
            avg_price: price,
            cum_quote: qty.abs() * price,
            status: OrderStatus::Filled,
            reduce_only: true,
            close_position: false,
            origin: OrderOrigin::Liquidation,
            time,
            update_time: time,
        });
        self.state.wallet -= loss;
        let p = &mut self.state.position;
        p.qty = 0.0;
        p.entry_price = 0.0;
        p.isolated_margin = 0.0;
        p.update_time = time;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::mock::engine::tests::{engine_with, T0};

    fn exec(e: &mut Engine, side: Side, qty: f64, price: f64) {
        e.execute(Exec { side, orig_qty: qty, qty, price, reduce_only: false, close_position: false, origin: OrderOrigin::Client, client_id: "c".into(), time: T0 });
    }

    #[test]
    fn weighted_entry_partial_close_and_flip() {
        let mut e = engine_with(&[]);
        e.set_leverage(10).unwrap();
        exec(&mut e, Side::Buy, 1.0, 100.0);
        exec(&mut e, Side::Buy, 1.0, 110.0);
        assert_eq!(e.state.position.qty, 2.0);
        assert!((e.state.position.entry_price - 105.0).abs() < 1e-9);
        assert!((e.state.position.isolated_margin - 21.0).abs() < 1e-9);
        exec(&mut e, Side::Sell, 0.5, 115.0);
        assert_eq!(e.state.position.qty, 1.5);
        assert!((e.state.trades.last().unwrap().realized_pnl - 5.0).abs() < 1e-9);
        assert!((e.state.position.isolated_margin - 15.75).abs() < 1e-9);
        // Flip to short 0.5 at 90.
        exec(&mut e, Side::Sell, 2.0, 90.0);
        assert_eq!(e.state.position.qty, -0.5);
        assert_eq!(e.state.position.entry_price, 90.0);
        assert!((e.state.position.isolated_margin - 4.5).abs() < 1e-9);
        let fees: f64 = e.state.trades.iter().map(|t| t.commission).sum();
        let pnl: f64 = e.state.trades.iter().map(|t| t.realized_pnl).sum();
        assert!((e.state.wallet - (10_000.0 + pnl - fees)).abs() < 1e-9);
        assert!((pnl - (5.0 - 1.5 * 15.0)).abs() < 1e-9);
        assert_eq!(e.state.orders_per_client_id["c"], 4);
    }

    #[test]
    fn float_residue_does_not_leave_dust() {
        let mut e = engine_with(&[]);
        for _ in 0..3 {
            exec(&mut e, Side::Buy, 0.1, 100.0);
        }
        exec(&mut e, Side::Sell, 0.3, 100.0);
        assert_eq!(e.state.position.qty, 0.0);
        assert_eq!(e.state.position.isolated_margin, 0.0);
    }

    #[test]
    fn liquidation_prices() {
        let mut e = engine_with(&[]);
        e.set_margin_type("ISOLATED", T0).unwrap();
        e.set_leverage(10).unwrap();
        exec(&mut e, Side::Sell, 1.0, 100.0);
        let p = e.liquidation_price().unwrap();
        // margin 10 + (100 - p) = p * 0.005
        assert!((10.0 + (100.0 - p) - p * 0.005).abs() < 1e-9);
        assert_eq!(e.unrealized(90.0), 10.0);
    }
}
