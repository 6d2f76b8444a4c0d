//! Throughput of the futures kernel in bar-steps per second (one bar of one backtest,
//! flat bars included) on the reference's real candles, with the signals of a sample of
//! the `quantmuse` grid (every strategy family); plus walk-forward, the sweep's batch
//! evaluation and signal generation.
//!
//! `cargo bench --bench kernel`; criterion's `elem/s` is bar-steps/s (signal generation:
//! combination-bars/s). Candles come from `$QM_REFERENCE_DIR/candles` (default
//! `/work/shared/reference`).

use std::collections::HashSet;
use std::fs::File;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use arrow::array::{AsArray, RecordBatch};
use arrow::compute::{cast, concat_batches};
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use qm::candles::Candles;
use qm::kernel::{
    backtest_metrics, backtest_metrics_with, metrics_lanes, Blocks, CostModel, Interleaved, LaneScratch, Market as Prepared, MetricsScratch,
    Risk, Scratch, LANES,
};
use qm::sweep::order::similar_first;
use qm::strategies::{quantmuse_grid, signals_into, strategy_grid, Combo, IndicatorCache, STRATEGIES};
use qm::synth::{generate, SynthSpec};
use qm::timeframe::Timeframe;
use qm::sweep::evaluate::{evaluate, evaluate_lanes, LaneBuffers};
use qm::sweep::{walk_forward, wf_windows};

/// Combinations sampled per strategy family (first, spread, last).
const PER_FAMILY: usize = 4;

fn reference_dir() -> PathBuf {
    PathBuf::from(std::env::var("QM_REFERENCE_DIR").unwrap_or_else(|_| "/work/shared/reference".into()))
}

/// One candle file of the reference, read whole.
fn load(name: &str) -> Candles {
    let path = reference_dir().join("candles").join(name);
    let file = File::open(&path).unwrap_or_else(|e| panic!("open `{}`: {e} (set QM_REFERENCE_DIR)", path.display()));
    let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
    let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
    let b = concat_batches(&batches[0].schema(), &batches).unwrap();
    let f = |n: &str| cast(b.column_by_name(n).unwrap(), &DataType::Float64).unwrap().as_primitive::<Float64Type>().values().to_vec();
    let t = cast(b.column_by_name("open_time").unwrap(), &DataType::Int64).unwrap();
    Candles {
        open_time: t.as_primitive::<Int64Type>().values().to_vec(),
        open: f("open"),
        high: f("high"),
        low: f("low"),
        close: f("close"),
        volume: f("volume"),
    }
}

/// `PER_FAMILY` combinations of every strategy, spread over its grid.
fn sample_combos() -> Vec<Combo> {
    let mut out = Vec::new();
    for def in STRATEGIES.iter() {
        let grid = strategy_grid(def);
        let k = PER_FAMILY.min(grid.len());
        for j in 0..k {
            let at = if k == 1 { 0 } else { j * (grid.len() - 1) / (k - 1) };
            out.push(grid[at].clone());
        }
    }
    out
}

struct Market {
    label: &'static str,
    candles: Candles,
    bars_per_day: usize,
    signals: Vec<Vec<i8>>,
}

fn market(label: &'static str, file: &str, bars_per_day: usize, combos: &[Combo]) -> Market {
    let candles = load(file);
    let cache = IndicatorCache::new(&candles);
    let signals = combos
        .iter()
        .map(|c| {
            let mut s = vec![0i8; candles.len()];
            signals_into(c, &cache, &mut s);
            s
        })
        .collect();
    Market { label, candles, bars_per_day, signals }
}

/// The signals in lane groups, as the sweep interleaves them.
fn lane_groups(signals: &[Vec<i8>]) -> Vec<Interleaved> {
    signals
        .chunks(LANES)
        .map(|ch| {
            let refs: Vec<&[i8]> = ch.iter().map(|s| s.as_slice()).collect();
            let mut il = Interleaved::default();
            il.fill(&refs);
            il
        })
        .collect()
}

