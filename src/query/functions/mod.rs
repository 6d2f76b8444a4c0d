//! qm's own SQL functions, registered in every session built by [`super::session_for_lake`]:
//! strategy signals and indicators as window functions, the backtest kernel as an aggregate.
//! The numeric work is done by `crate::strategies`, `crate::indicators` and `crate::kernel`;
//! the files here only adapt it to DataFusion.

mod args;
pub mod backtest;
mod backtest_udaf;
pub mod docs;
mod error;
pub mod indicators;
mod indicator_udwf;
mod signal_udwf;

use datafusion::execution::context::SessionContext;

pub use backtest_udaf::metrics_fields;
pub use docs::{FunctionDoc, FUNCTIONS};
pub use error::FunctionError;
pub use indicators::Indicator;

/// Register every qm function in `ctx`.
pub fn register(ctx: &SessionContext) {
    ctx.register_udwf(signal_udwf::SignalUdwf::udwf());
    for ind in Indicator::ALL {
        ctx.register_udwf(indicator_udwf::IndicatorUdwf::udwf(ind));
    }
    ctx.register_udaf(backtest_udaf::BacktestUdaf::udaf());
}

#[cfg(test)]
mod tests;
