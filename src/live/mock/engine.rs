//! The simulated market and account, without HTTP: which candles exist at a time, the last
//! price, and the lazy processing of closed bars (liquidations, then stop / take-profit
//! triggers). Orders are in `orders.rs` and `algo.rs`, position arithmetic in `account.rs`.

use super::account::Exec;
use super::config::{MockCandle, MockConfig};
use super::error::ApiError;
use super::state::{AlgoStatus, AlgoType, MockState, OrderOrigin, Side};
use crate::live::filters::SymbolFilters;

/// The exchange's market data and account.
#[derive(Debug, Clone)]
pub struct Engine {
    pub symbol: String,
    pub interval_ms: i64,
    pub candles: Vec<MockCandle>,
    pub filters: SymbolFilters,
    pub commission: f64,
    pub slippage: f64,
    pub maintenance_margin: f64,
    pub state: MockState,
    /// Number of leading candles whose closed bar has been processed.
    processed: usize,
    next_order_id: i64,
    next_algo_id: i64,
    next_trade_id: i64,
    /// Counter for generated client ids.
    next_generated: u64,
    /// Every algo order before this index is done (not NEW): bars scan only the rest.
    algo_cursor: usize,
}

impl Engine {
    pub fn new(cfg: &MockConfig) -> Engine {
        Engine {
            symbol: cfg.symbol.clone(),
            interval_ms: cfg.interval_ms.max(1),
            candles: cfg.candles.clone(),
            filters: cfg.filters,
            commission: cfg.commission,
            slippage: cfg.slippage,
            maintenance_margin: cfg.maintenance_margin,
            state: MockState::new(cfg.balance),
            processed: 0,
            next_order_id: 100_000_001,
            next_algo_id: 200_000_001,
            next_trade_id: 1,
            next_generated: 1,
            algo_cursor: 0,
        }
    }

    /// -1121 unless `symbol` is the mock's symbol.
    pub fn check_symbol(&self, symbol: &str) -> Result<(), ApiError> {
        if symbol == self.symbol {
            Ok(())
        } else {
            Err(ApiError::new(-1121, "Invalid symbol."))
        }
    }

    pub(super) fn take_order_id(&mut self) -> i64 {
        self.next_order_id += 1;
        self.next_order_id - 1
    }

    pub(super) fn take_algo_id(&mut self) -> i64 {
        self.next_algo_id += 1;
        self.next_algo_id - 1
    }

    pub(super) fn take_trade_id(&mut self) -> i64 {
        self.next_trade_id += 1;
        self.next_trade_id - 1
    }

    /// A fresh client id with `prefix` (for orders sent without one and for child orders).
    pub(super) fn generated_id(&mut self, prefix: &str) -> String {
        self.next_generated += 1;
        format!("{prefix}{}", self.next_generated - 1)
    }

    /// Index of the candle containing `t` (it may be past the data).
    fn index_at(&self, t: i64) -> Option<i64> {
        let first = self.candles.first()?;
        if t < first.open_time {
            return None;
        }
        Some((t - first.open_time) / self.interval_ms)
    }

    /// The bar containing `t` ("forming"), if there is data at `t`.
    pub fn forming(&self, t: i64) -> Option<&MockCandle> {
        let i = self.index_at(t)?;
        self.candles.get(usize::try_from(i).ok()?)
    }

    /// Last price at `t`: the forming bar's open, or the last close past the data.
    pub fn last_price(&self, t: i64) -> Option<f64> {
        if let Some(c) = self.forming(t) {
            return Some(c.open);
        }
        let last = self.candles.last()?;
        (t >= last.open_time + self.interval_ms).then_some(last.close)
    }

    /// Number of candles closed at `t`.
    fn closed_count(&self, t: i64) -> usize {
        match self.candles.first() {
            None => 0,
            Some(first) if t < first.open_time + self.interval_ms => 0,
            Some(first) => (((t - first.open_time) / self.interval_ms) as usize).min(self.candles.len()),
        }
    }

    /// Candles visible at `t` (`open_time <= t`).
    pub fn visible(&self, t: i64) -> &[MockCandle] {
        let n = match self.index_at(t) {
            None => 0,
            Some(i) => ((i + 1) as usize).min(self.candles.len()),
        };
        &self.candles[..n]
    }

