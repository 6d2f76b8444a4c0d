//! `qm bot replay`: the real bot loop, over HTTP, against the mock exchange replaying
//! historical candles on a stepped clock — then its trades compared with the backtest
//! kernel's ledger on the same candles.
//!
//! The mock fills market orders at the forming bar's open with the configured slippage,
//! triggers the exchange-side SL/TP on the candles' high/low and charges the configured
//! commission, so what differs from the backtest is only how fills happen.

use crate::candles::Candles;
use crate::kernel::{backtest, ExitReason, Recorder};
use crate::live::bot::journal::{Journal, TradeRow};
use crate::live::bot::{Bot, BotConfig, BotError, RunOptions};
use crate::live::clock::Clock;
use crate::live::credentials::{Credentials, Secret};
use crate::live::exchange::rest::{FuturesRest, RestConfig};
use crate::live::filters::SymbolFilters;
use crate::live::mock::{self, MockCandle, MockConfig};
use crate::strategies::{signals, IndicatorCache};

/// One trade of either side of the comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Leg {
    pub side: String,
    pub entry_time: i64,
    pub exit_time: Option<i64>,
    pub reason: String,
    pub qty: f64,
    pub entry_price: f64,
    pub exit_price: Option<f64>,
}

/// What a replay found.
#[derive(Debug, Clone)]
pub struct ReplayReport {
    pub bars: usize,
    pub bot: Vec<Leg>,
    pub backtest: Vec<Leg>,
    /// Lot step used to compare quantities.
    pub step: f64,
    /// Index into `pairs` of the first difference that is not explained, if any.
    pub first_mismatch: Option<usize>,
    /// The trades side by side, with how they compare.
    pub pairs: Vec<Pair>,
    /// Bars where the reference kernel looked ahead (see [`Verdict::Lookahead`]).
    pub lookahead: usize,
    /// Trades sized down to the real wallet (see [`Verdict::Capped`]).
    pub capped: usize,
    pub wake_to_order_ms: Vec<f64>,
    pub cycle_ms: Vec<f64>,
    pub wall_s: f64,
}

impl ReplayReport {
    /// Same entries and exits, bars, sides, reasons; quantities within one lot step.
    pub fn parity(&self) -> bool {
        self.first_mismatch.is_none()
    }
}

/// Filters for a symbol trading around `price`, like Binance's listings: a tick of ~1e-5 of
/// the price, a lot step of 10 / (price's power of ten) — 0.001 BTC at 60,000.
pub fn filters_for(price: f64) -> SymbolFilters {
    let mag = price.abs().max(1e-9).log10().floor() as i32;
    let tick = 10f64.powi(mag - 5).max(1e-8);
    let step = 10f64.powi(1 - mag).clamp(1e-6, 1.0);
    SymbolFilters { tick_size: tick, lot_step: step, lot_min: step, lot_max: 1e9, market_step: step, market_min: step, market_max: 1e9, min_notional: 5.0 }
}

fn legs_of_backtest(cfg: &BotConfig, c: &Candles) -> Result<Vec<Leg>, BotError> {
    let combo = cfg.combo().map_err(|e| BotError::Setup { bot: cfg.name.clone(), msg: e.to_string() })?;
    let risk = cfg.risk().map_err(|e| BotError::Setup { bot: cfg.name.clone(), msg: e.to_string() })?;
    let sig = signals(&combo, &IndicatorCache::new(c));
    let mut rec = Recorder::with_capacity(c.len());
    let _ = backtest(&c.open, &c.high, &c.low, &c.close, &sig, &cfg.cost(), &risk, &mut rec);
    let mut out: Vec<Leg> = rec
        .trades
        .iter()
        .filter(|t| t.exit_reason != ExitReason::End)
        .map(|t| Leg {
            side: t.side.as_str().into(),
            entry_time: c.open_time[t.entry_bar],
            exit_time: Some(c.open_time[t.exit_bar]),
            reason: t.exit_reason.as_str().into(),
            qty: t.qty,
            entry_price: t.entry_price,
            exit_price: Some(t.exit_price),
        })
        .collect();
    // A position still open after the last bar (the backtest values it at the last close).
    let mut acct = crate::kernel::FuturesAccount::new(&cfg.cost(), &risk);
    for i in 0..c.len() {
        acct.step(i, c.open[i], c.high[i], c.low[i], c.close[i], sig[i], &mut ());
    }
    if let Some(t) = acct.open_trade_at_end(c.len() - 1, c.close[c.len() - 1]) {
        out.push(Leg {
            side: t.side.as_str().into(),
            entry_time: c.open_time[t.entry_bar],
            exit_time: None,
            reason: "open".into(),
            qty: t.qty,
            entry_price: t.entry_price,
            exit_price: None,
        });
    }
    Ok(out)
}

fn legs_of_bot(rows: &[TradeRow]) -> Vec<Leg> {
    rows.iter()
        .map(|r| Leg {
            side: r.side.clone(),
            entry_time: r.entry_time,
            exit_time: r.exit_time,
            reason: r.reason.clone().unwrap_or_else(|| "open".into()),
            qty: r.qty,
            entry_price: r.entry_price,
            exit_price: r.exit_price,
        })
        .collect()
}

