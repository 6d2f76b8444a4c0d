//! The `qm` command line: raw arguments parsed by clap, one file per subcommand.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub mod backtest;
pub mod bot;
pub mod catalog;
pub mod common;
pub mod data;
pub mod fetch;
pub mod import;
pub mod pipeline;
pub mod serve;
pub mod signals;
pub mod sql;
pub mod strategies;
pub mod sweep;
pub mod sweeping;

/// Options every subcommand shares.
#[derive(Debug, Clone, clap::Args)]
pub struct Globals {
    /// Root of the Parquet lake.
    #[arg(long, global = true, env = "QM_LAKE", default_value = "data/lake")]
    pub lake: PathBuf,
    /// Hide progress bars.
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
}

#[derive(Debug, Parser)]
#[command(name = "qm", version, about = "Crypto strategy research and futures trading over a Parquet lake")]
pub struct Cli {
    #[command(flatten)]
    pub globals: Globals,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fetch Binance klines into the lake (incremental).
    Fetch(fetch::FetchArgs),
    /// Import candle files (Parquet, CSV, Binance bulk dumps) into the lake.
    Import(import::ImportArgs),
    /// Run SQL over the lake's tables.
    Sql(sql::SqlArgs),
    /// Data utilities (synthetic candles).
    #[command(subcommand)]
    Data(data::DataCommand),
    /// List the strategies, their parameters and grid sizes.
    Strategies(strategies::StrategiesArgs),
    /// Compute strategy signals over lake candles.
    Signals(signals::SignalsArgs),
    /// Backtest one strategy on lake candles.
    Backtest(backtest::BacktestArgs),
    /// Sweep a parameter grid (optionally walk-forward) and store result tables.
    Sweep(sweep::SweepArgs),
    /// Run TOML pipelines.
    #[command(subcommand)]
    Pipeline(pipeline::PipelineCommand),
    /// Write the DuckDB catalog (`<lake>/qm.duckdb`) over the lake's tables.
    Catalog(catalog::CatalogArgs),
    /// Live and paper futures bots.
    Bot(bot::BotArgs),
    /// Serve the REST API and the dashboard.
    Serve(serve::ServeArgs),
}

/// Run one parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let g = cli.globals;
    match cli.command {
        Command::Fetch(a) => fetch::run(a, &g),
        Command::Import(a) => import::run(a, &g),
        Command::Sql(a) => sql::run(a, &g),
        Command::Data(a) => data::run(a, &g),
        Command::Strategies(a) => strategies::run(a, &g),
        Command::Signals(a) => signals::run(a, &g),
        Command::Backtest(a) => backtest::run(a, &g),
        Command::Sweep(a) => sweep::run(a, &g),
        Command::Pipeline(a) => pipeline::run(a, &g),
        Command::Catalog(a) => catalog::run(a, &g),
        Command::Bot(a) => bot::run(a, &g),
        Command::Serve(a) => serve::run(a, &g),
    }
}
