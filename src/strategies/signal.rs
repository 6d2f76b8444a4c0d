//! Signal generation: the public entry points and the buy-then-sell-then-warmup fill.

use super::cache::IndicatorCache;
use super::combo::Combo;

/// The signals (`-1` sell, `0` hold, `+1` buy; one per bar) of `combo` over the cache's candles.
pub fn signals(combo: &Combo, cache: &IndicatorCache<'_>) -> Vec<i8> {
    let mut out = vec![0i8; cache.len()];
    signals_into(combo, cache, &mut out);
    out
}

/// [`signals`] into a caller-provided buffer of exactly one entry per bar.
pub fn signals_into(combo: &Combo, cache: &IndicatorCache<'_>, out: &mut [i8]) {
    assert_eq!(out.len(), cache.len(), "signal buffer must have one entry per bar");
    (combo.strategy.generate)(combo, cache, out);
}

/// The reference's construction: `+1` where `buy`, then `-1` where `sell` (sell wins),
/// then the first `warmup` bars forced to `0`.
#[inline]
pub(crate) fn fill(out: &mut [i8], warmup: usize, buy: impl Fn(usize) -> bool, sell: impl Fn(usize) -> bool) {
    let start = warmup.min(out.len());
    out[..start].fill(0);
    for (i, s) in out.iter_mut().enumerate().skip(start) {
        // Branch-free: both conditions are pure, and sell wins.
        let (b, x) = (buy(i), sell(i));
        *s = (b & !x) as i8 - x as i8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sell_wins_and_warmup_is_zero() {
        let mut out = [9i8; 5];
        fill(&mut out, 2, |_| true, |i| i == 3);
        assert_eq!(out, [0, 0, 1, -1, 1]);
        let mut out = [9i8; 2];
        fill(&mut out, 7, |_| true, |_| false);
        assert_eq!(out, [0, 0]);
    }
}
