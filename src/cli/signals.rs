//! `qm signals` (being built).

use super::Globals;

#[derive(Debug, clap::Args)]
pub struct SignalsArgs {}

pub fn run(_args: SignalsArgs, _g: &Globals) -> anyhow::Result<()> {
    anyhow::bail!("`qm signals` is not available in this build yet")
}
