//! Row tables of single runs: the signals of `qm signals`, and the metrics row, trade
//! ledger (`trades`) and equity curve (`equity`) of `qm backtest`. Pure builders from
//! slices to Arrow record batches; where they are stored is the caller's business.
//!
//! Times are `Timestamp(Millisecond, "UTC")`. A trade's `entry_time` is the open time of
//! the bar at whose open it was filled; its `exit_time` the open time of the exit bar (the
//! fill is that bar's open for signal exits, inside the bar for stops and liquidations,
//! the bar's close for the `end` row of a position still open after the last bar).
//! `trade` numbers the ledger rows from 0 in exit order.

use std::sync::{Arc, OnceLock};

use arrow::array::{ArrayRef, Float64Array, Int64Array, Int8Array, StringArray, TimestampMillisecondArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

use crate::kernel::{Metrics, Trade};

/// Lake table of `qm backtest` trade ledgers.
pub const TRADES_TABLE: &str = "trades";
/// Lake table of `qm backtest` equity curves.
pub const EQUITY_TABLE: &str = "equity";

/// The columns of the trade list `qm backtest` prints (the ledger without the run context).
pub const TRADE_LIST_COLUMNS: [&str; 12] = [
    "trade",
    "side",
    "entry_time",
    "exit_time",
    "entry_bar",
    "exit_bar",
    "entry_price",
    "exit_price",
    "quantity",
    "fees",
    "pnl",
    "exit_reason",
];

/// Invalid input to a table builder.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("`{what}` has {len} entries but there are {bars} bars; they must match")]
    LengthMismatch { what: &'static str, len: usize, bars: usize },
    #[error("trade {trade} refers to bar `{bar}`, beyond the {bars} bars of the run")]
    BarOutOfRange { trade: usize, bar: usize, bars: usize },
    #[error(transparent)]
    Arrow(#[from] ArrowError),
}

/// What every row of one backtest's tables repeats: the combination, its risk settings,
/// when the run was made and by which `qm`.
#[derive(Debug, Clone, PartialEq)]
pub struct RunContext {
    pub strategy: String,
    /// Canonical JSON text (`Combo::canonical_params`).
    pub params: String,
    pub stop_loss: f64,
    pub take_profit: f64,
    pub leverage: f64,
    /// Epoch milliseconds, UTC.
    pub created_at: i64,
    pub qm_version: String,
}

fn ts() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

fn ts_array(v: Vec<i64>) -> ArrayRef {
    Arc::new(TimestampMillisecondArray::from(v).with_timezone("UTC"))
}

fn repeat_str(s: &str, n: usize) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(std::iter::repeat_n(s, n)))
}

fn repeat_f64(x: f64, n: usize) -> ArrayRef {
    Arc::new(Float64Array::from(vec![x; n]))
}

fn field(name: &str, ty: DataType) -> Field {
    Field::new(name, ty, false)
}

/// The leading context columns shared by `trades` and `equity`.
fn context_fields() -> Vec<Field> {
    vec![
        field("strategy", DataType::Utf8),
        field("params", DataType::Utf8),
        field("stop_loss", DataType::Float64),
        field("take_profit", DataType::Float64),
        field("leverage", DataType::Float64),
    ]
}

fn context_columns(ctx: &RunContext, n: usize) -> Vec<ArrayRef> {
    vec![
        repeat_str(&ctx.strategy, n),
        repeat_str(&ctx.params, n),
        repeat_f64(ctx.stop_loss, n),
        repeat_f64(ctx.take_profit, n),
        repeat_f64(ctx.leverage, n),
    ]
}

fn stamp_fields() -> [Field; 2] {
    [field("created_at", ts()), field("qm_version", DataType::Utf8)]
}

fn stamp_columns(ctx: &RunContext, n: usize) -> [ArrayRef; 2] {
    [ts_array(vec![ctx.created_at; n]), repeat_str(&ctx.qm_version, n)]
}

