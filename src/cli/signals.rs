//! `qm signals`: one strategy's (or a grid's) signals over lake candles, one row per bar.

use std::path::PathBuf;

use anyhow::Context;

use super::common::{load_candles, open_lake, parse_timeframe, runtime};
use super::Globals;
use crate::lake::validate_symbol;
use crate::output::{emit, Format};
use crate::strategies::{load_grid_file, parse_combo, signals, Combo, IndicatorCache};
use crate::tables::ledger::{signals_batch, signals_schema};

#[derive(Debug, clap::Args)]
#[command(after_help = "Rows: `strategy, params, open_time, signal` (1 buy, -1 sell, 0 hold), one per bar \
and combination; `params` is the canonical JSON text the result tables use.\n\
Example: qm signals --symbol ETHUSDT --interval 1h --strategy MACD --params '{\"fast\": 12, \"slow\": 26, \"signal_period\": 9}'")]
#[command(group(clap::ArgGroup::new("what").required(true).args(["strategy", "grid"])))]
pub struct SignalsArgs {
    /// Symbol whose candles to use, e.g. `ETHUSDT`.
    #[arg(long)]
    pub symbol: String,
    /// Candle interval, e.g. `1h`.
    #[arg(long)]
    pub interval: String,
    /// Strategy name (`qm strategies` lists them).
    #[arg(long, requires = "params")]
    pub strategy: Option<String>,
    /// The strategy's parameters as a JSON object.
    #[arg(long, requires = "strategy")]
    pub params: Option<String>,
    /// A JSON file listing `{"strategy": ..., "params": {...}}` combinations.
    #[arg(long, conflicts_with_all = ["strategy", "params"])]
    pub grid: Option<PathBuf>,
    /// Use only the newest N candles.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write to this file instead of stdout.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

pub fn run(args: SignalsArgs, g: &Globals) -> anyhow::Result<()> {
    let tf = parse_timeframe(&args.interval)?;
    validate_symbol(&args.symbol)?;
    let combos = match (&args.grid, &args.strategy, &args.params) {
        (Some(path), _, _) => load_grid_file(path)?,
        (None, Some(name), Some(params)) => vec![combo_from_cli(name, params)?],
        _ => anyhow::bail!("give `--strategy NAME --params JSON` or `--grid FILE`"),
    };
    let lake = open_lake(g)?;
    let candles = runtime()?.block_on(load_candles(&lake, &args.symbol, tf, args.limit))?;
    let cache = IndicatorCache::new(&candles);
    let batches = combos
        .iter()
        .map(|c| signals_batch(c.strategy.name, &c.canonical_params(), &candles.open_time, &signals(c, &cache)))
        .collect::<Result<Vec<_>, _>>()?;
    emit(&signals_schema(), &batches, args.format, args.output.as_deref()).context("cannot write the signals")?;
    Ok(())
}

/// A combination from `--strategy` and `--params` text.
pub fn combo_from_cli(strategy: &str, params: &str) -> anyhow::Result<Combo> {
    let value: serde_json::Value = serde_json::from_str(params)
        .with_context(|| format!("`--params` must be a JSON object such as '{{\"lookback\": 20}}', got `{params}`"))?;
    Ok(parse_combo(strategy, &value)?)
}
