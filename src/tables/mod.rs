//! Result tables in the lake: where each lives and how its partitions are named.
//!
//! Every result table is Hive-partitioned `<table>/symbol=<S>/timeframe=<TF>/run=<RUN>/`,
//! so one run of one (symbol, timeframe) is its own files and re-running a run name
//! replaces exactly those files. The partition columns are not stored inside the files;
//! readers (DataFusion, DuckDB) take them from the path.

pub mod ledger;
pub mod record;
pub mod results;

use thiserror::Error;

/// Invalid run name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid run name `{0}`: use 1 to 64 characters from A-Z a-z 0-9 . _ - (not starting with `.` or `_`)")]
pub struct RunNameError(pub String);

/// Check a run name: it becomes a directory name (`run=<name>`).
pub fn validate_run(name: &str) -> Result<(), RunNameError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with(['.', '_'])
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok { Ok(()) } else { Err(RunNameError(name.to_string())) }
}

/// The partition of one run of one (symbol, timeframe).
pub fn run_partition<'a>(symbol: &'a str, timeframe: &'a str, run: &'a str) -> [(&'static str, &'a str); 3] {
    [("symbol", symbol), ("timeframe", timeframe), ("run", run)]
}

/// A run name from a prefix and the current UTC time, e.g. `bt-20261125T091500`.
pub fn timestamped_run(prefix: &str) -> String {
    format!("{prefix}-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_names() {
        for ok in ["mega-1h", "a", "run_2.b"] {
            assert!(validate_run(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".x", "_x", "a/b", "a=b", "a b", &"x".repeat(65)] {
            let e = validate_run(bad).unwrap_err().to_string();
            assert!(e.contains(&format!("`{bad}`")), "{e}");
        }
        assert!(timestamped_run("bt").starts_with("bt-20"));
    }
}
