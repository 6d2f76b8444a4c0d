//! A thread-safe memo of indicator series over one candle series, so each distinct
//! indicator is computed once and shared by every combination that uses it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use crate::candles::Candles;

/// A base series: a candle column or an element-wise composite of columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Src {
    Open,
    High,
    Low,
    Close,
    Volume,
    /// `((high + low) + close) / 3`
    Typical,
    /// `(high + low) / 2`
    Hl2,
    TrueRange,
    /// `typical * volume`
    TypicalVolume,
    /// CMF's close location value times volume.
    ClvVolume,
    /// MFI's money flow on rising / non-rising typical price.
    MoneyFlowUp,
    MoneyFlowDown,
    /// RSI gains and losses (`loss` carries `-0.0`).
    Gain,
    Loss,
    /// ADX directional movement.
    PlusDm,
    MinusDm,
}

/// A memoised indicator series, keyed by what it is and its windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ind {
    Src(Src),
    RollMean(Src, usize),
    RollSum(Src, usize),
    RollStd(Src, usize),
    RollMax(Src, usize),
    RollMin(Src, usize),
    Ewm(Src, usize),
    RsiA(usize),
    RsiB(usize),
    /// `ewm(close, fast) - ewm(close, slow)`
    MacdLine(usize, usize),
    StochK(usize),
    /// `roll_mean(StochK(k), d)`
    StochD(usize, usize),
    WilliamsR(usize),
    Cci(usize),
    PlusDi(usize),
    MinusDi(usize),
    /// `(di_period, adx_period)`
    Adx(usize, usize),
    Hull(usize),
    Vwap(usize),
    /// `(roll_max(high, n) + roll_min(low, n)) / 2`
    IchimokuMid(usize),
    Trix(usize),
    /// Aroon up / down over windows of `period + 1`.
    AroonUp(usize),
    AroonDown(usize),
    Mfi(usize),
    Cmf(usize),
    Fisher(usize),
    /// `roll_mean(pct_change(close, r), w)`, one KST component.
    RocMean(usize, usize),
    Kst(usize, usize, usize, usize),
}

type Slot = Arc<OnceLock<Arc<[f64]>>>;

/// The signals of a batch of combinations computed in one pass, by member, each waiting
/// to be taken once by its own combination.
type Batch = Arc<OnceLock<Mutex<HashMap<usize, Vec<i8>>>>>;

/// Indicator series over one candle series, computed on first use. `Sync`: combinations
/// evaluated on several threads share it; a series asked for by two threads at once is
/// computed by one of them while the other waits.
pub struct IndicatorCache<'a> {
    candles: &'a Candles,
    slots: Mutex<HashMap<Ind, Slot>>,
    batches: Mutex<HashMap<Ind, Batch>>,
}

impl<'a> IndicatorCache<'a> {
    pub fn new(candles: &'a Candles) -> IndicatorCache<'a> {
        IndicatorCache { candles, slots: Mutex::new(HashMap::new()), batches: Mutex::new(HashMap::new()) }
    }

    pub fn candles(&self) -> &'a Candles {
        self.candles
    }

    /// Number of bars.
    pub fn len(&self) -> usize {
        self.candles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.candles.is_empty()
    }

    /// Number of series computed so far.
    pub fn cached(&self) -> usize {
        self.slots.lock().unwrap_or_else(|e| e.into_inner()).values().filter(|s| s.get().is_some()).count()
    }

    /// Drop every memoised series (e.g. between strategies of a sweep, to bound memory).
    pub fn clear(&self) {
        self.slots.lock().unwrap_or_else(|e| e.into_inner()).clear();
        self.batches.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// The series `ind`, computed once.
    pub fn get(&self, ind: Ind) -> Arc<[f64]> {
        let slot = {
            let mut map = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(map.entry(ind).or_default())
        };
        // Computed outside the map lock: a series may ask for the series it is built on.
        Arc::clone(slot.get_or_init(|| super::series::compute(self, ind).into()))
    }

    /// The signal of member `member` of the batch keyed by `key`: on the batch's first use
    /// `make` computes the signals of all its members in one pass (a second thread asking
    /// meanwhile waits for it); each member's signal is then taken by the first to ask for
    /// it. `None` when the batch has no such member or it was taken already.
    pub fn take_batched(&self, key: Ind, member: usize, make: impl FnOnce() -> HashMap<usize, Vec<i8>>) -> Option<Vec<i8>> {
        let batch = {
            let mut map = self.batches.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(map.entry(key).or_default())
        };
        let members = batch.get_or_init(|| Mutex::new(make()));
        // Bound first: the guard must end before `batch` does.
        let taken = members.lock().unwrap_or_else(|e| e.into_inner()).remove(&member);
        taken
    }

    /// A base series (candle column or composite).
    pub fn src(&self, src: Src) -> Arc<[f64]> {
        self.get(Ind::Src(src))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candles() -> Candles {
        let close = vec![1.0, 2.0, 3.0, 2.5, 4.0, 3.0];
        Candles {
            open_time: (0..6).collect(),
            open: close.clone(),
            high: close.iter().map(|c| c + 0.5).collect(),
            low: close.iter().map(|c| c - 0.5).collect(),
            close,
            volume: vec![1.0; 6],
        }
    }

    #[test]
    fn series_are_computed_once_and_shared() {
        let c = candles();
        let cache = IndicatorCache::new(&c);
        let a = cache.get(Ind::RollMean(Src::Close, 2));
        let b = cache.get(Ind::RollMean(Src::Close, 2));
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(a[1], 1.5);
        // The mean and its source column.
        assert_eq!(cache.cached(), 2);
        cache.clear();
        assert_eq!(cache.cached(), 0);
    }

    #[test]
    fn batched_signals_are_computed_once_and_taken_once() {
        let c = candles();
        let cache = IndicatorCache::new(&c);
        let key = Ind::Kst(1, 2, 3, 4);
        let made = std::sync::atomic::AtomicUsize::new(0);
        let make = || {
            made.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            HashMap::from([(5, vec![1i8; 6]), (7, vec![-1i8; 6])])
        };
        assert_eq!(cache.take_batched(key, 7, make), Some(vec![-1; 6]));
        assert_eq!(cache.take_batched(key, 7, make), None);
        assert_eq!(cache.take_batched(key, 5, make), Some(vec![1; 6]));
        assert_eq!(cache.take_batched(key, 9, make), None);
        assert_eq!(made.load(std::sync::atomic::Ordering::Relaxed), 1);
        // Cleared with the series: a new batch is made on the next use.
        cache.clear();
        assert_eq!(cache.take_batched(key, 5, make), Some(vec![1; 6]));
        assert_eq!(made.load(std::sync::atomic::Ordering::Relaxed), 2);
    }

    #[test]
    fn cache_is_sync() {
        fn is_sync<T: Sync>() {}
        is_sync::<IndicatorCache<'static>>();
    }
}
