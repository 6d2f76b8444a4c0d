//! The futures backtest kernel (spec §3) and its metrics (spec §4): slices in, totals out.
//!
//! [`backtest`] runs one signal over one candle series. The per-bar logic lives in
//! [`FuturesAccount`] so that live trading can drive exactly the same code bar by bar;
//! [`engine`] adds the loop, which passes stretches where nothing can happen in one go.
//! Sweeps prepare the candles once ([`Scratch::market`]) and run many backtests on ranges
//! of them ([`backtest_range`], [`metrics_range`]) without allocating.

pub mod blocks;
pub mod config;
mod engine;
pub mod futures;
pub mod lanes;
pub mod literal;
pub mod metrics;
pub mod numpy;
pub mod observer;

use std::ops::Range;

pub use blocks::Blocks;
pub use config::{CostModel, Risk};
pub use futures::FuturesAccount;
pub use lanes::{metrics_lanes, run_lanes, Interleaved, LanePoints, LaneScratch, LANES};
pub use metrics::{py_round, Metrics, MetricsScratch};
pub use observer::{daily_points, DailySampler, ExitReason, Observer, Recorder, Side, Trade};

/// Invalid kernel input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KernelError {
    #[error("`{name}` is `{value}`; allowed: {allowed}")]
    Invalid { name: &'static str, value: f64, allowed: &'static str },
    #[error("`{name}` has {len} bars but `close` has {expected}; all inputs must have the same length")]
    LengthMismatch { name: &'static str, len: usize, expected: usize },
    #[error("bar range `{start}..{end}` does not fit the {len} bars; ranges must lie within `0..{len}`")]
    Range { start: usize, end: usize, len: usize },
}

/// Raw totals of one backtest, at full precision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KernelStats {
    pub final_equity: f64,
    pub max_drawdown: f64,
    pub trades: u64,
    pub wins: u64,
    pub gross_profit: f64,
    pub gross_loss: f64,
    pub liquidations: u64,
}

/// Candles ready for many backtests: the price series and their block extremes, built
/// together so that they always agree.
#[derive(Debug, Clone, Copy)]
pub struct Market<'a> {
    pub open: &'a [f64],
    pub high: &'a [f64],
    pub low: &'a [f64],
    pub close: &'a [f64],
    blocks: &'a Blocks,
}

impl<'a> Market<'a> {
    /// Check the series line up and summarise them into `blocks` (its buffers are reused).
    pub fn prepare(
        open: &'a [f64],
        high: &'a [f64],
        low: &'a [f64],
        close: &'a [f64],
        blocks: &'a mut Blocks,
    ) -> Result<Market<'a>, KernelError> {
        check_lengths(close.len(), &[("open", open.len()), ("high", high.len()), ("low", low.len())])?;
        blocks.rebuild(high, low, close);
        Ok(Market { open, high, low, close, blocks })
    }

    /// Number of bars.
    pub fn len(&self) -> usize {
        self.close.len()
    }

    pub fn is_empty(&self) -> bool {
        self.close.is_empty()
    }
}

/// Reusable state of repeated backtests: block extremes of the candles and the metrics'
/// buffers. One per thread.
#[derive(Debug, Clone, Default)]
pub struct Scratch {
    blocks: Blocks,
    metrics: MetricsScratch,
}

impl Scratch {
    /// Prepare candles for backtests on them, and lend the metrics' buffers alongside.
    pub fn market<'a>(
        &'a mut self,
        open: &'a [f64],
        high: &'a [f64],
        low: &'a [f64],
        close: &'a [f64],
    ) -> Result<(Market<'a>, &'a mut MetricsScratch), KernelError> {
        Ok((Market::prepare(open, high, low, close, &mut self.blocks)?, &mut self.metrics))
    }
}

/// Check that the series line up (what [`backtest`] otherwise asserts).
pub fn check_inputs(open: &[f64], high: &[f64], low: &[f64], close: &[f64], signal: &[i8]) -> Result<(), KernelError> {
    check_lengths(close.len(), &[("open", open.len()), ("high", high.len()), ("low", low.len()), ("signal", signal.len())])
}

