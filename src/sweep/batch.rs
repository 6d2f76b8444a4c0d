//! The sweep's Arrow output: one wide row per (combination, level) holding the full-period
//! metrics, the walk-forward aggregate and the per-window metrics as lists. The result
//! tables (`mega`, `wf`, `wf_windows`) are projections of it (see `crate::tables::results`).

use std::sync::{Arc, LazyLock};

use arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Float64Builder, Int64Array, Int64Builder, ListBuilder, RecordBatch, StringArray,
    TimestampMillisecondArray, TimestampMillisecondBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::error::ArrowError;

use super::engine::{ComboOutcome, SweepJob};
use crate::kernel::Metrics;

/// The metrics reported per walk-forward window, in column order.
pub const WINDOW_METRICS: [&str; 8] =
    ["total_return", "sharpe", "sortino", "max_drawdown", "trades", "win_rate", "profit_factor", "final_equity"];

/// The full-period metric columns, in order (`trades` and `liquidations` are Int64).
pub const MEGA_METRICS: [&str; 11] = [
    "total_return", "sharpe", "sortino", "max_drawdown", "trades", "win_rate", "profit_factor", "final_equity",
    "gross_profit", "gross_loss", "liquidations",
];

/// The walk-forward aggregate columns (Float64 unless noted), in order.
pub const WF_SCALARS: [&str; 11] = [
    "is_sharpe_mean", "oos_sharpe_mean", "oos_sharpe_std", "oos_sharpe_min", "oos_return_mean", "oos_max_dd_mean",
    "oos_trades_mean", "oos_win_rate_mean", "oos_profit_factor_mean", "consistency", "sharpe_decay",
];

pub fn ts_type() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

pub fn list_of(dt: DataType) -> DataType {
    DataType::List(Arc::new(Field::new_list_field(dt, true)))
}

fn is_int(name: &str) -> bool {
    matches!(name, "trades" | "liquidations")
}

static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let mut f = vec![
        Field::new("symbol", DataType::Utf8, false),
        Field::new("timeframe", DataType::Utf8, false),
        Field::new("strategy", DataType::Utf8, false),
        Field::new("params", DataType::Utf8, false),
        Field::new("stop_loss", DataType::Float64, false),
        Field::new("take_profit", DataType::Float64, false),
        Field::new("leverage", DataType::Float64, false),
        Field::new("combo", DataType::Int64, false),
        Field::new("level", DataType::Int64, false),
        Field::new("candles", DataType::Int64, false),
        Field::new("data_start", ts_type(), false),
        Field::new("data_end", ts_type(), false),
    ];
    for m in MEGA_METRICS {
        f.push(Field::new(m, if is_int(m) { DataType::Int64 } else { DataType::Float64 }, false));
    }
    f.push(Field::new("wf_kept", DataType::Boolean, false));
    f.push(Field::new("n_windows", DataType::Int64, true));
    for m in WF_SCALARS {
        f.push(Field::new(m, DataType::Float64, true));
    }
    f.push(Field::new("oos_window_sharpe", list_of(DataType::Float64), true));
    f.push(Field::new("oos_window_return", list_of(DataType::Float64), true));
    f.push(Field::new("oos_window_trades", list_of(DataType::Int64), true));
    for b in ["train_start", "train_end", "test_start", "test_end"] {
        f.push(Field::new(format!("w_{b}"), list_of(ts_type()), false));
    }
    for side in ["is", "oos"] {
        for m in WINDOW_METRICS {
            f.push(Field::new(format!("w_{side}_{m}"), list_of(if is_int(m) { DataType::Int64 } else { DataType::Float64 }), false));
        }
    }
    Arc::new(Schema::new(f))
});

/// Schema of the sweep's output rows.
pub fn sweep_schema() -> SchemaRef {
    SCHEMA.clone()
}

/// Constant facts of the series a sweep ran on.
#[derive(Debug, Clone)]
pub struct SeriesInfo {
    pub symbol: String,
    pub timeframe: String,
    /// Candle open times (ms); windows are reported as open times.
    pub open_time: Arc<[i64]>,
    /// Milliseconds per bar, for exclusive end times.
    pub bar_ms: i64,
}

