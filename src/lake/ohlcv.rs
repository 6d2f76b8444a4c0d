//! The `ohlcv` table: schema, Arrow conversion, validation and merging of candle series.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array, Int64Array, RecordBatch, TimestampMillisecondArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

use super::LakeError;
use crate::candles::Candles;

/// OHLCV plus Binance's optional extra columns (`None` when the source lacks them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ohlcv {
    pub candles: Candles,
    pub close_time: Option<Vec<i64>>,
    pub quote_volume: Option<Vec<f64>>,
    pub trades: Option<Vec<i64>>,
    pub taker_buy_base: Option<Vec<f64>>,
    pub taker_buy_quote: Option<Vec<f64>>,
}

/// A hole in a series: no candle between `after` and `before` (open times, ms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    pub after: i64,
    pub before: i64,
    pub missing: usize,
}

/// What a merge changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeReport {
    pub added: usize,
    pub total: usize,
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub gaps: Vec<Gap>,
}

fn ts_type() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

/// The stored schema of `ohlcv` files (partition columns excluded).
pub fn ohlcv_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("open_time", ts_type(), false),
        Field::new("open", DataType::Float64, false),
        Field::new("high", DataType::Float64, false),
        Field::new("low", DataType::Float64, false),
        Field::new("close", DataType::Float64, false),
        Field::new("volume", DataType::Float64, false),
        Field::new("close_time", ts_type(), true),
        Field::new("quote_volume", DataType::Float64, true),
        Field::new("trades", DataType::Int64, true),
        Field::new("taker_buy_base", DataType::Float64, true),
        Field::new("taker_buy_quote", DataType::Float64, true),
    ]))
}

fn f64_opt(v: &Option<Vec<f64>>, n: usize) -> ArrayRef {
    match v {
        Some(v) => Arc::new(Float64Array::from(v.clone())),
        None => Arc::new(Float64Array::new_null(n)),
    }
}

impl Ohlcv {
    pub fn from_candles(candles: Candles) -> Ohlcv {
        Ohlcv { candles, ..Default::default() }
    }

    pub fn len(&self) -> usize {
        self.candles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.candles.is_empty()
    }

    /// One record batch in the stored schema.
    pub fn to_batch(&self) -> Result<RecordBatch, LakeError> {
        let c = &self.candles;
        let n = c.len();
        let close_time: ArrayRef = match &self.close_time {
            Some(v) => Arc::new(TimestampMillisecondArray::from(v.clone()).with_timezone("UTC")),
            None => Arc::new(TimestampMillisecondArray::new_null(n).with_timezone("UTC")),
        };
        let trades: ArrayRef = match &self.trades {
            Some(v) => Arc::new(Int64Array::from(v.clone())),
            None => Arc::new(Int64Array::new_null(n)),
        };
        let cols: Vec<ArrayRef> = vec![
            Arc::new(TimestampMillisecondArray::from(c.open_time.clone()).with_timezone("UTC")),
            Arc::new(Float64Array::from(c.open.clone())),
            Arc::new(Float64Array::from(c.high.clone())),
            Arc::new(Float64Array::from(c.low.clone())),
            Arc::new(Float64Array::from(c.close.clone())),
            Arc::new(Float64Array::from(c.volume.clone())),
            close_time,
            f64_opt(&self.quote_volume, n),
            trades,
            f64_opt(&self.taker_buy_base, n),
            f64_opt(&self.taker_buy_quote, n),
        ];
        Ok(RecordBatch::try_new(ohlcv_schema(), cols)?)
    }

    /// Read batches that carry at least `open_time` (timestamp or integer ms) and OHLCV;
    /// the extra columns are taken when present and fully non-null.
    pub fn from_batches(batches: &[RecordBatch]) -> Result<Ohlcv, LakeError> {
        let mut out = Ohlcv::default();
        let mut extras: [Option<Vec<f64>>; 3] = [Some(vec![]), Some(vec![]), Some(vec![])];
        let mut close_time = Some(vec![]);
        let mut trades = Some(vec![]);
        for b in batches {
            let c = &mut out.candles;
            c.open_time.extend(i64_col(b, "open_time")?.ok_or_else(|| missing("open_time"))?.into_iter().map(|v| v.unwrap_or(i64::MIN)));
            for (name, dst) in [("open", &mut c.open), ("high", &mut c.high), ("low", &mut c.low), ("close", &mut c.close), ("volume", &mut c.volume)] {
                let col = f64_col(b, name)?.ok_or_else(|| missing(name))?;
                dst.extend(col.into_iter().map(|v| v.unwrap_or(f64::NAN)));
            }
            for (slot, name) in extras.iter_mut().zip(["quote_volume", "taker_buy_base", "taker_buy_quote"]) {
                merge_opt(slot, f64_col(b, name)?);
            }
            merge_opt(&mut close_time, i64_col(b, "close_time")?);
            merge_opt(&mut trades, i64_col(b, "trades")?);
        }
        let [q, tb, tq] = extras;
        out.quote_volume = q;
        out.taker_buy_base = tb;
        out.taker_buy_quote = tq;
        out.close_time = close_time;
        out.trades = trades;
        Ok(out)
    }

