//! pandas `ewm(span, adjust=False).mean()`.

/// Exponentially weighted mean with `alpha = 1 / (1 + (span - 1) / 2)`, pandas' recursive form.
/// Output starts at the first non-NaN input; a NaN input repeats the previous value.
pub fn ewm(x: &[f64], span: usize) -> Vec<f64> {
    let mut out = vec![f64::NAN; x.len()];
    ewm_into(x, span, &mut out);
    out
}

/// `ewm` of a series into a caller-provided buffer (no allocation).
pub fn ewm_into(x: &[f64], span: usize, out: &mut [f64]) {
    assert_eq!(x.len(), out.len());
    let com = (span as f64 - 1.0) / 2.0;
    let alpha = 1.0 / (1.0 + com);
    let decay = 1.0 - alpha;
    let Some(first) = x.iter().position(|v| !v.is_nan()) else {
        out.fill(f64::NAN);
        return;
    };
    out[..first].fill(f64::NAN);
    let mut y = x[first];
    let mut w_old = 1.0;
    out[first] = y;
    for i in first + 1..x.len() {
        let v = x[i];
        w_old *= decay;
        if !v.is_nan() {
            // pandas skips the update on an equal value to keep constant series exact.
            if v != y {
                y = (w_old * y + alpha * v) / (w_old + alpha);
            }
            w_old = 1.0;
        }
        out[i] = y;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recursive_form_with_leading_nans() {
        // span 3: alpha = 0.5.
        let y = ewm(&[f64::NAN, 1.0, 2.0, 2.0, 4.0], 3);
        assert!(y[0].is_nan());
        assert_eq!(&y[1..], &[1.0, 1.5, 1.75, 2.875]);
    }

    #[test]
    fn constant_input_stays_exact() {
        let y = ewm(&[2.0, 2.0, 2.0, 3.0, 4.0], 3);
        assert_eq!(y, vec![2.0, 2.0, 2.0, 2.5, 3.25]);
        let y = ewm(&[0.1; 5], 7);
        assert!(y.iter().all(|v| v.to_bits() == 0.1f64.to_bits()));
    }

    #[test]
    fn into_matches_allocating_version() {
        let x = [f64::NAN, 3.0, 1.0, 4.0, 1.0, 5.0];
        let mut out = vec![0.0; x.len()];
        ewm_into(&x, 4, &mut out);
        let y = ewm(&x, 4);
        assert!(out.iter().zip(&y).all(|(a, b)| a.to_bits() == b.to_bits()));
    }
}
