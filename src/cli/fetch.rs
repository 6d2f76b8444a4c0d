//! `qm fetch` (being built).

use super::Globals;

#[derive(Debug, clap::Args)]
pub struct FetchArgs {}

pub fn run(_args: FetchArgs, _g: &Globals) -> anyhow::Result<()> {
    anyhow::bail!("`qm fetch` is not available in this build yet")
}
