//! Parquet candle files: columns found by name, times as epoch integers, Arrow timestamps,
//! dates or ISO text, prices as any numeric or text type.

use std::fs::File;
use std::path::Path;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type, Int64Type, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::columns::{is_time, map_headers, missing_required, parse_count, Builder, Role};
use super::time::{epoch_to_millis, parse_millis};
use super::ImportError;
use super::Ohlcv;

/// Read the Parquet file at `path`; `name` is how errors call it.
pub fn read_parquet(path: &Path, name: &str) -> Result<Ohlcv, ImportError> {
    let file = File::open(path).map_err(|source| ImportError::Read { path: name.to_string(), source })?;
    let parquet_err = |source| ImportError::Parquet { path: name.to_string(), source };
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet_err)?;
    let schema = builder.schema().clone();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let map = map_headers(&names);
    if let Some(role) = missing_required(&map) {
        return Err(ImportError::MissingColumn { path: name.to_string(), column: role.name(), found: names.join(", ") });
    }
    for &(role, idx) in &map {
        let dt = schema.field(idx).data_type();
        if !supported(role, dt) {
            return Err(ImportError::ColumnType {
                path: name.to_string(),
                column: names[idx].to_string(),
                data_type: dt.to_string(),
                allowed: if is_time(role) {
                    "integers (epoch ms or µs), timestamps, dates or ISO 8601 text"
                } else {
                    "numbers or numeric text"
                },
            });
        }
    }
    let reader = builder.with_batch_size(64 * 1024).build().map_err(parquet_err)?;
    let mut b = Builder::for_roles(&map);
    let mut done = 0usize;
    for batch in reader {
        let batch = batch.map_err(|source| ImportError::Arrow { path: name.to_string(), source })?;
        for &(role, idx) in &map {
            let col = Column { path: name, role, first_row: done + 1 };
            col.append(batch.column(idx), &mut b)?;
        }
        done += batch.num_rows();
    }
    Ok(b.finish())
}

fn is_text(dt: &DataType) -> bool {
    match dt {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, v) => is_text(v),
        _ => false,
    }
}

fn supported(role: Role, dt: &DataType) -> bool {
    let numeric = dt.is_integer() || dt.is_floating() || matches!(dt, DataType::Decimal128(..) | DataType::Decimal256(..));
    is_text(dt)
        || numeric
        || (is_time(role) && matches!(dt, DataType::Timestamp(..) | DataType::Date32 | DataType::Date64))
}

/// One source column of one batch being appended; `first_row` is the batch's first data row
/// (1-based) for errors.
struct Column<'a> {
    path: &'a str,
    role: Role,
    first_row: usize,
}