fn metric(m: &Metrics, name: &str) -> f64 {
    match name {
        "total_return" => m.total_return,
        "sharpe" => m.sharpe,
        "sortino" => m.sortino,
        "max_drawdown" => m.max_drawdown,
        "trades" => m.trades as f64,
        "win_rate" => m.win_rate,
        "profit_factor" => m.profit_factor,
        "final_equity" => m.final_equity,
        "gross_profit" => m.gross_profit,
        "gross_loss" => m.gross_loss,
        "liquidations" => m.liquidations as f64,
        _ => unreachable!("unknown metric {name}"),
    }
}

fn int_metric(m: &Metrics, name: &str) -> i64 {
    if name == "trades" { m.trades as i64 } else { m.liquidations as i64 }
}

fn lv<'a>(o: &&'a ComboOutcome, l: &usize) -> &'a crate::sweep::engine::LevelOutcome {
    &o.levels[*l]
}

/// One record batch of a chunk's outcomes (rows in combination order, then level order).
pub fn to_batch(job: &SweepJob, info: &SeriesInfo, outcomes: &[ComboOutcome]) -> Result<RecordBatch, ArrowError> {
    let rows: Vec<(&ComboOutcome, usize)> = outcomes.iter().flat_map(|o| (0..o.levels.len()).map(move |l| (o, l))).collect();
    let n = rows.len();
    let t = &info.open_time;
    let (first, last) = (t.first().copied().unwrap_or(0), t.last().copied().unwrap_or(0));
    let time_at = |bar: usize| -> i64 { if bar < t.len() { t[bar] } else { last + info.bar_ms } };

    let mut cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec![info.symbol.as_str(); n])),
        Arc::new(StringArray::from(vec![info.timeframe.as_str(); n])),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|(o, _)| job.combos[o.combo].strategy.name))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|(o, _)| job.combos[o.combo].canonical_params()))),
        Arc::new(Float64Array::from_iter_values(rows.iter().map(|(_, l)| job.levels[*l].stop_loss))),
        Arc::new(Float64Array::from_iter_values(rows.iter().map(|(_, l)| job.levels[*l].take_profit))),
        Arc::new(Float64Array::from_iter_values(rows.iter().map(|(_, l)| job.levels[*l].leverage))),
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|(o, _)| o.combo as i64))),
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|(_, l)| *l as i64))),
        Arc::new(Int64Array::from(vec![t.len() as i64; n])),
        Arc::new(TimestampMillisecondArray::from(vec![first; n]).with_timezone("UTC")),
        Arc::new(TimestampMillisecondArray::from(vec![last; n]).with_timezone("UTC")),
    ];
    for m in MEGA_METRICS {
        if is_int(m) {
            cols.push(Arc::new(Int64Array::from_iter_values(rows.iter().map(|(o, l)| int_metric(&lv(o, l).full, m)))));
        } else {
            cols.push(Arc::new(Float64Array::from_iter_values(rows.iter().map(|(o, l)| metric(&lv(o, l).full, m)))));
        }
    }
    cols.push(Arc::new(BooleanArray::from_iter(rows.iter().map(|(o, l)| Some(lv(o, l).wf.is_some())))));
    cols.push(Arc::new(Int64Array::from_iter(rows.iter().map(|(o, l)| lv(o, l).wf.as_ref().map(|w| w.n_windows as i64)))));
    for m in WF_SCALARS {
        cols.push(Arc::new(Float64Array::from_iter(rows.iter().map(|(o, l)| lv(o, l).wf.as_ref().map(|w| wf_scalar(w, m))))));
    }
    let mut sharpe = ListBuilder::new(Float64Builder::new());
    let mut ret = ListBuilder::new(Float64Builder::new());
    let mut trades = ListBuilder::new(Int64Builder::new());
    for (o, l) in &rows {
        match &lv(o, l).wf {
            Some(w) => {
                sharpe.append_value(w.oos_window_sharpe.iter().map(|&x| Some(x)));
                ret.append_value(w.oos_window_return.iter().map(|&x| Some(x)));
                trades.append_value(w.oos_window_trades.iter().map(|&x| Some(x as i64)));
            }
            None => {
                sharpe.append_null();
                ret.append_null();
                trades.append_null();
            }
        }
    }
    cols.push(Arc::new(sharpe.finish()));
    cols.push(Arc::new(ret.finish()));
    cols.push(Arc::new(trades.finish()));
    let bounds: [fn(&super::Window) -> usize; 4] = [|w| w.train_start, |w| w.train_end, |w| w.test_start, |w| w.test_end];
    for b in bounds {
        let mut lb = ListBuilder::new(TimestampMillisecondBuilder::new().with_timezone("UTC")).with_field(Arc::new(Field::new_list_field(ts_type(), true)));
        for _ in 0..n {
            lb.append_value(job.windows.iter().map(|w| Some(time_at(b(w)))));
        }
        cols.push(Arc::new(lb.finish()));
    }
    for side in [false, true] {
        for m in WINDOW_METRICS {
            let pick = |w: &super::WindowMetrics| if side { w.out_of_sample } else { w.in_sample };
            if is_int(m) {
                let mut lb = ListBuilder::new(Int64Builder::new());
                for (o, l) in &rows {
                    lb.append_value(lv(o, l).windows.iter().map(|w| Some(int_metric(&pick(w), m))));
                }
                cols.push(Arc::new(lb.finish()));
            } else {
                let mut lb = ListBuilder::new(Float64Builder::new());
                for (o, l) in &rows {
                    lb.append_value(lv(o, l).windows.iter().map(|w| Some(metric(&pick(w), m))));
                }
                cols.push(Arc::new(lb.finish()));
            }
        }
    }
    RecordBatch::try_new(sweep_schema(), cols)
}

