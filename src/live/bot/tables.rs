//! The journal's trades and equity as lake tables `bot_trades` and `bot_equity` (partition
//! `bot=<name>`), so bot results join backtests in one SQL query. Written atomically (temp
//! file, then rename) by `qm bot export`, after a replay and when a bot stops.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray, TimestampMillisecondArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use arrow::record_batch::RecordBatch;

use super::config::BotConfig;
use super::journal::{EquityRow, TradeRow};
use crate::lake::{Lake, LakeError};

pub const BOT_TRADES: &str = "bot_trades";
pub const BOT_EQUITY: &str = "bot_equity";

fn ts() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

fn ts_col(v: Vec<Option<i64>>) -> ArrayRef {
    Arc::new(TimestampMillisecondArray::from(v).with_timezone("UTC"))
}

fn strs(v: impl IntoIterator<Item = Option<String>>) -> ArrayRef {
    Arc::new(StringArray::from_iter(v))
}

fn rep(s: &str, n: usize) -> ArrayRef {
    strs(std::iter::repeat_n(Some(s.to_string()), n))
}

fn f64s(v: Vec<Option<f64>>) -> ArrayRef {
    Arc::new(Float64Array::from(v))
}

fn context(cfg: &BotConfig, n: usize) -> (Vec<Field>, Vec<ArrayRef>) {
    let params = crate::strategies::parse_combo(&cfg.strategy, &cfg.params).map(|c| c.canonical_params()).unwrap_or_else(|_| cfg.params.to_string());
    let fields = vec![
        Field::new("mode", DataType::Utf8, true),
        Field::new("symbol", DataType::Utf8, true),
        Field::new("timeframe", DataType::Utf8, true),
        Field::new("strategy", DataType::Utf8, true),
        Field::new("params", DataType::Utf8, true),
        Field::new("stop_loss", DataType::Float64, true),
        Field::new("take_profit", DataType::Float64, true),
        Field::new("leverage", DataType::Float64, true),
    ];
    let cols = vec![
        rep(cfg.mode.as_str(), n),
        rep(&cfg.symbol, n),
        rep(cfg.interval.as_str(), n),
        rep(&cfg.strategy, n),
        rep(&params, n),
        f64s(vec![Some(cfg.stop_loss); n]),
        f64s(vec![Some(cfg.take_profit); n]),
        f64s(vec![Some(cfg.leverage as f64); n]),
    ];
    (fields, cols)
}

/// `bot_trades` rows: one per position (open ones have null exit columns).
pub fn trades_batch(cfg: &BotConfig, rows: &[TradeRow]) -> RecordBatch {
    let n = rows.len();
    let (mut fields, mut cols) = context(cfg, n);
    fields.extend([
        Field::new("seq", DataType::Int64, false),
        Field::new("side", DataType::Utf8, false),
        Field::new("entry_time", ts(), false),
        Field::new("entry_price", DataType::Float64, false),
        Field::new("qty", DataType::Float64, false),
        Field::new("exit_time", ts(), true),
        Field::new("exit_price", DataType::Float64, true),
        Field::new("exit_reason", DataType::Utf8, true),
        Field::new("pnl", DataType::Float64, true),
        Field::new("fees", DataType::Float64, false),
    ]);
    cols.extend([
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.seq))) as ArrayRef,
        strs(rows.iter().map(|r| Some(r.side.clone()))),
        ts_col(rows.iter().map(|r| Some(r.entry_time)).collect()),
        f64s(rows.iter().map(|r| Some(r.entry_price)).collect()),
        f64s(rows.iter().map(|r| Some(r.qty)).collect()),
        ts_col(rows.iter().map(|r| r.exit_time).collect()),
        f64s(rows.iter().map(|r| r.exit_price).collect()),
        strs(rows.iter().map(|r| r.reason.clone())),
        f64s(rows.iter().map(|r| r.pnl).collect()),
        f64s(rows.iter().map(|r| Some(r.fees)).collect()),
    ]);
    RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).expect("columns match the schema")
}

/// `bot_equity` rows: one per cycle (the bar that had just closed).
pub fn equity_batch(cfg: &BotConfig, rows: &[EquityRow]) -> RecordBatch {
    let n = rows.len();
    let (mut fields, mut cols) = context(cfg, n);
    fields.extend([
        Field::new("open_time", ts(), false),
        Field::new("equity", DataType::Float64, false),
        Field::new("model_equity", DataType::Float64, false),
        Field::new("position", DataType::Float64, false),
        Field::new("close", DataType::Float64, false),
    ]);
    cols.extend([
        ts_col(rows.iter().map(|r| Some(r.time)).collect()),
        f64s(rows.iter().map(|r| Some(r.equity)).collect()),
        f64s(rows.iter().map(|r| Some(r.model_equity)).collect()),
        f64s(rows.iter().map(|r| Some(r.position)).collect()),
        f64s(rows.iter().map(|r| Some(r.price)).collect()),
    ]);
    RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).expect("columns match the schema")
}

/// Replace the bot's partitions of both tables.
pub async fn export(lake: &Lake, cfg: &BotConfig, trades: &[TradeRow], equity: &[EquityRow]) -> Result<(), LakeError> {
    let part = [("bot", cfg.name.as_str())];
    lake.write_partition(BOT_TRADES, &part, "part-0.parquet", &[trades_batch(cfg, trades)]).await?;
    lake.write_partition(BOT_EQUITY, &part, "part-0.parquet", &[equity_batch(cfg, equity)]).await
}
