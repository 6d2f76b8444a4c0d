//! End-to-end tests of qm's SQL functions through `qm sql`: the listing, `qm_signal` against
//! the reference engine's signals and `qm_backtest` against its backtests, on real candles.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray};
use arrow::datatypes::{Int64Type, Int8Type};
use common::*;

/// A lake with one reference candle file imported and a golden table copied in as a plain table.
fn lake_with(candles: &str, symbol: &str, golden: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let lake = d.path().join("lake");
    qm(&lake, &["import", "--symbol", symbol, "--interval", "1h", s(&reference_candles(candles))]).success();
    for (table, file) in golden {
        let src = reference_dir().join("golden").join(file);
        assert!(src.is_file(), "missing golden file `{}`", src.display());
        std::fs::create_dir_all(lake.join(table)).unwrap();
        std::fs::copy(&src, lake.join(table).join("data.parquet")).unwrap();
    }
    (d, lake)
}

fn query_parquet(lake: &Path, dir: &Path, sql: &str) -> Vec<arrow::record_batch::RecordBatch> {
    let out = dir.join("out.parquet");
    qm(lake, &["sql", sql, "--format", "parquet", "--output", s(&out)]).success();
    read_parquet(&out)
}

fn strings(batches: &[arrow::record_batch::RecordBatch], name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for b in batches {
        let col = arrow::compute::cast(b.column_by_name(name).unwrap(), &arrow::datatypes::DataType::Utf8).unwrap();
        out.extend(col.as_string::<i32>().iter().map(|v| v.unwrap().to_string()));
    }
    out
}

#[test]
fn functions_are_listed_and_documented() {
    let d = tempfile::tempdir().unwrap();
    let out = qm(d.path(), &["sql", "--functions", "--format", "json"]).success().stdout_text();
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["qm_signal", "sma", "ema", "rsi", "atr", "bb_upper", "bb_middle", "bb_lower", "qm_backtest"]);
    let docs = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/sql-functions.md")).unwrap();
    for r in &rows {
        for key in ["kind", "arguments", "returns", "description", "example"] {
            assert!(!r[key].as_str().unwrap().is_empty(), "{r}");
        }
        let name = r["name"].as_str().unwrap();
        assert!(docs.contains(&format!("`{name}")), "docs/sql-functions.md does not document `{name}`");
    }
    // Every listed example runs on a lake with candles.
    let lake = d.path().join("lake");
    qm(&lake, &["data", "synth", "--symbols", "BTCUSDT", "--interval", "1h", "--bars", "300"]).success();
    for r in &rows {
        let example = r["example"].as_str().unwrap();
        let sql = if r["name"] == "qm_backtest" {
            let signals = "CREATE VIEW signals AS SELECT *, qm_signal('Momentum', '{\"lookback\": 10}', open, high, low, close, volume) \
                           OVER (PARTITION BY symbol, timeframe ORDER BY open_time) AS signal FROM ohlcv";
            format!("{signals}; {example}")
        } else {
            example.to_string()
        };
        qm(&lake, &["sql", &sql, "--format", "json"]).success();
    }
    let table = qm(d.path(), &["sql", "--functions"]).success().stdout_text();
    assert!(table.contains("qm_backtest"), "{table}");
}

