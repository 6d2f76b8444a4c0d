//! `qm_backtest(open, high, low, close, signal, stop_loss, take_profit, leverage [, timeframe]
//! ORDER BY open_time)`: an aggregate gathering a group's candles and signals, ordering them
//! by its `ORDER BY` key and running the kernel once; returns a struct of the metrics.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array};
use arrow::compute::{concat, lexsort_to_indices, take, SortColumn, SortOptions};
use arrow::datatypes::{DataType, Field, FieldRef, Fields, Float64Type, TimeUnit};
use datafusion::common::scalar::ScalarStructBuilder;
use datafusion::common::utils::SingleRowListArrayBuilder;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::{format_state_name, AggregateOrderSensitivity};
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility};

use super::args::{coerce, constant_float, constant_text, floats, ArgKind};
use super::backtest::{
    bars_per_day_inferred, bars_per_day_named, metric_values, run, signal_value, MetricType, MetricValue, METRICS,
};
use super::error::FunctionError;
use crate::kernel::Risk;

const NAME: &str = "qm_backtest";

const ARGS: [(&str, ArgKind); 9] = [
    ("open", ArgKind::Float),
    ("high", ArgKind::Float),
    ("low", ArgKind::Float),
    ("close", ArgKind::Float),
    ("signal", ArgKind::Float),
    ("stop_loss", ArgKind::Float),
    ("take_profit", ArgKind::Float),
    ("leverage", ArgKind::Float),
    ("timeframe", ArgKind::Text),
];
/// Per-row series gathered: open, high, low, close, signal.
const SERIES: usize = 5;
/// Per-group constants: stop_loss, take_profit, leverage.
const RISK: usize = 3;

/// The struct type `qm_backtest` returns.
pub fn metrics_fields() -> Fields {
    METRICS
        .iter()
        .map(|(name, t)| {
            let dt = match t {
                MetricType::Float => DataType::Float64,
                MetricType::Int => DataType::Int64,
            };
            Field::new(*name, dt, false)
        })
        .collect()
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct BacktestUdaf {
    signature: Signature,
}

impl BacktestUdaf {
    pub fn udaf() -> AggregateUDF {
        AggregateUDF::new_from_impl(BacktestUdaf { signature: Signature::user_defined(Volatility::Immutable) })
    }
}

impl AggregateUDFImpl for BacktestUdaf {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        Ok(coerce(NAME, &ARGS, 1, arg_types)?)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(metrics_fields()))
    }

    fn accumulator(&self, acc_args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        if acc_args.order_bys.is_empty() {
            return Err(FunctionError::NoOrder.into());
        }
        let keys = acc_args
            .order_bys
            .iter()
            .map(|o| Ok((o.expr.data_type(acc_args.schema)?, o.options)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Box::new(BacktestAccumulator::new(acc_args.exprs.len() == ARGS.len(), keys)))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let list = |name: &str, dt: DataType| {
            let item = Field::new_list_field(dt, true);
            Arc::new(Field::new(format_state_name(args.name, name), DataType::List(Arc::new(item)), true))
        };
        let mut fields: Vec<FieldRef> = ARGS[..SERIES].iter().map(|(n, _)| list(n, DataType::Float64)).collect();
        for (n, _) in &ARGS[SERIES..SERIES + RISK] {
            fields.push(Arc::new(Field::new(format_state_name(args.name, n), DataType::Float64, true)));
        }
        fields.push(Arc::new(Field::new(format_state_name(args.name, "timeframe"), DataType::Utf8, true)));
        for (k, f) in args.ordering_fields.iter().enumerate() {
            fields.push(list(&format!("order_key_{k}"), f.data_type().clone()));
        }
        Ok(fields)
    }

    fn order_sensitivity(&self) -> AggregateOrderSensitivity {
        // The accumulator sorts each group by its ORDER BY key itself, so ordered input
        // only saves work.
        AggregateOrderSensitivity::Beneficial
    }

    fn with_beneficial_ordering(self: Arc<Self>, _ordered: bool) -> Result<Option<Arc<dyn AggregateUDFImpl>>> {
        Ok(Some(self))
    }
}

