//! `qm pipeline ...` (being built).

use std::path::PathBuf;

use super::Globals;

#[derive(Debug, clap::Subcommand)]
pub enum PipelineCommand {
    /// Run a pipeline TOML file.
    Run { file: PathBuf },
}

pub fn run(_cmd: PipelineCommand, _g: &Globals) -> anyhow::Result<()> {
    anyhow::bail!("`qm pipeline run` is not available in this build yet")
}
