//! The backtest loop over a range of bars. It visits bars one by one only where something
//! can happen: stretches without a position or pending signal are passed in one go (their
//! equity is constant), and while a position is held the loop passes whole aligned blocks
//! of bars whose extremes show that no level, liquidation or drawdown record can occur.
//! Bars inside a skipped stretch are still reported to the observer (lazily, see
//! [`Observer::span`]) and count as bar-steps.

use super::blocks::{LARGE, SMALL};
use super::config::{CostModel, Risk};
use super::futures::FuturesAccount;
use super::observer::Observer;
use super::{KernelStats, Market};

/// Run one backtest over bars `start..end` of `m` (`signal` has one entry per bar of `m`);
/// the observer sees bar indices relative to `start`.
pub(crate) fn run<O: Observer>(
    m: &Market<'_>,
    start: usize,
    end: usize,
    signal: &[i8],
    cost: &CostModel,
    risk: &Risk,
    obs: &mut O,
) -> KernelStats {
    let n = m.close.len();
    assert!(start <= end && end <= n && signal.len() == n, "range {start}..{end} of {n} bars, {} signals", signal.len());
    let (open, high, low, close, blocks) = (&m.open[..n], &m.high[..n], &m.low[..n], &m.close[..n], m.blocks);
    let mut acct = FuturesAccount::new(cost, risk);
    let mut horizon = Horizon::default();
    let mut i = start;
    while i < end {
        if acct.is_idle() {
            let stop = first_nonzero(&signal[i..end]).map_or(end, |k| i + k + 1);
            acct.idle_run(i - start, stop - start, signal[stop - 1], obs);
            i = stop;
            continue;
        }
        if !acct.is_holding() {
            // A fill is due at this bar's open.
            acct.step(i - start, open[i], high[i], low[i], close[i], signal[i], obs);
            i += 1;
            continue;
        }
        // Holding: only a level, a liquidation or the next opposite signal can end it.
        let limit = horizon.limit(signal, i, end, -acct.side_sign());
        while i < limit && acct.is_holding() {
            if i % LARGE == 0 && i + LARGE <= limit && acct.pass_block(blocks.large(i)) {
                let a = &acct;
                obs.span(i - start, i + LARGE - start, |k| a.mark(close[start + k]));
                acct.set_pending(signal[i + LARGE - 1]);
                i += LARGE;
                continue;
            }
            // Up to the next bar that reaches a trigger price (at most to the next large
            // block), nothing but the drawdown can change.
            let cap = ((i / LARGE + 1) * LARGE).min(limit);
            let (lo, hi) = acct.triggers();
            let (hit, cmin, cmax) = scan(&low[..cap], &high[..cap], &close[..cap], i, lo, hi);
            if hit > i {
                if acct.pass_closes(cmin, cmax) {
                    let a = &acct;
                    obs.span(i - start, hit - start, |k| a.mark(close[start + k]));
                    acct.set_pending(signal[hit - 1]);
                    i = hit;
                } else {
                    // A drawdown may set a record: finer blocks, else bar by bar.
                    while i < hit {
                        if i % SMALL == 0 && i + SMALL <= hit && acct.pass_block(blocks.small(i)) {
                            let a = &acct;
                            obs.span(i - start, i + SMALL - start, |k| a.mark(close[start + k]));
                            acct.set_pending(signal[i + SMALL - 1]);
                            i += SMALL;
                        } else {
                            acct.step(i - start, open[i], high[i], low[i], close[i], signal[i], obs);
                            i += 1;
                        }
                    }
                }
            }
            if i < cap {
                // The bar reaching a trigger price: the exact tests.
                acct.step(i - start, open[i], high[i], low[i], close[i], signal[i], obs);
                i += 1;
            }
        }
    }
    let last_close = if end > start { close[end - 1] } else { f64::NAN };
    if let Some(t) = acct.open_trade_at_end((end - start).saturating_sub(1), last_close) {
        obs.trade(&t);
    }
    acct.stats(last_close)
}

/// The next bar whose signal would reverse the held position, remembered across
/// positions on the same side (after a level exit the same stretch is often held again).
#[derive(Debug, Default)]
struct Horizon {
    /// The signal value searched for (`0` before the first search).
    target: i8,
    from: usize,
    /// First bar `>= from` with that signal, or the range's end.
    at: usize,
}

impl Horizon {
    /// One past the first bar `>= i` (and `< end`) whose signal is `target`, or `end`.
    #[inline]
    fn limit(&mut self, signal: &[i8], i: usize, end: usize, target: i8) -> usize {
        if !(self.target == target && self.from <= i && i <= self.at) {
            self.at = find_byte(&signal[i..end], target).map_or(end, |k| i + k);
            self.target = target;
            self.from = i;
        }
        (self.at + 1).min(end)
    }
}

