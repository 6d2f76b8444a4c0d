//! Moving-average strategies: EMA Crossover, MACD, Triple EMA, TRIX, Elder Ray, KST.

use std::collections::HashMap;

use crate::indicators::{ewm, ewm_each, roll_mean, roll_mean_each};

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
    let (fast, slow) = (c.period("fast"), c.period("slow"));
    let line = SignalLine { def: &MACD, base: Ind::MacdLine(fast, slow), smooth: ewm, smooth_each: ewm_each };
    line.signals(c, k, out, |out, m, g, sig| {
        let m = &m[..out.len()];
        fill(out, slow + sig, |i| m[i] > g[i], |i| m[i] < g[i]);
    });
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
    let p = c.period("period");
    let line = SignalLine { def: &TRIX, base: Ind::Trix(p), smooth: ewm, smooth_each: ewm_each };
    line.signals(c, k, out, |out, t, g, _| {
        let t = &t[..out.len()];
        fill(out, 3 * p, |i| t[i] > g[i], |i| t[i] < g[i]);
    });
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

fn kst(c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8]) {
    let (r1, r2, r3, r4) = (c.period("r1"), c.period("r2"), c.period("r3"), c.period("r4"));
    let line = SignalLine { def: &KST, base: Ind::Kst(r1, r2, r3, r4), smooth: roll_mean, smooth_each: roll_mean_each };
    line.signals(c, k, out, |out, kst, g, _| kst_fill(out, r4, kst, g));
}

/// A strategy comparing a memoised line with its signal line, a smoothing of it whose
/// period is the strategy's `signal_period` parameter. Each combination smoothed the line
/// alone, a chain of dependent operations per bar; instead, the grid's periods of one line
/// are smoothed together (`smooth_each`, whose independent recurrences the core overlaps)
/// and each combination takes its own signal. A period off the grid, or a combination asked
/// for again, is smoothed alone (`smooth`): the same bits either way.
struct SignalLine {
    def: &'static StrategyDef,
    base: Ind,
    smooth: fn(&[f64], usize) -> Vec<f64>,
    smooth_each: fn(&[f64], &[usize]) -> Vec<Vec<f64>>,
}

impl SignalLine {
    const PERIOD: &'static str = "signal_period";

    /// `c`'s signal into `out`, by `signal(out, line, signal_line, period)`.
    fn signals(&self, c: &Combo, k: &IndicatorCache<'_>, out: &mut [i8], signal: impl Fn(&mut [i8], &[f64], &[f64], usize)) {
        let period = c.period(Self::PERIOD);
        let grid = self.def.params.iter().find(|p| p.name == Self::PERIOD).map_or(&[][..], |p| p.grid);
        if grid.contains(&(period as f64)) {
            let batch = || {
                let periods: Vec<usize> = grid.iter().map(|&p| p as usize).collect();
                let line = k.get(self.base);
                periods
                    .iter()
                    .zip((self.smooth_each)(&line, &periods))
                    .map(|(&p, g)| {
                        let mut s = vec![0i8; out.len()];
                        signal(&mut s, &line, &g, p);
                        (p, s)
                    })
                    .collect::<HashMap<_, _>>()
            };
            if let Some(s) = k.take_batched((self.def.name, self.base), period, batch) {
                out.copy_from_slice(&s);
                return;
            }
        }
        let line = k.get(self.base);
        signal(out, &line, &(self.smooth)(&line, period), period);
    }
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

    /// Each combination's signal of a signal-line strategy, whether its batch computed it
    /// (a cache shared by the whole grid, in any order) or it was computed alone (a member
    /// already taken, or a signal period outside the grid), is the signal of its own
    /// smoothing of the line.
    #[test]
    fn signal_line_signals_from_a_batch_equal_those_computed_alone() {
        let spec = SynthSpec { symbol: "LINEUSDT".into(), tf: Timeframe::H1, bars: 1500, seed: 3, start: None };
        let c = generate(&spec).unwrap();
        type Alone = fn(&Combo, &IndicatorCache<'_>, &mut [i8]);
        let kst_alone: Alone = |combo, cache, out| {
            let (r1, r2, r3, r4) = (combo.period("r1"), combo.period("r2"), combo.period("r3"), combo.period("r4"));
            let kst = cache.get(Ind::Kst(r1, r2, r3, r4));
            kst_fill(out, r4, &kst, &roll_mean(&kst, combo.period("signal_period")));
        };
        let macd_alone: Alone = |combo, cache, out| {
            let (slow, sig) = (combo.period("slow"), combo.period("signal_period"));
            let m = cache.get(Ind::MacdLine(combo.period("fast"), slow));
            let g = ewm(&m, sig);
            fill(out, slow + sig, |i| m[i] > g[i], |i| m[i] < g[i]);
        };
        let trix_alone: Alone = |combo, cache, out| {
            let p = combo.period("period");
            let t = cache.get(Ind::Trix(p));
            let g = ewm(&t, combo.period("signal_period"));
            fill(out, 3 * p, |i| t[i] > g[i], |i| t[i] < g[i]);
        };
        for (def, alone, odd) in [(&KST, kst_alone, 6), (&MACD, macd_alone, 4), (&TRIX, trix_alone, 4)] {
            let alone = |combo: &Combo| {
                let mut out = vec![0i8; c.len()];
                alone(combo, &IndicatorCache::new(&c), &mut out);
                out
            };
            let grid: Vec<Combo> = strategy_grid(def).into_iter().step_by(5).collect();
            let shared = IndicatorCache::new(&c);
            for combo in grid.iter().rev() {
                let s = signals(combo, &shared);
                assert_eq!(s, alone(combo), "{} {}", def.name, combo.canonical_params());
                // Asked again: its batch member is gone, so it is computed alone.
                assert_eq!(signals(combo, &shared), s);
            }
            assert!(grid.iter().any(|g| signals(g, &IndicatorCache::new(&c)).iter().any(|&x| x != 0)), "{}", def.name);
            let mut off = grid[0].clone();
            for (name, v) in off.params.iter_mut() {
                if *name == "signal_period" {
                    *v = crate::strategies::ParamValue::Int(odd);
                }
            }
            assert_eq!(signals(&off, &shared), alone(&off), "{} off the grid", def.name);
        }
    }
}
