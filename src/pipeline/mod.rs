//! TOML pipelines: data → indicators → sweep → walk-forward → tables → ranking.

pub mod config;
