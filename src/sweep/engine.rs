//! The sweep of one candle series: every combination's signal computed once, then
//! backtested at every SL/TP level over the full period and over each walk-forward window.
//!
//! Pure and deterministic: results come back in grid order × level order whatever the
//! thread count, so a partitioned or distributed run produces the same rows.

use std::ops::Range;

use rayon::prelude::*;

use super::walkforward::{aggregate, WalkForward, WindowMetrics};
use super::windows::Window;
use super::dedup::distinct;
use super::evaluate::{evaluate, evaluate_many};
use crate::kernel::{Blocks, CostModel, Market, Metrics, MetricsScratch, Risk};
use crate::candles::Candles;
use crate::strategies::{signals_into, Combo, IndicatorCache};

/// Combinations evaluated together: big enough to keep both cores busy, small enough that
/// a chunk's results (and signals) stay in cache and memory stays flat.
pub const CHUNK: usize = 256;

/// What to compute for one series.
#[derive(Debug, Clone)]
pub struct SweepJob {
    pub combos: Vec<Combo>,
    pub levels: Vec<Risk>,
    pub cost: CostModel,
    /// Empty: no walk-forward.
    pub windows: Vec<Window>,
    pub bars_per_day: usize,
}

/// One combination at one level.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelOutcome {
    /// Full-period metrics (full precision).
    pub full: Metrics,
    /// In- and out-of-sample metrics per walk-forward window (empty without walk-forward).
    pub windows: Vec<WindowMetrics>,
    /// The walk-forward row, `None` when walk-forward is off or drops the combination.
    pub wf: Option<WalkForward>,
}

/// One combination at every level, in level order.
#[derive(Debug, Clone, PartialEq)]
pub struct ComboOutcome {
    /// Index into [`SweepJob::combos`].
    pub combo: usize,
    pub levels: Vec<LevelOutcome>,
}

