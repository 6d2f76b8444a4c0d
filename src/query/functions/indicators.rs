//! The indicator family exposed to SQL, computed exactly as the strategies compute them
//! (spec §1–2): pure slices in, one series out.

use crate::indicators::{ewm, roll_mean, roll_std, rsi_a, true_range};

/// Longest window accepted (the strategies' own limit).
pub const MAX_WINDOW: i64 = 10_000;

/// One indicator function of the SQL layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Indicator {
    /// `roll_mean(x, n)`
    Sma,
    /// `ewm(x, span = n)` (pandas `adjust=False`)
    Ema,
    /// `rsi_a(x, n)`: simple-mean gains and losses, NaN where the average loss is 0
    Rsi,
    /// `roll_mean(true_range(high, low, close), n)`
    Atr,
    /// `roll_mean(x, n) + k * roll_std(x, n)`
    BbUpper,
    /// `roll_mean(x, n)`
    BbMiddle,
    /// `roll_mean(x, n) - k * roll_std(x, n)`
    BbLower,
}

impl Indicator {
    pub const ALL: [Indicator; 7] = [
        Indicator::Sma,
        Indicator::Ema,
        Indicator::Rsi,
        Indicator::Atr,
        Indicator::BbUpper,
        Indicator::BbMiddle,
        Indicator::BbLower,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Indicator::Sma => "sma",
            Indicator::Ema => "ema",
            Indicator::Rsi => "rsi",
            Indicator::Atr => "atr",
            Indicator::BbUpper => "bb_upper",
            Indicator::BbMiddle => "bb_middle",
            Indicator::BbLower => "bb_lower",
        }
    }

    /// How many series the indicator reads (`atr` reads high, low, close).
    pub fn series(self) -> usize {
        match self {
            Indicator::Atr => 3,
            _ => 1,
        }
    }

    /// Whether it takes a band multiplier `k` after the window.
    pub fn has_multiplier(self) -> bool {
        matches!(self, Indicator::BbUpper | Indicator::BbMiddle | Indicator::BbLower)
    }

    /// The series over `inputs` (one slice per [`Indicator::series`], equal lengths) with
    /// window `n >= 1` and multiplier `k` (ignored where unused). NaN marks warm-up bars.
    pub fn compute(self, inputs: &[&[f64]], n: usize, k: f64) -> Vec<f64> {
        let x = inputs[0];
        match self {
            Indicator::Sma | Indicator::BbMiddle => roll_mean(x, n),
            Indicator::Ema => ewm(x, n),
            Indicator::Rsi => rsi_a(x, n),
            Indicator::Atr => roll_mean(&true_range(inputs[0], inputs[1], inputs[2]), n),
            Indicator::BbUpper => band(x, n, |mid, sd| mid + k * sd),
            Indicator::BbLower => band(x, n, |mid, sd| mid - k * sd),
        }
    }
}

/// Bollinger band from the mean and the sample deviation, as the strategy compares them.
fn band(x: &[f64], n: usize, f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    let (mid, sd) = (roll_mean(x, n), roll_std(x, n));
    mid.iter().zip(&sd).map(|(&m, &s)| f(m, s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const X: [f64; 6] = [1.0, 2.0, 3.0, 2.0, 4.0, 6.0];

    fn nan_eq(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
    }

    #[test]
    fn sma_and_bands() {
        let sma = Indicator::Sma.compute(&[&X], 3, 0.0);
        assert!(nan_eq(&sma, &[f64::NAN, f64::NAN, 2.0, 7.0 / 3.0, 3.0, 4.0]), "{sma:?}");
        let up = Indicator::BbUpper.compute(&[&X], 3, 2.0);
        let lo = Indicator::BbLower.compute(&[&X], 3, 2.0);
        let mid = Indicator::BbMiddle.compute(&[&X], 3, 2.0);
        // Window [1, 2, 3]: mean 2, sample std 1.
        assert_eq!((up[2], mid[2], lo[2]), (4.0, 2.0, 0.0));
        assert!(up[1].is_nan() && lo[0].is_nan());
    }

    #[test]
    fn ema_rsi_atr() {
        let e = Indicator::Ema.compute(&[&X], 3, 0.0);
        // alpha = 0.5, adjust=False: 1, 1.5, 2.25, 2.125, 3.0625, 4.53125
        assert_eq!(e, [1.0, 1.5, 2.25, 2.125, 3.0625, 4.53125]);
        let r = Indicator::Rsi.compute(&[&X], 2, 0.0);
        // Bars 1-2 only gain (average loss 0 -> NaN); bar 3: gains [1, 0], losses [0, 1].
        assert!(r[0].is_nan() && r[1].is_nan() && r[2].is_nan());
        assert_eq!(r[3], 50.0);
        let h = [2.0, 3.0, 4.0];
        let l = [1.0, 1.0, 3.5];
        let c = [1.5, 2.0, 3.8];
        let a = Indicator::Atr.compute(&[&h, &l, &c], 2, 0.0);
        // TR: 1, max(2, 1.5, 0.5) = 2, max(0.5, 2, 1.5) = 2
        assert!(a[0].is_nan());
        assert_eq!(&a[1..], &[1.5, 2.0]);
    }
}
