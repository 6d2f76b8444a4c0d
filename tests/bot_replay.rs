//! Replay parity, the proof that bots trade like backtests: `qm bot replay` runs the real bot
//! loop over HTTP against the mock exchange replaying the reference candles, and its trades
//! must equal the kernel's ledger on the same candles (same entries and exits, bars, sides,
//! reasons; quantities within one lot step). The command itself fails on any difference.

mod common;

use std::path::{Path, PathBuf};

use common::*;

fn lake_with(symbol: &str, file: &str) -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let lake = d.path().join("lake");
    qm(&lake, &["import", "--symbol", symbol, "--interval", "1h", s(&reference_candles(file))]).success();
    (d, lake)
}

fn config(dir: &Path, name: &str, body: &str) -> PathBuf {
    write(dir, &format!("{name}.toml"), &format!("name = \"{name}\"\n{body}"))
}

/// Replay and return (stdout, stderr); asserts success (parity).
fn replay(lake: &Path, cfg: &Path, from: &str, to: &str) -> (String, String) {
    let r = qm(lake, &["bot", "replay", s(cfg), "--from", from, "--to", to, "--format", "csv"]).success();
    assert!(r.stderr.contains("PARITY"), "{}", r.stderr);
    (r.stdout_text(), r.stderr)
}

fn trade_rows(csv: &str) -> usize {
    csv_rows(csv).len() - 1
}

#[test]
fn ema_crossover_without_levels_leverage_1_btc() {
    let (d, lake) = lake_with("BTCUSDT", "BTC_USDT-1h.parquet");
    let cfg = config(d.path(), "ema-btc", "strategy = \"EMA Crossover\"\nparams = { fast_period = 10, slow_period = 30 }\nsymbol = \"BTCUSDT\"\ninterval = \"1h\"\n");
    let (out, _) = replay(&lake, &cfg, "2024-01-01", "2024-03-15");
    assert!(trade_rows(&out) >= 10, "{out}");
    // The bot's trades are in the lake next to the backtests.
    let n = qm(&lake, &["sql", "SELECT count(*) AS n FROM bot_trades WHERE bot = 'ema-btc' AND exit_reason = 'signal'", "--format", "csv"]).success().stdout_text();
    assert!(csv_rows(&n)[1][0].parse::<usize>().unwrap() >= 10, "{n}");
}

#[test]
fn macd_with_stop_loss_take_profit_leverage_5_eth() {
    let (d, lake) = lake_with("ETHUSDT", "ETH_USDT-1h.parquet");
    let cfg = config(
        d.path(),
        "macd-eth",
        "strategy = \"MACD\"\nparams = { fast = 12, slow = 26, signal_period = 9 }\nsymbol = \"ETHUSDT\"\ninterval = \"1h\"\nleverage = 5\nstop_loss = 0.02\ntake_profit = 0.06\n",
    );
    let (out, _) = replay(&lake, &cfg, "2024-01-01", "2024-04-01");
    assert!(out.contains("stop_loss") && out.contains("take_profit"), "{out}");
}

#[test]
fn bollinger_tight_levels_leverage_10_sol() {
    let (d, lake) = lake_with("SOLUSDT", "SOL_USDT-1h.parquet");
    let cfg = config(
        d.path(),
        "bb-sol",
        "strategy = \"Bollinger Bands\"\nparams = { period = 20, num_std = 2.0 }\nsymbol = \"SOLUSDT\"\ninterval = \"1h\"\nleverage = 10\nstop_loss = 0.01\ntake_profit = 0.03\n",
    );
    let (out, _) = replay(&lake, &cfg, "2024-02-01", "2024-04-01");
    assert!(trade_rows(&out) >= 5, "{out}");
}

#[test]
fn bad_replay_input_is_a_clear_error() {
    let (d, lake) = lake_with("BTCUSDT", "BTC_USDT-1h.parquet");
    let cfg = config(d.path(), "x", "strategy = \"EMA Crossover\"\nparams = { fast_period = 10, slow_period = 30 }\nsymbol = \"BTCUSDT\"\ninterval = \"1h\"\n");
    let e = qm(&lake, &["bot", "replay", s(&cfg), "--from", "yesterday"]).failure().stderr;
    assert!(e.contains("`--from` is `yesterday`"), "{e}");
    let bad = config(d.path(), "y", "strategy = \"EMA Crossover\"\nparams = { fast_period = 10 }\nsymbol = \"BTCUSDT\"\ninterval = \"1h\"\n");
    let e = qm(&lake, &["bot", "replay", s(&bad)]).failure().stderr;
    assert!(e.contains("slow_period"), "{e}");
    let e = qm(&lake, &["bot", "status", "nobody"]).failure().stderr;
    assert!(e.contains("no bot named `nobody`"), "{e}");
}
