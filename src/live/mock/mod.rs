//! A loopback mock of Binance USDⓈ-M futures.

mod account;
mod algo;
mod config;
mod engine;
mod error;
mod orders;
mod state;

pub use config::{MockCandle, MockConfig};
pub use state::*;
