//! Throughput of the futures kernel in bar-steps per second, on a deterministic synthetic
//! year of hourly candles with a dense (trend) and a sparse (mean-reversion) signal.
//!
//! `cargo bench --bench kernel`; criterion reports `elem/s` = bar-steps/s.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use qm::kernel::{backtest, backtest_metrics, CostModel, DailySampler, Risk};

const BARS: usize = 8_760;

struct Series {
    open: Vec<f64>,
    high: Vec<f64>,
    low: Vec<f64>,
    close: Vec<f64>,
}

/// splitmix64 in [0, 1).
fn uniform(state: &mut u64) -> f64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

/// A random walk with ~0.6% hourly moves and wicks, like a liquid crypto pair.
fn series(n: usize) -> Series {
    let mut st = 42u64;
    let mut s = Series { open: vec![], high: vec![], low: vec![], close: vec![] };
    let mut px = 3_000.0;
    for _ in 0..n {
        let open = px;
        let close = open * (1.0 + 0.012 * (uniform(&mut st) - 0.5));
        s.open.push(open);
        s.high.push(open.max(close) * (1.0 + 0.004 * uniform(&mut st)));
        s.low.push(open.min(close) * (1.0 - 0.004 * uniform(&mut st)));
        s.close.push(close);
        px = close;
    }
    s
}

/// Close above / below its 24-bar mean: always long or short, flips often.
fn trend_signal(close: &[f64]) -> Vec<i8> {
    let p = 24;
    (0..close.len())
        .map(|i| {
            if i < p {
                return 0;
            }
            let mean = close[i + 1 - p..=i].iter().sum::<f64>() / p as f64;
            if close[i] > mean {
                1
            } else if close[i] < mean {
                -1
            } else {
                0
            }
        })
        .collect()
}

/// Buy after a 3-bar drop of more than 1.5%, sell after such a rise; hold otherwise.
fn reversion_signal(close: &[f64]) -> Vec<i8> {
    (0..close.len())
        .map(|i| {
            if i < 3 {
                return 0;
            }
            let r = close[i] / close[i - 3] - 1.0;
            if r < -0.015 {
                1
            } else if r > 0.015 {
                -1
            } else {
                0
            }
        })
        .collect()
}

fn bench_kernel(c: &mut Criterion) {
    let s = series(BARS);
    let cost = CostModel::default();
    let signals = [("trend", trend_signal(&s.close)), ("reversion", reversion_signal(&s.close))];
    let risks = [
        ("sltp_lev10", Risk { stop_loss: 0.01, take_profit: 0.03, leverage: 10.0 }),
        ("plain_lev1", Risk { stop_loss: 0.0, take_profit: 0.0, leverage: 1.0 }),
    ];
    let mut g = c.benchmark_group("kernel");
    g.throughput(Throughput::Elements(BARS as u64));
    for (sname, sig) in &signals {
        for (rname, risk) in &risks {
            let id = BenchmarkId::new("backtest", format!("{sname}/{rname}"));
            g.bench_with_input(id, &(sig, risk), |b, (sig, risk)| {
                b.iter(|| {
                    let mut obs = DailySampler::new(BARS, 24);
                    let st = backtest(&s.open, &s.high, &s.low, &s.close, black_box(sig), &cost, risk, &mut obs);
                    black_box((st, obs))
                })
            });
        }
    }
    let (sname, sig) = &signals[0];
    let risk = risks[0].1;
    g.bench_function(BenchmarkId::new("backtest_metrics", format!("{sname}/sltp_lev10")), |b| {
        b.iter(|| black_box(backtest_metrics(&s.open, &s.high, &s.low, &s.close, black_box(sig), &cost, &risk, 24)))
    });
    g.finish();
}

criterion_group!(benches, bench_kernel);
criterion_main!(benches);
