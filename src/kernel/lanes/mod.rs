//! The futures kernel over [`LANES`] signals at once, in lockstep: every bar is processed
//! for all lanes with the same branch-free arithmetic, so the compiler turns each step into
//! vector instructions (AVX-512 when the CPU has it, chosen at run time; a portable loop
//! otherwise).
//!
//! Each lane computes exactly what [`super::FuturesAccount::step`] computes for its signal,
//! operation for operation: every branch of the scalar account becomes a selection between
//! values computed with the same IEEE operations, so totals and daily equity points are
//! bit-identical to [`super::metrics_range`] (checked by the tests below against the scalar
//! kernel and the literal transcription of the spec). Sweeps use it because with tight
//! stop-loss levels a position changes every few bars, where the scalar kernel's skipping
//! gains little and its branches mispredict.

use std::ops::Range;

use super::config::{CostModel, Risk};
use super::metrics::{Metrics, MetricsScratch};
use super::futures::AccountTerms as Params;
pub(crate) use super::futures::{DD_SLACK, LIQ_TINY, SIZE_FRACTION};
use super::{KernelStats, Market};

#[cfg(target_arch = "x86_64")]
mod avx512;
mod portable;

/// Signals backtested together.
pub const LANES: usize = 16;


pub(crate) type F = [f64; LANES];

/// Signals of up to [`LANES`] combinations interleaved bar by bar (`bar * LANES + lane`),
/// the layout [`run_lanes`] reads. Missing lanes hold no signal (they stay flat). The rows
/// are bars `start .. start + bars` of the series.
#[derive(Debug, Clone, Default)]
pub struct Interleaved {
    start: usize,
    bars: usize,
    lanes: usize,
    data: Vec<i8>,
    /// Each bar's lanes with a signal of `1` (bit `j` for lane `j`), then those with `-1`
    /// (bit `LANES + j`): the loops read their conditions from here instead of the bytes.
    masks: Vec<u32>,
}

impl Interleaved {
    /// Interleave `signals` (at most [`LANES`], all of one length), reusing the buffer.
    ///
    /// # Panics
    /// With more than [`LANES`] signals or signals of different lengths.
    pub fn fill(&mut self, signals: &[&[i8]]) {
        self.fill_at(0, signals);
    }

    /// [`Self::fill`] with signals that begin at bar `start` of the series (slices of the
    /// full signals, for backtests of a window).
    pub fn fill_at(&mut self, start: usize, signals: &[&[i8]]) {
        assert!(signals.len() <= LANES, "{} signals for {LANES} lanes", signals.len());
        let n = signals.first().map_or(0, |s| s.len());
        assert!(signals.iter().all(|s| s.len() == n), "signals of different lengths");
        self.start = start;
        self.bars = n;
        self.lanes = signals.len();
        // Every byte is written below (missing lanes as zeros): no need to clear first.
        self.data.resize(n * LANES, 0);
        // Eight bars at a time: one word per lane, then its bytes into the eight rows.
        let full = n / 8 * 8;
        let transpose = transposer();
        for (blk, rows) in self.data[..full * LANES].chunks_exact_mut(8 * LANES).enumerate() {
            let mut words = [0u64; LANES];
            for (w, s) in words.iter_mut().zip(signals) {
                let b: [i8; 8] = s[blk * 8..blk * 8 + 8].try_into().expect("eight bars");
                *w = u64::from_le_bytes(b.map(|x| x as u8));
            }
            transpose(&words, rows.try_into().expect("eight rows"));
        }
        for i in full..n {
            let row = &mut self.data[i * LANES..(i + 1) * LANES];
            row.fill(0);
            for (x, s) in row.iter_mut().zip(signals) {
                *x = s[i];
            }
        }
        self.masks.resize(n, 0);
        let masker = masker();
        for (m, row) in self.masks.iter_mut().zip(self.data.chunks_exact(LANES)) {
            *m = masker(row.try_into().expect("one row"));
        }
    }

