//! `qm catalog` (being built).

use super::Globals;

#[derive(Debug, clap::Args)]
pub struct CatalogArgs {}

pub fn run(_args: CatalogArgs, _g: &Globals) -> anyhow::Result<()> {
    anyhow::bail!("`qm catalog` is not available in this build yet")
}