    /// Process every bar closed by `now` not processed yet: liquidation first, then triggers.
    pub fn advance(&mut self, now: i64) {
        let closed = self.closed_count(now);
        while self.processed < closed {
            let bar = self.candles[self.processed];
            self.processed += 1;
            let close_time = bar.open_time + self.interval_ms - 1;
            self.liquidate_on(&bar, close_time);
            self.trigger_on(&bar, close_time);
        }
    }

    /// Liquidate the position when the bar's worst price takes its margin below maintenance.
    fn liquidate_on(&mut self, bar: &MockCandle, time: i64) {
        let qty = self.state.position.qty;
        if qty == 0.0 {
            return;
        }
        // Like the backtest kernel, a position is first tested on the bar after the one in
        // which it was filled: replays compare like with like. (A real exchange can also
        // liquidate during the entry bar.)
        if self.state.position.update_time >= bar.open_time {
            return;
        }
        let worst = if qty > 0.0 { bar.low } else { bar.high };
        let unrealized = qty * (worst - self.state.position.entry_price);
        if self.collateral() + unrealized <= qty.abs() * worst * self.maintenance_margin {
            self.liquidate(time);
        }
    }

    /// Trigger open conditional orders that existed during `bar`; stops before take-profits.
    fn trigger_on(&mut self, bar: &MockCandle, time: i64) {
        let end = bar.open_time + self.interval_ms;
        let algos = &self.state.algo_orders;
        while self.algo_cursor < algos.len() && algos[self.algo_cursor].status != AlgoStatus::New {
            self.algo_cursor += 1;
        }
        let mut hit: Vec<(u8, i64)> = algos[self.algo_cursor..]
            .iter()
            .filter(|a| a.status == AlgoStatus::New && a.create_time < end)
            .filter(|a| match (a.algo_type, a.side) {
                (AlgoType::StopMarket, Side::Sell) | (AlgoType::TakeProfitMarket, Side::Buy) => bar.low <= a.trigger_price,
                (AlgoType::StopMarket, Side::Buy) | (AlgoType::TakeProfitMarket, Side::Sell) => bar.high >= a.trigger_price,
            })
            .map(|a| (u8::from(a.algo_type != AlgoType::StopMarket), a.algo_id))
            .collect();
        hit.sort();
        for (_, id) in hit {
            self.trigger(id, time);
        }
    }

    /// Fire algo order `id` at `time`: a market child order at the trigger price (slippage
    /// against the taker), or EXPIRED when there is nothing to close.
    fn trigger(&mut self, id: i64, time: i64) {
        let Some(i) = self.state.algo_orders.iter().position(|a| a.algo_id == id) else { return };
        let a = self.state.algo_orders[i].clone();
        let pos = self.state.position.qty;
        let closes = pos != 0.0 && Side::closing(pos) == a.side;
        let qty = if a.close_position || a.reduce_only {
            if !closes {
                let a = &mut self.state.algo_orders[i];
                a.status = AlgoStatus::Expired;
                a.update_time = time;
                return;
            }
            if a.close_position { pos.abs() } else { a.quantity.min(pos.abs()) }
        } else {
            a.quantity
        };
        let price = self.taker_price(a.trigger_price, a.side);
        let client_id = self.generated_id("algo-child-");
        let order_id = self.execute(Exec {
            side: a.side,
            orig_qty: qty,
            qty,
            price,
            reduce_only: a.reduce_only,
            close_position: a.close_position,
            origin: OrderOrigin::Algo(id),
            client_id,
            time,
        });
        let a = &mut self.state.algo_orders[i];
        a.status = AlgoStatus::Finished;
        a.actual_order_id = Some(order_id);
        a.actual_price = Some(price);
        a.update_time = time;
    }

