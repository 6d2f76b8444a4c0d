//! Every path inside the lake is built here.

use object_store::path::Path as StorePath;

use super::LakeError;
use crate::timeframe::Timeframe;

/// Symbols become directory names: keep them to what exchanges use.
pub fn validate_symbol(s: &str) -> Result<(), LakeError> {
    let ok = (2..=30).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(LakeError::InvalidSymbol(s.to_string()))
    }
}

/// Table names, partition keys/values and file names are path segments: no separators, no dot-dot.
pub fn validate_segment(what: &'static str, s: &str) -> Result<(), LakeError> {
    let ok = !s.is_empty()
        && s != "."
        && s != ".."
        && !s.starts_with('.')
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(LakeError::InvalidName { what, value: s.to_string() })
    }
}

pub const OHLCV_TABLE: &str = "ohlcv";
pub const OHLCV_FILE: &str = "data.parquet";

/// `<table>/<k1>=<v1>/.../<file>` as an object-store path.
pub fn partition_file(table: &str, partition: &[(&str, &str)], file: &str) -> Result<StorePath, LakeError> {
    validate_segment("table name", table)?;
    validate_segment("file name", file)?;
    let mut s = String::from(table);
    for (k, v) in partition {
        validate_segment("partition key", k)?;
        validate_segment("partition value", v)?;
        s.push('/');
        s.push_str(k);
        s.push('=');
        s.push_str(v);
    }
    s.push('/');
    s.push_str(file);
    Ok(StorePath::from(s))
}

pub fn ohlcv_file(symbol: &str, tf: Timeframe) -> Result<StorePath, LakeError> {
    validate_symbol(symbol)?;
    partition_file(OHLCV_TABLE, &[("symbol", symbol), ("timeframe", tf.as_str())], OHLCV_FILE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_hive_paths() {
        let p = ohlcv_file("BTCUSDT", Timeframe::H1).unwrap();
        assert_eq!(p.as_ref(), "ohlcv/symbol=BTCUSDT/timeframe=1h/data.parquet");
    }

    #[test]
    fn rejects_path_tricks() {
        assert!(validate_symbol("../x").is_err());
        assert!(validate_symbol("btcusdt").is_err());
        assert!(partition_file("mega", &[("run", "..")], "a.parquet").is_err());
        assert!(partition_file("mega", &[("run", "a/b")], "a.parquet").is_err());
        assert!(partition_file("mega", &[("run", "demo-1")], "part-0.parquet").is_ok());
    }
}
