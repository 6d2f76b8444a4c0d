//! The Parquet lake: Hive-partitioned tables under one root, written atomically through
//! `object_store` so a bucket can later replace the directory.
//!
//! Layout: `<root>/<table>/<key>=<value>/.../<file>.parquet`; candles live in
//! `<root>/ohlcv/symbol=<SYMBOL>/timeframe=<TF>/data.parquet`.

mod error;
mod ohlcv;
mod paths;
mod store;
mod stream;

pub use error::LakeError;
pub use ohlcv::{Gap, MergeReport, Ohlcv};
pub use paths::validate_symbol;
pub use store::Lake;
pub use stream::PartitionWriter;
