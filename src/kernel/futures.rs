//! The futures account: one position, next-bar-open execution, SL/TP at the level,
//! liquidation at the maintenance margin — the reference's per-bar state machine.
//!
//! The sweep kernel and the live bot drive the same [`FuturesAccount::step`]. All arithmetic
//! is the reference's, operation for operation; values that are constant while a position is
//! open (margin, SL/TP prices) are computed once at the fill with the very same expressions,
//! and cheap conservative pre-checks decide when the exact (slower) tests are needed, so the
//! results stay bit-identical.

use super::config::{CostModel, Risk};
use super::observer::{ExitReason, Observer, Side, Trade};
use super::KernelStats;

/// Share of the cash committed to a new position.
pub(crate) const SIZE_FRACTION: f64 = 0.95;

/// Relative slack of the drawdown pre-check: far above the rounding error of one product.
pub(crate) const DD_SLACK: f64 = 1.0 - 1e-12;

/// The account's constants, derived once from the cost model and the risk settings; the
/// scalar account and the lane kernel both start from them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AccountTerms {
    pub capital: f64,
    /// `commission + slippage`.
    pub cost: f64,
    /// The effective leverage (`>= 1`).
    pub lev: f64,
    /// `1/lev + cost`, the cash needed per unit of notional at a fill.
    pub open_rate: f64,
    pub mm: f64,
    pub sl: f64,
    pub tp: f64,
    pub sltp: bool,
    pub liq: bool,
    /// Liquidation pre-check thresholds as multiples of the entry price (slack included):
    /// a long can only be liquidated at or below `entry * liq_long`, a short at or above
    /// `entry * liq_short`.
    pub liq_long: f64,
    pub liq_short: f64,
}

impl AccountTerms {
    pub(crate) fn new(cost: &CostModel, risk: &Risk) -> AccountTerms {
        let lev = risk.effective_leverage();
        let c = cost.cost();
        AccountTerms {
            capital: cost.capital,
            cost: c,
            lev,
            open_rate: 1.0 / lev + c,
            mm: cost.maintenance_margin,
            sl: risk.stop_loss,
            tp: risk.take_profit,
            sltp: risk.stop_loss > 0.0 || risk.take_profit > 0.0,
            liq: lev > 1.0,
            // From margin + (w - entry)*|qty| <= |qty|*w*mm with margin = |qty|*entry/lev:
            // w <= entry*(1 - 1/lev)/(1 - mm) (long), w >= entry*(1 + 1/lev)/(1 + mm) (short).
            liq_long: (1.0 - 1.0 / lev) / (1.0 - cost.maintenance_margin) + LIQ_SLACK,
            liq_short: (1.0 + 1.0 / lev) / (1.0 + cost.maintenance_margin) - LIQ_SLACK,
        }
    }

    /// The drawdown pre-check's limit of a fresh account (`max_dd = 0`, `peak = capital`).
    pub(crate) fn initial_dd_limit(&self) -> f64 {
        if self.capital > 0.0 {
            0.0 * self.capital * DD_SLACK
        } else {
            f64::INFINITY
        }
    }
}

/// Slack of the liquidation pre-check, as a fraction of the entry price: far above the
/// rounding error of the exact test, far below any price move that matters.
const LIQ_SLACK: f64 = 1e-9;

/// Notionals `|qty| * entry` at or below which the liquidation pre-check's error bound is
/// not trusted (near the bottom of the float range): such positions are tested exactly.
pub(crate) const LIQ_TINY: f64 = 1e-200;

/// The state of one futures account.
#[derive(Debug, Clone)]
pub struct FuturesAccount {
    // Configuration.
    cost: f64,
    lev: f64,
    /// `1/lev + cost`, the cash needed per unit of notional at a fill.
    open_rate: f64,
    mm: f64,
    sl: f64,
    tp: f64,
    sltp: bool,
    liq: bool,
    /// Liquidation pre-check thresholds as multiples of the entry price (slack included):
    /// a long can only be liquidated at or below `entry * liq_long`, a short at or above
    /// `entry * liq_short`.
    liq_long: f64,
    liq_short: f64,
    // State (the reference's variables).
    cash: f64,
    /// Signed size: `> 0` long, `< 0` short.
    qty: f64,
    entry: f64,
    pending: i8,
    trades: u64,
    wins: u64,
    gross_profit: f64,
    gross_loss: f64,
    liquidations: u64,
    peak: f64,
    max_dd: f64,
    // Values derived from the state, refreshed when it changes.
    /// `1`, `-1` or `0` (flat).
    side: i8,
    /// `|qty| * entry / lev`.
    margin: f64,
    /// `cash + margin`.
    base: f64,
    sl_px: f64,
    tp_px: f64,
    /// The exact SL/TP/liquidation tests run only when `low <= lo_trigger` or
    /// `high >= hi_trigger`.
    lo_trigger: f64,
    hi_trigger: f64,
    /// A drawdown `peak - equity <= dd_limit` cannot raise `max_dd`.
    dd_limit: f64,
    entry_bar: usize,
    entry_fee: f64,
}

