//! What a backtest can report besides its totals: per-bar equity and closed trades.
//!
//! The kernel calls an [`Observer`] whose methods default to no-ops, so a sweep that needs
//! only the metrics pays for nothing else. Two observers are provided: [`Recorder`] keeps
//! the whole equity curve and the trade ledger (`qm backtest`), [`DailySampler`] keeps only
//! the equity points the metrics use.

/// Direction of a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Long,
    Short,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Long => "long",
            Side::Short => "short",
        }
    }
}

/// Why a position was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExitReason {
    /// An opposite signal, filled at the bar's open.
    Signal,
    /// The stop-loss level was touched; filled at the level.
    StopLoss,
    /// The take-profit level was touched; filled at the level.
    TakeProfit,
    /// The maintenance margin was breached; the margin is lost.
    Liquidation,
    /// Still open after the last bar; valued at the last close with the exit cost. Not
    /// counted in the kernel's `trades` (the reference does not count it either).
    End,
}

impl ExitReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ExitReason::Signal => "signal",
            ExitReason::StopLoss => "stop_loss",
            ExitReason::TakeProfit => "take_profit",
            ExitReason::Liquidation => "liquidation",
            ExitReason::End => "end",
        }
    }
}

/// One closed position.
///
/// * `entry_bar` is the bar at whose open the position was filled; `exit_bar` the bar of
///   the exit (for `Signal` exits the fill is that bar's open, for `StopLoss`/`TakeProfit`
///   the level price, for `Liquidation` the bar's low (long) or high (short), for `End` the
///   last close).
/// * `qty` is the absolute position size in base units.
/// * `pnl` is the kernel's realised pnl: the price move times `qty` minus the exit cost
///   (`cost * exit_price * qty`); the entry cost was paid out of cash at the open and is not
///   in it. For a liquidation `pnl = -margin`.
/// * `fees` is entry cost + exit cost, each `cost * price * qty` with `cost = commission +
///   slippage` (no exit cost for a liquidation). Recorded for reporting; the kernel's cash
///   arithmetic does not use this sum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trade {
    pub entry_bar: usize,
    pub exit_bar: usize,
    pub side: Side,
    pub entry_price: f64,
    pub exit_price: f64,
    pub qty: f64,
    pub fees: f64,
    pub pnl: f64,
    pub exit_reason: ExitReason,
}

/// Receives what a backtest produces, bar by bar. Calls come in bar order.
pub trait Observer {
    /// Equity of bar `i` after marking to market (or the cash left by a liquidation).
    #[inline(always)]
    fn equity(&mut self, _i: usize, _equity: f64) {}

    /// Bars `start..end` all have equity `equity` (a stretch without a position).
    #[inline]
    fn flat(&mut self, start: usize, end: usize, equity: f64) {
        for i in start..end {
            self.equity(i, equity);
        }
    }

    /// A position was closed.
    #[inline(always)]
    fn trade(&mut self, _trade: &Trade) {}
}

/// Observes nothing.
impl Observer for () {}

/// The whole equity curve and the trade ledger.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    pub equity: Vec<f64>,
    pub trades: Vec<Trade>,
}

impl Recorder {
    pub fn with_capacity(n_bars: usize) -> Recorder {
        Recorder { equity: Vec::with_capacity(n_bars), trades: Vec::new() }
    }
}

impl Observer for Recorder {
    #[inline(always)]
    fn equity(&mut self, _i: usize, equity: f64) {
        self.equity.push(equity);
    }

    #[inline]
    fn flat(&mut self, start: usize, end: usize, equity: f64) {
        self.equity.extend(std::iter::repeat_n(equity, end - start));
    }

    fn trade(&mut self, trade: &Trade) {
        self.trades.push(*trade);
    }
}

/// Keeps the metric sample points `equity[0], equity[bpd], equity[2*bpd], ...` and
/// `equity[n-1]`, nothing else.
#[derive(Debug, Clone)]
pub struct DailySampler {
    bars_per_day: usize,
    last_bar: usize,
    /// Next bar to look at: the next multiple of `bars_per_day`, or the last bar.
    next: usize,
    next_daily: usize,
    points: Vec<f64>,
    last: f64,
}

