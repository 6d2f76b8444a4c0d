//! Unit tests of the futures account: hand-checked scenarios and a bit-for-bit comparison
//! with a literal transcription of spec §3 (no caches, no pre-checks, no fast-forward).

use super::*;
use crate::kernel::{backtest, Recorder};

/// Spec §3 written out as plainly as possible.
struct Literal {
    equity: Vec<f64>,
    stats: KernelStats,
}

fn literal(o: &[f64], h: &[f64], l: &[f64], c: &[f64], sig: &[i8], cm: &CostModel, risk: &Risk) -> Literal {
    let cost = cm.commission + cm.slippage;
    let lev = if risk.leverage > 1.0 { risk.leverage } else { 1.0 };
    let (sl, tp, mm) = (risk.stop_loss, risk.take_profit, cm.maintenance_margin);
    let (mut cash, mut qty, mut entry, mut pending) = (cm.capital, 0.0f64, 0.0f64, 0i8);
    let (mut trades, mut wins, mut liqs) = (0u64, 0u64, 0u64);
    let (mut gp, mut gl, mut peak, mut max_dd) = (0.0f64, 0.0f64, cm.capital, 0.0f64);
    let mut equity = Vec::new();
    let close_pos = |x: f64, cash: &mut f64, qty: &mut f64, entry: f64, t: &mut u64, w: &mut u64, gp: &mut f64, gl: &mut f64| {
        let aq = qty.abs();
        let pnl = if *qty > 0.0 { (x - entry) * aq - cost * x * aq } else { (entry - x) * aq - cost * x * aq };
        *cash = *cash + (aq * entry / lev + pnl);
        *t += 1;
        if pnl > 0.0 {
            *w += 1;
            *gp += pnl;
        } else {
            *gl += pnl.abs();
        }
        *qty = 0.0;
    };
    let dd = |e: f64, peak: &mut f64, max_dd: &mut f64| {
        if e > *peak {
            *peak = e;
        }
        if *peak > 0.0 {
            let d = (*peak - e) / *peak;
            if d > *max_dd {
                *max_dd = d;
            }
        }
    };
    for i in 0..c.len() {
        if lev > 1.0 && qty != 0.0 {
            let aq = qty.abs();
            let margin = aq * entry / lev;
            let (w, u) = if qty > 0.0 { (l[i], (l[i] - entry) * aq) } else { (h[i], (entry - h[i]) * aq) };
            if margin + u <= aq * w * mm {
                trades += 1;
                gl += margin;
                liqs += 1;
                qty = 0.0;
                equity.push(cash);
                dd(cash, &mut peak, &mut max_dd);
                pending = sig[i];
                continue;
            }
        }
        if (sl > 0.0 || tp > 0.0) && qty != 0.0 {
            let (hit_sl, sl_px, hit_tp, tp_px) = if qty > 0.0 {
                let (s, t) = (entry * (1.0 - sl), entry * (1.0 + tp));
                (sl > 0.0 && l[i] <= s, s, tp > 0.0 && h[i] >= t, t)
            } else {
                let (s, t) = (entry * (1.0 + sl), entry * (1.0 - tp));
                (sl > 0.0 && h[i] >= s, s, tp > 0.0 && l[i] <= t, t)
            };
            if hit_sl || hit_tp {
                let x = if hit_sl { sl_px } else { tp_px };
                close_pos(x, &mut cash, &mut qty, entry, &mut trades, &mut wins, &mut gp, &mut gl);
                pending = 0;
            }
        }
        let aq = qty.abs();
        let unreal = if qty > 0.0 { (c[i] - entry) * aq } else if qty < 0.0 { (entry - c[i]) * aq } else { 0.0 };
        let e = (cash + aq * entry / lev) + unreal;
        equity.push(e);
        dd(e, &mut peak, &mut max_dd);
        let px = o[i];
        if (pending == 1 && qty <= 0.0) || (pending == -1 && qty >= 0.0) {
            if qty != 0.0 {
                close_pos(px, &mut cash, &mut qty, entry, &mut trades, &mut wins, &mut gp, &mut gl);
            }
            let q = (cash * 0.95) / (px * (1.0 / lev + cost));
            if q > 0.0 {
                qty = if pending == 1 { q } else { -q };
                entry = px;
                cash -= q * px * (1.0 / lev + cost);
            }
        }
        pending = sig[i];
    }
    let final_equity = if qty != 0.0 {
        let aq = qty.abs();
        let x = c[c.len() - 1];
        let pnl = if qty > 0.0 { (x - entry) * aq - cost * x * aq } else { (entry - x) * aq - cost * x * aq };
        (cash + aq * entry / lev) + pnl
    } else {
        cash
    };
    Literal {
        equity,
        stats: KernelStats {
            final_equity,
            max_drawdown: max_dd,
            trades,
            wins,
            gross_profit: gp,
            gross_loss: gl,
            liquidations: liqs,
        },
    }
}

