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
        Metrics::compute_with(stats, daily, cost, risk, &mut MetricsScratch::default())
    }

    /// [`Self::compute`] with reusable buffers.
    pub fn compute_with(stats: &KernelStats, daily: &[f64], cost: &CostModel, risk: &Risk, s: &mut MetricsScratch) -> Metrics {
        returns_into(daily, &mut s.returns);
        let r = &s.returns;
        // The mean of the returns is the numerator of both ratios and the centre of the
        // Sharpe deviation: computed once, as numpy computes it each time.
        let mean = numpy::mean(r);
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
            sharpe: sharpe_with(r, mean, &mut s.work),
            sortino: sortino_with(r, mean, &mut s.down, &mut s.work),
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

/// Reusable buffers of [`Metrics::compute_with`].
#[derive(Debug, Clone, Default)]
pub struct MetricsScratch {
    /// The daily points, lent to a [`super::DailySampler`] during a backtest.
    points: Vec<f64>,
    returns: Vec<f64>,
    down: Vec<f64>,
    work: Vec<f64>,
}

impl MetricsScratch {
    pub(crate) fn take_points(&mut self) -> Vec<f64> {
        std::mem::take(&mut self.points)
    }

    pub(crate) fn put_points(&mut self, points: Vec<f64>) {
        self.points = points;
    }
}

/// `d[k] / d[k-1] - 1`, NaN results dropped.
pub fn daily_returns(daily: &[f64]) -> Vec<f64> {
    let mut r = Vec::new();
    returns_into(daily, &mut r);
    r
}

fn returns_into(daily: &[f64], out: &mut Vec<f64>) {
    out.clear();
    out.extend(daily.iter().zip(daily.iter().skip(1)).map(|(a, b)| b / a - 1.0));
    // A reduction without an early exit, which the compiler vectorises.
    if out.iter().fold(false, |nan, r| nan | r.is_nan()) {
        out.retain(|r| !r.is_nan());
    }
}

/// Annualised Sharpe ratio of daily returns: `mean / std(ddof 1) * sqrt(365)`, clipped;
/// `0` with fewer than two returns or a (near) zero deviation.
pub fn sharpe(r: &[f64]) -> f64 {
    sharpe_with(r, numpy::mean(r), &mut Vec::new())
}

/// [`sharpe`] of returns `r` whose mean is `mean`.
fn sharpe_with(r: &[f64], mean: f64, work: &mut Vec<f64>) -> f64 {
    if r.len() < 2 {
        return 0.0;
    }
    let sd = numpy::std_about(r, mean, 1, work);
    if sd > MIN_STD {
        clip(mean / sd * 365f64.sqrt())
    } else {
        0.0
    }
}

/// Annualised Sortino ratio: the mean of all returns over the sample deviation of the
/// negative ones; `0` when there are fewer than two negative returns or they barely vary.
pub fn sortino(r: &[f64]) -> f64 {
    sortino_with(r, numpy::mean(r), &mut Vec::new(), &mut Vec::new())
}

/// [`sortino`] of returns `r` whose mean is `mean`.
fn sortino_with(r: &[f64], mean: f64, down: &mut Vec<f64>, work: &mut Vec<f64>) -> f64 {
    // The negative returns in order, compacted without a branch per return (each slot is
    // written before it is kept, so the buffer's old values need no clearing).
    down.resize(r.len(), 0.0);
    let mut len = 0;
    for &x in r {
        down[len] = x;
        len += (x < 0.0) as usize;
    }
    down.truncate(len);
    if down.is_empty() {
        return 0.0;
    }
    let sd = numpy::std_with(down, 1, work);
    if sd > MIN_STD {
        clip(mean / sd * 365f64.sqrt())
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
        if let Some(r) = round_fast(x, ndigits) {
            return r;
        }
        return round_by_formatting(x, ndigits);
    }
    round_left_of_point(x, ndigits.unsigned_abs() as i32)
}

/// `round(x, ndigits)` for `ndigits >= 0` through Rust's fixed-precision formatting, which
/// is exact and rounds ties to even.
fn round_by_formatting(x: f64, ndigits: i32) -> f64 {
    format!("{:.*}", ndigits as usize, x).parse().unwrap_or(x)
}

/// Powers of ten a double holds exactly.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// `round(x, ndigits)` without formatting when that is certain to give Python's value:
/// `y = x * 10^n` is within half an ulp of the exact product, so unless `y` lies within a
/// few ulps of a half-integer, the nearest integer `k` to `y` is the nearest to the exact
/// product (ties cannot occur), and `k / 10^n` — one correctly rounded division of exact
/// operands — is the double nearest to the decimal result, as Python's `strtod` reads it.
/// `None` for near-ties and magnitudes where this does not hold.
fn round_fast(x: f64, ndigits: i32) -> Option<f64> {
    let p = *POW10.get(usize::try_from(ndigits).ok()?)?;
    let y = x * p;
    // Below 2^52 every half-integer is a double and `y - trunc(y)` is exact.
    if !(y.abs() < 4_503_599_627_370_496.0) {
        return None;
    }
    let frac = (y - y.trunc()).abs();
    let margin = y.abs() * (4.0 * f64::EPSILON) + f64::MIN_POSITIVE;
    if (frac - 0.5).abs() <= margin {
        return None;
    }
    // `round` keeps the sign of zero, as Python does (`round(-0.001, 2) == -0.0`).
    Some(y.round() / p)
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

    /// The fast path gives the formatting path's bits wherever it answers, and answers
    /// almost everywhere.
    #[test]
    fn fast_rounding_equals_formatting() {
        let mut state = 99u64;
        let mut next = move || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            state
        };
        let mut answered = 0;
        let total = 400_000;
        for k in 0..total {
            let r = next();
            let n = (r % 11) as i32;
            let x = match k % 4 {
                // Uniform mantissas over many magnitudes, both signs.
                0 | 1 => {
                    let m = (next() >> 11) as f64 / (1u64 << 53) as f64;
                    let e = ((r >> 8) % 40) as i32 - 20;
                    let s = if r & 1 == 0 { 1.0 } else { -1.0 };
                    s * m * 10f64.powi(e)
                }
                // Decimal half-way points and their neighbours.
                2 => {
                    let q = ((next() % 2_000_000) as f64 + 0.5) / 10f64.powi(n);
                    match (r >> 20) % 3 {
                        0 => q,
                        1 => f64::from_bits(q.to_bits() + 1),
                        _ => f64::from_bits(q.to_bits() - 1),
                    }
                }
                // Metric-like values: ratios and money.
                _ => ((next() % 10_000_000) as f64 / 7.0 - 700_000.0) / 1000.0,
            };
            if let Some(fast) = round_fast(x, n) {
                answered += 1;
                let slow = round_by_formatting(x, n);
                assert_eq!(fast.to_bits(), slow.to_bits(), "round({x:e}, {n}): fast {fast:e}, formatted {slow:e}");
            }
        }
        // Near-ties (a quarter of the cases) and products beyond 2^52 go to formatting.
        assert!(answered > total / 2, "{answered} of {total}");
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
