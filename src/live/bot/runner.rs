//! One bot's loop: wake just after each candle closes, absorb the closed candles into the
//! kernel's account, reconcile the exchange with what the account holds, act at the new
//! bar's open, protect the position with exchange-side SL/TP, record fills and equity, and
//! apply the risk limits.

use std::time::Instant;

use super::config::BotConfig;
use super::decide::{Decider, Event, Plan};
use super::journal::{Desired, EquityRow, Journal, JournalError};
use super::orders::{ensure_algo, ensure_market, AlgoOutcome, MarketReq, OrderError};
use crate::binance::Kline;
use crate::kernel::Side;
use crate::live::clock::Clock;
use crate::live::exchange::{AlgoKind, ExchangeError, OrderSide, Position, Venue};
use crate::live::filters::SymbolFilters;
use crate::live::ids::{client_order_id, Action};

const DAY_MS: i64 = 86_400_000;

#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error(transparent)]
    Exchange(#[from] ExchangeError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Decide(#[from] super::decide::DecideError),
    #[error("bot `{bot}`: {msg}")]
    Setup { bot: String, msg: String },
}

impl From<OrderError> for BotError {
    fn from(e: OrderError) -> BotError {
        match e {
            OrderError::Exchange(e) => BotError::Exchange(e),
            OrderError::Journal(e) => BotError::Journal(e),
        }
    }
}

/// Why a loop ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Exit {
    /// Asked to stop (`qm bot stop`, Ctrl-C).
    Stopped,
    /// A risk limit flattened and stopped the bot.
    RiskLimit(String),
    /// The replay's end time was reached.
    Finished,
}

/// Loop options.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// How long after a candle's close to fetch it (exchange time).
    pub wake_delay_ms: i64,
    /// Stop once the clock passes this time (replays).
    pub until: Option<i64>,
    pub recv_window_ms: i64,
    /// Set position mode, margin type and leverage on the exchange at start (not for paper).
    pub prepare_account: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions { wake_delay_ms: 1_000, until: None, recv_window_ms: 5_000, prepare_account: true }
    }
}

/// Decision latencies measured (wall clock), ms.
#[derive(Debug, Clone, Default)]
pub struct Latency {
    /// From waking after a close to the first order of the cycle being sent.
    pub wake_to_order_ms: Vec<f64>,
    /// Whole cycles (fetch, decide, act, record).
    pub cycle_ms: Vec<f64>,
}

/// A running bot.
pub struct Bot<V: Venue> {
    pub cfg: BotConfig,
    venue: V,
    journal: Journal,
    clock: Clock,
    decider: Decider,
    filters: SymbolFilters,
    interval_ms: i64,
    opts: RunOptions,
    history_start: i64,
    peak: f64,
    day: i64,
    day_start: f64,
    pub latency: Latency,
    wake: Option<Instant>,
    first_order_seen: bool,
    /// The last cycle failed on a transient error: repeat it without waiting for a close.
    retry: bool,
}

fn side_str(s: i8) -> &'static str {
    if s > 0 {
        "long"
    } else {
        "short"
    }
}

