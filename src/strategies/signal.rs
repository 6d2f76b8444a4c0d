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
    use crate::candles::Candles;
    use crate::strategies::parse_combo;
    use serde_json::json;

    fn candles(close: &[f64]) -> Candles {
        Candles {
            open_time: (0..close.len() as i64).collect(),
            open: close.to_vec(),
            high: close.iter().map(|c| c + 1.0).collect(),
            low: close.iter().map(|c| c - 1.0).collect(),
            close: close.to_vec(),
            volume: vec![1.0; close.len()],
        }
    }

    #[test]
    fn momentum_by_hand() {
        // sma(2): -, 1.5, 2.5, 2.5, 2.0, 2.0 ; warmup 2.
        let c = candles(&[1.0, 2.0, 3.0, 2.0, 2.0, 2.0]);
        let cache = IndicatorCache::new(&c);
        let combo = parse_combo("Momentum Strategy", &json!({"lookback": 2})).unwrap();
        assert_eq!(signals(&combo, &cache), vec![0, 0, 1, -1, 0, 0]);
    }

    #[test]
    fn multi_factor_sells_on_momentum_alone() {
        // Falling prices: momentum sells from bar 3; RSI(3) has no gains, so its losses-only
        // RSI is 0 (< 30, a buy): c = 0, but the sell rule needs r != 1, so it holds.
        let c = candles(&[10.0, 9.0, 8.0, 7.0, 6.0, 5.0]);
        let cache = IndicatorCache::new(&c);
        let combo = parse_combo("Multi-Factor", &json!({"mom_lookback": 3, "rsi_period": 3})).unwrap();
        assert_eq!(signals(&combo, &cache), vec![0, 0, 0, 0, 0, 0]);
        // Rising prices: no losses makes rsi_a NaN (no signal) and momentum buys: c = 1.
        let c = candles(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let cache = IndicatorCache::new(&c);
        assert_eq!(signals(&combo, &cache), vec![0, 0, 0, 1, 1, 1]);
        // RSI 80, 57.1, 0 on bars 3..5 with close vs sma(3) equal, below, below:
        // bar 3 c = -1 (hold), bar 4 momentum sells with a neutral RSI, bar 5 c = 0.
        let c = candles(&[1.0, 3.0, 5.0, 4.0, 3.5, 3.0]);
        let cache = IndicatorCache::new(&c);
        assert_eq!(signals(&combo, &cache), vec![0, 0, 0, 0, -1, 0]);
    }

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