impl Column<'_> {
    fn err(&self, i: usize, problem: String) -> ImportError {
        ImportError::Row { path: self.path.to_string(), row: self.first_row + i, problem }
    }

    fn cast(&self, a: &ArrayRef, to: &DataType) -> Result<ArrayRef, ImportError> {
        cast(a, to).map_err(|source| ImportError::Arrow { path: self.path.to_string(), source })
    }

    fn check_nulls(&self, a: &dyn Array) -> Result<(), ImportError> {
        match (0..a.len()).find(|&i| a.is_null(i)) {
            Some(i) => Err(self.err(i, format!("`{}` is null", self.role.name()))),
            None => Ok(()),
        }
    }

    fn append(&self, a: &ArrayRef, b: &mut Builder) -> Result<(), ImportError> {
        self.check_nulls(a.as_ref())?;
        let dt = a.data_type();
        let name = self.role.name();
        if is_text(dt) {
            let s = self.cast(a, &DataType::Utf8)?;
            for (i, cell) in s.as_string::<i32>().iter().enumerate() {
                let cell = cell.unwrap_or_default();
                if is_time(self.role) {
                    let ms = parse_millis(cell).ok_or_else(|| {
                        self.err(i, format!("`{name}` value `{cell}` is not a timestamp (epoch ms or µs, or ISO 8601)"))
                    })?;
                    b.push_i64(self.role, ms);
                } else if self.role == Role::Trades {
                    let n = parse_count(cell)
                        .ok_or_else(|| self.err(i, format!("`{name}` value `{cell}` is not an integer")))?;
                    b.push_i64(self.role, n);
                } else {
                    let v: f64 =
                        cell.trim().parse().map_err(|_| self.err(i, format!("`{name}` value `{cell}` is not a number")))?;
                    b.push_f64(self.role, v);
                }
            }
            return Ok(());
        }
        if is_time(self.role) {
            let to_ms: Box<dyn Fn(i64) -> Option<i64>> = match dt {
                DataType::Timestamp(TimeUnit::Second, _) => Box::new(|v| v.checked_mul(1000)),
                DataType::Timestamp(TimeUnit::Millisecond, _) | DataType::Date64 => Box::new(Some),
                DataType::Timestamp(TimeUnit::Microsecond, _) => Box::new(|v| Some(v.div_euclid(1000))),
                DataType::Timestamp(TimeUnit::Nanosecond, _) => Box::new(|v| Some(v.div_euclid(1_000_000))),
                DataType::Date32 => Box::new(|v| v.checked_mul(86_400_000)),
                _ => Box::new(|v| Some(epoch_to_millis(v))),
            };
            return self.append_ints(a, b, &*to_ms);
        }
        if self.role == Role::Trades {
            return self.append_ints(a, b, &Some);
        }
        let f = self.cast(a, &DataType::Float64)?;
        self.check_nulls(f.as_ref())?;
        for v in f.as_primitive::<Float64Type>().values().iter() {
            b.push_f64(self.role, *v);
        }
        Ok(())
    }

    /// Integer-valued cells (floats must be integral) mapped through `to_ms`.
    fn append_ints(&self, a: &ArrayRef, b: &mut Builder, to_ms: &dyn Fn(i64) -> Option<i64>) -> Result<(), ImportError> {
        let name = self.role.name();
        let ints: Vec<i64> = if a.data_type().is_floating() {
            let f = self.cast(a, &DataType::Float64)?;
            let mut out = Vec::with_capacity(f.len());
            for (i, v) in f.as_primitive::<Float64Type>().values().iter().enumerate() {
                if !(v.is_finite() && v.fract() == 0.0 && v.abs() < 9.0e15) {
                    return Err(self.err(i, format!("`{name}` value `{v}` is not an integer")));
                }
                out.push(*v as i64);
            }
            out
        } else {
            // Timestamps, dates and integers all cast to their raw i64 counts.
            let raw = match a.data_type() {
                DataType::Timestamp(..) | DataType::Date64 | DataType::Date32 => {
                    let wide = if *a.data_type() == DataType::Date32 { self.cast(a, &DataType::Int32)? } else { a.clone() };
                    self.cast(&wide, &DataType::Int64)?
                }
                _ => self.cast(a, &DataType::Int64)?,
            };
            // An unsigned value beyond i64 casts to null.
            self.check_nulls(raw.as_ref())?;
            raw.as_primitive::<Int64Type>().values().to_vec()
        };
        for (i, v) in ints.into_iter().enumerate() {
            let ms = to_ms(v).ok_or_else(|| self.err(i, format!("`{name}` value `{v}` is out of range")))?;
            b.push_i64(self.role, ms);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Float32Array, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
    use arrow::datatypes::{Field, Schema};
    use std::sync::Arc;

    fn write(dir: &Path, name: &str, batch: &RecordBatch) -> std::path::PathBuf {
        let p = dir.join(name);
        let f = File::create(&p).unwrap();
        let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), None).unwrap();
        w.write(batch).unwrap();
        w.close().unwrap();
        p
    }

    fn prices(n: usize) -> Vec<ArrayRef> {
        let v: Vec<f64> = (0..n).map(|i| 10.0 + i as f64).collect();
        (0..5).map(|_| Arc::new(Float64Array::from(v.clone())) as ArrayRef).collect()
    }

    #[test]
    fn timestamp_column_with_tz_and_extras() {
        let dir = tempfile::tempdir().unwrap();
        let t = TimestampMicrosecondArray::from(vec![1_704_067_200_000_000, 1_704_070_800_000_000]).with_timezone("UTC");
        let mut cols: Vec<ArrayRef> = vec![Arc::new(t)];
        cols.extend(prices(2));
        cols.push(Arc::new(Int64Array::from(vec![5, 6])));
        cols.push(Arc::new(Float32Array::from(vec![1.5, 2.5])));
        let schema = Schema::new(vec![
            Field::new("open_time", cols[0].data_type().clone(), false),
            Field::new("Open", DataType::Float64, false),
            Field::new("High", DataType::Float64, false),
            Field::new("Low", DataType::Float64, false),
            Field::new("Close", DataType::Float64, false),
            Field::new("Volume", DataType::Float64, false),
            Field::new("trades", DataType::Int64, false),
            Field::new("quote_volume", DataType::Float32, false),
        ]);
        let batch = RecordBatch::try_new(Arc::new(schema), cols).unwrap();
        let p = write(dir.path(), "t.parquet", &batch);
        let o = read_parquet(&p, "t.parquet").unwrap();
        assert_eq!(o.candles.open_time, vec![1_704_067_200_000, 1_704_070_800_000]);
        assert_eq!(o.candles.close, vec![10.0, 11.0]);
        assert_eq!(o.trades, Some(vec![5, 6]));
        assert_eq!(o.quote_volume, Some(vec![1.5, 2.5]));
        assert!(o.close_time.is_none());
    }

    #[test]
    fn text_times_and_bad_cells() {
        let dir = tempfile::tempdir().unwrap();
        let mut cols: Vec<ArrayRef> = vec![Arc::new(StringArray::from(vec!["2024-01-01T00:00:00Z", "later"]))];
        cols.extend(prices(2));
        let fields: Vec<Field> = ["open_time", "open", "high", "low", "close", "volume"]
            .iter()
            .zip(&cols)
            .map(|(n, c)| Field::new(*n, c.data_type().clone(), true))
            .collect();
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).unwrap();
        let p = write(dir.path(), "s.parquet", &batch);
        let e = read_parquet(&p, "s.parquet").unwrap_err().to_string();
        assert!(e.starts_with("`s.parquet` row 2: `open_time` value `later`"), "{e}");
    }

    #[test]
    fn nulls_and_missing_columns() {
        let dir = tempfile::tempdir().unwrap();
        let mut cols: Vec<ArrayRef> = vec![Arc::new(Int64Array::from(vec![1, 2]))];
        cols.extend(prices(2));
        cols[3] = Arc::new(Float64Array::from(vec![Some(1.0), None]));
        let fields: Vec<Field> = ["open_time", "open", "high", "low", "close", "volume"]
            .iter()
            .map(|n| Field::new(*n, if *n == "open_time" { DataType::Int64 } else { DataType::Float64 }, true))
            .collect();
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), cols.clone()).unwrap();
        let p = write(dir.path(), "n.parquet", &batch);
        let e = read_parquet(&p, "n.parquet").unwrap_err().to_string();
        assert_eq!(e, "`n.parquet` row 2: `low` is null");

        let fields: Vec<Field> = ["ts", "open", "high", "low", "close", "volume"]
            .iter()
            .map(|n| Field::new(*n, if *n == "ts" { DataType::Int64 } else { DataType::Float64 }, true))
            .collect();
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).unwrap();
        let p = write(dir.path(), "m.parquet", &batch);
        let e = read_parquet(&p, "m.parquet").unwrap_err().to_string();
        assert!(e.contains("no `open_time` column") && e.contains("ts, open"), "{e}");
    }
}