/// `strategy, params, open_time, signal`.
pub fn signals_schema() -> SchemaRef {
    static S: OnceLock<SchemaRef> = OnceLock::new();
    Arc::clone(S.get_or_init(|| {
        Arc::new(Schema::new(vec![
            field("strategy", DataType::Utf8),
            field("params", DataType::Utf8),
            field("open_time", ts()),
            field("signal", DataType::Int8),
        ]))
    }))
}

/// One row per bar of one combination's signal.
pub fn signals_batch(strategy: &str, params: &str, open_time: &[i64], signal: &[i8]) -> Result<RecordBatch, LedgerError> {
    let n = open_time.len();
    if signal.len() != n {
        return Err(LedgerError::LengthMismatch { what: "signal", len: signal.len(), bars: n });
    }
    let columns = vec![
        repeat_str(strategy, n),
        repeat_str(params, n),
        ts_array(open_time.to_vec()),
        Arc::new(Int8Array::from(signal.to_vec())) as ArrayRef,
    ];
    Ok(RecordBatch::try_new(signals_schema(), columns)?)
}

/// The `trades` table: context, one row per ledger entry, `created_at, qm_version`.
pub fn trades_schema() -> SchemaRef {
    static S: OnceLock<SchemaRef> = OnceLock::new();
    Arc::clone(S.get_or_init(|| {
        let mut f = context_fields();
        f.extend([
            field("trade", DataType::Int64),
            field("side", DataType::Utf8),
            field("entry_time", ts()),
            field("exit_time", ts()),
            field("entry_bar", DataType::Int64),
            field("exit_bar", DataType::Int64),
            field("entry_price", DataType::Float64),
            field("exit_price", DataType::Float64),
            field("quantity", DataType::Float64),
            field("fees", DataType::Float64),
            field("pnl", DataType::Float64),
            field("exit_reason", DataType::Utf8),
        ]);
        f.extend(stamp_fields());
        Arc::new(Schema::new(f))
    }))
}

/// The ledger of one backtest over bars with the given open times.
pub fn trades_batch(ctx: &RunContext, open_time: &[i64], trades: &[Trade]) -> Result<RecordBatch, LedgerError> {
    let bars = open_time.len();
    let time_of = |trade: usize, bar: usize| open_time.get(bar).copied().ok_or(LedgerError::BarOutOfRange { trade, bar, bars });
    let mut entry_time = Vec::with_capacity(trades.len());
    let mut exit_time = Vec::with_capacity(trades.len());
    for (k, t) in trades.iter().enumerate() {
        entry_time.push(time_of(k, t.entry_bar)?);
        exit_time.push(time_of(k, t.exit_bar)?);
    }
    let n = trades.len();
    let f = |get: fn(&Trade) -> f64| Arc::new(Float64Array::from_iter_values(trades.iter().map(get))) as ArrayRef;
    let mut columns = context_columns(ctx, n);
    columns.extend([
        Arc::new(Int64Array::from_iter_values(0..n as i64)) as ArrayRef,
        Arc::new(StringArray::from_iter_values(trades.iter().map(|t| t.side.as_str()))),
        ts_array(entry_time),
        ts_array(exit_time),
        Arc::new(Int64Array::from_iter_values(trades.iter().map(|t| t.entry_bar as i64))),
        Arc::new(Int64Array::from_iter_values(trades.iter().map(|t| t.exit_bar as i64))),
        f(|t| t.entry_price),
        f(|t| t.exit_price),
        f(|t| t.qty),
        f(|t| t.fees),
        f(|t| t.pnl),
        Arc::new(StringArray::from_iter_values(trades.iter().map(|t| t.exit_reason.as_str()))),
    ]);
    columns.extend(stamp_columns(ctx, n));
    Ok(RecordBatch::try_new(trades_schema(), columns)?)
}

/// The ledger's printed columns ([`TRADE_LIST_COLUMNS`]).
pub fn trade_list(trades: &RecordBatch) -> Result<RecordBatch, LedgerError> {
    let schema = trades.schema();
    let idx = TRADE_LIST_COLUMNS.iter().map(|c| schema.index_of(c)).collect::<Result<Vec<_>, _>>()?;
    Ok(trades.project(&idx)?)
}

