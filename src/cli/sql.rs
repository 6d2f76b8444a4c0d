//! `qm sql` (being built).

use super::Globals;

#[derive(Debug, clap::Args)]
pub struct SqlArgs {}

pub fn run(_args: SqlArgs, _g: &Globals) -> anyhow::Result<()> {
    anyhow::bail!("`qm sql` is not available in this build yet")
}
