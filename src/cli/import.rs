//! `qm import`: validate candle files, then merge them into the lake in one write.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use arrow::array::{ArrayRef, Int64Array, StringArray, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;

use super::Globals;
use crate::import::{load_files, time::format_millis};
use crate::lake::{validate_symbol, Lake, MergeReport};
use crate::output::{emit, Format};
use crate::timeframe::Timeframe;

#[derive(Debug, clap::Args)]
#[command(after_help = "Files: Parquet or CSV with `open_time` (epoch ms or µs, ISO 8601 text or a \
timestamp column) and `open, high, low, close, volume`; Binance's optional columns (`close_time`, \
`quote_volume`, `trades`/`count`, `taker_buy_base`, `taker_buy_quote`) are kept. Headerless CSV is \
read in Binance's kline order (the bulk dumps of data.binance.vision, ms or µs times).\n\
Every file is checked before anything is written; files must be given in time order.")]
pub struct ImportArgs {
    /// Symbol the candles belong to, e.g. `BTCUSDT`.
    #[arg(long)]
    pub symbol: String,
    /// Candle interval, e.g. `1h`.
    #[arg(long)]
    pub interval: Timeframe,
    /// Candle files, oldest first.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Also print a summary table on stdout in this format.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
}

pub fn run(args: ImportArgs, g: &Globals) -> anyhow::Result<()> {
    validate_symbol(&args.symbol)?;
    let loaded = load_files(&args.files, args.interval)?;
    let rows = loaded.ohlcv.len();
    let (first, last) = (loaded.files[0].first, loaded.files[loaded.files.len() - 1].last);
    let lake = Lake::open(g.lake.clone())?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let report = rt
        .block_on(lake.merge_ohlcv(&args.symbol, args.interval, loaded.ohlcv))
        .with_context(|| format!("cannot write `{}` `{}` candles into `{}`", args.symbol, args.interval, g.lake.display()))?;
    eprintln!(
        "imported {rows} rows of `{}` `{}` from {} file{}: {} .. {}; {}",
        args.symbol,
        args.interval,
        args.files.len(),
        if args.files.len() == 1 { "" } else { "s" },
        format_millis(first),
        format_millis(last),
        lake_state(&report, args.interval),
    );
    if let Some(format) = args.format {
        let batch = summary_batch(&args, rows, first, last, &report)?;
        emit(&batch.schema(), &[batch], format, None)?;
    }
    Ok(())
}

/// What the stored series looks like after the merge: size, range and holes.
fn lake_state(r: &MergeReport, tf: Timeframe) -> String {
    let range = match (r.first, r.last) {
        (Some(a), Some(b)) => format!(" ({} .. {})", format_millis(a), format_millis(b)),
        _ => String::new(),
    };
    let gaps = match r.gaps.len() {
        0 => "no gaps".to_string(),
        n => {
            let missing: usize = r.gaps.iter().map(|g| g.missing).sum();
            let widest = r.gaps.iter().max_by_key(|g| g.missing).expect("non-empty");
            format!(
                "{n} gap{} ({missing} missing `{tf}` bars; widest after {})",
                if n == 1 { "" } else { "s" },
                format_millis(widest.after)
            )
        }
    };
    format!("lake now holds {} rows{range}, {} new, {gaps}", r.total, r.added)
}

fn summary_batch(args: &ImportArgs, rows: usize, first: i64, last: i64, r: &MergeReport) -> anyhow::Result<RecordBatch> {
    let missing: usize = r.gaps.iter().map(|g| g.missing).sum();
    let schema = Arc::new(Schema::new(vec![
        Field::new("symbol", DataType::Utf8, false),
        Field::new("interval", DataType::Utf8, false),
        Field::new("files", DataType::UInt64, false),
        Field::new("rows", DataType::UInt64, false),
        Field::new("first", DataType::Utf8, false),
        Field::new("last", DataType::Utf8, false),
        Field::new("added", DataType::UInt64, false),
        Field::new("total", DataType::UInt64, false),
        Field::new("gaps", DataType::UInt64, false),
        Field::new("missing_bars", DataType::UInt64, false),
        Field::new("first_ms", DataType::Int64, false),
        Field::new("last_ms", DataType::Int64, false),
    ]));
    let u = |v: usize| Arc::new(UInt64Array::from(vec![v as u64])) as ArrayRef;
    let s = |v: String| Arc::new(StringArray::from(vec![v])) as ArrayRef;
    let cols = vec![
        s(args.symbol.clone()),
        s(args.interval.to_string()),
        u(args.files.len()),
        u(rows),
        s(format_millis(first)),
        s(format_millis(last)),
        u(r.added),
        u(r.total),
        u(r.gaps.len()),
        u(missing),
        Arc::new(Int64Array::from(vec![first])) as ArrayRef,
        Arc::new(Int64Array::from(vec![last])) as ArrayRef,
    ];
    Ok(RecordBatch::try_new(schema, cols)?)
}