fn configs() -> [(&'static str, Risk); 4] {
    [
        ("lev1", Risk { stop_loss: 0.0, take_profit: 0.0, leverage: 1.0 }),
        ("lev10", Risk { stop_loss: 0.0, take_profit: 0.0, leverage: 10.0 }),
        ("lev1_sltp", Risk { stop_loss: 0.01, take_profit: 0.03, leverage: 1.0 }),
        ("lev10_sltp", Risk { stop_loss: 0.01, take_profit: 0.03, leverage: 10.0 }),
    ]
}

fn levels(leverage: f64) -> Vec<Risk> {
    [(0.005, 0.015), (0.01, 0.03), (0.02, 0.06)]
        .iter()
        .map(|&(stop_loss, take_profit)| Risk { stop_loss, take_profit, leverage })
        .collect()
}

fn short(g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    g.sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
}

fn bench_backtests(c: &mut Criterion) {
    let combos = sample_combos();
    let cost = CostModel::default();
    for m in [market("eth_1h", "ETH_USDT-1h.parquet", 24, &combos), market("btc_15m", "BTC_USDT-15m.parquet", 96, &combos)] {
        let (cd, n) = (&m.candles, m.candles.len());
        let mut g = c.benchmark_group(format!("backtest_metrics/{}", m.label));
        short(&mut g);
        g.throughput(Throughput::Elements((n * m.signals.len()) as u64));
        for (name, risk) in configs() {
            g.bench_function(BenchmarkId::new("alloc", name), |b| {
                b.iter(|| {
                    for s in &m.signals {
                        black_box(backtest_metrics(&cd.open, &cd.high, &cd.low, &cd.close, black_box(s), &cost, &risk, m.bars_per_day));
                    }
                })
            });
            let mut scratch = Scratch::default();
            g.bench_function(BenchmarkId::new("scratch", name), |b| {
                b.iter(|| {
                    for s in &m.signals {
                        black_box(backtest_metrics_with(
                            &mut scratch,
                            &cd.open,
                            &cd.high,
                            &cd.low,
                            &cd.close,
                            black_box(s),
                            &cost,
                            &risk,
                            m.bars_per_day,
                        ));
                    }
                })
            });
            // The lane kernel the sweep runs: the same signals, LANES at a time.
            let groups = lane_groups(&m.signals);
            let mut blocks = Blocks::default();
            let mk = Prepared::prepare(&cd.open, &cd.high, &cd.low, &cd.close, &mut blocks).unwrap();
            let mut lanes = LaneScratch::default();
            let mut out = Vec::new();
            g.bench_function(BenchmarkId::new("lanes", name), |b| {
                b.iter(|| {
                    for il in &groups {
                        metrics_lanes(&mk, 0..n, black_box(il), &cost, &risk, m.bars_per_day, &mut lanes, &mut out);
                        black_box(&out);
                    }
                })
            });
        }
        g.finish();

        // The sweep's unit of work: one signal, three SL/TP levels, full period and the
        // five walk-forward windows (in- and out-of-sample).
        let windows = wf_windows(n, 5, 0.70, 100);
        let wf_bars: usize = windows.iter().map(|w| w.test_end - w.train_start).sum();
        let mut g = c.benchmark_group(format!("evaluate/{}", m.label));
        short(&mut g);
        for lev in [1.0, 10.0] {
            let lv = levels(lev);
            g.throughput(Throughput::Elements(((n + wf_bars) * lv.len() * m.signals.len()) as u64));
            let mut blocks = Blocks::default();
            let mk = Prepared::prepare(&cd.open, &cd.high, &cd.low, &cd.close, &mut blocks).unwrap();
            let mut buf = MetricsScratch::default();
            g.bench_function(BenchmarkId::new("levels3_full_wf5", format!("lev{lev}")), |b| {
                b.iter(|| {
                    for s in &m.signals {
                        black_box(evaluate(&mk, black_box(s), &lv, &windows, &cost, m.bars_per_day, &mut buf).unwrap());
                    }
                })
            });
        }
        // The same on the lane kernel, as the sweep runs it.
        for lev in [1.0, 10.0] {
            let lv = levels(lev);
            g.throughput(Throughput::Elements(((n + wf_bars) * lv.len() * m.signals.len()) as u64));
            let mut blocks = Blocks::default();
            let mk = Prepared::prepare(&cd.open, &cd.high, &cd.low, &cd.close, &mut blocks).unwrap();
            let mut buf = LaneBuffers::default();
            g.bench_function(BenchmarkId::new("lanes_levels3_full_wf5", format!("lev{lev}")), |b| {
                b.iter(|| {
                    for ch in m.signals.chunks(LANES) {
                        let refs: Vec<&[i8]> = ch.iter().map(|s| s.as_slice()).collect();
                        black_box(evaluate_lanes(&mk, black_box(&refs), &lv, &windows, &cost, m.bars_per_day, &mut buf).unwrap());
                    }
                })
            });
        }
        // Walk-forward of one combination at one level through the per-call API.
        let risk = Risk { stop_loss: 0.01, take_profit: 0.03, leverage: 1.0 };
        g.throughput(Throughput::Elements((wf_bars * m.signals.len()) as u64));
        g.bench_function("walk_forward/lev1_sltp", |b| {
            b.iter(|| {
                for s in &m.signals {
                    black_box(walk_forward(&cd.open, &cd.high, &cd.low, &cd.close, black_box(s), &windows, &cost, &risk, m.bars_per_day));
                }
            })
        });
        g.finish();
    }
}

/// The lane kernel over the distinct signals of the whole `quantmuse` grid (similar signals
/// side by side within blocks, as the sweep fills lanes), full period only: the sweep's
/// kernel workload at each level (and one level at leverage 10). On 15,000 synthetic 1h
/// candles, and on the last 15,000 of the reference's real BTC 5m and 1m candles (calmer
/// bars: a stop is hit less often, a signal still changes as often).
fn bench_grid(c: &mut Criterion) {
    let synth = generate(&SynthSpec { symbol: "BTCUSDT".into(), tf: "1h".parse::<Timeframe>().unwrap(), bars: 15_000, seed: 11, start: None }).unwrap();
    grid_case(c, "synth_1h", &synth, 24, true);
    grid_case(c, "btc_5m", &last_bars(load("BTC_USDT-5m.parquet"), 15_000), 288, false);
    grid_case(c, "btc_1m", &last_bars(load("BTC_USDT-1m.parquet"), 15_000), 1440, false);
}

/// The last `n` candles.
fn last_bars(c: Candles, n: usize) -> Candles {
    let from = c.len().saturating_sub(n);
    Candles {
        open_time: c.open_time[from..].to_vec(),
        open: c.open[from..].to_vec(),
        high: c.high[from..].to_vec(),
        low: c.low[from..].to_vec(),
        close: c.close[from..].to_vec(),
        volume: c.volume[from..].to_vec(),
    }
}

/// [`bench_grid`] on `candles`; `plain` adds one level with the lanes in plain grid order,
/// which shows what filling registers with similar signals gains.
fn grid_case(c: &mut Criterion, label: &str, candles: &Candles, bars_per_day: usize, plain: bool) {
    let n = candles.len();
    let cache = IndicatorCache::new(candles);
    let mut seen = HashSet::new();
    let mut signals: Vec<Vec<i8>> = Vec::new();
    for combo in quantmuse_grid() {
        let mut s = vec![0i8; n];
        signals_into(&combo, &cache, &mut s);
        if seen.insert(s.clone()) {
            signals.push(s);
        }
    }
    drop(seen);
    let plain_groups = if plain { lane_groups(&signals) } else { Vec::new() };
    let signals: Vec<Vec<i8>> = similar_first(&signals).into_iter().map(|j| std::mem::take(&mut signals[j])).collect();
    let groups = lane_groups(&signals);
    let mut blocks = Blocks::default();
    let mk = Prepared::prepare(&candles.open, &candles.high, &candles.low, &candles.close, &mut blocks).unwrap();
    let cost = CostModel::default();
    let mut g = c.benchmark_group(format!("grid/{label} ({} distinct signals)", signals.len()));
    g.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements((n * signals.len()) as u64));
    let mut lanes = LaneScratch::default();
    let mut out = Vec::new();
    let mut run = |g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>, id: BenchmarkId, groups: &[Interleaved], risk: Risk| {
        g.bench_function(id, |b| {
            b.iter(|| {
                for il in groups {
                    metrics_lanes(&mk, 0..n, black_box(il), &cost, &risk, bars_per_day, &mut lanes, &mut out);
                    black_box(&out);
                }
            })
        });
    };
    for (sl, tp, lev) in [(0.0, 0.0, 1.0), (0.005, 0.015, 1.0), (0.01, 0.03, 1.0), (0.02, 0.06, 1.0), (0.01, 0.03, 10.0)] {
        let risk = Risk { stop_loss: sl, take_profit: tp, leverage: lev };
        run(&mut g, BenchmarkId::new("lanes", format!("sl{sl}_tp{tp}_lev{lev}")), &groups, risk);
    }
    if plain {
        let risk = Risk { stop_loss: 0.005, take_profit: 0.015, leverage: 1.0 };
        run(&mut g, BenchmarkId::new("lanes_grid_order", "sl0.005_tp0.015_lev1"), &plain_groups, risk);
    }
    g.finish();
}

fn bench_signals(c: &mut Criterion) {
    let candles = load("ETH_USDT-1h.parquet");
    let n = candles.len();
    let mut g = c.benchmark_group("signals/eth_1h");
    short(&mut g);
    for name in ["EMA Crossover", "Bollinger Bands", "RSI+EMA", "KST", "MACD", "TRIX"] {
        let Some(def) = STRATEGIES.iter().find(|d| d.name == name) else { continue };
        let grid = strategy_grid(def);
        g.throughput(Throughput::Elements((grid.len() * n) as u64));
        let mut out = vec![0i8; n];
        g.bench_function(BenchmarkId::new("full_grid", format!("{name} ({} combos)", grid.len())), |b| {
            b.iter(|| {
                // A fresh cache: the indicators are part of the cost.
                let cache = IndicatorCache::new(&candles);
                for combo in &grid {
                    signals_into(combo, &cache, &mut out);
                    black_box(&out);
                }
            })
        });
    }
    g.finish();
    // Keep the full grid's size visible in the report.
    let total = quantmuse_grid().len();
    assert_eq!(total, 17_273);
}

criterion_group!(benches, bench_backtests, bench_grid, bench_signals);
criterion_main!(benches);
