//! `Lake`: the handle every stage reads and writes the lake through.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use futures::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::ohlcv::{ohlcv_schema, MergeReport, Ohlcv};
use super::{paths, LakeError};
use crate::timeframe::Timeframe;

/// A lake rooted at a directory.
#[derive(Debug, Clone)]
pub struct Lake {
    root: PathBuf,
    store: Arc<LocalFileSystem>,
}

impl Lake {
    /// Open (and create when missing) the lake at `root`.
    pub fn open(root: impl Into<PathBuf>) -> Result<Lake, LakeError> {
        let root = root.into();
        std::fs::create_dir_all(&root)?;
        let root = root.canonicalize()?;
        let store = Arc::new(LocalFileSystem::new_with_prefix(&root)?);
        Ok(Lake { root, store })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The object store the lake lives in (paths relative to the root).
    pub fn store(&self) -> Arc<dyn ObjectStore> {
        self.store.clone()
    }

    /// Candles of one (symbol, timeframe), sorted; `None` when the lake has none.
    pub async fn read_ohlcv(&self, symbol: &str, tf: Timeframe) -> Result<Option<Ohlcv>, LakeError> {
        let path = paths::ohlcv_file(symbol, tf)?;
        match self.read_batches(&path).await? {
            None => Ok(None),
            Some(batches) => Ohlcv::from_batches(&batches).map(Some).map_err(|e| corrupt(&path, e)),
        }
    }

    /// Merge `incoming` into the stored series (incoming wins on equal `open_time`),
    /// validate the result and replace the file atomically.
    pub async fn merge_ohlcv(&self, symbol: &str, tf: Timeframe, incoming: Ohlcv) -> Result<MergeReport, LakeError> {
        let path = paths::ohlcv_file(symbol, tf)?;
        incoming.validate(symbol, tf.as_str())?;
        let stored = self.read_ohlcv(symbol, tf).await?;
        let (merged, added) = match &stored {
            Some(s) => Ohlcv::merge(s, &incoming),
            None => {
                let n = incoming.len();
                (incoming, n)
            }
        };
        merged.validate(symbol, tf.as_str())?;
        if added > 0 || stored.is_none() || stored.as_ref() != Some(&merged) {
            let batch = merged.to_batch()?;
            self.put_parquet(&path, &[batch]).await?;
        }
        let t = &merged.candles.open_time;
        Ok(MergeReport {
            added,
            total: merged.len(),
            first: t.first().copied(),
            last: t.last().copied(),
            gaps: merged.gaps(tf.millis()),
        })
    }

    /// Atomically write (replace) one partition file of a result table:
    /// `<root>/<table>/<k1>=<v1>/.../<file_name>`.
    pub async fn write_partition(
        &self,
        table: &str,
        partition: &[(&str, &str)],
        file_name: &str,
        batches: &[RecordBatch],
    ) -> Result<(), LakeError> {
        let path = paths::partition_file(table, partition, file_name)?;
        self.put_parquet(&path, batches).await
    }

    /// Remove every file of `table` under one partition prefix (e.g. a run being replaced).
    pub async fn delete_partition(&self, table: &str, partition: &[(&str, &str)]) -> Result<usize, LakeError> {
        let dir = paths::partition_file(table, partition, "x")?;
        let prefix = StorePath::from(dir.as_ref().trim_end_matches("/x"));
        let metas: Vec<_> = self.store.list(Some(&prefix)).try_collect().await?;
        for m in &metas {
            self.store.delete(&m.location).await?;
        }
        Ok(metas.len())
    }

    /// Names of the tables present: top-level directories holding Parquet files.
    pub fn tables(&self) -> Vec<String> {
        let mut out: Vec<String> = std::fs::read_dir(&self.root)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| !n.starts_with('.') && !n.starts_with('_'))
            .filter(|n| has_parquet(&self.root.join(n)))
            .collect();
        out.sort();
        out
    }

