//! Golden parity: every signal of the reference engine's golden sets, bar for bar, and the
//! generated `quantmuse` grid against the reference's `grid.json`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use qm::candles::Candles;
use qm::strategies::{parse_combo, quantmuse_grid, signals_into, IndicatorCache, ParamValue};
use serde_json::Value;

fn reference_dir() -> PathBuf {
    let dir = PathBuf::from(std::env::var("QM_REFERENCE_DIR").unwrap_or_else(|_| "/work/shared/reference".into()));
    assert!(dir.join("golden").is_dir(), "reference data not found at `{}` (set QM_REFERENCE_DIR)", dir.display());
    dir
}

fn read_batches(path: &Path) -> Vec<RecordBatch> {
    let file = File::open(path).unwrap_or_else(|e| panic!("open `{}`: {e}", path.display()));
    ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

fn column(batch: &RecordBatch, name: &str, ty: &DataType) -> ArrayRef {
    let col = batch.column_by_name(name).unwrap_or_else(|| panic!("column `{name}` missing"));
    cast(col, ty).unwrap()
}

fn read_candles(path: &Path) -> Candles {
    let mut c = Candles::default();
    for b in read_batches(path) {
        c.open_time.extend(column(&b, "open_time", &DataType::Int64).as_primitive::<Int64Type>().values());
        for (name, dst) in [("open", &mut c.open), ("high", &mut c.high), ("low", &mut c.low), ("close", &mut c.close), ("volume", &mut c.volume)] {
            dst.extend(column(&b, name, &DataType::Float64).as_primitive::<Float64Type>().values());
        }
    }
    c
}

struct GoldenRow {
    strategy: String,
    params: String,
    signal: Vec<i64>,
}

fn read_golden_signals(path: &Path) -> Vec<GoldenRow> {
    let list_i64 = DataType::List(Arc::new(Field::new("item", DataType::Int64, true)));
    let mut rows = Vec::new();
    for b in read_batches(path) {
        let strategy = column(&b, "strategy", &DataType::Utf8);
        let params = column(&b, "params", &DataType::Utf8);
        let signal = column(&b, "signal", &list_i64);
        let (strategy, params, signal) = (strategy.as_string::<i32>(), params.as_string::<i32>(), signal.as_list::<i32>());
        for r in 0..b.num_rows() {
            let values = signal.value(r);
            rows.push(GoldenRow {
                strategy: strategy.value(r).to_string(),
                params: params.value(r).to_string(),
                signal: values.as_primitive::<Int64Type>().values().to_vec(),
            });
        }
    }
    rows
}

fn golden_sets(reference: &Path) -> Vec<PathBuf> {
    let mut sets: Vec<PathBuf> = std::fs::read_dir(reference.join("golden"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("signals.parquet").is_file())
        .collect();
    sets.sort();
    assert!(!sets.is_empty(), "no golden sets under `{}`", reference.display());
    sets
}

fn input_candles(reference: &Path, set: &Path) -> Candles {
    let meta: Value = serde_json::from_str(&std::fs::read_to_string(set.join("meta.json")).unwrap()).unwrap();
    let input = meta["input"].as_str().expect("meta.json names its input");
    let candles = read_candles(&reference.join(input));
    assert_eq!(candles.len() as u64, meta["n_bars"].as_u64().unwrap(), "bars of `{input}`");
    candles
}

#[test]
fn golden_signals_match_on_every_bar() {
    let reference = reference_dir();
    let mut failures = Vec::new();
    let mut checked = 0;
    for set in golden_sets(&reference) {
        let name = set.file_name().unwrap().to_string_lossy().into_owned();
        let candles = input_candles(&reference, &set);
        let cache = IndicatorCache::new(&candles);
        let rows = read_golden_signals(&set.join("signals.parquet"));
        assert!(!rows.is_empty(), "`{name}` has no signal rows");
        let mut out = vec![0i8; candles.len()];
        for row in rows {
            let params: Value = serde_json::from_str(&row.params).unwrap();
            let combo = parse_combo(&row.strategy, &params).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(combo.canonical_params(), row.params, "{name}: canonical text of {}", row.strategy);
            assert_eq!(row.signal.len(), candles.len(), "{name}: golden signal length");
            signals_into(&combo, &cache, &mut out);
            checked += 1;
            let diffs: Vec<usize> = (0..out.len()).filter(|&i| out[i] as i64 != row.signal[i]).collect();
            if let Some(&first) = diffs.first() {
                failures.push(format!(
                    "{name}: {} {}: {} bars differ, first at bar {first} (expected {}, got {})",
                    row.strategy,
                    row.params,
                    diffs.len(),
                    row.signal[first],
                    out[first]
                ));
            }
        }
    }
    eprintln!("checked {checked} golden signal rows");
    assert!(checked > 0);
    assert!(failures.is_empty(), "{} of {checked} golden signal rows differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn generated_grid_equals_reference_grid() {
    let reference = reference_dir();
    let text = std::fs::read_to_string(reference.join("grid.json")).unwrap();
    let expected: Value = serde_json::from_str(&text).unwrap();
    let expected = expected.as_array().unwrap();
    let grid = quantmuse_grid();
    assert_eq!(grid.len(), expected.len());
    for (i, (combo, want)) in grid.iter().zip(expected).enumerate() {
        assert_eq!(combo.strategy.name, want["strategy"].as_str().unwrap(), "entry {i}");
        let want_params: Vec<(&str, ParamValue)> = want["params"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| {
                let v = match v.as_i64() {
                    Some(n) if v.is_i64() => ParamValue::Int(n),
                    _ => ParamValue::Float(v.as_f64().unwrap()),
                };
                (k.as_str(), v)
            })
            .collect();
        assert_eq!(combo.params, want_params, "entry {i}: {combo}");
    }
}

/// Full-grid signal generation on ETH 1h (run with `--ignored --nocapture`); a timing note,
/// not a timed assertion.
#[test]
#[ignore]
fn time_full_grid_signals_eth_1h() {
    use rayon::prelude::*;
    let reference = reference_dir();
    let candles = read_candles(&reference.join("candles/ETH_USDT-1h.parquet"));
    let grid = quantmuse_grid();
    let run = |cache: &IndicatorCache, combos: &[qm::strategies::Combo]| -> usize {
        combos
            .par_iter()
            .map_init(
                || vec![0i8; candles.len()],
                |out, combo| {
                    signals_into(combo, cache, out);
                    out.iter().filter(|&&s| s == 1).count()
                },
            )
            .sum()
    };
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let cache = IndicatorCache::new(&candles);
        let t = std::time::Instant::now();
        let buys = pool.install(|| run(&cache, &grid));
        let cold = t.elapsed().as_secs_f64();
        let t = std::time::Instant::now();
        pool.install(|| run(&cache, &grid));
        let warm = t.elapsed().as_secs_f64();
        eprintln!(
            "{threads} thread(s): {} combos x {} bars: {cold:.3} s with indicators, {warm:.3} s with a warm cache ({} series, {buys} buy bars)",
            grid.len(),
            candles.len(),
            cache.cached()
        );
    }
    // Per strategy, one thread, cold cache.
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let cache = IndicatorCache::new(&candles);
    for def in qm::strategies::STRATEGIES {
        let combos: Vec<_> = grid.iter().filter(|c| c.strategy.name == def.name).cloned().collect();
        let t = std::time::Instant::now();
        pool.install(|| run(&cache, &combos));
        eprintln!("  {:<17} {:>5} combos {:>7.1} ms", def.name, combos.len(), t.elapsed().as_secs_f64() * 1e3);
    }
}

/// Write the full grid's signals (grid order, one `i8` per bar) for the candles in
/// `QM_DUMP_CANDLES` to `QM_DUMP_OUT`, for cross-checking outside Rust.
#[test]
#[ignore]
fn dump_full_grid_signals() {
    let (Ok(input), Ok(output)) = (std::env::var("QM_DUMP_CANDLES"), std::env::var("QM_DUMP_OUT")) else {
        panic!("set QM_DUMP_CANDLES and QM_DUMP_OUT");
    };
    let candles = read_candles(Path::new(&input));
    let cache = IndicatorCache::new(&candles);
    let mut out = vec![0i8; candles.len()];
    let mut bytes = Vec::with_capacity(candles.len() * 17_273);
    for combo in quantmuse_grid() {
        signals_into(&combo, &cache, &mut out);
        bytes.extend(out.iter().map(|&s| s as u8));
    }
    std::fs::write(output, bytes).unwrap();
}
