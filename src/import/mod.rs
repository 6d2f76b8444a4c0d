//! Import of candle files (Parquet, CSV, Binance bulk dumps) into one validated series.
//!
//! Every file is parsed and checked before the caller writes anything, so a bad row in the
//! last file leaves the lake untouched.

pub mod columns;
pub mod csv;
pub mod parquet;
pub mod time;
pub mod validate;

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::lake::Ohlcv;
use crate::timeframe::Timeframe;

/// Why candle files cannot be imported; every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("no files to import; hint: pass one or more Parquet or CSV files")]
    NoFiles,
    #[error("cannot read `{path}`")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}` is not a readable parquet file")]
    Parquet {
        path: String,
        #[source]
        source: ::parquet::errors::ParquetError,
    },
    #[error("cannot decode `{path}`")]
    Arrow {
        path: String,
        #[source]
        source: arrow::error::ArrowError,
    },
    #[error("`{path}` is {what}; hint: extract it and import the `.csv` inside")]
    Compressed { path: String, what: &'static str },
    #[error("`{path}` is neither parquet nor UTF-8 CSV text")]
    NotText { path: String },
    #[error("`{path}` has no `{column}` column; columns found: {found}")]
    MissingColumn { path: String, column: &'static str, found: String },
    #[error("`{path}` column `{column}` has type `{data_type}`; allowed: {allowed}")]
    ColumnType { path: String, column: String, data_type: String, allowed: &'static str },
    #[error("`{path}` cannot be read as candles: {problem}")]
    Layout { path: String, problem: String },
    #[error("`{path}` holds no candles")]
    Empty { path: String },
    #[error("`{path}` row {row}: {problem}")]
    Row { path: String, row: usize, problem: String },
}

/// What one imported file held.
#[derive(Debug, Clone, PartialEq)]
pub struct FileSummary {
    pub path: PathBuf,
    pub rows: usize,
    pub first: i64,
    pub last: i64,
}

/// All files of one import, concatenated in the order given.
#[derive(Debug)]
pub struct Loaded {
    pub ohlcv: Ohlcv,
    pub files: Vec<FileSummary>,
}

/// Parse and validate `paths` (in time order) as `tf` candles and concatenate them. Optional
/// Binance columns survive only when every file has them.
pub fn load_files(paths: &[PathBuf], tf: Timeframe) -> Result<Loaded, ImportError> {
    if paths.is_empty() {
        return Err(ImportError::NoFiles);
    }
    let mut parts: Vec<Ohlcv> = Vec::with_capacity(paths.len());
    let mut files: Vec<FileSummary> = Vec::with_capacity(paths.len());
    for path in paths {
        let name = path.display().to_string();
        let part = read_file(path)?;
        let c = &part.candles;
        if c.is_empty() {
            return Err(ImportError::Empty { path: name });
        }
        validate::validate_candles(&name, c, tf)?;
        if let Some(prev) = files.last() {
            let at = format!("the last row of `{}`", prev.path.display());
            validate::check_step(prev.last, c.open_time[0], validate::min_step(tf), tf, &at)
                .map_err(|problem| ImportError::Row { path: name.clone(), row: 1, problem })?;
        }
        files.push(FileSummary { path: path.clone(), rows: c.len(), first: c.open_time[0], last: c.open_time[c.len() - 1] });
        parts.push(part);
    }
    Ok(Loaded { ohlcv: concat(parts), files })
}

/// Parse one file, telling Parquet from CSV by its first bytes.
pub fn read_file(path: &Path) -> Result<Ohlcv, ImportError> {
    let name = path.display().to_string();
    let read_err = |source| ImportError::Read { path: name.clone(), source };
    let mut magic = [0u8; 4];
    let n = std::fs::File::open(path).and_then(|mut f| f.read(&mut magic)).map_err(read_err)?;
    match &magic[..n] {
        b"PAR1" => return parquet::read_parquet(path, &name),
        [b'P', b'K', 3, 4] => return Err(ImportError::Compressed { path: name, what: "a zip archive" }),
        [0x1f, 0x8b, ..] => return Err(ImportError::Compressed { path: name, what: "gzip-compressed" }),
        _ => {}
    }
    let bytes = std::fs::read(path).map_err(read_err)?;
    let text = String::from_utf8(bytes).map_err(|_| ImportError::NotText { path: name.clone() })?;
    csv::parse_csv(&name, &text)
}

fn concat(parts: Vec<Ohlcv>) -> Ohlcv {
    let mut parts = parts.into_iter();
    let mut out = parts.next().expect("at least one part");
    for p in parts {
        let c = &mut out.candles;
        c.open_time.extend(p.candles.open_time);
        c.open.extend(p.candles.open);
        c.high.extend(p.candles.high);
        c.low.extend(p.candles.low);
        c.close.extend(p.candles.close);
        c.volume.extend(p.candles.volume);
        join(&mut out.close_time, p.close_time);
        join(&mut out.quote_volume, p.quote_volume);
        join(&mut out.trades, p.trades);
        join(&mut out.taker_buy_base, p.taker_buy_base);
        join(&mut out.taker_buy_quote, p.taker_buy_quote);
    }
    out
}

/// Extend an optional column; one file without it drops it for the whole import.
fn join<T>(acc: &mut Option<Vec<T>>, next: Option<Vec<T>>) {
    match (acc.as_mut(), next) {
        (Some(a), Some(n)) => a.extend(n),
        _ => *acc = None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_704_067_200_000;
    const H: i64 = 3_600_000;

    fn csv_file(dir: &Path, name: &str, start: usize, n: usize, binance: bool) -> PathBuf {
        let mut s = String::new();
        if !binance {
            s.push_str("open_time,open,high,low,close,volume\n");
        }
        for i in start..start + n {
            let t = T0 + i as i64 * H;
            if binance {
                s.push_str(&format!("{t},10,12,9,11,5,{},55.5,7,2,22.2,0\n", t + H - 1));
            } else {
                s.push_str(&format!("{t},10,12,9,11,5\n"));
            }
        }
        let p = dir.join(name);
        std::fs::write(&p, s).unwrap();
        p
    }

    #[test]
    fn concatenates_in_order_and_drops_partial_extras() {
        let d = tempfile::tempdir().unwrap();
        let a = csv_file(d.path(), "a.csv", 0, 3, true);
        let b = csv_file(d.path(), "b.csv", 3, 2, true);
        let l = load_files(&[a.clone(), b.clone()], Timeframe::H1).unwrap();
        assert_eq!(l.ohlcv.candles.len(), 5);
        assert_eq!(l.ohlcv.trades.as_deref(), Some(&[7, 7, 7, 7, 7][..]));
        assert_eq!(l.files[1], FileSummary { path: b.clone(), rows: 2, first: T0 + 3 * H, last: T0 + 4 * H });

        let c = csv_file(d.path(), "c.csv", 5, 1, false);
        let l = load_files(&[a.clone(), b.clone(), c], Timeframe::H1).unwrap();
        assert_eq!(l.ohlcv.candles.len(), 6);
        assert!(l.ohlcv.trades.is_none() && l.ohlcv.close_time.is_none());
    }

    #[test]
    fn files_out_of_order_name_the_second_file() {
        let d = tempfile::tempdir().unwrap();
        let a = csv_file(d.path(), "a.csv", 0, 3, false);
        let b = csv_file(d.path(), "b.csv", 2, 2, false);
        let e = load_files(&[a, b.clone()], Timeframe::H1).unwrap_err().to_string();
        assert!(e.starts_with(&format!("`{}` row 1: duplicate open_time", b.display())), "{e}");
        assert!(e.contains("a.csv"), "{e}");
    }

    #[test]
    fn sniffs_compressed_and_binary_files() {
        let d = tempfile::tempdir().unwrap();
        let z = d.path().join("BTCUSDT-1h-2024-01.zip");
        std::fs::write(&z, b"PK\x03\x04rest").unwrap();
        assert!(matches!(read_file(&z), Err(ImportError::Compressed { .. })));
        let g = d.path().join("x.csv.gz");
        std::fs::write(&g, [0x1f, 0x8b, 8, 0]).unwrap();
        assert!(read_file(&g).unwrap_err().to_string().contains("gzip"));
        let bin = d.path().join("x.bin");
        std::fs::write(&bin, [0xff, 0xfe, 0, 1]).unwrap();
        assert!(matches!(read_file(&bin), Err(ImportError::NotText { .. })));
        let missing = d.path().join("nope.csv");
        assert!(read_file(&missing).unwrap_err().to_string().contains("cannot read"));
        assert!(matches!(load_files(&[], Timeframe::H1), Err(ImportError::NoFiles)));
    }
}
