//! Moving-average strategies: EMA Crossover, MACD, Triple EMA, TRIX, Elder Ray, KST.

use std::collections::HashMap;

use crate::indicators::{ewm_into, roll_mean, roll_mean_each};

use super::cache::{IndicatorCache, Ind, Src};
use super::combo::Combo;
use super::params::{Constraint, ParamSpec};
use super::registry::StrategyDef;
use super::signal::fill;
use super::PERIOD;

const P_MIN: f64 = PERIOD.0;
const P_MAX: f64 = PERIOD.1;

pub static EMA_CROSSOVER: StrategyDef = StrategyDef {
    name: "EMA Crossover",
    aliases: &[],
    params: &[
        ParamSpec::int("fast_period", P_MIN, P_MAX, &[3., 5., 7., 8., 10., 12., 15., 20., 25., 30., 35.]),
        ParamSpec::int(
            "slow_period",
            P_MIN,
            P_MAX,
            &[12., 15., 20., 25., 30., 40., 50., 60., 75., 80., 100., 120., 150., 200., 250.],
        ),
    ],
    grid_order: &[0, 1],
    constraints: &[Constraint::less("fast_period", "slow_period")],
    generate: ema_crossover,
};

fn ema_crossover(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let (fp, sp) = (c.period("fast_period"), c.period("slow_period"));
    let (f, s) = (k.get(Ind::Ewm(Src::Close, fp)), k.get(Ind::Ewm(Src::Close, sp)));
    let n = out.len();
    let (f, s) = (&f[..n], &s[..n]);
    fill(out, fp.max(sp), |i| f[i] > s[i], |i| f[i] < s[i]);
}

pub static MACD: StrategyDef = StrategyDef {
    name: "MACD",
    aliases: &[],
    params: &[
        ParamSpec::int("fast", P_MIN, P_MAX, &[4., 6., 8., 10., 12., 14., 16., 18., 20.]),
        ParamSpec::int("slow", P_MIN, P_MAX, &[16., 18., 20., 21., 24., 26., 28., 30., 36., 40., 50.]),
        ParamSpec::int("signal_period", P_MIN, P_MAX, &[3., 5., 7., 9., 11., 14.]),
    ],
    grid_order: &[0, 1, 2],
    constraints: &[Constraint::less("fast", "slow")],
    generate: macd,
};

fn macd(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let (fast, slow, sig) = (c.period("fast"), c.period("slow"), c.period("signal_period"));
    let m = k.get(Ind::MacdLine(fast, slow));
    let mut g = vec![0.0; m.len()];
    ewm_into(&m, sig, &mut g);
    let m = &m[..out.len()];
    fill(out, slow + sig, |i| m[i] > g[i], |i| m[i] < g[i]);
}

pub static TRIPLE_EMA: StrategyDef = StrategyDef {
    name: "Triple EMA",
    aliases: &[],
    params: &[
        ParamSpec::int("fast", P_MIN, P_MAX, &[3., 5., 7., 8., 10., 12., 15.]),
        ParamSpec::int("mid", P_MIN, P_MAX, &[10., 12., 15., 18., 20., 25., 30., 35., 40.]),
        ParamSpec::int("slow", P_MIN, P_MAX, &[25., 30., 35., 40., 50., 60., 70., 80., 100., 120., 150.]),
    ],
    grid_order: &[0, 1, 2],
    constraints: &[Constraint::less("fast", "mid"), Constraint::less("mid", "slow")],
    generate: triple_ema,
};

fn triple_ema(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let (fp, mp, sp) = (c.period("fast"), c.period("mid"), c.period("slow"));
    let (f, m, s) = (k.get(Ind::Ewm(Src::Close, fp)), k.get(Ind::Ewm(Src::Close, mp)), k.get(Ind::Ewm(Src::Close, sp)));
    let n = out.len();
    let (f, m, s) = (&f[..n], &m[..n], &s[..n]);
    fill(out, sp, |i| (f[i] > m[i]) & (m[i] > s[i]), |i| (f[i] < m[i]) & (m[i] < s[i]));
}

pub static TRIX: StrategyDef = StrategyDef {
    name: "TRIX",
    aliases: &[],
    params: &[
        ParamSpec::int("period", P_MIN, P_MAX, &[5., 7., 10., 12., 15., 18., 20., 25., 30., 40.]),
        ParamSpec::int("signal_period", P_MIN, P_MAX, &[3., 5., 7., 9., 11., 13., 15., 20.]),
    ],
    grid_order: &[0, 1],
    constraints: &[],
    generate: trix,
};

fn trix(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let (p, sig) = (c.period("period"), c.period("signal_period"));
    let t = k.get(Ind::Trix(p));
    let mut g = vec![0.0; t.len()];
    ewm_into(&t, sig, &mut g);
    let t = &t[..out.len()];
    fill(out, 3 * p, |i| t[i] > g[i], |i| t[i] < g[i]);
}

pub static ELDER_RAY: StrategyDef = StrategyDef {
    name: "Elder Ray",
    aliases: &[],
    params: &[
        ParamSpec::int("ema_period", P_MIN, P_MAX, &[5., 7., 10., 13., 15., 20., 25., 30., 40., 50.]),
        // Accepted but unused, as in the reference.
        ParamSpec::float("threshold", 0.0, 1.0, &[0.0, 0.001, 0.002, 0.005, 0.01]),
    ],
    grid_order: &[0, 1],
    constraints: &[],
    generate: elder_ray,
};

