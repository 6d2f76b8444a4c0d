//! What `qm_backtest` computes once a group's rows are gathered and ordered: the signal
//! encoding, the candle interval (given or inferred from open_time spacing) and the kernel
//! run with the reference cost model. Pure: no DataFusion.

use crate::kernel::{backtest_metrics, CostModel, Metrics, Risk};
use crate::timeframe::Timeframe;

use super::error::FunctionError;

const DAY_MS: i64 = 86_400_000;

/// The metric columns of `qm_backtest`'s result, in order (spec §4).
pub const METRICS: [(&str, MetricType); 11] = [
    ("total_return", MetricType::Float),
    ("sharpe", MetricType::Float),
    ("sortino", MetricType::Float),
    ("max_drawdown", MetricType::Float),
    ("trades", MetricType::Int),
    ("win_rate", MetricType::Float),
    ("profit_factor", MetricType::Float),
    ("final_equity", MetricType::Float),
    ("gross_profit", MetricType::Float),
    ("gross_loss", MetricType::Float),
    ("liquidations", MetricType::Int),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricType {
    Float,
    Int,
}

/// One metric value, in [`METRICS`] order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MetricValue {
    Float(f64),
    Int(i64),
}

/// The metric values of `m` in [`METRICS`] order.
pub fn metric_values(m: &Metrics) -> [MetricValue; 11] {
    use MetricValue::{Float, Int};
    [
        Float(m.total_return),
        Float(m.sharpe),
        Float(m.sortino),
        Float(m.max_drawdown),
        Int(m.trades as i64),
        Float(m.win_rate),
        Float(m.profit_factor),
        Float(m.final_equity),
        Float(m.gross_profit),
        Float(m.gross_loss),
        Int(m.liquidations as i64),
    ]
}

/// A SQL signal value as the kernel reads it: `1` buy, `-1` sell, anything else (0, NULL
/// read as NaN, other numbers) hold.
pub fn signal_value(x: f64) -> i8 {
    if x == 1.0 {
        1
    } else if x == -1.0 {
        -1
    } else {
        0
    }
}

/// Bars per day of a named timeframe (`'1h'` → 24).
pub fn bars_per_day_named(tf: &str) -> Result<usize, FunctionError> {
    Ok(tf.parse::<Timeframe>()?.bars_per_day())
}

/// Bars per day inferred from ordered open times in ms: the smallest non-zero step between
/// neighbours must be one timeframe's length (gaps are longer, so they do not mislead);
/// steps of a day or more count one bar per day, and fewer than two bars need no interval.
pub fn bars_per_day_inferred(open_time_ms: &[i64]) -> Result<usize, FunctionError> {
    let step = open_time_ms.windows(2).map(|w| w[1].abs_diff(w[0])).filter(|&d| d > 0).min();
    let Some(step) = step else { return Ok(1) };
    let step = i64::try_from(step).unwrap_or(i64::MAX);
    if step >= DAY_MS {
        return Ok(1);
    }
    Timeframe::all()
        .find(|t| t.millis() == step)
        .map(Timeframe::bars_per_day)
        .ok_or_else(|| FunctionError::UnknownSpacing { spacing_ms: step, valid: Timeframe::valid_list() })
}

/// Run the reference kernel (capital 10,000, commission 0.001, slippage 0.0002) over one
/// ordered group of candles and signals; metrics at full precision.
pub fn run(
    open: &[f64],
    high: &[f64],
    low: &[f64],
    close: &[f64],
    signal: &[i8],
    risk: Risk,
    bars_per_day: usize,
) -> Result<Metrics, FunctionError> {
    risk.validate()?;
    crate::kernel::check_inputs(open, high, low, close, signal)?;
    Ok(backtest_metrics(open, high, low, close, signal, &CostModel::default(), &risk, bars_per_day))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_other_than_plus_minus_one_hold() {
        let got: Vec<i8> = [1.0, -1.0, 0.0, 2.0, -0.5, f64::NAN].iter().map(|&x| signal_value(x)).collect();
        assert_eq!(got, [1, -1, 0, 0, 0, 0]);
    }

    #[test]
    fn infers_bars_per_day_from_spacing() {
        let h = 3_600_000;
        assert_eq!(bars_per_day_inferred(&[0, h, 2 * h, 5 * h]).unwrap(), 24);
        assert_eq!(bars_per_day_inferred(&[5 * h, 4 * h]).unwrap(), 24);
        assert_eq!(bars_per_day_inferred(&[0, 15 * 60_000]).unwrap(), 96);
        assert_eq!(bars_per_day_inferred(&[0, DAY_MS, 3 * DAY_MS]).unwrap(), 1);
        assert_eq!(bars_per_day_inferred(&[7]).unwrap(), 1);
        let err = bars_per_day_inferred(&[0, 7_000]).unwrap_err().to_string();
        assert!(err.contains("`7000` ms") && err.contains("9th argument"), "{err}");
        assert_eq!(bars_per_day_named("4h").unwrap(), 6);
        assert!(bars_per_day_named("7h").unwrap_err().to_string().contains("`7h`"));
    }

    #[test]
    fn runs_the_kernel_and_checks_risk() {
        let p = [100.0, 101.0, 102.0, 103.0];
        // Long at bar 1's open (101), closed and reversed at bar 3's open (103).
        let m = run(&p, &p, &p, &p, &[1, 0, -1, 0], Risk::default(), 24).unwrap();
        assert_eq!((m.trades, m.gross_loss), (1, 0.0));
        assert!(m.gross_profit > 0.0 && m.final_equity > 10_000.0);
        let err = run(&p, &p, &p, &p, &[0; 4], Risk { stop_loss: 2.0, take_profit: 0.0, leverage: 1.0 }, 24);
        assert!(err.unwrap_err().to_string().contains("stop_loss"));
    }
}
