//! DataFusion window functions over [`Indicator`]: `sma(x, n) OVER (PARTITION BY symbol,
//! timeframe ORDER BY open_time)` and friends, one evaluation per whole partition.

use std::sync::Arc;

use arrow::array::ArrayRef;
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::error::Result;
use datafusion::logical_expr::function::{PartitionEvaluatorArgs, WindowUDFFieldArgs};
use datafusion::logical_expr::{PartitionEvaluator, Signature, Volatility, WindowUDF, WindowUDFImpl};

use super::args::{coerce, constant_float, constant_int, floats, nan_to_null, ArgKind};
use super::error::FunctionError;
use super::indicators::{Indicator, MAX_WINDOW};

/// One indicator as a window function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct IndicatorUdwf {
    indicator: Indicator,
    signature: Signature,
}

impl IndicatorUdwf {
    pub fn new(indicator: Indicator) -> IndicatorUdwf {
        IndicatorUdwf { indicator, signature: Signature::user_defined(Volatility::Immutable) }
    }

    pub fn udwf(indicator: Indicator) -> WindowUDF {
        WindowUDF::new_from_impl(IndicatorUdwf::new(indicator))
    }

    /// Argument names and kinds, in call order.
    fn args(&self) -> Vec<(&'static str, ArgKind)> {
        let mut a = match self.indicator.series() {
            3 => vec![("high", ArgKind::Float), ("low", ArgKind::Float), ("close", ArgKind::Float)],
            _ => vec![("x", ArgKind::Float)],
        };
        a.push(("n", ArgKind::Int));
        if self.indicator.has_multiplier() {
            a.push(("k", ArgKind::Float));
        }
        a
    }
}

impl WindowUDFImpl for IndicatorUdwf {
    fn name(&self) -> &str {
        self.indicator.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        Ok(coerce(self.indicator.name(), &self.args(), 0, arg_types)?)
    }

    fn partition_evaluator(&self, _args: PartitionEvaluatorArgs) -> Result<Box<dyn PartitionEvaluator>> {
        Ok(Box::new(IndicatorEvaluator { indicator: self.indicator }))
    }

    fn field(&self, field_args: WindowUDFFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(Field::new(field_args.name(), DataType::Float64, true)))
    }
}

#[derive(Debug)]
struct IndicatorEvaluator {
    indicator: Indicator,
}

impl PartitionEvaluator for IndicatorEvaluator {
    fn evaluate_all(&mut self, values: &[ArrayRef], num_rows: usize) -> Result<ArrayRef> {
        let ind = self.indicator;
        let name = ind.name();
        let series = ind.series();
        let Some(n) = constant_int(name, "n", &values[series])? else {
            // No rows, or a NULL window: nothing to compute.
            return Ok(nan_to_null(vec![f64::NAN; num_rows]));
        };
        if !(1..=MAX_WINDOW).contains(&n) {
            let allowed = "an integer window length in 1..=10000";
            return Err(FunctionError::OutOfRange { function: name, arg: "n", value: n.to_string(), allowed }.into());
        }
        let k = if ind.has_multiplier() {
            match constant_float(name, "k", &values[series + 1])? {
                Some(k) if k.is_finite() => k,
                Some(k) => {
                    let allowed = "a finite number";
                    return Err(FunctionError::OutOfRange { function: name, arg: "k", value: k.to_string(), allowed }.into());
                }
                None => return Ok(nan_to_null(vec![f64::NAN; num_rows])),
            }
        } else {
            0.0
        };
        let cols: Vec<Vec<f64>> = values[..series].iter().map(floats).collect();
        let inputs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        Ok(nan_to_null(ind.compute(&inputs, n as usize, k)))
    }
}
