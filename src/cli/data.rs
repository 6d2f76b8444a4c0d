//! `qm data ...` (being built).

use super::Globals;

#[derive(Debug, clap::Subcommand)]
pub enum DataCommand {
    /// Write deterministic synthetic candles into the lake.
    Synth {},
}

pub fn run(_cmd: DataCommand, _g: &Globals) -> anyhow::Result<()> {
    anyhow::bail!("`qm data synth` is not available in this build yet")
}
