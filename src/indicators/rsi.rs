//! The two RSI variants of the reference (simple-mean gains and losses).

use super::rolling::roll_mean;

/// `gain = where(d > 0, d, 0.0)`, `loss = -where(d < 0, d, 0.0)` with `d = diff(close)`:
/// `loss` holds `-0.0` wherever `d >= 0` (and at bar 0), which the rolling mean's sign
/// forcing sees.
pub fn gains_losses(close: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let n = close.len();
    let mut gain = Vec::with_capacity(n);
    let mut loss = Vec::with_capacity(n);
    for i in 0..n {
        let d = if i == 0 { f64::NAN } else { close[i] - close[i - 1] };
        gain.push(if d > 0.0 { d } else { 0.0 });
        loss.push(-(if d < 0.0 { d } else { 0.0 }));
    }
    (gain, loss)
}

/// `100 - 100 / (1 + ag / al)` with `al == 0` read as NaN.
pub fn rsi_a_from(ag: &[f64], al: &[f64]) -> Vec<f64> {
    ag.iter()
        .zip(al)
        .map(|(&g, &l)| {
            let l = if l == 0.0 { f64::NAN } else { l };
            100.0 - 100.0 / (1.0 + g / l)
        })
        .collect()
}

/// `100 - 100 / (1 + ag / (al + 1e-10))`.
pub fn rsi_b_from(ag: &[f64], al: &[f64]) -> Vec<f64> {
    ag.iter().zip(al).map(|(&g, &l)| 100.0 - 100.0 / (1.0 + g / (l + 1e-10))).collect()
}

/// RSI with NaN where the average loss is zero.
pub fn rsi_a(close: &[f64], period: usize) -> Vec<f64> {
    let (g, l) = gains_losses(close);
    rsi_a_from(&roll_mean(&g, period), &roll_mean(&l, period))
}

/// RSI with `1e-10` added to the average loss.
pub fn rsi_b(close: &[f64], period: usize) -> Vec<f64> {
    let (g, l) = gains_losses(close);
    rsi_b_from(&roll_mean(&g, period), &roll_mean(&l, period))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn losses_carry_negative_zero() {
        let (g, l) = gains_losses(&[1.0, 2.0, 1.5, 1.5]);
        assert_eq!(g, vec![0.0, 1.0, 0.0, 0.0]);
        assert_eq!(l.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), [(-0.0f64).to_bits(), (-0.0f64).to_bits(), 0.5f64.to_bits(), (-0.0f64).to_bits()]);
    }

    #[test]
    fn variants_differ_on_zero_losses() {
        let close = [1.0, 2.0, 3.0, 2.0, 4.0];
        let a = rsi_a(&close, 2);
        let b = rsi_b(&close, 2);
        assert!(a[1].is_nan() && a[2].is_nan());
        assert_eq!(b[2], 100.0 - 100.0 / (1.0 + 1.0 / 1e-10));
        // Bar 4: ag = (0 + 2) / 2 = 1, al = (1 + 0) / 2 = 0.5: rs = 2.
        assert_eq!(a[4], 100.0 - 100.0 / 3.0);
    }
}