/// One group's rows, in arrival order until [`Accumulator::evaluate`] sorts them.
#[derive(Debug)]
struct BacktestAccumulator {
    series: [Vec<f64>; SERIES],
    risk: [Option<f64>; RISK],
    has_timeframe: bool,
    timeframe: Option<String>,
    /// ORDER BY key types, directions and gathered chunks.
    keys: Vec<(DataType, SortOptions)>,
    key_chunks: Vec<Vec<ArrayRef>>,
}

impl BacktestAccumulator {
    fn new(has_timeframe: bool, keys: Vec<(DataType, SortOptions)>) -> BacktestAccumulator {
        BacktestAccumulator {
            series: Default::default(),
            risk: [None; RISK],
            has_timeframe,
            timeframe: None,
            key_chunks: vec![Vec::new(); keys.len()],
            keys,
        }
    }

    fn set_risk(&mut self, i: usize, v: Option<f64>) -> Result<(), FunctionError> {
        let Some(v) = v else { return Ok(()) };
        match self.risk[i] {
            Some(old) if old.to_bits() != v.to_bits() => Err(FunctionError::NotConstant {
                function: NAME,
                arg: ARGS[SERIES + i].0,
                first: old.to_string(),
                other: v.to_string(),
            }),
            _ => {
                self.risk[i] = Some(v);
                Ok(())
            }
        }
    }

    fn set_timeframe(&mut self, v: Option<String>) -> Result<(), FunctionError> {
        let Some(v) = v else { return Ok(()) };
        match &self.timeframe {
            Some(old) if *old != v => {
                Err(FunctionError::NotConstant { function: NAME, arg: "timeframe", first: old.clone(), other: v })
            }
            _ => {
                self.timeframe = Some(v);
                Ok(())
            }
        }
    }

    fn rows(&self) -> usize {
        self.series[0].len()
    }

    /// The gathered ORDER BY keys, one array each.
    fn key_arrays(&self) -> Result<Vec<ArrayRef>> {
        self.keys
            .iter()
            .zip(&self.key_chunks)
            .map(|((dt, _), chunks)| {
                if chunks.is_empty() {
                    return Ok(arrow::array::new_empty_array(dt));
                }
                let refs: Vec<&dyn Array> = chunks.iter().map(|a| a.as_ref()).collect();
                Ok(concat(&refs)?)
            })
            .collect()
    }

    fn bars_per_day(&self, first_key: &ArrayRef) -> Result<usize, FunctionError> {
        if self.has_timeframe {
            let tf = self.timeframe.as_deref().ok_or(FunctionError::Null {
                function: NAME,
                arg: "timeframe",
                allowed: "a timeframe such as `1h`",
            })?;
            return bars_per_day_named(tf);
        }
        bars_per_day_inferred(&key_millis(first_key)?)
    }
}

/// Open times in ms from a timestamp or integer (taken as ms) ORDER BY key.
fn key_millis(a: &ArrayRef) -> Result<Vec<i64>, FunctionError> {
    let per_ms = match a.data_type() {
        DataType::Timestamp(TimeUnit::Second, _) => return Ok(ints(a, |v| v.saturating_mul(1000))),
        DataType::Timestamp(TimeUnit::Millisecond, _) => 1,
        DataType::Timestamp(TimeUnit::Microsecond, _) => 1_000,
        DataType::Timestamp(TimeUnit::Nanosecond, _) => 1_000_000,
        DataType::Int64 | DataType::Int32 | DataType::UInt32 | DataType::UInt64 => 1,
        other => return Err(FunctionError::UnknownKeyType { got: other.to_string() }),
    };
    Ok(ints(a, |v| v / per_ms))
}