    async fn read_batches(&self, path: &StorePath) -> Result<Option<Vec<RecordBatch>>, LakeError> {
        let bytes = match self.store.get(path).await {
            Ok(r) => r.bytes().await?,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let read = || -> Result<Vec<RecordBatch>, LakeError> {
            let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)?.with_batch_size(65_536).build()?;
            Ok(reader.collect::<Result<Vec<_>, _>>()?)
        };
        read().map(Some).map_err(|e| corrupt(path, e))
    }

    async fn put_parquet(&self, path: &StorePath, batches: &[RecordBatch]) -> Result<(), LakeError> {
        let schema = batches.first().map(|b| b.schema()).unwrap_or_else(ohlcv_schema);
        let bytes = encode_parquet(schema, batches)?;
        // object_store's local put stages `<file>#<n>` and renames it into place: readers
        // see the old file or the new one, never a torn one.
        self.store.put(path, PutPayload::from(Bytes::from(bytes))).await?;
        Ok(())
    }
}

/// Encode batches as one Parquet file (zstd, statistics on) in memory.
pub fn encode_parquet(schema: arrow::datatypes::SchemaRef, batches: &[RecordBatch]) -> Result<Vec<u8>, LakeError> {
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
        .set_max_row_group_row_count(Some(1 << 20))
        .build();
    let mut buf = Vec::new();
    let mut w = ArrowWriter::try_new(&mut buf, schema, Some(props))?;
    for b in batches {
        w.write(b)?;
    }
    w.close()?;
    Ok(buf)
}

fn corrupt(path: &StorePath, e: LakeError) -> LakeError {
    match e {
        LakeError::Corrupt { reason, .. } => LakeError::Corrupt { path: path.to_string(), reason },
        other => LakeError::Corrupt { path: path.to_string(), reason: other.to_string() },
    }
}

fn has_parquet(dir: &Path) -> bool {
    std::fs::read_dir(dir).into_iter().flatten().flatten().any(|e| {
        let p = e.path();
        if p.is_dir() {
            has_parquet(&p)
        } else {
            p.extension().is_some_and(|x| x == "parquet")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::candles::Candles;

    fn candles(times: Vec<i64>) -> Ohlcv {
        let n = times.len();
        Ohlcv::from_candles(Candles {
            open_time: times,
            open: vec![2.0; n],
            high: vec![3.0; n],
            low: vec![1.0; n],
            close: vec![2.5; n],
            volume: vec![10.0; n],
        })
    }

    #[tokio::test]
    async fn merge_is_incremental_and_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open(dir.path()).unwrap();
        let h = 3_600_000;
        let r = lake.merge_ohlcv("BTCUSDT", Timeframe::H1, candles(vec![0, h, 2 * h])).await.unwrap();
        assert_eq!((r.added, r.total), (3, 3));
        let r = lake.merge_ohlcv("BTCUSDT", Timeframe::H1, candles(vec![2 * h, 5 * h])).await.unwrap();
        assert_eq!((r.added, r.total), (1, 4));
        assert_eq!(r.gaps.len(), 1);
        assert_eq!(r.gaps[0].missing, 2);
        let back = lake.read_ohlcv("BTCUSDT", Timeframe::H1).await.unwrap().unwrap();
        assert_eq!(back.candles.open_time, vec![0, h, 2 * h, 5 * h]);
        assert_eq!(lake.tables(), vec!["ohlcv".to_string()]);
        assert!(dir.path().join("ohlcv/symbol=BTCUSDT/timeframe=1h/data.parquet").is_file());
    }

    #[tokio::test]
    async fn invalid_input_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open(dir.path()).unwrap();
        let mut bad = candles(vec![0, 60_000]);
        bad.candles.low[1] = 5.0;
        assert!(lake.merge_ohlcv("BTCUSDT", Timeframe::M1, bad).await.is_err());
        assert!(lake.tables().is_empty());
        assert!(lake.read_ohlcv("BTCUSDT", Timeframe::M1).await.unwrap().is_none());
    }
}
