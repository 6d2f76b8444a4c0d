//! The futures backtest kernel (spec §3) and its metrics (spec §4): slices in, totals out.
//!
//! [`backtest`] runs one signal over one candle series. The per-bar logic lives in
//! [`FuturesAccount`] so that live trading can drive exactly the same code bar by bar;
//! this module adds the loop, which skips stretches without a position or a pending
//! signal in one go (their equity is constant).

pub mod config;
pub mod futures;
pub mod metrics;
pub mod numpy;
pub mod observer;

pub use config::{CostModel, Risk};
pub use futures::FuturesAccount;
pub use metrics::{py_round, Metrics};
pub use observer::{daily_points, DailySampler, ExitReason, Observer, Recorder, Side, Trade};

/// Invalid kernel input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KernelError {
    #[error("`{name}` is `{value}`; allowed: {allowed}")]
    Invalid { name: &'static str, value: f64, allowed: &'static str },
    #[error("`{name}` has {len} bars but `close` has {expected}; all inputs must have the same length")]
    LengthMismatch { name: &'static str, len: usize, expected: usize },
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

/// Check that the series line up (what [`backtest`] otherwise asserts).
pub fn check_inputs(open: &[f64], high: &[f64], low: &[f64], close: &[f64], signal: &[i8]) -> Result<(), KernelError> {
    let n = close.len();
    for (name, len) in [("open", open.len()), ("high", high.len()), ("low", low.len()), ("signal", signal.len())] {
        if len != n {
            return Err(KernelError::LengthMismatch { name, len, expected: n });
        }
    }
    Ok(())
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
    let n = close.len();
    let (open, high, low, signal) = (&open[..n], &high[..n], &low[..n], &signal[..n]);
    let mut acct = FuturesAccount::new(cost, risk);
    let mut i = 0;
    while i < n {
        if acct.is_idle() {
            let end = first_nonzero(&signal[i..]).map_or(n, |k| i + k + 1);
            acct.idle_run(i, end, signal[end - 1], obs);
            i = end;
            continue;
        }
        while i < n {
            acct.step(i, open[i], high[i], low[i], close[i], signal[i], obs);
            i += 1;
            if acct.is_idle() {
                break;
            }
        }
    }
    let last_close = close.last().copied().unwrap_or(f64::NAN);
    if let Some(t) = acct.open_trade_at_end(n.saturating_sub(1), last_close) {
        obs.trade(&t);
    }
    acct.stats(last_close)
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
    let mut sampler = DailySampler::new(close.len(), bars_per_day);
    let stats = backtest(open, high, low, close, signal, cost, risk, &mut sampler);
    Metrics::compute(&stats, &sampler.points(), cost, risk)
}

/// Index of the first non-zero signal, scanning eight at a time.
#[inline]
fn first_nonzero(s: &[i8]) -> Option<usize> {
    let mut chunks = s.chunks_exact(8);
    let mut base = 0;
    for c in &mut chunks {
        let word = u64::from_le_bytes([c[0] as u8, c[1] as u8, c[2] as u8, c[3] as u8, c[4] as u8, c[5] as u8, c[6] as u8, c[7] as u8]);
        if word != 0 {
            return Some(base + (word.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    chunks.remainder().iter().position(|&x| x != 0).map(|k| base + k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_nonzero_finds_the_first() {
        for n in 0..40 {
            for at in 0..=n {
                let mut s = vec![0i8; n];
                if at < n {
                    s[at] = -1;
                    if at + 3 < n {
                        s[at + 3] = 1;
                    }
                }
                assert_eq!(first_nonzero(&s), if at < n { Some(at) } else { None }, "n={n} at={at}");
            }
        }
    }

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