impl SweepJob {
    /// Chunks of at most [`CHUNK`] combinations that never span two strategies, so the
    /// indicator cache can be dropped between strategies.
    pub fn chunks(&self) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut start = 0;
        while start < self.combos.len() {
            let name = self.combos[start].strategy.name;
            let mut end = start + 1;
            while end < self.combos.len() && end - start < CHUNK && self.combos[end].strategy.name == name {
                end += 1;
            }
            out.push(start..end);
            start = end;
        }
        out
    }

    /// Evaluate the combinations `range` on `cache`'s candles, in parallel. The chunk's
    /// signals are computed first and each distinct signal is backtested once: backtests are
    /// pure functions of the signal, and many combinations give the same one (parameters
    /// that never bind, `Elder Ray`'s unused threshold); within a window, each distinct
    /// slice is backtested once (see [`evaluate_many`]).
    pub fn run_chunk(&self, cache: &IndicatorCache<'_>, range: Range<usize>) -> Vec<ComboOutcome> {
        let signals = self.signals(cache, range.clone());
        self.evaluate_signals(cache.candles(), range, &signals)
    }

    /// The signals of the combinations `range`, in parallel (the first half of
    /// [`Self::run_chunk`], which a sweep overlaps with the previous chunk's backtests).
    pub fn signals(&self, cache: &IndicatorCache<'_>, range: Range<usize>) -> Vec<Vec<i8>> {
        let n = cache.candles().len();
        self.combos[range]
            .par_iter()
            .map(|combo| {
                let mut signal = vec![0i8; n];
                signals_into(combo, cache, &mut signal);
                signal
            })
            .collect()
    }

    /// The outcomes of the combinations `range` from their [`Self::signals`] on candles `c`
    /// (the second half of [`Self::run_chunk`]).
    pub fn evaluate_signals(&self, c: &Candles, range: Range<usize>, signals: &[Vec<i8>]) -> Vec<ComboOutcome> {
        assert_eq!(range.len(), signals.len(), "one signal per combination");
        let mut blocks = Blocks::default();
        let m = Market::prepare(&c.open, &c.high, &c.low, &c.close, &mut blocks).expect("candle columns of one length");
        let (reps, slot) = distinct(signals);
        let group: Vec<&[i8]> = reps.iter().map(|&k| signals[k].as_slice()).collect();
        let evaluated: Vec<Vec<LevelOutcome>> = evaluate_many(&m, &group, &self.levels, &self.windows, &self.cost, self.bars_per_day)
            .expect("signals of the series' length, windows within it")
            .into_par_iter()
            .map(|e| self.outcomes(e))
            .collect();
        // A distinct signal's outcome moves to the last combination sharing it; the others
        // get copies.
        let mut last = vec![usize::MAX; evaluated.len()];
        for (k, &s) in slot.iter().enumerate() {
            last[s] = k;
        }
        let mut evaluated: Vec<Option<Vec<LevelOutcome>>> = evaluated.into_iter().map(Some).collect();
        (0..signals.len())
            .map(|k| {
                let s = slot[k];
                let levels = if last[s] == k { evaluated[s].take() } else { evaluated[s].clone() };
                ComboOutcome { combo: range.start + k, levels: levels.expect("a distinct signal's outcome moves out once, at its last use") }
            })
            .collect()
    }

    /// Backtest one signal at every level: full period, then each window (the scalar
    /// kernel; [`Self::run_chunk`] runs the lane kernel, which gives the same bits).
    pub fn evaluate(&self, m: &Market<'_>, signal: &[i8], buf: &mut MetricsScratch) -> Vec<LevelOutcome> {
        let e = evaluate(m, signal, &self.levels, &self.windows, &self.cost, self.bars_per_day, buf).expect("windows within the series");
        self.outcomes(e)
    }

    fn outcomes(&self, e: super::evaluate::Evaluation) -> Vec<LevelOutcome> {
        e.full
            .into_iter()
            .zip(e.windows)
            .map(|(full, windows)| {
                let wf = if self.windows.is_empty() { None } else { aggregate(&windows) };
                LevelOutcome { full, windows, wf }
            })
            .collect()
    }

    /// Bar-steps one combination costs (for throughput reports).
    pub fn bar_steps_per_combo(&self, n_bars: usize) -> u64 {
        let per_level = n_bars + self.windows.iter().map(|w| (w.train_end - w.train_start) + (w.test_end - w.test_start)).sum::<usize>();
        (per_level * self.levels.len()) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::candles::Candles;
    use crate::strategies::quantmuse_grid;
    use crate::sweep::wf_windows;

    fn candles(n: usize) -> Candles {
        let mut c = Candles::default();
        let mut p = 100.0;
        for i in 0..n {
            let step = ((i * 7919) % 13) as f64 - 6.0;
            let o = p;
            p = (p + step * 0.3).max(1.0);
            c.open_time.push(i as i64 * 3_600_000);
            c.open.push(o);
            c.close.push(p);
            c.high.push(o.max(p) + 0.5);
            c.low.push(o.min(p) - 0.5);
            c.volume.push(10.0 + (i % 5) as f64);
        }
        c
    }

    #[test]
    fn chunks_cover_the_grid_without_spanning_strategies() {
        let job = SweepJob { combos: quantmuse_grid(), levels: vec![Risk::default()], cost: CostModel::default(), windows: vec![], bars_per_day: 24 };
        let chunks = job.chunks();
        assert_eq!(chunks.first().unwrap().start, 0);
        assert_eq!(chunks.last().unwrap().end, 17_273);
        for w in chunks.windows(2) {
            assert_eq!(w[0].end, w[1].start);
        }
        for r in &chunks {
            assert!(r.len() <= CHUNK);
            assert!(job.combos[r.clone()].iter().all(|c| c.strategy.name == job.combos[r.start].strategy.name));
        }
    }

    #[test]
    fn results_do_not_depend_on_thread_count() {
        let c = candles(1200);
        let grid: Vec<Combo> = quantmuse_grid().into_iter().step_by(97).collect();
        let levels = vec![Risk::new(0.0, 0.0, 1.0).unwrap(), Risk::new(0.01, 0.03, 5.0).unwrap()];
        let job = SweepJob { combos: grid, levels, cost: CostModel::default(), windows: wf_windows(1200, 5, 0.7, 100), bars_per_day: 24 };
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let cache = IndicatorCache::new(&c);
            pool.install(|| job.chunks().into_iter().flat_map(|r| job.run_chunk(&cache, r)).collect::<Vec<_>>())
        };
        let one = run(1);
        assert_eq!(one.len(), job.combos.len());
        assert!(one.iter().enumerate().all(|(i, o)| o.combo == i && o.levels.len() == 2 && o.levels[0].windows.len() == 5));
        assert_eq!(one, run(3));
        // Each level equals a direct backtest of the same signal.
        let cache = IndicatorCache::new(&c);
        let sig = crate::strategies::signals(&job.combos[3], &cache);
        let direct = crate::kernel::backtest_metrics(&c.open, &c.high, &c.low, &c.close, &sig, &job.cost, &job.levels[1], 24);
        assert_eq!(one[3].levels[1].full, direct);
    }

    #[test]
    fn shared_signals_get_the_outcome_of_their_own_backtest() {
        let c = candles(900);
        // Elder Ray ignores its threshold, so its combinations share signals.
        let grid: Vec<Combo> = quantmuse_grid().into_iter().filter(|c| c.strategy.name == "Elder Ray").collect();
        let job = SweepJob {
            combos: grid.clone(),
            levels: vec![Risk::new(0.01, 0.03, 1.0).unwrap()],
            cost: CostModel::default(),
            windows: wf_windows(900, 3, 0.7, 100),
            bars_per_day: 24,
        };
        let cache = IndicatorCache::new(&c);
        let out = job.run_chunk(&cache, 0..grid.len());
        let sigs: Vec<Vec<i8>> = grid.iter().map(|g| crate::strategies::signals(g, &cache)).collect();
        let first = crate::sweep::dedup::first_equal(&sigs);
        assert!(first.iter().enumerate().filter(|&(k, &f)| k != f).count() >= grid.len() / 2, "{first:?}");
        assert!(first.iter().enumerate().all(|(k, &f)| f <= k && sigs[f] == sigs[k]));
        let mut blocks = Blocks::default();
        let m = Market::prepare(&c.open, &c.high, &c.low, &c.close, &mut blocks).unwrap();
        for (k, o) in out.iter().enumerate() {
            assert_eq!(o.combo, k);
            assert_eq!(o.levels, job.evaluate(&m, &sigs[k], &mut MetricsScratch::default()), "combo {k}");
        }
    }
}