impl<V: Venue> Bot<V> {
    /// Register the bot, set the account up on the exchange, restore the decision state from
    /// the candles since its anchor and reconcile.
    pub async fn start(cfg: BotConfig, venue: V, journal: Journal, clock: Clock, opts: RunOptions) -> Result<Bot<V>, BotError> {
        let name = cfg.name.clone();
        let setup = |msg: String| BotError::Setup { bot: name.clone(), msg };
        journal.upsert_bot(&cfg.name, &cfg.to_json(), cfg.mode.as_str())?;
        // Set-up requests change nothing twice: repeat them while the exchange is busy.
        let mut attempt = 0;
        let filters = loop {
            attempt += 1;
            let r = async {
                venue.sync_time().await?;
                let f = venue.filters(&cfg.symbol).await?;
                if opts.prepare_account {
                    venue.prepare(&cfg.symbol, cfg.leverage, cfg.margin_type).await?;
                }
                Ok::<_, ExchangeError>(f)
            }
            .await;
            match r {
                Ok(f) => break f,
                Err(e) if attempt < 5 && (e.is_transient() || e.is_unknown()) => {
                    eprintln!("[{}] warn: setting up: {e}; retrying", cfg.name);
                    tokio::time::sleep(std::time::Duration::from_millis(500 * attempt)).await;
                }
                Err(e) => return Err(e.into()),
            }
        };
        let iv = cfg.interval.millis();
        let row = journal.bot(&cfg.name)?;
        let (anchor, history_start) = match (row.anchor_time, row.history_start) {
            (Some(a), Some(h)) => (a, h),
            _ => {
                let forming = venue.now_ms().div_euclid(iv) * iv;
                let h = forming - cfg.lookback as i64 * iv;
                journal.set_anchor(&cfg.name, forming, h)?;
                (forming, h)
            }
        };
        let combo = cfg.combo().map_err(|e| setup(e.to_string()))?;
        let risk = cfg.risk().map_err(|e| setup(e.to_string()))?;
        let decider = Decider::new(combo, &cfg.cost(), &risk, iv, anchor);
        let capital = cfg.capital;
        let mut bot = Bot {
            peak: row.peak_equity.unwrap_or(capital),
            day: row.day.unwrap_or(-1),
            day_start: row.day_start_equity.unwrap_or(capital),
            cfg,
            venue,
            journal,
            clock,
            decider,
            filters,
            interval_ms: iv,
            opts,
            history_start,
            latency: Latency::default(),
            wake: None,
            first_order_seen: false,
            retry: false,
        };
        let resumed = row.last_bar.is_some();
        bot.journal.set_status(&bot.cfg.name, "running", "", Some(std::process::id() as i64))?;
        bot.log("info", &format!(
            "{} {} {} {} on {} (anchor {}, {} warm-up candles)",
            if resumed { "resuming" } else { "starting" },
            bot.cfg.mode.as_str(),
            bot.cfg.strategy,
            bot.cfg.symbol,
            bot.cfg.interval,
            fmt_time(anchor),
            bot.cfg.lookback
        ))?;
        // Catch up on every closed candle since the history start, then reconcile and act for
        // the forming bar: idempotent, so a restart in the middle of a cycle finishes it.
        match bot.cycle(false).await {
            Ok(_) => {}
            Err(BotError::Exchange(e)) if e.is_transient() || e.is_unknown() => {
                bot.log("warn", &format!("first cycle interrupted: {e}; retrying"))?;
                bot.retry = true;
            }
            Err(e) => return Err(e),
        }
        Ok(bot)
    }

    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    pub fn decider(&self) -> &Decider {
        &self.decider
    }

    fn log(&self, level: &str, msg: &str) -> Result<(), JournalError> {
        self.journal.log(&self.cfg.name, level, msg)?;
        if level != "debug" {
            eprintln!("[{}] {level}: {msg}", self.cfg.name);
        }
        Ok(())
    }

    fn cid(&self, bar: i64, a: Action) -> String {
        client_order_id(&self.cfg.name, bar, a)
    }

