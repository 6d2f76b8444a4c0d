//! `qm serve` (being built).

use super::Globals;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {}

pub fn run(_args: ServeArgs, _g: &Globals) -> anyhow::Result<()> {
    anyhow::bail!("`qm serve` is not available in this build yet")
}
