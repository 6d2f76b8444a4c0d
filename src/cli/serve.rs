//! `qm serve`: the REST API and the dashboard over the lake (see `crate::serve`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::common::runtime;
use super::Globals;
use crate::serve::{run as serve, ServeConfig};

#[derive(Debug, clap::Args)]
#[command(after_help = "Serves the dashboard at `/` and the JSON API under `/api` (`/api/openapi.json` \
describes it). Mutating requests (POST) need `Authorization: Bearer <token>`: the token is QM_API_TOKEN, \
or one generated into `<lake>/.qm-token` (mode 0600) and printed as a link at start. A non-loopback \
`--bind` is refused unless QM_API_TOKEN is set.")]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:9000")]
    pub bind: SocketAddr,
    /// Allow cross-origin requests from this origin (none by default).
    #[arg(long, value_name = "ORIGIN")]
    pub cors_origin: Option<String>,
    /// Directory of the pipeline files jobs may name.
    #[arg(long, default_value = "pipelines")]
    pub pipelines: PathBuf,
    /// Longest a request may take, in seconds.
    #[arg(long, default_value_t = 120)]
    pub request_timeout: u64,
}

pub fn run(args: ServeArgs, g: &Globals) -> anyhow::Result<()> {
    anyhow::ensure!(args.request_timeout > 0, "`--request-timeout` must be at least 1 second, got 0");
    let cfg = ServeConfig {
        bind: args.bind,
        lake: g.lake.clone(),
        pipelines: args.pipelines,
        cors_origin: args.cors_origin,
        // Only from the environment: a command-line token would show in `ps`.
        token: std::env::var("QM_API_TOKEN").ok(),
        request_timeout: Duration::from_secs(args.request_timeout),
    };
    runtime()?.block_on(serve(cfg))?;
    Ok(())
}
