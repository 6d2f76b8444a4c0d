//! `qm fetch`: download the newest closed Binance klines into the lake, incrementally.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use arrow::array::{ArrayRef, StringArray, TimestampMillisecondArray, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use arrow::record_batch::RecordBatch;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Globals;
use crate::binance::{Client, ClientConfig, Market, Stored};
use crate::lake::{self, Gap, Lake};
use crate::output::{self, Format};
use crate::timeframe::Timeframe;

/// Gap lines printed per symbol before summarising the rest.
const MAX_GAP_LINES: usize = 5;

#[derive(Debug, clap::Args)]
pub struct FetchArgs {
    /// Symbols to fetch, comma-separated (e.g. `BTCUSDT,ETHUSDT`).
    #[arg(long, required = true, value_delimiter = ',')]
    pub symbols: Vec<String>,
    /// Kline interval (1m, 5m, 15m, 1h, 4h, 1d, ...).
    #[arg(long, default_value = "1h")]
    pub interval: Timeframe,
    /// Keep at least this many of the newest closed candles per symbol.
    #[arg(long, default_value_t = 1000, value_parser = parse_limit)]
    pub limit: usize,
    /// Binance market (base URLs from `QM_BINANCE_SPOT_URL` / `QM_BINANCE_FUTURES_URL`).
    #[arg(long, value_enum, default_value_t = Market::Spot)]
    pub market: Market,
    /// Also print a summary table on stdout in this format.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Symbols downloaded at the same time.
    #[arg(long, default_value_t = 4, value_parser = parse_concurrency)]
    pub concurrency: usize,
}

fn parse_limit(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("`{s}` is not allowed; `--limit` must be a whole number of at least 1")),
    }
}

fn parse_concurrency(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=32).contains(&n) => Ok(n),
        _ => Err(format!("`{s}` is not allowed; `--concurrency` must be between 1 and 32")),
    }
}

/// Validated arguments.
#[derive(Debug)]
struct Plan {
    symbols: Vec<String>,
    tf: Timeframe,
    limit: usize,
    market: Market,
    format: Option<Format>,
    concurrency: usize,
}

impl Plan {
    fn from_args(args: FetchArgs) -> anyhow::Result<Plan> {
        let mut symbols: Vec<String> = Vec::new();
        for raw in &args.symbols {
            let s = raw.trim().to_ascii_uppercase();
            if s.is_empty() || symbols.contains(&s) {
                continue;
            }
            lake::validate_symbol(&s).with_context(|| format!("invalid `--symbols` entry `{raw}`"))?;
            symbols.push(s);
        }
        if symbols.is_empty() {
            anyhow::bail!("`--symbols` names no symbol; hint: e.g. `--symbols BTCUSDT,ETHUSDT`");
        }
        Ok(Plan {
            symbols,
            tf: args.interval,
            limit: args.limit,
            market: args.market,
            format: args.format,
            concurrency: args.concurrency,
        })
    }
}

/// What one symbol ended with.
#[derive(Debug)]
struct Done {
    added: usize,
    total: usize,
    first: Option<i64>,
    last: Option<i64>,
    /// Holes in the stored series; `None` when nothing was merged (nothing new).
    gaps: Option<Vec<Gap>>,
}

pub fn run(args: FetchArgs, g: &Globals) -> anyhow::Result<()> {
    let plan = Plan::from_args(args)?;
    let client = Client::new(ClientConfig::from_env(plan.market)?)?;
    let lake = Lake::open(&g.lake).with_context(|| format!("opening the lake `{}`", g.lake.display()))?;
    let bar = progress_bar(&plan, g.quiet);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let outcomes = rt.block_on(fetch_all(&plan, &client, &lake, &bar));
    bar.finish_and_clear();

    if let Some(format) = plan.format {
        let (schema, batch) = summary_table(&plan, &outcomes)?;
        output::emit(&schema, &[batch], format, None)?;
    }
    let failed: Vec<String> = outcomes
        .iter()
        .filter(|(_, r)| r.is_err())
        .map(|(s, _)| format!("`{s}`"))
        .collect();
    if !failed.is_empty() {
        anyhow::bail!("{} of {} symbols failed: {}", failed.len(), outcomes.len(), failed.join(", "));
    }
    Ok(())
}

