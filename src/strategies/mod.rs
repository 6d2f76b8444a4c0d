//! The 29 QuantMuse strategies: registry (names, parameter schemas, the `quantmuse` grid),
//! parameter validation, a shared indicator cache and bit-exact signal generation.

mod bands;
mod cache;
mod combo;
mod error;
mod grid;
mod moving_average;
mod oscillator;
mod params;
mod registry;
mod series;
mod signal;
mod trend;
mod trend_following;

pub use cache::{IndicatorCache, Ind, Src};
pub use combo::Combo;
pub use error::StrategyError;
pub use grid::{load_grid_file, parse_grid, quantmuse_grid, strategy_grid};
pub use params::{py_float_repr, Constraint, ParamKind, ParamSpec, ParamValue};
pub use registry::{lookup, parse_combo, StrategyDef, STRATEGIES};
pub use signal::{signals, signals_into};

/// Allowed range of window lengths.
const PERIOD: (f64, f64) = (1.0, 10_000.0);
/// Allowed range of 0..100 oscillator levels and thresholds.
const LEVEL: (f64, f64) = (0.0, 100.0);
/// Allowed range of band and ATR multipliers.
const MULT: (f64, f64) = (0.0, 100.0);
