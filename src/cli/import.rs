//! `qm import` (being built).

use super::Globals;

#[derive(Debug, clap::Args)]
pub struct ImportArgs {}

pub fn run(_args: ImportArgs, _g: &Globals) -> anyhow::Result<()> {
    anyhow::bail!("`qm import` is not available in this build yet")
}