/// Fetch every symbol, `plan.concurrency` at a time; outcomes in the order of `plan.symbols`.
async fn fetch_all(
    plan: &Plan,
    client: &Client,
    lake: &Lake,
    bar: &ProgressBar,
) -> Vec<(String, anyhow::Result<Done>)> {
    let mut outcomes: Vec<(usize, String, anyhow::Result<Done>)> = futures::stream::iter(plan.symbols.iter().enumerate())
        .map(|(i, symbol)| async move {
            let result = fetch_one(plan, client, lake, symbol, bar).await;
            bar.suspend(|| report(plan, symbol, &result));
            (i, symbol.clone(), result)
        })
        .buffer_unordered(plan.concurrency)
        .collect()
        .await;
    outcomes.sort_by_key(|(i, _, _)| *i);
    outcomes.into_iter().map(|(_, s, r)| (s, r)).collect()
}

/// Read what the lake has, download what it lacks, merge.
async fn fetch_one(plan: &Plan, client: &Client, lake: &Lake, symbol: &str, bar: &ProgressBar) -> anyhow::Result<Done> {
    let tf = plan.tf;
    let stored = lake
        .read_ohlcv(symbol, tf)
        .await
        .context("reading the lake")?;
    let have = stored.as_ref().and_then(|o| Stored::of(&o.candles.open_time));

    // The bar counts up to `limit` per symbol; an incremental fetch may bring fewer.
    let counted = AtomicUsize::new(0);
    let tick = |n: usize| {
        let before = counted.fetch_add(n, Ordering::Relaxed);
        bar.inc(plan.limit.saturating_sub(before).min(n) as u64);
    };
    let fetched = client
        .fetch_closed_with_progress(symbol, tf, plan.limit, have, &tick)
        .await
        .with_context(|| format!("fetching klines from binance {}", plan.market))?;
    tick(plan.limit);

    if fetched.len() == 0 {
        return Ok(Done {
            added: 0,
            total: have.map_or(0, |h| h.len),
            first: have.map(|h| h.first),
            last: have.map(|h| h.last),
            gaps: None,
        });
    }
    let merged = lake
        .merge_ohlcv(symbol, tf, fetched)
        .await
        .context("writing the lake")?;
    Ok(Done {
        added: merged.added,
        total: merged.total,
        first: merged.first,
        last: merged.last,
        gaps: Some(merged.gaps),
    })
}

fn progress_bar(plan: &Plan, quiet: bool) -> ProgressBar {
    let target = if quiet || !std::io::stderr().is_terminal() {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    };
    let total = plan.limit.saturating_mul(plan.symbols.len()) as u64;
    let bar = ProgressBar::with_draw_target(Some(total), target);
    bar.set_style(
        ProgressStyle::with_template("{spinner} fetching {msg} [{bar:30}] {human_pos}/{human_len} candles ({eta})")
            .expect("valid progress template")
            .progress_chars("=> "),
    );
    bar.set_message(format!("{} × {} {}", plan.symbols.len(), plan.tf, plan.market));
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// One line per symbol on stderr (plus a few gap lines).
fn report(plan: &Plan, symbol: &str, result: &anyhow::Result<Done>) {
    let tf = plan.tf;
    let d = match result {
        Err(e) => {
            eprintln!("error: `{symbol}` {tf}: {e:#}");
            return;
        }
        Ok(d) => d,
    };
    let range = match (d.first, d.last) {
        (Some(a), Some(b)) => format!(" ({} → {} UTC)", fmt_ms(a), fmt_ms(b)),
        _ => String::new(),
    };
    let head = if d.added == 0 { "up to date".to_string() } else { format!("+{} candles", d.added) };
    let gaps = match &d.gaps {
        None => String::new(),
        Some(g) if g.is_empty() => ", no gaps".to_string(),
        Some(g) => {
            let missing: usize = g.iter().map(|x| x.missing).sum();
            format!(", {} gaps ({missing} candles missing)", g.len())
        }
    };
    eprintln!("{symbol} {tf}: {head}, {} stored{range}{gaps}", d.total);
    let gaps = d.gaps.as_deref().unwrap_or_default();
    for g in gaps.iter().take(MAX_GAP_LINES) {
        eprintln!(
            "  gap in `{symbol}` {tf}: {} candles missing between {} and {} UTC",
            g.missing,
            fmt_ms(g.after),
            fmt_ms(g.before)
        );
    }
    if gaps.len() > MAX_GAP_LINES {
        eprintln!("  ... and {} more gaps", gaps.len() - MAX_GAP_LINES);
    }
}

fn fmt_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| ms.to_string())
}

