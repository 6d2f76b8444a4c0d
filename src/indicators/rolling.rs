//! Rolling sums and means with pandas' Kahan compensation (separate add/remove terms),
//! consecutive-equal-value counter and sign forcing.

/// Incremental state shared by `roll_sum` and `roll_mean`.
#[derive(Default)]
struct KahanWindow {
    nobs: usize,
    neg: usize,
    sum: f64,
    c_add: f64,
    c_rem: f64,
    same: usize,
    prev: f64,
}

impl KahanWindow {
    fn reset(&mut self, first: f64) {
        *self = KahanWindow { prev: first, ..KahanWindow::default() };
    }

    #[inline]
    fn add(&mut self, v: f64) {
        if v.is_nan() {
            return;
        }
        self.nobs += 1;
        let y = v - self.c_add;
        let t = self.sum + y;
        self.c_add = (t - self.sum) - y;
        self.sum = t;
        if v.is_sign_negative() {
            self.neg += 1;
        }
        if v == self.prev {
            self.same += 1;
        } else {
            self.same = 1;
        }
        self.prev = v;
    }

    #[inline]
    fn remove(&mut self, v: f64) {
        if v.is_nan() {
            return;
        }
        self.nobs -= 1;
        let y = -v - self.c_rem;
        let t = self.sum + y;
        self.c_rem = (t - self.sum) - y;
        self.sum = t;
        if v.is_sign_negative() {
            self.neg -= 1;
        }
    }

    #[inline]
    fn mean(&self, minp: usize) -> f64 {
        if self.nobs < minp || self.nobs == 0 {
            return f64::NAN;
        }
        if self.same >= self.nobs {
            return self.prev;
        }
        let r = self.sum / self.nobs as f64;
        if (self.neg == 0 && r < 0.0) || (self.neg == self.nobs && r > 0.0) {
            0.0
        } else {
            r
        }
    }

    #[inline]
    fn total(&self, minp: usize) -> f64 {
        if self.nobs < minp {
            return f64::NAN;
        }
        if self.nobs == 0 {
            return 0.0;
        }
        if self.same >= self.nobs {
            self.prev * self.nobs as f64
        } else {
            self.sum
        }
    }
}

impl KahanWindow {
    /// Move a window of `n` to end at bar `i` of `x` (the previous bar's window, or none
    /// at bar 0): remove the leaving value, add the entering one. A window of one restarts
    /// the state on every bar, as pandas does when a window does not overlap the previous one.
    #[inline]
    fn advance(&mut self, x: &[f64], i: usize, n: usize) {
        if i == 0 || n == 1 {
            self.reset(x[i]);
        } else if i >= n {
            self.remove(x[i - n]);
        }
        self.add(x[i]);
    }
}

/// Drive a fixed window of `n` over `x` and read the result at every bar.
fn drive(x: &[f64], n: usize, read: impl Fn(&KahanWindow) -> f64) -> Vec<f64> {
    assert!(n >= 1, "rolling window must be at least 1");
    let mut out = Vec::with_capacity(x.len());
    let mut w = KahanWindow::default();
    for i in 0..x.len() {
        w.advance(x, i, n);
        out.push(read(&w));
    }
    out
}

/// pandas `rolling(n).sum()`.
pub fn roll_sum(x: &[f64], n: usize) -> Vec<f64> {
    drive(x, n, |w| w.total(n))
}

/// pandas `rolling(n).mean()`.
pub fn roll_mean(x: &[f64], n: usize) -> Vec<f64> {
    drive(x, n, |w| w.mean(n))
}

/// [`roll_mean`] of `x` for every window length in `ns`. Each window's compensated sum is a
/// chain of dependent additions; [`GROUP`] windows stepped together bar by bar, their
/// states in registers, let the core overlap the chains, where one window at a time waits
/// on each addition. Every result has the bits of `roll_mean(x, n)`.
pub fn roll_mean_each(x: &[f64], ns: &[usize]) -> Vec<Vec<f64>> {
    assert!(ns.iter().all(|&n| n >= 1), "rolling window must be at least 1");
    let mut out: Vec<Vec<f64>> = ns.iter().map(|_| Vec::new()).collect();
    // Windows of one restart every bar (see `KahanWindow::advance`): alone.
    let (ones, many): (Vec<usize>, Vec<usize>) = (0..ns.len()).partition(|&j| ns[j] == 1);
    for j in ones {
        out[j] = roll_mean(x, 1);
    }
    for group in many.chunks(GROUP) {
        // A short group repeats its last window.
        let lens: [usize; GROUP] = std::array::from_fn(|k| ns[group[k.min(group.len() - 1)]]);
        let means = roll_mean_group(x, lens);
        for (&j, m) in group.iter().zip(means) {
            out[j] = m;
        }
    }
    out
}

/// Windows [`roll_mean_each`] steps together.
const GROUP: usize = 4;