    /// `reference` made worse for a taker on `side` by the slippage.
    pub fn taker_price(&self, reference: f64, side: Side) -> f64 {
        match side {
            Side::Buy => reference * (1.0 + self.slippage),
            Side::Sell => reference * (1.0 - self.slippage),
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::live::clock::Clock;
    use crate::live::mock::state::{AlgoOrder, OrderStatus};

    pub const T0: i64 = 1_700_000_000_000;
    pub const MIN: i64 = 60_000;

    pub fn candle(i: i64, o: f64, h: f64, l: f64, c: f64) -> MockCandle {
        MockCandle { open_time: T0 + i * MIN, open: o, high: h, low: l, close: c, volume: 10.0 }
    }

    /// Ten flat minutes at 100 except the given overrides.
    pub fn engine_with(bars: &[(i64, f64, f64, f64, f64)]) -> Engine {
        let mut candles: Vec<MockCandle> = (0..10).map(|i| candle(i, 100.0, 100.5, 99.5, 100.0)).collect();
        for &(i, o, h, l, c) in bars {
            candles[i as usize] = candle(i, o, h, l, c);
        }
        Engine::new(&MockConfig::new("BTCUSDT", MIN, candles, Clock::stepped(T0)))
    }

    pub fn algo(e: &mut Engine, t: AlgoType, side: Side, trigger: f64, at: i64) -> i64 {
        let id = e.take_algo_id();
        e.state.algo_orders.push(AlgoOrder {
            algo_id: id,
            client_algo_id: format!("a{id}"),
            algo_type: t,
            side,
            trigger_price: trigger,
            close_position: true,
            quantity: 0.0,
            reduce_only: false,
            working_type: "CONTRACT_PRICE".into(),
            price_protect: false,
            status: AlgoStatus::New,
            create_time: at,
            update_time: at,
            actual_order_id: None,
            actual_price: None,
        });
        id
    }

    #[test]
    fn time_model() {
        let e = engine_with(&[(1, 101.0, 102.0, 100.0, 101.5)]);
        assert!(e.forming(T0 - 1).is_none());
        assert_eq!(e.last_price(T0 - 1), None);
        assert_eq!(e.last_price(T0 + MIN), Some(101.0));
        assert_eq!(e.last_price(T0 + 2 * MIN - 1), Some(101.0));
        assert_eq!(e.visible(T0 + MIN).len(), 2);
        assert_eq!(e.visible(T0 - 1).len(), 0);
        assert_eq!(e.visible(T0 + 100 * MIN).len(), 10);
        assert_eq!(e.closed_count(T0 + MIN - 1), 0);
        assert_eq!(e.closed_count(T0 + MIN), 1);
        assert_eq!(e.closed_count(T0 + 100 * MIN), 10);
        // Past the data: the last close, no forming bar.
        assert!(e.forming(T0 + 10 * MIN).is_none());
        assert_eq!(e.last_price(T0 + 10 * MIN), Some(100.0));
    }

    #[test]
    fn stop_goes_before_take_profit_on_one_bar_and_the_tp_expires() {
        let mut e = engine_with(&[(2, 100.0, 110.0, 90.0, 100.0)]);
        e.market(Side::Buy, 1.0, false, Some("o1".into()), T0 + 10).unwrap();
        let tp = algo(&mut e, AlgoType::TakeProfitMarket, Side::Sell, 105.0, T0 + 20);
        let sl = algo(&mut e, AlgoType::StopMarket, Side::Sell, 95.0, T0 + 30);
        e.advance(T0 + 2 * MIN);
        assert_eq!(e.state.algo_orders.iter().filter(|a| a.status == AlgoStatus::New).count(), 2);
        e.advance(T0 + 3 * MIN);
        let find = |id| e.state.algo_orders.iter().find(|a| a.algo_id == id).unwrap().clone();
        assert_eq!(find(sl).status, AlgoStatus::Finished);
        assert_eq!(find(sl).actual_price, Some(95.0));
        assert_eq!(find(tp).status, AlgoStatus::Expired);
        assert_eq!(e.state.position.qty, 0.0);
        let child = e.state.orders.iter().find(|o| Some(o.order_id) == find(sl).actual_order_id).unwrap();
        assert_eq!((child.status, child.avg_price, child.origin), (OrderStatus::Filled, 95.0, OrderOrigin::Algo(sl)));
        let t = e.state.trades.last().unwrap();
        assert_eq!(t.time, T0 + 3 * MIN - 1);
        assert!((t.realized_pnl + 5.0).abs() < 1e-9);
        assert!((t.commission - 95.0 * 0.0004).abs() < 1e-12);
    }

    #[test]
    fn take_profit_alone_and_buy_side_triggers_and_slippage() {
        let mut e = engine_with(&[(3, 100.0, 100.2, 97.0, 98.0)]);
        e.slippage = 0.001;
        e.market(Side::Sell, 2.0, false, None, T0 + 10).unwrap();
        assert!((e.state.position.entry_price - 99.9).abs() < 1e-9);
        let tp = algo(&mut e, AlgoType::TakeProfitMarket, Side::Buy, 97.5, T0 + 20);
        let sl = algo(&mut e, AlgoType::StopMarket, Side::Buy, 101.0, T0 + 20);
        e.advance(T0 + 4 * MIN);
        let find = |id| e.state.algo_orders.iter().find(|a| a.algo_id == id).unwrap().clone();
        assert_eq!(find(tp).status, AlgoStatus::Finished);
        assert!((find(tp).actual_price.unwrap() - 97.5 * 1.001).abs() < 1e-9);
        // Not linked: the stop stays.
        assert_eq!(find(sl).status, AlgoStatus::New);
        assert_eq!(e.state.position.qty, 0.0);
    }

    #[test]
    fn orders_created_after_a_bar_do_not_trigger_on_it() {
        let mut e = engine_with(&[(1, 100.0, 100.0, 90.0, 100.0)]);
        e.market(Side::Buy, 1.0, false, None, T0 + 10).unwrap();
        let sl = algo(&mut e, AlgoType::StopMarket, Side::Sell, 95.0, T0 + 2 * MIN + 5);
        e.advance(T0 + 5 * MIN);
        assert_eq!(e.state.algo_orders.iter().find(|a| a.algo_id == sl).unwrap().status, AlgoStatus::New);
    }

    #[test]
    fn liquidation_on_a_wick_loses_the_margin() {
        let mut e = engine_with(&[(2, 100.0, 100.0, 94.0, 99.0)]);
        e.set_margin_type("ISOLATED", T0).unwrap();
        e.set_leverage(20).unwrap();
        e.market(Side::Buy, 10.0, false, None, T0 + MIN).unwrap();
        let margin = e.state.position.isolated_margin;
        assert!((margin - 50.0).abs() < 1e-9);
        let w = e.state.wallet;
        let liq = e.liquidation_price().unwrap();
        assert!(liq > 94.0 && liq < 96.0, "{liq}");
        e.advance(T0 + 2 * MIN);
        assert_eq!(e.state.position.qty, 10.0);
        e.advance(T0 + 3 * MIN);
        assert_eq!(e.state.position.qty, 0.0);
        assert!((e.state.wallet - (w - margin)).abs() < 1e-9);
        let o = e.state.orders.last().unwrap();
        assert_eq!(o.origin, OrderOrigin::Liquidation);
        assert!(o.client_order_id.starts_with("autoclose-"));
        assert!((e.state.trades.last().unwrap().realized_pnl + margin).abs() < 1e-9);
    }

    #[test]
    fn a_long_replay_scans_only_open_algo_orders() {
        let candles: Vec<MockCandle> = (0..200_000).map(|i| candle(i, 100.0, 100.5, 99.5, 100.0)).collect();
        let mut e = Engine::new(&MockConfig::new("BTCUSDT", MIN, candles, Clock::stepped(T0)));
        for _ in 0..2_000 {
            let id = algo(&mut e, AlgoType::StopMarket, Side::Sell, 50.0, T0);
            e.cancel_algo(Some(id), None, T0).unwrap();
        }
        let live = algo(&mut e, AlgoType::StopMarket, Side::Sell, 50.0, T0);
        let started = std::time::Instant::now();
        e.advance(T0 + 200_000 * MIN);
        assert!(started.elapsed().as_secs() < 2, "{:?}", started.elapsed());
        assert_eq!(e.find_algo(Some(live), None).unwrap().status, AlgoStatus::New);
    }

    #[test]
    fn no_liquidation_at_low_leverage() {
        let mut e = engine_with(&[(2, 100.0, 100.0, 94.0, 99.0)]);
        e.set_leverage(5).unwrap();
        e.market(Side::Buy, 10.0, false, None, T0 + MIN).unwrap();
        e.advance(T0 + 5 * MIN);
        assert_eq!(e.state.position.qty, 10.0);
    }
}
