//! Rolling maxima, minima and their positions, exact, in O(n) with a monotonic deque.

use std::collections::VecDeque;

/// For every full window of `n` non-NaN values, the index (into `x`) of the first
/// occurrence of the extreme, where `better(a, b)` means `a` strictly beats `b`.
fn roll_extreme_index(x: &[f64], n: usize, better: impl Fn(f64, f64) -> bool) -> Vec<Option<usize>> {
    assert!(n >= 1, "rolling window must be at least 1");
    let mut out = Vec::with_capacity(x.len());
    let mut dq: VecDeque<usize> = VecDeque::with_capacity(n + 1);
    let mut nans = 0usize;
    for i in 0..x.len() {
        if i >= n {
            let old = i - n;
            if x[old].is_nan() {
                nans -= 1;
            }
            if dq.front() == Some(&old) {
                dq.pop_front();
            }
        }
        let v = x[i];
        if v.is_nan() {
            nans += 1;
        } else {
            // Equal values stay queued so the front is the *first* occurrence.
            while dq.back().is_some_and(|&b| better(v, x[b])) {
                dq.pop_back();
            }
            dq.push_back(i);
        }
        out.push(if i + 1 >= n && nans == 0 { dq.front().copied() } else { None });
    }
    out
}

fn values(x: &[f64], idx: Vec<Option<usize>>) -> Vec<f64> {
    idx.into_iter().map(|j| j.map_or(f64::NAN, |j| x[j])).collect()
}

fn positions(n: usize, idx: Vec<Option<usize>>) -> Vec<f64> {
    idx.into_iter()
        .enumerate()
        .map(|(i, j)| j.map_or(f64::NAN, |j| (j + n - 1 - i) as f64))
        .collect()
}

/// pandas `rolling(n).max()`.
pub fn roll_max(x: &[f64], n: usize) -> Vec<f64> {
    values(x, roll_extreme_index(x, n, |a, b| a > b))
}

/// pandas `rolling(n).min()`.
pub fn roll_min(x: &[f64], n: usize) -> Vec<f64> {
    values(x, roll_extreme_index(x, n, |a, b| a < b))
}

/// Position (0 = oldest) of the first maximum in each window of `n`.
pub fn roll_argmax(x: &[f64], n: usize) -> Vec<f64> {
    positions(n, roll_extreme_index(x, n, |a, b| a > b))
}

/// Position (0 = oldest) of the first minimum in each window of `n`.
pub fn roll_argmin(x: &[f64], n: usize) -> Vec<f64> {
    positions(n, roll_extreme_index(x, n, |a, b| a < b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(x: &[f64], n: usize, max: bool) -> (Vec<f64>, Vec<f64>) {
        let mut vals = vec![f64::NAN; x.len()];
        let mut pos = vec![f64::NAN; x.len()];
        for i in (n - 1)..x.len() {
            let w = &x[i + 1 - n..=i];
            if w.iter().any(|v| v.is_nan()) {
                continue;
            }
            let mut best = 0;
            for (k, &v) in w.iter().enumerate() {
                if (max && v > w[best]) || (!max && v < w[best]) {
                    best = k;
                }
            }
            vals[i] = w[best];
            pos[i] = best as f64;
        }
        (vals, pos)
    }

    fn same(a: &[f64], b: &[f64]) -> bool {
        a.iter().zip(b).all(|(x, y)| x == y || (x.is_nan() && y.is_nan())) && a.len() == b.len()
    }

    #[test]
    fn matches_a_naive_scan_with_ties_and_nans() {
        let x = [3.0, 1.0, 3.0, 2.0, 2.0, f64::NAN, 5.0, 5.0, 4.0, 1.0, 1.0, 1.0, 6.0];
        for n in 1..6 {
            let (mx, amx) = naive(&x, n, true);
            let (mn, amn) = naive(&x, n, false);
            assert!(same(&roll_max(&x, n), &mx), "max n={n}");
            assert!(same(&roll_argmax(&x, n), &amx), "argmax n={n}");
            assert!(same(&roll_min(&x, n), &mn), "min n={n}");
            assert!(same(&roll_argmin(&x, n), &amn), "argmin n={n}");
        }
    }

    #[test]
    fn first_occurrence_of_ties() {
        assert_eq!(roll_argmax(&[2.0, 2.0, 1.0], 3)[2], 0.0);
        assert_eq!(roll_argmin(&[2.0, 1.0, 1.0], 3)[2], 1.0);
    }
}
