//! Streaming, atomic writes of one partition file: batches go to a hidden temporary object
//! as they come (memory bounded by a row group), and [`PartitionWriter::commit`] renames it
//! into place. Dropped or aborted writers leave no visible file.

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use object_store::buffered::BufWriter;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::AsyncArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use arrow::datatypes::DataType;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;
use std::sync::Arc;

use super::{paths, Lake, LakeError};

/// Rows per Parquet row group of streamed tables.
const ROW_GROUP: usize = 65_536;

/// A partition file being written.
pub struct PartitionWriter {
    store: Arc<dyn ObjectStore>,
    tmp: StorePath,
    dest: StorePath,
    writer: Option<AsyncArrowWriter<BufWriter>>,
    rows: usize,
}

impl Lake {
    /// Start writing `<table>/<k>=<v>/.../<file_name>`; nothing is visible until `commit`.
    pub fn partition_writer(
        &self,
        table: &str,
        partition: &[(&str, &str)],
        file_name: &str,
        schema: SchemaRef,
    ) -> Result<PartitionWriter, LakeError> {
        let dest = paths::partition_file(table, partition, file_name)?;
        let tmp_name = format!("_{file_name}.{}.inprogress", std::process::id());
        let tmp = paths::partition_file(table, partition, &tmp_name)?;
        let store = self.store();
        // Dictionaries pay off for the repeated text columns (symbol, strategy, params...);
        // numbers are mostly distinct, and hashing every one of them costs more than it saves.
        // Full-precision float metrics are close to random bits: zstd shrinks them a little
        // more than snappy but costs several times as much, most of the writing's time.
        let mut props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
            .set_max_row_group_row_count(Some(ROW_GROUP))
            .set_dictionary_enabled(false);
        for f in schema.fields().iter() {
            let column = ColumnPath::from(f.name().as_str());
            match f.data_type() {
                DataType::Utf8 | DataType::LargeUtf8 => props = props.set_column_dictionary_enabled(column, true),
                DataType::Float64 => props = props.set_column_compression(column, Compression::SNAPPY),
                _ => {}
            }
        }
        let writer = AsyncArrowWriter::try_new(BufWriter::new(store.clone(), tmp.clone()), schema, Some(props.build()))?;
        Ok(PartitionWriter { store, tmp, dest, writer: Some(writer), rows: 0 })
    }
}

impl PartitionWriter {
    pub async fn write(&mut self, batch: &RecordBatch) -> Result<(), LakeError> {
        self.rows += batch.num_rows();
        self.writer.as_mut().expect("writer used after commit").write(batch).await?;
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Finish the file and move it into place (replacing any previous file).
    pub async fn commit(mut self) -> Result<usize, LakeError> {
        let w = self.writer.take().expect("writer committed twice");
        w.close().await?;
        self.store.rename(&self.tmp, &self.dest).await?;
        Ok(self.rows)
    }

    /// Drop the temporary file.
    pub async fn abort(mut self) {
        if let Some(w) = self.writer.take() {
            let mut inner = w.into_inner();
            let _ = inner.abort().await;
        }
        let _ = self.store.delete(&self.tmp).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};

    fn batch(n: i64) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
        RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from_iter_values(0..n))]).unwrap()
    }

    fn files(root: &std::path::Path) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(d).unwrap().flatten() {
                if e.path().is_dir() {
                    stack.push(e.path());
                } else {
                    out.push(e.path().strip_prefix(root).unwrap().display().to_string());
                }
            }
        }
        out.sort();
        out
    }

    #[tokio::test]
    async fn commit_replaces_and_abort_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open(dir.path()).unwrap();
        let part = [("symbol", "BTCUSDT"), ("run", "r1")];
        let mut w = lake.partition_writer("t", &part, "part-0.parquet", batch(1).schema()).unwrap();
        w.write(&batch(10)).await.unwrap();
        assert!(files(dir.path()).iter().all(|f| !f.ends_with("part-0.parquet")), "nothing visible before commit");
        assert_eq!(w.commit().await.unwrap(), 10);
        assert_eq!(files(dir.path()), vec!["t/symbol=BTCUSDT/run=r1/part-0.parquet"]);

        let mut w = lake.partition_writer("t", &part, "part-0.parquet", batch(1).schema()).unwrap();
        w.write(&batch(5)).await.unwrap();
        w.abort().await;
        assert_eq!(files(dir.path()), vec!["t/symbol=BTCUSDT/run=r1/part-0.parquet"]);
        let bytes = std::fs::read(dir.path().join("t/symbol=BTCUSDT/run=r1/part-0.parquet")).unwrap();
        let r = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes)).unwrap().build().unwrap();
        assert_eq!(r.map(|b| b.unwrap().num_rows()).sum::<usize>(), 10, "the committed file survives an aborted rewrite");
    }
}
