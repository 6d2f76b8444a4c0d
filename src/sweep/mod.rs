//! Parameter sweeps and walk-forward over (symbol, timeframe) partitions.

pub mod dedup;
pub mod evaluate;
pub mod order;
pub mod spec;
pub mod walkforward;
pub mod windows;
pub mod engine;
pub mod batch;
pub mod exec;
pub mod run;

pub use walkforward::{walk_forward, WalkForward, WindowMetrics};
pub use windows::{wf_windows, Window};
