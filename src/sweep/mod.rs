//! Sweeps over parameter grids and walk-forward evaluation.

pub mod walkforward;
pub mod windows;

pub use walkforward::{walk_forward, WalkForward, WindowMetrics};
pub use windows::{wf_windows, Window};
