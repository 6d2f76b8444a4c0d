//! One combination replayed over a whole series with its trade ledger and equity curve:
//! what `qm backtest` prints and stores, and what `qm pipeline run` records for the best
//! results of each series (rows for the `trades` and `equity` tables).

use arrow::record_batch::RecordBatch;

use super::ledger::{equity_batch, trades_batch, LedgerError, RunContext};
use crate::candles::Candles;
use crate::kernel::{backtest, daily_points, CostModel, KernelStats, Metrics, Recorder, Risk};
use crate::strategies::{signals, Combo, IndicatorCache};
use crate::timeframe::Timeframe;

/// A recorded backtest: raw totals, full-precision metrics, the per-bar equity and trades
/// as the kernel reported them, and the two table batches built from them.
#[derive(Debug)]
pub struct Recorded {
    pub ctx: RunContext,
    pub stats: KernelStats,
    pub metrics: Metrics,
    pub recorder: Recorder,
    pub trades: RecordBatch,
    pub equity: RecordBatch,
}

/// Backtest `combo` on `cache`'s candles (the sweep's signal and kernel) and build its
/// `trades` and `equity` rows, stamped with `created_at` (epoch ms).
pub fn record_backtest(
    cache: &IndicatorCache<'_>,
    combo: &Combo,
    risk: &Risk,
    cost: &CostModel,
    tf: Timeframe,
    created_at: i64,
) -> Result<Recorded, LedgerError> {
    let c: &Candles = cache.candles();
    let signal = signals(combo, cache);
    let mut rec = Recorder::with_capacity(c.len());
    let stats = backtest(&c.open, &c.high, &c.low, &c.close, &signal, cost, risk, &mut rec);
    let metrics = Metrics::compute(&stats, &daily_points(&rec.equity, tf.bars_per_day()), cost, risk);
    let ctx = RunContext {
        strategy: combo.strategy.name.to_string(),
        params: combo.canonical_params(),
        stop_loss: risk.stop_loss,
        take_profit: risk.take_profit,
        leverage: risk.leverage,
        created_at,
        qm_version: crate::VERSION.to_string(),
    };
    let trades = trades_batch(&ctx, &c.open_time, &rec.trades)?;
    let equity = equity_batch(&ctx, &c.open_time, &rec.equity, cost.capital)?;
    Ok(Recorded { ctx, stats, metrics, recorder: rec, trades, equity })
}