#[test]
fn qm_signal_matches_the_reference_signals() {
    for (candles, symbol, set) in [
        ("SYNTH-EDGE_USDT-1h.parquet", "EDGEUSDT", "synth_edge_1h"),
        ("ETH_USDT-1h.parquet", "ETHUSDT", "eth_1h"),
    ] {
        let file = format!("{set}/signals.parquet");
        let (d, lake) = lake_with(candles, symbol, &[("golden_signals", &file)]);
        let golden = read_parquet(&lake.join("golden_signals/data.parquet"));
        let mut want: HashMap<(String, String), Vec<i64>> = HashMap::new();
        let (gs, gp) = (strings(&golden, "strategy"), strings(&golden, "params"));
        let mut k = 0;
        for b in &golden {
            let lists = b.column_by_name("signal").unwrap().as_list::<i32>();
            for i in 0..lists.len() {
                let v = lists.value(i);
                want.insert((gs[k].clone(), gp[k].clone()), v.as_primitive::<Int64Type>().values().to_vec());
                k += 1;
            }
        }
        let sql = format!(
            "SELECT g.strategy, g.params, \
             qm_signal(g.strategy, g.params, o.open, o.high, o.low, o.close, o.volume) \
               OVER (PARTITION BY g.strategy, g.params ORDER BY o.open_time) AS signal \
             FROM ohlcv o CROSS JOIN (SELECT DISTINCT strategy, params FROM golden_signals) g \
             WHERE o.symbol = '{symbol}' AND o.timeframe = '1h' \
             ORDER BY g.strategy, g.params, o.open_time"
        );
        let got = query_parquet(&lake, d.path(), &sql);
        let (st, pa) = (strings(&got, "strategy"), strings(&got, "params"));
        let sig: Vec<i64> = got.iter().flat_map(|b| b.column_by_name("signal").unwrap().as_primitive::<Int8Type>().values().iter().map(|&x| x as i64).collect::<Vec<_>>()).collect();
        let mut by_combo: HashMap<(String, String), Vec<i64>> = HashMap::new();
        for i in 0..sig.len() {
            by_combo.entry((st[i].clone(), pa[i].clone())).or_default().push(sig[i]);
        }
        assert_eq!(by_combo.len(), want.len(), "{set}");
        let strategies: std::collections::HashSet<&str> = want.keys().map(|(s, _)| s.as_str()).collect();
        assert_eq!(strategies.len(), 29, "{set}");
        for (key, w) in &want {
            let g = by_combo.get(key).unwrap_or_else(|| panic!("{set}: no signals for {key:?}"));
            if g != w {
                let at = g.iter().zip(w).position(|(a, b)| a != b);
                panic!("{set} {key:?}: signals differ (lengths {} / {}), first at bar {at:?}", g.len(), w.len());
            }
        }
    }
}