    /// Bars per signal.
    pub fn bars(&self) -> usize {
        self.bars
    }

    /// Lanes holding a signal.
    pub fn lanes(&self) -> usize {
        self.lanes
    }
}

/// One row of signals into its [`Interleaved::masks`] word.
type Mask = fn(&[i8; LANES]) -> u32;

const _: () = assert!(2 * LANES <= 32, "two masks of LANES bits in a word");

/// The fastest [`Mask`] the CPU runs; both give the same word.
fn masker() -> Mask {
    #[cfg(target_arch = "x86_64")]
    {
        if LANES == 16 {
            return mask_sse2;
        }
    }
    mask_portable
}

fn mask_portable(row: &[i8; LANES]) -> u32 {
    row.iter().enumerate().fold(0, |m, (j, &x)| m | (u32::from(x == 1) << j) | (u32::from(x == -1) << (LANES + j)))
}

/// [`Mask`] with two byte compares of the whole row (SSE2 is part of x86-64).
#[cfg(target_arch = "x86_64")]
fn mask_sse2(row: &[i8; LANES]) -> u32 {
    use std::arch::x86_64::*;
    assert!(LANES == 16);
    // SAFETY: SSE2 is always present on x86-64; the row holds 16 bytes.
    unsafe {
        let v = _mm_loadu_si128(row.as_ptr() as *const __m128i);
        let up = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(1))) as u32;
        let down = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(-1))) as u32;
        up | down << LANES
    }
}

/// Eight bars of every lane (one word per lane, bar `r` in byte `r`) into eight rows of
/// [`LANES`] signals.
type Transpose = fn(&[u64; LANES], &mut [i8; 8 * LANES]);

/// The fastest [`Transpose`] the CPU runs; both give the same bytes.
fn transposer() -> Transpose {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512vbmi") {
            // SAFETY: the CPU has the features the function is compiled for.
            return |w, rows| unsafe { avx512::transpose(w, rows) };
        }
    }
    transpose_portable
}

fn transpose_portable(words: &[u64; LANES], rows: &mut [i8; 8 * LANES]) {
    for (r, row) in rows.chunks_exact_mut(LANES).enumerate() {
        for (x, w) in row.iter_mut().zip(words) {
            *x = (w >> (8 * r)) as u8 as i8;
        }
    }
}

/// Per-lane buffers of repeated lane backtests: the daily equity points and the metrics'
/// buffers. One per thread.
#[derive(Debug, Clone, Default)]
pub struct LaneScratch {
    points: LanePoints,
    metrics: MetricsScratch,
}

/// The daily equity points of each lane of a [`run_lanes`], and the buffer the loops write
/// them to.
#[derive(Debug, Clone, Default)]
pub struct LanePoints {
    lanes: [Vec<f64>; LANES],
    /// Point `p` of lane `j` at `p * LANES + j`: one row per sampled bar, written by the
    /// loops with a store per register.
    grid: Vec<f64>,
}

impl LanePoints {
    /// Lane `j`'s daily points (as [`super::DailySampler`] collects them).
    pub fn lane(&self, j: usize) -> &[f64] {
        &self.lanes[j]
    }
}

/// The metrics of [`run_lanes`] for each lane holding a signal (in lane order), as
/// [`super::metrics_range`] computes them for each signal alone.
///
/// # Panics
/// When `sig` does not cover `range` or `range` is out of the bounds of `m`.
pub fn metrics_lanes(
    m: &Market<'_>,
    range: Range<usize>,
    sig: &Interleaved,
    cost: &CostModel,
    risk: &Risk,
    bars_per_day: usize,
    scratch: &mut LaneScratch,
    out: &mut Vec<Metrics>,
) {
    let stats = run_lanes(m, range, sig, cost, risk, bars_per_day, &mut scratch.points);
    out.clear();
    for (j, s) in stats.iter().enumerate().take(sig.lanes) {
        out.push(Metrics::compute_with(s, scratch.points.lane(j), cost, risk, &mut scratch.metrics));
    }
}

