//! numpy's pairwise summation and mean, and the rolling mean absolute deviation CCI uses.

/// numpy's `pairwise_sum` for float64 (unrolled by 8, blocks of at most 128).
pub fn pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        let mut res = 0.0;
        for &v in a {
            res += v;
        }
        res
    } else if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let whole = n - n % 8;
        let mut i = 8;
        while i < whole {
            for j in 0..8 {
                r[j] += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &v in &a[whole..] {
            res += v;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
    }
}

/// `np.mean` of a float64 array: the add-reduction starts from `0.0`, then divides by the count.
pub fn np_mean(a: &[f64]) -> f64 {
    (0.0 + pairwise_sum(a)) / a.len() as f64
}

/// For each full window `w` of `n` non-NaN values: `mean(|w - mean(w)|)` (numpy means).
pub fn roll_mad(x: &[f64], n: usize) -> Vec<f64> {
    assert!(n >= 1, "rolling window must be at least 1");
    let mut out = vec![f64::NAN; x.len()];
    let mut dev = vec![0.0; n];
    let mut nans = 0usize;
    for i in 0..x.len() {
        if x[i].is_nan() {
            nans += 1;
        }
        if i >= n && x[i - n].is_nan() {
            nans -= 1;
        }
        if i + 1 < n || nans > 0 {
            continue;
        }
        let w = &x[i + 1 - n..=i];
        let m = np_mean(w);
        for (d, &v) in dev.iter_mut().zip(w) {
            *d = (v - m).abs();
        }
        out[i] = np_mean(&dev);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_sums_are_left_to_right() {
        assert_eq!(pairwise_sum(&[0.1, 0.2, 0.3]), (0.1 + 0.2) + 0.3);
    }

    #[test]
    fn unrolled_sums_use_eight_accumulators() {
        let a: Vec<f64> = (0..11).map(|k| 0.1 * k as f64 + 1e-3).collect();
        let r = &a[..8];
        let expect = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7])) + a[8] + a[9] + a[10];
        assert_eq!(pairwise_sum(&a).to_bits(), expect.to_bits());
        let b: Vec<f64> = (0..16).map(|k| 1.0 / (k as f64 + 1.0)).collect();
        let r: Vec<f64> = (0..8).map(|j| b[j] + b[j + 8]).collect();
        let expect = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        assert_eq!(pairwise_sum(&b).to_bits(), expect.to_bits());
    }

    #[test]
    fn long_sums_split_in_halves() {
        let a: Vec<f64> = (0..300).map(|k| (k as f64).sin()).collect();
        // 300 / 2 = 150, rounded down to a multiple of 8: 144.
        assert_eq!(pairwise_sum(&a).to_bits(), (pairwise_sum(&a[..144]) + pairwise_sum(&a[144..])).to_bits());
    }

    #[test]
    fn mean_absolute_deviation() {
        let m = roll_mad(&[1.0, 2.0, 3.0, 4.0, f64::NAN, 1.0, 1.0], 3);
        assert!(m[1].is_nan());
        assert_eq!(m[2], 2.0 / 3.0);
        assert_eq!(m[3], 2.0 / 3.0);
        assert!(m[4].is_nan() && m[5].is_nan() && m[6].is_nan());
    }
}
