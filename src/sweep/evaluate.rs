//! The sweep's unit of work: one combination's signal under several SL/TP levels, over the
//! full period and every walk-forward window, on candles prepared once and with buffers
//! reused across all of it.

use std::ops::Range;

use rayon::prelude::*;

use super::dedup::distinct;
use super::order::similar_first;
use super::walkforward::WindowMetrics;
use super::windows::Window;
use crate::kernel::{metrics_lanes, metrics_range, CostModel, Interleaved, KernelError, LaneScratch, Market, Metrics, MetricsScratch, Risk, LANES};

/// The metrics of one signal: `full[l]` for level `l` over all bars, `windows[l][w]` for
/// level `l` in window `w` (in-sample and out-of-sample), all at full precision.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Evaluation {
    pub full: Vec<Metrics>,
    pub windows: Vec<Vec<WindowMetrics>>,
}

/// Backtest `signal` under every level in `levels` over all bars of `m` and over both
/// parts of every window (fresh capital each, as [`crate::kernel::backtest_metrics`] on the
/// sliced candles and signal would). `m` is prepared once per series and shared by every
/// thread; `buf` is this thread's.
///
/// Errors when `signal` does not have one entry per bar or a window reaches past the last bar.
#[allow(clippy::too_many_arguments)]
pub fn evaluate(
    m: &Market<'_>,
    signal: &[i8],
    levels: &[Risk],
    windows: &[Window],
    cost: &CostModel,
    bars_per_day: usize,
    buf: &mut MetricsScratch,
) -> Result<Evaluation, KernelError> {
    let n = m.len();
    check_inputs(m, &[signal], windows)?;
    let mut out = Evaluation { full: Vec::with_capacity(levels.len()), windows: Vec::with_capacity(levels.len()) };
    for risk in levels {
        out.full.push(metrics_range(m, 0..n, signal, cost, risk, bars_per_day, buf));
        let per_window = windows
            .iter()
            .map(|w| WindowMetrics {
                in_sample: metrics_range(m, w.train_start..w.train_end, signal, cost, risk, bars_per_day, buf),
                out_of_sample: metrics_range(m, w.test_start..w.test_end, signal, cost, risk, bars_per_day, buf),
            })
            .collect();
        out.windows.push(per_window);
    }
    Ok(out)
}

/// Reusable buffers of [`evaluate_lanes`] and [`evaluate_many`]: one per thread.
#[derive(Debug, Clone, Default)]
pub struct LaneBuffers {
    signals: Interleaved,
    scratch: LaneScratch,
    metrics: Vec<Metrics>,
}

/// [`evaluate`] of up to [`LANES`] signals at once on the lane kernel (the same bits, in
/// the order of `signals`).
///
/// Errors as [`evaluate`]; with more than [`LANES`] signals.
#[allow(clippy::too_many_arguments)]
pub fn evaluate_lanes(
    m: &Market<'_>,
    signals: &[&[i8]],
    levels: &[Risk],
    windows: &[Window],
    cost: &CostModel,
    bars_per_day: usize,
    buf: &mut LaneBuffers,
) -> Result<Vec<Evaluation>, KernelError> {
    if signals.len() > LANES {
        return Err(KernelError::Invalid { name: "signals", value: signals.len() as f64, allowed: "at most LANES signals per call" });
    }
    check_inputs(m, signals, windows)?;
    buf.signals.fill(signals);
    // `done[k][l][j]`: part `k`'s metrics at level `l` of lane `j`.
    let done: Vec<Vec<Vec<Metrics>>> = parts(m.len(), windows).into_iter().map(|r| run_levels(m, r, levels, cost, bars_per_day, buf)).collect();
    Ok(assemble(signals.len(), levels.len(), windows.len(), |k, s, l| done[k][l][s]))
}