/// Deterministic pseudo-random numbers (splitmix64).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A random walk with volatility bursts, crashes, flat stretches and sparse or dense signals.
fn market(seed: u64, n: usize, dense: bool) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, Vec<i8>) {
    let mut r = Rng(seed);
    let (mut o, mut h, mut l, mut c, mut s) = (vec![], vec![], vec![], vec![], vec![]);
    let mut px = 100.0;
    for i in 0..n {
        let vol = if (i / 50) % 4 == 3 { 0.05 } else { 0.01 };
        let open = px;
        let mut close = open * (1.0 + vol * (r.unit() - 0.5) * 2.0);
        if r.unit() < 0.01 {
            close *= 0.7; // crash
        }
        let flat = (i / 37) % 9 == 8;
        let (hi, lo, close) = if flat {
            (open, open, open)
        } else {
            (open.max(close) * (1.0 + vol * r.unit()), open.min(close) * (1.0 - vol * r.unit()), close)
        };
        o.push(open);
        h.push(hi);
        l.push(lo);
        c.push(close);
        let u = r.unit();
        s.push(if dense {
            if u < 0.5 { 1 } else { -1 }
        } else if u < 0.03 {
            1
        } else if u < 0.06 {
            -1
        } else {
            0
        });
        px = close;
    }
    (o, h, l, c, s)
}

#[test]
fn matches_literal_spec_bit_for_bit() {
    let cm = CostModel::default();
    let mut runs = 0;
    for seed in 0..12u64 {
        for dense in [false, true] {
            let (o, h, l, c, s) = market(seed, 1500, dense);
            for &(sl, tp) in &[(0.0, 0.0), (0.005, 0.015), (0.02, 0.06), (0.03, 0.0), (0.0, 0.05)] {
                for &lev in &[0.5, 1.0, 1.0001, 2.0, 10.0, 50.0, 125.0] {
                    let risk = Risk { stop_loss: sl, take_profit: tp, leverage: lev };
                    let want = literal(&o, &h, &l, &c, &s, &cm, &risk);
                    let mut rec = Recorder::default();
                    let got = backtest(&o, &h, &l, &c, &s, &cm, &risk, &mut rec);
                    let ctx = format!("seed={seed} dense={dense} sl={sl} tp={tp} lev={lev}");
                    assert_eq!(got.trades, want.stats.trades, "{ctx}");
                    assert_eq!(got.wins, want.stats.wins, "{ctx}");
                    assert_eq!(got.liquidations, want.stats.liquidations, "{ctx}");
                    assert_eq!(got.final_equity.to_bits(), want.stats.final_equity.to_bits(), "{ctx}");
                    assert_eq!(got.max_drawdown.to_bits(), want.stats.max_drawdown.to_bits(), "{ctx}");
                    assert_eq!(got.gross_profit.to_bits(), want.stats.gross_profit.to_bits(), "{ctx}");
                    assert_eq!(got.gross_loss.to_bits(), want.stats.gross_loss.to_bits(), "{ctx}");
                    assert_eq!(rec.equity.len(), want.equity.len(), "{ctx}");
                    for (i, (a, b)) in rec.equity.iter().zip(&want.equity).enumerate() {
                        assert_eq!(a.to_bits(), b.to_bits(), "{ctx} bar {i}: {a} vs {b}");
                    }
                    // Every counted trade is in the ledger, plus a final `End` when open.
                    let counted = rec.trades.iter().filter(|t| t.exit_reason != ExitReason::End).count() as u64;
                    assert_eq!(counted, got.trades, "{ctx}");
                    runs += 1;
                }
            }
        }
    }
    assert_eq!(runs, 12 * 2 * 5 * 7);
}

#[test]
fn some_runs_liquidate_and_hit_levels() {
    // Guards the test above against a market too tame to exercise the guard paths.
    let cm = CostModel::default();
    let (o, h, l, c, s) = market(3, 1500, true);
    let mut rec = Recorder::default();
    let st = backtest(&o, &h, &l, &c, &s, &cm, &Risk { stop_loss: 0.0, take_profit: 0.0, leverage: 10.0 }, &mut rec);
    assert!(st.liquidations > 0);
    let mut rec = Recorder::default();
    backtest(&o, &h, &l, &c, &s, &cm, &Risk { stop_loss: 0.02, take_profit: 0.06, leverage: 1.0 }, &mut rec);
    let reasons: Vec<ExitReason> = rec.trades.iter().map(|t| t.exit_reason).collect();
    for r in [ExitReason::StopLoss, ExitReason::TakeProfit, ExitReason::Signal] {
        assert!(reasons.contains(&r), "{r:?}");
    }
}

