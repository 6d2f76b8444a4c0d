//! The futures kernel and the metrics against the reference's `backtests.parquet` of every
//! golden set: raw totals bit for bit, reported metrics after rounding, equity checksums.

#[path = "support/kernel_golden.rs"]
mod golden;

use golden::{Bits, Mismatches, Table};
use qm::kernel::numpy::round6;
use qm::kernel::{backtest, daily_points, CostModel, DailySampler, Metrics, Recorder, Risk};
use sha2::{Digest, Sha256};

/// SHA-256 of the equity rounded like `np.round(x, 6)`, as little-endian f64 bytes.
fn equity_sha256(equity: &[f64]) -> String {
    let mut h = Sha256::new();
    for &e in equity {
        h.update(round6(e).to_le_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn check_set(set: &str) -> usize {
    let meta = golden::meta(set);
    let c = golden::candles(&meta);
    let signals = golden::signal_map(set);
    let t = Table::read(&golden::set_dir(set).join("backtests.parquet"));
    let (strategy, params) = (t.str("strategy"), t.str("params"));
    let (sl, tp, lev) = (t.f64("stop_loss"), t.f64("take_profit"), t.f64("leverage"));
    let (k_fe, k_dd, k_gp, k_gl) = (t.f64("k_final_equity"), t.f64("k_max_dd"), t.f64("k_gross_profit"), t.f64("k_gross_loss"));
    let (k_trades, k_wins, k_liq) = (t.i64("k_trades"), t.i64("k_wins"), t.i64("k_liquidations"));
    let m = |name: &str| t.f64(&format!("m_{name}"));
    let (m_tr, m_sh, m_so, m_dd, m_trades) = (m("total_return"), m("sharpe"), m("sortino"), m("max_drawdown"), m("trades"));
    let (m_wr, m_pf, m_fe, m_gp, m_gl) = (m("win_rate"), m("profit_factor"), m("final_equity"), m("gross_profit"), m("gross_loss"));
    let (m_liq, m_lev) = (m("liquidations"), m("leverage"));
    let sha = t.str("equity_sha256");
    let curves = t.has("equity").then(|| t.list_f64("equity"));

    let cost = CostModel::default();
    let mut bad = Mismatches::default();
    let mut configs = std::collections::BTreeSet::new();
    for r in 0..t.len() {
        let key = golden::combo_key(&strategy[r], &params[r]);
        let ctx = || format!("{set} row {r} {key} sl={} tp={} lev={}", sl[r], tp[r], lev[r]);
        let signal = signals.get(&key).unwrap_or_else(|| panic!("{}: no signal for this combination", ctx()));
        let risk = Risk::new(sl[r], tp[r], lev[r]).unwrap();
        configs.insert((sl[r].to_bits(), tp[r].to_bits(), lev[r].to_bits()));

        let mut obs = (Recorder::with_capacity(c.close.len()), DailySampler::new(c.close.len(), meta.bars_per_day));
        let s = backtest(&c.open, &c.high, &c.low, &c.close, signal, &cost, &risk, &mut obs);
        let (rec, sampler) = obs;

        bad.check(&ctx, "trades", s.trades as i64, k_trades[r]);
        bad.check(&ctx, "wins", s.wins as i64, k_wins[r]);
        bad.check(&ctx, "liquidations", s.liquidations as i64, k_liq[r]);
        bad.check(&ctx, "final_equity", Bits(s.final_equity), Bits(k_fe[r]));
        bad.check(&ctx, "max_dd", Bits(s.max_drawdown), Bits(k_dd[r]));
        bad.check(&ctx, "gross_profit", Bits(s.gross_profit), Bits(k_gp[r]));
        bad.check(&ctx, "gross_loss", Bits(s.gross_loss), Bits(k_gl[r]));
        bad.check(&ctx, "equity_sha256", equity_sha256(&rec.equity), sha[r].clone());
        if let Some(curves) = &curves {
            let want: Vec<Bits> = curves[r].iter().map(|&x| Bits(x)).collect();
            let got: Vec<Bits> = rec.equity.iter().map(|&x| Bits(x)).collect();
            bad.check(&ctx, "equity curve", got, want);
        }

        // The sampled points must be exactly those of the full curve.
        bad.check(&ctx, "daily points", sampler.points(), daily_points(&rec.equity, meta.bars_per_day));
        let rep = Metrics::compute(&s, &sampler.points(), &cost, &risk).reported();
        bad.check(&ctx, "m_total_return", Bits(rep.total_return), Bits(m_tr[r]));
        bad.check(&ctx, "m_sharpe", Bits(rep.sharpe), Bits(m_sh[r]));
        bad.check(&ctx, "m_sortino", Bits(rep.sortino), Bits(m_so[r]));
        bad.check(&ctx, "m_max_drawdown", Bits(rep.max_drawdown), Bits(m_dd[r]));
        bad.check(&ctx, "m_trades", rep.trades as f64, m_trades[r]);
        bad.check(&ctx, "m_win_rate", Bits(rep.win_rate), Bits(m_wr[r]));
        bad.check(&ctx, "m_profit_factor", Bits(rep.profit_factor), Bits(m_pf[r]));
        bad.check(&ctx, "m_final_equity", Bits(rep.final_equity), Bits(m_fe[r]));
        bad.check(&ctx, "m_gross_profit", Bits(rep.gross_profit), Bits(m_gp[r]));
        bad.check(&ctx, "m_gross_loss", Bits(rep.gross_loss), Bits(m_gl[r]));
        bad.check(&ctx, "m_liquidations", rep.liquidations as f64, m_liq[r]);
        bad.check(&ctx, "m_leverage", rep.leverage, m_lev[r]);
    }
    bad.assert_none(set);
    // Leverage 1 and 10, with and without SL/TP, must all have been exercised.
    let want_configs = meta.sl_tp.len() * meta.leverages.len();
    assert_eq!(configs.len(), want_configs, "{set}: SL/TP × leverage configurations");
    assert!(meta.leverages.contains(&1.0) && meta.leverages.contains(&10.0));
    assert!(meta.sl_tp.contains(&(0.0, 0.0)) && meta.sl_tp.len() > 1);
    t.len()
}

#[test]
fn synth_edge_1h() {
    assert!(check_set("synth_edge_1h") > 0);
}

#[test]
fn synth_stress_1h() {
    assert!(check_set("synth_stress_1h") > 0);
}

#[test]
fn eth_1h() {
    assert!(check_set("eth_1h") > 0);
}

#[test]
fn btc_15m() {
    assert!(check_set("btc_15m") > 0);
}

#[test]
fn liquidations_are_exercised() {
    // The synthetic edge set crashes deep enough to liquidate leveraged positions; parity
    // above must therefore cover the liquidation path, not only plain exits.
    let t = Table::read(&golden::set_dir("synth_edge_1h").join("backtests.parquet"));
    assert!(t.i64("k_liquidations").iter().any(|&l| l > 0));
}