/// [`evaluate`] of many signals on the lane kernel, in parallel (the same bits, in the
/// order of `signals`). The full period runs once per signal; a window part runs once per
/// distinct slice of it, shared by the signals that agree on those bars. Lanes are filled
/// with similar signals side by side ([`similar_first`]).
///
/// Errors as [`evaluate`].
pub fn evaluate_many(
    m: &Market<'_>,
    signals: &[&[i8]],
    levels: &[Risk],
    windows: &[Window],
    cost: &CostModel,
    bars_per_day: usize,
) -> Result<Vec<Evaluation>, KernelError> {
    check_inputs(m, signals, windows)?;
    let parts = parts(m.len(), windows);
    // Similar signals side by side (see `similar_first`), in every part.
    let order = similar_first(signals);
    let mut position = vec![0; signals.len()];
    for (at, &s) in order.iter().enumerate() {
        position[s] = at;
    }
    // Each part's distinct slices (`reps`, as signal indices) and each signal's slot there.
    let slices: Vec<(Vec<usize>, Vec<usize>)> = parts
        .par_iter()
        .enumerate()
        .map(|(k, r)| {
            if k == 0 {
                return (order.clone(), position.clone());
            }
            let (reps, slot) = distinct(&order.iter().map(|&s| &signals[s][r.clone()]).collect::<Vec<_>>());
            (reps.iter().map(|&at| order[at]).collect(), position.iter().map(|&at| slot[at]).collect())
        })
        .collect();
    // One task per part and group of up to LANES distinct slices.
    let tasks: Vec<(usize, usize)> = slices.iter().enumerate().flat_map(|(k, (reps, _))| (0..reps.len()).step_by(LANES).map(move |g| (k, g))).collect();
    // `done[t][l][j]`: task `t`'s metrics at level `l` of its lane `j`.
    let done: Vec<Vec<Vec<Metrics>>> = tasks
        .par_iter()
        .map_init(LaneBuffers::default, |buf, &(k, g)| {
            let r = parts[k].clone();
            let reps = &slices[k].0[g..(g + LANES).min(slices[k].0.len())];
            let group: Vec<&[i8]> = reps.iter().map(|&s| &signals[s][r.clone()]).collect();
            buf.signals.fill_at(r.start, &group);
            run_levels(m, r, levels, cost, bars_per_day, buf)
        })
        .collect();
    // Where each part's groups start in `done`.
    let mut first_task = Vec::with_capacity(parts.len());
    for (t, &(_, g)) in tasks.iter().enumerate() {
        if g == 0 {
            first_task.push(t);
        }
    }
    Ok(assemble(signals.len(), levels.len(), windows.len(), |k, s, l| {
        let slot = slices[k].1[s];
        done[first_task[k] + slot / LANES][l][slot % LANES]
    }))
}

/// The bars each signal is backtested on: part 0 is the full period, then each window's
/// train and test parts.
fn parts(n: usize, windows: &[Window]) -> Vec<Range<usize>> {
    let mut parts = vec![0..n];
    for w in windows {
        parts.push(w.train_start..w.train_end);
        parts.push(w.test_start..w.test_end);
    }
    parts
}

/// The metrics of every lane of `buf.signals` over bars `r`, at each level in turn.
fn run_levels(m: &Market<'_>, r: Range<usize>, levels: &[Risk], cost: &CostModel, bars_per_day: usize, buf: &mut LaneBuffers) -> Vec<Vec<Metrics>> {
    levels
        .iter()
        .map(|risk| {
            metrics_lanes(m, r.clone(), &buf.signals, cost, risk, bars_per_day, &mut buf.scratch, &mut buf.metrics);
            buf.metrics.clone()
        })
        .collect()
}

/// Each signal's [`Evaluation`] from `at(part, signal, level)` (parts as [`parts`] numbers them).
fn assemble(signals: usize, levels: usize, windows: usize, at: impl Fn(usize, usize, usize) -> Metrics) -> Vec<Evaluation> {
    (0..signals)
        .map(|s| Evaluation {
            full: (0..levels).map(|l| at(0, s, l)).collect(),
            windows: (0..levels)
                .map(|l| (0..windows).map(|w| WindowMetrics { in_sample: at(1 + 2 * w, s, l), out_of_sample: at(2 + 2 * w, s, l) }).collect())
                .collect(),
        })
        .collect()
}

/// Signals of the series' length, windows within it.
fn check_inputs(m: &Market<'_>, signals: &[&[i8]], windows: &[Window]) -> Result<(), KernelError> {
    let n = m.len();
    if let Some(s) = signals.iter().find(|s| s.len() != n) {
        return Err(KernelError::LengthMismatch { name: "signal", len: s.len(), expected: n });
    }
    check_windows(windows, n)
}

