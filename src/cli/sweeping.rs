//! What `qm sweep` and `qm pipeline run` share: running one series' sweep with a progress
//! bar and Ctrl-C handling, and printing the ranking of a run.

use std::sync::Arc;

use anyhow::Context;
use arrow::record_batch::RecordBatch;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::lake::Lake;
use crate::output::{emit, Format};
use crate::sweep::exec::SweepParams;
use crate::sweep::run::{run_sweep, SweepSummary};

/// Sweep one series into the lake, showing progress on stderr unless `quiet`.
pub async fn sweep_one(lake: &Lake, params: &SweepParams, quiet: bool) -> anyhow::Result<SweepSummary> {
    sweep_one_in(lake, params, quiet, &MultiProgress::with_draw_target(ProgressDrawTarget::stderr())).await
}

/// [`sweep_one`] with its progress bar among `bars` (sweeps running side by side).
pub async fn sweep_one_in(lake: &Lake, params: &SweepParams, quiet: bool, bars: &MultiProgress) -> anyhow::Result<SweepSummary> {
    let bar = if quiet { ProgressBar::hidden() } else { bars.add(ProgressBar::new(0)) };
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} combos {per_sec} eta {eta}")
            .expect("static template")
            .progress_chars("=> "),
    );
    bar.set_prefix(format!("{} {}", params.symbol, params.timeframe));
    let b = bar.clone();
    let progress = Arc::new(move |done: usize, total: usize| {
        b.set_length(total as u64);
        b.set_position(done as u64);
    });
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let summary = run_sweep(lake, params, Some(progress), interrupt)
        .await
        .with_context(|| format!("sweep of {} {} (run `{}`) failed", params.symbol, params.timeframe, params.spec.run));
    bar.finish_and_clear();
    let s = summary?;
    if !quiet {
        let rate = (s.combos * s.levels) as f64 / s.seconds.max(1e-9);
        let line = format!(
            "{} {}: {} combinations x {} levels in {:.2} s ({:.0} combination-levels/s); wrote mega {} rows{} (run `{}`)",
            s.symbol,
            s.timeframe,
            s.combos,
            s.levels,
            s.seconds,
            rate,
            s.mega_rows,
            if s.wf_rows + s.window_rows > 0 { format!(", wf {} rows, wf_windows {} rows", s.wf_rows, s.window_rows) } else { String::new() },
            s.run
        );
        bars.suspend(|| eprintln!("{line}"));
    }
    Ok(s)
}

/// The ranking of one run as the reference prints it: walk-forward by `(oos_sharpe_mean,
/// consistency, oos_return_mean)` when it ran, else full-period by `(sharpe,
/// profit_factor, total_return)`; ties keep grid and level order.
pub fn ranking_sql(run: &str, only: Option<(&str, &str)>, walkforward: bool, top: usize) -> String {
    let scope = only.map_or(String::new(), |(s, tf)| format!(" AND symbol = '{s}' AND timeframe = '{tf}'"));
    if walkforward {
        format!(
            "SELECT symbol, timeframe, strategy, params, is_sharpe_mean AS is_sharpe, oos_sharpe_mean AS oos_sharpe, \
             oos_return_mean AS oos_return, oos_max_dd_mean AS oos_max_dd, consistency, sharpe_decay AS decay, \
             oos_trades_mean AS oos_trades, stop_loss AS sl, take_profit AS tp \
             FROM wf WHERE run = '{run}'{scope} \
             ORDER BY oos_sharpe_mean DESC, consistency DESC, oos_return_mean DESC, symbol, timeframe, combo, level LIMIT {top}"
        )
    } else {
        format!(
            "SELECT symbol, timeframe, strategy, params, sharpe, sortino, total_return, max_drawdown, trades, win_rate, \
             profit_factor, stop_loss AS sl, take_profit AS tp \
             FROM mega WHERE run = '{run}'{scope} \
             ORDER BY sharpe DESC, profit_factor DESC, total_return DESC, symbol, timeframe, combo, level LIMIT {top}"
        )
    }
}

/// Run the ranking query over the lake and print it.
pub async fn print_ranking(lake: &Lake, run: &str, only: Option<(&str, &str)>, walkforward: bool, top: usize, format: Format) -> anyhow::Result<()> {
    let ctx = crate::query::session_for_lake(lake.root()).await?;
    let df = ctx.sql(&ranking_sql(run, only, walkforward, top)).await.context("ranking query failed")?;
    let schema = Arc::new(df.schema().as_arrow().clone());
    let batches: Vec<RecordBatch> = df.collect().await.context("ranking query failed")?;
    emit(&schema, &batches, format, None)?;
    Ok(())
}
