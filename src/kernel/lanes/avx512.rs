//! The lane loop in AVX-512: one register holds a variable of eight lanes, one mask
//! register a condition. Each group of eight lanes runs through all bars with its state in
//! registers, the next group after it. The operations are [`super::portable`]'s, in the
//! same order, with comparisons of the same NaN semantics (`<=` is ordered, `!=`
//! unordered), so the bits agree; the tests compare both with the scalar kernel.

use std::arch::x86_64::*;

use super::{Bars, Daily, End, LaneDaily, Params, DD_SLACK, LANES, LIQ_TINY, SIZE_FRACTION};

/// Lanes per register.
const WIDTH: usize = 8;
/// Register groups of the lanes.
const GROUPS: usize = LANES / WIDTH;
/// A fill's size `funds / (open * open_rate)` is at least `1e-300` (so it opens) where the
/// funds are at least [`FUNDS_MIN`] and the cost per unit is positive and at most
/// [`RATE_MAX`].
const FUNDS_MIN: f64 = 1e-150;
const RATE_MAX: f64 = 1e150;

/// # Safety
/// The CPU must support AVX-512 F, DQ, BW and VL.
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(super) unsafe fn run(b: &Bars<'_>, p: &Params, daily: &mut Daily<'_>) -> End {
    match (p.liq, p.sl > 0.0, p.tp > 0.0) {
        (true, true, true) => run_groups::<true, true, true>(b, p, daily),
        (true, true, false) => run_groups::<true, true, false>(b, p, daily),
        (true, false, true) => run_groups::<true, false, true>(b, p, daily),
        (true, false, false) => run_groups::<true, false, false>(b, p, daily),
        (false, true, true) => run_groups::<false, true, true>(b, p, daily),
        (false, true, false) => run_groups::<false, true, false>(b, p, daily),
        (false, false, true) => run_groups::<false, false, true>(b, p, daily),
        (false, false, false) => run_groups::<false, false, false>(b, p, daily),
    }
}

#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
fn run_groups<const LIQ: bool, const SL: bool, const TP: bool>(b: &Bars<'_>, p: &Params, daily: &mut Daily<'_>) -> End {
    let z = [0.0; LANES];
    let mut end = End { cash: z, qty: z, entry: z, side: z, trades: z, wins: z, liqs: z, gp: z, gl: z, max_dd: z };
    // One group at a time: its state fits the registers. (Two groups stepped together
    // kept the core busier while fills waited on the division, but their state lived in
    // memory; with the exit prices kept from the fill, one group is faster.)
    for g in 0..GROUPS {
        let lanes = g * WIDTH..(g + 1) * WIDTH;
        run_group::<LIQ, SL, TP>(b, p, lanes.start, daily.lanes(lanes), &mut end);
    }
    end
}

/// Constants of the loop, broadcast once.
struct Consts {
    zero: __m512d,
    one: __m512d,
    mone: __m512d,
    inf: __m512d,
    sign: __m512d,
    cost: __m512d,
    mm: __m512d,
    frac: __m512d,
    lev: __m512d,
    slack: __m512d,
    open_rate: __m512d,
    sl_dn: __m512d,
    sl_up: __m512d,
    tp_up: __m512d,
    tp_dn: __m512d,
    liq_long: __m512d,
    liq_short: __m512d,
    tiny: __m512d,
    ninf: __m512d,
    funds_min: __m512d,
}

/// One group's state: the scalar account's variables, eight lanes each. The side is kept
/// as two masks (`qty` is never opened with a zero or NaN size) and the SL/TP prices
/// are recomputed from the entry with the account's own products; the pending signal is
/// kept as its two masks (`== 1`, `== -1`).
#[derive(Clone, Copy)]
struct Acc {
    cash: __m512d,
    qty: __m512d,
    entry: __m512d,
    margin: __m512d,
    base: __m512d,
    /// The held lanes' exit prices below and above the bar (the account's `entry * (1 -+
    /// sl)` and `entry * (1 +- tp)`, computed at the fill): a long's stop-loss and
    /// take-profit, a short's take-profit and stop-loss.
    lo: __m512d,
    hi: __m512d,
    /// The held lanes' liquidation pre-check price: a long can only be liquidated at or
    /// below it, a short at or above it.
    liq_px: __m512d,
    buy: __mmask8,
    sell: __mmask8,
    /// Lanes holding a position, and those of them that are long.
    held: __mmask8,
    long: __mmask8,
    trades: __m512d,
    wins: __m512d,
    liqs: __m512d,
    gp: __m512d,
    gl: __m512d,
    peak: __m512d,
    max_dd: __m512d,
    /// `max_dd * DD_SLACK`, and a drop `peak - equity <= dd_limit` (`mds * peak`) cannot
    /// raise `max_dd`: `d <= fl(fl(max_dd * slack) * peak)` implies `d < max_dd * peak`.
    mds: __m512d,
    dd_limit: __m512d,
}

