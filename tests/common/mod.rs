//! Helpers for driving the real `qm` binary against temporary lakes.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The outcome of one `qm` run.
#[derive(Debug)]
pub struct Run {
    pub ok: bool,
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Run {
    pub fn stdout_text(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("stdout is UTF-8")
    }

    /// Panic with both streams unless the run succeeded.
    pub fn success(self) -> Run {
        assert!(self.ok, "qm failed ({:?}):\nstderr: {}\nstdout: {}", self.code, self.stderr, self.stdout_text());
        self
    }

    /// Panic unless the run failed with a message on stderr.
    pub fn failure(self) -> Run {
        assert!(!self.ok, "qm unexpectedly succeeded:\nstderr: {}\nstdout: {}", self.stderr, self.stdout_text());
        assert!(self.stderr.starts_with("error: "), "stderr: {}", self.stderr);
        self
    }
}

fn finish(out: Output) -> Run {
    Run {
        ok: out.status.success(),
        code: out.status.code(),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A `qm` command aimed at `lake` (through `QM_LAKE`).
pub fn qm_cmd(lake: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_qm"));
    c.env("QM_LAKE", lake).env_remove("RUST_LOG");
    c
}

/// Run `qm ARGS` against `lake`.
pub fn qm(lake: &Path, args: &[&str]) -> Run {
    finish(qm_cmd(lake).args(args).output().expect("qm runs"))
}

/// Run `qm ARGS` with `stdin` as standard input.
pub fn qm_stdin(lake: &Path, args: &[&str], stdin: &str) -> Run {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = qm_cmd(lake)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("qm runs");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    finish(child.wait_with_output().unwrap())
}

/// The shared reference data (`QM_REFERENCE_DIR`, default `/work/shared/reference`); a
/// missing directory fails the test rather than skipping it.
pub fn reference_dir() -> PathBuf {
    let dir = PathBuf::from(std::env::var("QM_REFERENCE_DIR").unwrap_or_else(|_| "/work/shared/reference".into()));
    assert!(dir.join("candles").is_dir(), "reference data missing at `{}`; set QM_REFERENCE_DIR", dir.display());
    dir
}

pub fn reference_candles(name: &str) -> PathBuf {
    let p = reference_dir().join("candles").join(name);
    assert!(p.is_file(), "missing reference file `{}`", p.display());
    p
}

/// Every file under `dir` with its bytes (relative paths), to prove a failed command wrote nothing.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        let Ok(rd) = std::fs::read_dir(dir) else { return };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(p.strip_prefix(root).unwrap().to_path_buf(), std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Read a whole Parquet file into record batches.
pub fn read_parquet(path: &Path) -> Vec<arrow::record_batch::RecordBatch> {
    let f = std::fs::File::open(path).unwrap();
    parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f)
        .unwrap()
        .build()
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

/// A column of `batches` cast to f64.
pub fn f64_column(batches: &[arrow::record_batch::RecordBatch], name: &str) -> Vec<f64> {
    use arrow::array::AsArray;
    let mut out = Vec::new();
    for b in batches {
        let col = b.column_by_name(name).unwrap_or_else(|| panic!("no column `{name}`"));
        let col = arrow::compute::cast(col, &arrow::datatypes::DataType::Float64).unwrap();
        out.extend(col.as_primitive::<arrow::datatypes::Float64Type>().values().iter().copied());
    }
    out
}

/// A column of `batches` cast to i64 (timestamps become their raw ms).
pub fn i64_column(batches: &[arrow::record_batch::RecordBatch], name: &str) -> Vec<i64> {
    use arrow::array::AsArray;
    use arrow::datatypes::{DataType, TimeUnit};
    let mut out = Vec::new();
    for b in batches {
        let col = b.column_by_name(name).unwrap_or_else(|| panic!("no column `{name}`"));
        let col = match col.data_type() {
            DataType::Timestamp(..) => {
                arrow::compute::cast(&arrow::compute::cast(col, &DataType::Timestamp(TimeUnit::Millisecond, None)).unwrap(), &DataType::Int64)
                    .unwrap()
            }
            _ => arrow::compute::cast(col, &DataType::Int64).unwrap(),
        };
        out.extend(col.as_primitive::<arrow::datatypes::Int64Type>().values().iter().copied());
    }
    out
}

/// One hourly candle row for generated files: prices around `base`, valid OHLC.
pub struct Bar {
    pub t: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
}

pub const JAN1_2024: i64 = 1_704_067_200_000;
pub const HOUR: i64 = 3_600_000;

/// `n` valid hourly bars from `start` (ms).
pub fn bars(start: i64, n: usize) -> Vec<Bar> {
    (0..n)
        .map(|i| {
            let base = 100.0 + (i % 7) as f64;
            Bar { t: start + i as i64 * HOUR, open: base, high: base + 2.0, low: base - 1.5, close: base + 0.5, volume: 10.0 + i as f64 }
        })
        .collect()
}

/// CSV with a header; times as epoch ms.
pub fn csv_ms(bars: &[Bar]) -> String {
    let mut s = String::from("open_time,open,high,low,close,volume\n");
    for b in bars {
        s.push_str(&format!("{},{},{},{},{},{}\n", b.t, b.open, b.high, b.low, b.close, b.volume));
    }
    s
}

/// CSV with a pandas-style header; times as ISO 8601 text.
pub fn csv_iso(bars: &[Bar]) -> String {
    let mut s = String::from("timestamp,Open,High,Low,Close,Volume\n");
    for b in bars {
        let t = chrono::DateTime::from_timestamp_millis(b.t).unwrap().format("%Y-%m-%d %H:%M:%S+00:00");
        s.push_str(&format!("{t},{},{},{},{},{}\n", b.open, b.high, b.low, b.close, b.volume));
    }
    s
}

/// Binance bulk dump: 12 columns, no header, times in ms (`micros` = false) or µs.
pub fn binance_dump(bars: &[Bar], micros: bool) -> String {
    let unit = if micros { 1000 } else { 1 };
    let mut s = String::new();
    for (i, b) in bars.iter().enumerate() {
        let close_time = (b.t + HOUR) * unit - 1;
        s.push_str(&format!(
            "{},{:.8},{:.8},{:.8},{:.8},{:.8},{},{:.8},{},{:.8},{:.8},0\n",
            b.t * unit,
            b.open,
            b.high,
            b.low,
            b.close,
            b.volume,
            close_time,
            b.volume * b.close,
            100 + i,
            b.volume / 2.0,
            b.volume * b.close / 2.0
        ));
    }
    s
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Rows of a CSV result (header first), split on commas.
pub fn csv_rows(text: &str) -> Vec<Vec<String>> {
    text.lines().filter(|l| !l.is_empty()).map(|l| l.split(',').map(str::to_string).collect()).collect()
}
