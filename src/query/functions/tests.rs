//! The functions through DataFusion SQL over an in-memory candle table: same numbers as the
//! library they wrap, whatever the row order or batching.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array, RecordBatch, StringArray, TimestampMillisecondArray};
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Int8Type, Schema, TimeUnit};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;

use crate::candles::Candles;
use crate::kernel::{backtest_metrics, CostModel, Risk};
use crate::strategies::{parse_combo, signals, IndicatorCache};

const HOUR: i64 = 3_600_000;

/// A deterministic zig-zag series with drift, `n` hourly bars.
fn series(n: usize, seed: f64) -> Candles {
    let close: Vec<f64> = (0..n).map(|i| 100.0 + seed + ((i * 7) % 13) as f64 * 0.75 - ((i * 3) % 5) as f64 + i as f64 * 0.05).collect();
    Candles {
        open_time: (0..n as i64).map(|i| i * HOUR).collect(),
        open: close.iter().map(|c| c - 0.25).collect(),
        high: close.iter().map(|c| c + 1.5).collect(),
        low: close.iter().map(|c| c - 1.25).collect(),
        volume: (0..n).map(|i| 10.0 + (i % 4) as f64).collect(),
        close,
    }
}

/// Two symbols in several batches, rows shuffled within each batch.
fn context(a: &Candles, b: &Candles) -> SessionContext {
    let schema = Arc::new(Schema::new(vec![
        Field::new("symbol", DataType::Utf8, false),
        Field::new("timeframe", DataType::Utf8, false),
        Field::new("open_time", DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())), false),
        Field::new("open", DataType::Float64, false),
        Field::new("high", DataType::Float64, false),
        Field::new("low", DataType::Float64, false),
        Field::new("close", DataType::Float64, false),
        Field::new("volume", DataType::Float64, false),
    ]));
    let mut batches = Vec::new();
    for (symbol, c) in [("AAA", a), ("BBB", b)] {
        let mut idx: Vec<usize> = (0..c.len()).collect();
        idx.reverse();
        for chunk in idx.chunks(37) {
            let f = |v: &[f64]| Arc::new(Float64Array::from(chunk.iter().map(|&i| v[i]).collect::<Vec<_>>())) as ArrayRef;
            let times = TimestampMillisecondArray::from(chunk.iter().map(|&i| c.open_time[i]).collect::<Vec<_>>());
            let cols: Vec<ArrayRef> = vec![
                Arc::new(StringArray::from(vec![symbol; chunk.len()])),
                Arc::new(StringArray::from(vec!["1h"; chunk.len()])),
                Arc::new(times.with_timezone("UTC")),
                f(&c.open),
                f(&c.high),
                f(&c.low),
                f(&c.close),
                f(&c.volume),
            ];
            batches.push(RecordBatch::try_new(schema.clone(), cols).unwrap());
        }
    }
    let ctx = SessionContext::new();
    super::register(&ctx);
    // Two partitions so that aggregates merge partial states.
    let half = batches.len() / 2;
    let parts = vec![batches[..half].to_vec(), batches[half..].to_vec()];
    ctx.register_table("ohlcv", Arc::new(MemTable::try_new(schema, parts).unwrap())).unwrap();
    ctx
}

async fn collect(ctx: &SessionContext, sql: &str) -> Vec<RecordBatch> {
    ctx.sql(sql).await.unwrap().collect().await.unwrap()
}

