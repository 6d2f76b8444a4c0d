//! The order in which signals share the lane kernel's registers.
//!
//! A register of lanes takes the kernel's exact (slow) path on every bar on which any of its
//! lanes trades, and skips stretches only when all of them are idle. Signals that change on
//! the same bars trade on the same bars, so putting similar signals side by side cuts the
//! bars on which a register works for one lane. Signals are compared by a coarse map of
//! where they change, and chained greedily, each next to the most similar one left, within
//! consecutive blocks of the input (the grid's own order already keeps a strategy's
//! neighbouring parameters together, so blocks lose little and keep the cost linear).
//!
//! The order only decides which signals run side by side: every lane's result is the same
//! in any order.

/// Buckets of the change map: bit `b` is set when the signal changes in the `b`-th of
/// this many equal stretches of bars.
const BUCKETS: usize = 1024;
const WORDS: usize = BUCKETS / 64;

use rayon::prelude::*;

/// Signals chained per block.
pub const BLOCK: usize = 256;

type ChangeMap = [u64; WORDS];

/// The bucket of every bar of a series of `n` bars (`at * BUCKETS / n`), computed once
/// per series so that [`change_map`] does no division per change.
fn bucket_table(n: usize) -> Vec<u16> {
    (0..n).map(|at| (at * BUCKETS / n) as u16).collect()
}

/// Where `s` changes value, bucketed (see [`BUCKETS`]); `bucket` is [`bucket_table`] of
/// its length.
///
/// # Panics
/// When `bucket` is shorter than `s`.
fn change_map(s: &[i8], bucket: &[u16]) -> ChangeMap {
    let n = s.len();
    let mut map = Marks::default();
    // Thirty-two bars at a time: a mask of the bars that differ from their predecessor.
    let mut i = 1;
    while i + 32 <= n {
        let mut diff = diff32(s, i);
        while diff != 0 {
            map.mark(bucket[i + diff.trailing_zeros() as usize]);
            diff &= diff - 1;
        }
        i += 32;
    }
    for at in i..n {
        if s[at] != s[at - 1] {
            map.mark(bucket[at]);
        }
    }
    map.finish()
}

/// A change map being built from buckets in increasing order: the current word's bits
/// stay in a register until a later word starts.
#[derive(Default)]
struct Marks {
    map: ChangeMap,
    word: usize,
    bits: u64,
}

impl Marks {
    #[inline]
    fn mark(&mut self, bucket: u16) {
        let (w, b) = (bucket as usize / 64, bucket % 64);
        if w != self.word {
            self.map[self.word] |= self.bits;
            (self.word, self.bits) = (w, 0);
        }
        self.bits |= 1 << b;
    }

    fn finish(mut self) -> ChangeMap {
        self.map[self.word] |= self.bits;
        self.map
    }
}

/// Bit `k` set when bar `at + k` differs from bar `at + k - 1`, for 32 bars.
///
/// # Panics
/// Unless `1 <= at` and `at + 32 <= s.len()`.
#[inline]
fn diff32(s: &[i8], at: usize) -> u32 {
    let (prev, cur) = (&s[at - 1..at + 31], &s[at..at + 32]);
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{__m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8};
        let load = |x: &[i8]| {
            let x: &[i8; 16] = x.try_into().expect("sixteen bars");
            // SAFETY: SSE2 is part of x86_64; the load reads the 16 bytes of `x`.
            unsafe { _mm_loadu_si128(x.as_ptr() as *const __m128i) }
        };
        // SAFETY: SSE2 is part of x86_64.
        let same = |a: &[i8], b: &[i8]| unsafe { _mm_movemask_epi8(_mm_cmpeq_epi8(load(a), load(b))) as u32 };
        !(same(&prev[..16], &cur[..16]) | same(&prev[16..], &cur[16..]) << 16)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        prev.iter().zip(cur).enumerate().fold(0, |m, (k, (a, b))| m | ((a != b) as u32) << k)
    }
}

fn distance(a: &ChangeMap, b: &ChangeMap) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

