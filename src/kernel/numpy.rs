//! numpy's float64 reductions and rounding, reproduced bit for bit (sum, mean, std, round).
//!
//! numpy sums a contiguous float64 array with pairwise summation and adds the result to the
//! reduction's identity `0.0`; `mean` divides that sum by the count; `std` subtracts the mean,
//! squares, sums the same way and divides by `n - ddof`. The metrics depend on these exact
//! orders of summation to match the reference to the last bit.

/// Block size below which numpy sums with 8 interleaved accumulators.
const PW_BLOCKSIZE: usize = 128;

/// numpy's `pairwise_sum` for float64 (the inner routine of `np.add.reduce`).
fn pairwise(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        // numpy starts from -0.0 so that a sum of negative zeros stays -0.0.
        let mut res = -0.0;
        for &x in a {
            res += x;
        }
        res
    } else if n <= PW_BLOCKSIZE {
        let mut blocks = a.chunks_exact(8);
        let mut r: [f64; 8] = blocks.next().expect("n >= 8").try_into().expect("eight values");
        for b in &mut blocks {
            for (acc, &x) in r.iter_mut().zip(b) {
                *acc += x;
            }
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in blocks.remainder() {
            res += x;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise(&a[..n2]) + pairwise(&a[n2..])
    }
}

/// `np.sum(a)` of a contiguous float64 array.
pub fn sum(a: &[f64]) -> f64 {
    0.0 + pairwise(a)
}

/// `np.mean(a)`; NaN for an empty slice (numpy warns and returns NaN too).
pub fn mean(a: &[f64]) -> f64 {
    sum(a) / a.len() as f64
}

/// `np.std(a, ddof=ddof)`; NaN when `len <= ddof` (numpy divides by `max(n - ddof, 0)`).
pub fn std(a: &[f64], ddof: usize) -> f64 {
    std_with(a, ddof, &mut Vec::new())
}

/// [`std`] with a reusable buffer for the squared deviations.
pub fn std_with(a: &[f64], ddof: usize, work: &mut Vec<f64>) -> f64 {
    std_about(a, mean(a), ddof, work)
}

/// [`std_with`] of `a` whose [`mean`] is `m`.
pub fn std_about(a: &[f64], m: f64, ddof: usize, work: &mut Vec<f64>) -> f64 {
    work.clear();
    work.extend(a.iter().map(|&x| {
        let d = x - m;
        d * d
    }));
    let dof = a.len().saturating_sub(ddof) as f64;
    (sum(work) / dof).sqrt()
}

/// `np.round(x, 6)`: `rint(x * 1e6) / 1e6`, ties to even on the scaled value (this is not
/// Python's `round`, which rounds the exact decimal expansion).
#[inline]
pub fn round6(x: f64) -> f64 {
    (x * 1e6).round_ties_even() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic series whose sums depend on the order of summation.
    fn series(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| {
                let base = (((i * 7919) % 1000) as f64 - 500.0) / 3.0 * ((i % 37) as f64 * 0.37 + 1.0);
                if i % 5 == 0 {
                    base * 1e6
                } else {
                    base
                }
            })
            .collect()
    }

    /// `(n, np.sum, np.mean, np.std ddof=1, np.std ddof=0)` as bits, computed with numpy 2.4.
    const NUMPY: [(usize, u64, u64, u64, u64); 5] = [
        (5, 0xc1a3de3dc2111111, 0xc17fc9fc69b4e81b, 0x4191c54bfc2581c4, 0x418fca07903d71df),
        (20, 0x418cb0af84444447, 0x4146f3bf9d0369d2, 0x41a632ad80835247, 0x41a5a2ca044cb3d3),
        (129, 0xc1b9561d8e258bf0, 0xc14923d5e260ca5b, 0x41b5b67a4ea02793, 0x41b5a0e4301f2029),
        (300, 0xc1e5bb5a0c4d1eb7, 0xc1628b64bbfd8ada, 0x41b5bbc893ef11e9, 0x41b5b280b722312b),
        (1000, 0xc20aa65995f169ce, 0xc16b4a161a90cea6, 0x41b4e71b5cb99429, 0x41b4e46e3fcbddee),
    ];

    #[test]
    fn matches_numpy_bit_for_bit() {
        for (n, s, m, sd1, sd0) in NUMPY {
            let a = series(n);
            assert_eq!(sum(&a).to_bits(), s, "sum n={n}");
            assert_eq!(mean(&a).to_bits(), m, "mean n={n}");
            assert_eq!(std(&a, 1).to_bits(), sd1, "std ddof=1 n={n}");
            assert_eq!(std(&a, 0).to_bits(), sd0, "std ddof=0 n={n}");
        }
    }

    #[test]
    fn pairwise_differs_from_naive_sum() {
        let a = series(1000);
        let naive: f64 = a.iter().fold(0.0, |s, &x| s + x);
        assert_ne!(naive.to_bits(), sum(&a).to_bits());
    }

    #[test]
    fn edge_cases() {
        assert_eq!(sum(&[]).to_bits(), 0.0f64.to_bits());
        assert_eq!(sum(&[-0.0]).to_bits(), 0.0f64.to_bits());
        assert!(mean(&[]).is_nan());
        assert!(std(&[1.0], 1).is_nan());
        assert_eq!(std(&[2.0, 2.0], 1), 0.0);
    }

    #[test]
    fn round6_is_numpy_round() {
        assert_eq!(round6(1.0000005), 1.000001);
        // numpy rounds the scaled binary value: 2.5e-6 * 1e6 == 2.5 exactly, a tie to even
        // (Python's `round(2.5e-6, 6)` gives 3e-6 instead).
        assert_eq!(round6(0.0000025), 0.000002);
        assert_eq!(round6(-2.5e-6), -0.000002);
        assert_eq!(round6(10000.0), 10000.0);
        assert_eq!(round6(1234.56789049), 1234.56789);
    }
}
