//! Run one sweep against the lake: plan `ohlcv` scan → [`SweepExec`] in DataFusion, stream
//! its batches into the `mega` / `wf` / `wf_windows` partitions of the run, and commit them
//! only when everything succeeded (an error or Ctrl-C leaves the previous files as they were).

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::ExecutionPlan;
use futures::StreamExt;

use super::exec::{Progress, SweepExec, SweepParams};
use crate::lake::{Lake, LakeError, PartitionWriter};
use crate::tables::results::{self, ResultTable, RunStamp};
use crate::tables::{run_partition, validate_run, RunNameError};

/// File name of a run's partition file in every result table.
pub const PART_FILE: &str = "part-0.parquet";

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    RunName(#[from] RunNameError),
    #[error("no candles for {symbol} {timeframe} in the lake at `{lake}`; add them with `qm fetch`, `qm import` or `qm data synth`")]
    NoCandles { symbol: String, timeframe: String, lake: String },
    #[error(transparent)]
    Lake(#[from] LakeError),
    #[error(transparent)]
    Query(#[from] crate::query::QueryError),
    #[error("{0}")]
    Engine(String),
    #[error("interrupted; no results of this run were written")]
    Interrupted,
}

impl From<datafusion::error::DataFusionError> for RunError {
    fn from(e: datafusion::error::DataFusionError) -> RunError {
        // Show the sweep's own error without DataFusion's wrapping.
        match e {
            datafusion::error::DataFusionError::External(inner) => RunError::Engine(inner.to_string()),
            other => RunError::Engine(other.to_string()),
        }
    }
}

impl From<arrow::error::ArrowError> for RunError {
    fn from(e: arrow::error::ArrowError) -> RunError {
        RunError::Engine(e.to_string())
    }
}

/// What a finished sweep wrote.
#[derive(Debug, Clone)]
pub struct SweepSummary {
    pub symbol: String,
    pub timeframe: String,
    pub run: String,
    pub combos: usize,
    pub levels: usize,
    pub mega_rows: usize,
    pub wf_rows: usize,
    pub window_rows: usize,
    pub seconds: f64,
}

/// The physical plan: the lake's `ohlcv` rows of one series, swept.
pub async fn sweep_plan(lake: &Lake, params: &SweepParams, progress: Option<Progress>) -> Result<Arc<dyn ExecutionPlan>, RunError> {
    let no_candles = || RunError::NoCandles {
        symbol: params.symbol.clone(),
        timeframe: params.timeframe.to_string(),
        lake: lake.root().display().to_string(),
    };
    crate::lake::validate_symbol(&params.symbol)?;
    let ctx = crate::query::session_for_lake(lake.root()).await?;
    if !ctx.table_exist("ohlcv").unwrap_or(false) {
        return Err(no_candles());
    }
    let sql = format!(
        "SELECT open_time, open, high, low, close, volume FROM ohlcv WHERE symbol = '{}' AND timeframe = '{}'",
        params.symbol, params.timeframe
    );
    let df = ctx.sql(&sql).await?;
    let input = df.create_physical_plan().await?;
    let mut exec = SweepExec::new(params.clone(), input);
    if let Some(p) = progress {
        exec = exec.with_progress(p);
    }
    Ok(Arc::new(exec))
}

/// Sweep one series and write its result partitions. `interrupt` resolving (e.g. Ctrl-C)
/// stops the sweep and discards everything of this run.
pub async fn run_sweep(
    lake: &Lake,
    params: &SweepParams,
    progress: Option<Progress>,
    interrupt: impl Future<Output = ()>,
) -> Result<SweepSummary, RunError> {
    validate_run(&params.spec.run)?;
    let started = Instant::now();
    let plan = sweep_plan(lake, params, progress).await?;
    let ctx = datafusion::prelude::SessionContext::new();
    let stream = plan.execute(0, ctx.task_ctx())?;
    let tf = params.timeframe.to_string();
    let part = run_partition(&params.symbol, &tf, &params.spec.run);
    let wf_on = params.spec.walkforward.is_some();
    let mut tables = vec![ResultTable::Mega];
    if wf_on {
        tables.extend([ResultTable::Wf, ResultTable::WfWindows]);
    }
    let mut writers = Vec::new();
    for t in &tables {
        writers.push(lake.partition_writer(t.name(), &part, PART_FILE, t.schema())?);
    }
    let stamp = RunStamp::now();
    let written = tokio::select! {
        r = pump(stream, &mut writers, &tables, params.spec.min_trades, &stamp) => r,
        _ = interrupt => Err(RunError::Interrupted),
    };
    let combos_levels = match written {
        Ok(n) => n,
        Err(e) => {
            for w in writers {
                w.abort().await;
            }
            // Missing candles surface from inside the plan as an empty input.
            return Err(e);
        }
    };
    let mut rows = Vec::new();
    for w in writers {
        rows.push(w.commit().await?);
    }
    if !wf_on {
        // A re-run without walk-forward must not leave the old run's walk-forward rows behind.
        for t in [ResultTable::Wf, ResultTable::WfWindows] {
            lake.delete_partition(t.name(), &part).await?;
        }
    }
    let levels = params.spec.levels.len();
    Ok(SweepSummary {
        symbol: params.symbol.clone(),
        timeframe: tf,
        run: params.spec.run.clone(),
        combos: combos_levels / levels.max(1),
        levels,
        mega_rows: rows[0],
        wf_rows: rows.get(1).copied().unwrap_or(0),
        window_rows: rows.get(2).copied().unwrap_or(0),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Move the operator's batches into the table writers; returns the wide rows seen.
async fn pump(
    mut stream: SendableRecordBatchStream,
    writers: &mut [PartitionWriter],
    tables: &[ResultTable],
    min_trades: u64,
    stamp: &RunStamp,
) -> Result<usize, RunError> {
    let mut rows = 0;
    while let Some(batch) = stream.next().await {
        let wide = batch?;
        rows += wide.num_rows();
        for (w, t) in writers.iter_mut().zip(tables) {
            let b = match t {
                ResultTable::Mega => results::mega(&wide, min_trades, stamp)?,
                ResultTable::Wf => results::wf(&wide, stamp)?,
                ResultTable::WfWindows => results::wf_windows(&wide, stamp)?,
            };
            if b.num_rows() > 0 {
                w.write(&b).await?;
            }
        }
    }
    Ok(rows)
}