fn check_lengths(expected: usize, lens: &[(&'static str, usize)]) -> Result<(), KernelError> {
    match lens.iter().find(|(_, len)| *len != expected) {
        Some(&(name, len)) => Err(KernelError::LengthMismatch { name, len, expected }),
        None => Ok(()),
    }
}

/// Backtest `signal` (`1` buy, `-1` sell, anything else hold; decided on each bar's close,
/// executed at the next bar's open) over the candles, reporting bars and trades to `obs`.
/// A position still open after the last bar is reported as an `End` trade.
///
/// # Panics
/// When the slices differ in length (see [`check_inputs`]).
#[allow(clippy::too_many_arguments)]
pub fn backtest<O: Observer>(
    open: &[f64],
    high: &[f64],
    low: &[f64],
    close: &[f64],
    signal: &[i8],
    cost: &CostModel,
    risk: &Risk,
    obs: &mut O,
) -> KernelStats {
    if let Err(e) = check_inputs(open, high, low, close, signal) {
        panic!("{e}");
    }
    let mut blocks = Blocks::default();
    let m = Market::prepare(open, high, low, close, &mut blocks).unwrap_or_else(|e| panic!("{e}"));
    engine::run(&m, 0, close.len(), signal, cost, risk, obs)
}

/// [`backtest`] of bars `range` of a prepared market, as if the candles and `signal` (one
/// entry per bar of `m`) were sliced to it: fresh capital, bar indices relative to
/// `range.start`.
///
/// # Panics
/// When `signal` does not have one entry per bar or `range` is out of bounds.
pub fn backtest_range<O: Observer>(
    m: &Market<'_>,
    range: Range<usize>,
    signal: &[i8],
    cost: &CostModel,
    risk: &Risk,
    obs: &mut O,
) -> KernelStats {
    engine::run(m, range.start, range.end, signal, cost, risk, obs)
}

/// Backtest and compute the metrics, keeping only the equity points they need.
#[allow(clippy::too_many_arguments)]
pub fn backtest_metrics(
    open: &[f64],
    high: &[f64],
    low: &[f64],
    close: &[f64],
    signal: &[i8],
    cost: &CostModel,
    risk: &Risk,
    bars_per_day: usize,
) -> Metrics {
    backtest_metrics_with(&mut Scratch::default(), open, high, low, close, signal, cost, risk, bars_per_day)
}

/// [`backtest_metrics`] reusing `scratch`'s buffers (no allocation once they have grown).
///
/// # Panics
/// When the slices differ in length (see [`check_inputs`]).
#[allow(clippy::too_many_arguments)]
pub fn backtest_metrics_with(
    scratch: &mut Scratch,
    open: &[f64],
    high: &[f64],
    low: &[f64],
    close: &[f64],
    signal: &[i8],
    cost: &CostModel,
    risk: &Risk,
    bars_per_day: usize,
) -> Metrics {
    if let Err(e) = check_inputs(open, high, low, close, signal) {
        panic!("{e}");
    }
    let (m, buffers) = scratch.market(open, high, low, close).unwrap_or_else(|e| panic!("{e}"));
    metrics_range(&m, 0..close.len(), signal, cost, risk, bars_per_day, buffers)
}

/// The metrics of [`backtest_range`], with reusable buffers.
///
/// # Panics
/// As [`backtest_range`].
#[allow(clippy::too_many_arguments)]
pub fn metrics_range(
    m: &Market<'_>,
    range: Range<usize>,
    signal: &[i8],
    cost: &CostModel,
    risk: &Risk,
    bars_per_day: usize,
    buffers: &mut MetricsScratch,
) -> Metrics {
    let mut sampler = DailySampler::with_buffer(range.len(), bars_per_day, buffers.take_points());
    let stats = engine::run(m, range.start, range.end, signal, cost, risk, &mut sampler);
    let points = sampler.into_points();
    let metrics = Metrics::compute_with(&stats, &points, cost, risk, buffers);
    buffers.put_points(points);
    metrics
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_mismatch_is_reported() {
        let err = check_inputs(&[1.0], &[1.0], &[1.0], &[1.0, 2.0], &[0, 0]).unwrap_err();
        assert_eq!(err.to_string(), "`open` has 1 bars but `close` has 2; all inputs must have the same length");
    }

    #[test]
    fn empty_series_keeps_the_capital() {
        let s = backtest(&[], &[], &[], &[], &[], &CostModel::default(), &Risk::default(), &mut ());
        assert_eq!(s.final_equity, 10_000.0);
        assert_eq!((s.trades, s.max_drawdown), (0, 0.0));
    }
}
