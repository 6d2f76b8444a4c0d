//! Spec §3 transcribed literally, with no cached values, pre-checks or skipping: slow, and
//! the yardstick the fast kernel is checked against bit for bit (unit, parity and bench
//! tests). Not for production use.

use super::config::{CostModel, Risk};
use super::KernelStats;

/// What [`literal`] computes: the per-bar equity and the totals.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    pub equity: Vec<f64>,
    pub stats: KernelStats,
}

/// Spec §3 written out as plainly as possible: every bar, every test, every division.
///
/// # Panics
/// When the slices are shorter than `c`.
pub fn literal(o: &[f64], h: &[f64], l: &[f64], c: &[f64], sig: &[i8], cm: &CostModel, risk: &Risk) -> Literal {
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

