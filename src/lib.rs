//! qm: columnar crypto strategy research and futures trading.
//!
//! The modules follow the pipeline's stages: candles come from `binance`, `import` or
//! `synth` into the `lake`; `indicators` and `strategies` turn them into signals; the
//! `kernel` backtests signals; `sweep` runs grids and walk-forward; `query` serves SQL.

pub mod candles;
pub mod timeframe;

pub mod indicators;
pub mod strategies;
pub mod kernel;
pub mod sweep;
pub mod pipeline;
pub mod tables;

pub mod lake;
pub mod binance;
pub mod import;
pub mod synth;
pub mod query;
pub mod live;
pub mod serve;
pub mod output;

pub mod cli;

/// Version written into result tables (`qm_version`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
