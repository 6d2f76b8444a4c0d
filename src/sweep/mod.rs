//! Parameter sweeps and walk-forward over (symbol, timeframe) partitions.

pub mod spec;
