//! `SweepExec`: the sweep as a DataFusion execution operator. It consumes one (symbol,
//! timeframe) partition of candles from its input plan and streams result batches
//! (`super::batch::sweep_schema`) as chunks of combinations finish.
//!
//! Its parameters ([`SweepParams`]) are plain serialisable data, so a distributed
//! scheduler can ship the operator; its output depends neither on the input's
//! partitioning nor on the thread count.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type, Int64Type, TimestampMillisecondType};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, Partitioning, PlanProperties};
use futures::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};

use super::batch::{sweep_schema, to_batch, SeriesInfo};
use super::engine::{ComboOutcome, SweepJob};
use super::spec::{GridSpec, SweepSpec};
use super::windows::wf_windows;
use crate::candles::Candles;
use crate::kernel::Risk;
use crate::strategies::{load_grid_file, quantmuse_grid, Combo, IndicatorCache};
use crate::timeframe::Timeframe;

/// Everything the operator needs, serialisable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepParams {
    pub symbol: String,
    pub timeframe: Timeframe,
    /// Keep only the newest `limit` candles.
    pub limit: Option<usize>,
    pub spec: SweepSpec,
}

/// Why a sweep cannot run.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("invalid sweep: {0}")]
    Spec(#[from] super::spec::SpecError),
    #[error(transparent)]
    Grid(#[from] crate::strategies::StrategyError),
    #[error(transparent)]
    Kernel(#[from] crate::kernel::KernelError),
    #[error("{symbol} {timeframe}: {candles} candles are too few for {windows} walk-forward windows with train_pct {train_pct} (each needs at least {min_test} test and {min_test} training bars); fetch more candles or use fewer windows")]
    TooFewCandles { symbol: String, timeframe: String, candles: usize, windows: usize, train_pct: f64, min_test: usize },
    #[error("{symbol} {timeframe}: no candles to sweep")]
    NoCandles { symbol: String, timeframe: String },
    #[error("{symbol} {timeframe}: input column `{column}` is missing or not {expected}")]
    BadInput { symbol: String, timeframe: String, column: String, expected: &'static str },
    #[error("{symbol} {timeframe}: duplicate candle open_time {time}")]
    Duplicate { symbol: String, timeframe: String, time: i64 },
}

impl SweepParams {
    /// The combinations of the grid.
    pub fn combos(&self) -> Result<Vec<Combo>, SweepError> {
        Ok(match &self.spec.grid {
            GridSpec::Quantmuse => quantmuse_grid(),
            GridSpec::File(p) => load_grid_file(p)?,
        })
    }

    /// The job for a series of `n_bars` candles (checks the walk-forward has windows).
    pub fn job(&self, combos: Vec<Combo>, n_bars: usize) -> Result<SweepJob, SweepError> {
        self.spec.validate()?;
        let cost = self.spec.cost.model();
        cost.validate()?;
        let levels = self
            .spec
            .levels
            .iter()
            .map(|l| Risk::new(l.stop_loss, l.take_profit, self.spec.leverage))
            .collect::<Result<Vec<_>, _>>()?;
        let windows = match &self.spec.walkforward {
            None => Vec::new(),
            Some(wf) => {
                let w = wf_windows(n_bars, wf.windows, wf.train_pct, wf.min_test);
                if w.len() < super::walkforward::MIN_WINDOWS.min(wf.windows) || n_bars < 2 * wf.min_test {
                    return Err(SweepError::TooFewCandles {
                        symbol: self.symbol.clone(),
                        timeframe: self.timeframe.to_string(),
                        candles: n_bars,
                        windows: wf.windows,
                        train_pct: wf.train_pct,
                        min_test: wf.min_test,
                    });
                }
                w
            }
        };
        Ok(SweepJob { combos, levels, cost, windows, bars_per_day: self.timeframe.bars_per_day() })
    }
}

/// Progress callback: (combinations done, combinations in all).
pub type Progress = Arc<dyn Fn(usize, usize) + Send + Sync>;

/// The sweep operator over one (symbol, timeframe) series of candles.
pub struct SweepExec {
    params: SweepParams,
    input: Arc<dyn ExecutionPlan>,
    properties: Arc<PlanProperties>,
    progress: Option<Progress>,
}

impl fmt::Debug for SweepExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SweepExec").field("params", &self.params).finish_non_exhaustive()
    }
}

impl SweepExec {
    /// The operator over `input` (any plan yielding `open_time, open, high, low, close, volume`
    /// of the series; several input partitions are merged first).
    pub fn new(params: SweepParams, input: Arc<dyn ExecutionPlan>) -> SweepExec {
        let input: Arc<dyn ExecutionPlan> = if input.output_partitioning().partition_count() > 1 {
            Arc::new(CoalescePartitionsExec::new(input))
        } else {
            input
        };
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(sweep_schema()),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        SweepExec { params, input, properties, progress: None }
    }

    /// Report progress (not part of the plan; a local concern of whoever runs it).
    pub fn with_progress(mut self, progress: Progress) -> SweepExec {
        self.progress = Some(progress);
        self
    }

    pub fn params(&self) -> &SweepParams {
        &self.params
    }
}

impl DisplayAs for SweepExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let p = &self.params;
        write!(
            f,
            "SweepExec: symbol={}, timeframe={}, grid={}, levels={}, leverage={}, walkforward={}",
            p.symbol,
            p.timeframe,
            p.spec.grid.label(),
            p.spec.levels.len(),
            p.spec.leverage,
            p.spec.walkforward.map_or("off".to_string(), |w| format!("{}x{}", w.windows, w.train_pct))
        )
    }
}