fn check_windows(windows: &[Window], n: usize) -> Result<(), KernelError> {
    match windows.iter().find(|w| !(w.train_start <= w.train_end && w.test_start <= w.test_end && w.train_end.max(w.test_end) <= n)) {
        Some(w) => Err(KernelError::Range { start: w.train_start.min(w.test_start), end: w.train_end.max(w.test_end), len: n }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::{backtest_metrics, Blocks};
    use crate::sweep::windows::wf_windows;

    /// A deterministic random walk with wicks and a sparse and a dense signal.
    fn market(n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, Vec<Vec<i8>>) {
        let mut state = 7u64;
        let mut unit = move || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut o, mut h, mut l, mut c) = (vec![], vec![], vec![], vec![]);
        let mut px = 100.0;
        let mut dense = vec![];
        let mut sparse = vec![];
        for i in 0..n {
            let open = px;
            let vol = if (i / 300) % 3 == 2 { 0.03 } else { 0.006 };
            let close = open * (1.0 + vol * (unit() - 0.5) * 2.0);
            o.push(open);
            h.push(open.max(close) * (1.0 + vol * unit()));
            l.push(open.min(close) * (1.0 - vol * unit()));
            c.push(close);
            px = close;
            let u = unit();
            dense.push(if (i / 40) % 2 == 0 { 1 } else { -1 });
            sparse.push(if u < 0.02 { 1 } else if u < 0.04 { -1 } else { 0 });
        }
        (o, h, l, c, vec![dense, sparse])
    }

    #[test]
    fn equals_the_per_call_functions() {
        let n = 3000;
        let (o, h, l, c, signals) = market(n);
        let cost = CostModel::default();
        let windows = wf_windows(n, 5, 0.7, 100);
        assert_eq!(windows.len(), 5);
        let mut blocks = Blocks::default();
        let m = Market::prepare(&o, &h, &l, &c, &mut blocks).unwrap();
        let mut buf = MetricsScratch::default();
        for lev in [1.0, 10.0] {
            let levels: Vec<Risk> = [(0.0, 0.0), (0.005, 0.015), (0.02, 0.06)]
                .iter()
                .map(|&(sl, tp)| Risk::new(sl, tp, lev).unwrap())
                .collect();
            for s in &signals {
                let got = evaluate(&m, s, &levels, &windows, &cost, 24, &mut buf).unwrap();
                assert_eq!((got.full.len(), got.windows.len()), (levels.len(), levels.len()));
                for (k, risk) in levels.iter().enumerate() {
                    let want = backtest_metrics(&o, &h, &l, &c, s, &cost, risk, 24);
                    assert_eq!(format!("{:?}", got.full[k]), format!("{want:?}"), "lev {lev} level {k}");
                    for (w, win) in windows.iter().enumerate() {
                        let run = |a: usize, b: usize| backtest_metrics(&o[a..b], &h[a..b], &l[a..b], &c[a..b], &s[a..b], &cost, risk, 24);
                        let is = run(win.train_start, win.train_end);
                        let oos = run(win.test_start, win.test_end);
                        let g = &got.windows[k][w];
                        assert_eq!(format!("{:?}", g.in_sample), format!("{is:?}"), "lev {lev} level {k} window {w}");
                        assert_eq!(format!("{:?}", g.out_of_sample), format!("{oos:?}"), "lev {lev} level {k} window {w}");
                    }
                }
            }
        }
    }

    /// Levels from `(stop_loss, take_profit, leverage)`.
    fn risks(levels: &[(f64, f64, f64)]) -> Vec<Risk> {
        levels.iter().map(|&(sl, tp, lev)| Risk::new(sl, tp, lev).unwrap()).collect()
    }

    #[test]
    fn lanes_equal_one_signal_at_a_time() {
        let n = 2000;
        let (o, h, l, c, signals) = market(n);
        let cost = CostModel::default();
        let windows = wf_windows(n, 4, 0.7, 100);
        let mut blocks = Blocks::default();
        let m = Market::prepare(&o, &h, &l, &c, &mut blocks).unwrap();
        let levels = risks(&[(0.005, 0.015, 1.0), (0.0, 0.0, 1.0), (0.02, 0.06, 10.0)]);
        // More signals than lanes: shifted copies of the two base signals.
        let many: Vec<Vec<i8>> = (0..LANES + 5).map(|k| {
            let s = &signals[k % 2];
            (0..n).map(|i| s[(i + k * 7) % n]).collect()
        }).collect();
        let mut buf = LaneBuffers::default();
        let mut one = MetricsScratch::default();
        for group in many.chunks(LANES) {
            let refs: Vec<&[i8]> = group.iter().map(|s| s.as_slice()).collect();
            let got = evaluate_lanes(&m, &refs, &levels, &windows, &cost, 24, &mut buf).unwrap();
            assert_eq!(got.len(), group.len());
            for (g, s) in got.iter().zip(group) {
                assert_eq!(*g, evaluate(&m, s, &levels, &windows, &cost, 24, &mut one).unwrap());
            }
        }
        let too_many: Vec<&[i8]> = (0..=LANES).map(|_| signals[0].as_slice()).collect();
        assert!(evaluate_lanes(&m, &too_many, &levels, &windows, &cost, 24, &mut buf).is_err());
    }

    /// Signals that agree on some windows and differ on others: every signal gets exactly
    /// what it gets alone, whichever slices it shares.
    #[test]
    fn many_signals_share_equal_window_slices() {
        let n = 2000;
        let (o, h, l, c, signals) = market(n);
        let cost = CostModel::default();
        let windows = wf_windows(n, 4, 0.7, 100);
        let mut blocks = Blocks::default();
        let m = Market::prepare(&o, &h, &l, &c, &mut blocks).unwrap();
        let levels = risks(&[(0.005, 0.015, 1.0), (0.02, 0.06, 10.0)]);
        // Copies of the dense signal, each changed in one stretch only (some outside every
        // window, some inside one), plus the sparse signal: more than two groups of lanes.
        let mut many: Vec<Vec<i8>> = Vec::new();
        for k in 0..2 * LANES + 3 {
            let mut s = signals[0].clone();
            let at = (k * 97) % (n - 40);
            for x in &mut s[at..at + 40] {
                *x = if k % 2 == 0 { 0 } else { -*x };
            }
            many.push(s);
        }
        many.push(signals[1].clone());
        let refs: Vec<&[i8]> = many.iter().map(|s| s.as_slice()).collect();
        let shared = windows.iter().filter(|w| crate::sweep::dedup::distinct(&refs.iter().map(|s| &s[w.test_start..w.test_end]).collect::<Vec<_>>()).0.len() < refs.len()).count();
        assert!(shared >= 2, "only {shared} windows with shared slices");
        let got = evaluate_many(&m, &refs, &levels, &windows, &cost, 24).unwrap();
        assert_eq!(got.len(), many.len());
        let mut one = MetricsScratch::default();
        for (k, (g, s)) in got.iter().zip(&many).enumerate() {
            assert_eq!(*g, evaluate(&m, s, &levels, &windows, &cost, 24, &mut one).unwrap(), "signal {k}");
        }
        assert!(evaluate_many(&m, &[&signals[0][..10]], &levels, &windows, &cost, 24).is_err());
        assert!(evaluate_many(&m, &[], &levels, &windows, &cost, 24).unwrap().is_empty());
    }

    #[test]
    fn rejects_bad_inputs() {
        let (o, h, l, c, signals) = market(500);
        let cost = CostModel::default();
        let mut blocks = Blocks::default();
        let m = Market::prepare(&o, &h, &l, &c, &mut blocks).unwrap();
        let mut buf = MetricsScratch::default();
        let levels = [Risk::default()];
        let err = evaluate(&m, &signals[0][..499], &levels, &[], &cost, 24, &mut buf).unwrap_err();
        assert!(err.to_string().contains("`signal`"), "{err}");
        let w = Window { train_start: 0, train_end: 400, test_start: 400, test_end: 501 };
        let err = evaluate(&m, &signals[0], &levels, &[w], &cost, 24, &mut buf).unwrap_err();
        assert!(err.to_string().contains("`0..501`"), "{err}");
    }
}