/// Backtest every lane of `sig` over bars `range` of `m` (fresh capital, as
/// [`super::backtest_range`]); `points.lane(j)` receives lane `j`'s daily equity points (as
/// [`super::DailySampler`] collects them). Lanes without a signal stay flat.
///
/// # Panics
/// When `sig` does not cover `range` or `range` is out of the bounds of `m`.
pub fn run_lanes(
    m: &Market<'_>,
    range: Range<usize>,
    sig: &Interleaved,
    cost: &CostModel,
    risk: &Risk,
    bars_per_day: usize,
    points: &mut LanePoints,
) -> [KernelStats; LANES] {
    let n = m.len();
    assert!(range.start <= range.end && range.end <= n, "range {range:?} of {n} bars");
    let rows = sig.start..sig.start + sig.bars;
    assert!(range.is_empty() || (rows.start <= range.start && range.end <= rows.end), "signals of bars {rows:?} for bars {range:?}");
    let p = Params::new(cost, risk);
    let (start, end) = (range.start, range.end);
    let b = Bars {
        open: &m.open[start..end],
        high: &m.high[start..end],
        low: &m.low[start..end],
        close: &m.close[start..end],
        sig: if range.is_empty() { &[] } else { &sig.data[(start - rows.start) * LANES..(end - rows.start) * LANES] },
        masks: if range.is_empty() { &[] } else { &sig.masks[start - rows.start..end - rows.start] },
    };
    let mut daily = Daily::new(points, end - start, bars_per_day.max(1));
    let state = run_best(&b, &p, &mut daily);
    daily.finish();
    stats(&state, &p, if end > start { m.close[end - 1] } else { f64::NAN })
}

/// The bars one lane loop visits: the candles of the range and its interleaved signals.
#[derive(Clone, Copy)]
pub(crate) struct Bars<'a> {
    pub open: &'a [f64],
    pub high: &'a [f64],
    pub low: &'a [f64],
    pub close: &'a [f64],
    /// `close.len() * LANES` signals.
    pub sig: &'a [i8],
    /// Their [`Interleaved::masks`], one per bar.
    pub masks: &'a [u32],
}

/// The lanes' state after the last bar: what the totals are made of.
#[derive(Clone, Copy)]
pub(crate) struct End {
    pub cash: F,
    pub qty: F,
    pub entry: F,
    pub side: F,
    pub trades: F,
    pub wins: F,
    pub liqs: F,
    pub gp: F,
    pub gl: F,
    pub max_dd: F,
}

/// The daily equity points of every lane, sampled as [`super::DailySampler`] does (bars
/// `0, bpd, 2 bpd, ...`, and the last bar's equity for a run of fewer than two points);
/// each loop samples its lanes through [`Daily::lanes`].
pub(crate) struct Daily<'a> {
    out: &'a mut LanePoints,
    bpd: usize,
    rows: usize,
    last_bar: usize,
    last: F,
}

impl<'a> Daily<'a> {
    fn new(out: &'a mut LanePoints, len: usize, bpd: usize) -> Daily<'a> {
        let rows = len.div_ceil(bpd);
        // Every row is written by the loops before it is read; a buffer left longer by an
        // earlier run is not shortened (refilling it would cost a write of every row).
        if out.grid.len() < rows * LANES {
            out.grid.resize(rows * LANES, 0.0);
        }
        Daily { out, bpd, rows, last_bar: len.wrapping_sub(1), last: [f64::NAN; LANES] }
    }

    /// The sampler of lanes `lanes`, for a loop that visits every bar of the range.
    pub fn lanes(&mut self, lanes: Range<usize>) -> LaneDaily<'_> {
        LaneDaily {
            grid: &mut self.out.grid[..self.rows * LANES],
            last: &mut self.last[lanes.clone()],
            lane0: lanes.start,
            bpd: self.bpd,
            next: 0,
            due: 0,
            last_bar: self.last_bar,
        }
    }