impl ExecutionPlan for SweepExec {
    fn name(&self) -> &str {
        "SweepExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(&self, _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> DfResult<TreeNodeRecursion>) -> DfResult<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(self: Arc<Self>, mut children: Vec<Arc<dyn ExecutionPlan>>) -> DfResult<Arc<dyn ExecutionPlan>> {
        if children.len() != 1 {
            return Err(DataFusionError::Internal(format!("SweepExec takes one input, got {}", children.len())));
        }
        let mut exec = SweepExec::new(self.params.clone(), children.swap_remove(0));
        exec.progress = self.progress.clone();
        Ok(Arc::new(exec))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> DfResult<SendableRecordBatchStream> {
        if partition != 0 {
            return Err(DataFusionError::Internal(format!("SweepExec has one output partition, asked for {partition}")));
        }
        let input = self.input.execute(0, context)?;
        let params = self.params.clone();
        let progress = self.progress.clone();
        let (mut tx, rx) = futures::channel::mpsc::channel::<DfResult<RecordBatch>>(2);
        let stream = futures::stream::once(async move {
            let batches: Vec<RecordBatch> = match input.collect::<Vec<_>>().await.into_iter().collect::<DfResult<Vec<_>>>() {
                Ok(b) => b,
                Err(e) => return futures::stream::once(async move { Err(e) }).boxed(),
            };
            let prepared = candles_from_batches(&params, &batches).and_then(|c| {
                let combos = params.combos()?;
                let job = params.job(combos, c.len())?;
                Ok((c, job))
            });
            let (candles, job) = match prepared {
                Ok(x) => x,
                Err(e) => return futures::stream::once(async move { Err(DataFusionError::External(Box::new(e))) }).boxed(),
            };
            std::thread::spawn(move || run_blocking(params, candles, job, progress, &mut tx));
            rx.boxed()
        })
        .flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(sweep_schema(), stream)))
    }
}