impl DailySampler {
    /// For a backtest of `n_bars` bars; a `bars_per_day` of 0 is read as 1.
    pub fn new(n_bars: usize, bars_per_day: usize) -> DailySampler {
        let bpd = bars_per_day.max(1);
        let last_bar = n_bars.saturating_sub(1);
        DailySampler {
            bars_per_day: bpd,
            last_bar,
            next: if n_bars == 0 { usize::MAX } else { 0 },
            next_daily: 0,
            points: Vec::with_capacity(n_bars / bpd + 2),
            last: f64::NAN,
        }
    }

    /// The daily points the metrics use, with the reference's fallback to
    /// `[equity[0], equity[n-1]]` when there are fewer than two.
    pub fn points(&self) -> Vec<f64> {
        if self.points.len() >= 2 || self.points.is_empty() {
            self.points.clone()
        } else {
            vec![self.points[0], self.last]
        }
    }

    #[cold]
    fn record(&mut self, i: usize, equity: f64) {
        if i == self.next_daily {
            self.points.push(equity);
            self.next_daily += self.bars_per_day;
        }
        if i == self.last_bar {
            self.last = equity;
            self.next = usize::MAX;
        } else {
            self.next = self.next_daily.min(self.last_bar);
        }
    }
}

impl Observer for DailySampler {
    #[inline(always)]
    fn equity(&mut self, i: usize, equity: f64) {
        if i == self.next {
            self.record(i, equity);
        }
    }

    #[inline]
    fn flat(&mut self, _start: usize, end: usize, equity: f64) {
        while self.next < end {
            self.record(self.next, equity);
        }
    }
}

/// Fans every call out to two observers.
impl<A: Observer, B: Observer> Observer for (A, B) {
    #[inline(always)]
    fn equity(&mut self, i: usize, equity: f64) {
        self.0.equity(i, equity);
        self.1.equity(i, equity);
    }

    #[inline]
    fn flat(&mut self, start: usize, end: usize, equity: f64) {
        self.0.flat(start, end, equity);
        self.1.flat(start, end, equity);
    }

    #[inline]
    fn trade(&mut self, trade: &Trade) {
        self.0.trade(trade);
        self.1.trade(trade);
    }
}

/// The reference's daily sample points of a full equity curve (same rule as [`DailySampler`]).
pub fn daily_points(equity: &[f64], bars_per_day: usize) -> Vec<f64> {
    let points: Vec<f64> = equity.iter().step_by(bars_per_day.max(1)).copied().collect();
    if points.len() == 1 {
        vec![equity[0], equity[equity.len() - 1]]
    } else {
        points
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(s: &mut DailySampler, eq: &[f64], flat_from: usize) {
        for (i, &e) in eq[..flat_from].iter().enumerate() {
            s.equity(i, e);
        }
        // The tail as a flat run only when it is constant.
        if flat_from < eq.len() {
            s.flat(flat_from, eq.len(), eq[flat_from]);
        }
    }

    #[test]
    fn sampler_matches_daily_points() {
        for n in [1usize, 2, 5, 23, 24, 25, 48, 49, 100] {
            for bpd in [1usize, 7, 24, 96] {
                let mut eq: Vec<f64> = (0..n).map(|i| 100.0 + i as f64).collect();
                let cut = n / 2;
                for e in &mut eq[cut..] {
                    *e = 7.0;
                }
                let mut s = DailySampler::new(n, bpd);
                feed(&mut s, &eq, cut);
                assert_eq!(s.points(), daily_points(&eq, bpd), "n={n} bpd={bpd}");
            }
        }
    }

    #[test]
    fn fallback_uses_first_and_last() {
        assert_eq!(daily_points(&[1.0, 2.0, 3.0], 24), vec![1.0, 3.0]);
        assert_eq!(daily_points(&[5.0], 24), vec![5.0, 5.0]);
        assert!(daily_points(&[], 24).is_empty());
        let mut s = DailySampler::new(3, 24);
        for (i, e) in [1.0, 2.0, 3.0].into_iter().enumerate() {
            s.equity(i, e);
        }
        assert_eq!(s.points(), vec![1.0, 3.0]);
    }

    #[test]
    fn recorder_keeps_every_bar() {
        let mut r = Recorder::default();
        r.equity(0, 1.0);
        r.flat(1, 4, 2.0);
        r.equity(4, 3.0);
        assert_eq!(r.equity, vec![1.0, 2.0, 2.0, 2.0, 3.0]);
    }
}
