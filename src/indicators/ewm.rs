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
    let Some(first) = x.iter().position(|v| !v.is_nan()) else {
        out.fill(f64::NAN);
        return;
    };
    out[..first].fill(f64::NAN);
    let mut e = Recursion::new(span, x[first]);
    out[first] = e.y;
    for i in first + 1..x.len() {
        out[i] = e.step(x[i]);
    }
}

/// [`ewm`] of `x` for every span in `spans`, in one pass. Each recursion waits on its
/// division every bar; stepping several spans bar by bar lets the core overlap them.
/// Every result has the bits of `ewm(x, span)`.
pub fn ewm_each(x: &[f64], spans: &[usize]) -> Vec<Vec<f64>> {
    let mut out: Vec<Vec<f64>> = spans.iter().map(|_| vec![f64::NAN; x.len()]).collect();
    let Some(first) = x.iter().position(|v| !v.is_nan()) else {
        return out;
    };
    let mut state: Vec<Recursion> = spans.iter().map(|&span| Recursion::new(span, x[first])).collect();
    for (o, e) in out.iter_mut().zip(&state) {
        o[first] = e.y;
    }
    for i in first + 1..x.len() {
        for (e, o) in state.iter_mut().zip(out.iter_mut()) {
            o[i] = e.step(x[i]);
        }
    }
    out
}

/// pandas' recursive form from the first non-NaN input on.
struct Recursion {
    alpha: f64,
    decay: f64,
    y: f64,
    w_old: f64,
}

impl Recursion {
    fn new(span: usize, first: f64) -> Recursion {
        let com = (span as f64 - 1.0) / 2.0;
        let alpha = 1.0 / (1.0 + com);
        Recursion { alpha, decay: 1.0 - alpha, y: first, w_old: 1.0 }
    }

    /// The mean after the next input `v`.
    #[inline]
    fn step(&mut self, v: f64) -> f64 {
        self.w_old *= self.decay;
        if !v.is_nan() {
            // pandas skips the update on an equal value to keep constant series exact.
            if v != self.y {
                self.y = (self.w_old * self.y + self.alpha * v) / (self.w_old + self.alpha);
            }
            self.w_old = 1.0;
        }
        self.y
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
    fn means_of_several_spans_have_the_bits_of_one_at_a_time() {
        let x: Vec<f64> = (0..300)
            .map(|i| match i % 23 {
                0..=2 if i < 30 => f64::NAN,
                7 | 8 => f64::NAN,
                12..=15 => 0.1,
                _ => ((i * 7919) % 97) as f64 * if i % 4 == 0 { -1e-3 } else { 1e4 },
            })
            .collect();
        let spans = [1, 2, 3, 5, 7, 9, 11, 14, 20, 400];
        let each = ewm_each(&x, &spans);
        for (m, &span) in each.iter().zip(&spans) {
            let one = ewm(&x, span);
            assert!(m.len() == one.len() && m.iter().zip(&one).all(|(a, b)| a.to_bits() == b.to_bits()), "span {span}");
        }
        assert!(ewm_each(&[f64::NAN; 4], &spans).iter().all(|m| m.len() == 4 && m.iter().all(|v| v.is_nan())));
        assert!(ewm_each(&[], &spans).iter().all(|m| m.is_empty()));
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
