//! `qm sweep` and `qm pipeline run` end to end: the real binary on a temporary lake, its
//! result tables compared with the reference engine's golden `mega` and `wf` tables.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Float64Type, Int64Type};
use common::{qm, qm_cmd, read_parquet, reference_dir, s};
use qm::kernel::py_round;

fn strings(b: &[RecordBatch], name: &str) -> Vec<String> {
    b.iter()
        .flat_map(|b| {
            let c = arrow::compute::cast(b.column_by_name(name).unwrap(), &arrow::datatypes::DataType::Utf8).unwrap();
            c.as_string::<i32>().iter().map(|v| v.unwrap().to_string()).collect::<Vec<_>>()
        })
        .collect()
}

fn f64s(b: &[RecordBatch], name: &str) -> Vec<f64> {
    common::f64_column(b, name)
}

fn f64_lists(b: &[RecordBatch], name: &str) -> Vec<Vec<f64>> {
    b.iter()
        .flat_map(|b| {
            let l = b.column_by_name(name).unwrap().as_list::<i32>().clone();
            (0..l.len()).map(move |i| l.value(i).as_primitive::<Float64Type>().values().to_vec()).collect::<Vec<_>>()
        })
        .collect()
}

fn lake_file(lake: &Path, table: &str, symbol: &str, tf: &str, run: &str) -> PathBuf {
    lake.join(table).join(format!("symbol={symbol}")).join(format!("timeframe={tf}")).join(format!("run={run}")).join("part-0.parquet")
}

/// Rows keyed by (strategy, params, sl, tp).
fn keyed(b: &[RecordBatch]) -> HashMap<(String, String, u64, u64), usize> {
    let (st, p, sl, tp) = (strings(b, "strategy"), strings(b, "params"), f64s(b, "stop_loss"), f64s(b, "take_profit"));
    (0..st.len()).map(|i| ((st[i].clone(), p[i].clone(), sl[i].to_bits(), tp[i].to_bits()), i)).collect()
}

const MEGA_DIGITS: [(&str, i32); 9] = [
    ("total_return", 6),
    ("max_drawdown", 6),
    ("sharpe", 4),
    ("sortino", 4),
    ("win_rate", 4),
    ("profit_factor", 4),
    ("final_equity", 2),
    ("gross_profit", 2),
    ("gross_loss", 2),
];

const WF_COLUMNS: [&str; 11] = [
    "is_sharpe_mean", "oos_sharpe_mean", "oos_sharpe_std", "oos_sharpe_min", "oos_return_mean", "oos_max_dd_mean",
    "oos_trades_mean", "oos_win_rate_mean", "oos_profit_factor_mean", "consistency", "sharpe_decay",
];

fn compare_mega(ours: &[RecordBatch], golden: &[RecordBatch]) {
    let (ko, kg) = (keyed(ours), keyed(golden));
    assert_eq!(ko.len(), kg.len(), "mega row count");
    let mut bad = Vec::new();
    for (name, digits) in MEGA_DIGITS {
        let (o, g) = (f64s(ours, name), f64s(golden, name));
        for (k, &rg) in &kg {
            let Some(&ro) = ko.get(k) else { panic!("golden mega row {k:?} missing") };
            // The reference rounds with Python's `round`; we keep full precision.
            if py_round(o[ro], digits) != g[rg] {
                bad.push(format!("{k:?} {name}: {} vs {}", o[ro], g[rg]));
            }
        }
    }
    for name in ["trades", "liquidations"] {
        let (o, g) = (common::i64_column(ours, name), common::i64_column(golden, name));
        for (k, &rg) in &kg {
            if o[ko[k]] != g[rg] {
                bad.push(format!("{k:?} {name}: {} vs {}", o[ko[k]], g[rg]));
            }
        }
    }
    assert!(bad.is_empty(), "{} mega mismatches, first: {:?}", bad.len(), &bad[..bad.len().min(5)]);
}

fn compare_wf(ours: &[RecordBatch], golden: &[RecordBatch]) {
    let (ko, kg) = (keyed(ours), keyed(golden));
    assert_eq!(ko.len(), kg.len(), "wf row count");
    let mut bad = Vec::new();
    for name in WF_COLUMNS {
        let (o, g) = (f64s(ours, name), f64s(golden, name));
        for (k, &rg) in &kg {
            let Some(&ro) = ko.get(k) else { panic!("golden wf row {k:?} missing") };
            if o[ro].to_bits() != g[rg].to_bits() {
                bad.push(format!("{k:?} {name}: {} vs {}", o[ro], g[rg]));
            }
        }
    }
    let (o, g) = (f64_lists(ours, "oos_window_sharpe"), f64_lists(golden, "oos_window_sharpe"));
    for (k, &rg) in &kg {
        if o[ko[k]] != g[rg] {
            bad.push(format!("{k:?} oos_window_sharpe"));
        }
    }
    assert!(bad.is_empty(), "{} wf mismatches, first: {:?}", bad.len(), &bad[..bad.len().min(5)]);
}

