//! Trend-state strategies: Supertrend, ADX Trend, Parabolic SAR.

use crate::indicators::trend::{psar_into, supertrend_into};

use super::cache::{IndicatorCache, Ind, Src};
use super::combo::Combo;
use super::params::ParamSpec;
use super::registry::StrategyDef;
use super::signal::fill;
use super::{LEVEL, MULT, PERIOD};

const P_MIN: f64 = PERIOD.0;
const P_MAX: f64 = PERIOD.1;

pub static SUPERTREND: StrategyDef = StrategyDef {
    name: "Supertrend",
    aliases: &[],
    params: &[
        ParamSpec::int("atr_period", P_MIN, P_MAX, &[3., 5., 7., 10., 12., 14., 18., 20., 25., 30., 40., 50.]),
        ParamSpec::float(
            "multiplier",
            MULT.0,
            MULT.1,
            &[0.3, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 6.0],
        ),
    ],
    grid_order: &[0, 1],
    constraints: &[],
    generate: supertrend,
};

fn supertrend(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let (p, m) = (c.period("atr_period"), c.param_f64("multiplier"));
    let (hl2, atr) = (k.src(Src::Hl2), k.get(Ind::RollMean(Src::TrueRange, p)));
    // The direction is the signal: +1 buys, -1 sells.
    supertrend_into(&k.candles().close, &hl2, &atr, p, m, out);
    let warm = p.min(out.len());
    out[..warm].fill(0);
}

pub static ADX_TREND: StrategyDef = StrategyDef {
    name: "ADX Trend",
    aliases: &[],
    params: &[
        ParamSpec::int("adx_period", P_MIN, P_MAX, &[5., 7., 10., 14., 20., 25., 30.]),
        ParamSpec::int("di_period", P_MIN, P_MAX, &[5., 7., 10., 14., 20., 25.]),
        ParamSpec::int("threshold", LEVEL.0, LEVEL.1, &[15., 20., 25., 30., 35., 40., 45.]),
    ],
    // The reference loops adx_period, threshold, di_period (innermost).
    grid_order: &[0, 2, 1],
    constraints: &[],
    generate: adx_trend,
};

fn adx_trend(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let (ap, dp, thr) = (c.period("adx_period"), c.period("di_period"), c.param_f64("threshold"));
    let (pdi, mdi, adx) = (k.get(Ind::PlusDi(dp)), k.get(Ind::MinusDi(dp)), k.get(Ind::Adx(dp, ap)));
    let n = out.len();
    let (pdi, mdi, adx) = (&pdi[..n], &mdi[..n], &adx[..n]);
    fill(out, dp + ap, |i| (pdi[i] > mdi[i]) & (adx[i] > thr), |i| (mdi[i] > pdi[i]) & (adx[i] > thr));
}

pub static PARABOLIC_SAR: StrategyDef = StrategyDef {
    name: "Parabolic SAR",
    aliases: &[],
    params: &[
        ParamSpec::float("af_start", 0.0, 1.0, &[0.005, 0.01, 0.015, 0.02, 0.025, 0.03]),
        ParamSpec::float("af_increment", 0.0, 1.0, &[0.005, 0.01, 0.015, 0.02, 0.025]),
        ParamSpec::float("af_max", 0.0, 1.0, &[0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4]),
    ],
    grid_order: &[0, 1, 2],
    constraints: &[],
    generate: parabolic_sar,
};

fn parabolic_sar(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let (s, inc, max) = (c.param_f64("af_start"), c.param_f64("af_increment"), c.param_f64("af_max"));
    let candles = k.candles();
    psar_into(&candles.high, &candles.low, s, inc, max, out);
}
