//! Sweep result tables: `mega`, `wf`, `wf_windows`, projected from the sweep operator's
//! wide rows (`crate::sweep::batch`). Files hold no partition columns (`symbol`,
//! `timeframe`, `run` come from the path).

use std::sync::{Arc, LazyLock};

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int64Array, ListArray, RecordBatch, StringArray, TimestampMillisecondArray, UInt32Array};
use arrow::compute::{filter_record_batch, take};
use arrow::datatypes::{DataType, Field, Int64Type, Schema, SchemaRef};
use arrow::error::ArrowError;

use crate::sweep::batch::{list_of, sweep_schema, ts_type, MEGA_METRICS, WF_SCALARS, WINDOW_METRICS};

/// The result tables a sweep writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultTable {
    Mega,
    Wf,
    WfWindows,
}

impl ResultTable {
    pub fn name(self) -> &'static str {
        match self {
            ResultTable::Mega => "mega",
            ResultTable::Wf => "wf",
            ResultTable::WfWindows => "wf_windows",
        }
    }

    pub fn schema(self) -> SchemaRef {
        match self {
            ResultTable::Mega => MEGA.clone(),
            ResultTable::Wf => WF.clone(),
            ResultTable::WfWindows => WF_WINDOWS.clone(),
        }
    }
}

/// Values every row of a run shares.
#[derive(Debug, Clone)]
pub struct RunStamp {
    /// Milliseconds since the epoch.
    pub created_at: i64,
    pub qm_version: String,
}

impl RunStamp {
    pub fn now() -> RunStamp {
        RunStamp { created_at: chrono::Utc::now().timestamp_millis(), qm_version: crate::VERSION.to_string() }
    }
}

/// Identify a row: `combo` is the position in the grid, `level` in the SL/TP list.
const KEY: [&str; 7] = ["strategy", "params", "stop_loss", "take_profit", "leverage", "combo", "level"];
const SERIES: [&str; 3] = ["candles", "data_start", "data_end"];

fn wide_field(name: &str) -> Field {
    sweep_schema().field_with_name(name).expect("sweep schema column").clone()
}

fn stamp_fields() -> [Field; 2] {
    [Field::new("created_at", ts_type(), false), Field::new("qm_version", DataType::Utf8, false)]
}

static MEGA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let f: Vec<Field> = KEY.iter().chain(MEGA_METRICS.iter()).chain(SERIES.iter()).map(|n| wide_field(n)).chain(stamp_fields()).collect();
    Arc::new(Schema::new(f))
});

static WF: LazyLock<SchemaRef> = LazyLock::new(|| {
    let mut f: Vec<Field> = KEY.iter().map(|n| wide_field(n)).collect();
    f.push(Field::new("n_windows", DataType::Int64, false));
    f.extend(WF_SCALARS.iter().map(|n| Field::new(*n, DataType::Float64, false)));
    f.push(Field::new("oos_window_sharpe", list_of(DataType::Float64), false));
    f.push(Field::new("oos_window_return", list_of(DataType::Float64), false));
    f.push(Field::new("oos_window_trades", list_of(DataType::Int64), false));
    f.extend(SERIES.iter().map(|n| wide_field(n)));
    f.extend(stamp_fields());
    Arc::new(Schema::new(f))
});

static WF_WINDOWS: LazyLock<SchemaRef> = LazyLock::new(|| {
    let mut f: Vec<Field> = KEY.iter().map(|n| wide_field(n)).collect();
    f.push(Field::new("window", DataType::Int64, false));
    for b in ["train_start", "train_end", "test_start", "test_end"] {
        f.push(Field::new(b, ts_type(), false));
    }
    for side in ["is", "oos"] {
        for m in WINDOW_METRICS {
            let dt = if m == "trades" { DataType::Int64 } else { DataType::Float64 };
            f.push(Field::new(format!("{side}_{m}"), dt, false));
        }
    }
    f.push(Field::new("in_wf", DataType::Boolean, false));
    f.extend(SERIES.iter().map(|n| wide_field(n)));
    f.extend(stamp_fields());
    Arc::new(Schema::new(f))
});