    /// Each lane's points from the rows.
    fn finish(self) {
        let rows = &self.out.grid[..self.rows * LANES];
        for (j, v) in self.out.lanes.iter_mut().enumerate() {
            v.clear();
            v.extend(rows.iter().skip(j).step_by(LANES));
            if v.len() == 1 {
                v.push(self.last[j]);
            }
        }
    }
}

/// The daily points of some lanes (see [`Daily::lanes`]): the loop asks [`Self::due`]
/// once per bar, a compare with one counter.
pub(crate) struct LaneDaily<'a> {
    grid: &'a mut [f64],
    last: &'a mut [f64],
    lane0: usize,
    bpd: usize,
    /// The next sampled bar, and the next bar to record (it or the last bar).
    next: usize,
    due: usize,
    last_bar: usize,
}

impl LaneDaily<'_> {
    /// Whether bar `k`'s equities are recorded.
    #[inline(always)]
    pub fn due(&self, k: usize) -> bool {
        k == self.due
    }

    /// The row of sampled bar `k`, these lanes' part of it.
    #[inline(always)]
    fn row(&mut self, k: usize) -> &mut [f64] {
        let at = k / self.bpd * LANES + self.lane0;
        &mut self.grid[at..at + self.last.len()]
    }

    /// Bar `k`'s equities (one per lane of these), at a [`Self::due`] bar: `write(row)`
    /// stores them into `row`, which has one entry per lane.
    #[inline(always)]
    pub fn record(&mut self, k: usize, write: impl Fn(&mut [f64])) {
        if k == self.next {
            write(self.row(k));
            self.next += self.bpd;
        }
        if k == self.last_bar {
            write(self.last);
        }
        self.due = self.next.min(self.last_bar);
    }

    /// Bars `from..to` all with equities `e` (one per lane of these).
    #[inline]
    pub fn span(&mut self, from: usize, to: usize, e: &[f64]) {
        let n = self.last.len();
        while self.next < to {
            let k = self.next;
            self.row(k).copy_from_slice(&e[..n]);
            self.next += self.bpd;
        }
        if (from..to).contains(&self.last_bar) {
            self.last.copy_from_slice(&e[..n]);
        }
        self.due = self.next.min(self.last_bar);
    }
}

/// Dispatch to the fastest loop the CPU runs; all give the same bits.
fn run_best(b: &Bars<'_>, p: &Params, daily: &mut Daily<'_>) -> End {
    #[cfg(target_arch = "x86_64")]
    {
        // The AVX-512 loop divides every drawdown by its peak, which needs positive capital.
        if p.capital > 0.0
            && std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vl")
        {
            // SAFETY: the CPU has the features the loop is compiled for.
            return unsafe { avx512::run(b, p, daily) };
        }
    }
    portable::run(b, p, daily)
}