fn ints(a: &ArrayRef, f: impl Fn(i64) -> i64) -> Vec<i64> {
    let cast = arrow::compute::cast(a, &DataType::Int64).expect("timestamps and integers cast to Int64");
    cast.as_primitive::<arrow::datatypes::Int64Type>().iter().flatten().map(f).collect()
}

fn list_scalar(a: ArrayRef) -> ScalarValue {
    SingleRowListArrayBuilder::new(a).build_list_scalar()
}

impl Accumulator for BacktestAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let n_args = if self.has_timeframe { ARGS.len() } else { ARGS.len() - 1 };
        for (i, s) in self.series.iter_mut().enumerate() {
            s.extend(floats(&values[i]));
        }
        for i in 0..RISK {
            let v = constant_float(NAME, ARGS[SERIES + i].0, &values[SERIES + i])?;
            self.set_risk(i, v)?;
        }
        if self.has_timeframe {
            let v = constant_text(NAME, "timeframe", &values[SERIES + RISK])?;
            self.set_timeframe(v)?;
        }
        for (k, chunks) in self.key_chunks.iter_mut().enumerate() {
            chunks.push(Arc::clone(&values[n_args + k]));
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let mut out: Vec<ScalarValue> =
            self.series.iter().map(|s| list_scalar(Arc::new(Float64Array::from(s.clone())))).collect();
        out.extend(self.risk.iter().map(|r| ScalarValue::Float64(*r)));
        out.push(ScalarValue::Utf8(self.timeframe.clone()));
        out.extend(self.key_arrays()?.into_iter().map(list_scalar));
        Ok(out)
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        for row in 0..states[0].len() {
            for (i, s) in self.series.iter_mut().enumerate() {
                let list = states[i].as_list::<i32>();
                if list.is_valid(row) {
                    s.extend(floats(&list.value(row)));
                }
            }
            for i in 0..RISK {
                let a = states[SERIES + i].as_primitive::<Float64Type>();
                self.set_risk(i, a.is_valid(row).then(|| a.value(row)))?;
            }
            let tf = states[SERIES + RISK].as_string::<i32>();
            self.set_timeframe(tf.is_valid(row).then(|| tf.value(row).to_string()))?;
            for (k, chunks) in self.key_chunks.iter_mut().enumerate() {
                let list = states[SERIES + RISK + 1 + k].as_list::<i32>();
                if list.is_valid(row) {
                    chunks.push(list.value(row));
                }
            }
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        if self.rows() == 0 {
            return Ok(ScalarStructBuilder::new_null(metrics_fields()));
        }
        let keys = self.key_arrays()?;
        let columns: Vec<SortColumn> = keys
            .iter()
            .zip(&self.keys)
            .map(|(values, (_, options))| SortColumn { values: Arc::clone(values), options: Some(*options) })
            .collect();
        let order = lexsort_to_indices(&columns, None)?;
        let sorted = |s: &[f64]| -> Vec<f64> { order.values().iter().map(|&i| s[i as usize]).collect() };
        let [open, high, low, close, signal] = &self.series;
        let (open, high, low, close) = (sorted(open), sorted(high), sorted(low), sorted(close));
        let signal: Vec<i8> = sorted(signal).into_iter().map(signal_value).collect();
        let first_key = take(keys[0].as_ref(), &order, None)?;
        let bars_per_day = self.bars_per_day(&first_key)?;
        let mut risk = [0.0; RISK];
        for (i, r) in risk.iter_mut().enumerate() {
            *r = self.risk[i].ok_or(FunctionError::Null {
                function: NAME,
                arg: ARGS[SERIES + i].0,
                allowed: "a number (0 turns stop-loss / take-profit off)",
            })?;
        }
        let risk = Risk { stop_loss: risk[0], take_profit: risk[1], leverage: risk[2] };
        let metrics = run(&open, &high, &low, &close, &signal, risk, bars_per_day)?;
        let mut builder = ScalarStructBuilder::new();
        for (field, value) in metrics_fields().iter().zip(metric_values(&metrics)) {
            let v = match value {
                MetricValue::Float(x) => ScalarValue::Float64(Some(x)),
                MetricValue::Int(x) => ScalarValue::Int64(Some(x)),
            };
            builder = builder.with_scalar(Arc::clone(field), v);
        }
        builder.build()
    }

    fn size(&self) -> usize {
        let rows: usize = self.series.iter().map(|s| s.capacity() * 8).sum();
        let keys: usize = self.key_chunks.iter().flatten().map(|a| a.get_array_memory_size()).sum();
        std::mem::size_of_val(self) + rows + keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, TimestampMillisecondArray};

    fn batch(times: Vec<i64>, closes: Vec<f64>, signals: Vec<f64>) -> Vec<ArrayRef> {
        let n = times.len();
        let f = |v: Vec<f64>| Arc::new(Float64Array::from(v)) as ArrayRef;
        vec![
            f(closes.clone()),
            f(closes.clone()),
            f(closes.clone()),
            f(closes),
            f(signals),
            f(vec![0.0; n]),
            f(vec![0.0; n]),
            f(vec![1.0; n]),
            Arc::new(TimestampMillisecondArray::from(times).with_timezone("UTC")),
        ]
    }

    fn accumulator() -> BacktestAccumulator {
        let ts = DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
        BacktestAccumulator::new(false, vec![(ts, SortOptions::default())])
    }

    fn field(v: &ScalarValue, name: &str) -> ScalarValue {
        let ScalarValue::Struct(s) = v else { panic!("{v:?}") };
        ScalarValue::try_from_array(s.column_by_name(name).unwrap(), 0).unwrap()
    }

    #[test]
    fn sorts_rows_and_merges_states() {
        let h = 3_600_000;
        // Rows arrive out of order and in two partial states.
        let mut a = accumulator();
        a.update_batch(&batch(vec![2 * h, 0], vec![103.0, 100.0], vec![-1.0, 1.0])).unwrap();
        let mut b = accumulator();
        b.update_batch(&batch(vec![3 * h, h], vec![104.0, 101.0], vec![0.0, 0.0])).unwrap();
        let state: Vec<ArrayRef> = b.state().unwrap().iter().map(|s| s.to_array().unwrap()).collect();
        a.merge_batch(&state).unwrap();
        let got = a.evaluate().unwrap();
        let p = [100.0, 101.0, 103.0, 104.0];
        let want = run(&p, &p, &p, &p, &[1, 0, -1, 0], Risk::default(), 24).unwrap();
        assert_eq!(field(&got, "final_equity"), ScalarValue::Float64(Some(want.final_equity)));
        assert_eq!(field(&got, "trades"), ScalarValue::Int64(Some(1)));
    }

    #[test]
    fn risk_must_be_constant() {
        let mut a = accumulator();
        let mut v = batch(vec![0, 1], vec![1.0, 1.0], vec![0.0, 0.0]);
        v[5] = Arc::new(Float64Array::from(vec![0.01, 0.02]));
        let err = a.update_batch(&v).unwrap_err().to_string();
        assert!(err.contains("`stop_loss`") && err.contains("`0.01` and `0.02`"), "{err}");
    }

    #[test]
    fn integer_keys_are_milliseconds() {
        let a: ArrayRef = Arc::new(Int64Array::from(vec![0, 900_000]));
        assert_eq!(bars_per_day_inferred(&key_millis(&a).unwrap()).unwrap(), 96);
        let s: ArrayRef = Arc::new(arrow::array::StringArray::from(vec!["a"]));
        assert!(key_millis(&s).unwrap_err().to_string().contains("`Utf8`"));
    }

    #[test]
    fn empty_group_is_null() {
        assert!(accumulator().evaluate().unwrap().is_null());
    }
}
