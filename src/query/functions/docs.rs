//! The user-facing description of every qm SQL function, shown by `qm sql --functions`
//! and mirrored in `docs/sql-functions.md`.

/// One function's entry in the listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionDoc {
    pub name: &'static str,
    /// `window` or `aggregate`.
    pub kind: &'static str,
    pub arguments: &'static str,
    pub returns: &'static str,
    pub description: &'static str,
    pub example: &'static str,
}

/// Every function `qm sql` registers, in listing order.
pub const FUNCTIONS: [FunctionDoc; 9] = [
    FunctionDoc {
        name: "qm_signal",
        kind: "window",
        arguments: "strategy text, params_json text, open, high, low, close, volume",
        returns: "Int8 (-1 sell, 0 hold, 1 buy)",
        description: "The signals of one of the 29 strategies, identical to the sweep's; strategy and params must be constant within each window partition",
        example: "SELECT open_time, qm_signal('Momentum', '{\"lookback\": 20}', open, high, low, close, volume) OVER (PARTITION BY symbol, timeframe ORDER BY open_time) AS signal FROM ohlcv",
    },
    FunctionDoc {
        name: "sma",
        kind: "window",
        arguments: "x, n",
        returns: "Float64 (NULL during warm-up)",
        description: "Simple moving average over the last n rows (pandas rolling mean)",
        example: "SELECT open_time, sma(close, 20) OVER (PARTITION BY symbol, timeframe ORDER BY open_time) FROM ohlcv",
    },
    FunctionDoc {
        name: "ema",
        kind: "window",
        arguments: "x, n",
        returns: "Float64",
        description: "Exponential moving average with span n (pandas ewm(span=n, adjust=False))",
        example: "SELECT open_time, ema(close, 12) OVER (PARTITION BY symbol, timeframe ORDER BY open_time) FROM ohlcv",
    },
    FunctionDoc {
        name: "rsi",
        kind: "window",
        arguments: "x, n",
        returns: "Float64 (NULL during warm-up or when the average loss is 0)",
        description: "RSI from simple means of gains and losses over n rows, as the Mean Reversion strategy computes it",
        example: "SELECT open_time, rsi(close, 14) OVER (PARTITION BY symbol, timeframe ORDER BY open_time) FROM ohlcv",
    },
    FunctionDoc {
        name: "atr",
        kind: "window",
        arguments: "high, low, close, n",
        returns: "Float64 (NULL during warm-up)",
        description: "Average true range: simple mean of the true range over n rows",
        example: "SELECT open_time, atr(high, low, close, 14) OVER (PARTITION BY symbol, timeframe ORDER BY open_time) FROM ohlcv",
    },
    FunctionDoc {
        name: "bb_upper",
        kind: "window",
        arguments: "x, n, k",
        returns: "Float64 (NULL during warm-up)",
        description: "Upper Bollinger band: sma(x, n) + k * sample std of the last n rows",
        example: "SELECT open_time, bb_upper(close, 20, 2) OVER (PARTITION BY symbol, timeframe ORDER BY open_time) FROM ohlcv",
    },
    FunctionDoc {
        name: "bb_middle",
        kind: "window",
        arguments: "x, n, k",
        returns: "Float64 (NULL during warm-up)",
        description: "Middle Bollinger band: sma(x, n) (k is accepted for symmetry and ignored)",
        example: "SELECT open_time, bb_middle(close, 20, 2) OVER (PARTITION BY symbol, timeframe ORDER BY open_time) FROM ohlcv",
    },
    FunctionDoc {
        name: "bb_lower",
        kind: "window",
        arguments: "x, n, k",
        returns: "Float64 (NULL during warm-up)",
        description: "Lower Bollinger band: sma(x, n) - k * sample std of the last n rows",
        example: "SELECT open_time, bb_lower(close, 20, 2) OVER (PARTITION BY symbol, timeframe ORDER BY open_time) FROM ohlcv",
    },
    FunctionDoc {
        name: "qm_backtest",
        kind: "aggregate",
        arguments: "open, high, low, close, signal, stop_loss, take_profit, leverage [, timeframe] ORDER BY open_time",
        returns: "Struct(total_return, sharpe, sortino, max_drawdown, trades, win_rate, profit_factor, final_equity, gross_profit, gross_loss, liquidations)",
        description: "Backtest of a group's candles and signals with the sweep's futures kernel (capital 10000, fees 0.12%); bars per day from the timeframe argument, else from the open_time spacing",
        example: "SELECT symbol, timeframe, qm_backtest(open, high, low, close, signal, 0.01, 0.03, 1, timeframe ORDER BY open_time) AS m FROM signals GROUP BY symbol, timeframe",
    },
];
