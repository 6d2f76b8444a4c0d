//! Walk-forward evaluation of one signal (spec §5): a fresh in-sample and out-of-sample
//! backtest per window, aggregated the way the reference reports them.

use super::windows::Window;
use crate::kernel::numpy;
use crate::kernel::{backtest_metrics, py_round, CostModel, Metrics, Risk};

/// A combination needs at least this many windows to be reported.
pub const MIN_WINDOWS: usize = 2;
/// ... and at least this many out-of-sample trades per window on average.
pub const MIN_OOS_TRADES_MEAN: f64 = 2.0;

/// One walk-forward result row, column names as in the result tables. The scalar columns
/// are the reference's rounded aggregates of the rounded per-window metrics; the
/// `oos_window_*` lists hold the rounded per-window values.
#[derive(Debug, Clone, PartialEq)]
pub struct WalkForward {
    pub n_windows: usize,
    pub is_sharpe_mean: f64,
    pub oos_sharpe_mean: f64,
    pub oos_sharpe_std: f64,
    pub oos_sharpe_min: f64,
    pub oos_return_mean: f64,
    pub oos_max_dd_mean: f64,
    pub oos_trades_mean: f64,
    pub oos_win_rate_mean: f64,
    pub oos_profit_factor_mean: f64,
    pub consistency: f64,
    pub sharpe_decay: f64,
    pub oos_window_sharpe: Vec<f64>,
    pub oos_window_return: Vec<f64>,
    pub oos_window_trades: Vec<u64>,
}

/// The in-sample and out-of-sample metrics of one window, at full precision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowMetrics {
    pub in_sample: Metrics,
    pub out_of_sample: Metrics,
}

/// Run both backtests of every window on the sliced candles and signal (fresh capital
/// each), then [`aggregate`].
#[allow(clippy::too_many_arguments)]
pub fn walk_forward(
    open: &[f64],
    high: &[f64],
    low: &[f64],
    close: &[f64],
    signal: &[i8],
    windows: &[Window],
    cost: &CostModel,
    risk: &Risk,
    bars_per_day: usize,
) -> Option<WalkForward> {
    let run = |a: usize, b: usize| {
        backtest_metrics(&open[a..b], &high[a..b], &low[a..b], &close[a..b], &signal[a..b], cost, risk, bars_per_day)
    };
    let per_window: Vec<WindowMetrics> = windows
        .iter()
        .map(|w| WindowMetrics { in_sample: run(w.train_start, w.train_end), out_of_sample: run(w.test_start, w.test_end) })
        .collect();
    aggregate(&per_window)
}

/// Aggregate per-window metrics into a row; `None` when the combination is dropped (fewer
/// than [`MIN_WINDOWS`] windows or a mean out-of-sample trade count below
/// [`MIN_OOS_TRADES_MEAN`]).
pub fn aggregate(windows: &[WindowMetrics]) -> Option<WalkForward> {
    if windows.len() < MIN_WINDOWS {
        return None;
    }
    let is: Vec<Metrics> = windows.iter().map(|w| w.in_sample.reported()).collect();
    let oos: Vec<Metrics> = windows.iter().map(|w| w.out_of_sample.reported()).collect();
    let col = |ms: &[Metrics], f: fn(&Metrics) -> f64| -> Vec<f64> { ms.iter().map(f).collect() };

    let trades: Vec<f64> = col(&oos, |m| m.trades as f64);
    let trades_mean = numpy::mean(&trades);
    if trades_mean < MIN_OOS_TRADES_MEAN {
        return None;
    }
    let is_sharpe = numpy::mean(&col(&is, |m| m.sharpe));
    let oos_sharpe = col(&oos, |m| m.sharpe);
    let oos_sharpe_mean = numpy::mean(&oos_sharpe);
    let oos_return = col(&oos, |m| m.total_return);
    let positive = col(&oos, |m| if m.total_return > 0.0 { 1.0 } else { 0.0 });
    let sharpe_decay = if is_sharpe == 0.0 { 1.0 } else { 1.0 - oos_sharpe_mean / is_sharpe };
    Some(WalkForward {
        n_windows: windows.len(),
        is_sharpe_mean: py_round(is_sharpe, 4),
        oos_sharpe_mean: py_round(oos_sharpe_mean, 4),
        oos_sharpe_std: py_round(numpy::std(&oos_sharpe, 0), 4),
        oos_sharpe_min: py_round(min(&oos_sharpe), 4),
        oos_return_mean: py_round(numpy::mean(&oos_return), 6),
        oos_max_dd_mean: py_round(numpy::mean(&col(&oos, |m| m.max_drawdown)), 6),
        oos_trades_mean: py_round(trades_mean, 1),
        oos_win_rate_mean: py_round(numpy::mean(&col(&oos, |m| m.win_rate)), 4),
        oos_profit_factor_mean: py_round(numpy::mean(&col(&oos, |m| m.profit_factor)), 4),
        consistency: py_round(numpy::mean(&positive), 4),
        sharpe_decay: py_round(sharpe_decay, 4),
        oos_window_sharpe: oos_sharpe,
        oos_window_return: oos_return,
        oos_window_trades: oos.iter().map(|m| m.trades).collect(),
    })
}

