//! Walk-forward windows, walk-forward rows and mega (full-period) rows against the
//! reference's `wf_windows.json`, `wf.parquet` and `mega.parquet`, for the combinations whose
//! signals the golden sets hold.

#[path = "support/kernel_golden.rs"]
mod golden;

use std::collections::HashMap;

use golden::{Bits, Mismatches, Table};
use qm::kernel::{backtest_metrics, CostModel, Metrics, Risk};
use qm::sweep::{walk_forward, wf_windows, WalkForward, Window};
use serde_json::Value;

/// The SL/TP levels of the mega and walk-forward sweeps (spec §5).
const LEVELS: [(f64, f64); 3] = [(0.005, 0.015), (0.01, 0.03), (0.02, 0.06)];
const N_WINDOWS: usize = 5;
const TRAIN_PCT: f64 = 0.70;
const MIN_TEST: usize = 100;

#[test]
fn windows_match_every_reference_entry() {
    let mut checked = 0;
    for set in golden::SETS {
        let text = std::fs::read_to_string(golden::set_dir(set).join("wf_windows.json")).unwrap();
        let entries: Vec<Value> = serde_json::from_str(&text).unwrap();
        for e in &entries {
            let n_bars = e["n_bars"].as_u64().unwrap() as usize;
            let n_windows = e["n_windows"].as_u64().unwrap() as usize;
            let train_pct = e["train_pct"].as_f64().unwrap();
            let min_test = e.get("min_test").map_or(MIN_TEST, |v| v.as_u64().unwrap() as usize);
            let want: Vec<[usize; 4]> = e["windows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| {
                    let w: Vec<usize> = w.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect();
                    [w[0], w[1], w[2], w[3]]
                })
                .collect();
            let got: Vec<[usize; 4]> = wf_windows(n_bars, n_windows, train_pct, min_test).iter().map(Window::as_array).collect();
            assert_eq!(got, want, "{set}: n_bars={n_bars} n_windows={n_windows} train_pct={train_pct}");
            checked += 1;
        }
        let meta = golden::meta(set);
        let got: Vec<[usize; 4]> = wf_windows(meta.n_bars, N_WINDOWS, TRAIN_PCT, MIN_TEST).iter().map(Window::as_array).collect();
        assert_eq!(got, meta.wf_windows, "{set}: meta.json windows");
    }
    assert!(checked >= 4 * 200, "only {checked} window entries checked");
}

/// Golden rows of `table` whose combination has a golden signal, keyed by (combination, level).
fn golden_rows(set: &str, table: &str, signals: &HashMap<String, Vec<i8>>) -> (Table, HashMap<(String, u64, u64), usize>) {
    let t = Table::read(&golden::set_dir(set).join(table));
    let (s, p, sl, tp) = (t.str("strategy"), t.str("params"), t.f64("stop_loss"), t.f64("take_profit"));
    let mut rows = HashMap::new();
    for r in 0..t.len() {
        let key = golden::combo_key(&s[r], &p[r]);
        if signals.contains_key(&key) {
            assert!(LEVELS.contains(&(sl[r], tp[r])), "{set}/{table} row {r}: level ({}, {})", sl[r], tp[r]);
            let prev = rows.insert((key, sl[r].to_bits(), tp[r].to_bits()), r);
            assert!(prev.is_none(), "{set}/{table}: duplicate row {r}");
        }
    }
    (t, rows)
}

fn check_walk_forward(set: &str) -> usize {
    let meta = golden::meta(set);
    let c = golden::candles(&meta);
    let signals = golden::signals(set);
    let map: HashMap<String, Vec<i8>> = signals.iter().cloned().collect();
    let (t, rows) = golden_rows(set, "wf.parquet", &map);
    let f = |name: &str| t.f64(name);
    let cols: Vec<(&str, Vec<f64>)> = [
        "is_sharpe_mean",
        "oos_sharpe_mean",
        "oos_sharpe_std",
        "oos_sharpe_min",
        "oos_return_mean",
        "oos_max_dd_mean",
        "oos_trades_mean",
        "oos_win_rate_mean",
        "oos_profit_factor_mean",
        "consistency",
        "sharpe_decay",
    ]
    .into_iter()
    .map(|n| (n, f(n)))
    .collect();
    let n_windows = t.i64("n_windows");
    let (w_sharpe, w_return, w_trades) = (t.list_f64("oos_window_sharpe"), t.list_f64("oos_window_return"), t.list_i64("oos_window_trades"));

    let windows = wf_windows(meta.n_bars, N_WINDOWS, TRAIN_PCT, MIN_TEST);
    let cost = CostModel::default();
    let mut bad = Mismatches::default();
    let mut matched = 0;
    for (key, signal) in &signals {
        for (sl, tp) in LEVELS {
            let ctx = || format!("{set} {key} sl={sl} tp={tp}");
            let risk = Risk::new(sl, tp, 1.0).unwrap();
            let got = walk_forward(&c.open, &c.high, &c.low, &c.close, signal, &windows, &cost, &risk, meta.bars_per_day);
            let row = rows.get(&(key.clone(), sl.to_bits(), tp.to_bits())).copied();
            let (got, r) = match (got, row) {
                (None, None) => continue,
                (Some(_), None) => {
                    bad.0.push(format!("{}: kept here, dropped by the reference", ctx()));
                    continue;
                }
                (None, Some(_)) => {
                    bad.0.push(format!("{}: dropped here, kept by the reference", ctx()));
                    continue;
                }
                (Some(g), Some(r)) => (g, r),
            };
            matched += 1;
            bad.check(&ctx, "n_windows", got.n_windows as i64, n_windows[r]);
            for (name, want) in &cols {
                bad.check(&ctx, name, Bits(field(&got, name)), Bits(want[r]));
            }
            bad.check(&ctx, "oos_window_sharpe", got.oos_window_sharpe.clone(), w_sharpe[r].clone());
            bad.check(&ctx, "oos_window_return", got.oos_window_return.clone(), w_return[r].clone());
            let trades: Vec<i64> = got.oos_window_trades.iter().map(|&x| x as i64).collect();
            bad.check(&ctx, "oos_window_trades", trades, w_trades[r].clone());
        }
    }
    bad.assert_none(&format!("{set} walk-forward"));
    assert_eq!(matched, rows.len(), "{set}: every golden walk-forward row of a sampled combination is reproduced");
    matched
}