#[test]
fn long_round_trip_by_hand() {
    let cm = CostModel::default();
    let cost = 0.001 + 0.0002;
    let o = [100.0, 100.0, 110.0, 120.0];
    let h = o;
    let l = o;
    let c = [100.0, 105.0, 115.0, 120.0];
    let s = [1, 0, -1, 0];
    let mut rec = Recorder::default();
    let st = backtest(&o, &h, &l, &c, &s, &cm, &Risk::default(), &mut rec);
    // Bought at bar 1's open (100), marked from bar 2 on.
    let q = (10_000.0 * 0.95) / (100.0 * (1.0 / 1.0 + cost));
    let cash = 10_000.0 - q * 100.0 * (1.0 / 1.0 + cost);
    assert_eq!(rec.equity[0], 10_000.0);
    assert_eq!(rec.equity[1], 10_000.0);
    assert_eq!(rec.equity[2], (cash + q * 100.0 / 1.0) + (115.0 - 100.0) * q);
    // Sold at bar 3's open (120), then short from there.
    let pnl = (120.0 - 100.0) * q - cost * 120.0 * q;
    let cash2 = cash + (q * 100.0 / 1.0 + pnl);
    assert_eq!(rec.equity[3], (cash + q * 100.0 / 1.0) + (120.0 - 100.0) * q);
    assert_eq!((st.trades, st.wins), (1, 1));
    assert_eq!(st.gross_profit, pnl);
    let q2 = (cash2 * 0.95) / (120.0 * (1.0 + cost));
    let cash3 = cash2 - q2 * 120.0 * (1.0 + cost);
    assert_eq!(st.final_equity, (cash3 + q2 * 120.0 / 1.0) + ((120.0 - 120.0) * q2 - cost * 120.0 * q2));
    let t = rec.trades[0];
    assert_eq!((t.entry_bar, t.exit_bar, t.side, t.exit_reason), (1, 3, Side::Long, ExitReason::Signal));
    assert_eq!(t.fees, cost * 100.0 * q + cost * 120.0 * q);
    assert_eq!(rec.trades[1].exit_reason, ExitReason::End);
}

#[test]
fn stop_loss_wins_over_take_profit_and_cancels_pending() {
    let cm = CostModel::default();
    let risk = Risk { stop_loss: 0.01, take_profit: 0.01, leverage: 1.0 };
    let o = [100.0, 100.0, 100.0, 100.0];
    let h = [100.0, 100.0, 102.0, 100.0];
    let l = [100.0, 100.0, 98.0, 100.0];
    let c = [100.0; 4];
    // The -1 of bar 1 would reverse at bar 2's open, but the stop fires first on bar 2.
    let s = [1, -1, 0, 0];
    let mut rec = Recorder::default();
    let st = backtest(&o, &h, &l, &c, &s, &cm, &risk, &mut rec);
    assert_eq!(st.trades, 1);
    assert_eq!(rec.trades.len(), 1);
    let t = rec.trades[0];
    assert_eq!((t.exit_reason, t.exit_bar), (ExitReason::StopLoss, 2));
    assert_eq!(t.exit_price, 100.0 * (1.0 - 0.01));
}

#[test]
fn liquidation_keeps_cash_and_ends_the_bar() {
    let cm = CostModel::default();
    let risk = Risk { stop_loss: 0.0, take_profit: 0.0, leverage: 10.0 };
    let o = [100.0, 100.0, 100.0, 100.0];
    let h = [100.0, 100.0, 100.0, 100.0];
    let l = [100.0, 100.0, 80.0, 100.0];
    let c = [100.0, 100.0, 90.0, 100.0];
    let s = [1, 0, 1, 0];
    let mut rec = Recorder::default();
    let st = backtest(&o, &h, &l, &c, &s, &cm, &risk, &mut rec);
    let cost = cm.cost();
    let q = (10_000.0 * 0.95) / (100.0 * (1.0 / 10.0 + cost));
    let cash = 10_000.0 - q * 100.0 * (1.0 / 10.0 + cost);
    assert_eq!(st.liquidations, 1);
    assert_eq!(st.gross_loss, q * 100.0 / 10.0);
    assert_eq!(rec.equity[2], cash);
    // Bar 2's signal (1) was pending and is executed at bar 3's open.
    assert_eq!(rec.trades.last().unwrap().entry_bar, 3);
}

#[test]
fn step_by_step_equals_backtest() {
    // The live bot drives `step` itself; it must see the same equity as the sweep loop.
    let cm = CostModel::default();
    let risk = Risk { stop_loss: 0.01, take_profit: 0.03, leverage: 5.0 };
    let (o, h, l, c, s) = market(7, 800, false);
    let mut rec = Recorder::default();
    let st = backtest(&o, &h, &l, &c, &s, &cm, &risk, &mut rec);
    let mut acct = FuturesAccount::new(&cm, &risk);
    for i in 0..c.len() {
        let e = acct.step(i, o[i], h[i], l[i], c[i], s[i], &mut ());
        assert_eq!(e.to_bits(), rec.equity[i].to_bits(), "bar {i}");
    }
    assert_eq!(acct.stats(c[c.len() - 1]), st);
}