    /// Check ordering and candle sanity; `row` in the error is 1-based.
    pub fn validate(&self, symbol: &str, timeframe: &str) -> Result<(), LakeError> {
        let c = &self.candles;
        let bad = |row: usize, reason: String| LakeError::InvalidCandles {
            symbol: symbol.to_string(),
            timeframe: timeframe.to_string(),
            row: row + 1,
            reason,
        };
        for i in 0..c.len() {
            if i > 0 && c.open_time[i] <= c.open_time[i - 1] {
                let what = if c.open_time[i] == c.open_time[i - 1] { "duplicate" } else { "unordered" };
                return Err(bad(i, format!("{what} open_time {}", c.open_time[i])));
            }
            let (o, h, l, cl, v) = (c.open[i], c.high[i], c.low[i], c.close[i], c.volume[i]);
            for (name, x) in [("open", o), ("high", h), ("low", l), ("close", cl)] {
                if !x.is_finite() || x < 0.0 {
                    return Err(bad(i, format!("{name} is `{x}`; prices must be finite and >= 0")));
                }
            }
            if !v.is_finite() || v < 0.0 {
                return Err(bad(i, format!("volume is `{v}`; it must be finite and >= 0")));
            }
            if h < l {
                return Err(bad(i, format!("high `{h}` is below low `{l}`")));
            }
            for (name, x) in [("open", o), ("close", cl)] {
                if x < l || x > h {
                    return Err(bad(i, format!("{name} `{x}` is outside [low `{l}`, high `{h}`]")));
                }
            }
        }
        Ok(())
    }

    fn push_row(&mut self, src: &Ohlcv, i: usize) {
        let (d, s) = (&mut self.candles, &src.candles);
        d.open_time.push(s.open_time[i]);
        d.open.push(s.open[i]);
        d.high.push(s.high[i]);
        d.low.push(s.low[i]);
        d.close.push(s.close[i]);
        d.volume.push(s.volume[i]);
        push_opt(&mut self.close_time, &src.close_time, i);
        push_opt(&mut self.quote_volume, &src.quote_volume, i);
        push_opt(&mut self.trades, &src.trades, i);
        push_opt(&mut self.taker_buy_base, &src.taker_buy_base, i);
        push_opt(&mut self.taker_buy_quote, &src.taker_buy_quote, i);
    }

    fn empty_like(a: &Ohlcv, b: &Ohlcv) -> Ohlcv {
        fn both<T, U>(x: &Option<Vec<T>>, y: &Option<Vec<T>>) -> Option<Vec<U>> {
            (x.is_some() && y.is_some()).then(Vec::new)
        }
        Ohlcv {
            candles: Candles::default(),
            close_time: both(&a.close_time, &b.close_time),
            quote_volume: both(&a.quote_volume, &b.quote_volume),
            trades: both(&a.trades, &b.trades),
            taker_buy_base: both(&a.taker_buy_base, &b.taker_buy_base),
            taker_buy_quote: both(&a.taker_buy_quote, &b.taker_buy_quote),
        }
    }

    /// Sorted union of two sorted series; on equal `open_time` the row of `incoming` wins.
    /// An extra column survives only when both sides have it (else it would be half null).
    pub fn merge(stored: &Ohlcv, incoming: &Ohlcv) -> (Ohlcv, usize) {
        let mut out = Ohlcv::empty_like(stored, incoming);
        let (a, b) = (&stored.candles.open_time, &incoming.candles.open_time);
        let (mut i, mut j, mut added) = (0, 0, 0);
        while i < a.len() || j < b.len() {
            if j >= b.len() || (i < a.len() && a[i] < b[j]) {
                out.push_row(stored, i);
                i += 1;
            } else {
                if i < a.len() && a[i] == b[j] {
                    i += 1;
                } else {
                    added += 1;
                }
                out.push_row(incoming, j);
                j += 1;
            }
        }
        (out, added)
    }