/// [`roll_mean`] for windows `ns`, all longer than one: the [`KahanWindow`] steps of each,
/// with the state every window shares (the last value and its run) kept once. Spelled out
/// over arrays rather than through an array of `KahanWindow`s, which measured slower than
/// one window at a time (KST's signal grid: 211 against 260 million combination-bars/s).
fn roll_mean_group(x: &[f64], ns: [usize; GROUP]) -> [Vec<f64>; GROUP] {
    let mut out: [Vec<f64>; GROUP] = std::array::from_fn(|_| vec![0.0; x.len()]);
    let Some(&first) = x.first() else {
        return out;
    };
    // The state after `reset(x[0])`: no observations, the run of equal values at zero.
    let (mut sum, mut c_add, mut c_rem) = ([0.0f64; GROUP], [0.0f64; GROUP], [0.0f64; GROUP]);
    let (mut nobs, mut neg) = ([0usize; GROUP], [0usize; GROUP]);
    let (mut same, mut prev) = (0usize, first);
    for (i, &v) in x.iter().enumerate() {
        let add = !v.is_nan();
        if add {
            same = if v == prev { same + 1 } else { 1 };
            prev = v;
        }
        for k in 0..GROUP {
            // `remove(x[i - n])` once the window is full, then `add(v)`.
            if i >= ns[k] {
                let u = x[i - ns[k]];
                if !u.is_nan() {
                    nobs[k] -= 1;
                    let y = -u - c_rem[k];
                    let t = sum[k] + y;
                    c_rem[k] = (t - sum[k]) - y;
                    sum[k] = t;
                    neg[k] -= usize::from(u.is_sign_negative());
                }
            }
            if add {
                nobs[k] += 1;
                let y = v - c_add[k];
                let t = sum[k] + y;
                c_add[k] = (t - sum[k]) - y;
                sum[k] = t;
                neg[k] += usize::from(v.is_sign_negative());
            }
            let w = KahanWindow { nobs: nobs[k], neg: neg[k], sum: sum[k], c_add: c_add[k], c_rem: c_rem[k], same, prev };
            out[k][i] = w.mean(ns[k]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| if x.is_nan() { u64::MAX } else { x.to_bits() }).collect()
    }

    #[test]
    fn mean_and_sum_of_simple_windows() {
        let x = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(bits(&roll_mean(&x, 2)), bits(&[f64::NAN, 1.5, 2.5, 3.5]));
        assert_eq!(bits(&roll_sum(&x, 3)), bits(&[f64::NAN, f64::NAN, 6.0, 9.0]));
    }

    #[test]
    fn nan_values_are_skipped_and_block_full_windows() {
        let x = [1.0, f64::NAN, 3.0, 5.0, 7.0];
        assert_eq!(bits(&roll_mean(&x, 2)), bits(&[f64::NAN, f64::NAN, f64::NAN, 4.0, 6.0]));
    }

    #[test]
    fn equal_runs_return_the_value_exactly() {
        // Kahan residue from 0.1 + 0.2 would otherwise leak into the flat stretch.
        let x = [0.1, 0.2, 0.7, 0.7, 0.7];
        let m = roll_mean(&x, 3);
        assert_eq!(m[4].to_bits(), 0.7f64.to_bits());
        assert_eq!(roll_sum(&x, 3)[4].to_bits(), (0.7f64 * 3.0).to_bits());
    }

    #[test]
    fn sign_forcing_of_means() {
        // Window {-2e-17, -0.0}: every value has its sign bit set, but the Kahan residue of
        // the removed 0.7 leaves a positive sum (4.55e-17 unforced): forced to +0.
        let m = roll_mean(&[0.3, 0.1, 0.7, -2e-17, -0.0], 2);
        assert_eq!(m[4].to_bits(), 0.0f64.to_bits());
        // Window {1e-17, 0.0}: no sign bit, negative residue (-5.05e-17 unforced): forced to +0.
        let m = roll_mean(&[-0.2, -0.2, -0.1, -0.7, 1e-17, 0.0], 2);
        assert_eq!(m[5].to_bits(), 0.0f64.to_bits());
        // A run of -0.0 returns the last value itself, sign included.
        let m = roll_mean(&[0.3, -0.0, -0.0], 2);
        assert_eq!(m[2].to_bits(), (-0.0f64).to_bits());
    }

    #[test]
    fn window_of_one_is_the_value() {
        let x = [0.1, 0.2, f64::NAN, 0.3];
        assert_eq!(bits(&roll_mean(&x, 1)), bits(&x));
    }

    #[test]
    fn means_of_several_windows_have_the_bits_of_one_at_a_time() {
        // NaN gaps, runs of equal values, sign changes and magnitudes that need the
        // compensation.
        let x: Vec<f64> = (0..400)
            .map(|i| match i % 37 {
                5 | 6 => f64::NAN,
                10..=14 => 2.5,
                _ => ((i * 7919) % 101) as f64 * if i % 3 == 0 { -1e-3 } else { 1e5 } + 1e-17 * i as f64,
            })
            .collect();
        let ns = [1, 2, 5, 7, 9, 11, 14, 20, 399, 400, 401];
        // Also with leading NaNs, and starting inside a run of equal values.
        let lead: Vec<f64> = [f64::NAN; 3].into_iter().chain(x.iter().copied()).collect();
        for x in [&x, &lead, &x[10..].to_vec()] {
            let each = roll_mean_each(x, &ns);
            assert_eq!(each.len(), ns.len());
            for (m, &n) in each.iter().zip(&ns) {
                assert_eq!(bits(m), bits(&roll_mean(x, n)), "window {n}");
            }
        }
        assert!(roll_mean_each(&[], &ns).iter().all(|m| m.is_empty()));
    }
}
