//! The bot's decisions: the backtest kernel's own [`FuturesAccount`] stepped over closed
//! candles with the sweep's signals, so a bot decides exactly what `qm backtest` decides on
//! the same candles. The bot only turns the account's next move into orders.
//!
//! Timeline of one cycle, just after bar `k` closed (bar `k+1` is forming):
//! 1. [`Decider::absorb`] appends the newly closed candles and steps the account over them
//!    (liquidation, SL/TP, mark, execution of the pending signal at the bar's open — which the
//!    bot already did one cycle earlier — and the new pending signal).
//! 2. [`Decider::plan`] says what the account will hold after bar `k+1`'s open: the side,
//!    the size the kernel would open at that open, and the SL/TP prices of a position held
//!    since before `k+1` (the kernel tests a position's levels from the bar after its entry).

use crate::binance::Kline;
use crate::candles::Candles;
use crate::kernel::{CostModel, ExitReason, FuturesAccount, Observer, Risk, Side, Trade};
use crate::strategies::{signals, Combo, IndicatorCache};

/// What the account did on a bar.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A position closed (bar times in ms).
    Closed { entry_time: i64, exit_time: i64, side: Side, entry_price: f64, exit_price: f64, qty: f64, reason: ExitReason },
    /// A position opened at the bar's open.
    Opened { time: i64, side: Side, price: f64, qty: f64 },
}

/// What the account will hold after the forming bar's open.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Side now (`1`, `-1`, `0`).
    pub side: i8,
    /// Side after the open.
    pub target: i8,
    /// The size the kernel opens at the open when `target != side` and `target != 0`.
    pub open_qty: f64,
    /// SL/TP prices of the current position, when it is kept and was entered before the
    /// forming bar.
    pub stop_loss: Option<f64>,
    pub take_profit: Option<f64>,
    /// Open time of the bar at whose open the current position was entered.
    pub entry_time: Option<i64>,
}

/// Candles that cannot extend the history.
#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    #[error("candle at {got} does not follow the last one at {last} (interval {interval_ms} ms): a gap in the exchange's klines")]
    Gap { last: i64, got: i64, interval_ms: i64 },
}

#[derive(Default)]
struct Events {
    times: Vec<i64>,
    out: Vec<Event>,
}

impl Observer for Events {
    fn trade(&mut self, t: &Trade) {
        self.out.push(Event::Closed {
            entry_time: self.times[t.entry_bar],
            exit_time: self.times[t.exit_bar],
            side: t.side,
            entry_price: t.entry_price,
            exit_price: t.exit_price,
            qty: t.qty,
            reason: t.exit_reason,
        });
    }
}

/// Append one kline's OHLCV to `c`.
fn push_kline(c: &mut Candles, k: &Kline) {
    c.open_time.push(k.open_time);
    c.open.push(k.open);
    c.high.push(k.high);
    c.low.push(k.low);
    c.close.push(k.close);
    c.volume.push(k.volume);
}

/// The decision state of one bot.
pub struct Decider {
    combo: Combo,
    interval_ms: i64,
    candles: Candles,
    /// Open time of the first bar the account steps (earlier bars only warm indicators up).
    anchor_time: i64,
    account: FuturesAccount,
    /// Bars of `candles` already stepped (or skipped as warm-up).
    stepped: usize,
    last_signal: i8,
}

impl Decider {
    pub fn new(combo: Combo, cost: &CostModel, risk: &Risk, interval_ms: i64, anchor_time: i64) -> Decider {
        Decider {
            combo,
            interval_ms,
            candles: Candles::default(),
            anchor_time,
            account: FuturesAccount::new(cost, risk),
            stepped: 0,
            last_signal: 0,
        }
    }

    pub fn account(&self) -> &FuturesAccount {
        &self.account
    }

    pub fn anchor_time(&self) -> i64 {
        self.anchor_time
    }

    /// Open time of the newest closed candle absorbed.
    pub fn last_time(&self) -> Option<i64> {
        self.candles.open_time.last().copied()
    }

    pub fn last_close(&self) -> Option<f64> {
        self.candles.close.last().copied()
    }

    /// The signal of the newest absorbed bar.
    pub fn last_signal(&self) -> i8 {
        self.last_signal
    }

    pub fn len(&self) -> usize {
        self.candles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.candles.is_empty()
    }

