//! Element-wise building blocks: shifts, differences, masks, clipping and price composites.

/// `x[i-k]`, NaN for `i < k`.
pub fn shift(x: &[f64], k: usize) -> Vec<f64> {
    let mut out = vec![f64::NAN; x.len()];
    if k < x.len() {
        out[k..].copy_from_slice(&x[..x.len() - k]);
    }
    out
}

/// `x[i] - x[i-1]`, NaN at bar 0.
pub fn diff(x: &[f64]) -> Vec<f64> {
    let mut out = vec![f64::NAN; x.len()];
    for i in 1..x.len() {
        out[i] = x[i] - x[i - 1];
    }
    out
}

/// `x[i] / x[i-k] - 1`, NaN for `i < k`.
pub fn pct_change(x: &[f64], k: usize) -> Vec<f64> {
    let mut out = vec![f64::NAN; x.len()];
    for i in k..x.len() {
        out[i] = x[i] / x[i - k] - 1.0;
    }
    out
}

/// `x[i]` where `cond[i]`, else `v` (pandas `Series.where`).
pub fn where_(cond: &[bool], x: &[f64], v: f64) -> Vec<f64> {
    cond.iter().zip(x).map(|(&c, &xi)| if c { xi } else { v }).collect()
}

/// pandas `clip(lower=lo)`: values `>= lo` (including `-0.0` against `0`) and NaN are kept.
pub fn clip_lower(x: &[f64], lo: f64) -> Vec<f64> {
    x.iter().map(|&v| clip_lower_one(v, lo)).collect()
}

#[inline]
pub(crate) fn clip_lower_one(v: f64, lo: f64) -> f64 {
    if v.is_nan() || v >= lo {
        v
    } else {
        lo
    }
}

#[inline]
pub(crate) fn clip_one(v: f64, lo: f64, hi: f64) -> f64 {
    let v = clip_lower_one(v, lo);
    if v.is_nan() || v <= hi {
        v
    } else {
        hi
    }
}

/// pandas `clip(lo, hi)`: the lower bound first, then the upper; NaN stays NaN.
pub fn clip(x: &[f64], lo: f64, hi: f64) -> Vec<f64> {
    x.iter().map(|&v| clip_one(v, lo, hi)).collect()
}

/// NaN-skipping maximum of two values (both NaN gives NaN).
#[inline]
pub fn max2(a: f64, b: f64) -> f64 {
    if a.is_nan() {
        b
    } else if b.is_nan() || a >= b {
        a
    } else {
        b
    }
}

/// NaN-skipping minimum of two values (both NaN gives NaN).
#[inline]
pub fn min2(a: f64, b: f64) -> f64 {
    if a.is_nan() {
        b
    } else if b.is_nan() || a <= b {
        a
    } else {
        b
    }
}

/// `max2(high-low, |high - close[i-1]|, |low - close[i-1]|)`; bar 0 is `high - low`.
pub fn true_range(high: &[f64], low: &[f64], close: &[f64]) -> Vec<f64> {
    (0..high.len())
        .map(|i| {
            let hl = high[i] - low[i];
            if i == 0 {
                return hl;
            }
            let pc = close[i - 1];
            max2(max2(hl, (high[i] - pc).abs()), (low[i] - pc).abs())
        })
        .collect()
}

/// `((high + low) + close) / 3`.
pub fn typical(high: &[f64], low: &[f64], close: &[f64]) -> Vec<f64> {
    (0..high.len()).map(|i| ((high[i] + low[i]) + close[i]) / 3.0).collect()
}

/// `(high + low) / 2`.
pub fn hl2(high: &[f64], low: &[f64]) -> Vec<f64> {
    high.iter().zip(low).map(|(&h, &l)| (h + l) / 2.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
    }

    #[test]
    fn shifts_and_differences() {
        let x = [1.0, 3.0, 6.0];
        assert!(same(&shift(&x, 1), &[f64::NAN, 1.0, 3.0]));
        assert!(same(&shift(&x, 5), &[f64::NAN; 3]));
        assert!(same(&diff(&x), &[f64::NAN, 2.0, 3.0]));
        assert!(same(&pct_change(&x, 1), &[f64::NAN, 2.0, 1.0]));
        assert!(same(&pct_change(&x, 2), &[f64::NAN, f64::NAN, 5.0]));
    }

    #[test]
    fn where_replaces_false_positions_even_nan() {
        let out = where_(&[true, false, false], &[1.0, f64::NAN, 2.0], 0.0);
        assert!(same(&out, &[1.0, 0.0, 0.0]));
    }

    #[test]
    fn clipping_keeps_nan_and_negative_zero() {
        let out = clip_lower(&[-0.0, -1.0, f64::NAN, 2.0], 0.0);
        assert!(same(&out, &[-0.0, 0.0, f64::NAN, 2.0]));
        assert!(same(&clip(&[-2.0, 0.5, 2.0, f64::NAN], -0.999, 0.999), &[-0.999, 0.5, 0.999, f64::NAN]));
    }

    #[test]
    fn nan_skipping_extremes() {
        assert_eq!(max2(f64::NAN, 1.0), 1.0);
        assert_eq!(max2(1.0, f64::NAN), 1.0);
        assert!(max2(f64::NAN, f64::NAN).is_nan());
        assert_eq!(min2(f64::NAN, 1.0), 1.0);
        assert_eq!(min2(3.0, 1.0), 1.0);
    }

    #[test]
    fn true_range_uses_previous_close() {
        let tr = true_range(&[10.0, 12.0, 11.0], &[9.0, 11.5, 7.0], &[9.5, 11.5, 8.0]);
        assert!(same(&tr, &[1.0, 2.5, 4.5]));
        assert!(same(&typical(&[3.0], &[1.0], &[2.0]), &[2.0]));
        assert!(same(&hl2(&[3.0], &[1.0]), &[2.0]));
    }
}
