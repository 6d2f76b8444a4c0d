//! Discovery of the lake's tables from its directory tree: each top-level directory holding
//! `.parquet` files is a table, its `key=value` directory levels are partition columns.

use std::path::{Path, PathBuf};

use super::QueryError;

/// One table found in the lake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LakeTable {
    /// The directory name, which is also the SQL table name.
    pub name: String,
    /// The table's directory.
    pub dir: PathBuf,
    /// Hive partition keys, outermost first (`symbol`, `timeframe` for `ohlcv`).
    pub partitions: Vec<String>,
    /// Data files found.
    pub files: usize,
}

/// Whether a directory entry takes part in the lake (temp, hidden and marker files do not).
pub fn is_visible(name: &str) -> bool {
    !(name.starts_with('.') || name.starts_with('_'))
}

/// The tables under `root`, sorted by name; a missing root is an empty lake.
pub fn discover_tables(root: &Path) -> Result<Vec<LakeTable>, QueryError> {
    if !root.exists() {
        return Ok(Vec::new());
    }
    let mut tables = Vec::new();
    for dir in sorted_entries(root)? {
        let name = file_name(&dir);
        if !dir.is_dir() || !is_visible(&name) {
            continue;
        }
        let mut files = Vec::new();
        collect_parquet(&dir, &mut files)?;
        if files.is_empty() {
            continue;
        }
        let partitions = files.iter().find_map(|f| partition_keys(&dir, f)).unwrap_or_default();
        tables.push(LakeTable { name, dir, partitions, files: files.len() });
    }
    Ok(tables)
}

fn file_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, QueryError> {
    let io = |source| QueryError::Io { path: dir.to_path_buf(), source };
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).map_err(io)? {
        out.push(e.map_err(io)?.path());
    }
    out.sort();
    Ok(out)
}

/// Visible `.parquet` files under `dir`, in path order.
fn collect_parquet(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), QueryError> {
    for p in sorted_entries(dir)? {
        let name = file_name(&p);
        if !is_visible(&name) {
            continue;
        }
        if p.is_dir() {
            collect_parquet(&p, out)?;
        } else if name.ends_with(".parquet") {
            out.push(p);
        }
    }
    Ok(())
}

/// The partition keys of `file` when every directory between `table` and it is `key=value`.
fn partition_keys(table: &Path, file: &Path) -> Option<Vec<String>> {
    let rel = file.strip_prefix(table).ok()?.parent()?;
    rel.components()
        .map(|c| {
            let s = c.as_os_str().to_str()?;
            let (k, v) = s.split_once('=')?;
            (!k.is_empty() && !v.is_empty()).then(|| k.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(p: &Path) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b"x").unwrap();
    }

    #[test]
    fn finds_tables_and_partitions() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        touch(&r.join("ohlcv/symbol=BTCUSDT/timeframe=1h/data.parquet"));
        touch(&r.join("ohlcv/symbol=ETHUSDT/timeframe=1h/data.parquet"));
        touch(&r.join("ohlcv/symbol=ETHUSDT/timeframe=1h/.data.parquet.tmp"));
        touch(&r.join("ohlcv/_staging/x.parquet"));
        touch(&r.join("plain/a.parquet"));
        touch(&r.join("notes/readme.md"));
        touch(&r.join(".trash/x.parquet"));
        touch(&r.join("_tmp/y.parquet"));
        touch(&r.join("README.md"));
        let t = discover_tables(r).unwrap();
        let names: Vec<&str> = t.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["ohlcv", "plain"]);
        assert_eq!(t[0].partitions, ["symbol", "timeframe"]);
        assert_eq!(t[0].files, 2);
        assert!(t[1].partitions.is_empty());
        assert!(discover_tables(&r.join("missing")).unwrap().is_empty());
    }

    #[test]
    fn partition_keys_need_every_level() {
        let t = Path::new("/l/t");
        assert_eq!(partition_keys(t, Path::new("/l/t/a=1/b=x/f.parquet")), Some(vec!["a".into(), "b".into()]));
        assert_eq!(partition_keys(t, Path::new("/l/t/a=1/sub/f.parquet")), None);
        assert_eq!(partition_keys(t, Path::new("/l/t/f.parquet")), Some(vec![]));
    }
}
