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

/// Where `s` changes value, bucketed (see [`BUCKETS`]).
fn change_map(s: &[i8]) -> ChangeMap {
    let mut map = [0u64; WORDS];
    let n = s.len();
    let mut mark = |at: usize| {
        let bucket = at * BUCKETS / n;
        map[bucket / 64] |= 1 << (bucket % 64);
    };
    // Sixteen bars at a time: a mask of the bars that differ from their predecessor.
    let mut i = 1;
    while i + 16 <= n {
        let (a, b) = (&s[i - 1..i + 15], &s[i..i + 16]);
        let mut diff = 0u32;
        for k in 0..16 {
            diff |= ((a[k] != b[k]) as u32) << k;
        }
        while diff != 0 {
            mark(i + diff.trailing_zeros() as usize);
            diff &= diff - 1;
        }
        i += 16;
    }
    for at in i..n {
        if s[at] != s[at - 1] {
            mark(at);
        }
    }
    map
}

fn distance(a: &ChangeMap, b: &ChangeMap) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

/// A permutation of `0..signals.len()`: within each block of [`BLOCK`] consecutive signals,
/// the first one, then repeatedly the remaining one whose change map is nearest to the last
/// taken (the earliest of equals). Deterministic.
pub fn similar_first<S: AsRef<[i8]> + Sync>(signals: &[S]) -> Vec<usize> {
    let maps: Vec<ChangeMap> = signals.par_iter().map(|s| change_map(s.as_ref())).collect();
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
        for n in [2, 15, 16, 17, 33, 1000, 5000] {
            for at in [1, n / 2, n - 1] {
                let mut s = vec![0i8; n];
                s[at..].fill(-1);
                let map = change_map(&s);
                let bucket = at * BUCKETS / n;
                assert_eq!(map.iter().map(|w| w.count_ones()).sum::<u32>(), 1, "n {n} at {at}");
                assert_ne!(map[bucket / 64] & (1 << (bucket % 64)), 0, "n {n} at {at}");
            }
        }
        assert_eq!(change_map(&[1]), [0; WORDS]);
    }
}
