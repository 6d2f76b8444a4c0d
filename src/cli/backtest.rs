//! `qm backtest`: one strategy on lake candles; prints the metrics and the trades, stores
//! the trade ledger and the equity curve as lake tables `trades` and `equity`.

use std::path::PathBuf;

use anyhow::Context;

use super::common::{load_candles, open_lake, parse_timeframe, runtime};
use super::signals::combo_from_cli;
use super::Globals;
use crate::candles::Candles;
use crate::kernel::{backtest, daily_points, CostModel, KernelStats, Metrics, Recorder, Risk};
use crate::lake::validate_symbol;
use crate::output::{emit, Format};
use crate::strategies::{signals, Combo, IndicatorCache};
use crate::timeframe::Timeframe;
use crate::tables::ledger::{
    equity_batch, metrics_batch, trade_list, trades_batch, RunContext, RunScope, EQUITY_TABLE, TRADES_TABLE,
};
use crate::tables::{run_partition, timestamped_run, validate_run};

#[derive(Debug, clap::Args)]
#[command(after_help = "Prints a one-row metrics table (the spec's names, rounded as the reference \
rounds them) and the trade list. With `--format csv|json|parquet` stdout gets the metrics only and \
`--output FILE` gets the trade list. The full ledger and the per-bar equity are stored under the run \
name in the lake tables `trades` and `equity` (see `qm sql`).")]
pub struct BacktestArgs {
    /// Symbol whose candles to use, e.g. `ETHUSDT`.
    #[arg(long)]
    pub symbol: String,
    /// Candle interval, e.g. `1h`.
    #[arg(long)]
    pub interval: String,
    /// Strategy name (`qm strategies` lists them).
    #[arg(long)]
    pub strategy: String,
    /// The strategy's parameters as a JSON object.
    #[arg(long)]
    pub params: String,
    /// Stop-loss as a fraction of the entry price (0 = off).
    #[arg(long, default_value_t = 0.0)]
    pub sl: f64,
    /// Take-profit as a fraction of the entry price (0 = off).
    #[arg(long, default_value_t = 0.0)]
    pub tp: f64,
    /// Leverage (values below 1 act as 1).
    #[arg(long, default_value_t = 1.0)]
    pub leverage: f64,
    /// Starting capital.
    #[arg(long, default_value_t = CostModel::default().capital)]
    pub capital: f64,
    /// Commission per fill, as a fraction of the notional.
    #[arg(long, default_value_t = CostModel::default().commission)]
    pub commission: f64,
    /// Slippage per fill, as a fraction of the notional.
    #[arg(long, default_value_t = CostModel::default().slippage)]
    pub slippage: f64,
    /// Maintenance margin rate (liquidation threshold when leverage > 1).
    #[arg(long, default_value_t = CostModel::default().maintenance_margin)]
    pub maintenance_margin: f64,
    /// Use only the newest N candles.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Run name for the stored tables (default `bt-<UTC time>`); re-using a name replaces it.
    #[arg(long, value_name = "RUN")]
    pub name: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write the trade list to this file.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

/// What one backtest of lake candles produces, before anything is stored.
pub struct Simulation {
    pub stats: KernelStats,
    /// Rounded as the reference reports them.
    pub metrics: Metrics,
    pub recorder: Recorder,
    pub ctx: RunContext,
}

/// Signals, kernel and metrics of one combination over `candles`; shared by `qm backtest`
/// and the server so both report the same numbers.
pub fn simulate(candles: &Candles, combo: &Combo, cost: &CostModel, risk: &Risk, tf: Timeframe) -> Simulation {
    let cache = IndicatorCache::new(candles);
    let signal = signals(combo, &cache);
    let c = candles;
    let mut rec = Recorder::with_capacity(c.len());
    let stats = backtest(&c.open, &c.high, &c.low, &c.close, &signal, cost, risk, &mut rec);
    let metrics = Metrics::compute(&stats, &daily_points(&rec.equity, tf.bars_per_day()), cost, risk).reported();
    let ctx = RunContext {
        strategy: combo.strategy.name.to_string(),
        params: combo.canonical_params(),
        stop_loss: risk.stop_loss,
        take_profit: risk.take_profit,
        leverage: risk.leverage,
        created_at: chrono::Utc::now().timestamp_millis(),
        qm_version: crate::VERSION.to_string(),
    };
    Simulation { stats, metrics, recorder: rec, ctx }
}

pub fn run(args: BacktestArgs, g: &Globals) -> anyhow::Result<()> {
    let tf = parse_timeframe(&args.interval)?;
    validate_symbol(&args.symbol)?;
    let combo = combo_from_cli(&args.strategy, &args.params)?;
    let risk = Risk::new(args.sl, args.tp, args.leverage)?;
    let cost = CostModel {
        capital: args.capital,
        commission: args.commission,
        slippage: args.slippage,
        maintenance_margin: args.maintenance_margin,
    };
    cost.validate()?;
    let run = args.name.clone().unwrap_or_else(|| timestamped_run("bt"));
    validate_run(&run)?;

    let lake = open_lake(g)?;
    let rt = runtime()?;
    let candles = rt.block_on(load_candles(&lake, &args.symbol, tf, args.limit))?;
    let c = &candles;
    let Simulation { stats, metrics, recorder: rec, ctx } = simulate(c, &combo, &cost, &risk, tf);
    let scope = RunScope {
        symbol: args.symbol.clone(),
        timeframe: tf.as_str().to_string(),
        run: run.clone(),
        candles: c.len(),
        data_start: c.open_time.first().copied(),
        data_end: c.open_time.last().copied(),
    };
    let trades = trades_batch(&ctx, &c.open_time, &rec.trades)?;
    let equity = equity_batch(&ctx, &c.open_time, &rec.equity, cost.capital)?;
    let partition = run_partition(&args.symbol, tf.as_str(), &run);
    rt.block_on(async {
        lake.write_partition(TRADES_TABLE, &partition, "part-0.parquet", std::slice::from_ref(&trades)).await?;
        lake.write_partition(EQUITY_TABLE, &partition, "part-0.parquet", std::slice::from_ref(&equity)).await
    })
    .with_context(|| format!("cannot store run `{run}` in the lake at `{}`", lake.root().display()))?;
    eprintln!(
        "run `{run}`: {} trade rows in `{TRADES_TABLE}` ({} closed{}), {} bars in `{EQUITY_TABLE}`",
        trades.num_rows(),
        stats.trades,
        if trades.num_rows() as u64 > stats.trades { " + 1 open at the end" } else { "" },
        equity.num_rows(),
    );

    let m = metrics_batch(&ctx, &metrics, &scope)?;
    let list = trade_list(&trades)?;
    let fail = "cannot write the backtest results";
    if args.format == Format::Table && args.output.is_none() {
        emit(&m.schema(), std::slice::from_ref(&m), Format::Table, None).context(fail)?;
        emit(&list.schema(), std::slice::from_ref(&list), Format::Table, None).context(fail)?;
    } else {
        emit(&m.schema(), std::slice::from_ref(&m), args.format, None).context(fail)?;
        if let Some(path) = &args.output {
            emit(&list.schema(), std::slice::from_ref(&list), args.format, Some(path)).context(fail)?;
        }
    }
    Ok(())
}
