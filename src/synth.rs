//! Deterministic synthetic candles: a regime-switching geometric random walk with
//! volatility clusters, driven by a SplitMix64 stream seeded from `(seed, symbol)`.
//!
//! Only `+ - * /` and `sqrt` (all correctly rounded in IEEE 754) touch the prices, so the
//! same inputs give bit-identical candles on every machine.

use chrono::{Datelike, NaiveDate};

use crate::candles::Candles;
use crate::timeframe::Timeframe;

/// Where default series end: the last candle closes at 2025-01-01T00:00:00Z.
pub const DEFAULT_END_MS: i64 = 1_735_689_600_000;

/// Most bars one series may hold.
pub const MAX_BARS: usize = 20_000_000;

/// Binance's weekly candles open on Mondays; 1970-01-05 was the first.
const MONDAY_OFFSET_MS: i64 = 4 * 86_400_000;

const HOUR_MS: f64 = 3_600_000.0;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SynthError {
    #[error("bar count `{0}` is out of range; allowed: 1 to {MAX_BARS}")]
    Bars(usize),
    #[error("`{bars}` `{tf}` bars from `{start}` ms leave the representable time range")]
    TimeRange { bars: usize, tf: Timeframe, start: i64 },
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthSpec {
    pub symbol: String,
    pub tf: Timeframe,
    pub bars: usize,
    pub seed: u64,
    /// First open time (ms, aligned up to the interval); `None` ends at [`DEFAULT_END_MS`].
    pub start: Option<i64>,
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast and good enough for test data.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Approximately standard normal: the Irwin–Hall sum of 12 uniforms minus 6 (no libm).
    pub fn normal(&mut self) -> f64 {
        let mut s = 0.0;
        for _ in 0..12 {
            s += self.uniform();
        }
        s - 6.0
    }
}

/// The stream seed of one symbol: FNV-1a of its name mixed into the user's seed.
pub fn symbol_seed(seed: u64, symbol: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in symbol.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    SplitMix64::new(seed ^ h).next_u64()
}

/// Open times of `bars` candles on `tf` boundaries (UTC; weeks on Mondays, months on the 1st).
pub fn open_times(tf: Timeframe, bars: usize, start: Option<i64>) -> Result<Vec<i64>, SynthError> {
    if bars == 0 || bars > MAX_BARS {
        return Err(SynthError::Bars(bars));
    }
    let range_err = || SynthError::TimeRange { bars, tf, start: start.unwrap_or(DEFAULT_END_MS) };
    if tf == Timeframe::Mo1 {
        return month_times(bars, start).ok_or_else(range_err);
    }
    let step = tf.millis();
    let off = if tf == Timeframe::W1 { MONDAY_OFFSET_MS } else { 0 };
    let span = step.checked_mul(bars as i64 - 1).ok_or_else(range_err)?;
    let first = match start {
        // Round up so no candle opens before the requested start.
        Some(s) => {
            let rel = s.checked_sub(off).ok_or_else(range_err)?;
            let up = if rel.rem_euclid(step) == 0 { 0 } else { step };
            (rel.div_euclid(step) * step).checked_add(off + up).ok_or_else(range_err)?
        }
        None => (DEFAULT_END_MS - off).div_euclid(step) * step + off - step - span,
    };
    first.checked_add(span).ok_or_else(range_err)?;
    Ok((0..bars as i64).map(|i| first + i * step).collect())
}

fn month_times(bars: usize, start: Option<i64>) -> Option<Vec<i64>> {
    let to_index = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
    let first = match start {
        Some(s) => {
            let d = chrono::DateTime::from_timestamp_millis(s)?.date_naive();
            let i = to_index(d);
            if d.day() == 1 && s.rem_euclid(86_400_000) == 0 { i } else { i + 1 }
        }
        None => to_index(chrono::DateTime::from_timestamp_millis(DEFAULT_END_MS)?.date_naive()) - bars as i64,
    };
    (first..first + bars as i64)
        .map(|i| {
            let d = NaiveDate::from_ymd_opt(i32::try_from(i.div_euclid(12)).ok()?, i.rem_euclid(12) as u32 + 1, 1)?;
            Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
        })
        .collect()
}

/// A market mood: drift per hour and a volatility multiplier.
#[derive(Debug, Clone, Copy)]
struct Regime {
    drift_per_hour: f64,
    vol: f64,
}

const REGIMES: [Regime; 4] = [
    Regime { drift_per_hour: 0.0, vol: 0.7 },      // quiet range
    Regime { drift_per_hour: 0.0004, vol: 1.0 },   // uptrend
    Regime { drift_per_hour: -0.0004, vol: 1.2 },  // downtrend
    Regime { drift_per_hour: 0.0, vol: 2.2 },      // turbulence
];

/// Hourly volatility of the calm state (about BTC's).
const BASE_VOL_PER_HOUR: f64 = 0.006;
/// Mean regime length in hours.
const REGIME_HOURS: f64 = 240.0;

/// Generate the candles `spec` describes.
pub fn generate(spec: &SynthSpec) -> Result<Candles, SynthError> {
    let times = open_times(spec.tf, spec.bars, spec.start)?;
    let mut rng = SplitMix64::new(symbol_seed(spec.seed, &spec.symbol));
    let hours = spec.tf.millis() as f64 / HOUR_MS;
    let vol_per_bar = BASE_VOL_PER_HOUR * hours.sqrt();
    let switch_p = (hours / REGIME_HOURS).min(0.5);
    let levels = [0.05, 1.0, 20.0, 300.0, 3_000.0, 40_000.0];
    let mut price = levels[(rng.next_u64() % levels.len() as u64) as usize] * (0.5 + rng.uniform());
    let base_volume = 1_000_000.0 / price * (0.2 + rng.uniform()) * hours;
    let mut regime = REGIMES[(rng.next_u64() % REGIMES.len() as u64) as usize];
    // GARCH(1,1)-like variance multiplier with mean 1: shocks make the next bars wilder.
    let mut cluster: f64 = 1.0;
    let mut c = Candles {
        open_time: times,
        open: Vec::with_capacity(spec.bars),
        high: Vec::with_capacity(spec.bars),
        low: Vec::with_capacity(spec.bars),
        close: Vec::with_capacity(spec.bars),
        volume: Vec::with_capacity(spec.bars),
    };
    for _ in 0..spec.bars {
        if rng.uniform() < switch_p {
            regime = REGIMES[(rng.next_u64() % REGIMES.len() as u64) as usize];
        }
        let sigma = vol_per_bar * regime.vol * cluster.sqrt();
        let mut z = rng.normal();
        if rng.uniform() < 0.002 {
            z *= 4.0; // a rare jump: crypto tails are fat
        }
        let r = (regime.drift_per_hour * hours + sigma * z).clamp(-0.5, 1.0);
        cluster = 0.05 + 0.90 * cluster + 0.05 * z * z;
        let open = price;
        let close = open * (1.0 + r);
        let wick_up = (rng.normal().abs() * sigma * 0.6).min(0.5);
        let wick_down = (rng.normal().abs() * sigma * 0.6).min(0.5);
        // Multiplying by >= 1 (<= 1) never rounds below (above) the body: low <= open, close <= high.
        let high = open.max(close) * (1.0 + wick_up);
        let low = open.min(close) * (1.0 - wick_down);
        let activity = 1.0 + z.abs() + (regime.vol - 1.0).abs();
        let volume = base_volume * (0.3 + rng.uniform()) * activity;
        c.open.push(open);
        c.high.push(high);
        c.low.push(low);
        c.close.push(close);
        c.volume.push(volume);
        price = close;
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(symbol: &str, tf: Timeframe, bars: usize, seed: u64) -> SynthSpec {
        SynthSpec { symbol: symbol.into(), tf, bars, seed, start: None }
    }

    #[test]
    fn splitmix_reference_values() {
        // First outputs for seed 1234567 from the algorithm's published reference code.
        let mut r = SplitMix64::new(1234567);
        assert_eq!(r.next_u64(), 6457827717110365317);
        assert_eq!(r.next_u64(), 3203168211198807973);
    }

    #[test]
    fn deterministic_and_symbol_dependent() {
        let a = generate(&spec("BTCUSDT", Timeframe::H1, 500, 7)).unwrap();
        let b = generate(&spec("BTCUSDT", Timeframe::H1, 500, 7)).unwrap();
        let bits = |c: &Candles| c.close.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a), bits(&b));
        assert_eq!(a, b);
        let e = generate(&spec("ETHUSDT", Timeframe::H1, 500, 7)).unwrap();
        assert_ne!(a.close, e.close);
        let other = generate(&spec("BTCUSDT", Timeframe::H1, 500, 8)).unwrap();
        assert_ne!(a.close, other.close);
    }

    #[test]
    fn candles_are_valid_for_every_interval() {
        for tf in Timeframe::all() {
            let c = generate(&spec("SYN", tf, 3000, 42)).unwrap();
            assert_eq!(c.len(), 3000);
            for i in 0..c.len() {
                let (o, h, l, cl, v) = (c.open[i], c.high[i], c.low[i], c.close[i], c.volume[i]);
                assert!(l > 0.0 && l <= o.min(cl) && h >= o.max(cl), "{tf} bar {i}: {o} {h} {l} {cl}");
                assert!(v > 0.0 && v.is_finite(), "{tf} bar {i}: volume {v}");
                if i > 0 {
                    assert!(c.open_time[i] > c.open_time[i - 1]);
                    assert_eq!(o, c.close[i - 1]);
                }
            }
        }
    }

    #[test]
    fn has_regimes_and_clusters() {
        let c = generate(&spec("BTCUSDT", Timeframe::H1, 20_000, 1)).unwrap();
        let rets: Vec<f64> = c.close.windows(2).map(|w| (w[1] / w[0] - 1.0).abs()).collect();
        // Volatility clustering: mean absolute returns of 500-bar blocks differ a lot.
        let blocks: Vec<f64> = rets.chunks(500).map(|b| b.iter().sum::<f64>() / b.len() as f64).collect();
        let (lo, hi) = blocks.iter().fold((f64::MAX, 0.0f64), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        assert!(hi > 2.0 * lo, "blocks {lo} .. {hi}");
    }

    #[test]
    fn times_end_at_reference_or_start_at_boundary() {
        let t = open_times(Timeframe::H1, 3, None).unwrap();
        assert_eq!(t, vec![DEFAULT_END_MS - 3 * 3_600_000, DEFAULT_END_MS - 2 * 3_600_000, DEFAULT_END_MS - 3_600_000]);
        let jan1 = 1_704_067_200_000;
        assert_eq!(open_times(Timeframe::H4, 2, Some(jan1)).unwrap(), vec![jan1, jan1 + 14_400_000]);
        assert_eq!(open_times(Timeframe::H1, 1, Some(jan1 + 1)).unwrap(), vec![jan1 + 3_600_000]);
        // 2024-01-01 was a Monday.
        let w = open_times(Timeframe::W1, 2, Some(jan1 - 86_400_000)).unwrap();
        assert_eq!(w, vec![jan1, jan1 + 604_800_000]);
        let w = open_times(Timeframe::W1, 1, None).unwrap();
        assert_eq!((w[0] - MONDAY_OFFSET_MS).rem_euclid(604_800_000), 0);
        assert!(w[0] + 604_800_000 <= DEFAULT_END_MS);
        let m = open_times(Timeframe::Mo1, 2, None).unwrap();
        assert_eq!(m, vec![1_730_419_200_000, 1_733_011_200_000]); // 2024-11-01, 2024-12-01
        let m = open_times(Timeframe::Mo1, 2, Some(jan1 + 1)).unwrap();
        assert_eq!(m[0], 1_706_745_600_000); // 2024-02-01
        assert_eq!(open_times(Timeframe::H1, 0, None), Err(SynthError::Bars(0)));
        assert!(open_times(Timeframe::D1, 5, Some(i64::MAX - 10)).is_err());
    }
}
