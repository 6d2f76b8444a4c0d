//! Futures bots: the kernel's decisions on closed candles, executed on an exchange, with a
//! durable journal (see `runner.rs` for the loop, `decide.rs` for the shared decision path).

pub mod config;
pub mod decide;
pub mod journal;
pub mod orders;
pub mod runner;
pub mod tables;

pub use config::{BotConfig, Mode};
pub use journal::{Desired, Journal};
pub use runner::{Bot, BotError, Exit, Latency, RunOptions};
