//! Sweep result tables: `mega`, `wf`, `wf_windows`.