    /// Holes where consecutive open times are further apart than one interval.
    pub fn gaps(&self, interval_ms: i64) -> Vec<Gap> {
        self.candles
            .open_time
            .windows(2)
            .filter(|w| w[1] - w[0] > interval_ms)
            .map(|w| Gap { after: w[0], before: w[1], missing: ((w[1] - w[0]) / interval_ms - 1) as usize })
            .collect()
    }
}

fn push_opt<T: Copy>(dst: &mut Option<Vec<T>>, src: &Option<Vec<T>>, i: usize) {
    if let (Some(d), Some(s)) = (dst.as_mut(), src.as_ref()) {
        d.push(s[i]);
    }
}

fn merge_opt<T>(slot: &mut Option<Vec<T>>, col: Option<Vec<Option<T>>>) {
    match col {
        Some(v) if v.iter().all(Option::is_some) => {
            if let Some(s) = slot.as_mut() {
                s.extend(v.into_iter().flatten());
            }
        }
        _ => *slot = None,
    }
}

fn missing(name: &str) -> LakeError {
    LakeError::Corrupt { path: String::new(), reason: format!("column `{name}` is missing") }
}

fn i64_col(b: &RecordBatch, name: &str) -> Result<Option<Vec<Option<i64>>>, LakeError> {
    let Some(col) = b.column_by_name(name) else { return Ok(None) };
    let col = match col.data_type() {
        DataType::Timestamp(_, _) => cast(&cast(col, &DataType::Timestamp(TimeUnit::Millisecond, None))?, &DataType::Int64)?,
        _ => cast(col, &DataType::Int64)?,
    };
    let a = col.as_any().downcast_ref::<Int64Array>().expect("cast to Int64");
    Ok(Some(a.iter().collect()))
}

fn f64_col(b: &RecordBatch, name: &str) -> Result<Option<Vec<Option<f64>>>, LakeError> {
    let Some(col) = b.column_by_name(name) else { return Ok(None) };
    let col = cast(col, &DataType::Float64)?;
    let a = col.as_any().downcast_ref::<Float64Array>().expect("cast to Float64");
    Ok(Some(a.iter().collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(times: &[i64], close: f64) -> Ohlcv {
        let n = times.len();
        Ohlcv::from_candles(Candles {
            open_time: times.to_vec(),
            open: vec![close; n],
            high: vec![close + 1.0; n],
            low: vec![close - 1.0; n],
            close: vec![close; n],
            volume: vec![1.0; n],
        })
    }

    #[test]
    fn merge_prefers_incoming_and_counts_new_rows() {
        let (m, added) = Ohlcv::merge(&series(&[0, 60, 120], 10.0), &series(&[120, 180], 20.0));
        assert_eq!(m.candles.open_time, vec![0, 60, 120, 180]);
        assert_eq!(m.candles.close, vec![10.0, 10.0, 20.0, 20.0]);
        assert_eq!(added, 1);
    }

    #[test]
    fn batch_roundtrip_keeps_extras() {
        let mut o = series(&[0, 60], 5.0);
        o.trades = Some(vec![3, 4]);
        let back = Ohlcv::from_batches(&[o.to_batch().unwrap()]).unwrap();
        assert_eq!(back.trades, Some(vec![3, 4]));
        assert_eq!(back.quote_volume, None);
        assert_eq!(back.candles, o.candles);
    }

    #[test]
    fn validation_names_row_and_value() {
        let mut o = series(&[0, 60, 60], 5.0);
        let e = o.validate("BTCUSDT", "1m").unwrap_err().to_string();
        assert!(e.contains("row 3") && e.contains("duplicate"), "{e}");
        o.candles.open_time[2] = 120;
        o.candles.high[1] = 3.0;
        let e = o.validate("BTCUSDT", "1m").unwrap_err().to_string();
        assert!(e.contains("row 2") && e.contains("below low"), "{e}");
    }

    #[test]
    fn gaps_are_reported() {
        let g = series(&[0, 60, 240], 1.0).gaps(60);
        assert_eq!(g, vec![Gap { after: 60, before: 240, missing: 2 }]);
    }
}
