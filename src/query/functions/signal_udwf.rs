//! `qm_signal(strategy, params_json, open, high, low, close, volume)`: a strategy's signals
//! as a window function, computed by the strategies module itself over each partition.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int8Array};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::error::Result;
use datafusion::logical_expr::function::{PartitionEvaluatorArgs, WindowUDFFieldArgs};
use datafusion::logical_expr::{PartitionEvaluator, Signature, Volatility, WindowUDF, WindowUDFImpl};

use super::args::{coerce, constant_text, floats, ArgKind};
use super::error::FunctionError;
use crate::candles::Candles;
use crate::strategies::{parse_combo, signals_into, IndicatorCache};

const NAME: &str = "qm_signal";

const ARGS: [(&str, ArgKind); 7] = [
    ("strategy", ArgKind::Text),
    ("params_json", ArgKind::Text),
    ("open", ArgKind::Float),
    ("high", ArgKind::Float),
    ("low", ArgKind::Float),
    ("close", ArgKind::Float),
    ("volume", ArgKind::Float),
];

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct SignalUdwf {
    signature: Signature,
}

impl SignalUdwf {
    pub fn udwf() -> WindowUDF {
        WindowUDF::new_from_impl(SignalUdwf { signature: Signature::user_defined(Volatility::Immutable) })
    }
}

impl WindowUDFImpl for SignalUdwf {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        Ok(coerce(NAME, &ARGS, 0, arg_types)?)
    }

    fn partition_evaluator(&self, _args: PartitionEvaluatorArgs) -> Result<Box<dyn PartitionEvaluator>> {
        Ok(Box::new(SignalEvaluator))
    }

    fn field(&self, field_args: WindowUDFFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(Field::new(field_args.name(), DataType::Int8, false)))
    }
}

#[derive(Debug)]
struct SignalEvaluator;

impl PartitionEvaluator for SignalEvaluator {
    fn evaluate_all(&mut self, values: &[ArrayRef], num_rows: usize) -> Result<ArrayRef> {
        Ok(Arc::new(Int8Array::from(partition_signals(values, num_rows)?)))
    }
}

/// The signals of one partition (rows already in `ORDER BY` order).
fn partition_signals(values: &[ArrayRef], num_rows: usize) -> Result<Vec<i8>, FunctionError> {
    let strategy = constant_text(NAME, "strategy", &values[0])?;
    let params = constant_text(NAME, "params_json", &values[1])?;
    let (Some(strategy), Some(params)) = (strategy, params) else {
        if num_rows == 0 {
            return Ok(Vec::new());
        }
        let arg = if values[0].null_count() > 0 { "strategy" } else { "params_json" };
        return Err(FunctionError::Null { function: NAME, arg, allowed: "a strategy name and a JSON object of its parameters" });
    };
    let json: serde_json::Value = serde_json::from_str(&params)
        .map_err(|e| FunctionError::ParamsJson { text: params.clone(), message: e.to_string() })?;
    let combo = parse_combo(&strategy, &json)?;
    let candles = Candles {
        // Signals never read times; the rows arrive in the window's order.
        open_time: (0..num_rows as i64).collect(),
        open: floats(&values[2]),
        high: floats(&values[3]),
        low: floats(&values[4]),
        close: floats(&values[5]),
        volume: floats(&values[6]),
    };
    let cache = IndicatorCache::new(&candles);
    let mut out = vec![0i8; num_rows];
    signals_into(&combo, &cache, &mut out);
    Ok(out)
}
