//! The metrics of one backtest (spec §4) and the reference's rounding of them.

use super::config::{CostModel, Risk};
use super::{numpy, KernelStats};

/// Sharpe and Sortino are clipped to `[-CLIP, CLIP]`.
const CLIP: f64 = 50.0;
/// A standard deviation at or below this counts as zero (ratio reported as 0).
const MIN_STD: f64 = 1e-10;
/// `profit_factor` when there are profits and no losses.
const PF_NO_LOSS: f64 = 999.0;

/// The metrics users query, named as in the result tables. Full precision;
/// [`Metrics::reported`] gives the reference's rounded values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    pub total_return: f64,
    pub sharpe: f64,
    pub sortino: f64,
    pub max_drawdown: f64,
    pub trades: u64,
    pub win_rate: f64,
    pub profit_factor: f64,
    pub final_equity: f64,
    pub gross_profit: f64,
    pub gross_loss: f64,
    pub liquidations: u64,
    pub leverage: f64,
}

impl Metrics {
    /// Metrics of a backtest from its totals and its daily equity points (see
    /// [`super::daily_points`] / [`super::DailySampler::points`]).
    pub fn compute(stats: &KernelStats, daily: &[f64], cost: &CostModel, risk: &Risk) -> Metrics {
        let r = daily_returns(daily);
        let win_rate = if stats.trades > 0 { stats.wins as f64 / stats.trades as f64 } else { 0.0 };
        let profit_factor = if stats.gross_loss > 0.0 {
            stats.gross_profit / stats.gross_loss
        } else if stats.gross_loss == 0.0 && stats.gross_profit > 0.0 {
            PF_NO_LOSS
        } else {
            0.0
        };
        Metrics {
            total_return: (stats.final_equity - cost.capital) / cost.capital,
            sharpe: sharpe(&r),
            sortino: sortino(&r),
            max_drawdown: stats.max_drawdown,
            trades: stats.trades,
            win_rate,
            profit_factor,
            final_equity: stats.final_equity,
            gross_profit: stats.gross_profit,
            gross_loss: stats.gross_loss,
            liquidations: stats.liquidations,
            leverage: risk.leverage,
        }
    }

    /// The values as the reference reports them: Python's `round` to 6 decimals for
    /// `total_return` and `max_drawdown`, 4 for `sharpe`, `sortino`, `win_rate`,
    /// `profit_factor`, 2 for `final_equity`, `gross_profit`, `gross_loss`.
    pub fn reported(&self) -> Metrics {
        Metrics {
            total_return: py_round(self.total_return, 6),
            sharpe: py_round(self.sharpe, 4),
            sortino: py_round(self.sortino, 4),
            max_drawdown: py_round(self.max_drawdown, 6),
            win_rate: py_round(self.win_rate, 4),
            profit_factor: py_round(self.profit_factor, 4),
            final_equity: py_round(self.final_equity, 2),
            gross_profit: py_round(self.gross_profit, 2),
            gross_loss: py_round(self.gross_loss, 2),
            ..*self
        }
    }
}

/// `d[k] / d[k-1] - 1`, NaN results dropped.
pub fn daily_returns(daily: &[f64]) -> Vec<f64> {
    daily.windows(2).map(|w| w[1] / w[0] - 1.0).filter(|r| !r.is_nan()).collect()
}

/// Annualised Sharpe ratio of daily returns: `mean / std(ddof 1) * sqrt(365)`, clipped;
/// `0` with fewer than two returns or a (near) zero deviation.
pub fn sharpe(r: &[f64]) -> f64 {
    if r.len() < 2 {
        return 0.0;
    }
    let sd = numpy::std(r, 1);
    if sd > MIN_STD {
        clip(numpy::mean(r) / sd * 365f64.sqrt())
    } else {
        0.0
    }
}

/// Annualised Sortino ratio: the mean of all returns over the sample deviation of the
/// negative ones; `0` when there are fewer than two negative returns or they barely vary.
pub fn sortino(r: &[f64]) -> f64 {
    let down: Vec<f64> = r.iter().copied().filter(|&x| x < 0.0).collect();
    if down.is_empty() {
        return 0.0;
    }
    let sd = numpy::std(&down, 1);
    if sd > MIN_STD {
        clip(numpy::mean(r) / sd * 365f64.sqrt())
    } else {
        0.0
    }
}

/// `np.clip(x, -50, 50)`: NaN stays NaN.
fn clip(x: f64) -> f64 {
    if x < -CLIP {
        -CLIP
    } else if x > CLIP {
        CLIP
    } else {
        x
    }
}

/// Python's `round(x, ndigits)` for a float: the exact binary value rounded half-to-even at
/// the decimal digit `ndigits` (negative = left of the point), read back as the nearest float.
pub fn py_round(x: f64, ndigits: i32) -> f64 {
    // Python returns x itself beyond the digits a double can carry, and ±0 far left of them.
    if !x.is_finite() || ndigits > 330 {
        return x;
    }
    if ndigits < -330 {
        return 0.0 * x.signum();
    }
    if ndigits >= 0 {
        // Rust's fixed-precision formatting is exact and rounds ties to even.
        return format!("{:.*}", ndigits as usize, x).parse().unwrap_or(x);
    }
    round_left_of_point(x, ndigits.unsigned_abs() as i32)
}