/// The `equity` table: context, `open_time, equity, drawdown`, `created_at, qm_version`.
pub fn equity_schema() -> SchemaRef {
    static S: OnceLock<SchemaRef> = OnceLock::new();
    Arc::clone(S.get_or_init(|| {
        let mut f = context_fields();
        f.extend([field("open_time", ts()), field("equity", DataType::Float64), field("drawdown", DataType::Float64)]);
        f.extend(stamp_fields());
        Arc::new(Schema::new(f))
    }))
}

/// The kernel's running drawdown of each bar: the peak starts at `capital`, then
/// `peak = max(peak, equity)` and `drawdown = (peak - equity) / peak` (0 while `peak <= 0`).
/// Its maximum is the backtest's `max_drawdown`.
pub fn drawdowns(equity: &[f64], capital: f64) -> Vec<f64> {
    let mut peak = capital;
    equity
        .iter()
        .map(|&e| {
            if e > peak {
                peak = e;
            }
            if peak > 0.0 {
                (peak - e) / peak
            } else {
                0.0
            }
        })
        .collect()
}

/// The equity curve of one backtest (one value per bar) and its drawdown from `capital`.
pub fn equity_batch(ctx: &RunContext, open_time: &[i64], equity: &[f64], capital: f64) -> Result<RecordBatch, LedgerError> {
    let n = open_time.len();
    if equity.len() != n {
        return Err(LedgerError::LengthMismatch { what: "equity", len: equity.len(), bars: n });
    }
    let mut columns = context_columns(ctx, n);
    columns.extend([
        ts_array(open_time.to_vec()),
        Arc::new(Float64Array::from(equity.to_vec())) as ArrayRef,
        Arc::new(Float64Array::from(drawdowns(equity, capital))),
    ]);
    columns.extend(stamp_columns(ctx, n));
    Ok(RecordBatch::try_new(equity_schema(), columns)?)
}

/// Where and over what a backtest ran: the rest of its metrics row.
#[derive(Debug, Clone, PartialEq)]
pub struct RunScope {
    pub symbol: String,
    pub timeframe: String,
    pub run: String,
    pub candles: usize,
    /// Open time of the first and the last bar (epoch ms), `None` without candles.
    pub data_start: Option<i64>,
    pub data_end: Option<i64>,
}

/// `strategy, params, stop_loss, take_profit, leverage`, the spec's metrics in the `mega`
/// table's order, `candles, data_start, data_end, symbol, timeframe, run`.
pub fn metrics_schema() -> SchemaRef {
    static S: OnceLock<SchemaRef> = OnceLock::new();
    Arc::clone(S.get_or_init(|| {
        let mut f = context_fields();
        for name in ["total_return", "sharpe", "sortino", "max_drawdown"] {
            f.push(field(name, DataType::Float64));
        }
        f.push(field("trades", DataType::Int64));
        for name in ["win_rate", "profit_factor", "final_equity", "gross_profit", "gross_loss"] {
            f.push(field(name, DataType::Float64));
        }
        f.extend([
            field("liquidations", DataType::Int64),
            field("candles", DataType::Int64),
            Field::new("data_start", ts(), true),
            Field::new("data_end", ts(), true),
            field("symbol", DataType::Utf8),
            field("timeframe", DataType::Utf8),
            field("run", DataType::Utf8),
        ]);
        Arc::new(Schema::new(f))
    }))
}

