//! Errors of qm's SQL functions, turned into DataFusion execution errors at the boundary.

use datafusion::error::DataFusionError;

/// Why a qm SQL function could not compute its result.
#[derive(Debug, thiserror::Error)]
pub enum FunctionError {
    #[error("`{function}` takes {expected} arguments, got {got}")]
    Arity { function: &'static str, expected: &'static str, got: usize },
    #[error("argument `{arg}` of `{function}` must be {allowed}, got type `{got}`")]
    ArgType { function: &'static str, arg: &'static str, allowed: &'static str, got: String },
    #[error("argument `{arg}` of `{function}` must be the same in every row of a window partition or group, got `{first}` and `{other}`; hint: add it to PARTITION BY / GROUP BY")]
    NotConstant { function: &'static str, arg: &'static str, first: String, other: String },
    #[error("argument `{arg}` of `{function}` is null; allowed: {allowed}")]
    Null { function: &'static str, arg: &'static str, allowed: &'static str },
    #[error("argument `{arg}` of `{function}` is `{value}`; allowed: {allowed}")]
    OutOfRange { function: &'static str, arg: &'static str, value: String, allowed: &'static str },
    #[error("`params_json` of `qm_signal` is not JSON: `{text}` ({message})")]
    ParamsJson { text: String, message: String },
    #[error("`qm_signal`: {0}")]
    Strategy(#[from] crate::strategies::StrategyError),
    #[error("`qm_backtest`: {0}")]
    Kernel(#[from] crate::kernel::KernelError),
    #[error("`qm_backtest` needs its rows ordered: write `qm_backtest(open, high, low, close, signal, stop_loss, take_profit, leverage ORDER BY open_time)`")]
    NoOrder,
    #[error("`qm_backtest` cannot infer the candle interval from open_time spacing `{spacing_ms}` ms; allowed spacings are those of {valid}; hint: pass the timeframe as 9th argument, e.g. `qm_backtest(..., leverage, timeframe ORDER BY open_time)`")]
    UnknownSpacing { spacing_ms: i64, valid: String },
    #[error("`qm_backtest` cannot infer the candle interval from an ORDER BY key of type `{got}`; hint: pass the timeframe as 9th argument, e.g. `qm_backtest(..., leverage, '1h' ORDER BY open_time)`")]
    UnknownKeyType { got: String },
    #[error("`qm_backtest`: {0}")]
    Timeframe(#[from] crate::timeframe::UnknownTimeframe),
}

impl From<FunctionError> for DataFusionError {
    fn from(e: FunctionError) -> Self {
        DataFusionError::Execution(e.to_string())
    }
}
