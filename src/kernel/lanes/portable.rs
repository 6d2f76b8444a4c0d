//! The lane loop in plain Rust, one lane after the other within each bar: the reference
//! for [`super::avx512`] and the loop on CPUs without AVX-512. Every branch of the scalar
//! account is a selection between values computed with the same operations.

use super::{Bars, Daily, End, Params, DD_SLACK, F, LANES, SIZE_FRACTION};

/// Lane state: the scalar account's variables, one entry per lane (`side`, `pending` and
/// the counters as floats, exact far beyond any bar count).
struct State {
    cash: F,
    qty: F,
    entry: F,
    side: F,
    pending: F,
    margin: F,
    base: F,
    sl_px: F,
    tp_px: F,
    trades: F,
    wins: F,
    liqs: F,
    gp: F,
    gl: F,
    peak: F,
    max_dd: F,
    dd_limit: F,
}

pub(super) fn run(b: &Bars<'_>, p: &Params, daily: &mut Daily<'_>) -> End {
    match (p.liq, p.sltp) {
        (true, true) => run_loop::<true, true>(b, p, daily),
        (true, false) => run_loop::<true, false>(b, p, daily),
        (false, true) => run_loop::<false, true>(b, p, daily),
        (false, false) => run_loop::<false, false>(b, p, daily),
    }
}

fn run_loop<const LIQ: bool, const SLTP: bool>(b: &Bars<'_>, p: &Params, daily: &mut Daily<'_>) -> End {
    let cap = p.capital;
    let z = [0.0; LANES];
    let mut s = State {
        cash: [cap; LANES],
        qty: z,
        entry: z,
        side: z,
        pending: z,
        margin: z,
        base: [cap + 0.0; LANES],
        sl_px: z,
        tp_px: z,
        trades: z,
        wins: z,
        liqs: z,
        gp: z,
        gl: z,
        peak: [cap; LANES],
        max_dd: z,
        dd_limit: [p.initial_dd_limit(); LANES],
    };
    let (sl_on, tp_on) = (p.sl > 0.0, p.tp > 0.0);
    let (sl_dn, sl_up, tp_up, tp_dn) = (1.0 - p.sl, 1.0 + p.sl, 1.0 + p.tp, 1.0 - p.tp);
    let lev1 = p.lev == 1.0;
    let mut daily = daily.lanes(0..LANES);
    for k in 0..b.close.len() {
        let (o, h, l, c) = (b.open[k], b.high[k], b.low[k], b.close[k]);
        let sg = &b.sig[k * LANES..(k + 1) * LANES];
        let mut e = [0.0f64; LANES];
        let mut need_dd = false;
        for j in 0..LANES {
            let (cash, qty, entry, side, pending) = (s.cash[j], s.qty[j], s.entry[j], s.side[j], s.pending[j]);
            let (margin, base) = (s.margin[j], s.base[j]);
            let aq = qty.abs();
            let long = side > 0.0;
            let hold = side != 0.0;
            // Step 1: liquidation at the bar's worst price.
            let liqd = LIQ && {
                let w = if long { l } else { h };
                let u = if long { (l - entry) * aq } else { (entry - h) * aq };
                hold & (margin + u <= aq * w * p.mm)
            };
            // Step 2: stop-loss / take-profit (the stop-loss wins when both are touched).
            let (hit, x_level) = if SLTP {
                let hit_sl = sl_on & if long { l <= s.sl_px[j] } else { h >= s.sl_px[j] };
                let hit_tp = tp_on & if long { h >= s.tp_px[j] } else { l <= s.tp_px[j] };
                (hold & !liqd & (hit_sl | hit_tp), if hit_sl { s.sl_px[j] } else { s.tp_px[j] })
            } else {
                (false, 0.0)
            };
            // Step 4's condition, on the state before this bar (a level exit clears it).
            let ex = !liqd & !hit & (pending != side) & ((pending == 1.0) | (pending == -1.0));
            // One close at most per bar: at the level, or at the open for a reversal.
            let closes = hit | (ex & hold);
            let x = if hit { x_level } else { o };
            let gross = if long { (x - entry) * aq } else { (entry - x) * aq };
            let pnl = gross - p.cost * x * aq;
            let cash_closed = cash + (margin + pnl);
            let win = pnl > 0.0;
            // Step 3: the bar's equity (after the guard, before the fill at the open).
            let eq = if liqd {
                cash
            } else if hit {
                cash_closed + 0.0
            } else if hold {
                base + (c - entry) * qty
            } else {
                base
            };
            e[j] = eq;
            // Step 4: the fill at this bar's open.
            let cash_pre = if closes { cash_closed } else { cash };
            let q = (cash_pre * SIZE_FRACTION) / (o * p.open_rate);
            let opens = ex & (q > 0.0);
            let cash_open = cash_pre - q * o * p.open_rate;
            let new_margin = if lev1 { q * o } else { q * o / p.lev };
            let up = pending > 0.0;
            let flat = liqd | closes;
            s.cash[j] = if opens { cash_open } else { cash_pre };
            s.qty[j] = if opens { if up { q } else { -q } } else if flat { 0.0 } else { qty };
            s.entry[j] = if opens { o } else if flat { 0.0 } else { entry };
            s.side[j] = if opens { if up { 1.0 } else { -1.0 } } else if flat { 0.0 } else { side };
            s.margin[j] = if opens { new_margin } else if flat { 0.0 } else { margin };
            s.base[j] = if opens { cash_open + new_margin } else if flat { cash_pre + 0.0 } else { base };
            if SLTP && opens {
                s.sl_px[j] = if up { o * sl_dn } else { o * sl_up };
                s.tp_px[j] = if up { o * tp_up } else { o * tp_dn };
            }
            if liqd | closes {
                s.trades[j] += 1.0;
            }
            if closes {
                s.wins[j] += if win { 1.0 } else { 0.0 };
                s.gp[j] += if win { pnl } else { 0.0 };
                s.gl[j] += if win { 0.0 } else { pnl.abs() };
            }
            if liqd {
                s.gl[j] += margin;
                s.liqs[j] += 1.0;
            }
            s.pending[j] = sg[j] as f64;
            // Drawdown: a new peak, or a drop the pre-check cannot rule out.
            let rise = eq > s.peak[j];
            if rise {
                s.peak[j] = eq;
            }
            need_dd |= !rise & (s.peak[j] - eq > s.dd_limit[j]);
        }
        if need_dd {
            for j in 0..LANES {
                let (peak, eq) = (s.peak[j], e[j]);
                let dd = (peak - eq) / peak;
                if !(eq > peak) & (peak - eq > s.dd_limit[j]) & (peak > 0.0) & (dd > s.max_dd[j]) {
                    s.max_dd[j] = dd;
                }
            }
        }
        for j in 0..LANES {
            let peak = s.peak[j];
            s.dd_limit[j] = if peak > 0.0 { s.max_dd[j] * peak * DD_SLACK } else { f64::INFINITY };
        }
        if daily.due(k) {
            daily.record(k, |row| row.copy_from_slice(&e));
        }
    }
    End {
        cash: s.cash,
        qty: s.qty,
        entry: s.entry,
        side: s.side,
        trades: s.trades,
        wins: s.wins,
        liqs: s.liqs,
        gp: s.gp,
        gl: s.gl,
        max_dd: s.max_dd,
    }
}