fn elder_ray(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let p = c.period("ema_period");
    let (high, low) = (&k.candles().high, &k.candles().low);
    let e = k.get(Ind::Ewm(Src::Close, p));
    fill(
        out,
        p,
        |i| {
            i > 0 && {
                let (bear, prev_bear) = (low[i] - e[i], low[i - 1] - e[i - 1]);
                e[i] > e[i - 1] && bear < 0.0 && bear > prev_bear
            }
        },
        |i| {
            i > 0 && {
                let (bull, prev_bull) = (high[i] - e[i], high[i - 1] - e[i - 1]);
                e[i] < e[i - 1] && bull > 0.0 && bull < prev_bull
            }
        },
    );
}

pub static KST: StrategyDef = StrategyDef {
    name: "KST",
    aliases: &[],
    params: &[
        ParamSpec::int("r1", P_MIN, P_MAX, &[5., 7., 10., 14., 20., 25.]),
        ParamSpec::int("r2", P_MIN, P_MAX, &[10., 14., 15., 20., 25., 30.]),
        ParamSpec::int("r3", P_MIN, P_MAX, &[15., 20., 25., 30., 40.]),
        ParamSpec::int("r4", P_MIN, P_MAX, &[20., 25., 30., 40., 50.]),
        ParamSpec::int("signal_period", P_MIN, P_MAX, &[5., 7., 9., 11., 14., 20.]),
    ],
    grid_order: &[0, 1, 2, 3, 4],
    constraints: &[Constraint::less("r1", "r2"), Constraint::less("r2", "r3"), Constraint::less("r3", "r4")],
    generate: kst,
};

/// The grid's signal periods of KST (its last parameter).
fn kst_signal_periods() -> Vec<usize> {
    KST.params.iter().find(|p| p.name == "signal_period").map_or(Vec::new(), |p| p.grid.iter().map(|&v| v as usize).collect())
}

fn kst(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let (r1, r2, r3, r4) = (c.period("r1"), c.period("r2"), c.period("r3"), c.period("r4"));
    let (key, sp) = (Ind::Kst(r1, r2, r3, r4), c.period("signal_period"));
    // The signal line is a rolling mean per combination. The grid's signal periods of one
    // KST line are computed together (see `roll_mean_each`), each taken by its combination.
    let periods = kst_signal_periods();
    if periods.contains(&sp) {
        let batch = || {
            let kst = k.get(key);
            let lines = roll_mean_each(&kst, &periods);
            periods
                .iter()
                .zip(lines)
                .map(|(&p, g)| {
                    let mut s = vec![0i8; out.len()];
                    kst_fill(&mut s, r4, &kst, &g);
                    (p, s)
                })
                .collect::<HashMap<_, _>>()
        };
        if let Some(s) = k.take_batched(key, sp, batch) {
            out.copy_from_slice(&s);
            return;
        }
    }
    let kst = k.get(key);
    kst_fill(out, r4, &kst, &roll_mean(&kst, sp));
}

fn kst_fill(out: &mut [i8], r4: usize, kst: &[f64], g: &[f64]) {
    let n = out.len();
    let (kst, g) = (&kst[..n], &g[..n]);
    fill(out, r4 + 15, |i| kst[i] > g[i], |i| kst[i] < g[i]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategies::{signals, strategy_grid};
    use crate::synth::{generate, SynthSpec};
    use crate::timeframe::Timeframe;

    /// Each KST combination's signal, whether its batch computed it (a cache shared by the
    /// whole grid, in any order) or it was computed alone (a member already taken, or a
    /// signal period outside the grid), is the signal of its own rolling mean.
    #[test]
    fn kst_signals_from_a_batch_equal_those_computed_alone() {
        let spec = SynthSpec { symbol: "KSTUSDT".into(), tf: Timeframe::H1, bars: 1500, seed: 3, start: None };
        let c = generate(&spec).unwrap();
        let alone = |combo: &Combo| {
            let cache = IndicatorCache::new(&c);
            let (r1, r2, r3, r4) = (combo.period("r1"), combo.period("r2"), combo.period("r3"), combo.period("r4"));
            let kst = cache.get(Ind::Kst(r1, r2, r3, r4));
            let mut out = vec![0i8; c.len()];
            kst_fill(&mut out, r4, &kst, &roll_mean(&kst, combo.period("signal_period")));
            out
        };
        let grid: Vec<Combo> = strategy_grid(&KST).into_iter().step_by(7).collect();
        let shared = IndicatorCache::new(&c);
        for combo in grid.iter().rev() {
            let s = signals(combo, &shared);
            assert_eq!(s, alone(combo), "{}", combo.canonical_params());
            // Asked again: its batch member is gone, so it is computed alone.
            assert_eq!(signals(combo, &shared), s);
        }
        let mut odd = grid[0].clone();
        for (name, v) in odd.params.iter_mut() {
            if *name == "signal_period" {
                *v = crate::strategies::ParamValue::Int(6);
            }
        }
        assert_eq!(signals(&odd, &shared), alone(&odd));
    }
}