fn col(b: &RecordBatch, name: &str) -> ArrayRef {
    b.column_by_name(name).unwrap_or_else(|| panic!("sweep batch lacks `{name}`")).clone()
}

fn stamp_columns(stamp: &RunStamp, n: usize) -> [ArrayRef; 2] {
    [
        Arc::new(TimestampMillisecondArray::from(vec![stamp.created_at; n]).with_timezone("UTC")),
        Arc::new(StringArray::from(vec![stamp.qm_version.as_str(); n])),
    ]
}

/// `mega`: the rows with at least `min_trades` trades.
pub fn mega(wide: &RecordBatch, min_trades: u64, stamp: &RunStamp) -> Result<RecordBatch, ArrowError> {
    let trades = wide.column_by_name("trades").expect("trades").as_primitive::<Int64Type>();
    let keep = BooleanArray::from_iter(trades.values().iter().map(|&t| Some(t >= min_trades as i64)));
    let b = filter_record_batch(wide, &keep)?;
    let mut cols: Vec<ArrayRef> = KEY.iter().chain(MEGA_METRICS.iter()).chain(SERIES.iter()).map(|n| col(&b, n)).collect();
    cols.extend(stamp_columns(stamp, b.num_rows()));
    RecordBatch::try_new(MEGA.clone(), cols)
}

/// `wf`: the rows walk-forward keeps.
pub fn wf(wide: &RecordBatch, stamp: &RunStamp) -> Result<RecordBatch, ArrowError> {
    let kept = wide.column_by_name("wf_kept").expect("wf_kept").as_boolean().clone();
    let b = filter_record_batch(wide, &kept)?;
    let names = KEY.iter().copied().chain(["n_windows"]).chain(WF_SCALARS).chain(["oos_window_sharpe", "oos_window_return", "oos_window_trades"]).chain(SERIES);
    let mut cols: Vec<ArrayRef> = names.map(|n| col(&b, n)).collect();
    cols.extend(stamp_columns(stamp, b.num_rows()));
    RecordBatch::try_new(WF.clone(), cols)
}

/// `wf_windows`: one row per (combination, level, window), both samples' metrics.
pub fn wf_windows(wide: &RecordBatch, stamp: &RunStamp) -> Result<RecordBatch, ArrowError> {
    let lists = |name: &str| -> ListArray { col(wide, name).as_list::<i32>().clone() };
    let starts = lists("w_train_start");
    // Row index and window number of every output row.
    let mut rows = Vec::new();
    let mut window = Vec::new();
    for r in 0..wide.num_rows() {
        let len = starts.value_length(r) as i64;
        rows.extend(std::iter::repeat_n(r as u32, len as usize));
        window.extend(0..len);
    }
    let idx = UInt32Array::from(rows);
    let flat = |name: &str| -> ArrayRef {
        let l = lists(name);
        let offsets = l.value_offsets();
        let (a, z) = (offsets[0] as usize, offsets[l.len()] as usize);
        l.values().slice(a, z - a)
    };
    let mut cols: Vec<ArrayRef> = Vec::new();
    for n in KEY {
        cols.push(take(col(wide, n).as_ref(), &idx, None)?);
    }
    cols.push(Arc::new(Int64Array::from(window)));
    for b in ["train_start", "train_end", "test_start", "test_end"] {
        cols.push(flat(&format!("w_{b}")));
    }
    for side in ["is", "oos"] {
        for m in WINDOW_METRICS {
            cols.push(flat(&format!("w_{side}_{m}")));
        }
    }
    cols.push(take(col(wide, "wf_kept").as_ref(), &idx, None)?);
    for n in SERIES {
        cols.push(take(col(wide, n).as_ref(), &idx, None)?);
    }
    cols.extend(stamp_columns(stamp, idx.len()));
    RecordBatch::try_new(WF_WINDOWS.clone(), cols)
}
