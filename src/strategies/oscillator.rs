//! Oscillator strategies: Mean Reversion, Multi-Factor, Stochastic, Williams %R, CCI,
//! RSI+EMA, Double RSI, MFI, Fisher Transform.

use super::cache::{IndicatorCache, Ind, Src};
use super::combo::Combo;
use super::params::{Constraint, ParamSpec};
use super::registry::StrategyDef;
use super::signal::fill;
use super::{LEVEL, PERIOD};

const P_MIN: f64 = PERIOD.0;
const P_MAX: f64 = PERIOD.1;
const L_MIN: f64 = LEVEL.0;
const L_MAX: f64 = LEVEL.1;

pub static MEAN_REVERSION: StrategyDef = StrategyDef {
    name: "Mean Reversion",
    aliases: &[],
    params: &[
        ParamSpec::int("rsi_period", P_MIN, P_MAX, &[3., 5., 7., 10., 14., 18., 20., 25., 30., 40., 50., 60.]),
        ParamSpec::int("oversold", L_MIN, L_MAX, &[5., 10., 15., 20., 25., 30., 35., 40.]),
        ParamSpec::int("overbought", L_MIN, L_MAX, &[55., 60., 65., 70., 75., 80., 85., 90.]),
    ],
    grid_order: &[0, 1, 2],
    constraints: &[],
    generate: mean_reversion,
};

fn mean_reversion(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let p = c.period("rsi_period");
    let (lo, hi) = (c.param_f64("oversold"), c.param_f64("overbought"));
    let rsi = k.get(Ind::RsiA(p));
    let rsi = &rsi[..out.len()];
    fill(out, p, |i| rsi[i] < lo, |i| rsi[i] > hi);
}

pub static MULTI_FACTOR: StrategyDef = StrategyDef {
    name: "Multi-Factor",
    aliases: &[],
    params: &[
        ParamSpec::int("mom_lookback", P_MIN, P_MAX, &[3., 5., 7., 10., 14., 20., 30., 40., 50., 75., 100., 150., 200., 300.]),
        ParamSpec::int("rsi_period", P_MIN, P_MAX, &[3., 5., 7., 10., 14., 20., 25., 30., 40., 50.]),
    ],
    grid_order: &[0, 1],
    constraints: &[],
    generate: multi_factor,
};

/// `c = Momentum(mom_lookback) + Mean Reversion(rsi_period, 30, 70)`: buy `c >= 1`, sell
/// `c <= -2`, then also sell where momentum sells and mean reversion does not buy.
fn multi_factor(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let (lb, p) = (c.period("mom_lookback"), c.period("rsi_period"));
    let close = &k.candles().close;
    let (sma, rsi) = (k.get(Ind::RollMean(Src::Close, lb)), k.get(Ind::RsiA(p)));
    for (i, s) in out.iter_mut().enumerate() {
        let m: i8 = if i < lb {
            0
        } else if close[i] < sma[i] {
            -1
        } else if close[i] > sma[i] {
            1
        } else {
            0
        };
        let r: i8 = if i < p {
            0
        } else if rsi[i] > 70.0 {
            -1
        } else if rsi[i] < 30.0 {
            1
        } else {
            0
        };
        let sum = m + r;
        *s = if (m == -1 && r != 1) || sum <= -2 {
            -1
        } else if sum >= 1 {
            1
        } else {
            0
        };
    }
}

pub static STOCHASTIC: StrategyDef = StrategyDef {
    name: "Stochastic",
    aliases: &[],
    params: &[
        ParamSpec::int("k_period", P_MIN, P_MAX, &[3., 5., 7., 9., 10., 14., 20., 25., 30., 40.]),
        ParamSpec::int("d_period", P_MIN, P_MAX, &[2., 3., 5., 7., 10.]),
        ParamSpec::int("oversold", L_MIN, L_MAX, &[5., 10., 15., 20., 25., 30., 35.]),
        ParamSpec::int("overbought", L_MIN, L_MAX, &[65., 70., 75., 80., 85., 90., 95.]),
    ],
    grid_order: &[0, 1, 2, 3],
    constraints: &[],
    generate: stochastic,
};

fn stochastic(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let (kp, dp) = (c.period("k_period"), c.period("d_period"));
    let (lo, hi) = (c.param_f64("oversold"), c.param_f64("overbought"));
    let (kk, d) = (k.get(Ind::StochK(kp)), k.get(Ind::StochD(kp, dp)));
    let n = out.len();
    let (kk, d) = (&kk[..n], &d[..n]);
    fill(out, kp + dp, |i| (kk[i] < lo) & (kk[i] > d[i]), |i| (kk[i] > hi) & (kk[i] < d[i]));
}

pub static WILLIAMS_R: StrategyDef = StrategyDef {
    name: "Williams %R",
    aliases: &[],
    params: &[
        ParamSpec::int("period", P_MIN, P_MAX, &[5., 7., 10., 14., 20., 25., 30., 40., 50., 60.]),
        ParamSpec::int("oversold", -100.0, 0.0, &[-95., -90., -85., -80., -75., -70., -65.]),
        ParamSpec::int("overbought", -100.0, 0.0, &[-35., -30., -25., -20., -15., -10., -5.]),
    ],
    grid_order: &[0, 1, 2],
    constraints: &[],
    generate: williams_r,
};

fn williams_r(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let p = c.period("period");
    let (lo, hi) = (c.param_f64("oversold"), c.param_f64("overbought"));
    let wr = k.get(Ind::WilliamsR(p));
    let wr = &wr[..out.len()];
    fill(out, p, |i| wr[i] < lo, |i| wr[i] > hi);
}