/// Python's `min` over floats: the first value no later value is below.
fn min(xs: &[f64]) -> f64 {
    xs.iter().copied().reduce(|a, b| if b < a { b } else { a }).unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(sharpe: f64, total_return: f64, trades: u64) -> Metrics {
        Metrics {
            total_return,
            sharpe,
            sortino: 0.0,
            max_drawdown: 0.1,
            trades,
            win_rate: 0.5,
            profit_factor: 1.5,
            final_equity: 10_000.0 * (1.0 + total_return),
            gross_profit: 0.0,
            gross_loss: 0.0,
            liquidations: 0,
            leverage: 1.0,
        }
    }

    fn w(is: f64, oos: f64, ret: f64, trades: u64) -> WindowMetrics {
        WindowMetrics { in_sample: m(is, 0.0, 10), out_of_sample: m(oos, ret, trades) }
    }

    #[test]
    fn aggregates_rounded_window_metrics() {
        let rows = [w(1.00004, 0.50004, 0.0000004, 3), w(2.0, -0.5, 0.02, 2), w(1.0, 1.0, -0.01, 4)];
        let r = aggregate(&rows).unwrap();
        assert_eq!(r.n_windows, 3);
        // Per-window values are rounded first: 1.00004 -> 1.0, 0.50004 -> 0.5.
        assert_eq!(r.oos_window_sharpe, vec![0.5, -0.5, 1.0]);
        assert_eq!(r.is_sharpe_mean, py_round((1.0 + 2.0 + 1.0) / 3.0, 4));
        assert_eq!(r.oos_sharpe_min, -0.5);
        assert_eq!(r.oos_trades_mean, 3.0);
        // A return that rounds to 0 is not a positive window.
        assert_eq!(r.consistency, py_round(1.0 / 3.0, 4));
        let decay = 1.0 - ((0.5 + -0.5) + 1.0) / 3.0 / ((1.0 + 2.0 + 1.0) / 3.0);
        assert_eq!(r.sharpe_decay, py_round(decay, 4));
    }

    #[test]
    fn drops_thin_results() {
        assert!(aggregate(&[w(1.0, 1.0, 0.1, 10)]).is_none());
        assert!(aggregate(&[w(1.0, 1.0, 0.1, 2), w(1.0, 1.0, 0.1, 1)]).is_none());
        assert!(aggregate(&[w(1.0, 1.0, 0.1, 2), w(1.0, 1.0, 0.1, 2)]).is_some());
    }

    #[test]
    fn zero_in_sample_sharpe_gives_decay_one() {
        let r = aggregate(&[w(0.0, 1.0, 0.1, 5), w(0.0, 2.0, 0.1, 5)]).unwrap();
        assert_eq!(r.sharpe_decay, 1.0);
    }
}