#[test]
fn qm_backtest_matches_the_reference_backtests() {
    let (d, lake) = lake_with(
        "SYNTH-STRESS_USDT-1h.parquet",
        "STRESSUSDT",
        &[("golden_bt", "synth_stress_1h/backtests.parquet")],
    );
    let sql = "WITH combos AS (SELECT DISTINCT strategy, params FROM golden_bt), \
        s AS (SELECT c.strategy, c.params, o.open_time, o.open, o.high, o.low, o.close, \
              qm_signal(c.strategy, c.params, o.open, o.high, o.low, o.close, o.volume) \
                OVER (PARTITION BY c.strategy, c.params ORDER BY o.open_time) AS signal \
              FROM ohlcv o CROSS JOIN combos c WHERE o.symbol = 'STRESSUSDT' AND o.timeframe = '1h'), \
        r AS (SELECT l.strategy, l.params, l.stop_loss, l.take_profit, l.leverage, \
              qm_backtest(s.open, s.high, s.low, s.close, s.signal, l.stop_loss, l.take_profit, l.leverage \
                          ORDER BY s.open_time) AS m \
              FROM s JOIN golden_bt l ON s.strategy = l.strategy AND s.params = l.params \
              GROUP BY l.strategy, l.params, l.stop_loss, l.take_profit, l.leverage) \
        SELECT r.strategy, r.params, r.stop_loss, r.take_profit, r.leverage, \
               m['final_equity'] AS final_equity, m['max_drawdown'] AS max_dd, m['trades'] AS trades, \
               m['gross_profit'] AS gross_profit, m['gross_loss'] AS gross_loss, m['liquidations'] AS liquidations, \
               m['sharpe'] AS sharpe, m['sortino'] AS sortino, m['win_rate'] AS win_rate, \
               m['profit_factor'] AS profit_factor, m['total_return'] AS total_return, \
               g.k_final_equity, g.k_max_dd, g.k_trades, g.k_wins, g.k_gross_profit, g.k_gross_loss, g.k_liquidations, \
               g.m_sharpe, g.m_sortino, g.m_win_rate, g.m_profit_factor, g.m_total_return \
        FROM r JOIN golden_bt g ON r.strategy = g.strategy AND r.params = g.params AND r.stop_loss = g.stop_loss \
             AND r.take_profit = g.take_profit AND r.leverage = g.leverage";
    let got = query_parquet(&lake, d.path(), sql);
    let n: usize = got.iter().map(|b| b.num_rows()).sum();
    // 290 combinations x 4 SL/TP levels x leverage 1 and 10.
    assert_eq!(n, 2320);
    let f = |name: &str| f64_column(&got, name);
    let i = |name: &str| i64_column(&got, name);
    let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<_>>();
    assert_eq!(bits(f("final_equity")), bits(f("k_final_equity")));
    assert_eq!(bits(f("max_dd")), bits(f("k_max_dd")));
    assert_eq!(bits(f("gross_profit")), bits(f("k_gross_profit")));
    assert_eq!(bits(f("gross_loss")), bits(f("k_gross_loss")));
    assert_eq!(i("trades"), i("k_trades"));
    assert_eq!(i("liquidations"), i("k_liquidations"));
    assert!(i("liquidations").iter().any(|&l| l > 0), "no liquidation covered");
    let round = |v: Vec<f64>, d: i32| v.into_iter().map(|x| qm::kernel::py_round(x, d)).collect::<Vec<_>>();
    assert_eq!(round(f("sharpe"), 4), f("m_sharpe"));
    assert_eq!(round(f("sortino"), 4), f("m_sortino"));
    assert_eq!(round(f("win_rate"), 4), f("m_win_rate"));
    assert_eq!(round(f("profit_factor"), 4), f("m_profit_factor"));
    assert_eq!(round(f("total_return"), 6), f("m_total_return"));
}

#[test]
fn qm_backtest_bars_per_day_from_spacing_or_argument() {
    let d = tempfile::tempdir().unwrap();
    let lake = d.path().join("lake");
    qm(&lake, &["import", "--symbol", "ETHUSDT", "--interval", "1h", s(&reference_candles("ETH_USDT-1h.parquet"))]).success();
    qm(&lake, &["import", "--symbol", "ETHUSDT", "--interval", "4h", s(&reference_candles("ETH_USDT-4h.parquet"))]).success();
    let sql = "WITH s AS (SELECT timeframe, open_time, open, high, low, close, \
               qm_signal('RSI+EMA', '{\"rsi_period\": 14, \"ema_period\": 50, \"oversold\": 30, \"overbought\": 70}', \
                 open, high, low, close, volume) OVER (PARTITION BY symbol, timeframe ORDER BY open_time) AS signal FROM ohlcv) \
               SELECT timeframe, \
                 qm_backtest(open, high, low, close, signal, 0.01, 0.03, 1 ORDER BY open_time)['sharpe'] AS inferred, \
                 qm_backtest(open, high, low, close, signal, 0.01, 0.03, 1, timeframe ORDER BY open_time)['sharpe'] AS named, \
                 qm_backtest(open, high, low, close, signal, 0.01, 0.03, 1, '1d' ORDER BY open_time)['sharpe'] AS daily \
               FROM s GROUP BY timeframe ORDER BY timeframe";
    let got = query_parquet(&lake, d.path(), sql);
    let (inferred, named, daily) = (f64_column(&got, "inferred"), f64_column(&got, "named"), f64_column(&got, "daily"));
    assert_eq!(inferred, named);
    // One point per bar instead of per day changes the Sharpe.
    assert!(inferred.iter().zip(&daily).all(|(a, b)| a != b), "{inferred:?} {daily:?}");
    assert_eq!(strings(&got, "timeframe"), ["1h", "4h"]);
}
