//! Recursive trend indicators (Supertrend, Parabolic SAR) and the directional movement of ADX.

use super::basic::clip_lower_one;

/// Supertrend direction (`+1` / `-1`) into `dir`, from `atr = roll_mean(true_range, start)`
/// and `hl2`. Bars before `start` stay `+1`. Bands ratchet only on bars that kept the
/// previous direction without a breakout.
pub fn supertrend_into(close: &[f64], hl2: &[f64], atr: &[f64], start: usize, mult: f64, dir: &mut [i8]) {
    let n = close.len();
    dir.fill(1);
    if start == 0 || start >= n {
        return;
    }
    let mut prev_up = hl2[start - 1] + mult * atr[start - 1];
    let mut prev_lo = hl2[start - 1] - mult * atr[start - 1];
    let mut prev_dir = 1i8;
    for i in start..n {
        let mut up = hl2[i] + mult * atr[i];
        let mut lo = hl2[i] - mult * atr[i];
        let d = if close[i] > prev_up {
            1
        } else if close[i] < prev_lo {
            -1
        } else {
            if prev_dir == 1 && lo < prev_lo {
                lo = prev_lo;
            }
            if prev_dir == -1 && up > prev_up {
                up = prev_up;
            }
            prev_dir
        };
        dir[i] = d;
        prev_dir = d;
        prev_up = up;
        prev_lo = lo;
    }
}

/// Parabolic SAR direction (`+1` / `-1`) into `dir`; bar 0 is `+1`.
pub fn psar_into(high: &[f64], low: &[f64], af_start: f64, af_inc: f64, af_max: f64, dir: &mut [i8]) {
    let n = high.len();
    if n == 0 {
        return;
    }
    let mut sar = high[0];
    let mut ep = low[0];
    let mut af = af_start;
    let mut d = 1i8;
    dir[0] = 1;
    for i in 1..n {
        let j = i.saturating_sub(2);
        sar = sar + af * (ep - sar);
        if d == 1 {
            // Python's `min(sar, low[i-1], low[j])`: the first smallest.
            if low[i - 1] < sar {
                sar = low[i - 1];
            }
            if low[j] < sar {
                sar = low[j];
            }
            if low[i] < sar {
                d = -1;
                sar = ep;
                ep = low[i];
                af = af_start;
            } else if high[i] > ep {
                ep = high[i];
                af = py_min(af + af_inc, af_max);
            }
        } else {
            if high[i - 1] > sar {
                sar = high[i - 1];
            }
            if high[j] > sar {
                sar = high[j];
            }
            if high[i] > sar {
                d = 1;
                sar = ep;
                ep = high[i];
                af = af_start;
            } else if low[i] < ep {
                ep = low[i];
                af = py_min(af + af_inc, af_max);
            }
        }
        dir[i] = d;
    }
}

#[inline]
fn py_min(a: f64, b: f64) -> f64 {
    if b < a {
        b
    } else {
        a
    }
}

/// ADX directional movement: `pdm = clip_lower(diff(high), 0)`, `mdm = clip_lower(-diff(low), 0)`
/// (NaN at bar 0, `-0.0` kept), then `pdm = 0` where `pdm < mdm`, then `mdm = 0` where
/// `mdm < pdm` against the updated `pdm`.
pub fn directional_movement(high: &[f64], low: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let n = high.len();
    let mut pdm = Vec::with_capacity(n);
    let mut mdm = Vec::with_capacity(n);
    for i in 0..n {
        if i == 0 {
            pdm.push(f64::NAN);
            mdm.push(f64::NAN);
            continue;
        }
        let mut p = clip_lower_one(high[i] - high[i - 1], 0.0);
        let mut m = clip_lower_one(-(low[i] - low[i - 1]), 0.0);
        if p < m {
            p = 0.0;
        }
        if m < p {
            m = 0.0;
        }
        pdm.push(p);
        mdm.push(m);
    }
    (pdm, mdm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supertrend_flips_on_breakouts_and_ratchets_otherwise() {
        let close = [10.0, 10.0, 10.5, 13.0, 10.2, 6.0];
        let hl2 = [10.0, 10.0, 10.4, 12.0, 10.0, 7.0];
        let atr = [1.0; 6];
        let mut dir = [0i8; 6];
        supertrend_into(&close, &hl2, &atr, 1, 1.0, &mut dir);
        // bar 2: 10.5 inside (9, 11): keeps +1 (its lower band 9.4 is already above 9).
        // bar 3: 13 > 11.4: +1 by breakout. bar 4: 10.2 < lo[3] = 11: -1. bar 5: 6 < 9: -1.
        assert_eq!(dir, [1, 1, 1, 1, -1, -1]);
    }

    #[test]
    fn psar_reverses_when_price_crosses() {
        let high = [10.0, 11.0, 12.0, 11.0, 9.0];
        let low = [9.0, 10.0, 11.0, 10.0, 8.0];
        let mut dir = [0i8; 5];
        psar_into(&high, &low, 0.02, 0.02, 0.2, &mut dir);
        assert_eq!(dir, [1, 1, 1, 1, -1]);
    }

    #[test]
    fn directional_movement_keeps_the_larger_side() {
        let (p, m) = directional_movement(&[10.0, 10.5, 10.5, 10.0], &[9.0, 8.0, 8.0, 8.5]);
        assert!(p[0].is_nan() && m[0].is_nan());
        assert_eq!((p[1], m[1]), (0.0, 1.0));
        // Unchanged highs and lows: pdm = +0.0, mdm = -(0.0) = -0.0, which clip(lower=0) keeps.
        assert_eq!(m[2].to_bits(), (-0.0f64).to_bits());
        assert_eq!(p[2], 0.0);
        assert_eq!((p[3], m[3]), (0.0, 0.0));
    }
}