/// The totals of each lane from its end state, as [`super::FuturesAccount::stats`].
fn stats(end: &End, p: &Params, last_close: f64) -> [KernelStats; LANES] {
    std::array::from_fn(|j| {
        let final_equity = if end.side[j] == 0.0 {
            end.cash[j]
        } else {
            let (aq, entry) = (end.qty[j].abs(), end.entry[j]);
            let gross = if end.side[j] > 0.0 { (last_close - entry) * aq } else { (entry - last_close) * aq };
            (end.cash[j] + aq * entry / p.lev) + (gross - p.cost * last_close * aq)
        };
        KernelStats {
            final_equity,
            max_drawdown: end.max_dd[j],
            trades: end.trades[j] as u64,
            wins: end.wins[j] as u64,
            gross_profit: end.gp[j],
            gross_loss: end.gl[j],
            liquidations: end.liqs[j] as u64,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::{metrics_range, Blocks, DailySampler};

    /// A random walk with calm and wild stretches, gaps, and optional NaN / zero prices.
    fn market(n: usize, seed: u64, holes: bool) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
        let mut state = seed;
        let mut unit = move || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut o, mut h, mut l, mut c) = (vec![], vec![], vec![], vec![]);
        let mut px = 100.0;
        for i in 0..n {
            let vol = if (i / 200) % 3 == 2 { 0.06 } else { 0.008 };
            let open = if unit() < 0.02 { px * (1.0 + (unit() - 0.5) * 0.2) } else { px };
            let close = open * (1.0 + vol * (unit() - 0.5) * 2.0);
            let (mut hi, mut lo) = (open.max(close) * (1.0 + vol * unit()), open.min(close) * (1.0 - vol * unit()));
            let mut cl = close;
            if holes && unit() < 0.01 {
                match (unit() * 3.0) as u32 {
                    0 => cl = f64::NAN,
                    1 => hi = f64::NAN,
                    _ => lo = f64::NAN,
                }
            }
            o.push(open);
            h.push(hi);
            l.push(lo);
            c.push(cl);
            px = if close.is_finite() { close } else { 100.0 };
        }
        (o, h, l, c)
    }

    fn signals(n: usize, seed: u64) -> Vec<Vec<i8>> {
        let mut state = seed;
        let mut unit = move || {
            state = state.wrapping_mul(2862933555777941757).wrapping_add(3037000493);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        (0..LANES + 3)
            .map(|k| {
                let p = [0.5, 0.05, 0.01, 0.9, 0.2][k % 5];
                let period = 5 + 13 * k;
                (0..n)
                    .map(|i| match k % 3 {
                        0 => if (i / period) % 2 == 0 { 1 } else { -1 },
                        1 => if unit() < p { if unit() < 0.5 { 1 } else { -1 } } else { 0 },
                        _ => [1, 0, -1, 2, 0][(unit() * 5.0) as usize],
                    })
                    .collect()
            })
            .collect()
    }

    /// Compare every lane with the scalar kernel; returns the (liquidations, trades) seen.
    fn check(n: usize, seed: u64, holes: bool) -> (u64, u64) {
        check_at(n, seed, holes, 1.0, CostModel::default().capital)
    }

    /// [`check`] with every price multiplied by `scale`, starting from `capital`.
    fn check_at(n: usize, seed: u64, holes: bool, scale: f64, capital: f64) -> (u64, u64) {
        let (mut o, mut h, mut l, mut c) = market(n, seed, holes);
        for x in o.iter_mut().chain(&mut h).chain(&mut l).chain(&mut c) {
            *x *= scale;
        }
        let sigs = signals(n, seed ^ 0x55);
        let cost = CostModel { capital, ..CostModel::default() };
        let mut blocks = Blocks::default();
        let m = Market::prepare(&o, &h, &l, &c, &mut blocks).unwrap();
        let mut scratch = MetricsScratch::default();
        let mut lanes = LaneScratch::default();
        let mut got = Vec::new();
        let (mut liquidations, mut trades) = (0u64, 0u64);
        let ranges = [0..n, 0..0, n / 3..n, n / 2..n / 2 + 1, 7.min(n)..(n * 2 / 3).max(7.min(n))];
        for lev in [1.0, 3.0, 20.0, 125.0] {
            for (sl, tp) in [(0.0, 0.0), (0.005, 0.015), (0.02, 0.0), (0.0, 0.03), (0.1, 0.3)] {
                let risk = Risk::new(sl, tp, lev).unwrap();
                for group in sigs.chunks(LANES) {
                    let refs: Vec<&[i8]> = group.iter().map(|s| s.as_slice()).collect();
                    let mut il = Interleaved::default();
                    il.fill(&refs);
                    for r in &ranges {
                        for bpd in [1usize, 24] {
                            metrics_lanes(&m, r.clone(), &il, &cost, &risk, bpd, &mut lanes, &mut got);
                            assert_eq!(got.len(), group.len());
                            liquidations += got.iter().map(|g| g.liquidations).sum::<u64>();
                            trades += got.iter().map(|g| g.trades).sum::<u64>();
                            for (j, s) in group.iter().enumerate() {
                                let want = metrics_range(&m, r.clone(), s, &cost, &risk, bpd, &mut scratch);
                                assert_eq!(
                                    format!("{:?}", got[j]),
                                    format!("{want:?}"),
                                    "n {n} seed {seed} holes {holes} lev {lev} sl {sl} tp {tp} range {r:?} bpd {bpd} lane {j}"
                                );
                            }
                        }
                    }
                }
            }
        }
        (liquidations, trades)
    }

    /// Totals of the checks, to see they exercise what they claim to.
    #[test]
    fn lanes_equal_the_scalar_kernel() {
        let (mut liquidations, mut trades) = (0, 0);
        for (n, seed) in [(1, 1), (2, 2), (25, 3), (700, 4), (3000, 5)] {
            let (l, t) = check(n, seed, false);
            liquidations += l;
            trades += t;
        }
        assert!(liquidations > 100 && trades > 100_000, "{liquidations} liquidations, {trades} trades");
    }

    #[test]
    fn lanes_equal_the_scalar_kernel_at_extreme_magnitudes() {
        // Fill costs above 1e150 per unit, funds below 1e-150, and sizes that underflow
        // to zero: the loops may not take a fill's side from the funds alone there.
        for (scale, capital, trade) in [(1e160, 1e4, true), (1.0, 1e-160, true), (1e200, 1e-140, false)] {
            let (_, trades) = check_at(300, 5, false, scale, capital);
            assert_eq!(trades > 0, trade, "scale {scale} capital {capital}: {trades} trades");
        }
    }

    #[test]
    fn lanes_equal_the_scalar_kernel_on_nan_and_gaps() {
        for (n, seed) in [(50, 6), (1500, 7)] {
            check(n, seed, true);
        }
    }

    /// The portable loop (what CPUs without AVX-512 run) gives the same bits as the loop
    /// this CPU runs, on every lane.
    #[test]
    fn portable_loop_equals_the_dispatched_one() {
        let n = 2500;
        let (o, h, l, c) = market(n, 12, true);
        let sigs = signals(n, 21);
        let refs: Vec<&[i8]> = sigs.iter().take(LANES).map(|s| s.as_slice()).collect();
        let mut il = Interleaved::default();
        il.fill(&refs);
        let cost = CostModel::default();
        for (sl, tp, lev) in [(0.0, 0.0, 1.0), (0.005, 0.015, 1.0), (0.01, 0.03, 50.0), (0.0, 0.02, 5.0)] {
            let p = Params::new(&cost, &Risk::new(sl, tp, lev).unwrap());
            let b = Bars { open: &o, high: &h, low: &l, close: &c, sig: &il.data, masks: &il.masks };
            let (mut pa, mut pb) = (LanePoints::default(), LanePoints::default());
            let mut da = Daily::new(&mut pa, n, 24);
            let ea = run_best(&b, &p, &mut da);
            da.finish();
            let mut db = Daily::new(&mut pb, n, 24);
            let eb = portable::run(&b, &p, &mut db);
            db.finish();
            let bits = |e: &End| -> Vec<u64> {
                [e.cash, e.qty, e.entry, e.side, e.trades, e.wins, e.liqs, e.gp, e.gl, e.max_dd].iter().flatten().map(|x| x.to_bits()).collect()
            };
            assert_eq!(bits(&ea), bits(&eb), "sl {sl} tp {tp} lev {lev}");
            let pbits = |p: &LanePoints| -> Vec<u64> { p.lanes.iter().flatten().map(|x| x.to_bits()).collect() };
            assert_eq!(pbits(&pa), pbits(&pb));
            assert!(eb.trades.iter().sum::<f64>() > 0.0);
        }
    }

    #[test]
    fn interleaving_puts_bar_i_lane_j_at_i_lanes_plus_j() {
        for n in [0usize, 1, 7, 8, 9, 31] {
            let sigs: Vec<Vec<i8>> = (0..5).map(|j| (0..n).map(|i| ((i * 7 + j * 3) % 5) as i8 - 2).collect()).collect();
            let refs: Vec<&[i8]> = sigs.iter().map(|s| s.as_slice()).collect();
            let mut il = Interleaved::default();
            il.fill(&refs);
            assert_eq!((il.bars(), il.lanes(), il.data.len()), (n, 5, n * LANES));
            for i in 0..n {
                for j in 0..LANES {
                    let want = if j < 5 { sigs[j][i] } else { 0 };
                    assert_eq!(il.data[i * LANES + j], want, "n {n} bar {i} lane {j}");
                    let (up, down) = (il.masks[i] >> j & 1 == 1, il.masks[i] >> (LANES + j) & 1 == 1);
                    assert_eq!((up, down), (want == 1, want == -1), "n {n} bar {i} lane {j} masks {:#x}", il.masks[i]);
                }
            }
        }
    }

    #[test]
    fn transposes_agree() {
        let mut state = 5u64;
        for _ in 0..200 {
            let words: [u64; LANES] = std::array::from_fn(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                state
            });
            let (mut a, mut b) = ([0i8; 8 * LANES], [0i8; 8 * LANES]);
            transposer()(&words, &mut a);
            transpose_portable(&words, &mut b);
            assert_eq!(a, b);
            assert_eq!(b[3 * LANES + 5], (words[5] >> 24) as u8 as i8);
        }
    }

    #[test]
    fn daily_points_follow_the_sampler() {
        let (o, h, l, c) = market(100, 9, false);
        let sigs = signals(100, 3);
        let mut blocks = Blocks::default();
        let m = Market::prepare(&o, &h, &l, &c, &mut blocks).unwrap();
        let mut il = Interleaved::default();
        il.fill(&[&sigs[0], &sigs[1]]);
        let mut pts = LanePoints::default();
        let cost = CostModel::default();
        let risk = Risk::new(0.01, 0.03, 2.0).unwrap();
        run_lanes(&m, 10..90, &il, &cost, &risk, 24, &mut pts);
        for (j, s) in sigs[..2].iter().enumerate() {
            let mut sampler = DailySampler::new(80, 24);
            crate::kernel::backtest_range(&m, 10..90, s, &cost, &risk, &mut sampler);
            assert_eq!(pts.lane(j), sampler.into_points(), "lane {j}");
        }
    }

    /// A buffer refilled with fewer and shorter signals holds exactly what a fresh one does:
    /// no byte of the earlier fill survives, in the transposed blocks or the tail.
    #[test]
    fn masks_agree() {
        let mut state = 7u64;
        for _ in 0..2000 {
            let mut row = [0i8; LANES];
            for x in &mut row {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                // Mostly -1, 0 and 1, sometimes any byte.
                *x = if state >> 60 == 0 { (state >> 32) as i8 } else { ((state >> 40) % 3) as i8 - 1 };
            }
            assert_eq!(masker()(&row), mask_portable(&row), "{row:?}");
        }
    }

    #[test]
    fn refills_leave_nothing_behind() {
        let big = signals(203, 1);
        let small = signals(77, 2);
        let mut used = Interleaved::default();
        used.fill(&big[..LANES].iter().map(|s| s.as_slice()).collect::<Vec<_>>());
        let small_refs: Vec<&[i8]> = small[..3].iter().map(|s| s.as_slice()).collect();
        used.fill_at(5, &small_refs);
        let mut fresh = Interleaved::default();
        fresh.fill_at(5, &small_refs);
        assert_eq!((used.start, used.bars, used.lanes), (fresh.start, fresh.bars, fresh.lanes));
        assert_eq!(used.data, fresh.data);
        assert_eq!(used.masks, fresh.masks);
        for i in 0..77 {
            for j in 0..LANES {
                assert_eq!(fresh.data[i * LANES + j], if j < 3 { small[j][i] } else { 0 }, "bar {i} lane {j}");
            }
        }
    }
}
