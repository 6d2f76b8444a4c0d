//! End-to-end tests of `qm signals` and `qm backtest` through the real binary, on a lake
//! holding the reference ETH/USDT 1h candles, against the reference engine's golden
//! signals and backtests (`golden/eth_1h`).

mod common;
#[path = "support/kernel_golden.rs"]
mod golden;

use std::path::{Path, PathBuf};

use arrow::array::AsArray;
use arrow::record_batch::RecordBatch;
use common::*;
use golden::{combo_key, Table};
use qm::kernel::numpy::round6;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const SYMBOL: &str = "ETHUSDT";

/// A temporary lake with the reference ETH/USDT 1h candles imported as `ETHUSDT` `1h`.
fn eth_lake() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let lake = d.path().join("lake");
    let src = reference_candles("ETH_USDT-1h.parquet");
    qm(&lake, &["import", "--symbol", SYMBOL, "--interval", "1h", s(&src)]).success();
    (d, lake)
}

fn eth_open_times() -> Vec<i64> {
    i64_column(&read_parquet(&reference_candles("ETH_USDT-1h.parquet")), "open_time")
}

fn str_column(batches: &[RecordBatch], name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for b in batches {
        let col = b.column_by_name(name).unwrap_or_else(|| panic!("no column `{name}`"));
        let col = arrow::compute::cast(col, &arrow::datatypes::DataType::Utf8).unwrap();
        out.extend(col.as_string::<i32>().iter().map(|v| v.unwrap().to_string()));
    }
    out
}

/// The single value of a one-row, one-column `qm sql` result.
fn scalar(lake: &Path, sql: &str) -> String {
    let out = qm(lake, &["sql", sql, "--format", "csv"]).success().stdout_text();
    let rows = csv_rows(&out);
    assert_eq!(rows.len(), 2, "{out}");
    rows[1][0].clone()
}

/// The golden signal sample as (strategy, params text, signal).
fn golden_signals() -> Vec<(String, String, Vec<i64>)> {
    let t = Table::read(&golden::set_dir("eth_1h").join("signals.parquet"));
    let (s, p, sig) = (t.str("strategy"), t.str("params"), t.list_i64("signal"));
    s.into_iter().zip(p).zip(sig).map(|((s, p), sig)| (s, p, sig)).collect()
}

