//! Band and flow strategies: Bollinger Bands, Keltner Channel, VWAP Bands, Squeeze, CMF.

use super::cache::{IndicatorCache, Ind, Src};
use super::combo::Combo;
use super::params::ParamSpec;
use super::registry::StrategyDef;
use super::signal::fill;
use super::{MULT, PERIOD};

const P_MIN: f64 = PERIOD.0;
const P_MAX: f64 = PERIOD.1;
const M_MIN: f64 = MULT.0;
const M_MAX: f64 = MULT.1;

pub static BOLLINGER: StrategyDef = StrategyDef {
    name: "Bollinger Bands",
    aliases: &[],
    params: &[
        ParamSpec::int("period", P_MIN, P_MAX, &[3., 5., 7., 10., 14., 18., 20., 25., 30., 40., 50., 60., 80., 100.]),
        ParamSpec::float(
            "num_std",
            M_MIN,
            M_MAX,
            &[0.3, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 2.75, 3.0, 3.5, 4.0],
        ),
    ],
    grid_order: &[0, 1],
    constraints: &[],
    generate: bollinger,
};

fn bollinger(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let (p, m) = (c.period("period"), c.param_f64("num_std"));
    let close = &k.candles().close;
    let (mid, sd) = (k.get(Ind::RollMean(Src::Close, p)), k.get(Ind::RollStd(Src::Close, p)));
    let n = out.len();
    let (close, mid, sd) = (&close[..n], &mid[..n], &sd[..n]);
    fill(out, p, |i| close[i] < mid[i] - m * sd[i], |i| close[i] > mid[i] + m * sd[i]);
}

pub static KELTNER: StrategyDef = StrategyDef {
    name: "Keltner Channel",
    aliases: &[],
    params: &[
        ParamSpec::int("ema_period", P_MIN, P_MAX, &[3., 5., 7., 10., 14., 20., 25., 30., 40., 50.]),
        ParamSpec::int("atr_period", P_MIN, P_MAX, &[3., 5., 7., 10., 14., 20., 25., 30.]),
        ParamSpec::float("atr_mult", M_MIN, M_MAX, &[0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]),
    ],
    grid_order: &[0, 1, 2],
    constraints: &[],
    generate: keltner,
};

fn keltner(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let (ep, ap, m) = (c.period("ema_period"), c.period("atr_period"), c.param_f64("atr_mult"));
    let close = &k.candles().close;
    let (e, atr) = (k.get(Ind::Ewm(Src::Close, ep)), k.get(Ind::RollMean(Src::TrueRange, ap)));
    let n = out.len();
    let (close, e, atr) = (&close[..n], &e[..n], &atr[..n]);
    fill(out, ep.max(ap), |i| close[i] > e[i] + m * atr[i], |i| close[i] < e[i] - m * atr[i]);
}

pub static VWAP_BANDS: StrategyDef = StrategyDef {
    name: "VWAP Bands",
    aliases: &[],
    params: &[
        ParamSpec::int("period", P_MIN, P_MAX, &[5., 7., 10., 14., 20., 25., 30., 40., 50., 60., 80., 100.]),
        ParamSpec::float("num_std", M_MIN, M_MAX, &[0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 2.75, 3.0, 3.5]),
    ],
    grid_order: &[0, 1],
    constraints: &[],
    generate: vwap_bands,
};

fn vwap_bands(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let (p, m) = (c.period("period"), c.param_f64("num_std"));
    let close = &k.candles().close;
    let (vwap, sd) = (k.get(Ind::Vwap(p)), k.get(Ind::RollStd(Src::Typical, p)));
    let n = out.len();
    let (close, vwap, sd) = (&close[..n], &vwap[..n], &sd[..n]);
    fill(out, p, |i| close[i] < vwap[i] - m * sd[i], |i| close[i] > vwap[i] + m * sd[i]);
}

pub static SQUEEZE: StrategyDef = StrategyDef {
    name: "Squeeze",
    aliases: &[],
    params: &[
        ParamSpec::int("bb_period", P_MIN, P_MAX, &[10., 14., 20., 25., 30., 40.]),
        ParamSpec::float("bb_std", M_MIN, M_MAX, &[1.5, 2.0, 2.5, 3.0, 3.5, 4.0]),
        ParamSpec::int("kc_period", P_MIN, P_MAX, &[10., 14., 20., 25., 30., 40.]),
        ParamSpec::float("kc_mult", M_MIN, M_MAX, &[1.0, 1.25, 1.5, 2.0, 2.5, 3.0]),
    ],
    grid_order: &[0, 1, 2, 3],
    constraints: &[],
    generate: squeeze,
};

/// Momentum breakouts while Bollinger Bands are *not* inside the Keltner Channel.
fn squeeze(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let (bp, bs) = (c.period("bb_period"), c.param_f64("bb_std"));
    let (kp, km) = (c.period("kc_period"), c.param_f64("kc_mult"));
    let close = &k.candles().close;
    let (mid, sd) = (k.get(Ind::RollMean(Src::Close, bp)), k.get(Ind::RollStd(Src::Close, bp)));
    let (e, atr) = (k.get(Ind::Ewm(Src::Close, kp)), k.get(Ind::RollMean(Src::TrueRange, kp)));
    let n = out.len();
    let (close, mid, sd, e, atr) = (&close[..n], &mid[..n], &sd[..n], &e[..n], &atr[..n]);
    let off = |i: usize| {
        let (bb_up, bb_lo) = (mid[i] + bs * sd[i], mid[i] - bs * sd[i]);
        let (kc_up, kc_lo) = (e[i] + km * atr[i], e[i] - km * atr[i]);
        !((bb_lo > kc_lo) & (bb_up < kc_up))
    };
    let mom = |i: usize| close[i] - mid[i];
    let prev = |i: usize| if i == 0 { f64::NAN } else { mom(i - 1) };
    fill(
        out,
        bp.max(kp),
        |i| off(i) & (mom(i) > 0.0) & (mom(i) > prev(i)),
        |i| off(i) & (mom(i) < 0.0) & (mom(i) < prev(i)),
    );
}

pub static CMF: StrategyDef = StrategyDef {
    name: "CMF",
    aliases: &[],
    params: &[
        ParamSpec::int("period", P_MIN, P_MAX, &[5., 7., 10., 14., 20., 25., 30., 40., 50., 60.]),
        ParamSpec::float("threshold", 0.0, 1.0, &[0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2]),
    ],
    grid_order: &[0, 1],
    constraints: &[],
    generate: cmf,
};

fn cmf(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let (p, thr) = (c.period("period"), c.param_f64("threshold"));
    let cmf = k.get(Ind::Cmf(p));
    let cmf = &cmf[..out.len()];
    fill(out, p, |i| cmf[i] > thr, |i| cmf[i] < -thr);
}
