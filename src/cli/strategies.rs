//! `qm strategies` (being built).

use super::Globals;

#[derive(Debug, clap::Args)]
pub struct StrategiesArgs {}

pub fn run(_args: StrategiesArgs, _g: &Globals) -> anyhow::Result<()> {
    anyhow::bail!("`qm strategies` is not available in this build yet")
}