/// The first bar `k >= i` (below `low.len()`) whose low is at or below `lo` or whose high is
/// at or above `hi` (`low.len()` when none), with the lowest and highest close of bars
/// `i..k` (NaN when one of them is NaN, infinities when there are none). Four bars per
/// test while none reaches a trigger.
#[inline(always)]
fn scan(low: &[f64], high: &[f64], close: &[f64], i: usize, lo: f64, hi: f64) -> (usize, f64, f64) {
    let cap = low.len();
    let (high, close) = (&high[..cap], &close[..cap]);
    let (mut cmin, mut cmax, mut nan) = (f64::INFINITY, f64::NEG_INFINITY, false);
    let mut k = i;
    while k + 4 <= cap {
        let (l, h, c) = (&low[k..k + 4], &high[k..k + 4], &close[k..k + 4]);
        let hit = (l[0] <= lo) | (h[0] >= hi) | (l[1] <= lo) | (h[1] >= hi) | (l[2] <= lo) | (h[2] >= hi) | (l[3] <= lo) | (h[3] >= hi);
        if hit {
            break;
        }
        for &x in c {
            cmin = if x < cmin { x } else { cmin };
            cmax = if x > cmax { x } else { cmax };
            nan |= x.is_nan();
        }
        k += 4;
    }
    while k < cap && !(low[k] <= lo || high[k] >= hi) {
        let x = close[k];
        cmin = if x < cmin { x } else { cmin };
        cmax = if x > cmax { x } else { cmax };
        nan |= x.is_nan();
        k += 1;
    }
    if nan {
        (k, f64::NAN, f64::NAN)
    } else {
        (k, cmin, cmax)
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Eight signals as one little-endian word.
#[inline(always)]
fn word(c: &[i8]) -> u64 {
    u64::from_le_bytes([c[0] as u8, c[1] as u8, c[2] as u8, c[3] as u8, c[4] as u8, c[5] as u8, c[6] as u8, c[7] as u8])
}

/// Index of the first non-zero signal, scanning eight at a time.
#[inline]
pub(crate) fn first_nonzero(s: &[i8]) -> Option<usize> {
    let mut chunks = s.chunks_exact(8);
    let mut base = 0;
    for c in &mut chunks {
        let w = word(c);
        if w != 0 {
            return Some(base + (w.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    chunks.remainder().iter().position(|&x| x != 0).map(|k| base + k)
}

/// Index of the first signal equal to `target`, eight at a time: bytes of `w ^ pattern`
/// are zero where equal, and the lowest flagged byte of the classic zero-byte test is
/// always a true zero (false flags only appear above one).
#[inline]
pub(crate) fn find_byte(s: &[i8], target: i8) -> Option<usize> {
    let pattern = ONES.wrapping_mul(target as u8 as u64);
    let mut chunks = s.chunks_exact(8);
    let mut base = 0;
    for c in &mut chunks {
        let x = word(c) ^ pattern;
        let zero = x.wrapping_sub(ONES) & !x & HIGHS;
        if zero != 0 {
            return Some(base + (zero.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    chunks.remainder().iter().position(|&x| x == target).map(|k| base + k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_nonzero_finds_the_first() {
        for n in 0..40 {
            for at in 0..=n {
                let mut s = vec![0i8; n];
                if at < n {
                    s[at] = -1;
                    if at + 3 < n {
                        s[at + 3] = 1;
                    }
                }
                assert_eq!(first_nonzero(&s), if at < n { Some(at) } else { None }, "n={n} at={at}");
            }
        }
    }

    #[test]
    fn find_byte_finds_the_first_match() {
        let values = [-1i8, 0, 1, 2, -128, 127];
        for n in 0..30 {
            for seed in 0..20usize {
                let s: Vec<i8> = (0..n).map(|i| values[(i * 7 + seed * 13 + i * i * seed) % values.len()]).collect();
                for target in [-1i8, 1, 0, 127, -128] {
                    let want = s.iter().position(|&x| x == target);
                    assert_eq!(find_byte(&s, target), want, "{s:?} {target}");
                }
            }
        }
    }

    #[test]
    fn scan_stops_at_the_first_trigger() {
        let n = 23;
        let close: Vec<f64> = (0..n).map(|i| 100.0 + ((i * 7) % 11) as f64).collect();
        let high: Vec<f64> = close.iter().map(|c| c + 1.0).collect();
        let low: Vec<f64> = close.iter().map(|c| c - 1.0).collect();
        for from in 0..n {
            for stop in from..=n {
                let (mut l, mut h) = (low.clone(), high.clone());
                if stop < n {
                    if stop % 2 == 0 {
                        l[stop] = 50.0;
                    } else {
                        h[stop] = 150.0;
                    }
                }
                let (k, cmin, cmax) = scan(&l, &h, &close, from, 60.0, 140.0);
                assert_eq!(k, stop, "from {from} stop {stop}");
                let part = &close[from..stop];
                assert_eq!(cmin, part.iter().copied().fold(f64::INFINITY, f64::min));
                assert_eq!(cmax, part.iter().copied().fold(f64::NEG_INFINITY, f64::max));
            }
        }
        let mut c = close.clone();
        c[5] = f64::NAN;
        let (k, cmin, cmax) = scan(&low, &high, &c, 0, 60.0, 140.0);
        assert_eq!(k, n);
        assert!(cmin.is_nan() && cmax.is_nan());
    }

    #[test]
    fn horizon_reuses_and_refreshes() {
        let s = [1i8, 0, 1, -1, 0, 1, 0, -1, 0, 0];
        let mut h = Horizon::default();
        assert_eq!(h.limit(&s, 0, 10, -1), 4);
        assert_eq!(h.limit(&s, 3, 10, -1), 4);
        assert_eq!(h.limit(&s, 4, 10, -1), 8);
        assert_eq!(h.limit(&s, 8, 10, -1), 10);
        assert_eq!(h.limit(&s, 4, 10, 1), 6);
        assert_eq!(h.limit(&s, 2, 7, -1), 4);
    }
}