/// One bar's prices, broadcast.
#[derive(Clone, Copy)]
struct Bar {
    o: __m512d,
    h: __m512d,
    l: __m512d,
    c: __m512d,
    /// `open * open_rate`, computed in scalar as the account does.
    o_rate: __m512d,
    /// `0 < open * open_rate <= RATE_MAX`.
    o_rate_fits: bool,
}

#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
fn store(v: __m512d, out: &mut [f64]) {
    assert!(out.len() >= WIDTH);
    // SAFETY: `out` has room for eight doubles.
    unsafe { _mm512_storeu_pd(out.as_mut_ptr(), v) };
}

/// Lanes `lane0 ..+ WIDTH` over every bar; their end state goes into `end`.
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
fn run_group<const LIQ: bool, const SL: bool, const TP: bool>(b: &Bars<'_>, p: &Params, lane0: usize, mut daily: LaneDaily<'_>, end: &mut End) {
    let n = b.close.len();
    assert!(b.masks.len() == n && b.open.len() == n && b.high.len() == n && b.low.len() == n && lane0 + WIDTH <= LANES);
    let set = |x: f64| _mm512_set1_pd(x);
    let k = Consts {
        zero: _mm512_setzero_pd(),
        one: set(1.0),
        mone: set(-1.0),
        inf: set(f64::INFINITY),
        sign: set(-0.0),
        cost: set(p.cost),
        mm: set(p.mm),
        frac: set(SIZE_FRACTION),
        lev: set(p.lev),
        slack: set(DD_SLACK),
        open_rate: set(p.open_rate),
        sl_dn: set(1.0 - p.sl),
        sl_up: set(1.0 + p.sl),
        tp_up: set(1.0 + p.tp),
        tp_dn: set(1.0 - p.tp),
        liq_long: set(p.liq_long),
        liq_short: set(p.liq_short),
        tiny: set(LIQ_TINY),
        ninf: set(f64::NEG_INFINITY),
        funds_min: set(FUNDS_MIN),
    };
    let zero = k.zero;
    let fresh = Acc {
        cash: set(p.capital),
        qty: zero,
        entry: zero,
        margin: zero,
        base: set(p.capital + 0.0),
        lo: zero,
        hi: zero,
        liq_px: zero,
        buy: 0,
        sell: 0,
        held: 0,
        long: 0,
        trades: zero,
        wins: zero,
        liqs: zero,
        gp: zero,
        gl: zero,
        peak: set(p.capital),
        max_dd: zero,
        mds: zero,
        dd_limit: zero,
    };
    let mut a = fresh;
    let mut e = [0.0; WIDTH];
    // Bar `i`'s buy and sell masks of these lanes, and the bits of both in a mask word.
    let masks = |i: usize| -> (__mmask8, __mmask8) {
        let m = b.masks[i] >> lane0;
        (m as __mmask8, (m >> LANES) as __mmask8)
    };
    let ours = 0xffu32 << lane0;
    let ours = ours | ours << LANES;
    let mut i = 0;
    while i < n {
        let o_rate = b.open[i] * p.open_rate;
        let bar = Bar { o: set(b.open[i]), h: set(b.high[i]), l: set(b.low[i]), c: set(b.close[i]), o_rate: set(o_rate), o_rate_fits: o_rate > 0.0 && o_rate <= RATE_MAX };
        let (buy, sell) = masks(i);
        let eq = step::<LIQ, SL, TP>(&mut a, &k, &bar, buy, sell);
        if daily.due(i) {
            daily.record(i, |row| store(eq, row));
        }
        i += 1;
        // Every lane flat with no fill pending: nothing changes until a lane's signal is
        // non-zero again; each bar's equity is the lane's cash, which the drawdown has seen.
        if (SL || TP) && a.held | a.buy | a.sell == 0 {
            let mut j = i;
            while j < n && b.masks[j] & ours == 0 {
                j += 1;
            }
            if j > i {
                store(a.base, &mut e);
                daily.span(i, j, &e);
                i = j;
            }
        }
    }
    let r = lane0..;
    store(a.cash, &mut end.cash[r.clone()]);
    store(a.qty, &mut end.qty[r.clone()]);
    store(a.entry, &mut end.entry[r.clone()]);
    let side = _mm512_mask_blend_pd(a.long, _mm512_maskz_mov_pd(a.held, k.mone), k.one);
    store(side, &mut end.side[r.clone()]);
    store(a.trades, &mut end.trades[r.clone()]);
    store(a.wins, &mut end.wins[r.clone()]);
    store(a.liqs, &mut end.liqs[r.clone()]);
    store(a.gp, &mut end.gp[r.clone()]);
    store(a.gl, &mut end.gl[r.clone()]);
    store(a.max_dd, &mut end.max_dd[r]);
}

