//! Price-versus-level strategies: Momentum, Breakout, Hull MA, Donchian ATR, Ichimoku, Aroon.

use crate::indicators::{max2, min2};

use super::cache::{IndicatorCache, Ind, Src};
use super::combo::Combo;
use super::params::{Constraint, ParamSpec};
use super::registry::StrategyDef;
use super::signal::fill;
use super::{LEVEL, PERIOD};

const P_MIN: f64 = PERIOD.0;
const P_MAX: f64 = PERIOD.1;

pub static MOMENTUM: StrategyDef = StrategyDef {
    name: "Momentum",
    aliases: &["Momentum Strategy"],
    params: &[ParamSpec::int(
        "lookback",
        P_MIN,
        P_MAX,
        &[3., 5., 7., 10., 14., 20., 25., 30., 40., 50., 60., 75., 100., 120., 150., 175., 200., 250., 300., 350., 400., 450., 500., 550., 600.],
    )],
    grid_order: &[0],
    constraints: &[],
    generate: momentum,
};

fn momentum(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let lb = c.period("lookback");
    let close = &k.candles().close;
    let sma = k.get(Ind::RollMean(Src::Close, lb));
    let n = out.len();
    let (close, sma) = (&close[..n], &sma[..n]);
    fill(out, lb, |i| close[i] > sma[i], |i| close[i] < sma[i]);
}

pub static BREAKOUT: StrategyDef = StrategyDef {
    name: "Breakout",
    aliases: &[],
    params: &[ParamSpec::int(
        "lookback",
        P_MIN,
        P_MAX,
        &[3., 5., 7., 10., 12., 14., 18., 20., 25., 30., 40., 50., 60., 75., 100., 120., 150., 200., 250., 300., 350., 400.],
    )],
    grid_order: &[0],
    constraints: &[],
    generate: breakout,
};

fn breakout(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let lb = c.period("lookback");
    let close = &k.candles().close;
    let (hh, ll) = (k.get(Ind::RollMax(Src::High, lb)), k.get(Ind::RollMin(Src::Low, lb)));
    let prev = |x: &[f64], i: usize| if i == 0 { f64::NAN } else { x[i - 1] };
    fill(out, lb + 1, |i| close[i] > prev(&hh, i), |i| close[i] < prev(&ll, i));
}

pub static HULL_MA: StrategyDef = StrategyDef {
    name: "Hull MA",
    aliases: &[],
    params: &[ParamSpec::int(
        "period",
        P_MIN,
        P_MAX,
        &[5., 7., 9., 12., 14., 16., 20., 25., 30., 35., 40., 50., 60., 75., 80., 100., 120., 150., 175., 200., 250., 300.],
    )],
    grid_order: &[0],
    constraints: &[],
    generate: hull_ma,
};

fn hull_ma(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let p = c.period("period");
    let q = (p as f64).sqrt().floor().max(1.0) as usize;
    let hma = k.get(Ind::Hull(p));
    let prev = |i: usize| if i == 0 { f64::NAN } else { hma[i - 1] };
    fill(out, p + q, |i| hma[i] > prev(i), |i| hma[i] < prev(i));
}

pub static DONCHIAN_ATR: StrategyDef = StrategyDef {
    name: "Donchian ATR",
    aliases: &[],
    params: &[
        ParamSpec::int("donch_period", P_MIN, P_MAX, &[5., 7., 10., 14., 20., 25., 30., 40., 50., 60.]),
        ParamSpec::int("atr_period", P_MIN, P_MAX, &[5., 7., 10., 14., 20., 25., 30.]),
        ParamSpec::float("atr_mult", 0.0, 100.0, &[0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0]),
    ],
    grid_order: &[0, 1, 2],
    constraints: &[],
    generate: donchian_atr,
};

fn donchian_atr(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let (dp, ap, mult) = (c.period("donch_period"), c.period("atr_period"), c.param_f64("atr_mult"));
    let close = &k.candles().close;
    let (hh, atr) = (k.get(Ind::RollMax(Src::High, dp)), k.get(Ind::RollMean(Src::TrueRange, ap)));
    let upper = |i: usize| if i == 0 { f64::NAN } else { hh[i - 1] };
    fill(out, dp.max(ap), |i| close[i] > upper(i), |i| close[i] < upper(i) - mult * atr[i]);
}

pub static ICHIMOKU: StrategyDef = StrategyDef {
    name: "Ichimoku",
    aliases: &[],
    params: &[
        ParamSpec::int("tenkan", P_MIN, P_MAX, &[5., 7., 9., 12., 15., 20.]),
        ParamSpec::int("kijun", P_MIN, P_MAX, &[15., 20., 26., 30., 40., 52.]),
        ParamSpec::int("senkou_b", P_MIN, P_MAX, &[30., 40., 52., 65.]),
    ],
    grid_order: &[0, 1, 2],
    constraints: &[Constraint::less("tenkan", "kijun"), Constraint::less("kijun", "senkou_b")],
    generate: ichimoku,
};

fn ichimoku(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let (t, kj, sb) = (c.period("tenkan"), c.period("kijun"), c.period("senkou_b"));
    let close = &k.candles().close;
    let (ts, ks, span_b) = (k.get(Ind::IchimokuMid(t)), k.get(Ind::IchimokuMid(kj)), k.get(Ind::IchimokuMid(sb)));
    let span_a = |i: usize| (ts[i] + ks[i]) / 2.0;
    fill(
        out,
        sb,
        |i| ts[i] > ks[i] && close[i] > max2(span_a(i), span_b[i]),
        |i| ts[i] < ks[i] && close[i] < min2(span_a(i), span_b[i]),
    );
}

pub static AROON: StrategyDef = StrategyDef {
    name: "Aroon",
    aliases: &[],
    params: &[
        ParamSpec::int("period", P_MIN, P_MAX, &[7., 10., 14., 20., 25., 30., 40., 50., 60., 75.]),
        ParamSpec::int("threshold", LEVEL.0, LEVEL.1, &[50., 55., 60., 65., 70., 75., 80., 85.]),
    ],
    grid_order: &[0, 1],
    constraints: &[],
    generate: aroon,
};

fn aroon(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let (p, thr) = (c.period("period"), c.param_f64("threshold"));
    let (up, down) = (k.get(Ind::AroonUp(p)), k.get(Ind::AroonDown(p)));
    let other = 100.0 - thr;
    let n = out.len();
    let (up, down) = (&up[..n], &down[..n]);
    fill(out, p + 1, |i| (up[i] > thr) & (down[i] < other), |i| (down[i] > thr) & (up[i] < other));
}