/// A permutation of `0..signals.len()`: within each block of [`BLOCK`] consecutive signals,
/// the first one, then repeatedly the remaining one whose change map is nearest to the last
/// taken (the earliest of equals). Deterministic.
pub fn similar_first<S: AsRef<[i8]> + Sync>(signals: &[S]) -> Vec<usize> {
    let bucket = bucket_table(signals.first().map_or(0, |s| s.as_ref().len()));
    let maps: Vec<ChangeMap> = signals
        .par_iter()
        .map(|s| {
            let s = s.as_ref();
            if s.len() == bucket.len() {
                change_map(s, &bucket)
            } else {
                change_map(s, &bucket_table(s.len()))
            }
        })
        .collect();
    maps.par_chunks(BLOCK)
        .enumerate()
        .flat_map_iter(|(b, block)| {
            let mut left: Vec<usize> = (0..block.len()).collect();
            let mut order = Vec::with_capacity(block.len());
            let mut cur = left.remove(0);
            order.push(b * BLOCK + cur);
            while !left.is_empty() {
                let (at, _) = left.iter().enumerate().map(|(k, &j)| (k, distance(&block[cur], &block[j]))).min_by_key(|&(_, d)| d).expect("not empty");
                cur = left.remove(at);
                order.push(b * BLOCK + cur);
            }
            order
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A signal of `n` bars that is `1` on the stretches starting at `at` (each `len` long).
    fn stretches(n: usize, at: &[usize], len: usize) -> Vec<i8> {
        let mut s = vec![0i8; n];
        for &a in at {
            for x in &mut s[a..(a + len).min(n)] {
                *x = 1;
            }
        }
        s
    }

    #[test]
    fn is_a_permutation_in_blocks() {
        let n = 500;
        let signals: Vec<Vec<i8>> = (0..2 * BLOCK + 7).map(|k| stretches(n, &[(k * 37) % 450], 20)).collect();
        let order = similar_first(&signals);
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..signals.len()).collect::<Vec<_>>());
        // Each block stays in place and starts with its first signal.
        for (b, chunk) in order.chunks(BLOCK).enumerate() {
            assert_eq!(chunk[0], b * BLOCK);
            assert!(chunk.iter().all(|&j| j / BLOCK == b));
        }
        assert_eq!(order, similar_first(&signals), "deterministic");
        assert!(similar_first::<Vec<i8>>(&[]).is_empty());
    }

    #[test]
    fn similar_signals_end_up_side_by_side() {
        let n = 4000;
        // Two families that alternate in the input: each changes on its own bars.
        let signals: Vec<Vec<i8>> = (0..16).map(|k| if k % 2 == 0 { stretches(n, &[100, 1000, 2500], 200 + k) } else { stretches(n, &[600, 1800, 3300], 150 + k) }).collect();
        let order = similar_first(&signals);
        let family: Vec<usize> = order.iter().map(|&j| j % 2).collect();
        assert_eq!(family, [vec![0; 8], vec![1; 8]].concat(), "{order:?}");
    }

    #[test]
    fn change_maps_see_every_change() {
        for n in [2, 15, 16, 17, 31, 32, 33, 34, 65, 1000, 5000] {
            for at in [1, n / 2, n - 1] {
                let mut s = vec![0i8; n];
                s[at..].fill(-1);
                let map = change_map(&s, &bucket_table(n));
                let bucket = at * BUCKETS / n;
                assert_eq!(map.iter().map(|w| w.count_ones()).sum::<u32>(), 1, "n {n} at {at}");
                assert_ne!(map[bucket / 64] & (1 << (bucket % 64)), 0, "n {n} at {at}");
            }
        }
        assert_eq!(change_map(&[1], &bucket_table(1)), [0; WORDS]);
    }

    /// Against the definition, on random signals of many lengths and change densities
    /// (changes in every word, several per bucket, runs across the 32-bar blocks).
    #[test]
    fn change_maps_match_the_definition() {
        let mut state = 3u64;
        let mut unit = move || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for n in [1, 2, 31, 32, 33, 64, 65, 100, 1023, 1024, 1025, 4097, 15000] {
            for p in [0.0, 0.001, 0.05, 0.5, 1.0] {
                let mut s = vec![0i8; n];
                for i in 1..n {
                    s[i] = if unit() < p { [-1, 0, 1][(unit() * 3.0) as usize % 3] } else { s[i - 1] };
                }
                let mut want = [0u64; WORDS];
                for at in 1..n {
                    if s[at] != s[at - 1] {
                        let b = at * BUCKETS / n;
                        want[b / 64] |= 1 << (b % 64);
                    }
                }
                assert_eq!(change_map(&s, &bucket_table(n)), want, "n {n} p {p}");
                for at in (1..n.saturating_sub(31)).step_by(7) {
                    let naive = (0..32).fold(0u32, |m, k| m | ((s[at + k] != s[at + k - 1]) as u32) << k);
                    assert_eq!(diff32(&s, at), naive, "n {n} p {p} at {at}");
                }
            }
        }
    }
}