/// One bar of one group (the scalar account's `step`, `buy`/`sell` being this bar's
/// signal); returns the bar's equities.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
fn step<const LIQ: bool, const SL: bool, const TP: bool>(a: &mut Acc, k: &Consts, bar: &Bar, buy: __mmask8, sell: __mmask8) -> __m512d {
    let Bar { o, h, l, c, o_rate, .. } = *bar;
    let zero = k.zero;
    let Acc { cash, qty, entry, margin, base, long, held: hold, .. } = *a;
    let short = hold & !long;
    let aq = _mm512_abs_pd(qty);
    // Step 1: liquidation at the bar's worst price, possible only where the bar reaches
    // the pre-check price.
    let near: __mmask8 = if LIQ {
        _mm512_mask_cmp_pd_mask::<_CMP_LE_OQ>(long, l, a.liq_px) | _mm512_mask_cmp_pd_mask::<_CMP_GE_OQ>(short, h, a.liq_px)
    } else {
        0
    };
    // Step 2: stop-loss / take-profit (the stop-loss wins when both are touched): the low
    // against the lower price, the high against the upper one.
    let (level, hit_sl): (__mmask8, __mmask8) = if SL || TP {
        let at_lo = _mm512_mask_cmp_pd_mask::<_CMP_LE_OQ>(hold, l, a.lo);
        let at_hi = _mm512_mask_cmp_pd_mask::<_CMP_GE_OQ>(hold, h, a.hi);
        let hit_sl = if SL { (long & at_lo) | (short & at_hi) } else { 0 };
        let hit_tp = if TP { (long & at_hi) | (short & at_lo) } else { 0 };
        (hit_sl | hit_tp, hit_sl)
    } else {
        (0, 0)
    };
    // Step 4's condition on the state before this bar (an exit at the level or a
    // liquidation clears it): a buy when not long, a sell when not short.
    let signal = (a.buy & !long) | (a.sell & !short);
    if near | level | signal == 0 {
        // No lane trades on this bar: only the equity and the pending signal change.
        let eq = _mm512_mask_add_pd(base, hold, base, _mm512_mul_pd(_mm512_sub_pd(c, entry), qty));
        a.buy = buy;
        a.sell = sell;
        track_drawdown(a, k, eq);
        return eq;
    }
    let liqd: __mmask8 = if LIQ && near != 0 {
        let w = _mm512_mask_blend_pd(long, h, l);
        let u_long = _mm512_mul_pd(_mm512_sub_pd(l, entry), aq);
        let u_short = _mm512_mul_pd(_mm512_sub_pd(entry, h), aq);
        let u = _mm512_mask_blend_pd(long, u_short, u_long);
        let lhs = _mm512_add_pd(margin, u);
        let rhs = _mm512_mul_pd(_mm512_mul_pd(aq, w), k.mm);
        near & _mm512_cmp_pd_mask::<_CMP_LE_OQ>(lhs, rhs)
    } else {
        0
    };
    let hit = !liqd & level;
    let ex = !liqd & !hit & signal;
    // One close at most per bar: at the level, or at the open for a reversal.
    let closes = hit | (ex & hold);
    // The level's price: a long's stop-loss is its lower one, a short's its upper one.
    let x = if SL || TP { _mm512_mask_blend_pd(hit, o, _mm512_mask_blend_pd(hit_sl ^ long, a.lo, a.hi)) } else { o };
    // `(x - entry) * qty`: a short's `(entry - x) * |qty|` with the same bits, as both are
    // the negation of one rounded product (a zero's sign aside, which `pnl` never shows).
    let gross = _mm512_mul_pd(_mm512_sub_pd(x, entry), qty);
    let pnl = _mm512_sub_pd(gross, _mm512_mul_pd(_mm512_mul_pd(k.cost, x), aq));
    let cash_closed = _mm512_add_pd(cash, _mm512_add_pd(margin, pnl));
    let win = _mm512_cmp_pd_mask::<_CMP_GT_OQ>(pnl, zero);
    // Step 3: the bar's equity (after the guard, before the fill at the open).
    let mark = _mm512_add_pd(base, _mm512_mul_pd(_mm512_sub_pd(c, entry), qty));
    let eq = _mm512_mask_blend_pd(hold, base, mark);
    let eq = _mm512_mask_blend_pd(hit, eq, _mm512_add_pd(cash_closed, zero));
    let eq = _mm512_mask_blend_pd(liqd, eq, cash);
    // Step 4: the fill at this bar's open.
    let cash_pre = _mm512_mask_blend_pd(closes, cash, cash_closed);
    let up = a.buy;
    let flat = liqd | closes;
    let kept = !flat;
    a.trades = _mm512_mask_add_pd(a.trades, flat, a.trades, k.one);
    a.wins = _mm512_mask_add_pd(a.wins, closes & win, a.wins, k.one);
    a.gp = _mm512_mask_add_pd(a.gp, closes, a.gp, _mm512_maskz_mov_pd(win, pnl));
    a.gl = _mm512_mask_add_pd(a.gl, closes, a.gl, _mm512_maskz_mov_pd(!win, _mm512_abs_pd(pnl)));
    if LIQ {
        a.gl = _mm512_mask_add_pd(a.gl, liqd, a.gl, margin);
        a.liqs = _mm512_mask_add_pd(a.liqs, liqd, a.liqs, k.one);
    }
    let qty_kept = _mm512_maskz_mov_pd(kept, qty);
    let entry_kept = _mm512_maskz_mov_pd(kept, entry);
    let margin_kept = _mm512_maskz_mov_pd(kept, margin);
    let base_flat = _mm512_mask_blend_pd(flat, base, _mm512_add_pd(cash_pre, zero));
    let mut opens = 0;
    if ex == 0 {
        // Exits only: no lane's size depends on the division below.
        a.cash = cash_pre;
        a.qty = qty_kept;
        a.entry = entry_kept;
        a.margin = margin_kept;
        a.base = base_flat;
    } else {
        // A fill from flat sizes on the cash held before the bar: unless a lane reverses,
        // the division need not wait for this bar's closes.
        let funds = _mm512_mul_pd(if ex & hold == 0 { cash } else { cash_pre }, k.frac);
        let q = _mm512_div_pd(funds, o_rate);
        // Which lanes open (`q > 0`) decides the next bar's branch: known without waiting
        // for the division where the funds and the bar's cost per unit fit (see
        // `FUNDS_MIN`); the other lanes wait for `q`.
        let sure = if bar.o_rate_fits { _mm512_cmp_pd_mask::<_CMP_GE_OQ>(funds, k.funds_min) } else { 0 };
        opens = ex & sure;
        if ex & !sure != 0 {
            opens |= ex & !sure & _mm512_cmp_pd_mask::<_CMP_GT_OQ>(q, zero);
        }
        let qo = _mm512_mul_pd(q, o);
        let cash_open = _mm512_sub_pd(cash_pre, _mm512_mul_pd(qo, k.open_rate));
        // Without liquidation the leverage is exactly 1, where `qo / lev == qo`.
        let new_margin = if LIQ { _mm512_div_pd(qo, k.lev) } else { qo };
        a.cash = _mm512_mask_blend_pd(opens, cash_pre, cash_open);
        a.qty = _mm512_mask_blend_pd(opens, qty_kept, _mm512_mask_blend_pd(up, _mm512_xor_pd(q, k.sign), q));
        a.entry = _mm512_mask_blend_pd(opens, entry_kept, o);
        a.margin = _mm512_mask_blend_pd(opens, margin_kept, new_margin);
        a.base = _mm512_mask_blend_pd(opens, base_flat, _mm512_add_pd(cash_open, new_margin));
        if SL || TP {
            a.lo = _mm512_mask_mul_pd(a.lo, opens, o, _mm512_mask_blend_pd(up, k.tp_dn, k.sl_dn));
            a.hi = _mm512_mask_mul_pd(a.hi, opens, o, _mm512_mask_blend_pd(up, k.sl_up, k.tp_up));
        }
        if LIQ {
            // Near the bottom of the float range the pre-check's error bound does not hold:
            // there every bar is tested exactly.
            let px = _mm512_mul_pd(o, _mm512_mask_blend_pd(up, k.liq_short, k.liq_long));
            let always = _mm512_mask_blend_pd(up, k.ninf, k.inf);
            let tiny = !_mm512_cmp_pd_mask::<_CMP_GT_OQ>(qo, k.tiny);
            a.liq_px = _mm512_mask_mov_pd(a.liq_px, opens, _mm512_mask_blend_pd(tiny, px, always));
        }
    }
    a.buy = buy;
    a.sell = sell;
    a.held = (hold & kept) | opens;
    a.long = (long & kept) | (opens & up);
    track_drawdown(a, k, eq);
    eq
}