pub static CCI: StrategyDef = StrategyDef {
    name: "CCI",
    aliases: &[],
    params: &[
        ParamSpec::int("period", P_MIN, P_MAX, &[5., 7., 10., 14., 20., 25., 30., 40., 50., 60.]),
        ParamSpec::int("buy_level", -1000.0, 1000.0, &[-300., -250., -200., -150., -100., -75., -50., -25.]),
        ParamSpec::int("sell_level", -1000.0, 1000.0, &[25., 50., 75., 100., 150., 200., 250., 300.]),
    ],
    grid_order: &[0, 1, 2],
    constraints: &[],
    generate: cci,
};

fn cci(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let p = c.period("period");
    let (lo, hi) = (c.param_f64("buy_level"), c.param_f64("sell_level"));
    let cci = k.get(Ind::Cci(p));
    let cci = &cci[..out.len()];
    fill(out, p, |i| cci[i] < lo, |i| cci[i] > hi);
}

pub static RSI_EMA: StrategyDef = StrategyDef {
    name: "RSI+EMA",
    aliases: &[],
    params: &[
        ParamSpec::int("rsi_period", P_MIN, P_MAX, &[3., 5., 7., 10., 14., 18., 20., 25., 30.]),
        ParamSpec::int("ema_period", P_MIN, P_MAX, &[3., 5., 7., 10., 15., 20., 25., 30., 40., 50., 75., 100.]),
        ParamSpec::int("oversold", L_MIN, L_MAX, &[15., 20., 25., 30., 35., 40.]),
        ParamSpec::int("overbought", L_MIN, L_MAX, &[55., 60., 65., 70., 75., 80., 85.]),
    ],
    grid_order: &[0, 1, 2, 3],
    constraints: &[],
    generate: rsi_ema,
};

fn rsi_ema(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let (rp, ep) = (c.period("rsi_period"), c.period("ema_period"));
    let (lo, hi) = (c.param_f64("oversold"), c.param_f64("overbought"));
    let close = &k.candles().close;
    let (rsi, e) = (k.get(Ind::RsiA(rp)), k.get(Ind::Ewm(Src::Close, ep)));
    let n = out.len();
    let (rsi, e, close) = (&rsi[..n], &e[..n], &close[..n]);
    fill(out, rp.max(ep), |i| (rsi[i] < lo) & (close[i] > e[i]), |i| (rsi[i] > hi) & (close[i] < e[i]));
}

pub static DOUBLE_RSI: StrategyDef = StrategyDef {
    name: "Double RSI",
    aliases: &[],
    params: &[
        ParamSpec::int("fast_rsi", P_MIN, P_MAX, &[2., 3., 5., 7., 10., 14., 20.]),
        ParamSpec::int("slow_rsi", P_MIN, P_MAX, &[7., 10., 14., 20., 25., 30., 40.]),
        ParamSpec::int("oversold", L_MIN, L_MAX, &[15., 20., 25., 30., 35., 40.]),
        ParamSpec::int("overbought", L_MIN, L_MAX, &[60., 65., 70., 75., 80., 85.]),
    ],
    grid_order: &[0, 1, 2, 3],
    constraints: &[Constraint::less("fast_rsi", "slow_rsi")],
    generate: double_rsi,
};

fn double_rsi(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let (fp, sp) = (c.period("fast_rsi"), c.period("slow_rsi"));
    let (lo, hi) = (c.param_f64("oversold"), c.param_f64("overbought"));
    let (f, s) = (k.get(Ind::RsiB(fp)), k.get(Ind::RsiB(sp)));
    let n = out.len();
    let (f, s) = (&f[..n], &s[..n]);
    fill(out, sp + 1, |i| (f[i] < lo) & (s[i] < 50.0), |i| (f[i] > hi) & (s[i] > 50.0));
}

pub static MFI: StrategyDef = StrategyDef {
    name: "MFI",
    aliases: &[],
    params: &[
        ParamSpec::int("period", P_MIN, P_MAX, &[3., 5., 7., 10., 14., 20., 25., 30., 40., 50.]),
        ParamSpec::int("oversold", L_MIN, L_MAX, &[5., 10., 15., 20., 25., 30., 35., 40.]),
        ParamSpec::int("overbought", L_MIN, L_MAX, &[60., 65., 70., 75., 80., 85., 90., 95.]),
    ],
    grid_order: &[0, 1, 2],
    constraints: &[],
    generate: mfi,
};

fn mfi(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let p = c.period("period");
    let (lo, hi) = (c.param_f64("oversold"), c.param_f64("overbought"));
    let mfi = k.get(Ind::Mfi(p));
    let mfi = &mfi[..out.len()];
    fill(out, p + 1, |i| mfi[i] < lo, |i| mfi[i] > hi);
}

pub static FISHER: StrategyDef = StrategyDef {
    name: "Fisher Transform",
    aliases: &[],
    params: &[ParamSpec::int("period", P_MIN, P_MAX, &[5., 7., 8., 10., 12., 14., 18., 20., 25., 30., 40., 50.])],
    grid_order: &[0],
    constraints: &[],
    generate: fisher,
};

fn fisher(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let p = c.period("period");
    let f = k.get(Ind::Fisher(p));
    fill(
        out,
        p + 2,
        |i| i >= 2 && f[i] > f[i - 1] && f[i - 1] <= f[i - 2],
        |i| i >= 2 && f[i] < f[i - 1] && f[i - 1] >= f[i - 2],
    );
}
