//! How each memoised indicator series is computed from candles and other series, in the
//! reference's exact order of operations.

use crate::indicators::{self as ind, ewm, roll_max, roll_mean, roll_min, roll_std, roll_sum};

use super::cache::{IndicatorCache, Ind, Src};

pub(crate) fn compute(k: &IndicatorCache<'_>, which: Ind) -> Vec<f64> {
    let c = k.candles();
    match which {
        Ind::Src(s) => source(k, s),
        Ind::RollMean(s, n) => roll_mean(&k.src(s), n),
        Ind::RollSum(s, n) => roll_sum(&k.src(s), n),
        Ind::RollStd(s, n) => roll_std(&k.src(s), n),
        Ind::RollMax(s, n) => roll_max(&k.src(s), n),
        Ind::RollMin(s, n) => roll_min(&k.src(s), n),
        Ind::Ewm(s, span) => ewm(&k.src(s), span),
        Ind::RsiA(p) => ind::rsi::rsi_a_from(&k.get(Ind::RollMean(Src::Gain, p)), &k.get(Ind::RollMean(Src::Loss, p))),
        Ind::RsiB(p) => ind::rsi::rsi_b_from(&k.get(Ind::RollMean(Src::Gain, p)), &k.get(Ind::RollMean(Src::Loss, p))),
        Ind::MacdLine(fast, slow) => {
            let (f, s) = (k.get(Ind::Ewm(Src::Close, fast)), k.get(Ind::Ewm(Src::Close, slow)));
            zip(&f, &s, |a, b| a - b)
        }
        Ind::StochK(p) => {
            let (ll, hh) = (k.get(Ind::RollMin(Src::Low, p)), k.get(Ind::RollMax(Src::High, p)));
            (0..c.len()).map(|i| ratio_or_nan(100.0 * (c.close[i] - ll[i]), hh[i] - ll[i])).collect()
        }
        Ind::StochD(p, d) => roll_mean(&k.get(Ind::StochK(p)), d),
        Ind::WilliamsR(p) => {
            let (hh, ll) = (k.get(Ind::RollMax(Src::High, p)), k.get(Ind::RollMin(Src::Low, p)));
            (0..c.len()).map(|i| ratio_or_nan(-100.0 * (hh[i] - c.close[i]), hh[i] - ll[i])).collect()
        }
        Ind::Cci(p) => {
            let tp = k.src(Src::Typical);
            let mean = k.get(Ind::RollMean(Src::Typical, p));
            let mad = ind::roll_mad(&tp, p);
            (0..c.len()).map(|i| ratio_or_nan(tp[i] - mean[i], 0.015 * mad[i])).collect()
        }
        Ind::PlusDi(di) => directional_index(k, Src::PlusDm, di),
        Ind::MinusDi(di) => directional_index(k, Src::MinusDm, di),
        Ind::Adx(di, adx) => {
            let (p, m) = (k.get(Ind::PlusDi(di)), k.get(Ind::MinusDi(di)));
            let dx = zip(&p, &m, |p, m| 100.0 * ((p - m).abs() / ((p + m) + 1e-10)));
            roll_mean(&dx, adx)
        }
        Ind::Hull(p) => {
            let h = (p / 2).max(1);
            let q = (p as f64).sqrt().floor().max(1.0) as usize;
            let (mh, mp) = (k.get(Ind::RollMean(Src::Close, h)), k.get(Ind::RollMean(Src::Close, p)));
            roll_mean(&zip(&mh, &mp, |a, b| 2.0 * a - b), q)
        }
        Ind::Vwap(p) => {
            let (pv, v) = (k.get(Ind::RollSum(Src::TypicalVolume, p)), k.get(Ind::RollSum(Src::Volume, p)));
            zip(&pv, &v, |pv, v| pv / (v + 1e-10))
        }
        Ind::IchimokuMid(n) => {
            let (hh, ll) = (k.get(Ind::RollMax(Src::High, n)), k.get(Ind::RollMin(Src::Low, n)));
            zip(&hh, &ll, |h, l| (h + l) / 2.0)
        }
        Ind::Trix(p) => {
            let e3 = ewm(&ewm(&k.get(Ind::Ewm(Src::Close, p)), p), p);
            let mut out = vec![f64::NAN; e3.len()];
            for i in 1..e3.len() {
                out[i] = (e3[i] / e3[i - 1] - 1.0) * 100.0;
            }
            out
        }
        Ind::AroonUp(p) => ind::roll_argmax(&c.high, p + 1).into_iter().map(|a| (a / p as f64) * 100.0).collect(),
        Ind::AroonDown(p) => ind::roll_argmin(&c.low, p + 1).into_iter().map(|a| (a / p as f64) * 100.0).collect(),
        Ind::Mfi(p) => {
            let (pos, neg) = (k.get(Ind::RollSum(Src::MoneyFlowUp, p)), k.get(Ind::RollSum(Src::MoneyFlowDown, p)));
            zip(&pos, &neg, |pos, neg| 100.0 - 100.0 / (1.0 + pos / (neg + 1e-10)))
        }
        Ind::Cmf(p) => {
            let (cv, v) = (k.get(Ind::RollSum(Src::ClvVolume, p)), k.get(Ind::RollSum(Src::Volume, p)));
            zip(&cv, &v, |cv, v| cv / (v + 1e-10))
        }
        Ind::Fisher(p) => fisher(k, p),
        Ind::RocMean(r, w) => roll_mean(&ind::pct_change(&c.close, r), w),
        Ind::Kst(r1, r2, r3, r4) => {
            let rc = |r: usize, w: usize| k.get(Ind::RocMean(r, w));
            let (a, b, cc, d) = (rc(r1, 10), rc(r2, 10), rc(r3, 10), rc(r4, 15));
            (0..c.len()).map(|i| ((a[i] * 1.0 + b[i] * 2.0) + cc[i] * 3.0) + d[i] * 4.0).collect()
        }
    }
}