#[test]
fn signals_of_the_whole_golden_sample_from_a_grid_file() {
    let (d, lake) = eth_lake();
    let golden = golden_signals();
    assert_eq!(golden.len(), 174);
    let grid: Vec<Value> = golden
        .iter()
        .map(|(s, p, _)| json!({"strategy": s, "params": serde_json::from_str::<Value>(p).unwrap()}))
        .collect();
    let grid_file = write(d.path(), "grid.json", &Value::Array(grid).to_string());
    let out = d.path().join("signals.parquet");
    qm(&lake, &["signals", "--symbol", SYMBOL, "--interval", "1h", "--grid", s(&grid_file), "--format", "parquet", "--output", s(&out)])
        .success();

    let got = read_parquet(&out);
    let times = eth_open_times();
    let n = times.len();
    let (strategy, params) = (str_column(&got, "strategy"), str_column(&got, "params"));
    let (open_time, signal) = (i64_column(&got, "open_time"), i64_column(&got, "signal"));
    assert_eq!(signal.len(), golden.len() * n);
    for (k, (s, p, want)) in golden.iter().enumerate() {
        let rows = k * n..(k + 1) * n;
        assert_eq!(combo_key(&strategy[k * n], &params[k * n]), combo_key(s, p), "combination {k}");
        assert!(strategy[rows.clone()].iter().all(|x| x == s) && params[rows.clone()].iter().all(|x| *x == params[k * n]));
        assert_eq!(open_time[rows.clone()], times[..], "{s} {p}");
        assert_eq!(signal[rows], want[..], "{s} {p}");
    }
    // Canonical parameter text: keys sorted, Python's spacing and float repr.
    let keltner = params.iter().find(|p| p.contains("atr_mult")).unwrap();
    assert!(keltner.starts_with(r#"{"atr_mult": "#) && keltner.contains(".") && keltner.contains(r#", "atr_period": "#), "{keltner}");
}

#[test]
fn signals_of_one_strategy_with_limit_and_aliases() {
    let (_d, lake) = eth_lake();
    let times = eth_open_times();
    let golden = golden_signals();
    let (s, p, want) = golden.iter().find(|(s, _, _)| s == "Supertrend").unwrap();
    let r = qm(&lake, &["signals", "--symbol", SYMBOL, "--interval", "1h", "--strategy", s, "--params", p, "--format", "json"]).success();
    let rows: Vec<Value> = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(rows.len(), times.len());
    let got: Vec<i64> = rows.iter().map(|r| r["signal"].as_i64().unwrap()).collect();
    assert_eq!(&got, want);
    assert_eq!(rows[0]["strategy"], "Supertrend");

    // The newest 48 bars only: the indicators restart, so the warm-up is all holds again.
    let r = qm(
        &lake,
        &["signals", "--symbol", SYMBOL, "--interval", "1h", "--strategy", "Momentum Strategy", "--params", r#"{"lookback": 20}"#, "--limit", "48", "--format", "csv"],
    )
    .success();
    let text = r.stdout_text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 49, "{text}");
    assert_eq!(lines[0], "strategy,params,open_time,signal");
    assert!(lines[1].starts_with(r#"Momentum,"{""lookback"": 20}","#), "{}", lines[1]);
    let signal: Vec<i64> = lines[1..].iter().map(|l| l.rsplit(',').next().unwrap().parse().unwrap()).collect();
    assert!(signal[..20].iter().all(|&x| x == 0), "{signal:?}");
    assert!(signal[20..].iter().any(|&x| x != 0), "{signal:?}");
    // The last row is the newest candle.
    let last = chrono::DateTime::from_timestamp_millis(*times.last().unwrap()).unwrap().format("%Y-%m-%dT%H:%M:%S").to_string();
    assert!(lines[48].contains(&last), "{} vs {last}", lines[48]);
}

/// SHA-256 of the equity rounded like `np.round(x, 6)`, as little-endian f64 bytes.
fn equity_sha256(equity: &[f64]) -> String {
    let mut h = Sha256::new();
    for &e in equity {
        h.update(round6(e).to_le_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The number `N` of the stderr line "run `RUN`: N trade rows ...".
fn printed_trade_rows(stderr: &str, run: &str) -> usize {
    let head = format!("run `{run}`: ");
    let line = stderr.lines().find(|l| l.starts_with(&head)).unwrap_or_else(|| panic!("no run line in {stderr}"));
    line[head.len()..].split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn backtests_match_the_golden_metrics_ledger_and_equity() {
    let (d, lake) = eth_lake();
    let t = Table::read(&golden::set_dir("eth_1h").join("backtests.parquet"));
    let (gs, gp, sl, tp, lev) = (t.str("strategy"), t.str("params"), t.f64("stop_loss"), t.f64("take_profit"), t.f64("leverage"));
    let cases = [
        ("Hull MA", r#"{"period": 300}"#, 0.02, 0.06, 1.0),
        ("Keltner Channel", r#"{"atr_mult": 4.0, "atr_period": 10, "ema_period": 30}"#, 0.01, 0.03, 10.0),
        ("MACD", r#"{"fast": 12, "signal_period": 9, "slow": 20}"#, 0.005, 0.015, 10.0),
    ];
    for (k, (strategy, params, stop, take, leverage)) in cases.into_iter().enumerate() {
        let key = combo_key(strategy, params);
        let row = (0..t.len())
            .find(|&r| combo_key(&gs[r], &gp[r]) == key && sl[r] == stop && tp[r] == take && lev[r] == leverage)
            .unwrap_or_else(|| panic!("no golden row for {key} {stop} {take} {leverage}"));
        let run = format!("golden-{k}");
        let trades_file = d.path().join(format!("trades-{k}.json"));
        let (stop, take, leverage) = (stop.to_string(), take.to_string(), leverage.to_string());
        let r = qm(
            &lake,
            &[
                "backtest", "--symbol", SYMBOL, "--interval", "1h", "--strategy", strategy, "--params", params, "--sl", &stop, "--tp",
                &take, "--leverage", &leverage, "--name", &run, "--format", "json", "--output", s(&trades_file),
            ],
        )
        .success();
        let metrics: Vec<Value> = serde_json::from_slice(&r.stdout).unwrap();
        assert_eq!(metrics.len(), 1);
        let m = &metrics[0];
        for name in [
            "total_return", "sharpe", "sortino", "max_drawdown", "trades", "win_rate", "profit_factor", "final_equity",
            "gross_profit", "gross_loss", "liquidations", "leverage",
        ] {
            let want = t.f64(&format!("m_{name}"))[row];
            assert_eq!(m[name].as_f64(), Some(want), "{key} sl={stop} lev={leverage}: `{name}`");
        }
        assert_eq!((m["run"].as_str(), m["symbol"].as_str(), m["candles"].as_i64()), (Some(run.as_str()), Some(SYMBOL), Some(5980)));

        // The stored ledger: as many rows as printed, the closed ones are the kernel's trades.
        let rows = printed_trade_rows(&r.stderr, &run);
        let count = |filter: &str| scalar(&lake, &format!("SELECT count(*) FROM trades WHERE run = '{run}'{filter}"));
        assert_eq!(count(""), rows.to_string());
        assert_eq!(count(" AND exit_reason <> 'end'"), t.i64("k_trades")[row].to_string(), "{key}");
        assert_eq!(count(" AND exit_reason = 'liquidation'"), t.i64("k_liquidations")[row].to_string(), "{key}");
        let listed: Vec<Value> = serde_json::from_slice(&std::fs::read(&trades_file).unwrap()).unwrap();
        assert_eq!(listed.len(), rows);

        // The stored equity curve is the reference's, bar for bar; its drawdown peaks at max_dd.
        let part = lake.join(format!("equity/symbol={SYMBOL}/timeframe=1h/run={run}/part-0.parquet"));
        let eq = read_parquet(&part);
        assert_eq!(equity_sha256(&f64_column(&eq, "equity")), t.str("equity_sha256")[row], "{key}");
        let max_dd = f64_column(&eq, "drawdown").into_iter().fold(0.0, f64::max);
        assert_eq!(max_dd, t.f64("k_max_dd")[row], "{key}");
        assert_eq!(i64_column(&eq, "open_time"), eth_open_times());
    }
}

#[test]
fn backtest_prints_tables_and_replaces_a_named_run() {
    let (_d, lake) = eth_lake();
    let args = ["backtest", "--symbol", SYMBOL, "--interval", "1h", "--strategy", "EMA Crossover", "--params", r#"{"fast_period": 30, "slow_period": 60}"#];
    let r = qm(&lake, &args).success();
    let out = r.stdout_text();
    assert!(out.contains("| total_return") && out.contains("| exit_reason"), "{out}");
    assert!(out.contains("| signal ") || out.contains("| stop_loss ") || out.contains("| end "), "{out}");
    assert!(r.stderr.contains("run `bt-20"), "{}", r.stderr);

    let mut named = args.to_vec();
    named.extend(["--name", "again", "--sl", "0.01", "--tp", "0.03"]);
    let first = printed_trade_rows(&qm(&lake, &named).success().stderr, "again");
    let second = printed_trade_rows(&qm(&lake, &named).success().stderr, "again");
    assert_eq!(first, second);
    assert_eq!(scalar(&lake, "SELECT count(*) FROM trades WHERE run = 'again'"), first.to_string());
    assert_eq!(scalar(&lake, "SELECT count(*) FROM equity WHERE run = 'again' AND timeframe = '1h'"), "5980");
    assert_eq!(scalar(&lake, "SELECT count(DISTINCT run) FROM equity"), "2");
    let reasons = scalar(&lake, "SELECT count(*) FROM trades WHERE run = 'again' AND exit_reason IN ('stop_loss', 'take_profit')");
    assert_ne!(reasons, "0");
}

/// Run `qm ARGS`, expect a one-line error holding every `needles` entry, and no lake change.
fn fails(lake: &Path, args: &[&str], needles: &[&str]) {
    let before = snapshot(lake);
    let r = qm(lake, args).failure();
    assert_eq!(r.stderr.trim_end().lines().count(), 1, "{}", r.stderr);
    for n in needles {
        assert!(r.stderr.contains(n), "`{n}` not in: {}", r.stderr);
    }
    assert_eq!(snapshot(lake), before, "a failed `qm {}` changed the lake", args.join(" "));
}

#[test]
fn bad_input_fails_with_one_line_naming_the_value() {
    let (_d, lake) = eth_lake();
    for cmd in ["signals", "backtest"] {
        let base = |strategy: &'static str, params: &'static str| -> Vec<&'static str> {
            vec![cmd, "--symbol", SYMBOL, "--interval", "1h", "--strategy", strategy, "--params", params]
        };
        fails(&lake, &base("Nope", "{}"), &["unknown strategy `Nope`", "`MACD`", "`Williams %R`"]);
        fails(&lake, &base("MACD", r#"{"fast": 12}"#), &["missing parameter", "`MACD`", "`fast`, `slow`, `signal_period`"]);
        fails(&lake, &base("Momentum", r#"{"lookback": 0}"#), &["`lookback`", "`0`", "allowed range"]);
        fails(&lake, &base("Momentum", r#"{"lookback": 3, "x": 1}"#), &["unknown parameter `x`", "lookback"]);
        fails(&lake, &base("Momentum", "{lookback: 3"), &["`--params` must be a JSON object", "`{lookback: 3`"]);
        fails(&lake, &base("Momentum", "[3]"), &["must be a JSON object", "`[3]`"]);
        let mut missing = base("Momentum", r#"{"lookback": 3}"#);
        missing[2] = "BTCUSDT";
        fails(&lake, &missing, &["no `BTCUSDT` `1h` candles", "qm fetch"]);
        let mut interval = base("Momentum", r#"{"lookback": 3}"#);
        interval[4] = "7h";
        fails(&lake, &interval, &["`7h`", "1h", "4h"]);
        let mut symbol = base("Momentum", r#"{"lookback": 3}"#);
        symbol[2] = "eth/usdt";
        fails(&lake, &symbol, &["invalid symbol `eth/usdt`"]);
    }
    let bt = |extra: &[&'static str]| -> Vec<&'static str> {
        let mut v = vec!["backtest", "--symbol", SYMBOL, "--interval", "1h", "--strategy", "Momentum", "--params", r#"{"lookback": 3}"#];
        v.extend_from_slice(extra);
        v
    };
    fails(&lake, &bt(&["--sl=-0.1"]), &["stop_loss", "`-0.1`", "[0, 1)"]);
    fails(&lake, &bt(&["--leverage", "0"]), &["leverage", "`0`", "> 0"]);
    fails(&lake, &bt(&["--capital=-5"]), &["capital", "`-5`"]);
    fails(&lake, &bt(&["--name", "a/b"]), &["invalid run name `a/b`"]);
    fails(&lake, &["signals", "--symbol", SYMBOL, "--interval", "1h", "--grid", "/nonexistent/grid.json"], &["`/nonexistent/grid.json`"]);
    // clap rejects `--strategy` without `--params` and a missing `--strategy`/`--grid`.
    assert!(!qm(&lake, &["signals", "--symbol", SYMBOL, "--interval", "1h", "--strategy", "Momentum"]).ok);
    assert!(!qm(&lake, &["signals", "--symbol", SYMBOL, "--interval", "1h"]).ok);
}
