//! Walk-forward windows (spec §5): rolling train/test splits ending at the last bar.

/// One walk-forward split: train on `[train_start, train_end)`, test on
/// `[test_start, test_end)` (bar indices; `train_end == test_start`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    pub train_start: usize,
    pub train_end: usize,
    pub test_start: usize,
    pub test_end: usize,
}

impl Window {
    /// `[train_start, train_end, test_start, test_end]`, the reference's tuple order.
    pub fn as_array(&self) -> [usize; 4] {
        [self.train_start, self.train_end, self.test_start, self.test_end]
    }
}

/// The reference's `generate_wf_windows`: `n_windows` consecutive test blocks of
/// `max(int(n_bars*(1-train_pct)/n_windows), min_test)` bars ending at `n_bars`, each
/// preceded by up to `int(test*train_pct/(1-train_pct))` training bars; a window is kept
/// only when its training part has at least `min_test` bars.
pub fn wf_windows(n_bars: usize, n_windows: usize, train_pct: f64, min_test: usize) -> Vec<Window> {
    if n_windows == 0 {
        return Vec::new();
    }
    let rest = 1.0 - train_pct;
    let test = ((n_bars as f64 * rest / n_windows as f64) as i64).max(min_test as i64);
    let train = (test as f64 * train_pct / rest) as i64;
    let (n, k_last, min_test) = (n_bars as i64, n_windows as i64 - 1, min_test as i64);
    (0..=k_last)
        .filter_map(|k| {
            let test_end = n - (k_last - k) * test;
            let test_start = test_end - test;
            let train_start = (test_start - train).max(0);
            let train_end = test_start;
            (train_end - train_start >= min_test).then(|| Window {
                train_start: train_start as usize,
                train_end: train_end as usize,
                test_start: test_start as usize,
                test_end: test_end as usize,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_4000_bars() {
        let w = wf_windows(4000, 5, 0.70, 100);
        assert_eq!(w.len(), 5);
        // train = int(240 * 0.7 / 0.3) = 559, not 560.
        assert_eq!(w[0].as_array(), [2241, 2800, 2800, 3040]);
        assert_eq!(w[4].as_array(), [3201, 3760, 3760, 4000]);
    }

    #[test]
    fn short_series_drop_windows() {
        assert!(wf_windows(50, 1, 0.5, 100).is_empty());
        assert!(wf_windows(1000, 0, 0.7, 100).is_empty());
        for w in wf_windows(333, 5, 0.7, 100) {
            assert!(w.train_end - w.train_start >= 100 && w.test_end <= 333);
        }
    }
}