/// The `--format` table: one row per symbol, failures included with their error.
fn summary_table(plan: &Plan, outcomes: &[(String, anyhow::Result<Done>)]) -> anyhow::Result<(Arc<Schema>, RecordBatch)> {
    let ts = || DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
    let schema = Arc::new(Schema::new(vec![
        Field::new("symbol", DataType::Utf8, false),
        Field::new("interval", DataType::Utf8, false),
        Field::new("market", DataType::Utf8, false),
        Field::new("added", DataType::UInt64, true),
        Field::new("total", DataType::UInt64, true),
        Field::new("first", ts(), true),
        Field::new("last", ts(), true),
        Field::new("gaps", DataType::UInt64, true),
        Field::new("missing", DataType::UInt64, true),
        Field::new("error", DataType::Utf8, true),
    ]));
    let ok = |f: &dyn Fn(&Done) -> Option<u64>| -> UInt64Array {
        outcomes.iter().map(|(_, r)| r.as_ref().ok().and_then(f)).collect()
    };
    let time = |f: &dyn Fn(&Done) -> Option<i64>| -> TimestampMillisecondArray {
        outcomes
            .iter()
            .map(|(_, r)| r.as_ref().ok().and_then(f))
            .collect::<TimestampMillisecondArray>()
            .with_timezone("UTC")
    };
    let repeat = |v: &str| StringArray::from(vec![v; outcomes.len()]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(outcomes.iter().map(|(s, _)| s.as_str()))),
        Arc::new(repeat(plan.tf.as_str())),
        Arc::new(repeat(plan.market.as_str())),
        Arc::new(ok(&|d| Some(d.added as u64))),
        Arc::new(ok(&|d| Some(d.total as u64))),
        Arc::new(time(&|d| d.first)),
        Arc::new(time(&|d| d.last)),
        Arc::new(ok(&|d| d.gaps.as_ref().map(|g| g.len() as u64))),
        Arc::new(ok(&|d| d.gaps.as_ref().map(|g| g.iter().map(|x| x.missing as u64).sum()))),
        Arc::new(outcomes.iter().map(|(_, r)| r.as_ref().err().map(|e| format!("{e:#}"))).collect::<StringArray>()),
    ];
    Ok((Arc::clone(&schema), RecordBatch::try_new(schema, columns)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cmd {
        #[command(flatten)]
        args: FetchArgs,
    }

    fn plan(argv: &[&str]) -> anyhow::Result<Plan> {
        let cmd = Cmd::try_parse_from(std::iter::once("fetch").chain(argv.iter().copied()))?;
        Plan::from_args(cmd.args)
    }

    #[test]
    fn symbols_are_normalised_and_validated() {
        let p = plan(&["--symbols", "btcusdt, ETHUSDT,,BTCUSDT", "--limit", "5"]).unwrap();
        assert_eq!(p.symbols, vec!["BTCUSDT", "ETHUSDT"]);
        assert_eq!((p.limit, p.market, p.tf), (5, Market::Spot, Timeframe::H1));
        let err = format!("{:#}", plan(&["--symbols", "BTC/USDT"]).unwrap_err());
        assert!(err.contains("`BTC/USDT`"), "{err}");
    }

    #[test]
    fn bad_values_name_what_is_allowed() {
        let err = plan(&["--symbols", "BTCUSDT", "--limit", "0"]).unwrap_err().to_string();
        assert!(err.contains("`0`") && err.contains("at least 1"), "{err}");
        let err = plan(&["--symbols", "BTCUSDT", "--interval", "7m"]).unwrap_err().to_string();
        assert!(err.contains("`7m`") && err.contains("1h"), "{err}");
        let err = plan(&["--symbols", "BTCUSDT", "--market", "margin"]).unwrap_err().to_string();
        assert!(err.contains("futures"), "{err}");
    }
}
