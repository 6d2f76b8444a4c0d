//! Equal signals found once: backtests are pure functions of the signal (and of its slice
//! for a window), so each distinct one is backtested once and its outcome shared.

use std::collections::HashMap;

/// For each signal, the index of the first signal equal to it (itself when it is the first).
pub fn first_equal<S: AsRef<[i8]>>(signals: &[S]) -> Vec<usize> {
    let mut seen: HashMap<u64, Vec<usize>> = HashMap::with_capacity(signals.len());
    let mut first = Vec::with_capacity(signals.len());
    for (k, s) in signals.iter().enumerate() {
        let s = s.as_ref();
        let same = seen.entry(fingerprint(s)).or_default();
        match same.iter().find(|&&j| signals[j].as_ref() == s) {
            Some(&j) => first.push(j),
            None => {
                same.push(k);
                first.push(k);
            }
        }
    }
    first
}

/// The distinct signals of [`first_equal`]: the index of each first occurrence, in order,
/// and for every signal the position of its first occurrence in that list.
pub fn distinct<S: AsRef<[i8]>>(signals: &[S]) -> (Vec<usize>, Vec<usize>) {
    let first = first_equal(signals);
    let mut reps = Vec::new();
    let mut slot = vec![usize::MAX; signals.len()];
    for (k, &f) in first.iter().enumerate() {
        if f == k {
            slot[k] = reps.len();
            reps.push(k);
        } else {
            slot[k] = slot[f];
        }
    }
    (reps, slot)
}

/// A fast 64-bit fingerprint of a signal: four independent chains of eight bars per step
/// (collisions are resolved by comparing the signals themselves).
fn fingerprint(s: &[i8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let word = |w: &[i8]| u64::from_le_bytes(std::array::from_fn(|i| w[i] as u8));
    let mut h = [s.len() as u64, 1, 2, 3];
    let mut blocks = s.chunks_exact(32);
    for b in &mut blocks {
        for (j, h) in h.iter_mut().enumerate() {
            *h = (h.rotate_left(5) ^ word(&b[8 * j..8 * j + 8])).wrapping_mul(K);
        }
    }
    let mut h = h.iter().fold(0u64, |acc, &x| (acc.rotate_left(5) ^ x).wrapping_mul(K));
    for &b in blocks.remainder() {
        h = (h.rotate_left(5) ^ b as u8 as u64).wrapping_mul(K);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_tell_signals_apart() {
        let a = vec![0i8; 21];
        let mut b = a.clone();
        b[20] = 1;
        let mut c = a.clone();
        c[3] = -1;
        assert_ne!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&c));
        assert_ne!(fingerprint(&a), fingerprint(&a[..20]));
        assert_eq!(first_equal(&[a.clone(), b.clone(), a.clone(), c.clone(), b.clone()]), [0, 1, 0, 3, 1]);
        assert_eq!(distinct(&[&a[..], &b, &a, &c, &b]), (vec![0, 1, 3], vec![0, 1, 0, 2, 1]));
        // Longer signals: a change in any bar of any chain moves the fingerprint.
        let long = vec![0i8; 100];
        let mut seen = std::collections::HashSet::from([fingerprint(&long)]);
        for at in 0..100 {
            let mut s = long.clone();
            s[at] = 1;
            assert!(seen.insert(fingerprint(&s)), "bar {at}");
        }
    }
}
