//! Errors of the lake layer.

#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    #[error("invalid symbol `{0}`: use 2 to 30 upper-case letters and digits, e.g. `BTCUSDT`")]
    InvalidSymbol(String),
    #[error("invalid {what} `{value}`: only letters, digits, `_`, `-` and `.` are allowed")]
    InvalidName { what: &'static str, value: String },
    #[error("candles of `{symbol}` `{timeframe}` are invalid at row {row}: {reason}")]
    InvalidCandles { symbol: String, timeframe: String, row: usize, reason: String },
    #[error("lake file `{path}` is unreadable: {reason}")]
    Corrupt { path: String, reason: String },
    #[error(transparent)]
    Store(#[from] object_store::Error),
    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),
    #[error(transparent)]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
