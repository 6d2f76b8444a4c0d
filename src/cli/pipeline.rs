//! `qm pipeline run FILE.toml`: data → indicators → sweep → walk-forward → tables → ranking.

use std::path::PathBuf;

use anyhow::Context;

use arrow::array::{ArrayRef, AsArray};
use arrow::datatypes::{DataType, Float64Type};

use super::common::{load_candles, open_lake, runtime};
use futures::StreamExt;
use indicatif::{MultiProgress, ProgressDrawTarget};

use super::sweeping::{print_ranking, ranking_sql, sweep_one_in};

/// Series swept at the same time.
const SERIES_IN_FLIGHT: usize = 2;
use super::Globals;
use crate::binance::Market;
use crate::kernel::Risk;
use crate::lake::{Lake, Ohlcv};
use crate::query::duckdb::write_catalog_views;
use crate::query::session_for_lake;
use crate::strategies::{parse_combo, IndicatorCache};
use crate::tables::ledger::{EQUITY_TABLE, TRADES_TABLE};
use crate::tables::record::record_backtest;
use crate::tables::run_partition;
use crate::output::Format;
use crate::pipeline::config::{load, DataSource, PipelinePlan};
use crate::sweep::exec::SweepParams;
use crate::synth::{generate, SynthSpec};

#[derive(Debug, clap::Subcommand)]
pub enum PipelineCommand {
    /// Run a pipeline TOML file.
    Run {
        /// The pipeline file (see `pipelines/`).
        file: PathBuf,
        /// Output format of the ranking.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Check a pipeline file and print what it would do.
    Check { file: PathBuf },
}

pub fn run(cmd: PipelineCommand, g: &Globals) -> anyhow::Result<()> {
    match cmd {
        PipelineCommand::Run { file, format } => {
            let plan = load(&file)?;
            execute(&plan, g, format)
        }
        PipelineCommand::Check { file } => {
            let plan = load(&file)?;
            println!("{}", describe(&plan));
            Ok(())
        }
    }
}

fn describe(p: &PipelinePlan) -> String {
    let source = match &p.data.source {
        DataSource::Binance { futures } => format!("binance {}", if *futures { "futures" } else { "spot" }),
        DataSource::Lake => "lake".into(),
        DataSource::Synthetic { bars, seed } => format!("synthetic ({bars} bars, seed {seed})"),
    };
    format!(
        "pipeline `{}`: {} symbol(s) {} at {} from {}{}; grid {}, {} SL/TP level(s), leverage {}, min trades {}, walk-forward {}; top {}, record {} per series",
        p.name,
        p.data.symbols.len(),
        p.data.symbols.join(","),
        p.data.interval,
        source,
        p.data.limit.map_or(String::new(), |l| format!(", newest {l} candles")),
        p.sweep.grid.label(),
        p.sweep.levels.len(),
        p.sweep.leverage,
        p.sweep.min_trades,
        p.sweep.walkforward.map_or("off".to_string(), |w| format!("{} windows, train {}", w.windows, w.train_pct)),
        p.top,
        p.record
    )
}

/// Run every stage of a validated plan.
pub fn execute(plan: &PipelinePlan, g: &Globals, format: Format) -> anyhow::Result<()> {
    execute_observed(plan, g, format, &|_| {})
}

/// [`execute`], calling `series_done(n)` after the n-th series (symbol) is swept and stored
/// (the server reports it as a job's progress).
pub fn execute_observed(plan: &PipelinePlan, g: &Globals, format: Format, series_done: &(dyn Fn(usize) + Sync)) -> anyhow::Result<()> {
    if !g.quiet {
        eprintln!("{}", describe(plan));
    }
    let lake = open_lake(g)?;
    // Stage 1: data.
    match &plan.data.source {
        DataSource::Binance { futures } => {
            let args = super::fetch::FetchArgs {
                symbols: plan.data.symbols.clone(),
                interval: plan.data.interval,
                limit: plan.data.limit.unwrap_or(1000),
                market: if *futures { Market::Futures } else { Market::Spot },
                format: None,
                concurrency: 4,
            };
            super::fetch::run(args, g).context("data stage (fetch) failed")?;
        }
        DataSource::Lake => {}
        DataSource::Synthetic { bars, seed } => {
            let rt = runtime()?;
            for symbol in &plan.data.symbols {
                let spec = SynthSpec { symbol: symbol.clone(), tf: plan.data.interval, bars: *bars, seed: *seed, start: None };
                let candles = generate(&spec)?;
                rt.block_on(lake.merge_ohlcv(symbol, plan.data.interval, Ohlcv::from_candles(candles)))
                    .with_context(|| format!("data stage: cannot write synthetic `{symbol}` candles"))?;
            }
        }
    }
    // Stages 2-5: indicators, sweep, walk-forward, tables — one series at a time, each
    // using every core.
    let rt = runtime()?;
    rt.block_on(async {
        let started = std::time::Instant::now();
        let mut combos = 0;
        // Two series side by side: one's serial moments (setup, deduplication, the last
        // chunk's tail) leave the cores to the other. Every sweep runs to its end, so none
        // is left half-written; the first error (in symbol order) is reported.
        let bars = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let lake_ref = &lake;
        let bars_ref = &bars;
        // A new series starts as soon as any running one ends; errors are reported in
        // symbol order once every sweep has ended.
        let mut results = futures::stream::iter(plan.data.symbols.iter().enumerate().map(|(at, symbol)| {
            let params = SweepParams { symbol: symbol.clone(), timeframe: plan.data.interval, limit: plan.data.limit, spec: plan.sweep.clone() };
            async move { (at, sweep_one_in(lake_ref, &params, g.quiet, bars_ref).await) }
        }))
        .buffer_unordered(SERIES_IN_FLIGHT);
        let mut first_error: Option<(usize, _)> = None;
        let mut done = 0;
        while let Some((at, r)) = results.next().await {
            done += 1;
            match r {
                Ok(s) => combos += s.combos * s.levels,
                Err(e) => {
                    if first_error.as_ref().is_none_or(|(first, _)| at < *first) {
                        first_error = Some((at, e));
                    }
                }
            }
            series_done(done);
        }
        drop(results);
        if let Some((_, e)) = first_error {
            return Err(e);
        }
        if !g.quiet {
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "pipeline `{}`: {} series, {combos} combination-levels in {secs:.2} s ({:.0}/s); tables under `{}` (run `{}`)",
                plan.name,
                plan.data.symbols.len(),
                combos as f64 / secs.max(1e-9),
                lake.root().display(),
                plan.sweep.run
            );
        }
        // Stage 6: ranking.
        if plan.top > 0 {
            print_ranking(&lake, &plan.sweep.run, None, plan.sweep.walkforward.is_some(), plan.top, format).await?;
        }
        // Stage 7: the best results replayed with their trades and equity curves.
        let recorded = record_best(&lake, plan).await.context("record stage failed")?;
        // Stage 8: the DuckDB catalog over everything written.
        let (catalog, views) = write_catalog_views(lake.root()).context("catalog stage failed")?;
        if !g.quiet {
            eprintln!(
                "recorded trades and equity of {recorded} best result(s) in `trades`/`equity` (run `{}`); catalog `{}` ({} views)",
                plan.sweep.run,
                catalog.display(),
                views.len()
            );
        }
        anyhow::Ok(())
    })
}