fn wf_scalar(w: &super::WalkForward, name: &str) -> f64 {
    match name {
        "is_sharpe_mean" => w.is_sharpe_mean,
        "oos_sharpe_mean" => w.oos_sharpe_mean,
        "oos_sharpe_std" => w.oos_sharpe_std,
        "oos_sharpe_min" => w.oos_sharpe_min,
        "oos_return_mean" => w.oos_return_mean,
        "oos_max_dd_mean" => w.oos_max_dd_mean,
        "oos_trades_mean" => w.oos_trades_mean,
        "oos_win_rate_mean" => w.oos_win_rate_mean,
        "oos_profit_factor_mean" => w.oos_profit_factor_mean,
        "consistency" => w.consistency,
        "sharpe_decay" => w.sharpe_decay,
        _ => unreachable!("unknown walk-forward column {name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::{CostModel, Risk};
    use crate::strategies::{quantmuse_grid, IndicatorCache};
    use crate::sweep::wf_windows;

    #[test]
    fn batch_matches_schema_and_outcomes() {
        let mut c = crate::candles::Candles::default();
        for i in 0..800 {
            let p = 100.0 + ((i * 37) % 23) as f64;
            c.open_time.push(i as i64 * 60_000);
            c.open.push(p);
            c.high.push(p + 1.0);
            c.low.push(p - 1.0);
            c.close.push(p + 0.5);
            c.volume.push(1.0);
        }
        let job = SweepJob {
            combos: quantmuse_grid().into_iter().take(7).collect(),
            levels: vec![Risk::default(), Risk::new(0.01, 0.03, 2.0).unwrap()],
            cost: CostModel::default(),
            windows: wf_windows(800, 3, 0.7, 100),
            bars_per_day: 1440,
        };
        let cache = IndicatorCache::new(&c);
        let out = job.run_chunk(&cache, 0..7);
        let info = SeriesInfo { symbol: "X".into(), timeframe: "1m".into(), open_time: c.open_time.clone().into(), bar_ms: 60_000 };
        let b = to_batch(&job, &info, &out).unwrap();
        assert_eq!(b.num_rows(), 14);
        assert_eq!(b.schema(), sweep_schema());
        let lev = b.column_by_name("leverage").unwrap().as_any().downcast_ref::<Float64Array>().unwrap();
        assert_eq!((lev.value(0), lev.value(1)), (1.0, 2.0));
        let te = b.column_by_name("w_test_end").unwrap().as_any().downcast_ref::<arrow::array::ListArray>().unwrap();
        let last = te.value(0);
        let last = last.as_any().downcast_ref::<TimestampMillisecondArray>().unwrap();
        assert_eq!(last.value(last.len() - 1), 800 * 60_000, "the last window ends one bar after the last open");
    }
}
