//! `qm data ...`: data utilities; `synth` writes deterministic synthetic candles.

use anyhow::Context;

use super::Globals;
use crate::import::time::{format_millis, parse_millis};
use crate::lake::{validate_symbol, Lake, Ohlcv};
use crate::synth::{generate, SynthSpec};
use crate::timeframe::Timeframe;

#[derive(Debug, clap::Subcommand)]
pub enum DataCommand {
    /// Write deterministic synthetic candles into the lake.
    Synth(SynthArgs),
}

#[derive(Debug, clap::Args)]
#[command(after_help = "The same seed, symbol, interval, bar count and start always give bit-identical \
candles. Without `--start` the last candle closes at 2025-01-01T00:00:00Z. Candles at open times \
already stored are replaced.")]
pub struct SynthArgs {
    /// Symbols to generate, comma-separated (each gets its own series).
    #[arg(long, value_delimiter = ',', required = true)]
    pub symbols: Vec<String>,
    /// Candle interval.
    #[arg(long, default_value = "1h")]
    pub interval: Timeframe,
    /// Candles per symbol.
    #[arg(long, default_value_t = 5000)]
    pub bars: usize,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// First open time (date or ISO 8601, UTC), rounded up to the interval.
    #[arg(long, value_parser = parse_start)]
    pub start: Option<i64>,
}

fn parse_start(s: &str) -> Result<i64, String> {
    parse_millis(s).ok_or_else(|| format!("`{s}` is not a date; allowed: `2024-01-01`, `2024-01-01T06:00:00Z` or epoch ms"))
}

pub fn run(cmd: DataCommand, g: &Globals) -> anyhow::Result<()> {
    match cmd {
        DataCommand::Synth(args) => synth(args, g),
    }
}

fn synth(args: SynthArgs, g: &Globals) -> anyhow::Result<()> {
    // Check every name before writing any series.
    for s in &args.symbols {
        validate_symbol(s)?;
    }
    let lake = Lake::open(g.lake.clone())?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    for symbol in &args.symbols {
        let spec = SynthSpec { symbol: symbol.clone(), tf: args.interval, bars: args.bars, seed: args.seed, start: args.start };
        let candles = generate(&spec)?;
        let (first, last) = (candles.open_time[0], candles.open_time[candles.len() - 1]);
        let report = rt
            .block_on(lake.merge_ohlcv(symbol, args.interval, Ohlcv::from_candles(candles)))
            .with_context(|| format!("cannot write `{symbol}` `{}` candles into `{}`", args.interval, g.lake.display()))?;
        eprintln!(
            "synth `{symbol}` `{}`: {} bars {} .. {} (seed {}); lake now holds {} rows",
            args.interval,
            args.bars,
            format_millis(first),
            format_millis(last),
            args.seed,
            report.total
        );
    }
    Ok(())
}
