//! `qm bot` (being built).

use super::Globals;

#[derive(Debug, clap::Args)]
pub struct BotArgs {}

pub fn run(_args: BotArgs, _g: &Globals) -> anyhow::Result<()> {
    anyhow::bail!("`qm bot` is not available in this build yet")
}