fn import(lake: &Path, candles: &str, symbol: &str, tf: &str) {
    let file = reference_dir().join("candles").join(candles);
    qm(lake, &["import", "--symbol", symbol, "--interval", tf, s(&file)]).success();
}

#[test]
fn full_grid_walk_forward_matches_the_reference_synth_edge() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path();
    import(lake, "SYNTH-EDGE_USDT-1h.parquet", "EDGEUSDT", "1h");
    let out = qm(lake, &["sweep", "--symbol", "EDGEUSDT", "--interval", "1h", "--walkforward", "--name", "edge", "--top", "5"]).success();
    let golden = reference_dir().join("golden/synth_edge_1h");
    let mega = read_parquet(&lake_file(lake, "mega", "EDGEUSDT", "1h", "edge"));
    compare_mega(&mega, &read_parquet(&golden.join("mega.parquet")));
    let wf = read_parquet(&lake_file(lake, "wf", "EDGEUSDT", "1h", "edge"));
    compare_wf(&wf, &read_parquet(&golden.join("wf.parquet")));
    // Every combination × level has its five windows.
    let windows = read_parquet(&lake_file(lake, "wf_windows", "EDGEUSDT", "1h", "edge"));
    assert_eq!(windows.iter().map(|b| b.num_rows()).sum::<usize>(), 17_273 * 3 * 5);
    // The printed ranking starts with the best walk-forward row.
    let best = f64s(&wf, "oos_sharpe_mean").into_iter().fold(f64::MIN, f64::max);
    let text = out.stdout_text();
    assert!(text.contains(&format!("{best}")), "ranking does not show the best OOS Sharpe {best}:\n{text}");
    // SQL sees the run at once, with its partition columns.
    let q = qm(lake, &["sql", "--format", "csv", "SELECT count(*) AS n FROM wf WHERE run = 'edge' AND symbol = 'EDGEUSDT'"]).success();
    assert!(q.stdout_text().contains(&wf.iter().map(|b| b.num_rows()).sum::<usize>().to_string()));
}

/// The golden sample's combinations as a grid file, in golden order.
fn sample_grid(golden: &Path, out: &Path) -> usize {
    let sig = read_parquet(&golden.join("signals.parquet"));
    let (st, p) = (strings(&sig, "strategy"), strings(&sig, "params"));
    let items: Vec<String> = st.iter().zip(&p).map(|(s, p)| format!("{{\"strategy\": {}, \"params\": {p}}}", serde_json::Value::from(s.as_str()))).collect();
    std::fs::write(out, format!("[{}]", items.join(",\n"))).unwrap();
    items.len()
}

#[test]
fn sampled_grids_match_the_reference_btc_15m_and_stress() {
    for (set, file, symbol, tf) in [("btc_15m", "BTC_USDT-15m.parquet", "BTCUSDT", "15m"), ("synth_stress_1h", "SYNTH-STRESS_USDT-1h.parquet", "STRESSUSDT", "1h")] {
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path().join("lake");
        import(&lake, file, symbol, tf);
        let golden = reference_dir().join("golden").join(set);
        let grid = dir.path().join("grid.json");
        sample_grid(&golden, &grid);
        qm(&lake, &["sweep", "--symbol", symbol, "--interval", tf, "--grid", s(&grid), "--walkforward", "--name", "s", "--top", "0"]).success();
        compare_mega(&read_parquet(&lake_file(&lake, "mega", symbol, tf, "s")), &read_parquet(&golden.join("mega.parquet")));
        compare_wf(&read_parquet(&lake_file(&lake, "wf", symbol, tf, "s")), &read_parquet(&golden.join("wf.parquet")));
    }
}