/// How one row of the comparison came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Same entry and exit bar, side, reason; quantity within one lot step.
    Same,
    /// The reference kernel checks the old position's SL/TP (and liquidation) against bar
    /// `k`'s whole range *before* executing the signal pending for bar `k`'s open. When that
    /// range touches a level, the kernel exits at the level and cancels the reversal; a live
    /// bot acts at the open, before the range exists, and reverses. Same entry and exit bar,
    /// the bot's reason `signal`, the kernel's a level.
    Lookahead,
    /// The trade right after a [`Verdict::Lookahead`]: the bot entered at that bar's open, the
    /// kernel one or more bars later (or never: the bot's extra trade is closed by
    /// reconciliation); same side, same exit.
    Realigned,
    /// Same bars, side and reason, but a smaller size: the real wallet could not margin the
    /// model's size. The kernel fills a stop at its level even when a bar opens beyond it;
    /// the exchange fills at the market, so after such gaps the real wallet is poorer than
    /// the model's cash and the bot trades what the wallet can carry.
    Capped,
    /// A backtest trade the exchange cannot take: its size rounds below the lot step or its
    /// notional is below the symbol's minimum (the model's account has shrunk that far).
    /// The bot refuses it before sending.
    Unfillable,
    /// Anything else: a real difference.
    Differs,
}

/// One row of the comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    pub bot: Option<Leg>,
    pub backtest: Option<Leg>,
    pub verdict: Verdict,
}

struct Comparison {
    pairs: Vec<Pair>,
    first_mismatch: Option<usize>,
    lookahead: usize,
}

fn is_level(reason: &str) -> bool {
    matches!(reason, "stop_loss" | "take_profit" | "liquidation")
}

/// Walk both ledgers in order, classifying each row (see [`Verdict`]).
fn compare(bot: &[Leg], bt: &[Leg], step: f64, min_notional: f64) -> Comparison {
    let (mut i, mut j) = (0, 0);
    let mut pairs = Vec::new();
    let mut after_lookahead: Option<i64> = None;
    while i < bot.len() || j < bt.len() {
        let (a, b) = (bot.get(i), bt.get(j));
        if let Some(b) = b {
            let unfillable = (b.qty / step + 1e-6).floor() < 1.0 || (b.qty / step + 1e-6).floor() * step * b.entry_price < min_notional;
            if unfillable && a.is_none_or(|a| a.entry_time != b.entry_time) {
                pairs.push(Pair { bot: None, backtest: Some(b.clone()), verdict: Verdict::Unfillable });
                j += 1;
                continue;
            }
        }
        let verdict = match (a, b) {
            (Some(a), Some(b)) if same(a, b, step) => Verdict::Same,
            (Some(a), Some(b)) if a.side == b.side && a.entry_time == b.entry_time && a.exit_time == b.exit_time && a.reason == b.reason && a.qty < b.qty => Verdict::Capped,
            (Some(a), Some(b)) if a.entry_time == b.entry_time && a.exit_time == b.exit_time && a.side == b.side && a.reason == "signal" && is_level(&b.reason) => {
                Verdict::Lookahead
            }
            (Some(a), Some(b)) if after_lookahead == Some(a.entry_time) && a.side == b.side && a.exit_time == b.exit_time && b.entry_time > a.entry_time => Verdict::Realigned,
            (Some(a), _) if after_lookahead == Some(a.entry_time) && a.reason == "reconcile" => {
                // The kernel did not re-enter: the bot's extra position was closed.
                pairs.push(Pair { bot: Some(a.clone()), backtest: None, verdict: Verdict::Realigned });
                i += 1;
                after_lookahead = None;
                continue;
            }
            _ => Verdict::Differs,
        };
        after_lookahead = match verdict {
            Verdict::Lookahead => a.and_then(|a| a.exit_time),
            _ => None,
        };
        pairs.push(Pair { bot: a.cloned(), backtest: b.cloned(), verdict });
        i += 1;
        j += 1;
    }
    let first_mismatch = pairs.iter().position(|p| p.verdict == Verdict::Differs);
    let lookahead = pairs.iter().filter(|p| p.verdict == Verdict::Lookahead).count();
    Comparison { pairs, first_mismatch, lookahead }
}

fn same(a: &Leg, b: &Leg, step: f64) -> bool {
    a.side == b.side && a.entry_time == b.entry_time && a.exit_time == b.exit_time && a.reason == b.reason && (a.qty - b.qty).abs() <= step * (1.0 + 1e-9)
}