    /// Append closed candles (older or already known ones are ignored) and step the account
    /// over the new bars from the anchor on. Returns what the account did.
    pub fn absorb(&mut self, closed: &[Kline]) -> Result<Vec<Event>, DecideError> {
        let mut added = false;
        for k in closed {
            if let Some(&last) = self.candles.open_time.last() {
                if k.open_time <= last {
                    continue;
                }
                if k.open_time != last + self.interval_ms {
                    return Err(DecideError::Gap { last, got: k.open_time, interval_ms: self.interval_ms });
                }
            }
            push_kline(&mut self.candles, k);
            added = true;
        }
        if !added {
            return Ok(Vec::new());
        }
        // The sweep's signals over the whole history; they are causal, so the signal of an
        // older bar is the one computed when it was the newest.
        let cache = IndicatorCache::new(&self.candles);
        let sig = signals(&self.combo, &cache);
        let c = &self.candles;
        let mut ev = Events { times: c.open_time.clone(), out: Vec::new() };
        for i in self.stepped..c.len() {
            if c.open_time[i] < self.anchor_time {
                continue;
            }
            self.account.step(i, c.open[i], c.high[i], c.low[i], c.close[i], sig[i], &mut ev);
            let after = self.account.side_sign();
            // `entry_bar` is set only by an execution at bar `i`'s open.
            if after != 0 && self.account.entry_bar() == i {
                ev.out.push(Event::Opened {
                    time: c.open_time[i],
                    side: if after > 0 { Side::Long } else { Side::Short },
                    price: self.account.entry_price(),
                    qty: self.account.qty().abs(),
                });
            }
        }
        self.stepped = c.len();
        self.last_signal = *sig.last().unwrap_or(&0);
        Ok(ev.out)
    }

    /// What the account will hold after the open `open` of the forming bar `time`.
    pub fn plan(&self, time: i64, open: f64) -> Plan {
        let a = &self.account;
        let side = a.side_sign();
        let target = if time >= self.anchor_time { a.next_side() } else { side };
        let open_qty = if target != 0 && target != side { a.size_after_close(open) } else { 0.0 };
        let entry_time = (side != 0).then(|| self.candles.open_time.get(a.entry_bar()).copied()).flatten();
        let (stop_loss, take_profit) = if side != 0 && target == side && entry_time.is_some_and(|t| t < time) { a.levels() } else { (None, None) };
        Plan { side, target, open_qty, stop_loss, take_profit, entry_time }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::{backtest, Recorder};
    use crate::strategies::parse_combo;

    fn klines(n: usize) -> Vec<Kline> {
        let mut p = 100.0f64;
        (0..n)
            .map(|i| {
                let drift = ((i as f64) * 0.37).sin() * 1.5 + ((i as f64) * 0.051).cos() * 0.8;
                let o = p;
                p = (p + drift).max(5.0);
                let (h, l) = (o.max(p) + 0.6, o.min(p) - 0.6);
                Kline {
                    open_time: i as i64 * 3_600_000,
                    open: o,
                    high: h,
                    low: l,
                    close: p,
                    volume: 1.0,
                    close_time: i as i64 * 3_600_000 + 3_599_999,
                    quote_volume: 0.0,
                    trades: 0,
                    taker_buy_base: 0.0,
                    taker_buy_quote: 0.0,
                }
            })
            .collect()
    }

    /// Bar by bar, the decider's trades are the backtest's trades on the same candles.
    #[test]
    fn bar_by_bar_equals_the_backtest() {
        let combo = parse_combo("EMA Crossover", &serde_json::json!({"fast_period": 5, "slow_period": 20})).unwrap();
        let cost = CostModel::default();
        for risk in [Risk::default(), Risk::new(0.01, 0.02, 5.0).unwrap()] {
            let ks = klines(600);
            let mut d = Decider::new(combo.clone(), &cost, &risk, 3_600_000, 0);
            let mut got = Vec::new();
            for k in ks.chunks(1) {
                got.extend(d.absorb(k).unwrap().into_iter().filter(|e| matches!(e, Event::Closed { .. })));
            }
            let mut c = Candles::default();
            for k in &ks {
                push_kline(&mut c, k);
            }
            let sig = signals(&combo, &IndicatorCache::new(&c));
            let mut rec = Recorder::with_capacity(c.len());
            let stats = backtest(&c.open, &c.high, &c.low, &c.close, &sig, &cost, &risk, &mut rec);
            assert!(stats.trades > 5, "{stats:?}");
            // The recorder also lists the position still open at the end.
            let closed: Vec<_> = rec.trades.iter().filter(|t| t.exit_reason != ExitReason::End).collect();
            assert_eq!(got.len(), closed.len());
            for (e, t) in got.iter().zip(closed) {
                let Event::Closed { entry_time, exit_time, reason, qty, .. } = e else { unreachable!() };
                assert_eq!((*entry_time, *exit_time, *reason, *qty), (c.open_time[t.entry_bar], c.open_time[t.exit_bar], t.exit_reason, t.qty));
            }
        }
    }

    #[test]
    fn gaps_are_refused() {
        let combo = parse_combo("EMA Crossover", &serde_json::json!({"fast_period": 5, "slow_period": 20})).unwrap();
        let mut d = Decider::new(combo, &CostModel::default(), &Risk::default(), 3_600_000, 0);
        let ks = klines(5);
        d.absorb(&ks[..2]).unwrap();
        assert!(d.absorb(&ks[3..]).unwrap_err().to_string().contains("gap"));
    }
}