impl FuturesAccount {
    /// A fresh account holding `cost.capital` in cash. Inputs are assumed valid
    /// (see [`CostModel::validate`], [`Risk::validate`]).
    pub fn new(cost: &CostModel, risk: &Risk) -> FuturesAccount {
        let t = AccountTerms::new(cost, risk);
        let (lev, mm) = (t.lev, t.mm);
        let mut a = FuturesAccount {
            cost: t.cost,
            lev,
            open_rate: t.open_rate,
            mm,
            sl: t.sl,
            tp: t.tp,
            sltp: t.sltp,
            liq: t.liq,
            liq_long: t.liq_long,
            liq_short: t.liq_short,
            cash: cost.capital,
            qty: 0.0,
            entry: 0.0,
            pending: 0,
            trades: 0,
            wins: 0,
            gross_profit: 0.0,
            gross_loss: 0.0,
            liquidations: 0,
            peak: cost.capital,
            max_dd: 0.0,
            side: 0,
            margin: 0.0,
            base: 0.0,
            sl_px: 0.0,
            tp_px: 0.0,
            lo_trigger: f64::NEG_INFINITY,
            hi_trigger: f64::INFINITY,
            dd_limit: 0.0,
            entry_bar: 0,
            entry_fee: 0.0,
        };
        a.set_flat();
        a.refresh_dd_limit();
        a
    }

    pub fn cash(&self) -> f64 {
        self.cash
    }

    /// Signed position size (`> 0` long, `< 0` short, `0` flat).
    pub fn qty(&self) -> f64 {
        self.qty
    }

    pub fn entry_price(&self) -> f64 {
        self.entry
    }

    /// The signal waiting to be executed at the next bar's open.
    pub fn pending(&self) -> i8 {
        self.pending
    }

    /// `1` long, `-1` short, `0` flat.
    #[inline(always)]
    pub fn side_sign(&self) -> i8 {
        self.side
    }

    pub fn side(&self) -> Option<Side> {
        match self.side {
            1 => Some(Side::Long),
            -1 => Some(Side::Short),
            _ => None,
        }
    }

    /// The bar at whose open the current position was filled (meaningless when flat).
    pub fn entry_bar(&self) -> usize {
        self.entry_bar
    }

    /// The stop-loss and take-profit prices of the open position, `None` when a level is off
    /// or the account is flat. These are the exact prices the kernel tests the bar's low and
    /// high against (step 2).
    pub fn levels(&self) -> (Option<f64>, Option<f64>) {
        if self.side == 0 {
            return (None, None);
        }
        ((self.sl > 0.0).then_some(self.sl_px), (self.tp > 0.0).then_some(self.tp_px))
    }

    /// The side the account will hold after the next bar's open if no level or liquidation
    /// intervenes on that bar: the pending signal's side when it executes (step 4), else
    /// the current side.
    pub fn next_side(&self) -> i8 {
        if self.pending != self.side && self.pending.unsigned_abs() == 1 {
            self.pending
        } else {
            self.side
        }
    }

    /// The size step 4 would open at `px` with the cash now (before closing any position).
    /// After a close the cash changes; [`Self::size_after_close`] gives that case.
    pub fn size_at(&self, px: f64) -> f64 {
        (self.cash * SIZE_FRACTION) / (px * self.open_rate)
    }

    /// The size step 4 opens at `px` after first closing the current position at `px`
    /// (the same arithmetic as [`Self::execute`]).
    pub fn size_after_close(&self, px: f64) -> f64 {
        let cash = if self.side != 0 { self.cash + (self.margin + self.exit_pnl(px, self.qty.abs())) } else { self.cash };
        (cash * SIZE_FRACTION) / (px * self.open_rate)
    }

    /// The equity marked at `close` (the cash when flat).
    pub fn equity_at(&self, close: f64) -> f64 {
        if self.side != 0 {
            self.mark(close)
        } else {
            self.base
        }
    }