    /// Run until stopped, a risk limit, or `opts.until`.
    pub async fn run(&mut self) -> Result<Exit, BotError> {
        loop {
            if !self.retry {
                let forming = self.decider.last_time().map(|t| t + self.interval_ms).unwrap_or(self.history_start).max(self.decider.anchor_time());
                let next_close = forming + self.interval_ms;
                if let Some(until) = self.opts.until {
                    if next_close > until {
                        return Ok(Exit::Finished);
                    }
                }
                // Sleep until just after the close, watching for stop/pause requests.
                let wake_at = next_close + self.opts.wake_delay_ms;
                loop {
                    match self.control()? {
                        Desired::Stopped => return self.stop(false).await,
                        Desired::StopFlatten => return self.stop(true).await,
                        _ => {}
                    }
                    let now = self.venue.now_ms();
                    if now >= wake_at {
                        break;
                    }
                    if self.clock.is_real_time() {
                        // Look at the journal about once a wall-clock second.
                        let step = (wake_at - now).min((1_000.0 * self.clock.speed()) as i64).max(1);
                        self.clock.sleep_ms(step).await;
                    } else {
                        self.clock.sleep_until(wake_at).await;
                    }
                }
            } else {
                match self.control()? {
                    Desired::Stopped => return self.stop(false).await,
                    Desired::StopFlatten => return self.stop(true).await,
                    _ => {}
                }
            }
            self.retry = false;
            let paused = self.control()? == Desired::Paused;
            match self.cycle(paused).await {
                Ok(Some(exit)) => return Ok(exit),
                Ok(None) => {}
                // The exchange is busy, throttling or unreachable: nothing was decided that
                // a repeat of the cycle would not decide again. Wait and repeat.
                Err(BotError::Exchange(e)) if e.is_transient() || e.is_unknown() => {
                    let wait_ms = match &e {
                        ExchangeError::Banned { retry_after_s } | ExchangeError::RateLimited { retry_after_s } => *retry_after_s as f64 * 1e3,
                        _ => 2_000.0,
                    };
                    self.log("warn", &format!("cycle interrupted: {e}; retrying in {:.0} s", wait_ms / 1e3))?;
                    tokio::time::sleep(std::time::Duration::from_millis(wait_ms as u64)).await;
                    self.retry = true;
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn control(&self) -> Result<Desired, JournalError> {
        Ok(self.journal.bot(&self.cfg.name)?.desired)
    }

    /// Stop the loop, optionally flattening first.
    pub async fn stop(&mut self, flatten: bool) -> Result<Exit, BotError> {
        if flatten {
            self.flatten("stop").await?;
        }
        let reason = if flatten { "stopped by request (position flattened)" } else { "stopped by request" };
        self.journal.set_desired(&self.cfg.name, Desired::Stopped)?;
        self.journal.set_status(&self.cfg.name, "stopped", reason, None)?;
        self.log("info", reason)?;
        Ok(Exit::Stopped)
    }

    /// Closed candles after the newest absorbed one, and the forming candle.
    async fn fetch(&self) -> Result<(Vec<Kline>, Option<Kline>), ExchangeError> {
        let now = self.venue.now_ms();
        let mut from = self.decider.last_time().map(|t| t + self.interval_ms).unwrap_or(self.history_start);
        let mut closed = Vec::new();
        let mut forming = None;
        loop {
            let page = self.venue.klines(&self.cfg.symbol, self.cfg.interval, Some(from), 1500).await?;
            let n = page.len();
            let mut last = None;
            for k in page {
                last = Some(k.open_time);
                if k.open_time + self.interval_ms <= now {
                    closed.push(k);
                } else if k.open_time <= now {
                    forming = Some(k);
                }
            }
            match last {
                Some(l) if n >= 1500 && l + self.interval_ms <= now => from = l + self.interval_ms,
                _ => break,
            }
        }
        Ok((closed, forming))
    }

    /// One cycle. `paused`: follow the candles but send nothing.
    async fn cycle(&mut self, paused: bool) -> Result<Option<Exit>, BotError> {
        let t0 = Instant::now();
        self.wake = Some(t0);
        self.first_order_seen = false;
        let expect = self.decider.last_time().map(|t| t + self.interval_ms);
        let (mut closed, mut forming) = self.fetch().await?;
        // The exchange may publish the closed candle a moment late.
        for _ in 0..20 {
            if expect.is_none() || !closed.is_empty() || !self.clock.is_real_time() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            (closed, forming) = self.fetch().await?;
        }
        let events = self.decider.absorb(&closed)?;
        for e in &events {
            match e {
                Event::Opened { time, side, price, qty } => {
                    self.log("debug", &format!("model: {} {qty} at {price} (bar {})", side.as_str(), fmt_time(*time)))?
                }
                Event::Closed { exit_time, reason, exit_price, .. } => {
                    self.log("debug", &format!("model: closed at {exit_price} ({}, bar {})", reason.as_str(), fmt_time(*exit_time)))?
                }
            }
        }
        self.sync_fills().await?;
        self.detect_exchange_exits().await?;
        let Some(forming) = forming else {
            self.log("warn", "no forming candle from the exchange yet; acting next cycle")?;
            return Ok(None);
        };
        if !paused {
            self.act(forming.open_time, forming.open).await?;
            self.sync_fills().await?;
        }
        let exit = self.record_equity_and_limits(forming.open_time).await?;
        if let Some(t) = self.decider.last_time() {
            self.journal.set_progress(&self.cfg.name, t, self.peak, self.day, self.day_start)?;
        }
        self.latency.cycle_ms.push(t0.elapsed().as_secs_f64() * 1e3);
        Ok(exit)
    }

    fn note_order_sent(&mut self) {
        if !self.first_order_seen {
            self.first_order_seen = true;
            if let Some(w) = self.wake {
                self.latency.wake_to_order_ms.push(w.elapsed().as_secs_f64() * 1e3);
            }
        }
    }

    async fn market(&mut self, bar: i64, action: Action, side: OrderSide, qty: String, reduce_only: bool, reason: &str) -> Result<crate::live::exchange::Order, BotError> {
        let cid = self.cid(bar, action);
        self.note_order_sent();
        let action_name = format!("{action:?}").to_ascii_lowercase();
        let req = MarketReq { client_id: &cid, action: &action_name, bar, side, qty, reduce_only, reason };
        let o = ensure_market(&self.venue, &self.journal, &self.cfg.name, &self.cfg.symbol, self.opts.recv_window_ms, &req).await?;
        self.log("info", &format!("{} {} {} at {} ({reason}, order `{cid}`)", side.as_str(), o.executed_qty, self.cfg.symbol, o.avg_price))?;
        Ok(o)
    }

    /// Make the exchange hold what the account holds after the forming bar's open.
    async fn act(&mut self, t: i64, open: f64) -> Result<(), BotError> {
        let plan: Plan = self.decider.plan(t, open);
        let sym = self.cfg.symbol.clone();
        let pos: Position = self.venue.position(&sym).await?;
        let mut side = pos.side();
        // 1. Exits: the account leaves (or never had) the exchange's position.
        if side != 0 && side != plan.target {
            self.cancel_all_algos().await?;
            let (action, reason) = if plan.side == side { (Action::Close, "signal") } else { (Action::Flatten, "reconcile") };
            let o = self.market(t, action, OrderSide::closing(side), self.filters.qty_text(pos.qty.abs()), true, reason).await?;
            self.close_journal_trade(Some(o.order_id), t, o.avg_price, reason).await?;
            side = 0;
        }
        // 2. Entries: only when the account enters at this open.
        if plan.target != 0 && plan.target != plan.side && side == 0 {
            // The kernel's size, never more than the wallet can margin (the real wallet may
            // have paid more in fees and slippage than the model).
            let bal = self.venue.balance().await?;
            let cap = bal.available * 0.98 / (open * (1.0 / self.cfg.leverage.max(1) as f64 + self.cfg.commission + self.cfg.slippage));
            let qty = if cap.is_finite() && cap > 0.0 && cap < plan.open_qty {
                self.log("warn", &format!("the wallet margins {cap:.6} of the model's {:.6}: trading the smaller size", plan.open_qty))?;
                cap
            } else {
                plan.open_qty
            };
            match self.filters.market_qty(qty, open, false) {
                Ok(q) => match self.market(t, Action::Open, OrderSide::opening(plan.target), self.filters.qty_text(q), false, "signal").await {
                    Ok(o) => {
                        if self.journal.open_trade(&self.cfg.name)?.is_none() {
                            self.journal.start_trade(&self.cfg.name, side_str(plan.target), t, o.avg_price, o.executed_qty, o.order_id, 0.0)?;
                        }
                    }
                    // A definite rejection (margin, filters): no position; the model decides again next bar.
                    Err(BotError::Exchange(e)) if e.code().is_some() => self.log("error", &format!("entry rejected: {e}"))?,
                    Err(e) => return Err(e),
                },
                Err(e) => self.log("warn", &format!("not opening {} at {open}: {e}", side_str(plan.target)))?,
            }
        } else if plan.side != 0 && side == 0 && plan.target == plan.side {
            self.log("warn", "the exchange is flat while the model holds a position; waiting for the model's next entry")?;
        }
        // 3. Protection of a position held since before this bar.
        let mut wanted: Vec<String> = Vec::new();
        if side != 0 && side == plan.side {
            if let Some(entry) = plan.entry_time {
                for (level, kind, action, reason) in [
                    (plan.stop_loss, AlgoKind::StopMarket, Action::StopLoss, "stop_loss"),
                    (plan.take_profit, AlgoKind::TakeProfitMarket, Action::TakeProfit, "take_profit"),
                ] {
                    let Some(px) = level else { continue };
                    let cid = self.cid(entry, action);
                    wanted.push(cid.clone());
                    let trigger = self.filters.price_text(self.filters.price(px));
                    self.note_order_sent();
                    let out = ensure_algo(&self.venue, &self.journal, &self.cfg.name, &sym, self.opts.recv_window_ms, &cid, kind, OrderSide::closing(side), &trigger, t).await?;
                    match out {
                        AlgoOutcome::Open(_) => {}
                        AlgoOutcome::Triggered(_) => self.log("info", &format!("{reason} `{cid}` already triggered"))?,
                        AlgoOutcome::WouldTrigger => {
                            // The price is already past the level: the kernel exits on this bar.
                            self.cancel_all_algos().await?;
                            let pos = self.venue.position(&sym).await?;
                            if pos.side() != 0 {
                                let o = self.market(t, Action::Flatten, OrderSide::closing(pos.side()), self.filters.qty_text(pos.qty.abs()), true, reason).await?;
                                self.close_journal_trade(Some(o.order_id), t, o.avg_price, reason).await?;
                            }
                            wanted.clear();
                            break;
                        }
                    }
                }
            }
        }
        // 4. Conditional orders that protect nothing any more (the other one of a filled pair).
        for a in self.venue.open_algo_orders(&sym).await? {
            if !wanted.contains(&a.client_id) && self.venue.cancel_algo(&sym, &a.client_id).await? {
                self.journal.order_result(&self.cfg.name, &a.client_id, "canceled", Some(a.algo_id), None, None, "")?;
                self.log("info", &format!("cancelled `{}`", a.client_id))?;
            }
        }
        Ok(())
    }

    async fn cancel_all_algos(&mut self) -> Result<(), BotError> {
        for a in self.venue.open_algo_orders(&self.cfg.symbol).await? {
            if self.venue.cancel_algo(&self.cfg.symbol, &a.client_id).await? {
                self.journal.order_result(&self.cfg.name, &a.client_id, "canceled", Some(a.algo_id), None, None, "")?;
            }
        }
        Ok(())
    }

    /// Close the position and cancel its orders (risk limits, `stop --flatten`).
    async fn flatten(&mut self, reason: &str) -> Result<(), BotError> {
        self.cancel_all_algos().await?;
        let pos = self.venue.position(&self.cfg.symbol).await?;
        if pos.side() != 0 {
            let t = self.venue.now_ms().div_euclid(self.interval_ms) * self.interval_ms;
            let o = self.market(t, Action::Flatten, OrderSide::closing(pos.side()), self.filters.qty_text(pos.qty.abs()), true, reason).await?;
            self.close_journal_trade(Some(o.order_id), t, o.avg_price, reason).await?;
            self.sync_fills().await?;
        }
        Ok(())
    }

    /// New fills from the exchange into the journal.
    async fn sync_fills(&mut self) -> Result<(), BotError> {
        let after = self.journal.bot(&self.cfg.name)?.last_fill_id;
        let trades = self.venue.user_trades(&self.cfg.symbol, after).await?;
        let rows: Vec<_> = trades
            .iter()
            .map(|t| super::journal::FillRow {
                trade_id: t.id,
                order_id: t.order_id,
                side: t.side.as_str().into(),
                price: t.price,
                qty: t.qty,
                realized_pnl: t.realized_pnl,
                commission: t.commission,
                commission_asset: t.commission_asset.clone(),
                time: t.time,
            })
            .collect();
        self.journal.add_fills(&self.cfg.name, &rows)?;
        Ok(())
    }

    /// Orders journaled as in flight (a crash between sending and recording, or an outcome
    /// never resolved): ask the exchange what became of them.
    async fn reconcile_orders(&mut self) -> Result<(), BotError> {
        for row in self.journal.orders(&self.cfg.name)? {
            if !matches!(row.status.as_str(), "intent" | "sent" | "unknown") {
                continue;
            }
            if row.kind == "market" {
                match self.venue.order_by_client_id(&self.cfg.symbol, &row.client_id).await? {
                    Some(o) => {
                        let st = if o.is_filled() { "filled".to_string() } else { o.status.to_ascii_lowercase() };
                        self.journal.order_result(&self.cfg.name, &row.client_id, &st, Some(o.order_id), Some(o.avg_price), Some(o.executed_qty), "")?;
                        self.log("info", &format!("reconciled order `{}`: {st} on the exchange", row.client_id))?;
                    }
                    None => self.journal.order_result(&self.cfg.name, &row.client_id, "lost", None, None, None, "not on the exchange")?,
                }
            } else {
                match self.venue.algo_by_client_id(&self.cfg.symbol, &row.client_id).await? {
                    Some(a) => self.journal.order_result(&self.cfg.name, &row.client_id, &a.status.to_ascii_lowercase(), Some(a.algo_id), None, None, "")?,
                    None => self.journal.order_result(&self.cfg.name, &row.client_id, "lost", None, None, None, "not on the exchange")?,
                }
            }
        }
        Ok(())
    }

    /// Bring the journal's trades in line with the exchange's position: adopt a position
    /// whose entry was not recorded (crash after the fill), and close the open trade when the
    /// exchange no longer holds it — by our own close order, an SL/TP trigger, or liquidation.
    async fn detect_exchange_exits(&mut self) -> Result<(), BotError> {
        self.reconcile_orders().await?;
        let pos = self.venue.position(&self.cfg.symbol).await?;
        let orders = self.journal.orders(&self.cfg.name)?;
        let Some(open) = self.journal.open_trade(&self.cfg.name)? else {
            if pos.side() != 0 {
                let want = OrderSide::opening(pos.side()).as_str();
                if let Some(o) = orders.iter().rev().find(|o| o.kind == "market" && o.action == "open" && o.status == "filled" && o.side == want) {
                    self.journal.start_trade(&self.cfg.name, side_str(pos.side()), o.bar, o.avg_price.unwrap_or(pos.entry_price), o.executed_qty.unwrap_or(pos.qty.abs()), o.exchange_id.unwrap_or(0), 0.0)?;
                    self.log("info", &format!("adopted the exchange's {} position entered by `{}`", side_str(pos.side()), o.client_id))?;
                }
            }
            return Ok(());
        };
        let side = if open.side == "long" { 1 } else { -1 };
        if pos.side() == side {
            return Ok(());
        }
        // Closed by one of our market orders whose result was not recorded on the trade.
        let closing = OrderSide::closing(side).as_str();
        if let Some(o) = orders.iter().rev().find(|o| {
            o.kind == "market" && matches!(o.action.as_str(), "close" | "flatten") && o.status == "filled" && o.side == closing && o.bar > open.entry_time && o.exchange_id != Some(open.entry_order_id)
        }) {
            let (oid, bar, px, reason) = (o.exchange_id, o.bar, o.avg_price.unwrap_or(0.0), o.reason.clone());
            self.close_journal_trade(oid, bar, px, &reason).await?;
            self.cancel_all_algos().await?;
            return Ok(());
        }
        let mut found = None;
        for (action, reason) in [(Action::StopLoss, "stop_loss"), (Action::TakeProfit, "take_profit")] {
            let cid = self.cid(open.entry_time, action);
            if self.journal.order(&self.cfg.name, &cid)?.is_none() {
                continue;
            }
            if let Some(a) = self.venue.algo_by_client_id(&self.cfg.symbol, &cid).await? {
                if a.has_triggered() {
                    self.journal.order_result(&self.cfg.name, &cid, "triggered", Some(a.algo_id), None, None, "")?;
                    found = Some((a.actual_order_id, reason, a.trigger_price));
                    break;
                }
            }
        }
        let fills = self.journal.fills(&self.cfg.name)?;
        let (order_id, reason, fallback_px) = match found {
            Some((oid, reason, px)) => (oid, reason, px),
            None => {
                // Not one of ours: a liquidation (or a manual close).
                let oid = fills.iter().filter(|f| f.order_id != open.entry_order_id && f.time >= open.entry_time).map(|f| f.order_id).last();
                (oid, "liquidation", self.decider.last_close().unwrap_or(0.0))
            }
        };
        let exit: Vec<_> = fills.iter().filter(|f| Some(f.order_id) == order_id).collect();
        let qty: f64 = exit.iter().map(|f| f.qty).sum();
        let px = if qty > 0.0 { exit.iter().map(|f| f.price * f.qty).sum::<f64>() / qty } else { fallback_px };
        let time = exit.iter().map(|f| f.time).min().unwrap_or_else(|| self.venue.now_ms());
        let bar = time.div_euclid(self.interval_ms) * self.interval_ms;
        self.close_journal_trade(order_id, bar, px, reason).await?;
        self.log("info", &format!("position closed by the exchange: {reason} at {px} (bar {})", fmt_time(bar)))?;
        self.cancel_all_algos().await?;
        Ok(())
    }

    async fn close_journal_trade(&mut self, exit_order_id: Option<i64>, bar: i64, price: f64, reason: &str) -> Result<(), BotError> {
        let Some(open) = self.journal.open_trade(&self.cfg.name)? else { return Ok(()) };
        self.sync_fills().await?;
        let fills = self.journal.fills(&self.cfg.name)?;
        let of = |id: Option<i64>| fills.iter().filter(move |f| id.is_some() && Some(f.order_id) == id);
        let fees: f64 = of(Some(open.entry_order_id)).chain(of(exit_order_id)).map(|f| f.commission).sum();
        let pnl: f64 = of(exit_order_id).map(|f| f.realized_pnl).sum();
        self.journal.close_trade(&self.cfg.name, open.seq, exit_order_id, bar, price, reason, pnl, fees)?;
        Ok(())
    }

    /// Equity snapshot for the bar that just closed, then the risk limits.
    async fn record_equity_and_limits(&mut self, forming_time: i64) -> Result<Option<Exit>, BotError> {
        let Some(close) = self.decider.last_close() else { return Ok(None) };
        let pos = self.venue.position(&self.cfg.symbol).await?;
        let (realized, fees) = self.journal.fill_totals(&self.cfg.name)?;
        let unrealized = if pos.qty != 0.0 { pos.qty * (close - pos.entry_price) } else { 0.0 };
        let equity = self.cfg.capital + realized - fees + unrealized;
        let model = self.decider.account().equity_at(close);
        self.journal.add_equity(&self.cfg.name, &EquityRow { time: forming_time - self.interval_ms, equity, model_equity: model, position: pos.qty, price: close })?;
        if equity > self.peak {
            self.peak = equity;
        }
        let day = forming_time.div_euclid(DAY_MS);
        if day != self.day {
            self.day = day;
            self.day_start = equity;
        }
        let mut breach = None;
        if self.cfg.max_drawdown > 0.0 && self.peak > 0.0 && (self.peak - equity) / self.peak >= self.cfg.max_drawdown {
            breach = Some(format!(
                "max drawdown reached: equity {equity:.2} is {:.2}% below the peak {:.2} (limit {:.2}%)",
                (self.peak - equity) / self.peak * 100.0,
                self.peak,
                self.cfg.max_drawdown * 100.0
            ));
        } else if self.cfg.daily_loss_limit > 0.0 && self.day_start > 0.0 && (self.day_start - equity) / self.day_start >= self.cfg.daily_loss_limit {
            breach = Some(format!(
                "daily loss limit reached: equity {equity:.2} is {:.2}% below the day's start {:.2} (limit {:.2}%)",
                (self.day_start - equity) / self.day_start * 100.0,
                self.day_start,
                self.cfg.daily_loss_limit * 100.0
            ));
        }
        if let Some(why) = breach {
            self.log("error", &format!("{why}; flattening and stopping"))?;
            self.flatten("risk_limit").await?;
            self.journal.set_desired(&self.cfg.name, Desired::Stopped)?;
            self.journal.set_status(&self.cfg.name, "stopped", &why, None)?;
            return Ok(Some(Exit::RiskLimit(why)));
        }
        Ok(None)
    }
}

/// `2026-01-02T03:00Z` for logs.
pub fn fmt_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|d| d.format("%Y-%m-%dT%H:%MZ").to_string()).unwrap_or_else(|| ms.to_string())
}

impl Side {
    /// `1` long, `-1` short.
    pub fn sign(self) -> i8 {
        match self {
            Side::Long => 1,
            Side::Short => -1,
        }
    }
}