/// Step 3's drawdown: a new peak, or a drop the pre-check cannot rule out. The peak never
/// falls below the capital, which is positive, so every peak divides.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
fn track_drawdown(a: &mut Acc, k: &Consts, eq: __m512d) {
    // `max` keeps its second operand unless the first is greater: a NaN equity or an equal
    // one leaves the peak, as `eq > peak` does. Unmasked, the update is a plain store.
    a.peak = _mm512_max_pd(eq, a.peak);
    // A new peak's drop is zero, below any limit; elsewhere the peak, hence the limit, is
    // the previous bar's.
    let drop = _mm512_sub_pd(a.peak, eq);
    let need = _mm512_cmp_pd_mask::<_CMP_GT_OQ>(drop, a.dd_limit);
    if need != 0 {
        let dd = _mm512_div_pd(drop, a.peak);
        let raise = need & _mm512_cmp_pd_mask::<_CMP_GT_OQ>(dd, a.max_dd);
        a.max_dd = _mm512_mask_mov_pd(a.max_dd, raise, dd);
        a.mds = _mm512_mask_mul_pd(a.mds, raise, dd, k.slack);
    }
    a.dd_limit = _mm512_mul_pd(a.mds, a.peak);
}

/// The byte permutations of [`transpose`]: byte `8j + r` of the 128-byte table (lanes 0-7,
/// then 8-15) is lane `j`'s bar `r`, which goes to row `r`, lane `j`; rows 0-3, then 4-7.
const TRANSPOSE_IDX: [[u8; 64]; 2] = {
    assert!(LANES == 2 * WIDTH);
    let mut t = [[0u8; 64]; 2];
    let mut half = 0;
    while half < 2 {
        let mut k = 0;
        while k < 64 {
            t[half][k] = ((k % LANES) * 8 + 4 * half + k / LANES) as u8;
            k += 1;
        }
        half += 1;
    }
    t
};

/// [`super::Transpose`] with one byte permutation per four rows.
///
/// # Safety
/// The CPU must support AVX-512 F and VBMI.
#[target_feature(enable = "avx512f,avx512vbmi")]
pub(super) unsafe fn transpose(words: &[u64; LANES], rows: &mut [i8; 8 * LANES]) {
    // SAFETY: 64 bytes are read from each 64-byte table.
    let idx = |k: usize| unsafe { _mm512_loadu_si512(TRANSPOSE_IDX[k].as_ptr() as *const _) };
    // SAFETY: `words` holds 128 bytes and `rows` has room for 128.
    unsafe {
        let lo = _mm512_loadu_si512(words.as_ptr() as *const _);
        let hi = _mm512_loadu_si512(words.as_ptr().add(WIDTH) as *const _);
        let out = rows.as_mut_ptr() as *mut __m512i;
        _mm512_storeu_si512(out, _mm512_permutex2var_epi8(lo, idx(0), hi));
        _mm512_storeu_si512(out.add(1), _mm512_permutex2var_epi8(lo, idx(1), hi));
    }
}