    /// No position and no pending signal: bars pass without changing anything but
    /// `pending`.
    #[inline(always)]
    pub fn is_idle(&self) -> bool {
        self.side == 0 && self.pending.unsigned_abs() != 1
    }

    /// Totals so far; `final_equity` is what [`Self::finish`] returns for `last_close`.
    pub fn stats(&self, last_close: f64) -> KernelStats {
        KernelStats {
            final_equity: self.finish(last_close),
            max_drawdown: self.max_dd,
            trades: self.trades,
            wins: self.wins,
            gross_profit: self.gross_profit,
            gross_loss: self.gross_loss,
            liquidations: self.liquidations,
        }
    }

    /// Process bar `i` (the reference's steps 1–5) and return its equity. `signal` is the
    /// decision taken on this bar's close; it is executed at the next bar's open.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub fn step<O: Observer>(
        &mut self,
        i: usize,
        open: f64,
        high: f64,
        low: f64,
        close: f64,
        signal: i8,
        obs: &mut O,
    ) -> f64 {
        if low <= self.lo_trigger || high >= self.hi_trigger {
            if let Some(e) = self.guard(i, high, low, signal, obs) {
                return e;
            }
        }
        let e = if self.side != 0 { self.mark(close) } else { self.base };
        obs.equity(i, e);
        self.track_drawdown(e);
        // `pending == 1 && qty <= 0` or `pending == -1 && qty >= 0`; other values do nothing.
        if self.pending != self.side && self.pending.unsigned_abs() == 1 {
            self.execute(i, open, obs);
        }
        self.pending = signal;
        e
    }

    /// In a position with no fill due at the next open: bars pass by marking to market
    /// until a level, a liquidation or an opposite signal intervenes.
    #[inline(always)]
    pub fn is_holding(&self) -> bool {
        self.side != 0 && !(self.pending != self.side && self.pending.unsigned_abs() == 1)
    }

    /// The equity of an open position marked at `close` (step 3). `base + (close - entry) * qty`
    /// is bit-identical to the reference's `(cash + |qty|*entry/lev) + unrealised`: for a
    /// short, `(entry - close) * |qty|` is exactly `(close - entry) * qty` because IEEE
    /// rounding is sign-symmetric.
    #[inline(always)]
    pub fn mark(&self, close: f64) -> f64 {
        self.base + (close - self.entry) * self.qty
    }

    /// Pass a block of bars in one go while holding (see [`Self::is_holding`]), given the
    /// block's lowest low, highest high and extreme closes (`[min low, max high, min close,
    /// max close]`), when no bar of it can trigger anything: no level or liquidation
    /// pre-check fires and no drawdown can raise `max_dd`; the peak moves to the block's
    /// best equity. Returns `false`, with nothing changed, when that is not certain.
    ///
    /// The caller guarantees that the signals of the block's bars, except the last, do not
    /// reverse the position; it reports the equities ([`Self::mark`] of each close) and then
    /// sets the pending signal to the last one ([`Self::set_pending`]).
    ///
    /// Exactness: the equity is a monotone function of the close (IEEE operations are
    /// monotone), so the block's best and worst equities are those of its extreme closes.
    /// With `p = max(peak, best)`, `p - worst <= dd_limit` bounds every bar's drawdown
    /// `peak_k - e_k` by the limit of the old peak, which no later peak lowers.
    #[inline(always)]
    pub fn pass_block(&mut self, x: &[f64; 4]) -> bool {
        let [low, high, cmin, cmax] = *x;
        if !(low > self.lo_trigger && high < self.hi_trigger) {
            return false;
        }
        let (best, worst) = if self.side > 0 { (cmax, cmin) } else { (cmin, cmax) };
        let (best, worst) = (self.mark(best), self.mark(worst));
        let p = if best > self.peak { best } else { self.peak };
        if !(p - worst <= self.dd_limit) {
            return false;
        }
        if p > self.peak {
            self.peak = p;
            self.refresh_dd_limit();
        }
        true
    }

    /// The prices that call for the exact level / liquidation tests: a bar needs them only
    /// when its low is at or below the first or its high at or above the second.
    #[inline(always)]
    pub fn triggers(&self) -> (f64, f64) {
        (self.lo_trigger, self.hi_trigger)
    }

    /// [`Self::pass_block`] for bars already known not to reach [`Self::triggers`], given
    /// their extreme closes.
    #[inline(always)]
    pub fn pass_closes(&mut self, cmin: f64, cmax: f64) -> bool {
        self.pass_block(&[f64::INFINITY, f64::NEG_INFINITY, cmin, cmax])
    }

    /// Set the signal waiting for the next open (step 5 of a bar passed in a block).
    #[inline(always)]
    pub fn set_pending(&mut self, signal: i8) {
        self.pending = signal;
    }

    /// Bars `start..end` while idle (see [`Self::is_idle`]): every one has equity `cash`;
    /// `last_signal` is the signal of bar `end - 1` (the earlier ones must be neither `1`
    /// nor `-1`).
    #[inline]
    pub fn idle_run<O: Observer>(&mut self, start: usize, end: usize, last_signal: i8, obs: &mut O) -> f64 {
        debug_assert!(self.is_idle() && start < end);
        let e = self.base;
        obs.span(start, end, |_| e);
        self.track_drawdown(e);
        self.pending = last_signal;
        e
    }

    /// Final equity after the last bar: an open position is valued at `last_close` with
    /// the exit cost, summed as the reference does (`(cash + margin) + pnl`).
    pub fn finish(&self, last_close: f64) -> f64 {
        if self.side == 0 {
            self.cash
        } else {
            let aq = self.qty.abs();
            (self.cash + aq * self.entry / self.lev) + self.exit_pnl(last_close, aq)
        }
    }

    /// The trade an open position would make if closed at `last_close` after bar
    /// `last_bar` (exit reason `End`); `None` when flat. Does not change the account.
    pub fn open_trade_at_end(&self, last_bar: usize, last_close: f64) -> Option<Trade> {
        let side = self.side()?;
        let aq = self.qty.abs();
        Some(Trade {
            entry_bar: self.entry_bar,
            exit_bar: last_bar,
            side,
            entry_price: self.entry,
            exit_price: last_close,
            qty: aq,
            fees: self.entry_fee + self.cost * last_close * aq,
            pnl: self.exit_pnl(last_close, aq),
            exit_reason: ExitReason::End,
        })
    }

    /// Steps 1–2: liquidation, then stop-loss / take-profit. Returns the bar's equity
    /// when a liquidation ended the bar.
    #[inline(never)]
    fn guard<O: Observer>(&mut self, i: usize, high: f64, low: f64, signal: i8, obs: &mut O) -> Option<f64> {
        if self.side == 0 {
            return None;
        }
        let aq = self.qty.abs();
        if self.liq {
            let (w, u) = if self.side > 0 { (low, (low - self.entry) * aq) } else { (high, (self.entry - high) * aq) };
            if self.margin + u <= aq * w * self.mm {
                let margin = self.margin;
                self.trades += 1;
                self.gross_loss += margin;
                self.liquidations += 1;
                obs.trade(&self.trade(i, w, aq, self.entry_fee, -margin, ExitReason::Liquidation));
                self.set_flat();
                let e = self.cash;
                obs.equity(i, e);
                self.track_drawdown(e);
                self.pending = signal;
                return Some(e);
            }
        }
        if self.sltp {
            let (hit_sl, hit_tp) = if self.side > 0 {
                (self.sl > 0.0 && low <= self.sl_px, self.tp > 0.0 && high >= self.tp_px)
            } else {
                (self.sl > 0.0 && high >= self.sl_px, self.tp > 0.0 && low <= self.tp_px)
            };
            if hit_sl | hit_tp {
                // The stop-loss wins when both are touched.
                let (x, reason) = if hit_sl { (self.sl_px, ExitReason::StopLoss) } else { (self.tp_px, ExitReason::TakeProfit) };
                self.close_at(i, x, reason, obs);
                self.pending = 0;
            }
        }
        None
    }

    /// Step 4: execute the pending signal at this bar's open.
    #[inline(never)]
    fn execute<O: Observer>(&mut self, i: usize, px: f64, obs: &mut O) {
        if self.side != 0 {
            self.close_at(i, px, ExitReason::Signal, obs);
        }
        let q = (self.cash * SIZE_FRACTION) / (px * self.open_rate);
        if q > 0.0 {
            self.qty = if self.pending > 0 { q } else { -q };
            self.entry = px;
            self.cash -= q * px * self.open_rate;
            self.entry_bar = i;
            self.entry_fee = self.cost * px * q;
            self.set_open();
        }
    }

    /// `pnl` of closing `aq` units at `x`, exit cost included.
    #[inline]
    fn exit_pnl(&self, x: f64, aq: f64) -> f64 {
        let gross = if self.side > 0 { (x - self.entry) * aq } else { (self.entry - x) * aq };
        gross - self.cost * x * aq
    }

    fn close_at<O: Observer>(&mut self, i: usize, x: f64, reason: ExitReason, obs: &mut O) {
        let aq = self.qty.abs();
        let pnl = self.exit_pnl(x, aq);
        // `margin` is `aq * entry / lev`, computed at the fill from the same values.
        self.cash += self.margin + pnl;
        self.trades += 1;
        // Branch-free: adding `+0.0` leaves both sums unchanged (they start at `+0.0` and
        // only grow, so neither is ever `-0.0`).
        let win = pnl > 0.0;
        self.wins += win as u64;
        self.gross_profit += if win { pnl } else { 0.0 };
        self.gross_loss += if win { 0.0 } else { pnl.abs() };
        obs.trade(&self.trade(i, x, aq, self.entry_fee + self.cost * x * aq, pnl, reason));
        self.set_flat();
    }

    fn trade(&self, i: usize, x: f64, aq: f64, fees: f64, pnl: f64, reason: ExitReason) -> Trade {
        Trade {
            entry_bar: self.entry_bar,
            exit_bar: i,
            side: if self.side > 0 { Side::Long } else { Side::Short },
            entry_price: self.entry,
            exit_price: x,
            qty: aq,
            fees,
            pnl,
            exit_reason: reason,
        }
    }

    fn set_flat(&mut self) {
        self.qty = 0.0;
        self.entry = 0.0;
        self.side = 0;
        self.margin = 0.0;
        // The reference's flat equity is `(cash + 0*entry/lev) + 0`.
        self.base = self.cash + 0.0;
        self.lo_trigger = f64::NEG_INFINITY;
        self.hi_trigger = f64::INFINITY;
    }

    /// Derive the per-position constants after a fill (`qty`, `entry`, `cash` set).
    fn set_open(&mut self) {
        let aq = self.qty.abs();
        let entry = self.entry;
        self.side = if self.qty > 0.0 { 1 } else { -1 };
        // `x / 1.0 == x` exactly: spare the division at leverage 1.
        self.margin = if self.lev == 1.0 { aq * entry } else { aq * entry / self.lev };
        self.base = self.cash + self.margin;
        let mut lo = f64::NEG_INFINITY;
        let mut hi = f64::INFINITY;
        // Near the bottom of the float range the pre-check's error bound does not hold:
        // always run the exact test there.
        let tiny = !(aq * entry > LIQ_TINY);
        if self.side > 0 {
            self.sl_px = entry * (1.0 - self.sl);
            self.tp_px = entry * (1.0 + self.tp);
            if self.sl > 0.0 {
                lo = self.sl_px;
            }
            if self.tp > 0.0 {
                hi = self.tp_px;
            }
            if self.liq {
                let w = entry * self.liq_long;
                lo = if w.is_nan() || tiny { f64::INFINITY } else if w > lo { w } else { lo };
            }
        } else {
            self.sl_px = entry * (1.0 + self.sl);
            self.tp_px = entry * (1.0 - self.tp);
            if self.sl > 0.0 {
                hi = self.sl_px;
            }
            if self.tp > 0.0 {
                lo = self.tp_px;
            }
            if self.liq {
                let w = entry * self.liq_short;
                hi = if w.is_nan() || tiny { f64::NEG_INFINITY } else if w < hi { w } else { hi };
            }
        }
        self.lo_trigger = lo;
        self.hi_trigger = hi;
    }

    /// Step 3's `peak = max(peak, e)`, `max_dd = max(max_dd, (peak - e)/peak)`, with the
    /// division only when it might raise `max_dd`.
    #[inline(always)]
    fn track_drawdown(&mut self, e: f64) {
        if e > self.peak {
            self.peak = e;
            self.refresh_dd_limit();
        } else if self.peak - e > self.dd_limit {
            self.raise_drawdown(e);
        }
    }

    #[inline(never)]
    fn raise_drawdown(&mut self, e: f64) {
        if self.peak > 0.0 {
            let dd = (self.peak - e) / self.peak;
            if dd > self.max_dd {
                self.max_dd = dd;
                self.refresh_dd_limit();
            }
        }
    }

    /// `d <= dd_limit` implies `d < max_dd * peak` exactly, hence `d / peak <= max_dd` after
    /// rounding: the limit is the rounded product shrunk by far more than its error.
    fn refresh_dd_limit(&mut self) {
        self.dd_limit = if self.peak > 0.0 { self.max_dd * self.peak * DD_SLACK } else { f64::INFINITY };
    }
}

#[cfg(test)]
mod tests;