fn source(k: &IndicatorCache<'_>, s: Src) -> Vec<f64> {
    let c = k.candles();
    match s {
        Src::Open => c.open.clone(),
        Src::High => c.high.clone(),
        Src::Low => c.low.clone(),
        Src::Close => c.close.clone(),
        Src::Volume => c.volume.clone(),
        Src::Typical => ind::typical(&c.high, &c.low, &c.close),
        Src::Hl2 => ind::hl2(&c.high, &c.low),
        Src::TrueRange => ind::true_range(&c.high, &c.low, &c.close),
        Src::TypicalVolume => zip(&k.src(Src::Typical), &c.volume, |t, v| t * v),
        Src::ClvVolume => (0..c.len())
            .map(|i| {
                let (h, l, cl) = (c.high[i], c.low[i], c.close[i]);
                (((cl - l) - (h - cl)) / ((h - l) + 1e-10)) * c.volume[i]
            })
            .collect(),
        Src::MoneyFlowUp | Src::MoneyFlowDown => {
            let tp = k.src(Src::Typical);
            let up = s == Src::MoneyFlowUp;
            (0..c.len())
                .map(|i| {
                    let mf = tp[i] * c.volume[i];
                    let d = if i == 0 { f64::NAN } else { tp[i] - tp[i - 1] };
                    let keep = if up { d > 0.0 } else { d <= 0.0 };
                    if keep {
                        mf
                    } else {
                        0.0
                    }
                })
                .collect()
        }
        Src::Gain => ind::rsi::gains_losses(&c.close).0,
        Src::Loss => ind::rsi::gains_losses(&c.close).1,
        Src::PlusDm => ind::trend::directional_movement(&c.high, &c.low).0,
        Src::MinusDm => ind::trend::directional_movement(&c.high, &c.low).1,
    }
}

/// `100 * (roll_mean(dm, di) / roll_mean(true_range, di))`.
fn directional_index(k: &IndicatorCache<'_>, dm: Src, di: usize) -> Vec<f64> {
    let (m, atr) = (k.get(Ind::RollMean(dm, di)), k.get(Ind::RollMean(Src::TrueRange, di)));
    zip(&m, &atr, |m, a| 100.0 * (m / a))
}

/// Fisher transform of the min-max normalised `hl2` over `p` bars.
fn fisher(k: &IndicatorCache<'_>, p: usize) -> Vec<f64> {
    let (mn, mx, hl2) = (k.get(Ind::RollMin(Src::Hl2, p)), k.get(Ind::RollMax(Src::Hl2, p)), k.src(Src::Hl2));
    let raw: Vec<f64> = (0..hl2.len())
        .map(|i| ind::basic::clip_one(2.0 * ((hl2[i] - mn[i]) / ((mx[i] - mn[i]) + 1e-10)) - 1.0, -0.999, 0.999))
        .collect();
    ewm(&raw, 5)
        .into_iter()
        .map(|v| {
            let v = ind::basic::clip_one(v, -0.999, 0.999);
            ((1.0 + v) / (1.0 - v)).ln() / 2.0
        })
        .collect()
}

/// `a / b` with NaN where `b == 0` (pandas `.replace(0, np.nan)` on the denominator).
#[inline]
fn ratio_or_nan(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        f64::NAN
    } else {
        a / b
    }
}

fn zip(a: &[f64], b: &[f64], f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect()
}