fn field(w: &WalkForward, name: &str) -> f64 {
    match name {
        "is_sharpe_mean" => w.is_sharpe_mean,
        "oos_sharpe_mean" => w.oos_sharpe_mean,
        "oos_sharpe_std" => w.oos_sharpe_std,
        "oos_sharpe_min" => w.oos_sharpe_min,
        "oos_return_mean" => w.oos_return_mean,
        "oos_max_dd_mean" => w.oos_max_dd_mean,
        "oos_trades_mean" => w.oos_trades_mean,
        "oos_win_rate_mean" => w.oos_win_rate_mean,
        "oos_profit_factor_mean" => w.oos_profit_factor_mean,
        "consistency" => w.consistency,
        "sharpe_decay" => w.sharpe_decay,
        _ => unreachable!("{name}"),
    }
}

fn check_mega(set: &str) -> usize {
    let meta = golden::meta(set);
    let c = golden::candles(&meta);
    let signals = golden::signals(set);
    let map: HashMap<String, Vec<i8>> = signals.iter().cloned().collect();
    let (t, rows) = golden_rows(set, "mega.parquet", &map);
    let names = [
        "total_return",
        "sharpe",
        "sortino",
        "max_drawdown",
        "win_rate",
        "profit_factor",
        "final_equity",
        "gross_profit",
        "gross_loss",
        "leverage",
    ];
    let cols: Vec<(&str, Vec<f64>)> = names.iter().map(|&n| (n, t.f64(n))).collect();
    let (trades, liqs) = (t.i64("trades"), t.i64("liquidations"));

    let cost = CostModel::default();
    let mut bad = Mismatches::default();
    let mut matched = 0;
    for (key, signal) in &signals {
        for (sl, tp) in LEVELS {
            let ctx = || format!("{set} {key} sl={sl} tp={tp}");
            let risk = Risk::new(sl, tp, 1.0).unwrap();
            let m = backtest_metrics(&c.open, &c.high, &c.low, &c.close, signal, &cost, &risk, meta.bars_per_day).reported();
            let kept = m.trades >= 3;
            let row = rows.get(&(key.clone(), sl.to_bits(), tp.to_bits())).copied();
            let r = match (kept, row) {
                (false, None) => continue,
                (true, None) => {
                    bad.0.push(format!("{}: kept here ({} trades), dropped by the reference", ctx(), m.trades));
                    continue;
                }
                (false, Some(_)) => {
                    bad.0.push(format!("{}: dropped here ({} trades), kept by the reference", ctx(), m.trades));
                    continue;
                }
                (true, Some(r)) => r,
            };
            matched += 1;
            bad.check(&ctx, "trades", m.trades as i64, trades[r]);
            bad.check(&ctx, "liquidations", m.liquidations as i64, liqs[r]);
            for (name, want) in &cols {
                bad.check(&ctx, name, Bits(metric(&m, name)), Bits(want[r]));
            }
        }
    }
    bad.assert_none(&format!("{set} mega"));
    assert_eq!(matched, rows.len(), "{set}: every golden mega row of a sampled combination is reproduced");
    matched
}

fn metric(m: &Metrics, name: &str) -> f64 {
    match name {
        "total_return" => m.total_return,
        "sharpe" => m.sharpe,
        "sortino" => m.sortino,
        "max_drawdown" => m.max_drawdown,
        "win_rate" => m.win_rate,
        "profit_factor" => m.profit_factor,
        "final_equity" => m.final_equity,
        "gross_profit" => m.gross_profit,
        "gross_loss" => m.gross_loss,
        "leverage" => m.leverage,
        _ => unreachable!("{name}"),
    }
}

#[test]
fn walk_forward_synth_edge_1h() {
    assert!(check_walk_forward("synth_edge_1h") > 0);
}

#[test]
fn walk_forward_synth_stress_1h() {
    assert!(check_walk_forward("synth_stress_1h") > 0);
}

#[test]
fn walk_forward_eth_1h() {
    assert!(check_walk_forward("eth_1h") > 0);
}

#[test]
fn walk_forward_btc_15m() {
    assert!(check_walk_forward("btc_15m") > 0);
}

#[test]
fn mega_synth_edge_1h() {
    assert!(check_mega("synth_edge_1h") > 0);
}

#[test]
fn mega_synth_stress_1h() {
    assert!(check_mega("synth_stress_1h") > 0);
}

#[test]
fn mega_eth_1h() {
    assert!(check_mega("eth_1h") > 0);
}

#[test]
fn mega_btc_15m() {
    assert!(check_mega("btc_15m") > 0);
}
