//! A loopback mock of Binance USDⓈ-M futures.

mod account;
mod algo;
mod auth;
mod config;
mod endpoints;
mod engine;
mod error;
mod fault;
mod limits;
mod orders;
mod params;
mod routes;
mod state;
mod views;

pub use config::{MockCandle, MockConfig};
pub use state::*;
