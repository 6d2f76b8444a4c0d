//! `qm strategies`: the strategy registry as a table (names, parameters, ranges, grid sizes).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use arrow::array::{ArrayRef, Float64Array, StringArray, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;

use super::Globals;
use crate::output::{emit, Format};
use crate::strategies::{StrategyDef, STRATEGIES};

#[derive(Debug, clap::Args)]
pub struct StrategiesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// One row per parameter (kind, range, grid values) instead of one row per strategy.
    #[arg(long)]
    pub params: bool,
    /// Write to this file instead of stdout.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

pub fn run(args: StrategiesArgs, _g: &Globals) -> anyhow::Result<()> {
    let (schema, batch) = if args.params { parameter_table()? } else { strategy_table()? };
    emit(&schema, &[batch], args.format, args.output.as_deref()).context("cannot write the strategy list")?;
    Ok(())
}

fn signature(def: &StrategyDef) -> String {
    def.params
        .iter()
        .map(|p| format!("{} ({} {})", p.name, p.kind.as_str(), p.range_text()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn constraints(def: &StrategyDef) -> String {
    def.constraints.iter().map(|c| format!("{} < {}", c.lesser, c.greater)).collect::<Vec<_>>().join(", ")
}

/// One row per strategy: `strategy, aliases, parameters, constraints, grid_size`.
pub fn strategy_table() -> anyhow::Result<(SchemaRef, RecordBatch)> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("strategy", DataType::Utf8, false),
        Field::new("aliases", DataType::Utf8, true),
        Field::new("parameters", DataType::Utf8, false),
        Field::new("constraints", DataType::Utf8, true),
        Field::new("grid_size", DataType::UInt64, false),
    ]));
    let defs = STRATEGIES.iter();
    let nonempty = |s: String| if s.is_empty() { None } else { Some(s) };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(defs.clone().map(|d| d.name))),
        Arc::new(StringArray::from_iter(defs.clone().map(|d| nonempty(d.aliases.join(", "))))),
        Arc::new(StringArray::from_iter_values(defs.clone().map(|d| signature(d)))),
        Arc::new(StringArray::from_iter(defs.clone().map(|d| nonempty(constraints(d))))),
        Arc::new(UInt64Array::from_iter_values(defs.map(|d| d.grid_size() as u64))),
    ];
    let batch = RecordBatch::try_new(Arc::clone(&schema), columns)?;
    Ok((schema, batch))
}

/// One row per parameter: `strategy, parameter, kind, min, max, grid_values`.
pub fn parameter_table() -> anyhow::Result<(SchemaRef, RecordBatch)> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("strategy", DataType::Utf8, false),
        Field::new("parameter", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("min", DataType::Float64, false),
        Field::new("max", DataType::Float64, false),
        Field::new("grid_values", DataType::Utf8, false),
    ]));
    let rows: Vec<_> = STRATEGIES.iter().flat_map(|d| d.params.iter().map(move |p| (d.name, p))).collect();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(rows.iter().map(|(s, _)| *s))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|(_, p)| p.name))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|(_, p)| p.kind.as_str()))),
        Arc::new(Float64Array::from_iter_values(rows.iter().map(|(_, p)| p.min))),
        Arc::new(Float64Array::from_iter_values(rows.iter().map(|(_, p)| p.max))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|(_, p)| {
            p.grid.iter().map(|&v| p.value(v).to_string()).collect::<Vec<_>>().join(", ")
        }))),
    ];
    let batch = RecordBatch::try_new(Arc::clone(&schema), columns)?;
    Ok((schema, batch))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::AsArray;
    use arrow::datatypes::UInt64Type;

    #[test]
    fn one_row_per_strategy_with_grid_sizes() {
        let (_, b) = strategy_table().unwrap();
        assert_eq!(b.num_rows(), 29);
        let sizes = b.column(4).as_primitive::<UInt64Type>();
        assert_eq!(sizes.values().iter().sum::<u64>(), 17_273);
        let names = b.column(0).as_string::<i32>();
        let rsi = (0..29).find(|&i| names.value(i) == "RSI+EMA").unwrap();
        assert_eq!(sizes.value(rsi), 4_536);
        let params = b.column(2).as_string::<i32>();
        assert_eq!(params.value(0), "lookback (int 1..=10000)");
        assert_eq!(b.column(1).as_string::<i32>().value(0), "Momentum Strategy");
        let macd = (0..29).find(|&i| names.value(i) == "MACD").unwrap();
        assert_eq!(b.column(3).as_string::<i32>().value(macd), "fast < slow");
    }

    #[test]
    fn one_row_per_parameter_with_grid_values() {
        let (_, b) = parameter_table().unwrap();
        let n: usize = STRATEGIES.iter().map(|d| d.params.len()).sum();
        assert_eq!(b.num_rows(), n);
        let names = b.column(1).as_string::<i32>();
        let i = (0..n).find(|&i| names.value(i) == "num_std").unwrap();
        assert!(b.column(5).as_string::<i32>().value(i).starts_with("0.3, 0.5, 0.75, 1.0"));
        assert_eq!(b.column(2).as_string::<i32>().value(i), "float");
    }

    #[test]
    fn every_format_renders() {
        let (s, b) = strategy_table().unwrap();
        for f in [Format::Table, Format::Csv, Format::Json, Format::Parquet] {
            assert!(!crate::output::render(&s, &[b.clone()], f).unwrap().is_empty());
        }
    }
}
