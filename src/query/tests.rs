//! Session tests over small hand-written lakes.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, AsArray, Float64Array, Int64Array, StringArray};
use arrow::datatypes::{DataType, Field, Int64Type, Schema};
use arrow::record_batch::RecordBatch;

use super::*;

fn write_parquet(path: &Path, batch: &RecordBatch) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let f = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), None).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
}

fn candles(t0: i64, closes: &[f64]) -> RecordBatch {
    let schema = Schema::new(vec![Field::new("open_time", DataType::Int64, false), Field::new("close", DataType::Float64, false)]);
    let times: Vec<i64> = (0..closes.len() as i64).map(|i| t0 + i).collect();
    RecordBatch::try_new(
        Arc::new(schema),
        vec![Arc::new(Int64Array::from(times)), Arc::new(Float64Array::from(closes.to_vec()))],
    )
    .unwrap()
}

fn lake() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    write_parquet(&r.join("ohlcv/symbol=BTCUSDT/timeframe=1h/data.parquet"), &candles(0, &[1.0, 2.0, 3.0]));
    write_parquet(&r.join("ohlcv/symbol=ETHUSDT/timeframe=1h/data.parquet"), &candles(0, &[10.0, 20.0]));
    write_parquet(&r.join("ohlcv/symbol=ETHUSDT/timeframe=4h/data.parquet"), &candles(0, &[100.0]));
    // Leftovers that must not be read: a hidden temp file and a marker-prefixed file.
    write_parquet(&r.join("ohlcv/symbol=BTCUSDT/timeframe=1h/.data.parquet"), &candles(0, &[999.0]));
    write_parquet(&r.join("ohlcv/symbol=BTCUSDT/timeframe=1h/_old.parquet"), &candles(0, &[999.0]));
    let names = StringArray::from(vec!["a", "b"]);
    let schema = Schema::new(vec![Field::new("name", DataType::Utf8, false)]);
    write_parquet(&r.join("notes/x.parquet"), &RecordBatch::try_new(Arc::new(schema), vec![Arc::new(names)]).unwrap());
    d
}

async fn one(ctx: &datafusion::prelude::SessionContext, sql: &str) -> StatementResult {
    let mut r = run_sql(ctx, sql).await.unwrap();
    assert_eq!(r.len(), 1);
    r.pop().unwrap()
}

fn first_i64(r: &StatementResult) -> i64 {
    let col = r.batches[0].column(0);
    let col = arrow::compute::cast(col, &DataType::Int64).unwrap();
    col.as_primitive::<Int64Type>().value(0)
}

#[tokio::test]
async fn tables_partitions_and_hidden_files() {
    let d = lake();
    let ctx = session_for_lake(d.path()).await.unwrap();
    assert_eq!(table_names(&ctx), ["notes", "ohlcv"]);
    let r = one(&ctx, "SELECT count(*) FROM ohlcv WHERE symbol = 'ETHUSDT' AND timeframe = '1h'").await;
    assert_eq!(first_i64(&r), 2);
    let r = one(&ctx, "SELECT sum(close) FROM ohlcv WHERE symbol = 'BTCUSDT'").await;
    let s = r.batches[0].column(0).as_primitive::<arrow::datatypes::Float64Type>().value(0);
    assert_eq!(s, 6.0, "hidden or marker files were read");
    let r = one(&ctx, "SELECT count(*) FROM notes").await;
    assert_eq!(first_i64(&r), 2);
}

#[tokio::test]
async fn partition_filters_prune_files() {
    let d = lake();
    let ctx = session_for_lake(d.path()).await.unwrap();
    let r = one(&ctx, "EXPLAIN SELECT sum(close) FROM ohlcv WHERE symbol = 'ETHUSDT' AND timeframe = '4h'").await;
    let text = arrow::util::pretty::pretty_format_batches(&r.batches).unwrap().to_string();
    assert!(text.contains("symbol=ETHUSDT/timeframe=4h/data.parquet"), "{text}");
    assert!(!text.contains("symbol=BTCUSDT") && !text.contains("timeframe=1h"), "{text}");
}

#[tokio::test]
async fn unknown_table_lists_present_ones() {
    let d = lake();
    let ctx = session_for_lake(d.path()).await.unwrap();
    let e = run_sql(&ctx, "SELECT * FROM candles").await.unwrap_err().to_string();
    assert!(e.contains("candles") && e.contains("not found"), "{e}");
    assert!(e.contains("hint: tables present: `notes`, `ohlcv`"), "{e}");

    let empty = tempfile::tempdir().unwrap();
    let ctx = session_for_lake(&empty.path().join("nothing")).await.unwrap();
    let e = run_sql(&ctx, "SELECT * FROM ohlcv").await.unwrap_err().to_string();
    assert!(e.contains("the lake has no tables yet"), "{e}");
    let r = one(&ctx, "SELECT 1 + 1 AS two").await;
    assert_eq!(first_i64(&r), 2);
}

#[tokio::test]
async fn several_statements_share_a_session() {
    let d = lake();
    let ctx = session_for_lake(d.path()).await.unwrap();
    let sql = "-- a view; then two queries\n\
               CREATE VIEW eth AS SELECT * FROM ohlcv WHERE symbol = 'ETHUSDT';\n\
               SELECT count(*) AS n FROM eth;\n\
               SELECT ';' AS semi;";
    let r = run_sql(&ctx, sql).await.unwrap();
    assert_eq!(r.len(), 3);
    assert!(!r[0].has_columns());
    assert_eq!(first_i64(&r[1]), 3);
    let semi = arrow::compute::cast(r[2].batches[0].column(0), &DataType::Utf8).unwrap();
    assert_eq!(semi.as_string::<i32>().value(0), ";");
    assert!(run_sql(&ctx, "  ").await.unwrap().is_empty());
    let e = run_sql(&ctx, "SELEC 1").await.unwrap_err().to_string();
    assert!(e.contains("SELEC"), "{e}");
}

#[tokio::test]
async fn partition_keys_that_are_columns_stay_columns() {
    let d = tempfile::tempdir().unwrap();
    let schema = Schema::new(vec![Field::new("symbol", DataType::Utf8, false)]);
    let b = RecordBatch::try_new(Arc::new(schema), vec![Arc::new(StringArray::from(vec!["X"]))]).unwrap();
    write_parquet(&d.path().join("t/symbol=X/f.parquet"), &b);
    let ctx = session_for_lake(d.path()).await.unwrap();
    let r = one(&ctx, "SELECT * FROM t").await;
    assert_eq!(r.schema.fields().len(), 1);
    assert!(r.batches[0].column(0).len() == 1);
}