async fn error(ctx: &SessionContext, sql: &str) -> String {
    let r = async { ctx.sql(sql).await?.collect().await }.await;
    r.expect_err(sql).strip_backtrace()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn qm_signal_matches_the_strategy() {
    let (a, b) = (series(300, 0.0), series(250, 40.0));
    let ctx = context(&a, &b);
    for (strategy, params) in [
        ("Momentum", r#"{"lookback": 10}"#),
        ("Bollinger Bands", r#"{"period": 20, "num_std": 1.5}"#),
        ("Supertrend", r#"{"atr_period": 10, "multiplier": 2.0}"#),
    ] {
        let sql = format!(
            "SELECT symbol, qm_signal('{strategy}', '{params}', open, high, low, close, volume) \
             OVER (PARTITION BY symbol, timeframe ORDER BY open_time) AS s FROM ohlcv ORDER BY symbol, open_time"
        );
        let got: Vec<i8> = rt()
            .block_on(collect(&ctx, &sql))
            .iter()
            .flat_map(|b| b.column(1).as_primitive::<Int8Type>().values().to_vec())
            .collect();
        let combo = parse_combo(strategy, &serde_json::from_str(params).unwrap()).unwrap();
        let mut want = signals(&combo, &IndicatorCache::new(&a));
        want.extend(signals(&combo, &IndicatorCache::new(&b)));
        assert_eq!(got, want, "{strategy}");
        assert!(want.iter().any(|&s| s != 0), "{strategy} never signals");
    }
}

#[test]
fn qm_signal_reports_bad_arguments() {
    let (a, b) = (series(30, 0.0), series(30, 1.0));
    let ctx = context(&a, &b);
    let over = "OVER (PARTITION BY symbol ORDER BY open_time)";
    let rt = rt();
    let err = rt.block_on(error(&ctx, &format!("SELECT qm_signal('Nope', '{{}}', open, high, low, close, volume) {over} FROM ohlcv")));
    assert!(err.contains("unknown strategy `Nope`"), "{err}");
    let err = rt.block_on(error(&ctx, &format!("SELECT qm_signal('Momentum', '{{\"lookback\": 0}}', open, high, low, close, volume) {over} FROM ohlcv")));
    assert!(err.contains("`lookback`") && err.contains("`0`"), "{err}");
    let err = rt.block_on(error(&ctx, &format!("SELECT qm_signal('Momentum', 'nope', open, high, low, close, volume) {over} FROM ohlcv")));
    assert!(err.contains("not JSON: `nope`"), "{err}");
    let err = rt.block_on(error(&ctx, &format!("SELECT qm_signal(symbol, '{{}}', open, high, low, close, volume) OVER (ORDER BY open_time) FROM ohlcv")));
    assert!(err.contains("same in every row") && err.contains("`strategy`"), "{err}");
    let err = rt.block_on(error(&ctx, &format!("SELECT qm_signal('Momentum', '{{}}', open, high, low, close) {over} FROM ohlcv")));
    assert!(err.contains("`qm_signal` takes 7 arguments, got 6"), "{err}");
}

#[test]
fn indicators_match_the_library() {
    let (a, b) = (series(120, 0.0), series(90, 5.0));
    let ctx = context(&a, &b);
    let sql = "SELECT symbol, sma(close, 5) OVER w, ema(close, 5) OVER w, rsi(close, 6) OVER w, \
               atr(high, low, close, 7) OVER w, bb_upper(close, 8, 2) OVER w, bb_middle(close, 8, 2) OVER w, \
               bb_lower(close, 8, 2.5) OVER w \
               FROM ohlcv WINDOW w AS (PARTITION BY symbol, timeframe ORDER BY open_time) ORDER BY symbol, open_time";
    let batches = rt().block_on(collect(&ctx, sql));
    let column = |k: usize| -> Vec<Option<f64>> {
        batches.iter().flat_map(|b| b.column(k).as_primitive::<Float64Type>().iter().collect::<Vec<_>>()).collect()
    };
    let lib = |f: &dyn Fn(&Candles) -> Vec<f64>| -> Vec<Option<f64>> {
        f(&a).into_iter().chain(f(&b)).map(|v| (!v.is_nan()).then_some(v)).collect()
    };
    use super::Indicator as I;
    assert_eq!(column(1), lib(&|c| I::Sma.compute(&[&c.close], 5, 0.0)));
    assert_eq!(column(2), lib(&|c| crate::indicators::ewm(&c.close, 5)));
    assert_eq!(column(3), lib(&|c| crate::indicators::rsi_a(&c.close, 6)));
    assert_eq!(column(4), lib(&|c| I::Atr.compute(&[&c.high, &c.low, &c.close], 7, 0.0)));
    assert_eq!(column(5), lib(&|c| I::BbUpper.compute(&[&c.close], 8, 2.0)));
    assert_eq!(column(6), lib(&|c| crate::indicators::roll_mean(&c.close, 8)));
    assert_eq!(column(7), lib(&|c| I::BbLower.compute(&[&c.close], 8, 2.5)));
    // Warm-up is NULL: the first 4 rows of each symbol for sma(close, 5).
    assert_eq!(column(1).iter().filter(|v| v.is_none()).count(), 8);
}

#[test]
fn indicator_windows_are_checked() {
    let (a, b) = (series(10, 0.0), series(10, 1.0));
    let ctx = context(&a, &b);
    let rt = rt();
    let err = rt.block_on(error(&ctx, "SELECT sma(close, 0) OVER (PARTITION BY symbol ORDER BY open_time) FROM ohlcv"));
    assert!(err.contains("argument `n` of `sma` is `0`"), "{err}");
    let err = rt.block_on(error(&ctx, "SELECT sma(close, 2.5) OVER (PARTITION BY symbol ORDER BY open_time) FROM ohlcv"));
    assert!(err.contains("`n` of `sma` must be an integer"), "{err}");
    let err = rt.block_on(error(&ctx, "SELECT sma(symbol, 2) OVER (PARTITION BY symbol ORDER BY open_time) FROM ohlcv"));
    assert!(err.contains("`x` of `sma` must be a number"), "{err}");
}

#[test]
fn qm_backtest_matches_the_kernel() {
    let (a, b) = (series(400, 0.0), series(300, 30.0));
    let ctx = context(&a, &b);
    let sql = "WITH s AS (SELECT symbol, timeframe, open_time, open, high, low, close, \
               qm_signal('EMA Crossover', '{\"fast_period\": 5, \"slow_period\": 20}', open, high, low, close, volume) \
               OVER (PARTITION BY symbol, timeframe ORDER BY open_time) AS signal FROM ohlcv) \
               SELECT symbol, qm_backtest(open, high, low, close, signal, 0.01, 0.03, 2 ORDER BY open_time) AS m, \
               qm_backtest(open, high, low, close, signal, 0.01, 0.03, 2, '1d' ORDER BY open_time) AS daily \
               FROM s GROUP BY symbol ORDER BY symbol";
    let batches = rt().block_on(collect(&ctx, sql));
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 2);
    let combo = parse_combo("EMA Crossover", &serde_json::json!({"fast_period": 5, "slow_period": 20})).unwrap();
    let risk = Risk::new(0.01, 0.03, 2.0).unwrap();
    let mut row = 0;
    for batch in &batches {
        for r in 0..batch.num_rows() {
            let c = if row == 0 { &a } else { &b };
            row += 1;
            let sig = signals(&combo, &IndicatorCache::new(c));
            for (col, bpd) in [(1, 24), (2, 1)] {
                let want = backtest_metrics(&c.open, &c.high, &c.low, &c.close, &sig, &CostModel::default(), &risk, bpd);
                let m = batch.column(col).as_struct();
                let f = |name: &str| m.column_by_name(name).unwrap().as_primitive::<Float64Type>().value(r);
                let i = |name: &str| m.column_by_name(name).unwrap().as_primitive::<Int64Type>().value(r);
                assert_eq!(f("final_equity").to_bits(), want.final_equity.to_bits());
                assert_eq!(f("sharpe").to_bits(), want.sharpe.to_bits(), "bpd {bpd}");
                assert_eq!(f("sortino").to_bits(), want.sortino.to_bits());
                assert_eq!(f("max_drawdown"), want.max_drawdown);
                assert_eq!(f("total_return"), want.total_return);
                assert_eq!(f("profit_factor"), want.profit_factor);
                assert_eq!(i("trades"), want.trades as i64);
                assert!(want.trades > 3, "{}", want.trades);
            }
        }
    }
}

#[test]
fn qm_backtest_needs_order_and_valid_risk() {
    let (a, b) = (series(30, 0.0), series(30, 1.0));
    let ctx = context(&a, &b);
    let rt = rt();
    let err = rt.block_on(error(&ctx, "SELECT qm_backtest(open, high, low, close, 0, 0, 0, 1) FROM ohlcv GROUP BY symbol"));
    assert!(err.contains("ORDER BY open_time"), "{err}");
    let err = rt.block_on(error(&ctx, "SELECT qm_backtest(open, high, low, close, 0, 1.5, 0, 1 ORDER BY open_time) FROM ohlcv GROUP BY symbol"));
    assert!(err.contains("`stop_loss` is `1.5`"), "{err}");
    let err = rt.block_on(error(&ctx, "SELECT qm_backtest(open, high, low, close, 0, 0, 0, 1, '7h' ORDER BY open_time) FROM ohlcv GROUP BY symbol"));
    assert!(err.contains("`7h`"), "{err}");
    let err = rt.block_on(error(&ctx, "SELECT qm_backtest(open, high, low, close, 0, 0, 0, 1 ORDER BY symbol) FROM ohlcv GROUP BY symbol"));
    assert!(err.contains("9th argument"), "{err}");
    let ok = rt.block_on(collect(&ctx, "SELECT qm_backtest(open, high, low, close, 0, 0, 0, 1 ORDER BY open_time)['trades'] AS t FROM ohlcv WHERE symbol = 'AAA'"));
    assert_eq!(ok[0].column(0).as_primitive::<Int64Type>().value(0), 0);
    let none = rt.block_on(collect(&ctx, "SELECT qm_backtest(open, high, low, close, 0, 0, 0, 1 ORDER BY open_time) AS m FROM ohlcv WHERE symbol = 'ZZZ'"));
    assert!(none[0].column(0).is_null(0));
}