/// The one-row metrics table of a backtest (`m` as given: pass `Metrics::reported()` for
/// the reference's rounding). The `leverage` column is the context's.
pub fn metrics_batch(ctx: &RunContext, m: &Metrics, scope: &RunScope) -> Result<RecordBatch, LedgerError> {
    let f = |x: f64| Arc::new(Float64Array::from(vec![x])) as ArrayRef;
    let i = |x: i64| Arc::new(Int64Array::from(vec![x])) as ArrayRef;
    let t = |x: Option<i64>| Arc::new(TimestampMillisecondArray::from(vec![x]).with_timezone("UTC")) as ArrayRef;
    let s = |x: &str| repeat_str(x, 1);
    let mut columns = context_columns(ctx, 1);
    columns.extend([
        f(m.total_return),
        f(m.sharpe),
        f(m.sortino),
        f(m.max_drawdown),
        i(m.trades as i64),
        f(m.win_rate),
        f(m.profit_factor),
        f(m.final_equity),
        f(m.gross_profit),
        f(m.gross_loss),
        i(m.liquidations as i64),
        i(scope.candles as i64),
        t(scope.data_start),
        t(scope.data_end),
        s(&scope.symbol),
        s(&scope.timeframe),
        s(&scope.run),
    ]);
    Ok(RecordBatch::try_new(metrics_schema(), columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::{ExitReason, Side};
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{Float64Type, Int64Type, Int8Type, TimestampMillisecondType};

    fn ctx() -> RunContext {
        RunContext {
            strategy: "Momentum".into(),
            params: r#"{"lookback": 3}"#.into(),
            stop_loss: 0.01,
            take_profit: 0.03,
            leverage: 10.0,
            created_at: 1_700_000_000_000,
            qm_version: "9.9.9".into(),
        }
    }

    fn trade(entry_bar: usize, exit_bar: usize, side: Side, reason: ExitReason) -> Trade {
        Trade {
            entry_bar,
            exit_bar,
            side,
            entry_price: 100.0 + entry_bar as f64,
            exit_price: 100.0 + exit_bar as f64,
            qty: 2.5,
            fees: 0.25,
            pnl: exit_bar as f64 - entry_bar as f64,
            exit_reason: reason,
        }
    }

    fn f64s(b: &RecordBatch, name: &str) -> Vec<f64> {
        b.column_by_name(name).unwrap().as_primitive::<Float64Type>().values().to_vec()
    }

    fn i64s(b: &RecordBatch, name: &str) -> Vec<i64> {
        b.column_by_name(name).unwrap().as_primitive::<Int64Type>().values().to_vec()
    }

    fn times(b: &RecordBatch, name: &str) -> Vec<i64> {
        b.column_by_name(name).unwrap().as_primitive::<TimestampMillisecondType>().values().to_vec()
    }

    fn strs(b: &RecordBatch, name: &str) -> Vec<String> {
        b.column_by_name(name).unwrap().as_string::<i32>().iter().map(|s| s.unwrap().to_string()).collect()
    }

    #[test]
    fn signals_rows_follow_the_bars() {
        let b = signals_batch("MACD", r#"{"fast": 2}"#, &[10, 20, 30], &[0, 1, -1]).unwrap();
        assert_eq!(b.num_rows(), 3);
        assert_eq!(times(&b, "open_time"), vec![10, 20, 30]);
        assert_eq!(b.column_by_name("signal").unwrap().as_primitive::<Int8Type>().values().to_vec(), vec![0, 1, -1]);
        assert_eq!(strs(&b, "params"), vec![r#"{"fast": 2}"#; 3]);
        let e = signals_batch("MACD", "{}", &[10, 20], &[0]).unwrap_err().to_string();
        assert_eq!(e, "`signal` has 1 entries but there are 2 bars; they must match");
    }

    #[test]
    fn trades_map_bars_to_times_and_reasons() {
        let open_time = [1000, 2000, 3000, 4000, 5000];
        let trades = [
            trade(1, 2, Side::Long, ExitReason::StopLoss),
            trade(2, 3, Side::Short, ExitReason::Liquidation),
            trade(4, 4, Side::Long, ExitReason::End),
        ];
        let b = trades_batch(&ctx(), &open_time, &trades).unwrap();
        assert_eq!(b.schema(), trades_schema());
        assert_eq!(i64s(&b, "trade"), vec![0, 1, 2]);
        assert_eq!(strs(&b, "side"), vec!["long", "short", "long"]);
        assert_eq!(times(&b, "entry_time"), vec![2000, 3000, 5000]);
        assert_eq!(times(&b, "exit_time"), vec![3000, 4000, 5000]);
        assert_eq!(i64s(&b, "exit_bar"), vec![2, 3, 4]);
        assert_eq!(f64s(&b, "exit_price"), vec![102.0, 103.0, 104.0]);
        assert_eq!(f64s(&b, "pnl"), vec![1.0, 1.0, 0.0]);
        assert_eq!(strs(&b, "exit_reason"), vec!["stop_loss", "liquidation", "end"]);
        assert_eq!(f64s(&b, "leverage"), vec![10.0; 3]);
        assert_eq!(times(&b, "created_at"), vec![1_700_000_000_000; 3]);
        assert_eq!(strs(&b, "qm_version"), vec!["9.9.9"; 3]);
        let list = trade_list(&b).unwrap();
        let names: Vec<String> = list.schema().fields().iter().map(|f| f.name().clone()).collect();
        assert_eq!(names, TRADE_LIST_COLUMNS);
    }

    #[test]
    fn empty_ledger_keeps_its_schema_and_bad_bars_are_errors() {
        let b = trades_batch(&ctx(), &[1, 2], &[]).unwrap();
        assert_eq!((b.num_rows(), b.num_columns()), (0, 19));
        let e = trades_batch(&ctx(), &[1, 2], &[trade(1, 5, Side::Long, ExitReason::Signal)]).unwrap_err().to_string();
        assert_eq!(e, "trade 0 refers to bar `5`, beyond the 2 bars of the run");
    }

    #[test]
    fn drawdown_runs_from_the_capital_peak() {
        let dd = drawdowns(&[100.0, 90.0, 120.0, 60.0, 130.0], 100.0);
        assert_eq!(dd, vec![0.0, 0.1, 0.0, 0.5, 0.0]);
        // Starting below capital is already a drawdown.
        assert_eq!(drawdowns(&[80.0], 100.0), vec![0.2]);
        assert_eq!(drawdowns(&[-1.0], 0.0), vec![0.0]);
        let b = equity_batch(&ctx(), &[1, 2, 3], &[100.0, 50.0, 75.0], 100.0).unwrap();
        assert_eq!(b.schema(), equity_schema());
        assert_eq!(f64s(&b, "drawdown"), vec![0.0, 0.5, 0.25]);
        assert_eq!(times(&b, "open_time"), vec![1, 2, 3]);
        assert!(equity_batch(&ctx(), &[1, 2], &[100.0], 100.0).unwrap_err().to_string().contains("`equity`"));
    }

    #[test]
    fn metrics_row_uses_the_spec_names() {
        let m = Metrics {
            total_return: 0.5,
            sharpe: 1.25,
            sortino: 2.0,
            max_drawdown: 0.1,
            trades: 7,
            win_rate: 0.5714,
            profit_factor: 3.0,
            final_equity: 15_000.0,
            gross_profit: 7_500.0,
            gross_loss: 2_500.0,
            liquidations: 1,
            leverage: 10.0,
        };
        let scope = RunScope {
            symbol: "ETHUSDT".into(),
            timeframe: "1h".into(),
            run: "bt-x".into(),
            candles: 24,
            data_start: Some(0),
            data_end: None,
        };
        let b = metrics_batch(&ctx(), &m, &scope).unwrap();
        assert_eq!(b.num_rows(), 1);
        for name in [
            "total_return", "sharpe", "sortino", "max_drawdown", "trades", "win_rate", "profit_factor", "final_equity",
            "gross_profit", "gross_loss", "liquidations", "leverage",
        ] {
            assert!(b.column_by_name(name).is_some(), "{name}");
        }
        assert_eq!(i64s(&b, "trades"), vec![7]);
        assert_eq!(f64s(&b, "sharpe"), vec![1.25]);
        assert_eq!(i64s(&b, "candles"), vec![24]);
        assert!(b.column_by_name("data_end").unwrap().is_null(0));
        assert_eq!(strs(&b, "run"), vec!["bt-x"]);
    }
}