#[test]
fn results_do_not_depend_on_threads_and_reruns_replace() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    qm(&lake, &["data", "synth", "--symbols", "AAAUSDT", "--interval", "1h", "--bars", "1500", "--seed", "3"]).success();
    let grid = dir.path().join("grid.json");
    std::fs::write(&grid, r#"[{"strategy": "RSI+EMA", "params": {"rsi_period": 14, "oversold": 30, "overbought": 70, "ema_period": 50}},
        {"strategy": "Momentum Strategy", "params": {"lookback": 10}}]"#).unwrap();
    let run = |threads: &str, name: &str| {
        let out = qm_cmd(&lake)
            .env("RAYON_NUM_THREADS", threads)
            .args(["sweep", "--symbol", "AAAUSDT", "--interval", "1h", "--grid", s(&grid), "--walkforward", "--windows", "3", "--name", name, "--sl-tp", "0:0,0.01:0.03", "--top", "0"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let drop_stamp = |b: Vec<RecordBatch>| -> Vec<RecordBatch> {
            b.into_iter().map(|b| b.project(&(0..b.num_columns() - 2).collect::<Vec<_>>()).unwrap()).collect()
        };
        ["mega", "wf", "wf_windows"].map(|t| drop_stamp(read_parquet(&lake_file(&lake, t, "AAAUSDT", "1h", name))))
    };
    let one = run("1", "t1");
    let two = run("2", "t2");
    assert_eq!(one, two, "one thread and two threads give the same rows and numbers");
    // A re-run of t1 without walk-forward replaces t1's rows and removes its walk-forward files; t2 stays.
    qm(&lake, &["sweep", "--symbol", "AAAUSDT", "--interval", "1h", "--grid", s(&grid), "--name", "t1", "--sl-tp", "0:0", "--min-trades", "0", "--top", "0"]).success();
    let mega = read_parquet(&lake_file(&lake, "mega", "AAAUSDT", "1h", "t1"));
    assert_eq!(mega.iter().map(|b| b.num_rows()).sum::<usize>(), 2);
    assert!(!lake_file(&lake, "wf", "AAAUSDT", "1h", "t1").exists());
    assert!(lake_file(&lake, "wf", "AAAUSDT", "1h", "t2").exists());
    let trades = mega.iter().flat_map(|b| b.column_by_name("trades").unwrap().as_primitive::<Int64Type>().values().to_vec()).collect::<Vec<_>>();
    assert_eq!(trades.len(), 2);
}

#[test]
fn bad_input_is_a_clear_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    qm(&lake, &["data", "synth", "--symbols", "AAAUSDT", "--interval", "1h", "--bars", "150"]).success();
    let before = common::snapshot(&lake);
    let e = qm(&lake, &["sweep", "--symbol", "AAAUSDT", "--interval", "1h", "--walkforward"]).failure();
    assert!(e.stderr.contains("too few"), "{}", e.stderr);
    let e = qm(&lake, &["sweep", "--symbol", "NOPEUSDT", "--interval", "1h"]).failure();
    assert!(e.stderr.contains("NOPEUSDT"), "{}", e.stderr);
    let e = qm(&lake, &["sweep", "--symbol", "AAAUSDT", "--interval", "1h", "--sl-tp", "0.01"]).failure();
    assert!(e.stderr.contains("`0.01`"), "{}", e.stderr);
    let e = qm(&lake, &["sweep", "--symbol", "AAAUSDT", "--interval", "2x"]).failure().stderr;
    assert!(e.contains("2x"), "{e}");
    assert_eq!(common::snapshot(&lake), before, "failed sweeps leave the lake as it was");
}

#[test]
fn pipeline_runs_the_demo_shape_and_names_bad_toml_lines() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let grid = dir.path().join("grid.json");
    std::fs::write(&grid, r#"[{"strategy": "Momentum Strategy", "params": {"lookback": 10}}, {"strategy": "Momentum Strategy", "params": {"lookback": 20}}]"#).unwrap();
    let toml = dir.path().join("p.toml");
    std::fs::write(
        &toml,
        format!(
            "[pipeline]\nname = \"mini\"\n[data]\nsource = \"synthetic\"\nsymbols = [\"AUSDT\", \"BUSDT\"]\ninterval = \"1h\"\nbars = 1200\nseed = 1\n[sweep]\ngrid = \"{}\"\nsl_tp = [[0.01, 0.03]]\nmin_trades = 0\n[walkforward]\nwindows = 3\n[report]\ntop = 3\n",
            grid.display()
        ),
    )
    .unwrap();
    let out = qm(&lake, &["pipeline", "run", s(&toml), "--format", "csv"]).success();
    let rows = common::csv_rows(&out.stdout_text());
    assert!(rows[0].contains(&"oos_sharpe".to_string()), "{:?}", rows[0]);
    for sym in ["AUSDT", "BUSDT"] {
        assert!(lake_file(&lake, "mega", sym, "1h", "mini").exists());
        assert!(lake_file(&lake, "wf_windows", sym, "1h", "mini").exists());
    }
    std::fs::write(&toml, "[pipeline]\nname = \"x\"\n[data]\nsource = \"synthetic\"\nsymbols = [\"AUSDT\"]\ninterval = \"7m\"\n").unwrap();
    let e = qm(&lake, &["pipeline", "run", s(&toml)]).failure();
    assert!(e.stderr.contains(":6:") && e.stderr.contains("data.interval") && e.stderr.contains("15m"), "{}", e.stderr);
}
