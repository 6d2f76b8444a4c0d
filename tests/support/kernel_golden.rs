//! Readers for the reference's golden files used by the kernel and walk-forward parity tests.
#![allow(dead_code)]

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::{cast, concat_batches};
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

/// The golden sets, each a directory under `golden/`.
pub const SETS: [&str; 4] = ["synth_edge_1h", "synth_stress_1h", "eth_1h", "btc_15m"];

/// The reference data directory (`QM_REFERENCE_DIR`, default `/work/shared/reference`);
/// panics when it is missing, so the parity tests fail instead of passing vacuously.
pub fn reference_dir() -> PathBuf {
    let dir = PathBuf::from(std::env::var("QM_REFERENCE_DIR").unwrap_or_else(|_| "/work/shared/reference".into()));
    assert!(dir.join("golden").is_dir(), "reference data not found at `{}` (set QM_REFERENCE_DIR)", dir.display());
    dir
}

pub fn set_dir(set: &str) -> PathBuf {
    reference_dir().join("golden").join(set)
}

/// A parquet file read whole into one batch.
pub struct Table(pub RecordBatch);

impl Table {
    pub fn read(path: &Path) -> Table {
        let file = File::open(path).unwrap_or_else(|e| panic!("open `{}`: {e}", path.display()));
        let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
        let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
        assert!(!batches.is_empty(), "`{}` is empty", path.display());
        Table(concat_batches(&batches[0].schema(), &batches).unwrap())
    }

    pub fn len(&self) -> usize {
        self.0.num_rows()
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.column_by_name(name).is_some()
    }

    fn col(&self, name: &str) -> &dyn Array {
        self.0.column_by_name(name).unwrap_or_else(|| panic!("no column `{name}`")).as_ref()
    }

    pub fn f64(&self, name: &str) -> Vec<f64> {
        let a = cast(self.col(name), &DataType::Float64).unwrap();
        a.as_primitive::<Float64Type>().values().to_vec()
    }

    pub fn i64(&self, name: &str) -> Vec<i64> {
        let a = cast(self.col(name), &DataType::Int64).unwrap();
        a.as_primitive::<Int64Type>().values().to_vec()
    }

    pub fn str(&self, name: &str) -> Vec<String> {
        let a = cast(self.col(name), &DataType::Utf8).unwrap();
        a.as_string::<i32>().iter().map(|s| s.unwrap().to_string()).collect()
    }

    pub fn list_f64(&self, name: &str) -> Vec<Vec<f64>> {
        let l = self.col(name).as_list::<i32>();
        (0..l.len())
            .map(|i| cast(&l.value(i), &DataType::Float64).unwrap().as_primitive::<Float64Type>().values().to_vec())
            .collect()
    }

    pub fn list_i64(&self, name: &str) -> Vec<Vec<i64>> {
        let l = self.col(name).as_list::<i32>();
        (0..l.len())
            .map(|i| cast(&l.value(i), &DataType::Int64).unwrap().as_primitive::<Int64Type>().values().to_vec())
            .collect()
    }
}

/// `meta.json` of a golden set.
pub struct Meta {
    pub input: String,
    pub n_bars: usize,
    pub bars_per_day: usize,
    pub wf_windows: Vec<[usize; 4]>,
    pub sl_tp: Vec<(f64, f64)>,
    pub leverages: Vec<f64>,
}

pub fn meta(set: &str) -> Meta {
    let text = std::fs::read_to_string(set_dir(set).join("meta.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let usize_of = |v: &Value| v.as_u64().unwrap() as usize;
    Meta {
        input: v["input"].as_str().unwrap().to_string(),
        n_bars: usize_of(&v["n_bars"]),
        bars_per_day: usize_of(&v["bars_per_day"]),
        wf_windows: v["wf_windows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| {
                let w: Vec<usize> = w.as_array().unwrap().iter().map(usize_of).collect();
                [w[0], w[1], w[2], w[3]]
            })
            .collect(),
        sl_tp: v["sl_tp"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
            .collect(),
        leverages: v["leverages"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect(),
    }
}

/// The candles a golden set was computed on.
pub struct Ohlc {
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
}

pub fn candles(meta: &Meta) -> Ohlc {
    let t = Table::read(&reference_dir().join(&meta.input));
    let c = Ohlc { open: t.f64("open"), high: t.f64("high"), low: t.f64("low"), close: t.f64("close") };
    assert_eq!(c.close.len(), meta.n_bars, "{}", meta.input);
    c
}

/// A combination's identity: the strategy and its parameters parsed and sorted by name
/// (the files' `params` text is not compared as text).
pub fn combo_key(strategy: &str, params: &str) -> String {
    let v: Value = serde_json::from_str(params).unwrap_or_else(|e| panic!("params `{params}`: {e}"));
    let obj = v.as_object().unwrap_or_else(|| panic!("params `{params}` is not an object"));
    let mut kv: Vec<String> = obj.iter().map(|(k, v)| format!("{k}={}", canonical_number(v))).collect();
    kv.sort();
    format!("{strategy}|{}", kv.join(","))
}

fn canonical_number(v: &Value) -> String {
    match v.as_f64() {
        Some(x) => format!("{x:?}"),
        None => v.to_string(),
    }
}

/// The golden signals by combination, in file order.
pub fn signals(set: &str) -> Vec<(String, Vec<i8>)> {
    let t = Table::read(&set_dir(set).join("signals.parquet"));
    let (s, p, sig) = (t.str("strategy"), t.str("params"), t.list_i64("signal"));
    s.iter()
        .zip(&p)
        .zip(sig)
        .map(|((s, p), sig)| {
            let sig: Vec<i8> = sig.iter().map(|&x| i8::try_from(x).expect("signal fits i8")).collect();
            (combo_key(s, p), sig)
        })
        .collect()
}

pub fn signal_map(set: &str) -> HashMap<String, Vec<i8>> {
    signals(set).into_iter().collect()
}

/// Accumulates mismatches so one run reports them all.
#[derive(Default)]
pub struct Mismatches(pub Vec<String>);

impl Mismatches {
    pub fn check<T: PartialEq + std::fmt::Debug>(&mut self, ctx: &dyn Fn() -> String, what: &str, got: T, want: T) {
        if got != want {
            self.0.push(format!("{}: {what}: got {got:?}, want {want:?}", ctx()));
        }
    }

    pub fn assert_none(&self, label: &str) {
        if !self.0.is_empty() {
            let shown: Vec<&String> = self.0.iter().take(25).collect();
            panic!("{label}: {} mismatches, first ones:\n{}", self.0.len(), shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n"));
        }
    }
}

/// `f64` compared by bits (so `-0.0 != 0.0` and NaN equals itself).
#[derive(PartialEq)]
pub struct Bits(pub f64);

impl std::fmt::Debug for Bits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.0)
    }
}