/// The sweep proper, on a plain thread (rayon inside); stops early when the receiver is gone.
fn run_blocking(
    params: SweepParams,
    candles: Candles,
    job: SweepJob,
    progress: Option<Progress>,
    tx: &mut futures::channel::mpsc::Sender<DfResult<RecordBatch>>,
) {
    let info = SeriesInfo {
        symbol: params.symbol.clone(),
        timeframe: params.timeframe.to_string(),
        open_time: candles.open_time.clone().into(),
        bar_ms: params.timeframe.millis(),
    };
    let cache = IndicatorCache::new(&candles);
    let total = job.combos.len();
    let cancelled = AtomicBool::new(false);
    // While a chunk is backtested, the next chunk's signals are computed and the previous
    // chunk's rows are built into a batch, so that no stage's serial tail leaves a core idle.
    let chunks = job.chunks();
    let strategy = |r: &std::ops::Range<usize>| job.combos[r.start].strategy.name;
    let mut built: Option<(usize, Vec<ComboOutcome>)> = None;
    let send = |tx: &mut futures::channel::mpsc::Sender<DfResult<RecordBatch>>, batch: DfResult<RecordBatch>, end: usize| {
        if futures::executor::block_on(tx.send(batch)).is_err() {
            cancelled.store(true, Ordering::Relaxed);
            return false;
        }
        if let Some(p) = &progress {
            p(end, total);
        }
        true
    };
    let mut next_signals = chunks.first().map(|r| job.signals(&cache, r.clone()));
    for (at, range) in chunks.iter().enumerate() {
        if cancelled.load(Ordering::Relaxed) {
            return;
        }
        let signals = next_signals.take().expect("computed in the previous step");
        let previous = built.take();
        let ((outcomes, batch), following) = rayon::join(
            || {
                rayon::join(
                    || job.evaluate_signals(&candles, range.clone(), &signals),
                    || previous.map(|(end, o)| (end, to_batch(&job, &info, &o).map_err(DataFusionError::from))),
                )
            },
            || {
                chunks.get(at + 1).map(|next| {
                    // The cache holds one strategy's indicators at a time, to bound memory.
                    if strategy(next) != strategy(range) {
                        cache.clear();
                    }
                    job.signals(&cache, next.clone())
                })
            },
        );
        next_signals = following;
        if let Some((done, batch)) = batch {
            if !send(tx, batch, done) {
                return;
            }
        }
        built = Some((range.end, outcomes));
    }
    if let Some((end, o)) = built {
        send(tx, to_batch(&job, &info, &o).map_err(DataFusionError::from), end);
    }
}

/// Read the input batches into a sorted series, keeping the newest `limit` bars.
fn candles_from_batches(p: &SweepParams, batches: &[RecordBatch]) -> Result<Candles, SweepError> {
    let bad = |column: &str, expected: &'static str| SweepError::BadInput {
        symbol: p.symbol.clone(),
        timeframe: p.timeframe.to_string(),
        column: column.to_string(),
        expected,
    };
    let mut rows: Vec<(i64, [f64; 5])> = Vec::new();
    for b in batches {
        let t = b.column_by_name("open_time").ok_or_else(|| bad("open_time", "a timestamp or int64"))?;
        let times: Vec<i64> = match t.data_type() {
            DataType::Timestamp(arrow::datatypes::TimeUnit::Millisecond, _) => t.as_primitive::<TimestampMillisecondType>().values().to_vec(),
            DataType::Int64 => t.as_primitive::<Int64Type>().values().to_vec(),
            _ => return Err(bad("open_time", "a millisecond timestamp or int64")),
        };
        let mut cols = Vec::with_capacity(5);
        for name in ["open", "high", "low", "close", "volume"] {
            let c = b.column_by_name(name).ok_or_else(|| bad(name, "float64"))?;
            if c.data_type() != &DataType::Float64 || c.null_count() > 0 {
                return Err(bad(name, "non-null float64"));
            }
            cols.push(c.as_primitive::<Float64Type>().values().to_vec());
        }
        for (i, &time) in times.iter().enumerate() {
            rows.push((time, [cols[0][i], cols[1][i], cols[2][i], cols[3][i], cols[4][i]]));
        }
    }
    rows.sort_by_key(|r| r.0);
    if let Some(w) = rows.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(SweepError::Duplicate { symbol: p.symbol.clone(), timeframe: p.timeframe.to_string(), time: w[0].0 });
    }
    if let Some(limit) = p.limit {
        let skip = rows.len().saturating_sub(limit);
        rows.drain(..skip);
    }
    if rows.is_empty() {
        return Err(SweepError::NoCandles { symbol: p.symbol.clone(), timeframe: p.timeframe.to_string() });
    }
    let mut c = Candles::default();
    for (t, [o, h, l, cl, v]) in rows {
        c.open_time.push(t);
        c.open.push(o);
        c.high.push(h);
        c.low.push(l);
        c.close.push(cl);
        c.volume.push(v);
    }
    Ok(c)
}