/// `round(x, -k)`: keep the significant digits down to `10^k`.
fn round_left_of_point(x: f64, k: i32) -> f64 {
    let zero = 0.0 * x.signum();
    if x == 0.0 {
        return x;
    }
    // The exponent of the leading digit: shortest round-trip formatting never changes it.
    let sci = format!("{:e}", x.abs());
    let exp: i32 = sci.split('e').nth(1).and_then(|e| e.parse().ok()).unwrap_or(0);
    let keep = exp - k; // digits after the leading one, in scientific notation
    if keep >= 0 {
        return format!("{:.*e}", keep as usize, x).parse().unwrap_or(x);
    }
    if keep == -1 {
        // |x| in [10^(k-1), 10^k): rounds to 0 or to 10^k; an exact half goes to 0 (even).
        let unit: f64 = format!("1e{k}").parse().unwrap_or(f64::INFINITY);
        let half: f64 = format!("5e{}", k - 1).parse().unwrap_or(f64::INFINITY);
        return if x.abs() > half { unit * x.signum() } else { zero };
    }
    zero
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn py_round_matches_python() {
        // Expected values from CPython 3.11's `round`.
        let cases: [(f64, i32, f64); 16] = [
            (0.125, 2, 0.12),
            (0.375, 2, 0.38),
            (2.5, 0, 2.0),
            (-0.125, 2, -0.12),
            (2.675, 2, 2.67), // 2.675 is 2.67499999... in binary
            (2.5e-6, 6, 3e-6), // numpy's round gives 2e-6 here
            (32433863285337.78, 2, 32433863285337.78),
            (-1e-9, 6, -0.0),
            (1234.5678, -2, 1200.0),
            (15.0, -1, 20.0),
            (25.0, -1, 20.0),
            (5.0, -1, 0.0),
            (6.0, -1, 10.0),
            (96.0, -2, 100.0),
            (-45.0, -1, -40.0),
            (4.0, -1, 0.0),
        ];
        for (x, n, want) in cases {
            let got = py_round(x, n);
            assert_eq!(got.to_bits(), want.to_bits(), "round({x}, {n}) = {got}, want {want}");
        }
        assert!(py_round(f64::NAN, 4).is_nan());
        assert_eq!(py_round(f64::INFINITY, 2), f64::INFINITY);
    }

    fn stats(final_equity: f64, trades: u64, wins: u64, gp: f64, gl: f64) -> KernelStats {
        KernelStats { final_equity, max_drawdown: 0.25, trades, wins, gross_profit: gp, gross_loss: gl, liquidations: 0 }
    }

    #[test]
    fn ratios_and_fallbacks() {
        let c = CostModel::default();
        let r = Risk::default();
        let m = Metrics::compute(&stats(12_000.0, 4, 1, 300.0, 100.0), &[10_000.0, 10_100.0, 9_900.0, 12_000.0], &c, &r);
        assert_eq!(m.total_return, 0.2);
        assert_eq!(m.win_rate, 0.25);
        assert_eq!(m.profit_factor, 3.0);
        assert!(m.sharpe > 0.0 && m.sortino == 0.0, "one downside return has no deviation: {m:?}");
        let m = Metrics::compute(&stats(10_000.0, 0, 0, 5.0, 0.0), &[10_000.0, 10_000.0], &c, &r);
        assert_eq!((m.profit_factor, m.win_rate, m.sharpe), (999.0, 0.0, 0.0));
        let m = Metrics::compute(&stats(10_000.0, 0, 0, 0.0, 0.0), &[], &c, &r);
        assert_eq!((m.profit_factor, m.sharpe, m.sortino), (0.0, 0.0, 0.0));
    }

    #[test]
    fn sharpe_is_clipped_and_nan_returns_dropped() {
        let up: Vec<f64> = (0..30).map(|i| 100.0 * (1.0 + 0.01 * (1.0 + (i % 3) as f64 * 1e-3)).powi(i)).collect();
        assert_eq!(sharpe(&daily_returns(&up)), 50.0);
        assert_eq!(daily_returns(&[0.0, 0.0, 1.0, 2.0]), vec![f64::INFINITY, 1.0]);
    }

    #[test]
    fn reported_rounds_like_the_reference() {
        let c = CostModel::default();
        let m = Metrics::compute(&stats(10_123.456789, 3, 2, 1.23456, 0.98765), &[10_000.0, 10_123.456789], &c, &Risk::default());
        let r = m.reported();
        assert_eq!(r.final_equity, 10_123.46);
        assert_eq!(r.total_return, 0.012346);
        assert_eq!(r.win_rate, 0.6667);
        assert_eq!(r.profit_factor, 1.25);
        assert_eq!(r.gross_loss, 0.99);
    }
}
