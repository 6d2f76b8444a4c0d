//! Parameter sweeps and walk-forward over (symbol, timeframe) partitions.

pub mod spec;
pub mod walkforward;
pub mod windows;

pub use walkforward::{walk_forward, WalkForward, WindowMetrics};
pub use windows::{wf_windows, Window};
