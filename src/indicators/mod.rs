//! Bit-exact numeric primitives of the reference engine (pandas 2.3 / numpy 2 semantics):
//! pure functions over `&[f64]` returning `Vec<f64>`, one file per family.

pub mod basic;
pub mod ewm;
pub mod extrema;
pub mod mad;
pub mod rolling;
pub mod rsi;
pub mod trend;
pub mod variance;

pub use basic::{clip, clip_lower, diff, hl2, max2, min2, pct_change, shift, true_range, typical, where_};
pub use ewm::{ewm, ewm_into};
pub use extrema::{roll_argmax, roll_argmin, roll_max, roll_min};
pub use mad::{np_mean, pairwise_sum, roll_mad};
pub use rolling::{roll_mean, roll_mean_each, roll_sum};
pub use rsi::{rsi_a, rsi_b};
pub use variance::{roll_std, roll_var};
