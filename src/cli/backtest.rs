//! `qm backtest` (being built).

use super::Globals;

#[derive(Debug, clap::Args)]
pub struct BacktestArgs {}

pub fn run(_args: BacktestArgs, _g: &Globals) -> anyhow::Result<()> {
    anyhow::bail!("`qm backtest` is not available in this build yet")
}