/// Replay `cfg` over `candles` with the bot journaled as `cfg.name` in `journal` (its earlier
/// run under that name is reset first).
pub async fn replay(cfg: &BotConfig, candles: &Candles, journal: Journal) -> Result<ReplayReport, BotError> {
    let setup = |msg: String| BotError::Setup { bot: cfg.name.clone(), msg };
    if candles.len() < 2 {
        return Err(setup(format!("a replay needs at least 2 candles, the range has {}", candles.len())));
    }
    let iv = cfg.interval.millis();
    let t0 = candles.open_time[0];
    let clock = Clock::stepped(t0 + 1);
    let mc: Vec<MockCandle> = (0..candles.len())
        .map(|i| MockCandle {
            open_time: candles.open_time[i],
            open: candles.open[i],
            high: candles.high[i],
            low: candles.low[i],
            close: candles.close[i],
            volume: candles.volume[i],
        })
        .collect();
    let mut mcfg = MockConfig::new(cfg.symbol.clone(), iv, mc, clock.clone());
    mcfg.filters = filters_for(candles.open[0]);
    mcfg.commission = cfg.commission;
    mcfg.slippage = cfg.slippage;
    mcfg.maintenance_margin = cfg.maintenance_margin;
    mcfg.balance = cfg.capital;
    // The simulated exchange's request budget is not what is being tested here.
    mcfg.weight_limit_1m = u32::MAX;
    let step = mcfg.filters.market_step;
    let min_notional = mcfg.filters.min_notional;
    let creds = Credentials { key: Secret::new(mcfg.api_key.clone()), secret: Secret::new(mcfg.api_secret.clone()) };
    let handle = mock::start(mcfg).await.map_err(|e| setup(format!("cannot start the mock exchange: {e}")))?;
    let rest = FuturesRest::new(RestConfig::new(&handle.url())?, Some(creds), clock.clone())?;
    journal.upsert_bot(&cfg.name, &cfg.to_json(), "replay")?;
    journal.reset_run(&cfg.name)?;
    let mut rcfg = cfg.clone();
    rcfg.lookback = 0;
    let opts = RunOptions { wake_delay_ms: 1, until: Some(candles.open_time[candles.len() - 1] + iv), recv_window_ms: 5_000, prepare_account: true };
    let wall = std::time::Instant::now();
    let mut bot = Bot::start(rcfg, rest, journal, clock, opts).await?;
    let exit = bot.run().await;
    let wall_s = wall.elapsed().as_secs_f64();
    handle.shutdown().await;
    exit?;
    let rows = bot.journal().trades(&cfg.name)?;
    let bot_legs = legs_of_bot(&rows);
    let bt = legs_of_backtest(cfg, candles)?;
    let cmp = compare(&bot_legs, &bt, step, min_notional);
    let capped = cmp.pairs.iter().filter(|p| p.verdict == Verdict::Capped).count();
    Ok(ReplayReport {
        bars: candles.len(),
        bot: bot_legs,
        backtest: bt,
        step,
        first_mismatch: cmp.first_mismatch,
        pairs: cmp.pairs,
        lookahead: cmp.lookahead,
        capped,
        wake_to_order_ms: bot.latency.wake_to_order_ms.clone(),
        cycle_ms: bot.latency.cycle_ms.clone(),
        wall_s,
    })
}

/// `p`-quantile of `v` (0 when empty).
pub fn quantile(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[((s.len() - 1) as f64 * p).round() as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leg(side: &str, entry: i64, exit: Option<i64>, reason: &str, qty: f64) -> Leg {
        Leg { side: side.into(), entry_time: entry, exit_time: exit, reason: reason.into(), qty, entry_price: 100.0, exit_price: None }
    }

    #[test]
    fn differences_are_classified_strictly() {
        let bt = vec![
            leg("long", 1, Some(3), "signal", 10.4),
            leg("short", 3, Some(5), "stop_loss", 10.0),
            leg("long", 6, Some(8), "signal", 9.0),
            leg("short", 9, Some(10), "signal", 0.004),
            leg("short", 11, Some(12), "take_profit", 8.0),
        ];
        let bot = vec![
            leg("long", 1, Some(3), "signal", 10.0),
            // The kernel saw bar 5's range before its open: it stopped out, the bot reversed.
            leg("short", 3, Some(5), "signal", 10.0),
            leg("long", 5, Some(8), "signal", 9.5),
            leg("short", 11, Some(12), "take_profit", 6.0),
        ];
        let c = compare(&bot, &bt, 1.0, 5.0);
        let v: Vec<Verdict> = c.pairs.iter().map(|p| p.verdict).collect();
        assert_eq!(v, [Verdict::Same, Verdict::Lookahead, Verdict::Realigned, Verdict::Unfillable, Verdict::Capped]);
        assert_eq!((c.first_mismatch, c.lookahead), (None, 1));
        // Anything else is a difference: a wrong reason, a bar off, a larger size.
        for b in [leg("long", 1, Some(3), "stop_loss", 10.0), leg("long", 1, Some(4), "signal", 10.0), leg("long", 1, Some(3), "signal", 12.0)] {
            assert_eq!(compare(&[b], &bt[..1], 1.0, 5.0).first_mismatch, Some(0));
        }
        // A trade missing on either side too.
        assert_eq!(compare(&[], &bt[..1], 1.0, 5.0).first_mismatch, Some(0));
    }
}
