//! `qm sweep` (being built).

use super::Globals;

#[derive(Debug, clap::Args)]
pub struct SweepArgs {}

pub fn run(_args: SweepArgs, _g: &Globals) -> anyhow::Result<()> {
    anyhow::bail!("`qm sweep` is not available in this build yet")
}