/// Replay the best `plan.record` results of each series (ranked as the report ranks them)
/// over the series and store their trades and equity under the pipeline's run.
async fn record_best(lake: &Lake, plan: &PipelinePlan) -> anyhow::Result<usize> {
    if plan.record == 0 {
        return Ok(0);
    }
    let ctx = session_for_lake(lake.root()).await?;
    let tf = plan.data.interval;
    let run = &plan.sweep.run;
    let cost = plan.sweep.cost.model();
    let created_at = chrono::Utc::now().timestamp_millis();
    let mut total = 0;
    for symbol in &plan.data.symbols {
        let sql = ranking_sql(run, Some((symbol, tf.as_str())), plan.sweep.walkforward.is_some(), plan.record);
        let best = ctx.sql(&sql).await?.collect().await?;
        let candles = load_candles(lake, symbol, tf, plan.data.limit).await?;
        let cache = IndicatorCache::new(&candles);
        let (mut trades, mut equity) = (Vec::new(), Vec::new());
        for b in &best {
            // Text columns come back as views, numbers as Float64; read them as plain types.
            let column = |name: &str, ty: &DataType| -> anyhow::Result<ArrayRef> {
                let c = b.column_by_name(name).with_context(|| format!("the ranking query has no `{name}` column"))?;
                Ok(arrow::compute::cast(c, ty)?)
            };
            let (strategy, params) = (column("strategy", &DataType::Utf8)?, column("params", &DataType::Utf8)?);
            let (sl, tp) = (column("sl", &DataType::Float64)?, column("tp", &DataType::Float64)?);
            let (strategy, params) = (strategy.as_string::<i32>(), params.as_string::<i32>());
            let (sl, tp) = (sl.as_primitive::<Float64Type>(), tp.as_primitive::<Float64Type>());
            for i in 0..b.num_rows() {
                let p: serde_json::Value = serde_json::from_str(params.value(i))
                    .with_context(|| format!("stored params `{}` are not JSON", params.value(i)))?;
                let combo = parse_combo(strategy.value(i), &p)?;
                let risk = Risk::new(sl.value(i), tp.value(i), plan.sweep.leverage)?;
                let r = record_backtest(&cache, &combo, &risk, &cost, tf, created_at)?;
                trades.push(r.trades);
                equity.push(r.equity);
            }
        }
        if trades.is_empty() {
            continue;
        }
        total += trades.len();
        let partition = run_partition(symbol, tf.as_str(), run);
        lake.write_partition(TRADES_TABLE, &partition, "part-0.parquet", &trades).await?;
        lake.write_partition(EQUITY_TABLE, &partition, "part-0.parquet", &equity).await?;
    }
    Ok(total)
}
