//! Per-block extremes of a candle series (lowest low, highest high, lowest and highest
//! close over aligned blocks of 8 and 64 bars), computed once per series so that the
//! kernel can pass a whole block of a held position with a few comparisons.
//!
//! A block holding a NaN anywhere has all four extremes NaN: every comparison with it is
//! false, so the kernel never skips it and steps its bars one by one instead.

/// Bars per small block.
pub const SMALL: usize = 8;
/// Bars per large block (a whole number of small blocks).
pub const LARGE: usize = 64;

/// Extremes of one block: `[min low, max high, min close, max close]`.
pub type Extremes = [f64; 4];

/// Block extremes of one series; block `b` of size `S` covers bars `b*S .. (b+1)*S`
/// (only whole blocks are summarised).
#[derive(Debug, Clone, Default)]
pub struct Blocks {
    len: usize,
    small: Vec<Extremes>,
    large: Vec<Extremes>,
}

impl Blocks {
    pub fn new(high: &[f64], low: &[f64], close: &[f64]) -> Blocks {
        let mut b = Blocks::default();
        b.rebuild(high, low, close);
        b
    }

    /// Summarise another series, reusing the buffers.
    ///
    /// # Panics
    /// When the slices differ in length.
    pub fn rebuild(&mut self, high: &[f64], low: &[f64], close: &[f64]) {
        let n = close.len();
        assert!(high.len() == n && low.len() == n, "high, low and close must have the same length");
        self.len = n;
        self.small.clear();
        self.small.extend(
            high.chunks_exact(SMALL)
                .zip(low.chunks_exact(SMALL))
                .zip(close.chunks_exact(SMALL))
                .map(|((h, l), c)| extremes(h, l, c)),
        );
        self.large.clear();
        self.large.extend(self.small.chunks_exact(LARGE / SMALL).map(merge));
    }

    /// Number of bars summarised.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Extremes of the small block starting at bar `i` (a multiple of [`SMALL`]).
    #[inline(always)]
    pub fn small(&self, i: usize) -> &Extremes {
        &self.small[i / SMALL]
    }

    /// Extremes of the large block starting at bar `i` (a multiple of [`LARGE`]).
    #[inline(always)]
    pub fn large(&self, i: usize) -> &Extremes {
        &self.large[i / LARGE]
    }
}

/// Extremes of one small block, NaN when any input is NaN.
#[inline]
fn extremes(h: &[f64], l: &[f64], c: &[f64]) -> Extremes {
    let (mut lo, mut hi, mut cmin, mut cmax) = (l[0], h[0], c[0], c[0]);
    let mut nan = false;
    for k in 0..h.len() {
        lo = if l[k] < lo { l[k] } else { lo };
        hi = if h[k] > hi { h[k] } else { hi };
        cmin = if c[k] < cmin { c[k] } else { cmin };
        cmax = if c[k] > cmax { c[k] } else { cmax };
        nan |= h[k].is_nan() | l[k].is_nan() | c[k].is_nan();
    }
    if nan {
        [f64::NAN; 4]
    } else {
        [lo, hi, cmin, cmax]
    }
}

/// Extremes of consecutive blocks together (NaN stays NaN).
fn merge(parts: &[Extremes]) -> Extremes {
    let mut m = parts[0];
    for p in &parts[1..] {
        if p[0].is_nan() || m[0].is_nan() {
            return [f64::NAN; 4];
        }
        m = [m[0].min(p[0]), m[1].max(p[1]), m[2].min(p[2]), m[3].max(p[3])];
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extremes_of_whole_blocks() {
        let n = 200;
        let close: Vec<f64> = (0..n).map(|i| ((i * 37) % 101) as f64).collect();
        let high: Vec<f64> = close.iter().map(|c| c + 1.0).collect();
        let low: Vec<f64> = close.iter().map(|c| c - 2.0).collect();
        let b = Blocks::new(&high, &low, &close);
        assert_eq!((b.small.len(), b.large.len()), (n / SMALL, n / LARGE));
        for (size, get) in [(SMALL, Blocks::small as fn(&Blocks, usize) -> &Extremes), (LARGE, Blocks::large)] {
            for start in (0..n - size + 1).step_by(size) {
                let r = start..start + size;
                let cmin = close[r.clone()].iter().copied().fold(f64::INFINITY, f64::min);
                let cmax = close[r.clone()].iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let want = [cmin - 2.0, cmax + 1.0, cmin, cmax];
                assert_eq!(get(&b, start), &want, "size {size} start {start}");
            }
        }
    }

    #[test]
    fn nan_poisons_its_blocks() {
        let mut close = vec![1.0; 128];
        close[70] = f64::NAN;
        let b = Blocks::new(&close, &close, &close);
        assert!(b.small(64).iter().all(|x| x.is_nan()));
        assert!(b.large(64).iter().all(|x| x.is_nan()));
        assert_eq!(b.small(72), &[1.0; 4]);
        assert_eq!(b.large(0), &[1.0; 4]);
    }
}
